"""The registry's ASGI application (Starlette): Confluent Schema Registry's REST API.

Every endpoint goes through :func:`_endpoint`, which applies, in order: HTTP Basic
authentication and the route's role (401 / 403), the server's ``readonly`` switch (42205),
the request body limit (42209), JSON parsing (400), then the operation of
:class:`~turboavro.registry.service.Registry`. Any error answers with Confluent's body
``{"error_code", "message"}`` and content type ``application/vnd.schemaregistry.v1+json``;
an unexpected failure answers 500 with error code 50001 and no traceback.
"""
from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import limits
from ..catalog import Catalog
from ..errors import AvroError
from .auth import Users
from .openapi import openapi_document
from .service import MAX_INT, ApiError, Registry, bad_request

__all__ = ["create_app", "app_from_env", "CONTENT_TYPE", "DEFAULT_MAX_BODY"]

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
DEFAULT_MAX_BODY = 1 << 20  # bytes of a request body (a schema with its envelope)
_ROLE_RANK = {"read": 0, "write": 1, "admin": 2}
_log = logging.getLogger("turboavro.registry")

Handler = Callable[[Request, Registry, Any], Any]


def _json(value: Any, status: int = 200) -> Response:
    if isinstance(value, bytes):
        return Response(value, status, media_type=CONTENT_TYPE)
    return Response(json.dumps(value, ensure_ascii=False).encode(), status, media_type=CONTENT_TYPE)


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps({"error_code": code, "message": message}, ensure_ascii=False).encode()
    return Response(body, status, headers=headers, media_type=CONTENT_TYPE)


# -- query parameters -----------------------------------------------------------------------------


def qbool(request: Request, *names: str) -> bool:
    """A boolean query parameter, case-insensitive (confluent-kafka sends ``True``/``False``).
    Several names: the first present wins (``deletedOnly`` and the client's ``deleted_only``)."""
    for name in names:
        value = request.query_params.get(name)
        if value is None:
            continue
        low = value.strip().lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0", ""):
            return False
        raise bad_request(f"query parameter '{name}' must be true or false, not {value!r}")
    return False


def qint(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f"query parameter '{name}' must be an integer, not {value!r}") from None
    if not -MAX_INT - 1 <= number <= MAX_INT:
        raise bad_request(f"query parameter '{name}' is out of range: {value}")
    return number


def qstr(request: Request, name: str) -> str | None:
    return request.query_params.get(name)


def path_id(request: Request) -> int:
    text = request.path_params["id"]
    try:
        number = int(text)
    except ValueError:
        raise ApiError(404, 40403, f"Schema {text} not found") from None
    if not 0 <= number <= MAX_INT:
        raise ApiError(404, 40403, f"Schema {text} not found")
    return number


# -- the endpoint wrapper -------------------------------------------------------------------------


class _Settings:
    def __init__(self, registry: Registry, readonly: bool, users: Users | None, max_body: int) -> None:
        self.registry = registry
        self.readonly = readonly
        self.users = users
        self.max_body = max_body


