"""The facade's engine room: fastavro schemas become turboavro schemas and compiled plans,
cached per schema object; fastavro's write rules (union notations, non-strict records,
strict modes, custom logical writers) and read options (``return_record_name`` ...) are
mapped onto the turboavro kernels.

Writing tries the compiled encoder first. A datum it rejects (or any datum, for schemas
whose unions fastavro resolves differently from turboavro, under ``strict`` modes or when a
custom logical writer applies) goes through :func:`prepare`, which applies fastavro's rules in
Python and hands the encoder a datum with every union branch named: the bytes are the ones
fastavro writes, and nothing is written twice.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import numbers
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..codec import Decoder, Encoder
from ..errors import EncodeError
from ..schema import NamedSchema, Schema
from .schema import _MARK, _READ, to_turbo


def logical_key(s: Schema) -> str | None:
    """fastavro's ``"<type>-<logicalType>"`` key of a schema node, or None."""
    lt = s.props.get(_MARK) or s.logical_type or s.props.get("logicalType")
    if not isinstance(lt, str):
        return None
    t = "record" if s.type == "record" else s.type
    return f"{t}-{lt}"


def fastavro_json(s: Schema) -> Any:
    """A node in fastavro's form, as handed to logical reader/writer functions."""
    j = s.to_json()
    if isinstance(j, dict) and _MARK in j:
        j = dict(j)
        j["logicalType"] = j.pop(_MARK)
    return j


# -- writing -------------------------------------------------------------------------------


def branch_label(s: Schema) -> str:
    """How fastavro names a union branch: full name for named types, else the type."""
    return s.fullname if isinstance(s, NamedSchema) else s.type


class WriteOptions:
    __slots__ = ("strict", "allow_default", "no_tuples", "writers")

    def __init__(self, strict: bool, allow_default: bool, no_tuples: bool,
                 writers: Mapping[str, Callable[..., Any]]) -> None:
        self.strict = strict
        self.allow_default = allow_default
        self.no_tuples = no_tuples
        self.writers = writers


def _hazard(s: Schema, seen: set[int]) -> bool:
    """Does the schema hold a union that fastavro resolves differently from the kernels'
    first-match rule (several records, or a float before a double)?"""
    if id(s) in seen:
        return False
    seen.add(id(s))
    t = s.type
    if t == "union":
        types = [b.type for b in s.branches]
        if types.count("record") > 1:
            return True
        if "float" in types and "double" in types and types.index("float") < types.index("double"):
            return True
        return any(_hazard(b, seen) for b in s.branches)
    if t == "record":
        return any(_hazard(f.type, seen) for f in s.fields)
    if t == "array":
        return _hazard(s.items, seen)
    if t == "map":
        return _hazard(s.values, seen)
    return False


def _logical_keys(s: Schema, seen: set[int], out: set[str]) -> set[str]:
    if id(s) in seen:
        return out
    seen.add(id(s))
    k = logical_key(s)
    if k:
        out.add(k)
    for child in _children(s):
        _logical_keys(child, seen, out)
    return out


def _children(s: Schema) -> list[Schema]:
    t = s.type
    if t == "union":
        return list(s.branches)
    if t == "record":
        return [f.type for f in s.fields]
    if t == "array":
        return [s.items]
    if t == "map":
        return [s.values]
    return []


