"""The registry server against confluent-kafka's own SchemaRegistryClient, and raw HTTP.

The server really runs (``turboavro registry serve`` in a subprocess on a loopback port);
every SchemaRegistryClient method for subjects, versions, ids, lookup, compatibility,
config, mode and deletes is called, with Confluent's error codes checked.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry_server import Server, http

sr = pytest.importorskip("confluent_kafka.schema_registry")
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
from confluent_kafka.schema_registry import Schema, SchemaReference  # noqa: E402
from confluent_kafka.schema_registry.error import SchemaRegistryError  # noqa: E402

V1 = '{"type":"record","name":"User","namespace":"t","fields":[{"name":"id","type":"long"}]}'
V2 = ('{"type":"record","name":"User","namespace":"t","fields":[{"name":"id","type":"long"},'
      '{"name":"email","type":["null","string"],"default":null}]}')
BAD = ('{"type":"record","name":"User","namespace":"t","fields":[{"name":"id","type":"long"},'
       '{"name":"age","type":"int"}]}')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("reg") / "registry.db") as s:
        yield s


@pytest.fixture()
def client(server: Server) -> Iterator[sr.SchemaRegistryClient]:
    c = sr.SchemaRegistryClient({"url": server.url})
    yield c
    c.close()


def code_of(call: object, *args: object, **kwargs: object) -> tuple[int, int]:
    with pytest.raises(SchemaRegistryError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return info.value.http_status_code, info.value.error_code


def avro(text: str) -> Schema:
    return Schema(text, "AVRO")


def test_register_get_lookup(client: sr.SchemaRegistryClient) -> None:
    sid = client.register_schema("reg-value", avro(V1))
    assert sid >= 1
    # identical content: the same id, no new version, in this and in other subjects
    assert client.register_schema("reg-value", avro(V1)) == sid
    client.clear_caches()
    assert client.register_schema("reg-value", avro(V1.replace(",", ", "))) == sid
    assert client.register_schema("reg-other", avro(V1)) == sid
    assert client.get_versions("reg-value") == [1]
    full = client.register_schema_full_response("reg-value", avro(V2))
    assert (full.version, full.subject) == (2, "reg-value")
    assert full.schema_id not in (sid, None)
    assert json.loads(client.get_schema(sid).schema_str) == json.loads(V1)
    found = client.lookup_schema("reg-value", avro(V2))
    assert (found.schema_id, found.version) == (full.schema_id, 2)
    latest = client.get_latest_version("reg-value")
    assert (latest.version, latest.schema_id) == (2, full.schema_id)
    v1 = client.get_version("reg-value", 1)
    assert (v1.schema_id, json.loads(v1.schema.schema_str)) == (sid, json.loads(V1))
    assert sorted(client.get_subjects_by_schema_id(sid)) == ["reg-other", "reg-value"]
    pairs = client.get_schema_versions(sid)
    assert sorted((p.subject, p.version) for p in pairs) == [("reg-other", 1), ("reg-value", 1)]
    assert {"reg-value", "reg-other"} <= set(client.get_subjects())
    assert client.get_schema_types() == ["AVRO"]
    assert client.get_contexts() == ["."]


def test_error_codes(client: sr.SchemaRegistryClient) -> None:
    client.register_schema("err-value", avro(V1))
    assert code_of(client.get_schema, 999_999) == (404, 40403)
    assert code_of(client.get_latest_version, "no-such-subject") == (404, 40401)
    assert code_of(client.get_version, "err-value", 7) == (404, 40402)
    assert code_of(client.get_versions, "no-such-subject") == (404, 40401)
    assert code_of(client.lookup_schema, "no-such-subject", avro(V1)) == (404, 40401)
    assert code_of(client.lookup_schema, "err-value", avro(V2)) == (404, 40403)
    assert code_of(client.register_schema, "err-value", avro(BAD)) == (409, 40901)
    assert code_of(client.register_schema, "err-value", avro('{"type": "recrod"}')) == (422, 42201)
    assert code_of(client.register_schema, "err-value", Schema('{"type":"object"}', "JSON")) == (422, 42201)
    assert code_of(client.register_schema, "err-value", Schema('syntax = "proto3";', "PROTOBUF")) == (422, 42201)
    assert code_of(client.set_compatibility, "err-value", "SIDEWAYS") == (422, 42203)
    assert code_of(client.update_mode, "err-value", "SOMETIMES") == (422, 42204)
    assert code_of(client.get_compatibility, "err-value") == (404, 40408)
    assert code_of(client.get_mode, "err-value") == (404, 40409)
    assert code_of(client.delete_config, "err-value") == (404, 40408)
    # no guids (schema ids only) and no associations are kept
    assert code_of(client.get_schema_by_guid, "5b9e7b0e-8c1a-4c7e-9d0e-2f1a3b4c5d6e") == (404, 40403)
    assert code_of(client.get_associations_by_resource_name, "orders", "-") == (404, 40410)


def test_compatibility(client: sr.SchemaRegistryClient) -> None:
    client.register_schema("compat-value", avro(V1))
    assert client.test_compatibility("compat-value", avro(V2)) is True
    assert client.test_compatibility("compat-value", avro(BAD)) is False
    assert client.test_compatibility_all_versions("compat-value", avro(BAD)) is False
    assert client.test_compatibility("compat-value", avro(V2), version=1) is True
    assert code_of(client.test_compatibility, "compat-value", avro(V2), version=5) == (404, 40402)
    assert code_of(client.test_compatibility, "nothing-here", avro(V2)) == (404, 40401)
    # verbose: the checker's messages, Confluent's wording
    client2 = client._rest_client
    answer = client2.post("compatibility/subjects/compat-value/versions/latest?verbose=True", body={"schema": BAD})
    assert answer["is_compatible"] is False
    text = " ".join(answer["messages"])
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in text and "'age'" in text and "oldSchemaVersion: 1" in text
    client.set_compatibility("compat-value", "NONE")
    assert client.test_compatibility("compat-value", avro(BAD)) is True
    assert client.register_schema_full_response("compat-value", avro(BAD)).version == 2


def test_config(client: sr.SchemaRegistryClient) -> None:
    assert client.get_compatibility() == "BACKWARD"
    assert client.set_compatibility(level="FULL") == {"compatibility": "FULL"}
    assert client.get_compatibility() == "FULL"
    assert client.get_config().compatibility_level.value == "FULL"
    assert client.delete_config().compatibility_level.value == "FULL"
    assert client.get_compatibility() == "BACKWARD"
    for level in ("BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"):
        client.set_compatibility("cfg-value", level.lower())
        assert client.get_compatibility("cfg-value") == level
    from confluent_kafka.schema_registry import ServerConfig
    from confluent_kafka.schema_registry.common.schema_registry_client import (
        ConfigCompatibilityLevel,
    )

    client.set_config("cfg-value", ServerConfig(compatibility=ConfigCompatibilityLevel.FORWARD))
    assert client.get_config("cfg-value").compatibility_level.value == "FORWARD"
    assert client.delete_config("cfg-value").compatibility_level.value == "FORWARD"
    assert code_of(client.get_config, "cfg-value") == (404, 40408)
    # defaultToGlobal
    status, body = http(client._rest_client.base_urls[0], "GET", "/config/cfg-value?defaultToGlobal=TRUE")
    assert (status, body) == (200, {"compatibilityLevel": "BACKWARD"})


def test_levels_enforced(client: sr.SchemaRegistryClient) -> None:
    client.set_compatibility("fwd-value", "FORWARD")
    client.register_schema("fwd-value", avro(V2))
    # removing a field with a default is FORWARD-compatible; adding a required one is too
    assert client.register_schema_full_response("fwd-value", avro(BAD)).version == 2
    assert code_of(client.register_schema, "fwd-value", avro('{"type":"record","name":"User","namespace":"t","fields":[]}')) == (409, 40901)


def test_modes(client: sr.SchemaRegistryClient, server: Server) -> None:
    assert client.get_global_mode() == "READWRITE"
    client.register_schema("mode-value", avro(V1))
    assert client.update_mode("mode-value", "READONLY") == "READONLY"
    assert client.get_mode("mode-value") == "READONLY"
    assert code_of(client.register_schema, "mode-value", avro(V2)) == (422, 42205)
    assert code_of(client.delete_version, "mode-value", 1) == (422, 42205)
    assert client.delete_mode("mode-value") == "READONLY"
    assert code_of(client.get_mode, "mode-value") == (404, 40409)
    # IMPORT needs an empty subject unless forced, and keeps the given ids and versions
    assert code_of(client.update_mode, "mode-value", "IMPORT") == (422, 42205)
    assert client.update_mode("imp-value", "IMPORT") == "IMPORT"
    status, body = http(server.url, "POST", "/subjects/imp-value/versions", {"schema": V1})
    assert (status, body["error_code"]) == (422, 42205)  # IMPORT: an id is required
    fresh = V1.replace("User", "Imported")
    status, body = http(server.url, "POST", "/subjects/imp-value/versions", {"schema": V2, "id": 5000, "version": 7})
    assert (status, body["error_code"]) == (422, 42207)  # this content already has another id
    status, body = http(server.url, "POST", "/subjects/imp-value/versions", {"schema": fresh, "id": 5000, "version": 7})
    assert (status, body["id"], body["version"]) == (200, 5000, 7)
    status, body = http(server.url, "POST", "/subjects/imp-value/versions", {"schema": BAD, "id": 5000, "version": 8})
    assert (status, body["error_code"]) == (422, 42207)  # the id holds another schema
    client.delete_mode("imp-value")
    # ids continue above imported ones; versions continue above imported ones
    later = fresh.replace('"long"}', '"long"},{"name":"n","type":"int","default":0}')
    full = client.register_schema_full_response("imp-value", avro(later))
    assert full.schema_id > 5000 and full.version == 8
    status, body = http(server.url, "POST", "/subjects/mode-value/versions", {"schema": V2, "id": 6000})
    assert (status, body["error_code"]) == (422, 42205)  # not in IMPORT mode
    assert client.update_global_mode("READONLY") == "READONLY"
    try:
        assert code_of(client.register_schema, "other-value", avro(V1)) == (422, 42205)
    finally:
        assert client.update_global_mode("READWRITE") == "READWRITE"


def test_deletes(client: sr.SchemaRegistryClient) -> None:
    s = "del-value"
    d1, d2 = V1.replace("User", "Deleted"), V2.replace("User", "Deleted")  # content only here
    client.register_schema(s, avro(d1))
    sid2 = client.register_schema(s, avro(d2))
    assert code_of(client.delete_version, s, 1, permanent=True) == (404, 40407)
    assert client.delete_version(s, 1) == 1
    assert code_of(client.delete_version, s, 1) == (404, 40406)
    assert client.get_versions(s) == [2]
    assert client.get_versions(s, deleted=True) == [1, 2]
    status, body = http(client._rest_client.base_urls[0], "GET", f"/subjects/{s}/versions?deletedOnly=true")
    assert body == [1]
    status, body = http(client._rest_client.base_urls[0], "GET", f"/subjects/{s}/versions?deletedAsNegative=true")
    assert body == [-1, 2]
    assert code_of(client.get_version, s, 1) == (404, 40402)
    assert client.get_version(s, 1, deleted=True).version == 1
    assert client.delete_version(s, 1, permanent=True) == 1
    assert client.get_versions(s, deleted=True) == [2]
    assert code_of(client.delete_subject, s, permanent=True) == (404, 40405)
    assert client.delete_subject(s) == [2]
    assert code_of(client.delete_subject, s) == (404, 40404)
    assert s not in client.get_subjects()
    assert s in client.get_subjects(deleted=True)
    assert s in client.get_subjects(deleted_only=True)
    assert client.get_schema(sid2).schema_str  # a soft-deleted version's id still resolves
    assert client.lookup_schema(s, avro(d2), deleted=True).version == 2
    assert client.delete_subject(s, permanent=True) == [2]
    client.clear_caches()
    assert code_of(client.get_schema, sid2) == (404, 40403)
    assert code_of(client.delete_subject, s) == (404, 40401)
    # a new registration after a delete gets a new version number, never a reused one
    assert client.register_schema_full_response(s, avro(d1)).version == 3


def test_references(client: sr.SchemaRegistryClient) -> None:
    addr = '{"type":"record","name":"Address","namespace":"t","fields":[{"name":"city","type":"string"}]}'
    client.register_schema("addr-value", avro(addr))
    person = ('{"type":"record","name":"Person","namespace":"t","fields":[{"name":"home","type":"t.Address"}]}')
    with_ref = Schema(person, "AVRO", [SchemaReference("t.Address", "addr-value", 1)])
    pid = client.register_schema("person-value", with_ref)
    assert client.get_referenced_by("addr-value", 1) == [pid]
    got = client.get_schema(pid)
    assert [(r.name, r.subject, r.version) for r in got.references] == [("t.Address", "addr-value", 1)]
    assert client.lookup_schema("person-value", with_ref).schema_id == pid
    missing = Schema(person, "AVRO", [SchemaReference("t.Address", "addr-value", 9)])
    assert code_of(client.register_schema, "person2-value", missing) == (422, 42201)
    assert code_of(client.register_schema, "person3-value", avro(person)) == (422, 42201)
    client.delete_version("person-value", 1)
    assert code_of(client.delete_version, "addr-value", 1) == (422, 42206)


def test_metadata(client: sr.SchemaRegistryClient, server: Server) -> None:
    meta = {"properties": {"owner": "team-a"}}
    status, body = http(server.url, "POST", "/subjects/meta-value/versions", {"schema": V1, "metadata": meta})
    assert status == 200
    got = client.get_latest_with_metadata("meta-value", {"owner": "team-a"})
    assert got.version == 1 and got.schema_id == body["id"]
    assert code_of(client.get_latest_with_metadata, "meta-value", {"owner": "team-b"}) == (404, 40403)


def test_raw_http_contract(server: Server) -> None:
    url = server.url
    http(url, "POST", "/subjects/raw-value/versions", {"schema": V1})
    # case-insensitive booleans, as confluent-kafka sends them
    for text in ("True", "TRUE", "true"):
        assert http(url, "GET", f"/subjects/raw-value/versions?deleted={text}") == (200, [1])
    assert http(url, "GET", "/subjects/raw-value/versions?deleted=maybe")[0] == 400
    assert http(url, "GET", "/subjects/raw-value/versions?offset=x")[0] == 400
    # associations: 404, so confluent-kafka >= 2.14 falls back to the topic strategy
    status, body = http(url, "GET", "/associations/resources/-/raw?resourceType=topic&associationType=value")
    assert (status, body["error_code"]) == (404, 40410)
    assert http(url, "GET", "/nowhere")[0] == 404
    assert http(url, "PATCH", "/config")[0] == 405
    # malformed bodies: 4xx with an error body, never 500
    assert http(url, "POST", "/subjects/raw-value/versions", raw=b"{not json")[0] == 400
    assert http(url, "POST", "/subjects/raw-value/versions", raw=b"[1, 2]")[1]["error_code"] == 42201
    assert http(url, "POST", "/subjects/raw-value/versions", {"schema": 5})[1]["error_code"] == 42201
    assert http(url, "POST", "/subjects/raw-value/versions", {"schema": V1, "references": 3})[1]["error_code"] == 42201
    assert http(url, "POST", "/subjects/raw-value/versions", raw=b"[" * 100_000)[0] in (400, 422)
    assert http(url, "GET", "/schemas/ids/abc")[1]["error_code"] == 40403
    assert http(url, "GET", "/subjects/raw-value/versions/0")[1]["error_code"] == 42202
    assert http(url, "GET", "/subjects/raw-value/versions/latest/schema") == (200, json.loads(V1))
    status, body = http(url, "GET", "/schemas/ids/1/schema")
    assert status == 200 and isinstance(body, dict)
    status, body = http(url, "GET", "/schemas?subjectPrefix=raw-")
    assert [(b["subject"], b["version"]) for b in body] == [("raw-value", 1)]
    status, doc = http(url, "GET", "/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.") and "/subjects/{subject}/versions" in doc["paths"]


def test_turboavro_client(server: Server, tmp_path: Path) -> None:
    from turboavro import confluent, single_object
    from turboavro.errors import RegistryError, UnknownSchemaError
    from turboavro.registry import Client
    from turboavro.schema import Schema as TaSchema

    with Client(server.url) as c:
        reg = c.register("tc-value", V1)
        assert reg.version == 1 and c.register("tc-value", V1) is reg  # cached
        assert c.lookup("tc-value", V1).id == reg.id
        assert c.get_latest("tc-value").id == reg.id
        assert c.get_version("tc-value", 1).id == reg.id
        assert c.versions("tc-value") == [1]
        assert "tc-value" in c.subjects()
        assert c.check_compatibility("tc-value", V2) == (True, [])
        ok, messages = c.check_compatibility("tc-value", BAD, verbose=True)
        assert not ok and any("READER_FIELD_MISSING_DEFAULT_VALUE" in m for m in messages)
        assert c.set_config("FULL", "tc-value") == "FULL"
        assert c.get_config("tc-value", default_to_global=False) == "FULL"
        assert c.delete_config("tc-value") == "FULL"
        assert c.get_mode() == "READWRITE"
        assert c.set_mode("READONLY", "tc-value") == "READONLY"
        with pytest.raises(RegistryError) as info:
            c.register("tc-value", V2)
        assert (info.value.status, info.value.error_code) == (422, 42205)
        assert c.delete_mode("tc-value") == "READONLY"
        with pytest.raises(RegistryError) as info:
            c.get_version("tc-value", 9)
        assert info.value.error_code == 40402
        # the store of both framings
        schema = TaSchema.parse(V1)
        msg = confluent.encode({"id": 7}, schema, reg.id)
        assert confluent.decode(msg, c) == {"id": 7}
        assert c.schema_by_id(reg.id) is c.schema_by_id(reg.id)
        so = single_object.encode({"id": 8}, schema)
        assert single_object.decode(so, c) == {"id": 8}
        with pytest.raises(UnknownSchemaError):
            confluent.decode(confluent.encode({"id": 7}, schema, 987_654), c)
        with pytest.raises(UnknownSchemaError):
            single_object.decode(single_object.encode("x", TaSchema.parse('"string"')), c)


def test_client_retries(tmp_path: Path) -> None:
    """A flaky front (503 twice, then the answer) is retried; a 404 is not."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from turboavro.errors import RegistryError
    from turboavro.registry import Client

    calls: list[str] = []

    class Flaky(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            calls.append(self.path)
            if self.path.startswith("/config") and len(calls) <= 2:
                self._send(503, {"error_code": 50003, "message": "unavailable"})
            elif self.path.startswith("/config"):
                self._send(200, {"compatibilityLevel": "FULL"})
            else:
                self._send(404, {"error_code": 40401, "message": "Subject 'x' not found."})

        def _send(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    front = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=front.serve_forever, daemon=True)
    thread.start()
    try:
        with Client(f"http://127.0.0.1:{front.server_address[1]}", retry_wait=0.01) as c:
            assert c.get_config() == "FULL"
            assert len(calls) == 3
            with pytest.raises(RegistryError) as info:
                c.versions("x")
            assert info.value.error_code == 40401 and len(calls) == 4
    finally:
        front.shutdown()
        front.server_close()


def test_client_fails_over_to_the_next_url(server: Server) -> None:
    from registry_server import free_port
    from turboavro.registry import Client

    with Client(f"http://127.0.0.1:{free_port()},{server.url}", retry_wait=0.01) as c:
        assert c.get_config() in ("BACKWARD", "FULL", "NONE", "FORWARD")
        assert c.register("failover-value", V1).id >= 1
    with pytest.raises(ValueError, match="http"):
        Client("ftp://example")
