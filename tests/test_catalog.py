"""The embedded schema catalog: ids, versions, levels, deletes, references, lookups,
export/import and concurrent registration from several processes."""
from __future__ import annotations

import json
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

import turboavro as ta
from turboavro.catalog import Catalog, CatalogError, Reference, fingerprint_key
from turboavro.errors import IncompatibleSchemaError, SchemaError, UnknownSchemaError

DATA = Path(__file__).parent / "data"
VECTORS = json.loads((DATA / "fingerprints.json").read_text())["vectors"]

V1 = {"type": "record", "name": "User", "namespace": "ex", "fields": [{"name": "id", "type": "long"}]}
# adds a field with a default: BACKWARD compatible with V1
V2 = {
    "type": "record",
    "name": "User",
    "namespace": "ex",
    "fields": [{"name": "id", "type": "long"}, {"name": "email", "type": "string", "default": ""}],
}
# adds a field without a default: not BACKWARD compatible with V1
BAD = {
    "type": "record",
    "name": "User",
    "namespace": "ex",
    "fields": [{"name": "id", "type": "long"}, {"name": "age", "type": "int"}],
}


@pytest.fixture
def cat():
    with Catalog(":memory:") as c:
        yield c


def test_ids_are_global_and_deduplicated(cat):
    a = cat.register("users-value", V1)
    assert a == 1
    assert cat.register("users-value", V1) == a  # idempotent: no new version
    assert cat.versions("users-value") == [1]
    # the same content under another subject reuses the id; whitespace, key order and the
    # namespace spelling do not matter
    respelled = '{ "fields" : [ {"type":"long", "name":"id"} ],\n "name": "ex.User", "type": "record" }'
    assert cat.register("other", respelled) == a
    assert cat.usages(a) == [("other", 1), ("users-value", 1)]
    b = cat.register("users-value", V2)
    assert b == 2
    assert cat.versions("users-value") == [1, 2]
    assert cat.subjects() == ["other", "users-value"]


def test_a_new_default_is_a_new_id(cat):
    # same canonical form (defaults and doc are stripped) but a different schema
    with_doc = dict(V1, doc="people")
    a = cat.register("s", V1)
    cat.set_level("NONE", "s")
    b = cat.register("s", with_doc)
    assert a != b
    assert cat.schema_by_id(a).canonical_form == cat.schema_by_id(b).canonical_form
    # a fingerprint lookup answers with the first registered id (stable over time)
    assert cat.id_by_fingerprint(cat.schema_by_id(b).fingerprint()) == a


def test_lookups(cat):
    a = cat.register("u", V1)
    b = cat.register("u", V2, metadata={"owner": "team-a", "tags": ["pii"]})
    latest = cat.get_version("u")
    assert (latest.subject, latest.version, latest.id) == ("u", 2, b)
    assert latest.metadata == {"owner": "team-a", "tags": ["pii"]}
    assert latest.schema == ta.Schema.parse(V2)
    assert cat.get_version("u", 1).id == a
    assert cat.get_version("u", "latest").version == 2
    assert cat.schema_by_id(a) == ta.Schema.parse(V1)
    with pytest.raises(UnknownSchemaError, match="id 99"):
        cat.schema_by_id(99)
    with pytest.raises(UnknownSchemaError, match="version 7"):
        cat.get_version("u", 7)
    with pytest.raises(UnknownSchemaError, match="'nope'"):
        cat.versions("nope")
    # by content: canonical-form match, preferring the exact schema
    found = cat.lookup(json.dumps(V1, indent=4))
    assert (found.subject, found.version, found.id) == ("u", 1, a)
    assert cat.lookup(V2, "u").version == 2
    # doc differs: still found by canonical form
    assert cat.lookup(dict(V1, doc="x"), "u").id == a
    with pytest.raises(UnknownSchemaError, match="not registered in subject 'other'"):
        cat.lookup(V1, "other")
    with pytest.raises(UnknownSchemaError, match="not registered"):
        cat.lookup(BAD)


