"""The ``turboavro`` command line: outputs checked against the files' known contents."""
from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys

import fastavro
import pytest

import turboavro
from turboavro.cli import main
from turboavro.container import Reader, Writer
from turboavro.schema import Schema

DATA = os.path.join(os.path.dirname(__file__), "data")
SHARE = os.path.join(DATA, "apache-avro", "share-test", "data")
WEATHER = os.path.join(SHARE, "weather.avro")
# where turboavro was imported from: the source tree in development, the installed package in
# CI (whose source tree has no compiled kernels); subprocesses must use the same
HOME = os.path.dirname(os.path.dirname(os.path.abspath(turboavro.__file__)))

SCHEMA = {
    "type": "record",
    "name": "R",
    "fields": [
        {"name": "a", "type": "long"},
        {"name": "b", "type": ["null", "bytes"]},
        {"name": "c", "type": {"type": "fixed", "name": "F", "size": 2}},
        {"name": "d", "type": {"type": "map", "values": "string"}},
    ],
}


def recs(n: int, offset: int = 0) -> list[dict]:
    return [
        {"a": i, "b": None if i % 2 else bytes([i % 256, 255]),
         "c": bytes([i % 256, 0]), "d": {"k": str(i)}}
        for i in range(offset, offset + n)
    ]


def make(path, records, codec="null", sync_interval=500, **kw) -> str:
    with Writer(str(path), SCHEMA, codec=codec, sync_interval=sync_interval, **kw) as w:
        w.write_many(records)
    return str(path)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def weather() -> list[dict]:
    with open(os.path.join(SHARE, "weather.json"), encoding="utf-8") as fo:
        return [json.loads(line) for line in fo if line.strip()]


def test_cat_plain_json(capsys):
    code, out, _ = run(capsys, "cat", WEATHER)
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == weather()


def test_cat_bytes_latin1_and_base64(capsys, tmp_path):
    path = make(tmp_path / "b.avro", recs(3))
    code, out, _ = run(capsys, "cat", path)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert rows[0] == {"a": 0, "b": "\x00\xff", "c": "\x00\x00", "d": {"k": "0"}}
    assert rows[1]["b"] is None
    code, out, _ = run(capsys, "cat", "--bytes", "base64", path)
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows[2]["b"] == base64.b64encode(b"\x02\xff").decode()


def test_head_and_limit(capsys):
    code, out, _ = run(capsys, "head", "-n", "2", WEATHER)
    assert code == 0 and [json.loads(x) for x in out.splitlines()] == weather()[:2]
    code, out, _ = run(capsys, "cat", "-n", "3", WEATHER, WEATHER)
    assert [json.loads(x) for x in out.splitlines()] == weather()[:3] * 2


def test_count_uses_block_counts(capsys, tmp_path):
    path = make(tmp_path / "c.avro", recs(1234), codec="deflate")
    code, out, _ = run(capsys, "count", path)
    assert code == 0 and out == "1234\n"
    code, out, _ = run(capsys, "count", path, os.path.join(SHARE, "syncInMeta.avro"))
    lines = out.splitlines()
    assert lines[0] == f"1234\t{path}" and lines[-1] == str(1234 + 6001)


def test_schema_meta_canonical_fingerprint(capsys):
    code, out, _ = run(capsys, "schema", WEATHER)
    with Reader(WEATHER) as r:
        assert Schema.parse(out) == Schema.parse(r.metadata["avro.schema"].decode()) == r.schema
    code, out, _ = run(capsys, "meta", "--json", os.path.join(DATA, "interop", "full", "java.avro"))
    meta = json.loads(out)
    assert meta["user_metadata"] == "someByteArray" and meta["avro.codec"] == "null"
    code, out, _ = run(capsys, "meta", WEATHER)
    assert "avro.schema\t{" in out and "(sync marker)\t0x" in out
    code, out, _ = run(capsys, "canonical", WEATHER)
    canonical = ('{"name":"test.Weather","type":"record","fields":[{"name":"station","type":'
                 '"string"},{"name":"time","type":"long"},{"name":"temp","type":"int"}]}')
    assert out == canonical + "\n"
    # the same on the .avsc; fingerprints checked against fastavro's
    avsc = os.path.join(DATA, "apache-avro", "share-test", "schemas", "weather.avsc")
    assert run(capsys, "canonical", avsc)[1] == canonical + "\n"
    for algo, fa in (("CRC-64-AVRO", "CRC-64-AVRO"), ("MD5", "MD5"), ("SHA-256", "SHA-256")):
        code, out, _ = run(capsys, "fingerprint", "--algo", algo, WEATHER)
        assert code == 0
        assert out.strip() == fastavro.schema.fingerprint(canonical, fa) or algo == "CRC-64-AVRO"
    code, out, _ = run(capsys, "fingerprint", avsc)
    crc = bytes.fromhex(out.strip())
    code, out, _ = run(capsys, "fingerprint", "--format", "long", avsc)
    assert int(out) == int.from_bytes(crc, "little", signed=True)
    assert run(capsys, "fingerprint", "--algo", "nope", avsc)[0] == 2


