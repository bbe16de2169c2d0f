"""Columnar reading and writing: Avro container files straight into numpy arrays and back.

``read_columns`` compiles the writer schema x reader schema x projection ONCE into a column
plan (a flat array of C nodes, ``_kernels/_columns.pyx``), then decodes every block with the
GIL released into growable column buffers that numpy takes over without a copy. A plain file
is framed from its block headers alone, and each thread reads the blocks it decodes (no copy
of the file is held). Blocks are decompressed and decoded on ``threads`` worker threads (each
decodes a contiguous run of blocks, and takes over the end of a slower thread's run; the
chunks are joined in file order, so results do not depend on the thread count).

Column representation (see docs/performance.md, "Columnar"):

=============================  ==============================================================
Avro type                      column
=============================  ==============================================================
boolean                        ``bool`` array
int / long                     ``int32`` / ``int64``
float / double                 ``float32`` / ``float64``
enum                           :class:`EnumColumn` (int8/16/32 codes + ``categories``)
string / bytes                 :class:`BinaryColumn` (int64 offsets + uint8 data: Arrow
                               ``large_string`` / ``large_binary`` layout)
fixed                          ``S{size}`` array
date                           ``datetime64[D]``
time-millis / time-micros      ``timedelta64[ms]`` / ``timedelta64[us]``
timestamp-millis/micros/nanos  ``datetime64[ms/us/ns]`` (UTC; tz-aware in pandas/Arrow)
local-timestamp-*              ``datetime64[...]`` (naive)
decimal                        :class:`DecimalColumn` (raw two's complement + precision/scale;
                               ``to_numpy()`` gives ``decimal.Decimal`` objects)
["null", T] (either order)     T's column with a validity mask (``numpy.ma.MaskedArray``
                               for fixed-width T; a ``validity`` array otherwise)
record                         top level and nested records: dotted names (``place.city``);
                               inside arrays/maps/unions: :class:`StructColumn`
array / map                    :class:`ListColumn` / :class:`MapColumn` (int64 offsets +
                               child columns; map keys a string column)
other unions                   :class:`UnionColumn` (int8 type codes + one child column per
                               branch, Arrow dense-union layout)
=============================  ==============================================================

A file whose schema is not a record gives one column named ``"value"``.
"""
from __future__ import annotations

import decimal as _decimal
import io
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._kernels import _columns as _k
from .container import _NFIELDS, _min_datum_size
from .errors import (
    CodecError,
    DecodeError,
    EncodeError,
    SchemaError,
    SchemaResolutionError,
    _block_codec_error,
    _cut_block_error,
    _trailing_bytes_error,
)
from .resolution import best_branch, default_to_python, schemas_match
from .schema import Schema

__all__ = [
    "BinaryColumn",
    "Columns",
    "DecimalColumn",
    "EnumColumn",
    "ListColumn",
    "MapColumn",
    "StructColumn",
    "UnionColumn",
    "iter_batches",
    "read_columns",
    "write_columns",
]

_OPS = _k.OPS
_ROOT_NAME = "value"

# ----------------------------------------------------------------------------------------------
# Column objects
# ----------------------------------------------------------------------------------------------


def _apply_mask(valid: np.ndarray | None, more: np.ndarray | None) -> np.ndarray | None:
    if valid is None:
        return more
    if more is None:
        return valid
    return valid & more


def _bitmap(valid: np.ndarray | None) -> Any:
    """Arrow validity bitmap (LSB first) of a bool array, or None when every value is valid."""
    if valid is None or bool(valid.all()):
        return None
    import pyarrow as pa

    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def _values_to_arrow(col: Any) -> Any:
    """Arrow array of any column (numpy array, masked array, or column object)."""
    import pyarrow as pa

    if hasattr(col, "to_arrow"):
        return col.to_arrow()
    mask = None
    if isinstance(col, np.ma.MaskedArray):
        mask = np.ma.getmaskarray(col)
        data = col.data
    else:
        data = col
    if data.dtype.kind == "S":
        size = data.dtype.itemsize
        valid = None if mask is None else ~mask
        return pa.Array.from_buffers(
            pa.binary(size), len(data), [_bitmap(valid), pa.py_buffer(np.ascontiguousarray(data))]
        )
    return pa.array(data, mask=mask)


def _values_to_object(col: Any) -> np.ndarray:
    """Object array of Python values (None for nulls) of any column."""
    if hasattr(col, "to_numpy") and not isinstance(col, np.ndarray):
        arr = col.to_numpy()
        return arr if arr.dtype == object else arr.astype(object)
    if isinstance(col, np.ma.MaskedArray):
        out = _values_to_object(col.data)
        out[np.ma.getmaskarray(col)] = None
        return out
    if col.dtype.kind == "S":
        # numpy's S scalars drop trailing NUL bytes: slice the raw bytes instead
        size = col.dtype.itemsize
        raw = np.ascontiguousarray(col).tobytes()
        out = np.empty(len(col), dtype=object)
        out[:] = [raw[i : i + size] for i in range(0, len(raw), size)]
        return out
    return col.astype(object)


@dataclass(eq=False)
class BinaryColumn:
    """Strings or bytes in the Arrow ``large_string``/``large_binary`` layout: value ``i`` is
    ``data[offsets[i]:offsets[i+1]]``. ``validity`` (bool, or None) marks non-null rows."""

    offsets: np.ndarray  # int64, len + 1 entries
    data: np.ndarray  # uint8
    is_string: bool = True
    validity: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str | bytes | None:
        if self.validity is not None and not self.validity[i]:
            return None
        raw = self.data[self.offsets[i] : self.offsets[i + 1]].tobytes()
        return raw.decode("utf-8") if self.is_string else raw

    def to_numpy(self) -> np.ndarray:
        """Object array of ``str`` (or ``bytes``), None for nulls."""
        raw = self.data.tobytes()
        offs = self.offsets.tolist()
        vals: list[Any]
        if self.is_string:
            vals = [raw[a:b].decode("utf-8") for a, b in zip(offs, offs[1:], strict=False)]
        else:
            vals = [raw[a:b] for a, b in zip(offs, offs[1:], strict=False)]
        out = np.empty(len(vals), dtype=object)
        out[:] = vals
        if self.validity is not None:
            out[~self.validity] = None
        return out

    def to_arrow(self) -> Any:
        """Zero-copy ``pyarrow.large_string()`` (or ``large_binary()``) array."""
        import pyarrow as pa

        typ = pa.large_string() if self.is_string else pa.large_binary()
        return pa.Array.from_buffers(
            typ,
            len(self),
            [_bitmap(self.validity), pa.py_buffer(self.offsets), pa.py_buffer(self.data)],
        )


@dataclass(eq=False)
class EnumColumn:
    """Enum symbols as integer ``codes`` into ``categories`` (the reader's symbols)."""

    codes: np.ndarray  # int8 / int16 / int32
    categories: tuple[str, ...]
    validity: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.codes)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.codes if dtype is None else self.codes.astype(dtype)

    def to_numpy(self) -> np.ndarray:
        """Object array of the symbols (None for nulls)."""
        cats = np.array(self.categories + (None,), dtype=object)
        codes = self.codes.astype(np.int64)
        if self.validity is not None:
            codes = np.where(self.validity, codes, len(self.categories))
        return cats[codes]

    def to_arrow(self) -> Any:
        import pyarrow as pa

        mask = None if self.validity is None else ~self.validity
        return pa.DictionaryArray.from_arrays(
            pa.array(self.codes, mask=mask), pa.array(list(self.categories), pa.string())
        )

    def to_pandas(self) -> Any:
        import pandas as pd

        codes = self.codes
        if self.validity is not None:
            codes = np.where(self.validity, codes, -1)
        return pd.Categorical.from_codes(codes, categories=list(self.categories))


# exact decimal arithmetic: the default context would round unscaled values past 28 digits
_EXACT = _decimal.Context(prec=_decimal.MAX_PREC)


@dataclass(eq=False)
class DecimalColumn:
    """Decimals (Avro specification, Logical Types: Decimal): ``raw`` holds the big-endian two's complement unscaled
    values (a :class:`BinaryColumn` for bytes, an ``S{n}`` array for fixed)."""

    raw: Any
    precision: int
    scale: int
    validity: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.raw)

    def unscaled(self) -> list[int | None]:
        vals = _values_to_object(self.raw).tolist()
        out: list[int | None] = [
            None if v is None else int.from_bytes(v, "big", signed=True) for v in vals
        ]
        if self.validity is not None:
            out = [None if not ok else v for v, ok in zip(out, self.validity, strict=False)]
        return out

    def to_numpy(self) -> np.ndarray:
        """Object array of :class:`decimal.Decimal` (None for nulls)."""
        out = np.empty(len(self), dtype=object)
        out[:] = [
            None if v is None else _decimal.Decimal(v).scaleb(-self.scale, _EXACT)
            for v in self.unscaled()
        ]
        return out

    def to_arrow(self) -> Any:
        import pyarrow as pa

        typ = (pa.decimal128 if self.precision <= 38 else pa.decimal256)(
            self.precision, self.scale
        )
        return pa.array(list(self.to_numpy()), typ)


@dataclass(eq=False)
class ListColumn:
    """Arrays: item ``values[offsets[i]:offsets[i+1]]`` of row ``i`` (Arrow large_list)."""

    offsets: np.ndarray  # int64
    values: Any
    validity: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def to_numpy(self) -> np.ndarray:
        """Object array of Python lists (None for nulls)."""
        items = _values_to_object(self.values).tolist()
        offs = self.offsets.tolist()
        out = np.empty(len(self), dtype=object)
        out[:] = [items[a:b] for a, b in zip(offs, offs[1:], strict=False)]
        if self.validity is not None:
            out[~self.validity] = None
        return out

    def to_arrow(self) -> Any:
        import pyarrow as pa

        mask = None if self.validity is None else pa.array(~self.validity)
        return pa.LargeListArray.from_arrays(
            pa.array(self.offsets), _values_to_arrow(self.values), mask=mask
        )


