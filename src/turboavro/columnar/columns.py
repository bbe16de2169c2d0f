"""Column objects: the values of a columnar read (numpy arrays, or the objects below for
strings, enums, decimals, lists, maps, structs and unions) and their Arrow, pandas and numpy
views."""
from __future__ import annotations

import decimal as _decimal
import operator
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import logical as _logical
from ..schema import Schema

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


# ----------------------------------------------------------------------------------------------
# Indexing: every column object is a sequence of the values a user expects
# ----------------------------------------------------------------------------------------------


def _rows(n: int, key: Any) -> slice | int:
    """``key`` (an int, possibly negative, or a slice) checked against ``n`` rows."""
    if isinstance(key, slice):
        return slice(*key.indices(n))
    try:
        i = operator.index(key)
    except TypeError:
        raise TypeError(f"column indices must be integers or slices, not {type(key).__name__}") from None
    if not -n <= i < n:
        raise IndexError(f"row {i} out of range for a column of {n} rows (valid: {-n} to {n - 1})"
                         if n else f"row {i} out of range for an empty column")
    return i + n if i < 0 else i


def _item_of(col: Any, i: int) -> Any:
    """Row ``i`` of any column as a Python value (None for a null)."""
    if isinstance(col, _Column):
        return col._value(i)
    if isinstance(col, np.ma.MaskedArray):
        if np.ma.getmaskarray(col)[i]:
            return None
        return _item_of(col.data, i)
    kind = col.dtype.kind
    if kind == "S":  # numpy's S scalars drop trailing NUL bytes
        size = col.dtype.itemsize
        return np.ascontiguousarray(col[i : i + 1]).tobytes()[:size]
    if kind in "Mm":
        unit = np.datetime_data(col.dtype)[0]
        name = _TIME_UNITS.get(unit)
        if name is not None:  # the row reader's values: datetime (ns floored to us), time
            n = int(col[i].astype(np.int64))
            return _logical.int_to_datetime(n, name, True) if kind == "M" else _logical.int_to_time(n, name)
    return col[i].item() if col.dtype != object else col[i]


_TIME_UNITS = {"ms": "millis", "us": "micros", "ns": "nanos"}


def _take_of(col: Any, idx: np.ndarray) -> Any:
    """The rows ``idx`` (int64 positions) of any column, as a column of the same kind."""
    if isinstance(col, _Column):
        return col._take(idx)
    return col[idx]