@pytest.mark.parametrize("vector", [VECTORS[0], VECTORS[20], VECTORS[-1]], ids=["v0", "v20", "vlast"])
def test_fingerprint_lookup_matches_java_vectors(cat, vector):
    sid = cat.register("fp", vector["input"])
    le = bytes.fromhex(vector["crc64_avro_le_hex"])
    for fp in (
        le,
        vector["crc64_avro_le_hex"],
        vector["crc64_avro_le_hex"].upper(),
        vector["crc64_avro_signed"],  # Java's signed long
        vector["crc64_avro_signed"] & 0xFFFFFFFFFFFFFFFF,  # the same as unsigned
        bytes.fromhex(vector["md5_hex"]),
        vector["md5_hex"],
        bytes.fromhex(vector["sha256_hex"]),
        vector["sha256_hex"],
    ):
        assert cat.id_by_fingerprint(fp) == sid, fp
        assert cat.schema_by_fingerprint(fp).canonical_form == vector["canonical"]


def test_fingerprint_errors(cat):
    cat.register("x", V1)
    with pytest.raises(UnknownSchemaError, match="CRC-64-AVRO fingerprint 0102030405060708"):
        cat.schema_by_fingerprint(bytes(range(1, 9)))
    with pytest.raises(UnknownSchemaError, match="MD5 fingerprint 00{15}"):
        cat.schema_by_fingerprint(bytes(16))
    with pytest.raises(UnknownSchemaError, match="has 5 bytes"):
        cat.schema_by_fingerprint(b"12345")
    with pytest.raises(UnknownSchemaError, match="not hex"):
        cat.schema_by_fingerprint("xyz")
    with pytest.raises(TypeError):
        cat.schema_by_fingerprint(1.5)  # type: ignore[arg-type]
    assert fingerprint_key(-1) == ("crc64", b"\xff" * 8)
    assert fingerprint_key("0x" + "ab" * 8) == ("crc64", b"\xab" * 8)


def test_compatibility_levels(cat):
    assert cat.get_level() == "BACKWARD"
    assert cat.get_level("u") == "BACKWARD"
    cat.register("u", V1)
    with pytest.raises(IncompatibleSchemaError) as info:
        cat.register("u", BAD)
    report = info.value.report
    assert report.compatible is False
    [failure] = report.failures
    assert failure.version == 1 and str(failure.direction) == "BACKWARD"
    [problem] = failure.incompatibilities
    assert (str(problem.type), problem.location) == ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1")
    assert str(info.value) == (
        "schema is not BACKWARD compatible with subject 'u': version 1 (BACKWARD): "
        "READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1: reader field 'age' is missing in the "
        "writer record 'ex.User' and has no default value"
    )
    assert cat.versions("u") == [1]  # nothing was added
    # check() gives the same answer without registering
    assert cat.check("u", BAD).compatible is False
    assert cat.check("u", V2).compatible is True
    assert cat.check("u", BAD, level="NONE").compatible is True
    # a subject's own level overrides the global one; clearing it inherits again
    cat.set_level("none", "u")
    assert cat.get_level("u") == "NONE"
    assert cat.register("u", BAD) == 2
    cat.set_level(None, "u")
    assert cat.get_level("u") == "BACKWARD"
    cat.set_level("FORWARD")
    assert cat.get_level("u") == "FORWARD" and cat.get_level() == "FORWARD"
    with pytest.raises(CatalogError, match="unknown compatibility level 'SIDEWAYS'"):
        cat.set_level("SIDEWAYS")
    with pytest.raises(CatalogError):
        cat.set_level(None)


def test_transitive_level_checks_every_live_version(cat):
    first = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
    second = {"type": "record", "name": "R", "fields": []}  # drops a: backward compatible
    third = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string", "default": "x"}]}
    cat.register("t", first)
    cat.register("t", second)
    # BACKWARD: compared with the latest only (reads data of `second`)
    assert cat.check("t", third).compatible
    # BACKWARD_TRANSITIVE: must also read `first`, whose a is an int: not readable as string
    cat.set_level("BACKWARD_TRANSITIVE", "t")
    with pytest.raises(IncompatibleSchemaError, match=r"version 1 \(BACKWARD\): TYPE_MISMATCH at /fields/0/type"):
        cat.register("t", third)
    # versions are named by their real numbers, not by position among the live ones
    cat.set_level("NONE", "t")
    assert cat.register("t", dict(first, doc="again")) == 3  # version 3 (v1 + a doc: a new id)
    cat.delete("t", 2)
    cat.set_level("BACKWARD_TRANSITIVE", "t")
    with pytest.raises(IncompatibleSchemaError, match=r"version 3 \(BACKWARD\).*version 1 \(BACKWARD\)"):
        cat.register("t", third)
    cat.delete("t", 3)
    # soft-deleting the first version takes it out of the history
    cat.delete("t", 1)
    assert cat.register("t", third) == 4  # id 4 (ids 1-3 are taken), version 4
    assert cat.versions("t") == [4]


