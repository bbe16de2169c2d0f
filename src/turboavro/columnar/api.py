"""The public columnar functions: ``read_columns``, ``iter_batches`` and ``write_columns``.

They open sources and destinations through the container layer (``Reader`` frames the blocks,
``Writer`` writes the header and frames the blocks) and hand the open objects to ``reading``
and ``writing``.
"""
from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Mapping
from typing import Any

from ..codecs import get_codec
from ..container import Reader, Writer
from ..schema import Schema
from ..sources import is_dataset, is_url, naming
from .columns import Columns
from .selection import iter_selected, read_selected
from .writing import encode_columns

__all__ = ["iter_batches", "read_columns", "write_columns"]


def read_columns(
    source: Any,
    columns: Any = None,
    reader_schema: Any = None,
    threads: int | None = None,
    *,
    filters: Any = None,
    storage_options: Mapping[str, Any] | None = None,
) -> Columns:
    """Read a whole container file into columns (see :mod:`turboavro.columnar` for the types).

    ``columns``: names to build (top-level field names or dotted names inside records); the
    other fields are skipped without decoding. ``reader_schema``: read as this schema (field
    projection/reordering, defaults for missing fields, promotions, enum symbol mapping).
    ``threads``: worker threads (default ``os.cpu_count()``; fewer when the file is small:
    each thread gets at least 1 MiB of stored blocks); results do not depend on it.
    ``source``: a path, binary file object, bytes, or an open ``container.Reader`` (whose
    ``reader_schema`` applies unless one is given here). A plain file (a path, or a file
    object over one) is read block by block by the threads, and memory holds the columns
    and a block per thread; other sources, and files with damage to report or skip, are
    first read whole. A file object or Reader is left at the end of the file.

    ``source`` may also be an fsspec URL (``s3://...``, opened with ``storage_options``: a
    remote object is fetched by concurrent byte ranges, see :mod:`turboavro.sources`), or a
    dataset: a list of paths/URLs, a glob or a directory, read as one reader schema (the one
    given, else the first file's) with the files' columns joined in order
    (:func:`turboavro.dataset.read_dataset`). ``filters``: keep only the rows passing them
    (``[("price", ">", 10), ("kind", "in", ["a", "b"])]``; see
    :mod:`turboavro.columnar.selection`). Errors about a named source say its path or URL.
    """
    if is_dataset(source, storage_options):
        from ..dataset import read_dataset

        return read_dataset(source, columns, reader_schema, filters, storage_options, threads)
    with naming(source if is_url(source) else None), _opened(source, storage_options) as src:
        return read_selected(src, columns, reader_schema, threads, filters)


def iter_batches(
    source: Any,
    batch_size: int = 65536,
    columns: Any = None,
    reader_schema: Any = None,
    *,
    filters: Any = None,
    storage_options: Mapping[str, Any] | None = None,
) -> Iterator[Columns]:
    """Yield :class:`Columns` of ``batch_size`` records (the last batch may be shorter),
    decoding block by block: memory stays bounded by one batch plus one block.

    ``source``: a path, file object, bytes, or an open ``container.Reader`` (its
    ``reader_schema`` is used unless ``reader_schema`` is given). ``Reader.iter_batches`` runs
    the same code on the open reader.

    ``source`` may also be a URL or a dataset (a list, glob or directory: see
    :func:`read_columns`), ``storage_options`` its filesystem's options. ``filters``: only
    rows passing them are yielded (a batch then holds up to ``batch_size`` rows; batches
    left empty are not yielded).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if is_dataset(source, storage_options):
        from ..dataset import iter_dataset_batches

        yield from iter_dataset_batches(source, batch_size, columns, reader_schema, filters,
                                        storage_options)
        return
    with naming(source if is_url(source) else None), _opened(source, storage_options) as src:
        yield from iter_selected(src, batch_size, columns, reader_schema, filters)


@contextlib.contextmanager
def _opened(source: Any, storage_options: Mapping[str, Any] | None = None) -> Iterator[Reader]:
    """The container Reader of ``source``, the one block framer: a Reader given is used as
    is (and left open), one opened here is closed on exit."""
    if isinstance(source, Reader):
        yield source
        return
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(source)
    with Reader(source, readahead=False, storage_options=storage_options) as r:
        yield r


def write_columns(
    dest: Any,
    columns: Any,
    schema: Any = None,
    codec: str = "deflate",
    *,
    codec_level: int | None = None,
    sync_interval: int = 64000,
    metadata: dict[str, bytes | str] | None = None,
) -> int:
    """Write columns as an Avro container file; returns the number of records.

    ``columns``: a mapping of name -> numpy array (masked arrays -> nullable unions), column
    object (:class:`BinaryColumn`, :class:`EnumColumn`, ...) or list; a ``pandas.DataFrame``;
    a ``pyarrow.Table``; or :class:`Columns` from :func:`read_columns`. Dotted names fill
    nested records. ``schema``: the writer schema; inferred when None (docs/performance.md,
    "Writing columns"). Rows are encoded by the native kernel straight into block buffers.
    """
    schema_, n, blocks = encode_columns(columns, schema, sync_interval)
    _write_container(dest, schema_, blocks, codec, codec_level, sync_interval, metadata)
    return n


def _write_container(
    dest: Any,
    schema: Schema,
    blocks: Iterator[tuple[int, bytes]],
    codec: str,
    level: int | None,
    sync_interval: int,
    metadata: dict[str, bytes | str] | None,
) -> None:
    """Header and block framing by the container Writer; blocks are compressed here and
    appended whole (``write_raw_block``)."""
    c = get_codec(codec)
    with Writer(dest, schema, codec=codec, codec_level=level, sync_interval=sync_interval,
                metadata=metadata) as w:
        for count, data in blocks:
            w.write_raw_block(count, data if codec == "null" else c.compress(data, level))