def _gather_ranges(offsets: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows ``idx`` of an offsets array: the new offsets (from 0) and the child positions
    they cover, in order."""
    starts, ends = offsets[idx], offsets[idx + 1]
    lengths = ends - starts
    new = np.zeros(len(idx) + 1, np.int64)
    np.cumsum(lengths, out=new[1:])
    total = int(new[-1])
    # child position of every covered item: its range's start plus its place in the range
    owner = np.repeat(np.arange(len(idx)), lengths)
    child = starts[owner] + (np.arange(total, dtype=np.int64) - new[:-1][owner])
    return new, child


class _Column:
    """Sequence behaviour shared by the column objects: ``len``, integer indexing (negative
    too) giving the value a user expects (``None`` for a null), slices giving a column of the
    same type (zero-copy for a step of 1), iteration, and ``IndexError`` naming the bounds."""

    validity: np.ndarray | None

    def __len__(self) -> int:  # pragma: no cover - every column defines it
        raise NotImplementedError

    def __getitem__(self, key: Any) -> Any:
        n = len(self)
        rows = _rows(n, key)
        if isinstance(rows, int):
            return self._value(rows)
        start, stop, step = rows.start, rows.stop, rows.step
        if step == 1:
            stop = max(start, stop)
            return self._slice(start, stop)
        return self._take(np.arange(start, stop, step, dtype=np.int64))

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self[i]

    def _value(self, i: int) -> Any:
        """Row ``i`` (in range): its value, or None for a null."""
        if self.validity is not None and not self.validity[i]:
            return None
        return self._item(i)

    def _valid(self, sel: Any) -> np.ndarray | None:
        return None if self.validity is None else self.validity[sel]

    def _item(self, i: int) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _slice(self, start: int, stop: int) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _take(self, idx: np.ndarray) -> Any:  # pragma: no cover
        raise NotImplementedError


@dataclass(eq=False)
class BinaryColumn(_Column):
    """Strings or bytes in the Arrow ``large_string``/``large_binary`` layout: value ``i`` is
    ``data[offsets[i]:offsets[i+1]]``. ``validity`` (bool, or None) marks non-null rows."""

    offsets: np.ndarray  # int64, len + 1 entries
    data: np.ndarray  # uint8
    is_string: bool = True
    validity: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def _item(self, i: int) -> str | bytes:
        raw = self.data[self.offsets[i] : self.offsets[i + 1]].tobytes()
        return raw.decode("utf-8") if self.is_string else raw

    def _slice(self, start: int, stop: int) -> BinaryColumn:
        return BinaryColumn(self.offsets[start : stop + 1], self.data, self.is_string,
                            self._valid(slice(start, stop)))

    def _take(self, idx: np.ndarray) -> BinaryColumn:
        offsets, child = _gather_ranges(self.offsets, idx)
        return BinaryColumn(offsets, self.data[child], self.is_string, self._valid(idx))

    def to_numpy(self) -> np.ndarray:
        """Object array of ``str`` (or ``bytes``), None for nulls."""
        raw = self.data.tobytes()
        offs = self.offsets.tolist()  # a slice's offsets need not start at 0
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
class EnumColumn(_Column):
    """Enum symbols as integer ``codes`` into ``categories`` (the reader's symbols)."""

    codes: np.ndarray  # int8 / int16 / int32
    categories: tuple[str, ...]
    validity: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.codes)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.codes if dtype is None else self.codes.astype(dtype)

    def _item(self, i: int) -> str:
        return self.categories[int(self.codes[i])]

    def _slice(self, start: int, stop: int) -> EnumColumn:
        return EnumColumn(self.codes[start:stop], self.categories, self._valid(slice(start, stop)))

    def _take(self, idx: np.ndarray) -> EnumColumn:
        return EnumColumn(self.codes[idx], self.categories, self._valid(idx))

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
class DecimalColumn(_Column):
    """Decimals (Avro specification, Logical Types: Decimal): ``raw`` holds the big-endian two's complement unscaled
    values (a :class:`BinaryColumn` for bytes, an ``S{n}`` array for fixed)."""

    raw: Any
    precision: int
    scale: int
    validity: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.raw)

    def _item(self, i: int) -> _decimal.Decimal:
        unscaled = int.from_bytes(_item_of(self.raw, i), "big", signed=True)
        return _decimal.Decimal(unscaled).scaleb(-self.scale, _EXACT)

    def _slice(self, start: int, stop: int) -> DecimalColumn:
        return DecimalColumn(self.raw[start:stop], self.precision, self.scale,
                             self._valid(slice(start, stop)))

    def _take(self, idx: np.ndarray) -> DecimalColumn:
        return DecimalColumn(_take_of(self.raw, idx), self.precision, self.scale, self._valid(idx))

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
class ListColumn(_Column):
    """Arrays: item ``values[offsets[i]:offsets[i+1]]`` of row ``i`` (Arrow large_list)."""

    offsets: np.ndarray  # int64
    values: Any
    validity: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def _item(self, i: int) -> list[Any]:
        return [_item_of(self.values, j) for j in range(int(self.offsets[i]), int(self.offsets[i + 1]))]

    def _slice(self, start: int, stop: int) -> ListColumn:
        return ListColumn(self.offsets[start : stop + 1], self.values, self._valid(slice(start, stop)))

    def _take(self, idx: np.ndarray) -> ListColumn:
        offsets, child = _gather_ranges(self.offsets, idx)
        return ListColumn(offsets, _take_of(self.values, child), self._valid(idx))

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
class MapColumn(_Column):
    """Maps: entries ``offsets[i]:offsets[i+1]`` of ``keys`` (strings) and ``values``."""

    offsets: np.ndarray  # int64
    keys: BinaryColumn
    values: Any
    validity: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def _item(self, i: int) -> dict[str, Any]:
        rng = range(int(self.offsets[i]), int(self.offsets[i + 1]))
        return {str(self.keys._item(j)): _item_of(self.values, j) for j in rng}

    def _slice(self, start: int, stop: int) -> MapColumn:
        return MapColumn(self.offsets[start : stop + 1], self.keys, self.values,
                         self._valid(slice(start, stop)))

    def _take(self, idx: np.ndarray) -> MapColumn:
        offsets, child = _gather_ranges(self.offsets, idx)
        return MapColumn(offsets, self.keys._take(child), _take_of(self.values, child),
                         self._valid(idx))

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
class StructColumn(_Column):
    """A record inside an array, map or union: one child column per field."""

    fields: dict[str, Any]
    length: int
    validity: np.ndarray | None = None

    def __len__(self) -> int:
        return self.length

    def _item(self, i: int) -> dict[str, Any]:
        return {name: _item_of(col, i) for name, col in self.fields.items()}

    def _slice(self, start: int, stop: int) -> StructColumn:
        return StructColumn({name: col[start:stop] for name, col in self.fields.items()},
                            stop - start, self._valid(slice(start, stop)))

    def _take(self, idx: np.ndarray) -> StructColumn:
        return StructColumn({name: _take_of(col, idx) for name, col in self.fields.items()},
                            len(idx), self._valid(idx))

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
class UnionColumn(_Column):
    """A union other than ``["null", T]``: ``type_codes[i]`` is the reader branch of row
    ``i`` and ``offsets[i]`` its position in ``children[type_codes[i]]`` (Arrow dense union;
    a null branch has a ``None`` child)."""

    type_codes: np.ndarray  # int8
    children: list[Any]
    names: list[str]
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    def __len__(self) -> int:
        return len(self.type_codes)

    validity = None  # a null is the null branch's value

    def _item(self, i: int) -> Any:
        child = self.children[int(self.type_codes[i])]
        return None if child is None else _item_of(child, int(self.offsets[i]))

    def _slice(self, start: int, stop: int) -> UnionColumn:
        # dense union: the rows keep pointing into the same children
        return UnionColumn(self.type_codes[start:stop], self.children, self.names,
                           self.offsets[start:stop])

    def _take(self, idx: np.ndarray) -> UnionColumn:
        return UnionColumn(self.type_codes[idx], self.children, self.names, self.offsets[idx])

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
                # as long as the rows of the null branch reach (a slice's may start past 0)
                at = self.offsets[self.type_codes == code]
                kids.append(pa.nulls(int(at.max()) + 1 if len(at) else 0))
            else:
                kids.append(_values_to_arrow(c))
        return pa.UnionArray.from_dense(
            pa.array(self.type_codes), pa.array(self.offsets), kids, self.names
        )