def test_soft_and_hard_delete(cat):
    a = cat.register("u", V1)
    b = cat.register("u", V2)
    assert cat.delete("u", 2) == [2]
    assert cat.versions("u") == [1]
    assert cat.versions("u", include_deleted=True) == [1, 2]
    assert cat.get_version("u").version == 1  # latest = newest live version
    with pytest.raises(UnknownSchemaError):
        cat.get_version("u", 2)
    assert cat.get_version("u", 2, include_deleted=True).deleted is True
    assert cat.schema_by_id(b) == ta.Schema.parse(V2)  # the id still resolves
    # a hard delete needs the soft delete first
    with pytest.raises(CatalogError, match="soft-deleted before a permanent delete"):
        cat.delete("u", 1, permanent=True)
    assert cat.delete("u", 2, permanent=True) == [2]
    with pytest.raises(UnknownSchemaError):
        cat.schema_by_id(b)  # no version uses it any more
    with pytest.raises(UnknownSchemaError):
        cat.delete("u", 2)
    # versions and ids are never reused
    assert cat.register("u", V2) == b + 1
    assert cat.versions("u") == [1, 3]
    # deleting the whole subject
    assert cat.delete("u") == [1, 3]
    assert cat.subjects() == [] and cat.subjects(include_deleted=True) == ["u"]
    assert cat.delete("u", permanent=True) == [1, 3]
    assert cat.subjects(include_deleted=True) == []
    assert cat.register("u", V1) == b + 2
    assert cat.versions("u") == [4]
    assert a == 1


def test_reregistering_a_soft_deleted_schema_adds_a_version(cat):
    a = cat.register("u", V1)
    cat.delete("u", 1)
    assert cat.register("u", V1) == a
    assert cat.versions("u") == [2]


def test_metadata_difference_makes_a_new_version(cat):
    a = cat.register("u", V1, metadata={"owner": "a"})
    assert cat.register("u", V1) == a  # no metadata given: idempotent
    assert cat.register("u", V1, metadata={"owner": "a"}) == a
    assert cat.versions("u") == [1]
    assert cat.register("u", V1, metadata={"owner": "b"}) == a
    assert cat.versions("u") == [1, 2]
    assert cat.get_version("u").metadata == {"owner": "b"}
    with pytest.raises(CatalogError, match="JSON-serialisable"):
        cat.register("u", V1, metadata={"x": object()})


ADDRESS = {
    "type": "record",
    "name": "Address",
    "namespace": "com.acme",
    "fields": [{"name": "street", "type": "string"}, {"name": "zip", "type": "string"}],
}
PERSON = {
    "type": "record",
    "name": "Person",
    "namespace": "com.acme",
    "fields": [{"name": "name", "type": "string"}, {"name": "home", "type": "com.acme.Address"}],
}


def test_references(cat):
    addr = cat.register("address", ADDRESS)
    pid = cat.register("person", PERSON, references=[("com.acme.Address", "address", "latest")])
    assert pid != addr
    v = cat.get_version("person")
    assert v.references == (Reference("com.acme.Address", "address", 1),)  # "latest" is pinned
    person = cat.schema_by_id(pid)
    assert [f.name for f in person.fields] == ["name", "home"]
    assert person.fields[1].type.fullname == "com.acme.Address"
    # the canonical form (hence the fingerprint) inlines the imported type
    assert '"name":"com.acme.Address","type":"record"' in person.canonical_form
    value = {"name": "Ann", "home": {"street": "Main", "zip": "12345"}}
    msg = ta.single_object.encode(value, person)
    assert ta.single_object.decode(msg, cat) == value
    # the same text with the same references is the same id, also under another subject
    assert cat.register("person2", PERSON, references=[Reference("com.acme.Address", "address", 1)]) == pid
    # a referenced version cannot be deleted
    with pytest.raises(CatalogError, match="referenced by schema id"):
        cat.delete("address", 1)
    # unknown names / versions
    with pytest.raises(SchemaError, match="defines no type of that name"):
        cat.register("p3", PERSON, references=[("com.acme.Nope", "address", 1)])
    with pytest.raises(UnknownSchemaError, match="subject 'address' has no version 5"):
        cat.register("p3", PERSON, references=[("com.acme.Address", "address", 5)])
    with pytest.raises(SchemaError):
        cat.register("p3", PERSON)  # without the reference, Address is undefined
    with pytest.raises(CatalogError, match="JSON text or a dict"):
        cat.register("p3", person, references=[("com.acme.Address", "address", 1)])


