"""Confluent Schema Registry semantics over a :class:`~turboavro.catalog.Catalog`.

This module knows no HTTP framework: each operation takes plain Python values and returns a
JSON-ready value, or raises :class:`ApiError` carrying the HTTP status and Confluent's
``error_code``. ``app.py`` parses requests into these calls; tests and other front ends may
call them directly.

Only Avro is served: a request naming another ``schemaType`` is refused with 42201.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping
from typing import Any

from ..catalog import DEFAULT_LEVEL, LEVELS, MODES, Catalog, SchemaVersion
from ..errors import (
    AvroError,
    CatalogError,
    IdConflictError,
    IncompatibleSchemaError,
    ModeError,
    SchemaInUseError,
    UnknownSchemaError,
)

__all__ = ["ApiError", "Registry", "MAX_INT"]

MAX_INT = 2**31 - 1


class ApiError(Exception):
    """An error answer: HTTP ``status``, Confluent ``code`` and ``message``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


# -- Confluent's errors (status, code, message) ----------------------------------------------


def subject_not_found(subject: str) -> ApiError:
    return ApiError(404, 40401, f"Subject '{subject}' not found.")


def version_not_found(version: Any) -> ApiError:
    return ApiError(404, 40402, f"Version {version} not found.")


def schema_not_found(what: Any = None) -> ApiError:
    return ApiError(404, 40403, "Schema not found" if what is None else f"Schema {what} not found")


def invalid_schema(message: str) -> ApiError:
    return ApiError(422, 42201, f"Invalid schema: {message}")


def not_permitted(message: str) -> ApiError:
    return ApiError(422, 42205, message)


def bad_request(message: str) -> ApiError:
    return ApiError(400, 400, message)


def parse_version(text: str) -> int | str:
    """A path's version: ``latest`` (or -1) or an int in 1..2^31-1 (else 42202)."""
    if text == "latest":
        return "latest"
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number == -1:
        return "latest"
    if not 1 <= number <= MAX_INT or not text.lstrip("-").isdigit():
        raise ApiError(
            422,
            42202,
            f"The specified version '{text}' is not a valid version id. Allowed values are between "
            f"[1, {MAX_INT}] and the string \"latest\"",
        )
    return number


def _page(items: list[Any], offset: int, limit: int) -> list[Any]:
    items = items[max(offset, 0):]
    return items[:limit] if limit >= 0 else items


