"""The Avro schema model: immutable ``Schema`` objects (records, enums, fixed, arrays, maps,
unions, primitives) and ``Field``, their Parsing Canonical Form and fingerprints (Avro
specification, "Parsing Canonical Form for Schemas", "Schema Fingerprints"), ``to_json``
and ``repr``. They are built by the parser, :mod:`turboavro.schema`."""
from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from os import PathLike
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NoReturn, TypeGuard

from . import limits as _limits
from ._kernels._fingerprint import crc64_avro as _crc64_kernel
from ._kernels._schema_text import track as _gc_track
from .errors import SchemaError

PRIMITIVE_TYPES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")


_PRIMITIVES = frozenset(PRIMITIVE_TYPES)


_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1


_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1


_set = object.__setattr__


_EMPTY_PROPS: Mapping[str, Any] = MappingProxyType({})


# Immutable classes refuse every assignment in ``__setattr__``; building them through
# ``object.__setattr__`` costs ~300 ns per attribute, most of the time of a parse. So each
# class has a layout-identical "mutable twin" subclass with the default ``__setattr__``:
# ``__init__`` turns the new object into its twin, assigns plainly, and turns it back.
_TWINS: dict[type, type] = {}


def _make_twin(cls: type) -> None:
    ns = {"__slots__": (), "__setattr__": object.__setattr__, "__delattr__": object.__delattr__}
    _TWINS[cls] = type(f"_Mutable{cls.__name__}", (cls,), ns, twin=True)


def _thaw(obj: object) -> type | None:
    """Make ``obj`` assignable; returns its class to restore, or None if already thawed (an
    ``__init__`` called through ``super()``)."""
    cls = type(obj)
    twin = _TWINS.get(cls)
    if twin is None:
        return None
    _set(obj, "__class__", twin)
    return cls


def _freeze(obj: object, cls: type | None) -> None:
    if cls is not None:
        obj.__class__ = cls


def _is_int(v: object) -> TypeGuard[int]:
    # JSON true/false are not integers (Python's bool subclasses int).
    return type(v) is int


def crc64_avro(buffer: bytes | bytearray | memoryview | str) -> int:
    """CRC-64-AVRO (Rabin) fingerprint of ``buffer`` as an unsigned 64-bit int (spec: Schema Fingerprints).

    ``str`` is hashed as its UTF-8 bytes. Java reports the same value as a signed long; the
    single-object encoding writes it as 8 little-endian bytes (``.to_bytes(8, "little")``).
    """
    if isinstance(buffer, str):
        buffer = buffer.encode("utf-8")
    try:
        return _crc64_kernel(buffer)
    except (ValueError, TypeError, BufferError):
        # non-contiguous or non-byte-format buffers: copy once into bytes
        try:
            data = memoryview(buffer).tobytes()
        except TypeError:
            raise TypeError(
                f"crc64_avro() needs bytes, bytearray, memoryview or str, not {type(buffer).__name__}"
            ) from None
        return _crc64_kernel(data)


_ALGORITHMS = {
    "CRC64AVRO": "CRC-64-AVRO",
    "CRC64": "CRC-64-AVRO",
    "RABIN": "CRC-64-AVRO",
    "MD5": "MD5",
    "SHA256": "SHA-256",
}


def normalize_fingerprint_algorithm(algorithm: str) -> str:
    """Map a case-insensitive algorithm alias ("crc64", "md5", "sha256", ...) to its canonical
    name ("CRC-64-AVRO", "MD5", "SHA-256"); :class:`ValueError` for an unknown algorithm."""
    key = str(algorithm).upper().replace("-", "").replace("_", "")
    try:
        return _ALGORITHMS[key]
    except KeyError:
        raise ValueError(
            f"unknown fingerprint algorithm {algorithm!r}: use 'CRC-64-AVRO', 'MD5' or 'SHA-256'"
        ) from None


def canonical_fingerprint(canonical_form: str | bytes, algorithm: str = "CRC-64-AVRO") -> bytes:
    """Fingerprint of a Parsing Canonical Form (spec: Schema Fingerprints), uncached.

    CRC-64-AVRO is returned as 8 little-endian bytes (as in the single-object encoding).
    """
    data = canonical_form.encode("utf-8") if isinstance(canonical_form, str) else canonical_form
    algo = normalize_fingerprint_algorithm(algorithm)
    if algo == "CRC-64-AVRO":
        return _crc64_kernel(data).to_bytes(8, "little")
    if algo == "MD5":
        return hashlib.md5(data).digest()
    return hashlib.sha256(data).digest()