@dataclass(eq=False)
class TimestampColumn(_Column):
    """UTC instants (``timestamp-millis``/``-micros``/``-nanos``) inside lists, maps, structs
    and unions: ``values`` is ``datetime64`` counting from the Unix epoch in UTC; items,
    ``to_numpy()`` and ``to_arrow()`` are time-zone aware (UTC), as the row reader's values
    are. (Top-level timestamp columns are numpy arrays listed in ``Columns.utc``.)"""

    values: np.ndarray  # datetime64[ms|us|ns]
    validity: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.values)

    @property
    def unit(self) -> str:
        return str(np.datetime_data(self.values.dtype)[0])

    def _item(self, i: int) -> Any:
        # the row reader's conversion: nanoseconds floor to microseconds
        n = int(self.values[i].astype(np.int64))
        return _logical.int_to_datetime(n, _TIME_UNITS[self.unit], False)

    def _slice(self, start: int, stop: int) -> TimestampColumn:
        return TimestampColumn(self.values[start:stop], self._valid(slice(start, stop)))

    def _take(self, idx: np.ndarray) -> TimestampColumn:
        return TimestampColumn(self.values[idx], self._valid(idx))

    def to_masked(self) -> Any:
        """The naive ``datetime64`` values, masked where null."""
        if self.validity is None:
            return self.values
        return np.ma.MaskedArray(self.values, mask=~self.validity)

    def to_numpy(self) -> np.ndarray:
        """Object array of aware UTC ``datetime`` (None for nulls)."""
        out = np.empty(len(self), dtype=object)
        out[:] = list(self)
        return out

    def to_arrow(self) -> Any:
        import pyarrow as pa

        mask = None if self.validity is None else ~self.validity
        return pa.array(self.values, mask=mask).cast(pa.timestamp(self.unit, tz="UTC"))

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

    def __arrow_c_schema__(self) -> Any:
        """The Arrow PyCapsule interface (via pyarrow): the schema of :meth:`to_arrow`."""
        return self.to_arrow().schema.__arrow_c_schema__()

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """The Arrow PyCapsule interface: the columns as a stream of record batches, for
        ``pyarrow.table(cols)``, ``polars.from_arrow``/``polars.DataFrame(cols)``, DuckDB,
        ``pandas.DataFrame.from_arrow``... (buffers shared as :meth:`to_arrow` shares them)."""
        return self.to_arrow().__arrow_c_stream__(requested_schema)

    def __arrow_c_array__(self, requested_schema: Any = None) -> Any:
        """The Arrow PyCapsule interface: the columns as one record batch (a struct array)."""
        import pyarrow as pa

        table = self.to_arrow()
        batch = pa.RecordBatch.from_arrays(
            [c.combine_chunks() for c in table.columns], schema=table.schema
        )
        return batch.__arrow_c_array__(requested_schema)

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