def test_invalid_subjects_and_inputs(cat):
    for bad in ("", " x", "a\nb"):
        with pytest.raises(CatalogError, match="invalid subject"):
            cat.register(bad, V1)
    with pytest.raises(SchemaError):
        cat.register("x", '{"type": "record"}')
    with pytest.raises(TypeError):
        cat.register("x", 42)  # type: ignore[arg-type]
    with pytest.raises(CatalogError, match="invalid reference version"):
        cat.register("x", V1, references=[("a", "b", "1")])
    with pytest.raises(CatalogError, match="invalid reference"):
        cat.register("x", V1, references=[("a", "b")])
    with pytest.raises(CatalogError, match="invalid reference"):
        cat.register("x", V1, references=[{"name": "a"}])
    assert cat.subjects(include_deleted=True) == []


def test_closed_catalog_refuses_work():
    cat = Catalog(":memory:")
    cat.close()
    cat.close()  # idempotent
    with pytest.raises(CatalogError, match="closed"):
        cat.register("x", V1)


def test_file_catalog_persists_and_uses_wal(tmp_path):
    db = tmp_path / "schemas.db"
    with Catalog(db) as cat:
        sid = cat.register("u", V1)
    with Catalog(str(db)) as cat:
        assert cat.schema_by_id(sid) == ta.Schema.parse(V1)
        assert cat.get_version("u").id == sid
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def _populated(cat: Catalog) -> dict[str, int]:
    ids = {}
    ids["u1"] = cat.register("users-value", V1, metadata={"owner": "a"})
    ids["u2"] = cat.register("users-value", V2)
    ids["o1"] = cat.register("odd/subject..name", V1)
    ids["addr"] = cat.register("address", ADDRESS)
    ids["person"] = cat.register("person", PERSON, references=[("com.acme.Address", "address", 1)])
    cat.register("gone", '"string"')
    cat.delete("gone")
    cat.delete("gone", permanent=True)  # leaves a gap in the ids
    cat.register("users-value", '{"type": "record", "name": "ex.User", "fields": []}')
    cat.delete("users-value", 3)  # soft-deleted version is exported too
    cat.set_level("FULL", "users-value")
    cat.set_level("FORWARD")
    return ids


def test_export_import_round_trip(cat, tmp_path):
    ids = _populated(cat)
    out = cat.export_dir(tmp_path / "cat")
    assert (out / "subjects" / "users-value" / "v1.avsc").exists()
    assert (out / "subjects" / "odd%2Fsubject..name" / "v1.avsc").exists()
    assert json.loads((out / "subjects" / "users-value" / "v2.avsc").read_text()) == V2
    index = json.loads((out / "index.json").read_text())
    assert index["level"] == "FORWARD"
    assert index["subjects"]["users-value"]["level"] == "FULL"
    assert index["subjects"]["users-value"]["versions"][2]["deleted"] is True
    assert index["subjects"]["person"]["versions"][0]["references"] == [
        {"name": "com.acme.Address", "subject": "address", "version": 1}
    ]
    with Catalog(":memory:") as copy:
        assert copy.import_dir(out) == 6
        for subject in ("users-value", "odd/subject..name", "address", "person"):
            assert copy.versions(subject, include_deleted=True) == cat.versions(subject, include_deleted=True)
            for v in cat.versions(subject, include_deleted=True):
                a = cat.get_version(subject, v, include_deleted=True)
                b = copy.get_version(subject, v, include_deleted=True)
                assert a == b
        assert copy.get_version("person").id == ids["person"]
        assert copy.get_version("users-value", 1).metadata == {"owner": "a"}
        assert copy.get_level() == "FORWARD" and copy.get_level("users-value") == "FULL"
        assert copy.subjects() == cat.subjects()
        assert copy.subjects(include_deleted=True) == cat.subjects(include_deleted=True)
        # the id sequence continues where the original's does (hard-deleted ids stay unused),
        # and version numbers continue too
        new = {"type": "enum", "name": "E", "symbols": ["A"]}
        assert copy.register("new", new) == cat.register("new", new)
        assert copy.register("gone", '"int"') == cat.register("gone", '"int"')
        assert copy.versions("gone") == cat.versions("gone") == [2]
        # importing twice is refused
        with pytest.raises(CatalogError, match="not empty"):
            copy.import_dir(out)


