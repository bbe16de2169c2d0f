"""fastavro's ``fastavro.write``: ``writer``, ``Writer``, ``schemaless_writer`` on
turboavro's container writer and compiled encoders."""
from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterable
from typing import IO, Any

from .. import errors as _errors
from ..codecs import CODEC_NAMES, NONSTANDARD_CODECS, get_codec
from ..container import Writer as _TWriter
from ._engine import WriteOptions, schema_write_plan, to_turbo, write_plan
from .logical_writers import LOGICAL_WRITERS
from .read import _Reader
from .schema import parse_schema
from .validation import validate_many

__all__ = ["LOGICAL_WRITERS", "Writer", "schemaless_writer", "writer"]

_CODECS = set(CODEC_NAMES) | set(NONSTANDARD_CODECS)


def _opts(options: dict[str, Any]) -> WriteOptions:
    return WriteOptions(
        bool(options.get("strict")),
        bool(options.get("strict_allow_default")),
        bool(options.get("disable_tuple_notation")),
        LOGICAL_WRITERS,
    )


def _is_appendable(fo: Any) -> bool:
    """Is ``fo`` a readable, seekable file positioned after existing data (opened ``a+b``)?"""
    mode = getattr(fo, "mode", "")
    if isinstance(mode, str) and "a" in mode and "+" not in mode:
        raise ValueError(
            "When appending to an avro file you must use the 'a+' mode, not just 'a'"
        )
    try:
        # as fastavro: a readable file whose position is past its start ("a+b" opens at the
        # end; a stream written before and not rewound) is appended to
        return bool(fo.readable() and fo.seekable() and fo.tell() > 0)
    except (AttributeError, OSError, ValueError):
        return False


class _Writer(_TWriter):
    _reader_class = _Reader  # appends to what the facade reads; writes fastavro's lz4 too

    def end_block(self) -> None:
        """Write the current block to the file now, with those still being compressed on
        the worker thread (fastavro's ``dump``/``flush`` leave every block in the file)."""
        self._write_block()
        self._emit_compressed(0)


