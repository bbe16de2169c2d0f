"""Dask dataframes over Avro datasets: :func:`read_avro` and :func:`to_avro`.

``read_avro`` plans byte-range splits of every file (:func:`turboavro.dataset.plan_splits`:
one header read per file, no data) and builds the dataframe with ``dask.dataframe.from_map``,
one partition per split. Its reading function takes a ``columns=`` keyword, so Dask's
optimizer pushes a column selection (``ddf[["a", "b"]]``) into the read: the other fields
are skipped without being decoded. ``meta`` comes from the header alone.

Needs ``dask[dataframe]`` (``pip install 'turboavro[dask]'``), and fsspec plus the
filesystem's package for URLs (``turboavro[s3]``...).
"""
from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dask
import dask.dataframe as dd
import pandas as pd

from .container import Reader
from .dataset import (
    DEFAULT_BLOCKSIZE,
    Split,
    empty_columns,
    plan_splits,
    read_split,
)
from .schema import Schema

__all__ = ["read_avro", "to_avro"]

_BACKENDS = ("numpy_nullable", "pyarrow")


def _to_pandas(cols: Any, dtype_backend: str) -> pd.DataFrame:
    """A partition of :class:`~turboavro.Columns`: ``numpy_nullable`` gives the types of
    ``Columns.to_pandas()`` for numbers, booleans, enums and timestamps, pandas ``str`` for
    strings, and ``pandas.ArrowDtype`` for bytes, fixed, decimals, lists, maps, records
    inside collections and unions (object columns would be taken for strings by Dask);
    ``pyarrow`` gives ``pandas.ArrowDtype`` columns throughout."""
    if dtype_backend == "pyarrow":
        return cols.to_arrow().to_pandas(types_mapper=pd.ArrowDtype)
    import numpy as np

    from .columnar.columns import BinaryColumn, EnumColumn, _to_pandas, _values_to_arrow

    data: dict[str, Any] = {}
    for name, col in cols.items():
        if isinstance(col, BinaryColumn) and col.is_string:
            # through Arrow: pandas' own text dtype (``str``) without Python objects
            data[name] = col.to_arrow().to_pandas()
        elif isinstance(col, EnumColumn) or (
                isinstance(col, np.ndarray) and col.dtype.kind not in "SO"):
            data[name] = _to_pandas(col, name in cols.utc)
        else:
            data[name] = pd.arrays.ArrowExtensionArray(_values_to_arrow(col))
    return pd.DataFrame(data, index=pd.RangeIndex(cols.num_rows))


class _ReadSplit:
    """The partition function ``from_map`` calls with one :class:`Split` (picklable; its
    ``columns=`` keyword lets Dask push projections in)."""

    def __init__(self, reader_schema: Schema, filters: Any, storage_options: Any,
                 path_column: str | None, paths: list[str], dtype_backend: str,
                 on_corruption: str) -> None:
        self.reader_schema = reader_schema
        self.filters = filters
        self.storage_options = storage_options
        self.path_column = path_column
        self.paths = paths
        self.dtype_backend = dtype_backend
        self.on_corruption = on_corruption

    def __call__(self, split: Split, columns: Sequence[str] | None = None) -> pd.DataFrame:
        want = None
        if columns is not None:
            want = [c for c in columns if c != self.path_column]
        cols = read_split(split, want, self.reader_schema, self.filters, self.storage_options,
                          self.on_corruption, threads=1)
        df = _to_pandas(cols, self.dtype_backend)
        if self.path_column is not None and (columns is None or self.path_column in columns):
            df[self.path_column] = pd.Categorical.from_codes(
                [self.paths.index(split.path)] * len(df), categories=self.paths)
        if columns is not None:
            df = df[list(columns)]
        return df


