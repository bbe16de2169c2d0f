"""The Avro JSON encoding (Avro specification, JSON Encoding).

- :func:`to_json_value` / :func:`from_json_value` convert between Python values (the README's
  "Python values": the same values :class:`~turboavro.Encoder` accepts and :class:`~turboavro.Decoder` returns)
  and already-parsed JSON values in the Avro JSON encoding.
- :func:`json_encode` / :func:`json_decode` do the same on JSON text.

The encoding is the default-value JSON (spec: Records) except for unions (spec: JSON Encoding): ``null`` is JSON
``null``, any other branch is ``{"<name>": value}`` where the name is the fullname of a
record/enum/fixed and the type name otherwise (``"int"``, ``"array"``; a logical type is named
by its underlying type, e.g. ``"long"``). bytes and fixed are strings with one code point
0-255 per byte (spec: JSON Encoding).

Interop decisions, following Java (the reference implementation):

- NaN and ±infinity of float/double are written as the JSON *strings* ``"NaN"``,
  ``"Infinity"`` and ``"-Infinity"`` (Jackson's default ``QUOTE_NON_NUMERIC_NUMBERS``, which
  Java's ``JsonEncoder`` uses); reading accepts those strings and also the bare non-standard
  tokens ``NaN``/``Infinity`` that Python's ``json`` module reads.
- A float is written as the shortest decimal that reads back as the same IEEE binary32 value
  (like Java's ``Float.toString``: ``0.1``, not ``0.10000000149011612``), and a float read from
  JSON is rounded to binary32, as the binary decoder would return it. Magnitudes beyond binary32
  become ±infinity, as Java's ``(float)`` conversion does.
- Union branches are chosen as the binary :class:`~turboavro.Encoder` chooses them: ``None``
  takes the null branch, a ``(branch name, value)`` tuple selects a branch explicitly, otherwise
  the first branch whose type accepts the value. Reading requires the exact branch name.
- A record field missing from the value takes the field's default when it has one (both ways);
  keys that are not fields are an error when ``strict`` (the default, as in ``Encoder``) and
  ignored otherwise when encoding, and always ignored when decoding (Java skips them).

Errors are :class:`~turboavro.EncodeError` / :class:`~turboavro.DecodeError` naming the path
(``$.orders[3].price``; a union branch shows as ``<name>``).
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import json
import math
import operator
import re
import struct
import uuid as _uuid
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from . import limits as _limits
from . import logical as _logical
from .errors import DecodeError, EncodeError
from .resolution import logical_op, union_branch_name, usable_default
from .schema import Schema

__all__ = ["from_json_value", "json_decode", "json_encode", "to_json_value"]

_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1
_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1
_F32 = struct.Struct("<f")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NON_FINITE_IN = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

Conv = Callable[[Any], Any]


class _Fail(Exception):
    """Internal: a conversion failure; containers add their path segment on the way out."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.parts: list[str] = []


def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


def _what(v: Any) -> str:
    return f"{type(v).__name__} {_short(v)}"


def _key_segment(key: str) -> str:
    return f".{key}" if _IDENT.fullmatch(key) else f"[{json.dumps(key)}]"


def _branch_names(s: Schema) -> tuple[str, ...]:
    """Names a ``(name, value)`` tuple may use for a branch (as the binary Encoder accepts)."""
    if s.type in ("record", "enum", "fixed"):
        return (s.fullname, s.name)
    return (s.type, s.logical_type) if s.logical_type else (s.type,)


# -- value tests shared by both directions ----------------------------------------------------


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool) or type(v).__name__ == "bool_"  # numpy.bool_ without numpy


def _is_integer(v: Any) -> bool:
    if type(v) is int:
        return True
    if _is_bool(v) or isinstance(v, (float, str, bytes, _decimal.Decimal)):
        return False
    return hasattr(type(v), "__index__")


def _is_real(v: Any) -> bool:
    if type(v) is float or type(v) is int:
        return True
    if _is_bool(v) or isinstance(v, (str, bytes, _decimal.Decimal)):
        return False
    return hasattr(type(v), "__float__") or hasattr(type(v), "__index__")


