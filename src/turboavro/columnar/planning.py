"""Column plans: specs allocated from the reader schema, nodes that decode the writer's
bytes into them (from the resolved writer x reader tree), compiled once per writer x reader x
projection and cached."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from .._kernels import _columns as _k
from ..errors import (
    SchemaError,
    SchemaResolutionError,
    UnknownFieldError,
)
from ..resolution import default_to_python
from ..resolver import AMBIGUOUS_FIELD, Resolved, Resolver, _short, unreadable
from ..schema import Schema, min_datum_size

# ----------------------------------------------------------------------------------------------
# Column specs (from the reader schema) and the plan (writer x reader x projection)
# ----------------------------------------------------------------------------------------------

_OPS = _k.OPS

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
        self.resolver = Resolver()

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

    def node(self, res: Resolved, spec: Any, path: str) -> int:
        """The node decoding ``res.writer`` into ``spec`` (allocated from ``res.reader``), as
        the resolver decided."""
        r = res.reader
        if isinstance(spec, _Nullable):
            inner_r = _nullable_parts(r)[1]  # type: ignore[index]
            if res.kind == "writer_union":
                n = self._node("NULLABLE", path, spec.valid, width=1)
                kids: list[int] = []
                table: list[int] = []
                for b in res.branches:
                    if _reads_null(b):
                        table.append(-1)
                        continue
                    k = self._branch(b, spec.inner, path)
                    if k is not None:
                        table.append(len(kids))
                        kids.append(k)
                    else:
                        table.append(-2)
                fill = len(kids)
                kids.append(kids[0] if kids else self.node(self._identity(inner_r), spec.inner, path))
                self._set_kids(n, kids)
                self._set_table(n, table, len(table))
                self.nodes[n][9] = fill
                return n
            if _reads_null(res):
                # the writer's null has no bytes: decode a one-branch union index 0 (null)
                # from a constant, through the nullable op
                n = self._node("NULLABLE", path, spec.valid, width=1)
                fill = self.node(self._identity(inner_r), spec.inner, path)
                self._set_kids(n, [fill])
                self._set_table(n, [-1], 1)
                d = self._node("DEFAULT", path, dflt=b"\x00")
                self._set_kids(d, [n])
                return d
            if res.target is None:
                raise unreadable(path, res.problems[0].reason)
            n = self._node("VALID", path, spec.valid, width=1)
            self._set_kids(n, [self.node(res.target, spec.inner, path)])
            return n
        if isinstance(spec, _Union):
            rb = r.branches
            writer_branches = res.branches if res.kind == "writer_union" else [res]
            pairs: list[int] = []
            kids = []
            for b in writer_branches:
                j = b.chosen  # the reader branch Java prefers for this writer branch
                k = None if j is None or rb[j].type == "null" else (
                    self._branch(b, spec.branches[j], path)
                )
                if j is None or (k is None and rb[j].type != "null"):
                    pairs += [-2, 0]
                elif k is None:
                    pairs += [-1, j]
                else:
                    pairs += [len(kids), j]
                    kids.append(k)
            if res.kind != "writer_union":
                if pairs[0] == -2:
                    raise unreadable(path, (res.problems or _problems_of(res.target))[0].reason)
                n = self._node("UNION_CONST", path, spec.codes, width=1, size=pairs[1])
                self._set_kids(n, kids)
                self.nodes[n][9] = 0 if kids else -1
                return n
            n = self._node("UNION", path, spec.codes, width=1)
            # null placeholders go to the reader's null branch if it has one, else branch 0
            null_j = next((j for j, b in enumerate(rb) if b.type == "null"), None)
            if null_j is not None:
                fill, code = -1, null_j
            elif not rb:
                fill, code = -1, 0  # an empty union holds no value: nothing to fill
            else:
                code = 0
                fill = len(kids)
                kids.append(self.node(self._identity(rb[0]), spec.branches[0], path))
            self._set_kids(n, kids)
            self._set_table(n, pairs, len(pairs))
            self.nodes[n][9] = fill
            self.nodes[n][10] = code
            return n
        if res.kind == "writer_union":
            # writer union, reader not: each branch as the resolver resolved it against the
            # reader; only data in a branch the reader cannot read fails
            n = self._node("UNWRAP", path)
            kids, table = [], []
            for b in res.branches:
                k = self._branch(b, spec, path)
                if k is not None:
                    table.append(len(kids))
                    kids.append(k)
                else:
                    table.append(-2)
            if not kids:
                raise unreadable(
                    path, f"no branch of writer union {_short(res.writer)} can be read as {_short(r)}"
                )
            self._set_kids(n, kids)
            self._set_table(n, table, len(table))
            return n
        own = [p for p in res.problems if p.static and p.field is None]
        if own:
            raise unreadable(path, own[0].reason)
        w = res.writer
        if isinstance(spec, _Dec):
            return self.node(res, spec.raw, path)
        if isinstance(spec, _Leaf):
            if w.type == "fixed":
                return self._node("FIXED", path, spec.col, size=int(w.size))
            op = _READ_OP.get((w.type, spec.dtype))
            if op is None:
                raise unreadable(path, f"writer type {_short(w)} cannot be read as {_short(r)}")
            return self._node(op, path, spec.col, width=_DTYPE_WIDTH[spec.dtype])
        if isinstance(spec, _Bin):
            return self._node("STRING" if spec.is_string else "BYTES", path, spec.off, spec.data)
        if isinstance(spec, _Enum):
            n = self._node("ENUM", path, spec.col, width=spec.width)
            rsyms = {s: i for i, s in enumerate(spec.symbols)}
            # the reader symbol per writer symbol (its default applied), -1: that data fails
            table = [-1 if s is None else rsyms[s] for s in res.symbol_map]
            self._set_table(n, table, len(table))
            return n
        if isinstance(spec, _List):
            assert res.items is not None
            n = self._node("ARRAY", path, spec.off, width=8, size=min_datum_size(w.items))
            self._set_kids(n, [self.node(res.items, spec.items, path + "[]")])
            return n
        if isinstance(spec, _Map):
            assert res.items is not None
            n = self._node(
                "MAP", path, spec.off, spec.koff, spec.kdata, width=8, size=1 + min_datum_size(w.values)
            )
            self._set_kids(n, [self.node(res.items, spec.values, path + "[]")])
            return n
        if isinstance(spec, _Struct):
            return self._record(res, spec, path)
        if isinstance(spec, _Null):
            return self._node("NOTHING", path)
        raise AssertionError(f"unhandled spec {spec!r}")  # pragma: no cover

    def _identity(self, schema: Schema) -> Resolved:
        return self.resolver.resolve(schema, schema)

    def _branch(self, res: Resolved, spec: Any, path: str) -> int | None:
        """The node of one writer union branch (resolved against the reader), or None if the
        reader cannot read it: only data in that branch fails, at decode time ("Schema
        Resolution", unions)."""
        if res.kind == "reader_union":
            if res.target is None:
                return None
            res = res.target
        try:
            return self.node(res, spec, path)
        except SchemaResolutionError:
            return None

    def _record(self, res: Resolved, spec: _Struct, path: str) -> int:
        n = self._node("RECORD", path)
        for p in res.problems:
            if p.type == AMBIGUOUS_FIELD:
                assert p.field is not None
                raise unreadable(f"{path}.{p.field.name}", p.reason)
        kids = []
        for m in res.fields:  # writer order, each with the reader field the resolver matched
            rf = m.reader
            fpath = f"{path}.{rf.name if rf else m.writer.name}"
            if rf is None or m.node is None or rf.name not in spec.fields:
                kids.append(self.skip(m.writer.type, fpath))
                continue
            kids.append(self.node(m.node, spec.fields[rf.name], fpath))
        for rf, wf, _child in res.sources:  # reader-only fields the projection keeps
            if wf is not None or rf.name not in spec.fields:
                continue
            fpath = f"{path}.{rf.name}"
            if not rf.has_default:
                reason = next(p.reason for p in res.problems if p.field is rf)
                raise unreadable(fpath, reason)
            d = self._node("DEFAULT", fpath, dflt=_encode_default(rf.type, rf.default, fpath))
            self._set_kids(d, [self.node(self._identity(rf.type), spec.fields[rf.name], fpath)])
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
            n = self._node("SKIP_ARRAY", path, size=min_datum_size(w.items))
            self._skip_memo[id(w)] = n
            self._set_kids(n, [self.skip(w.items, path + "[]")])
        elif t == "map":
            n = self._node("SKIP_MAP", path, size=1 + min_datum_size(w.values))
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
    """Binary encoding of a field default given in its JSON form (Avro specification, Records and Unions: field defaults): the
    DEFAULT node decodes these bytes per record like writer data."""
    from ..codec import Encoder

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
    order: tuple[str, ...] | None = None  # the projection's names, in the order asked


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
                close = difflib.get_close_matches(name, list(known), n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise UnknownFieldError(
                    f"no column {name!r} in {r.fullname}; {hint}columns are {sorted(known)}"
                )
        select = set(proj)
    spec = p.spec(r, "$", True, select)
    root = p.node(p.resolver.resolve(writer, r), spec, "$")
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
        plan, spec, r, p.col_width, p.col_per_row, min_datum_size(writer), row_width,
        order=proj,
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


def _reads_null(res: Resolved) -> bool:
    """A writer branch the resolver reads as the reader union's null branch."""
    return res.kind == "reader_union" and res.chosen is not None and (
        res.reader.branches[res.chosen].type == "null"
    )


def _problems_of(res: Resolved | None) -> list[Any]:
    return [] if res is None else res.problems
