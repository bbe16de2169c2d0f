"""Shared workloads for the benchmark suites: the DESIGN.md §4 record shapes (flat and mixed,
described in ../shared/bench/README.md), generated deterministically."""
from __future__ import annotations

import datetime
import random

import pytest

FLAT_SCHEMA = {
    "type": "record", "name": "Flat", "namespace": "bench",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "count", "type": "int"},
        {"name": "value", "type": "double"},
        {"name": "ratio", "type": "float"},
        {"name": "flag", "type": "boolean"},
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}

MIXED_SCHEMA = {
    "type": "record", "name": "Event", "namespace": "bench",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "ts", "type": "long"},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "score", "type": "double"},
        {"name": "tags", "type": {"type": "array", "items": "long"}},
        {"name": "attrs", "type": {"type": "map", "values": "string"}},
        {"name": "kind", "type": {"type": "enum", "name": "Kind",
                                  "symbols": ["CLICK", "VIEW", "BUY", "SHARE", "OTHER"]}},
        {"name": "place", "type": {"type": "record", "name": "Place", "fields": [
            {"name": "city", "type": "string"}, {"name": "zip", "type": "int"}]}},
    ],
}

_WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron".split()
_EPOCH = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


def flat_records(n: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append({
            "id": rng.getrandbits(62),
            "count": rng.getrandbits(31) - 2**30,
            "value": rng.uniform(-1e6, 1e6),
            "ratio": float(rng.randrange(2**24)) / 2**24,  # float32-exact
            "flag": rng.random() < 0.5,
            "ts": _EPOCH + datetime.timedelta(milliseconds=i * 1000 + rng.randrange(1000)),
        })
    return out


def mixed_records(n: int, seed: int = 2) -> list[dict]:
    rng = random.Random(seed)
    kinds = MIXED_SCHEMA["fields"][6]["type"]["symbols"]
    out = []
    for i in range(n):
        out.append({
            "id": f"{rng.getrandbits(48):012x}-{i:07d}",
            "ts": 1_700_000_000_000 + i * 1000,
            "note": None if rng.random() < 0.5 else " ".join(rng.choices(_WORDS, k=rng.randint(1, 6))),
            "score": rng.random() * 100,
            "tags": [rng.getrandbits(40) for _ in range(rng.randint(3, 7))],
            "attrs": {f"k{j}": rng.choice(_WORDS) for j in range(rng.randint(2, 4))},
            "kind": rng.choice(kinds),
            "place": {"city": rng.choice(_WORDS).title(), "zip": rng.randrange(10000, 99999)},
        })
    return out


@pytest.fixture(scope="session")
def flat_schema():
    return FLAT_SCHEMA


@pytest.fixture(scope="session")
def mixed_schema():
    return MIXED_SCHEMA
