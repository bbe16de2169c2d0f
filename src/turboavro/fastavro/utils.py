"""fastavro's ``fastavro.utils``: random data for a schema, and schema anonymisation."""
from __future__ import annotations

import datetime as _dt
import random
import string
import uuid
from collections.abc import Iterator
from decimal import Decimal
from hashlib import md5
from typing import Any

from ..schema import NamedSchema, Schema
from ._engine import logical_key, to_turbo
from .schema import parse_schema

__all__ = ["anonymize_schema", "generate_many", "generate_one"]


def _text() -> str:
    return "".join(random.choices(string.ascii_letters, k=10))


def _gen(s: Schema, depth: int) -> Any:
    t = s.type
    key = logical_key(s)
    if key in ("int-date",):
        return _dt.date(1970, 1, 1) + _dt.timedelta(days=random.randint(-10000, 30000))
    if key in ("long-timestamp-millis", "long-timestamp-micros"):
        return _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(
            seconds=random.randint(0, 2_000_000_000))
    if key in ("long-local-timestamp-millis", "long-local-timestamp-micros"):
        return _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=random.randint(0, 2_000_000_000))
    if key in ("int-time-millis", "long-time-micros"):
        return _dt.time(random.randint(0, 23), random.randint(0, 59), random.randint(0, 59))
    if key in ("string-uuid",):
        return uuid.uuid4()
    if key in ("bytes-decimal", "fixed-decimal") and s.logical_type == "decimal":
        digits = min(s.precision or 1, 18)
        return Decimal(random.randint(-(10**digits) + 1, 10**digits - 1)).scaleb(-(s.scale or 0))
    if t == "null":
        return None
    if t == "boolean":
        return random.random() < 0.5
    if t == "string":
        return _text()
    if t == "bytes":
        return _text().encode()
    if t == "int":
        return random.randint(-(2**31), 2**31 - 1)
    if t == "long":
        return random.randint(-(2**63), 2**63 - 1)
    if t in ("float", "double"):
        return random.random()
    if t == "fixed":
        return bytes(random.getrandbits(8) for _ in range(s.size))
    if t == "enum":
        return random.choice(s.symbols)
    if t == "array":
        return [_gen(s.items, depth + 1) for _ in range(0 if depth > 4 else random.randint(0, 3))]
    if t == "map":
        return {_text(): _gen(s.values, depth + 1) for _ in range(0 if depth > 4 else random.randint(0, 3))}
    if t == "union":
        branches = list(s.branches)
        if depth > 4 and any(b.type == "null" for b in branches):
            return None
        return _gen(random.choice(branches), depth + 1)
    if t == "record":
        return {f.name: _gen(f.type, depth + 1) for f in s.fields}
    raise ValueError(f"cannot generate data for {t}")


def generate_many(schema: Any, count: int) -> Iterator[Any]:
    """``count`` random datums of ``schema``."""
    s = to_turbo(parse_schema(schema))
    for _ in range(count):
        yield _gen(s, 0)


def generate_one(schema: Any) -> Any:
    """One random datum of ``schema``."""
    return next(generate_many(schema, 1))


def _md5(text: str) -> str:
    return md5(text.encode()).hexdigest()


def _anon_name(name: str) -> str:
    return f"A_{_md5(name)}"


def _anon(s: Schema, seen: set[str]) -> Any:
    t = s.type
    if isinstance(s, NamedSchema):
        name = _anon_name(s.fullname)
        if s.fullname in seen:
            return name
        seen.add(s.fullname)
        out: dict[str, Any] = {"type": t, "name": name}
        if s.doc:
            out["doc"] = _md5(s.doc)
        written = s.to_json() if isinstance(s.to_json(), dict) else {}
        if written.get("aliases"):
            out["aliases"] = [_anon_name(a) for a in written["aliases"]]
        if t == "record":
            fields = []
            for f in s.fields:
                fo: dict[str, Any] = {"name": _anon_name(f.name), "type": _anon(f.type, seen)}
                if f.doc:
                    fo["doc"] = _md5(f.doc)
                written_field = f.to_json()
                if written_field.get("aliases"):
                    fo["aliases"] = [_anon_name(a) for a in written_field["aliases"]]
                if f.has_default:
                    fo["default"] = f.default
                fields.append(fo)
            out["fields"] = fields
        elif t == "enum":
            out["symbols"] = [_anon_name(x) for x in s.symbols]
        else:
            out["size"] = s.size
        return out
    if t == "union":
        return [_anon(b, seen) for b in s.branches]
    if t == "array":
        return {"type": "array", "items": _anon(s.items, seen)}
    if t == "map":
        return {"type": "map", "values": _anon(s.values, seen)}
    return t


def anonymize_schema(schema: Any) -> Any:
    """The schema with every name, doc, alias and symbol replaced by a hash: the same shape
    for bug reports, without the domain's words."""
    return _anon(to_turbo(parse_schema(schema)), set())
