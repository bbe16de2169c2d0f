"""One small record at a time through the message framings, turboavro vs fastavro.

fastavro has no framing API, so its side is ``schemaless_writer`` / ``schemaless_reader`` with
the header written and parsed by hand (the usual production code), and a dict as the store.
turboavro's decode side looks the writer schema up in a store too (a dict, or a Catalog).

Run: PYTHONPATH=src python -m pytest benchmarks/bench_framing.py --benchmark-min-rounds=3 -q
Compare the ``group`` rows: each group holds the turboavro and fastavro variant of one operation.
"""
from __future__ import annotations

import io
import struct

import fastavro
import pytest

import turboavro as ta
from turboavro import confluent, single_object

SCHEMA = {
    "type": "record",
    "name": "Event",
    "namespace": "bench",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "user", "type": "string"},
        {"name": "score", "type": "double"},
        {"name": "ok", "type": "boolean"},
        {"name": "ref", "type": ["null", "string"], "default": None},
        {"name": "n", "type": "int"},
    ],
}
RECORD = {"id": 1234567890123, "user": "alice", "score": 0.75, "ok": True, "ref": "r-42", "n": 7}
N = 1000  # messages per benchmark round

TA_SCHEMA = ta.Schema.parse(SCHEMA)
FP = TA_SCHEMA.fingerprint("CRC-64-AVRO")
SCHEMA_ID = 17
FA_SCHEMA = fastavro.parse_schema(SCHEMA)


def fa_single_object_encode(obj):
    out = io.BytesIO()
    out.write(b"\xc3\x01" + FP)
    fastavro.schemaless_writer(out, FA_SCHEMA, obj)
    return out.getvalue()


FA_BY_FP = {FP: FA_SCHEMA}
FA_BY_ID = {SCHEMA_ID: FA_SCHEMA}


def fa_single_object_decode(data):
    if data[:2] != b"\xc3\x01":
        raise ValueError("bad marker")
    schema = FA_BY_FP[data[2:10]]
    return fastavro.schemaless_reader(io.BytesIO(data[10:]), schema, None)


def fa_confluent_encode(obj):
    out = io.BytesIO()
    out.write(b"\x00" + struct.pack(">I", SCHEMA_ID))
    fastavro.schemaless_writer(out, FA_SCHEMA, obj)
    return out.getvalue()


def fa_confluent_decode(data):
    if data[0] != 0:
        raise ValueError("bad magic")
    schema = FA_BY_ID[struct.unpack(">I", data[1:5])[0]]
    return fastavro.schemaless_reader(io.BytesIO(data[5:]), schema, None)


SO_MSG = single_object.encode(RECORD, TA_SCHEMA)
CF_MSG = confluent.encode(RECORD, TA_SCHEMA, SCHEMA_ID)
assert SO_MSG == fa_single_object_encode(RECORD)
assert CF_MSG == fa_confluent_encode(RECORD)
assert fa_single_object_decode(SO_MSG) == RECORD == single_object.decode(SO_MSG, {FP: TA_SCHEMA})
assert fa_confluent_decode(CF_MSG) == RECORD == confluent.decode(CF_MSG, {SCHEMA_ID: TA_SCHEMA})


@pytest.fixture(scope="module")
def catalog():
    with ta.Catalog(":memory:") as cat:
        sid = cat.register("bench-value", SCHEMA)
        yield cat, sid


def loop(fn, arg, *rest):
    def run():
        for _ in range(N):
            fn(arg, *rest)

    return run


@pytest.mark.benchmark(group="single-object encode")
def test_so_encode_turboavro(benchmark):
    benchmark(loop(single_object.encode, RECORD, TA_SCHEMA))


@pytest.mark.benchmark(group="single-object encode")
def test_so_encode_fastavro(benchmark):
    benchmark(loop(fa_single_object_encode, RECORD))


@pytest.mark.benchmark(group="single-object decode")
def test_so_decode_turboavro(benchmark):
    benchmark(loop(single_object.decode, SO_MSG, {FP: TA_SCHEMA}))


@pytest.mark.benchmark(group="single-object decode")
def test_so_decode_turboavro_catalog(benchmark, catalog):
    cat, _ = catalog
    benchmark(loop(single_object.decode, SO_MSG, cat))


@pytest.mark.benchmark(group="single-object decode")
def test_so_decode_fastavro(benchmark):
    benchmark(loop(fa_single_object_decode, SO_MSG))


@pytest.mark.benchmark(group="confluent encode")
def test_cf_encode_turboavro(benchmark):
    benchmark(loop(confluent.encode, RECORD, TA_SCHEMA, SCHEMA_ID))


@pytest.mark.benchmark(group="confluent encode")
def test_cf_encode_fastavro(benchmark):
    benchmark(loop(fa_confluent_encode, RECORD))


@pytest.mark.benchmark(group="confluent decode")
def test_cf_decode_turboavro(benchmark):
    benchmark(loop(confluent.decode, CF_MSG, {SCHEMA_ID: TA_SCHEMA}))


@pytest.mark.benchmark(group="confluent decode")
def test_cf_decode_turboavro_catalog(benchmark, catalog):
    cat, sid = catalog
    msg = confluent.encode(RECORD, TA_SCHEMA, sid)
    benchmark(loop(confluent.decode, msg, cat))


@pytest.mark.benchmark(group="confluent decode")
def test_cf_decode_fastavro(benchmark):
    benchmark(loop(fa_confluent_decode, CF_MSG))


# Baselines: the bare codec on the body, to show what the framing itself costs.
ENCODER = ta.Encoder(TA_SCHEMA)
DECODER = ta.Decoder(TA_SCHEMA)
BODY = SO_MSG[10:]


@pytest.mark.benchmark(group="single-object encode")
def test_raw_encode_turboavro_baseline(benchmark):
    benchmark(loop(ENCODER.encode, RECORD))


@pytest.mark.benchmark(group="single-object decode")
def test_raw_decode_turboavro_baseline(benchmark):
    benchmark(loop(DECODER.decode, BODY))
