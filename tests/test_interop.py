"""Interop: every container file under tests/data read against what its writer meant
(expected.jsonl, weather.json) and against fastavro / the Apache ``avro`` package; files we
write read back by both, and files they write read by us."""
from __future__ import annotations

import glob
import io
import json
import math
import os

import avro.datafile
import avro.io
import avro.schema
import fastavro
import pytest

import _interim_deps  # noqa: F401  (TEMPORARY until schema/codec/codecs land on main)
from turboavro.container import Reader, Writer
from turboavro.errors import CorruptFileError, DecodeError

DATA = os.path.join(os.path.dirname(__file__), "data")
SHARE = os.path.join(DATA, "apache-avro", "share-test", "data")
INTEROP = sorted(glob.glob(os.path.join(DATA, "interop", "*", "*.avro")))
ALL_FILES = sorted(glob.glob(os.path.join(DATA, "**", "*.avro"), recursive=True))
BROKEN = {
    "avro-1237-bad-union-discriminant.avro": DecodeError,
    "avro-1238-truncated.avro": CorruptFileError,
    "person-10.no-codec.avro": CorruptFileError,
}
# what each oracle can decompress (fastavro 1.13 needs backports.zstd for zstandard;
# avro 1.12's Python package has no snappy or xz)
FASTAVRO_CODECS = {"null", "deflate", "snappy", "bzip2", "xz"}
AVRO_CODECS = {"null", "deflate", "bzip2", "zstandard"}


