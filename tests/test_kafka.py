"""turboavro.kafka's serializers next to confluent-kafka's, both on our running registry:
byte-identical messages, each side decoding the other's, subject name strategies,
auto.register.schemas and use.latest.version."""
from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from registry_server import Server

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
sr = pytest.importorskip("confluent_kafka.schema_registry")
ck_avro = pytest.importorskip("confluent_kafka.schema_registry.avro")
serialization = pytest.importorskip("confluent_kafka.serialization")

from turboavro import kafka  # noqa: E402
from turboavro.bench import FLAT_SCHEMA, MIXED_SCHEMA, flat_records, mixed_records  # noqa: E402
from turboavro.errors import FramingError, RegistryError  # noqa: E402
from turboavro.registry import Client  # noqa: E402

Ctx = serialization.SerializationContext
VALUE, KEY = serialization.MessageField.VALUE, serialization.MessageField.KEY


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("kafka") / "registry.db") as s:
        yield s


@pytest.fixture()
def clients(server: Server) -> Iterator[tuple[Client, sr.SchemaRegistryClient]]:
    ours = Client(server.url)
    theirs = sr.SchemaRegistryClient({"url": server.url})
    yield ours, theirs
    ours.close()
    theirs.close()


@pytest.mark.parametrize("shape", ["flat", "mixed"])
def test_byte_identical_and_cross_decoding(clients: tuple[Client, sr.SchemaRegistryClient], shape: str) -> None:
    ours, theirs = clients
    schema, records = (FLAT_SCHEMA, flat_records(200)) if shape == "flat" else (MIXED_SCHEMA, mixed_records(200))
    text = json.dumps(schema)
    ctx = Ctx(f"bytes-{shape}", VALUE)
    mine = kafka.AvroSerializer(ours, text)
    # confluent-kafka's default strategy asks /associations first: our 404 makes it fall back
    # to the topic strategy, the same subject as ours
    their = ck_avro.AvroSerializer(theirs, text)
    our_msgs = [mine(r, ctx) for r in records]
    their_msgs = [their(r, ctx) for r in records]
    assert our_msgs == their_msgs
    assert our_msgs[0][:1] == b"\x00"
    sid = int.from_bytes(our_msgs[0][1:5], "big")
    assert ours.get_latest(f"bytes-{shape}-value").id == sid
    my_reader = kafka.AvroDeserializer(ours)
    their_reader = ck_avro.AvroDeserializer(theirs)
    assert [my_reader(m, ctx) for m in their_msgs] == [their_reader(m, ctx) for m in our_msgs]
    if shape == "mixed":  # (flat has a float field: values come back rounded to 32 bits)
        assert [my_reader(m, ctx) for m in their_msgs] == records
    assert mine(None, ctx) is None and my_reader(None, ctx) is None


def test_subject_strategies(clients: tuple[Client, sr.SchemaRegistryClient]) -> None:
    ours, theirs = clients
    text = json.dumps(FLAT_SCHEMA)
    record = flat_records(1)[0]
    ctx = Ctx("strat", VALUE)
    cases = [
        (kafka.record_subject_name_strategy, sr.record_subject_name_strategy, "bench.Flat"),
        (kafka.topic_record_subject_name_strategy, sr.topic_record_subject_name_strategy, "strat-bench.Flat"),
        (kafka.topic_subject_name_strategy, sr.topic_subject_name_strategy, "strat-value"),
    ]
    for mine, theirs_strategy, subject in cases:
        ours_msg = kafka.AvroSerializer(ours, text, {"subject.name.strategy": mine})(record, ctx)
        their_msg = ck_avro.AvroSerializer(theirs, text, conf={"subject.name.strategy": theirs_strategy})(record, ctx)
        assert ours_msg == their_msg
        assert subject in theirs.get_subjects()
        # confluent-kafka's own strategy functions plug into ours
        assert kafka.AvroSerializer(ours, text, {"subject.name.strategy": theirs_strategy})(record, ctx) == ours_msg
    key_msg = kafka.AvroSerializer(ours, '"string"')("k1", Ctx("strat", KEY))
    assert ours.get_latest("strat-key").id == int.from_bytes(key_msg[1:5], "big")
    assert key_msg[5:] == b"\x04k1"


