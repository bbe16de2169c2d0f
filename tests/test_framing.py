"""Single-object encoding (SPEC.md items 48-49), the Confluent wire format and the framing
detector: byte-exact against the Apache Java vector, fastavro and confluent-kafka."""
from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import turboavro as ta
from turboavro import confluent, single_object
from turboavro.catalog import Catalog
from turboavro.errors import DecodeError, FramingError, UnknownSchemaError
from turboavro.framing import Decoded, detect_framing

DATA = Path(__file__).parent / "data" / "apache-avro" / "share-test" / "data"
MESSAGE_V1 = DATA / "messageV1"
BILL = {"id": 42, "name": "Bill", "tags": ["dog_lover", "cat_hater"]}

USER = {
    "type": "record",
    "name": "User",
    "namespace": "ex",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "name", "type": "string"},
        {"name": "email", "type": ["null", "string"], "default": None},
        {"name": "score", "type": "double"},
    ],
}
USER_V2 = {  # reader: drops score, adds a field with a default (SPEC.md §K)
    "type": "record",
    "name": "User",
    "namespace": "ex",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "name", "type": "string"},
        {"name": "email", "type": ["null", "string"], "default": None},
        {"name": "active", "type": "boolean", "default": True},
    ],
}
ANN = {"id": 7, "name": "Ann", "email": "ann@example.com", "score": 1.5}


def fastavro_body(schema: dict, obj: dict) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), obj)
    return out.getvalue()


# -- single-object ---------------------------------------------------------------------------


def test_java_message_v1_decodes_and_reencodes_byte_for_byte():
    raw = (MESSAGE_V1 / "test_message.bin").read_bytes()
    text = (MESSAGE_V1 / "test_schema.avsc").read_text()
    schema = ta.Schema.parse(text)
    assert raw[:2] == b"\xc3\x01"
    assert raw[2:10] == schema.fingerprint("CRC-64-AVRO") == single_object.fingerprint(raw)
    # any of the store shapes: fingerprint bytes -> schema text, int -> Schema, a Catalog
    assert single_object.decode(raw, {schema.fingerprint(): text}) == BILL
    assert single_object.decode(raw, {int.from_bytes(raw[2:10], "little"): schema}) == BILL
    assert single_object.decode(raw, {int.from_bytes(raw[2:10], "little", signed=True): schema}) == BILL
    assert single_object.decode(raw, {raw[2:10].hex(): schema}) == BILL
    with Catalog(":memory:") as cat:
        cat.register("test-message", text)
        assert single_object.decode(raw, cat) == BILL
        assert single_object.decode(memoryview(raw), cat) == BILL
        assert single_object.decode(bytearray(raw), cat) == BILL
    assert single_object.encode(BILL, schema) == raw
    assert single_object.encode(BILL, text) == raw
    assert single_object.header(schema) == raw[:10]


def test_single_object_layout_matches_fastavro_body():
    schema = ta.Schema.parse(USER)
    msg = single_object.encode(ANN, schema)
    assert msg == b"\xc3\x01" + schema.fingerprint() + fastavro_body(USER, ANN)


def test_single_object_resolution_and_result():
    schema = ta.Schema.parse(USER)
    msg = single_object.encode(ANN, schema)
    store = {schema.fingerprint(): schema}
    got = single_object.decode(msg, store, USER_V2, return_schema=True)
    assert isinstance(got, Decoded)
    assert got.value == {"id": 7, "name": "Ann", "email": "ann@example.com", "active": True}
    assert got.writer_schema == schema
    assert got.fingerprint == schema.fingerprint() and got.schema_id is None
    assert single_object.decode(msg, store, json.dumps(USER_V2)) == got.value


def test_single_object_errors():
    schema = ta.Schema.parse(USER)
    msg = single_object.encode(ANN, schema)
    store = {schema.fingerprint(): schema}
    with pytest.raises(FramingError, match="not Avro single-object: starts with C3 02, expected the marker C3 01"):
        single_object.decode(b"\xc3\x02" + msg[2:], store)
    with pytest.raises(FramingError, match="starts with 00 01"):
        single_object.decode(b"\x00\x01" + msg[2:], store)
    with pytest.raises(FramingError, match="9 bytes, the C3 01 marker and fingerprint need 10"):
        single_object.decode(msg[:9], store)
    with pytest.raises(FramingError, match="empty message"):
        single_object.decode(b"", store)
    with pytest.raises(FramingError):
        single_object.fingerprint(b"\x01\x02")
    # an unknown fingerprint is named in hex
    other = b"\xc3\x01" + bytes(range(8)) + msg[10:]
    with pytest.raises(UnknownSchemaError, match="0001020304050607"):
        single_object.decode(other, store)
    with Catalog(":memory:") as cat, pytest.raises(UnknownSchemaError, match="0001020304050607"):
        single_object.decode(other, cat)
    # a broken body: the offset counts from the start of the message
    with pytest.raises(DecodeError) as info:
        single_object.decode(msg[:-3], store)
    assert info.value.offset is not None and info.value.offset >= 10
    with pytest.raises(DecodeError):
        single_object.decode(msg + b"\x00", store)  # trailing bytes
    with pytest.raises(TypeError):
        single_object.decode(msg, 42)


def test_single_object_with_catalog_store_resolves_by_fingerprint():
    with Catalog(":memory:") as cat:
        cat.register("users", USER)
        msg = single_object.encode(ANN, ta.Schema.parse(json.dumps(USER, indent=2)))
        got = single_object.decode(msg, cat, return_schema=True)
        assert got.value == ANN and got.writer_schema == ta.Schema.parse(USER)


# -- Confluent -------------------------------------------------------------------------------


