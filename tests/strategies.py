"""Shared hypothesis strategies and helpers for turboavro's test suites.

Everything here works on plain JSON schema objects (``dict`` / ``list`` / ``str``) and plain Python
values, so that the strategies can be used to test turboavro's own modules without depending on
them.  Python values follow DESIGN.md section 3:

====================  ===========================================================================
Avro type             Python value
====================  ===========================================================================
null                  ``None``
boolean               ``bool``
int, long             ``int``
float, double         ``float`` (float: values representable in IEEE-754 binary32)
bytes, fixed          ``bytes``
string                ``str`` (any Unicode scalar value, astral characters included)
record                ``dict`` with the fields in schema order
enum                  ``str`` (a symbol)
array                 ``list``
map                   ``dict[str, ...]``
union                 the value of the chosen branch
decimal               ``decimal.Decimal`` with exactly ``scale`` fraction digits, within ``precision``
big-decimal           ``decimal.Decimal`` (any finite value)
uuid                  ``uuid.UUID``
date                  ``datetime.date``
time-millis/-micros   naive ``datetime.time`` (millisecond precision for time-millis)
timestamp-*           UTC-aware ``datetime.datetime`` (millisecond precision for the -millis types)
local-timestamp-*     naive ``datetime.datetime``
duration              ``(months, days, millis)`` tuple of unsigned 32-bit ints
====================  ===========================================================================

Public strategies: :func:`schemas`, :func:`datums`, :func:`schema_and_datum`,
:func:`schema_and_datums`, :func:`evolutions`, :func:`default_values`.
Helpers: :func:`avro_equal` / :func:`avro_diff` (NaN-aware equality), :func:`fastavro_compatible`,
:func:`avro_compatible` (and their ``*_incompatibilities`` explanations),
:func:`datum_problem` (is a value valid for a schema, under these conventions),
:func:`ambiguous_unions`, :func:`named_types`, :func:`logical_variants`, :func:`walk`,
:func:`to_default_json` / :func:`from_default_json` (field defaults: Python value <-> JSON form).
"""

from __future__ import annotations

import copy
import datetime
import decimal
import math
import struct
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "ALL_LOGICAL_VARIANTS",
    "AVRO_LOGICAL_VARIANTS",
    "FASTAVRO_LOGICAL_VARIANTS",
    "PRIMITIVES",
    "ambiguous_unions",
    "avro_compatible",
    "avro_diff",
    "avro_equal",
    "avro_incompatibilities",
    "datum_problem",
    "datums",
    "default_values",
    "evolutions",
    "fastavro_compatible",
    "fastavro_incompatibilities",
    "from_default_json",
    "logical_variants",
    "named_types",
    "schema_and_datum",
    "schema_and_datums",
    "schemas",
    "to_default_json",
    "walk",
]

JSON = Any  # a schema or value in its JSON form

PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")
NAMED = ("record", "enum", "fixed", "error")
# SPEC item 13 allows these as type names, but several implementations trip over them; the
# generator avoids them (tests of that rule belong to the schema suite, not to random schemas).
_RESERVED_TYPE_NAMES = frozenset(PRIMITIVES + NAMED + ("array", "map", "union"))
# Attributes with a meaning in some schema object (SPEC items 4-9, 69-79); everything else is a
# property (SPEC item 3).
_RESERVED_ATTRS = frozenset(
    (
        "type", "name", "namespace", "doc", "aliases", "fields", "symbols", "items", "values",
        "size", "default", "order", "logicalType", "precision", "scale",
    )
)

# Logical types by *variant* (logical name plus underlying type where it is ambiguous), SPEC H.
_LOGICAL_UNDERLYING = {
    "decimal-bytes": "bytes",
    "decimal-fixed": "fixed",
    "big-decimal": "bytes",
    "uuid-string": "string",
    "uuid-fixed": "fixed",
    "date": "int",
    "time-millis": "int",
    "time-micros": "long",
    "timestamp-millis": "long",
    "timestamp-micros": "long",
    "timestamp-nanos": "long",
    "local-timestamp-millis": "long",
    "local-timestamp-micros": "long",
    "local-timestamp-nanos": "long",
    "duration": "fixed",
}
ALL_LOGICAL_VARIANTS = frozenset(_LOGICAL_UNDERLYING)
# fastavro 1.13 converts only these; the others reach it as their underlying type.
FASTAVRO_LOGICAL_VARIANTS = frozenset(
    {
        "decimal-bytes", "decimal-fixed", "uuid-string", "date", "time-millis", "time-micros",
        "timestamp-millis", "timestamp-micros", "local-timestamp-millis", "local-timestamp-micros",
    }
)
# Apache avro (Python) 1.12.2: constants.SUPPORTED_LOGICAL_TYPE, less uuid: it validates a
# uuid string but reads and writes ``str``, not ``uuid.UUID``.
AVRO_LOGICAL_VARIANTS = frozenset(
    {
        "decimal-bytes", "decimal-fixed", "date", "time-millis", "time-micros",
        "timestamp-millis", "timestamp-micros",
    }
)

_UTC = datetime.timezone.utc
_EPOCH_DATE = datetime.date(1970, 1, 1)
_EPOCH_NAIVE = datetime.datetime(1970, 1, 1)
_EPOCH_AWARE = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
# A signed 64-bit count of nanoseconds spans 1677-09-21 .. 2262-04-11 (SPEC items 77-78).
_NANOS_MIN = datetime.datetime(1678, 1, 1)
_NANOS_MAX = datetime.datetime(2261, 12, 31, 23, 59, 59, 999999)

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_U32_MAX = 2**32 - 1


def _max_fixed_decimal_precision(size: int) -> int:
    """SPEC item 71: the largest precision a fixed(size) decimal can hold."""
    if size <= 0:
        return 0
    return len(str(2 ** (8 * size - 1) - 1)) - 1


# --------------------------------------------------------------------------------------------
# Names: fullnames, namespaces, reference resolution (SPEC items 10-16)
# --------------------------------------------------------------------------------------------


def _fullname(node: Mapping[str, Any], enclosing_ns: str) -> str:
    """SPEC item 11: the fullname a named type definition gets in ``enclosing_ns``."""
    name = node["name"]
    if "." in name:
        return name
    ns = node["namespace"] if "namespace" in node and node["namespace"] is not None else enclosing_ns
    return f"{ns}.{name}" if ns else name


def _namespace_of(fullname: str) -> str:
    return fullname.rpartition(".")[0]


def _ref_fullname(ref: str, ns: str) -> str:
    """SPEC item 12: the fullname a type reference means in namespace ``ns``."""
    if "." in ref or not ns:
        return ref
    return f"{ns}.{ref}"


def _alias_fullname(alias: str, type_ns: str) -> str:
    """SPEC item 16: a type alias is absolute if dotted, else relative to the type's namespace."""
    return _ref_fullname(alias, type_ns)


class _Names:
    """Named types of one schema: fullname -> (definition node, namespace enclosing it)."""

    def __init__(self) -> None:
        self.defs: dict[str, tuple[dict[str, Any], str]] = {}

    def resolve(self, ref: str, ns: str) -> tuple[dict[str, Any], str, str]:
        """(definition, its enclosing namespace, fullname) of reference ``ref`` seen in ``ns``."""
        full = _ref_fullname(ref, ns)
        if full not in self.defs and full != ref and ref in self.defs:
            full = ref  # Java's fallback to the null namespace (SPEC item 12, impl)
        if full not in self.defs:
            raise KeyError(f"undefined named type {ref!r} (in namespace {ns!r})")
        node, def_ns = self.defs[full]
        return node, def_ns, full


def _is_ref(schema: JSON) -> bool:
    return isinstance(schema, str) and schema not in PRIMITIVES


def _node_type(schema: JSON) -> str | None:
    """The ``type`` of a schema object, None for a reference."""
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, str):
        return schema if schema in PRIMITIVES else None
    t = schema.get("type")
    if isinstance(t, str) and (t in PRIMITIVES or t in NAMED or t in ("array", "map")):
        return t
    return None  # {"type": "SomeName"} or {"type": {...}}: a wrapped reference/schema


def walk(schema: JSON, ns: str = "") -> Iterator[tuple[JSON, str, str | None]]:
    """Depth-first, left-to-right walk (the definition order of SPEC item 14).

    Yields ``(node, enclosing_namespace, fullname)`` for every schema node: ``fullname`` is the
    defined fullname for a named type definition, the referenced fullname (unresolved: as
    SPEC item 12 computes it) for a reference, and None otherwise.
    """
    if isinstance(schema, list):
        yield schema, ns, None
        for b in schema:
            yield from walk(b, ns)
        return
    if isinstance(schema, str):
        yield schema, ns, (None if schema in PRIMITIVES else _ref_fullname(schema, ns))
        return
    t = schema.get("type")
    if not isinstance(t, str) or not (t in PRIMITIVES or t in NAMED or t in ("array", "map")):
        # {"type": <schema>} wraps another schema
        yield schema, ns, None
        yield from walk(t, ns)
        return
    if t in NAMED:
        full = _fullname(schema, ns)
        yield schema, ns, full
        inner = _namespace_of(full)
        if t in ("record", "error"):
            for f in schema.get("fields", []):
                yield from walk(f["type"], inner)
        return
    yield schema, ns, None
    if t == "array":
        yield from walk(schema["items"], ns)
    elif t == "map":
        yield from walk(schema["values"], ns)


