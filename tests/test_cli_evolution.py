"""The ``compat`` and ``catalog`` commands, driven through argparse like ``turboavro`` does."""
from __future__ import annotations

import argparse
import json

import pytest

from test_catalog import BAD, V1, V2  # the same three versions of one subject
from turboavro.catalog import Catalog
from turboavro.cli_evolution import add_commands

ADDRESS = {"type": "record", "name": "Address", "namespace": "acme", "fields": [{"name": "zip", "type": "string"}]}
PERSON = {"type": "record", "name": "Person", "namespace": "acme", "fields": [{"name": "home", "type": "acme.Address"}]}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="turboavro")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.fixture
def files(tmp_path):
    out = {}
    for name, schema in {"v1": V1, "v2": V2, "bad": BAD, "address": ADDRESS, "person": PERSON}.items():
        path = tmp_path / f"{name}.avsc"
        path.write_text(json.dumps(schema, indent=2))
        out[name] = str(path)
    out["db"] = str(tmp_path / "cat.db")
    return out


def run(capsys, argv):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- compat ------------------------------------------------------------------------------------


def test_compat_pair(capsys, files):
    code, out, err = run(capsys, ["compat", files["v2"], files["v1"]])
    assert (code, err) == (0, "") and out.startswith("compatible")
    code, out, _ = run(capsys, ["compat", files["bad"], files["v1"]])
    assert code == 1
    assert out.startswith("incompatible: 1 problem")
    assert "READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1: reader field 'age'" in out
    code, out, _ = run(capsys, ["compat", files["bad"], files["v1"], "--json"])
    report = json.loads(out)
    assert code == 1 and report["compatible"] is False
    [problem] = report["incompatibilities"]
    assert (problem["type"], problem["location"]) == ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1")
    # inline JSON works as well as files
    assert run(capsys, ["compat", '"long"', '"int"'])[0] == 0  # int promotes to long
    assert run(capsys, ["compat", '"int"', '"long"'])[0] == 1


def test_compat_levels(capsys, files):
    # FORWARD: the old schema must read data of the new one; V1 ignores V2's extra field
    assert run(capsys, ["compat", files["v2"], files["v1"], "--level", "forward"])[0] == 0
    # BAD adds a field without default: BACKWARD fails, FORWARD passes, FULL fails
    assert run(capsys, ["compat", files["bad"], files["v1"], "--level", "BACKWARD"])[0] == 1
    assert run(capsys, ["compat", files["bad"], files["v1"], "--level", "FORWARD"])[0] == 0
    assert run(capsys, ["compat", files["bad"], files["v1"], "--level", "FULL"])[0] == 1
    assert run(capsys, ["compat", files["bad"], files["v1"], "--level", "NONE"])[0] == 0
    # a history, oldest first: `third` reads `second` (no field a) but not `first` (a is an int)
    first = '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}'
    second = '{"type": "record", "name": "R", "fields": []}'
    third = '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "string", "default": "x"}]}'
    assert run(capsys, ["compat", third, first, second, "--level", "BACKWARD"])[0] == 0
    code, out, _ = run(capsys, ["compat", third, first, second, "--level", "BACKWARD_TRANSITIVE", "--json"])
    report = json.loads(out)
    assert code == 1 and report["level"] == "BACKWARD_TRANSITIVE" and report["versions_checked"] == [2, 1]
    [failure] = report["failures"]
    assert failure["version"] == 1 and failure["incompatibilities"][0]["type"] == "TYPE_MISMATCH"


