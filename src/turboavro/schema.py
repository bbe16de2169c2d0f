"""The Avro schema model: parsing, validation, Parsing Canonical Form, fingerprints, ``to_json``.

The Avro specification's Schema Declaration (with field defaults), Logical Types, Parsing
Canonical Form for Schemas and Schema Fingerprints sections. Everything else in turboavro consumes the immutable objects built here:

- ``Schema.parse(text_or_obj)`` / ``Schema.load(*paths)`` build a graph of ``Schema`` objects.
  Recursive schemas are real cycles (a record's field type may be the record itself).
- Validation is complete at parse time and raises :class:`SchemaError` with the JSON path of the
  offending node (``$.fields[2].type.symbols``). Field defaults are validated like current Java
  (``Schema.Parser`` with ``validateDefaults=true``, spec: Records).
- Invalid or unknown logical types never fail a parse (spec: Logical Types): the schema falls back to its
  underlying type, ``logical_type`` is ``None`` and the attributes stay in ``props``.
- Derived values (canonical form, fingerprints, ``to_json`` key) are computed lazily, once.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import sys
from collections.abc import Iterable, Mapping
from os import PathLike
from types import MappingProxyType
from typing import Any, NoReturn

from . import limits as _limits
from ._kernels import _schema_text
from ._schema_model import (
    _EMPTY_PROPS,
    _INT_MAX,
    _INT_MIN,
    _LONG_MAX,
    _LONG_MIN,
    _PRIMITIVE_SCHEMAS,
    _PRIMITIVES,
    _TWINS,
    PRIMITIVE_TYPES,
    ArraySchema,
    EnumSchema,
    Field,
    FixedSchema,
    MapSchema,
    NamedSchema,
    PrimitiveSchema,
    RecordSchema,
    Schema,
    UnionSchema,
    _copy_json,
    _freeze,
    _init_field,
    _init_fields,
    _init_named,
    _init_schema,
    _init_symbols,
    _is_int,
    _thaw,
    canonical_fingerprint,
    crc64_avro,
    min_datum_size,
    normalize_fingerprint_algorithm,
)
from .errors import SchemaError

__all__ = [
    "ArraySchema",
    "EnumSchema",
    "Field",
    "FixedSchema",
    "MapSchema",
    "NamedSchema",
    "PrimitiveSchema",
    "RecordSchema",
    "Schema",
    "UnionSchema",
    "canonical_fingerprint",
    "min_datum_size",
    "crc64_avro",
    "normalize_fingerprint_algorithm",
]


_ORDERS = ("ascending", "descending", "ignore")


# Reserved attributes per schema kind: everything else is a property (spec: Schema Declaration).
_NAMED_KEYS = frozenset({"type", "name", "namespace", "doc", "aliases"})


_RECORD_KEYS = _NAMED_KEYS | {"fields"}


_ENUM_KEYS = _NAMED_KEYS | {"symbols", "default"}


_FIXED_KEYS = _NAMED_KEYS | {"size"}


_ARRAY_KEYS = frozenset({"type", "items"})


_MAP_KEYS = frozenset({"type", "values"})


_PRIMITIVE_KEYS = frozenset({"type"})


_FIELD_KEYS = frozenset({"name", "type", "doc", "default", "aliases", "order"})


# Logical type -> underlying types it is valid on ("fixed" checked further below) (spec: Logical Types)
_LOGICAL_UNDERLYING = {
    "decimal": ("bytes", "fixed"),
    "big-decimal": ("bytes",),
    "uuid": ("string", "fixed"),
    "date": ("int",),
    "time-millis": ("int",),
    "time-micros": ("long",),
    "timestamp-millis": ("long",),
    "timestamp-micros": ("long",),
    "timestamp-nanos": ("long",),
    "local-timestamp-millis": ("long",),
    "local-timestamp-micros": ("long",),
    "local-timestamp-nanos": ("long",),
    "duration": ("fixed",),
}


_COMPLEX_TYPES = ("record", "enum", "array", "map", "fixed")


class _UnknownNameError(SchemaError):
    """A reference to a type that is not defined (yet): ``Schema.load`` retries on it.
    ``known``: the names it could have meant, for a "did you mean" hint."""

    def __init__(self, name: str, path: str, known: Iterable[str] = ()) -> None:
        self.name = name
        self.known = tuple(known)
        close = difflib.get_close_matches(name, [*PRIMITIVE_TYPES, *_COMPLEX_TYPES, *self.known], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        super().__init__(f"unknown type {name!r}{hint}", path)


def _parse_obj(
    obj: Any, named: Mapping[str, Schema] | None, lenient: bool = False
) -> Schema:
    try:
        schema, _ = _Parser(named, lenient).parse_document(obj)
    except RecursionError:
        raise SchemaError("schema is nested too deeply", "$") from None
    return schema


@functools.lru_cache(maxsize=256)
def _parse_text(text: str | bytes) -> Schema:
    schema = _read_text(text)
    return schema if schema is not None else _parse_obj(_decode_text(text), None)


def _read_text(text: str | bytes) -> Schema | None:
    """The schema of ``text`` read by the native reader (``_kernels/_schema_text.pyx``), or
    None when it leaves the text to the parser: it takes the valid schemas of the common
    case, the same way the parser would. Defaults it cannot tell valid at once are checked
    here, with the parser's rule. The parser reads everything else and reports the errors."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return None
    lim = _limits.get()
    read = _schema_text.read(text, lim.max_schema_depth, lim.max_json_depth)
    if read is None or (read[1] and any(
        _check_default(f.type, f._default, "$") is not None for f in read[1]
    )):
        return None
    return read[0]