def test_import_rejects_tampering(cat, tmp_path):
    _populated(cat)
    out = cat.export_dir(tmp_path / "cat")
    (out / "subjects" / "users-value" / "v2.avsc").write_text(json.dumps(BAD))
    with Catalog(":memory:") as copy, pytest.raises(CatalogError, match="fingerprint"):
        copy.import_dir(out)
    with Catalog(":memory:") as copy, pytest.raises(CatalogError, match="cannot read index.json"):
        copy.import_dir(tmp_path / "missing")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "index.json").write_text('{"format": "other"}')
    with Catalog(":memory:") as copy, pytest.raises(CatalogError, match="not a turboavro catalog"):
        copy.import_dir(tmp_path / "x")
    (tmp_path / "x" / "index.json").write_text(
        '{"format": "turboavro-catalog", "format_version": 1, "subjects": {"s": {"versions": [{}]}}}'
    )
    with Catalog(":memory:") as copy, pytest.raises(CatalogError, match="malformed"):
        copy.import_dir(tmp_path / "x")


# -- several processes registering into one file ------------------------------------------

WORKERS = 4
PER_WORKER = 25


def _schema(n: int) -> str:
    return json.dumps({"type": "record", "name": f"R{n}", "fields": [{"name": "f", "type": "long"}]})


def _register_many(args: tuple[str, int]) -> list[tuple[str, int, int]]:
    path, worker = args
    out = []
    with Catalog(path, timeout=60) as cat:
        for i in range(PER_WORKER):
            # a schema only this worker registers, into a subject every worker writes to
            out.append(("shared", worker * 1000 + i, cat.register("shared", _schema(worker * 1000 + i))))
            # a schema every worker registers: one id, one version
            if i % 5 == 0:
                out.append(("common", 100_000 + i, cat.register("common", _schema(100_000 + i))))
    return out


def test_concurrent_registration_from_processes(tmp_path):
    path = str(tmp_path / "shared.db")
    with Catalog(path) as cat:
        cat.set_level("NONE")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        results = pool.map(_register_many, [(path, w) for w in range(WORKERS)])
    flat = [r for rs in results for r in rs]
    unique_ids = {sid for subject, n, sid in flat if subject == "shared"}
    assert len(unique_ids) == WORKERS * PER_WORKER  # no duplicate id handed out
    common = {}
    for subject, n, sid in flat:
        if subject == "common":
            assert common.setdefault(n, sid) == sid  # every worker got the same id
    assert not set(common.values()) & unique_ids
    with Catalog(path) as cat:
        # nothing lost: every registration is a version, numbered without gaps or repeats
        assert cat.versions("shared") == list(range(1, WORKERS * PER_WORKER + 1))
        assert len(cat.versions("common")) == len(common) == PER_WORKER // 5
        for _subject, n, sid in flat:
            assert cat.schema_by_id(sid) == ta.Schema.parse(_schema(n))
        assert sorted(cat.get_version("shared", v).id for v in cat.versions("shared")) == sorted(unique_ids)


def test_export_mirrors_hard_deletes_and_refuses_case_clashes(cat, tmp_path):
    cat.register("u", V1)
    cat.set_level("NONE", "u")
    cat.register("u", BAD)
    out = cat.export_dir(tmp_path / "cat")
    assert sorted(p.name for p in (out / "subjects" / "u").iterdir()) == ["v1.avsc", "v2.avsc"]
    cat.delete("u", 2)
    cat.delete("u", 2, permanent=True)
    cat.export_dir(out)
    assert sorted(p.name for p in (out / "subjects" / "u").iterdir()) == ["v1.avsc"]
    cat.delete("u")
    cat.delete("u", permanent=True)
    cat.export_dir(out)
    assert not (out / "subjects" / "u").exists()
    cat.register("Orders", V1)
    cat.register("orders", V1)
    with pytest.raises(CatalogError, match="differ only in case"):
        cat.export_dir(tmp_path / "other")


