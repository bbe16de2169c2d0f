"""The avro-tools vocabulary (tojson, fromjson, getschema, getmeta, random), cat's selection
options, --version, help on every option, counts that cannot be negative, progress bars, and
the bench command's legend, peers and chart."""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
from pathlib import Path

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import turboavro
from strategies import datum_problem, schemas
from turboavro import cli
from turboavro._random import random_records
from turboavro.cli import build_parser, main
from turboavro.codec import Encoder
from turboavro.container import Reader, Writer
from turboavro.schema import Schema

DATA = os.path.join(os.path.dirname(__file__), "data")
WEATHER = os.path.join(DATA, "apache-avro", "share-test", "data", "weather.avro")
SCHEMA = {"type": "record", "name": "R", "namespace": "t", "fields": [
    {"name": "a", "type": "long"},
    {"name": "s", "type": "string"},
    {"name": "p", "type": {"type": "record", "name": "P", "fields": [{"name": "x", "type": "int"}]}},
    {"name": "q", "type": ["null", "P"]},
]}


def recs(n: int) -> list[dict]:
    return [{"a": i, "s": f"s{i}", "p": {"x": -i}, "q": None if i % 2 else {"x": i}}
            for i in range(n)]


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    """A file of 1000 records in blocks of varying sizes."""
    path = tmp_path_factory.mktemp("multi") / "m.avro"
    with Writer(str(path), SCHEMA, codec="deflate", sync_interval=300) as w:
        w.write_many(recs(1000))
    return str(path)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rows(text: str) -> list:
    return [json.loads(line) for line in text.split("\n") if line]


# -- avro-tools names ----------------------------------------------------------------------------


def test_tojson_and_fromjson_are_cat_and_from_json(capsys, tmp_path, multi):
    code, out, _ = run(capsys, "tojson", multi)
    assert code == 0 and out == run(capsys, "cat", multi)[1] and rows(out) == recs(1000)
    lines = tmp_path / "l.jsonl"
    lines.write_text(out)
    avsc = tmp_path / "s.avsc"
    avsc.write_text(json.dumps(SCHEMA))
    dest = tmp_path / "back.avro"
    assert run(capsys, "fromjson", "--schema-file", str(avsc), "--codec", "snappy",
               str(lines), str(dest))[0] == 0
    with Reader(str(dest)) as r:
        assert r.codec == "snappy" and list(r) == recs(1000)


def test_getschema_prints_the_stored_text(capsys, tmp_path):
    # a header schema with its writer's own spacing and key order: printed as stored
    text = '{ "type" : "record", "fields" : [ {"name":"b", "type":"int"} ], "name" : "Odd" }'
    path = tmp_path / "odd.avro"
    with open(path, "wb") as fo:
        fastavro.writer(fo, fastavro.parse_schema(json.loads(text)), [{"b": 1}])
    with open(path, "rb") as fo:
        stored = fastavro.reader(fo).metadata["avro.schema"]
    code, out, _ = run(capsys, "getschema", str(path))
    assert code == 0 and out == stored + "\n"
    code, out, _ = run(capsys, "getschema", WEATHER)
    with open(WEATHER, "rb") as fo:
        assert out == fastavro.reader(fo).metadata["avro.schema"] + "\n"


def test_getmeta_is_meta(capsys):
    code, out, _ = run(capsys, "getmeta", WEATHER)
    assert code == 0 and out == run(capsys, "meta", WEATHER)[1]
    assert out.startswith("avro.") and "avro.schema\t{" in out


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out == f"turboavro {turboavro.__version__}\n"


def _parsers(p: argparse.ArgumentParser, name: str = "turboavro"):
    yield name, p
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


def test_every_option_and_argument_has_help():
    missing = []
    for name, parser in _parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{name}: {'/'.join(action.option_strings) or action.dest}")
    assert not missing, missing


