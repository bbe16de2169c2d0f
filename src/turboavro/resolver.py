"""The one resolver: everything the Avro specification ("Schema Resolution") and Java decide
for a writer x reader pair, decided once, as a plain, printable tree.

``resolve(writer, reader)`` returns a :class:`Resolved` node per (writer, reader) pair met. A
node says which rule applies (its ``kind``), with what it decided: field matching (by name, then
by the reader field's aliases), writer-only fields to skip, reader-only fields and their
defaults, promotions, enum symbol maps (the reader's default symbol applied), the reader union
branch Java prefers for a writer type, and per writer union branch the resolution of that
branch. Each node also lists its own *problems*: what makes the pair unreadable, as one of
Java's incompatibility types, with its location relative to the node (JSON Pointer tokens) and
whether it fails always (``static``) or only for some data (an enum symbol the reader lacks).

Its consumers never compare the two schemas again and never re-decide a rule:

- the row plan compiler (``resolution.read_plan``, executed by ``_kernels/_codec.pyx``);
- the column plan compiler (``columnar.planning``, executed by ``_kernels/_columns.pyx``);
- the compatibility checker (``compatibility``), which reports the tree's problems.

Nodes are memoised per (writer, reader) pair of schema objects, so recursive schemas give a
cyclic graph, and a pair met twice is one node.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import SchemaResolutionError
from .schema import Field, Schema

__all__ = [
    "PROMOTIONS",
    "FieldMatch",
    "Problem",
    "Resolved",
    "Resolver",
    "best_branch",
    "names_match",
    "resolve",
    "schemas_match",
    "unreadable",
]

# Writer type -> the reader types it may be promoted to ("Schema Resolution": int is
# promotable to long, float, or double; long to float or double; float to double; string to
# bytes; bytes to string).
PROMOTIONS: dict[str, tuple[str, ...]] = {
    "int": ("long", "float", "double"),
    "long": ("float", "double"),
    "float": ("double",),
    "string": ("bytes",),
    "bytes": ("string",),
}

_NAMED = ("record", "enum", "fixed")

# Problem types: Java's SchemaCompatibility.SchemaIncompatibilityType names, plus two that only
# readers raise (a reader field whose aliases name several writer fields; a writer field that
# two reader fields claim), which Java's checker does not report as incompatibilities.
NAME_MISMATCH = "NAME_MISMATCH"
FIXED_SIZE_MISMATCH = "FIXED_SIZE_MISMATCH"
MISSING_ENUM_SYMBOLS = "MISSING_ENUM_SYMBOLS"
READER_FIELD_MISSING_DEFAULT_VALUE = "READER_FIELD_MISSING_DEFAULT_VALUE"
TYPE_MISMATCH = "TYPE_MISMATCH"
MISSING_UNION_BRANCH = "MISSING_UNION_BRANCH"
AMBIGUOUS_FIELD = "AMBIGUOUS_FIELD"


def names_match(writer: Schema, reader: Schema) -> bool:
    """Named types match by unqualified name, or by a reader alias naming the writer's full
    name ("Schema Resolution"; Java >= 1.10 compares unqualified names, so a namespace change
    alone still matches)."""
    return writer.name == reader.name or writer.fullname in reader.aliases


def schemas_match(writer: Schema, reader: Schema) -> bool:
    """Shallow: could data of ``writer`` be read as ``reader`` at this level (both unions
    defer to their branches)?"""
    wt, rt = writer.type, reader.type
    if wt == "union" or rt == "union":
        return True
    if wt == rt:
        if wt in ("record", "enum"):
            return names_match(writer, reader)
        if wt == "fixed":
            return names_match(writer, reader) and writer.size == reader.size
        return True
    return rt in PROMOTIONS.get(wt, ())


def best_branch(writer: Schema, reader_union: Schema) -> int | None:
    """Java's choice of reader union branch for a non-union writer ("Schema Resolution": the
    first branch that matches; Java prefers an exact match — the same primitive, or the same
    full name —, then the same unqualified name, then the first structural or promotable
    match)."""
    branches = reader_union.branches
    wt = writer.type
    named = wt in _NAMED
    for j, b in enumerate(branches):
        if b.type == wt and (not named or b.fullname == writer.fullname):
            if wt != "fixed" or b.size == writer.size:
                return j
    if named:
        for j, b in enumerate(branches):
            if b.type == wt and schemas_match(writer, b):
                return j
    for j, b in enumerate(branches):
        if b.type != "union" and schemas_match(writer, b):
            return j
    return None


@dataclass(frozen=True, eq=False)
class Problem:
    """Why (part of) a pair cannot be read.

    ``type``: one of Java's incompatibility types (or ``AMBIGUOUS_FIELD``); ``tokens``: where,
    as JSON Pointer tokens relative to the node that lists it; ``static``: the pair can never
    be read (else only some data fails: an unknown enum symbol); ``reason``: the readers' error
    text; ``reader``/``writer``: the fragments at that place; ``field``: for field problems,
    the reader field concerned; ``symbols``: for MISSING_ENUM_SYMBOLS, the writer symbols the
    reader lacks (sorted)."""

    type: str
    tokens: tuple[str, ...]
    static: bool
    reason: str
    reader: Schema
    writer: Schema
    field: Field | None = None
    symbols: tuple[str, ...] = ()


@dataclass(eq=False)
class FieldMatch:
    """A writer field (in writer order) and the reader field it fills, with the resolution
    of their types; ``reader is None`` for a writer-only field, which readers skip."""

    writer: Field
    reader: Field | None
    node: Resolved | None


@dataclass(eq=False, slots=True)
class Resolved:
    """One node of the resolved tree: how data of ``writer`` is read as ``reader``.

    ``kind`` is one of:

    - ``"primitive"``: the same primitive type; ``"promote"``: a promotion (the reader type
      decides what is built);
    - ``"fixed"``, ``"enum"``, ``"record"``, ``"array"``, ``"map"``: the same complex type;
    - ``"writer_union"``: the writer is a union; ``branches[i]`` resolves writer branch i
      against the reader (a branch the reader cannot read fails only for data in it);
    - ``"reader_union"``: the writer is not a union, the reader is; ``chosen`` is the branch
      Java prefers (None: none matches) and ``target`` its resolution;
    - ``"mismatch"``: types that never match.
    """

    kind: str
    writer: Schema
    reader: Schema
    # the node's own problems (empty: readable, but for what its children say)
    problems: list[Problem] = field(default_factory=list)
    items: Resolved | None = None  # array items / map values
    fields: list[FieldMatch] = field(default_factory=list)  # record: in writer order
    # record: in reader order, each reader field with the writer field it reads and their
    # resolution (None, None: a reader-only field, filled from its default)
    sources: list[tuple[Field, Field | None, Resolved | None]] = field(default_factory=list)
    # enum: per writer symbol, the reader symbol it reads as (the reader's default for
    # symbols the reader lacks; None where there is no default: that data fails)
    symbol_map: tuple[str | None, ...] = ()
    branches: list[Resolved] = field(default_factory=list)  # writer union
    chosen: int | None = None  # reader union: the reader branch read
    target: Resolved | None = None  # reader union: resolution against that branch

    @property
    def static_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.static]

    def describe(self, indent: int = 0, _seen: set[int] | None = None) -> str:
        """A readable dump of the tree (for debugging and tests)."""
        seen = _seen if _seen is not None else set()
        pad = "  " * indent
        head = f"{pad}{self.kind} {_short(self.writer)} -> {_short(self.reader)}"
        if id(self) in seen:
            return head + " (again)"
        seen.add(id(self))
        lines = [head]
        for p in self.problems:
            where = "/" + "/".join(p.tokens) if p.tokens else ""
            lines.append(f"{pad}  ! {p.type}{where}{'' if p.static else ' (data)'}: {p.reason}")
        if self.items is not None:
            lines.append(self.items.describe(indent + 1, seen))
        for m in self.fields:
            if m.node is None:
                lines.append(f"{pad}  skip {m.writer.name!r}")
            else:
                assert m.reader is not None
                lines.append(f"{pad}  {m.writer.name!r} -> {m.reader.name!r}:")
                lines.append(m.node.describe(indent + 2, seen))
        for rf, wf, _node in self.sources:
            if wf is None:
                dflt = f"default {rf.default!r}" if rf.has_default else "no default"
                lines.append(f"{pad}  {rf.name!r} from {dflt}")
        if self.kind == "enum":
            lines.append(f"{pad}  symbols {self.symbol_map}")
        for i, b in enumerate(self.branches):
            lines.append(f"{pad}  [{i}]")
            lines.append(b.describe(indent + 2, seen))
        if self.kind == "reader_union":
            lines.append(f"{pad}  chosen {self.chosen}")
            if self.target is not None:
                lines.append(self.target.describe(indent + 1, seen))
        return "\n".join(lines)


class Resolver:
    """Resolves (writer, reader) pairs, memoising one node per pair of schema objects."""

    def __init__(self) -> None:
        # (id(writer), id(reader)) -> node; the node holds both schemas, so the ids stay valid
        self._memo: dict[tuple[int, int], Resolved] = {}

    def resolve(self, writer: Schema, reader: Schema) -> Resolved:
        key = (id(writer), id(reader))
        node = self._memo.get(key)
        if node is not None:
            return node
        wt, rt = writer.type, reader.type
        if wt == "union":
            kind = "writer_union"
        elif rt == "union":
            kind = "reader_union"
        elif wt == rt:
            kind = wt if wt in _COMPLEX else "primitive"
        elif rt in PROMOTIONS.get(wt, ()):
            kind = "promote"
        else:
            kind = "mismatch"
        node = Resolved(kind, writer, reader)
        # memoised before its children: a recursive type meets this node again
        self._memo[key] = node
        rule = _RULES.get(kind)
        if rule is not None:
            rule(self, node)
        return node

    def alternatives(self, node: Resolved) -> list[Resolved]:
        """Reader union node: the resolution of the writer against every reader branch (what
        the compatibility checker weighs: some branch must read the writer)."""
        return [self.resolve(node.writer, b) for b in node.reader.branches]

    # -- rules ------------------------------------------------------------------------------

    def _mismatch(self, node: Resolved) -> None:
        w, r = node.writer, node.reader
        node.problems.append(
            Problem(TYPE_MISMATCH, (), True,
                    f"writer type {_short(w)} cannot be read as {_short(r)}", r, w)
        )

    def _name(self, node: Resolved) -> None:
        w, r = node.writer, node.reader
        if not names_match(w, r):
            node.problems.append(
                Problem(NAME_MISMATCH, ("name",), True,
                        f"names differ: writer {w.fullname!r}, reader {r.fullname!r} (and no "
                        f"reader alias names the writer)", r, w)
            )

    def _fixed(self, node: Resolved) -> None:
        self._name(node)
        w, r = node.writer, node.reader
        if w.size != r.size:
            node.problems.append(
                Problem(FIXED_SIZE_MISMATCH, ("size",), True,
                        f"fixed sizes differ: writer {w.fullname} has {w.size}, reader "
                        f"{r.fullname} has {r.size}", r, w)
            )

    def _enum(self, node: Resolved) -> None:
        self._name(node)
        w, r = node.writer, node.reader
        known = set(r.symbols)
        # "Schema Resolution": a writer symbol the reader lacks reads as the reader's default
        # symbol; without one, reading it is an error (only data holding it fails).
        default = r.default if r.default in known else None
        node.symbol_map = tuple(s if s in known else default for s in w.symbols)
        missing = sorted(s for s in w.symbols if s not in known)
        if missing and default is None:
            node.problems.append(
                Problem(MISSING_ENUM_SYMBOLS, ("symbols",), False,
                        f"reader enum {r.fullname} lacks writer symbols {missing} and has no "
                        f"default", r, w, symbols=tuple(missing))
            )

    def _array(self, node: Resolved) -> None:
        node.items = self.resolve(node.writer.items, node.reader.items)

    def _map(self, node: Resolved) -> None:
        node.items = self.resolve(node.writer.values, node.reader.values)

    def _writer_union(self, node: Resolved) -> None:
        node.branches = [self.resolve(b, node.reader) for b in node.writer.branches]

    def _reader_union(self, node: Resolved) -> None:
        w, r = node.writer, node.reader
        node.chosen = best_branch(w, r)
        if node.chosen is None:
            node.problems.append(
                Problem(MISSING_UNION_BRANCH, (), True,
                        f"no branch of reader union {_short(r)} matches writer {_short(w)}", r, w)
            )
        else:
            node.target = self.resolve(w, r.branches[node.chosen])

    def _record(self, node: Resolved) -> None:
        self._name(node)
        w, r = node.writer, node.reader
        claimed: dict[str, Field] = {}  # writer field name -> the reader field reading it
        for rf in r.fields:
            wf = _writer_field(w, rf)
            hits = [a for a in rf.aliases if w.field(a) is not None] if rf.aliases else ()
            if len(hits) > 1 and w.field(rf.name) is None:
                node.problems.append(
                    Problem(AMBIGUOUS_FIELD, ("fields", str(rf.index)), True,
                            f"reader field {rf.name!r} matches several writer fields through "
                            f"its aliases: {', '.join(hits)}", r, w, field=rf)
                )
            if wf is None:
                node.sources.append((rf, None, None))
                if not rf.has_default:
                    node.problems.append(
                        Problem(READER_FIELD_MISSING_DEFAULT_VALUE, ("fields", str(rf.index)),
                                True, f"reader field {rf.name!r} is missing from the writer and "
                                f"has no default", r, w, field=rf)
                    )
                continue
            if wf.name in claimed:
                node.problems.append(
                    Problem(AMBIGUOUS_FIELD, ("fields", str(rf.index)), True,
                            f"writer field {wf.name!r} is matched by reader fields "
                            f"{claimed[wf.name].name!r} and {rf.name!r}", r, w, field=rf)
                )
            else:
                claimed[wf.name] = rf
            node.sources.append((rf, wf, self.resolve(wf.type, rf.type)))
        nodes = {id(rf): child for rf, _wf, child in node.sources}
        for wf in w.fields:
            reads = claimed.get(wf.name)
            node.fields.append(FieldMatch(wf, reads, None if reads is None else nodes[id(reads)]))


_COMPLEX = ("record", "enum", "fixed", "array", "map")

# kind -> the rule that fills its node (primitives and promotions need nothing more)
_RULES = {
    "mismatch": Resolver._mismatch,
    "fixed": Resolver._fixed,
    "enum": Resolver._enum,
    "array": Resolver._array,
    "map": Resolver._map,
    "record": Resolver._record,
    "writer_union": Resolver._writer_union,
    "reader_union": Resolver._reader_union,
}


def _writer_field(w: Schema, rf: Field) -> Field | None:
    """The writer field a reader field reads: the one of the same name, else the first that
    one of the reader field's aliases names ("Schema Resolution", aliases)."""
    direct = w.field(rf.name)
    if direct is not None:
        return direct
    for alias in rf.aliases:
        found = w.field(alias)
        if found is not None:
            return found
    return None


