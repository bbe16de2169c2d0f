"""Columns in: numpy arrays, masked arrays, column objects, pandas Series/DataFrames and
Arrow arrays/tables normalised to what the column encoder takes."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..schema import Schema
from .columns import (
    BinaryColumn,
    Columns,
    EnumColumn,
    ListColumn,
    MapColumn,
    StructColumn,
)

_INT_RANGE = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_UNIT_OF_LOGICAL = {
    "date": "D",
    "time-millis": "ms",
    "time-micros": "us",
    "timestamp-millis": "ms",
    "timestamp-micros": "us",
    "timestamp-nanos": "ns",
    "local-timestamp-millis": "ms",
    "local-timestamp-micros": "us",
    "local-timestamp-nanos": "ns",
}


def _from_arrow(arr: Any) -> Any:
    """A column object (numpy-backed) of a pyarrow array."""
    import pyarrow as pa
    import pyarrow.types as pat

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    typ = arr.type
    valid = None
    if arr.null_count:
        valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if pat.is_dictionary(typ):
        codes = arr.indices.fill_null(0).to_numpy(zero_copy_only=False)
        return EnumColumn(codes, tuple(str(s) for s in arr.dictionary.to_pylist()), valid)
    if pat.is_string(typ) or pat.is_large_string(typ) or pat.is_binary(typ) or pat.is_large_binary(typ):
        large = pat.is_large_string(typ) or pat.is_large_binary(typ)
        bufs = arr.buffers()
        offs = np.frombuffer(bufs[1], np.int64 if large else np.int32)[
            arr.offset : arr.offset + len(arr) + 1
        ].astype(np.int64)
        data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
        return BinaryColumn(offs, data, pat.is_string(typ) or pat.is_large_string(typ), valid)
    if pat.is_fixed_size_binary(typ):
        vals = arr.fill_null(b"\0" * typ.byte_width).to_pylist()
        out = np.array(vals, dtype=f"S{typ.byte_width}") if vals else np.zeros(0, f"S{typ.byte_width}")
        return out if valid is None else np.ma.MaskedArray(out, mask=~valid)
    if pat.is_list(typ) or pat.is_large_list(typ):
        offs = arr.offsets.to_numpy().astype(np.int64)
        values = _from_arrow(arr.values.slice(offs[0], offs[-1] - offs[0]))
        return ListColumn(offs - offs[0], values, valid)
    if pat.is_map(typ):
        offs = arr.offsets.to_numpy().astype(np.int64)
        keys = _from_arrow(arr.keys.slice(offs[0], offs[-1] - offs[0]))
        items = _from_arrow(arr.items.slice(offs[0], offs[-1] - offs[0]))
        return MapColumn(offs - offs[0], keys, items, valid)
    if pat.is_struct(typ):
        fields = {typ.field(i).name: _from_arrow(arr.field(i)) for i in range(typ.num_fields)}
        return StructColumn(fields, len(arr), valid)
    if pat.is_decimal(typ):
        out = np.empty(len(arr), dtype=object)
        out[:] = arr.to_pylist()
        return out
    if pat.is_timestamp(typ):
        data = arr.cast(pa.int64()).fill_null(0).to_numpy().view(f"M8[{typ.unit}]")
    elif pat.is_date32(typ):
        data = arr.cast(pa.int32()).fill_null(0).to_numpy().astype("M8[D]")
    else:
        filled = arr.fill_null(False if pat.is_boolean(typ) else 0) if valid is not None else arr
        data = filled.to_numpy(zero_copy_only=False)
    return data if valid is None else np.ma.MaskedArray(data, mask=~valid)


def _from_pandas(series: Any) -> tuple[Any, bool]:
    """(column, is UTC instant) of a pandas Series."""
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = np.asarray(series.cat.codes)
        cats = tuple(str(c) for c in dtype.categories)
        valid = codes >= 0
        return EnumColumn(np.where(valid, codes, 0).astype(codes.dtype), cats, None if valid.all() else valid), False
    if isinstance(dtype, pd.DatetimeTZDtype):
        vals = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        mask = np.isnat(vals)
        return (np.ma.MaskedArray(vals, mask=mask) if mask.any() else vals), True
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(series.array, "_data") and hasattr(series.array, "_mask"):
        data = np.asarray(series.array._data)
        mask = np.asarray(series.array._mask)
        return (np.ma.MaskedArray(data, mask=mask) if mask.any() else data), False
    if dtype.kind == "M":
        vals = series.to_numpy()
        mask = np.isnat(vals)
        return (np.ma.MaskedArray(vals, mask=mask) if mask.any() else vals), False
    if dtype.kind in "biuf":
        return series.to_numpy(), False
    out = np.empty(len(series), dtype=object)
    out[:] = [None if (v is None or v is pd.NA or (isinstance(v, float) and v != v)) else v for v in series.tolist()]
    return out, False


def _normalize(columns: Any) -> tuple[dict[str, Any], set[str], Schema | None]:
    """name -> column objects / numpy arrays; names holding UTC instants; a schema if the
    input carries one (Columns)."""
    utc: set[str] = set()
    if isinstance(columns, Columns):
        return dict(columns.items()), set(columns.utc), columns.schema
    mod = type(columns).__module__
    if mod.startswith("pyarrow"):
        import pyarrow as pa

        out = {}
        for name in columns.column_names:
            col = columns.column(name)
            if pa.types.is_timestamp(col.type) and col.type.tz is not None:
                utc.add(name)
            out[name] = _from_arrow(col)
        return out, utc, None
    if mod.startswith("pandas"):
        out = {}
        for name in columns.columns:
            col, is_utc = _from_pandas(columns[name])
            out[str(name)] = col
            if is_utc:
                utc.add(str(name))
        return out, utc, None
    out = {}
    for name, col in dict(columns).items():
        if isinstance(col, (list, tuple)):
            arr = np.empty(len(col), dtype=object)
            arr[:] = list(col)
            col = arr
        out[str(name)] = col
    return out, utc, None


def _validity(col: Any) -> np.ndarray | None:
    if isinstance(col, np.ma.MaskedArray):
        m = np.ma.getmaskarray(col)
        return ~m if m.any() else None
    if isinstance(col, np.ndarray):
        if col.dtype == object:
            isnone = np.fromiter((v is None for v in col), bool, len(col))
            return ~isnone if isnone.any() else None
        if col.dtype.kind == "M" or col.dtype.kind == "m":
            nat = np.isnat(col)
            return ~nat if nat.any() else None
        return None
    return getattr(col, "validity", None)