class Writer:
    """A container file writer (fastavro's ``fastavro.write.Writer``)."""

    def __init__(
        self,
        fo: IO[bytes] | Any,
        schema: Any,
        codec: str = "null",
        sync_interval: int = 1000 * 16,
        metadata: dict[str, str] | None = None,
        validator: bool = False,
        sync_marker: bytes = b"",
        compression_level: int | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        options = dict(options or {})
        if codec not in _CODECS:
            raise _errors.CodecError(f"unrecognized codec: {codec}")
        try:
            get_codec(codec, nonstandard=True)
        except _errors.CodecUnavailableError as e:
            raise ValueError(str(e)) from e
        self.fo = fo
        self.validate_fn = validate_many if validator is True else validator or None
        self.options = options
        self._opts = _opts(options)
        appending = _is_appendable(fo)
        if appending:
            fo.seek(0)
            self._w = _Writer(fo, None, sync_interval=max(1, sync_interval), append=True)
            self.schema = parse_schema(json.loads(self._w.metadata["avro.schema"]))
        else:
            self.schema = parse_schema(schema)
            meta = {k: (v if isinstance(v, (bytes, bytearray)) else str(v))
                    for k, v in (metadata or {}).items()}
            self._w = _Writer(
                fo,
                to_turbo(self.schema),
                codec,
                codec_level=compression_level,
                sync_interval=max(1, sync_interval),  # fastavro's 0: a block per record
                metadata=meta,  # type: ignore[arg-type]
                sync_marker=bytes(sync_marker) if sync_marker else None,
                append=False,
            )
        self._plan = write_plan(self._w.schema)
        self._slow = self._plan.slow(self._opts)
        self.sync_marker = self._w.sync_marker
        self.codec = self._w.codec
        self.metadata = {k: v.decode("utf-8", "surrogateescape") for k, v in self._w.metadata.items()}
        self.sync_interval = sync_interval
        self.compression_level = compression_level

    @property
    def block_count(self) -> int:
        """Records in the current, not yet written block."""
        return self._w.pending

    @property
    def io(self) -> bytearray:
        return self._w._buf

    def write(self, record: Any) -> None:
        if self.validate_fn:
            self.validate_fn([record], self.schema, strict=self._opts.strict,
                             disable_tuple_notation=self._opts.no_tuples)
        w = self._w
        buf = w._buf
        n = len(buf)
        try:
            self._plan.encode_into(record, buf, self._opts, self._slow)
        except BaseException:
            del buf[n:]
            raise
        w._count += 1
        if len(buf) >= w._interval:
            w._write_block()

    def write_many(self, records: Iterable[Any]) -> int:
        """Write every record (the fast path of :func:`writer`)."""
        if self.validate_fn or self._slow:
            total = 0
            for r in records:
                self.write(r)
                total += 1
            return total
        w = self._w
        it = iter(records)
        encode_many = self._plan.encoder.encode_many_into
        total = 0
        while True:
            room = w._interval - len(w._buf)
            batch = list(itertools.islice(it, max(1, int(room / (2 * w._per_record)))))
            if not batch:
                return total
            buf = w._buf
            n = len(buf)
            try:
                done = encode_many(batch, buf)
                w._count += done
                total += done
            except _errors.EncodeError:
                del buf[n:]
                for r in batch:  # one by one: fastavro's rules for the datums that need them
                    self.write(r)
                    total += 1
            if w._count:
                w._per_record = max(1.0, len(w._buf) / w._count)
            if len(w._buf) >= w._interval:
                w._write_block()

    def write_block(self, block: Any) -> None:
        """Copy a block read by :func:`block_reader` (re-compressed when codecs differ)."""
        self._w.end_block()
        if block.codec == self.codec and getattr(block, "_raw", None) is not None:
            self._w.write_raw_block(block.num_records, block._raw.data)
        else:
            self._w.write_block(block.num_records, block.bytes_)
            # fastavro writes the block now (a reader of the same file object sees it); the
            # container Writer may still be compressing it on a worker thread
            self._w._emit_compressed(0)

    def dump(self) -> None:
        """Write the current block."""
        self._w.end_block()

    def flush(self) -> None:
        self._w.end_block()
        try:
            self.fo.flush()
        except (AttributeError, ValueError):
            pass


def writer(
    fo: IO[bytes] | Any,
    schema: Any,
    records: Iterable[Any],
    codec: str = "null",
    sync_interval: int = 1000 * 16,
    metadata: dict[str, str] | None = None,
    validator: bool = False,
    sync_marker: bytes = b"",
    codec_compression_level: int | None = None,
    *,
    strict: bool = False,
    strict_allow_default: bool = False,
    disable_tuple_notation: bool = False,
) -> None:
    """Write ``records`` as an Avro container file to ``fo`` (fastavro's ``writer``). A file
    opened ``a+b`` that already holds data is appended to, with its own schema and codec."""
    if isinstance(records, dict):
        raise ValueError('"records" argument should be an iterable, not dict')
    out = Writer(
        fo, schema, codec, sync_interval, metadata, validator, sync_marker,
        codec_compression_level,
        options={"strict": strict, "strict_allow_default": strict_allow_default,
                 "disable_tuple_notation": disable_tuple_notation},
    )
    try:
        out.write_many(records)
        out.flush()
    finally:
        try:  # after an error too, the blocks finished before it are in the file (as fastavro)
            out._w._emit_compressed(0)
        finally:
            out._w._shutdown_compressor()  # no compression thread outlives the call


def schemaless_writer(
    fo: IO[bytes] | Any,
    schema: Any,
    record: Any,
    *,
    strict: bool = False,
    strict_allow_default: bool = False,
    disable_tuple_notation: bool = False,
) -> None:
    """Write one datum of ``schema`` to ``fo`` with no header (fastavro's
    ``schemaless_writer``)."""
    plan, slow, _ = schema_write_plan(schema, LOGICAL_WRITERS)
    if not (slow or strict or strict_allow_default or disable_tuple_notation):
        try:
            fo.write(plan.encoder.encode(record))
            return
        except _errors.EncodeError:
            pass  # fastavro's rules below decide (a union notation, a missing nullable field...)
    opts = WriteOptions(strict, strict_allow_default, disable_tuple_notation, LOGICAL_WRITERS)
    buf = bytearray()
    plan.encode_into(record, buf, opts, True)
    fo.write(buf)


CYTHON_MODULE = 1  # fastavro's tests take the compiled-module paths
_write = sys.modules[__name__]  # fastavro.write._write: the module holding the write functions
