"""The limits that bound what hostile input can make turboavro allocate or compute.

Avro data is untrusted bytes: a count or a size read from the input decides how much is
allocated. Each such count is checked against the bytes that remain (an ``int`` item takes at
least one byte, so a block cannot declare more of them than it has bytes), and where that
check cannot bound it (items and records that encode to zero bytes, nesting, decompressed
sizes) against one of the limits below, *before* anything is allocated for it. Rows,
columns, JSON and the framings all read this one table.

========================  ==============  =====================================================
limit                     default         bounds
========================  ==============  =====================================================
max_block_size            256 MiB         one container block, stored or decompressed
max_expansion_ratio       4096            decompressed / compressed size of a block, for
                                          blocks decompressing past 16 MiB (bombs)
max_block_records         16 Mi records   records of a zero-byte schema in one block
max_file_records          64 Mi records   records of a zero-byte schema in one file
max_collection_items      2**31 - 9       items of one array or map block (Java's structural cap)
max_zero_byte_items       1 Mi items      array/map items that encode to zero bytes, per datum
                                          decoded alone (Decoder.decode, framings)
max_file_zero_byte_items  16 Mi items     the same, per container file (rows: the whole
                                          file; columns: each reading thread's share)
max_data_depth            512 levels      nesting of records, arrays and maps in a datum
max_schema_depth          128 levels      nesting of schemas (records, arrays, maps, unions)
max_json_depth            512 levels      nesting of the JSON of a property, a default, or a
                                          datum read by json_decode
========================  ==============  =====================================================

The anchor is Java's ``SystemLimitException`` (``org.apache.avro.limits.*``): its collection
limit (``collectionItems.maxLength``, ``Integer.MAX_VALUE - 8``) and, since AVRO-4241, its
per-datum bound on zero-byte collection items. turboavro's per-datum bound is lower than
Java's 10 million because each Python object costs far more than a Java reference.

Change them process-wide with :func:`configure` (or for a block of code with
:func:`override`); :class:`turboavro.Decoder` also takes ``max_depth`` and
``max_zero_size_items``, and :class:`turboavro.Reader` ``max_block_size``, per object. Every
error raised by a limit names it and says how to raise it.
"""
from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterator
from typing import Any

from ._kernels._schema_text import json_nesting as _json_nesting

__all__ = ["Limits", "get", "configure", "override", "exceeded"]


@dataclasses.dataclass(frozen=True)
class Limits:
    """One table of limits (see the module docstring for what each bounds)."""

    max_block_size: int = 256 * 1024 * 1024
    max_expansion_ratio: int = 4096
    max_block_records: int = 16 * 1024 * 1024
    max_file_records: int = 64 * 1024 * 1024
    max_collection_items: int = 2**31 - 9
    max_zero_byte_items: int = 1024 * 1024
    max_file_zero_byte_items: int = 16 * 1024 * 1024
    max_data_depth: int = 512
    max_schema_depth: int = 128
    max_json_depth: int = 512

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"limit {f.name} must be a positive int, not {v!r}")
        # the kernels keep depths in a C int
        for name in ("max_data_depth", "max_schema_depth", "max_json_depth"):
            if getattr(self, name) > 100_000:
                raise ValueError(f"limit {name} must be at most 100000")


_current = Limits()
_lock = threading.Lock()


def get() -> Limits:
    """The limits in force."""
    return _current


def configure(**changes: int) -> Limits:
    """Change limits process-wide (``configure(max_block_size=1 << 30)``); return the previous
    table. Objects created before the call (a Decoder, an open Reader) keep the limits they
    were created with."""
    global _current
    with _lock:
        previous = _current
        try:
            _current = dataclasses.replace(previous, **changes)
        except TypeError:
            bad = sorted(set(changes) - {f.name for f in dataclasses.fields(Limits)})
            raise ValueError(f"unknown limit(s): {', '.join(bad)}") from None
        _apply(_current)
        return previous


def _apply(new: Limits) -> None:
    """Push the limits the native codecs read on their own into the kernel, if loaded."""
    import sys

    blocks = sys.modules.get("turboavro._kernels._blocks")
    if blocks is not None:
        blocks.set_expansion_ratio(new.max_expansion_ratio)


def json_too_deep(text: str | bytes | bytearray, depth: int) -> bool:
    """Whether JSON ``text`` nests arrays and objects deeper than ``depth`` (brackets in
    strings do not count). Untrusted text is checked before ``json.loads``, which recurses
    once per level: where a depth cannot be valid, the caller refuses it first. Past a few
    thousand levels Python 3.13's ``json.loads`` overflows a small thread stack (512 KB, a
    macOS thread's) instead of raising ``RecursionError``."""
    return bool(_json_nesting(text, depth) > depth)


def expansion_cap(stored: int, max_size: int) -> int:
    """The largest decompressed size accepted for a block of ``stored`` compressed bytes
    under ``max_size`` (the Python codecs' copy of the kernel's rule, ta_expansion_cap)."""
    ratio = _current.max_expansion_ratio
    return min(max_size, max(EXPANSION_FLOOR, stored * ratio))


#: Blocks decompressing to at most this many bytes are never refused for their ratio.
EXPANSION_FLOOR = 16 << 20


@contextlib.contextmanager
def override(**changes: int) -> Iterator[Limits]:
    """``with override(max_block_size=...):`` changes limits for the block, then restores
    them (process-wide, not per thread)."""
    global _current
    previous = configure(**changes)
    try:
        yield _current
    finally:
        with _lock:
            _current = previous
            _apply(previous)


def exceeded(name: str, what: str, value: Any = None) -> str:
    """The message of an error raised by limit ``name``: what exceeds it, its value, and how
    to raise it."""
    limit = getattr(_current, name) if value is None else value
    return (
        f"{what} exceeds the limit {name}={limit} "
        f"(raise it with turboavro.limits.configure({name}=...))"
    )