@functools.lru_cache(maxsize=64)
def parse_header_schema(text: str | bytes) -> Schema:
    """Parse a container file's header schema as leniently as Java's reader does: names,
    namespaces, field names and enum symbols are not checked against the identifier rule
    (Java-reflect files put ``$`` in namespaces, other writers ``-`` in names) and field
    defaults are not validated (a writer's defaults are never used to read its data).
    Everything the codec relies on is still checked: structure, types, sizes, duplicate
    names, fields and symbols, union branches. ``Schema.parse`` stays strict."""
    return _parse_obj(_decode_text(text), None, lenient=True)


def parse_lenient(obj: Any) -> Schema:
    """Parse a decoded JSON schema as the fastavro facade (``turboavro.fastavro``) must: as
    leniently as :func:`parse_header_schema` (fastavro accepts such names too), and a field
    default that does not fit its type is dropped (the field then has no default), where
    fastavro keeps it unused. ``Schema.parse`` stays strict."""
    try:
        schema, defined = _Parser(None, lenient=True).parse_document(obj)
    except RecursionError:
        raise SchemaError("schema is nested too deeply", "$") from None
    for named in defined.values():
        if isinstance(named, RecordSchema):
            for f in named.fields:
                if f.has_default and _check_default(f.type, f._default, "$") is not None:
                    frozen = _thaw(f)
                    f.has_default = False
                    f._default = None
                    _freeze(f, frozen)
    return schema


def _decode_text(text: str | bytes | bytearray) -> Any:
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as e:
            raise SchemaError(f"schema text is not UTF-8: {e}", "$") from None
    stripped = text.strip()
    # A bare name ("int", "com.example.User") is accepted without JSON quotes.
    if stripped and stripped[0] not in '{["' and all(_is_name(p) for p in stripped.split(".")):
        return stripped
    # No schema the parser accepts nests deeper (three levels a record: its object, "fields",
    # a field; a default or property inside), and json.loads would recurse through it all
    lim = _limits.get()
    stack = sys.getrecursionlimit() // 2  # the parser's own bound (_Parser.max_stack)
    depth = min(lim.max_schema_depth, stack)
    if _limits.json_too_deep(stripped, 3 * depth + lim.max_json_depth + 1):
        raise SchemaError(
            "schema is nested too deeply" if depth == stack else
            "schema is nested too deeply: its JSON nests deeper than a schema within the "
            f"limits max_schema_depth={lim.max_schema_depth} and max_json_depth="
            f"{lim.max_json_depth} can (raise them with turboavro.limits.configure(...))",
            "$",
        )
    try:
        return json.loads(stripped)
    except ValueError as e:
        raise SchemaError(f"schema is not valid JSON: {e}", "$") from None
    except RecursionError:
        raise SchemaError("schema is nested too deeply", "$") from None


def _check_named(named: Mapping[str, Schema]) -> dict[str, NamedSchema]:
    out: dict[str, NamedSchema] = {}
    for key, s in named.items():
        if not isinstance(s, NamedSchema):
            raise TypeError(f"named[{key!r}] must be a record, enum or fixed Schema, not {s!r}")
        out[s.fullname] = s
        # also every named type the given schema defines internally
        for fn, inner in s.named_types.items():
            out.setdefault(fn, inner)
    return out


def _bare_message(e: SchemaError) -> str:
    msg = str(e)
    suffix = f" (at {e.path})"
    return msg[: -len(suffix)] if e.path and msg.endswith(suffix) else msg


