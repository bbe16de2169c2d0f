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