class WritePlan:
    """Everything needed to write datums of one schema."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.encoder = Encoder(schema, strict=False)
        self.hazard = _hazard(schema, set())
        self.logical_keys = frozenset(_logical_keys(schema, set(), set()))

    def slow(self, opts: WriteOptions) -> bool:
        if opts.strict or opts.allow_default or opts.no_tuples or self.hazard:
            return True
        return any(custom_writer(k, opts.writers) for k in self.logical_keys)

    def encode_into(self, datum: Any, out: bytearray, opts: WriteOptions, slow: bool) -> None:
        if not slow:
            mark = len(out)
            try:
                self.encoder.encode_into(datum, out)
                return
            except EncodeError:
                del out[mark:]
        mark = len(out)
        try:
            self.encoder.encode_into(prepare(datum, self.schema, opts, ""), out)
        except EncodeError as e:
            del out[mark:]
            raise _write_error(e) from None


class WriteTypeError(EncodeError, TypeError):
    """A value of the wrong Python type for its schema (fastavro raises TypeError)."""


def _write_error(e: EncodeError) -> EncodeError:
    """The encoder's error in fastavro's terms: a wrong type is also a TypeError, and the
    message names the field (``on field age``)."""
    text = str(e.args[0]) if e.args else str(e)
    if e.path:
        text = text.rsplit(" (at ", 1)[0]
    if text.startswith("expected str,"):
        text = "must be string" + text[len("expected str"):]  # fastavro's words
    field = None
    if e.path:
        parts = [p for p in e.path.replace("[", ".[").split(".") if p and not p.startswith(("[", "<", "$"))]
        field = parts[-1] if parts else None
    if field:
        text = f"{text} on field {field}"
    cls = WriteTypeError if text.startswith(("expected", "must be", "missing required")) or " matches no branch" in text else EncodeError
    err = cls(text, e.path)
    return err


_PLANS: dict[int, tuple[Schema, WritePlan]] = {}


def write_plan(schema: Schema) -> WritePlan:
    hit = _PLANS.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    plan = WritePlan(schema)
    if len(_PLANS) > 1024:
        _PLANS.clear()
    _PLANS[id(schema)] = (schema, plan)
    return plan


class Registry(dict):  # type: ignore[type-arg,unused-ignore]
    """``LOGICAL_READERS``/``LOGICAL_WRITERS``: a dict that counts its changes, so cached
    plans know in one comparison whether a user registered a conversion since."""

    version = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # called on every change: caches that skip the version comparison forget their plans
        self.listeners: list[Callable[[], None]] = []

    def _bump(self) -> None:
        self.version += 1
        for forget in self.listeners:
            forget()

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._bump()

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._bump()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._bump()

    def pop(self, *args: Any) -> Any:
        self._bump()
        return super().pop(*args)

    def popitem(self) -> Any:
        self._bump()
        return super().popitem()

    def clear(self) -> None:
        super().clear()
        self._bump()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._bump()
        return super().setdefault(key, default)



def _version(table: Mapping[str, Any]) -> Any:
    return table.version if isinstance(table, Registry) else tuple(table.items())


_BUILTIN_WRITERS: dict[str, Callable[..., Any]] = {}
_BUILTIN_READERS: dict[str, Callable[..., Any]] = {}


def custom_writer(key: str, writers: Mapping[str, Callable[..., Any]]) -> Callable[..., Any] | None:
    fn = writers.get(key)
    if fn is None or _BUILTIN_WRITERS.get(key) is fn:
        return None
    return fn


def _nullable(s: Schema) -> bool:
    return s.type == "null" or (s.type == "union" and any(b.type == "null" for b in s.branches))


def prepare(datum: Any, s: Schema, opts: WriteOptions, fname: str) -> Any:
    """``datum`` rewritten by fastavro's write rules into what the encoder writes the same
    way: records reduced to their fields (missing nullable fields as None), union branches
    named, logical writers applied. Raises ValueError like fastavro for what it refuses."""
    key = logical_key(s)
    if key is not None:
        fn = opts.writers.get(key)
        if fn is not None:
            datum = fn(datum, fastavro_json(s))
    t = s.type
    if t == "record":
        if not isinstance(datum, Mapping):
            raise EncodeError(f"{datum!r} (type {type(datum)}) is not a record {s.fullname} "
                              f"{'on field ' + fname if fname else ''}".rstrip())
        names = [f.name for f in s.fields]
        if opts.strict or opts.allow_default:
            extras = set(datum) - set(names)
            if extras:
                raise EncodeError(
                    f"record contains more fields than the schema specifies: {', '.join(extras)}"
                )
        out: dict[str, Any] = {}
        for f in s.fields:
            name = f.name
            if name in datum:
                v = datum[name]
            else:
                if opts.strict or (opts.allow_default and not f.has_default):
                    raise EncodeError(
                        f"Field {name} is specified in the schema but missing from the record"
                    )
                if f.has_default:
                    continue  # the encoder writes the field's default
                if not _nullable(f.type):
                    raise EncodeError(f"no value and no default for {name}")
                v = None
            if f.type.type in ("float", "double") and isinstance(v, str):
                v = float(v)
            out[name] = prepare(v, f.type, opts, name)
        return out
    if t == "union":
        return _prepare_union(datum, s, opts, fname)
    if t == "array":
        if isinstance(datum, (str, bytes, Mapping)) or not hasattr(datum, "__iter__"):
            return datum
        return [prepare(v, s.items, opts, fname) for v in datum]
    if t == "map":
        if not isinstance(datum, Mapping):
            return datum
        return {k: prepare(v, s.values, opts, fname) for k, v in datum.items()}
    return datum


def _prepare_union(datum: Any, s: Schema, opts: WriteOptions, fname: str) -> Any:
    branches = s.branches
    where = f" on field {fname}" if fname else ""
    if isinstance(datum, tuple) and len(datum) == 2 and not opts.no_tuples:
        name, value = datum
        for b in branches:
            if branch_label(b) == name:  # a named branch by its full name, as in fastavro
                return (branch_label(b), prepare(value, b, opts, fname))
        raise EncodeError(f"provided union type name {name} not found in schema "
                          f"{fastavro_json(s)}{where}")
    best = None
    most = -1
    could_be_float = False
    for b in branches:
        if could_be_float:
            if b.type == "double":
                best = b
                break
            continue
        if not is_valid(datum, b, opts):
            continue
        if b.type == "record":
            fn = custom_writer(key, opts.writers) if (key := logical_key(b)) else None
            fields = fn(datum, fastavro_json(b)) if fn is not None else datum
            if isinstance(fields, Mapping):
                n = len({f.name for f in b.fields} & set(fields))
                if n > most:
                    best, most = b, n
        elif b.type == "float":
            best = b
            could_be_float = True
        else:
            best = b
            break
    if best is None:
        raise EncodeError(f"{datum!r} (type {type(datum)}) do not match {fastavro_json(s)}{where}")
    if best.type == "record" and isinstance(datum, Mapping) and "-type" in datum:
        datum = {k: v for k, v in datum.items() if k != "-type"}
    return (branch_label(best), prepare(datum, best, opts, fname))


# -- validation (fastavro's rules) ----------------------------------------------------------

_NO_VALUE = object()
_INT = (-(2**31), 2**31 - 1)
_LONG = (-(2**63), 2**63 - 1)


def is_valid(datum: Any, s: Schema, opts: WriteOptions, errors: list[Any] | None = None,
             field: str = "") -> bool:
    """fastavro's ``validate``: is ``datum`` an instance of ``s``? With ``errors``, the
    failures are collected there as ``(datum, schema, field)``."""
    if datum is _NO_VALUE:
        if opts.strict:
            if errors is not None:
                errors.append((None, fastavro_json(s), field))
            return False
        datum = None
    key = logical_key(s)
    if key is not None:
        fn = opts.writers.get(key)
        if fn is not None:
            try:
                datum = fn(datum, fastavro_json(s))
            except (ValueError, TypeError, ArithmeticError, AttributeError):
                ok = False
                if errors is not None:
                    errors.append((datum, fastavro_json(s), field))
                return ok
    t = s.type
    if t == "union":
        return _valid_union(datum, s, opts, errors, field)
    if t == "record":
        ok = isinstance(datum, Mapping) and not ("-type" in datum and datum["-type"] != s.fullname)
        if ok:
            for f in s.fields:
                v = datum.get(f.name, _NO_VALUE)
                if v is _NO_VALUE and f.has_default:
                    v = f.default
                if not is_valid(v, f.type, opts, errors, f"{s.fullname}.{f.name}"):
                    ok = False
                    if errors is None:
                        break
            if errors is not None and not ok:
                return False
    elif t == "array":
        ok = isinstance(datum, (Sequence, _array_type())) and not isinstance(datum, str)
        if ok:
            for v in datum:
                if not is_valid(v, s.items, opts, errors, field):
                    ok = False
                    break
            if not ok and errors is not None:
                return False
    elif t == "map":
        ok = isinstance(datum, Mapping) and all(isinstance(k, str) for k in datum)
        if ok:
            for v in datum.values():
                if not is_valid(v, s.values, opts, errors, field):
                    ok = False
                    break
            if not ok and errors is not None:
                return False
    else:
        ok = _valid_scalar(datum, s)
    if not ok and errors is not None:
        errors.append((datum, fastavro_json(s), field))
    return ok


def _array_type() -> type:
    import array

    return array.array


def _valid_scalar(datum: Any, s: Schema) -> bool:
    t = s.type
    if t == "null":
        return datum is None
    if t == "boolean":
        return isinstance(datum, bool)
    if t == "string":
        return isinstance(datum, str)
    if t == "bytes":
        return isinstance(datum, (bytes, bytearray))
    if t in ("int", "long"):
        lo, hi = _INT if t == "int" else _LONG
        return (isinstance(datum, numbers.Integral) and not isinstance(datum, bool)
                and lo <= int(datum) <= hi)
    if t in ("float", "double"):
        return isinstance(datum, numbers.Real) and not isinstance(datum, bool)
    if t == "fixed":
        return isinstance(datum, bytes) and len(datum) == s.size
    if t == "enum":
        return isinstance(datum, str) and s.index(datum) is not None
    return False


def _valid_union(datum: Any, s: Schema, opts: WriteOptions, errors: list[Any] | None,
                 field: str) -> bool:
    if isinstance(datum, tuple) and len(datum) == 2 and not opts.no_tuples:
        name, value = datum
        for b in s.branches:
            label = b.fullname if b.type == "record" else branch_label(b)
            if label == name:
                return is_valid(value, b, opts, errors, field)
        return False
    found: list[Any] = []
    for b in s.branches:
        mine: list[Any] | None = [] if errors is not None else None
        if is_valid(datum, b, opts, mine, field):
            return True
        if mine:
            found.extend(mine)
    if errors is not None:
        errors.extend(found)
    return False


# -- reading -------------------------------------------------------------------------------


class ReadOptions:
    __slots__ = ("record_name", "record_override", "named_type", "named_override", "readers")

    def __init__(self, record_name: bool = False, record_override: bool = False,
                 named_type: bool = False, named_override: bool = False,
                 readers: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self.record_name = record_name
        self.record_override = record_override
        self.named_type = named_type
        self.named_override = named_override
        self.readers = readers if readers is not None else {}

    def key(self) -> tuple[bool, bool, bool, bool]:
        return (self.record_name, self.record_override, self.named_type, self.named_override)


class _Tagged:
    """A union value read with its branch, for the post-pass of custom logical readers."""

    __slots__ = ("label", "schema")

    def __init__(self, label: str | None, schema: Schema) -> None:
        self.label = label
        self.schema = schema


def _union_refs(j: Any, out: set[str]) -> set[str]:
    """The named types a fastavro schema's unions refer to by name (not defined inline)."""
    if isinstance(j, list):
        out.update(b for b in j if isinstance(b, str))
        for b in j:
            _union_refs(b, out)
    elif isinstance(j, dict):
        for k in ("type", "items", "values"):
            if isinstance(j.get(k), (list, dict)):
                _union_refs(j[k], out)
        for f in j.get("fields", ()) if isinstance(j.get("fields"), list) else ():
            if isinstance(f, dict):
                _union_refs(f.get("type"), out)
    return out