def test_confluent_layout():
    schema = ta.Schema.parse(USER)
    msg = confluent.encode(ANN, schema, 42)
    assert msg[:5] == b"\x00\x00\x00\x00\x2a"
    assert msg == b"\x00" + struct.pack(">I", 42) + fastavro_body(USER, ANN)
    assert confluent.schema_id(msg) == 42
    assert confluent.encode(ANN, schema, 0x01020304)[:5] == b"\x00\x01\x02\x03\x04"
    assert confluent.header(0xFFFFFFFF) == b"\x00\xff\xff\xff\xff"
    confluent.encode(ANN, schema, 1)  # id 1's header is cached: True / 1.0 must not find it
    for bad in (-1, 1 << 32, True, 1.0, "1"):
        with pytest.raises(FramingError, match="schema id"):
            confluent.encode(ANN, schema, bad)  # type: ignore[arg-type]


def test_confluent_decode_with_catalog_and_mapping():
    with Catalog(":memory:") as cat:
        sid = cat.register("users-value", USER)
        msg = confluent.encode(ANN, USER, sid)
        assert confluent.decode(msg, cat) == ANN
        got = confluent.decode(msg, cat, USER_V2, return_schema=True)
        assert got == Decoded({"id": 7, "name": "Ann", "email": "ann@example.com", "active": True},
                              ta.Schema.parse(USER), sid, None)
        with pytest.raises(UnknownSchemaError, match="id 99"):
            confluent.decode(confluent.encode(ANN, USER, 99), cat)
    assert confluent.decode(msg, {sid: json.dumps(USER)}) == ANN
    with pytest.raises(UnknownSchemaError, match="no schema with id 1 in the store"):
        confluent.decode(msg, {})


def test_confluent_errors():
    msg = confluent.encode(ANN, USER, 1)
    store = {1: USER}
    with pytest.raises(FramingError, match="not a Confluent frame: starts with 0xc3, expected the magic byte 0x00"):
        confluent.decode(b"\xc3" + msg[1:], store)
    with pytest.raises(FramingError, match="4 bytes, the magic byte and schema id need 5"):
        confluent.decode(msg[:4], store)
    with pytest.raises(FramingError, match="empty message"):
        confluent.decode(b"", store)
    with pytest.raises(DecodeError) as info:
        confluent.decode(msg[:7], store)
    assert info.value.offset is not None and info.value.offset >= 5


# -- the detector ----------------------------------------------------------------------------


def test_detect_framing():
    schema = ta.Schema.parse(USER)
    assert detect_framing(single_object.encode(ANN, schema)) == "single-object"
    assert detect_framing(confluent.encode(ANN, schema, 3)) == "confluent"
    assert detect_framing((DATA / "weather.avro").read_bytes()) == "container"
    assert detect_framing((MESSAGE_V1 / "test_message.bin").read_bytes()) == "single-object"
    assert ta.detect_framing is detect_framing
    cases = {
        b"\x03abc": "starts with 0x03: not a single-object or Confluent frame",
        b"": "empty message",
        b"\xc3\x01\x00": "has 3 bytes; the header alone needs 10",
        b"\xc3\x02" + bytes(12): "starts with C3 02: single-object marker is C3 01",
        b"\x00\x01": "starts with 0x00 (Confluent magic) but has 2 bytes",
        b"Obj\x00rest": "pre-1.3 legacy container",
        b"Obj\x02rest": "not a supported container file version",
    }
    for data, reason in cases.items():
        with pytest.raises(FramingError, match=reason.replace("(", r"\(").replace(")", r"\)")):
            detect_framing(data)
    with pytest.raises(FramingError, match="legacy"):
        detect_framing((DATA / "test.avro12").read_bytes())


# -- properties ------------------------------------------------------------------------------

longs = st.integers(-(1 << 63), (1 << 63) - 1)
users = st.fixed_dictionaries(
    {
        "id": longs,
        "name": st.text(max_size=20),
        "email": st.none() | st.text(max_size=20),
        "score": st.floats(allow_nan=False),
    }
)


@settings(max_examples=200, deadline=None)
@given(users, st.integers(0, 0xFFFFFFFF))
def test_round_trips_match_fastavro(user, sid):
    schema = ta.Schema.parse(USER)
    body = fastavro_body(USER, user)
    so = single_object.encode(user, schema)
    cf = confluent.encode(user, schema, sid)
    assert so == b"\xc3\x01" + schema.fingerprint() + body
    assert cf == b"\x00" + sid.to_bytes(4, "big") + body
    assert single_object.decode(so, {schema.fingerprint(): schema}) == user
    assert confluent.decode(cf, {sid: schema}) == user


# -- random schemas (the shared strategies) through a catalog and both framings ----------------

from strategies import (  # noqa: E402
    FASTAVRO_LOGICAL_VARIANTS,
    avro_equal,
    fastavro_compatible,
    schema_and_datum,
)


@settings(max_examples=150, deadline=None)
@given(schema_and_datum(top_level="any", logical_types=FASTAVRO_LOGICAL_VARIANTS))
def test_random_schemas_round_trip_through_catalog(case):
    schema_json, value = case
    schema = ta.Schema.parse(schema_json)
    with Catalog(":memory:") as cat:
        sid = cat.register("s", json.dumps(schema_json))
        assert cat.schema_by_fingerprint(schema.fingerprint()).canonical_form == schema.canonical_form
        so = single_object.encode(value, schema)
        cf = confluent.encode(value, schema, sid)
        assert so[10:] == cf[5:]
        if fastavro_compatible(schema_json):
            assert so[10:] == fastavro_body(schema_json, value)
        assert avro_equal(single_object.decode(so, cat), value)
        assert avro_equal(confluent.decode(cf, cat), value)