def _type_desc(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _fail(message: str, path: str) -> NoReturn:
    raise SchemaError(message, path)


def _field_path(record_path: str, i: int, rest: str = "") -> str:
    return f"{record_path}.fields[{i}]{rest}"


def _is_name(s: str) -> bool:
    """``[A-Za-z_][A-Za-z0-9_]*``, the rule for names, namespace parts and enum symbols: for
    ASCII text exactly ``str.isidentifier`` (and 4x faster than the regular expression)."""
    return s.isascii() and s.isidentifier()


_new = object.__new__


# The parser builds the model's immutable objects as their mutable twins (see _TWINS in
# _schema_model), assigns every slot plainly and turns them into the real class at the end:
# one class switch per object instead of an ``__init__`` chain (this is the parse's hot path).
_FIELD_TWIN: Any = _TWINS[Field]
_PRIMITIVE_TWIN: Any = _TWINS[PrimitiveSchema]
_RECORD_TWIN: Any = _TWINS[RecordSchema]
_ENUM_TWIN: Any = _TWINS[EnumSchema]
_FIXED_TWIN: Any = _TWINS[FixedSchema]
_ARRAY_TWIN: Any = _TWINS[ArraySchema]
_MAP_TWIN: Any = _TWINS[MapSchema]
_UNION_TWIN: Any = _TWINS[UnionSchema]


def _new_field(
    name: str,
    type: Schema,
    index: int,
    has_default: bool,
    default: Any,
    order: str,
    aliases: tuple[str, ...],
    doc: str | None,
    props: dict[str, Any] | None,
) -> Field:
    """``Field(...)`` without the keyword handling, for the parser (same attributes)."""
    f = _new(_FIELD_TWIN)
    _init_field(f, name, type, index, has_default, default, order, aliases, doc, props)
    f.__class__ = Field
    return f


def _new_schema(twin: Any, type: str, props: dict[str, Any] | None) -> Any:
    """A mutable twin with ``Schema``'s own attributes set; the caller sets the rest and
    switches ``__class__`` to the real class."""
    s = _new(twin)
    _init_schema(s, type, props)
    return s


def _new_named(
    twin: Any,
    type: str,
    full: str,
    aliases: tuple[str, ...],
    doc: str | None,
    props: dict[str, Any] | None,
) -> Any:
    """A mutable twin with ``NamedSchema``'s attributes set (see :func:`_new_schema`)."""
    s = _new(twin)
    _init_schema(s, type, props)
    _init_named(s, full, aliases, doc)
    return s


class _Parser:
    """One parse: the table of defined names and the field defaults to validate at the end
    (a default can only be checked once its record, possibly recursive, is complete)."""

    __slots__ = ("names", "defined", "defaults", "lenient", "depth", "max_depth", "max_stack")

    def __init__(self, named: Mapping[str, Schema] | None, lenient: bool = False) -> None:
        self.names: dict[str, NamedSchema] = _check_named(named) if named else {}
        self.defined: dict[str, NamedSchema] = {}
        # (field, its record's path, its index): checked once every record is complete
        self.defaults: list[tuple[Field, str, int]] = []
        # parse_header_schema: no identifier rule for names and symbols, no default checks
        self.lenient = lenient
        # nesting of schema nodes: bounded so that the codecs, the resolver and the checker,
        # which walk schemas recursively, can handle every schema the parser accepts
        self.depth = 0
        self.max_depth = _limits.get().max_schema_depth
        # past about the depth where the parse would run out of frames (two or three per
        # level) it raises the RecursionError itself, at a depth whose stack fits a small
        # thread's (500 levels fit the 512 KB of a macOS thread): a raised max_schema_depth
        # never overflows the stack; the entry points make it a SchemaError
        self.max_stack = sys.getrecursionlimit() // 2

    def parse_document(self, obj: Any) -> tuple[Schema, dict[str, NamedSchema]]:
        schema = self.parse(obj, "", "$")
        if self.lenient:
            return schema, self.defined
        for field, rpath, i in self.defaults:
            problem = _check_default(field.type, field._default, _field_path(rpath, i, ".default"))
            if problem is not None:
                where, why = problem
                _fail(f"invalid default for field {field.name!r}: {why}", where)
        return schema, self.defined

    # -- names (spec: Names, Aliases) -----------------------------------------------------------------

    def resolve(self, ref: str, ns: str, path: str) -> Schema:
        if ref in _PRIMITIVES:
            return _PRIMITIVE_SCHEMAS[ref]
        names = self.names
        if "." in ref:
            s = names.get(ref)
        else:
            s = names.get(f"{ns}.{ref}") if ns else None
            if s is None:
                # Java falls back to the null namespace for an unqualified reference (spec: Names).
                s = names.get(ref)
        if s is None:
            if not ref:
                _fail("empty type name", path)
            raise _UnknownNameError(ref, path, names)
        return s

    def fullname(self, obj: dict[str, Any], ns: str, path: str) -> str:
        if "name" not in obj:
            _fail(f"{obj.get('type')} schema has no 'name'", path)
        name = obj["name"]
        if not isinstance(name, str):
            _fail(f"name must be a string, not {_type_desc(name)}", f"{path}.name")
        if "." in name:
            full = name  # a dotted name is the fullname, namespace is ignored (spec: Names)
        else:
            space = obj.get("namespace")
            if space is None:
                space = ns
            elif not isinstance(space, str):
                _fail(f"namespace must be a string, not {_type_desc(space)}", f"{path}.namespace")
            elif (
                space
                and not self.lenient
                and not all(map(_is_name, space.split(".")))
            ):
                _fail(f"invalid namespace {space!r}", f"{path}.namespace")
            full = f"{space}.{name}" if space else name
        parts = full.split(".")
        for p in () if self.lenient else parts:
            if not _is_name(p):
                _fail(
                    f"invalid name {name!r}: each part must match [A-Za-z_][A-Za-z0-9_]*",
                    f"{path}.name",
                )
        if parts[-1] in _PRIMITIVES:
            # Primitive names cannot be defined, in any namespace (spec: Names)
            _fail(f"cannot redefine primitive type {parts[-1]!r}", f"{path}.name")
        if full in self.names:
            _fail(f"type {full!r} is already defined", f"{path}.name")
        return full

    def aliases(self, obj: dict[str, Any], space: str | None, path: str) -> tuple[str, ...]:
        raw = obj.get("aliases")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            _fail(f"aliases must be an array of strings, not {_type_desc(raw)}", f"{path}.aliases")
        out = []
        for i, a in enumerate(raw):
            if not isinstance(a, str):
                _fail(f"alias must be a string, not {_type_desc(a)}", f"{path}.aliases[{i}]")
            # Any string is accepted; a relative alias takes the type's namespace (spec: Aliases)
            if space is not None and "." not in a and space:
                a = f"{space}.{a}"
            out.append(a)
        return tuple(out)

    def register(self, s: NamedSchema) -> None:
        self.names[s.fullname] = s
        self.defined[s.fullname] = s

    # -- schemas -----------------------------------------------------------------------------

    def parse(self, obj: Any, ns: str, path: str) -> Schema:
        if isinstance(obj, str):
            return self.resolve(obj, ns, path)
        self.depth += 1
        try:
            if self.depth > self.max_depth:
                _fail(_limits.exceeded("max_schema_depth", "schema is nested too deeply: its nesting"), path)
            if self.depth > self.max_stack:
                raise RecursionError("schema is nested too deeply")
            return self.parse_node(obj, ns, path)
        finally:
            self.depth -= 1

    def parse_node(self, obj: Any, ns: str, path: str) -> Schema:
        if isinstance(obj, dict):
            t = obj.get("type")
            if t is None:
                _fail(
                    "schema object has no 'type'" if "type" not in obj else "'type' is null", path
                )
            if not isinstance(t, str):
                if isinstance(t, (dict, list)):
                    _fail(
                        "'type' must be a type name; a nested schema belongs in a field's 'type'",
                        f"{path}.type",
                    )
                _fail(f"'type' must be a string, not {_type_desc(t)}", f"{path}.type")
            if t in _PRIMITIVES:
                return self.primitive(t, obj, path)
            if t == "record" or t == "error":
                return self.record(obj, ns, path, t == "error")
            if t == "enum":
                return self.enum(obj, ns, path)
            if t == "array":
                if "items" not in obj:
                    _fail("array schema has no 'items'", path)
                items = obj["items"]
                if type(items) is str and items in _PRIMITIVES:
                    items = _PRIMITIVE_SCHEMAS[items]
                else:
                    items = self.parse(items, ns, f"{path}.items")
                s = _new_schema(_ARRAY_TWIN, "array", _props(obj, _ARRAY_KEYS))
                s.items = items
                _logical(s, obj)
                s.__class__ = ArraySchema
                return s
            if t == "map":
                if "values" not in obj:
                    _fail("map schema has no 'values'", path)
                values = obj["values"]
                if type(values) is str and values in _PRIMITIVES:
                    values = _PRIMITIVE_SCHEMAS[values]
                else:
                    values = self.parse(values, ns, f"{path}.values")
                s = _new_schema(_MAP_TWIN, "map", _props(obj, _MAP_KEYS))
                s.values = values
                _logical(s, obj)
                s.__class__ = MapSchema
                return s
            if t == "fixed":
                return self.fixed(obj, ns, path)
            if t == "union":
                _fail("'union' is not a type name: write a union as a JSON array", f"{path}.type")
            # {"type": "SomeNamedType"}: Java accepts an object wrapping a reference
            try:
                return self.resolve(t, ns, f"{path}.type")
            except _UnknownNameError as e:
                raise _UnknownNameError(t, f"{path}.type", e.known) from None
        if isinstance(obj, list):
            return self.union(obj, ns, path)
        _fail(f"a schema must be a string, an object or an array, not {_type_desc(obj)}", path)

    def primitive(self, t: str, obj: dict[str, Any], path: str) -> Schema:
        if len(obj) == 1:
            return _PRIMITIVE_SCHEMAS[t]
        s = _new_schema(_PRIMITIVE_TWIN, t, _props(obj, _PRIMITIVE_KEYS))
        _logical(s, obj)
        s.__class__ = PrimitiveSchema
        return s

    def record(self, obj: dict[str, Any], ns: str, path: str, is_error: bool) -> Schema:
        full = self.fullname(obj, ns, path)
        space = full.rpartition(".")[0]
        if "fields" not in obj:
            _fail(f"record {full!r} has no 'fields'", path)
        raw_fields = obj["fields"]
        if not isinstance(raw_fields, list):
            _fail(f"'fields' must be an array, not {_type_desc(raw_fields)}", f"{path}.fields")
        doc = obj.get("doc")
        rec = _new_named(
            _RECORD_TWIN,
            "record",
            full,
            self.aliases(obj, space, path),
            doc if isinstance(doc, str) else None,
            _props(obj, _RECORD_KEYS, keep_bad_doc=True),
        )
        rec.is_error = is_error
        # registered before its fields: recursion through name references (spec: Names); it
        # stays the mutable twin (an instance of RecordSchema all the same) until they are set
        self.register(rec)
        fields: list[Field] = []
        seen: set[str] = set()
        lenient = self.lenient
        # Paths are built only on failure (``_field_path``): this loop is the parser's hot path.
        for i, fobj in enumerate(raw_fields):
            if not isinstance(fobj, dict):
                _fail(f"a field must be an object, not {_type_desc(fobj)}", _field_path(path, i))
            if "name" not in fobj:
                _fail("field has no 'name'", _field_path(path, i))
            fname = fobj["name"]
            if not isinstance(fname, str):
                _fail(
                    f"field name must be a string, not {_type_desc(fname)}",
                    _field_path(path, i, ".name"),
                )
            if not lenient and not _is_name(fname):
                _fail(
                    f"invalid field name {fname!r}: must match [A-Za-z_][A-Za-z0-9_]*",
                    _field_path(path, i, ".name"),
                )
            if fname in seen:
                _fail(
                    f"duplicate field name {fname!r} in record {full!r}",
                    _field_path(path, i, ".name"),
                )
            seen.add(fname)
            if "type" not in fobj:
                _fail(f"field {fname!r} has no 'type'", _field_path(path, i))
            ft = fobj["type"]
            if type(ft) is str and ft in _PRIMITIVES:
                ftype: Schema = _PRIMITIVE_SCHEMAS[ft]
            else:
                ftype = self.parse(ft, space, _field_path(path, i, ".type"))
            order = fobj.get("order", "ascending")
            if order not in _ORDERS:
                _fail(
                    f"order must be 'ascending', 'descending' or 'ignore', not {order!r}",
                    _field_path(path, i, ".order"),
                )
            faliases = fobj.get("aliases")
            if faliases is None:
                faliases = ()
            elif not isinstance(faliases, list):
                _fail(
                    f"aliases must be an array of strings, not {_type_desc(faliases)}",
                    _field_path(path, i, ".aliases"),
                )
            else:
                for j, a in enumerate(faliases):
                    if not isinstance(a, str):
                        _fail(
                            f"alias must be a string, not {_type_desc(a)}",
                            _field_path(path, i, f".aliases[{j}]"),
                        )
            fdoc = fobj.get("doc")
            has_default = "default" in fobj
            field = _new_field(
                fname,
                ftype,
                i,
                has_default,
                _copy_json(fobj["default"]) if has_default else None,
                order,
                tuple(faliases),
                fdoc if isinstance(fdoc, str) else None,
                None
                if fobj.keys() <= _FIELD_KEYS and (fdoc is None or isinstance(fdoc, str))
                else _props(fobj, _FIELD_KEYS, keep_bad_doc=True),
            )
            if has_default and not lenient:
                self.defaults.append((field, path, i))
            fields.append(field)
        _init_fields(rec, tuple(fields))
        rec.__class__ = RecordSchema
        return rec

    def enum(self, obj: dict[str, Any], ns: str, path: str) -> Schema:
        full = self.fullname(obj, ns, path)
        space = full.rpartition(".")[0]
        if "symbols" not in obj:
            _fail(f"enum {full!r} has no 'symbols'", path)
        symbols = obj["symbols"]
        if not isinstance(symbols, list):
            _fail(
                f"'symbols' must be an array of strings, not {_type_desc(symbols)}",
                f"{path}.symbols",
            )
        seen = set(symbols) if all(type(sym) is str for sym in symbols) else set()
        if len(seen) != len(symbols) or not (
            self.lenient or all(map(_is_name, symbols))
        ):  # one by one: the first bad symbol's message and path (or str subclasses)
            seen = set()
            for i, sym in enumerate(symbols):
                spath = f"{path}.symbols[{i}]"
                if not isinstance(sym, str):
                    _fail(f"enum symbol must be a string, not {_type_desc(sym)}", spath)
                if not self.lenient and not _is_name(sym):
                    _fail(
                        f"invalid enum symbol {sym!r}: must match [A-Za-z_][A-Za-z0-9_]*", spath
                    )
                if sym in seen:
                    _fail(f"duplicate enum symbol {sym!r}", spath)
                seen.add(sym)
        default = obj.get("default")
        # Java reads a JSON null enum default as "no default"
        if default is not None:
            if not isinstance(default, str):
                _fail(
                    f"enum default must be a symbol string, not {_type_desc(default)}",
                    f"{path}.default",
                )
            if default not in seen:
                _fail(f"enum default {default!r} is not one of the symbols", f"{path}.default")
        doc = obj.get("doc")
        s = _new_named(
            _ENUM_TWIN,
            "enum",
            full,
            self.aliases(obj, space, path),
            doc if isinstance(doc, str) else None,
            _props(obj, _ENUM_KEYS, keep_bad_doc=True),
        )
        _init_symbols(s, tuple(symbols), default)
        _logical(s, obj)
        s.__class__ = EnumSchema
        self.register(s)
        return s

    def fixed(self, obj: dict[str, Any], ns: str, path: str) -> Schema:
        full = self.fullname(obj, ns, path)
        space = full.rpartition(".")[0]
        if "size" not in obj:
            _fail(f"fixed {full!r} has no 'size'", path)
        size = obj["size"]
        if not _is_int(size):
            _fail(
                f"fixed size must be a non-negative integer, not {_type_desc(size)}", f"{path}.size"
            )
        if size < 0:
            _fail(f"fixed size must be a non-negative integer, not {size}", f"{path}.size")
        if size > _INT_MAX:
            _fail(f"fixed size {size} is larger than 2^31-1", f"{path}.size")
        doc = obj.get("doc")
        s = _new_named(
            _FIXED_TWIN,
            "fixed",
            full,
            self.aliases(obj, space, path),
            doc if isinstance(doc, str) else None,
            _props(obj, _FIXED_KEYS, keep_bad_doc=True),
        )
        s.size = size
        _logical(s, obj)
        s.__class__ = FixedSchema
        self.register(s)
        return s

    def union(self, items: list[Any], ns: str, path: str) -> Schema:
        branches: list[Schema] = []
        seen: dict[tuple[bool, str], int] = {}
        for i, item in enumerate(items):
            if type(item) is str and item in _PRIMITIVES:  # the common case, no path built
                b: Schema = _PRIMITIVE_SCHEMAS[item]
            else:
                b = self.parse(item, ns, f"{path}[{i}]")
                if isinstance(b, UnionSchema):
                    _fail("a union cannot directly contain a union", f"{path}[{i}]")
            # spec: Unions: one branch per unnamed type (a logical type counts as its underlying
            # type); named branches must differ by fullname
            key = (True, b.fullname) if isinstance(b, NamedSchema) else (False, b.type)
            if key in seen:
                what = f"named type {key[1]!r}" if key[0] else f"type {key[1]!r}"
                _fail(f"duplicate {what} in union (also branch {seen[key]})", f"{path}[{i}]")
            seen[key] = i
            branches.append(b)
        u = _new_schema(_UNION_TWIN, "union", None)
        u.branches = tuple(branches)
        u.__class__ = UnionSchema
        return u


def _valid_logical(lt: Any, t: str, size: int | None, precision: Any, scale: Any) -> bool:
    """Whether ``logicalType`` ``lt`` (any JSON value) is valid on type ``t`` (``size`` for a
    fixed), with a decimal's ``precision`` and ``scale`` as written (``None`` and ``0`` when
    absent) (spec: Logical Types). The one rule for the parser and the native reader."""
    if not isinstance(lt, str):
        return False
    allowed = _LOGICAL_UNDERLYING.get(lt)
    if allowed is None or t not in allowed:
        return False
    if lt == "decimal":
        if not (_is_int(precision) and 0 < precision <= _INT_MAX):
            return False  # Java reads precision as an int: larger ones are invalid
        if not (_is_int(scale) and 0 <= scale <= precision):
            return False
        return size is None or precision <= _max_decimal_precision(size)
    if lt == "uuid" and size is not None:
        return size == 16
    if lt == "duration":
        return size == 12
    return True


def _logical(s: Any, obj: dict[str, Any]) -> None:
    """Recognise a valid logical type (spec: Logical Types) on ``s``, a mutable twin being
    built from ``obj``; otherwise leave it in props."""
    lt = obj.get("logicalType")
    if lt is None:
        return
    size = s.size if isinstance(s, FixedSchema) else None
    if not _valid_logical(lt, s.type, size, obj.get("precision"), obj.get("scale", 0)):
        return
    props = dict(s.props)
    if lt == "decimal":
        props.pop("precision", None)
        props.pop("scale", None)
        s.precision = obj["precision"]
        s.scale = obj.get("scale", 0)
    props.pop("logicalType")
    s.props = MappingProxyType(props) if props else _EMPTY_PROPS
    s.logical_type = lt


def _props(
    obj: dict[str, Any], reserved: frozenset[str], keep_bad_doc: bool = False
) -> dict[str, Any]:
    out = (
        {}
        if obj.keys() <= reserved
        else {k: _copy_json(v) for k, v in obj.items() if k not in reserved}
    )
    if keep_bad_doc:
        doc = obj.get("doc")
        if doc is not None and type(doc) is not str:
            # Java ignores a non-string doc; keep it as a plain property so to_json round-trips.
            out["doc"] = _copy_json(doc)
    return out


def _max_decimal_precision(size: int) -> int:
    """Largest decimal precision a fixed(size) can hold: floor(log10(2^(8*size-1) - 1)) (spec: Logical Types: Decimal)."""
    if size <= 0:
        return 0
    bits = 8 * size - 1
    p = int(bits * math.log10(2))
    if size <= 4096:
        # exact correction of the float estimate (cheap for sizes that occur in practice)
        limit = (1 << bits) - 1
        while 10 ** (p + 1) <= limit:
            p += 1
        while p > 0 and 10**p > limit:
            p -= 1
    return p


def _check_default(
    s: Schema, v: Any, path: str, expanding: frozenset[int] = frozenset()
) -> tuple[str, str] | None:
    """``None`` if ``v`` is a valid JSON default for ``s``, else ``(path, reason)``.
    ``expanding``: ids of the fields whose own defaults are being filled in (item 24), so a
    default that fills itself in forever (``{}`` for a recursive record) is refused rather
    than expanded until the stack runs out in the codec."""
    t = s.type
    if t == "null":
        return None if v is None else (path, f"expected null, got {_type_desc(v)}")
    if t == "boolean":
        return None if isinstance(v, bool) else (path, f"expected a boolean, got {_type_desc(v)}")
    if t == "int" or t == "long":
        if not _is_int(v):
            shown = f" {v!r}" if isinstance(v, (float, str)) else ""
            return path, f"expected an integer ({t}), got {_type_desc(v)}{shown}"
        lo, hi = (_INT_MIN, _INT_MAX) if t == "int" else (_LONG_MIN, _LONG_MAX)
        if not lo <= v <= hi:
            return path, f"{v} is out of range for {t}"
        return None
    if t == "float" or t == "double":
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return path, f"expected a number ({t}), got {_type_desc(v)}"
        return None
    if t == "string":
        return None if isinstance(v, str) else (path, f"expected a string, got {_type_desc(v)}")
    if t == "bytes" or t == "fixed":
        if not isinstance(v, str):
            return path, f"expected a string of code points 0-255 ({t}), got {_type_desc(v)}"
        if any(ord(c) > 255 for c in v):
            return (
                path,
                f"{t} default has a character above U+00FF (bytes are ISO-8859-1 code points)",
            )
        if t == "fixed" and len(v) != s.size:
            return path, f"fixed default has {len(v)} bytes, expected {s.size}"
        return None
    if t == "enum":
        if not isinstance(v, str):
            return path, f"expected an enum symbol string, got {_type_desc(v)}"
        if s.index(v) is None:
            return path, f"{v!r} is not a symbol of enum {s.fullname!r}"
        return None
    if t == "array":
        if not isinstance(v, list):
            return path, f"expected an array, got {_type_desc(v)}"
        items = s.items
        for i, item in enumerate(v):
            p = _check_default(items, item, f"{path}[{i}]", expanding)
            if p is not None:
                return p
        return None
    if t == "map":
        if not isinstance(v, dict):
            return path, f"expected an object (map), got {_type_desc(v)}"
        values = s.values
        for k, item in v.items():
            p = _check_default(values, item, f"{path}.{k}", expanding)
            if p is not None:
                return p
        return None
    if t == "record":
        if not isinstance(v, dict):
            return path, f"expected an object (record {s.fullname!r}), got {_type_desc(v)}"
        for f in s.fields:
            if f.name in v:
                p = _check_default(f.type, v[f.name], f"{path}.{f.name}", expanding)
                if p is not None:
                    return p
            elif not f.has_default:
                # A missing field falls back to the field's own default (spec: Records)
                return path, f"missing field {f.name!r} (which has no default)"
            elif isinstance(f._default, (dict, list)):
                if id(f) in expanding:
                    return path, (f"missing field {f.name!r} falls back to its default, which "
                                  "contains the same missing field again: it never ends")
                p = _check_default(f.type, f._default, f"{path}.{f.name}", expanding | {id(f)})
                if p is not None:
                    return p
        return None
    if t == "union":
        branches = s.branches
        # 1.12 (spec: Unions): valid if it matches any branch
        for b in branches:
            p = _check_default(b, v, path, expanding)
            if p is None:
                return None
            if "never ends" in p[1]:
                return p
        if not branches:
            return path, "an empty union has no valid default"
        names = ", ".join(_branch_name(b) for b in branches)
        return path, f"{_type_desc(v)} matches no branch of the union [{names}]"
    raise AssertionError(t)  # pragma: no cover


def _branch_name(s: Schema) -> str:
    return s.fullname if isinstance(s, NamedSchema) else s.type


def _parse(
    text_or_obj: Any,
    *,
    named: Mapping[str, Schema] | None = None,
) -> Schema:
    """Parse a schema: JSON text (``str``/``bytes``), a decoded JSON value (dict, list or
    str), a primitive name, or the fullname of a type in ``named``. A ``Schema`` is returned
    as is.

    ``named`` maps fullnames to already-defined named schemas that the new schema may
    reference (and may not redefine). Raises :class:`SchemaError` with the JSON path of
    the first problem.

    Text without ``named`` is parsed once: the last 256 distinct texts are cached (schemas
    are immutable, so sharing the result is safe; container files repeat their schema). Such
    text is read by the native reader when it is a valid schema of the common case
    (:func:`_read_text`), with the same result as the parser's.
    """
    if isinstance(text_or_obj, Schema):
        return text_or_obj
    if isinstance(text_or_obj, (str, bytes)) and not named:
        return _parse_text(text_or_obj)
    obj = (
        _decode_text(text_or_obj)
        if isinstance(text_or_obj, (str, bytes, bytearray))
        else text_or_obj
    )
    return _parse_obj(obj, named)


def _load(*paths: str | PathLike[str], named: Mapping[str, Schema] | None = None) -> Schema:
    """Parse ``.avsc`` files whose named types reference each other, given in any order.

    Files whose references are not defined yet are retried after the others; if no progress
    can be made a :class:`SchemaError` names the unresolved types. Returns the schema of
    the **last** path given (all files are parsed and validated). A named type defined in
    two files is an error (spec: Names).
    """
    if not paths:
        raise TypeError("Schema.load() needs at least one path")
    docs: list[tuple[str, Any]] = []
    for p in paths:
        with open(p, "rb") as f:
            raw = f.read()
        try:
            docs.append((str(p), _decode_text(raw)))
        except SchemaError as e:
            raise SchemaError(f"{p}: {e}") from None
    known: dict[str, NamedSchema] = {}
    if named:
        known.update(_check_named(named))
    results: dict[int, Schema] = {}
    pending = list(range(len(docs)))
    while pending:
        stuck: dict[int, _UnknownNameError] = {}
        for i in pending:
            path, obj = docs[i]
            try:
                schema, defined = _Parser(known).parse_document(obj)
            except _UnknownNameError as e:
                stuck[i] = e
                continue
            except SchemaError as e:
                raise SchemaError(f"{path}: {_bare_message(e)}", e.path) from None
            except RecursionError:
                raise SchemaError(f"{path}: schema is nested too deeply", "$") from None
            results[i] = schema
            known.update(defined)
        if len(stuck) == len(pending):
            detail = "; ".join(
                f"{docs[i][0]}: {e.name!r} at {e.path}" for i, e in stuck.items()
            )
            names = sorted({e.name for e in stuck.values()})
            raise SchemaError(f"unresolved type name(s) {', '.join(names)} ({detail})")
        pending = [i for i in pending if i in stuck]
    return results[len(docs) - 1]


_schema_text.setup(
    (Schema, NamedSchema, PrimitiveSchema, RecordSchema, EnumSchema, FixedSchema, ArraySchema,
     MapSchema, UnionSchema, Field),
    _PRIMITIVE_SCHEMAS,
    _EMPTY_PROPS,
    _ORDERS,
    {"record": _RECORD_KEYS, "enum": _ENUM_KEYS, "fixed": _FIXED_KEYS, "array": _ARRAY_KEYS,
     "map": _MAP_KEYS, "primitive": _PRIMITIVE_KEYS, "field": _FIELD_KEYS},
    _valid_logical,
)

# the parser's constructors of the model (see Schema)
setattr(Schema, "parse", staticmethod(_parse))  # noqa: B010
setattr(Schema, "load", staticmethod(_load))  # noqa: B010

