"""Writing columns: schema inference from columns, the column encode plan, and the blocks
it encodes."""
from __future__ import annotations

import decimal as _decimal
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np

from .._kernels import _columns as _k
from ..errors import (
    EncodeError,
)
from ..schema import Schema
from .columns import (
    _EXACT,
    _ROOT_NAME,
    BinaryColumn,
    Columns,
    DecimalColumn,
    EnumColumn,
    ListColumn,
    MapColumn,
    StructColumn,
    TimestampColumn,
    UnionColumn,
)
from .interchange import _INT_RANGE, _UNIT_OF_LOGICAL, _normalize, _validity
from .planning import _OPS, _nullable_parts


def _first_value(col: np.ndarray) -> Any:
    for v in col:
        if v is not None:
            return v
    return None


def _infer_type(name: str, col: Any, is_utc: bool) -> Any:
    """Avro type (JSON) of one column (see docs/performance.md for the mapping)."""
    base: Any
    if isinstance(col, TimestampColumn):
        col = col.to_masked()
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
        if isinstance(col, TimestampColumn):
            col = col.to_masked()
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
            items = _covered(lc.values, lc.offsets)
            self._set_kids(node, [self.value(s.items, items, path + "[]", len(items))])
            return node
        if t == "map":
            mc = _as_map(col, path)
            keys = _as_binary(_covered(mc.keys, mc.offsets), True, path, None)
            node = self._node("MAP", path, self._buf(mc.offsets.astype(np.int64)),
                              self._buf(keys.offsets.astype(np.int64)), self._buf(keys.data))
            values = _covered(mc.values, mc.offsets)
            self._set_kids(node, [self.value(s.values, values, path + "[]", len(values))])
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


def _covered(child: Any, offsets: np.ndarray) -> Any:
    """The items of a list or map column that its offsets cover: all of them, or for a slice
    of a column (whose offsets need not start at 0 nor end at the last item) that range."""
    lo, hi = (int(offsets[0]), int(offsets[-1])) if len(offsets) else (0, 0)
    return child if (lo, hi) == (0, len(child)) else child[lo:hi]


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


def _encode_blocks(enc: Any, n: int, sync_interval: int) -> Iterator[tuple[int, bytes]]:
    left = n
    while left > 0:
        count, data = enc.encode(left, sync_interval)
        left -= count
        yield count, data


def encode_columns(
    columns: Any, schema: Any, sync_interval: int
) -> tuple[Schema, int, Iterator[tuple[int, bytes]]]:
    """The writer schema (``schema``, else inferred), the record count, and the blocks of
    ``(count, data)`` that encode ``columns`` (see :func:`turboavro.columnar.write_columns`).
    Rows are encoded by the native kernel straight into block buffers."""
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
    return s, n, _encode_blocks(enc, n, sync_interval)
