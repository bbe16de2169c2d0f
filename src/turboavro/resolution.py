"""Row plans: the resolved tree (``resolver``) compiled into plain, printable plans that the
row codec (``_kernels/_codec.pyx``) executes without ever looking at a schema again, and the
encode plans of a schema.

The resolver decides the resolution rules (Avro specification, "Schema Resolution"); this
module picks each node's codec op from what it decided (a promotion such as ``int_as_float``,
a logical conversion such as ``ts_millis``), converts reader-only fields' defaults to Python
values once, and raises the first problem that makes the pair unreadable, naming the path.
Failures that depend on the data (a writer union branch or enum symbol the reader cannot
take) are recorded in the plan and raised at decode time with path and offset. Read plans are
cached per (writer, reader) pair.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import logical as _logical
from .errors import AvroError, SchemaError, SchemaResolutionError
from .resolver import (
    AMBIGUOUS_FIELD,
    FIXED_SIZE_MISMATCH,
    Resolved,
    Resolver,
    _short,
    unreadable,
)
from .schema import Field, Schema

# logical type -> codec op (decimal and uuid depend on the underlying type: logical_op)
_LOGICAL_OPS: dict[str, str] = {
    "date": "date",
    "time-millis": "time_millis",
    "time-micros": "time_micros",
    "timestamp-millis": "ts_millis",
    "timestamp-micros": "ts_micros",
    "timestamp-nanos": "ts_nanos",
    "local-timestamp-millis": "lts_millis",
    "local-timestamp-micros": "lts_micros",
    "local-timestamp-nanos": "lts_nanos",
    "duration": "duration",
    "big-decimal": "big_decimal",
}

# Nanosecond timestamps decode to datetime with the nanoseconds floored to microseconds
# (datetime's resolution); ``logical=False`` gives the exact int. The encoder takes either.

def logical_op(schema: Schema) -> str | None:
    """The codec op of a schema's (valid) logical type, or None for none."""
    lt = schema.logical_type
    if lt is None:
        return None
    if lt == "decimal":
        return "decimal_fixed" if schema.type == "fixed" else "decimal_bytes"
    if lt == "uuid":
        return "uuid_fixed" if schema.type == "fixed" else "uuid_string"
    return _LOGICAL_OPS.get(lt)


@dataclass(eq=False)
class ReadNode:
    """One node of a read plan. ``op`` is the primitive/complex type read from the writer's
    bytes, possibly a promotion (``int_as_float``) or a logical conversion (``ts_millis``)."""

    op: str
    name: str  # type name for messages
    size: int = 0  # fixed: byte size
    precision: int = 0  # decimal
    scale: int = 0  # decimal
    items: ReadNode | None = None  # array items / map values
    branches: tuple[ReadNode | None, ...] = ()  # writer union: reader plan per writer branch
    branch_errors: tuple[str | None, ...] = ()  # why a writer branch cannot be read
    # union, with read_plan(branches=True): the name of the reader branch each writer branch
    # is read as (None: not into a union); values are then (name, value) tuples
    labels: tuple[str | None, ...] | None = None
    symbols: tuple[str | None, ...] = ()  # enum: reader symbol per writer index (None: unknown)
    enum_default: str | None = None  # reader enum default for unknown symbols
    steps: list[FieldStep] = field(default_factory=list)  # record, writer field order
    defaults: list[DefaultField] = field(default_factory=list)  # record, reader-only fields
    reader_order: tuple[str, ...] = ()  # record: reader field names, in reader order

    def describe(self, indent: int = 0, _seen: set[int] | None = None) -> str:
        """A readable dump of the plan (for debugging and tests)."""
        seen = _seen if _seen is not None else set()
        pad = "  " * indent
        head = f"{pad}{self.op} {self.name}"
        if id(self) in seen:
            return head + " (recursive)"
        seen.add(id(self))
        lines = [head]
        if self.items is not None:
            lines.append(self.items.describe(indent + 1, seen))
        for i, b in enumerate(self.branches):
            if b is None:
                lines.append(f"{pad}  [{i}] error: {self.branch_errors[i]}")
            else:
                lines.append(f"{pad}  [{i}]\n" + b.describe(indent + 2, seen))
        for s in self.steps:
            label = f"field {s.key!r}" if s.key is not None else "skip"
            lines.append(f"{pad}  {label}:\n" + s.node.describe(indent + 2, seen))
        for d in self.defaults:
            lines.append(f"{pad}  default {d.key!r} = {d.value!r}")
        if self.op == "enum" and self.symbols:
            lines.append(f"{pad}  symbols {self.symbols} default {self.enum_default!r}")
        return "\n".join(lines)