def unreadable(path: str, reason: str) -> SchemaResolutionError:
    """The error a reader raises for a pair it can never read (one wording for rows and
    columns): the problem's reason, at ``path``."""
    return SchemaResolutionError(f"reader schema cannot read writer data: {reason}", path)


def resolve(writer: Any, reader: Any = None) -> Resolved:
    """The resolved tree of ``writer`` read as ``reader`` (default: the writer itself)."""
    w = Schema.parse(writer)
    r = w if reader is None else Schema.parse(reader)
    return Resolver().resolve(w, r)


def _short(schema: Schema) -> str:
    """A short name of a schema for messages: ``record a.R``, ``array<long>``, ``[null, int]``,
    ``bytes with logical type decimal(4, 2)``."""
    lt = schema.logical_type
    if lt is not None:
        if lt == "decimal":
            lt = f"decimal({schema.precision}, {schema.scale})"
        base = f"fixed {schema.fullname}" if schema.type == "fixed" else schema.type
        return f"{base} with logical type {lt}"
    if schema.type in _NAMED:
        return f"{schema.type} {schema.fullname}"
    if schema.type == "union":
        return "[" + ", ".join(_short(b) for b in schema.branches) + "]"
    if schema.type == "array":
        return f"array<{_short(schema.items)}>"
    if schema.type == "map":
        return f"map<{_short(schema.values)}>"
    return schema.type