def _tagger(o: ReadOptions, full: bool,
            refs: frozenset[str] = frozenset()) -> Callable[[Schema, Schema, Schema | None], Any]:
    # refs: named types the writer's unions name by reference; fastavro's return_record_name
    # tags those branches whatever their type (records only, when defined inline)
    def tag(union: Schema, wb: Schema, rb: Schema | None) -> Any:
        named = [b for b in union.branches if b.type in ("record", "enum", "fixed")]
        records = [b for b in union.branches if b.type == "record"]
        target = rb if rb is not None else wb
        label = None
        if o.named_override and len(named) == 1:
            label = None
        elif o.named_type and wb.type in ("record", "enum", "fixed"):
            label = target.fullname
        elif o.record_override and len(records) == 1:
            label = None
        elif o.record_name and (wb.type == "record" or (
                wb.type in ("enum", "fixed") and (wb.fullname in refs or wb.name in refs))):
            label = target.fullname
        if full:
            return _Tagged(label, target)
        return label

    return tag


def custom_reader(key: str, readers: Mapping[str, Callable[..., Any]]) -> Callable[..., Any] | None:
    fn = readers.get(key)
    if fn is None or _BUILTIN_READERS.get(key) is fn:
        return None
    return fn


class ReadPlan:
    """A compiled decoder for a writer x reader pair and read options."""

    def __init__(self, writer: Any, reader: Any, o: ReadOptions, named: Any = None) -> None:
        w0 = to_turbo(writer, named)
        r0 = to_turbo(reader, named) if reader is not None else None
        keys = _logical_keys(r0 if r0 is not None else w0, set(), set())
        custom = frozenset(k for k in keys if custom_reader(k, o.readers))
        self.custom = custom
        w0 = to_turbo(writer, named, custom | _READ)
        r0 = to_turbo(reader, named, custom | _READ) if reader is not None else None
        self.writer_schema = w0
        self.reader_schema = r0
        tagging = o.record_name or o.record_override or o.named_type or o.named_override
        refs = frozenset(_union_refs(writer, set())) if o.record_name else frozenset()
        hook = _tagger(o, True, refs) if custom else (_tagger(o, False, refs) if tagging else None)
        self.decoder = Decoder(w0, r0, _union_tag=hook)
        self.readers = o.readers
        self._options = o
        self._lenient: dict[str, ReadPlan] = {}

    def lenient(self, errors: str) -> ReadPlan:
        """This plan with strings decoded by ``bytes.decode("utf-8", errors)`` (fastavro's
        ``handle_unicode_errors``): string nodes are read as bytes, then decoded in the
        custom-readers post-pass. Map keys stay strict UTF-8."""
        plan = self._lenient.get(errors)
        if plan is None:
            readers = dict(self.readers)
            readers[f"bytes-{_TEXT}"] = lambda data, *_: data.decode("utf-8", errors)
            o = self._options
            opts = ReadOptions(o.record_name, o.record_override, o.named_type, o.named_override,
                               readers)
            plan = ReadPlan(_as_bytes(self.writer_schema.to_json()),
                            None if self.reader_schema is None
                            else _as_bytes(self.reader_schema.to_json()), opts)
            self._lenient[errors] = plan
        return plan

    def finish(self, value: Any) -> Any:
        if not self.custom:
            return value
        return self._post(value, self.reader_schema or self.writer_schema)

    def _post(self, v: Any, s: Schema) -> Any:
        t = s.type
        if t == "union":
            if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], _Tagged):
                tag, inner = v
                out = self._post(inner, tag.schema)
                return out if tag.label is None else (tag.label, out)
            return v
        if t == "record" and isinstance(v, dict):
            for f in s.fields:
                if f.name in v:
                    v[f.name] = self._post(v[f.name], f.type)
        elif t == "array" and isinstance(v, list):
            v = [self._post(x, s.items) for x in v]
        elif t == "map" and isinstance(v, dict):
            v = {k: self._post(x, s.values) for k, x in v.items()}
        key = logical_key(s)
        if key in self.custom:
            v = self.readers[key](v, fastavro_json(s), fastavro_json(s))
        return v