@dataclass(eq=False)
class MapColumn:
    """Maps: entries ``offsets[i]:offsets[i+1]`` of ``keys`` (strings) and ``values``."""

    offsets: np.ndarray  # int64
    keys: BinaryColumn
    values: Any
    validity: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def to_numpy(self) -> np.ndarray:
        """Object array of dicts (None for nulls)."""
        keys = self.keys.to_numpy().tolist()
        vals = _values_to_object(self.values).tolist()
        offs = self.offsets.tolist()
        out = np.empty(len(self), dtype=object)
        out[:] = [dict(zip(keys[a:b], vals[a:b], strict=False)) for a, b in zip(offs, offs[1:], strict=False)]
        if self.validity is not None:
            out[~self.validity] = None
        return out

    def to_arrow(self) -> Any:
        import pyarrow as pa

        if self.offsets[-1] >= 2**31:
            raise OverflowError("Arrow maps use int32 offsets: too many entries")
        mask = None if self.validity is None else pa.array(~self.validity)
        return pa.MapArray.from_arrays(
            pa.array(self.offsets.astype(np.int32)),
            self.keys.to_arrow().cast(pa.string()),
            _values_to_arrow(self.values),
            mask=mask,
        )


@dataclass(eq=False)
class StructColumn:
    """A record inside an array, map or union: one child column per field."""

    fields: dict[str, Any]
    length: int
    validity: np.ndarray | None = None

    def __len__(self) -> int:
        return self.length

    def to_numpy(self) -> np.ndarray:
        """Object array of dicts (None for nulls)."""
        names = list(self.fields)
        cols = [_values_to_object(c).tolist() for c in self.fields.values()]
        out = np.empty(self.length, dtype=object)
        out[:] = [dict(zip(names, row, strict=False)) for row in zip(*cols, strict=False)] if cols else [
            {} for _ in range(self.length)
        ]
        if self.validity is not None:
            out[~self.validity] = None
        return out

    def to_arrow(self) -> Any:
        import pyarrow as pa

        mask = None if self.validity is None else pa.array(~self.validity)
        if not self.fields:
            return pa.array([{}] * self.length, pa.struct([]), mask=mask)
        return pa.StructArray.from_arrays(
            [_values_to_arrow(c) for c in self.fields.values()], list(self.fields), mask=mask
        )


@dataclass(eq=False)
class UnionColumn:
    """A union other than ``["null", T]``: ``type_codes[i]`` is the reader branch of row
    ``i`` and ``offsets[i]`` its position in ``children[type_codes[i]]`` (Arrow dense union;
    a null branch has a ``None`` child)."""

    type_codes: np.ndarray  # int8
    children: list[Any]
    names: list[str]
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    def __len__(self) -> int:
        return len(self.type_codes)

    def to_numpy(self) -> np.ndarray:
        """Object array of the branch values (None for the null branch)."""
        kids = [None if c is None else _values_to_object(c) for c in self.children]
        out = np.empty(len(self), dtype=object)
        for code, kid in enumerate(kids):
            sel = self.type_codes == code
            if kid is not None:
                out[sel] = kid[self.offsets[sel]]
        return out

    def to_arrow(self) -> Any:
        import pyarrow as pa

        kids = []
        for code, c in enumerate(self.children):
            if c is None:
                kids.append(pa.nulls(int(np.count_nonzero(self.type_codes == code))))
            else:
                kids.append(_values_to_arrow(c))
        return pa.UnionArray.from_dense(
            pa.array(self.type_codes), pa.array(self.offsets), kids, self.names
        )


