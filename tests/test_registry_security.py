"""Securing the registry: HTTP Basic auth from a users file (roles read/write/admin), the
--readonly switch and the request body limit, on a running server."""
from __future__ import annotations

import base64
import http.client as httplib
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry_server import Server, http

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from turboavro.cli import main  # noqa: E402
from turboavro.errors import RegistryError  # noqa: E402
from turboavro.registry import Client  # noqa: E402
from turboavro.registry.auth import Users, UsersFileError, hash_password, verify_password  # noqa: E402

SCHEMA = '{"type":"record","name":"S","fields":[{"name":"a","type":"long"}]}'
PASSWORDS = {"reader": "r-secret", "writer": "w-secret", "boss": "a-secret"}


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users.txt"
    for user, role in (("reader", "read"), ("writer", "write"), ("boss", "admin")):
        stdin = sys.stdin
        sys.stdin = io.StringIO(PASSWORDS[user] + "\n")
        try:
            assert main(["registry", "passwd", str(path), user, "--role", role, "--stdin"]) == 0
        finally:
            sys.stdin = stdin
    return path


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory, users_file: Path) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("sec") / "registry.db", "--users", str(users_file)) as s:
        yield s


def test_users_file(users_file: Path) -> None:
    text = users_file.read_text()
    assert "r-secret" not in text and text.count("scrypt$") == 3
    assert users_file.stat().st_mode & 0o077 == 0
    users = Users.load(users_file)
    assert users.role("reader", "r-secret") == "read"
    assert users.role("reader", "wrong") is None and users.role("nobody", "x") is None
    stored = hash_password("pw")
    assert stored != hash_password("pw")  # salted
    assert verify_password("pw", stored) and not verify_password("pw2", stored)
    assert not verify_password("pw", "scrypt$garbage")
    bad = users_file.with_name("bad.txt")
    bad.write_text("someone:superuser:scrypt$1$1$1$AA==$AA==\n")
    with pytest.raises(UsersFileError, match="unknown role"):
        Users.load(bad)
    assert main(["registry", "serve", "--db", str(bad.with_name("x.db")), "--users", str(bad)]) == 1


# (method, path, body, role needed)
REQUESTS = [
    ("GET", "/subjects", None, "read"),
    ("POST", "/subjects/auth-value", {"schema": SCHEMA}, "read"),  # lookup
    ("POST", "/compatibility/subjects/auth-value/versions", {"schema": SCHEMA}, "read"),
    ("POST", "/subjects/auth-value/versions", {"schema": SCHEMA}, "write"),
    ("DELETE", "/subjects/gone-value", None, "write"),
    ("PUT", "/config/auth-value", {"compatibility": "FULL"}, "admin"),
    ("PUT", "/mode/auth-value", {"mode": "READWRITE"}, "admin"),
    ("DELETE", "/config", None, "admin"),
]
RANK = {"read": 0, "write": 1, "admin": 2}
ROLE_OF = {"reader": "read", "writer": "write", "boss": "admin"}


@pytest.mark.parametrize(("method", "path", "body", "needed"), REQUESTS)
def test_auth_matrix(secured: Server, method: str, path: str, body: object, needed: str) -> None:
    status, answer = http(secured.url, method, path, body)
    assert (status, answer["error_code"]) == (401, 40101)
    status, answer = http(secured.url, method, path, body, headers=basic("reader", "nope"))
    assert (status, answer["error_code"]) == (401, 40101)
    status, answer = http(secured.url, method, path, body, headers={"Authorization": "Basic !!!"})
    assert status == 401
    for user, role in ROLE_OF.items():
        status, answer = http(secured.url, method, path, body, headers=basic(user, PASSWORDS[user]))
        if RANK[role] < RANK[needed]:
            assert (status, answer["error_code"]) == (403, 40301), (user, method, path)
        else:
            assert status not in (401, 403), (user, method, path, status, answer)


