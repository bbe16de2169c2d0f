"""fastavro's ``fastavro.schema``: its parsed-schema dict form, ``load_schema`` with
referenced ``.avsc`` files, canonical form and fingerprints.

``parse_schema`` returns what fastavro's returns: the schema as dicts, lists and strings, each
named type under its full name (``namespace`` folded in), defined once and referenced by name
afterwards, with ``"__fastavro_parsed": True`` and ``"__named_schemas"`` on records (unless
``_write_hint=False``). Readers and writers accept both that form and plain schemas; they
turn either into a :class:`turboavro.Schema` (see ``_engine``).
"""
from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
from collections.abc import Mapping
from typing import Any

from ..errors import SchemaError
from ..schema import Schema, canonical_fingerprint, parse_lenient
from ._schema_common import PRIMITIVES, SchemaParseException, UnknownType
from .repository import AbstractSchemaRepository, FlatDictRepository, SchemaRepositoryError

__all__ = [
    "FINGERPRINT_ALGORITHMS",
    "SchemaParseException",
    "UnknownType",
    "expand_schema",
    "fingerprint",
    "fullname",
    "load_schema",
    "load_schema_ordered",
    "parse_schema",
    "to_parsing_canonical_form",
]


_RESERVED = {"type", "name", "namespace", "fields", "items", "size", "symbols", "values", "doc"}
_FIELD_OWN = {"type", "name", "doc", "aliases", "default"}
_JAVA_NAMES = {"SHA-256": "sha256", "MD5": "md5"}
FINGERPRINT_ALGORITHMS = hashlib.algorithms_guaranteed | _JAVA_NAMES.keys() | {"CRC-64-AVRO"}
_NO_DEFAULT = object()


def _names(schema: dict[str, Any], parent_ns: str) -> tuple[str, str]:
    """(namespace for nested names, full name) of a named schema."""
    try:
        name = schema["name"]
    except KeyError:
        raise SchemaParseException(
            f'"name" is a required field missing from the schema: {schema}'
        ) from None
    if not isinstance(name, str):
        raise SchemaParseException(f"name must be a string, not {name!r}")
    if "." in name:
        return name.rsplit(".", 1)[0], name
    ns = schema.get("namespace", parent_ns)
    if ns:
        return ns, f"{ns}.{name}"
    return "", name


def fullname(schema: dict[str, Any]) -> str:
    """The full name of a named schema (``namespace.name``)."""
    return _names(schema, "")[1]


def _as_float(v: Any) -> Any:
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def _default_fits(default: Any, t: Any) -> bool:
    """fastavro's shallow check of a field default against a (parsed) type."""
    if t == "null":
        return default is None
    if t == "boolean":
        return isinstance(default, bool)
    if t in ("string", "bytes"):
        return isinstance(default, str)
    if t in ("float", "double"):
        return isinstance(_as_float(default), float)
    if t in ("int", "long"):
        return isinstance(default, int)
    return True


def _default_error(default: Any, t: Any, ignore: bool) -> None:
    if ignore:
        return
    what = f"a schema in union with type: {t}" if isinstance(t, list) else f"schema type: {t}"
    raise SchemaParseException(f"Default value <{default}> must match {what}")