def read_avro(
    urlpath: Any,
    columns: Sequence[str] | None = None,
    reader_schema: Any = None,
    blocksize: Any = DEFAULT_BLOCKSIZE,
    filters: Any = None,
    storage_options: Mapping[str, Any] | None = None,
    include_path_column: bool | str = False,
    dtype_backend: str = "numpy_nullable",
    on_corruption: str = "raise",
) -> Any:
    """A ``dask.dataframe.DataFrame`` of the records of ``urlpath`` (a path, URL, glob,
    directory, or a list of them).

    ``columns``: the columns to read (dotted names inside records); ``reader_schema``: the
    schema every file is read as (default: the first file's); ``blocksize``: bytes per
    partition (``"128 MiB"``; None: one partition per file); ``filters``: rows to keep
    (:mod:`turboavro.columnar.selection`), applied as each partition is read;
    ``storage_options``: the filesystem's options (``{"anon": True}``,
    ``{"client_kwargs": {"endpoint_url": ...}}``); ``include_path_column``: add a
    categorical column of each row's file (named ``"path"``, or the string given);
    ``dtype_backend``: ``"numpy_nullable"`` (:meth:`Columns.to_pandas` types) or
    ``"pyarrow"`` (``pandas.ArrowDtype``); ``on_corruption``: ``"raise"`` or ``"skip"``
    (see :class:`turboavro.Reader`)."""
    if dtype_backend not in _BACKENDS:
        raise ValueError(f"dtype_backend must be one of {_BACKENDS}, not {dtype_backend!r}")
    if on_corruption not in ("raise", "skip"):
        raise ValueError(f"on_corruption must be 'raise' or 'skip', not {on_corruption!r}")
    splits = plan_splits(urlpath, blocksize, storage_options)
    writer = Reader(io.BytesIO(splits[0].header)).schema
    reader = Schema.parse(reader_schema) if reader_schema is not None else writer
    path_column = None
    if include_path_column:
        path_column = include_path_column if isinstance(include_path_column, str) else "path"
    paths = list(dict.fromkeys(s.path for s in splits))
    meta = _to_pandas(empty_columns(writer, reader), dtype_backend)
    if path_column is not None:
        if path_column in meta.columns:
            raise ValueError(f"include_path_column: {path_column!r} is already a column")
        meta[path_column] = pd.Categorical([], categories=paths)
    func = _ReadSplit(reader, filters, storage_options, path_column, paths, dtype_backend,
                      on_corruption)
    # Partitions hold Arrow-backed strings already (pandas' ``str`` or ArrowDtype): Dask's
    # string conversion (``dataframe.convert-string``) would add a task per partition that
    # changes nothing, so the frame is built without it.
    with dask.config.set({"dataframe.convert-string": False}):
        ddf = dd.from_map(func, splits, meta=meta, label="read-avro", enforce_metadata=False)
    if columns is not None:
        ddf = ddf[list(columns)]
    return ddf


def _schema_of(meta: pd.DataFrame) -> Schema:
    """The writer schema of a frame's ``meta``: :func:`turboavro.columnar.infer_schema` of
    its Arrow form, with text columns (and object columns, whose values meta cannot show)
    as nullable strings."""
    import pyarrow as pa

    from .columnar import infer_schema

    table = pa.Table.from_pandas(meta, preserve_index=False)
    text = [f.name for f in table.schema
            if pa.types.is_null(f.type) or pa.types.is_string(f.type)
            or pa.types.is_large_string(f.type)]
    table = pa.table({f.name: pa.array([], pa.large_string()) if f.name in text
                      else table.column(f.name) for f in table.schema})
    base = infer_schema(table).to_json()
    for f in base["fields"]:
        if f["name"] in text:
            f["type"] = ["null", "string"]
    return Schema.parse(base)


def _write_part(df: pd.DataFrame, url: str, schema: Schema, codec: str,
                storage_options: Mapping[str, Any] | None) -> int:
    from .columnar import write_columns
    from .sources import is_url, url_to_fs

    if is_url(url):
        fs, path = url_to_fs(url, storage_options)
        with fs.open(path, "wb") as f:
            return write_columns(f, _arrow(df), schema, codec)
    return write_columns(url, _arrow(df), schema, codec)


def _arrow(df: pd.DataFrame) -> Any:
    import pyarrow as pa

    return pa.Table.from_pandas(df, preserve_index=False)


def to_avro(
    df: Any,
    urlpath: str,
    schema: Any = None,
    codec: str = "zstandard",
    name_function: Callable[[int], str] | None = None,
    storage_options: Mapping[str, Any] | None = None,
    compute: bool = True,
) -> Any:
    """Write a Dask dataframe as one Avro file per partition: ``urlpath`` is a directory
    (files ``part.0.avro``, ``part.1.avro``...) or a name with one ``*`` replaced by
    ``name_function(i)`` (default ``str(i)``). ``schema``: the writer schema (default:
    inferred from ``df._meta``, text columns as nullable strings). Returns the number of
    records written per file (or the delayed values with ``compute=False``)."""
    import dask

    schema_ = Schema.parse(schema) if schema is not None else _schema_of(df._meta)
    name = name_function or str
    n = df.npartitions
    if "*" in urlpath:
        urls = [urlpath.replace("*", name(i)) for i in range(n)]
    else:
        base = urlpath.rstrip("/")
        urls = [f"{base}/part.{name(i)}.avro" for i in range(n)]
        from .sources import is_url, url_to_fs

        if is_url(base):
            fs, path = url_to_fs(base, storage_options)
            fs.makedirs(path, exist_ok=True)
        else:
            import os

            os.makedirs(base, exist_ok=True)
    parts = df.to_delayed()
    writes = [dask.delayed(_write_part)(part, url, schema_, codec, storage_options)
              for part, url in zip(parts, urls, strict=True)]
    if not compute:
        return writes
    return list(dask.compute(*writes))
