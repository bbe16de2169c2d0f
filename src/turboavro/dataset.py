"""Datasets: many container files (local or in object stores) read as one, and split into
byte ranges for parallel and distributed readers (Dask, Polars, your own).

Planning (:func:`plan_splits`) reads each file's header once (a few KiB: one small ranged
read of a remote object) and cuts the file into byte ranges of about ``blocksize`` bytes.
A range is read independently by the Hadoop split rule :class:`turboavro.Reader` follows
(``start=``/``end=``: a block belongs to the range in which its preceding sync marker starts,
the header playing the first block's marker), so adjacent ranges covering a file read each
record exactly once, whatever the block size. A :class:`Split` carries its file's header
bytes, so reading it fetches only its blocks.

Every file of a dataset is read as one reader schema: the one given, else the first file's
schema (schema resolution: fields added with defaults, promotions, renamed fields by
aliases...). Filters are described in :mod:`turboavro.columnar.selection`.
"""
from __future__ import annotations

import io
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .container import Reader
from .errors import CorruptFileError
from .schema import Schema
from .sources import RemoteFile, expand, is_url, naming, url_to_fs

__all__ = [
    "Split",
    "FileHeader",
    "plan_splits",
    "read_header",
    "read_split",
    "iter_split_batches",
    "read_dataset",
    "iter_dataset_batches",
    "dataset_schema",
    "empty_columns",
    "to_record_batch_reader",
    "parse_blocksize",
]

DEFAULT_BLOCKSIZE = 128 << 20


@dataclass(frozen=True)
class FileHeader:
    """A container file's header: ``path`` (local path or URL), ``size`` (bytes of the file),
    ``header`` (its bytes, magic to sync marker), and the writer ``schema``."""

    path: str
    size: int
    header: bytes
    schema: Schema


@dataclass(frozen=True)
class Split:
    """The byte range ``[start, end)`` of file ``path`` (``size`` bytes; ``header``: its
    header bytes; ``file_index``: its position in the dataset)."""

    path: str
    start: int
    end: int
    size: int
    header: bytes = field(repr=False)
    file_index: int = 0


def parse_blocksize(blocksize: Any) -> int | None:
    """Bytes of a block size given as an int or a string (``"128 MiB"``, ``"64MB"``);
    None stays None (one split per file)."""
    if blocksize is None:
        return None
    if isinstance(blocksize, str):
        text = blocksize.strip().replace(" ", "")
        units = {"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "kb": 10**3, "mb": 10**6,
                 "gb": 10**9, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "b": 1}
        lower = text.lower()
        for unit in sorted(units, key=len, reverse=True):
            if lower.endswith(unit):
                try:
                    value = float(lower[: -len(unit)]) * units[unit]
                except ValueError:
                    break
                blocksize = int(value)
                break
        else:
            try:
                blocksize = int(text)
            except ValueError:
                pass
        if isinstance(blocksize, str):
            raise ValueError(f"blocksize {blocksize!r} is not a size (e.g. 128 MiB)")
    blocksize = int(blocksize)
    if blocksize < 1:
        raise ValueError("blocksize must be at least 1 byte")
    return blocksize


def _cat(path: str, start: int, end: int, storage_options: Mapping[str, Any] | None) -> bytes:
    """Bytes ``[start, end)`` of a local file or remote object."""
    if is_url(path):
        fs, p = url_to_fs(path, storage_options)
        return bytes(fs.cat_file(p, start=start, end=end))
    with open(path, "rb") as f:
        f.seek(start)
        return f.read(end - start)


def _size(path: str, storage_options: Mapping[str, Any] | None) -> int:
    if is_url(path):
        fs, p = url_to_fs(path, storage_options)
        return int(fs.info(p)["size"])
    return os.path.getsize(path)


def read_header(path: str, storage_options: Mapping[str, Any] | None = None) -> FileHeader:
    """The header of one file, fetched with as few small reads as it takes (64 KiB, then
    doubling for larger headers)."""
    with naming(path):
        size = _size(path, storage_options)
        want = min(size, 64 << 10)
        while True:
            head = _cat(path, 0, want, storage_options)
            try:
                with Reader(io.BytesIO(head)) as r:
                    return FileHeader(path, size, head[: r.header_size], r.schema)
            except CorruptFileError:
                if want >= size:
                    raise
                want = min(size, want * 2)


def _headers(paths: Sequence[str], storage_options: Mapping[str, Any] | None) -> list[FileHeader]:
    if len(paths) == 1 or not any(is_url(p) for p in paths):
        return [read_header(p, storage_options) for p in paths]
    with ThreadPoolExecutor(min(8, len(paths))) as pool:
        return list(pool.map(lambda p: read_header(p, storage_options), paths))


def plan_splits(
    source: Any,
    blocksize: Any = DEFAULT_BLOCKSIZE,
    storage_options: Mapping[str, Any] | None = None,
) -> list[Split]:
    """Byte ranges of about ``blocksize`` bytes (an int or ``"128 MiB"``; None: one per
    file) covering every file of ``source`` (a path, URL, glob, directory, or a list of
    them), in file order. Each file's header is read once, here."""
    size = parse_blocksize(blocksize)
    out = []
    for i, h in enumerate(_headers(expand(source, storage_options), storage_options)):
        if size is None or h.size <= size:
            out.append(Split(h.path, 0, h.size, h.size, h.header, i))
            continue
        for start in range(0, h.size, size):
            out.append(Split(h.path, start, min(h.size, start + size), h.size, h.header, i))
    return out


