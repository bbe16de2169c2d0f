"""Polars frames from Avro: :func:`scan_avro` (a ``LazyFrame`` through Polars' IO-plugin
API) and :func:`read_avro` (eager).

``scan_avro`` registers a source with ``polars.io.plugins.register_io_source``: Polars hands
it the query's projection (only those columns are decoded), its predicate (applied to every
batch as it is decoded, so filtered-out rows go no further), a row limit (decoding stops
once it is reached) and a batch size. The schema comes from the first file's header alone.

Types follow Polars' conventions, at any depth: enums are ``Enum`` (the reader schema's
symbols), records inside collections ``Struct`` (top-level records are flattened to dotted
columns, as in :class:`~turboavro.Columns`), arrays ``List``, maps
``List(Struct({"key": String, "value": ...}))``, decimals ``Decimal``, ``timestamp-*``
``Datetime`` with ``time_zone="UTC"`` (``local-timestamp-*`` without one), dates ``Date``,
``time-millis``/``time-micros`` ``Time``, fixed and bytes ``Binary``... Unions other
than ``["null", T]`` (which Polars cannot hold) become a ``Struct`` with one nullable field
per non-null branch, named by the branch's type, of which each row sets one.

Needs ``polars`` and ``pyarrow`` (``pip install 'turboavro[polars]'``).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from .columnar.columns import EnumColumn
from .dataset import (
    DEFAULT_BLOCKSIZE,
    dataset_schema,
    empty_columns,
    iter_dataset_batches,
    plan_splits,
    read_header,
    read_split,
)
from .schema import Schema
from .sources import expand

__all__ = ["scan_avro", "read_avro", "to_polars"]


def _polars_array(arr: Any) -> Any:
    """``arr`` in the Arrow types Polars' conventions want, at any depth: a dense union
    becomes a struct of its non-null branches, a map a list of ``{key, value}`` structs
    (a zero-copy view when its values need no change), a duration (time-millis/-micros)
    a time of day."""
    t = arr.type
    if pa.types.is_union(t):
        codes = np.asarray(arr.type_codes)
        offsets = np.asarray(arr.offsets)
        fields, names = [], []
        for j in range(t.num_fields):
            child = arr.field(j)
            if pa.types.is_null(child.type):
                if t.field(j).name == "null":
                    continue
                # fixed(0) with no values (numpy has no 0-byte strings): Binary all the same
                child = pa.nulls(len(child), pa.binary())
            sel = codes == t.type_codes[j]
            idx = pa.array(np.where(sel, offsets, 0), pa.int64(), mask=~sel)
            fields.append(_polars_array(child.take(idx)))  # keeps an enum's dictionary
            names.append(t.field(j).name)
        if not fields:
            return pa.nulls(len(arr))
        return pa.StructArray.from_arrays(fields, names)
    if pa.types.is_duration(t):  # time-millis/-micros: a time of day
        if t.unit == "ms":
            return arr.cast(pa.int64()).cast(pa.int32()).cast(pa.time32("ms"))
        return arr.cast(pa.int64()).cast(pa.time64(t.unit))
    if not _needs_change(t):
        return arr
    if pa.types.is_struct(t):
        kids = [_polars_array(arr.field(i)) for i in range(t.num_fields)]
        return pa.StructArray.from_arrays(kids, [f.name for f in t], mask=_nulls(arr))
    if pa.types.is_map(t):
        if not _needs_change(t.item_type):
            return arr.view(pa.list_(t.field(0)))  # same buffers: offsets, {key, value}
        entries = pa.StructArray.from_arrays([arr.keys, _polars_array(arr.items)],
                                             ["key", "value"])
        return pa.ListArray.from_arrays(arr.offsets, entries, mask=_nulls(arr))
    # a list of something that changes
    cls = pa.LargeListArray if pa.types.is_large_list(t) else pa.ListArray
    return cls.from_arrays(arr.offsets, _polars_array(arr.values), mask=_nulls(arr))


def _nulls(arr: Any) -> Any:
    return None if arr.null_count == 0 else arr.is_null()


def _needs_change(t: Any) -> bool:
    """Whether Arrow type ``t`` holds a union, a map or a duration (which :func:`_polars_array` turns
    into Polars' conventions)."""
    if pa.types.is_union(t) or pa.types.is_map(t) or pa.types.is_duration(t):
        return True
    if pa.types.is_struct(t):
        return any(_needs_change(f.type) for f in t)
    if pa.types.is_large_list(t) or pa.types.is_list(t):
        return _needs_change(t.value_type)
    return False


def to_polars(cols: Any) -> pl.DataFrame:
    """A ``polars.DataFrame`` of :class:`~turboavro.Columns` (types: see the module)."""
    table = cols.to_arrow()
    for i, (name, col) in enumerate(cols.items()):
        if isinstance(col, np.ndarray) and col.dtype == object and not len(col):
            # fixed(0) values are an object array of b"" (numpy has no 0-byte strings):
            # Binary, even when there are no rows to show it
            table = table.set_column(i, name, pa.array([], pa.binary()))
    if any(_needs_change(f.type) for f in table.schema):
        table = pa.Table.from_arrays(
            [_polars_array(c.combine_chunks()) if _needs_change(c.type) else c
             for c in table.columns], table.column_names)
    df = pl.from_arrow(table, rechunk=False)
    assert isinstance(df, pl.DataFrame)
    enums = {name: pl.Enum(list(col.categories)) for name, col in cols.items()
             if isinstance(col, EnumColumn)}
    for name, dtype in df.schema.items():
        if name not in enums and _has_categorical(dtype):
            # enums inside lists, maps and records: Arrow dictionaries holding every symbol
            enums[name] = _with_enums(dtype, table.column(name).combine_chunks())
    if enums:
        df = df.with_columns([pl.col(n).cast(t) for n, t in enums.items()])
    return df


def _has_categorical(dtype: Any) -> bool:
    if isinstance(dtype, pl.Categorical):
        return True
    if isinstance(dtype, pl.List):
        return _has_categorical(dtype.inner)
    if isinstance(dtype, pl.Struct):
        return any(_has_categorical(f.dtype) for f in dtype.fields)
    return False


def _with_enums(dtype: Any, arr: Any) -> Any:
    """``dtype`` (of the Polars column made from Arrow array ``arr``) with each
    ``Categorical`` replaced by the ``Enum`` of its Arrow dictionary (an Avro enum's
    symbols)."""
    if isinstance(dtype, pl.Categorical) and pa.types.is_dictionary(arr.type):
        return pl.Enum(arr.dictionary.to_pylist())
    if isinstance(dtype, pl.List):
        return pl.List(_with_enums(dtype.inner, arr.values))
    if isinstance(dtype, pl.Struct):
        return pl.Struct([pl.Field(f.name, _with_enums(f.dtype, arr.field(i)))
                          for i, f in enumerate(dtype.fields)])
    return dtype


def _predicate_columns(predicate: Any) -> list[str]:
    try:
        return list(predicate.meta.root_names())
    except Exception:  # noqa: BLE001 - an expression Polars cannot analyse: read every column
        return []


def scan_avro(
    source: Any,
    *,
    reader_schema: Any = None,
    filters: Any = None,
    storage_options: Mapping[str, Any] | None = None,
    batch_size: int = 65536,
    blocksize: Any = DEFAULT_BLOCKSIZE,
) -> pl.LazyFrame:
    """A ``LazyFrame`` over ``source`` (a path, URL, glob, directory, or a list of them),
    read as ``reader_schema`` (default: the first file's schema). ``filters``: rows to keep
    (:mod:`turboavro.columnar.selection`), besides the query's own ``filter``.
    A query without a row limit decodes the files in byte ranges of about ``blocksize``
    bytes (``"128 MiB"``), each on the columnar reader's threads, and hands Polars one frame
    per range; with a limit (``head``/``limit``) it decodes batches of ``batch_size`` rows
    (or the size Polars asks for), and stops at the limit."""
    paths = expand(source, storage_options)
    head = read_header(paths[0], storage_options)
    reader = Schema.parse(reader_schema) if reader_schema is not None else head.schema
    schema = to_polars(empty_columns(head.schema, reader)).schema

    def io_source(with_columns: list[str] | None, predicate: Any, n_rows: int | None,
                  size: int | None) -> Iterator[pl.DataFrame]:
        columns: list[str] | None = None
        if with_columns is not None:
            columns = list(with_columns)
            if predicate is not None:
                names = _predicate_columns(predicate)
                if not names:
                    columns = None
                columns = None if columns is None else columns + [
                    n for n in names if n not in columns]
        left = n_rows
        if left is not None and left <= 0:
            return
        rows = size or batch_size
        if n_rows is not None and predicate is None and not filters:
            rows = min(rows, n_rows)  # decode no further than the limit
        if n_rows is None:
            # no limit: each split is decoded whole, by the threaded columnar reader
            batches: Iterator[Any] = (
                read_split(split, columns, reader, filters, storage_options)
                for split in plan_splits(paths, blocksize, storage_options))
        else:
            batches = iter_dataset_batches(paths, rows, columns, reader, filters,
                                           storage_options, blocksize)
        for batch in batches:
            df = to_polars(batch)
            if predicate is not None:
                df = df.filter(predicate)
            if with_columns is not None:
                df = df.select(with_columns)
            if left is not None:
                df = df.head(left)
                left -= df.height
            if df.height:
                yield df
            if left is not None and left <= 0:
                return

    return pl.io.plugins.register_io_source(io_source, schema=schema,
                                            explain_name="turboavro",
                                            explain_detail=f"{len(paths)} file(s)")


def read_avro(
    source: Any,
    columns: Sequence[str] | None = None,
    *,
    reader_schema: Any = None,
    filters: Any = None,
    storage_options: Mapping[str, Any] | None = None,
    n_rows: int | None = None,
    threads: int | None = None,
) -> pl.DataFrame:
    """A ``polars.DataFrame`` of ``source`` (a path, URL, file object, bytes, glob,
    directory, or a list of them): :func:`turboavro.read_columns` on ``threads`` threads,
    then :func:`to_polars`. ``n_rows``: at most that many rows."""
    from .columnar.api import read_columns

    if n_rows is not None:
        frame = scan_avro(source, reader_schema=reader_schema, filters=filters,
                          storage_options=storage_options)
        if columns is not None:
            frame = frame.select(list(columns))
        return frame.head(n_rows).collect()
    if reader_schema is None and isinstance(source, (list, tuple)):
        reader_schema = dataset_schema(source, None, storage_options)
    cols = read_columns(source, columns, reader_schema, threads, filters=filters,
                        storage_options=storage_options)
    return to_polars(cols)
