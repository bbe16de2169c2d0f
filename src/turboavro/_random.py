"""Random values of a schema, for the ``turboavro random`` command (avro-tools' ``random``).

Every value is valid for its schema, logical types included (Avro specification, "Logical
Types"): dates, times and timestamps at the precision of their unit and within Python's range,
decimals within their precision and scale, version-4 UUIDs, durations of three unsigned 32-bit
counts. A seeded generator gives the same values on every run.
"""
from __future__ import annotations

import datetime
import decimal
import random
import struct
import uuid
from collections.abc import Iterator
from typing import Any

from .errors import SchemaError
from .logical import Duration
from .schema import Schema

__all__ = ["random_records"]

_UTC = datetime.timezone.utc
# timestamps and dates between 1900 and 2100: every unit (nanoseconds included) holds them
_LO = datetime.datetime(1900, 1, 1)
_SPAN_US = (datetime.datetime(2100, 1, 1) - _LO) // datetime.timedelta(microseconds=1)
_UNIT_US = {"millis": 1000, "micros": 1, "nanos": 1}
_DEEP = 4  # below this depth, collections are empty and unions take their cheapest branch
_TOO_DEEP = 64
_ALPHABET = "abcxyzABCXYZ0189 _-é€😀"
_CHEAP = ("null", "boolean", "int", "long", "float", "double", "string", "bytes", "enum", "fixed")


def random_records(schema: Schema, count: int, seed: int | None = None) -> Iterator[Any]:
    """``count`` random values of ``schema`` (a parsed :class:`~turboavro.schema.Schema`)."""
    gen = _Gen(random.Random(seed))
    for _ in range(count):
        yield gen.value(schema, 0)


class _Gen:
    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd

    def value(self, s: Schema, depth: int) -> Any:
        if depth > _TOO_DEEP:
            raise SchemaError(
                f"{s.type} {getattr(s, 'fullname', '')}: the schema has no finite values "
                "(a record that always contains itself)".replace("  ", " ")
            )
        rnd = self.rnd
        if s.logical_type is not None:
            return self.logical(s)
        t = s.type
        if t == "null":
            return None
        if t == "boolean":
            return rnd.random() < 0.5
        if t == "int":
            return self.integer(32)
        if t == "long":
            return self.integer(64)
        if t == "float":
            # a value a 32-bit float holds exactly, so it reads back equal
            return struct.unpack("<f", struct.pack("<f", rnd.uniform(-1e6, 1e6)))[0]
        if t == "double":
            return rnd.choice((0.0, -1.5, rnd.uniform(-1e12, 1e12), rnd.random()))
        if t == "bytes":
            return rnd.randbytes(rnd.randint(0, 12))
        if t == "string":
            return "".join(rnd.choice(_ALPHABET) for _ in range(rnd.randint(0, 12)))
        if t == "fixed":
            return rnd.randbytes(s.size)
        if t == "enum":
            return rnd.choice(s.symbols)
        if t == "array":
            n = 0 if depth >= _DEEP else rnd.randint(0, 4)
            return [self.value(s.items, depth + 1) for _ in range(n)]
        if t == "map":
            n = 0 if depth >= _DEEP else rnd.randint(0, 4)
            return {f"k{i}": self.value(s.values, depth + 1) for i in range(n)}
        if t == "union":
            branches = list(s.branches)
            if depth >= _DEEP:
                branches = [b for b in branches if b.type in _CHEAP] or branches
            return self.value(rnd.choice(branches), depth + 1)
        # record
        return {f.name: self.value(f.type, depth + 1) for f in s.fields}

    def integer(self, bits: int) -> int:
        rnd = self.rnd
        if rnd.random() < 0.5:
            return rnd.randint(-1000, 1000)
        return rnd.randint(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)

    def logical(self, s: Schema) -> Any:
        rnd = self.rnd
        lt = s.logical_type
        assert lt is not None
        if lt == "decimal":
            assert s.precision is not None and s.scale is not None
            unscaled = rnd.randint(-(10**s.precision) + 1, 10**s.precision - 1)
            return decimal.Decimal(unscaled).scaleb(-s.scale)
        if lt == "big-decimal":
            return decimal.Decimal(rnd.randint(-(10**20), 10**20)).scaleb(-rnd.randint(0, 10))
        if lt == "uuid":
            u = uuid.UUID(int=rnd.getrandbits(128), version=4)
            return u if s.type == "fixed" else str(u)
        if lt == "duration":
            return Duration(*(rnd.getrandbits(32) for _ in range(3)))
        if lt == "date":
            return (_LO + datetime.timedelta(days=rnd.randrange(_SPAN_US // 86_400_000_000))).date()
        if lt.startswith("time-"):
            unit = _UNIT_US[lt.rpartition("-")[2]]
            us = rnd.randrange(86_400_000_000) // unit * unit
            return (datetime.datetime.min + datetime.timedelta(microseconds=us)).time()
        if lt.startswith(("timestamp-", "local-timestamp-")):
            unit = _UNIT_US[lt.rpartition("-")[2]]
            us = rnd.randrange(_SPAN_US) // unit * unit
            value = _LO + datetime.timedelta(microseconds=us)
            return value.replace(tzinfo=_UTC) if lt.startswith("timestamp-") else value
        raise SchemaError(f"no random values for logical type {lt!r}")  # pragma: no cover