def test_compat_usage_errors(capsys, files, tmp_path):
    code, _, err = run(capsys, ["compat", str(tmp_path / "missing.avsc"), files["v1"]])
    assert code == 4 and "missing.avsc: no such file (and not inline JSON)" in err
    code, _, err = run(capsys, ["compat", '{"type": "record"}', files["v1"]])
    assert code == 2 and "invalid schema" in err
    code, _, err = run(capsys, ["compat", files["v1"], files["v1"], files["v2"]])
    assert code == 2 and "need --level" in err
    with pytest.raises(SystemExit) as info:
        main(["compat", files["v1"], files["v1"], "--level", "SIDEWAYS"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["compat", files["v1"]])
    assert info.value.code == 2


# -- catalog -----------------------------------------------------------------------------------


def test_catalog_register_list_show_lookup(capsys, files):
    db = ["catalog", "--db", files["db"]]
    assert run(capsys, [*db, "register", "users", files["v1"], "--meta", "owner=team-a", "--meta", "n=3"]) == (0, "1\n", "")
    assert run(capsys, [*db, "register", "users", files["v1"], "--meta", "owner=team-a", "--meta", "n=3"]) == (0, "1\n", "")
    code, out, _ = run(capsys, [*db, "register", "users", files["v2"], "--json"])
    assert code == 0 and json.loads(out) == {"id": 2, "subject": "users", "version": 2}
    code, out, err = run(capsys, [*db, "register", "users", files["bad"]])
    assert code == 1 and "not BACKWARD compatible with subject 'users'" in err
    assert out.startswith("incompatible under BACKWARD") and "READER_FIELD_MISSING_DEFAULT_VALUE" in out
    assert run(capsys, [*db, "register", "other", json.dumps(V1)]) == (0, "1\n", "")

    assert run(capsys, [*db, "list"]) == (0, "other\nusers\n", "")
    assert run(capsys, [*db, "list", "users"]) == (0, "1\t1\n2\t2\n", "")
    code, out, _ = run(capsys, [*db, "show", "users"])
    assert code == 0 and json.loads(out) == V2
    code, out, _ = run(capsys, [*db, "show", "users", "1", "--json"])
    info = json.loads(out)
    assert info["id"] == 1 and info["version"] == 1 and info["metadata"] == {"owner": "team-a", "n": 3}
    assert info["schema"] == {"type": "record", "name": "ex.User", "fields": [{"name": "id", "type": "long"}]}
    code, out, _ = run(capsys, [*db, "show", "--id", "2"])
    assert code == 0 and json.loads(out)["fields"][1]["name"] == "email"

    code, out, _ = run(capsys, [*db, "lookup", files["v1"], "--subject", "users"])
    assert (code, out) == (0, "users\t1\t1\n")
    fp = info["fingerprint"]
    code, out, _ = run(capsys, [*db, "lookup", "--fingerprint", fp])
    assert (code, out) == (0, "1\nother\t1\nusers\t1\n")
    signed = int.from_bytes(bytes.fromhex(fp), "little", signed=True)
    assert run(capsys, [*db, "lookup", "--fingerprint", str(signed), "--json"])[1] == (
        '{"id": 1, "usages": [["other", 1], ["users", 1]]}\n'
    )
    code, _, err = run(capsys, [*db, "lookup", "--fingerprint", "00" * 8])
    assert code == 1 and "0000000000000000" in err
    code, _, err = run(capsys, [*db, "lookup", files["bad"]])
    assert code == 1 and "not registered" in err
    assert run(capsys, [*db, "lookup"])[0] == 2
    code, _, err = run(capsys, [*db, "show", "nope"])
    assert code == 1 and "'nope'" in err


def test_catalog_check_delete_level(capsys, files):
    db = ["catalog", "--db", files["db"]]
    run(capsys, [*db, "register", "users", files["v1"]])
    code, out, _ = run(capsys, [*db, "check", "users", files["v2"]])
    assert code == 0 and out.startswith("compatible under BACKWARD")
    code, out, _ = run(capsys, [*db, "check", "users", files["bad"], "--json"])
    assert code == 1
    report = json.loads(out)
    assert report["subject"] == "users" and report["level"] == "BACKWARD" and not report["compatible"]
    assert report["history_versions"] == [1] and report["failures"][0]["version"] == 1
    assert run(capsys, [*db, "check", "users", files["bad"], "--level", "FORWARD"])[0] == 0

    assert run(capsys, [*db, "level"]) == (0, "BACKWARD\n", "")
    assert run(capsys, [*db, "level", "users", "--set", "none"]) == (0, "NONE\n", "")
    assert run(capsys, [*db, "register", "users", files["bad"]]) == (0, "2\n", "")
    assert run(capsys, [*db, "level", "users", "--clear"]) == (0, "BACKWARD\n", "")
    assert run(capsys, [*db, "level", "--clear"])[0] == 2

    code, _, err = run(capsys, [*db, "delete", "users", "2", "--permanent"])
    assert code == 1 and "soft-deleted before a permanent delete" in err
    assert run(capsys, [*db, "delete", "users", "2"]) == (0, "2\n", "")
    assert run(capsys, [*db, "list", "users"]) == (0, "1\t1\n", "")
    assert run(capsys, [*db, "list", "users", "--deleted"]) == (0, "1\t1\n2\t2\tdeleted\n", "")
    assert run(capsys, [*db, "delete", "users", "2", "--permanent"]) == (0, "2\n", "")
    assert run(capsys, [*db, "list", "users", "--deleted"]) == (0, "1\t1\n", "")


def test_catalog_references_export_import(capsys, files, tmp_path):
    db = ["catalog", "--db", files["db"]]
    assert run(capsys, [*db, "register", "address", files["address"]])[0] == 0
    code, out, err = run(capsys, [*db, "register", "person", files["person"], "--ref", "acme.Address=address:latest"])
    assert (code, out) == (0, "2\n"), err
    with pytest.raises(SystemExit):
        main([*db, "register", "p2", files["person"], "--ref", "bad-ref"])
    capsys.readouterr()
    out_dir = tmp_path / "export"
    assert run(capsys, [*db, "export", str(out_dir)])[0] == 0
    assert (out_dir / "subjects" / "person" / "v1.avsc").exists()
    copy = ["catalog", "--db", str(tmp_path / "copy.db")]
    assert run(capsys, [*copy, "import", str(out_dir)]) == (0, "imported 2 versions\n", "")
    code, out, _ = run(capsys, [*copy, "show", "person", "--json"])
    assert json.loads(out)["references"] == [{"name": "acme.Address", "subject": "address", "version": 1}]
    assert json.loads(out)["id"] == 2
    code, _, err = run(capsys, [*copy, "import", str(out_dir)])
    assert code == 1 and "not empty" in err
    with Catalog(tmp_path / "copy.db") as cat:
        assert cat.get_version("person").schema.fields[0].type.fullname == "acme.Address"


# -- the real entry points ---------------------------------------------------------------------


def test_turboavro_main_dispatches_the_commands(capsys, files):
    from turboavro.cli import main as turboavro_main

    assert turboavro_main(["compat", files["v2"], files["v1"]]) == 0
    assert capsys.readouterr().out.startswith("compatible")
    assert turboavro_main(["catalog", "--db", files["db"], "register", "u", files["v1"]]) == 0
    assert capsys.readouterr().out == "1\n"
    assert turboavro_main(["catalog", "--db", files["db"], "check", "u", files["bad"]]) == 1
    assert turboavro_main(["compat", files["v1"]]) == 2  # argparse usage error


def test_python_dash_m(files):
    import os
    import subprocess
    import sys
    from pathlib import Path

    import turboavro

    # the directory turboavro was imported from: the source tree in development, the
    # installed package in CI (whose source tree has no compiled kernels)
    home = str(Path(turboavro.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=home + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "turboavro", *argv], capture_output=True,
                              text=True, env=env, check=False, timeout=120)

    proc = cli("compat", files["bad"], files["v1"], "--json")
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["incompatibilities"][0]["type"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
    proc = cli("catalog", "--db", files["db"], "register", "u", files["v1"], "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"id": 1, "subject": "u", "version": 1}
    proc = cli("catalog", "--db", files["db"], "show", "u", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["schema"]["name"] == "ex.User"
    assert cli("catalog", "--db", files["db"], "bogus").returncode == 2