def _is_bytes_like(v: Any) -> bool:
    if isinstance(v, (bytes, bytearray, memoryview)):
        return True
    if isinstance(v, str):
        return False
    try:
        memoryview(v)
    except TypeError:
        return False
    return True


def _to_bytes(v: Any) -> bytes:
    return v if type(v) is bytes else memoryview(v).tobytes()


def _f32(x: float) -> float:
    """Round to IEEE binary32; beyond its range -> ±infinity (Java's ``(float)``)."""
    try:
        return _F32.unpack(_F32.pack(x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def _shortest_f32(x: float) -> float:
    """The shortest decimal that reads back as the binary32 value ``x`` (as a Python float)."""
    for digits in range(1, 10):
        y = float(f"{x:.{digits}g}")
        if _f32(y) == x:
            return y
    return x  # unreachable: 9 significant digits always round-trip binary32


def _int(v: Any, lo: int, hi: int, what: str) -> int:
    if not _is_integer(v):
        raise _Fail(f"expected {what}, got {_what(v)}")
    i = operator.index(v)
    if not lo <= i <= hi:
        raise _Fail(f"{i} is out of range for {what}")
    return i


# -- Python value -> JSON value ----------------------------------------------------------------


def _float_out(x: float) -> Any:
    if math.isfinite(x):
        return x
    return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")


_PRIMITIVE_TYPES = frozenset({"null", "boolean", "int", "long", "float", "double", "string"})
_JSON_SCALARS = (str, int, float, bool, type(None))


def _as_is(conv: Conv) -> Conv:
    """``conv``, but a JSON scalar it refuses passes unchanged: fastavro's JSON writer and
    reader do not check primitive values (the fastavro facade's ``fastavro`` switch)."""

    def as_is(v: Any) -> Any:
        try:
            return conv(v)
        except _Fail:
            if isinstance(v, _JSON_SCALARS):
                return v
            raise

    return as_is


class _EncoderCompiler:
    def __init__(self, strict: bool, fastavro: bool = False) -> None:
        self.strict = strict
        self.fastavro = fastavro
        self.memo: dict[int, Conv] = {}

    def compile(self, s: Schema) -> Conv:
        conv = self.memo.get(id(s))
        if conv is None:
            conv = self._build(s)
            if self.fastavro and s.type in _PRIMITIVE_TYPES and logical_op(s) is None:
                conv = _as_is(conv)
        return conv

    def _build(self, s: Schema) -> Conv:
        t = s.type
        lop = logical_op(s)
        if lop is not None:
            return self._logical(s, lop)
        if t == "null":

            def enc_null(v: Any) -> Any:
                if v is not None:
                    raise _Fail(f"expected None, got {_what(v)}")
                return None

            return enc_null
        if t == "boolean":

            def enc_bool(v: Any) -> Any:
                if not _is_bool(v):
                    raise _Fail(f"expected bool, got {_what(v)}")
                return bool(v)

            return enc_bool
        if t == "int" or t == "long":
            lo, hi = (_INT_MIN, _INT_MAX) if t == "int" else (_LONG_MIN, _LONG_MAX)
            return lambda v: _int(v, lo, hi, t)
        if t == "float" or t == "double":
            single = t == "float"

            def enc_real(v: Any) -> Any:
                if not _is_real(v):
                    raise _Fail(f"expected {t}, got {_what(v)}")
                try:
                    x = float(v)
                except (OverflowError, ValueError, TypeError) as e:
                    # e.g. an int beyond the double range (the binary Encoder refuses it too)
                    raise _Fail(f"cannot convert {_what(v)} to {t}: {e}") from None
                if single:
                    x = _f32(x)
                    if math.isfinite(x):
                        return _shortest_f32(x)
                return _float_out(x)

            return enc_real
        if t == "string":
            return _enc_string
        if t == "bytes":
            return _enc_bytes
        if t == "fixed":
            size = s.size
            name = s.fullname

            def enc_fixed(v: Any) -> Any:
                if not _is_bytes_like(v):
                    raise _Fail(f"expected bytes for {name}, got {_what(v)}")
                b = _to_bytes(v)
                if len(b) != size:
                    raise _Fail(f"{name} needs exactly {size} bytes, got {len(b)}")
                return b.decode("latin-1")

            return enc_fixed
        if t == "enum":
            symbols = frozenset(s.symbols)
            ename = s.fullname

            def enc_enum(v: Any) -> Any:
                if not isinstance(v, str) or v not in symbols:
                    raise _Fail(f"{_short(v)} is not a symbol of enum {ename}")
                return v

            return enc_enum
        if t == "array":
            return self._array(s)
        if t == "map":
            return self._map(s)
        if t == "record":
            return self._record(s)
        return self._union(s)

    def _array(self, s: Schema) -> Conv:
        items: list[Conv] = []

        def enc_array(v: Any) -> Any:
            if isinstance(v, (str, bytes, bytearray, memoryview, Mapping)) or not hasattr(
                v, "__iter__"
            ):
                raise _Fail(f"expected a list for array, got {_what(v)}")
            conv = items[0]
            out = []
            for i, x in enumerate(v):
                try:
                    out.append(conv(x))
                except _Fail as e:
                    e.parts.append(f"[{i}]")
                    raise
            return out

        self.memo[id(s)] = enc_array
        items.append(self.compile(s.items))
        return enc_array

    def _map(self, s: Schema) -> Conv:
        values: list[Conv] = []

        def enc_map(v: Any) -> Any:
            if not isinstance(v, Mapping):
                raise _Fail(f"expected a mapping for map, got {_what(v)}")
            conv = values[0]
            out = {}
            for k, x in v.items():
                if not isinstance(k, str):
                    raise _Fail(f"map keys must be str, got {_what(k)}")
                try:
                    out[k] = conv(x)
                except _Fail as e:
                    e.parts.append(_key_segment(k))
                    raise
            return out

        self.memo[id(s)] = enc_map
        values.append(self.compile(s.values))
        return enc_map

    def _record(self, s: Schema) -> Conv:
        name = s.fullname
        strict = self.strict
        # (name, converter, has_default, default as a Python value)
        fields: list[tuple[str, Conv, bool, Any]] = []
        keys: frozenset[str] = frozenset(f.name for f in s.fields)

        def enc_record(v: Any) -> Any:
            if not isinstance(v, Mapping):
                raise _Fail(f"expected a mapping for record {name}, got {_what(v)}")
            out = {}
            for fname, conv, has_default, default in fields:
                try:
                    if fname in v:
                        out[fname] = conv(v[fname])
                    elif has_default:
                        out[fname] = conv(default)
                    else:
                        raise _Fail(f"missing required field {fname!r} of record {name}")
                except _Fail as e:
                    e.parts.append(f".{fname}")
                    raise
            if strict and len(v) != len(out):
                extra = [k for k in v if k not in keys]
                if extra:
                    raise _Fail(f"record {name} has no field(s) {', '.join(map(repr, extra))}")
            return out

        self.memo[id(s)] = enc_record
        for f in s.fields:
            has_default, default = usable_default(f)
            fields.append((f.name, self.compile(f.type), has_default, default))
        return enc_record

    def _union(self, s: Schema) -> Conv:
        branches: list[tuple[str, Conv, Callable[[Any], bool]]] = []
        by_name: dict[str, int] = {}
        null_index = -1
        for i, b in enumerate(s.branches):
            for n in _branch_names(b):
                by_name.setdefault(n, i)
            if b.type == "null" and null_index < 0:
                null_index = i

        def enc_union(v: Any) -> Any:
            if v is None and null_index >= 0:
                return None
            if type(v) is tuple and len(v) == 2 and isinstance(v[0], str):
                # an explicit (branch name, value) selects the branch, as in the binary Encoder
                j = by_name.get(v[0])
                if j is not None:
                    label, conv, _ = branches[j]
                    try:
                        return None if label == "null" else {label: conv(v[1])}
                    except _Fail as e:
                        e.parts.append(f"<{v[0]}>")
                        raise
            for label, conv, accepts in branches:
                if accepts(v):
                    if label == "null":
                        return None
                    try:
                        return {label: conv(v)}
                    except _Fail as e:
                        e.parts.append(f"<{label}>")
                        raise
            names = ", ".join(label for label, _, _ in branches)
            raise _Fail(f"{_what(v)} matches no branch of union [{names}]")

        self.memo[id(s)] = enc_union
        for b in s.branches:
            branches.append((union_branch_name(b), self.compile(b), _acceptor(b, self.strict)))
        return enc_union

    def _logical(self, s: Schema, lop: str) -> Conv:
        if lop == "date":

            def enc_date(v: Any) -> Any:
                if isinstance(v, _dt.date) and not isinstance(v, _dt.datetime):
                    return _logical.date_to_days(v)
                return _int(v, _INT_MIN, _INT_MAX, "date")

            return enc_date
        if lop in ("time_millis", "time_micros"):
            unit = lop[5:]
            lo, hi = (_INT_MIN, _INT_MAX) if unit == "millis" else (_LONG_MIN, _LONG_MAX)

            def enc_time(v: Any) -> Any:
                if isinstance(v, _dt.time):
                    return _logical.time_to_int(v, unit)
                return _int(v, lo, hi, f"time-{unit}")

            return enc_time
        if lop in ("ts_millis", "ts_micros", "ts_nanos", "lts_millis", "lts_micros", "lts_nanos"):
            unit = lop.split("_")[1]
            local = lop.startswith("lts")
            lname = s.logical_type

            def enc_ts(v: Any) -> Any:
                if isinstance(v, _dt.datetime):
                    n = _logical.datetime_to_int(v, unit, local)
                    if not _LONG_MIN <= n <= _LONG_MAX:
                        raise _Fail(f"{_short(v)} is out of range for {lname}")
                    return n
                return _int(v, _LONG_MIN, _LONG_MAX, str(lname))

            return enc_ts
        if lop == "uuid_string":

            def enc_uuid_str(v: Any) -> Any:
                if isinstance(v, _uuid.UUID):
                    return str(v)
                if isinstance(v, str):
                    try:
                        _uuid.UUID(v)
                    except ValueError:
                        raise _Fail(f"invalid uuid value {_short(v)}") from None
                    return v
                raise _Fail(f"expected uuid.UUID or str for uuid, got {_what(v)}")

            return enc_uuid_str
        # logical types over bytes/fixed: make the bytes, then check them as the underlying type
        raw = self._build_underlying(s)
        precision, scale = s.precision or 0, s.scale or 0
        size = s.size if s.type == "fixed" else None
        lname = s.logical_type

        def enc_bytes_logical(v: Any) -> Any:
            try:
                if lop in ("decimal_bytes", "decimal_fixed") and isinstance(v, _decimal.Decimal):
                    v = _logical.encode_decimal(v, precision, scale, size)
                elif lop == "big_decimal" and isinstance(v, _decimal.Decimal):
                    v = _logical.encode_big_decimal(v)
                elif lop == "uuid_fixed" and isinstance(v, _uuid.UUID):
                    v = v.bytes
                elif lop == "duration" and isinstance(v, tuple):
                    v = _logical.encode_duration(v)
            except (ValueError, TypeError) as e:
                raise _Fail(f"invalid {lname} value {_short(v)}: {e}") from None
            return raw(v)

        return enc_bytes_logical

    def _build_underlying(self, s: Schema) -> Conv:
        if s.type == "bytes":
            return _enc_bytes
        size = s.size
        name = s.fullname

        def enc_fixed(v: Any) -> Any:
            if not _is_bytes_like(v):
                raise _Fail(f"expected bytes for {name}, got {_what(v)}")
            b = _to_bytes(v)
            if len(b) != size:
                raise _Fail(f"{name} needs exactly {size} bytes, got {len(b)}")
            return b.decode("latin-1")

        return enc_fixed


def _enc_string(v: Any) -> Any:
    if not isinstance(v, str):
        raise _Fail(f"expected str, got {_what(v)}")
    if not v.isascii():
        try:
            v.encode("utf-8")
        except UnicodeEncodeError as e:
            raise _Fail(f"string is not valid Unicode (lone surrogate?): {e}") from None
    return str(v)


def _enc_bytes(v: Any) -> Any:
    if not _is_bytes_like(v):
        raise _Fail(f"expected bytes, got {_what(v)}")
    return _to_bytes(v).decode("latin-1")


def _acceptor(s: Schema, strict: bool) -> Callable[[Any], bool]:
    """Could ``v`` be written as ``s``? The binary Encoder's union rule: first accepting branch."""
    t = s.type
    lop = logical_op(s)
    if lop is not None:
        if lop in ("ts_millis", "ts_micros", "ts_nanos", "lts_millis", "lts_micros", "lts_nanos"):
            return lambda v: isinstance(v, _dt.datetime) or _is_integer(v)
        if lop == "date":
            return lambda v: (
                (isinstance(v, _dt.date) and not isinstance(v, _dt.datetime)) or _is_integer(v)
            )
        if lop in ("time_millis", "time_micros"):
            return lambda v: isinstance(v, _dt.time) or _is_integer(v)
        if lop in ("decimal_bytes", "big_decimal"):
            return lambda v: isinstance(v, _decimal.Decimal) or _is_bytes_like(v)
        if lop == "decimal_fixed":
            size = s.size
            return lambda v: (
                isinstance(v, _decimal.Decimal) or (_is_bytes_like(v) and len(_to_bytes(v)) == size)
            )
        if lop == "uuid_string":
            return lambda v: isinstance(v, (_uuid.UUID, str))
        if lop == "uuid_fixed":
            return lambda v: (
                isinstance(v, _uuid.UUID) or (_is_bytes_like(v) and len(_to_bytes(v)) == 16)
            )
        if lop == "duration":
            return lambda v: (
                (isinstance(v, tuple) and len(v) == 3)
                or (_is_bytes_like(v) and len(_to_bytes(v)) == 12)
            )
    if t == "null":
        return lambda v: v is None
    if t == "boolean":
        return _is_bool
    if t == "int":
        return lambda v: _is_integer(v) and _INT_MIN <= operator.index(v) <= _INT_MAX
    if t == "long":
        return lambda v: _is_integer(v) and _LONG_MIN <= operator.index(v) <= _LONG_MAX
    if t == "float" or t == "double":
        return _is_real
    if t == "string":
        return lambda v: isinstance(v, str)
    if t == "bytes":
        return _is_bytes_like
    if t == "fixed":
        size = s.size
        return lambda v: _is_bytes_like(v) and len(_to_bytes(v)) == size
    if t == "enum":
        symbols = frozenset(s.symbols)
        return lambda v: isinstance(v, str) and v in symbols
    if t == "array":
        return lambda v: (
            not isinstance(v, (str, bytes, bytearray, memoryview, Mapping))
            and hasattr(v, "__iter__")
        )
    if t == "map":
        return lambda v: isinstance(v, Mapping)
    if t == "record":
        fields = [(f.name, f.has_default) for f in s.fields]

        def accepts_record(v: Any) -> bool:
            if not isinstance(v, Mapping):
                return False
            found = 0
            for name, has_default in fields:
                if name in v:
                    found += 1
                elif not has_default:
                    return False
            return not strict or len(v) == found

        return accepts_record
    return lambda v: False


# -- JSON value -> Python value ----------------------------------------------------------------


def _dec_int(v: Any, lo: int, hi: int, what: str) -> int:
    if type(v) is not int:
        raise _Fail(f"expected an integer ({what}), got {_json_what(v)}")
    if not lo <= v <= hi:
        raise _Fail(f"{v} is out of range for {what}")
    return v


def _json_what(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"boolean {json.dumps(v)}"
    if isinstance(v, (int, float)):
        return f"number {v!r}"
    if isinstance(v, str):
        return f"string {_short(v)}"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    return _what(v)


def _dec_latin1(v: Any, what: str) -> bytes:
    if not isinstance(v, str):
        raise _Fail(f"expected a string for {what}, got {_json_what(v)}")
    try:
        return v.encode("latin-1")
    except UnicodeEncodeError:
        raise _Fail(
            f"{what} string has a character above U+00FF (bytes are ISO-8859-1 code points)"
        ) from None


class _DecoderCompiler:
    def __init__(self, logical: bool, branches: bool = False, fastavro: bool = False) -> None:
        self.logical = logical
        self.branches = branches
        # the fastavro facade's json_reader: floats as written (not rounded to 32 bits), and
        # JSON scalars of the wrong primitive type as they are
        self.fastavro = fastavro
        self.memo: dict[int, Conv] = {}

    def compile(self, s: Schema) -> Conv:
        conv = self.memo.get(id(s))
        if conv is None:
            conv = self._build(s)
            if self.fastavro and s.type in _PRIMITIVE_TYPES and logical_op(s) is None:
                conv = _as_is(conv)
        return conv

    def _build(self, s: Schema) -> Conv:
        raw = self._underlying(s)
        lop = logical_op(s) if self.logical else None
        if lop is None:
            return raw
        to_logical = _logical_converter(s, lop)
        lname = s.logical_type

        def dec_logical(v: Any) -> Any:
            u = raw(v)
            try:
                return to_logical(u)
            except (ValueError, OverflowError, TypeError) as e:
                raise _Fail(f"invalid {lname} value {_short(u)}: {e}") from None

        return dec_logical

    def _underlying(self, s: Schema) -> Conv:
        t = s.type
        if t == "null":

            def dec_null(v: Any) -> Any:
                if v is not None:
                    raise _Fail(f"expected null, got {_json_what(v)}")
                return None

            return dec_null
        if t == "boolean":

            def dec_bool(v: Any) -> Any:
                if not isinstance(v, bool):
                    raise _Fail(f"expected a boolean, got {_json_what(v)}")
                return v

            return dec_bool
        if t == "int" or t == "long":
            lo, hi = (_INT_MIN, _INT_MAX) if t == "int" else (_LONG_MIN, _LONG_MAX)
            return lambda v: _dec_int(v, lo, hi, t)
        if t == "float" or t == "double":
            single = t == "float" and not self.fastavro

            def dec_real(v: Any) -> Any:
                if type(v) is float:
                    x = v
                elif type(v) is int:
                    try:
                        x = float(v)
                    except OverflowError:
                        # a JSON integer beyond the double range reads as ±infinity (Jackson)
                        x = math.inf if v > 0 else -math.inf
                elif isinstance(v, str) and v in _NON_FINITE_IN:
                    x = _NON_FINITE_IN[v]
                else:
                    raise _Fail(f"expected a number ({t}), got {_json_what(v)}")
                return _f32(x) if single else x

            return dec_real
        if t == "string":

            def dec_string(v: Any) -> Any:
                if not isinstance(v, str):
                    raise _Fail(f"expected a string, got {_json_what(v)}")
                return v

            return dec_string
        if t == "bytes":
            return lambda v: _dec_latin1(v, "bytes")
        if t == "fixed":
            size = s.size
            name = s.fullname

            def dec_fixed(v: Any) -> Any:
                b = _dec_latin1(v, name)
                if len(b) != size:
                    raise _Fail(f"{name} needs exactly {size} bytes, got {len(b)}")
                return b

            return dec_fixed
        if t == "enum":
            symbols = frozenset(s.symbols)
            ename = s.fullname

            def dec_enum(v: Any) -> Any:
                if not isinstance(v, str):
                    raise _Fail(f"expected an enum symbol string, got {_json_what(v)}")
                if v not in symbols:
                    raise _Fail(f"{v!r} is not a symbol of enum {ename}")
                return v

            return dec_enum
        if t == "array":
            items: list[Conv] = []

            def dec_array(v: Any) -> Any:
                if not isinstance(v, list):
                    raise _Fail(f"expected an array, got {_json_what(v)}")
                conv = items[0]
                out = []
                for i, x in enumerate(v):
                    try:
                        out.append(conv(x))
                    except _Fail as e:
                        e.parts.append(f"[{i}]")
                        raise
                return out

            self.memo[id(s)] = dec_array
            items.append(self.compile(s.items))
            return dec_array
        if t == "map":
            values: list[Conv] = []

            def dec_map(v: Any) -> Any:
                if not isinstance(v, dict):
                    raise _Fail(f"expected an object (map), got {_json_what(v)}")
                conv = values[0]
                out = {}
                for k, x in v.items():
                    try:
                        out[k] = conv(x)
                    except _Fail as e:
                        e.parts.append(_key_segment(k))
                        raise
                return out

            self.memo[id(s)] = dec_map
            values.append(self.compile(s.values))
            return dec_map
        if t == "record":
            return self._record(s)
        return self._union(s)

    def _record(self, s: Schema) -> Conv:
        name = s.fullname
        fields: list[tuple[str, Conv, bool, Any]] = []

        def dec_record(v: Any) -> Any:
            if not isinstance(v, dict):
                raise _Fail(f"expected an object (record {name}), got {_json_what(v)}")
            out = {}
            for fname, conv, has_default, default in fields:
                if fname in v:
                    try:
                        out[fname] = conv(v[fname])
                    except _Fail as e:
                        e.parts.append(f".{fname}")
                        raise
                elif has_default:
                    out[fname] = _fresh(default)
                else:
                    f = _Fail(f"missing field {fname!r} of record {name} (and it has no default)")
                    raise f
            return out

        self.memo[id(s)] = dec_record
        for f in s.fields:
            has_default, default = usable_default(f, self.logical)
            fields.append((f.name, self.compile(f.type), has_default, default))
        return dec_record

    def _union(self, s: Schema) -> Conv:
        by_name: dict[str, tuple[str, Conv]] = {}
        null_ok = False
        tagged = self.branches
        labels = [union_branch_name(b) for b in s.branches]
        expected = ", ".join("null" if n == "null" else repr(n) for n in labels) or "none"

        def dec_union(v: Any) -> Any:
            if v is None:
                if null_ok:
                    return None
                raise _Fail(f"null is not a branch of union [{expected}]")
            if not isinstance(v, dict) or len(v) != 1:
                raise _Fail(
                    f'expected null or {{"<branch>": value}} for a union, got {_json_what(v)} '
                    f"(branches: {expected})"
                )
            ((label, x),) = v.items()
            entry = by_name.get(label)
            if entry is None or label == "null":
                raise _Fail(f"{label!r} is not a branch of union [{expected}]")
            try:
                value = entry[1](x)
            except _Fail as e:
                e.parts.append(f"<{label}>")
                raise
            return (label, value) if tagged else value

        self.memo[id(s)] = dec_union
        for label, b in zip(labels, s.branches, strict=True):
            if label == "null":
                null_ok = True
            by_name.setdefault(label, (label, self.compile(b)))
        return dec_union


def _fresh(v: Any) -> Any:
    import copy

    return copy.deepcopy(v) if isinstance(v, (list, dict)) else v


def _logical_converter(s: Schema, lop: str) -> Conv:
    if lop == "date":
        return _logical.days_to_date
    if lop in ("time_millis", "time_micros"):
        unit = lop[5:]
        return lambda n: _logical.int_to_time(n, unit)
    if lop in ("ts_millis", "ts_micros", "ts_nanos", "lts_millis", "lts_micros", "lts_nanos"):
        # nanoseconds are floored to datetime's microseconds, as the binary Decoder does
        # (logical=False keeps the exact count)
        unit = lop.split("_")[1]
        local = lop.startswith("lts")
        return lambda n: _logical.int_to_datetime(n, unit, local)
    if lop in ("decimal_bytes", "decimal_fixed"):
        scale = s.scale or 0
        return lambda b: _logical.decode_decimal(b, scale)
    if lop == "big_decimal":
        return _logical.decode_big_decimal
    if lop == "uuid_string":
        return _uuid.UUID
    if lop == "uuid_fixed":
        return lambda b: _uuid.UUID(bytes=b)
    if lop == "duration":
        return _logical.decode_duration
    return lambda v: v  # pragma: no cover - every logical op is listed above


# -- public API ----------------------------------------------------------------------------------

_ENCODERS: weakref.WeakKeyDictionary[Schema, dict[tuple[bool, bool], Conv]] = weakref.WeakKeyDictionary()
_DECODERS: weakref.WeakKeyDictionary[Schema, dict[tuple[bool, bool, bool], Conv]] = (
    weakref.WeakKeyDictionary()
)


def _as_schema(schema: Any) -> Schema:
    return schema if isinstance(schema, Schema) else Schema.parse(schema)


def _path(parts: list[str]) -> str:
    return "$" + "".join(reversed(parts))


def _encoder(s: Schema, strict: bool, fastavro: bool = False) -> Conv:
    per = _ENCODERS.get(s)
    if per is None:
        per = _ENCODERS.setdefault(s, {})
    conv = per.get((strict, fastavro))
    if conv is None:
        conv = per[strict, fastavro] = _EncoderCompiler(strict, fastavro).compile(s)
    return conv


def _decoder(s: Schema, logical: bool, branches: bool = False, fastavro: bool = False) -> Conv:
    per = _DECODERS.get(s)
    if per is None:
        per = _DECODERS.setdefault(s, {})
    conv = per.get((logical, branches, fastavro))
    if conv is None:
        conv = per[logical, branches, fastavro] = _DecoderCompiler(
            logical, branches, fastavro).compile(s)
    return conv


def to_json_value(obj: Any, schema: Any, *, strict: bool = True, _fastavro: bool = False) -> Any:
    """Convert a Python value of ``schema`` to its Avro JSON encoding as a JSON-compatible value
    (dicts, lists, str, int, float, bool, None). Logical-type objects and underlying values
    are both accepted, as by the binary Encoder. :class:`EncodeError` names the failing path."""
    s = _as_schema(schema)
    try:
        return _encoder(s, strict, _fastavro)(obj)
    except _Fail as e:
        raise EncodeError(str(e), _path(e.parts)) from None
    except RecursionError:
        raise EncodeError("value is nested too deeply", "$") from None


def _check_depth(value: Any, limit: int) -> None:
    """Refuse JSON nested deeper than ``limit`` (limits.max_json_depth), walking it without
    recursion, before the recursive conversion sees it."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if depth > limit:
            raise DecodeError(_limits.exceeded("max_json_depth", "JSON nesting"), path="$")
        for x in v.values() if isinstance(v, dict) else v:
            if isinstance(x, (list, dict)):
                stack.append((x, depth + 1))


def from_json_value(
    value: Any, schema: Any, *, logical: bool = True, branches: bool = False,
    _fastavro: bool = False,
) -> Any:
    """Convert an already-parsed Avro JSON value of ``schema`` to the Python value the binary
    Decoder would return (``logical=False``: underlying values for logical types).
    ``branches``: a non-null union value as a ``(branch name, value)`` tuple, which the binary
    Encoder writes as that very branch (an int in ``["double", "long"]`` stays a long), for
    conversions from JSON to binary. :class:`DecodeError` names the failing path."""
    s = _as_schema(schema)
    if isinstance(value, (list, dict)):
        _check_depth(value, _limits.get().max_json_depth)
    try:
        return _decoder(s, logical, branches, _fastavro)(value)
    except _Fail as e:
        raise DecodeError(str(e), path=_path(e.parts)) from None
    except RecursionError:
        raise DecodeError("value is nested too deeply", path="$") from None


def json_encode(
    obj: Any,
    schema: Any,
    *,
    strict: bool = True,
    ensure_ascii: bool = False,
    indent: int | None = None,
) -> str:
    """``obj`` in the Avro JSON encoding, as text (compact unless ``indent`` is given)."""
    value = to_json_value(obj, schema, strict=strict)
    separators = (",", ":") if indent is None else (",", ": ")
    return json.dumps(
        value, ensure_ascii=ensure_ascii, allow_nan=False, indent=indent, separators=separators
    )


def json_decode(
    text: str | bytes | bytearray, schema: Any, *, logical: bool = True, branches: bool = False
) -> Any:
    """Read one datum in the Avro JSON encoding (``logical``, ``branches``: see
    :func:`from_json_value`). Invalid JSON is a :class:`DecodeError` with the character
    offset."""
    # the limit from_json_value applies (_check_depth), before json.loads recurses through it
    if _limits.json_too_deep(text, _limits.get().max_json_depth):
        raise DecodeError(_limits.exceeded("max_json_depth", "JSON nesting"), path="$")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise DecodeError(
            f"not valid JSON: {e.msg} (line {e.lineno} column {e.colno})", offset=e.pos
        ) from None
    except UnicodeDecodeError as e:
        raise DecodeError(f"JSON text is not UTF-8: {e.reason}", offset=e.start) from None
    except RecursionError:
        raise DecodeError("JSON is nested too deeply") from None
    except ValueError as e:
        # e.g. an integer literal beyond Python's int-from-text digit limit
        raise DecodeError(f"not valid JSON: {e}") from None
    return from_json_value(value, schema, logical=logical, branches=branches)
