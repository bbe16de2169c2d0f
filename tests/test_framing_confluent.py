"""Confluent framing interop with confluent-kafka's AvroSerializer / AvroDeserializer and its
``mock://`` schema registry (SPEC.md §2, message framings).

confluent-kafka[schemaregistry] is in the "test" extra, so these run in CI; the wheel tests
on platforms without its wheels (cibuildwheel test-requires) skip this module only."""
from __future__ import annotations

import json

import pytest

from test_framing import ANN, USER
from turboavro import confluent
from turboavro.framing import detect_framing

sr = pytest.importorskip("confluent_kafka.schema_registry")
serialization = pytest.importorskip("confluent_kafka.serialization")
sr_avro = pytest.importorskip("confluent_kafka.schema_registry.avro")




@pytest.fixture
def registry():
    client = sr.SchemaRegistryClient.new_client({"url": "mock://turboavro-tests"})
    yield client
    for subject in client.get_subjects():
        client.delete_subject(subject, permanent=True)


NESTED = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount", "type": "double"},
        {"name": "lines", "type": {"type": "array", "items": {
            "type": "record", "name": "Line", "fields": [
                {"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}]}}},
        {"name": "attrs", "type": {"type": "map", "values": "string"}},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}
ORDER = {
    "id": "o-1",
    "amount": 12.25,
    "lines": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": -1}],
    "attrs": {"k": "v"},
    "status": "PAID",
    "note": None,
}


@pytest.mark.parametrize("schema, value", [(USER, ANN), (NESTED, ORDER)], ids=["user", "order"])
def test_confluent_kafka_serializer_frames_decode(registry, schema, value):
    ctx = serialization.SerializationContext("orders", serialization.MessageField.VALUE)
    ser = sr_avro.AvroSerializer(registry, json.dumps(schema))
    frame = ser(value, ctx)
    sid = int.from_bytes(frame[1:5], "big")
    store = {sid: registry.get_schema(sid).schema_str}
    assert detect_framing(frame) == "confluent"
    assert confluent.decode(frame, store) == value
    # and our encoder produces the very same bytes
    assert confluent.encode(value, schema, sid) == frame


@pytest.mark.parametrize("schema, value", [(USER, ANN), (NESTED, ORDER)], ids=["user", "order"])
def test_turboavro_frames_decode_with_confluent_kafka(registry, schema, value):
    ctx = serialization.SerializationContext("orders", serialization.MessageField.VALUE)
    sid = registry.register_schema("orders-value", sr.Schema(json.dumps(schema), "AVRO"))
    frame = confluent.encode(value, schema, sid)
    des = sr_avro.AvroDeserializer(registry)
    assert des(frame, ctx) == value


