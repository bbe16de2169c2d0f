"""Several server processes on one catalog file, and a crash: 8 clients x 50 registrations
against ``--workers 2``; the whole server is SIGKILLed mid-run and restarted on the same file
while the clients retry; then no registration is lost, no id or version is handed out twice,
and identical content has one id everywhere."""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from registry_server import Server, http

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from turboavro.registry import Client  # noqa: E402

CLIENTS, PER_CLIENT = 8, 50


def schema_of(k: int, i: int) -> str:
    # every fifth registration is the same content for all clients: concurrent identical
    # registrations, in the same subject (clients k and k+4) and in other subjects
    name = f"Shared{i}" if i % 5 == 0 else f"R{k}_{i}"
    return json.dumps({"type": "record", "name": name, "fields": [{"name": "x", "type": "long"}]})


def test_two_workers_sigkill_and_restart(tmp_path: Path) -> None:
    db = tmp_path / "registry.db"
    server = Server(db, "--workers", "2").start()
    try:
        assert http(server.url, "PUT", "/config", {"compatibility": "NONE"})[0] == 200
        results: dict[tuple[str, str], int] = {}
        errors: list[BaseException] = []
        done = [0]
        lock = threading.Lock()

        def work(k: int) -> None:
            client = Client(server.url, max_retries=200, retry_wait=0.02, retry_max_wait=0.3)
            try:
                for i in range(PER_CLIENT):
                    subject, text = f"sub-{k % 4}", schema_of(k, i)
                    sid = client.register(subject, text).id
                    with lock:
                        previous = results.setdefault((subject, text), sid)
                        assert previous == sid, (subject, text, previous, sid)
                        done[0] += 1
            except BaseException as exc:  # reported below, with the thread's failure
                errors.append(exc)
            finally:
                client.close()

        threads = [threading.Thread(target=work, args=(k,)) for k in range(CLIENTS)]
        for t in threads:
            t.start()
        while done[0] < CLIENTS * PER_CLIENT // 3 and not errors:
            time.sleep(0.01)
        server.kill()  # SIGKILL to the supervisor and both workers, mid-registration
        killed_at = done[0]
        time.sleep(0.2)
        server.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        assert done[0] == CLIENTS * PER_CLIENT and killed_at < done[0]
    finally:
        server.stop()

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with Server(db) as again:
        # every registration is there, with the id its client was given
        ids_by_content: dict[str, int] = {}
        for (subject, text), sid in results.items():
            status, body = http(again.url, "POST", f"/subjects/{subject}", {"schema": text})
            assert status == 200 and body["id"] == sid
            assert ids_by_content.setdefault(text, sid) == sid  # one id per content
        assert len(set(ids_by_content.values())) == len(ids_by_content)  # no id for two contents
        # versions: 1..n without gaps or repeats, one per distinct content of the subject
        for n in range(4):
            subject = f"sub-{n}"
            contents = {text for (s, text) in results if s == subject}
            status, versions = http(again.url, "GET", f"/subjects/{subject}/versions")
            assert versions == list(range(1, len(contents) + 1))
            seen = set()
            for v in versions:
                _, body = http(again.url, "GET", f"/subjects/{subject}/versions/{v}")
                assert results[(subject, body["schema"])] == body["id"]
                seen.add(body["schema"])
            assert seen == contents
        # ids were handed out without gaps: no id was burnt or reused by the crash
        status, every = http(again.url, "GET", "/schemas")
        assert sorted({e["id"] for e in every}) == list(range(1, len(ids_by_content) + 1))


def test_separate_servers_share_one_file(tmp_path: Path) -> None:
    """Two independent servers on one file: what one writes the other answers at once, and
    a hard delete through one drops the other's cached answer for that id."""
    db = tmp_path / "shared.db"
    text = json.dumps({"type": "record", "name": "Two", "fields": [{"name": "x", "type": "long"}]})
    with Server(db) as a, Server(db) as b:
        status, body = http(a.url, "POST", "/subjects/two-value/versions", {"schema": text})
        sid = body["id"]
        assert http(b.url, "GET", f"/schemas/ids/{sid}") == (200, {"schema": text})  # cached in b now
        status, body = http(b.url, "POST", "/subjects/two-value/versions", {"schema": text})
        assert (status, body["id"], body["version"]) == (200, sid, 1)  # no second version
        assert http(a.url, "DELETE", "/subjects/two-value")[0] == 200
        assert http(a.url, "DELETE", "/subjects/two-value?permanent=true")[0] == 200
        status, body = http(b.url, "GET", f"/schemas/ids/{sid}")
        assert (status, body["error_code"]) == (404, 40403)