def min_datum_size(schema: Schema, _seen: set[int] | None = None) -> int:
    """Fewest bytes any datum of ``schema`` takes in the binary encoding: readers reject a
    block whose record count its size cannot back (a lying count would otherwise allocate a
    huge list), and collections whose item count their remaining bytes cannot back."""
    t = schema.type
    if t in ("boolean", "int", "long", "bytes", "string", "enum", "array", "map", "union"):
        return 1
    if t == "float":
        return 4
    if t == "double":
        return 8
    if t == "fixed":
        return int(schema.size)
    if t in ("record", "error"):
        seen = _seen if _seen is not None else set()
        if id(schema) in seen:  # recursion: the cycle adds nothing to the minimum
            return 0
        seen.add(id(schema))
        total = sum(min_datum_size(f.type, seen) for f in schema.fields)
        seen.discard(id(schema))
        return total
    return 0  # null


# The attributes of each class, set on an assignable object (a mutable twin, see _TWINS): by
# the classes' ``__init__`` and by the parser, which builds twins and switches their class.
def _init_schema(s: Any, type: str, props: Mapping[str, Any] | None) -> None:
    s.type = type
    s.logical_type = None
    s.precision = None
    s.scale = None
    s.props = MappingProxyType(props) if props else _EMPTY_PROPS
    s._cache = None  # made on first use: most schemas never need one


def _init_named(s: Any, fullname: str, aliases: tuple[str, ...], doc: str | None) -> None:
    s.namespace, _, s.name = fullname.rpartition(".")
    s.fullname = fullname
    s.aliases = aliases
    s.doc = doc


def _init_fields(rec: Any, fields: tuple[Field, ...]) -> None:
    # the parser calls it once the fields are parsed: a recursive record exists before them
    rec.fields = fields
    rec._by_name = None  # made by field() on first use


def _init_symbols(enum: Any, symbols: tuple[str, ...], default: str | None) -> None:
    enum.symbols = symbols
    enum.default = default
    enum._index = None  # made by index() on first use


def _init_field(
    f: Any,
    name: str,
    type: Schema,
    index: int,
    has_default: bool,
    default: Any,
    order: str,
    aliases: tuple[str, ...],
    doc: str | None,
    props: Mapping[str, Any] | None,
) -> None:
    f.name = name
    f.type = type
    f.index = index
    f.has_default = has_default
    f._default = default
    f.order = order
    f.aliases = aliases
    f.doc = doc
    f.props = MappingProxyType(props) if props else _EMPTY_PROPS