class _Parse:
    """One ``parse_schema`` run: the names it defined and its options."""

    def __init__(self, named: dict[str, Any], expand: bool, ignore_default_error: bool) -> None:
        self.named = named
        self.expand = expand
        self.ignore = ignore_default_error
        self.defined: set[str] = set()

    def run(self, s: Any, ns: str, hint: bool, default: Any) -> Any:
        if isinstance(s, list):
            branches = [self.run(b, ns, False, _NO_DEFAULT) for b in s]
            if default is not _NO_DEFAULT and not any(_default_fits(default, b) for b in branches):
                _default_error(default, s, self.ignore)
            return branches
        if not isinstance(s, dict):
            return self.reference(s, ns, default)
        t = s.get("type")
        if t is None:
            raise SchemaParseException(f'"type" is a required field missing from the schema: {s}')
        out = {k: v for k, v in s.items() if k not in _RESERVED}
        out["type"] = t
        if "doc" in s:
            out["doc"] = s["doc"]
        if out.get("logicalType") == "decimal":
            _check_decimal(s, out)
        if t in ("array", "map"):
            key = "items" if t == "array" else "values"
            if key not in s:
                raise SchemaParseException(f'"{key}" is a required field missing from {t}: {s}')
            out[key] = self.run(s[key], ns, False, _NO_DEFAULT)
            want = list if t == "array" else dict
            if default is not _NO_DEFAULT and not isinstance(default, want):
                _default_error(default, t, self.ignore)
        elif t in ("enum", "fixed"):
            name = self.define(s, ns)[1]
            if t == "enum":
                _check_symbols(s)
            elif not isinstance(s.get("size"), int) or isinstance(s.get("size"), bool):
                raise SchemaParseException(f"fixed size must be an integer: {s}")
            if default is not _NO_DEFAULT and not isinstance(default, str):
                _default_error(default, t, self.ignore)
            self.named[name] = out
            out["name"] = name
            key = "symbols" if t == "enum" else "size"
            out[key] = s[key]
        elif t in ("record", "error"):
            inner_ns, name = self.define(s, ns)
            if default is not _NO_DEFAULT and not isinstance(default, dict):
                _default_error(default, t, self.ignore)
            self.named[name] = out
            fields = s.get("fields", [])
            if not isinstance(fields, list):
                raise SchemaParseException(f"record fields must be a list: {s}")
            parsed_fields = [self.field(f, inner_ns) for f in fields]
            out["name"] = name
            out["fields"] = parsed_fields
            if hint:
                self.named[name] = dict(out)
                out["__fastavro_parsed"] = True
                out["__named_schemas"] = self.named
        elif t in PRIMITIVES:
            if default is not _NO_DEFAULT and not _default_fits(default, t):
                # a {"type": "float"} default must be a float itself (not "NaN")
                if not (t in ("float", "double") and isinstance(default, float)):
                    _default_error(default, t, self.ignore)
        else:
            raise UnknownType(t if isinstance(t, str) else repr(t))
        return out

    def reference(self, s: Any, ns: str, default: Any) -> Any:
        if not isinstance(s, str):
            raise SchemaParseException(f"not a schema: {s!r}")
        if s in PRIMITIVES:
            if default is not _NO_DEFAULT and not _default_fits(default, s):
                _default_error(default, s, self.ignore)
            return s
        name = s if "." in s or not ns else f"{ns}.{s}"
        if name not in self.named:
            raise UnknownType(name)
        if self.expand and "name" in self.named[name]:
            return self.named[name]
        return name

    def define(self, s: dict[str, Any], ns: str) -> tuple[str, str]:
        inner_ns, name = _names(s, ns)
        if name in self.defined:
            raise SchemaParseException(f"redefined named type: {name}")
        self.defined.add(name)
        return inner_ns, name

    def field(self, f: Any, ns: str) -> dict[str, Any]:
        if not isinstance(f, dict):
            raise SchemaParseException(
                f"Record field must be a dict, not {type(f).__name__}: {f}"
            )
        if "name" not in f:
            raise SchemaParseException(f"Record field is missing 'name': {f}")
        if "type" not in f:
            raise SchemaParseException(f"Record field '{f['name']}' is missing 'type'")
        out = {k: v for k, v in f.items() if k not in _FIELD_OWN}
        for k in ("doc", "aliases", "default"):
            if k in f:
                out[k] = f[k]
        if not isinstance(out.get("aliases", []), list):
            raise SchemaParseException(f"aliases must be a list, not {out['aliases']}")
        out["name"] = f["name"]
        out["type"] = self.run(f["type"], ns, False, f.get("default", _NO_DEFAULT))
        return out


def _check_decimal(s: dict[str, Any], out: dict[str, Any]) -> None:
    scale = out.get("scale")
    if scale and (not isinstance(scale, int) or scale < 0):
        raise SchemaParseException(f"decimal scale must be a positive integer, not {scale}")
    precision = out.get("precision")
    if precision:
        if not isinstance(precision, int) or precision <= 0:
            raise SchemaParseException(
                f"decimal precision must be a positive integer, not {precision}"
            )
        if s.get("type") == "fixed":
            size = s["size"]
            if precision > int(math.floor(math.log10(2) * (8 * size - 1))):
                raise SchemaParseException(
                    f"decimal precision of {precision} doesn't fit into array of length {size}"
                )
    if scale and precision and precision < scale:
        raise SchemaParseException(
            f"decimal scale must be less than or equal to the precision of {precision}"
        )