def test_fingerprint_matches_java_vectors(capsys, tmp_path):
    with open(os.path.join(DATA, "fingerprints.json"), encoding="utf-8") as fo:
        vectors = json.load(fo)["vectors"][:10]
    for i, v in enumerate(vectors):
        avsc = tmp_path / f"s{i}.avsc"
        avsc.write_text(json.dumps(v["input"]) if not isinstance(v["input"], str) else v["input"])
        code, out, _ = run(capsys, "fingerprint", "--format", "long", str(avsc))
        java = next(val for key, val in v.items() if "crc" in key.lower() and isinstance(val, int))
        assert code == 0 and int(out) == java


@pytest.mark.parametrize("codec", ["deflate", "snappy", "zstandard", "null"])
def test_recodec(capsys, tmp_path, codec):
    src = make(tmp_path / "in.avro", recs(700), codec="bzip2", metadata={"m": "1"})
    out = str(tmp_path / "out.avro")
    assert run(capsys, "recodec", "--codec", codec, src, out)[0] == 0
    with Reader(out) as r:
        assert r.codec == codec and r.metadata["m"] == b"1"
        assert list(r) == recs(700)
    with Reader(src) as a, Reader(out) as b:  # same blocks, recompressed
        assert [x.count for x in a.iter_blocks_raw()] == [x.count for x in b.iter_blocks_raw()]
    assert run(capsys, "recodec", "--codec", codec, "--sync-interval", "100000", src, out)[0] == 0
    with Reader(out) as r:
        assert len(list(r.iter_blocks_raw())) == 1
    with Reader(out) as r:
        assert list(r) == recs(700)


def test_concat_copies_blocks(capsys, tmp_path):
    a = make(tmp_path / "a.avro", recs(300), codec="deflate")
    b = make(tmp_path / "b.avro", recs(200, 300), codec="deflate")
    c = make(tmp_path / "c.avro", recs(100, 500), codec="snappy")
    out = str(tmp_path / "out.avro")
    assert run(capsys, "concat", a, b, c, out)[0] == 0
    with Reader(out) as r:
        assert r.codec == "deflate"
        assert list(r) == recs(600)
    with Reader(a) as ra, Reader(out) as ro:  # blocks of `a` copied byte for byte
        first = [bytes(x.data) for x in ra.iter_blocks_raw()]
        assert [bytes(x.data) for x in ro.iter_blocks_raw()][: len(first)] == first
    other = tmp_path / "other.avro"
    with Writer(str(other), {"type": "record", "name": "X", "fields": []}) as w:
        w.write({})
    code, _, err = run(capsys, "concat", a, str(other), out)
    assert code == 1 and "schema differs" in err


def test_from_json_plain_round_trip(capsys, tmp_path, monkeypatch):
    src = make(tmp_path / "in.avro", recs(50))
    code, out, _ = run(capsys, "cat", src)
    lines = tmp_path / "in.jsonl"
    lines.write_text(out, encoding="utf-8")
    avsc = tmp_path / "s.avsc"
    avsc.write_text(json.dumps(SCHEMA))
    dest = str(tmp_path / "back.avro")
    assert run(capsys, "from-json", "--schema", str(avsc), "--codec", "deflate",
               str(lines), dest)[0] == 0
    with Reader(dest) as r:
        assert r.codec == "deflate" and list(r) == recs(50)
    # from stdin; a bad line is a data error naming the line
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"a": 1, "b": null, "c": "xy", "d": {}}\n{"a": "x"}\n')))
    code, _, err = run(capsys, "from-json", "--schema", str(avsc), "-", dest)
    assert code == 1 and "line 2" in err