def named_types(schema: JSON) -> dict[str, dict[str, Any]]:
    """fullname -> definition of every named type defined in ``schema``, in definition order."""
    return {full: node for node, _ns, full in walk(schema) if isinstance(node, dict) and full}


def _index(schema: JSON) -> _Names:
    names = _Names()
    for node, ns, full in walk(schema):
        if isinstance(node, dict) and full and full not in names.defs:
            names.defs[full] = (node, ns)
    return names


def _deref(schema: JSON, ns: str, names: _Names) -> tuple[JSON, str, str | None]:
    """Follow references and ``{"type": <schema>}`` wrappers to a definition.

    Returns (node, namespace enclosing the node, fullname or None).
    """
    while True:
        if isinstance(schema, str) and schema not in PRIMITIVES:
            node, def_ns, full = names.resolve(schema, ns)
            return node, def_ns, full
        if isinstance(schema, dict) and _node_type(schema) is None:
            schema = schema["type"]
            continue
        if isinstance(schema, dict) and schema["type"] in NAMED:
            return schema, ns, _fullname(schema, ns)
        return schema, ns, None


def _logical_variant(node: JSON) -> str | None:
    """The *valid* logical type variant of a schema object (SPEC items 69-79), else None.

    Invalid or unknown logical types are ignored as the spec says, so the value is then the
    underlying type's.
    """
    if not isinstance(node, dict):
        return None
    lt = node.get("logicalType")
    t = node.get("type")
    if not isinstance(lt, str):
        return None
    if lt == "decimal" and t in ("bytes", "fixed"):
        p, s = node.get("precision"), node.get("scale", 0)
        if type(p) is not int or type(s) is not int or p <= 0 or not 0 <= s <= p:
            return None
        if t == "fixed" and p > _max_fixed_decimal_precision(node.get("size", 0)):
            return None
        return f"decimal-{t}"
    if lt == "big-decimal" and t == "bytes":
        return "big-decimal"
    if lt == "uuid":
        if t == "string":
            return "uuid-string"
        if t == "fixed" and node.get("size") == 16:
            return "uuid-fixed"
        return None
    if lt == "duration":
        return "duration" if t == "fixed" and node.get("size") == 12 else None
    if lt in _LOGICAL_UNDERLYING and _LOGICAL_UNDERLYING[lt] == t:
        return lt
    return None


def logical_variants(schema: JSON) -> set[str]:
    """Set of valid logical type variants (keys of ``ALL_LOGICAL_VARIANTS``) used in ``schema``."""
    out = set()
    for node, _ns, _full in walk(schema):
        v = _logical_variant(node)
        if v:
            out.add(v)
    return out


def _union_key(branch: JSON, ns: str, names: _Names) -> str:
    """SPEC item 8: what must be unique among union branches (logical types count as their
    underlying type; named types by fullname)."""
    node, def_ns, full = _deref(branch, ns, names)
    if full is not None:
        return "named:" + full
    if isinstance(node, list):
        return "union"
    return node if isinstance(node, str) else node["type"]


# Groups of branches that an encoder choosing a branch from the Python value (fastavro, the
# Apache avro package) cannot always tell apart: int vs long vs float/double (fastavro's float
# accepts ints), string vs enum vs uuid-on-string, bytes vs fixed, record vs map (both dicts),
# and bytes vs array (fastavro's array check accepts any Sequence, bytes included).
_GROUP = {
    "null": "null",
    "boolean": "boolean",
    "int": "number",
    "long": "number",
    "float": "number",
    "double": "number",
    "string": "text",
    "enum": "text",
    "bytes": "binary",
    "fixed": "binary",
    "array": "array",
    "record": "dict",
    "error": "dict",
    "map": "dict",
}
# fastavro's date conversion also takes ISO date strings (and raises on other strings while it
# tries the branch), so a date branch conflicts with strings as well as with numbers.
_GROUP_CONFLICTS = {
    ("array", "binary"), ("binary", "array"),
    ("date", "number"), ("number", "date"), ("date", "text"), ("text", "date"),
}


def _branch_group(branch: JSON, ns: str, names: _Names) -> str:
    node, _ns, _full = _deref(branch, ns, names)
    if _logical_variant(node) == "date":
        return "date"
    t = node if isinstance(node, str) else ("union" if isinstance(node, list) else node["type"])
    return _GROUP.get(t, t)


def _groups_compatible(groups: Iterable[str], g: str) -> bool:
    return all(g != h and (g, h) not in _GROUP_CONFLICTS for h in groups)


def _union_problems(
    branches: list[JSON], ns: str, names: _Names, unambiguous: bool
) -> list[str]:
    """Reasons why ``branches`` is not a legal (and, if asked, unambiguous) union."""
    problems = []
    keys: list[str] = []
    groups: list[str] = []
    for b in branches:
        k = _union_key(b, ns, names)
        if k == "union":
            problems.append("union directly inside a union")
        elif k in keys:
            problems.append(f"two branches of type {k}")
        keys.append(k)
        g = _branch_group(b, ns, names)
        if unambiguous and not _groups_compatible(groups, g):
            problems.append(f"ambiguous branch group {g}")
        groups.append(g)
    return problems


def ambiguous_unions(schema: JSON) -> list[JSON]:
    """Unions of ``schema`` whose branches an encoder picking by Python type could confuse."""
    names = _index(schema)
    return [
        node
        for node, ns, _full in walk(schema)
        if isinstance(node, list) and _union_problems(node, ns, names, unambiguous=True)
    ]


# --------------------------------------------------------------------------------------------
# Compatibility filters for the oracles
# --------------------------------------------------------------------------------------------


def fastavro_incompatibilities(schema: JSON) -> list[str]:
    """Why fastavro 1.13 cannot serve as an oracle for ``schema`` (empty list: it can).

    fastavro does not implement uuid on fixed(16), timestamp-nanos, local-timestamp-nanos,
    big-decimal and duration: it would read and write those as their underlying types, so
    values in this module's conventions do not round-trip through it.  Ambiguous unions (see
    :func:`ambiguous_unions`) make fastavro choose a branch by trial, which another encoder may
    legitimately choose differently.
    """
    reasons = [
        f"logical type {v} not supported by fastavro"
        for v in sorted(logical_variants(schema) - FASTAVRO_LOGICAL_VARIANTS)
    ]
    if ambiguous_unions(schema):
        reasons.append("union branches not distinguishable by Python type")
    return reasons


def fastavro_compatible(schema: JSON) -> bool:
    """True when values of ``schema`` round-trip through fastavro unchanged (see
    :func:`fastavro_incompatibilities`)."""
    return not fastavro_incompatibilities(schema)


def avro_incompatibilities(schema: JSON) -> list[str]:
    """Why the Apache ``avro`` package 1.12.2 cannot serve as an oracle for ``schema``.

    It implements only the logical types in :data:`AVRO_LOGICAL_VARIANTS` (it warns with
    ``IgnoredLogicalType`` and uses the underlying type for the others, so values differ), its
    union writer takes the *last* branch whose *top-level* Python type fits, and it reads an
    explicit ``"namespace": ""`` (the null namespace, SPEC item 10) as "inherit the enclosing
    namespace", so such a type gets a wrong fullname (and may clash with another name).
    """
    reasons = [
        f"logical type {v} not supported by avro 1.12.2"
        for v in sorted(logical_variants(schema) - AVRO_LOGICAL_VARIANTS)
    ]
    for node, ns, full in walk(schema):
        if (
            isinstance(node, dict) and full and ns and node.get("namespace") == ""
            and "." not in node["name"]
        ):
            reasons.append(f"explicit null namespace for {full} inside namespace {ns}")
    if ambiguous_unions(schema):
        reasons.append("union branches not distinguishable by Python type")
    for node, _ns, _full in walk(schema):
        # avro's writer validates a bool as an int/long/float/double (bool is an int subclass)
        # and writes a union value in the LAST branch that validates, so a boolean listed
        # before a numeric branch is written as a number (False in ["boolean", "double"] -> 0.0)
        if isinstance(node, list):
            kinds = [_node_type(b) if isinstance(b, dict) else b for b in node]
            if "boolean" in kinds and any(
                k in ("int", "long", "float", "double") for k in kinds[kinds.index("boolean") + 1:]
            ):
                reasons.append("boolean before a numeric branch in a union")
    return reasons


def avro_compatible(schema: JSON) -> bool:
    """True when values of ``schema`` round-trip through the Apache ``avro`` 1.12.2 package
    (see :func:`avro_incompatibilities`).  Its parser accepts every schema :func:`schemas`
    generates except some with the null-namespace problem; unknown logical types only warn
    (``avro.errors.IgnoredLogicalType``)."""
    return not avro_incompatibilities(schema)


# --------------------------------------------------------------------------------------------
# Equality
# --------------------------------------------------------------------------------------------

_SCALARS = (bool, int, str, bytes, decimal.Decimal, uuid.UUID, datetime.date, datetime.time)