_TEXT = "fastavro.text"  # the logical type of a string read as bytes (ReadPlan.lenient)


def _as_bytes(j: Any) -> Any:
    """A schema's JSON with each plain ``string`` node read as bytes, marked for decoding."""
    if j == "string" or (isinstance(j, dict) and j.get("type") == "string"
                         and "logicalType" not in j and _MARK not in j):
        return {"type": "bytes", "logicalType": _TEXT}
    if isinstance(j, list):
        return [_as_bytes(b) for b in j]
    if not isinstance(j, dict):
        return j
    t = j.get("type")
    out = dict(j)
    if t in ("record", "error"):
        fields: list[Any] = []
        for f in j.get("fields", ()):
            f = dict(f, type=_as_bytes(f["type"]))
            if isinstance(f.get("default"), str) and f["type"] != j["fields"][len(fields)]["type"]:
                # a bytes default is a string of code points 0-255: the default's UTF-8
                f["default"] = f["default"].encode("utf-8", "surrogatepass").decode("latin-1")
            fields.append(f)
        out["fields"] = fields
    elif t == "array":
        out["items"] = _as_bytes(j["items"])
    elif t == "map":
        out["values"] = _as_bytes(j["values"])
    elif isinstance(t, (list, dict)):
        out["type"] = _as_bytes(t)
    return out


