"""Row selection on decoded columns: filters, taking rows, joining the columns of several
reads.

Filters (``filters=`` of ``read_columns``, ``iter_batches``, the dataset readers, Dask and
Polars) are given in disjunctive normal form, as pyarrow's ``filters=`` are:

* a condition is a tuple ``(column, op, value)``: ``column`` a top-level column name (dotted
  for nested records, as :class:`Columns` names them); ``op`` one of ``==`` (or ``=``),
  ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in``, ``not in`` (``value`` then a collection),
  ``is null``, ``is not null`` (``value`` ignored);
* a list of conditions is their conjunction (and);
* a list of such lists is the disjunction (or) of the conjunctions.

A null value fails every comparison (``is null`` aside), as in SQL, pyarrow and Polars.
Comparable columns: numbers, booleans, strings, bytes and fixed, enums (by symbol), dates,
times and timestamps (``datetime``/``date``/``numpy.datetime64`` values; an aware
``datetime`` is compared as the UTC instant), decimals. Conditions on lists, maps,
records inside collections and unions are an error.

Rows are selected with numpy masks on each decoded batch, before it is returned.
"""
from __future__ import annotations

import datetime as _dt
import decimal as _decimal
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .columns import (
    BinaryColumn,
    Columns,
    DecimalColumn,
    EnumColumn,
    ListColumn,
    MapColumn,
    StructColumn,
    UnionColumn,
)

__all__ = ["Condition", "normalize_filters", "filter_columns", "filter_mask", "take",
           "concat", "concat_columns", "read_selected", "iter_selected"]

Condition = tuple[str, str, Any]
_OPS = {"==", "=", "!=", "<", "<=", ">", ">=", "in", "not in", "is null", "is not null"}


def normalize_filters(filters: Any) -> list[list[Condition]] | None:
    """Filters as a list of conjunctions of ``(column, op, value)`` (see the module
    docstring); None for no filters. Malformed filters raise ValueError."""
    if filters is None:
        return None
    if not isinstance(filters, Sequence) or isinstance(filters, (str, bytes)):
        raise ValueError(f"filters must be a list of (column, op, value) tuples, not {filters!r}")
    if not filters:
        return None
    if all(_is_condition(f) for f in filters):
        groups = [list(filters)]
    elif all(isinstance(f, (list, tuple)) and not _is_condition(f) for f in filters):
        groups = [list(g) for g in filters]
    else:
        raise ValueError(
            "filters must be a list of (column, op, value) tuples (and) or a list of such "
            f"lists (or of ands), not {filters!r}"
        )
    out = []
    for group in groups:
        conds = []
        for cond in group:
            if not _is_condition(cond):
                raise ValueError(f"filter condition must be (column, op, value), not {cond!r}")
            name, op, value = cond
            op = op.lower().strip()
            if op not in _OPS:
                raise ValueError(f"unknown filter operator {op!r} in {cond!r}; known: "
                                 f"{', '.join(sorted(_OPS))}")
            if op in ("in", "not in") and (
                isinstance(value, (str, bytes)) or not hasattr(value, "__iter__")
            ):
                raise ValueError(f"{op!r} needs a collection of values, not {value!r}")
            conds.append((name, "==" if op == "=" else op, value))
        out.append(conds)
    return out


def _is_condition(f: Any) -> bool:
    return (isinstance(f, (tuple, list)) and len(f) == 3 and isinstance(f[0], str)
            and isinstance(f[1], str))


def filter_columns(filters: list[list[Condition]] | None) -> list[str]:
    """The columns the filters read, in first-use order."""
    out: list[str] = []
    for group in filters or ():
        for name, _, _ in group:
            if name not in out:
                out.append(name)
    return out


def filter_mask(cols: Columns, filters: list[list[Condition]]) -> np.ndarray:
    """The bool mask of the rows of ``cols`` passing ``filters``."""
    n = cols.num_rows
    keep = np.zeros(n, bool)
    for group in filters:
        ok = np.ones(n, bool)
        for name, op, value in group:
            if name not in cols:
                raise ValueError(f"filter on {name!r}: no such column (columns: "
                                 f"{', '.join(cols)})")
            ok &= _condition(cols[name], op, value, name in cols.utc, name)
        keep |= ok
    return keep