@dataclass(eq=False)
class FieldStep:
    """A writer field: decoded into ``key`` of the reader record, or skipped when key is None."""

    key: str | None
    node: ReadNode


@dataclass(eq=False)
class DefaultField:
    """A reader-only field filled from its default, converted to a Python value at plan time.
    ``mutable`` values (lists, dicts) are copied per record so records never share them."""

    key: str
    value: Any
    mutable: bool


# -- defaults (spec: Records, Unions and Enums) -----------------------------------------------------------------


def default_to_python(schema: Schema, value: Any, logical: bool = True) -> Any:
    """Convert a field default from its JSON form (spec: Records) to the Python value the decoder
    would produce for that schema. The schema model has already validated it."""
    t = schema.type
    if t == "union":
        # 1.12: the default corresponds to the first branch it is valid for (spec: Unions).
        for branch in schema.branches:
            if _default_fits(branch, value):
                return default_to_python(branch, value, logical)
        raise SchemaResolutionError(f"default {value!r} matches no branch of the union")
    if t in ("bytes", "fixed"):
        out: Any = value.encode("latin-1")
    elif t == "record":
        out = {}
        for f in schema.fields:
            if f.name in value:
                out[f.name] = default_to_python(f.type, value[f.name], logical)
            elif f.has_default:  # Java lets a missing field take its own default (spec: Records)
                out[f.name] = default_to_python(f.type, f.default, logical)
            else:
                raise SchemaResolutionError(f"record default lacks field {f.name!r}")
        return out
    elif t == "array":
        return [default_to_python(schema.items, v, logical) for v in value]
    elif t == "map":
        return {k: default_to_python(schema.values, v, logical) for k, v in value.items()}
    elif t in ("float", "double"):
        out = float(value)
    else:
        out = value
    if logical:
        out = _underlying_to_logical(schema, out)
    return out


def field_default(f: Field, logical: bool = True) -> Any:
    """The Python value of field ``f``'s default (:func:`default_to_python`), for the plans
    that fill it in. The parser checks a default against the underlying types only, as Java
    does; a default with no value of its logical type (a string that is no UUID, a date or a
    timestamp beyond Python's range) cannot be filled in as one: a :class:`SchemaError` naming
    the field here. A reader that needs it for every record (its field is not in the writer)
    fails with it; writers take the field as having no usable default, as they take a default
    that does not fit its field, so only a record without the field is refused."""
    try:
        return default_to_python(f.type, f.default, logical)
    except AvroError:
        raise
    except (ValueError, ArithmeticError) as e:
        raise SchemaError(
            f"invalid default for field {f.name!r}: {f.default!r} has no value of its logical "
            f"type ({e}); with logical=False the underlying value is used"
        ) from None


def usable_default(f: Field, logical: bool = True) -> tuple[bool, Any]:
    """(True, its value) for a field whose default a writer can fill in, else (False, None):
    no default, or one with no value of its logical type (see :func:`field_default`)."""
    if not f.has_default:
        return False, None
    try:
        return True, field_default(f, logical)
    except SchemaResolutionError:
        raise  # not this rule: a default of no branch, a record default lacking a field
    except SchemaError:
        return False, None


