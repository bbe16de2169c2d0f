"""Interop: every container file under tests/data read against what its writer meant
(expected.jsonl, weather.json) and against fastavro / the Apache ``avro`` package; files we
write read back by both, and files they write read by us."""
from __future__ import annotations

import glob
import io
import json
import math
import os
import struct
import warnings

import avro.datafile
import avro.errors
import avro.io
import avro.schema
import fastavro
import pytest

from turboavro.container import Reader, Writer
from turboavro.errors import CorruptFileError, DecodeError
from turboavro.json_codec import from_json_value

DATA = os.path.join(os.path.dirname(__file__), "data")
SHARE = os.path.join(DATA, "apache-avro", "share-test", "data")
INTEROP = sorted(glob.glob(os.path.join(DATA, "interop", "*", "*.avro")))
# data/external (other projects' files, some damaged on purpose) has its own test:
# tests/test_external_corpus.py
ALL_FILES = sorted(
    p
    for p in glob.glob(os.path.join(DATA, "**", "*.avro"), recursive=True)
    if not os.path.relpath(p, DATA).startswith("external" + os.sep)
)
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
    with open(os.path.join(os.path.dirname(path), "expected.jsonl"), encoding="utf-8") as fo:
        expected = [from_json_value(json.loads(line), r.schema) for line in fo if line.strip()]
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


# -- property tests: random schemas and data -------------------------------------------------------

from hypothesis import HealthCheck, given, reject, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from strategies import (  # noqa: E402
    ALL_LOGICAL_VARIANTS,
    AVRO_LOGICAL_VARIANTS,
    FASTAVRO_LOGICAL_VARIANTS,
    avro_equal,
    datums,
    evolutions,
    schema_and_datums,
    schemas,
)

_SETTINGS = settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(
    sd=schema_and_datums(max_size=20, logical_types=FASTAVRO_LOGICAL_VARIANTS),
    codec=st.sampled_from(["null", "deflate", "snappy"]),
    interval=st.sampled_from([1, 50, 64000]),
)
def test_random_we_write_fastavro_reads(sd, codec, interval):
    schema, values = sd
    buf = io.BytesIO()
    with Writer(buf, schema, codec=codec, sync_interval=interval) as w:
        w.write_many(values)
    got = list(fastavro.reader(io.BytesIO(buf.getvalue())))
    assert avro_equal(got, values)
    with Reader(io.BytesIO(buf.getvalue())) as r:
        assert avro_equal(list(r), values)


@_SETTINGS
@given(
    sd=schema_and_datums(max_size=20, logical_types=FASTAVRO_LOGICAL_VARIANTS),
    codec=st.sampled_from(["null", "deflate", "bzip2"]),
)
def test_random_fastavro_writes_we_read(sd, codec):
    schema, values = sd
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(schema), values, codec=codec, sync_interval=100)
    with Reader(io.BytesIO(buf.getvalue())) as r:
        assert avro_equal(list(r), values)


@_SETTINGS
@given(
    sd=schema_and_datums(max_size=10, logical_types=AVRO_LOGICAL_VARIANTS),
    codec=st.sampled_from(["null", "deflate", "zstandard"]),
)
def test_random_avro_reads_ours(sd, codec):
    schema, values = sd
    buf = io.BytesIO()
    with Writer(buf, schema, codec=codec, sync_interval=64) as w:
        w.write_many(values)
    with warnings.catch_warnings():  # avro warns about the unknown logical types it ignores
        warnings.simplefilter("ignore", avro.errors.IgnoredLogicalType)
        try:
            r = avro.datafile.DataFileReader(io.BytesIO(buf.getvalue()), avro.io.DatumReader())
        except avro.errors.SchemaParseException:  # avro 1.12.2 rejects some valid schemas
            reject()
        with r:
            assert avro_equal(list(r), values)


@_SETTINGS
@given(data=st.data())
def test_random_splits_and_all_logical_types(data):
    schema = data.draw(schemas(logical_types=ALL_LOGICAL_VARIANTS))
    values = data.draw(st.lists(datums(schema), min_size=1, max_size=40))
    buf = io.BytesIO()
    with Writer(buf, schema, codec=data.draw(st.sampled_from(["null", "xz"])),
                sync_interval=data.draw(st.integers(1, 300))) as w:
        w.write_many(values)
    raw = buf.getvalue()
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(raw)), max_size=5))) | {0, len(raw)})
    got = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        with Reader(io.BytesIO(raw), start=a, end=b) as r:
            got += list(r)
    assert avro_equal(got, values)


@_SETTINGS
@given(data=st.data())
def test_random_reader_schema_matches_fastavro(data):
    writer = data.draw(schemas(logical_types=FASTAVRO_LOGICAL_VARIANTS, allow_recursion=False))
    reader = data.draw(evolutions(writer))
    values = data.draw(st.lists(datums(writer), max_size=10))
    buf = io.BytesIO()
    with Writer(buf, writer, sync_interval=40) as w:
        w.write_many(values)
    raw = buf.getvalue()
    try:
        expected = list(fastavro.reader(io.BytesIO(raw), reader_schema=fastavro.parse_schema(reader)))
    except Exception:  # noqa: BLE001 - fastavro says incompatible (or cannot resolve)
        return
    if not values:  # fastavro checks resolution only when it meets a record; we check at open
        return
    with Reader(io.BytesIO(raw), reader_schema=reader) as r:
        assert r.reader_schema is not None
        assert avro_equal(list(r), _fastavro_quirks(expected, list(Reader(io.BytesIO(raw), reader_schema=reader))))


def _fastavro_quirks(theirs, ours):
    """Undo two fastavro quirks in its value: the JSON default of a bytes/fixed field comes
    back as str (SPEC: bytes defaults are ISO-8859-1 text), and an int or long promoted to a
    reader's float is not rounded to 32 bits (Java gives float32(2147483647) = 2147483648.0)."""
    if isinstance(ours, bytes) and isinstance(theirs, str):
        return theirs.encode("latin-1")
    if isinstance(ours, float) and isinstance(theirs, float) and ours != theirs:
        try:
            as_float32 = struct.unpack("<f", struct.pack("<f", theirs))[0]
        except OverflowError:
            return theirs
        return as_float32 if as_float32 == ours else theirs
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return {k: _fastavro_quirks(v, ours.get(k)) for k, v in theirs.items()}
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [_fastavro_quirks(a, b) for a, b in zip(theirs, ours, strict=True)]
    return theirs
