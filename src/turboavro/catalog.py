"""An embedded schema registry on SQLite: subjects, versions, global ids, compatibility levels.

The data model is Confluent Schema Registry's (with its compatibility levels), kept in one
SQLite file (standard library ``sqlite3``, no server):

- a **schema id** is global and deduplicated by content: the same schema (compared by its
  *normalized* JSON — full names, keys sorted, no whitespace, so doc/defaults/logical types
  still count) with the same references gets the same id in every subject;
- a **subject** holds **versions** 1, 2, ... that are never reused, not even after a delete;
- each subject has a compatibility level (or inherits the global one, ``BACKWARD`` by default)
  checked by :func:`turboavro.compatibility.check_level` before a new version is added;
- a **soft delete** hides a version from listings and ``latest`` but its id still resolves; a
  **hard delete** (``permanent=True``) is allowed only after the soft delete, as in Confluent;
- **references** import named types from another subject's version
  (``references=[(name, subject, version)]``);
- a **mode** (global, or per subject) as in Confluent: READWRITE, READONLY (every write
  refused) or IMPORT (registrations give their schema id and optionally their version, with no
  compatibility check: how another registry's content is copied with its ids).

Concurrency: every write is one ``BEGIN IMMEDIATE`` transaction, the file is in WAL mode and
the connection waits on a busy timeout, so several processes may register into one file at
once without losing a registration or handing out an id or version twice. Within a process a
Catalog may be shared between threads (a lock serialises its connection).

The catalog is also the default *store* of the framings: :meth:`Catalog.schema_by_fingerprint`
(single-object encoding) and :meth:`Catalog.schema_by_id` (Confluent framing) are cached in
memory, so a decode loop does not touch SQLite after the first message of each schema. A
schema id's content never changes; only a hard delete in *another* process can leave this
process's cache answering for an id that the file no longer holds.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import (
    AvroError,
    CatalogError,
    IdConflictError,
    IncompatibleSchemaError,
    ModeError,
    SchemaError,
    SchemaInUseError,
    UnknownSchemaError,
)
from .schema import Schema

__all__ = [
    "LEVELS",
    "DEFAULT_LEVEL",
    "MODES",
    "Catalog",
    "CatalogError",
    "Reference",
    "SchemaVersion",
]

#: The compatibility levels of Confluent Schema Registry.
LEVELS = (
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
)
DEFAULT_LEVEL = "BACKWARD"

#: Confluent Schema Registry's modes: READONLY refuses every write; IMPORT accepts only
#: registrations that give their schema id (and optionally version), skipping compatibility
#: checks, so another registry's content can be copied with its ids.
MODES = ("READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT")
DEFAULT_MODE = "READWRITE"
_MAX_ID = 2**31 - 1  # ids and versions are Java ints in Confluent's API

_FORMAT = "turboavro-catalog"
_FORMAT_VERSION = 1

# Fingerprint algorithm by digest length: the column holding it and the Schema.fingerprint name.
_FP_COLUMNS = {8: ("crc64", "CRC-64-AVRO"), 16: ("md5", "MD5"), 32: ("sha256", "SHA-256")}

SchemaInput = Schema | str | Mapping[str, Any] | Sequence[Any]


@dataclass(frozen=True)
class Reference:
    """A named type imported from another subject's version (Confluent "schema reference").

    ``name`` is the full name of a type defined by the referenced schema.
    """

    name: str
    subject: str
    version: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


ReferenceInput = Reference | tuple[str, str, int | str] | Mapping[str, Any]


@dataclass(frozen=True)
class SchemaVersion:
    """One version of a subject, as returned by lookups."""

    subject: str
    version: int
    id: int
    schema: Schema
    text: str  # the schema text as first registered under this id
    references: tuple[Reference, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    deleted: bool = False


_DDL = """
CREATE TABLE IF NOT EXISTS ta_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ta_schemas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,   -- AUTOINCREMENT: an id is never handed out twice
    normalized TEXT NOT NULL,               -- dedup key part 1: sorted-key compact to_json()
    refs TEXT NOT NULL,                     -- dedup key part 2: JSON list of references
    text TEXT NOT NULL,                     -- the text as first registered
    canonical TEXT NOT NULL,                -- Parsing Canonical Form of the resolved schema
    crc64 BLOB NOT NULL,
    md5 BLOB NOT NULL,
    sha256 BLOB NOT NULL,
    UNIQUE (normalized, refs)
);
CREATE INDEX IF NOT EXISTS ta_schemas_crc64 ON ta_schemas (crc64);
CREATE INDEX IF NOT EXISTS ta_schemas_md5 ON ta_schemas (md5);
CREATE INDEX IF NOT EXISTS ta_schemas_sha256 ON ta_schemas (sha256);
CREATE INDEX IF NOT EXISTS ta_schemas_canonical ON ta_schemas (canonical);
CREATE TABLE IF NOT EXISTS ta_schema_refs (
    schema_id INTEGER NOT NULL REFERENCES ta_schemas (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    subject TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (schema_id, position)
);
CREATE INDEX IF NOT EXISTS ta_schema_refs_target ON ta_schema_refs (subject, version);
CREATE TABLE IF NOT EXISTS ta_subjects (
    subject TEXT PRIMARY KEY,
    next_version INTEGER NOT NULL,          -- versions are never reused, even after a hard delete
    level TEXT                              -- NULL: inherit the global level
);
CREATE TABLE IF NOT EXISTS ta_versions (
    subject TEXT NOT NULL REFERENCES ta_subjects (subject),
    version INTEGER NOT NULL,
    schema_id INTEGER NOT NULL REFERENCES ta_schemas (id),
    deleted INTEGER NOT NULL DEFAULT 0,     -- 1 after a soft delete
    metadata TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (subject, version)
);
CREATE INDEX IF NOT EXISTS ta_versions_schema ON ta_versions (schema_id);
CREATE TABLE IF NOT EXISTS ta_modes (
    subject TEXT PRIMARY KEY,               -- a subject's own mode (the global one is in ta_meta)
    mode TEXT NOT NULL
);
"""


def _check_level(level: str) -> str:
    if not isinstance(level, str) or level.upper() not in LEVELS:
        raise CatalogError(f"unknown compatibility level {level!r}; expected one of {', '.join(LEVELS)}")
    return level.upper()


def _check_subject(subject: str) -> str:
    if not isinstance(subject, str) or not subject or subject != subject.strip():
        raise CatalogError(f"invalid subject {subject!r}: a non-empty string without surrounding spaces")
    if any(ord(c) < 0x20 for c in subject):
        raise CatalogError(f"invalid subject {subject!r}: control characters are not allowed")
    return subject


def _normalized(schema: Schema) -> str:
    # Tolerant of whitespace, key order and namespace spelling, but not of doc/default/logical
    # type changes, which are real evolutions (a new default changes BACKWARD compatibility).
    return json.dumps(schema.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint_key(fingerprint: bytes | bytearray | memoryview | str | int) -> tuple[str, bytes]:
    """Normalise a fingerprint to ``(column, digest bytes)``.

    Accepts the raw digest (8 bytes CRC-64-AVRO little-endian as in single-object encoding, 16
    MD5, 32 SHA-256), the same as hex text, or a CRC-64-AVRO int (unsigned, or Java's signed
    long: Avro specification, Schema Fingerprints).
    """
    if isinstance(fingerprint, bool):
        raise TypeError("a fingerprint is bytes, hex text or an int, not a bool")
    if isinstance(fingerprint, int):
        if not -(1 << 63) <= fingerprint < (1 << 64):
            raise UnknownSchemaError(f"fingerprint {fingerprint} does not fit 64 bits")
        return "crc64", (fingerprint & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")
    if isinstance(fingerprint, str):
        text = fingerprint.strip().lower()
        if text.startswith("0x"):
            text = text[2:]
        try:
            digest = bytes.fromhex(text)
        except ValueError:
            raise UnknownSchemaError(f"fingerprint {fingerprint!r} is not hex text") from None
    elif isinstance(fingerprint, (bytes, bytearray, memoryview)):
        digest = bytes(fingerprint)
    else:
        raise TypeError(f"a fingerprint is bytes, hex text or an int, not {type(fingerprint).__name__}")
    if len(digest) not in _FP_COLUMNS:
        raise UnknownSchemaError(
            f"fingerprint {digest.hex()} has {len(digest)} bytes; expected 8 (CRC-64-AVRO), "
            "16 (MD5) or 32 (SHA-256)"
        )
    return _FP_COLUMNS[len(digest)][0], digest


class Catalog:
    """An embedded schema registry stored in one SQLite file (or ``":memory:"``).

    >>> with Catalog(":memory:") as cat:          # doctest: +SKIP
    ...     sid = cat.register("orders-value", '{"type": "string"}')
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        self.path = os.fspath(path)
        self._timeout = timeout
        self._lock = threading.RLock()
        # isolation_level=None: no implicit transactions; every write opens BEGIN IMMEDIATE,
        # which takes the write lock up front so two registrations cannot interleave.
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            self.path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._by_id: dict[int, Schema] = {}
        self._by_fp: dict[bytes, tuple[int, Schema]] = {}
        try:
            self._setup()
        except BaseException:
            self.close()
            raise

    # -- connection management ------------------------------------------------------------

    def _setup(self) -> None:
        conn = self._db
        if self.path != ":memory:" and not self.path.startswith("file::memory:"):
            # Changing the journal mode needs a moment without other writers; the busy handler
            # does not cover it, so retry until the timeout.
            deadline = time.monotonic() + self._timeout
            while True:
                try:
                    conn.execute("PRAGMA journal_mode=WAL")
                    break
                except sqlite3.OperationalError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)
        conn.execute("PRAGMA foreign_keys=ON")
        with self._write() as db:
            for statement in _DDL.split(";"):
                if statement.strip():
                    db.execute(statement)
            row = db.execute("SELECT value FROM ta_meta WHERE key='format'").fetchone()
            if row is None:
                db.execute("INSERT INTO ta_meta VALUES ('format', ?)", (str(_FORMAT_VERSION),))
                db.execute("INSERT INTO ta_meta VALUES ('level', ?)", (DEFAULT_LEVEL,))
            elif row[0] != str(_FORMAT_VERSION):
                raise CatalogError(f"{self.path}: catalog format {row[0]} is not supported (expected {_FORMAT_VERSION})")
            db.execute("INSERT OR IGNORE INTO ta_meta VALUES ('mode', ?)", (DEFAULT_MODE,))

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise CatalogError("the catalog is closed")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:  # also when COMMIT itself failed
                    db.execute("ROLLBACK")
                # what the transaction cached may name rows it wrote (an import's ids): gone now
                self._by_id.clear()
                self._by_fp.clear()
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        # A deferred transaction: one consistent snapshot for multi-statement reads.
        with self._lock:
            db = self._db
            db.execute("BEGIN")
            try:
                yield db
            finally:
                db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Catalog({self.path!r})"

    # -- parsing ------------------------------------------------------------------------------

    @staticmethod
    def _as_references(references: Iterable[ReferenceInput] | None) -> list[tuple[str, str, int | str]]:
        out: list[tuple[str, str, int | str]] = []
        for ref in references or ():
            try:
                if isinstance(ref, Reference):
                    out.append((ref.name, ref.subject, ref.version))
                elif isinstance(ref, Mapping):
                    out.append((ref["name"], ref["subject"], ref["version"]))
                else:
                    name, subject, version = ref
                    out.append((name, subject, version))
            except (KeyError, TypeError, ValueError):
                raise CatalogError(
                    f"invalid reference {ref!r}: expected (name, subject, version) or a dict with those keys"
                ) from None
        for name, subject, version in out:
            if not isinstance(name, str) or not isinstance(subject, str):
                raise CatalogError(f"invalid reference {(name, subject, version)!r}")
            if version != "latest" and (not isinstance(version, int) or isinstance(version, bool)):
                raise CatalogError(f"invalid reference version {version!r} (an int or 'latest')")
        return out

    def _resolve_references(
        self, db: sqlite3.Connection, refs: list[tuple[str, str, int | str]]
    ) -> tuple[tuple[Reference, ...], dict[str, Schema]]:
        """Pin each reference to a concrete version and collect the named types it imports."""
        pinned: list[Reference] = []
        named: dict[str, Schema] = {}
        for name, subject, version in refs:
            row = self._version_row(db, subject, version, include_deleted=True)
            if row is None:
                raise UnknownSchemaError(f"reference {name!r}: subject {subject!r} has no version {version}")
            ref_version, schema_id = row[0], row[1]
            types = self._schema_by_id(db, schema_id).named_types
            if name not in types:
                raise SchemaError(
                    f"reference {name!r}: subject {subject!r} version {ref_version} defines no type "
                    f"of that name (it defines {', '.join(sorted(types)) or 'no named type'})"
                )
            pinned.append(Reference(name, subject, ref_version))
            for fullname, node in types.items():
                named.setdefault(fullname, node)
        return tuple(pinned), named

    def _parse(
        self, db: sqlite3.Connection, schema: SchemaInput, refs: list[tuple[str, str, int | str]]
    ) -> tuple[Schema, str, tuple[Reference, ...]]:
        """Return (resolved schema, text to store, pinned references)."""
        pinned, named = self._resolve_references(db, refs)
        if isinstance(schema, Schema):
            if refs:
                raise CatalogError("a schema with references must be given as JSON text or a dict, not a parsed Schema")
            return schema, json.dumps(schema.to_json(), indent=2, ensure_ascii=False), pinned
        if isinstance(schema, str):
            text = schema
        elif isinstance(schema, (Mapping, list)):
            text = json.dumps(schema, indent=2, ensure_ascii=False)
        else:
            raise TypeError(f"a schema is a Schema, JSON text, a dict or a list, not {type(schema).__name__}")
        parsed = Schema.parse(text, named=named) if named else Schema.parse(text)
        return parsed, text, pinned

    def _schema_by_id(self, db: sqlite3.Connection, schema_id: int) -> Schema:
        cached = self._by_id.get(schema_id)
        if cached is not None:
            return cached
        row = db.execute("SELECT text FROM ta_schemas WHERE id=?", (schema_id,)).fetchone()
        if row is None:
            raise UnknownSchemaError(f"no schema with id {schema_id} in catalog {self.path}")
        refs = [
            (name, subject, version)
            for name, subject, version in db.execute(
                "SELECT name, subject, version FROM ta_schema_refs WHERE schema_id=? ORDER BY position",
                (schema_id,),
            )
        ]
        _, named = self._resolve_references(db, list(refs))
        parsed = Schema.parse(row[0], named=named) if named else Schema.parse(row[0])
        self._by_id[schema_id] = parsed
        return parsed

    @staticmethod
    def _version_row(
        db: sqlite3.Connection, subject: str, version: int | str, *, include_deleted: bool = False
    ) -> tuple[int, int, int, str] | None:
        """(version, schema_id, deleted, metadata) of a subject's version, ``"latest"`` = newest live."""
        if version == "latest" or version == -1:
            return db.execute(
                "SELECT version, schema_id, deleted, metadata FROM ta_versions "
                "WHERE subject=? AND deleted=0 ORDER BY version DESC LIMIT 1",
                (subject,),
            ).fetchone()
        if not isinstance(version, int) or isinstance(version, bool):
            raise CatalogError(f"invalid version {version!r} (an int or 'latest')")
        row = db.execute(
            "SELECT version, schema_id, deleted, metadata FROM ta_versions WHERE subject=? AND version=?",
            (subject, version),
        ).fetchone()
        if row is not None and row[2] and not include_deleted:
            return None
        return row

    def _references_of(self, db: sqlite3.Connection, schema_id: int) -> tuple[Reference, ...]:
        return tuple(
            Reference(*r)
            for r in db.execute(
                "SELECT name, subject, version FROM ta_schema_refs WHERE schema_id=? ORDER BY position",
                (schema_id,),
            )
        )

    def _level(self, db: sqlite3.Connection, subject: str | None) -> str:
        if subject is not None:
            row = db.execute("SELECT level FROM ta_subjects WHERE subject=?", (subject,)).fetchone()
            if row is not None and row[0] is not None:
                return str(row[0])
        return str(db.execute("SELECT value FROM ta_meta WHERE key='level'").fetchone()[0])

    def _history(self, db: sqlite3.Connection, subject: str) -> list[Schema]:
        # Live versions only, oldest first (Confluent ignores soft-deleted versions).
        return [
            self._schema_by_id(db, sid)
            for (sid,) in db.execute(
                "SELECT schema_id FROM ta_versions WHERE subject=? AND deleted=0 ORDER BY version",
                (subject,),
            ).fetchall()
        ]

    # -- registration -------------------------------------------------------------------------

    def register(
        self,
        subject: str,
        schema: SchemaInput,
        references: Iterable[ReferenceInput] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> int:
        """Add ``schema`` as the next version of ``subject`` and return its global id.

        Idempotent: a schema already live under the subject returns its id without a new
        version (unless different ``metadata`` is given, which makes a new version). Otherwise
        the subject's compatibility level is checked against its live versions first;
        :class:`~turboavro.errors.IncompatibleSchemaError` carries the full report.
        """
        return self.register_version(subject, schema, references, metadata).id

    def register_version(
        self,
        subject: str,
        schema: SchemaInput,
        references: Iterable[ReferenceInput] | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        schema_id: int | None = None,
        version: int | None = None,
    ) -> SchemaVersion:
        """:meth:`register`, returning the whole :class:`SchemaVersion` (new or existing).

        ``schema_id`` and ``version`` may be given only when the subject is in IMPORT mode
        (where the id is required and no compatibility check is made): the schema keeps that
        id, or :class:`~turboavro.errors.IdConflictError` is raised when the id or version
        already holds other content. Under READONLY every registration raises
        :class:`~turboavro.errors.ModeError`.
        """
        _check_subject(subject)
        refs = self._as_references(references)
        meta_text = self._metadata_text(metadata)
        for name, value in (("schema id", schema_id), ("version", version)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_ID):
                raise CatalogError(f"invalid {name} {value!r}: an int in 1..{_MAX_ID}")
        with self._write() as db:
            mode = self._mode(db, subject)
            importing = mode == "IMPORT"
            if mode.startswith("READONLY"):
                raise ModeError(f"subject {subject!r} is in {mode} mode: registrations are refused")
            if not importing and (schema_id is not None or version is not None):
                raise ModeError(f"subject {subject!r} is not in IMPORT mode: a schema id or version can only be given when importing")
            if importing and schema_id is None:
                raise ModeError(f"subject {subject!r} is in IMPORT mode: a registration must give its schema id")
            parsed, text, pinned = self._parse(db, schema, refs)
            normalized = _normalized(parsed)
            refs_json = json.dumps([r.to_json() for r in pinned], sort_keys=True)
            row = db.execute(
                "SELECT id FROM ta_schemas WHERE normalized=? AND refs=?", (normalized, refs_json)
            ).fetchone()
            existing: int | None = row[0] if row is not None else None
            if importing:
                assert schema_id is not None
                if existing is not None and existing != schema_id:
                    raise IdConflictError(f"this schema is already registered with id {existing}, not {schema_id}")
                if existing is None and db.execute("SELECT 1 FROM ta_schemas WHERE id=?", (schema_id,)).fetchone():
                    raise IdConflictError(f"schema id {schema_id} already holds another schema")
                if version is not None:
                    taken = self._version_row(db, subject, version, include_deleted=True)
                    if taken is not None:
                        if taken[1] == schema_id:
                            return self._make_version(db, subject, taken)
                        raise IdConflictError(f"subject {subject!r} version {version} already holds schema id {taken[1]}")
            if existing is not None and version is None:
                live = db.execute(
                    "SELECT version, schema_id, deleted, metadata FROM ta_versions WHERE subject=? AND schema_id=? "
                    "AND deleted=0 ORDER BY version DESC LIMIT 1",
                    (subject, existing),
                ).fetchone()
                if live is not None and (metadata is None or json.loads(live[3]) == json.loads(meta_text)):
                    return self._make_version(db, subject, live)
            if not importing:
                level = self._level(db, subject)
                history = self._history(db, subject)
                if level != "NONE" and history:
                    self._require_compatible(db, parsed, history, level, subject)
            if existing is None:
                cur = db.execute(
                    "INSERT INTO ta_schemas (id, normalized, refs, text, canonical, crc64, md5, sha256) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        schema_id,  # None: the next id (AUTOINCREMENT)
                        normalized,
                        refs_json,
                        text,
                        parsed.canonical_form,
                        parsed.fingerprint("CRC-64-AVRO"),
                        parsed.fingerprint("MD5"),
                        parsed.fingerprint("SHA-256"),
                    ),
                )
                existing = int(cur.lastrowid)  # type: ignore[arg-type]
                db.executemany(
                    "INSERT INTO ta_schema_refs VALUES (?, ?, ?, ?, ?)",
                    [(existing, i, r.name, r.subject, r.version) for i, r in enumerate(pinned)],
                )
            number = self._add_version(db, subject, existing, meta_text, version)
            stored = db.execute("SELECT text FROM ta_schemas WHERE id=?", (existing,)).fetchone()[0]
        # cached only once committed: a rolled-back id may be handed out again
        self._by_id.setdefault(existing, parsed)
        return SchemaVersion(subject, number, existing, self._by_id[existing], stored, pinned, json.loads(meta_text))

    @staticmethod
    def _metadata_text(metadata: Mapping[str, Any] | None) -> str:
        if metadata is None:
            return "{}"
        if not isinstance(metadata, Mapping):
            raise CatalogError(f"metadata must be a mapping, not {type(metadata).__name__}")
        try:
            return json.dumps(dict(metadata), sort_keys=True, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise CatalogError(f"metadata must be JSON-serialisable: {exc}") from None

    @staticmethod
    def _add_version(
        db: sqlite3.Connection, subject: str, schema_id: int, meta_text: str, given: int | None = None
    ) -> int:
        row = db.execute("SELECT next_version FROM ta_subjects WHERE subject=?", (subject,)).fetchone()
        version = given if given is not None else (1 if row is None else int(row[0]))
        if row is None:
            db.execute("INSERT INTO ta_subjects (subject, next_version) VALUES (?, ?)", (subject, version + 1))
        else:
            # an imported version may jump ahead; the next one is always above every version
            db.execute("UPDATE ta_subjects SET next_version=? WHERE subject=?", (max(int(row[0]), version + 1), subject))
        db.execute(
            "INSERT INTO ta_versions (subject, version, schema_id, deleted, metadata) VALUES (?, ?, ?, 0, ?)",
            (subject, version, schema_id, meta_text),
        )
        return version

    def _require_compatible(
        self, db: sqlite3.Connection, new: Schema, history: list[Schema], level: str, subject: str
    ) -> None:
        from .compatibility import check_level

        report = check_level(new, history, level)
        if report.compatible:
            return
        numbers = self._live_versions(db, subject)
        problems = "; ".join(
            f"version {numbers[f.version - 1]} ({f.direction}): "
            + ", ".join(f"{i.type} at {i.location}: {i.message}" for i in f.incompatibilities)
            for f in report.failures
        )
        raise IncompatibleSchemaError(
            f"schema is not {level} compatible with subject {subject!r}: {problems}", report
        )

    @staticmethod
    def _live_versions(db: sqlite3.Connection, subject: str) -> list[int]:
        # the version numbers behind the history list (report positions are 1-based in it)
        return [
            v
            for (v,) in db.execute(
                "SELECT version FROM ta_versions WHERE subject=? AND deleted=0 ORDER BY version", (subject,)
            )
        ]

    def check(
        self,
        subject: str,
        schema: SchemaInput,
        references: Iterable[ReferenceInput] | None = None,
        level: str | None = None,
    ) -> Any:
        """The compatibility report (:class:`turboavro.compatibility.LevelReport`) of ``schema``
        against the subject's live versions, without registering it. ``level`` overrides the
        subject's level. The report numbers versions by position among the live versions
        (1 = the oldest live one); :meth:`versions` gives the real numbers."""
        refs = self._as_references(references)
        with self._read() as db:
            parsed, _, _ = self._parse(db, schema, refs)
            lvl = _check_level(level) if level is not None else self._level(db, subject)
            history = self._history(db, subject)
        from .compatibility import check_level

        return check_level(parsed, history, lvl)

    # -- levels --------------------------------------------------------------------------------

    def get_level(self, subject: str | None = None, *, default_to_global: bool = True) -> str | None:
        """The effective level of ``subject`` (its own, else the global one), or the global level.
        With ``default_to_global=False``: the subject's own level, None when it has none."""
        with self._lock:
            if subject is not None and not default_to_global:
                row = self._db.execute("SELECT level FROM ta_subjects WHERE subject=?", (subject,)).fetchone()
                return None if row is None or row[0] is None else str(row[0])
            return self._level(self._db, subject)

    def set_level(self, level: str | None, subject: str | None = None) -> None:
        """Set the global level, or a subject's (``level=None`` clears a subject's own level)."""
        if subject is None:
            if level is None:
                raise CatalogError("the global level cannot be cleared")
            with self._write() as db:
                db.execute("UPDATE ta_meta SET value=? WHERE key='level'", (_check_level(level),))
            return
        _check_subject(subject)
        value = None if level is None else _check_level(level)
        with self._write() as db:
            db.execute(
                "INSERT INTO ta_subjects (subject, next_version, level) VALUES (?, 1, ?) "
                "ON CONFLICT (subject) DO UPDATE SET level=excluded.level",
                (subject, value),
            )

    # -- modes ---------------------------------------------------------------------------------

    @staticmethod
    def _mode(db: sqlite3.Connection, subject: str | None) -> str:
        if subject is not None:
            row = db.execute("SELECT mode FROM ta_modes WHERE subject=?", (subject,)).fetchone()
            if row is not None:
                return str(row[0])
        row = db.execute("SELECT value FROM ta_meta WHERE key='mode'").fetchone()
        return DEFAULT_MODE if row is None else str(row[0])

    def get_mode(self, subject: str | None = None, *, default_to_global: bool = True) -> str | None:
        """The effective mode of ``subject`` (its own, else the global one), or the global mode.
        With ``default_to_global=False``: the subject's own mode, None when it has none."""
        with self._lock:
            if subject is not None and not default_to_global:
                row = self._db.execute("SELECT mode FROM ta_modes WHERE subject=?", (subject,)).fetchone()
                return None if row is None else str(row[0])
            return self._mode(self._db, subject)

    def set_mode(self, mode: str | None, subject: str | None = None, *, force: bool = False) -> str | None:
        """Set the global mode or a subject's (``mode=None``: drop the subject's own mode, or
        reset the global one to READWRITE). Switching to IMPORT needs an empty registry (or
        subject) unless ``force``. Returns the previous own mode."""
        if mode is not None:
            if not isinstance(mode, str) or mode.upper() not in MODES:
                raise CatalogError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
            mode = mode.upper()
        if subject is not None:
            _check_subject(subject)
        with self._write() as db:
            if mode == "IMPORT" and not force:
                sql = "SELECT subject FROM ta_versions WHERE deleted=0"
                args: tuple[str, ...] = ()
                if subject is not None:
                    sql, args = sql + " AND subject=?", (subject,)
                found = db.execute(sql + " LIMIT 1", args).fetchone()
                if found is not None:
                    raise ModeError(
                        f"cannot switch {'subject ' + repr(subject) if subject is not None else 'the registry'} "
                        f"to IMPORT mode: subject {found[0]!r} has versions (force to switch anyway)"
                    )
            if subject is None:
                old = self._mode(db, None)
                db.execute("UPDATE ta_meta SET value=? WHERE key='mode'", (mode or DEFAULT_MODE,))
                return old
            row = db.execute("SELECT mode FROM ta_modes WHERE subject=?", (subject,)).fetchone()
            if mode is None:
                db.execute("DELETE FROM ta_modes WHERE subject=?", (subject,))
            else:
                db.execute(
                    "INSERT INTO ta_modes (subject, mode) VALUES (?, ?) ON CONFLICT (subject) DO UPDATE SET mode=excluded.mode",
                    (subject, mode),
                )
            return None if row is None else str(row[0])

    # -- lookups -------------------------------------------------------------------------------

    def schema_by_id(self, schema_id: int) -> Schema:
        """The schema with this global id (soft-deleted versions still resolve)."""
        cached = self._by_id.get(schema_id) if type(schema_id) is int else None
        if cached is not None:
            return cached
        if not isinstance(schema_id, int) or isinstance(schema_id, bool):
            raise TypeError(f"a schema id is an int, not {type(schema_id).__name__}")
        with self._read() as db:
            return self._schema_by_id(db, schema_id)

    def id_by_fingerprint(self, fingerprint: bytes | str | int) -> int:
        """The lowest (first registered, so stable) id whose schema has this fingerprint."""
        return self._fingerprint_entry(fingerprint)[0]

    def schema_by_fingerprint(self, fingerprint: bytes | str | int) -> Schema:
        """The schema with this CRC-64-AVRO (8 bytes), MD5 (16) or SHA-256 (32) fingerprint of
        its canonical form. Several ids can share a canonical form (they differ in doc, defaults,
        logical types): the first registered one answers."""
        if type(fingerprint) is bytes:  # the framing hot path: one dict lookup
            hit = self._by_fp.get(fingerprint)
            if hit is not None:
                return hit[1]
        return self._fingerprint_entry(fingerprint)[1]

    def _fingerprint_entry(self, fingerprint: bytes | str | int) -> tuple[int, Schema]:
        if type(fingerprint) is bytes:
            hit = self._by_fp.get(fingerprint)
            if hit is not None:
                return hit
        column, digest = fingerprint_key(fingerprint)
        hit = self._by_fp.get(digest)
        if hit is not None:
            return hit
        with self._read() as db:
            row = db.execute(
                f"SELECT min(id) FROM ta_schemas WHERE {column}=?", (digest,)  # column: one of three names
            ).fetchone()
            if row is None or row[0] is None:
                algo = _FP_COLUMNS[len(digest)][1]
                raise UnknownSchemaError(f"no schema with {algo} fingerprint {digest.hex()} in catalog {self.path}")
            entry = (int(row[0]), self._schema_by_id(db, int(row[0])))
        self._by_fp[digest] = entry  # no negative caching: another process may register it later
        return entry

    def get_version(
        self, subject: str, version: int | str = "latest", *, include_deleted: bool = False
    ) -> SchemaVersion:
        """A subject's version (``"latest"`` = the newest live one)."""
        with self._read() as db:
            row = self._version_row(db, subject, version, include_deleted=include_deleted)
            if row is None:
                raise UnknownSchemaError(f"subject {subject!r} has no {'live ' if not include_deleted else ''}version {version}")
            return self._make_version(db, subject, row)

    def _make_version(self, db: sqlite3.Connection, subject: str, row: tuple[int, int, int, str]) -> SchemaVersion:
        version, schema_id, deleted, metadata = row
        text = db.execute("SELECT text FROM ta_schemas WHERE id=?", (schema_id,)).fetchone()[0]
        return SchemaVersion(
            subject=subject,
            version=version,
            id=schema_id,
            schema=self._schema_by_id(db, schema_id),
            text=text,
            references=self._references_of(db, schema_id),
            metadata=json.loads(metadata),
            deleted=bool(deleted),
        )

    def subjects(self, *, include_deleted: bool = False) -> list[str]:
        """Subjects with at least one live version (or any remaining version)."""
        with self._lock:
            sql = "SELECT DISTINCT subject FROM ta_versions" + ("" if include_deleted else " WHERE deleted=0")
            return sorted(r[0] for r in self._db.execute(sql))

    def versions(self, subject: str, *, include_deleted: bool = False) -> list[int]:
        """The subject's version numbers, ascending."""
        with self._lock:
            sql = "SELECT version FROM ta_versions WHERE subject=?" + ("" if include_deleted else " AND deleted=0")
            found = [r[0] for r in self._db.execute(sql + " ORDER BY version", (subject,))]
        if not found:
            raise UnknownSchemaError(f"subject {subject!r} not found in catalog {self.path}")
        return found

    def usages(self, schema_id: int, *, include_deleted: bool = True) -> list[tuple[str, int]]:
        """Every (subject, version) registered with this id, soft-deleted ones included unless
        ``include_deleted=False``. Empty: no such id."""
        sql = "SELECT subject, version FROM ta_versions WHERE schema_id=?" + ("" if include_deleted else " AND deleted=0")
        with self._lock:
            return [(s, v) for s, v in self._db.execute(sql + " ORDER BY subject, version", (schema_id,))]

    def referenced_by(self, subject: str, version: int) -> list[int]:
        """The ids of the schemas that reference ``subject``'s ``version``."""
        with self._lock:
            return [
                r[0]
                for r in self._db.execute(
                    "SELECT DISTINCT schema_id FROM ta_schema_refs WHERE subject=? AND version=? ORDER BY schema_id",
                    (subject, version),
                )
            ]

    def parse_schema(self, schema: SchemaInput, references: Iterable[ReferenceInput] | None = None) -> Schema:
        """Parse ``schema`` with the named types its ``references`` import (not registered)."""
        refs = self._as_references(references)
        with self._read() as db:
            return self._parse(db, schema, refs)[0]

    def data_version(self) -> int:
        """A number that changes whenever another connection (process) commits to the file:
        callers caching what they read compare it to know when to drop their cache."""
        with self._lock:
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def lookup(
        self,
        schema: SchemaInput,
        subject: str | None = None,
        references: Iterable[ReferenceInput] | None = None,
        *,
        include_deleted: bool = False,
    ) -> SchemaVersion:
        """Find a registered version by content.

        Matching is by Parsing Canonical Form (what the binary encoding depends on: the same
        fingerprint), so whitespace, key order, namespace spelling, doc, defaults and aliases do
        not matter. Among matches, a version whose full schema is also equal (doc, defaults,
        logical types) wins; then the newest. ``subject=None`` searches every subject.
        """
        refs = self._as_references(references)
        with self._read() as db:
            parsed, _, _ = self._parse(db, schema, refs)
            normalized = _normalized(parsed)
            sql = (
                "SELECT v.subject, v.version, v.schema_id, v.deleted, v.metadata, s.normalized = ? "
                "FROM ta_versions v JOIN ta_schemas s ON s.id = v.schema_id WHERE s.canonical = ?"
            )
            args: list[Any] = [normalized, parsed.canonical_form]
            if subject is not None:
                sql += " AND v.subject = ?"
                args.append(subject)
            if not include_deleted:
                sql += " AND v.deleted = 0"
            sql += " ORDER BY (s.normalized = ?) DESC, v.schema_id DESC, v.version DESC LIMIT 1"
            args.append(normalized)
            row = db.execute(sql, args).fetchone()
            if row is None:
                where = f"subject {subject!r}" if subject is not None else f"catalog {self.path}"
                raise UnknownSchemaError(
                    f"schema with CRC-64-AVRO fingerprint {parsed.fingerprint('CRC-64-AVRO').hex()} "
                    f"is not registered in {where}"
                )
            return self._make_version(db, row[0], (row[1], row[2], row[3], row[4]))

    # -- deletion ------------------------------------------------------------------------------

    def delete(self, subject: str, version: int | str | None = None, *, permanent: bool = False) -> list[int]:
        """Soft-delete a version (or every version: ``version=None``); with ``permanent=True``,
        hard-delete versions that were soft-deleted before. Returns the affected versions.

        A version referenced by another schema cannot be deleted.
        """
        with self._write() as db:
            mode = self._mode(db, subject)
            if mode.startswith("READONLY"):
                raise ModeError(f"subject {subject!r} is in {mode} mode: deletes are refused")
            if version is None:
                rows = db.execute(
                    "SELECT version, deleted FROM ta_versions WHERE subject=? ORDER BY version", (subject,)
                ).fetchall()
            else:
                row = self._version_row(db, subject, version, include_deleted=True)
                rows = [] if row is None else [(row[0], row[2])]
            if permanent:
                live = [v for v, d in rows if not d]
                if live:
                    raise CatalogError(
                        f"subject {subject!r} version {live[0]} must be soft-deleted before a permanent delete"
                    )
                targets = [v for v, _ in rows]
            else:
                targets = [v for v, d in rows if not d]
            if not targets:
                what = f"version {version}" if version is not None else "versions"
                state = "soft-deleted " if permanent else "live "
                raise UnknownSchemaError(f"subject {subject!r} has no {state}{what} to delete")
            for v in targets:
                marks = ",".join("?" * len(targets))
                user = db.execute(
                    "SELECT r.schema_id FROM ta_schema_refs r JOIN ta_versions u ON u.schema_id = r.schema_id "
                    f"WHERE r.subject=? AND r.version=? AND NOT (u.subject=? AND u.version IN ({marks})) LIMIT 1",
                    (subject, v, subject, *targets),
                ).fetchone()
                if user is not None:
                    raise SchemaInUseError(
                        f"subject {subject!r} version {v} is referenced by schema id {user[0]}; delete that first"
                    )
            marks = ",".join("?" * len(targets))
            if not permanent:
                db.execute(
                    f"UPDATE ta_versions SET deleted=1 WHERE subject=? AND version IN ({marks})", (subject, *targets)
                )
                return targets
            ids = [
                r[0]
                for r in db.execute(
                    f"SELECT DISTINCT schema_id FROM ta_versions WHERE subject=? AND version IN ({marks})",
                    (subject, *targets),
                )
            ]
            db.execute(f"DELETE FROM ta_versions WHERE subject=? AND version IN ({marks})", (subject, *targets))
            for sid in ids:
                if db.execute("SELECT 1 FROM ta_versions WHERE schema_id=? LIMIT 1", (sid,)).fetchone() is None:
                    # No version uses the id any more: it stops resolving (it is never reused).
                    db.execute("DELETE FROM ta_schema_refs WHERE schema_id=?", (sid,))
                    db.execute("DELETE FROM ta_schemas WHERE id=?", (sid,))
        self._by_id.clear()
        self._by_fp.clear()
        return targets

    # -- export / import -----------------------------------------------------------------------

    @staticmethod
    def _subject_dir(subject: str) -> str:
        # Percent-encode everything but [A-Za-z0-9_.-] and a leading dot, so a subject can never
        # escape the export directory or collide with another one on a case-insensitive disk...
        # (case collisions remain possible; index.json maps subjects to directories exactly).
        quoted = urllib.parse.quote(subject, safe="")
        if quoted.startswith("."):
            quoted = "%2E" + quoted[1:]
        return quoted

    def export_dir(self, directory: str | os.PathLike[str]) -> Path:
        """Write the catalog as ``subjects/<subject>/v<N>.avsc`` plus ``index.json`` (ids,
        levels, deletions, references, metadata), enough to rebuild it with the same ids."""
        root = Path(directory)
        written: set[Path] = set()
        with self._read() as db:
            dirs: dict[str, str] = {}
            for (subject,) in db.execute("SELECT subject FROM ta_subjects").fetchall():
                other = dirs.setdefault(self._subject_dir(subject).casefold(), subject)
                if other != subject:
                    # one directory on a case-insensitive disk (macOS, Windows): refuse rather
                    # than let one subject's files overwrite the other's
                    raise CatalogError(f"subjects {other!r} and {subject!r} differ only in case; cannot export")
            subjects: dict[str, Any] = {}
            for subject, next_version, level in db.execute(
                "SELECT subject, next_version, level FROM ta_subjects ORDER BY subject"
            ).fetchall():
                versions = []
                for version, schema_id, deleted, metadata in db.execute(
                    "SELECT version, schema_id, deleted, metadata FROM ta_versions WHERE subject=? ORDER BY version",
                    (subject,),
                ).fetchall():
                    text, crc = db.execute("SELECT text, crc64 FROM ta_schemas WHERE id=?", (schema_id,)).fetchone()
                    path = root / "subjects" / self._subject_dir(subject) / f"v{version}.avsc"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
                    written.add(path)
                    versions.append(
                        {
                            "version": version,
                            "id": schema_id,
                            "deleted": bool(deleted),
                            "references": [r.to_json() for r in self._references_of(db, schema_id)],
                            "metadata": json.loads(metadata),
                            "fingerprint": crc.hex(),
                            "file": path.relative_to(root).as_posix(),
                        }
                    )
                subjects[subject] = {"level": level, "next_version": next_version, "versions": versions}
            seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name='ta_schemas'").fetchone()
            index = {
                "format": _FORMAT,
                "format_version": _FORMAT_VERSION,
                "level": self._level(db, None),
                "next_id": (seq[0] if seq else 0) + 1,
                "subjects": subjects,
            }
        root.mkdir(parents=True, exist_ok=True)
        # The export directory mirrors the catalog: drop version files it no longer has (a hard
        # delete since the last export), so a git diff of the directory shows the change.
        for stale in (root / "subjects").glob("*/v*.avsc"):
            if stale not in written:
                stale.unlink()
                if not any(stale.parent.iterdir()):
                    stale.parent.rmdir()
        (root / "index.json").write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return root

    def import_dir(self, directory: str | os.PathLike[str]) -> int:
        """Rebuild an exported catalog into this (empty) one, keeping ids, versions, levels,
        deletions, references and metadata. Returns the number of versions imported.
        A damaged export raises CatalogError (nothing is imported)."""
        root = Path(directory)
        try:
            return self._import_dir(root)
        except AvroError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, UnicodeError,
                RecursionError, sqlite3.Error) as exc:
            # an export edited or damaged in ways the checks below do not name one by one
            raise CatalogError(
                f"{root}: damaged catalog export ({type(exc).__name__}: {exc})"
            ) from exc

    def _import_dir(self, root: Path) -> int:
        try:
            index = json.loads((root / "index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise CatalogError(f"{root}: cannot read index.json: {exc}") from None
        if not isinstance(index, dict) or index.get("format") != _FORMAT:
            raise CatalogError(f"{root / 'index.json'}: not a turboavro catalog export")
        if index.get("format_version") != _FORMAT_VERSION:
            raise CatalogError(f"{root / 'index.json'}: unsupported format_version {index.get('format_version')!r}")
        entries: list[tuple[int, str, int, dict[str, Any]]] = []
        try:
            for subject, info in index["subjects"].items():
                _check_subject(subject)
                int(info["next_version"])
                for v in info["versions"]:
                    entries.append((int(v["id"]), subject, int(v["version"]), v))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CatalogError(f"{root / 'index.json'}: malformed ({type(exc).__name__}: {exc})") from None
        # Ids grow with registration time and a reference always points at an older version,
        # so importing in id order has every referenced version in place before its users.
        entries.sort(key=lambda e: (e[0], e[1], e[2]))
        with self._write() as db:
            if db.execute("SELECT 1 FROM ta_versions LIMIT 1").fetchone() is not None:
                raise CatalogError(f"cannot import into {self.path}: the catalog is not empty")
            db.execute("UPDATE ta_meta SET value=? WHERE key='level'", (_check_level(index.get("level", DEFAULT_LEVEL)),))
            for subject, info in index["subjects"].items():
                level = info.get("level")
                db.execute(
                    "INSERT INTO ta_subjects (subject, next_version, level) VALUES (?, ?, ?)",
                    (subject, int(info["next_version"]), None if level is None else _check_level(level)),
                )
            keys: dict[int, tuple[str, str]] = {}
            for schema_id, subject, version, v in entries:
                path = root / "subjects" / self._subject_dir(subject) / f"v{version}.avsc"
                try:
                    text = path.read_text(encoding="utf-8")
                except OSError as exc:
                    raise CatalogError(f"{path}: {exc}") from None
                refs = self._as_references(v.get("references", []))
                try:
                    parsed, _, pinned = self._parse(db, text, refs)
                except AvroError as exc:
                    raise CatalogError(f"{path}: {exc}") from exc
                normalized = _normalized(parsed)
                refs_json = json.dumps([r.to_json() for r in pinned], sort_keys=True)
                crc = parsed.fingerprint("CRC-64-AVRO")
                if "fingerprint" in v and v["fingerprint"] != crc.hex():
                    raise CatalogError(f"{path}: fingerprint {crc.hex()} differs from index.json's {v['fingerprint']}")
                if schema_id in keys:
                    if keys[schema_id] != (normalized, refs_json):
                        raise CatalogError(f"{path}: id {schema_id} is used for two different schemas")
                else:
                    try:
                        db.execute(
                            "INSERT INTO ta_schemas (id, normalized, refs, text, canonical, crc64, md5, sha256) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (
                                schema_id,
                                normalized,
                                refs_json,
                                text.rstrip("\n"),
                                parsed.canonical_form,
                                crc,
                                parsed.fingerprint("MD5"),
                                parsed.fingerprint("SHA-256"),
                            ),
                        )
                    except sqlite3.IntegrityError:
                        raise CatalogError(f"{path}: the same schema appears under two ids") from None
                    db.executemany(
                        "INSERT INTO ta_schema_refs VALUES (?, ?, ?, ?, ?)",
                        [(schema_id, i, r.name, r.subject, r.version) for i, r in enumerate(pinned)],
                    )
                    keys[schema_id] = (normalized, refs_json)
                db.execute(
                    "INSERT INTO ta_versions (subject, version, schema_id, deleted, metadata) VALUES (?, ?, ?, ?, ?)",
                    (subject, version, schema_id, int(bool(v.get("deleted"))), self._metadata_text(v.get("metadata"))),
                )
            next_id = int(index.get("next_id", 1))
            top = max(keys, default=0)
            if next_id <= top:
                raise CatalogError(f"{root / 'index.json'}: next_id {next_id} is not above the highest id {top}")
            db.execute("DELETE FROM sqlite_sequence WHERE name='ta_schemas'")
            db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('ta_schemas', ?)", (next_id - 1,))
        self._by_id.clear()
        self._by_fp.clear()
        return len(entries)