_READ_PLANS: dict[tuple[Any, ...], tuple[Any, Any, Any, ReadPlan]] = {}


def read_plan(writer: Any, reader: Any, o: ReadOptions, named: Any = None) -> ReadPlan:
    """The cached plan for these schemas and options; rebuilt when the logical readers
    table has changed since (a user registered a conversion)."""
    key = (id(writer), id(reader), o.key(), id(named), id(o.readers))
    hit = _READ_PLANS.get(key)
    if hit is not None and hit[0] is writer and hit[1] is reader and hit[2] == _version(o.readers):
        return hit[3]
    plan = ReadPlan(writer, reader, o, named)
    if len(_READ_PLANS) > 1024:
        _READ_PLANS.clear()
    _READ_PLANS[key] = (writer, reader, _version(o.readers), plan)
    return plan


_WRITE_PLANS: dict[tuple[int, int], tuple[Any, Any, tuple[WritePlan, bool, bool]]] = {}


def schema_write_plan(schema: Any, writers: Mapping[str, Any]) -> tuple[WritePlan, bool, bool]:
    """``(plan, slow, custom)`` for a fastavro schema, cached per schema object and rebuilt
    when the logical writers table has changed: ``slow`` when every datum needs fastavro's
    rules (see :meth:`WritePlan.slow`), ``custom`` when a user's logical writer applies.
    Called once per datum by ``schemaless_writer`` and ``validate``: a hit is one lookup."""
    hit = _WRITE_PLANS.get((id(schema), id(writers)))
    if hit is not None and hit[0] is schema and hit[1] == _version(writers):
        return hit[2]
    plan = write_plan(to_turbo(schema))
    custom = any(custom_writer(k, writers) for k in plan.logical_keys)
    slow = custom or plan.hazard
    if len(_WRITE_PLANS) > 1024:
        _WRITE_PLANS.clear()
    _WRITE_PLANS[(id(schema), id(writers))] = (schema, _version(writers), (plan, slow, custom))
    return plan, slow, custom


