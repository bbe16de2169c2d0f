"""Schema benchmarks, side by side with fastavro in one run.

- group ``crc64``: CRC-64-AVRO of a ~500-byte Parsing Canonical Form (target ≤ 2 µs).
- group ``fingerprint-uncached``: ``Schema.fingerprint`` when nothing is cached yet
  (canonical form + CRC-64) vs fastavro's canonical form + fingerprint.
- group ``parse``: parsing a 200-field schema with nested records, enums, unions, arrays, maps.
- groups ``parse-random-300`` and ``parse-text-uncached``: ``Schema.parse`` of JSON text (its
  text cache cleared every round: the native reader of schema text reads it) against
  ``fastavro.parse_schema(json.loads(text))``, over 300 random schemas and the 200-field
  record; ``parser`` is turboavro's general parser alone (what reads the texts the native
  reader leaves: escapes, errors).
- groups ``construct <shape>``: building a ``Decoder`` / ``Encoder`` from a parsed schema,
  against fastavro's parse of the same schema (flat, mixed, the 200-field record).

Run: ``PYTHONPATH=src python -m pytest benchmarks/bench_schema.py --benchmark-min-rounds=3 -q``
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import fastavro
import fastavro.schema
import pytest

from conftest import FLAT_SCHEMA, MIXED_SCHEMA
from turboavro.codec import Decoder, Encoder
from turboavro.schema import (
    Schema,
    _decode_text,
    _parse_obj,
    _parse_text,
    canonical_fingerprint,
    crc64_avro,
)


def _schema_500() -> dict[str, Any]:
    return {
        "type": "record",
        "name": "com.example.events.PageView",
        "doc": "not part of the canonical form",
        "fields": [
            {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "timestamp", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {"name": "user_id", "type": ["null", "long"], "default": None},
            {"name": "session", "type": ["null", "string"], "default": None},
            {"name": "url", "type": "string"},
            {
                "name": "device",
                "type": {
                    "type": "enum",
                    "name": "Device",
                    "symbols": ["DESKTOP", "MOBILE", "TABLET", "OTHER"],
                },
            },
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "attrs", "type": {"type": "map", "values": "string"}},
            {"name": "duration_ms", "type": "int"},
        ],
    }


SCHEMA_500 = _schema_500()
PCF = Schema.parse(SCHEMA_500).canonical_form
PCF_BYTES = PCF.encode()
assert 450 <= len(PCF_BYTES) <= 550, len(PCF_BYTES)


def _big_schema() -> dict[str, Any]:
    fields: list[dict[str, Any]] = []
    for i in range(200):
        kind = i % 5
        if kind == 0:
            t: Any = {
                "type": "record",
                "name": f"Sub{i}",
                "fields": [
                    {"name": "x", "type": "long"},
                    {"name": "y", "type": ["null", "string"], "default": None},
                    {"name": "z", "type": {"type": "array", "items": "double"}},
                ],
            }
        elif kind == 1:
            t = {
                "type": "enum",
                "name": f"E{i}",
                "symbols": [f"S{j}" for j in range(8)],
                "default": "S0",
            }
        elif kind == 2:
            t = ["null", "int", "string", {"type": "array", "items": f"Sub{i - 2}"}]
        elif kind == 3:
            t = {"type": "map", "values": f"E{i - 2}"}
        else:
            t = {"type": "long", "logicalType": "timestamp-millis"}
        fields.append({"name": f"f{i}", "type": t, "doc": f"field {i}"})
    return {"type": "record", "name": "com.example.Big", "fields": fields}


BIG = _big_schema()
BIG_TEXT = json.dumps(BIG)


@pytest.mark.benchmark(group="crc64")
def test_crc64_turboavro_bytes(benchmark: Any) -> None:
    assert benchmark(crc64_avro, PCF_BYTES) == int.from_bytes(
        bytes.fromhex(fastavro.schema.fingerprint(PCF, "CRC-64-AVRO")), "little"
    )


@pytest.mark.benchmark(group="crc64")
def test_crc64_turboavro_canonical_fingerprint(benchmark: Any) -> None:
    assert benchmark(canonical_fingerprint, PCF).hex() == fastavro.schema.fingerprint(
        PCF, "CRC-64-AVRO"
    )


@pytest.mark.benchmark(group="crc64")
def test_crc64_fastavro(benchmark: Any) -> None:
    benchmark(fastavro.schema.fingerprint, PCF, "CRC-64-AVRO")


@pytest.mark.benchmark(group="fingerprint-uncached")
def test_fingerprint_uncached_turboavro(benchmark: Any) -> None:
    s = Schema.parse(SCHEMA_500)

    def run() -> bytes:
        # drop the caches so each round computes canonical form + CRC-64 (benchmark only)
        if s._cache is not None:
            s._cache.clear()
        return s.fingerprint("CRC-64-AVRO")

    assert benchmark(run).hex() == fastavro.schema.fingerprint(PCF, "CRC-64-AVRO")


@pytest.mark.benchmark(group="fingerprint-uncached")
def test_fingerprint_uncached_fastavro(benchmark: Any) -> None:
    parsed = fastavro.parse_schema(copy.deepcopy(SCHEMA_500))

    def run() -> str:
        return fastavro.schema.fingerprint(
            fastavro.schema.to_parsing_canonical_form(parsed), "CRC-64-AVRO"
        )

    benchmark(run)


@pytest.mark.benchmark(group="parse")
def test_parse_turboavro(benchmark: Any) -> None:
    s = benchmark(Schema.parse, BIG)
    assert len(s.fields) == 200  # type: ignore[attr-defined]


@pytest.mark.benchmark(group="parse")
def test_parse_fastavro(benchmark: Any) -> None:
    benchmark(fastavro.parse_schema, BIG)


@pytest.mark.benchmark(group="parse-text")
def test_parse_text_turboavro(benchmark: Any) -> None:
    # json.loads + parse of the object: the text cache of Schema.parse is bypassed here
    benchmark(lambda: Schema.parse(json.loads(BIG_TEXT)))


@pytest.mark.benchmark(group="parse-text")
def test_parse_text_turboavro_cached(benchmark: Any) -> None:
    # what a reader of many files with the same writer schema pays per file
    benchmark(Schema.parse, BIG_TEXT)


@pytest.mark.benchmark(group="parse-text")
def test_parse_text_fastavro(benchmark: Any) -> None:
    benchmark(lambda: fastavro.parse_schema(json.loads(BIG_TEXT)))


# -- parse of JSON text: a few hundred random schemas, and the 200-field record ---------------


def _random_schema(rnd: random.Random, k: int) -> dict[str, Any]:
    """A random record: primitives, logical types, nested records, enums, fixed, arrays, maps,
    unions, named references, defaults, docs and properties."""
    names: list[str] = []
    counter = [0]

    def name(prefix: str) -> str:
        counter[0] += 1
        return f"{prefix}{k}_{counter[0]}"

    def typ(depth: int) -> Any:
        r = rnd.random()
        if depth > 3 or r < 0.35:
            return rnd.choice(["null", "boolean", "int", "long", "float", "double", "bytes", "string"])
        if r < 0.45:
            return rnd.choice(
                [
                    {"type": "long", "logicalType": "timestamp-micros"},
                    {"type": "int", "logicalType": "date"},
                    {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2},
                    {"type": "string", "logicalType": "uuid"},
                ]
            )
        if r < 0.55:
            return {"type": "array", "items": typ(depth + 1)}
        if r < 0.62:
            return {"type": "map", "values": typ(depth + 1)}
        if r < 0.72:
            branches = ["null", rnd.choice(["int", "string", "double"])]
            if rnd.random() < 0.3:
                branches.append({"type": "array", "items": "long"})
            return branches
        if r < 0.8:
            n = name("E")
            names.append(n)
            return {"type": "enum", "name": n, "symbols": [f"S{j}" for j in range(rnd.randint(2, 8))]}
        if r < 0.85:
            n = name("F")
            names.append(n)
            return {"type": "fixed", "name": n, "size": rnd.randint(1, 32)}
        if r < 0.9 and names:
            return rnd.choice(names)
        return record(depth + 1)

    def record(depth: int) -> dict[str, Any]:
        n = name("R")
        fields = []
        for i in range(rnd.randint(1, 8)):
            f: dict[str, Any] = {"name": f"f{i}", "type": typ(depth)}
            if rnd.random() < 0.2:
                f["doc"] = "a field"
            if isinstance(f["type"], list) and f["type"][0] == "null":
                f["default"] = None
            elif f["type"] == "int" and rnd.random() < 0.5:
                f["default"] = rnd.randint(-100, 100)
            fields.append(f)
        names.append(n)
        out: dict[str, Any] = {"type": "record", "name": n, "fields": fields}
        if depth == 0 and rnd.random() < 0.3:  # nested types inherit it
            out["namespace"] = "com.example"
        return out

    return record(0)


RANDOM_TEXTS = [json.dumps(_random_schema(random.Random(i), i)) for i in range(300)]


def _parse_all_turboavro() -> list[Schema]:
    # Schema.parse caches texts; the cache is cleared so every round parses (benchmark only)
    _parse_text.cache_clear()
    return [Schema.parse(t) for t in RANDOM_TEXTS]


def _parse_all_fastavro() -> list[Any]:
    return [fastavro.parse_schema(json.loads(t)) for t in RANDOM_TEXTS]


@pytest.mark.benchmark(group="parse-random-300")
def test_parse_random_turboavro(benchmark: Any) -> None:
    out = benchmark(_parse_all_turboavro)
    assert len(out) == 300


@pytest.mark.benchmark(group="parse-random-300")
def test_parse_random_fastavro(benchmark: Any) -> None:
    benchmark(_parse_all_fastavro)


@pytest.mark.benchmark(group="parse-random-300")
def test_parse_random_parser(benchmark: Any) -> None:
    benchmark(lambda: [_parse_obj(_decode_text(t), None) for t in RANDOM_TEXTS])


@pytest.mark.benchmark(group="parse-text-uncached")
def test_parse_big_text_turboavro(benchmark: Any) -> None:
    def run() -> Schema:
        _parse_text.cache_clear()
        return Schema.parse(BIG_TEXT)

    assert len(benchmark(run).fields) == 200  # type: ignore[attr-defined]


@pytest.mark.benchmark(group="parse-text-uncached")
def test_parse_big_text_fastavro(benchmark: Any) -> None:
    benchmark(lambda: fastavro.parse_schema(json.loads(BIG_TEXT)))


@pytest.mark.benchmark(group="parse-text-uncached")
def test_parse_big_text_parser(benchmark: Any) -> None:
    benchmark(lambda: _parse_obj(_decode_text(BIG_TEXT), None))


# -- Decoder / Encoder construction, against fastavro's parse of the same schema --------------

SHAPES = {"flat": FLAT_SCHEMA, "mixed": MIXED_SCHEMA, "big": BIG}


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("what", ["Decoder", "Encoder", "fastavro.parse_schema"])
def test_construct(benchmark: Any, shape: str, what: str) -> None:
    benchmark.group = f"construct {shape}"
    if what == "fastavro.parse_schema":
        raw = SHAPES[shape]
        benchmark(lambda: fastavro.parse_schema(raw))
        return
    schema = Schema.parse(SHAPES[shape])
    cls = Decoder if what == "Decoder" else Encoder
    benchmark(cls, schema)