def _open_file(split: Split, storage_options: Mapping[str, Any] | None) -> Any:
    """The file of a split: a local file, or the remote object fetched within the split's
    range (its header served from the split)."""
    if is_url(split.path):
        fs, p = url_to_fs(split.path, storage_options)
        if "file" not in ((fs.protocol,) if isinstance(fs.protocol, str) else fs.protocol):
            return RemoteFile(fs, p, split.size, name=split.path,
                              window=(split.start, split.end), prefix=split.header)
        return open(p, "rb")  # noqa: SIM115 - closed by the caller
    return open(split.path, "rb")  # noqa: SIM115


@contextmanager
def _split_reader(split: Split, storage_options: Mapping[str, Any] | None,
                  on_corruption: str) -> Iterator[Reader]:
    """A Reader over the split's byte range of its file; errors name the file's path or URL."""
    with naming(split.path), _open_file(split, storage_options) as fo, \
            Reader(fo, start=split.start or None,
                   end=split.end if split.end < split.size else None,
                   on_corruption=on_corruption) as r:
        yield r


def read_split(
    split: Split,
    columns: Any = None,
    reader_schema: Any = None,
    filters: Any = None,
    storage_options: Mapping[str, Any] | None = None,
    on_corruption: str = "raise",
    threads: int | None = None,
) -> Any:
    """The :class:`~turboavro.Columns` of the records of one split (rows passing
    ``filters``). Errors name the file's path or URL and the offset."""
    from .columnar.selection import read_selected

    with _split_reader(split, storage_options, on_corruption) as r:
        return read_selected(r, columns, reader_schema, threads, filters)


def iter_split_batches(
    split: Split,
    batch_size: int = 65536,
    columns: Any = None,
    reader_schema: Any = None,
    filters: Any = None,
    storage_options: Mapping[str, Any] | None = None,
    on_corruption: str = "raise",
) -> Iterator[Any]:
    """The records of one split as :class:`~turboavro.Columns` batches of at most
    ``batch_size`` rows (fewer where filters dropped rows; empty batches are not yielded)."""
    from .columnar.selection import iter_selected

    with _split_reader(split, storage_options, on_corruption) as r:
        yield from iter_selected(r, batch_size, columns, reader_schema, filters)


def dataset_schema(source: Any, reader_schema: Any = None,
                   storage_options: Mapping[str, Any] | None = None) -> Schema:
    """The schema a dataset is read as: ``reader_schema``, else its first file's schema."""
    if reader_schema is not None:
        return Schema.parse(reader_schema)
    return read_header(expand(source, storage_options)[0], storage_options).schema


def empty_columns(writer_schema: Any, reader_schema: Any = None, columns: Any = None) -> Any:
    """:class:`~turboavro.Columns` with no rows, of the columns a read of data written
    with ``writer_schema`` as ``reader_schema`` gives: the types of a dataset from its
    header alone (Dask's ``meta``, Polars' schema)."""
    from ._kernels import _columns as _k
    from .columnar.planning import _compile
    from .columnar.reading import _finish

    writer = Schema.parse(writer_schema)
    reader = None if reader_schema is None else Schema.parse(reader_schema)
    comp = _compile(writer, reader, columns)
    return _finish(_k._Chunk(comp.plan, {}), comp)


def read_dataset(
    source: Any,
    columns: Any = None,
    reader_schema: Any = None,
    filters: Any = None,
    storage_options: Mapping[str, Any] | None = None,
    threads: int | None = None,
    on_corruption: str = "raise",
) -> Any:
    """Every file of ``source`` (a list, glob or directory) read as one reader schema
    (``reader_schema``, else the first file's), columns joined in file order."""
    from .columnar.selection import concat_columns

    paths = expand(source, storage_options)
    heads = _headers(paths, storage_options)
    reader = Schema.parse(reader_schema) if reader_schema is not None else heads[0].schema
    parts = [
        read_split(Split(h.path, 0, h.size, h.size, h.header, i), columns, reader, filters,
                   storage_options, on_corruption, threads)
        for i, h in enumerate(heads)
    ]
    empty = empty_columns(heads[0].schema, reader, columns)
    return concat_columns(parts, empty)


def iter_dataset_batches(
    source: Any,
    batch_size: int = 65536,
    columns: Any = None,
    reader_schema: Any = None,
    filters: Any = None,
    storage_options: Mapping[str, Any] | None = None,
    blocksize: Any = None,
    on_corruption: str = "raise",
) -> Iterator[Any]:
    """The records of every file of ``source``, as one reader schema, in batches of at most
    ``batch_size`` rows: memory stays bounded by a batch and a block per file read."""
    splits = plan_splits(source, blocksize, storage_options)
    reader = (Schema.parse(reader_schema) if reader_schema is not None
              else Reader(io.BytesIO(splits[0].header)).schema)
    for split in splits:
        yield from iter_split_batches(split, batch_size, columns, reader, filters,
                                      storage_options, on_corruption)


def to_record_batch_reader(
    source: Any,
    batch_size: int = 65536,
    columns: Any = None,
    reader_schema: Any = None,
    filters: Any = None,
    storage_options: Mapping[str, Any] | None = None,
) -> Any:
    """A ``pyarrow.RecordBatchReader`` streaming a dataset (see
    :func:`iter_dataset_batches`): bounded memory, for ``pyarrow``, DuckDB, Polars..."""
    import pyarrow as pa

    paths = expand(source, storage_options)
    head = read_header(paths[0], storage_options)
    reader = Schema.parse(reader_schema) if reader_schema is not None else head.schema
    schema = empty_columns(head.schema, reader, columns).to_arrow().schema

    def batches() -> Iterator[Any]:
        for cols in iter_dataset_batches(paths, batch_size, columns, reader, filters,
                                         storage_options):
            table = cols.to_arrow()
            if table.schema != schema:
                table = table.cast(schema)
            yield from table.to_batches()

    return pa.RecordBatchReader.from_batches(schema, batches())
