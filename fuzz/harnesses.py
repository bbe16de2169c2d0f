"""Coverage-guided fuzz harnesses (atheris) for every entry point that parses untrusted bytes.

Each harness is a function of one ``bytes`` input. The only acceptable failure is a
turboavro error (:class:`turboavro.AvroError`); anything else -- a foreign exception, a
crash, a sanitizer report, a hang (libFuzzer ``-timeout``) or an allocation over the RSS
limit (``-rss_limit_mb``) -- is a finding. ``seeds(name)`` builds each harness's seed inputs
at run time from ``tests/data`` and, when present, the shared external test data (nothing
is copied into the repository). Run them through ``fuzz/run.py``.

Inputs that carry a schema and a datum start with one byte choosing a schema from
``SCHEMAS`` (collected from the seed files) so the fuzzer mutates data, not JSON, most of
the time.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA_DIRS = [REPO / "tests" / "data"]
_external = os.environ.get("TURBOAVRO_FUZZ_EXTERNAL", str(REPO.parent / "shared" / "testdata" / "external"))
if Path(_external).is_dir():
    DATA_DIRS.append(Path(_external))
# The shared test data sits at /work/shared in the development setup
if Path("/work/shared/testdata/external").is_dir() and Path("/work/shared/testdata/external") not in DATA_DIRS:
    DATA_DIRS.append(Path("/work/shared/testdata/external"))

MAX_SEED = 64 * 1024  # larger files are left out of the seed corpus (they only slow it down)

import turboavro as ta  # noqa: E402
from turboavro import limits  # noqa: E402
from turboavro import schema as schema_module  # noqa: E402
from turboavro.errors import AvroError  # noqa: E402

# Fuzzing runs under small limits: the checks are the same code at any value, and small
# values keep every input fast (a slow input is then a real finding).
limits.configure(max_block_size=4 << 20, max_block_records=1 << 16, max_file_records=1 << 18,
                 max_zero_byte_items=1 << 16, max_file_zero_byte_items=1 << 18)


def _files(*suffixes: str) -> Iterator[Path]:
    for d in DATA_DIRS:
        for p in sorted(d.rglob("*")):
            if p.is_file() and p.suffix in suffixes and p.stat().st_size <= MAX_SEED:
                yield p


def _schema_texts() -> list[str]:
    out = []
    for p in _files(".avsc"):
        out.append(p.read_text("utf-8", "replace"))
    for p in _files(".avro"):
        try:
            with ta.Reader(io.BytesIO(p.read_bytes())) as r:
                out.append(r.metadata["avro.schema"].decode())
        except (AvroError, UnicodeDecodeError):
            continue
    return out


def _usable_schemas() -> list[Any]:
    """Distinct parsed schemas of the seed files (at most 256, one byte picks one)."""
    seen, out = set(), []
    for text in _schema_texts():
        try:
            s = ta.Schema.parse(text)
            ta.Decoder(s)
        except AvroError:
            continue
        key = s.canonical_form
        if key not in seen:
            seen.add(key)
            out.append(s)
    out.sort(key=lambda s: len(s.canonical_form))
    return out[:256] or [ta.Schema.parse('"int"')]


SCHEMAS = _usable_schemas()
DECODERS = [ta.Decoder(s) for s in SCHEMAS]
STORE_FP = {s.fingerprint("CRC-64-AVRO"): s for s in SCHEMAS}
STORE_ID = {i + 1: s for i, s in enumerate(SCHEMAS)}


def _pick(data: bytes) -> tuple[int, bytes]:
    if not data:
        return 0, b""
    return data[0] % len(SCHEMAS), data[1:]


def _sample_records() -> Iterator[tuple[int, list[bytes], list[Any]]]:
    """(schema index, encoded datums, values) from the seed container files."""
    index = {s.canonical_form: i for i, s in enumerate(SCHEMAS)}
    for p in _files(".avro"):
        try:
            with ta.Reader(io.BytesIO(p.read_bytes())) as r:
                i = index.get(r.schema.canonical_form)
                if i is None:
                    continue
                values = list(r)[:20]
        except AvroError:
            continue
        enc = ta.Encoder(SCHEMAS[i])
        try:
            yield i, [enc.encode(v) for v in values], values
        except AvroError:
            continue


# -- harnesses ------------------------------------------------------------------------------


def schema_parse(data: bytes) -> None:
    read = schema_module._read_text(data)  # the native reader of schema text
    try:
        s = ta.Schema.parse(data)
    except AvroError:
        assert read is None, "the native reader took a text the parser refuses"
        return
    if read is not None:  # it builds what the parser builds
        parsed = schema_module._parse_obj(schema_module._decode_text(data), None)
        assert json.dumps(read.to_json()) == json.dumps(parsed.to_json())
        assert repr(read) == repr(parsed)
    # what the parser accepts, the rest handles (issue 17)
    assert s.canonical_form
    s.fingerprint("CRC-64-AVRO")
    ta.Schema.parse(json.dumps(s.to_json()))
    ta.Decoder(s, s)
    try:
        ta.Encoder(s)
    except ta.SchemaError:
        pass  # a default the encoder cannot encode (a decimal beyond its precision)
    ta.check_compatibility(s, s)


def decode(data: bytes) -> None:
    i, body = _pick(data)
    try:
        value = DECODERS[i].decode(body)
    except AvroError:
        return
    # a decoded value encodes, and its encoding is a fixed point (bytes compared: NaN != NaN)
    enc = ta.Encoder(SCHEMAS[i])
    try:
        again = enc.encode(value)
    except ta.EncodeError:
        return  # e.g. a decimal beyond its precision: read (as Java does), not written
    assert enc.encode(DECODERS[i].decode(again)) == again


def decode_block(data: bytes) -> None:
    if len(data) < 2:
        return
    i, body = _pick(data)
    try:
        DECODERS[i].decode_block(body[1:], body[0])
    except AvroError:
        pass


def _reader(mode: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        try:
            with ta.Reader(io.BytesIO(data), on_corruption=mode) as r:
                for _ in r:
                    pass
        except AvroError:
            pass

    run.__name__ = f"reader_{mode}"
    return run


reader_raise = _reader("raise")
reader_skip = _reader("skip")


def _columns(threads: int) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        try:
            ta.read_columns(data, threads=threads)
        except AvroError:
            pass

    run.__name__ = f"read_columns_{threads}"
    return run


read_columns_1 = _columns(1)
read_columns_2 = _columns(2)


def json_decode(data: bytes) -> None:
    i, body = _pick(data)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        value = ta.json_decode(text, SCHEMAS[i])
    except AvroError:
        return
    try:
        ta.json_encode(value, SCHEMAS[i])
    except ta.EncodeError:
        pass  # a decimal beyond its precision: read (as Java does), not written


def single_object_decode(data: bytes) -> None:
    try:
        ta.single_object.decode(data, STORE_FP)
    except AvroError:
        pass


def confluent_decode(data: bytes) -> None:
    try:
        ta.confluent.decode(data, STORE_ID)
    except AvroError:
        pass


def check_compatibility(data: bytes) -> None:
    """Two schemas: a 2-byte big-endian length, the first schema's text, the second's."""
    if len(data) < 2:
        return
    n = struct.unpack(">H", data[:2])[0]
    a, b = data[2 : 2 + n], data[2 + n :]
    try:
        r, w = ta.Schema.parse(a), ta.Schema.parse(b)
    except AvroError:
        return
    try:
        ta.check_compatibility(r, w)
        ta.Decoder(w, r)
    except AvroError:
        pass


# Scratch files (catalogs, exports) in memory when /dev/shm is there; run.py gives each
# harness process its own directory and removes it afterwards.
SHM = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
_TMP = os.environ.get("TURBOAVRO_FUZZ_TMP") or SHM


class _Import:
    """A valid catalog export (two subjects, references, a deletion) to damage, a working copy
    of it and an empty catalog, made once per process in a temp dir (in memory on /dev/shm):
    each input changes one file of the copy (restored afterwards) and imports into the empty
    catalog, which a failed import leaves empty (checked) and a successful one is replaced."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="turboavro-fuzz-catalog-", dir=_TMP))
        cat = ta.Catalog(self.dir / "source.db")
        a: dict[str, Any] = {"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]}
        cat.register("a", a)
        cat.register("a", {**a, "fields": a["fields"] + [{"name": "y", "type": "string",
                                                           "default": ""}]})
        cat.register("b", {"type": "record", "name": "B", "fields": [{"name": "a", "type": "A"}]},
                     references=[{"name": "A", "subject": "a", "version": 1}])
        cat.delete("a", 2)
        self.export = cat.export_dir(self.dir / "export")
        cat.close()
        self.files = sorted(p.relative_to(self.export) for p in self.export.rglob("*") if p.is_file())
        self.original = {f: (self.export / f).read_bytes() for f in self.files}
        self.empty = self.dir / "empty.db"
        ta.Catalog(self.empty).close()
        self.target = self.dir / "target.db"
        self.catalog = self._fresh()

    def _fresh(self) -> Any:
        for side in ("", "-wal", "-shm"):
            Path(f"{self.target}{side}").unlink(missing_ok=True)
        shutil.copyfile(self.empty, self.target)
        return ta.Catalog(self.target)

    def run(self, which: int, content: bytes) -> None:
        target = self.files[which % len(self.files)]
        (self.export / target).write_bytes(content)
        try:
            self.catalog.import_dir(self.export)
        except AvroError:
            # a damaged export imports nothing: the catalog is still empty and usable
            assert self.catalog.subjects(include_deleted=True) == []
            return
        finally:
            (self.export / target).write_bytes(self.original[target])
        self.catalog.close()
        self.catalog = self._fresh()


_IMPORT: _Import | None = None


def catalog_import(data: bytes) -> None:
    """The input replaces one file of a valid export: byte 0 picks which (index.json or a
    schema file), the rest is its content."""
    global _IMPORT
    if not data:
        return
    if _IMPORT is None:
        _IMPORT = _Import()
    _IMPORT.run(data[0], data[1:])


# -- the registry's HTTP API ------------------------------------------------------------------
# The ASGI app is called in-process by a minimal driver (no sockets): one event loop, one
# http scope per request, the response collected from its send() messages. Three servers
# share one catalog in a temp dir: open, with HTTP Basic users (one per role), read-only.
# Every response is checked by _check_response: no 5xx; every 4xx with Confluent's error
# body and content type. An exception out of the app is a foreign exception (a finding).

try:  # imported here, under atheris's instrumentation, when the `registry` extra is there
    from turboavro.registry import app as _registry_app
    from turboavro.registry.auth import User, Users
    from turboavro.registry.openapi import openapi_document
except ImportError:  # pragma: no cover - only the registry harnesses need it
    _registry_app = None

METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS")
CONTENT_TYPES = (None, "application/vnd.schemaregistry.v1+json", "application/json",
                 "application/octet-stream", "text/plain; charset=utf-8",
                 "application/vnd.schemaregistry+json", "multipart/form-data; boundary=x", "")
RESET_EVERY = 4096  # inputs between two resets of the registry's catalog to its seeded state
MAX_DB = 16 << 20  # ... or when the catalog file grows past this


def _templates() -> list[str]:
    paths = list(openapi_document()["paths"]) if _registry_app is not None else []
    # routes served outside the OpenAPI document, and one that does not exist
    return paths + ["/openapi.json", "/schemas/guids/{a}", "/schemas/guids/{a}/ids",
                    "/associations/{a}/{b}", "/{a}/{b}"]


TEMPLATES = _templates()


def _cheap_hash(password: str) -> str:
    # The users file's format (auth.hash_password) at the lowest scrypt cost, so that a wrong
    # password costs microseconds; verification is the same code at any cost.
    import base64
    import hashlib

    salt = b"fuzz-salt-16byte"
    key = hashlib.scrypt(password.encode(), salt=salt, n=2, r=1, p=1, dklen=32)
    return f"scrypt$2$1$1${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"


def _basic(credentials: bytes) -> bytes:
    import base64

    return b"Basic " + base64.b64encode(credentials)


CREDENTIALS: tuple[bytes | None, ...] = (
    None, _basic(b"admin:pw-admin"), _basic(b"writer:pw-writer"), _basic(b"reader:pw-reader"),
    _basic(b"admin:wrong"), _basic(b"nobody:pw"), _basic(b"admin"), _basic(b"\xff\xfe:\x00"),
    b"Basic !!!not-base64", b"Bearer abc", b"basic " + _basic(b"admin:pw-admin")[6:], b"Basic ",
)
SUBJECT_RECORD: dict[str, Any] = {"type": "record", "name": "Order", "namespace": "fuzz",
                  "fields": [{"name": "id", "type": "long"}]}


def _seed_catalog(cat: Any) -> None:
    """The state every reset returns to: subjects with versions, references, a soft delete,
    a subject config and mode."""
    cat.register("orders-value", SUBJECT_RECORD)
    cat.register("orders-value", {**SUBJECT_RECORD, "fields": SUBJECT_RECORD["fields"] + [
        {"name": "note", "type": ["null", "string"], "default": None}]})
    cat.register("orders-key", '"string"')
    cat.register("line", {"type": "record", "name": "Line", "namespace": "fuzz",
                          "fields": [{"name": "order", "type": "fuzz.Order"}]},
                 references=[{"name": "fuzz.Order", "subject": "orders-value", "version": 1}])
    cat.register("gone", '"bytes"')
    cat.delete("gone", 1)
    cat.set_level("FULL", subject="orders-key")
    cat.set_mode("READONLY", subject="gone")


class _Registry:
    """The registry servers under fuzzing and the state they share."""

    def __init__(self) -> None:
        import asyncio
        import logging

        self.dir = Path(tempfile.mkdtemp(prefix="turboavro-fuzz-registry-", dir=_TMP))
        self.template = self.dir / "template.db"
        cat = ta.Catalog(self.template)
        _seed_catalog(cat)
        cat.close()
        self.users = Users({name: User(name, role, _cheap_hash(f"pw-{name}"))
                            for name, role in (("admin", "admin"), ("writer", "write"),
                                               ("reader", "read"))})
        self.loop = asyncio.new_event_loop()
        self.log: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: self.log.append(handler.format(record))  # type: ignore[method-assign]
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        logging.getLogger("turboavro.registry").addHandler(handler)
        self.catalog: Any = None
        self.reset()

    def reset(self) -> None:
        if self.catalog is not None:
            self.catalog.close()
        db = self.dir / "registry.db"
        for side in ("", "-wal", "-shm", "-journal"):
            Path(f"{db}{side}").unlink(missing_ok=True)
        shutil.copyfile(self.template, db)
        self.catalog = ta.Catalog(db)
        self.db = db
        create = _registry_app.create_app
        self.apps = (create(self.catalog), create(self.catalog, users=self.users),
                     create(self.catalog, readonly=True))
        self.count = 0

    def tick(self) -> None:
        self.count += 1
        if self.count >= RESET_EVERY or (self.count % 256 == 0 and self.db.stat().st_size > MAX_DB):
            self.reset()

    def call(self, server: int, method: str, raw_path: bytes, query: bytes,
             headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
        """One request through the ASGI app, as an HTTP server would deliver it."""
        from urllib.parse import unquote

        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": method, "scheme": "http", "root_path": "", "raw_path": raw_path,
            # as uvicorn and hypercorn: the path is the percent-decoded raw path
            "path": unquote(raw_path.decode("ascii", "replace"), errors="replace"),
            "query_string": query, "headers": headers, "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8081), "state": {},
        }
        sent_body = False
        status = 0
        out_headers: dict[bytes, bytes] = {}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if sent_body:
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                out_headers.update((k.lower(), v) for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        self.log.clear()
        self.loop.run_until_complete(self.apps[server](scope, receive, send))
        return status, out_headers, b"".join(chunks)

    def check(self, method: str, what: str, status: int, headers: dict[bytes, bytes], body: bytes) -> None:
        """The oracle: no server error, every client error in Confluent's form."""
        assert status, f"no response to {what}"
        assert status < 500, f"{status} on {what}: {body[:500]!r}\n" + "\n".join(self.log)
        if status >= 400:
            ctype = headers.get(b"content-type", b"").decode("latin-1")
            assert ctype == _registry_app.CONTENT_TYPE, f"{status} with content type {ctype!r} on {what}"
            answer = json.loads(body)
            assert isinstance(answer, dict) and set(answer) == {"error_code", "message"}, (what, body)
            code = answer["error_code"]
            assert isinstance(code, int) and not isinstance(code, bool), (what, body)
            assert isinstance(answer["message"], str), (what, body)
        elif 200 <= status < 300 and method != "HEAD":
            json.loads(body)  # every success answers JSON


_REGISTRY: _Registry | None = None


def _registry() -> _Registry:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _Registry()
    return _REGISTRY


_QUERY_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "#")  # '%' included


def _http_request(data: bytes) -> tuple[int, str, bytes, bytes, list[tuple[bytes, bytes]], bytes]:
    """Decode a registry_http input: 4 bytes (method, path template, server and credentials,
    content type and Content-Length form), then ``segment\nsegment\nquery\nbody``."""
    from urllib.parse import quote_from_bytes

    head = data[:4].ljust(4, b"\0")
    method = METHODS[head[0] % len(METHODS)]
    template = TEMPLATES[head[1] % len(TEMPLATES)]
    server, cred = head[2] % 3, CREDENTIALS[(head[2] // 3) % len(CREDENTIALS)]
    ctype = CONTENT_TYPES[head[3] % len(CONTENT_TYPES)]
    length_form = (head[3] >> 3) % 4
    parts = data[4:].split(b"\n", 3)
    parts += [b""] * (4 - len(parts))
    segments, query, body = parts[:2], parts[2], parts[3]
    path, k = template, 0
    for name in ("{subject}", "{version}", "{id}", "{a}", "{b}"):
        if name in path:
            path = path.replace(name, quote_from_bytes(segments[min(k, 1)], safe=""))
            k += 1
    raw_path = path.encode("ascii")
    headers = [(b"host", b"registry"), (b"accept", b"application/vnd.schemaregistry.v1+json")]
    if ctype is not None:
        headers.append((b"content-type", ctype.encode()))
    if cred is not None:
        headers.append((b"authorization", cred))
    if length_form == 0:
        headers.append((b"content-length", str(len(body)).encode()))
    elif length_form == 1:
        headers.append((b"content-length", b"99999999999"))
    elif length_form == 2:
        headers.append((b"content-length", b"-1x"))
    # as a server delivers it (ASGI: percent-encoded; uvicorn and h11 refuse a request line
    # with other bytes): bytes outside visible ASCII, and '#', are percent-encoded
    query = quote_from_bytes(query, safe=_QUERY_SAFE).encode("ascii")
    return server, method, raw_path, query, headers, body


def registry_http(data: bytes) -> None:
    """One HTTP request to the registry (the format of _http_request)."""
    reg = _registry()
    server, method, raw_path, query, headers, body = _http_request(data)
    status, out_headers, answer = reg.call(server, method, raw_path, query, headers, body)
    what = f"server {server}: {method} {raw_path!r}?{query!r} body {body[:200]!r}"
    reg.check(method, what, status, out_headers, answer)
    reg.tick()


def _http_seed(method: str, template: str, segments: tuple[str, ...], query: str, body: Any,
               server: int = 0, cred: int = 0, ctype: int = 1) -> bytes:
    text = body if isinstance(body, (str, bytes)) else ("" if body is None else json.dumps(body))
    raw = text if isinstance(text, bytes) else text.encode()
    segs = [s.encode() for s in segments] + [b"", b""]
    return (bytes([METHODS.index(method), TEMPLATES.index(template), server + 3 * cred, ctype])
            + b"\n".join([segs[0], segs[1], query.encode(), raw]))


def _registry_seeds() -> Iterator[bytes]:
    texts = [t for t in _schema_texts() if len(t) < 16384][:80]
    ref = [{"name": "fuzz.Order", "subject": "orders-value", "version": 1}]
    uses_ref = {"type": "record", "name": "Uses", "fields": [{"name": "o", "type": "fuzz.Order"}]}
    S, V, C = "/subjects/{subject}/versions", "/subjects/{subject}", "/compatibility/subjects/{subject}/versions"
    for k, text in enumerate(texts):
        subject = f"s{k}-value"
        yield _http_seed("POST", S, (subject,), "normalize=true" if k % 2 else "", {"schema": text})
        yield _http_seed("POST", V, ("orders-value",), "deleted=true", {"schema": text})
        yield _http_seed("POST", C + "/{version}", ("orders-value", "latest"), "verbose=true",
                         {"schema": text, "schemaType": "AVRO"})
        yield _http_seed("POST", C, ("orders-value",), "", {"schema": text})
        # the same through the authenticated server, as each role
        yield _http_seed("POST", S, (subject,), "", {"schema": text}, server=1, cred=1 + k % 5)
    yield _http_seed("POST", S, ("uses",), "", {"schema": json.dumps(uses_ref), "references": ref})
    yield _http_seed("POST", V, ("uses",), "", {"schema": json.dumps(uses_ref), "references": ref})
    yield _http_seed("POST", S, ("orders-value",), "", {"schema": json.dumps(SUBJECT_RECORD), "id": 77})
    for level in ("BACKWARD", "FULL_TRANSITIVE", "NONE", "bogus"):
        yield _http_seed("PUT", "/config", (), "", {"compatibility": level}, server=1, cred=1)
        yield _http_seed("PUT", "/config/{subject}", ("orders-value",), "", {"compatibilityLevel": level})
    for mode in ("READWRITE", "READONLY", "IMPORT", "bogus"):
        yield _http_seed("PUT", "/mode/{subject}", ("orders-key",), "force=true", {"mode": mode})
        yield _http_seed("PUT", "/mode", (), "", {"mode": mode}, server=1, cred=3)
    gets = [("/", ()), ("/schemas", ()), ("/schemas/types", ()), ("/subjects", ()),
            ("/schemas/ids/{id}", ("1",)), ("/schemas/ids/{id}/schema", ("2",)),
            ("/schemas/ids/{id}/subjects", ("1",)), ("/schemas/ids/{id}/versions", ("3",)),
            ("/subjects/{subject}/versions", ("orders-value",)),
            ("/subjects/{subject}/versions/{version}", ("orders-value", "latest")),
            ("/subjects/{subject}/versions/{version}/schema", ("line", "1")),
            ("/subjects/{subject}/versions/{version}/referencedby", ("orders-value", "1")),
            ("/subjects/{subject}/metadata", ("orders-value",)), ("/config", ()),
            ("/config/{subject}", ("orders-key",)), ("/mode", ()), ("/mode/{subject}", ("gone",)),
            ("/contexts", ()), ("/v1/metadata/id", ()), ("/v1/metadata/version", ()),
            ("/schemas/guids/{a}", ("x",)), ("/associations/{a}/{b}", ("topic", "x"))]
    queries = ("", "deleted=true", "offset=1&limit=2", "subjectPrefix=orders&latestOnly=true",
               "deletedOnly=true&deletedAsNegative=true", "key=k&value=v", "defaultToGlobal=true",
               "subject=orders-value")
    for k, (template, segments) in enumerate(gets):
        yield _http_seed("GET", template, segments, queries[k % len(queries)], None)
        yield _http_seed("GET", template, segments, "", None, server=1, cred=k % len(CREDENTIALS))
    for template, segments, query in (
            ("/subjects/{subject}/versions/{version}", ("orders-value", "2"), ""),
            ("/subjects/{subject}/versions/{version}", ("gone", "1"), "permanent=true"),
            ("/subjects/{subject}", ("orders-key",), ""), ("/subjects/{subject}", ("gone",), "permanent=true"),
            ("/config/{subject}", ("orders-key",), ""), ("/mode", (), "recursive=true")):
        yield _http_seed("DELETE", template, segments, query, None)
        yield _http_seed("DELETE", template, segments, query, None, server=2)


# schemathesis as the input generator: requests generated from the registry's OpenAPI
# document in positive and negative modes, serialized by schemathesis and prepared by
# requests exactly as its requests transport would send them, then delivered in-process by
# the driver above and judged by the same oracle. A finding is saved as the JSON of the raw
# request; `registry_schemathesis` replays such a file.

_SCHEMATHESIS_SERVERS = ((0, None), (1, CREDENTIALS[1]), (1, CREDENTIALS[3]), (1, CREDENTIALS[4]),
                         (1, None), (2, None))


def _wire(case: Any, server: int, cred: bytes | None) -> dict[str, Any]:
    """The raw HTTP request a schemathesis case makes (what requests puts on the wire)."""
    from urllib.parse import urlsplit

    import requests

    kwargs = case.as_transport_kwargs(base_url="http://registry")
    allowed = ("method", "url", "headers", "files", "data", "params", "auth", "cookies", "json")
    prepared = requests.Request(**{k: v for k, v in kwargs.items() if k in allowed}).prepare()
    url = urlsplit(prepared.url or "")
    headers = [[k.lower(), v if isinstance(v, str) else v.decode("latin-1")] for k, v in prepared.headers.items()]
    if cred is not None:
        headers.append(["authorization", cred.decode("latin-1")])
    raw = prepared.body or b""
    body = raw.encode() if isinstance(raw, str) else bytes(raw)  # type: ignore[arg-type]
    import base64

    return {"server": server, "method": prepared.method, "path": url.path or "/",
            "query": url.query, "headers": headers, "body": base64.b64encode(body).decode()}


def registry_schemathesis(data: bytes) -> None:
    """Replay one request saved by the schemathesis generator (JSON of the raw request)."""
    import base64

    req = json.loads(data)
    reg = _registry()
    method, raw_path, query = req["method"], req["path"].encode("latin-1"), req["query"].encode("latin-1")
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in req["headers"]]
    body = base64.b64decode(req["body"])
    status, out_headers, answer = reg.call(req["server"], method, raw_path, query, headers, body)
    what = f"server {req['server']}: {method} {raw_path!r}?{query!r} body {body[:200]!r}"
    reg.check(method, what, status, out_headers, answer)
    reg.tick()


def generate_schemathesis(seconds: float, workdir: Path) -> int:
    """Fuzz the registry with schemathesis's generation for ``seconds``; return the number of
    requests sent. A failing request is saved as ``workdir/crash-<sha1>`` and re-raised."""
    import hashlib
    import resource
    import time

    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis.generation.modes import GenerationMode

    api = schemathesis.openapi.from_dict(openapi_document())
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    cases = st.one_of(*(api.as_strategy(mode) for mode in modes))  # type: ignore[arg-type]
    sent = 0
    last: dict[str, Any] = {}

    @given(case=cases, server=st.sampled_from(_SCHEMATHESIS_SERVERS))
    @settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case: Any, server: tuple[int, bytes | None]) -> None:
        nonlocal sent, last
        last = _wire(case, *server)
        sent += 1
        start = time.monotonic()
        registry_schemathesis(json.dumps(last).encode())
        # the bounds libFuzzer's -timeout and -rss_limit_mb give the other harnesses
        assert time.monotonic() - start < 10, "a request took over 10 s"
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 2560 << 10, "RSS over 2.5 GiB"

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            run()
        except BaseException:
            raw = json.dumps(last, indent=1).encode()  # the last request: hypothesis's shrunk one
            (workdir / f"crash-{hashlib.sha1(raw).hexdigest()}").write_bytes(raw)
            raise
    return sent


HARNESSES: dict[str, Callable[[bytes], None]] = {
    f.__name__: f
    for f in (schema_parse, decode, decode_block, reader_raise, reader_skip, read_columns_1,
              read_columns_2, json_decode, single_object_decode, confluent_decode,
              check_compatibility, catalog_import, registry_http,
              registry_schemathesis)
}


# Harnesses whose inputs come from their own generator, not from libFuzzer (the harness
# function then replays one saved input)
GENERATORS: dict[str, Callable[[float, Path], int]] = {"registry_schemathesis": generate_schemathesis}


# -- seeds ------------------------------------------------------------------------------------


def seeds(name: str) -> Iterator[bytes]:
    """Seed inputs of harness ``name``, built from the test data."""
    if name == "schema_parse":
        for text in _schema_texts():
            yield text.encode()
    elif name in ("decode", "json_decode", "single_object_decode", "confluent_decode",
                  "decode_block"):
        for i, datums, values in _sample_records():
            s = SCHEMAS[i]
            for d, v in list(zip(datums, values, strict=True))[:3]:
                if name == "decode":
                    yield bytes([i]) + d
                elif name == "json_decode":
                    yield bytes([i]) + ta.json_encode(v, s).encode()
                elif name == "single_object_decode":
                    yield ta.single_object.encode(v, s)
                elif name == "confluent_decode":
                    yield ta.confluent.encode(v, s, i + 1)
            if name == "decode_block":
                yield bytes([i, len(datums)]) + b"".join(datums)
    elif name.startswith(("reader_", "read_columns_")):
        for p in _files(".avro"):
            yield p.read_bytes()
    elif name == "check_compatibility":
        texts = [t.encode() for t in _schema_texts()][:120]
        for a, b in zip(texts, texts[1:] + texts[:1], strict=True):
            if len(a) < 65536:
                yield struct.pack(">H", len(a)) + a + a
                yield struct.pack(">H", len(a)) + a + b
    elif name == "catalog_import":
        global _IMPORT
        if _IMPORT is None:
            _IMPORT = _Import()
        for k, f in enumerate(_IMPORT.files):
            yield bytes([k]) + _IMPORT.original[f]
    elif name == "registry_http":
        yield from _registry_seeds()
    elif name in GENERATORS:
        return
    else:
        raise KeyError(name)