# -- logical conversions (fastavro's LOGICAL_READERS / LOGICAL_WRITERS entries) -----------------

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_EPOCH_NAIVE = _dt.datetime(1970, 1, 1)


def _to_units(v: Any, per_sec: int, local: bool) -> Any:
    if isinstance(v, _dt.datetime):
        if local or v.tzinfo is None:
            delta = v.replace(tzinfo=None) - _EPOCH_NAIVE
        else:
            delta = v - _EPOCH
        return (delta.days * 86400 + delta.seconds) * per_sec + delta.microseconds * per_sec // 1_000_000
    return v


def prepare_timestamp_millis(data: Any, schema: Any) -> Any:
    return _to_units(data, 1000, False)


def prepare_timestamp_micros(data: Any, schema: Any) -> Any:
    return _to_units(data, 1_000_000, False)


def prepare_local_timestamp_millis(data: Any, schema: Any) -> Any:
    return _to_units(data, 1000, True)


def prepare_local_timestamp_micros(data: Any, schema: Any) -> Any:
    return _to_units(data, 1_000_000, True)


def prepare_date(data: Any, schema: Any) -> Any:
    if isinstance(data, str):
        data = _dt.date.fromisoformat(data)
    if isinstance(data, _dt.date):  # a datetime counts by its date, as in fastavro
        return data.toordinal() - _dt.date(1970, 1, 1).toordinal()
    return data


def _time_units(v: _dt.time, per_sec: int) -> int:
    return ((v.hour * 60 + v.minute) * 60 + v.second) * per_sec + v.microsecond * per_sec // 1_000_000


def prepare_time_millis(data: Any, schema: Any) -> Any:
    return _time_units(data, 1000) if isinstance(data, _dt.time) else data