_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_symbols(s: dict[str, Any]) -> None:
    symbols = s.get("symbols")
    if not isinstance(symbols, list):
        raise SchemaParseException(f"Enum symbols must be a sequence of strings, but it is {type(symbols)}")
    for sym in symbols:
        if not isinstance(sym, str) or not _SYMBOL.fullmatch(sym):
            raise SchemaParseException(
                "Every symbol must match the regular expression [A-Za-z_][A-Za-z0-9_]*"
            )
    if len(set(symbols)) < len(symbols):
        raise SchemaParseException("All symbols in an enum must be unique")
    if "default" in s and s["default"] not in symbols:
        raise SchemaParseException("Default value for enum must be in symbols list")


def parse_schema(
    schema: Any,
    named_schemas: dict[str, Any] | None = None,
    *,
    expand: bool = False,
    _write_hint: bool = True,
    _force: bool = False,
    _ignore_default_error: bool = False,
) -> Any:
    """The schema in fastavro's parsed form (see the module docstring). ``named_schemas``: a
    dict shared between calls, receiving every named type defined and providing types
    defined by earlier calls. ``expand``: references replaced by the definitions they name
    (an output-only form that is not a valid Avro schema)."""
    if named_schemas is None:
        named_schemas = {}
    parsed_before = isinstance(schema, dict) and "__fastavro_parsed" in schema
    if parsed_before:
        if "__named_schemas" not in schema:
            return _Parse(named_schemas, expand, _ignore_default_error).run(schema, "", _write_hint, _NO_DEFAULT)
        named_schemas.update(schema["__named_schemas"])
        if not (_force or expand):
            return schema
    if isinstance(schema, str) and schema.lstrip().startswith(("{", "[", '"')):
        try:
            schema = json.loads(schema)
        except ValueError:
            pass
    if isinstance(schema, list) and not (_force or expand):
        return [
            parse_schema(s, named_schemas, _write_hint=_write_hint,
                         _ignore_default_error=_ignore_default_error)
            for s in schema
        ]
    return _Parse(named_schemas, expand, _ignore_default_error).run(schema, "", _write_hint, _NO_DEFAULT)


_EXPANDED: dict[int, tuple[Any, Any]] = {}


def expand_schema(schema: Any) -> Any:
    """The schema with every reference to a named type replaced by its definition.

    Cached per schema object (libraries call it for every message): the result is shared,
    so copy it before changing it."""
    hit = _EXPANDED.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    expanded = parse_schema(schema, expand=True, _write_hint=False)
    if len(_EXPANDED) > 256:
        _EXPANDED.clear()
    _EXPANDED[id(schema)] = (schema, expanded)
    return expanded


def _strip_hints(s: Any) -> Any:
    if isinstance(s, list):
        return [_strip_hints(b) for b in s]
    if isinstance(s, dict):
        return {k: _strip_hints(v) for k, v in s.items() if k not in ("__fastavro_parsed", "__named_schemas")}
    return s


# -- load_schema: referenced names come from the repository ----------------------------------


def load_schema(
    schema_path: str,
    *,
    repo: AbstractSchemaRepository | None = None,
    named_schemas: dict[str, Any] | None = None,
    _write_hint: bool = True,
    _injected_schemas: set[str] | None = None,
) -> Any:
    """Load a schema by name from ``repo``, or (without ``repo``) the ``.avsc`` file
    ``schema_path``, loading each type it references but does not define from
    ``<name>.avsc`` beside it (a :class:`FlatDictRepository`). The result is one parsed
    schema with every referenced type defined inside it, at its first use."""
    name = schema_path
    if repo is None:
        folder, file_name = os.path.split(schema_path)
        name = os.path.splitext(file_name)[0]
        repo = FlatDictRepository(folder)
    if named_schemas is None:
        named_schemas = {}
    if _injected_schemas is None:
        _injected_schemas = set()
    return _load(name, repo, named_schemas, _write_hint, _injected_schemas)