@pytest.mark.parametrize("argv", [
    ["cat", "-n", "-1"], ["cat", "--limit", "-4"], ["cat", "--offset", "-1"], ["head", "-n", "-1"],
    ["random", "--count", "-1", "S", "O"], ["bench", "--records", "-5"],
    ["bench", "--rounds", "0"], ["recodec", "--codec", "null", "--sync-interval", "-1", "I", "O"],
])
def test_negative_counts_are_rejected(capsys, argv):
    argv = argv + ([WEATHER] if argv[0] in ("cat", "head") else [])
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert "negative" in err or "at least 1" in err


# -- cat's selection -----------------------------------------------------------------------------


@pytest.mark.parametrize("offset, limit", [
    (0, 5), (1, 3), (299, 10), (300, 1), (995, None), (999, 10), (1000, 3), (5000, None), (17, 0),
])
def test_cat_offset_and_limit(capsys, multi, offset, limit):
    argv = ["cat", "--offset", str(offset)] + ([] if limit is None else ["--limit", str(limit)])
    code, out, _ = run(capsys, *argv, multi)
    end = None if limit is None else offset + limit
    assert code == 0 and rows(out) == recs(1000)[offset:end]


def test_cat_offset_skips_whole_blocks_undecoded(capsys, tmp_path, multi):
    """Blocks before the offset are not even decompressed: damage there goes unnoticed."""
    with Reader(multi) as r:
        blocks = list(r.iter_blocks_raw())
    data = bytearray(Path(multi).read_bytes())
    data[blocks[0].data_offset + 2] ^= 0xFF  # the first block's deflate data
    bad = tmp_path / "bad.avro"
    bad.write_bytes(bytes(data))
    assert run(capsys, "cat", str(bad))[0] == 1
    skip = blocks[0].count + 3
    code, out, _ = run(capsys, "cat", "--offset", str(skip), "-n", "4", str(bad))
    assert code == 0 and rows(out) == recs(1000)[skip:skip + 4]


def test_cat_offset_on_stdin(capsys, monkeypatch, multi):
    with open(multi, "rb") as fo:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(fo.read())))
    code, out, _ = run(capsys, "cat", "--offset", "400", "--limit", "2", "-")
    assert code == 0 and rows(out) == recs(1000)[400:402]


def test_cat_fields(capsys, multi, monkeypatch):
    code, out, _ = run(capsys, "cat", "--fields", "s,a", "-n", "3", multi)
    got = rows(out)
    assert code == 0 and got == [{"s": r["s"], "a": r["a"]} for r in recs(3)]
    assert list(got[0]) == ["s", "a"]  # the order asked for
    # a kept field that uses a type defined in a dropped one
    code, out, _ = run(capsys, "cat", "--fields", "q", "--avro-json", "-n", "2", multi)
    assert code == 0 and rows(out) == [{"q": {"t.P": {"x": 0}}}, {"q": None}]
    with open(multi, "rb") as fo:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(fo.read())))
    code, out, _ = run(capsys, "cat", "--fields", "q,a", "-n", "2", "-")
    assert code == 0 and rows(out) == [{"q": {"x": 0}, "a": 0}, {"q": None, "a": 1}]
    code, _, err = run(capsys, "cat", "--fields", "ss", multi)
    assert code == 2 and "no field 'ss'; did you mean 's'?" in err


def test_cat_skip_corrupt(capsys, tmp_path, multi):
    with Reader(multi) as r:
        blocks = list(r.iter_blocks_raw())
    data = bytearray(Path(multi).read_bytes())
    data[blocks[2].data_offset + blocks[2].size + 5] ^= 0xFF  # block 2's sync marker
    bad = tmp_path / "bad.avro"
    bad.write_bytes(bytes(data))
    code, out, err = run(capsys, "cat", str(bad))
    assert code == 1 and "CorruptFileError" in err
    code, out, err = run(capsys, "cat", "--skip-corrupt", str(bad))
    assert code == 3 and "lost bytes [" in err
    start = sum(b.count for b in blocks[:2])
    lost = blocks[2].count + blocks[3].count  # the block before the broken marker and the next
    assert rows(out) == recs(1000)[:start] + recs(1000)[start + lost:]


# -- random --------------------------------------------------------------------------------------

