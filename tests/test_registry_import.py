"""``turboavro registry import --from URL``: a second instance of our server is the source;
the copy (into a catalog file, or into a running server through IMPORT mode) keeps every
subject, version number, id, reference, soft deletion and level."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry_server import Server, http

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from turboavro.cli import main  # noqa: E402


def rec(name: str, *fields: str) -> dict[str, Any]:
    body = ",".join(fields)
    return {"schema": f'{{"type":"record","name":"{name}","namespace":"imp","fields":[{body}]}}'}


A = '{"name":"a","type":"long"}'
B = '{"name":"b","type":["null","string"],"default":null}'


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("src") / "source.db") as s:
        url = s.url
        post = lambda path, body: http(url, "POST", path, body)  # noqa: E731
        assert post("/subjects/throwaway/versions", rec("Gone", A))[0] == 200  # id 1, hard-deleted below
        assert post("/subjects/orders-value/versions", rec("Order", A))[0] == 200
        assert post("/subjects/orders-value/versions", rec("Order", A, B))[0] == 200
        assert post("/subjects/orders-key/versions", {"schema": '"string"'})[0] == 200
        assert post("/subjects/addr/versions", rec("Addr", '{"name":"city","type":"string"}'))[0] == 200
        ref = dict(rec("Person", '{"name":"home","type":"imp.Addr"}'), references=[{"name": "imp.Addr", "subject": "addr", "version": 1}])
        assert post("/subjects/person-value/versions", ref)[0] == 200
        assert post("/subjects/shared-copy/versions", rec("Order", A))[0] == 200  # same id as orders v1
        assert post("/subjects/soft/versions", rec("Soft", A))[0] == 200
        assert http(url, "DELETE", "/subjects/soft")[0] == 200
        assert http(url, "DELETE", "/subjects/orders-value/versions/1")[0] == 200
        assert http(url, "DELETE", "/subjects/throwaway")[0] == 200
        assert http(url, "DELETE", "/subjects/throwaway?permanent=true")[0] == 200
        assert http(url, "PUT", "/config/orders-value", {"compatibility": "FULL"})[0] == 200
        assert http(url, "PUT", "/config", {"compatibility": "FORWARD"})[0] == 200
        yield s


def snapshot(url: str) -> dict[str, Any]:
    out: dict[str, Any] = {"global": http(url, "GET", "/config")[1]}
    for subject in http(url, "GET", "/subjects?deleted=true")[1]:
        live = http(url, "GET", f"/subjects/{subject}/versions")
        versions = []
        for v in http(url, "GET", f"/subjects/{subject}/versions?deleted=true")[1]:
            body = http(url, "GET", f"/subjects/{subject}/versions/{v}?deleted=true")[1]
            versions.append((v, body["id"], body["schema"], body.get("references"), live[0] == 200 and v in live[1]))
        level = http(url, "GET", f"/config/{subject}")
        out[subject] = (versions, level[1] if level[0] == 200 else None)
    return out


def test_import_into_catalog_file(source: Server, tmp_path: Path) -> None:
    before = snapshot(source.url)
    assert before["soft"][0][0][4] is False and before["orders-value"][0][0][4] is False
    db = tmp_path / "copy.db"
    assert main(["registry", "import", "--from", source.url, "--db", str(db)]) == 0
    with Server(db) as copy:
        assert snapshot(copy.url) == before
        assert http(copy.url, "GET", "/mode") == (200, {"mode": "READWRITE"})
        # ids and versions continue above the imported ones
        status, body = http(copy.url, "POST", "/subjects/orders-value/versions", rec("Order", A, B, '{"name":"c","type":"int","default":0}'))
        top = max(v[1] for subject, entry in before.items() if subject != "global" for v in entry[0])
        assert status == 200 and body["id"] == top + 1 and body["version"] == 3
    # a catalog holding versions is refused
    assert main(["registry", "import", "--from", source.url, "--db", str(db)]) == 1


def test_import_into_running_server(source: Server, tmp_path: Path) -> None:
    before = snapshot(source.url)
    with Server(tmp_path / "target.db") as target:
        assert main(["registry", "import", "--from", source.url, "--to", target.url]) == 0
        assert snapshot(target.url) == before
        status, body = http(target.url, "GET", "/schemas/ids/1")
        assert status == 404  # the source's hard-deleted id stays unused
        assert main(["registry", "import", "--from", source.url, "--to", target.url]) == 1


def test_other_schema_types_are_skipped(tmp_path: Path) -> None:
    """A source holding JSON Schema versions too (as a Confluent registry may): those are
    reported, the Avro ones copied. The source here is a small fixed-answer HTTP server."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from turboavro.catalog import Catalog
    from turboavro.registry import Client
    from turboavro.registry.importer import import_registry

    avro = '{"type":"record","name":"Av","fields":[{"name":"a","type":"long"}]}'
    answers: dict[str, Any] = {
        "/config": {"compatibilityLevel": "BACKWARD"},
        "/subjects?deleted=true": ["j-value", "a-value"],
        "/subjects/j-value/versions?deleted=true": [1],
        "/subjects/j-value/versions?deleted=false": [1],
        "/subjects/j-value/versions/1?deleted=true": {"subject": "j-value", "version": 1, "id": 3, "schemaType": "JSON", "schema": "{}"},
        "/subjects/a-value/versions?deleted=true": [1],
        "/subjects/a-value/versions?deleted=false": [1],
        "/subjects/a-value/versions/1?deleted=true": {"subject": "a-value", "version": 1, "id": 4, "schema": avro},
    }

    class Source(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path.startswith("/config/"):
                status, body = 404, {"error_code": 40408, "message": "no subject-level config"}
            elif self.path in answers:
                status, body = 200, answers[self.path]
            else:
                status, body = 404, {"error_code": 404, "message": self.path}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    front = ThreadingHTTPServer(("127.0.0.1", 0), Source)
    thread = threading.Thread(target=front.serve_forever, daemon=True)
    thread.start()
    try:
        skipped: list[Any] = []
        with Client(f"http://127.0.0.1:{front.server_address[1]}") as source, Catalog(tmp_path / "c.db") as cat:
            assert import_registry(source, cat, skipped) == 1
            assert [(v.subject, v.schema_type) for v in skipped] == [("j-value", "JSON")]
            got = cat.get_version("a-value", 1)
            assert (got.id, got.text) == (4, avro)
            assert cat.subjects() == ["a-value"] and cat.get_mode() == "READWRITE"
    finally:
        front.shutdown()
        front.server_close()