def avro_diff(a: Any, b: Any, path: str = "$") -> str | None:
    """First difference between two Avro Python values, as ``"$.f[2]: <what>"``; None if equal.

    Strict about types (``True`` is not ``1``, ``1`` is not ``1.0``, aware is not naive), exact
    about floats except that NaN equals NaN (any payload) and ``-0.0`` differs from ``0.0``.
    Records and maps compare as mappings (key order is not significant); a ``tuple`` (duration)
    equals any tuple subclass with the same items.
    """
    if isinstance(a, float) or isinstance(b, float):
        if type(a) is not type(b):
            return f"{path}: {a!r} ({type(a).__name__}) != {b!r} ({type(b).__name__})"
        if math.isnan(a) and math.isnan(b):
            return None
        if a == b and math.copysign(1.0, a) == math.copysign(1.0, b):
            return None
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if set(a) != set(b):
            return f"{path}: keys {sorted(map(str, a))} != {sorted(map(str, b))}"
        for k in a:
            d = avro_diff(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, tuple) and isinstance(b, tuple) or isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            d = avro_diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if type(a) is not type(b):
        return f"{path}: {a!r} ({type(a).__name__}) != {b!r} ({type(b).__name__})"
    if isinstance(a, datetime.datetime) and (a.tzinfo is None) != (b.tzinfo is None):
        return f"{path}: {a!r} != {b!r} (aware vs naive)"
    if a != b:
        return f"{path}: {a!r} != {b!r}"
    return None


def avro_equal(a: Any, b: Any) -> bool:
    """NaN-aware, type-strict equality of Avro Python values (see :func:`avro_diff`)."""
    return avro_diff(a, b) is None


# --------------------------------------------------------------------------------------------
# Validity of values
# --------------------------------------------------------------------------------------------


def _is_float32(x: float) -> bool:
    if math.isnan(x) or math.isinf(x):
        return True
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0] == x
    except OverflowError:
        return False


def _logical_problem(value: Any, variant: str, node: Mapping[str, Any]) -> str | None:
    if variant in ("decimal-bytes", "decimal-fixed", "big-decimal"):
        if type(value) is not decimal.Decimal or not value.is_finite():
            return f"{value!r} is not a finite Decimal"
        if variant == "big-decimal":
            return None
        scale, precision = node.get("scale", 0), node["precision"]
        unscaled = value.scaleb(scale, decimal.Context(prec=1000))
        if unscaled != unscaled.to_integral_value():
            return f"{value!r} has more than {scale} fraction digits"
        if abs(int(unscaled)) >= 10**precision:
            return f"{value!r} needs more than {precision} digits"
        return None
    if variant in ("uuid-string", "uuid-fixed"):
        return None if type(value) is uuid.UUID else f"{value!r} is not a UUID"
    if variant == "date":
        return None if type(value) is datetime.date else f"{value!r} is not a date"
    if variant in ("time-millis", "time-micros"):
        if type(value) is not datetime.time or value.tzinfo is not None:
            return f"{value!r} is not a naive time"
        if variant == "time-millis" and value.microsecond % 1000:
            return f"{value!r} is finer than milliseconds"
        return None
    if variant == "duration":
        if not (isinstance(value, tuple) and len(value) == 3 and all(
            type(x) is int and 0 <= x <= _U32_MAX for x in value
        )):
            return f"{value!r} is not a (months, days, millis) tuple of unsigned 32-bit ints"
        return None
    # timestamps
    if type(value) is not datetime.datetime:
        return f"{value!r} is not a datetime"
    aware = variant.startswith("timestamp")
    if (value.tzinfo is not None) != aware:
        return f"{value!r} must be {'aware' if aware else 'naive'}"
    if variant.endswith("millis") and value.microsecond % 1000:
        return f"{value!r} is finer than milliseconds"
    if variant.endswith("nanos"):
        naive = value.replace(tzinfo=None) - (value.utcoffset() or datetime.timedelta(0))
        if not _NANOS_MIN <= naive <= _NANOS_MAX:
            return f"{value!r} is out of the range of nanoseconds in a long"
    return None


def datum_problem(
    value: Any, schema_json: JSON, *, _ns: str = "", _names: _Names | None = None, _path: str = "$"
) -> str | None:
    """Why ``value`` is not a valid Python value of ``schema_json`` under this module's
    conventions (strict: an int is not a float, a datetime is not a date), as
    ``"$.field[3]: <reason>"``; None if it is valid.  Unions accept a value of any branch."""
    names = _names or _index(schema_json)
    node, ns, full = _deref(schema_json, _ns, names)

    def bad(reason: str) -> str:
        return f"{_path}: {reason}"

    if isinstance(node, list):
        problems = [
            datum_problem(value, b, _ns=ns, _names=names, _path=_path) for b in node
        ]
        if all(problems):
            return bad(f"{value!r} matches no branch of the union: " + "; ".join(map(str, problems)))
        return None
    variant = _logical_variant(node)
    if variant is not None:
        p = _logical_problem(value, variant, node)
        return bad(p) if p else None
    t = node if isinstance(node, str) else node["type"]
    if t == "null":
        return None if value is None else bad(f"{value!r} is not None")
    if t == "boolean":
        return None if type(value) is bool else bad(f"{value!r} is not a bool")
    if t in ("int", "long"):
        lo, hi = (_INT_MIN, _INT_MAX) if t == "int" else (_LONG_MIN, _LONG_MAX)
        if type(value) is not int or not lo <= value <= hi:
            return bad(f"{value!r} is not a {t}")
        return None
    if t in ("float", "double"):
        if type(value) is not float:
            return bad(f"{value!r} is not a float")
        if t == "float" and not _is_float32(value):
            return bad(f"{value!r} is not representable as a float32")
        return None
    if t == "bytes":
        return None if type(value) is bytes else bad(f"{value!r} is not bytes")
    if t == "fixed":
        if type(value) is not bytes or len(value) != node["size"]:
            return bad(f"{value!r} is not {node['size']} bytes")
        return None
    if t == "string":
        if type(value) is not str:
            return bad(f"{value!r} is not a str")
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            return bad(f"{value!r} holds a lone surrogate")
        return None
    if t == "enum":
        return None if type(value) is str and value in node["symbols"] else bad(f"{value!r} is not a symbol")
    if t == "array":
        if type(value) is not list:
            return bad(f"{value!r} is not a list")
        for i, v in enumerate(value):
            p = datum_problem(v, node["items"], _ns=ns, _names=names, _path=f"{_path}[{i}]")
            if p:
                return p
        return None
    if t == "map":
        if not isinstance(value, dict):
            return bad(f"{value!r} is not a dict")
        for k, v in value.items():
            if type(k) is not str:
                return bad(f"map key {k!r} is not a str")
            p = datum_problem(v, node["values"], _ns=ns, _names=names, _path=f"{_path}.{k}")
            if p:
                return p
        return None
    if t in ("record", "error"):
        if not isinstance(value, dict):
            return bad(f"{value!r} is not a dict")
        fields = [f["name"] for f in node["fields"]]
        if set(value) != set(fields):
            return bad(f"keys {sorted(value)} are not the fields {fields}")
        inner = _namespace_of(full or "")
        for f in node["fields"]:
            p = datum_problem(value[f["name"]], f["type"], _ns=inner, _names=names,
                              _path=f"{_path}.{f['name']}")
            if p:
                return p
        return None
    return bad(f"unknown schema {node!r}")


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_DEFAULT_COLLECTION_MAX = 3


def _decimal_values(precision: int, scale: int) -> st.SearchStrategy[decimal.Decimal]:
    """Decimals with exactly ``scale`` fraction digits and at most ``precision`` digits
    (SPEC items 70-71)."""
    bound = 10**precision - 1
    unscaled = st.one_of(
        st.integers(-bound, bound), st.sampled_from(sorted({0, 1, -1, bound, -bound}))
    )
    return unscaled.map(
        lambda u: decimal.Decimal((int(u < 0), tuple(int(c) for c in str(abs(u))), -scale))
    )


_BIG_DECIMALS = st.builds(
    lambda sign, digits, exp: decimal.Decimal((sign, tuple(int(c) for c in str(digits)), exp)),
    st.integers(0, 1),
    st.integers(0, 10**30),
    st.integers(-30, 30),
)


def _datetimes(lo: datetime.datetime, hi: datetime.datetime, unit_us: int, aware: bool):
    def adjust(d: datetime.datetime) -> datetime.datetime:
        d = d.replace(microsecond=d.microsecond - d.microsecond % unit_us)
        return d.replace(tzinfo=_UTC) if aware else d

    edges = [lo, hi, _EPOCH_NAIVE, _EPOCH_NAIVE - datetime.timedelta(microseconds=unit_us)]
    return st.one_of(st.datetimes(lo, hi), st.sampled_from(edges)).map(adjust)


_DT_MIN, _DT_MAX = datetime.datetime.min, datetime.datetime.max

_LOGICAL_VALUES: dict[str, Any] = {
    "uuid-string": st.uuids(),
    "uuid-fixed": st.uuids(),
    "date": st.dates(),
    "time-millis": st.times().map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000)),
    "time-micros": st.times(),
    "timestamp-millis": _datetimes(_DT_MIN, _DT_MAX, 1000, True),
    "timestamp-micros": _datetimes(_DT_MIN, _DT_MAX, 1, True),
    "timestamp-nanos": _datetimes(_NANOS_MIN, _NANOS_MAX, 1, True),
    "local-timestamp-millis": _datetimes(_DT_MIN, _DT_MAX, 1000, False),
    "local-timestamp-micros": _datetimes(_DT_MIN, _DT_MAX, 1, False),
    "local-timestamp-nanos": _datetimes(_NANOS_MIN, _NANOS_MAX, 1, False),
    "duration": st.tuples(*[st.integers(0, _U32_MAX)] * 3),
    "big-decimal": _BIG_DECIMALS,
}