def _load(name: str, repo: AbstractSchemaRepository, named: dict[str, Any], hint: bool,
          injected: set[str]) -> Any:
    schema = repo.load(name)
    while True:
        before = copy.deepcopy(named)
        try:
            return parse_schema(schema, named_schemas=named, _write_hint=hint)
        except UnknownType as missing:
            named.clear()
            named.update(before)
            try:
                sub = _load(missing.name, repo, copy.deepcopy(before), False, injected)
            except SchemaRepositoryError:
                raise missing from None
            if sub["name"] in injected:
                named.update({sub["name"]: sub})
                continue
            injected.add(sub["name"])
            schema = _inject(schema, sub, "")[0]


def _inject(outer: Any, inner: dict[str, Any], ns: str) -> tuple[Any, bool]:
    """``outer`` with its first reference to ``inner``'s name replaced by ``inner``."""
    if isinstance(outer, list):
        out, done = [], False
        for b in outer:
            if done:
                out.append(b)
            else:
                b, done = _inject(b, inner, ns)
                out.append(b)
        return out, done
    if not isinstance(outer, dict):
        if outer in PRIMITIVES:
            return outer, False
        name = outer if "." in outer or not ns else f"{ns}.{outer}"
        return (inner, True) if name == inner["name"] else (outer, False)
    t = outer["type"]
    if t in ("array", "map"):
        key = "items" if t == "array" else "values"
        outer[key], done = _inject(outer[key], inner, ns)
        return outer, done
    if t in ("record", "error"):
        inner_ns = _names(outer, ns)[0]
        done = False
        for f in outer.get("fields", []):
            if not done:
                f["type"], done = _inject(f["type"], inner, inner_ns)
        return outer, done
    return outer, False


def load_schema_ordered(ordered_schemas: list[str], *, _write_hint: bool = True) -> Any:
    """Load ``.avsc`` files listed dependencies first; returns the last one with the types
    of the earlier ones defined inside it."""
    named: dict[str, Any] = {}
    loaded = []
    for i, p in enumerate(ordered_schemas):
        hint = _write_hint if i + 1 == len(ordered_schemas) else False
        loaded.append(load_schema(p, named_schemas=named, _write_hint=hint))
    order = loaded[::-1]
    outer = order.pop(0)
    for sub in order:
        _inject(outer, sub, "")
    return outer


# -- the bridge to turboavro's schema model -------------------------------------------------

# Logical types fastavro 1.13 does not convert: their values are read and written raw.
_RAW_LOGICAL = {"timestamp-nanos", "local-timestamp-nanos", "duration", "big-decimal"}
_HINTS = ("__fastavro_parsed", "__named_schemas")
_MARK = "fastavro.logicalType"  # where a logicalType the kernels must not convert is kept
_READ = frozenset({"raw"})


def _inline(s: Any, named: Mapping[str, Any], seen: set[str], ns: str, strip: frozenset[str],
            top: bool = False) -> Any:
    # s is in parse_schema's form: every name is a full name (no dot: the null namespace)
    # strip: "<type>-<logicalType>" keys whose conversion the kernels must not do; "raw"
    # in it also strips the logical types fastavro reads raw (for reading)
    """A fastavro schema (parsed form or not) as one self-contained JSON schema for
    :meth:`Schema.parse`: each named type defined at its first use, with its full name."""
    if isinstance(s, list):
        return [_inline(b, named, seen, ns, strip, top) for b in s]
    if isinstance(s, str):
        if s in PRIMITIVES:
            return s
        if s in seen:
            return s
        if s in named:
            return _inline(named[s], named, seen, "", strip, top)
        raise UnknownType(s)
    if not isinstance(s, dict):
        raise SchemaParseException(f"not a schema: {s!r}")
    t = s.get("type")
    if isinstance(t, (list, dict)) or (isinstance(t, str) and t not in PRIMITIVES and t not in (
            "record", "error", "enum", "fixed", "array", "map")):
        if isinstance(t, str) and len(s) > 1 and "name" not in s:
            return _inline(t, named, seen, ns, strip, top)
        if not isinstance(t, str):
            return _inline(t, named, seen, ns, strip, top)
        raise UnknownType(t)
    # fastavro's markers go, but for the "__fastavro_parsed" that old fastavro versions left in
    # nested records of their headers: fastavro keeps those as properties, and so does the facade
    out = {k: v for k, v in s.items() if k not in _HINTS or (k == _HINTS[0] and not top)}
    if isinstance(out.get("aliases"), str):
        out["aliases"] = [out["aliases"]]
    lt = out.get("logicalType")
    if isinstance(lt, str) and ((lt in _RAW_LOGICAL and "raw" in strip) or f"{t}-{lt}" in strip):
        out[_MARK] = out.pop("logicalType")
    if t in ("record", "error", "enum", "fixed"):
        name = out.get("name")
        if isinstance(name, str):
            out.pop("namespace", None)
            if "." not in name:
                out["namespace"] = ""  # a full name in the null namespace
            seen.add(name)
            inner = name.rsplit(".", 1)[0] if "." in name else ""
        else:
            inner = ns
        if t in ("record", "error"):
            fields = []
            for f in out.get("fields", ()):
                if isinstance(f, dict) and "type" in f:
                    f = dict(f)
                    f["type"] = _inline(f["type"], named, seen, inner, strip)
                    if isinstance(f.get("aliases"), str):
                        f["aliases"] = [f["aliases"]]
                    if f["type"] in ("float", "double") and isinstance(f.get("default"), str):
                        try:  # fastavro reads "NaN", "Infinity" defaults as floats
                            f["default"] = float(f["default"])
                        except ValueError:
                            pass
                fields.append(f)
            out["fields"] = fields
    elif t == "array" and "items" in out:
        out["items"] = _inline(out["items"], named, seen, ns, strip)
    elif t == "map" and "values" in out:
        out["values"] = _inline(out["values"], named, seen, ns, strip)
    return out


