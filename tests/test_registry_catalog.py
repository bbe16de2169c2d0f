"""The catalog features the registry server stands on, tested on the Catalog itself: modes
(READONLY, IMPORT with given ids and versions), register_version, referenced_by,
parse_schema, data_version across connections, and the service's Confluent error mapping."""
from __future__ import annotations

from pathlib import Path

import pytest

from turboavro.catalog import Catalog
from turboavro.errors import IdConflictError, ModeError, SchemaInUseError

R1 = '{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}'
R2 = '{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":"int","default":1}]}'
R3 = '{"type":"record","name":"Q","fields":[{"name":"a","type":"long"}]}'


def test_register_version_returns_the_version(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.db") as cat:
        v1 = cat.register_version("s", R1)
        assert (v1.subject, v1.version, v1.id, v1.text, v1.deleted) == ("s", 1, 1, R1, False)
        again = cat.register_version("s", R1.replace(",", ", "))
        assert (again.version, again.id) == (1, 1)
        v2 = cat.register_version("s", R2)
        assert (v2.version, v2.id) == (2, 2)
        assert cat.register("s", R2) == 2


def test_modes(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.db") as cat:
        assert cat.get_mode() == "READWRITE"
        assert cat.get_mode("s", default_to_global=False) is None
        cat.register("s", R1)
        assert cat.set_mode("readonly", "s") is None
        assert cat.get_mode("s") == "READONLY"
        with pytest.raises(ModeError, match="READONLY"):
            cat.register("s", R2)
        with pytest.raises(ModeError):
            cat.delete("s", 1)
        cat.register("other", R3)  # other subjects follow the global mode
        assert cat.set_mode(None, "s") == "READONLY"
        with pytest.raises(ModeError, match="has versions"):
            cat.set_mode("IMPORT")
        with pytest.raises(ModeError, match="not in IMPORT"):
            cat.register_version("s", R2, schema_id=50)
        cat.set_mode("IMPORT", "imp")
        with pytest.raises(ModeError, match="must give its schema id"):
            cat.register("imp", R2)
        with pytest.raises(IdConflictError, match="already registered with id 1"):
            cat.register_version("imp", R1, schema_id=77)
        with pytest.raises(IdConflictError, match="already holds another"):
            cat.register_version("imp", R2, schema_id=1)
        v = cat.register_version("imp", R2, schema_id=77, version=5)
        assert (v.id, v.version) == (77, 5)
        assert cat.register_version("imp", R2, schema_id=77, version=5) == v  # idempotent
        with pytest.raises(IdConflictError, match="version 5 already holds"):
            cat.register_version("imp", R3.replace("Q", "Z"), schema_id=78, version=5)
        # IMPORT skips compatibility checks
        cat.register_version("imp", '"string"', schema_id=79)
        cat.set_mode(None, "imp")
        cat.set_level("NONE", "imp")
        nxt = cat.register_version("imp", '"int"')
        assert nxt.id == 80 and nxt.version == 7  # above every imported id and version
        with pytest.raises(Exception, match="unknown mode"):
            cat.set_mode("SOMETIMES")
        assert cat.set_mode("IMPORT", force=True) == "READWRITE"
        assert cat.get_mode("anything") == "IMPORT"


def test_references_and_in_use(tmp_path: Path) -> None:
    addr = '{"type":"record","name":"Addr","fields":[{"name":"c","type":"string"}]}'
    person = '{"type":"record","name":"P","fields":[{"name":"home","type":"Addr"}]}'
    with Catalog(tmp_path / "c.db") as cat:
        cat.register("addr", addr)
        pid = cat.register("person", person, [("Addr", "addr", 1)])
        assert cat.referenced_by("addr", 1) == [pid]
        assert cat.parse_schema(person, [("Addr", "addr", 1)]).fields[0].type.fullname == "Addr"
        with pytest.raises(SchemaInUseError):
            cat.delete("addr", 1)


def test_data_version_sees_other_connections(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with Catalog(path) as a, Catalog(path) as b:
        before = a.data_version()
        assert a.data_version() == before  # its own reads change nothing
        b.register("s", R1)
        assert a.data_version() != before


def test_service_errors(tmp_path: Path) -> None:
    from turboavro.registry.service import ApiError, Registry, parse_version

    with Catalog(tmp_path / "c.db") as cat:
        reg = Registry(cat)
        assert reg.register("s", {"schema": R1})["id"] == 1
        cases = [
            (lambda: reg.get_version("nope", "1", False), 40401),
            (lambda: reg.get_version("s", "2", False), 40402),
            (lambda: reg.schema_by_id_json(9), 40403),
            (lambda: reg.register("s", {"schema": R1, "schemaType": "JSON"}), 42201),
            (lambda: reg.register("s", {"schema": "{"}), 42201),
            (lambda: reg.register("s", {"schema": R3}), 40901),
            (lambda: reg.register(" s", {"schema": R1}), 42208),
            (lambda: reg.lookup("s", {"schema": R3}, False), 40403),
            (lambda: reg.set_config(None, {"compatibility": "X"}), 42203),
            (lambda: reg.set_mode(None, {"mode": "X"}, False), 42204),
            (lambda: parse_version("0"), 42202),
            (lambda: parse_version("2147483648"), 42202),
            (lambda: parse_version("+3"), 42202),
        ]
        for call, code in cases:
            with pytest.raises(ApiError) as info:
                call()
            assert info.value.code == code
        assert parse_version("-1") == "latest" and parse_version("12") == 12