class _ValueCtx:
    """Options and memo tables of one value generation."""

    def __init__(
        self,
        names: _Names,
        *,
        max_recursion: int,
        max_size: int,
        first_branch: bool,
        finite_floats: bool,
        forbidden: frozenset[str] = frozenset(),
    ) -> None:
        self.names = names
        self.max_recursion = max_recursion
        self.max_size = max_size
        self.first_branch = first_branch
        self.finite_floats = finite_floats
        self.forbidden = forbidden
        self._finite: dict[tuple[int, str, frozenset[str]], bool] = {}

        self._rec_height: dict[str, float] | None = None

    def _record_heights(self) -> dict[str, float]:
        """Least nesting depth of a value of each record (inf: no finite value), by fixed
        point: a record is one more than its deepest field, a union its shallowest branch,
        arrays and maps 0 (they may be empty).  Records in ``forbidden`` (still being
        generated) count as having no value."""
        if self._rec_height is None:
            self._rec_height = {}
            changed = True
            while changed:
                changed = False
                for full, (node, _ns) in self.names.defs.items():
                    if node.get("type") not in ("record", "error") or full in self.forbidden:
                        continue
                    inner = _namespace_of(full)
                    h = 1 + max((self.height(f["type"], inner) for f in node["fields"]), default=0)
                    if h < self._rec_height.get(full, math.inf):
                        self._rec_height[full] = h
                        changed = True
        return self._rec_height

    def height(self, schema: JSON, ns: str) -> float:
        """Least nesting depth (in records) of a value of ``schema``; inf if it has none."""
        node, ns, full = _deref(schema, ns, self.names)
        if isinstance(node, list):
            branches = node[:1] if self.first_branch else node
            return min((self.height(b, ns) for b in branches), default=math.inf)
        if isinstance(node, dict) and node["type"] in ("record", "error"):
            heights = self._record_heights()
            return heights.get(full or "", math.inf)
        return 0  # primitives, enums, fixed; arrays and maps may be empty

    def finite(self, schema: JSON, ns: str) -> bool:
        """Whether ``schema`` has a finite value (a record requiring itself has none)."""
        return self.height(schema, ns) < math.inf


@st.composite
def _value(draw, schema: JSON, ns: str, ctx: _ValueCtx, stack: tuple[str, ...]) -> Any:
    node, ns, full = _deref(schema, ns, ctx.names)
    # Past max_recursion nested re-entries of a record, values take the shallowest way out:
    # union branches of least height and empty collections, so every path ends.
    exhausted = len(stack) - len(set(stack)) >= ctx.max_recursion

    if isinstance(node, list):  # union: the value of one branch (SPEC item 40)
        idx = [0] if ctx.first_branch else list(range(len(node)))
        heights = [ctx.height(node[i], ns) for i in idx]
        least = min(heights, default=math.inf)
        if least == math.inf:
            raise ValueError(f"no finite value for union {node!r}")
        idx = [i for i, h in zip(idx, heights, strict=True) if (h == least if exhausted else h < math.inf)]
        i = draw(st.sampled_from(idx))
        return draw(_value(node[i], ns, ctx, stack))

    t = node if isinstance(node, str) else node["type"]
    variant = _logical_variant(node)
    if variant is not None:
        if variant in ("decimal-bytes", "decimal-fixed"):
            return draw(_decimal_values(node["precision"], node.get("scale", 0)))
        return draw(_LOGICAL_VALUES[variant])
    if t == "null":
        return None
    if t == "boolean":
        return draw(st.booleans())
    if t == "int":
        return draw(st.one_of(st.integers(_INT_MIN, _INT_MAX), st.sampled_from([0, -1, _INT_MIN, _INT_MAX])))
    if t == "long":
        return draw(
            st.one_of(
                st.integers(_LONG_MIN, _LONG_MAX),
                st.sampled_from([0, -1, 64, -65, _LONG_MIN, _LONG_MAX]),
            )
        )
    if t in ("float", "double"):
        fin = ctx.finite_floats
        s = st.floats(
            width=32 if t == "float" else 64, allow_nan=not fin, allow_infinity=not fin
        )
        specials = [0.0, -0.0, 1.5] + ([] if fin else [math.nan, math.inf, -math.inf])
        return draw(st.one_of(s, st.sampled_from(specials)))
    if t == "bytes":
        return draw(st.binary(max_size=16))
    if t == "string":
        return draw(_TEXT)
    if t == "fixed":
        return draw(st.binary(min_size=node["size"], max_size=node["size"]))
    if t == "enum":
        return draw(st.sampled_from(node["symbols"]))
    if t == "array":
        items = node["items"]
        mx = ctx.max_size if not exhausted and ctx.finite(items, ns) else 0
        return draw(st.lists(_value(items, ns, ctx, stack), max_size=mx))
    if t == "map":
        values = node["values"]
        mx = ctx.max_size if not exhausted and ctx.finite(values, ns) else 0
        return draw(st.dictionaries(_TEXT, _value(values, ns, ctx, stack), max_size=mx))
    if t in ("record", "error"):
        if not ctx.finite(node, ns):
            # a record that requires itself: say so instead of recursing forever
            raise ValueError(f"record {full} has no finite values")
        inner = _namespace_of(full or "")
        stack2 = stack + (full,) if full else stack
        return {f["name"]: draw(_value(f["type"], inner, ctx, stack2)) for f in node["fields"]}
    raise ValueError(f"not a schema: {node!r}")


def datums(
    schema_json: JSON,
    *,
    max_recursion: int = 2,
    max_size: int = _DEFAULT_COLLECTION_MAX,
) -> st.SearchStrategy[Any]:
    """Python values valid for ``schema_json`` (see the module docstring for the mapping).

    Unions take any branch.  Recursive types nest at most ``max_recursion`` times; past that
    only branches that terminate are taken and arrays/maps of the recursive type are empty.
    Arrays and maps have at most ``max_size`` elements.
    """
    names = _index(schema_json)
    ctx = _ValueCtx(
        names, max_recursion=max_recursion, max_size=max_size, first_branch=False,
        finite_floats=False,
    )
    return _value(schema_json, "", ctx, ())


def to_default_json(value: Any, schema_json: JSON, *, _ns: str = "", _names: _Names | None = None) -> JSON:
    """The JSON form of ``value`` as a field ``default`` of type ``schema_json`` (SPEC item 21).

    bytes/fixed become strings of code points 0-255; logical values become their underlying
    encoding's JSON form; for a union the value is taken as the *first* branch's (SPEC item 27,
    the form every implementation accepts).  Floats must be finite (JSON has no NaN).
    """
    names = _names or _index(schema_json)
    node, ns, full = _deref(schema_json, _ns, names)
    if isinstance(node, list):
        return to_default_json(value, node[0], _ns=ns, _names=names)
    variant = _logical_variant(node)
    t = node if isinstance(node, str) else node["type"]
    if variant is not None:
        raw = _logical_to_underlying(value, variant, node)
        if isinstance(raw, bytes):
            return raw.decode("latin-1")
        return raw
    if t in ("bytes", "fixed"):
        return bytes(value).decode("latin-1")
    if t in ("float", "double"):
        if not math.isfinite(value):
            raise ValueError("JSON defaults cannot hold NaN or infinities")
        return float(value)
    if t == "array":
        return [to_default_json(v, node["items"], _ns=ns, _names=names) for v in value]
    if t == "map":
        return {k: to_default_json(v, node["values"], _ns=ns, _names=names) for k, v in value.items()}
    if t in ("record", "error"):
        inner = _namespace_of(full or "")
        return {
            f["name"]: to_default_json(value[f["name"]], f["type"], _ns=inner, _names=names)
            for f in node["fields"]
        }
    return value  # null, boolean, int, long, string, enum