def _default_fits(schema: Schema, value: Any) -> bool:
    t = schema.type
    if t == "null":
        return value is None
    if t == "boolean":
        return isinstance(value, bool)
    if t in ("int", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if t in ("float", "double"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t in ("bytes", "string", "enum"):
        return isinstance(value, str) and (t != "enum" or value in schema.symbols)
    if t == "fixed":
        return isinstance(value, str) and len(value) == schema.size
    if t == "array":
        return isinstance(value, list)
    if t in ("map", "record"):
        return isinstance(value, dict)
    return False


def _underlying_to_logical(schema: Schema, value: Any) -> Any:
    op = logical_op(schema)
    if op is None:
        return value
    if op == "date":
        return _logical.days_to_date(value)
    if op in ("time_millis", "time_micros"):
        return _logical.int_to_time(value, op[5:])
    if op in ("ts_millis", "ts_micros", "ts_nanos", "lts_millis", "lts_micros", "lts_nanos"):
        return _logical.int_to_datetime(value, op.split("_")[1], op.startswith("lts"))
    if op in ("decimal_bytes", "decimal_fixed"):
        return _logical.decode_decimal(value, schema.scale or 0)
    if op == "big_decimal":
        return _logical.decode_big_decimal(value)
    if op == "uuid_string":
        import uuid

        return uuid.UUID(value)
    if op == "uuid_fixed":
        import uuid

        return uuid.UUID(bytes=value)
    if op == "duration":
        return _logical.decode_duration(value)
    return value


_IMMUTABLE = (type(None), bool, int, float, str, bytes)


def _is_immutable(value: Any) -> bool:
    if isinstance(value, _IMMUTABLE):
        return True
    return not isinstance(value, (list, dict))


# -- the read plan ---------------------------------------------------------------------------


class _Compiler:
    """Compiles a resolved tree (``resolver``) into row read nodes: picks each node's codec op
    from what the resolver decided, and raises the first problem that makes the pair
    unreadable where it is met. Decides no resolution rule itself."""

    def __init__(self, resolver: Resolver, logical: bool, branches: bool | UnionTag = False) -> None:
        self.resolver = resolver
        self.logical = logical
        self.branches = branches
        self.memo: dict[int, ReadNode] = {}

    def compile(self, res: Resolved, path: str) -> ReadNode:
        node = self.memo.get(id(res))
        if node is not None:
            return node
        kind = res.kind
        if kind == "writer_union":
            return self._writer_union(res, path)
        if kind == "reader_union":
            if res.target is None:
                raise unreadable(path, res.problems[0].reason)
            return self.compile(res.target, path)
        if res.problems:
            own = [p for p in res.problems if p.static and p.field is None]
            if own:
                # a fixed whose name and size both differ: the size is what is reported
                sized = [p for p in own if p.type == FIXED_SIZE_MISMATCH]
                raise unreadable(path, (sized or own)[0].reason)
        if kind in ("record", "enum", "fixed", "array", "map"):
            return getattr(self, "_" + kind)(res, path)
        return self._scalar(res)

    def identity(self, schema: Schema) -> ReadNode:
        return self.compile(self.resolver.resolve(schema, schema), "$")

    def _scalar(self, res: Resolved) -> ReadNode:
        wt, rt = res.writer.type, res.reader.type
        op = wt
        if res.kind == "promote":
            if rt == "float" and wt in ("int", "long"):
                op = f"{wt}_as_float"  # rounds through float32, as Java's (float) cast does
            elif rt == "double" and wt in ("int", "long"):
                op = f"{wt}_as_double"
            elif rt in ("float", "double"):
                op = "float"
            elif rt == "long":
                op = "int"
            else:
                op = rt  # string <-> bytes: the bytes are the same, the reader's type decides
        node = ReadNode(op, _short(res.reader))
        return self._logical(node, res.reader)

    def _logical(self, node: ReadNode, reader: Schema) -> ReadNode:
        if not self.logical:
            return node
        lop = logical_op(reader)
        if lop is None:
            return node
        underlying = node.op
        # Logical types apply to the reader's underlying type; a promoted writer value is
        # converted the same way (e.g. an int writer read as timestamp-millis long).
        if lop in ("decimal_bytes", "uuid_string", "big_decimal") and underlying not in ("bytes", "string"):
            return node
        node.op = lop
        node.precision = reader.precision or 0
        node.scale = reader.scale or 0
        return node

    def _fixed(self, res: Resolved, path: str) -> ReadNode:
        node = ReadNode("fixed", res.reader.fullname, size=res.writer.size)
        self.memo[id(res)] = node
        return self._logical(node, res.reader)

    def _enum(self, res: Resolved, path: str) -> ReadNode:
        # the resolver applied the reader's default to unknown symbols; None: that data fails
        node = ReadNode("enum", res.reader.fullname, symbols=res.symbol_map)
        self.memo[id(res)] = node
        return node

    def _array(self, res: Resolved, path: str) -> ReadNode:
        node = ReadNode("array", "array")
        self.memo[id(res)] = node
        assert res.items is not None
        node.items = self.compile(res.items, path + ".items")
        return node

    def _map(self, res: Resolved, path: str) -> ReadNode:
        node = ReadNode("map", "map")
        self.memo[id(res)] = node
        assert res.items is not None
        node.items = self.compile(res.items, path + ".values")
        return node

    def _writer_union(self, res: Resolved, path: str) -> ReadNode:
        node = ReadNode("union", _short(res.reader))
        self.memo[id(res)] = node
        branches: list[ReadNode | None] = []
        errors: list[str | None] = []
        for i, b in enumerate(res.branches):
            try:
                branches.append(self.compile(b, f"{path}[{i}]"))
                errors.append(None)
            except SchemaResolutionError as e:
                # Only data in this branch fails ("Schema Resolution", unions); say so at
                # decode time.
                branches.append(None)
                errors.append(f"writer union branch {i} ({_short(b.writer)}) cannot be read: {e}")
        if all(b is None for b in branches) and branches:
            raise unreadable(
                path,
                f"no branch of writer union {_short(res.writer)} can be read as {_short(res.reader)}",
            )
        node.branches = tuple(branches)
        node.branch_errors = tuple(errors)
        if callable(self.branches):
            # the caller decides each branch's label (the fastavro facade's options)
            tags = tuple(
                self.branches(
                    res.writer, b.writer,
                    res.reader.branches[b.chosen]
                    if b.kind == "reader_union" and b.chosen is not None else None,
                )
                for b in res.branches
            )
            node.labels = tags if any(t is not None for t in tags) else None
        elif self.branches and res.reader.type == "union":
            # null needs no name: None is a value of no other branch
            chosen = [
                res.reader.branches[b.chosen]
                if b.kind == "reader_union" and b.chosen is not None else None
                for b in res.branches
            ]
            node.labels = tuple(
                None if c is None or c.type == "null" else union_branch_name(c) for c in chosen
            )
        return node

    def _record(self, res: Resolved, path: str) -> ReadNode:
        node = ReadNode("record", res.reader.fullname)
        self.memo[id(res)] = node
        for p in res.problems:
            if p.type == AMBIGUOUS_FIELD:
                assert p.field is not None
                raise unreadable(f"{path}.{p.field.name}", p.reason)
        for m in res.fields:
            if m.reader is None or m.node is None:
                node.steps.append(FieldStep(None, self.identity(m.writer.type)))
            else:
                child = self.compile(m.node, f"{path}.{m.reader.name}")
                node.steps.append(FieldStep(m.reader.name, child))
        for rf, wf, _child in res.sources:
            if wf is not None:
                continue
            if not rf.has_default:
                reason = next(p.reason for p in res.problems if p.field is rf)
                raise unreadable(f"{path}.{rf.name}", reason)
            value = field_default(rf, self.logical)
            node.defaults.append(DefaultField(rf.name, value, not _is_immutable(value)))
        node.reader_order = tuple(f.name for f in res.reader.fields)
        return node


# (writer union, writer branch, reader branch chosen for it or None) -> label or None
UnionTag = Callable[[Schema, Schema, "Schema | None"], Any]


def read_plan(
    writer: Any, reader: Any = None, *, logical: bool = True, branches: bool | UnionTag = False
) -> ReadNode:
    """Compile the plan that reads data written with ``writer`` as ``reader`` (default: the
    writer itself). Raises SchemaResolutionError if the reader can never read the writer.
    ``branches``: read a union's value as a ``(branch name, value)`` tuple. A callable
    ``branches(writer_union, writer_branch, reader_branch)`` (an internal hook: the fastavro
    facade's ``return_record_name``) picks each writer branch's label instead, None for
    values returned plain; ``reader_branch`` is None when the reader is not a union."""
    w = Schema.parse(writer)
    r = w if reader is None else Schema.parse(reader)
    key = (w, r, logical, branches)
    plan = _PLANS.get(key)
    if plan is None:
        resolver = Resolver()
        plan = _Compiler(resolver, logical, branches).compile(resolver.resolve(w, r), "$")
        with _PLANS_LOCK:
            if len(_PLANS) >= _MAX_PLANS:
                del _PLANS[next(iter(_PLANS))]  # the oldest
            _PLANS[key] = plan
    return plan


# Compiled read plans by (writer, reader, logical, branches): schemas compare by content, so equal
# schemas parsed apart share a plan; plans are never mutated once built.
_PLANS: dict[tuple[Schema, Schema, bool, Any], ReadNode] = {}
_MAX_PLANS = 256
_PLANS_LOCK = threading.Lock()


def union_branch_name(s: Schema) -> str:
    """A union branch's name in the Avro JSON encoding ("JSON Encoding": the fullname of a
    named type, else the type name; a logical type goes by its underlying type)."""
    return s.fullname if s.type in ("record", "enum", "fixed") else s.type


# -- the write plan --------------------------------------------------------------------------


@dataclass(eq=False)
class WriteNode:
    """One node of an encode plan; ``op`` as in :class:`ReadNode`."""

    op: str
    name: str
    schema: Schema
    size: int = 0
    precision: int = 0
    scale: int = 0
    items: WriteNode | None = None
    branches: tuple[WriteNode, ...] = ()
    branch_names: tuple[tuple[str, ...], ...] = ()  # names a (name, value) tuple may use
    symbols: tuple[str, ...] = ()
    fields: list[WriteField] = field(default_factory=list)


@dataclass(eq=False)
class WriteField:
    key: str
    node: WriteNode
    has_default: bool
    default: Any  # Python value (converted at plan time), encoded once by the codec


def write_plan(schema: Any, *, logical: bool = True) -> WriteNode:
    """Compile the plan that encodes Python values of ``schema`` (cached per schema)."""
    s = Schema.parse(schema)
    key = (s, logical)
    plan = _WRITE_PLANS.get(key)
    if plan is None:
        plan = _write_plan(s, logical)
        with _PLANS_LOCK:
            if len(_WRITE_PLANS) >= _MAX_PLANS:
                del _WRITE_PLANS[next(iter(_WRITE_PLANS))]  # the oldest
            _WRITE_PLANS[key] = plan
    return plan


_WRITE_PLANS: dict[tuple[Schema, bool], WriteNode] = {}


def _write_plan(schema: Schema, logical: bool) -> WriteNode:
    memo: dict[int, WriteNode] = {}

    def build(s: Schema) -> WriteNode:
        node = memo.get(id(s))
        if node is not None:
            return node
        t = s.type
        node = WriteNode(t, _short(s), s)
        memo[id(s)] = node
        if t == "fixed":
            node.size = s.size
        elif t == "enum":
            node.symbols = tuple(s.symbols)
        elif t in ("array", "map"):
            node.items = build(s.items if t == "array" else s.values)
        elif t == "union":
            node.branches = tuple(build(b) for b in s.branches)
            node.branch_names = tuple(_branch_names(b) for b in s.branches)
        elif t == "record":
            for f in s.fields:
                has_default, default = usable_default(f, logical)
                node.fields.append(WriteField(f.name, build(f.type), has_default, default))
        lop = logical_op(s) if logical else None
        if lop is not None:
            node.op = lop
            node.precision = s.precision or 0
            node.scale = s.scale or 0
        return node

    return build(schema)


def _branch_names(s: Schema) -> tuple[str, ...]:
    if s.type in ("record", "enum", "fixed"):
        return (s.fullname, s.name)
    names = [s.type]
    if s.logical_type:
        names.append(s.logical_type)
    return tuple(names)