class Schema:
    """An Avro schema (immutable). Build one with :meth:`Schema.parse` or :meth:`Schema.load`.

    ``type`` is the Avro type name (``"record"`` also for errors, see ``RecordSchema.is_error``);
    ``logical_type`` the recognised *valid* logical type or ``None``; ``precision``/``scale``
    are set for a valid decimal; ``props`` holds every other attribute (read-only).
    ``==`` compares :meth:`to_json`; ``hash`` is the hash of the canonical form.
    """

    # Schemas are built by the parser (turboavro.schema, which imports this module): it
    # installs ``parse`` and ``load`` when it loads; the model is always reached through it.
    if TYPE_CHECKING:

        @staticmethod
        def parse(
            text_or_obj: Any,
            *,
            named: Mapping[str, Schema] | None = None,
        ) -> Schema: ...

        @staticmethod
        def load(*paths: str | PathLike[str], named: Mapping[str, Schema] | None = None) -> Schema: ...

    __slots__ = (
        "type",
        "logical_type",
        "precision",
        "scale",
        "props",
        "_cache",
        "__weakref__",
    )

    type: str
    logical_type: str | None
    precision: int | None
    scale: int | None
    props: Mapping[str, Any]
    # lazily computed values, each computed once: "pcf" (canonical form), "eq" (equality
    # key), "named" (named_types), and fingerprints by algorithm name as asked and canonical;
    # None until the first one (see _cached)
    _cache: dict[str, Any] | None

    if TYPE_CHECKING:
        # Attributes of the subclasses, declared here for type checkers only: code that
        # dispatches on ``.type`` (as every consumer of the model does) reads them from a
        # ``Schema``. At run time only the matching subclass has them.
        name: str
        namespace: str
        fullname: str
        aliases: tuple[str, ...]
        doc: str | None
        fields: tuple[Field, ...]
        is_error: bool
        symbols: tuple[str, ...]
        default: str | None
        size: int
        items: Schema
        values: Schema
        branches: tuple[Schema, ...]

        def field(self, name: str) -> Field | None: ...
        def index(self, symbol: str) -> int | None: ...

    def __init_subclass__(cls, twin: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not twin:
            _make_twin(cls)

    def __init__(self, type: str, props: Mapping[str, Any] | None = None) -> None:
        frozen = _thaw(self)
        _init_schema(self, type, props)
        _freeze(self, frozen)

    # -- construction ------------------------------------------------------------------------



    # -- derived values ----------------------------------------------------------------------

    def _cached(self) -> dict[str, Any]:
        """The cache of derived values, made on first use (a parse allocates none: fewer
        objects for the cyclic GC to scan)."""
        cache = self._cache
        if cache is None:
            # a schema the native reader left untracked by the garbage collector can join a
            # cycle through its cache (named_types holds the schema): it is tracked first
            _gc_track(self)
            cache = {}
            _set(self, "_cache", cache)
        return cache

    @property
    def canonical_form(self) -> str:
        """Parsing Canonical Form (Avro specification, Parsing Canonical Form for Schemas), computed once."""
        cache = self._cached()
        pcf: str | None = cache.get("pcf")
        if pcf is None:
            out: list[str] = []
            _write_canonical(self, set(), out)
            pcf = cache["pcf"] = "".join(out)
        return pcf

    def fingerprint(self, algorithm: str = "CRC-64-AVRO") -> bytes:
        """Fingerprint of the canonical form: "CRC-64-AVRO" (8 bytes little-endian), "MD5" (16)
        or "SHA-256" (32); case-insensitive aliases such as "crc64", "md5", "sha256" work.
        Computed once per algorithm."""
        cache = self._cached()
        fp: bytes | None = cache.get("fp:" + algorithm)
        if fp is None:
            algo = normalize_fingerprint_algorithm(algorithm)
            fp = cache.get("fp:" + algo)
            if fp is None:
                fp = cache["fp:" + algo] = canonical_fingerprint(self.canonical_form, algo)
            cache["fp:" + algorithm] = fp
        return fp

    def to_json(self) -> Any:
        """The schema as a JSON-compatible value: full names, properties and valid logical-type
        attributes kept; each named type defined once and referenced by fullname afterwards.
        A fresh object on every call (callers may mutate it)."""
        return _to_json(self, set(), "")

    @property
    def named_types(self) -> Mapping[str, NamedSchema]:
        """Every named type reachable from this schema, by fullname (in definition order)."""
        cache = self._cached()
        nt: Mapping[str, NamedSchema] | None = cache.get("named")
        if nt is None:
            found: dict[str, NamedSchema] = {}
            _collect_named(self, found)
            nt = cache["named"] = MappingProxyType(found)
        return nt

    def _key(self) -> str:
        cache = self._cached()
        k: str | None = cache.get("eq")
        if k is None:
            k = cache["eq"] = _json_key(self.to_json())
        return k

    # -- protocol ----------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Schema):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self.canonical_form)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable (cannot delete {name!r})")

    def __copy__(self) -> Schema:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Schema:
        return self

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (Schema.parse, (str(self),))

    def __str__(self) -> str:
        return json.dumps(self.to_json())

    def __repr__(self) -> str:
        return _repr(self, 2)

    def _logical_repr(self) -> str:
        if self.logical_type is None:
            return ""
        if self.logical_type == "decimal":
            return f", logical_type='decimal', precision={self.precision}, scale={self.scale}"
        return f", logical_type={self.logical_type!r}"


class PrimitiveSchema(Schema):
    """``null boolean int long float double bytes string`` (optionally with a logical type)."""

    __slots__ = ()


class NamedSchema(Schema):
    """Base of record, enum and fixed. ``namespace`` is ``""`` for the null namespace;
    ``aliases`` are fullnames (spec: Aliases)."""

    __slots__ = ("name", "namespace", "fullname", "aliases", "doc")

    name: str
    namespace: str
    fullname: str
    aliases: tuple[str, ...]
    doc: str | None

    def __init__(
        self,
        type: str,
        fullname: str,
        aliases: Iterable[str] = (),
        doc: str | None = None,
        props: Mapping[str, Any] | None = None,
    ) -> None:
        frozen = _thaw(self)
        super().__init__(type, props)
        _init_named(self, fullname, tuple(aliases), doc)
        _freeze(self, frozen)


class Field:
    """A record field (immutable). ``default`` is the JSON form as written (``has_default``
    tells a ``null`` default from none); ``aliases`` are plain names (fields have no namespace)."""

    __slots__ = (
        "name",
        "type",
        "index",
        "has_default",
        "_default",
        "order",
        "aliases",
        "doc",
        "props",
    )

    name: str
    type: Schema
    index: int
    has_default: bool
    order: str
    aliases: tuple[str, ...]
    doc: str | None
    props: Mapping[str, Any]
    _default: Any

    def __init_subclass__(cls, twin: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not twin:
            _make_twin(cls)

    def __init__(
        self,
        name: str,
        type: Schema,
        index: int,
        *,
        has_default: bool = False,
        default: Any = None,
        order: str = "ascending",
        aliases: Iterable[str] = (),
        doc: str | None = None,
        props: Mapping[str, Any] | None = None,
    ) -> None:
        frozen = _thaw(self)
        _init_field(self, name, type, index, has_default, default, order, tuple(aliases), doc,
                    props)
        _freeze(self, frozen)

    @property
    def default(self) -> Any:
        """The default value in its JSON form (a fresh copy for arrays/objects); ``None`` also
        when there is no default — check ``has_default``."""
        d = self._default
        if isinstance(d, (list, dict)):
            return copy.deepcopy(d)
        return d

    def to_json(self) -> dict[str, Any]:
        return _field_to_json(self, set(), "")

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Field is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Field is immutable (cannot delete {name!r})")

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Field):
            return NotImplemented
        return self.index == other.index and _json_key(self.to_json()) == _json_key(other.to_json())

    def __hash__(self) -> int:
        return hash((self.name, self.index))

    def __copy__(self) -> Field:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Field:
        return self

    def __repr__(self) -> str:
        d = f", default={self._default!r}" if self.has_default else ""
        return f"Field({self.name!r}, {_repr(self.type, 1)}{d})"


_make_twin(Schema)


_make_twin(Field)


class RecordSchema(NamedSchema):
    """A record (or an error, ``is_error=True``; its ``type`` is still ``"record"``)."""

    __slots__ = ("fields", "is_error", "_by_name")

    fields: tuple[Field, ...]
    is_error: bool
    _by_name: dict[str, Field] | None

    def __init__(
        self,
        fullname: str,
        fields: Iterable[Field] = (),
        *,
        is_error: bool = False,
        aliases: Iterable[str] = (),
        doc: str | None = None,
        props: Mapping[str, Any] | None = None,
    ) -> None:
        frozen = _thaw(self)
        super().__init__("record", fullname, aliases, doc, props)
        self.is_error = is_error
        _init_fields(self, tuple(fields))
        _freeze(self, frozen)

    def field(self, name: str) -> Field | None:
        """The field called ``name`` (not looking at aliases), or ``None``."""
        by_name = self._by_name
        if by_name is None:
            by_name = {f.name: f for f in self.fields}
            _set(self, "_by_name", by_name)
        return by_name.get(name)


class EnumSchema(NamedSchema):
    """An enum; ``default`` is the symbol used for unknown writer symbols (spec: Enums) or None."""

    __slots__ = ("symbols", "default", "_index")

    symbols: tuple[str, ...]
    default: str | None
    _index: dict[str, int] | None

    def __init__(
        self,
        fullname: str,
        symbols: Iterable[str],
        *,
        default: str | None = None,
        aliases: Iterable[str] = (),
        doc: str | None = None,
        props: Mapping[str, Any] | None = None,
    ) -> None:
        frozen = _thaw(self)
        super().__init__("enum", fullname, aliases, doc, props)
        _init_symbols(self, tuple(symbols), default)
        _freeze(self, frozen)

    def index(self, symbol: str) -> int | None:
        """Position of ``symbol`` or ``None``."""
        index = self._index
        if index is None:
            index = {sym: i for i, sym in enumerate(self.symbols)}
            _set(self, "_index", index)
        return index.get(symbol)


class FixedSchema(NamedSchema):
    """A fixed-size byte string (``size`` bytes)."""

    __slots__ = ("size",)

    size: int

    def __init__(
        self,
        fullname: str,
        size: int,
        *,
        aliases: Iterable[str] = (),
        doc: str | None = None,
        props: Mapping[str, Any] | None = None,
    ) -> None:
        frozen = _thaw(self)
        super().__init__("fixed", fullname, aliases, doc, props)
        self.size = size
        _freeze(self, frozen)


class ArraySchema(Schema):
    __slots__ = ("items",)

    items: Schema

    def __init__(self, items: Schema, props: Mapping[str, Any] | None = None) -> None:
        frozen = _thaw(self)
        super().__init__("array", props)
        self.items = items
        _freeze(self, frozen)


class MapSchema(Schema):
    __slots__ = ("values",)

    values: Schema

    def __init__(self, values: Schema, props: Mapping[str, Any] | None = None) -> None:
        frozen = _thaw(self)
        super().__init__("map", props)
        self.values = values
        _freeze(self, frozen)


class UnionSchema(Schema):
    __slots__ = ("branches",)

    branches: tuple[Schema, ...]

    def __init__(self, branches: Iterable[Schema]) -> None:
        frozen = _thaw(self)
        super().__init__("union")
        self.branches = tuple(branches)
        _freeze(self, frozen)


def _copy_json(v: Any) -> Any:
    """A copy of a JSON value (a property or a default), without recursion: its nesting is
    bounded by limits.max_json_depth, so every later walk of it (defaults, to_json, the
    codecs) stays within the stack."""
    if not isinstance(v, (list, dict)):
        return v
    limit = _limits.get().max_json_depth
    root: Any = [] if isinstance(v, list) else {}
    stack: list[tuple[Any, Any, int]] = [(v, root, 1)]
    while stack:
        src, dst, depth = stack.pop()
        if depth > limit:
            raise SchemaError(_limits.exceeded("max_json_depth", "JSON nesting of a property or default"), "$")
        items = enumerate(src) if isinstance(src, list) else src.items()
        for k, x in items:
            if isinstance(x, (list, dict)):
                y: Any = [] if isinstance(x, list) else {}
                stack.append((x, y, depth + 1))
            else:
                y = x
            if isinstance(dst, list):
                dst.append(y)
            else:
                dst[k] = y
    return root


_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def _quote(name: str) -> str:
    """A name or symbol as a JSON string. Strictly parsed names are identifiers and need no
    escaping; a leniently parsed header schema (``parse_header_schema``) may hold anything."""
    if _NEEDS_ESCAPE.search(name) is None:
        return f'"{name}"'
    return json.dumps(name, ensure_ascii=False)


def _write_canonical(s: Schema, seen: set[str], out: list[str]) -> None:
    t = s.type
    if t in _PRIMITIVES:
        out.append(f'"{t}"')  # a primitive by name; logical attributes dropped (spec: Parsing Canonical Form for Schemas)
    elif isinstance(s, NamedSchema):
        full = s.fullname
        if full in seen:
            out.append(_quote(full))  # spec: Parsing Canonical Form for Schemas
            return
        seen.add(full)
        # key order (spec: Parsing Canonical Form for Schemas): name, type, fields, symbols, items, values, size; Java writes
        # "record" for errors too
        out.append(f'{{"name":{_quote(full)},"type":"{t}"')
        if isinstance(s, RecordSchema):
            out.append(',"fields":[')
            for i, f in enumerate(s.fields):
                if i:
                    out.append(",")
                out.append(f'{{"name":{_quote(f.name)},"type":')
                _write_canonical(f.type, seen, out)
                out.append("}")
            out.append("]}")
        elif isinstance(s, EnumSchema):
            out.append(',"symbols":[')
            out.append(",".join(_quote(sym) for sym in s.symbols))
            out.append("]}")
        else:
            out.append(f',"size":{s.size}}}')
    elif isinstance(s, ArraySchema):
        out.append('{"type":"array","items":')
        _write_canonical(s.items, seen, out)
        out.append("}")
    elif isinstance(s, MapSchema):
        out.append('{"type":"map","values":')
        _write_canonical(s.values, seen, out)
        out.append("}")
    else:
        out.append("[")
        for i, b in enumerate(s.branches):
            if i:
                out.append(",")
            _write_canonical(b, seen, out)
        out.append("]")


def _logical_json(s: Schema, d: dict[str, Any]) -> None:
    if s.logical_type is not None:
        d["logicalType"] = s.logical_type
        if s.logical_type == "decimal":
            d["precision"] = s.precision
            d["scale"] = s.scale


def _props_json(props: Mapping[str, Any], d: dict[str, Any]) -> None:
    for k, v in props.items():
        d[k] = _copy_json(v)


def _to_json(s: Schema, seen: set[str], ns: str) -> Any:
    t = s.type
    if isinstance(s, NamedSchema):
        full = s.fullname
        if full in seen:
            return full
        seen.add(full)
        d: dict[str, Any] = {"type": "error" if getattr(s, "is_error", False) else t, "name": full}
        space = s.namespace
        if not space and ns:
            # a null-namespace type inside a namespaced one must say so explicitly
            d["namespace"] = ""
        if s.doc is not None:
            d["doc"] = s.doc
        if s.aliases:
            d["aliases"] = list(s.aliases)
        if isinstance(s, RecordSchema):
            d["fields"] = [_field_to_json(f, seen, space) for f in s.fields]
        elif isinstance(s, EnumSchema):
            d["symbols"] = list(s.symbols)
            if s.default is not None:
                d["default"] = s.default
        else:
            d["size"] = s.size
        _logical_json(s, d)
        _props_json(s.props, d)
        return d
    if t in _PRIMITIVES:
        if s.logical_type is None and not s.props:
            return t
        d = {"type": t}
        _logical_json(s, d)
        _props_json(s.props, d)
        return d
    if isinstance(s, ArraySchema):
        d = {"type": "array", "items": _to_json(s.items, seen, ns)}
    elif isinstance(s, MapSchema):
        d = {"type": "map", "values": _to_json(s.values, seen, ns)}
    else:
        return [_to_json(b, seen, ns) for b in s.branches]
    _logical_json(s, d)
    _props_json(s.props, d)
    return d


def _field_to_json(f: Field, seen: set[str], ns: str) -> dict[str, Any]:
    d: dict[str, Any] = {"name": f.name, "type": _to_json(f.type, seen, ns)}
    if f.doc is not None:
        d["doc"] = f.doc
    if f.has_default:
        d["default"] = _copy_json(f._default)
    if f.order != "ascending":
        d["order"] = f.order
    if f.aliases:
        d["aliases"] = list(f.aliases)
    _props_json(f.props, d)
    return d


def _json_key(v: Any) -> str:
    return json.dumps(v, sort_keys=True, separators=(",", ":"))


def _collect_named(s: Schema, found: dict[str, NamedSchema]) -> None:
    stack = [s]
    while stack:
        cur = stack.pop()
        if isinstance(cur, NamedSchema):
            if cur.fullname in found:
                continue
            found[cur.fullname] = cur
            if isinstance(cur, RecordSchema):
                stack.extend(reversed([f.type for f in cur.fields]))
        elif isinstance(cur, ArraySchema):
            stack.append(cur.items)
        elif isinstance(cur, MapSchema):
            stack.append(cur.values)
        elif isinstance(cur, UnionSchema):
            stack.extend(reversed(cur.branches))


def _repr(s: Schema, depth: int) -> str:
    cls = type(s).__name__
    if isinstance(s, NamedSchema):
        if isinstance(s, RecordSchema):
            inner = f"fields=[{', '.join(f.name for f in s.fields)}]"
            if s.is_error:
                inner += ", is_error=True"
        elif isinstance(s, EnumSchema):
            inner = f"symbols={list(s.symbols)!r}"
        else:
            inner = f"size={s.size}"
        return f"{cls}({s.fullname!r}, {inner}{s._logical_repr()})"
    if isinstance(s, PrimitiveSchema):
        return f"{cls}({s.type!r}{s._logical_repr()})"
    if depth <= 0:
        return f"{cls}(...)"
    if isinstance(s, ArraySchema):
        return f"{cls}(items={_repr(s.items, depth - 1)})"
    if isinstance(s, MapSchema):
        return f"{cls}(values={_repr(s.values, depth - 1)})"
    return f"{cls}([{', '.join(_repr(b, depth - 1) for b in s.branches)}])"


# Shared instances for plain primitives (immutable, so sharing is safe and saves memory).
_PRIMITIVE_SCHEMAS: dict[str, Schema] = {t: PrimitiveSchema(t) for t in PRIMITIVE_TYPES}
