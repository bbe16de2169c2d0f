"""A client of Confluent-compatible schema registries (standard library only).

:class:`Client` registers, looks up and fetches schemas, checks compatibility and manages
levels and modes. Answers that cannot change are cached (a schema id's schema, a subject's
numbered version, the id a subject gave to a schema); ``latest`` is asked each time.
Requests that fail with 408, 429 or a 5xx status, or whose connection fails, are retried with
exponential backoff and full jitter.

A Client is also a *store* for the framings: ``turboavro.confluent.decode(msg, client)`` asks
:meth:`Client.schema_by_id`, ``turboavro.single_object.decode(msg, client)`` asks
:meth:`Client.schema_by_fingerprint`.
"""
from __future__ import annotations

import base64
import http.client
import json
import random
import threading
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..catalog import _FP_COLUMNS, Reference, fingerprint_key
from ..errors import RegistryError, UnknownSchemaError
from ..schema import Schema

__all__ = ["Client", "RegisteredSchema"]

_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_ACCEPT = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json"


@dataclass(frozen=True)
class RegisteredSchema:
    """A schema as a registry holds it: its global ``id`` and, when known, where it is
    registered (``subject``, ``version``)."""

    id: int
    schema: str
    subject: str | None = None
    version: int | None = None
    references: tuple[Reference, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    deleted: bool = False
    schema_type: str = "AVRO"

    @classmethod
    def from_json(cls, body: Mapping[str, Any], subject: str | None = None) -> RegisteredSchema:
        refs = tuple(Reference(r["name"], r["subject"], int(r["version"])) for r in body.get("references") or ())
        return cls(
            id=int(body["id"]),
            schema=body.get("schema", ""),
            subject=body.get("subject", subject),
            version=body.get("version"),
            references=refs,
            metadata=body.get("metadata") or {},
            deleted=bool(body.get("deleted", False)),
            schema_type=str(body.get("schemaType") or "AVRO"),
        )


def _schema_text(schema: Any) -> str:
    if isinstance(schema, Schema):
        return json.dumps(schema.to_json(), separators=(",", ":"), ensure_ascii=False)
    if isinstance(schema, str):
        return schema
    return json.dumps(schema, separators=(",", ":"), ensure_ascii=False)


def _refs_json(references: Iterable[Any] | None) -> list[dict[str, Any]]:
    out = []
    for ref in references or ():
        if isinstance(ref, Reference):
            out.append(ref.to_json())
        elif isinstance(ref, Mapping):
            out.append({"name": ref["name"], "subject": ref["subject"], "version": ref["version"]})
        else:
            name, subject, version = ref
            out.append({"name": name, "subject": subject, "version": version})
    return out


def _q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


class Client:
    """A client of the registry at ``url`` (``http://`` or ``https://``; several comma-separated
    URLs fail over in turn). ``auth`` is ``(user, password)`` for HTTP Basic authentication.

    >>> client = Client("http://127.0.0.1:8081")                  # doctest: +SKIP
    >>> sid = client.register("orders-value", schema).id
    """

    def __init__(
        self,
        url: str,
        auth: tuple[str, str] | None = None,
        *,
        timeout: float = 10.0,
        max_retries: int = 3,
        retry_wait: float = 0.1,
        retry_max_wait: float = 2.0,
    ) -> None:
        self.urls = [u.strip().rstrip("/") for u in url.split(",") if u.strip()]
        if not self.urls:
            raise ValueError("a registry URL is required")
        for u in self.urls:
            parts = urllib.parse.urlsplit(u)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an http(s) registry URL: {u!r}")
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_wait = retry_wait
        self.retry_max_wait = retry_max_wait
        self._headers = {"Accept": _ACCEPT, "Content-Type": "application/vnd.schemaregistry.v1+json"}
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            self._headers["Authorization"] = f"Basic {token}"
        self._local = threading.local()  # each thread keeps its own keep-alive connections
        self._open: set[http.client.HTTPConnection] = set()
        self._lock = threading.Lock()
        self._by_id: dict[int, Schema] = {}
        self._text_by_id: dict[int, RegisteredSchema] = {}
        self._by_fp: dict[bytes, Schema] = {}
        self._versions: dict[tuple[str, int], RegisteredSchema] = {}
        self._ids: dict[tuple[str, str, str], RegisteredSchema] = {}

    # -- transport ------------------------------------------------------------------------------

    def _connection(self, base: str) -> http.client.HTTPConnection:
        conns = getattr(self._local, "conns", None)
        if conns is None:
            conns = self._local.conns = {}
        conn = conns.get(base)
        if conn is None:
            parts = urllib.parse.urlsplit(base)
            cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            conn = conns[base] = cls(parts.hostname or "", parts.port, timeout=self.timeout)
            with self._lock:
                self._open.add(conn)
        return conn

    def _drop(self, base: str) -> None:
        conns = getattr(self._local, "conns", {})
        conn = conns.pop(base, None)
        if conn is not None:
            conn.close()
            with self._lock:
                self._open.discard(conn)

    def close(self) -> None:
        """Close the connections of every thread (a thread's next request reconnects)."""
        with self._lock:
            opened, self._open = self._open, set()
        for conn in opened:
            conn.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, body: Any = None, query: Mapping[str, Any] | None = None) -> Any:
        """One API call: the decoded JSON answer, or :class:`~turboavro.errors.RegistryError`."""
        if query:
            pairs = []
            for key, value in query.items():
                for item in value if isinstance(value, list) else [value]:
                    pairs.append((key, str(item).lower() if isinstance(item, bool) else str(item)))
            path += "?" + urllib.parse.urlencode(pairs)
        payload = None if body is None else json.dumps(body).encode()
        attempt = 0
        while True:
            base = self.urls[attempt % len(self.urls)]
            parsed_base = urllib.parse.urlsplit(base)
            try:
                conn = self._connection(base)
                conn.request(method, parsed_base.path + path, body=payload, headers=self._headers)
                response = conn.getresponse()
                status = response.status
                raw = response.read()
                if response.getheader("connection", "").lower() == "close":
                    self._drop(base)
            except (OSError, http.client.HTTPException) as exc:
                self._drop(base)
                if attempt >= self.max_retries:
                    raise RegistryError(f"{method} {base}{path}: {type(exc).__name__}: {exc}") from None
                self._backoff(attempt)
                attempt += 1
                continue
            if status < 300:
                try:
                    return json.loads(raw) if raw else None
                except ValueError:
                    raise RegistryError(f"{method} {base}{path}: the answer is not JSON", status) from None
            if status in _RETRY_STATUS and attempt < self.max_retries:
                self._backoff(attempt)
                attempt += 1
                continue
            try:
                err = json.loads(raw)
                code, message = int(err["error_code"]), str(err["message"])
            except (ValueError, KeyError, TypeError):
                code, message = -1, raw[:200].decode("utf-8", "replace")
            raise RegistryError(f"{method} {path}: {message}", status, code)

    def _backoff(self, attempt: int) -> None:
        time.sleep(random.uniform(0, min(self.retry_max_wait, self.retry_wait * (2**attempt))))

    # -- schemas ----------------------------------------------------------------------------------

    def register(
        self,
        subject: str,
        schema: Any,
        references: Iterable[Any] | None = None,
        *,
        normalize: bool = False,
        metadata: Mapping[str, Any] | None = None,
        schema_id: int | None = None,
        version: int | None = None,
    ) -> RegisteredSchema:
        """Register ``schema`` (a Schema, JSON text or JSON object) under ``subject``; an already
        registered schema returns its existing id and version. ``schema_id``/``version``: for a
        registry in IMPORT mode."""
        text = _schema_text(schema)
        refs = _refs_json(references)
        key = (subject, text, json.dumps(refs, sort_keys=True))
        plain = metadata is None and schema_id is None and version is None
        if plain:
            hit = self._ids.get(key)
            if hit is not None:
                return hit
        body: dict[str, Any] = {"schema": text}
        if refs:
            body["references"] = refs
        if metadata is not None:
            body["metadata"] = dict(metadata)
        if schema_id is not None:
            body["id"] = schema_id
        if version is not None:
            body["version"] = version
        answer = self.request("POST", f"/subjects/{_q(subject)}/versions", body, {"normalize": normalize})
        answer.setdefault("schema", text)
        result = RegisteredSchema.from_json(answer, subject)
        if plain:
            with self._lock:
                self._ids[key] = result
        return result

    def lookup(self, subject: str, schema: Any, references: Iterable[Any] | None = None, *,
               deleted: bool = False, normalize: bool = False) -> RegisteredSchema:
        """The version of ``subject`` holding ``schema`` (40401: no such subject; 40403: no
        version has this schema)."""
        body: dict[str, Any] = {"schema": _schema_text(schema)}
        refs = _refs_json(references)
        if refs:
            body["references"] = refs
        answer = self.request("POST", f"/subjects/{_q(subject)}", body, {"normalize": normalize, "deleted": deleted})
        return RegisteredSchema.from_json(answer, subject)

    def get_schema(self, schema_id: int) -> RegisteredSchema:
        """The schema text and references of a global id (cached)."""
        hit = self._text_by_id.get(schema_id)
        if hit is None:
            answer = self.request("GET", f"/schemas/ids/{int(schema_id)}")
            answer["id"] = schema_id
            hit = RegisteredSchema.from_json(answer)
            with self._lock:
                self._text_by_id[schema_id] = hit
        return hit

    def schema_by_id(self, schema_id: int) -> Schema:
        """The parsed schema of a global id, references resolved (cached): the store interface
        of :func:`turboavro.confluent.decode`. An unknown id raises UnknownSchemaError."""
        hit = self._by_id.get(schema_id)
        if hit is not None:
            return hit
        try:
            registered = self.get_schema(schema_id)
        except RegistryError as exc:
            if exc.status == 404:
                raise UnknownSchemaError(f"no schema with id {schema_id} in the registry at {self.urls[0]}") from None
            raise
        parsed = self.parse_schema(registered.schema, registered.references)
        with self._lock:
            self._by_id[schema_id] = parsed
        return parsed

    def parse_schema(self, schema: Any, references: Iterable[Any] | None = None) -> Schema:
        """Parse ``schema`` with the named types its ``references`` (``Reference``, dicts or
        ``(name, subject, version)``) import from the registry's versions."""
        named: dict[str, Schema] = {}
        for ref in _refs_json(references):
            target = self.get_version(ref["subject"], ref["version"], deleted=True)
            for fullname, node in self.parse_schema(target.schema, target.references).named_types.items():
                named.setdefault(fullname, node)
        text = _schema_text(schema)
        return Schema.parse(text, named=named) if named else Schema.parse(text)

    def schema_by_fingerprint(self, fingerprint: bytes | str | int) -> Schema:
        """The schema whose Parsing Canonical Form has this CRC-64-AVRO (8 bytes), MD5 or
        SHA-256 fingerprint: the store interface of :func:`turboavro.single_object.decode`.
        A registry has no fingerprint index, so an unknown fingerprint lists the registry's
        schemas once (``GET /schemas?deleted=true``) and fingerprints them."""
        if type(fingerprint) is bytes:
            hit = self._by_fp.get(fingerprint)
            if hit is not None:
                return hit
        _, digest = fingerprint_key(fingerprint)
        hit = self._by_fp.get(digest)
        if hit is not None:
            return hit
        algorithm = _FP_COLUMNS[len(digest)][1]
        for entry in self.request("GET", "/schemas", query={"deleted": True}):
            parsed = self.schema_by_id(int(entry["id"]))
            fp = parsed.fingerprint(algorithm)
            with self._lock:
                self._by_fp.setdefault(fp, parsed)
        hit = self._by_fp.get(digest)
        if hit is None:
            raise UnknownSchemaError(f"no schema with {algorithm} fingerprint {digest.hex()} in the registry at {self.urls[0]}")
        return hit

    # -- subjects and versions ----------------------------------------------------------------------

    def subjects(self, *, prefix: str | None = None, deleted: bool = False) -> list[str]:
        query: dict[str, Any] = {"deleted": deleted}
        if prefix:
            query["subjectPrefix"] = prefix
        return list(self.request("GET", "/subjects", query=query))

    def versions(self, subject: str, *, deleted: bool = False) -> list[int]:
        return list(self.request("GET", f"/subjects/{_q(subject)}/versions", query={"deleted": deleted}))

    def get_version(self, subject: str, version: int | str = "latest", *, deleted: bool = False) -> RegisteredSchema:
        """A subject's version (numbered versions are cached; ``latest`` is asked each time)."""
        if isinstance(version, int) and not isinstance(version, bool) and version > 0:
            hit = self._versions.get((subject, version))
            if hit is not None and (deleted or not hit.deleted):
                return hit
        answer = self.request("GET", f"/subjects/{_q(subject)}/versions/{version}", query={"deleted": deleted})
        result = RegisteredSchema.from_json(answer, subject)
        if result.version is not None:
            with self._lock:
                self._versions[(subject, result.version)] = result
        return result

    def get_latest(self, subject: str) -> RegisteredSchema:
        return self.get_version(subject, "latest")

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        self._forget(subject)
        return list(self.request("DELETE", f"/subjects/{_q(subject)}", query={"permanent": permanent}))

    def delete_version(self, subject: str, version: int | str, *, permanent: bool = False) -> int:
        self._forget(subject)
        return int(self.request("DELETE", f"/subjects/{_q(subject)}/versions/{version}", query={"permanent": permanent}))

    def _forget(self, subject: str) -> None:
        with self._lock:
            for vkey in [k for k in self._versions if k[0] == subject]:
                del self._versions[vkey]
            for ikey in [k for k in self._ids if k[0] == subject]:
                del self._ids[ikey]

    # -- compatibility, config, mode ------------------------------------------------------------------

    def check_compatibility(
        self, subject: str, schema: Any, version: int | str | None = "latest", *,
        references: Iterable[Any] | None = None, verbose: bool = False,
    ) -> tuple[bool, list[str]]:
        """Whether ``schema`` may be registered under ``subject``, against one version
        (default the latest) or, with ``version=None``, as the subject's level requires; with
        ``verbose`` the registry's reasons come back too."""
        body: dict[str, Any] = {"schema": _schema_text(schema)}
        refs = _refs_json(references)
        if refs:
            body["references"] = refs
        path = f"/compatibility/subjects/{_q(subject)}/versions" + ("" if version is None else f"/{version}")
        answer = self.request("POST", path, body, {"verbose": verbose})
        return bool(answer["is_compatible"]), list(answer.get("messages") or [])

    def get_config(self, subject: str | None = None, *, default_to_global: bool = True) -> str:
        """The compatibility level of ``subject`` (its own, else the global one) or the global one."""
        if subject is None:
            return str(self.request("GET", "/config")["compatibilityLevel"])
        return str(self.request("GET", f"/config/{_q(subject)}", query={"defaultToGlobal": default_to_global})["compatibilityLevel"])

    def set_config(self, level: str, subject: str | None = None) -> str:
        path = "/config" if subject is None else f"/config/{_q(subject)}"
        return str(self.request("PUT", path, {"compatibility": level})["compatibility"])

    def delete_config(self, subject: str | None = None) -> str:
        path = "/config" if subject is None else f"/config/{_q(subject)}"
        return str(self.request("DELETE", path)["compatibilityLevel"])

    def get_mode(self, subject: str | None = None, *, default_to_global: bool = True) -> str:
        if subject is None:
            return str(self.request("GET", "/mode")["mode"])
        return str(self.request("GET", f"/mode/{_q(subject)}", query={"defaultToGlobal": default_to_global})["mode"])

    def set_mode(self, mode: str, subject: str | None = None, *, force: bool = False) -> str:
        path = "/mode" if subject is None else f"/mode/{_q(subject)}"
        return str(self.request("PUT", path, {"mode": mode}, {"force": force})["mode"])

    def delete_mode(self, subject: str | None = None) -> str:
        path = "/mode" if subject is None else f"/mode/{_q(subject)}"
        return str(self.request("DELETE", path)["mode"])

    def __repr__(self) -> str:
        return f"Client({','.join(self.urls)!r})"