EVERY_TYPE = {
    "type": "record", "name": "All", "fields": [
        {"name": n, "type": t} for n, t in [
            ("n", "null"), ("b", "boolean"), ("i", "int"), ("l", "long"), ("f", "float"),
            ("d", "double"), ("by", "bytes"), ("s", "string"),
            ("e", {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}),
            ("fx", {"type": "fixed", "name": "F", "size": 3}),
            ("a", {"type": "array", "items": "long"}), ("m", {"type": "map", "values": "E"}),
            ("u", ["null", "string", {"type": "array", "items": "F"}]),
            ("dec", {"type": "bytes", "logicalType": "decimal", "precision": 7, "scale": 2}),
            ("decf", {"type": "fixed", "name": "DF", "size": 4, "logicalType": "decimal",
                      "precision": 9, "scale": 3}),
            ("bigd", {"type": "bytes", "logicalType": "big-decimal"}),
            ("us", {"type": "string", "logicalType": "uuid"}),
            ("uf", {"type": "fixed", "name": "UF", "size": 16, "logicalType": "uuid"}),
            ("date", {"type": "int", "logicalType": "date"}),
            ("tms", {"type": "int", "logicalType": "time-millis"}),
            ("tus", {"type": "long", "logicalType": "time-micros"}),
            ("tsms", {"type": "long", "logicalType": "timestamp-millis"}),
            ("tsus", {"type": "long", "logicalType": "timestamp-micros"}),
            ("tsns", {"type": "long", "logicalType": "timestamp-nanos"}),
            ("ltms", {"type": "long", "logicalType": "local-timestamp-millis"}),
            ("ltus", {"type": "long", "logicalType": "local-timestamp-micros"}),
            ("ltns", {"type": "long", "logicalType": "local-timestamp-nanos"}),
            ("dur", {"type": "fixed", "name": "Du", "size": 12, "logicalType": "duration"}),
            ("tree", {"type": "record", "name": "Node", "fields": [
                {"name": "v", "type": "int"},
                {"name": "kids", "type": {"type": "array", "items": "Node"}},
                {"name": "next", "type": ["null", "Node"]}]}),
        ]
    ],
}


def test_random_writes_valid_records_of_every_type(capsys, tmp_path):
    avsc = tmp_path / "all.avsc"
    avsc.write_text(json.dumps(EVERY_TYPE))
    out = tmp_path / "r.avro"
    code, _, err = run(capsys, "random", "--count", "300", "--seed", "7", "--codec", "deflate",
                       str(avsc), str(out))
    assert code == 0, err
    with Reader(str(out)) as r:
        got = list(r)
    assert r.codec == "deflate" and len(got) == 300
    for rec in got:  # valid by the test suite's own rules, not the generator's
        assert datum_problem(rec, EVERY_TYPE) is None, datum_problem(rec, EVERY_TYPE)
    with open(out, "rb") as fo:  # and another implementation reads the file
        assert len(list(fastavro.reader(fo))) == 300
    assert len({r["s"] for r in got}) > 100 and {r["e"] for r in got} == {"A", "B", "C"}
    # the same seed, the same records; another seed, others
    again = tmp_path / "again.avro"
    assert run(capsys, "random", "--count", "300", "--seed", "7", str(avsc), str(again))[0] == 0
    with Reader(str(again)) as r:
        assert list(r) == got
    assert run(capsys, "random", "--count", "300", "--seed", "8", str(avsc), str(again))[0] == 0
    with Reader(str(again)) as r:
        assert list(r) != got
    # inline schema, zero records
    code, _, _ = run(capsys, "random", "--count", "0", '{"type": "string"}', str(again))
    with Reader(str(again)) as r:
        assert code == 0 and list(r) == [] and r.schema == Schema.parse('"string"')


@settings(max_examples=60, deadline=None)
@given(schemas(max_depth=3, top_level="any"), st.integers(0, 2**32))
def test_random_records_are_valid_for_any_schema(schema_json, seed):
    schema = Schema.parse(schema_json)
    encode = Encoder(schema).encode
    for value in random_records(schema, 5, seed):
        assert datum_problem(value, schema_json) is None, datum_problem(value, schema_json)
        encode(value)


