"""Binary codec benchmarks (issue: binary codec), side by side in one run with fastavro and,
when installed, cavro. Compare ratios within one run (the machine is noisy).

Run: python -m pytest benchmarks/bench_codec.py --benchmark-group-by=group
"""
from __future__ import annotations

import io

import fastavro
import pytest

import turboavro as ta
from conftest import FLAT_SCHEMA, MIXED_SCHEMA, flat_records, mixed_records

try:
    import cavro
except ImportError:  # pragma: no cover - optional comparison
    cavro = None

SHAPES = {"flat": (FLAT_SCHEMA, flat_records(1)[0]), "mixed": (MIXED_SCHEMA, mixed_records(1)[0])}
LIBS = ["turboavro", "fastavro"] + (["cavro"] if cavro is not None else [])


def _encoder(lib, schema):
    if lib == "turboavro":
        return ta.Encoder(schema).encode
    if lib == "fastavro":
        parsed = fastavro.parse_schema(schema)

        def enc(rec):
            out = io.BytesIO()
            fastavro.schemaless_writer(out, parsed, rec)
            return out.getvalue()

        return enc
    return cavro.Schema(schema).binary_encode


def _decoder(lib, schema):
    if lib == "turboavro":
        return ta.Decoder(schema).decode
    if lib == "fastavro":
        parsed = fastavro.parse_schema(schema)
        return lambda data: fastavro.schemaless_reader(io.BytesIO(data), parsed, parsed)
    return cavro.Schema(schema).binary_decode


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("shape", ["flat", "mixed"])
def test_encode_one_record(benchmark, shape, lib):
    schema, rec = SHAPES[shape]
    benchmark.group = f"encode one {shape} record"
    encode = _encoder(lib, schema)
    assert encode(rec) == ta.Encoder(schema).encode(rec)
    benchmark(encode, rec)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("shape", ["flat", "mixed"])
def test_decode_one_record(benchmark, shape, lib):
    schema, rec = SHAPES[shape]
    benchmark.group = f"decode one {shape} record"
    data = ta.Encoder(schema).encode(rec)
    decode = _decoder(lib, schema)
    benchmark(decode, data)


# -- evolved reader schema: target >= 0.95x of the plain decode ------------------------------

EVOLVED_READER = {
    "type": "record", "name": "Flat", "namespace": "bench.v2",
    "fields": [
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "identifier", "type": "long", "aliases": ["id"]},
        {"name": "count", "type": "long"},  # int -> long
        {"name": "value", "type": "double"},
        {"name": "ratio", "type": "double"},  # float -> double
        {"name": "source", "type": "string", "default": "legacy"},  # added with a default
        # "flag" dropped: skipped by a typed skipper
    ],
}

# Every kind of evolution on the mixed shape at once, nothing dropped: a renamed field (alias),
# promotions (long -> double, array<long> -> array<double>), an enum symbol added, fields added
# with defaults (top level and in the nested record), the fields reordered.
EVOLVED_MIXED_READER = {
    "type": "record", "name": "Event", "namespace": "bench.v2",
    "fields": [
        {"name": "place", "type": {"type": "record", "name": "Place", "fields": [
            {"name": "city", "type": "string"}, {"name": "zip", "type": "long"},
            {"name": "country", "type": "string", "default": "NL"}]}},
        {"name": "kind", "type": {"type": "enum", "name": "Kind",
                                  "symbols": ["CLICK", "VIEW", "BUY", "SHARE", "OTHER", "LIKE"]}},
        {"name": "attrs", "type": {"type": "map", "values": "string"}},
        {"name": "tags", "type": {"type": "array", "items": "double"}},
        {"name": "score", "type": "double"},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "ts", "type": "double"},
        {"name": "event_id", "type": "string", "aliases": ["id"]},
        {"name": "region", "type": "string", "default": "eu"},
    ],
}

N_BLOCK = 10_000


@pytest.mark.parametrize("mode", ["plain", "evolved"])
@pytest.mark.parametrize("shape", ["flat", "mixed"])
def test_decode_block_evolved_reader(benchmark, shape, mode):
    benchmark.group = f"decode {N_BLOCK} {shape} records: plain vs evolved reader"
    schema, gen, evolved = {
        "flat": (FLAT_SCHEMA, flat_records, EVOLVED_READER),
        "mixed": (MIXED_SCHEMA, mixed_records, EVOLVED_MIXED_READER),
    }[shape]
    recs = gen(N_BLOCK)
    buf = bytearray()
    ta.Encoder(schema).encode_many_into(recs, buf)
    dec = ta.Decoder(schema, evolved if mode == "evolved" else None)
    out = dec.decode_block(buf, N_BLOCK)
    assert len(out) == N_BLOCK
    benchmark(dec.decode_block, buf, N_BLOCK)


# -- array<long> of 1M items: target >= 5x cavro --------------------------------------------

ARRAY_SCHEMA = {"type": "array", "items": "long"}
ARRAY = list(range(-500_000, 500_000))


@pytest.mark.parametrize("lib", LIBS)
def test_decode_array_1m(benchmark, lib):
    benchmark.group = "decode array<long> of 1M items"
    data = ta.Encoder(ARRAY_SCHEMA).encode(ARRAY)
    decode = _decoder(lib, ARRAY_SCHEMA)
    assert decode(data) == ARRAY
    benchmark.pedantic(decode, (data,), rounds=5, iterations=1)


@pytest.mark.parametrize("lib", LIBS)
def test_encode_array_1m(benchmark, lib):
    benchmark.group = "encode array<long> of 1M items"
    encode = _encoder(lib, ARRAY_SCHEMA)
    benchmark.pedantic(encode, (ARRAY,), rounds=5, iterations=1)