_SCHEMAS: dict[Any, tuple[Any, Schema]] = {}


def to_turbo(schema: Any, named: Mapping[str, Any] | None = None,
             strip: frozenset[str] = frozenset()) -> Schema:
    """The :class:`turboavro.Schema` of a fastavro schema, cached per schema object (parsed
    schemas are reused by their users: the cache makes each call a dict lookup)."""
    if isinstance(schema, Schema):
        return schema
    key = (id(schema), strip, id(named))
    hit = _SCHEMAS.get(key)
    if hit is not None and hit[0] is schema:
        return hit[1]
    if isinstance(schema, str) and schema.lstrip().startswith(("{", "[")):
        import json

        schema_obj: Any = json.loads(schema)
    else:
        schema_obj = schema
    names: dict[str, Any] = dict(named) if named else {}
    if not (isinstance(schema_obj, dict) and "__fastavro_parsed" in schema_obj):
        # full names first, by fastavro's rules (a raw schema, or a header's)
        schema_obj = parse_schema(schema_obj, names, _write_hint=False, _ignore_default_error=True)
    elif isinstance(schema_obj.get("__named_schemas"), dict):
        names.update(schema_obj["__named_schemas"])
    doc = _inline(schema_obj, names, set(), "", strip, top=True)
    try:
        result = parse_lenient(doc)
    except SchemaError as e:
        if isinstance(e, SchemaParseException):
            raise
        raise SchemaParseException(str(e)) from e
    if len(_SCHEMAS) > 1024:
        _SCHEMAS.clear()
    _SCHEMAS[key] = (schema, result)
    return result


# -- canonical form and fingerprints (turboavro's own) ------------------------------------------


def to_parsing_canonical_form(schema: Any) -> str:
    """The schema's Parsing Canonical Form ("Parsing Canonical Form for Schemas" in the Avro
    specification)."""
    return to_turbo(parse_schema(schema)).canonical_form


def fingerprint(parsing_canonical_form: str, algorithm: str) -> str:
    """The fingerprint of a canonical form as a hex string: ``CRC-64-AVRO`` (little-endian
    bytes, as in single-object encoding), ``MD5``, ``SHA-256`` or a ``hashlib`` name."""
    if algorithm not in FINGERPRINT_ALGORITHMS:
        raise ValueError(
            f"Unknown schema fingerprint algorithm {algorithm}. "
            f"Valid values include: {', '.join(sorted(FINGERPRINT_ALGORITHMS))}"
        )
    if algorithm in ("CRC-64-AVRO", "MD5", "SHA-256"):
        return canonical_fingerprint(parsing_canonical_form, algorithm).hex()
    h = hashlib.new(algorithm, parsing_canonical_form.encode("utf-8"))
    if algorithm.startswith("shake"):
        return h.hexdigest(32)  # type: ignore[call-arg]
    return h.hexdigest()