def test_challenge_and_clients(secured: Server) -> None:
    conn = httplib.HTTPConnection("127.0.0.1", secured.port, timeout=10)
    conn.request("GET", "/subjects")
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 401 and response.getheader("WWW-Authenticate", "").startswith("Basic")
    with Client(secured.url, auth=("writer", PASSWORDS["writer"])) as c:
        sid = c.register("clients-value", SCHEMA).id
        with pytest.raises(RegistryError) as info:
            c.set_config("NONE")
        assert (info.value.status, info.value.error_code) == (403, 40301)
    with Client(secured.url) as anonymous, pytest.raises(RegistryError) as info:
        anonymous.get_schema(sid)
    assert info.value.status == 401
    sr = pytest.importorskip("confluent_kafka.schema_registry")
    ck = sr.SchemaRegistryClient({"url": secured.url, "basic.auth.user.info": f"reader:{PASSWORDS['reader']}"})
    try:
        assert ck.get_schema(sid).schema_str == SCHEMA
        with pytest.raises(sr.error.SchemaRegistryError) as err:
            ck.register_schema("clients-value", sr.Schema(SCHEMA.replace('"S"', '"T"'), "AVRO"))
        assert err.value.http_status_code == 403
    finally:
        ck.close()


def test_readonly_server(tmp_path: Path) -> None:
    db = tmp_path / "registry.db"
    with Server(db) as writable:
        assert http(writable.url, "POST", "/subjects/ro-value/versions", {"schema": SCHEMA})[0] == 200
    with Server(db, "--readonly") as ro:
        assert http(ro.url, "GET", "/subjects") == (200, ["ro-value"])
        assert http(ro.url, "POST", "/subjects/ro-value", {"schema": SCHEMA})[0] == 200
        assert http(ro.url, "POST", "/compatibility/subjects/ro-value/versions/latest", {"schema": SCHEMA}) == (200, {"is_compatible": True})
        for method, path, body in [
            ("POST", "/subjects/ro-value/versions", {"schema": SCHEMA.replace('"S"', '"S2"')}),
            ("DELETE", "/subjects/ro-value", None),
            ("DELETE", "/subjects/ro-value/versions/1", None),
            ("PUT", "/config", {"compatibility": "NONE"}),
            ("PUT", "/mode", {"mode": "IMPORT"}),
        ]:
            status, answer = http(ro.url, method, path, body)
            assert (status, answer["error_code"]) == (422, 42205), (method, path)
        assert http(ro.url, "GET", "/subjects/ro-value/versions") == (200, [1])


def test_body_limit(tmp_path: Path) -> None:
    with Server(tmp_path / "registry.db", "--max-body", "2000") as small:
        doc = '{"type":"record","name":"Big","doc":"' + "x" * 3000 + '","fields":[]}'
        status, answer = http(small.url, "POST", "/subjects/big-value/versions", {"schema": doc})
        assert (status, answer["error_code"]) == (422, 42209)
        # without a Content-Length (chunked): counted while reading
        conn = httplib.HTTPConnection("127.0.0.1", small.port, timeout=10)
        conn.request("POST", "/subjects/big-value/versions", body=iter([b'{"schema": "', b"y" * 5000, b'"}']),
                     headers={"Content-Type": "application/json"}, encode_chunked=True)
        response = conn.getresponse()
        assert response.status == 422 and b"42209" in response.read()
        conn.close()
        assert http(small.url, "POST", "/subjects/big-value/versions", {"schema": SCHEMA})[0] == 200


def test_serve_refuses_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "serve", "--db", str(tmp_path / "no" / "such" / "dir.db")]) == 2
    assert "cannot open catalog" in capsys.readouterr().err
    assert main(["registry", "serve", "--db", str(tmp_path / "x.db"), "--workers", "0"]) == 2


def test_deeply_nested_bodies_are_refused_before_parsing(tmp_path: Path) -> None:
    # json.loads recurses once per level: a body nested past max_json_depth is refused first
    with Server(tmp_path / "registry.db") as server:
        conn = httplib.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("POST", "/subjects/deep-value/versions",
                     body=b'{"schema": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        answer = json.loads(response.read())
        conn.close()
        assert response.status == 400
        assert "nested deeper than 512 levels" in answer["message"]
        assert http(server.url, "POST", "/subjects/deep-value/versions", {"schema": SCHEMA})[0] == 200