def test_random_refuses_a_schema_without_finite_values():
    schema = Schema.parse({"type": "record", "name": "Loop", "fields": [
        {"name": "me", "type": "Loop"}]})
    with pytest.raises(turboavro.SchemaError, match="no finite values"):
        list(random_records(schema, 1, 0))


# -- progress bars -------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _on_terminal(monkeypatch) -> _Terminal:
    """stderr replaced by a terminal, from within the test (capture fixtures reinstall theirs
    when the test starts)."""
    pytest.importorskip("tqdm")
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(cli, "_PROGRESS_DELAY", 0)
    return err


@pytest.mark.parametrize("argv, label", [
    (["recodec", "--codec", "snappy", "{f}", "{out}"], "recodec"),
    (["recodec", "--codec", "snappy", "--sync-interval", "5000", "{f}", "{out}"], "recodec"),
    (["concat", "{f}", "{f}", "{out}"], "concat"),
    (["repair", "{f}", "{out}"], "repair"),
    (["from-json", "--schema", "{avsc}", "{jsonl}", "{out}"], "from-json"),
    (["cat", "{f}"], "cat"),
    (["count", "{f}", "{f}", "{f}"], "count"),
])
def test_progress_bars_on_a_terminal(capsys, tmp_path, monkeypatch, multi, argv, label):
    avsc = tmp_path / "s.avsc"
    avsc.write_text(json.dumps(SCHEMA))
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in recs(3000)))
    names = {"f": multi, "out": str(tmp_path / "o.avro"), "avsc": str(avsc), "jsonl": str(jsonl)}
    terminal = _on_terminal(monkeypatch)
    assert main([a.format(**names) for a in argv]) == 0
    shown = terminal.getvalue()
    # tqdm draws "label: NN%|bar| done/total" and, leaving no trace, erases it at the end
    assert re.search(rf"\r{label}[^\r]*: +\d+%\|", shown), shown
    assert re.search(r"\r +\r", shown), shown  # erased when done
    capsys.readouterr()


def test_no_progress_bar_off_a_terminal(capsys, tmp_path, monkeypatch, multi):
    monkeypatch.setattr(cli, "_PROGRESS_DELAY", 0)
    assert main(["recodec", "--codec", "snappy", multi, str(tmp_path / "o.avro")]) == 0
    assert capsys.readouterr().err == ""


# -- bench ---------------------------------------------------------------------------------------


def test_bench_legend_peers_and_plot(capsys, tmp_path):
    png = tmp_path / "chart.png"
    code, out, _ = run(capsys, "bench", "--quick", "--records", "1000", "--rounds", "1",
                       "--codec", "null", "--plot", str(png))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "1,000 records per workload, best of 1 runs; records per second"
    assert lines[1].split()[:5] == ["op", "shape", "codec", "turboavro", "fastavro"]
    table = [line.split() for line in lines[2:lines.index("")]]
    assert {(t[0], t[1]) for t in table} == {("write", "flat"), ("read", "flat"),
                                            ("columns", "flat"), ("write", "mixed"),
                                            ("read", "mixed")}
    for t in table:
        assert float(t[-1].rstrip("x")) > 0  # a ratio against fastavro
    for word in ("flat ", "mixed ", "columns ", "ratio "):
        assert any(line.startswith(word) for line in lines), word
    assert f"chart written to {png}" in out
    matplotlib = pytest.importorskip("matplotlib")
    from matplotlib import image

    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(str(png))
    assert pixels.shape[0] >= 400 and pixels.shape[1] >= 600
    assert matplotlib is not None


def test_bench_defaults_to_best_of_3_and_hints_at_fastavro(capsys, monkeypatch):
    from turboavro import bench

    real = bench._optional
    monkeypatch.setattr(bench, "_optional", lambda name: None if name in ("fastavro", "cavro")
                        else real(name))
    code, out, _ = run(capsys, "bench", "--records", "300", "--codec", "null")
    assert code == 0
    assert out.startswith("300 records per workload, best of 3 runs")
    assert "fastavro is not installed" in out and "pip install fastavro" in out
    assert "fastavro" not in out.splitlines()[2]  # no fastavro column without fastavro