def prepare_time_micros(data: Any, schema: Any) -> Any:
    return _time_units(data, 1_000_000) if isinstance(data, _dt.time) else data


def prepare_uuid(data: Any, schema: Any) -> Any:
    return str(data) if isinstance(data, uuid.UUID) else data


def prepare_fixed_uuid(data: Any, schema: Any) -> Any:
    return data.bytes if isinstance(data, uuid.UUID) else data


def _decimal_bytes(data: Any, schema: Any, size: int | None) -> Any:
    if not isinstance(data, decimal.Decimal):
        return data
    from .. import logical

    scale = schema.get("scale", 0) if isinstance(schema, dict) else 0
    precision = schema.get("precision", 0) if isinstance(schema, dict) else 0
    try:
        return logical.encode_decimal(data, precision, scale, size)
    except ValueError as e:
        raise ValueError(str(e)) from None


def prepare_bytes_decimal(data: Any, schema: Any) -> Any:
    return _decimal_bytes(data, schema, None)


def prepare_fixed_decimal(data: Any, schema: Any) -> Any:
    return _decimal_bytes(data, schema, schema.get("size") if isinstance(schema, dict) else None)


def read_timestamp_millis(data: Any, writer_schema: Any = None, reader_schema: Any = None) -> Any:
    return _EPOCH + _dt.timedelta(milliseconds=data)


def read_timestamp_micros(data: Any, writer_schema: Any = None, reader_schema: Any = None) -> Any:
    return _EPOCH + _dt.timedelta(microseconds=data)


def read_local_timestamp_millis(data: Any, writer_schema: Any = None, reader_schema: Any = None) -> Any:
    return _EPOCH_NAIVE + _dt.timedelta(milliseconds=data)


def read_local_timestamp_micros(data: Any, writer_schema: Any = None, reader_schema: Any = None) -> Any:
    return _EPOCH_NAIVE + _dt.timedelta(microseconds=data)


def read_date(data: Any, writer_schema: Any = None, reader_schema: Any = None) -> Any:
    return _dt.date.fromordinal(data + _dt.date(1970, 1, 1).toordinal())


def read_uuid(data: Any, writer_schema: Any = None, reader_schema: Any = None) -> Any:
    return uuid.UUID(bytes=data) if isinstance(data, bytes) else uuid.UUID(data)


def read_decimal(data: Any, writer_schema: Any = None, reader_schema: Any = None) -> Any:
    from .. import logical

    schema = reader_schema or writer_schema or {}
    return logical.decode_decimal(data, schema.get("scale", 0))


def read_time_millis(data: Any, writer_schema: Any = None, reader_schema: Any = None) -> Any:
    from .. import logical

    return logical.int_to_time(data, "millis")


def read_time_micros(data: Any, writer_schema: Any = None, reader_schema: Any = None) -> Any:
    from .. import logical

    return logical.int_to_time(data, "micros")


_BUILTIN_WRITERS.update({
    "long-timestamp-millis": prepare_timestamp_millis,
    "long-local-timestamp-millis": prepare_local_timestamp_millis,
    "int-date": prepare_date,
    "bytes-decimal": prepare_bytes_decimal,
    "fixed-decimal": prepare_fixed_decimal,
    "string-uuid": prepare_uuid,
    "fixed-uuid": prepare_fixed_uuid,
    "int-time-millis": prepare_time_millis,
    "long-time-micros": prepare_time_micros,
    "long-timestamp-micros": prepare_timestamp_micros,
    "long-local-timestamp-micros": prepare_local_timestamp_micros,
})
_BUILTIN_READERS.update({
    "long-timestamp-millis": read_timestamp_millis,
    "long-local-timestamp-millis": read_local_timestamp_millis,
    "int-date": read_date,
    "bytes-decimal": read_decimal,
    "fixed-decimal": read_decimal,
    "string-uuid": read_uuid,
    "fixed-uuid": read_uuid,
    "int-time-millis": read_time_millis,
    "long-time-micros": read_time_micros,
    "long-timestamp-micros": read_timestamp_micros,
    "long-local-timestamp-micros": read_local_timestamp_micros,
})