class Columns(Mapping[str, Any]):
    """Decoded columns by name (dotted for nested records), in schema order."""

    def __init__(
        self, columns: dict[str, Any], num_rows: int, schema: Schema, utc: dict[str, str]
    ) -> None:
        self._columns = columns
        self.num_rows = num_rows
        self.schema = schema  # the schema the columns follow (reader schema if one was given)
        self.utc = utc  # timestamp-* columns (UTC instants) -> unit

    def __getitem__(self, name: str) -> Any:
        return self._columns[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def __repr__(self) -> str:
        return f"Columns({self.num_rows} rows: {', '.join(self._columns)})"

    def to_arrow(self) -> Any:
        """A ``pyarrow.Table`` (zero-copy for numeric, string and list buffers)."""
        import pyarrow as pa

        arrays = []
        for name, col in self._columns.items():
            arr = _values_to_arrow(col)
            tz = self.utc.get(name)
            if tz is not None:
                arr = arr.cast(pa.timestamp(tz, tz="UTC"))
            arrays.append(arr)
        return pa.Table.from_arrays(arrays, names=list(self._columns))

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame``: nullable numeric dtypes for masked columns, ``Categorical``
        for enums, tz-aware UTC timestamps, objects for strings and nested values."""
        import pandas as pd

        data = {}
        for name, col in self._columns.items():
            data[name] = _to_pandas(col, name in self.utc)
        return pd.DataFrame(data, index=pd.RangeIndex(self.num_rows))


def _to_pandas(col: Any, utc: bool) -> Any:
    import pandas as pd

    if isinstance(col, EnumColumn):
        return col.to_pandas()
    if isinstance(col, np.ma.MaskedArray):
        mask = np.ma.getmaskarray(col)
        data = col.data
        kind = data.dtype.kind
        if kind in "iu":
            return pd.arrays.IntegerArray(data, mask)
        if kind == "f":
            return pd.arrays.FloatingArray(data, mask)
        if kind == "b":
            return pd.arrays.BooleanArray(data, mask)
        if kind in "Mm":
            vals = data.copy()
            vals[mask] = np.datetime64("NaT") if kind == "M" else np.timedelta64("NaT")
            s = pd.Series(vals)
            return s.dt.tz_localize("UTC") if utc else s
        return _values_to_object(col)
    if isinstance(col, np.ndarray):
        if col.dtype.kind == "M" and utc:
            return pd.Series(col).dt.tz_localize("UTC")
        if col.dtype.kind == "S":
            return _values_to_object(col)
        return col
    return _values_to_object(col)


# ----------------------------------------------------------------------------------------------
# Column specs (from the reader schema) and the plan (writer x reader x projection)
# ----------------------------------------------------------------------------------------------

_PRIM_DTYPE = {"boolean": "?", "int": "<i4", "long": "<i8", "float": "<f4", "double": "<f8"}
_DTYPE_WIDTH = {"?": 1, "<i4": 4, "<i8": 8, "<f4": 4, "<f8": 8}
# logical type -> (storage dtype, numpy view, tz unit or None)
_LOGICAL_VIEW = {
    "date": ("<i8", "M8[D]", None),
    "time-millis": ("<i8", "m8[ms]", None),
    "time-micros": ("<i8", "m8[us]", None),
    "timestamp-millis": ("<i8", "M8[ms]", "ms"),
    "timestamp-micros": ("<i8", "M8[us]", "us"),
    "timestamp-nanos": ("<i8", "M8[ns]", "ns"),
    "local-timestamp-millis": ("<i8", "M8[ms]", None),
    "local-timestamp-micros": ("<i8", "M8[us]", None),
    "local-timestamp-nanos": ("<i8", "M8[ns]", None),
}
# (writer type, reader storage dtype) -> decoding op (promotions: Avro specification, Schema Resolution)
_READ_OP = {
    ("boolean", "?"): "BOOL",
    ("int", "<i4"): "INT",
    ("int", "<i8"): "INT_L",
    ("int", "<f4"): "INT_F",
    ("int", "<f8"): "INT_D",
    ("long", "<i8"): "LONG",
    ("long", "<f4"): "LONG_F",
    ("long", "<f8"): "LONG_D",
    ("float", "<f4"): "FLOAT",
    ("float", "<f8"): "FLOAT_D",
    ("double", "<f8"): "DOUBLE",
}


@dataclass
class _Leaf:  # fixed-width values (incl. fixed S{n})
    col: int
    dtype: str
    view: str | None = None
    tz: str | None = None


@dataclass
class _Bin:
    off: int
    data: int
    is_string: bool


@dataclass
class _Enum:
    col: int
    width: int
    symbols: tuple[str, ...]
    schema: Any


@dataclass
class _Dec:
    raw: Any  # _Bin or _Leaf
    precision: int
    scale: int


@dataclass
class _List:
    off: int
    items: Any


@dataclass
class _Map:
    off: int
    koff: int
    kdata: int
    values: Any


@dataclass
class _Struct:
    schema: Any
    fields: dict[str, Any]


@dataclass
class _Nullable:
    valid: int
    inner: Any


@dataclass
class _Union:
    codes: int
    schema: Any
    branches: list[Any]  # spec per reader branch (None for null)


class _Null:
    pass


def _type_key(s: Schema) -> str:
    return getattr(s, "fullname", None) or s.type


def _nullable_parts(u: Schema) -> tuple[int, Schema] | None:
    """(index of null, the other branch) for a two-branch union with one null."""
    branches = u.branches
    if len(branches) != 2:
        return None
    kinds = [b.type == "null" for b in branches]
    if kinds.count(True) != 1:
        return None
    ni = kinds.index(True)
    return ni, branches[1 - ni]


class _Planner:
    """Builds the column plan: specs from the reader schema, nodes from writer x spec."""

    def __init__(self) -> None:
        self.nodes: list[list[Any]] = []
        self.kids: list[int] = []
        self.table: list[int] = []
        self.paths: list[str] = []
        self.col_width: list[int] = []  # element width of per-row columns (0: variable)
        self.col_per_row: list[bool] = []
        self.offset_cols: list[int] = []
        self._skip_memo: dict[int, int] = {}

    # -- columns ---------------------------------------------------------------------------------

    def _col(self, width: int, per_row: bool, offsets: bool = False) -> int:
        self.col_width.append(width)
        self.col_per_row.append(per_row)
        i = len(self.col_width) - 1
        if offsets:
            self.offset_cols.append(i)
        return i

    def spec(
        self,
        r: Schema,
        path: str,
        per_row: bool,
        select: Any = True,
        stack: tuple[int, ...] = (),
    ) -> Any:
        """Allocates the columns of reader type ``r``. ``select``: True (whole value) or the
        set of dotted sub-names selected (top-level records only)."""
        t = r.type
        lt = r.logical_type
        if t == "null":
            return _Null()
        if lt == "decimal" and t in ("bytes", "fixed"):
            inner = self.spec_plain(r, path, per_row)
            return _Dec(inner, int(r.precision), int(r.scale))  # type: ignore[arg-type]
        if lt in _LOGICAL_VIEW and t in ("int", "long"):
            dtype, view, tz = _LOGICAL_VIEW[lt]
            return _Leaf(self._col(8, per_row), dtype, view, tz)
        if t == "record":
            if id(r) in stack:
                raise SchemaError(f"recursive record {r.fullname} cannot be read as columns", path)
            fields = {}
            for f in r.fields:
                sub = self._select(select, f.name)
                if sub is None:
                    continue
                fields[f.name] = self.spec(
                    f.type, f"{path}.{f.name}", per_row, sub, stack + (id(r),)
                )
            return _Struct(r, fields)
        if t == "union":
            parts = _nullable_parts(r)
            if parts is not None:
                return _Nullable(self._col(1, per_row), self.spec(parts[1], path, per_row, select, stack))
            if len(r.branches) > 127:
                raise SchemaError("unions of more than 127 branches cannot be read as columns", path)
            codes = self._col(1, per_row)
            return _Union(
                codes,
                r,
                [
                    None if b.type == "null" else self.spec(b, f"{path}", False, True, stack)
                    for b in r.branches
                ],
            )
        if t == "array":
            off = self._col(8, per_row, offsets=True)
            return _List(off, self.spec(r.items, path + "[]", False, True, stack))
        if t == "map":
            off = self._col(8, per_row, offsets=True)
            koff = self._col(8, False, offsets=True)
            kdata = self._col(0, False)
            return _Map(off, koff, kdata, self.spec(r.values, path + "[]", False, True, stack))
        return self.spec_plain(r, path, per_row)

    def spec_plain(self, r: Schema, path: str, per_row: bool) -> Any:
        t = r.type
        if t in _PRIM_DTYPE:
            dtype = _PRIM_DTYPE[t]
            return _Leaf(self._col(_DTYPE_WIDTH[dtype], per_row), dtype)
        if t in ("string", "bytes"):
            return _Bin(self._col(8, per_row, offsets=True), self._col(0, False), t == "string")
        if t == "fixed":
            size = int(r.size)
            return _Leaf(self._col(size, per_row), f"S{size}")
        if t == "enum":
            n = len(r.symbols)
            width = 1 if n <= 127 else 2 if n <= 32767 else 4
            return _Enum(self._col(width, per_row), width, tuple(r.symbols), r)
        raise SchemaError(f"type {t} cannot be read as a column", path)

    @staticmethod
    def _select(select: Any, name: str) -> Any:
        if select is True:
            return True
        if name in select:
            return True
        prefix = name + "."
        sub = {s[len(prefix) :] for s in select if s.startswith(prefix)}
        return sub or None

    # -- nodes -----------------------------------------------------------------------------------

    def _node(
        self,
        op: str,
        path: str,
        col: int = -1,
        col2: int = -1,
        col3: int = -1,
        width: int = 0,
        size: int = 0,
        dflt: bytes | None = None,
    ) -> int:
        # [op, col, col2, col3, kids, nkids, table, ntable, width, fill, size, dflt]
        self.nodes.append([_OPS[op], col, col2, col3, 0, 0, -1, 0, width, 0, size, dflt])
        self.paths.append(path)
        return len(self.nodes) - 1

    def _set_kids(self, n: int, kids: list[int]) -> None:
        self.nodes[n][4] = len(self.kids)
        self.nodes[n][5] = len(kids)
        self.kids.extend(kids)

    def _set_table(self, n: int, table: list[int], ntable: int) -> None:
        self.nodes[n][6] = len(self.table)
        self.nodes[n][7] = ntable
        self.table.extend(table)

    def node(self, w: Schema, spec: Any, path: str, r: Schema) -> int:
        """The node decoding writer type ``w`` into ``spec`` (allocated from reader ``r``)."""
        if isinstance(spec, _Nullable):
            inner_r = _nullable_parts(r)[1]  # type: ignore[index]
            if w.type == "union":
                n = self._node("NULLABLE", path, spec.valid, width=1)
                kids: list[int] = []
                table: list[int] = []
                for b in w.branches:
                    k = None if b.type == "null" else self._branch(b, spec.inner, path, inner_r)
                    if b.type == "null":
                        table.append(-1)
                    elif k is not None:
                        table.append(len(kids))
                        kids.append(k)
                    else:
                        table.append(-2)
                fill = len(kids)
                kids.append(kids[0] if kids else self.node(inner_r, spec.inner, path, inner_r))
                self._set_kids(n, kids)
                self._set_table(n, table, len(table))
                self.nodes[n][9] = fill
                return n
            if w.type == "null":
                # the writer's null has no bytes: decode a one-branch union index 0 (null)
                # from a constant, through the nullable op
                n = self._node("NULLABLE", path, spec.valid, width=1)
                fill = self.node(inner_r, spec.inner, path, inner_r)
                self._set_kids(n, [fill])
                self._set_table(n, [-1], 1)
                d = self._node("DEFAULT", path, dflt=b"\x00")
                self._set_kids(d, [n])
                return d
            if not schemas_match(w, inner_r):
                raise SchemaResolutionError(f"writer {w.type} cannot be read as {r}", path)
            n = self._node("VALID", path, spec.valid, width=1)
            self._set_kids(n, [self.node(w, spec.inner, path, inner_r)])
            return n
        if isinstance(spec, _Union):
            rb = r.branches
            wbs = w.branches if w.type == "union" else [w]
            pairs, kids = [], []
            for b in wbs:
                j = best_branch(b, r)  # Java's preference (Avro specification, Schema Resolution)
                k = None if j is None or rb[j].type == "null" else (
                    self._branch(b, spec.branches[j], path, rb[j])
                )
                if j is None or (k is None and rb[j].type != "null"):
                    pairs += [-2, 0]
                elif k is None:
                    pairs += [-1, j]
                else:
                    pairs += [len(kids), j]
                    kids.append(k)
            if w.type != "union":
                if pairs[0] == -2:
                    raise SchemaResolutionError(f"writer {w.type} matches no branch of {r}", path)
                n = self._node("UNION_CONST", path, spec.codes, width=1, size=pairs[1])
                self._set_kids(n, kids)
                self.nodes[n][9] = 0 if kids else -1
                return n
            n = self._node("UNION", path, spec.codes, width=1)
            # null placeholders go to the reader's null branch if it has one, else branch 0
            null_j = next((j for j, b in enumerate(rb) if b.type == "null"), None)
            if null_j is not None:
                fill, code = -1, null_j
            else:
                code = 0
                fill = len(kids)
                kids.append(self.node(rb[0], spec.branches[0], path, rb[0]))
            self._set_kids(n, kids)
            self._set_table(n, pairs, len(pairs))
            self.nodes[n][9] = fill
            self.nodes[n][10] = code
            return n
        if w.type == "union":
            # writer union, reader not: each branch resolved against the reader (Avro specification, Schema Resolution)
            n = self._node("UNWRAP", path)
            kids, table = [], []
            for b in w.branches:
                k = None if b.type == "null" else self._branch(b, spec, path, r)
                if k is not None:
                    table.append(len(kids))
                    kids.append(k)
                else:
                    table.append(-2)
            if not kids:
                raise SchemaResolutionError(f"no branch of writer {w} can be read as {r}", path)
            self._set_kids(n, kids)
            self._set_table(n, table, len(table))
            return n
        if not schemas_match(w, r):
            raise SchemaResolutionError(f"writer type {w.type} cannot be read as {r.type}", path)
        if isinstance(spec, _Dec):
            return self.node(w, spec.raw, path, r)
        if isinstance(spec, _Leaf):
            if w.type == "fixed":
                return self._node("FIXED", path, spec.col, size=int(w.size))
            op = _READ_OP.get((w.type, spec.dtype))
            if op is None:
                raise SchemaResolutionError(f"writer type {w.type} cannot be read as {r.type}", path)
            return self._node(op, path, spec.col, width=_DTYPE_WIDTH[spec.dtype])
        if isinstance(spec, _Bin):
            return self._node("STRING" if spec.is_string else "BYTES", path, spec.off, spec.data)
        if isinstance(spec, _Enum):
            n = self._node("ENUM", path, spec.col, width=spec.width)
            rsyms = {s: i for i, s in enumerate(spec.symbols)}
            rdefault = spec.schema.default
            table = []
            for s in w.symbols:
                if s in rsyms:
                    table.append(rsyms[s])
                elif rdefault is not None:
                    table.append(rsyms[rdefault])  # Avro specification, Schema Resolution
                else:
                    table.append(-1)
            self._set_table(n, table, len(table))
            return n
        if isinstance(spec, _List):
            n = self._node("ARRAY", path, spec.off, width=8, size=_min_datum_size(w.items))
            self._set_kids(n, [self.node(w.items, spec.items, path + "[]", r.items)])
            return n
        if isinstance(spec, _Map):
            n = self._node(
                "MAP", path, spec.off, spec.koff, spec.kdata, width=8, size=1 + _min_datum_size(w.values)
            )
            self._set_kids(n, [self.node(w.values, spec.values, path + "[]", r.values)])
            return n
        if isinstance(spec, _Struct):
            return self._record(w, spec, path, r)
        if isinstance(spec, _Null):
            return self._node("NOTHING", path)
        raise AssertionError(f"unhandled spec {spec!r}")  # pragma: no cover

    def _branch(self, w: Schema, spec: Any, path: str, r: Schema) -> int | None:
        """The node of one writer union branch, or None if the reader cannot read it: only
        data in that branch fails, at decode time (Avro specification, Schema Resolution)."""
        if not schemas_match(w, r):
            return None
        try:
            return self.node(w, spec, path, r)
        except SchemaResolutionError:
            return None

    def _record(self, w: Schema, spec: _Struct, path: str, r: Schema) -> int:
        n = self._node("RECORD", path)
        rfields = {f.name: f for f in r.fields}
        # writer field -> reader field: by name, then by reader aliases (Avro specification, Schema Resolution)
        by_alias = {a: f for f in r.fields for a in f.aliases}
        kids = []
        used = set()
        for wf in w.fields:
            rf = rfields.get(wf.name) or by_alias.get(wf.name)
            fpath = f"{path}.{rf.name if rf else wf.name}"
            if rf is None or rf.name not in spec.fields:
                kids.append(self.skip(wf.type, fpath))
                if rf is not None:
                    used.add(rf.name)
                continue
            used.add(rf.name)
            kids.append(self.node(wf.type, spec.fields[rf.name], fpath, rf.type))
        for name, fspec in spec.fields.items():
            if name in used:
                continue
            rf = rfields[name]
            fpath = f"{path}.{name}"
            if not rf.has_default:
                raise SchemaResolutionError(
                    f"reader field {name!r} is missing from the writer schema and has no default",
                    fpath,
                )
            d = self._node("DEFAULT", fpath, dflt=_encode_default(rf.type, rf.default, fpath))
            self._set_kids(d, [self.node(rf.type, fspec, fpath, rf.type)])
            self.nodes[d][9] = 0
            kids.append(d)
        self._set_kids(n, kids)
        return n

    def skip(self, w: Schema, path: str) -> int:
        """A node that skips a writer value of type ``w`` (Avro specification, Schema Resolution), shared per type."""
        memo = self._skip_memo.get(id(w))
        if memo is not None:
            return memo
        t = w.type
        fixed = {"boolean": 1, "float": 4, "double": 8}
        if t == "null":
            n = self._node("NOTHING", path)
        elif t in ("int", "long", "enum"):
            n = self._node("SKIP_VARINT", path)
        elif t in fixed:
            n = self._node("SKIP_N", path, size=fixed[t])
        elif t == "fixed":
            n = self._node("SKIP_N", path, size=int(w.size))
        elif t in ("string", "bytes"):
            n = self._node("SKIP_BYTES", path)
        elif t == "record":
            n = self._node("SKIP_RECORD", path)
            self._skip_memo[id(w)] = n
            kids = [self.skip(f.type, f"{path}.{f.name}") for f in w.fields]
            self._set_kids(n, kids)
        elif t == "array":
            n = self._node("SKIP_ARRAY", path, size=_min_datum_size(w.items))
            self._skip_memo[id(w)] = n
            self._set_kids(n, [self.skip(w.items, path + "[]")])
        elif t == "map":
            n = self._node("SKIP_MAP", path, size=1 + _min_datum_size(w.values))
            self._skip_memo[id(w)] = n
            self._set_kids(n, [self.skip(w.values, path + "[]")])
        elif t == "union":
            n = self._node("SKIP_UNION", path)
            self._skip_memo[id(w)] = n
            kids = [-1 if b.type == "null" else self.skip(b, path) for b in w.branches]
            self._set_kids(n, kids)
        else:  # pragma: no cover
            raise SchemaError(f"unknown type {t}", path)
        self._skip_memo[id(w)] = n
        return n


def _encode_default(s: Schema, value: Any, path: str) -> bytes:
    """Binary encoding of a field default given in its JSON form (Avro specification, Records): the
    DEFAULT node decodes these bytes per record like writer data."""
    from .codec import Encoder

    return Encoder(s, logical=False).encode(default_to_python(s, value, logical=False))


@dataclass
class _Compiled:
    plan: Any  # _k.Plan
    spec: Any
    schema: Schema  # the schema columns follow
    col_width: list[int]
    col_per_row: list[bool]
    min_size: int
    # bytes per record of the fixed-width columns holding one value per record (0: others)
    row_width: list[int] = field(default_factory=list)
    # bytes per input byte each variable-size column took in the last read (capacity hints)
    learned: dict[int, float] = field(default_factory=dict)


_PLAN_CACHE: dict[tuple[str | bytes, str | None, tuple[Any, ...] | None], _Compiled] = {}


def _compile(writer: Schema, reader: Schema | None, columns: Any,
             writer_text: bytes | None = None) -> _Compiled:
    """The plan for ``writer`` x ``reader`` and the projection, cached by their texts
    (``writer_text``: the writer schema as a file's header stores it, which saves writing
    the schema out again per read)."""
    proj = None if columns is None else tuple(columns)
    key = (writer_text or str(writer), None if reader is None else str(reader), proj)
    hit = _PLAN_CACHE.get(key)
    if hit is not None:
        return hit
    r = writer if reader is None else reader
    p = _Planner()
    select: Any = True
    if proj is not None:
        if r.type != "record":
            raise ValueError("columns= needs a record schema")
        known = _leaf_names(r)
        for name in proj:
            if name not in known:
                raise KeyError(f"no column {name!r}; columns are {sorted(known)}")
        select = set(proj)
    spec = p.spec(r, "$", True, select)
    root = p.node(writer, spec, "$", r)
    offsets = set(p.offset_cols)
    row_width = [
        w if per_row and i not in offsets else 0
        for i, (w, per_row) in enumerate(zip(p.col_width, p.col_per_row, strict=True))
    ]
    plan = _k.Plan(
        [tuple(n) for n in p.nodes],
        p.kids,
        p.table,
        root,
        len(p.col_width),
        tuple(p.paths),
        tuple(p.offset_cols),
        tuple(row_width),
    )
    out = _Compiled(
        plan, spec, r, p.col_width, p.col_per_row, _min_datum_size(writer), row_width
    )
    if len(_PLAN_CACHE) > 64:
        _PLAN_CACHE.clear()
    _PLAN_CACHE[key] = out
    return out


def _leaf_names(r: Schema, prefix: str = "") -> set[str]:
    """Selectable names: every top-level field and, through records, every dotted sub-name."""
    names: set[str] = set()
    for f in r.fields:
        name = prefix + f.name
        names.add(name)
        t = f.type
        parts = _nullable_parts(t) if t.type == "union" else None
        if parts is not None:
            t = parts[1]
        if t.type == "record":
            names |= _leaf_names(t, name + ".")
    return names


# ----------------------------------------------------------------------------------------------
# Assembling columns from raw buffers
# ----------------------------------------------------------------------------------------------


def _assemble(spec: Any, bufs: list[Any], nrows: int, schema: Schema) -> Columns:
    """Top-level columns: records flattened to dotted names, validity propagated. numpy has
    no time zones: timestamp-* columns are naive datetime64 in UTC, listed in ``utc``."""
    out: dict[str, Any] = {}
    utc: dict[str, str] = {}
    _flatten(spec, "", None, bufs, nrows, out, utc)
    return Columns(out, nrows, schema, utc)


def _flatten(s: Any, prefix: str, valid: np.ndarray | None, bufs: list[Any], nrows: int,
             out: dict[str, Any], utc: dict[str, str]) -> None:
    # A module function, not a closure: a recursive closure is a reference cycle that would
    # keep every column alive until the cyclic garbage collector runs.
    if isinstance(s, _Nullable) and isinstance(s.inner, _Struct):
        v = np.frombuffer(bufs[s.valid], np.bool_)
        _flatten(s.inner, prefix, _apply_mask(valid, v), bufs, nrows, out, utc)
        return
    if isinstance(s, _Struct):
        for name, sub in s.fields.items():
            _flatten(sub, prefix + name + ".", valid, bufs, nrows, out, utc)
        return
    name = prefix[:-1] if prefix else _ROOT_NAME
    out[name] = _build(s, bufs, nrows, valid)
    leaf = s.inner if isinstance(s, _Nullable) else s
    if isinstance(leaf, _Leaf) and leaf.tz:
        utc[name] = leaf.tz


def _build(s: Any, bufs: list[Any], n: int, valid: np.ndarray | None = None) -> Any:
    """The column object of spec ``s`` (``n`` values; ``valid``: inherited validity)."""
    if isinstance(s, _Nullable):
        v = np.frombuffer(bufs[s.valid], np.bool_)
        return _build(s.inner, bufs, n, _apply_mask(valid, v))
    if isinstance(s, _Leaf):
        if s.dtype == "S0":  # fixed(0): no bytes on the wire, numpy has no 0-byte strings
            arr = np.empty(n, dtype=object)
            arr[:] = [b""] * n
        else:
            arr = np.frombuffer(bufs[s.col], np.dtype(s.dtype))
        if s.view:
            arr = arr.view(s.view)
        if valid is not None:
            arr = np.ma.MaskedArray(arr, mask=~valid)
        return arr
    if isinstance(s, _Bin):
        return BinaryColumn(
            np.frombuffer(bufs[s.off], np.int64), np.frombuffer(bufs[s.data], np.uint8),
            s.is_string, valid,
        )
    if isinstance(s, _Enum):
        codes = np.frombuffer(bufs[s.col], {1: np.int8, 2: np.int16, 4: np.int32}[s.width])
        return EnumColumn(codes, s.symbols, valid)
    if isinstance(s, _Dec):
        return DecimalColumn(_build(s.raw, bufs, n), s.precision, s.scale, valid)
    if isinstance(s, _List):
        offs = np.frombuffer(bufs[s.off], np.int64)
        return ListColumn(offs, _build(s.items, bufs, int(offs[-1])), valid)
    if isinstance(s, _Map):
        offs = np.frombuffer(bufs[s.off], np.int64)
        keys = BinaryColumn(
            np.frombuffer(bufs[s.koff], np.int64), np.frombuffer(bufs[s.kdata], np.uint8)
        )
        return MapColumn(offs, keys, _build(s.values, bufs, int(offs[-1])), valid)
    if isinstance(s, _Struct):
        return StructColumn(
            {name: _build(sub, bufs, n) for name, sub in s.fields.items()}, n, valid
        )
    if isinstance(s, _Union):
        codes = np.frombuffer(bufs[s.codes], np.int8)
        offsets = np.zeros(len(codes), np.int32)
        children: list[Any] = []
        names = []
        for j, sub in enumerate(s.branches):
            sel = codes == j
            k = int(np.count_nonzero(sel))
            offsets[sel] = np.arange(k, dtype=np.int32)
            children.append(None if sub is None else _build(sub, bufs, k))
            names.append(_type_key(s.schema.branches[j]))
        return UnionColumn(codes, children, names, offsets)
    if isinstance(s, _Null):
        return np.ma.MaskedArray(np.zeros(n, np.int8), mask=np.ones(n, bool))
    raise AssertionError(f"unhandled spec {s!r}")  # pragma: no cover


def _concat(chunks: list[Any], comp: _Compiled, shared: Any = None, pool: Any = None) -> list[Any]:
    """Per-column buffers of several chunks joined in order (offsets rebased). ``shared``:
    the chunk that already holds every chunk's fixed-width per-record columns. ``pool``:
    join about half of the bytes there, at the same time (the copies release the GIL)."""
    offset_cols = set(comp.plan.offset_cols)
    out: list[Any] = [None] * comp.plan.ncols
    joins = []
    for i in range(comp.plan.ncols):
        if shared is not None and comp.row_width[i]:
            out[i] = shared.take(i)
        else:
            joins.append(i)

    def join(cols: list[int]) -> None:
        for i in cols:
            out[i] = _k.join_columns(chunks, i, i in offset_cols)

    if pool is None or len(joins) < 2:
        join(joins)
        return out
    sizes = {i: comp.learned.get(i, 1.0) for i in joins}
    half = sum(sizes.values()) / 2
    mine: list[int] = []
    theirs: list[int] = []
    acc = 0.0
    for i in sorted(joins, key=lambda i: -sizes[i]):
        (mine if acc < half else theirs).append(i)
        acc += sizes[i]
    other = pool.submit(join, theirs)
    try:
        join(mine)
    finally:
        other.result()
    return out


# ----------------------------------------------------------------------------------------------
# Blocks: the container Reader when available
# ----------------------------------------------------------------------------------------------


def _open_blocks(source: Any) -> Any:
    """The container Reader of ``source`` (a Reader is used as is): the one block framer."""
    from .container import Reader

    if isinstance(source, Reader):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(source)
    return Reader(source, readahead=False)


def _codec(name: str) -> Any:
    """The block codec, or None for ``null`` (blocks are decoded in place)."""
    if name == "null":
        return None
    from .codecs import get_codec

    return get_codec(name)


_MAX_BLOCK = 256 * 1024 * 1024


# ----------------------------------------------------------------------------------------------
# read_columns
# ----------------------------------------------------------------------------------------------


def _check_count(count: int, size: int, comp: _Compiled, offset: int) -> None:
    """A block's record count must be backed by its bytes (as the row reader checks):
    records of a zero-byte schema are capped by the block size limit instead, so a lying
    count can neither allocate nor loop beyond what the input justifies."""
    limit = size // comp.min_size if comp.min_size else _MAX_BLOCK
    if count > limit:
        raise DecodeError(f"block record count {count} cannot fit its {size} bytes", offset)


def _hints(comp: _Compiled, rows: int, nbytes: int) -> dict[int, int]:
    """Initial column capacities for ``rows`` records decoded from ``nbytes`` of input.

    Per-row columns get exactly ``rows`` values. No variable-size column (string data) can
    hold more bytes than the input they come from, so it starts at ``nbytes``; collection
    item columns start at a quarter of that per byte of width and grow if needed. Capacity
    that is never written costs address space only, while growing a large buffer copies it
    (glibc moves grown blocks once its mmap threshold has adapted).
    """
    out = {}
    offsets = comp.plan.offset_cols
    learned = comp.learned
    for i, (w, per_row) in enumerate(zip(comp.col_width, comp.col_per_row, strict=True)):
        if per_row and w:
            out[i] = rows * w + (8 if i in offsets else 0)  # offsets lead with a 0
        elif i in learned:
            # what this plan's earlier reads needed per input byte, with a margin: a buffer
            # the size of the input per column would rarely fit a kept one (their sizes are
            # what was used), so every read would first-touch fresh memory
            out[i] = int(learned[i] * nbytes * 1.25) + 4096
        elif not w:
            out[i] = nbytes
        else:
            out[i] = nbytes * w // 4
    return out


def _learn(comp: _Compiled, bufs: list[Any], nbytes: int) -> None:
    """Remember how many bytes each variable-size column took per input byte."""
    if nbytes <= 0:
        return
    for i, (w, per_row) in enumerate(zip(comp.col_width, comp.col_per_row, strict=True)):
        if not (per_row and w):
            comp.learned[i] = len(bufs[i]) / nbytes


#: Keep at most ``max_bytes`` of freed large column buffers for the next reads to reuse
#: (0: keep none and free what is kept; the default keeps up to 256 MiB). Returns the previous
#: limit. ``buffer_cache_info()`` gives ``(buffers, bytes)`` kept now.
set_buffer_cache = _k.set_buffer_cache
buffer_cache_info = _k.buffer_cache_info

# A run of blocks one thread decodes: (batch index, first row, end row) pieces of the tables.
_Piece = tuple[int, int, int]
# Fewest stored bytes worth a thread of its own (below that, starting and joining it costs
# more than it saves).
_MIN_THREAD_BYTES = 1 << 20
_POOL: ThreadPoolExecutor | None = None
_POOL_SIZE = 0


_POOL_LOCK = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    """A process-wide pool with at least ``workers`` threads (created on first use). A larger
    one replaces it; the old one is not shut down, since a concurrent read may still submit
    to it: its idle threads exit once it is garbage."""
    global _POOL, _POOL_SIZE
    with _POOL_LOCK:
        if _POOL is None or _POOL_SIZE < workers:
            _POOL = ThreadPoolExecutor(workers, thread_name_prefix="turboavro-columns")
            _POOL_SIZE = workers
        return _POOL


@dataclass
class _Blocks:
    """Every block of a file as ``(buffer, table)`` batches (``table``: int64 rows of
    ``_blocks.TABLE_FIELDS``), and the framing error that ended them. With ``fd`` >= 0 the
    buffers are empty: each block is read from that file (at its ``data_offset``) as it is
    decoded."""

    batches: list[tuple[Any, bytes]]
    error: Exception | None
    fd: int = -1

    def runs(self, parts: int) -> list[tuple[list[_Piece], int, int]]:
        """Contiguous runs of about equal stored size: ``(pieces, records, stored bytes)``
        (``_columns.split_runs``)."""
        return _k.split_runs([table for _, table in self.batches], parts)


def _collect(src: Any) -> _Blocks:
    """Frame every block of ``src``: of a plain file by reading only the block headers (the
    threads then read the data they decode, block by block, so it stays in cache and no
    copy of the file is made); otherwise by reading the rest of the file at once."""
    framed = src._file_blocks()
    if framed is not None:
        fd, table = framed
        return _Blocks([(b"", table)] if table else [], None, fd)
    out = []
    try:
        for batch in src._block_batches(whole=True, alloc=_k.scratch):
            out.append(batch)
    except DecodeError as e:
        # errors surface in file order: the blocks before the damage are decoded first
        return _Blocks(out, e)
    return _Blocks(out, None)


def _decode_pieces(chunk: Any, comp: _Compiled, blocks: _Blocks, pieces: list[_Piece],
                   codec: Any, max_block: int) -> Any:
    """Decodes a run of blocks into ``chunk`` (on a worker thread: the kernel decompresses
    and decodes a whole piece with the GIL released)."""
    native = 0 if codec is None else codec.native_id
    fd = blocks.fd
    for b, lo, hi in pieces:
        buf, table = blocks.batches[b]
        if native is not None:
            chunk.decode_table(buf, table, lo, hi, native, max_block, comp.min_size, fd)
            continue
        # a Python fallback codec: decompress block by block, decode natively
        view = memoryview(buf)
        rows = memoryview(table).cast("q")[lo * _NFIELDS : hi * _NFIELDS].tolist()
        for i in range(0, len(rows), _NFIELDS):
            count, offset, size, data_offset, start = rows[i : i + _NFIELDS]
            stored = view[start : start + size] if fd < 0 else os.pread(fd, size, data_offset)
            if len(stored) < size:
                raise _cut_block_error(len(stored), size, offset)
            try:
                data = codec.decompress(stored, max_block)
            except CodecError as e:
                raise _block_codec_error(e, offset, size, data_offset) from e
            _check_count(count, len(data), comp, data_offset)
            chunk.reserve_rows(count)
            end = chunk.decode(data, count, 0, data_offset, True)
            if end != len(data):
                raise _trailing_bytes_error(len(data) - end, count, data_offset, end)
    return chunk


def _row_budget(comp: _Compiled, records: int, stored: int, compressed: bool) -> int:
    """Records the stored bytes can justify reserving up front: every record takes at least
    ``min_size`` bytes of decompressed data, and compressed data is taken to expand at most
    64 times (a lying count then costs at most that address space; blocks are checked
    exactly as they are decoded)."""
    if not comp.min_size:
        return 0
    return min(records, (64 * stored if compressed else stored) // comp.min_size)


def _decode_all(comp: _Compiled, blocks: _Blocks, codec: Any, threads: int,
                max_block: int) -> tuple[list[Any], int]:
    """Column buffers and the record count of every block, decoded on ``threads`` threads."""
    compressed = codec is not None
    # threads x 8 segments, each thread a run of consecutive ones (see _Shared)
    segments = blocks.runs(threads * _SEGMENTS_PER_THREAD) if threads > 1 else []
    per_thread = [
        group
        for k in range(threads)
        if (group := segments[k * len(segments) // threads : (k + 1) * len(segments) // threads])
    ]
    if len(per_thread) <= 1:
        runs = blocks.runs(1)
        pieces, records, stored = runs[0] if runs else ([], 0, 0)
        rows = _row_budget(comp, records, stored, compressed)
        chunk = _k._Chunk(comp.plan, _hints(comp, rows, stored))
        _decode_pieces(chunk, comp, blocks, pieces, codec, max_block)
        bufs = [chunk.take(i) for i in range(comp.plan.ncols)]
        _learn(comp, bufs, stored)
        return bufs, chunk.rows
    # Threads write their fixed-width per-record values straight into one shared set of
    # columns (no join for them) when every record count is justified up front.
    records = sum(r[1] for r in segments)
    stored = sum(r[2] for r in segments)
    share = _row_budget(comp, records, stored, compressed) == records
    owner = None
    if share:
        owner = _k._Chunk(
            comp.plan, {i: records * w for i, w in enumerate(comp.row_width) if w}
        )
    work = _Shared(comp, blocks, codec, max_block, owner, records, stored)
    for k, group in enumerate(per_thread):
        work.add_run(group, first=k == 0)
    pool = _pool(len(work.runs) - 1)
    futures = [pool.submit(work.decode, k) for k in range(1, len(work.runs))]
    try:
        work.decode(0)
    except BaseException:  # KeyboardInterrupt, SystemExit: the workers stop after a segment
        work.cancel()
        raise
    finally:
        for f in futures:
            f.exception()  # waits for every worker (their errors are in work.errors)
    if work.errors:
        raise work.errors[min(work.errors)]
    chunks = [c for run in work.runs for c in run.chunks()]
    if owner is not None:
        owner.gather_shared(chunks)
    bufs = _concat(chunks, comp, owner, pool)
    _learn(comp, bufs, stored)
    return bufs, sum(c.rows for c in chunks)


# Segments per thread: a thread decodes its own run of blocks segment by segment, and one
# that is done early takes segments from the end of the run with the most left, so a thread
# slowed down (another process on its core) does not hold the read back.
_SEGMENTS_PER_THREAD = 8


class _Run:
    """A thread's contiguous run of segments ``(pieces, records, stored, row0)``. Its thread
    decodes them from the front into ``main``; threads that are done take them from the back,
    each into a chunk of its own (``stolen``), so the run's chunks stay in file order."""

    __slots__ = ("segments", "front", "back", "left", "main", "stolen")

    def __init__(self, segments: list[tuple[list[_Piece], int, int, int]], main: Any) -> None:
        self.segments = segments
        self.front = 0  # the next segment its own thread takes
        self.back = len(segments)  # segments from here on are taken by other threads
        self.left = sum(s[2] for s in segments)  # stored bytes not taken yet
        self.main = main
        self.stolen: list[tuple[int, Any]] = []

    def chunks(self) -> list[Any]:
        return [self.main] + [c for _, c in sorted(self.stolen, key=lambda sc: sc[0])]

    def drop_rest(self) -> None:
        """Leave the segments not taken yet undone (under the lock of its ``_Shared``)."""
        self.back = self.front
        self.left = 0


class _Shared:
    """The runs of a threaded read and the lock under which threads take segments."""

    def __init__(self, comp: _Compiled, blocks: _Blocks, codec: Any, max_block: int,
                 owner: Any, records: int, stored: int) -> None:
        self.comp, self.blocks, self.codec, self.max_block = comp, blocks, codec, max_block
        self.owner, self.records, self.stored = owner, records, stored
        self.runs: list[_Run] = []
        self.row0 = 0
        self.lock = threading.Lock()
        self.errors: dict[tuple[int, int], BaseException] = {}

    def _chunk(self, records: int, stored: int, row0: int, rows: int) -> Any:
        """A chunk for ``rows`` records at ``row0``, with room for ``records`` records from
        ``stored`` bytes in its variable-size columns."""
        comp = self.comp
        compressed = self.codec is not None
        hints = _hints(comp, _row_budget(comp, records, stored, compressed), stored)
        if self.owner is None:
            return _k._Chunk(comp.plan, hints)
        chunk = _k._Chunk(comp.plan, {i: v for i, v in hints.items() if not comp.row_width[i]})
        chunk.share_rows(self.owner, row0, rows)
        return chunk

    def add_run(self, segments: list[tuple[list[_Piece], int, int]], first: bool) -> None:
        row0 = self.row0
        placed = []
        for pieces, n, size in segments:
            placed.append((pieces, n, size, self.row0))
            self.row0 += n
        n = self.row0 - row0
        size = sum(s[2] for s in segments)
        # the first run's variable-size columns get room for the whole file: the joined
        # columns then start as its buffers, and only the other chunks' bytes are copied
        main = (self._chunk(self.records, self.stored, row0, n) if first
                else self._chunk(n, size, row0, n))
        self.runs.append(_Run(placed, main))

    def _take_own(self, k: int) -> int | None:
        run = self.runs[k]
        with self.lock:
            if run.front >= run.back:
                return None
            s = run.front
            run.front += 1
            run.left -= run.segments[s][2]
            return s

    def _take_other(self) -> tuple[int, int, Any] | None:
        with self.lock:
            k = max(range(len(self.runs)), key=lambda i: self.runs[i].left)
            run = self.runs[k]
            if run.front >= run.back:
                return None
            run.back -= 1
            s = run.back
            pieces, n, size, row0 = run.segments[s]
            run.left -= size
            chunk = self._chunk(n, size, row0, n)
            run.stolen.append((s, chunk))
            return k, s, chunk

    def cancel(self) -> None:
        """Leave every segment not taken yet undone."""
        with self.lock:
            for run in self.runs:
                run.drop_rest()

    def _decode(self, chunk: Any, k: int, s: int) -> bool:
        try:
            _decode_pieces(chunk, self.comp, self.blocks, self.runs[k].segments[s][0],
                           self.codec, self.max_block)
            return True
        except Exception as exc:  # raised by the caller, the first in file order
            with self.lock:
                self.errors[k, s] = exc
            return False

    def decode(self, k: int) -> None:
        """Thread ``k``'s work: its own run, then segments other runs have left."""
        run = self.runs[k]
        while (s := self._take_own(k)) is not None:
            if not self._decode(run.main, k, s):
                with self.lock:  # the rest of this run comes after the error: not needed
                    run.drop_rest()
                break
        while (got := self._take_other()) is not None:
            self._decode(got[2], got[0], got[1])


def read_columns(
    source: Any,
    columns: Any = None,
    reader_schema: Any = None,
    threads: int | None = None,
) -> Columns:
    """Read a whole container file into columns (see the module docstring for the types).

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
    """
    src = _open_blocks(source)
    try:
        if reader_schema is None:
            reader_schema = getattr(src, "reader_schema", None)
        reader = None if reader_schema is None else Schema.parse(reader_schema)
        comp = _compile(src.schema, reader, columns, src.metadata.get("avro.schema"))
        codec = _codec(src.codec)
        nthreads = max(1, threads if threads is not None else (os.cpu_count() or 1))
        blocks = _collect(src)
        if threads is None and nthreads > 1:
            stored = sum(r[2] for r in blocks.runs(1))
            nthreads = min(nthreads, max(1, stored // _MIN_THREAD_BYTES))
        bufs, nrows = _decode_all(comp, blocks, codec, nthreads, src._max_block)
        if blocks.error is not None:
            raise blocks.error
        return _assemble(comp.spec, bufs, nrows, comp.schema)
    finally:
        if src is not source:
            src.close()


def iter_batches(
    source: Any,
    batch_size: int = 65536,
    columns: Any = None,
    reader_schema: Any = None,
) -> Iterator[Columns]:
    """Yield :class:`Columns` of ``batch_size`` records (the last batch may be shorter),
    decoding block by block: memory stays bounded by one batch plus one block.

    ``source``: a path, file object, bytes, or an open ``container.Reader`` (its
    ``reader_schema`` is used unless ``reader_schema`` is given). This is what
    ``Reader.iter_batches`` runs.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    src = _open_blocks(source)
    try:
        if reader_schema is None:
            reader_schema = getattr(src, "reader_schema", None)
        reader = None if reader_schema is None else Schema.parse(reader_schema)
        comp = _compile(src.schema, reader, columns, src.metadata.get("avro.schema"))
        codec = _codec(src.codec)
        hint = min(batch_size, 1 << 20)
        chunk = None
        for b in src.iter_blocks_raw():
            try:
                data = b.data if codec is None else codec.decompress(b.data, _MAX_BLOCK)
            except CodecError as e:
                raise _block_codec_error(e, b.offset, b.size, b.data_offset) from e
            _check_count(b.count, len(data), comp, b.data_offset)
            pos = 0
            done = 0
            while done < b.count:
                if chunk is None:
                    chunk = _k._Chunk(comp.plan, _hints(comp, hint, len(data)))
                take = min(b.count - done, batch_size - chunk.rows)
                pos = chunk.decode(data, take, pos, b.data_offset, codec is not None, done)
                done += take
                if chunk.rows == batch_size:
                    yield _finish(chunk, comp)
                    chunk = None
            if pos != len(data):
                if codec is None:
                    raise _trailing_bytes_error(len(data) - pos, b.count, b.data_offset + pos)
                raise _trailing_bytes_error(len(data) - pos, b.count, b.data_offset, pos)
        if chunk is not None and chunk.rows:
            yield _finish(chunk, comp)
    finally:
        if src is not source:
            src.close()


def _finish(chunk: Any, comp: _Compiled) -> Columns:
    bufs = [chunk.take(i) for i in range(comp.plan.ncols)]
    return _assemble(comp.spec, bufs, chunk.rows, comp.schema)


# ----------------------------------------------------------------------------------------------
# write_columns
# ----------------------------------------------------------------------------------------------

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


def _first_value(col: np.ndarray) -> Any:
    for v in col:
        if v is not None:
            return v
    return None


def _infer_type(name: str, col: Any, is_utc: bool) -> Any:
    """Avro type (JSON) of one column (see docs/performance.md for the mapping)."""
    base: Any
    if isinstance(col, EnumColumn):
        base = {"type": "enum", "name": _avro_name(name), "symbols": list(col.categories)}
    elif isinstance(col, BinaryColumn):
        base = "string" if col.is_string else "bytes"
    elif isinstance(col, DecimalColumn):
        raise EncodeError("decimal columns need an explicit schema", name)
    elif isinstance(col, ListColumn):
        base = {"type": "array", "items": _infer_type(name + "_item", col.values, False)}
    elif isinstance(col, MapColumn):
        base = {"type": "map", "values": _infer_type(name + "_value", col.values, False)}
    elif isinstance(col, StructColumn):
        base = {
            "type": "record",
            "name": _avro_name(name),
            "fields": [
                {"name": k, "type": _infer_type(f"{name}_{k}", v, False)}
                for k, v in col.fields.items()
            ],
        }
    elif isinstance(col, UnionColumn):
        raise EncodeError("union columns need an explicit schema", name)
    else:
        arr = np.ma.getdata(col) if isinstance(col, np.ma.MaskedArray) else np.asarray(col)
        k, size = arr.dtype.kind, arr.dtype.itemsize
        if k == "b":
            base = "boolean"
        elif k == "i":
            base = "int" if size <= 4 else "long"
        elif k == "u":
            base = "int" if size <= 2 else "long"
        elif k == "f":
            base = "float" if size <= 4 else "double"
        elif k == "M":
            unit = np.datetime_data(arr.dtype)[0]
            if unit == "D":
                base = {"type": "int", "logicalType": "date"}
            else:
                lt = {"ms": "millis", "us": "micros", "ns": "nanos"}.get(unit, "millis")
                base = {"type": "long", "logicalType": f"timestamp-{lt}"}
        elif k == "m":
            unit = np.datetime_data(arr.dtype)[0]
            base = (
                {"type": "long", "logicalType": "time-micros"}
                if unit in ("us", "ns")
                else {"type": "int", "logicalType": "time-millis"}
            )
        elif k == "S":
            base = {"type": "fixed", "name": _avro_name(name), "size": size}
        elif k in "OU":
            first = _first_value(arr) if k == "O" else ""
            if isinstance(first, (list, tuple)):
                lc = _as_list(arr, name)
                base = {"type": "array", "items": _infer_type(name + "_item", lc.values, False)}
            elif isinstance(first, dict):
                mc = _as_map(arr, name)
                base = {"type": "map", "values": _infer_type(name + "_value", mc.values, False)}
            elif isinstance(first, (bytes, bytearray, memoryview)):
                base = "bytes"
            elif isinstance(first, _decimal.Decimal):
                raise EncodeError("decimal values need an explicit schema", name)
            else:
                base = "string"
        else:
            raise EncodeError(f"cannot infer an Avro type for dtype {arr.dtype}", name)
    if _validity(col) is not None or (isinstance(col, np.ndarray) and col.dtype == object and _first_value(col) is None and len(col)):
        return ["null", base]
    return base


def _avro_name(name: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out and not out[0].isdigit() else "_" + out


def infer_schema(columns: Any, name: str = "Row") -> Schema:
    """The Avro schema ``write_columns`` infers for ``columns`` (dotted names become nested
    records)."""
    cols, utc, carried = _normalize(columns)
    if carried is not None:
        return carried
    return _infer(cols, utc, name)


def _infer(cols: dict[str, Any], utc: set[str], name: str) -> Schema:
    root: dict[str, Any] = {"type": "record", "name": name, "fields": []}
    records: dict[str, dict[str, Any]] = {"": root}
    for col_name, col in cols.items():
        parts = col_name.split(".")
        parent = ""
        for depth, part in enumerate(parts[:-1]):
            path = ".".join(parts[: depth + 1])
            if path not in records:
                rec = {"type": "record", "name": _avro_name(path), "fields": []}
                records[parent]["fields"].append({"name": part, "type": rec})
                records[path] = rec
            parent = path
        records[parent]["fields"].append(
            {"name": parts[-1], "type": _infer_type(col_name, col, col_name in utc)}
        )
    return Schema.parse(root)


class _EncPlanner:
    """Encode nodes for a writer schema, reading from column buffers (``arrays``)."""

    def __init__(self) -> None:
        self.nodes: list[list[Any]] = []
        self.kids: list[int] = []
        self.arrays: list[Any] = []
        self.paths: list[str] = []

    def _buf(self, arr: Any) -> int:
        self.arrays.append(np.ascontiguousarray(arr).view(np.uint8).reshape(-1))
        return len(self.arrays) - 1

    def _node(self, op: str, path: str, col: int = -1, col2: int = -1, col3: int = -1,
              width: int = 0, size: int = 0, ntable: int = 0) -> int:
        self.nodes.append([_OPS[op], col, col2, col3, 0, 0, -1, ntable, width, 0, size, None])
        self.paths.append(path)
        return len(self.nodes) - 1

    def _set_kids(self, n: int, kids: list[int]) -> None:
        self.nodes[n][4] = len(self.kids)
        self.nodes[n][5] = len(kids)
        self.kids.extend(kids)

    def top(self, s: Schema, cols: dict[str, Any], n: int) -> int:
        if s.type != "record":
            if set(cols) != {_ROOT_NAME}:
                raise EncodeError(f"a {s.type} schema needs one column named {_ROOT_NAME!r}")
            return self.value(s, cols[_ROOT_NAME], "$", n)
        return self._flat_record(s, cols, "", "$", n)

    def _flat_record(
        self, s: Schema, cols: dict[str, Any], prefix: str, path: str, n: int,
        nulls_ok: bool = False,
    ) -> int:
        """A record whose fields are the columns ``prefix + name`` (dotted names)."""
        node = self._node("RECORD", path)
        kids = []
        for f in s.fields:
            name = prefix + f.name
            t = f.type
            fpath = f"{path}.{f.name}"
            if name in cols:
                kids.append(self.value(t, cols[name], fpath, n, nulls_ok))
                continue
            if t.type == "record":
                kids.append(self._flat_record(t, cols, name + ".", fpath, n, nulls_ok))
                continue
            parts = _nullable_parts(t) if t.type == "union" else None
            if parts is None or parts[1].type != "record":
                raise EncodeError(f"no column for field {name!r}", fpath)
            # an optional record read as dotted columns: present where any of its columns is
            # (exact when it has a non-nullable field, as its columns are null only with it)
            leaves = [c for k, c in cols.items() if k.startswith(name + ".")]
            if not leaves or not _has_required_leaf(parts[1]):
                raise EncodeError(
                    f"the optional record {name!r} has no non-nullable column: a null record "
                    "cannot be told from one of nulls (give a schema without it, or a "
                    "StructColumn)", fpath)
            valid = np.zeros(n, bool)
            for c in leaves:
                v = _validity(c)
                valid |= True if v is None else v
            opt = self._node("NULLABLE", fpath, self._buf(valid.astype(np.uint8)), width=1,
                             size=parts[0])
            self._set_kids(opt, [self._flat_record(parts[1], cols, name + ".", fpath, n, True)])
            kids.append(opt)
        self._set_kids(node, kids)
        return node

    def value(self, s: Schema, col: Any, path: str, n: int, nulls_ok: bool = False) -> int:
        """``nulls_ok``: the column is the value side of a nullable union, its null rows
        are placeholders that are never encoded."""
        if len(col) != n:
            raise EncodeError(f"column has {len(col)} values, expected {n}", path)
        t = s.type
        if t == "union":
            parts = _nullable_parts(s)
            if parts is None:
                raise EncodeError("only [\"null\", T] unions can be written from columns", path)
            valid = _validity(col)
            if valid is None:
                valid = np.ones(n, bool)
            node = self._node("NULLABLE", path, self._buf(valid.astype(np.uint8)), width=1, size=parts[0])
            self._set_kids(node, [self.value(parts[1], _fill_nulls(col, valid), path, n, True)])
            return node
        if t == "null":
            return self._node("RECORD", path)  # nothing to write (Avro specification, Binary Encoding)
        if not nulls_ok and _validity(col) is not None:
            raise EncodeError(f"column has nulls but the schema type is {t}", path)
        if isinstance(col, np.ma.MaskedArray):
            col = col.data
        lt = s.logical_type
        if t in ("string", "bytes"):
            if isinstance(col, DecimalColumn):
                col = col.raw
            b = _as_binary(col, t == "string", path, s)
            return self._node("STRING" if t == "string" else "BYTES", path,
                              self._buf(b.offsets.astype(np.int64)), self._buf(b.data))
        if lt == "decimal" and t == "fixed":
            col = _decimal_raw(col, s, path)
        if t == "fixed":
            size = int(s.size)
            arr = np.asarray(col)
            if arr.dtype == object:
                arr = np.array([bytes(v) for v in arr], dtype=f"S{size}") if size else arr
            if size and (arr.dtype.kind != "S" or arr.dtype.itemsize != size):
                raise EncodeError(f"fixed({size}) needs an S{size} column, not {arr.dtype}", path)
            if not size:
                return self._node("FIXED", path, self._buf(np.zeros(0, np.uint8)), size=0, width=0)
            return self._node("FIXED", path, self._buf(arr), size=size, width=size)
        if t == "enum":
            symbols = list(s.symbols)
            codes = _enum_codes(col, symbols, path)
            return self._node("ENUM", path, self._buf(codes), width=4, ntable=len(symbols))
        if t == "boolean":
            return self._node("BOOL", path, self._buf(_plain(col).astype(np.bool_)), width=1)
        if t in ("int", "long"):
            arr = _plain(col)
            if arr.dtype.kind in "Mm":
                unit = _UNIT_OF_LOGICAL.get(lt or "", "ms")
                kind = "M" if arr.dtype.kind == "M" else "m"
                arr = arr.astype(f"{kind}8[{unit}]").view(np.int64)
            elif arr.dtype.kind not in "biu":
                raise EncodeError(f"{t} needs an integer column, not {arr.dtype}", path)
            lo, hi = _INT_RANGE[t]
            if len(arr) and arr.dtype.kind in "iu" and (
                int(arr.min()) < lo or int(arr.max()) > hi
            ):
                raise EncodeError(f"value out of range for {t}", path)
            if t == "int":
                return self._node("INT", path, self._buf(arr.astype(np.int32)), width=4)
            return self._node("LONG", path, self._buf(arr.astype(np.int64)), width=8)
        if t in ("float", "double"):
            arr = _plain(col)
            if arr.dtype.kind not in "biuf":
                raise EncodeError(f"{t} needs a numeric column, not {arr.dtype}", path)
            if t == "float":
                return self._node("FLOAT", path, self._buf(arr.astype(np.float32)), width=4)
            return self._node("DOUBLE", path, self._buf(arr.astype(np.float64)), width=8)
        if t == "array":
            lc = _as_list(col, path)
            node = self._node("ARRAY", path, self._buf(lc.offsets.astype(np.int64)))
            self._set_kids(node, [self.value(s.items, lc.values, path + "[]", int(lc.offsets[-1] - lc.offsets[0]))])
            return node
        if t == "map":
            mc = _as_map(col, path)
            keys = _as_binary(mc.keys, True, path, None)
            node = self._node("MAP", path, self._buf(mc.offsets.astype(np.int64)),
                              self._buf(keys.offsets.astype(np.int64)), self._buf(keys.data))
            self._set_kids(node, [self.value(s.values, mc.values, path + "[]", int(mc.offsets[-1] - mc.offsets[0]))])
            return node
        if t == "record":
            sc = _as_struct(col, s, path)
            node = self._node("RECORD", path)
            kids = []
            for f in s.fields:
                if f.name not in sc.fields:
                    raise EncodeError(f"no values for field {f.name!r}", f"{path}.{f.name}")
                kids.append(self.value(f.type, sc.fields[f.name], f"{path}.{f.name}", n))
            self._set_kids(node, kids)
            return node
        raise EncodeError(f"type {t} cannot be written from columns", path)


def _has_required_leaf(r: Schema) -> bool:
    """True if record ``r`` has a column that is never null while ``r`` is present."""
    for f in r.fields:
        t = f.type
        if t.type == "record":
            if _has_required_leaf(t):
                return True
        elif t.type not in ("null", "union"):
            return True
    return False


def _plain(col: Any) -> np.ndarray:
    """A numeric/boolean/datetime array; an object array (Python values, None for nulls)
    is converted with None as 0."""
    arr = np.asarray(col)
    if arr.dtype == object:
        vals = [0 if v is None else v for v in arr.tolist()]
        arr = np.array(vals) if vals else np.zeros(0, np.int64)
        if arr.dtype == object:
            raise EncodeError("column holds values that are not numbers")
    return arr


def _fill_nulls(col: Any, valid: np.ndarray) -> Any:
    """The values of a nullable column with placeholders where it is null (encoded nowhere,
    but they keep the value columns aligned)."""
    if isinstance(col, np.ma.MaskedArray):
        return col.filled(col.data[valid][0] if valid.any() else 0) if col.dtype.kind != "O" else col.data
    if isinstance(col, np.ndarray):
        if col.dtype == object:
            return col
        if col.dtype.kind in "Mm":
            out = col.copy()
            out[~valid] = 0
            return out
        return col
    if isinstance(col, (BinaryColumn, EnumColumn, ListColumn, MapColumn, StructColumn, DecimalColumn)):
        import dataclasses

        return dataclasses.replace(col, validity=None)
    return col


def _as_binary(col: Any, is_string: bool, path: str, s: Schema | None) -> BinaryColumn:
    if isinstance(col, BinaryColumn):
        return col
    arr = np.asarray(col)
    if s is not None and s.logical_type == "decimal":
        arr = _decimal_raw(arr, s, path)
    vals = []
    for v in arr.tolist():
        if v is None:
            vals.append(b"")
        elif isinstance(v, str):
            vals.append(v.encode("utf-8"))
        elif isinstance(v, (bytes, bytearray, memoryview)):
            vals.append(bytes(v))
        elif isinstance(v, uuid.UUID):
            vals.append(str(v).encode() if is_string else v.bytes)
        else:
            raise EncodeError(f"{'string' if is_string else 'bytes'} column holds {type(v).__name__}", path)
    lens = np.fromiter((len(v) for v in vals), np.int64, len(vals))
    offs = np.zeros(len(vals) + 1, np.int64)
    np.cumsum(lens, out=offs[1:])
    return BinaryColumn(offs, np.frombuffer(b"".join(vals), np.uint8), is_string)


def _decimal_raw(col: Any, s: Schema, path: str) -> Any:
    """Decimal values -> big-endian two's complement unscaled bytes (Avro specification, Logical Types: Decimal)."""
    if isinstance(col, DecimalColumn):
        return col.raw
    arr = np.asarray(col, dtype=object)
    scale = int(s.scale or 0)
    size = int(s.size) if s.type == "fixed" else None
    out = []
    for v in arr.tolist():
        if v is None:
            out.append(b"\0" * (size or 0))
            continue
        d = _decimal.Decimal(v)
        unscaled = d.scaleb(scale, _EXACT)
        if unscaled != unscaled.to_integral_value():
            raise EncodeError(f"{v} has more than {scale} fraction digits", path)
        i = int(unscaled)
        n = size or max(1, (i.bit_length() + 8) // 8)
        try:
            out.append(i.to_bytes(n, "big", signed=True))
        except OverflowError:
            raise EncodeError(f"{v} does not fit fixed({size})", path) from None
    if size is not None:
        return np.array(out, dtype=f"S{size}") if size else np.zeros(len(out), "S1")
    res = np.empty(len(out), dtype=object)
    res[:] = out
    return res


def _enum_codes(col: Any, symbols: list[str], path: str) -> np.ndarray:
    index = {s: i for i, s in enumerate(symbols)}
    if isinstance(col, EnumColumn):
        try:
            remap = np.array([index[c] for c in col.categories] or [0], np.int32)
        except KeyError as e:
            raise EncodeError(f"category {e.args[0]!r} is not a symbol of the enum", path) from None
        codes = col.codes.astype(np.int64)
        if len(codes) and (codes.min() < 0 or codes.max() >= len(col.categories)):
            raise EncodeError("enum code out of range", path)
        return remap[codes] if len(codes) else np.zeros(0, np.int32)
    try:
        return np.array([index[v] for v in np.asarray(col).tolist()], np.int32)
    except KeyError as e:
        raise EncodeError(f"{e.args[0]!r} is not a symbol of the enum", path) from None


def _as_list(col: Any, path: str) -> ListColumn:
    if isinstance(col, ListColumn):
        offs = col.offsets
        if col.validity is not None and (np.diff(offs)[~col.validity] != 0).any():
            raise EncodeError("null list rows must be empty", path)
        return col
    vals = np.asarray(col, dtype=object).tolist()
    lens = [0 if v is None else len(v) for v in vals]
    offs = np.zeros(len(vals) + 1, np.int64)
    np.cumsum(lens, out=offs[1:])
    items = np.empty(int(offs[-1]), dtype=object)
    items[:] = [x for v in vals if v is not None for x in v]
    return ListColumn(offs, _typed(items))


def _as_map(col: Any, path: str) -> MapColumn:
    if isinstance(col, MapColumn):
        return col
    vals = np.asarray(col, dtype=object).tolist()
    lens = [0 if v is None else len(v) for v in vals]
    offs = np.zeros(len(vals) + 1, np.int64)
    np.cumsum(lens, out=offs[1:])
    keys = np.empty(int(offs[-1]), dtype=object)
    keys[:] = [k for v in vals if v is not None for k in v]
    items = np.empty(int(offs[-1]), dtype=object)
    items[:] = [x for v in vals if v is not None for x in v.values()]
    return MapColumn(offs, _as_binary(keys, True, path, None), _typed(items))


def _as_struct(col: Any, s: Schema, path: str) -> StructColumn:
    if isinstance(col, StructColumn):
        return col
    vals = np.asarray(col, dtype=object).tolist()
    fields = {}
    for f in s.fields:
        arr = np.empty(len(vals), dtype=object)
        arr[:] = [None if v is None else v.get(f.name) for v in vals]
        fields[f.name] = _typed(arr)
    return StructColumn(fields, len(vals))


def _typed(items: np.ndarray) -> Any:
    """Python values (object array) as the most specific numpy array where that is exact."""
    vals = items.tolist()
    if vals and all(type(v) is bool for v in vals):
        return np.array(vals, np.bool_)
    if vals and all(type(v) is int for v in vals):
        try:
            return np.array(vals, np.int64)
        except OverflowError:
            return items
    if vals and all(type(v) is float for v in vals):
        return np.array(vals, np.float64)
    return items


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
    cols, utc, carried = _normalize(columns)
    if schema is None:
        s = carried if carried is not None else _infer(cols, utc, "Row")
    else:
        s = Schema.parse(schema)
    lengths = {len(c) for c in cols.values()}
    if isinstance(columns, Columns):
        lengths.add(columns.num_rows)  # records without columns (empty records) still count
    if len(lengths) > 1:
        raise EncodeError(f"columns differ in length: {sorted(lengths)}")
    n = lengths.pop() if lengths else 0
    p = _EncPlanner()
    root = p.top(s, cols, n)
    plan = _k.Plan([tuple(x) for x in p.nodes], p.kids, [], root, len(p.arrays), tuple(p.paths), ())
    enc = _k._Encoder(plan, p.arrays)
    blocks = _encode_blocks(enc, n, sync_interval)
    _write_container(dest, s, blocks, codec, codec_level, sync_interval, metadata)
    return n


def _encode_blocks(enc: Any, n: int, sync_interval: int) -> Iterator[tuple[int, bytes]]:
    left = n
    while left > 0:
        count, data = enc.encode(left, sync_interval)
        left -= count
        yield count, data


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
    from .codecs import get_codec
    from .container import Writer

    c = get_codec(codec)
    with Writer(dest, schema, codec=codec, codec_level=level, sync_interval=sync_interval,
                metadata=metadata) as w:
        for count, data in blocks:
            w.write_raw_block(count, data if codec == "null" else c.compress(data, level))