async def _read_body(request: Request, limit: int) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise ApiError(422, 42209, f"Schema too large: the request body has {declared} bytes, the limit is {limit}")
        except ValueError:
            raise bad_request("malformed Content-Length header") from None
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(422, 42209, f"Schema too large: the request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return None
    depth = limits.get().max_json_depth
    if limits.json_too_deep(raw, depth):
        raise bad_request(f"malformed JSON in the request body: nested deeper than {depth} levels")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise bad_request(f"malformed JSON in the request body: {exc}") from None


def _endpoint(handler: Handler, role: str, body: bool = False) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        settings: _Settings = request.app.state.settings
        try:
            if settings.users is not None:
                denied = _authorize(request, settings.users, role)
                if denied is not None:
                    return denied
            if settings.readonly and role != "read":
                raise ApiError(422, 42205, "This registry is read-only: writes are refused")
            payload = await _read_body(request, settings.max_body) if body else None
            result = handler(request, settings.registry, payload)
            if isinstance(result, Response):
                return result
            return _json(result)
        except ApiError as exc:
            return _error(exc.status, exc.code, exc.message)
        except RecursionError:
            return _error(422, 42201, "Invalid schema: nested too deeply")
        except AvroError as exc:  # a catalog refusal the service did not map: the caller's input
            return _error(422, 42201, str(exc))
        except sqlite3.OperationalError as exc:
            _log.error("catalog store error on %s %s: %s", request.method, request.url.path, exc)
            if "locked" in str(exc) or "busy" in str(exc):
                return _error(500, 50002, "Timed out waiting for the catalog file's write lock")
            return _error(500, 50001, "Error in the backend data store")
        except Exception:
            _log.exception("unexpected error on %s %s", request.method, request.url.path)
            return _error(500, 50001, "Error in the backend data store")

    endpoint.__name__ = handler.__name__
    return endpoint


def _authorize(request: Request, users: Users, role: str) -> Response | None:
    challenge = {"WWW-Authenticate": 'Basic realm="turboavro registry"'}
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return _error(401, 40101, "Unauthorized: HTTP Basic credentials are required", challenge)
    try:
        name, sep, password = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return _error(401, 40101, "Unauthorized: malformed Basic credentials", challenge)
    granted = users.role(name, password) if sep else None
    if granted is None:
        return _error(401, 40101, "Unauthorized: unknown user or wrong password", challenge)
    if _ROLE_RANK[granted] < _ROLE_RANK[role]:
        return _error(403, 40301, f"Forbidden: user '{name}' has the {granted} role; this request needs {role}")
    return None


# -- handlers ----------------------------------------------------------------------------------------
# Each takes (request, registry, parsed body) and returns a JSON-ready value or a Response.


def _subject(request: Request) -> str:
    return str(request.path_params["subject"])


def root(request: Request, reg: Registry, _: Any) -> Any:
    return {}


def schema_types(request: Request, reg: Registry, _: Any) -> Any:
    return ["AVRO"]


def list_schemas(request: Request, reg: Registry, _: Any) -> Any:
    return reg.schemas(
        qstr(request, "subjectPrefix"), qbool(request, "deleted"), qbool(request, "latestOnly"),
        qint(request, "offset", 0), qint(request, "limit", -1),
    )


def schema_by_id(request: Request, reg: Registry, _: Any) -> Any:
    return reg.schema_by_id_json(path_id(request), qstr(request, "subject"))


def schema_by_id_raw(request: Request, reg: Registry, _: Any) -> Any:
    return Response(reg.schema_text(path_id(request), qstr(request, "subject")).encode(), media_type=CONTENT_TYPE)


def id_subjects(request: Request, reg: Registry, _: Any) -> Any:
    return reg.id_subjects(path_id(request), qstr(request, "subject"), qbool(request, "deleted"),
                           qint(request, "offset", 0), qint(request, "limit", -1))


def id_versions(request: Request, reg: Registry, _: Any) -> Any:
    return reg.id_versions(path_id(request), qstr(request, "subject"), qbool(request, "deleted"),
                           qint(request, "offset", 0), qint(request, "limit", -1))


def schema_by_guid(request: Request, reg: Registry, _: Any) -> Any:
    raise ApiError(404, 40403, f"Schema {request.path_params['guid']} not found")


def list_subjects(request: Request, reg: Registry, _: Any) -> Any:
    return reg.subjects(
        qstr(request, "subjectPrefix"), qbool(request, "deleted"), qbool(request, "deletedOnly", "deleted_only"),
        qint(request, "offset", 0), qint(request, "limit", -1),
    )


def lookup(request: Request, reg: Registry, body: Any) -> Any:
    return reg.lookup(_subject(request), body, qbool(request, "deleted", "lookupDeletedSchema"))


def delete_subject(request: Request, reg: Registry, _: Any) -> Any:
    return reg.delete_subject(_subject(request), qbool(request, "permanent"))


def subject_metadata(request: Request, reg: Registry, _: Any) -> Any:
    return reg.metadata(_subject(request), request.query_params.getlist("key"),
                        request.query_params.getlist("value"), qbool(request, "deleted"))


def list_versions(request: Request, reg: Registry, _: Any) -> Any:
    return reg.versions(
        _subject(request), qbool(request, "deleted"), qbool(request, "deletedOnly", "deleted_only"),
        qbool(request, "deletedAsNegative"), qint(request, "offset", 0), qint(request, "limit", -1),
    )


def register(request: Request, reg: Registry, body: Any) -> Any:
    qbool(request, "normalize")  # validated; content is always compared normalized
    return reg.register(_subject(request), body)


def get_version(request: Request, reg: Registry, _: Any) -> Any:
    return reg.get_version(_subject(request), request.path_params["version"], qbool(request, "deleted"))


def version_schema(request: Request, reg: Registry, _: Any) -> Any:
    text = reg.version_schema(_subject(request), request.path_params["version"], qbool(request, "deleted"))
    return Response(text.encode(), media_type=CONTENT_TYPE)


def referenced_by(request: Request, reg: Registry, _: Any) -> Any:
    return reg.referenced_by(_subject(request), request.path_params["version"],
                             qint(request, "offset", 0), qint(request, "limit", -1))


def delete_version(request: Request, reg: Registry, _: Any) -> Any:
    return reg.delete_version(_subject(request), request.path_params["version"], qbool(request, "permanent"))


def compat_version(request: Request, reg: Registry, body: Any) -> Any:
    qbool(request, "normalize")
    return reg.compatibility(_subject(request), request.path_params["version"], body, qbool(request, "verbose"))


def compat_all(request: Request, reg: Registry, body: Any) -> Any:
    qbool(request, "normalize")
    return reg.compatibility(_subject(request), None, body, qbool(request, "verbose"))


def _optional_subject(request: Request) -> str | None:
    subject = request.path_params.get("subject")
    return None if subject is None else str(subject)


def get_config(request: Request, reg: Registry, _: Any) -> Any:
    subject = _optional_subject(request)
    return reg.get_config(subject, subject is None or qbool(request, "defaultToGlobal"))


def put_config(request: Request, reg: Registry, body: Any) -> Any:
    return reg.set_config(_optional_subject(request), body)


def delete_config(request: Request, reg: Registry, _: Any) -> Any:
    return reg.delete_config(_optional_subject(request))


def get_mode(request: Request, reg: Registry, _: Any) -> Any:
    subject = _optional_subject(request)
    return reg.get_mode(subject, subject is None or qbool(request, "defaultToGlobal"))


def put_mode(request: Request, reg: Registry, body: Any) -> Any:
    return reg.set_mode(_optional_subject(request), body, qbool(request, "force"))


def delete_mode(request: Request, reg: Registry, _: Any) -> Any:
    qbool(request, "recursive")
    return reg.delete_mode(_optional_subject(request))


def contexts(request: Request, reg: Registry, _: Any) -> Any:
    qint(request, "offset", 0)
    qint(request, "limit", -1)
    return ["."]


def metadata_id(request: Request, reg: Registry, _: Any) -> Any:
    return {"scope": {"path": [], "clusters": {"schema-registry-cluster": "turboavro"}}}


def metadata_version(request: Request, reg: Registry, _: Any) -> Any:
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("turboavro")
    except PackageNotFoundError:
        number = "unknown"
    return {"version": number, "commitId": ""}


def associations(request: Request, reg: Registry, _: Any) -> Any:
    # No associations are stored: confluent-kafka >= 2.14's serializers read a 404 here as
    # "none" and fall back to the topic name strategy.
    raise ApiError(404, 40410, f"Association for '{request.url.path}' not found.")


def openapi(request: Request, reg: Registry, _: Any) -> Any:
    return Response(json.dumps(openapi_document()).encode(), media_type="application/json")


def _routes() -> list[Route]:
    r = "read"
    table: list[tuple[str, Handler, list[str], str, bool]] = [
        ("/", root, ["GET", "POST"], r, False),
        ("/openapi.json", openapi, ["GET"], r, False),
        ("/schemas", list_schemas, ["GET"], r, False),
        ("/schemas/types", schema_types, ["GET"], r, False),
        ("/schemas/ids/{id}", schema_by_id, ["GET"], r, False),
        ("/schemas/ids/{id}/schema", schema_by_id_raw, ["GET"], r, False),
        ("/schemas/ids/{id}/subjects", id_subjects, ["GET"], r, False),
        ("/schemas/ids/{id}/versions", id_versions, ["GET"], r, False),
        ("/schemas/guids/{guid}", schema_by_guid, ["GET"], r, False),
        ("/schemas/guids/{guid}/ids", schema_by_guid, ["GET"], r, False),
        ("/subjects", list_subjects, ["GET"], r, False),
        ("/subjects/{subject}", lookup, ["POST"], r, True),
        ("/subjects/{subject}", delete_subject, ["DELETE"], "write", False),
        ("/subjects/{subject}/metadata", subject_metadata, ["GET"], r, False),
        ("/subjects/{subject}/versions", list_versions, ["GET"], r, False),
        ("/subjects/{subject}/versions", register, ["POST"], "write", True),
        ("/subjects/{subject}/versions/{version}", get_version, ["GET"], r, False),
        ("/subjects/{subject}/versions/{version}", delete_version, ["DELETE"], "write", False),
        ("/subjects/{subject}/versions/{version}/schema", version_schema, ["GET"], r, False),
        ("/subjects/{subject}/versions/{version}/referencedby", referenced_by, ["GET"], r, False),
        ("/compatibility/subjects/{subject}/versions", compat_all, ["POST"], r, True),
        ("/compatibility/subjects/{subject}/versions/{version}", compat_version, ["POST"], r, True),
        ("/config", get_config, ["GET"], r, False),
        ("/config", put_config, ["PUT"], "admin", True),
        ("/config", delete_config, ["DELETE"], "admin", False),
        ("/config/{subject}", get_config, ["GET"], r, False),
        ("/config/{subject}", put_config, ["PUT"], "admin", True),
        ("/config/{subject}", delete_config, ["DELETE"], "admin", False),
        ("/mode", get_mode, ["GET"], r, False),
        ("/mode", put_mode, ["PUT"], "admin", True),
        ("/mode", delete_mode, ["DELETE"], "admin", False),
        ("/mode/{subject}", get_mode, ["GET"], r, False),
        ("/mode/{subject}", put_mode, ["PUT"], "admin", True),
        ("/mode/{subject}", delete_mode, ["DELETE"], "admin", False),
        ("/contexts", contexts, ["GET"], r, False),
        ("/v1/metadata/id", metadata_id, ["GET"], r, False),
        ("/v1/metadata/version", metadata_version, ["GET"], r, False),
        ("/associations", associations, ["GET", "POST", "PUT", "DELETE"], r, False),
        ("/associations/{rest:path}", associations, ["GET", "POST", "PUT", "DELETE"], r, False),
    ]
    return [Route(path, _endpoint(fn, role, body), methods=methods) for path, fn, methods, role, body in table]


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    text = exc.detail if isinstance(exc, HTTPException) else "Internal Server Error"
    return _error(status, status, f"HTTP {status} {text}")


def create_app(
    db: str | os.PathLike[str] | Catalog = "registry.db",
    *,
    readonly: bool = False,
    users: str | os.PathLike[str] | Users | None = None,
    max_body: int = DEFAULT_MAX_BODY,
) -> Starlette:
    """The registry as an ASGI app over the catalog file ``db`` (or an open Catalog).

    ``readonly`` refuses every write (42205); ``users`` (a users file, see
    :mod:`turboavro.registry.auth`) turns on HTTP Basic authentication; ``max_body`` caps
    request bodies (42209 beyond it).
    """
    owned = not isinstance(db, Catalog)
    user_table = Users.load(users) if isinstance(users, (str, os.PathLike)) else users
    catalog = Catalog(db) if not isinstance(db, Catalog) else db

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:  # a catalog the app opened is closed when the server shuts down
            catalog.close()

    app = Starlette(
        routes=_routes(),
        exception_handlers={HTTPException: _http_error, 404: _http_error, 405: _http_error},
        lifespan=lifespan,
    )
    app.state.settings = _Settings(Registry(catalog), readonly, user_table, max_body)
    return app


def app_from_env() -> Starlette:
    """The app configured by ``TURBOAVRO_REGISTRY_*`` variables: what ``turboavro registry
    serve --workers N`` has each worker process build (uvicorn's factory)."""
    env = os.environ
    return create_app(
        env["TURBOAVRO_REGISTRY_DB"],
        readonly=env.get("TURBOAVRO_REGISTRY_READONLY") == "1",
        users=env.get("TURBOAVRO_REGISTRY_USERS") or None,
        max_body=int(env.get("TURBOAVRO_REGISTRY_MAX_BODY", DEFAULT_MAX_BODY)),
    )