def same(a, b) -> bool:
    """Equality where NaN equals NaN and -0.0 differs from 0.0 (bit-exact floats)."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def from_avro_json(value, schema, named=None):
    """Avro JSON encoding (SPEC.md §D) to the Python value, for the expected.jsonl oracle:
    unions are {"branch": value}, bytes and fixed ISO-8859-1 strings."""
    named = {} if named is None else named
    if isinstance(schema, str):
        if schema in named:
            return from_avro_json(value, named[schema], named)
        if schema in ("bytes", "fixed"):
            return value.encode("latin-1")
        if schema in ("float", "double"):
            return float(value)
        return value
    if isinstance(schema, list):
        if value is None:
            return None
        (branch, inner), = value.items()
        for s in schema:
            if isinstance(s, str):
                names = {s}
            elif "name" in s:
                names = {s["name"], _fullname(s)}
            else:
                names = {s["type"]}
            if branch in names:
                return from_avro_json(inner, s, named)
        raise AssertionError(f"no branch {branch}")
    t = schema["type"]
    if t in ("record", "error", "enum", "fixed"):
        named[schema["name"]] = schema
        named[_fullname(schema)] = schema
    if t in ("record", "error"):
        return {f["name"]: from_avro_json(value[f["name"]], f["type"], named)
                for f in schema["fields"]}
    if t == "array":
        return [from_avro_json(v, schema["items"], named) for v in value]
    if t == "map":
        return {k: from_avro_json(v, schema["values"], named) for k, v in value.items()}
    if t == "fixed":
        return value.encode("latin-1")
    return from_avro_json(value, t, named)


def _fullname(s: dict) -> str:
    return f"{s['namespace']}.{s['name']}" if s.get("namespace") else s["name"]


def read_all(path):
    with Reader(path) as r:
        return r, list(r)


def fastavro_read(path):
    with open(path, "rb") as fo:
        return list(fastavro.reader(fo))


def avro_read(path):
    with open(path, "rb") as fo, avro.datafile.DataFileReader(fo, avro.io.DatumReader()) as r:
        return list(r)


@pytest.mark.parametrize("path", INTEROP, ids=lambda p: os.path.relpath(p, DATA))
def test_interop_files_match_expected(path):
    r, got = read_all(path)
    writer_json = json.loads(r.metadata["avro.schema"])
    with open(os.path.join(os.path.dirname(path), "expected.jsonl"), encoding="utf-8") as fo:
        expected = [from_avro_json(json.loads(line), writer_json) for line in fo if line.strip()]
    assert same(got, expected)
    if not os.path.basename(path).startswith("c"):  # Avro C's writer adds no user metadata
        assert r.metadata["user_metadata"] == b"someByteArray"
    codec = os.path.basename(path)[:-5].partition("_")[2] or "null"
    assert r.codec == codec
    if codec in FASTAVRO_CODECS:
        assert same(got, fastavro_read(path))
    if codec in AVRO_CODECS:
        assert same(got, avro_read(path))


@pytest.mark.parametrize(
    "name", ["weather.avro", "weather-deflate.avro", "weather-snappy.avro",
             "weather-zstd.avro", "weather-sorted.avro"]
)
def test_weather(name):
    r, got = read_all(os.path.join(SHARE, name))
    with open(os.path.join(SHARE, "weather.json"), encoding="utf-8") as fo:
        expected = [json.loads(line) for line in fo if line.strip()]
    if name == "weather-sorted.avro":  # sorted by time (station has order: ignore)
        expected.sort(key=lambda rec: rec["time"])
    assert got == expected
    assert {"weather.avro": "null", "weather-deflate.avro": "deflate",
            "weather-snappy.avro": "snappy", "weather-zstd.avro": "zstandard",
            "weather-sorted.avro": r.codec}[name] == r.codec


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: os.path.relpath(p, DATA))
def test_every_file_against_oracles(path):
    name = os.path.basename(path)
    if name in BROKEN:
        got = []
        with Reader(path) as r, pytest.raises(BROKEN[name]) as ei:
            for rec in r:
                got.append(rec)
        assert ei.value.offset is not None
        good = path.replace("bad-union-discriminant", "good").replace("truncated", "good")
        if good != path:  # the complete records come first
            expected = list(Reader(good))
            assert got == expected[: len(got)] and got
        else:
            assert len(got) == 10
        return
    r, got = read_all(path)
    if r.codec in AVRO_CODECS:
        assert same(got, avro_read(path))
    if r.codec in FASTAVRO_CODECS and name != "syncInMeta.avro":  # its metadata is not UTF-8
        assert same(got, fastavro_read(path))


def test_sync_in_meta():
    r, got = read_all(os.path.join(SHARE, "syncInMeta.avro"))
    assert r.codec == "deflate"
    with Reader(os.path.join(SHARE, "syncInMeta.avro")) as r2:
        assert len(list(r2.iter_blocks_raw())) == 12
    assert same(got, avro_read(os.path.join(SHARE, "syncInMeta.avro")))


def test_person_10_js():
    base = os.path.join(DATA, "apache-avro", "lang-js-dat")
    _, got = read_all(os.path.join(base, "person-10.avro"))
    assert len(got) == 10 and same(got, fastavro_read(os.path.join(base, "person-10.avro")))


# -- round trips with the other implementations --------------------------------------------------

INTEROP_SCHEMA = os.path.join(DATA, "apache-avro", "share-test", "schemas", "interop.avsc")


def _interop_datums():
    _, basic = read_all(os.path.join(DATA, "interop", "basic", "java.avro"))
    _, full = read_all(os.path.join(DATA, "interop", "full", "java.avro"))
    return basic + full


@pytest.mark.parametrize("codec", ["null", "deflate", "snappy", "bzip2", "xz", "zstandard"])
def test_we_write_they_read(codec, tmp_path):
    with Reader(os.path.join(DATA, "interop", "full", "java.avro")) as r:
        schema = json.loads(r.metadata["avro.schema"])
    datums = _interop_datums() * 50
    path = str(tmp_path / f"ours_{codec}.avro")
    with Writer(path, schema, codec=codec, sync_interval=1000,
                metadata={"user_metadata": b"someByteArray"}) as w:
        w.write_many(datums)
    checked = 0
    if codec in FASTAVRO_CODECS:
        assert same(fastavro_read(path), datums)
        checked += 1
    if codec in AVRO_CODECS:
        assert same(avro_read(path), datums)
        checked += 1
    _, back = read_all(path)
    assert same(back, datums) and checked


@pytest.mark.parametrize("codec", ["null", "deflate", "snappy", "bzip2", "xz"])
def test_fastavro_writes_we_read(codec, tmp_path):
    with Reader(os.path.join(DATA, "interop", "full", "java.avro")) as r:
        schema = json.loads(r.metadata["avro.schema"])
    datums = _interop_datums() * 100
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(schema), datums, codec=codec, sync_interval=2000)
    with Reader(io.BytesIO(buf.getvalue())) as r:
        assert r.codec == codec
        assert same(list(r), datums)


@pytest.mark.parametrize("codec", sorted(AVRO_CODECS))
def test_avro_writes_we_read(codec, tmp_path):
    with open(INTEROP_SCHEMA, encoding="utf-8") as fo:
        schema = avro.schema.parse(fo.read())
    with Reader(os.path.join(DATA, "interop", "full", "java.avro")) as r:
        datums = list(r) * 30
    path = str(tmp_path / "avro.avro")
    with open(path, "wb") as fo, avro.datafile.DataFileWriter(
        fo, avro.io.DatumWriter(), schema, codec=codec
    ) as w:
        for d in datums:
            w.append(d)
    _, got = read_all(path)
    assert same(got, datums)