class Registry:
    """The registry operations on one catalog file. Safe to share between threads; several
    processes may open the same file (the catalog's transactions keep them consistent)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._lock = threading.Lock()
        # id -> the JSON answer of GET /schemas/ids/{id} (an id's content never changes; a hard
        # delete anywhere changes the file's data_version, which drops this cache)
        self._id_cache: dict[int, bytes] = {}
        self._data_version = -1

    # -- caching ------------------------------------------------------------------------------

    def _fresh(self) -> None:
        """Drop answers cached before another connection (process) changed the file."""
        version = self.catalog.data_version()
        if version != self._data_version:
            self._id_cache.clear()
            self._data_version = version

    def schema_by_id_json(self, schema_id: int, subject: str | None = None) -> bytes:
        """The body of ``GET /schemas/ids/{id}`` (cached, already serialized)."""
        self._fresh()
        if subject is None:
            hit = self._id_cache.get(schema_id)
            if hit is not None:
                return hit
        usages = self.catalog.usages(schema_id)
        if not usages or (subject is not None and subject not in {s for s, _ in usages}):
            raise schema_not_found(schema_id)
        first = self._version(usages[0][0], usages[0][1], deleted=True)
        body: dict[str, Any] = {"schema": first.text}
        if first.references:
            body["references"] = [r.to_json() for r in first.references]
        data = json.dumps(body, ensure_ascii=False).encode()
        if subject is None and len(self._id_cache) < 100_000:
            self._id_cache[schema_id] = data
        return data

    # -- helpers ------------------------------------------------------------------------------

    def _version(self, subject: str, version: int | str, *, deleted: bool = False) -> SchemaVersion:
        try:
            return self.catalog.get_version(subject, version, include_deleted=deleted)
        except UnknownSchemaError:
            if not self._has_versions(subject, deleted=True if version != "latest" else deleted):
                raise subject_not_found(subject) from None
            raise version_not_found(version) from None

    def _has_versions(self, subject: str, *, deleted: bool) -> bool:
        try:
            self.catalog.versions(subject, include_deleted=deleted)
        except UnknownSchemaError:
            return False
        return True

    @staticmethod
    def version_json(v: SchemaVersion) -> dict[str, Any]:
        body: dict[str, Any] = {"subject": v.subject, "version": v.version, "id": v.id, "schema": v.text}
        if v.references:
            body["references"] = [r.to_json() for r in v.references]
        if v.metadata:
            body["metadata"] = dict(v.metadata)
        if v.deleted:
            body["deleted"] = True
        return body

    @staticmethod
    def _schema_request(body: Any) -> tuple[str, list[dict[str, Any]], Mapping[str, Any] | None]:
        """(schema text, references, metadata) of a register/lookup/compatibility body."""
        if not isinstance(body, dict):
            raise ApiError(422, 42201, "Invalid schema: the request body must be a JSON object with a 'schema' key")
        kind = body.get("schemaType", "AVRO")
        if kind is None:
            kind = "AVRO"
        if not isinstance(kind, str) or kind.upper() != "AVRO":
            raise invalid_schema(f"schema type {kind!r} is not supported: this registry stores AVRO schemas only")
        text = body.get("schema")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(422, 42201, "Empty schema")
        refs = body.get("references") or []
        if not isinstance(refs, list):
            raise invalid_schema("'references' must be a list")
        out = []
        for ref in refs:
            if (
                not isinstance(ref, dict)
                or not isinstance(ref.get("name"), str)
                or not isinstance(ref.get("subject"), str)
                or isinstance(ref.get("version"), bool)
                or not (isinstance(ref.get("version"), int) or ref.get("version") == "latest")
            ):
                raise invalid_schema(f"reference {ref!r} needs a 'name', a 'subject' and a 'version'")
            version = ref["version"]
            if version == -1:
                version = "latest"
            out.append({"name": ref["name"], "subject": ref["subject"], "version": version})
        metadata = body.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise invalid_schema("'metadata' must be an object")
        return text, out, metadata

    @staticmethod
    def _schema_failure(exc: AvroError) -> ApiError:
        if isinstance(exc, ModeError):
            return not_permitted(str(exc))
        if isinstance(exc, IdConflictError):
            return ApiError(422, 42207, str(exc))
        if isinstance(exc, UnknownSchemaError):  # a reference to a missing subject/version
            return invalid_schema(str(exc))
        return invalid_schema(str(exc))

    # -- subjects and versions ----------------------------------------------------------------

    def subjects(self, prefix: str | None, deleted: bool, deleted_only: bool, offset: int, limit: int) -> list[str]:
        everything = self.catalog.subjects(include_deleted=deleted or deleted_only)
        if deleted_only:
            live = set(self.catalog.subjects())
            # a subject whose every version is soft-deleted
            everything = [s for s in everything if s not in live]
        if prefix:
            everything = [s for s in everything if s.startswith(prefix)]
        return _page(everything, offset, limit)

    def versions(self, subject: str, deleted: bool, deleted_only: bool, negative: bool, offset: int, limit: int) -> list[int]:
        try:
            every = self.catalog.versions(subject, include_deleted=deleted or deleted_only or negative)
        except UnknownSchemaError:
            raise subject_not_found(subject) from None
        if deleted_only or negative:
            live = set(self.catalog.versions(subject)) if self._has_versions(subject, deleted=False) else set()
            if deleted_only:
                every = [v for v in every if v not in live]
            else:
                every = [v if v in live else -v for v in every]
        return _page(every, offset, limit)

    def register(self, subject: str, body: Any) -> dict[str, Any]:
        text, refs, metadata = self._schema_request(body)
        schema_id = body.get("id")
        version = body.get("version")
        if schema_id is not None and schema_id != -1 and (isinstance(schema_id, bool) or not isinstance(schema_id, int) or not 1 <= schema_id <= MAX_INT):
            raise ApiError(422, 42201, f"Invalid schema: 'id' must be an int in 1..{MAX_INT}")
        if version is not None and version != -1 and (isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_INT):
            raise ApiError(422, 42202, f"The specified version '{version}' is not a valid version id.")
        try:
            v = self.catalog.register_version(
                subject,
                text,
                refs,
                metadata,
                schema_id=None if schema_id in (None, -1) else schema_id,
                version=None if version in (None, -1) else version,
            )
        except IncompatibleSchemaError as exc:
            raise ApiError(
                409,
                40901,
                f"Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: {exc}",
            ) from None
        except CatalogError as exc:
            if isinstance(exc, (ModeError, IdConflictError)):
                raise self._schema_failure(exc) from None
            if "invalid subject" in str(exc):
                raise ApiError(422, 42208, str(exc)) from None
            raise invalid_schema(str(exc)) from None
        except AvroError as exc:
            raise self._schema_failure(exc) from None
        out = self.version_json(v)
        out.pop("deleted", None)
        return out

    def lookup(self, subject: str, body: Any, deleted: bool) -> dict[str, Any]:
        text, refs, _ = self._schema_request(body)
        if not self._has_versions(subject, deleted=deleted):
            raise subject_not_found(subject)
        try:
            v = self.catalog.lookup(text, subject, refs, include_deleted=deleted)
        except UnknownSchemaError as exc:
            if "reference" in str(exc):
                raise invalid_schema(str(exc)) from None
            raise schema_not_found() from None
        except AvroError as exc:
            raise self._schema_failure(exc) from None
        return self.version_json(v)

    def get_version(self, subject: str, version: str, deleted: bool) -> dict[str, Any]:
        number = parse_version(version)
        return self.version_json(self._version(subject, number, deleted=deleted))

    def version_schema(self, subject: str, version: str, deleted: bool) -> str:
        return self._version(subject, parse_version(version), deleted=deleted).text

    def referenced_by(self, subject: str, version: str, offset: int, limit: int) -> list[int]:
        v = self._version(subject, parse_version(version), deleted=True)
        return _page(self.catalog.referenced_by(subject, v.version), offset, limit)

    def metadata(self, subject: str, keys: list[str], values: list[str], deleted: bool) -> dict[str, Any]:
        if len(keys) != len(values):
            raise bad_request("'key' and 'value' must be given the same number of times")
        try:
            numbers = self.catalog.versions(subject, include_deleted=deleted)
        except UnknownSchemaError:
            raise subject_not_found(subject) from None
        for number in reversed(numbers):
            v = self.catalog.get_version(subject, number, include_deleted=True)
            props = v.metadata.get("properties") if isinstance(v.metadata, Mapping) else None
            props = props if isinstance(props, Mapping) else {}
            if all(props.get(k) == val for k, val in zip(keys, values, strict=False)):
                return self.version_json(v)
        raise ApiError(404, 40403, f"Schema with metadata {dict(zip(keys, values, strict=False))} not found in subject '{subject}'")

    def delete_version(self, subject: str, version: str, permanent: bool) -> int:
        number = parse_version(version)
        v = self._version(subject, number, deleted=True if number != "latest" else False)
        if permanent and not v.deleted:
            raise ApiError(404, 40407, f"Subject '{subject}' Version {v.version} was not deleted first before being permanently deleted")
        if not permanent and v.deleted:
            raise ApiError(404, 40406, f"Subject '{subject}' Version {v.version} was soft deleted.Set permanent=true to delete permanently")
        self._delete(subject, v.version, permanent)
        return v.version

    def delete_subject(self, subject: str, permanent: bool) -> list[int]:
        if not self._has_versions(subject, deleted=True):
            raise subject_not_found(subject)
        live = self._has_versions(subject, deleted=False)
        if permanent and live:
            raise ApiError(404, 40405, f"Subject '{subject}' was not deleted first before being permanently deleted")
        if not permanent and not live:
            raise ApiError(404, 40404, f"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently")
        versions = self._delete(subject, None, permanent)
        if permanent:
            # a permanently deleted subject leaves nothing behind: its level and mode go too
            self.catalog.set_level(None, subject)
            self.catalog.set_mode(None, subject)
        return versions

    def _delete(self, subject: str, version: int | None, permanent: bool) -> list[int]:
        try:
            done = self.catalog.delete(subject, version, permanent=permanent)
        except SchemaInUseError as exc:
            raise ApiError(422, 42206, f"One or more references exist to the schema {{subject={subject},version={version}}}: {exc}") from None
        except ModeError as exc:
            raise not_permitted(str(exc)) from None
        except UnknownSchemaError:  # deleted meanwhile by another request
            raise version_not_found(version) if version is not None else subject_not_found(subject) from None
        except CatalogError as exc:
            raise ApiError(404, 40407 if version is not None else 40405, str(exc)) from None
        self._id_cache.clear()
        return done

    # -- schemas --------------------------------------------------------------------------------

    def schema_text(self, schema_id: int, subject: str | None) -> str:
        return str(json.loads(self.schema_by_id_json(schema_id, subject))["schema"])

    def id_subjects(self, schema_id: int, subject: str | None, deleted: bool, offset: int, limit: int) -> list[str]:
        pairs = self._id_usages(schema_id, subject, deleted)
        return _page(sorted({s for s, _ in pairs}), offset, limit)

    def id_versions(self, schema_id: int, subject: str | None, deleted: bool, offset: int, limit: int) -> list[dict[str, Any]]:
        pairs = self._id_usages(schema_id, subject, deleted)
        return _page([{"subject": s, "version": v} for s, v in pairs], offset, limit)

    def _id_usages(self, schema_id: int, subject: str | None, deleted: bool) -> list[tuple[str, int]]:
        every = self.catalog.usages(schema_id)
        if not every:
            raise schema_not_found(schema_id)
        rows = every if deleted else self.catalog.usages(schema_id, include_deleted=False)
        return [(s, v) for s, v in rows if subject is None or s == subject]

    def schemas(self, prefix: str | None, deleted: bool, latest_only: bool, offset: int, limit: int) -> list[dict[str, Any]]:
        out = []
        for subject in self.subjects(prefix, deleted, False, 0, -1):
            numbers = self.catalog.versions(subject, include_deleted=deleted)
            if latest_only:
                numbers = numbers[-1:]
            for number in numbers:
                out.append(self.version_json(self.catalog.get_version(subject, number, include_deleted=True)))
        return _page(out, offset, limit)

    # -- compatibility ----------------------------------------------------------------------------

    def compatibility(self, subject: str, version: str | None, body: Any, verbose: bool) -> dict[str, Any]:
        from ..compatibility import check_level

        text, refs, _ = self._schema_request(body)
        level = self.catalog.get_level(subject) or DEFAULT_LEVEL
        if version is None:
            if not self._has_versions(subject, deleted=False):
                return {"is_compatible": True} if not verbose else {"is_compatible": True, "messages": []}
            history_versions = self.catalog.versions(subject)
        else:
            number = parse_version(version)
            if not self._has_versions(subject, deleted=False):
                raise subject_not_found(subject)
            history_versions = [self._version(subject, number).version]
            # one version: the check is the level's direction against that version alone
            level = level.replace("_TRANSITIVE", "")
        try:
            history = [self.catalog.get_version(subject, n, include_deleted=True).schema for n in history_versions]
            new = self.catalog.parse_schema(text, refs)
        except AvroError as exc:
            raise self._schema_failure(exc) from None
        report = check_level(new, history, level)
        result: dict[str, Any] = {"is_compatible": report.compatible}
        if verbose:
            messages = []
            for failure in report.failures:
                number = history_versions[failure.version - 1]
                for inc, description in zip(failure.incompatibilities, failure.confluent_messages(), strict=False):
                    messages.append(
                        f"{{errorType:'{inc.type.value}', description:'{description}', "
                        f"additionalInfo:'{inc.detail}'}}"
                    )
                    if inc.suggestion:
                        messages.append(f"{{suggestion:'{inc.suggestion}'}}")
                messages.append(f"{{oldSchemaVersion: {number}}}")
                messages.append(f"{{direction: {failure.direction.value}}}")
            if messages:
                messages.append(f"{{compatibility: '{level}'}}")
            result["messages"] = messages
        return result

    # -- config and mode ------------------------------------------------------------------------

    @staticmethod
    def _level_from(body: Any) -> str:
        if not isinstance(body, dict):
            raise ApiError(422, 42203, "Invalid compatibility level: the body must be a JSON object")
        level = body.get("compatibility", body.get("compatibilityLevel"))
        if not isinstance(level, str) or level.upper() not in LEVELS:
            raise ApiError(422, 42203, f"Invalid compatibility level {level!r}. Valid values are: {', '.join(LEVELS)}")
        return level.upper()

    def get_config(self, subject: str | None, default_to_global: bool) -> dict[str, Any]:
        level = self.catalog.get_level(subject, default_to_global=default_to_global)
        if level is None:
            raise ApiError(404, 40408, f"Subject '{subject}' does not have subject-level compatibility configured")
        return {"compatibilityLevel": level}

    def set_config(self, subject: str | None, body: Any) -> dict[str, Any]:
        level = self._level_from(body)
        try:
            self.catalog.set_level(level, subject)
        except CatalogError as exc:
            raise ApiError(422, 42208, str(exc)) from None
        return {"compatibility": level}

    def delete_config(self, subject: str | None) -> dict[str, Any]:
        old = self.catalog.get_level(subject, default_to_global=subject is None)
        if subject is None:
            self.catalog.set_level(DEFAULT_LEVEL)
        elif old is None:
            raise ApiError(404, 40408, f"Subject '{subject}' does not have subject-level compatibility configured")
        else:
            self.catalog.set_level(None, subject)
        return {"compatibilityLevel": old}

    def get_mode(self, subject: str | None, default_to_global: bool) -> dict[str, Any]:
        mode = self.catalog.get_mode(subject, default_to_global=default_to_global)
        if mode is None:
            raise ApiError(404, 40409, f"Subject '{subject}' does not have subject-level mode configured")
        return {"mode": mode}

    def set_mode(self, subject: str | None, body: Any, force: bool) -> dict[str, Any]:
        mode = body.get("mode") if isinstance(body, dict) else None
        if not isinstance(mode, str) or mode.upper() not in MODES:
            raise ApiError(422, 42204, f"Invalid mode {mode!r}. Valid values are: {', '.join(MODES)}")
        try:
            self.catalog.set_mode(mode, subject, force=force)
        except ModeError as exc:
            raise not_permitted(str(exc)) from None
        except CatalogError as exc:
            raise ApiError(422, 42208, str(exc)) from None
        return {"mode": mode.upper()}

    def delete_mode(self, subject: str | None) -> dict[str, Any]:
        old = self.catalog.get_mode(subject, default_to_global=subject is None)
        if old is None:
            raise ApiError(404, 40409, f"Subject '{subject}' does not have subject-level mode configured")
        self.catalog.set_mode(None, subject)
        return {"mode": old}


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite giving up on a lock held by another process too long."""
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)