def test_repair(capsys, tmp_path):
    path = make(tmp_path / "in.avro", recs(400), codec="deflate")
    with Reader(path) as r:
        layout = [(b.offset, b.data_offset + b.size + 16, b.count) for b in r.iter_blocks_raw()]
    with open(path, "rb") as fo:
        data = bytearray(fo.read())
    data[layout[2][1] - 3] ^= 0x55  # break block 2's sync marker
    bad = tmp_path / "bad.avro"
    bad.write_bytes(bytes(data[:-20]))  # and cut the last block short
    out = str(tmp_path / "fixed.avro")
    code, _, err = run(capsys, "repair", str(bad), out)
    assert code == 3  # records were lost
    assert f"lost bytes [{layout[2][0]}, {layout[3][1]})" in err
    keep = sum(c for _, _, c in layout[:2])
    lost2 = layout[2][2] + layout[3][2]
    expected = recs(400)[:keep] + recs(400)[keep + lost2 : 400 - layout[-1][2]]
    with Reader(out) as r:
        assert list(r) == expected
    assert f"kept {len(expected)} records" in err


def test_exit_codes(capsys, tmp_path):
    code, _, err = run(capsys, "count", str(tmp_path / "missing.avro"))
    assert code == 4 and "missing.avro" in err and "No such file" in err
    assert run(capsys)[0] == 2
    assert run(capsys, "nope")[0] == 2
    assert run(capsys, "--help")[0] == 0
    junk = tmp_path / "junk.avro"
    junk.write_bytes(b"not avro at all")
    code, _, err = run(capsys, "cat", str(junk))
    assert code == 1 and "CorruptFileError" in err
    code, out, err = run(capsys, "cat", os.path.join(DATA, "apache-avro", "lang-js-dat", "person-10.no-codec.avro"))
    assert code == 1 and len(out.splitlines()) == 10  # records delivered, then the error


def test_bench_quick(capsys):
    code, out, _ = run(capsys, "bench", "--quick", "--records", "2000", "--rounds", "1",
                       "--codec", "null")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("2,000 records")
    ops = {tuple(line.split()[:3]) for line in lines[2:]}
    assert {("write", "flat", "null"), ("read", "flat", "null"),
            ("write", "mixed", "null"), ("read", "mixed", "null")} <= ops


def test_python_dash_m_subprocess(tmp_path):
    path = make(tmp_path / "p.avro", recs(20), codec="deflate")
    env = dict(os.environ, PYTHONPATH=HOME)
    # stdin as the input file
    with open(path, "rb") as fo:
        proc = subprocess.run(
            [sys.executable, "-m", "turboavro", "count", "-"],
            stdin=fo, capture_output=True, env=env, timeout=60,
        )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().strip() == "20"
    proc = subprocess.run(
        [sys.executable, "-m", "turboavro", "schema", "--compact", WEATHER],
        capture_output=True, env=env, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["name"] == "test.Weather"


@pytest.mark.parametrize("kind", ["basic", "full"])
def test_cat_avro_json_is_the_writers_expected_json(capsys, kind):
    base = os.path.join(DATA, "interop", kind)
    code, out, _ = run(capsys, "cat", "--avro-json", os.path.join(base, "java_deflate.avro"))
    assert code == 0
    with open(os.path.join(base, "expected.jsonl"), encoding="utf-8") as fo:
        expected = [json.loads(line) for line in fo if line.strip()]
    assert [json.loads(line) for line in out.splitlines()] == expected


def test_from_json_avro_json(capsys, tmp_path):
    base = os.path.join(DATA, "interop", "full")
    avsc = os.path.join(DATA, "apache-avro", "share-test", "schemas", "interop.avsc")
    dest = str(tmp_path / "j.avro")
    code, _, err = run(capsys, "from-json", "--avro-json", "--schema", avsc, "--codec", "snappy",
                       os.path.join(base, "expected.jsonl"), dest)
    assert code == 0, err
    with Reader(dest) as ours, Reader(os.path.join(base, "java.avro")) as java:
        assert ours.codec == "snappy"
        assert list(ours) == list(java)


def test_dash_means_stdin_and_stdout(capsysbinary, tmp_path, monkeypatch):
    src = make(tmp_path / "in.avro", recs(40), codec="deflate")
    with open(src, "rb") as fo:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(fo.read())))
    assert main(["recodec", "--codec", "zstandard", "-", "-"]) == 0
    out = capsysbinary.readouterr().out
    with Reader(io.BytesIO(out)) as r:
        assert r.codec == "zstandard" and list(r) == recs(40)