def _twos_complement(n: int, size: int | None) -> bytes:
    if size is None:
        size = max(1, (n + (n < 0)).bit_length() // 8 + 1)  # minimal length (SPEC item 70)
    return n.to_bytes(size, "big", signed=True)


def _logical_to_underlying(value: Any, variant: str, node: Mapping[str, Any]) -> Any:
    """Encode a logical value as its underlying Avro value (SPEC items 70-79)."""
    if variant in ("decimal-bytes", "decimal-fixed"):
        scale = node.get("scale", 0)
        unscaled = int(value.scaleb(scale, decimal.Context(prec=1000)))
        return _twos_complement(unscaled, node["size"] if variant == "decimal-fixed" else None)
    if variant == "big-decimal":
        sign, digits, exp = value.as_tuple()
        unscaled = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
        body = _twos_complement(unscaled, None)
        return _zigzag_varint(len(body)) + body + _zigzag_varint(-exp)
    if variant == "uuid-string":
        return str(value)
    if variant == "uuid-fixed":
        return value.bytes
    if variant == "date":
        return (value - _EPOCH_DATE).days
    if variant in ("time-millis", "time-micros"):
        us = ((value.hour * 60 + value.minute) * 60 + value.second) * 10**6 + value.microsecond
        return us // 1000 if variant == "time-millis" else us
    if variant == "duration":
        return b"".join(int(x).to_bytes(4, "little") for x in value)
    # timestamps: exact integer arithmetic on timedelta (no float rounding)
    epoch = _EPOCH_AWARE if variant.startswith("timestamp") else _EPOCH_NAIVE
    delta = value - epoch
    us = (delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds
    if variant.endswith("millis"):
        return us // 1000
    if variant.endswith("nanos"):
        return us * 1000
    return us


def from_default_json(default: JSON, schema_json: JSON, *, _ns: str = "",
                      _names: _Names | None = None) -> Any:
    """The Python value a reader materialises from a JSON field ``default`` (SPEC items 21-27):
    the inverse of :func:`to_default_json`.  Unions use the first branch; a record default
    missing a field takes that field's own default (SPEC item 24, Java behaviour); logical
    types give logical values (module conventions)."""
    names = _names or _index(schema_json)
    node, ns, full = _deref(schema_json, _ns, names)
    if isinstance(node, list):
        return from_default_json(default, node[0], _ns=ns, _names=names)
    variant = _logical_variant(node)
    t = node if isinstance(node, str) else node["type"]
    if variant is not None:
        raw = default.encode("latin-1") if t in ("bytes", "fixed") else default
        return _underlying_to_logical(raw, variant, node)
    if t in ("bytes", "fixed"):
        return default.encode("latin-1")
    if t in ("float", "double"):
        return float(default)
    if t == "array":
        return [from_default_json(v, node["items"], _ns=ns, _names=names) for v in default]
    if t == "map":
        return {k: from_default_json(v, node["values"], _ns=ns, _names=names)
                for k, v in default.items()}
    if t in ("record", "error"):
        inner = _namespace_of(full or "")
        out = {}
        for f in node["fields"]:
            d = default[f["name"]] if f["name"] in default else f["default"]
            out[f["name"]] = from_default_json(d, f["type"], _ns=inner, _names=names)
        return out
    return default


def _read_zigzag(buf: bytes, pos: int) -> tuple[int, int]:
    shift = z = 0
    while True:
        b = buf[pos]
        pos += 1
        z |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return (z >> 1) ^ -(z & 1), pos


def _underlying_to_logical(raw: Any, variant: str, node: Mapping[str, Any]) -> Any:
    """Decode an underlying Avro value into its logical value (SPEC items 70-79)."""
    if variant in ("decimal-bytes", "decimal-fixed"):
        n = int.from_bytes(raw, "big", signed=True)
        return decimal.Decimal((int(n < 0), tuple(int(c) for c in str(abs(n))), -node.get("scale", 0)))
    if variant == "big-decimal":
        length, pos = _read_zigzag(raw, 0)
        n = int.from_bytes(raw[pos:pos + length], "big", signed=True)
        scale, _ = _read_zigzag(raw, pos + length)
        return decimal.Decimal((int(n < 0), tuple(int(c) for c in str(abs(n))), -scale))
    if variant == "uuid-string":
        return uuid.UUID(raw)
    if variant == "uuid-fixed":
        return uuid.UUID(bytes=raw)
    if variant == "date":
        return _EPOCH_DATE + datetime.timedelta(days=raw)
    if variant in ("time-millis", "time-micros"):
        us = raw * 1000 if variant == "time-millis" else raw
        return (datetime.datetime.min + datetime.timedelta(microseconds=us)).time()
    if variant == "duration":
        return tuple(int.from_bytes(raw[i:i + 4], "little") for i in (0, 4, 8))
    epoch = _EPOCH_AWARE if variant.startswith("timestamp") else _EPOCH_NAIVE
    us = raw * 1000 if variant.endswith("millis") else (raw // 1000 if variant.endswith("nanos") else raw)
    return epoch + datetime.timedelta(microseconds=us)


def _zigzag_varint(n: int) -> bytes:
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


@st.composite
def _default_json(draw, schema: JSON, ns: str, names: _Names, forbidden: frozenset[str]) -> Any:
    ctx = _ValueCtx(
        names, max_recursion=0, max_size=2, first_branch=True, finite_floats=True,
        forbidden=forbidden,
    )
    value = draw(_value(schema, ns, ctx, ()))
    return to_default_json(value, schema, _ns=ns, _names=names)


def default_values(schema_json: JSON) -> st.SearchStrategy[JSON]:
    """JSON-form field defaults valid for a field of type ``schema_json`` (unions: first
    branch; floats finite)."""
    return _default_json(schema_json, "", _index(schema_json), frozenset())


def _default_problem(default: JSON, schema: JSON, ns: str, names: _Names) -> str | None:
    """Why ``default`` is not a valid JSON default for ``schema`` (SPEC items 21-25), or None."""
    node, ns, full = _deref(schema, ns, names)
    if isinstance(node, list):
        if not node:
            return "empty union"
        return _default_problem(default, node[0], ns, names)
    t = node if isinstance(node, str) else node["type"]
    ok = True
    if t == "null":
        ok = default is None
    elif t == "boolean":
        ok = isinstance(default, bool)
    elif t in ("int", "long"):
        lo, hi = (_INT_MIN, _INT_MAX) if t == "int" else (_LONG_MIN, _LONG_MAX)
        ok = type(default) is int and lo <= default <= hi
    elif t in ("float", "double"):
        ok = type(default) in (int, float) and math.isfinite(default)
    elif t in ("bytes", "string"):
        ok = isinstance(default, str) and (t == "string" or all(ord(c) < 256 for c in default))
    elif t == "fixed":
        ok = isinstance(default, str) and len(default) == node["size"] and all(
            ord(c) < 256 for c in default
        )
    elif t == "enum":
        ok = default in node["symbols"]
    elif t == "array":
        if not isinstance(default, list):
            ok = False
        else:
            for v in default:
                p = _default_problem(v, node["items"], ns, names)
                if p:
                    return p
    elif t == "map":
        if not isinstance(default, dict):
            ok = False
        else:
            for v in default.values():
                p = _default_problem(v, node["values"], ns, names)
                if p:
                    return p
    elif t in ("record", "error"):
        if not isinstance(default, dict):
            ok = False
        else:
            inner = _namespace_of(full or "")
            for f in node["fields"]:
                if f["name"] in default:
                    p = _default_problem(default[f["name"]], f["type"], inner, names)
                elif "default" in f:
                    p = None
                else:
                    p = f"record default lacks field {f['name']!r}"
                if p:
                    return p
    if not ok:
        return f"default {default!r} does not match {t}"
    return None


# --------------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------------

_TYPE_NAMES = ["A", "B", "Rec", "Node", "Item", "Inner", "x", "_y", "Z9", "Long_Name_1"]
_FIELD_NAMES = ["a", "b", "c", "id", "name", "value", "type", "x_1", "_f", "CamelCase", "z"]
_SYMBOLS = ["A", "B", "C", "RED", "GREEN", "_x", "null", "z9", "Zz_9"]
_NAMESPACES = ["com.example", "a.b", "ns", "org.x.y", "_n.m2"]
_IDENT_START = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
# [A-Za-z_][A-Za-z0-9_]* (SPEC item 10); built from characters: from_regex is slow to draw
_IDENT = st.builds(
    lambda a, b: a + b,
    st.sampled_from(_IDENT_START),
    st.text(_IDENT_START + "0123456789", max_size=7),
)
_PROP_KEYS = ["x-prop", "connect.name", "java-class", "avro.java.string", "meta", "X"]
_PROP_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | _TEXT,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_IDENT, inner, max_size=2),
    max_leaves=4,
)
_UNKNOWN_LOGICAL = ["x-custom", "iso-datetime", "varchar"]


class _SchemaGen:
    """State of one :func:`schemas` draw: the named types defined so far (in order)."""

    def __init__(self, draw, opts: dict[str, Any]) -> None:
        self.draw = draw
        self.o = opts
        self.names = _Names()
        self.taken: set[str] = set()  # fullnames and type-alias fullnames (SPEC item 16)
        self.in_progress: list[str] = []  # records whose fields are being generated
        self.counter = 0

    # -- helpers --------------------------------------------------------------------------

    def chance(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) < percent

    def pick(self, seq):
        return self.draw(st.sampled_from(list(seq)))

    def ident(self, pool: list[str]) -> str:
        if self.chance(75):
            return self.pick(pool)
        return self.draw(_IDENT)

    def new_named(self, kind: str, ns: str) -> tuple[dict[str, Any], str]:
        """A fresh named type object (name, namespace, aliases, doc) and its fullname."""
        base = self.ident(_TYPE_NAMES)
        if base in _RESERVED_TYPE_NAMES:
            base = "T" + base
        style = self.pick(["inherit", "inherit", "namespace", "dotted"])
        node: dict[str, Any] = {"type": kind}
        if style == "inherit":
            type_ns = ns
        elif style == "namespace":
            # "" is the null namespace (SPEC item 10); Apache avro 1.12.2 misreads it inside
            # another namespace, so tests using it as an oracle can turn that off
            null_ok = self.o["nested_null_namespace"] or not ns
            type_ns = self.pick(_NAMESPACES + ([""] if null_ok else []))
        else:
            type_ns = self.pick(_NAMESPACES)
        name = base
        while _ref_fullname(name, type_ns) in self.taken:
            self.counter += 1
            name = f"{base}{self.counter}"
        full = _ref_fullname(name, type_ns)
        if style == "dotted":
            node["name"] = full
            if self.chance(30):  # ignored when the name is dotted (SPEC item 11)
                node["namespace"] = self.pick(_NAMESPACES)
        else:
            node["name"] = name
            if style == "namespace":
                node["namespace"] = type_ns
        self.taken.add(full)
        if self.chance(20):
            aliases = []
            for _ in range(self.draw(st.integers(1, 2))):
                alias = self.ident(_TYPE_NAMES) + "_old"
                if self.chance(30):
                    alias = self.pick(_NAMESPACES) + "." + alias
                if _alias_fullname(alias, type_ns) not in self.taken:
                    self.taken.add(_alias_fullname(alias, type_ns))
                    aliases.append(alias)
            node["aliases"] = aliases
        if self.chance(20):
            node["doc"] = self.draw(_TEXT)
        return node, full

    def register(self, node: dict[str, Any], full: str, ns: str) -> None:
        self.names.defs[full] = (node, ns)

    def props(self, node: dict[str, Any]) -> None:
        if self.o["allow_props"] and self.chance(10):
            for _ in range(self.draw(st.integers(1, 2))):
                node[self.pick(_PROP_KEYS)] = self.draw(_PROP_VALUES)

    def referable(self, ns: str, fullnames: Iterable[str]) -> list[tuple[str, str]]:
        """(fullname, reference text) for the types that a reference in ``ns`` can name.

        A short name resolves in the enclosing namespace, so a type in the null namespace can
        only be named from the null namespace (Java's fallback is not portable)."""
        out = []
        for full in fullnames:
            tns = _namespace_of(full)
            if tns == ns:
                out.append((full, full.rpartition(".")[2]))
                if tns:
                    out.append((full, full))
            elif tns:
                out.append((full, full))
        return out

    # -- kinds ----------------------------------------------------------------------------

    def kinds(self, depth: int, in_union: bool) -> list[str]:
        o = self.o
        ks = list(PRIMITIVES) + ["string", "int", "long", "double"]  # weight common ones
        ks += ["enum", "fixed"]
        if self.names.defs and o["allow_refs"]:
            ks += ["ref"]
        if o["logical"]:
            ks += ["logical", "logical", "logical"]
        if depth < o["max_depth"]:
            ks += ["record", "record", "array", "map"]
            if not in_union:
                ks += ["union", "union"]
        if o["allow_recursion"] and self.in_progress:
            ks += ["recursive"]
        return ks

    def kind_key_group(self, kind: str, variant: str | None = None) -> tuple[str | None, str]:
        """Union key (None: a new named type, always distinct) and branch group of a kind."""
        if kind in PRIMITIVES:
            return kind, _GROUP[kind]
        if kind == "logical":
            u = _LOGICAL_UNDERLYING[variant or ""]
            return (None if u == "fixed" else u), ("date" if variant == "date" else _GROUP[u])
        if kind in ("record", "enum", "fixed"):
            return None, _GROUP[kind]
        return kind, _GROUP.get(kind, kind)

    # -- generators -----------------------------------------------------------------------

    def any_type(self, depth: int, ns: str, in_union: bool = False) -> JSON:
        kind = self.pick(self.kinds(depth, in_union))
        return self.of_kind(kind, depth, ns, in_union)

    def of_kind(self, kind: str, depth: int, ns: str, in_union: bool, variant: str | None = None) -> JSON:
        if kind in PRIMITIVES:
            if self.chance(85):
                return kind
            node: dict[str, Any] = {"type": kind}
            self.props(node)
            if self.o["allow_unknown_logical"] and self.chance(20):
                node["logicalType"] = self.pick(_UNKNOWN_LOGICAL)
            return node
        if kind == "logical":
            return self.logical(ns, variant or self.pick(sorted(self.o["logical"])))
        if kind == "enum":
            return self.enum(ns)
        if kind == "fixed":
            node, full = self.new_named("fixed", ns)
            node["size"] = self.pick([0, 1, 2, 4, 8, 12, 16, 3, 5])
            self.props(node)
            self.register(node, full, ns)
            return node
        if kind == "ref":
            choices = self.referable(ns, [n for n in self.names.defs if n not in self.in_progress])
            if not choices:
                return self.of_kind("string", depth, ns, in_union)
            return self.pick(choices)[1]
        if kind == "record":
            return self.record(depth, ns)
        if kind == "array":
            node = {"type": "array", "items": self.any_type(depth + 1, ns)}
            self.props(node)
            return node
        if kind == "map":
            node = {"type": "map", "values": self.any_type(depth + 1, ns)}
            self.props(node)
            return node
        if kind == "union":
            return self.union(depth, ns)
        if kind == "recursive":
            choices = self.referable(ns, self.in_progress)
            if not choices:
                return self.of_kind("null", depth, ns, in_union)
            ref = self.pick(choices)[1]
            form = self.pick(["array", "map"] if in_union else ["optional", "optional", "array", "map"])
            if form == "optional":
                return ["null", ref]
            return {"type": "array", "items": ref} if form == "array" else {"type": "map", "values": ref}
        raise AssertionError(kind)

    def logical(self, ns: str, variant: str) -> JSON:
        u = _LOGICAL_UNDERLYING[variant]
        lt = variant.rsplit("-", 1)[0] if variant in (
            "decimal-bytes", "decimal-fixed", "uuid-string", "uuid-fixed"
        ) else variant
        if u == "fixed":
            node, full = self.new_named("fixed", ns)
            if variant == "decimal-fixed":
                node["size"] = self.pick([1, 2, 3, 4, 5, 8, 9, 16])
            else:
                node["size"] = 16 if variant == "uuid-fixed" else 12
            self.register(node, full, ns)
        else:
            node = {"type": u}
        node["logicalType"] = lt
        if lt == "decimal":
            maxp = 38 if u == "bytes" else _max_fixed_decimal_precision(node["size"])
            p = self.draw(st.integers(1, maxp))
            node["precision"] = p
            if self.chance(70):
                node["scale"] = self.draw(st.integers(0, p))
        self.props(node)
        return node

    def enum(self, ns: str) -> JSON:
        node, full = self.new_named("enum", ns)
        symbols = self.draw(
            st.lists(st.sampled_from(_SYMBOLS) | _IDENT, min_size=1, max_size=5, unique=True)
        )
        node["symbols"] = symbols
        if self.chance(30):
            node["default"] = self.pick(symbols)
        self.props(node)
        self.register(node, full, ns)
        return node

    def record(self, depth: int, ns: str) -> JSON:
        node, full = self.new_named("record", ns)
        fields: list[dict[str, Any]] = []
        node["fields"] = fields
        self.register(node, full, ns)
        self.in_progress.append(full)
        inner = _namespace_of(full)
        n = self.draw(st.integers(0 if depth else 1, self.o["max_fields"]))
        fnames = self.draw(
            st.lists(st.sampled_from(_FIELD_NAMES) | _IDENT, min_size=n, max_size=n, unique=True)
        )
        used = set(fnames)
        for fname in fnames:
            ftype = self.any_type(depth + 1, inner)
            field: dict[str, Any] = {"name": fname, "type": ftype}
            if self.chance(15):
                field["doc"] = self.draw(_TEXT)
            if self.chance(15):
                alias = fname + "_old"
                if alias not in used:
                    used.add(alias)
                    field["aliases"] = [alias]
            if self.chance(15):
                field["order"] = self.pick(["ascending", "descending", "ignore"])
            if self.chance(40):
                blocked = frozenset(self.in_progress)
                ctx = _ValueCtx(self.names, max_recursion=0, max_size=2, first_branch=True,
                                finite_floats=True, forbidden=blocked)
                if ctx.finite(ftype, inner):
                    field["default"] = self.draw(_default_json(ftype, inner, self.names, blocked))
            self.props(field)
            fields.append(field)
        self.props(node)
        self.in_progress.pop()
        return node

    def union(self, depth: int, ns: str) -> JSON:
        n = self.draw(st.integers(1, self.o["max_union_branches"]))
        branches: list[JSON] = []
        keys: set[str] = set()
        groups: list[str] = []
        unamb = self.o["unambiguous_unions"]
        for _ in range(n):
            options: list[tuple[str, str | None]] = []
            for kind in self.kinds(depth, in_union=True):
                if kind == "ref":
                    for full, text in self.referable(
                        ns, [x for x in self.names.defs if x not in self.in_progress]
                    ):
                        g = _branch_group(text, ns, self.names)
                        if "named:" + full not in keys and (not unamb or _groups_compatible(groups, g)):
                            options.append(("ref:" + text, None))
                    continue
                variants: list[str | None] = (
                    sorted(self.o["logical"]) if kind == "logical" else [None]
                )
                for v in variants:
                    if kind == "recursive":
                        k, g = "array", "array"  # its array/map forms; checked below
                    else:
                        k, g = self.kind_key_group(kind, v)
                    if k is not None and k in keys:
                        continue
                    if unamb and not _groups_compatible(groups, g):
                        continue
                    options.append((kind, v))
            if not options:
                break
            kind, v = self.pick(sorted(set(options), key=str))
            if kind.startswith("ref:"):
                b: JSON = kind[4:]
            else:
                b = self.of_kind(kind, depth, ns, in_union=True, variant=v)
            k = _union_key(b, ns, self.names)
            g = _branch_group(b, ns, self.names)
            if k in keys or (unamb and not _groups_compatible(groups, g)):
                continue  # a recursive form that clashed; only unnamed types get here
            keys.add(k)
            groups.append(g)
            branches.append(b)
        if not branches:
            branches = ["null"]
        return branches


@st.composite
def schemas(
    draw,
    max_depth: int = 3,
    allow_recursion: bool = True,
    allow_logical: bool = True,
    unambiguous_unions: bool = True,
    *,
    logical_types: Iterable[str] | None = None,
    top_level: str = "record",
    allow_props: bool = True,
    allow_unknown_logical: bool = True,
    allow_refs: bool = True,
    nested_null_namespace: bool = True,
    max_fields: int = 5,
    max_union_branches: int = 4,
) -> JSON:
    """Valid Avro schemas as JSON objects.

    Covers every primitive (bare and as ``{"type": ...}`` objects), records (nested, ``doc``,
    ``aliases``, field ``aliases``/``order``/valid ``default`` values), enums (with and without
    an enum ``default``), arrays, maps, legal unions (SPEC item 8), fixed (size 0-16), named
    types in namespaces (inherited, explicit incl. the null namespace ``""``, dotted names with
    an ignored ``namespace``), references to earlier named types by short and by full name,
    recursion (a record reaching itself through an optional field, an array or a map, so values
    stay finite), logical types and extra properties (incl. unknown logical types, which
    implementations must ignore).

    * ``max_depth``: nesting depth of records/arrays/maps/unions.
    * ``logical_types``: logical type variants to use (names from ``ALL_LOGICAL_VARIANTS`` such
      as ``"decimal-fixed"`` or ``"uuid-string"``, or plain logical names like ``"uuid"`` for
      every variant); default all, or none when ``allow_logical`` is False.  Pass
      ``FASTAVRO_LOGICAL_VARIANTS`` / ``AVRO_LOGICAL_VARIANTS`` for differential tests.
    * ``unambiguous_unions``: only unions whose branches are told apart by the Python type of
      the value (at most one of int/long/float/double and the logical types on them, one of
      string/enum/uuid, one of bytes/fixed and their logical types, one of record/map, and
      never bytes-like together with an array), so that every encoder picks the same branch.
    * ``top_level``: ``"record"`` (default) or ``"any"``.
    * ``nested_null_namespace``: allow ``"namespace": ""`` on a type inside a namespace; pass
      False when the Apache ``avro`` package is the oracle (it misreads that, see
      :func:`avro_incompatibilities`).
    * ``max_fields`` / ``max_union_branches``: size limits.
    """
    if logical_types is None:
        variants = set(ALL_LOGICAL_VARIANTS) if allow_logical else set()
    else:
        variants = set()
        for name in logical_types:
            matched = {v for v in ALL_LOGICAL_VARIANTS if v == name or v.startswith(name + "-")}
            if name in ("decimal", "uuid"):
                matched = {v for v in ALL_LOGICAL_VARIANTS if v.startswith(name + "-")}
            if not matched:
                raise ValueError(f"unknown logical type {name!r}")
            variants |= matched
        if not allow_logical:
            variants = set()
    opts = {
        "max_depth": max_depth,
        "allow_recursion": allow_recursion,
        "logical": frozenset(variants),
        "unambiguous_unions": unambiguous_unions,
        "allow_props": allow_props,
        "allow_unknown_logical": allow_unknown_logical,
        "allow_refs": allow_refs,
        "nested_null_namespace": nested_null_namespace,
        "max_fields": max_fields,
        "max_union_branches": max_union_branches,
    }
    gen = _SchemaGen(draw, opts)
    if top_level == "record":
        return gen.record(0, "")
    if top_level == "any":
        return gen.any_type(0, "")
    raise ValueError("top_level must be 'record' or 'any'")


@st.composite
def schema_and_datum(draw, **schema_kwargs: Any) -> tuple[JSON, Any]:
    """A schema from :func:`schemas` (``schema_kwargs`` passed on) and one value of it."""
    s = draw(schemas(**schema_kwargs))
    return s, draw(datums(s))


@st.composite
def schema_and_datums(
    draw, n: int | None = None, *, min_size: int = 0, max_size: int = 5, **schema_kwargs: Any
) -> tuple[JSON, list[Any]]:
    """A schema and a list of values of it: exactly ``n`` if given, else ``min_size`` to
    ``max_size``."""
    s = draw(schemas(**schema_kwargs))
    lo, hi = (n, n) if n is not None else (min_size, max_size)
    return s, draw(st.lists(datums(s), min_size=lo, max_size=hi))


# --------------------------------------------------------------------------------------------
# Evolutions
# --------------------------------------------------------------------------------------------

_PROMOTIONS = {  # SPEC item 94, plus the reverse of string<->bytes
    "int": ["long", "float", "double"],
    "long": ["float", "double"],
    "float": ["double"],
    "string": ["bytes"],
    "bytes": ["string"],
}


class _Slot:
    """A place holding a schema: ``container[key]``."""

    __slots__ = ("container", "key", "ns", "field")

    def __init__(self, container: Any, key: Any, ns: str, field: dict[str, Any] | None) -> None:
        self.container = container
        self.key = key
        self.ns = ns
        self.field = field  # the field whose type this slot is (directly), if any

    def get(self) -> JSON:
        return self.container[self.key]

    def set(self, v: JSON) -> None:
        self.container[self.key] = v


def _slots(schema_holder: list[JSON]) -> list[_Slot]:
    """Every slot of the schema in ``schema_holder[0]``, definitions visited once."""
    out: list[_Slot] = []

    def visit(slot: _Slot) -> None:
        out.append(slot)
        s = slot.get()
        ns = slot.ns
        if isinstance(s, list):
            for i in range(len(s)):
                visit(_Slot(s, i, ns, None))
        elif isinstance(s, dict):
            t = _node_type(s)
            if t is None:
                visit(_Slot(s, "type", ns, None))
            elif t in ("record", "error"):
                inner = _namespace_of(_fullname(s, ns))
                for f in s.get("fields", []):
                    visit(_Slot(f, "type", inner, f))
            elif t == "array":
                visit(_Slot(s, "items", ns, None))
            elif t == "map":
                visit(_Slot(s, "values", ns, None))

    visit(_Slot(schema_holder, 0, "", None))
    return out


def _repair(schema: JSON, originals: dict[str, tuple[dict[str, Any], str]]) -> JSON:
    """Make every named type defined before use, exactly once (SPEC item 14).

    After a change removed a definition that later references still use, the first such
    reference gets the definition (with its namespace pinned so its fullname stays the same);
    a second definition of a name becomes a reference.
    """
    holder = [schema]
    defined: set[str] = set()

    def fix(container: Any, key: Any, ns: str) -> None:
        s = container[key]
        if isinstance(s, str) and s not in PRIMITIVES:
            full = _ref_fullname(s, ns)
            if full not in defined and full not in originals and s in originals:
                full = s
            if full not in defined and full in originals:
                node, _def_ns = originals[full]
                node = copy.deepcopy(node)
                if "." not in node["name"]:
                    node["namespace"] = _namespace_of(full)
                container[key] = node
                fix(container, key, ns)
            return
        if isinstance(s, list):
            for i in range(len(s)):
                fix(s, i, ns)
            return
        t = _node_type(s)
        if t is None:
            fix(s, "type", ns)
            return
        if t in NAMED:
            full = _fullname(s, ns)
            if full in defined:
                container[key] = full
                return
            defined.add(full)
            if t in ("record", "error"):
                inner = _namespace_of(full)
                for f in s["fields"]:
                    fix(f, "type", inner)
            return
        if t == "array":
            fix(s, "items", ns)
        elif t == "map":
            fix(s, "values", ns)

    fix(holder, 0, "")
    return holder[0]


def _fix_defaults(schema: JSON) -> None:
    """Drop field and enum defaults that a change made invalid (e.g. a removed enum symbol)."""
    names = _index(schema)
    for node, _ns, full in list(walk(schema)):
        if not isinstance(node, dict):
            continue
        t = node.get("type")
        if t == "enum" and "default" in node and node["default"] not in node["symbols"]:
            del node["default"]
        if t in ("record", "error"):
            inner = _namespace_of(full or "")
            for f in node["fields"]:
                if "default" in f and _default_problem(f["default"], f["type"], inner, names):
                    del f["default"]


class _Evolver:
    def __init__(self, draw, schema: JSON, unambiguous: bool) -> None:
        self.draw = draw
        self.unamb = unambiguous
        self.originals = _index(schema).defs
        self.holder = [copy.deepcopy(schema)]

    def pick(self, seq):
        return self.draw(st.sampled_from(list(seq)))

    def records(self) -> list[tuple[dict[str, Any], str]]:
        return [
            (n, _namespace_of(full or ""))
            for n, _ns, full in walk(self.holder[0])
            if isinstance(n, dict) and n.get("type") in ("record", "error") and full
        ]

    def change(self) -> str | None:
        ops = [
            "add_field_default", "add_field", "remove_field", "promote", "enum_add",
            "enum_remove", "enum_default", "rename_field", "rename_type", "widen_union",
            "narrow_union",
        ]
        # try the kinds of change in a random order: the first one this schema allows wins
        for op in self.draw(st.permutations(ops)):
            msg = getattr(self, op)()
            if msg:
                return msg
        return None

    def _new_field_type(self, ns: str) -> JSON:
        # fresh types only: new named types could collide with names elsewhere in the schema
        return self.draw(
            st.sampled_from(list(PRIMITIVES))
            | st.builds(lambda t: {"type": "array", "items": t}, st.sampled_from(list(PRIMITIVES)))
            | st.builds(lambda t: ["null", t], st.sampled_from(["int", "string", "double", "bytes"]))
        )

    def add_field_default(self, with_default: bool = True) -> str | None:
        recs = self.records()
        if not recs:
            return None
        rec, inner = self.pick(recs)
        taken = {f["name"] for f in rec["fields"]} | {
            a for f in rec["fields"] for a in f.get("aliases", [])
        }
        name = self.pick([n for n in ("added", "added_2", "new_field", "extra") if n not in taken]
                         or ["added_x"])
        if name in taken:
            return None
        ftype = self._new_field_type(inner)
        field: dict[str, Any] = {"name": name, "type": ftype}
        if with_default:
            names = _index(self.holder[0])
            field["default"] = self.draw(_default_json(ftype, inner, names, frozenset()))
        pos = self.draw(st.integers(0, len(rec["fields"])))
        rec["fields"].insert(pos, field)
        return f"add field {name!r} to {rec['name']}" + (" with default" if with_default else "")

    def add_field(self) -> str | None:
        return self.add_field_default(with_default=False)

    def remove_field(self) -> str | None:
        recs = [(r, ns) for r, ns in self.records() if r["fields"]]
        if not recs:
            return None
        rec, _ = self.pick(recs)
        i = self.draw(st.integers(0, len(rec["fields"]) - 1))
        f = rec["fields"].pop(i)
        return f"remove field {f['name']!r} from {rec['name']}"

    def _union_ok(self, union: list[JSON], ns: str) -> bool:
        try:
            names = _index(self.holder[0])
            return not _union_problems(union, ns, names, self.unamb)
        except KeyError:
            return False

    def promote(self) -> str | None:
        sites = []
        for slot in _slots(self.holder):
            s = slot.get()
            t = s if isinstance(s, str) else (s.get("type") if isinstance(s, dict) else None)
            if t in _PROMOTIONS and not (isinstance(s, dict) and "logicalType" in s):
                sites.append(slot)
        if not sites:
            return None
        slot = self.pick(sites)
        s = slot.get()
        old = s if isinstance(s, str) else s["type"]
        new = self.pick(_PROMOTIONS[old])
        if isinstance(s, dict):
            s2 = dict(s)
            s2["type"] = new
            slot.set(s2)
        else:
            slot.set(new)
        if isinstance(slot.container, list) and slot.container is not self.holder:
            if not self._union_ok(slot.container, slot.ns):
                slot.set(s)
                return None
        if slot.field is not None and "default" in slot.field:
            d = slot.field["default"]
            # only a default of the promoted type itself changes (a union field's default may
            # belong to another branch)
            if old in ("int", "long") and new in ("float", "double") and type(d) is int:
                slot.field["default"] = float(d)
        return f"promote {old} -> {new}"

    def enums(self) -> list[dict[str, Any]]:
        return [n for n, _ns, _f in walk(self.holder[0]) if isinstance(n, dict) and n.get("type") == "enum"]

    def enum_add(self) -> str | None:
        es = self.enums()
        if not es:
            return None
        e = self.pick(es)
        sym = self.pick([s for s in ("ADDED", "NEW_SYM", "Z_added") if s not in e["symbols"]] or ["X"])
        if sym in e["symbols"]:
            return None
        e["symbols"].insert(self.draw(st.integers(0, len(e["symbols"]))), sym)
        return f"add symbol {sym} to {e['name']}"

    def enum_remove(self) -> str | None:
        es = [e for e in self.enums() if len(e["symbols"]) > 1]
        if not es:
            return None
        e = self.pick(es)
        sym = self.pick(e["symbols"])
        e["symbols"].remove(sym)
        return f"remove symbol {sym} from {e['name']}"

    def enum_default(self) -> str | None:
        es = self.enums()
        if not es:
            return None
        e = self.pick(es)
        e["default"] = self.pick(e["symbols"])
        return f"set default {e['default']} on {e['name']}"

    def rename_field(self) -> str | None:
        recs = [(r, ns) for r, ns in self.records() if r["fields"]]
        if not recs:
            return None
        rec, _ = self.pick(recs)
        f = self.pick(rec["fields"])
        taken = {g["name"] for g in rec["fields"]} | {a for g in rec["fields"] for a in g.get("aliases", [])}
        new = f["name"] + "_renamed"
        if new in taken:
            return None
        old = f["name"]
        f["name"] = new
        f["aliases"] = [*f.get("aliases", []), old]
        return f"rename field {old!r} -> {new!r} (old name as alias)"

    def rename_type(self) -> str | None:
        defs = named_types(self.holder[0])
        if not defs:
            return None
        old_full = self.pick(defs)
        node = defs[old_full]
        ns = _namespace_of(old_full)
        short = old_full.rpartition(".")[2] + "_v2"
        new_full = f"{ns}.{short}" if ns else short
        if new_full in defs or any(
            _alias_fullname(a, _namespace_of(f)) == new_full for f, n in defs.items() for a in n.get("aliases", [])
        ):
            return None
        # references first (they are resolved with the old name still in place)
        for slot in _slots(self.holder):
            s = slot.get()
            if isinstance(s, str) and s not in PRIMITIVES and _ref_fullname(s, slot.ns) == old_full:
                slot.set(new_full if "." in s or ns != slot.ns else short)
            elif isinstance(s, str) and s == old_full:
                slot.set(new_full)
        node["name"] = new_full if "." in node["name"] else short
        if "." not in node["name"] and ns and node.get("namespace") is None:
            pass  # inherits the same namespace as before
        aliases = [a for a in node.get("aliases", [])]
        node["aliases"] = [*aliases, old_full]
        # a later change may drop the field holding the definition: _repair must then find
        # it under its new name
        self.originals[new_full] = (node, ns)
        return f"rename type {old_full} -> {new_full} (old name as alias)"

    def widen_union(self) -> str | None:
        sites = [sl for sl in _slots(self.holder)[1:] if not isinstance(sl.get(), list)
                 and not isinstance(sl.container, list)]
        if not sites:
            return None
        slot = self.pick(sites)
        s = slot.get()
        extra = self.pick(["null", "string", "long", "boolean", "double"])
        union = [s, extra] if self.draw(st.booleans()) else [extra, s]
        # keep the definition (if s defines a named type) where it was: s stays in place
        slot.set(union)
        if not self._union_ok(union, slot.ns):
            slot.set(s)
            return None
        if slot.field is not None and "default" in slot.field and union[0] == extra:
            if extra == "null":
                slot.field["default"] = None
            else:
                del slot.field["default"]
        elif slot.field is not None and extra == "null" and union[0] == "null":
            slot.field["default"] = None
        return f"widen {_union_key(s, slot.ns, _index(self.holder[0]))} into a union with {extra}"

    def narrow_union(self) -> str | None:
        sites = [sl for sl in _slots(self.holder) if isinstance(sl.get(), list) and len(sl.get()) > 1]
        if not sites:
            return None
        slot = self.pick(sites)
        u = slot.get()
        i = self.draw(st.integers(0, len(u) - 1))
        removed = u[i]
        new = u[:i] + u[i + 1:]
        slot.set(new[0] if len(new) == 1 and self.draw(st.booleans()) else new)
        if not self._has_values():  # e.g. ["null", Self] -> Self: no finite value left
            slot.set(u)
            return None
        return f"narrow a union: drop branch {i} ({removed if isinstance(removed, str) else _node_type(removed)})"

    def _has_values(self) -> bool:
        try:
            s = _repair(copy.deepcopy(self.holder[0]), self.originals)
            names = _index(s)
            ctx = _ValueCtx(names, max_recursion=0, max_size=0, first_branch=False,
                            finite_floats=False)
            return ctx.finite(s, "")
        except KeyError:
            return False

    def finish(self) -> JSON:
        s = _repair(self.holder[0], self.originals)
        _fix_defaults(s)
        return s


@st.composite
def evolutions(
    draw,
    schema_json: JSON,
    *,
    max_changes: int = 3,
    unambiguous_unions: bool = True,
    describe: bool = False,
) -> Any:
    """A new version of ``schema_json`` after 1 to ``max_changes`` realistic changes.

    Changes: add a field with a default, add a field without default, remove a field, promote
    a type (int→long/float/double, long→float/double, float→double, string↔bytes), add or
    remove an enum symbol, set an enum default, rename a field or a named type keeping the old
    name as an alias, widen a type into a union, narrow a union.  The result is always a valid
    schema (named types still defined before use, defaults still valid: a default a change
    invalidated is dropped); whether it is *compatible* with the original is for the oracle
    under test to decide, in either direction.  With ``describe=True`` the strategy yields
    ``(new_schema, [description of each change])``.
    """
    ev = _Evolver(draw, schema_json, unambiguous_unions)
    done: list[str] = []
    for _ in range(draw(st.integers(1, max_changes))):
        msg = ev.change()
        if msg:
            done.append(msg)
    if not done:  # always change something: a field can always be added to a record
        msg = ev.add_field_default() if ev.records() else None
        if msg:
            done.append(msg)
        elif not isinstance(ev.holder[0], list):
            ev.holder[0] = ["null", ev.holder[0]] if not _is_ref(ev.holder[0]) else ev.holder[0]
            done.append("wrap into an optional union")
    new = ev.finish()
    return (new, done) if describe else new


def damaged_copies(good: bytes, first_block: int, n: int, rnd: Any) -> list[bytes]:
    """``good`` (a container file whose first block starts at ``first_block``), a few fixed
    damages at its end, and ``n`` random ones after the header: truncated, a bit flipped,
    bytes inserted or deleted (``rnd``: a ``random.Random``)."""
    out = [good, good[:-1], good[:-17], good + b"\x00", good + b"\x02\x04"]
    for _ in range(n):
        pos = rnd.randrange(first_block, len(good))
        kind = rnd.randrange(4)
        if kind == 0:
            out.append(good[:pos])
        elif kind == 1:
            out.append(good[:pos] + bytes([good[pos] ^ (1 << rnd.randrange(8))]) + good[pos + 1 :])
        elif kind == 2:
            out.append(good[:pos] + rnd.randbytes(rnd.randrange(1, 20)) + good[pos:])
        else:
            out.append(good[:pos] + good[pos + rnd.randrange(1, 30) :])
    return out
