"""Schema benchmarks, side by side with fastavro in one run.

- group ``crc64``: CRC-64-AVRO of a ~500-byte Parsing Canonical Form (target ≤ 2 µs).
- group ``fingerprint-uncached``: ``Schema.fingerprint`` when nothing is cached yet
  (canonical form + CRC-64) vs fastavro's canonical form + fingerprint.
- group ``parse``: parsing a 200-field schema with nested records, enums, unions, arrays, maps.

Run: ``PYTHONPATH=src python -m pytest benchmarks/bench_schema.py --benchmark-min-rounds=3 -q``
"""

from __future__ import annotations

import copy
import json
from typing import Any

import fastavro
import fastavro.schema
import pytest

from turboavro.schema import Schema, canonical_fingerprint, crc64_avro


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