def apply_filters(cols: Columns, filters: list[list[Condition]] | None,
                  drop: Sequence[str] = ()) -> Columns:
    """``cols`` with only the rows passing ``filters`` and without the columns ``drop``
    (read only to evaluate the filters)."""
    if filters:
        keep = filter_mask(cols, filters)
        if not keep.all():
            idx = np.flatnonzero(keep)
            cols = Columns({k: take(v, idx) for k, v in cols.items()}, len(idx), cols.schema,
                           cols.utc)
    if drop:
        cols = Columns({k: v for k, v in cols.items() if k not in drop}, cols.num_rows,
                       cols.schema, {k: v for k, v in cols.utc.items() if k not in drop})
    return cols


def _columns_to_read(columns: Any, filters: Any) -> tuple[Any, Any, list[str]]:
    """(normalized filters, columns to decode, columns decoded for the filters only)."""
    conds = normalize_filters(filters)
    if columns is None or conds is None:
        return conds, columns, []
    want = list(columns)
    extra = [c for c in filter_columns(conds) if c not in want]
    return conds, want + extra, extra


def read_selected(src: Any, columns: Any, reader_schema: Any, threads: int | None,
                  filters: Any) -> Columns:
    """The columns ``columns`` of the rows passing ``filters`` of an open container
    ``Reader`` (whole file or split): the projection decodes the filters' columns too, and
    drops them after filtering. The one reading path of ``read_columns`` and the datasets."""
    from .reading import read_open

    conds, read, extra = _columns_to_read(columns, filters)
    return apply_filters(read_open(src, read, reader_schema, threads), conds, extra)


def iter_selected(src: Any, batch_size: int, columns: Any, reader_schema: Any,
                  filters: Any) -> Iterator[Columns]:
    """:func:`read_selected` in batches of at most ``batch_size`` decoded rows (fewer where
    filters dropped rows; batches left empty are not yielded)."""
    from .reading import iter_open

    conds, read, extra = _columns_to_read(columns, filters)
    for batch in iter_open(src, batch_size, read, reader_schema):
        if conds is not None:
            batch = apply_filters(batch, conds, extra)
            if not batch.num_rows:
                continue
        yield batch


def _validity(col: Any) -> np.ndarray | None:
    if isinstance(col, np.ma.MaskedArray):
        return ~np.ma.getmaskarray(col)
    return getattr(col, "validity", None)


def _condition(col: Any, op: str, value: Any, utc: bool, name: str) -> np.ndarray:
    valid = _validity(col)
    if op in ("is null", "is not null"):
        nulls = np.zeros(len(col), bool) if valid is None else ~valid
        return nulls if op == "is null" else ~nulls
    if isinstance(col, (ListColumn, MapColumn, StructColumn, UnionColumn)):
        raise ValueError(f"filter on {name!r}: {type(col).__name__} values cannot be compared")
    values = _comparable(col)
    if op in ("in", "not in"):
        items = [_coerce(v, values, utc, name) for v in value]
        if values.dtype == object:
            hit = np.fromiter((x in items for x in values), bool, len(values))
        else:
            hit = np.isin(values, np.array(items, dtype=values.dtype) if items
                          else np.array([], values.dtype))
        out = hit if op == "in" else ~hit
    else:
        v = _coerce(value, values, utc, name)
        try:
            if values.dtype == object:
                out = _object_compare(values, op, v)
            else:
                out = np.asarray(_COMPARE[op](values, v), bool)
        except TypeError as e:
            raise ValueError(f"filter on {name!r}: cannot compare with {value!r}: {e}") from None
    return out if valid is None else out & valid


_COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _object_compare(values: np.ndarray, op: str, v: Any) -> np.ndarray:
    cmp = _COMPARE[op]
    out = np.zeros(len(values), bool)
    for i, x in enumerate(values.tolist()):
        if x is not None:
            out[i] = bool(cmp(x, v))
    return out