def test_one_catalog_shared_by_threads(tmp_path):
    import threading

    errors: list[BaseException] = []
    with Catalog(tmp_path / "t.db") as cat:
        cat.set_level("NONE")

        def work(t: int) -> None:
            try:
                for i in range(20):
                    sid = cat.register(f"s{t % 2}", _schema(t * 100 + i))
                    assert cat.schema_by_id(sid) == ta.Schema.parse(_schema(t * 100 + i))
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert errors == []
        assert cat.versions("s0") == list(range(1, 41)) and cat.versions("s1") == list(range(1, 41))
        ids = [cat.get_version(s, v).id for s in ("s0", "s1") for v in range(1, 41)]
        assert sorted(ids) == list(range(1, 81))


# -- a model-based test: random operation sequences against a tiny reference model -------------

from hypothesis import settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule  # noqa: E402

POOL = [_schema(n) for n in range(4)] + [json.dumps(json.loads(_schema(0)), indent=3)]  # last = first respelled
SUBJECTS = ["a", "b"]


def _key(text: str) -> str:
    return ta.Schema.parse(text).canonical_form  # these schemas have no doc/defaults


class CatalogModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.cat = Catalog(":memory:")
        self.cat.set_level("NONE")
        self.ids: dict[str, int] = {}  # content -> id, while some version uses it
        self.next_id = 1
        self.versions: dict[str, dict[int, tuple[int, bool]]] = {s: {} for s in SUBJECTS}  # v -> (id, deleted)
        self.next_version = dict.fromkeys(SUBJECTS, 1)

    def teardown(self) -> None:
        self.cat.close()

    @rule(subject=st.sampled_from(SUBJECTS), text=st.sampled_from(POOL))
    def register(self, subject: str, text: str) -> None:
        key = _key(text)
        sid = self.cat.register(subject, text)
        if key in self.ids:
            assert sid == self.ids[key]
        else:
            assert sid == self.next_id
            self.ids[key] = sid
            self.next_id += 1
        live = [v for v, (i, d) in self.versions[subject].items() if i == sid and not d]
        if not live:
            self.versions[subject][self.next_version[subject]] = (sid, False)
            self.next_version[subject] += 1

    @rule(subject=st.sampled_from(SUBJECTS), version=st.integers(1, 8), permanent=st.booleans())
    def delete(self, subject: str, version: int, permanent: bool) -> None:
        entry = self.versions[subject].get(version)
        if entry is None or (entry[1] and not permanent):
            with pytest.raises(UnknownSchemaError):
                self.cat.delete(subject, version, permanent=permanent)
        elif permanent and not entry[1]:
            with pytest.raises(CatalogError):
                self.cat.delete(subject, version, permanent=True)
        elif permanent:
            assert self.cat.delete(subject, version, permanent=True) == [version]
            del self.versions[subject][version]
            used = {i for vs in self.versions.values() for i, _ in vs.values()}
            self.ids = {k: i for k, i in self.ids.items() if i in used}
        else:
            assert self.cat.delete(subject, version) == [version]
            self.versions[subject][version] = (entry[0], True)

    @invariant()
    def agrees_with_model(self) -> None:
        for subject in SUBJECTS:
            everything = sorted(self.versions[subject])
            live = [v for v in everything if not self.versions[subject][v][1]]
            if everything:
                assert self.cat.versions(subject, include_deleted=True) == everything
            if live:
                assert self.cat.versions(subject) == live
                assert self.cat.get_version(subject).version == live[-1]
            else:
                with pytest.raises(UnknownSchemaError):
                    self.cat.versions(subject)
        for key, sid in self.ids.items():
            assert self.cat.schema_by_id(sid).canonical_form == key
        assert self.cat.subjects() == [s for s in SUBJECTS if any(not d for _, d in self.versions[s].values())]


CatalogModel.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
test_catalog_model = CatalogModel.TestCase