def test_auto_register_off_and_latest(clients: tuple[Client, sr.SchemaRegistryClient]) -> None:
    ours, theirs = clients
    v1 = {"type": "record", "name": "Evo", "namespace": "t", "fields": [{"name": "a", "type": "long"}]}
    v2 = dict(v1, fields=[*v1["fields"], {"name": "b", "type": ["null", "string"], "default": None}])
    ctx = Ctx("evo", VALUE)
    lookup_only = kafka.AvroSerializer(ours, json.dumps(v1), {"auto.register.schemas": False})
    with pytest.raises(RegistryError) as info:
        lookup_only({"a": 1}, ctx)
    assert info.value.error_code == 40401
    id1 = ours.register("evo-value", v1).id
    assert lookup_only({"a": 1}, ctx) == b"\x00" + id1.to_bytes(4, "big") + b"\x02"
    id2 = ours.register("evo-value", v2).id
    latest = kafka.AvroSerializer(ours, None, {"auto.register.schemas": False, "use.latest.version": True})
    msg = latest({"a": 1, "b": "x"}, ctx)
    assert msg == ck_avro.AvroSerializer(theirs, None, conf={"auto.register.schemas": False, "use.latest.version": True})({"a": 1, "b": "x"}, ctx)
    assert int.from_bytes(msg[1:5], "big") == id2
    # reading old data with the new schema (schema resolution), and new data as written
    reader = kafka.AvroDeserializer(ours, reader_schema=v2)
    assert reader(lookup_only({"a": 5}, ctx), ctx) == {"a": 5, "b": None}
    assert kafka.AvroDeserializer(ours, from_dict=lambda v, c: (c.topic, v))(msg, ctx) == ("evo", {"a": 1, "b": "x"})
    pinned = kafka.AvroSerializer(ours, None, {"use.schema.id": id1})
    assert pinned({"a": 2}, ctx) == b"\x00" + id1.to_bytes(4, "big") + b"\x04"


def test_bad_configuration_and_messages(clients: tuple[Client, sr.SchemaRegistryClient]) -> None:
    ours, _ = clients
    with pytest.raises(ValueError, match="Unrecognized"):
        kafka.AvroSerializer(ours, '"string"', {"no.such.key": 1})
    with pytest.raises(ValueError, match="both"):
        kafka.AvroSerializer(ours, '"string"', {"use.latest.version": True})
    with pytest.raises(ValueError, match="schema is required"):
        kafka.AvroSerializer(ours, None)
    with pytest.raises(FramingError):
        kafka.AvroDeserializer(ours)(b"\x01\x00\x00\x00\x01\x02", Ctx("t", VALUE))


def test_schema_references(clients: tuple[Client, sr.SchemaRegistryClient]) -> None:
    ours, theirs = clients
    addr = '{"type":"record","name":"Addr","namespace":"t","fields":[{"name":"city","type":"string"}]}'
    person = '{"type":"record","name":"Person","namespace":"t","fields":[{"name":"home","type":"t.Addr"}]}'
    ours.register("addr-value", addr)
    ctx = Ctx("people", VALUE)
    value = {"home": {"city": "Oslo"}}
    mine = kafka.AvroSerializer(ours, person, references=[("t.Addr", "addr-value", 1)])(value, ctx)
    ref = sr.SchemaReference("t.Addr", "addr-value", 1)
    their = ck_avro.AvroSerializer(theirs, sr.Schema(person, "AVRO", [ref]))(value, ctx)
    assert mine == their
    assert kafka.AvroDeserializer(ours)(their, ctx) == value == ck_avro.AvroDeserializer(theirs)(mine, ctx)
    with pytest.raises(ValueError, match="references"):
        kafka.AvroSerializer(ours, ours.schema_by_id(1), references=[("t.Addr", "addr-value", 1)])