def _comparable(col: Any) -> np.ndarray:
    """An array to compare values with: numbers, bools, datetimes as they are; strings,
    bytes, enum symbols and decimals as objects (None for nulls)."""
    if isinstance(col, np.ma.MaskedArray):
        col = col.data
    if isinstance(col, np.ndarray):
        return _fixed_objects(col) if col.dtype.kind == "S" else col
    if isinstance(col, EnumColumn):
        return np.array(col.categories + ("",), dtype=object)[
            np.where(col.validity, col.codes, len(col.categories))
            if col.validity is not None else col.codes.astype(np.int64)]
    return col.to_numpy()  # BinaryColumn, DecimalColumn: objects


def _fixed_objects(col: np.ndarray) -> np.ndarray:
    size = col.dtype.itemsize
    raw = np.ascontiguousarray(col).tobytes()
    out = np.empty(len(col), dtype=object)
    out[:] = [raw[i : i + size] for i in range(0, len(raw), size)]
    return out


def _coerce(value: Any, values: np.ndarray, utc: bool, name: str) -> Any:
    kind = values.dtype.kind
    if kind in "Mm":
        if isinstance(value, _dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        if kind == "M":
            if hasattr(value, "to_datetime64"):  # pandas.Timestamp
                value = value.to_datetime64()
            return np.datetime64(value)
        if isinstance(value, _dt.time):
            value = _dt.timedelta(hours=value.hour, minutes=value.minute,
                                  seconds=value.second, microseconds=value.microsecond)
        return np.timedelta64(value)
    if isinstance(value, float) and kind == "O":
        return _decimal.Decimal(value) if _has_decimal(values) else value
    return value


def _has_decimal(values: np.ndarray) -> bool:
    return any(isinstance(x, _decimal.Decimal) for x in values[:1].tolist())


# ----------------------------------------------------------------------------------------------
# Taking rows
# ----------------------------------------------------------------------------------------------


def _ranges(offsets: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """New offsets of rows ``idx`` of a variable-size column, and the child positions they
    take (in order)."""
    starts = offsets[idx]
    lengths = offsets[idx + 1] - starts
    new = np.zeros(len(idx) + 1, np.int64)
    np.cumsum(lengths, out=new[1:])
    total = int(new[-1])
    src = np.arange(total, dtype=np.int64) + np.repeat(starts - new[:-1], lengths)
    return new, src


def _sub(valid: np.ndarray | None, idx: np.ndarray) -> np.ndarray | None:
    return None if valid is None else valid[idx]


def take(col: Any, idx: np.ndarray) -> Any:
    """Rows ``idx`` (int64 positions) of any column."""
    if isinstance(col, np.ndarray):  # masked arrays keep their mask
        return col[idx]
    if isinstance(col, BinaryColumn):
        off, src = _ranges(col.offsets, idx)
        return BinaryColumn(off, col.data[src], col.is_string, _sub(col.validity, idx))
    if isinstance(col, EnumColumn):
        return EnumColumn(col.codes[idx], col.categories, _sub(col.validity, idx))
    if isinstance(col, DecimalColumn):
        return DecimalColumn(take(col.raw, idx), col.precision, col.scale,
                             _sub(col.validity, idx))
    if isinstance(col, ListColumn):
        off, src = _ranges(col.offsets, idx)
        return ListColumn(off, take(col.values, src), _sub(col.validity, idx))
    if isinstance(col, MapColumn):
        off, src = _ranges(col.offsets, idx)
        return MapColumn(off, take(col.keys, src), take(col.values, src),
                         _sub(col.validity, idx))
    if isinstance(col, StructColumn):
        return StructColumn({k: take(v, idx) for k, v in col.fields.items()}, len(idx),
                            _sub(col.validity, idx))
    if isinstance(col, UnionColumn):
        codes = col.type_codes[idx]
        offs = col.offsets[idx]
        new_offsets = np.zeros(len(idx), np.int32)
        children = []
        for j, child in enumerate(col.children):
            sel = codes == j
            new_offsets[sel] = np.arange(int(np.count_nonzero(sel)), dtype=np.int32)
            children.append(None if child is None else take(child, offs[sel].astype(np.int64)))
        return UnionColumn(codes, children, list(col.names), new_offsets)
    raise TypeError(f"cannot take rows of {type(col).__name__}")  # pragma: no cover


# ----------------------------------------------------------------------------------------------
# Joining the columns of several reads (same reader schema)
# ----------------------------------------------------------------------------------------------


def _join_validity(cols: Sequence[Any]) -> np.ndarray | None:
    vals = [getattr(c, "validity", None) for c in cols]
    if all(v is None for v in vals):
        return None
    return np.concatenate([np.ones(len(c), bool) if v is None else v
                           for c, v in zip(cols, vals, strict=True)])


def _join_offsets(offsets: Sequence[np.ndarray]) -> np.ndarray:
    out = [np.zeros(1, np.int64)]
    base = 0
    for off in offsets:
        out.append(off[1:] - off[0] + base)
        base += int(off[-1] - off[0])
    return np.concatenate(out)


def concat(cols: Sequence[Any]) -> Any:
    """One column of the rows of several columns of the same type, in order."""
    first = cols[0]
    if len(cols) == 1:
        return first
    if isinstance(first, np.ndarray):
        if any(isinstance(c, np.ma.MaskedArray) for c in cols):
            return np.ma.concatenate(cols)
        return np.concatenate(cols)
    valid = _join_validity(cols)
    if isinstance(first, BinaryColumn):
        return BinaryColumn(
            _join_offsets([c.offsets for c in cols]),
            np.concatenate([c.data[c.offsets[0] : c.offsets[-1]] for c in cols]),
            first.is_string, valid)
    if isinstance(first, EnumColumn):
        return EnumColumn(np.concatenate([c.codes for c in cols]), first.categories, valid)
    if isinstance(first, DecimalColumn):
        return DecimalColumn(concat([c.raw for c in cols]), first.precision, first.scale, valid)
    if isinstance(first, ListColumn):
        return ListColumn(_join_offsets([c.offsets for c in cols]),
                          concat([take(c.values, np.arange(c.offsets[0], c.offsets[-1]))
                                  if c.offsets[0] else c.values for c in cols]), valid)
    if isinstance(first, MapColumn):
        parts = [c if not c.offsets[0] else
                 MapColumn(c.offsets - c.offsets[0],
                           take(c.keys, np.arange(c.offsets[0], c.offsets[-1])),
                           take(c.values, np.arange(c.offsets[0], c.offsets[-1])), c.validity)
                 for c in cols]
        return MapColumn(_join_offsets([c.offsets for c in parts]),
                         concat([c.keys for c in parts]), concat([c.values for c in parts]),
                         valid)
    if isinstance(first, StructColumn):
        return StructColumn({k: concat([c.fields[k] for c in cols]) for k in first.fields},
                            sum(len(c) for c in cols), valid)
    if isinstance(first, UnionColumn):
        offsets = []
        base = np.zeros(len(first.children), np.int64)
        for c in cols:
            offsets.append(c.offsets.astype(np.int64) + base[c.type_codes])
            base += [0 if k is None else len(k) for k in c.children]
        children = [None if first.children[j] is None
                    else concat([c.children[j] for c in cols])
                    for j in range(len(first.children))]
        return UnionColumn(np.concatenate([c.type_codes for c in cols]), children,
                           list(first.names), np.concatenate(offsets).astype(np.int32))
    raise TypeError(f"cannot join columns of {type(first).__name__}")  # pragma: no cover


def concat_columns(parts: Sequence[Columns], empty: Columns) -> Columns:
    """The rows of several :class:`Columns` with the same names and types, in order
    (``empty``: the result when there are no parts)."""
    parts = [p for p in parts if p.num_rows] or [empty]
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    return Columns({k: concat([p[k] for p in parts]) for k in first},
                   sum(p.num_rows for p in parts), first.schema, first.utc)
