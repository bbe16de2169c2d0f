"""Columnar reads and writes (turboavro.columnar): columns equal what a row reader gives.

The row oracle is fastavro (an independent implementation): every column is compared with the
values fastavro reads from the same file, on random schemas and data (tests/strategies.py),
for every codec, with projections, reader schemas and 1 or 2 threads.
"""
from __future__ import annotations

import datetime
import decimal
import io
import json
import re
import struct
import tempfile
import uuid
import zlib
from itertools import pairwise
from pathlib import Path
from typing import Any

import fastavro
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import turboavro
from strategies import (
    FASTAVRO_LOGICAL_VARIANTS,
    avro_diff,
    damaged_copies,
    datums,
    evolutions,
    fastavro_compatible,
    schemas,
)
from turboavro import DecodeError, EncodeError, SchemaResolutionError
from turboavro._kernels import _columns as _k
from turboavro.bench import FLAT_SCHEMA
from turboavro.columnar import (
    BinaryColumn,
    EnumColumn,
    ListColumn,
    MapColumn,
    UnionColumn,
    iter_batches,
    read_columns,
    write_columns,
)
from turboavro.columnar.columns import _values_to_object
from turboavro.resolution import read_plan

DATA = Path(__file__).parent / "data"
CODECS = ["null", "deflate", "snappy", "zstandard"]
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

# -- helpers: files, test-only block re-framing, oracle values ----------------------------------


def _long(v: int) -> bytes:
    n = (v << 1) ^ (v >> 63)
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _read_long(buf: bytes, pos: int) -> tuple[int, int]:
    shift = n = 0
    while True:
        b = buf[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            return (n >> 1) ^ -(n & 1), pos
        shift += 7


def _compress(codec: str, data: bytes) -> bytes:
    if codec == "null":
        return data
    if codec == "deflate":
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    if codec == "snappy":
        import cramjam

        return bytes(cramjam.snappy.compress_raw(data)) + struct.pack(">I", zlib.crc32(data))
    if codec == "zstandard":
        import zstandard

        return zstandard.ZstdCompressor().compress(data)
    raise ValueError(codec)


def _decompress(codec: str, data: bytes) -> bytes:
    if codec == "null":
        return data
    if codec == "deflate":
        return zlib.decompress(data, -15)
    if codec == "snappy":
        import cramjam

        return bytes(cramjam.snappy.decompress_raw(data[:-4]))
    import zstandard

    return zstandard.ZstdDecompressor().decompressobj().decompress(data)


def as_null_codec(data: bytes) -> bytes:
    """The same file with its blocks decompressed (fastavro here cannot read zstandard)."""
    meta, sync, blocks = split_file(data)
    codec = meta.get("avro.codec", b"null").decode()
    return join_file(meta, sync, [(c, _decompress(codec, p)) for c, p in blocks], "null")


def split_file(data: bytes) -> tuple[dict[str, bytes], bytes, list[tuple[int, bytes]]]:
    """(metadata, sync, [(count, payload)]) of a null-codec container file (test framing)."""
    assert data[:4] == b"Obj\x01"
    pos = 4
    meta = {}
    while True:
        n, pos = _read_long(data, pos)
        if n == 0:
            break
        for _ in range(abs(n)):
            k, pos = _read_long(data, pos)
            key = data[pos : pos + k].decode()
            pos += k
            v, pos = _read_long(data, pos)
            meta[key] = data[pos : pos + v]
            pos += v
    sync = data[pos : pos + 16]
    pos += 16
    blocks = []
    while pos < len(data):
        count, pos = _read_long(data, pos)
        size, pos = _read_long(data, pos)
        blocks.append((count, data[pos : pos + size]))
        pos += size + 16
    return meta, sync, blocks


def join_file(meta: dict[str, bytes], sync: bytes, blocks: list[tuple[int, bytes]], codec: str) -> bytes:
    meta = {**meta, "avro.codec": codec.encode()}
    out = bytearray(b"Obj\x01" + _long(len(meta)))
    for k, v in meta.items():
        out += _long(len(k)) + k.encode() + _long(len(v)) + v
    out += b"\x00" + sync
    for count, payload in blocks:
        body = _compress(codec, payload)
        out += _long(count) + _long(len(body)) + body + sync
    return bytes(out)


def avro_file(schema: Any, rows: list[Any], codec: str = "null", block_records: int = 0) -> bytes:
    """A container file of ``rows`` (datums encoded by fastavro, the independent oracle; test
    framing), ``block_records`` records per block (0: one block)."""
    parsed = fastavro.parse_schema(schema)
    datums = []
    for r in rows:
        b = io.BytesIO()
        fastavro.schemaless_writer(b, parsed, r)
        datums.append(b.getvalue())
    step = block_records or max(len(datums), 1)
    blocks = [
        (len(datums[i : i + step]), b"".join(datums[i : i + step]))
        for i in range(0, len(datums), step)
    ]
    meta = {"avro.schema": json.dumps(schema).encode()}
    return join_file(meta, b"0123456789abcdef", blocks, codec)


def fastavro_rows(data: bytes, reader_schema: Any = None) -> list[Any]:
    return list(fastavro.reader(io.BytesIO(data), reader_schema=reader_schema))


def norm(v: Any) -> Any:
    """fastavro's Python values in the form our columns' ``to_numpy`` gives (numpy's object
    conversions: datetime64 -> naive datetime/date, timedelta64 -> timedelta)."""
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, datetime.datetime):
        return v.astimezone(datetime.timezone.utc).replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, datetime.time):
        return datetime.timedelta(
            hours=v.hour, minutes=v.minute, seconds=v.second, microseconds=v.microsecond
        )
    if isinstance(v, uuid.UUID):
        return str(v)
    return v


def dig(row: Any, path: list[str]) -> Any:
    for p in path:
        if row is None:
            return None
        row = row[p]
    return row


def column_values(col: Any) -> list[Any]:
    """Python values of a column, time zones dropped as ``norm`` drops fastavro's: top-level
    timestamp columns are naive numpy datetimes, nested ones aware (TimestampColumn; their
    time zone is tested in test_columns_access.py)."""
    return [_naive(v) for v in _values_to_object(col).tolist()]


def _naive(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _naive(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_naive(x) for x in v]
    if isinstance(v, datetime.datetime) and v.tzinfo is not None:
        return v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return v


def _bytes_like(got: Any, want: Any) -> Any:
    """Where fastavro differs from the spec without being wrong to compare against: bytes
    *defaults* come back as their JSON str (SPEC item 21: code points 0-255 are the bytes),
    and promoted-to-float values keep their double precision."""
    if isinstance(got, bytes) and isinstance(want, str):
        return want.encode("latin-1")
    if isinstance(got, str) and isinstance(want, bytes):
        return want.decode("utf-8")  # bytes promoted to string: fastavro keeps the bytes
    if (
        isinstance(got, float) and isinstance(want, (int, float)) and not isinstance(want, bool)
        and got != want and float(np.float32(want)) == got
    ):
        # int/long read as float round through float32 (SPEC item 94); fastavro keeps more
        return got
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        return [_bytes_like(g, w) for g, w in zip(got, want, strict=False)]
    if isinstance(got, dict) and isinstance(want, dict):
        return {k: _bytes_like(got.get(k), w) for k, w in want.items()}
    return want


def check_columns(cols: Any, rows: list[Any], names: list[str] | None = None) -> None:
    assert cols.num_rows == len(rows)
    if names is not None:
        assert list(cols) == names
    for name, col in cols.items():
        assert len(col) == len(rows), name
        got = column_values(col)
        if name == "value" and not isinstance(rows[0] if rows else {}, dict):
            want = [norm(r) for r in rows]
        else:
            want = [norm(dig(r, name.split("."))) for r in rows]
        want = _bytes_like(got, want)
        diff = avro_diff(got, want)
        assert diff is None, f"column {name}: {diff}"


def flat_names(schema: dict[str, Any]) -> list[str]:
    """Expected column names: records (also optional ones) flattened with dots."""
    names: dict[str, dict[str, Any]] = {}
    for t in fastavro.parse_schema(schema).get("__named_schemas", {}).values():
        names[t["name"]] = t

    def is_null(s: Any) -> bool:  # "null", or null annotated (an unknown logicalType)
        return s == "null" or (isinstance(s, dict) and s.get("type") == "null")

    def walk(s: Any, prefix: str) -> list[str]:
        if isinstance(s, str) and s in names:
            s = names[s]
        if isinstance(s, list) and len(s) == 2 and sum(map(is_null, s)) == 1:
            return walk([b for b in s if not is_null(b)][0], prefix)
        if isinstance(s, dict) and s.get("type") in ("record", "error"):
            out = []
            for f in s["fields"]:
                out += walk(f["type"], prefix + f["name"] + ".")
            return out
        if isinstance(s, dict) and isinstance(s.get("type"), (dict, list)):
            return walk(s["type"], prefix)
        return [prefix[:-1]]

    return walk(fastavro.parse_schema(schema), "")


# -- the flat and mixed benchmark shapes, by hand ----------------------------------------------

MIXED = json.loads((Path("/work/shared/bench/mixed.avsc")).read_text()) if Path(
    "/work/shared/bench/mixed.avsc"
).exists() else None

EVENT = {
    "type": "record",
    "name": "Event",
    "namespace": "t",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "score", "type": "double"},
        {"name": "ratio", "type": "float"},
        {"name": "n", "type": "int"},
        {"name": "ok", "type": "boolean"},
        {"name": "tags", "type": {"type": "array", "items": "long"}},
        {"name": "attrs", "type": {"type": "map", "values": "string"}},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B", "C"]}},
        {
            "name": "place",
            "type": {
                "type": "record",
                "name": "Place",
                "fields": [{"name": "city", "type": "string"}, {"name": "zip", "type": "int"}],
            },
        },
        {"name": "maybe", "type": ["long", "null"]},
        {"name": "raw", "type": {"type": "fixed", "name": "F4", "size": 4}},
    ],
}


def event_rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"id-{i}-ü",
            "ts": EPOCH + datetime.timedelta(milliseconds=1_600_000_000_000 + 1000 * i),
            "note": None if i % 3 == 0 else "word " * (i % 4),
            "score": i * 0.25 - 3,
            "ratio": float(np.float32(i / 7)),
            "n": -i * 1000,
            "ok": i % 2 == 0,
            "tags": list(range(i % 5)),
            "attrs": {f"k{j}": f"v{i}" for j in range(i % 3)},
            "kind": "ABC"[i % 3],
            "place": {"city": f"c{i % 7}", "zip": 10000 + i},
            "maybe": None if i % 4 == 1 else i * 2**40,
            "raw": struct.pack("<I", i),
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("threads", [1, 2])
def test_event_file_every_codec(codec: str, threads: int) -> None:
    rows = event_rows(500)
    data = avro_file(EVENT, rows, codec, block_records=37)
    cols = read_columns(data, threads=threads)
    check_columns(cols, fastavro_rows(avro_file(EVENT, rows)), flat_names(EVENT))
    # the representation promised in the module docstring
    assert cols["n"].dtype == np.int32
    assert cols["score"].dtype == np.float64
    assert cols["ratio"].dtype == np.float32
    assert cols["ok"].dtype == np.bool_
    assert cols["ts"].dtype == np.dtype("M8[ms]")
    assert cols["ts"][1] - cols["ts"][0] == np.timedelta64(1000, "ms")
    assert cols["raw"].dtype == np.dtype("S4")
    assert isinstance(cols["id"], BinaryColumn)
    assert cols["id"].offsets.dtype == np.int64 and cols["id"].data.dtype == np.uint8
    assert isinstance(cols["kind"], EnumColumn) and cols["kind"].codes.dtype == np.int8
    assert cols["kind"].categories == ("A", "B", "C")
    assert cols["kind"].codes[:4].tolist() == [0, 1, 2, 0]
    assert isinstance(cols["tags"], ListColumn) and cols["tags"].offsets[:4].tolist() == [0, 0, 1, 3]
    assert isinstance(cols["attrs"], MapColumn)
    maybe = cols["maybe"]
    assert isinstance(maybe, np.ma.MaskedArray) and maybe.dtype == np.int64
    assert np.ma.getmaskarray(maybe)[:3].tolist() == [False, True, False]
    assert maybe[2] == 2 * 2**40
    assert cols["note"].validity[:3].tolist() == [False, True, True]


def test_threads_identical() -> None:
    rows = event_rows(2000)
    data = avro_file(EVENT, rows, "deflate", block_records=50)
    one = read_columns(data, threads=1)
    two = read_columns(data, threads=2)
    for name in one:
        a, b = column_values(one[name]), column_values(two[name])
        assert avro_diff(a, b) is None, name
    # raw buffers, not only values: offsets rebased exactly
    assert np.array_equal(one["tags"].offsets, two["tags"].offsets)
    assert np.array_equal(one["attrs"].keys.data, two["attrs"].keys.data)


def test_to_arrow_and_pandas_values() -> None:
    pa = pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    rows = event_rows(60)
    cols = read_columns(avro_file(EVENT, rows, "snappy", block_records=16))
    table = cols.to_arrow()
    assert table.num_rows == 60
    assert table.column("id").type == pa.large_string()
    assert table.column("id").to_pylist() == [r["id"] for r in rows]
    assert table.column("ts").type == pa.timestamp("ms", tz="UTC")
    assert table.column("ts").to_pylist() == [r["ts"] for r in rows]
    assert table.column("note").to_pylist() == [r["note"] for r in rows]
    assert table.column("maybe").to_pylist() == [r["maybe"] for r in rows]
    assert table.column("tags").to_pylist() == [r["tags"] for r in rows]
    assert [dict(m) for m in table.column("attrs").to_pylist()] == [r["attrs"] for r in rows]
    assert table.column("kind").type == pa.dictionary(pa.int8(), pa.string())
    assert table.column("kind").to_pylist() == [r["kind"] for r in rows]
    assert table.column("place.city").to_pylist() == [r["place"]["city"] for r in rows]
    assert table.column("raw").to_pylist() == [r["raw"] for r in rows]
    assert table.column("ratio").to_pylist() == [r["ratio"] for r in rows]
    # zero copy: the Arrow string buffers are the numpy buffers
    offs_buf = table.column("id").chunk(0).buffers()[1]
    assert offs_buf.address == cols["id"].offsets.ctypes.data

    df = cols.to_pandas()
    assert list(df.columns) == list(cols)
    assert str(df["ts"].dtype) == "datetime64[ms, UTC]"
    assert df["ts"].tolist() == [pd.Timestamp(r["ts"]) for r in rows]
    assert isinstance(df["kind"].dtype, pd.CategoricalDtype)
    assert df["kind"].tolist() == [r["kind"] for r in rows]
    assert str(df["maybe"].dtype) == "Int64"
    assert [None if v is pd.NA else v for v in df["maybe"].tolist()] == [r["maybe"] for r in rows]
    assert df["place.zip"].tolist() == [r["place"]["zip"] for r in rows]
    assert df["tags"].tolist() == [r["tags"] for r in rows]


def test_projection_skips_other_fields() -> None:
    rows = event_rows(100)
    data = avro_file(EVENT, rows, "null", block_records=30)
    want = fastavro_rows(data)
    cols = read_columns(data, columns=["place.zip", "tags", "kind"])
    assert list(cols) == ["place.zip", "tags", "kind"]  # the order asked
    check_columns(cols, want)
    cols = read_columns(data, columns=["place"])
    assert list(cols) == ["place.city", "place.zip"]
    with pytest.raises(KeyError, match="nope"):
        read_columns(data, columns=["nope"])


def test_reader_schema_promotions_defaults_reorder() -> None:
    writer = {
        "type": "record",
        "name": "R",
        "fields": [
            {"name": "a", "type": "int"},
            {"name": "b", "type": "long"},
            {"name": "c", "type": "float"},
            {"name": "d", "type": "int"},
            {"name": "gone", "type": {"type": "array", "items": "string"}},
            {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y", "Z"]}},
            {"name": "s", "type": "string"},
        ],
    }
    reader = {
        "type": "record",
        "name": "R",
        "fields": [
            {"name": "s", "type": "bytes"},
            {"name": "d", "type": "float"},
            {"name": "c", "type": "double"},
            {"name": "b", "type": "double"},
            {"name": "a", "type": "long"},
            {"name": "new", "type": "string", "default": "dflt"},
            {"name": "newlist", "type": {"type": "array", "items": "int"}, "default": [1, 2]},
            {"name": "opt", "type": ["null", "int"], "default": None},
            {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["Z", "X", "W"], "default": "W"}},
        ],
    }
    rows = [
        {"a": i, "b": i * 3**30, "c": i / 4, "d": -i, "gone": ["x"] * i, "e": "XYZ"[i % 3], "s": f"s{i}"}
        for i in range(40)
    ]
    data = avro_file(writer, rows, "deflate", block_records=7)
    cols = read_columns(data, reader_schema=reader)
    assert list(cols) == ["s", "d", "c", "b", "a", "new", "newlist", "opt", "e"]
    assert cols["a"].dtype == np.int64 and cols["b"].dtype == np.float64
    assert cols["c"].dtype == np.float64 and cols["d"].dtype == np.float32
    assert cols["s"].is_string is False
    check_columns(cols, fastavro_rows(data, reader))
    assert cols["e"].categories == ("Z", "X", "W")
    assert cols["e"].codes[:3].tolist() == [1, 2, 0]  # Y is unknown to the reader -> default W


def test_reader_schema_unreadable() -> None:
    writer = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]}
    data = avro_file(writer, [{"a": "x"}])
    with pytest.raises(SchemaResolutionError):
        read_columns(data, reader_schema={"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]})
    with pytest.raises(SchemaResolutionError, match="no default"):
        read_columns(data, reader_schema={"type": "record", "name": "R", "fields": [{"name": "b", "type": "int"}]})


def test_general_union_and_decimal() -> None:
    schema = {
        "type": "record",
        "name": "U",
        "fields": [
            {"name": "u", "type": ["null", "int", "string", {"type": "record", "name": "P", "fields": [{"name": "x", "type": "double"}]}]},
            {"name": "d", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
            {"name": "df", "type": {"type": "fixed", "name": "D", "size": 5, "logicalType": "decimal", "precision": 10, "scale": 3}},
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "t", "type": {"type": "int", "logicalType": "time-millis"}},
        ],
    }
    vals = [None, 5, "five", {"x": 1.5}, -7, None, "", {"x": -0.0}]
    rows = [
        {
            "u": v,
            "d": decimal.Decimal(i * 137 - 500).scaleb(-2),
            "df": decimal.Decimal(-i * 1001).scaleb(-3),
            "day": datetime.date(2020, 1, 1) + datetime.timedelta(days=i * 40),
            "t": datetime.time(1, 2, 3, 4000 * i),
        }
        for i, v in enumerate(vals)
    ]
    data = avro_file(schema, rows)
    cols = read_columns(data)
    check_columns(cols, fastavro_rows(data))
    u = cols["u"]
    assert isinstance(u, UnionColumn)
    assert u.type_codes.tolist() == [0, 1, 2, 3, 1, 0, 2, 3]
    assert u.offsets.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert cols["day"].dtype == np.dtype("M8[D]")
    assert cols["t"].dtype == np.dtype("m8[ms]")
    pa = pytest.importorskip("pyarrow")
    arr = cols.to_arrow()
    assert arr.column("u").to_pylist() == [v for v in vals]
    assert arr.column("d").type == pa.decimal128(9, 2)
    assert arr.column("d").to_pylist() == [r["d"] for r in rows]


def test_non_record_top_level() -> None:
    data = avro_file({"type": "array", "items": "double"}, [[1.0], [], [2.5, -1.0]])
    cols = read_columns(data)
    assert list(cols) == ["value"]
    assert cols["value"].to_numpy().tolist() == [[1.0], [], [2.5, -1.0]]


def test_empty_file(tmp_path: Path) -> None:
    data = avro_file(EVENT, [])
    path = tmp_path / "empty.avro"
    path.write_bytes(data)
    for source in (data, path):  # in memory; a plain file framed by its (no) block headers
        for threads in (1, 2):
            cols = read_columns(source, threads=threads)
            assert cols.num_rows == 0
            assert len(cols["id"]) == 0 and cols["n"].dtype == np.int32


# -- random schemas and data against fastavro ---------------------------------------------------


@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_schemas_match_fastavro(data: st.DataObject) -> None:
    schema = data.draw(
        schemas(allow_recursion=False, logical_types=FASTAVRO_LOGICAL_VARIANTS, max_depth=3)
    )
    assume(fastavro_compatible(schema))
    rows = data.draw(st.lists(datums(schema, max_size=4), max_size=6))
    codec = data.draw(st.sampled_from(CODECS))
    try:
        file = avro_file(schema, rows, codec, block_records=data.draw(st.integers(1, 4)))
    except ValueError:  # fastavro tries union branches in order and may fail to write
        assume(False)
    want = fastavro_rows(avro_file(schema, rows))
    threads = data.draw(st.sampled_from([1, 2]))
    cols = read_columns(file, threads=threads)
    check_columns(cols, want, flat_names(schema))
    # the same from a plain file (framed by block headers, blocks read by the threads)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.avro"
        path.write_bytes(file)
        assert raw_buffers(read_columns(path, threads=threads)) == raw_buffers(cols)


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_projection(data: st.DataObject) -> None:
    schema = data.draw(schemas(allow_recursion=False, allow_logical=False, max_depth=2))
    names = flat_names(schema)
    assume(names)
    rows = data.draw(st.lists(datums(schema, max_size=3), max_size=5))
    file = avro_file(schema, rows, "null", block_records=2)
    picked = data.draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    cols = read_columns(file, columns=picked)
    assert list(cols) == picked  # in the order asked
    check_columns(cols, fastavro_rows(file))


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_reader_schemas(data: st.DataObject) -> None:
    schema = data.draw(schemas(allow_recursion=False, allow_logical=False, max_depth=2))
    reader = data.draw(evolutions(schema))
    rows = data.draw(st.lists(datums(schema, max_size=3), max_size=5))
    file = avro_file(schema, rows, "null", block_records=3)
    try:
        want = fastavro_rows(file, fastavro.parse_schema(reader))
    except Exception:
        assume(False)  # fastavro cannot resolve it either: not a usable oracle case
        return
    try:
        cols = read_columns(file, reader_schema=reader)
    except SchemaResolutionError:
        # fastavro is lax where Java is not (e.g. a reader field without default that fastavro
        # fills with None, SPEC item 98): the row planner must then refuse it too
        with pytest.raises(SchemaResolutionError):
            read_plan(schema, reader)
        return
    except DecodeError as e:
        # data in a writer branch no reader branch matches (SPEC item 103), which fastavro
        # reads anyway (it matches named types by short name across kinds): the row reader
        # must refuse the same data
        assert "cannot read" in str(e)
        with pytest.raises(DecodeError), turboavro.Reader(io.BytesIO(file), reader) as rows:
            list(rows)
        return
    check_columns(cols, want, flat_names(reader))


# -- bad input ---------------------------------------------------------------------------------


def _one_block_file(schema: Any, payload: bytes, count: int) -> bytes:
    meta, sync, _ = split_file(avro_file(schema, []))
    return join_file(meta, sync, [(count, payload)], "null")


SIMPLE = {"type": "record", "name": "S", "fields": [{"name": "a", "type": "long"}, {"name": "s", "type": "string"}]}


def test_truncated_block_raises_with_offset() -> None:
    good = _long(5) + _long(2) + b"hi"
    data = _one_block_file(SIMPLE, good + _long(7) + _long(10) + b"abc", 2)
    start = data.index(good)
    with pytest.raises(DecodeError) as ei:
        read_columns(data)
    assert ei.value.offset == start + len(good) + 1  # the length varint of the 2nd string
    assert ei.value.path == "$.s"
    assert "record 1" in str(ei.value)


def test_invalid_utf8_and_overlong_varint() -> None:
    data = _one_block_file(SIMPLE, _long(1) + _long(2) + b"\xc3\x28", 1)
    with pytest.raises(DecodeError, match="UTF-8") as ei:
        read_columns(data)
    assert ei.value.path == "$.s"
    data = _one_block_file(SIMPLE, b"\x80" * 11 + _long(0), 1)
    with pytest.raises(DecodeError, match="overlong") as ei:
        read_columns(data)
    assert ei.value.path == "$.a"


def test_huge_collection_count_rejected() -> None:
    schema = {"type": "record", "name": "A", "fields": [{"name": "xs", "type": {"type": "array", "items": "long"}}]}
    data = _one_block_file(schema, _long(2**60) + b"\x00" * 20, 1)
    with pytest.raises(DecodeError, match="collection count"):
        read_columns(data)
    # an error inside an array names the item index
    data = _one_block_file(schema, _long(3) + _long(1) + _long(2) + b"\x80", 1)
    with pytest.raises(DecodeError) as ei:
        read_columns(data)
    assert ei.value.path == "$.xs[2]"


def test_trailing_bytes_in_block() -> None:
    data = _one_block_file(SIMPLE, _long(1) + _long(1) + b"x" + b"\x00", 1)
    with pytest.raises(DecodeError, match="after its 1 records"):
        read_columns(data)


def test_bad_union_index_file() -> None:
    with pytest.raises(DecodeError, match="union branch index") as ei:
        read_columns(DATA / "apache-avro/lang-c-tests/avro-1237-bad-union-discriminant.avro")
    assert ei.value.offset == 0x56  # record 1: index byte 04 = branch 2 of a 2-branch union
    assert ei.value.path == "$"
    # the rest of that file is truncated: with the bad block gone it is the error reported
    data = (DATA / "apache-avro/lang-c-tests/avro-1238-truncated.avro").read_bytes()
    with pytest.raises(DecodeError):
        read_columns(data)
    good = read_columns(DATA / "apache-avro/lang-c-tests/avro-1237-good.avro")
    assert good.num_rows > 0


def test_public_export() -> None:
    assert turboavro.read_columns is read_columns


# -- iter_batches ------------------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["null", "zstandard"])
@pytest.mark.parametrize("batch", [1, 7, 64, 1000])
def test_iter_batches_exact_sizes(codec: str, batch: int) -> None:
    rows = event_rows(150)
    data = avro_file(EVENT, rows, codec, block_records=23)
    want = fastavro_rows(avro_file(EVENT, rows))
    batches = list(iter_batches(io.BytesIO(data), batch, columns=["id", "tags", "place.zip", "maybe"]))
    sizes = [b.num_rows for b in batches]
    assert sizes == [batch] * (150 // batch) + ([150 % batch] if 150 % batch else [])
    start = 0
    for b in batches:
        check_columns(b, want[start : start + b.num_rows], ["id", "tags", "place.zip", "maybe"])
        start += b.num_rows


def test_iter_batches_reports_errors_with_offsets() -> None:
    data = _one_block_file(SIMPLE, _long(5) + _long(2) + b"hi" + _long(7) + _long(10) + b"abc", 2)
    it = iter_batches(data, 1)
    first = next(it)
    assert first["s"].to_numpy().tolist() == ["hi"]
    with pytest.raises(DecodeError) as ei:
        next(it)
    assert ei.value.path == "$.s" and ei.value.offset == data.index(b"hi") + 2 + 1


# -- write_columns -----------------------------------------------------------------------------


@pytest.mark.parametrize("codec", CODECS)
def test_write_columns_read_back_by_fastavro(codec: str) -> None:
    n = 300
    rng = np.random.default_rng(7)
    cols = {
        "i": rng.integers(-(2**31), 2**31, n).astype(np.int32),
        "l": rng.integers(-(2**62), 2**62, n),
        "f": rng.random(n).astype(np.float32),
        "d": rng.normal(size=n),
        "b": rng.random(n) < 0.5,
        "ts": (1_600_000_000_000 + np.arange(n) * 1000).astype("M8[ms]"),
        "us": np.arange(n).astype("M8[us]"),
        "day": np.arange(n).astype("M8[D]"),
        "s": np.array([f"s{i}é" if i % 5 else None for i in range(n)], dtype=object),
        "raw": np.array([struct.pack("<H", i) for i in range(n)], dtype="S2"),
        "opt": np.ma.MaskedArray(np.arange(n, dtype=np.int64), mask=np.arange(n) % 3 == 0),
        "xs": [list(range(i % 4)) for i in range(n)],
        "kv": [{f"k{j}": f"v{i}" for j in range(i % 3)} for i in range(n)],
        "place.city": [f"c{i}" for i in range(n)],
        "place.zip": np.arange(n, dtype=np.int32),
    }
    buf = io.BytesIO()
    assert turboavro.write_columns(buf, cols, codec=codec, sync_interval=2000) == n
    meta, _, blocks = split_file(buf.getvalue())
    assert meta["avro.codec"] == codec.encode() and len(blocks) > 1
    reader = fastavro.reader(io.BytesIO(as_null_codec(buf.getvalue())))
    schema = reader.writer_schema
    types = {f["name"]: f["type"] for f in schema["fields"]}
    assert types["i"] == "int" and types["l"] == "long" and types["f"] == "float"
    assert types["b"] == "boolean" and types["s"] == ["null", "string"] and types["opt"] == ["null", "long"]
    assert types["ts"]["logicalType"] == "timestamp-millis" and types["us"]["logicalType"] == "timestamp-micros"
    assert types["day"]["logicalType"] == "date" and types["raw"]["size"] == 2
    rows = list(reader)
    assert len(rows) == n
    for k, r in enumerate(rows[:50] + rows[-5:]):
        i = k if k < 50 else n - 55 + k
        assert r["i"] == cols["i"][i] and r["l"] == cols["l"][i] and r["b"] == cols["b"][i]
        assert r["f"] == float(cols["f"][i]) and r["d"] == cols["d"][i]
        assert r["ts"] == EPOCH + datetime.timedelta(milliseconds=1_600_000_000_000 + 1000 * i)
        assert r["us"] == EPOCH + datetime.timedelta(microseconds=i)
        assert r["day"] == datetime.date(1970, 1, 1) + datetime.timedelta(days=i)
        assert r["s"] == cols["s"][i] and r["raw"] == struct.pack("<H", i)
        assert r["opt"] == (None if i % 3 == 0 else i)
        assert r["xs"] == list(range(i % 4)) and r["kv"] == cols["kv"][i]
        assert r["place"] == {"city": f"c{i}", "zip": i}
    # several blocks were written (sync_interval) and read back identically by us
    back = read_columns(buf.getvalue())
    assert np.array_equal(back["l"], cols["l"]) and np.array_equal(back["raw"], cols["raw"])
    assert back["s"].to_numpy().tolist() == cols["s"].tolist()


def test_write_columns_round_trips_pandas_and_arrow() -> None:
    pa = pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    rows = event_rows(80)
    data = avro_file(EVENT, rows, "null", block_records=30)
    cols = read_columns(data)
    want = fastavro_rows(data)
    for source in (cols, cols.to_arrow(), cols.to_pandas()):
        buf = io.BytesIO()
        write_columns(buf, source, schema=EVENT if source is not cols else None, codec="snappy")
        got = fastavro_rows(buf.getvalue())
        assert avro_diff(got, want) is None, type(source)
    # inferred from pandas: categorical -> enum, nullable Int64 -> ["null", "long"], tz -> timestamp
    df = pd.DataFrame({
        "k": pd.Categorical(["a", "b", None, "a"]),
        "n": pd.array([1, None, 3, 4], dtype="Int64"),
        "t": pd.to_datetime([0, 1, 2, 3], unit="ms", utc=True),
    })
    buf = io.BytesIO()
    write_columns(buf, df, codec="null")
    reader = fastavro.reader(io.BytesIO(buf.getvalue()))
    types = {f["name"]: f["type"] for f in reader.writer_schema["fields"]}
    assert types["k"][0] == "null" and types["k"][1]["symbols"] == ["a", "b"]
    assert types["n"] == ["null", "long"]
    unit = {"ms": "millis", "us": "micros", "ns": "nanos"}[df["t"].dtype.unit]
    assert types["t"]["logicalType"] == f"timestamp-{unit}"
    got = list(reader)
    assert [r["k"] for r in got] == ["a", "b", None, "a"]
    assert [r["n"] for r in got] == [1, None, 3, 4]
    tab = pa.table({"x": pa.array([1.5, None]), "s": pa.array(["a", None], pa.string())})
    buf = io.BytesIO()
    write_columns(buf, tab, codec="null")
    assert fastavro_rows(buf.getvalue()) == [{"x": 1.5, "s": "a"}, {"x": None, "s": None}]


def test_write_optional_record_from_dotted_columns() -> None:
    schema = {
        "type": "record",
        "name": "O",
        "fields": [
            {"name": "p", "type": ["null", {"type": "record", "name": "P", "fields": [
                {"name": "x", "type": "long"}, {"name": "y", "type": ["null", "string"]}]}]},
        ],
    }
    rows = [{"p": None}, {"p": {"x": 1, "y": None}}, {"p": {"x": 2, "y": "b"}}]
    cols = read_columns(avro_file(schema, rows))
    assert list(cols) == ["p.x", "p.y"]
    assert np.ma.getmaskarray(cols["p.x"]).tolist() == [True, False, False]
    buf = io.BytesIO()
    write_columns(buf, cols, codec="null")
    assert fastavro_rows(buf.getvalue()) == rows
    only_optional = {"type": "record", "name": "O", "fields": [
        {"name": "p", "type": ["null", {"type": "record", "name": "Q", "fields": [
            {"name": "y", "type": ["null", "string"]}]}]}]}
    cols = read_columns(avro_file(only_optional, [{"p": None}, {"p": {"y": None}}]))
    with pytest.raises(EncodeError, match="cannot be told"):
        write_columns(io.BytesIO(), cols)


def test_write_columns_with_schema_and_errors() -> None:
    schema = {
        "type": "record",
        "name": "W",
        "fields": [
            {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y"]}},
            {"name": "v", "type": ["long", "null"]},
            {"name": "dec", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        ],
    }
    cols = {
        "e": ["Y", "X", "Y"],
        "v": [None, 5, None],
        "dec": [decimal.Decimal("1.25"), decimal.Decimal("-300.10"), decimal.Decimal(0)],
    }
    buf = io.BytesIO()
    write_columns(buf, cols, schema=schema, codec="null")
    assert fastavro_rows(buf.getvalue()) == [
        {"e": "Y", "v": None, "dec": decimal.Decimal("1.25")},
        {"e": "X", "v": 5, "dec": decimal.Decimal("-300.10")},
        {"e": "Y", "v": None, "dec": decimal.Decimal("0.00")},
    ]
    with pytest.raises(EncodeError, match="not a symbol") as ei:
        write_columns(io.BytesIO(), {**cols, "e": ["Q", "X", "Y"]}, schema=schema)
    assert ei.value.path == "$.e"
    with pytest.raises(EncodeError, match="nulls"):
        write_columns(io.BytesIO(), {"a": [1, None]}, schema={"type": "record", "name": "N", "fields": [{"name": "a", "type": "long"}]})
    with pytest.raises(EncodeError, match="out of range"):
        write_columns(io.BytesIO(), {"a": np.array([2**40])}, schema={"type": "record", "name": "N", "fields": [{"name": "a", "type": "int"}]})
    with pytest.raises(EncodeError, match="differ in length"):
        write_columns(io.BytesIO(), {"a": [1], "b": [1, 2]})
    with pytest.raises(EncodeError, match="no column"):
        write_columns(io.BytesIO(), {"a": [1]}, schema={"type": "record", "name": "N", "fields": [{"name": "z", "type": "long"}]})
    bad = BinaryColumn(np.array([0, 2], np.int64), np.frombuffer(b"\xff\xfe", np.uint8))
    with pytest.raises(EncodeError, match="UTF-8"):
        write_columns(io.BytesIO(), {"s": bad})


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_write_read_round_trip(data: st.DataObject) -> None:
    """Columns read from a random file, written back with the file's schema, give the same
    rows (fastavro as the reader)."""
    schema = data.draw(schemas(allow_recursion=False, allow_logical=False, max_depth=2))
    assume(not _has_general_union(fastavro.parse_schema(schema)))
    rows = data.draw(st.lists(datums(schema, max_size=3), max_size=6))
    try:
        file = avro_file(schema, rows, "null")
    except ValueError:
        assume(False)
    want = fastavro_rows(file)
    cols = read_columns(file)
    buf = io.BytesIO()
    try:
        write_columns(buf, cols, codec="deflate")
    except EncodeError as e:  # an optional record without a required column is ambiguous
        assume("optional record" not in str(e))
        raise
    assert avro_diff(fastavro_rows(buf.getvalue()), want) is None


def _has_general_union(s: Any) -> bool:
    if isinstance(s, list):
        if not (len(s) == 2 and s.count("null") == 1 and "null" in s) and not (
            len(s) == 2 and sum(1 for b in s if b == "null" or (isinstance(b, dict) and b.get("type") == "null")) == 1
        ):
            return True
        return any(_has_general_union(b) for b in s)
    if isinstance(s, dict):
        return any(_has_general_union(v) for k, v in s.items() if k in ("type", "items", "values")) or any(
            _has_general_union(f["type"]) for f in s.get("fields", [])
        )
    return False


def test_iter_batches_on_an_open_reader_uses_its_reader_schema() -> None:
    rows = event_rows(30)
    data = avro_file(EVENT, rows, "deflate", block_records=8)
    reader_schema = {
        "type": "record",
        "name": "Event",
        "namespace": "t",
        "fields": [
            {"name": "n", "type": "double"},
            {"name": "extra", "type": "string", "default": "x"},
        ],
    }
    with turboavro.Reader(io.BytesIO(data), reader_schema=reader_schema) as r:
        batches = list(iter_batches(r, 12))
    assert [b.num_rows for b in batches] == [12, 12, 6]
    assert list(batches[0]) == ["n", "extra"]
    got = np.concatenate([b["n"] for b in batches])
    assert got.dtype == np.float64 and got.tolist() == [float(r["n"]) for r in rows]
    assert batches[2]["extra"].to_numpy().tolist() == ["x"] * 6
    with turboavro.Reader(io.BytesIO(data), reader_schema=reader_schema) as r:
        whole = read_columns(r)
    assert list(whole) == ["n", "extra"] and whole["n"].tolist() == got.tolist()


@pytest.mark.parametrize("codec", ["null", "deflate"])
def test_lying_block_count_rejected_before_decoding(codec: str) -> None:
    # 2**40 records of a 9-byte minimum in 20 bytes; and a zero-byte schema with a count past
    # the block size limit: neither may allocate or loop
    data = _one_block_file(SIMPLE, b"\x00" * 20, 2**40)
    if codec != "null":
        meta, sync, blocks = split_file(data)
        data = join_file(meta, sync, blocks, codec)
    with pytest.raises(DecodeError, match="cannot fit"):
        read_columns(data)
    with pytest.raises(DecodeError, match="cannot fit"):
        next(iter_batches(data, 10))
    nulls = {"type": "record", "name": "Z", "fields": [{"name": "z", "type": "null"}]}
    with pytest.raises(DecodeError, match="exceeds the limit max_(file|block)_records="):
        read_columns(_one_block_file(nulls, b"", 2**62))
    assert read_columns(_one_block_file(nulls, b"", 5)).num_rows == 5


def test_flat_records_errors_and_promotions() -> None:
    # records of fixed-width scalars take the kernel's flat path; errors keep offset and path
    flat = {"type": "record", "name": "F", "fields": [
        {"name": "a", "type": "long"}, {"name": "b", "type": "double"},
        {"name": "c", "type": "boolean"}, {"name": "d", "type": "int"}]}
    rec = _long(-(2**60)) + struct.pack("<d", 2.5) + b"\x01" + _long(7)  # 9 + 8 + 1 + 1 bytes
    data = _one_block_file(flat, rec + rec[:12], 2)
    with pytest.raises(DecodeError, match="truncated in record 1") as ei:
        read_columns(data)
    assert ei.value.path == "$.b" and ei.value.offset == data.index(rec) + len(rec) + 9
    data = _one_block_file(flat, rec + rec[:17] + b"\x02" + _long(1), 2)
    with pytest.raises(DecodeError, match="boolean") as ei:
        read_columns(data)
    assert ei.value.path == "$.c"
    reader = {"type": "record", "name": "F", "fields": [
        {"name": "d", "type": "double"}, {"name": "a", "type": "float"}, {"name": "c", "type": "boolean"}]}
    cols = read_columns(_one_block_file(flat, rec * 3, 3), reader_schema=reader)
    assert cols["d"].dtype == np.float64 and cols["d"].tolist() == [7.0] * 3
    assert cols["a"].dtype == np.float32 and cols["a"].tolist() == [float(np.float32(-(2**60)))] * 3
    assert cols["c"].tolist() == [True] * 3


def test_reader_iter_batches_method(tmp_path):
    """Reader.iter_batches: bounded batches whose concatenation equals read_columns."""
    import numpy as np

    from turboavro import Reader, Writer, read_columns

    schema = {"type": "record", "name": "R", "fields": [
        {"name": "i", "type": "long"}, {"name": "s", "type": "string"}]}
    path = tmp_path / "b.avro"
    with Writer(path, schema, sync_interval=100) as w:
        w.write_many({"i": n, "s": f"v{n}"} for n in range(50))
    with Reader(path) as r:
        batches = list(r.iter_batches(7))
    assert [len(b["i"]) for b in batches] == [7] * 7 + [1]
    whole = read_columns(path)
    assert np.array_equal(np.concatenate([b["i"] for b in batches]), whole["i"])
    assert [s for b in batches for s in b["s"].to_numpy()] == [f"v{n}" for n in range(50)]


# -- runs of blocks on several threads; Python fallback codecs ------------------------------------

# the benchmark's flat shape (fixed-width scalars) plus an enum and an optional long
FLAT = {
    **FLAT_SCHEMA,
    "fields": [
        *FLAT_SCHEMA["fields"],
        {"name": "kind", "type": {"type": "enum", "name": "K", "symbols": ["A", "B"]}},
        {"name": "opt", "type": ["null", "long"]},
    ],
}


def flat_rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": i * 7919 - 10**12,
            "count": (i * 31) % 1000 - 500,
            "value": i / 3,
            "ratio": float(np.float32(i / 7)),
            "flag": i % 3 == 0,
            "ts": EPOCH + datetime.timedelta(milliseconds=1_700_000_000_000 + i),
            "kind": "AB"[i % 2],
            "opt": None if i % 5 == 0 else -i,
        }
        for i in range(n)
    ]


def raw_buffers(cols: Any) -> dict[str, list[bytes]]:
    """Every array behind every column, as bytes (the exact buffers, not only the values)."""
    out: dict[str, list[bytes]] = {}
    for name, col in cols.items():
        arrays = []
        if isinstance(col, np.ma.MaskedArray):
            arrays += [col.data, np.ma.getmaskarray(col)]
        elif isinstance(col, np.ndarray):
            arrays.append(col)
        else:
            arrays += [v for v in vars(col).values() if isinstance(v, np.ndarray)]
            arrays += [getattr(col, "codes", None), getattr(col, "validity", None)]
        out[name] = [np.ascontiguousarray(a).tobytes() for a in arrays if a is not None]
    return out


@pytest.mark.parametrize("codec", CODECS)
def test_threaded_runs_equal_one_thread(codec: str) -> None:
    """Blocks split into runs decoded on 2-5 threads (fixed-width per-record columns written in
    place into one shared set of columns, the others joined) give exactly the one-thread
    buffers, and the values fastavro reads."""
    for schema, rows in ((FLAT, flat_rows(3000)), (EVENT, event_rows(1200))):
        data = avro_file(schema, rows, codec, block_records=97)
        one = read_columns(data, threads=1)
        check_columns(one, fastavro_rows(avro_file(schema, rows)), flat_names(schema))
        want = raw_buffers(one)
        for threads in (2, 3, 5):
            many = read_columns(data, threads=threads)
            assert many.num_rows == len(rows)
            assert raw_buffers(many) == want, (schema["name"], threads)


def _slow_main_thread(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Make the calling (main) thread decode slowly, and record which segments other threads
    take over: ``(run, segment)``."""
    import threading
    import time

    from turboavro.columnar import reading as columnar

    real_decode = columnar._decode_pieces
    real_take = columnar._Shared._take_other
    taken: list[tuple[int, int]] = []
    main = threading.main_thread()

    def slow(*args: Any) -> Any:
        if threading.current_thread() is main:
            time.sleep(0.003)
        return real_decode(*args)

    def take(self: Any) -> Any:
        got = real_take(self)
        if got is not None:
            taken.append((got[0], got[1]))
        return got

    monkeypatch.setattr(columnar, "_decode_pieces", slow)
    monkeypatch.setattr(columnar._Shared, "_take_other", take)
    return taken


@pytest.mark.parametrize("codec", ["null", "zstandard"])
def test_a_slow_thread_s_segments_are_taken_over(codec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A thread that is slowed down (here: the main thread sleeps before each segment) does
    not hold the read back: the others take segments from the end of its run, each into its
    own chunk, and the columns are exactly those of one thread."""
    for schema, rows in ((FLAT, flat_rows(3000)), (EVENT, event_rows(1500))):
        data = avro_file(schema, rows, codec, block_records=40)
        want = raw_buffers(read_columns(data, threads=1))
        with monkeypatch.context() as m:
            taken = _slow_main_thread(m)
            for threads in (2, 3):
                taken.clear()
                assert raw_buffers(read_columns(data, threads=threads)) == want, threads
                assert any(run == 0 for run, _ in taken), (threads, taken)


def test_errors_in_taken_over_segments_surface_in_file_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """An error in a segment another thread took over from the end of run 0 is reported
    before an error in run 1, and before nothing earlier."""
    meta, sync, blocks = split_file(avro_file(FLAT, flat_rows(400), block_records=10))
    bad = list(blocks)
    bad[18] = (blocks[18][0], blocks[18][1] + b"\x00")  # run 0's end: one byte too many
    bad[30] = (blocks[30][0], blocks[30][1][:-3])  # run 1: truncated
    data = join_file(meta, sync, bad, "null")
    taken = _slow_main_thread(monkeypatch)
    with pytest.raises(DecodeError, match="1 bytes after its 10 records") as ei:
        read_columns(data, threads=2)
    assert ei.value.offset == data.index(bad[18][1]) + len(blocks[18][1])
    assert (0, 7) in taken  # the segment of block 18 was taken over
    bad[5] = (blocks[5][0] + 1, blocks[5][1])  # and an error at run 0's start comes first
    with pytest.raises(DecodeError, match="truncated in record 10"):
        read_columns(join_file(meta, sync, bad, "null"), threads=2)


def test_interrupt_stops_a_threaded_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A KeyboardInterrupt in the main thread during a threaded read is raised at once (not
    recorded like a decoding error while the main thread goes on taking segments), and the
    other threads stop after the segment they are decoding."""
    import threading
    import time

    from turboavro.columnar import reading as columnar

    data = avro_file(FLAT, flat_rows(3000), block_records=40)
    real = columnar._decode_pieces
    worker_calls = []
    main = threading.main_thread()

    main_calls = []
    worker_started = threading.Event()

    def interrupted(*args: Any) -> Any:
        if threading.current_thread() is main:
            main_calls.append(1)
            # the worker has started (an event, not a sleep: a loaded box may start it late)
            assert worker_started.wait(30)
            if len(main_calls) == 1:
                raise KeyboardInterrupt
        else:
            worker_calls.append(1)
            worker_started.set()
            # slow segments leave the interrupted main thread ample time to stop the others
            time.sleep(0.02)
        return real(*args)

    monkeypatch.setattr(columnar, "_decode_pieces", interrupted)
    with pytest.raises(KeyboardInterrupt):
        read_columns(data, threads=2)
    assert 1 <= len(worker_calls) <= 4  # of 16 segments: stopped, not run to the end
    assert main_calls == [1]


@pytest.mark.parametrize("codec", ["null", "deflate"])
def test_threaded_errors_surface_in_file_order(codec: str) -> None:
    """With blocks on several threads, the error reported is the first in the file, and a
    framing error is reported only when no block before it fails."""
    meta, sync, blocks = split_file(avro_file(FLAT, flat_rows(400), block_records=50))
    trailing = list(blocks)
    trailing[2] = (blocks[2][0], blocks[2][1] + b"\x00")  # one byte after block 2's records
    trailing[6] = (blocks[6][0], blocks[6][1][:-3])  # block 6 truncated
    data = join_file(meta, sync, trailing, codec)
    for threads in (1, 2, 4):
        with pytest.raises(DecodeError, match="1 bytes after its 50 records") as ei:
            read_columns(data, threads=threads)
        if codec == "null":
            assert ei.value.offset == data.index(trailing[2][1]) + len(blocks[2][1])
    # a broken sync marker after block 5, and block 1 undecodable: block 1's error comes first
    framed = bytearray(join_file(meta, sync, blocks, codec))
    markers = [m.start() for m in re.finditer(re.escape(sync), bytes(framed))]
    framed[markers[6] + 3] ^= 0xFF
    with pytest.raises(turboavro.CorruptFileError, match="sync marker mismatch"):
        read_columns(bytes(framed), threads=3)
    bad = list(blocks)
    bad[1] = (blocks[1][0] + 1, blocks[1][1])  # one record more than the block holds
    framed2 = bytearray(join_file(meta, sync, bad, codec))
    markers = [m.start() for m in re.finditer(re.escape(sync), bytes(framed2))]
    framed2[markers[6] + 3] ^= 0xFF
    for threads in (1, 3):
        with pytest.raises(DecodeError, match="truncated in record 50") as ei:
            read_columns(bytes(framed2), threads=threads)
        assert not isinstance(ei.value, turboavro.CorruptFileError)


@pytest.mark.parametrize("codec", ["deflate", "snappy", "zstandard"])
def test_python_fallback_codecs(codec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds without a native codec library decompress in Python and decode natively: the
    same columns, and corrupt blocks name their file offset."""
    from turboavro import codecs
    from turboavro.columnar import reading as columnar

    fallback = codecs.get_codec(codec, native=False)
    assert fallback.native_id is None
    data = avro_file(EVENT, event_rows(600), codec, block_records=41)
    want = raw_buffers(read_columns(data, threads=1))
    monkeypatch.setattr(columnar, "_codec", lambda name: fallback)
    for threads in (1, 2):
        assert raw_buffers(read_columns(data, threads=threads)) == want
    meta, sync, blocks = split_file(as_null_codec(data))
    framed = bytearray(join_file(meta, sync, blocks, codec))
    first = framed.index(sync) + 16  # the first block's count varint
    body_at = first + len(_long(blocks[0][0])) + len(_long(len(_compress(codec, blocks[0][1]))))
    framed[body_at + 2 : body_at + 6] = b"\xff\xff\xff\xff"
    with pytest.raises(turboavro.CodecError, match=f"block at file offset {first} ") as ei:
        read_columns(bytes(framed))
    assert ei.value.offset == first  # type: ignore[attr-defined]
    monkeypatch.undo()
    with pytest.raises(turboavro.CodecError, match=f"block at file offset {first} ") as ei:
        read_columns(bytes(framed))  # the native kernel says the same
    assert ei.value.offset == first  # type: ignore[attr-defined]


@pytest.mark.parametrize("codec", ["deflate", "snappy", "zstandard"])
def test_codec_contexts_lent_across_reads_survive_errors(codec: str) -> None:
    """decode_table borrows codec contexts and block buffers that later calls reuse: a
    corrupt block (the codec failing half way) leaves nothing behind that changes the next
    reads, on any thread."""
    rows = event_rows(400)
    good = avro_file(EVENT, rows, codec, block_records=25)
    want = raw_buffers(read_columns(good, threads=1))
    meta, sync, blocks = split_file(as_null_codec(good))
    framed = bytearray(join_file(meta, sync, blocks, codec))
    first = framed.index(sync) + 16
    body_at = first + len(_long(blocks[0][0])) + len(_long(len(_compress(codec, blocks[0][1]))))
    framed[body_at + 3 : body_at + 9] = b"\x00\xff\x13\x37\xff\x00"
    for _ in range(3):
        for threads in (1, 2):
            with pytest.raises((turboavro.CodecError, DecodeError)):
                read_columns(bytes(framed), threads=threads)
            assert raw_buffers(read_columns(good, threads=threads)) == want


def _error_of(kind: Any, fn: Any, *args: Any, **kwargs: Any) -> tuple[str, int | None]:
    """The message and offset of the ``kind`` error ``fn(*args, **kwargs)`` raises; for a
    CodecError without the codec library's own detail (the last parenthesis)."""
    with pytest.raises(kind) as ei:
        fn(*args, **kwargs)
    message = str(ei.value)
    if kind is turboavro.CodecError:
        message = re.sub(r" \([^()]*\)$", "", message)
    return message, ei.value.offset


@pytest.mark.parametrize("codec", ["deflate", "snappy", "zstandard"])
def test_every_reader_words_block_errors_alike(codec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A block its codec rejects, and a block with bytes after its records: the row reader,
    read_columns (native codec, and a Python fallback codec, 1 or 2 threads) and
    iter_batches raise the same message with the same offset (but for the codec library's
    own detail, in parentheses at the end, which differs between implementations)."""
    from turboavro import codecs
    from turboavro.columnar import reading as columnar

    meta, sync, blocks = split_file(avro_file(FLAT, flat_rows(300), block_records=30))
    corrupt = bytearray(join_file(meta, sync, blocks, codec))
    first = corrupt.index(sync) + 16
    body_at = first + len(_long(blocks[0][0])) + len(_long(len(_compress(codec, blocks[0][1]))))
    corrupt[body_at + 3 : body_at + 9] = b"\x00\xff\x13\x37\xff\x00"
    trailing = list(blocks)
    trailing[4] = (blocks[4][0], blocks[4][1] + b"\x07\x07")
    fallback = codecs.get_codec(codec, native=False)
    for data, kind in ((bytes(corrupt), turboavro.CodecError),
                       (join_file(meta, sync, trailing, codec), DecodeError)):
        seen = set()
        if kind is turboavro.CodecError:
            seen.add(_error_of(kind, lambda d: list(turboavro.Reader(io.BytesIO(d))), data))
        seen.add(_error_of(kind, lambda d: list(turboavro.columnar.iter_batches(d, 7)), data))
        for threads in (1, 2):
            seen.add(_error_of(kind, read_columns, data, threads=threads))
            with monkeypatch.context() as m:
                m.setattr(columnar, "_codec", lambda name, f=fallback: f)
                seen.add(_error_of(kind, read_columns, data, threads=threads))
        assert len(seen) == 1, seen
        message, offset = seen.pop()
        if kind is turboavro.CodecError:
            assert message.startswith(f"block at file offset {first} (") and offset == first
            assert f") cannot be decompressed: {codec}: " in message
        else:
            assert message.startswith(
                f"block has 2 bytes after its 30 records, at byte {len(blocks[4][1])} of its "
                "decompressed data (at byte offset "
            )


def test_column_buffers_are_reused_not_left_to_the_garbage_collector(tmp_path: Path) -> None:
    """Columns free their buffers as soon as they are dropped (no reference cycle waits for
    the cyclic collector), and the next read reuses them instead of fresh memory."""
    import gc

    from turboavro._kernels import _columns as k

    path = tmp_path / "flat.avro"
    path.write_bytes(avro_file(FLAT, flat_rows(60_000), "null", block_records=5000))
    old = k.set_buffer_cache(64 << 20)
    gc.disable()
    try:
        k.set_buffer_cache(0)
        k.set_buffer_cache(64 << 20)
        assert k.buffer_cache_info() == (0, 0)
        cols = read_columns(path, threads=1)
        # a plain file is read block by block into small buffers: no copy of it is made
        kept_after_read = k.buffer_cache_info()[1]
        assert kept_after_read == 0
        want = raw_buffers(cols)
        del cols
        kept = k.buffer_cache_info()[1]
        assert kept >= kept_after_read + 60_000 * 8 * 3  # the large columns came back
        again = read_columns(path, threads=1)
        assert k.buffer_cache_info()[1] <= kept - 60_000 * 8 * 3  # ... and were taken again
        assert raw_buffers(again) == want
        del again
        k.set_buffer_cache(0)
        assert k.buffer_cache_info() == (0, 0)
        assert raw_buffers(read_columns(path, threads=2)) == want  # no cache: same columns
    finally:
        gc.enable()
        k.set_buffer_cache(old)


def test_read_columns_on_a_skipping_reader(tmp_path: Path) -> None:
    """An open Reader in skip mode: its file is read into one buffer, and a broken block is
    skipped by searching that buffer for the next sync marker, as the row reader does."""
    meta, sync, blocks = split_file(avro_file(FLAT, flat_rows(500), block_records=50))
    data = bytearray(join_file(meta, sync, blocks, "deflate"))
    markers = [m.start() for m in re.finditer(re.escape(sync), bytes(data))]
    data[markers[4] + 5] ^= 0x55  # the marker after block 3 (the header's is markers[0])
    path = tmp_path / "damaged.avro"
    path.write_bytes(bytes(data))
    with turboavro.Reader(path, on_corruption="skip") as r:
        rows = list(r)
        skipped = list(r.skipped)
    with turboavro.Reader(path, on_corruption="skip") as r:
        cols = read_columns(r)
        assert list(r.skipped) == skipped and len(skipped) == 1
    # the damaged block and the one whose marker the resync skips to are lost, both ways
    assert cols.num_rows == len(rows) == 400
    assert cols["id"].tolist() == [x["id"] for x in rows]


@settings(max_examples=200)
@given(st.binary(max_size=64), st.binary(min_size=1, max_size=4), st.integers(-2, 70))
def test_native_find_is_bytes_find(hay: bytes, needle: bytes, start: int) -> None:
    from turboavro._kernels import _blocks

    hay = hay + needle * (start % 3)
    assert _blocks.find(memoryview(hay), needle, start) == hay.find(needle, max(start, 0))


# -- varint boundaries: every encoded length, at the end of a block and inside it ----------------


def _groups(raw: int, length: int) -> bytes:
    """raw in exactly `length` 7-bit groups (non-canonical when the top groups are zero)."""
    assert raw < 1 << (7 * length)
    out = [(raw >> (7 * g)) & 0x7F for g in range(length)]
    return bytes([b | 0x80 for b in out[:-1]] + out[-1:])


def _unzigzag(data: bytes) -> int:
    """Python's own reading of a varint: the 7-bit groups, then zig-zag."""
    raw = sum((b & 0x7F) << (7 * g) for g, b in enumerate(data))
    return (raw >> 1) ^ -(raw & 1)


def _varint_cases(max_len: int, max_raw: int) -> list[bytes]:
    """Canonical varints of every length 1..max_len (smallest, largest, random) and padded
    encodings of smaller values in the same number of bytes."""
    import random

    rnd = random.Random(max_len * 1000 + 7)
    cases = []
    for length in range(1, max_len + 1):
        lo = 0 if length == 1 else 1 << (7 * (length - 1))
        hi = min((1 << (7 * length)) - 1, max_raw)
        raws = [lo, hi, rnd.randint(lo, hi), rnd.randint(lo, hi)]
        cases += [_groups(raw, length) for raw in raws]
        if length > 1:  # padded: the value needs fewer groups than it is given
            cases += [_groups(raw, length) for raw in (0, 1, rnd.randint(0, lo - 1))]
    for c in cases:
        assert 1 <= len(c) <= max_len
    return cases


LONG_CASES = _varint_cases(10, 2**64 - 1) + [_groups(2**64 - 2, 10)]
INT_CASES = _varint_cases(5, 2**32 - 1) + [_groups(2**32 - 2, 5)]
VARINT_FLAT = {"type": "record", "name": "V", "fields": [
    {"name": "x", "type": "long"}, {"name": "i", "type": "int"}, {"name": "y", "type": "long"}]}
# a leading string field sends every record through the general (non-flat) decoding path
VARINT_GENERAL = {"type": "record", "name": "V", "fields": [{"name": "s", "type": "string"}]
                  + VARINT_FLAT["fields"]}


def _varint_records(general: bool) -> tuple[list[bytes], dict[str, list[int]]]:
    recs, want = [], {"x": [], "i": [], "y": []}
    for j, lc in enumerate(LONG_CASES):
        ic = INT_CASES[j % len(INT_CASES)]
        yc = LONG_CASES[(j * 7 + 3) % len(LONG_CASES)]
        recs.append((b"\x02z" if general else b"") + lc + ic + yc)
        want["x"].append(_unzigzag(lc))
        want["i"].append(_unzigzag(ic))
        want["y"].append(_unzigzag(yc))
    assert {-(2**63), 2**63 - 1} <= set(want["x"]) and {-(2**31), 2**31 - 1} <= set(want["i"])
    return recs, want


def _varint_file(schema: Any, recs: list[bytes]) -> bytes:
    """One block with every record (values inside the buffer), then one block per record (its
    last value ends the buffer, the ones before it have fewer than 10 bytes after them)."""
    meta, sync, _ = split_file(avro_file(schema, []))
    blocks = [(len(recs), b"".join(recs))] + [(1, r) for r in recs]
    return join_file(meta, sync, blocks, "null")


@pytest.mark.parametrize("general", [False, True])
def test_varint_every_length_columnar_and_row(general: bool) -> None:
    schema = VARINT_GENERAL if general else VARINT_FLAT
    recs, want = _varint_records(general)
    data = _varint_file(schema, recs)
    for threads in (1, 2):
        cols = read_columns(data, threads=threads)
        for name in ("x", "i", "y"):
            assert cols[name].tolist() == want[name] * 2, name
    assert cols["x"].dtype == np.int64 and cols["i"].dtype == np.int32
    # promotions and skipped fields (the flat path's other ops) see the same values
    reader = {"type": "record", "name": "V", "fields": [
        {"name": "x", "type": "double"}, {"name": "i", "type": "long"}, {"name": "y", "type": "float"}]}
    cols = read_columns(data, reader_schema=reader)
    assert cols["x"].tolist() == [float(v) for v in want["x"]] * 2
    assert cols["i"].dtype == np.int64 and cols["i"].tolist() == want["i"] * 2
    assert cols["y"].tolist() == [float(np.float32(v)) for v in want["y"]] * 2
    reader = {"type": "record", "name": "V", "fields": [
        {"name": "i", "type": "double"}, {"name": "x", "type": "float"}]}
    cols = read_columns(data, reader_schema=reader)
    assert cols["i"].tolist() == [float(v) for v in want["i"]] * 2
    assert cols["x"].tolist() == [float(np.float32(v)) for v in want["x"]] * 2
    reader = {"type": "record", "name": "V", "fields": [{"name": "i", "type": "float"}]}
    assert read_columns(data, reader_schema=reader)["i"].tolist() == [
        float(np.float32(v)) for v in want["i"]] * 2
    assert read_columns(data, columns=["y"])["y"].tolist() == want["y"] * 2
    # the row decoder: each record alone (its last value ends the buffer), and single values
    d = turboavro.Decoder(schema)
    for rec, x, i, y in zip(recs, want["x"], want["i"], want["y"], strict=True):
        got = d.decode(rec)
        assert (got["x"], got["i"], got["y"]) == (x, i, y)
    if not general:
        for c in LONG_CASES:
            assert turboavro.Decoder("long").decode(c) == _unzigzag(c)
            assert turboavro.Decoder("long").decode(b"\x00" * 12 + c, 12) == _unzigzag(c)
        for c in INT_CASES:
            assert turboavro.Decoder("int").decode(c) == _unzigzag(c)
        assert [r["x"] for r in turboavro.Reader(io.BytesIO(data))] == want["x"] * 2


# (field, bad varint, message of the columnar reader, message of the row decoder)
BAD_VARINTS = [
    ("x", b"\x80" * 10 + b"\x01", "overlong", "overlong"),      # 11 bytes
    ("x", b"\x80" * 9 + b"\x81", "overlong", "overlong"),       # 10th byte continues
    ("x", b"\xff" * 9 + b"\x02", "overflow", "overflow"),       # 10th byte above bit 63
    ("x", b"\xff" * 9 + b"\x7f", "overflow", "overflow"),
    ("i", b"\x80" * 5 + b"\x00", "overlong", "overlong"),       # 6 bytes for an int
    ("i", _groups(1, 10), "overlong", "overlong"),              # a valid long, too long for int
    ("i", b"\x80" * 4 + b"\x10", "overflow", "overflow"),       # raw 2**32: 5 bytes, 33 bits
    ("i", b"\xff" * 4 + b"\x7f", "overflow", "overflow"),
    ("i", b"\xff" * 9 + b"\x02", "overflow", "overflow"),       # the long's error comes first
    ("i", b"\x80" * 11 + b"\x00", "overlong", "overlong"),
]


@pytest.mark.parametrize("general", [False, True])
@pytest.mark.parametrize("field,bad,msg,row_msg", BAD_VARINTS)
def test_bad_varints_inside_and_at_end(general: bool, field: str, bad: bytes, msg: str,
                                       row_msg: str) -> None:
    schema = VARINT_GENERAL if general else VARINT_FLAT
    head = b"\x02z" if general else b""
    good = head + _long(-5) + _long(300) + _long(2**40)
    parts = {"x": _long(1), "i": _long(2), "y": _long(3)}
    parts[field] = bad
    bad_rec = head + parts["x"] + parts["i"] + parts["y"]
    at = len(head) + (0 if field == "x" else len(parts["x"]))
    for tail in (good * 3, b""):  # more records after the bad one (>= 10 bytes), or none
        payload = good + bad_rec + tail
        data = _one_block_file(schema, payload, 2 + len(tail) // len(good))
        with pytest.raises(DecodeError, match=msg) as ei:
            read_columns(data)
        assert ei.value.offset == data.index(payload) + len(good) + at
        assert ei.value.path == f"$.{field}"
        assert "record 1" in str(ei.value)
        with pytest.raises(DecodeError, match=row_msg) as ei:
            turboavro.Decoder(schema).decode(bad_rec)
        assert ei.value.offset == at and ei.value.path == f"$.{field}"


@pytest.mark.parametrize("general", [False, True])
def test_truncated_varints_at_block_end(general: bool) -> None:
    schema = VARINT_GENERAL if general else VARINT_FLAT
    head = b"\x02z" if general else b""
    good = head + _long(7) + _long(8) + _long(9)
    for cut in (b"\x80", b"\x80\x80", b"\xff" * 8, b"\xff" * 9, b"\x80" * 10):
        rec = head + _long(1) + _long(2) + cut
        payload = good * 4 + rec
        data = _one_block_file(schema, payload, 5)
        expect = "overlong" if len(cut) >= 10 else "truncated"
        with pytest.raises(DecodeError, match=expect) as ei:
            read_columns(data)
        assert ei.value.offset == data.index(payload) + len(good) * 4 + len(head) + 2
        assert ei.value.path == "$.y"
        with pytest.raises(DecodeError) as ei:
            turboavro.Decoder(schema).decode(rec)
        assert ei.value.offset == len(head) + 2 and ei.value.path == "$.y"


@pytest.mark.parametrize("item", ["long", "int", "double", "float"])
def test_number_arrays_values_and_errors(item: str) -> None:
    """Arrays of numbers decode a block's items in one loop: values over several blocks and
    block counts, and a bad item (cut, overlong, out of int range) named by index and offset
    as the row decoder names it."""
    import random

    schema = {"type": "record", "name": "N", "fields": [
        {"name": "k", "type": "int"}, {"name": "a", "type": {"type": "array", "items": item}},
        {"name": "z", "type": "long"}]}
    rnd = random.Random(11)

    def value() -> Any:
        if item == "long":
            return rnd.choice([0, -1, 2**63 - 1, -(2**63), rnd.getrandbits(40) - 2**39])
        if item == "int":
            return rnd.choice([0, -1, 2**31 - 1, -(2**31), rnd.getrandbits(20) - 2**19])
        if item == "double":
            return rnd.uniform(-1e300, 1e300)
        return float(np.float32(rnd.uniform(-1e30, 1e30)))

    def enc(v: Any) -> bytes:
        if item in ("long", "int"):
            return _long(v)
        return struct.pack("<d" if item == "double" else "<f", v)

    rows, payload = [], b""
    for i in range(60):
        items = [value() for _ in range(rnd.randrange(0, 12))]
        rows.append(items)
        body = _long(i)
        # items split over blocks of 1-5, some with the byte-size form (negative count)
        j = 0
        while j < len(items):
            part = items[j : j + rnd.randint(1, 5)]
            data = b"".join(enc(v) for v in part)
            body += (_long(-len(part)) + _long(len(data))) if rnd.random() < 0.3 else _long(len(part))
            body += data
            j += len(part)
        payload += body + _long(0) + _long(-i)
    cols = read_columns(_one_block_file(schema, payload, len(rows)))
    assert [list(a) for a in cols["a"].to_numpy()] == rows
    assert cols["z"].tolist() == [-i for i in range(len(rows))]

    width = {"double": 8, "float": 4}.get(item)
    bads = [b"\x80"] if width else [b"\x80", b"\x80" * 10]
    if item == "int":
        bads.append(b"\x80\x80\x80\x80\x10")  # 2**32: beyond int
    good = _long(7) + _long(2) + enc(value()) + enc(value()) + _long(0) + _long(1)
    for bad in bads:
        for at_item in (0, 2):
            items = b"".join(enc(value()) for _ in range(at_item))
            rec = _long(3) + _long(at_item + 1) + items + (bad[: width - 1] if width else bad)
            payload = good * 2 + rec
            data = _one_block_file(schema, payload, 3)
            with pytest.raises(DecodeError) as ei:
                read_columns(data)
            with pytest.raises(DecodeError) as row:
                turboavro.Decoder(schema).decode(rec)
            assert "record 2" in str(ei.value)
            if width:
                # a cut fixed-width item is caught by the block count check first
                assert "count" in str(ei.value) and "count" in str(row.value)
                assert ei.value.path == "$.a"
            else:
                assert ei.value.path == row.value.path == f"$.a[{at_item}]"
                assert ei.value.offset == data.index(payload) + 2 * len(good) + row.value.offset


def _one_block_outcome(schema: Any, payload: bytes, count: int, reader: Any = None,
                       general: bool = False) -> Any:
    """read_columns of a one-block file: its columns' exact buffers, or its error's message,
    path and offset within the payload. ``general``: with the kernel's fast paths off (the
    record program, one-loop array and map items), the reference they must match."""
    data = _one_block_file(schema, payload, count)
    was = _k._set_fast_paths(not general)
    try:
        cols = read_columns(data, reader_schema=reader)
    except DecodeError as e:
        start = len(data) - 16 - len(payload)  # the block's data, then the sync marker
        assert data[start : start + len(payload)] == payload
        return ("error", str(e).split(" (at")[0], e.path, e.offset - start)
    finally:
        _k._set_fast_paths(was)
    return raw_buffers(cols)


def _same_as_general(schema: Any, payload: bytes, count: int, reader: Any = None) -> Any:
    got = _one_block_outcome(schema, payload, count, reader)
    assert got == _one_block_outcome(schema, payload, count, reader, general=True)
    return got


def test_fast_paths_match_the_general_path() -> None:
    """The root record's fields run as a compiled program (leaves, strings, bytes, enums and
    nullable leaves stored by row index, nested records flattened in, other fields the general
    way) and arrays and maps of numbers and strings decode a block in one loop. Against the
    general path: the same buffers, and a bad value anywhere is the same error at the same
    offset and path, in whichever record of the block it is."""
    schema = {"type": "record", "name": "R", "fields": [
        {"name": "s", "type": "string"}, {"name": "b", "type": "bytes"},
        {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y", "Z"]}},
        {"name": "n", "type": ["null", "string"]},
        {"name": "p", "type": {"type": "record", "name": "P", "fields": [{"name": "q", "type": "int"}]}},
        {"name": "f", "type": {"type": "fixed", "name": "F", "size": 2}},
        {"name": "d", "type": "double"}, {"name": "t", "type": {"type": "array", "items": "long"}},
        {"name": "m", "type": {"type": "map", "values": "string"}},
        {"name": "a", "type": {"type": "array", "items": "bytes"}}]}

    def rec(s: bytes = b"\x04ab", b: bytes = b"\x02\xff", e: bytes = b"\x04",
            n: bytes = b"\x02\x02c", p: bytes = b"\x06", f: bytes = b"zz",
            d: bytes = b"\x00" * 7 + b"\x40", t: bytes = b"\x04\x02\x04\x00",
            m: bytes = b"\x04\x02k\x02v\x04kk\x06vvv\x00",
            a: bytes = b"\x03\x08\x02\xfe\x04\xfd\xfc\x00") -> bytes:
        return s + b + e + n + p + f + d + t + m + a

    good = rec()
    empty = rec(s=b"\x00", b=b"\x00", e=b"\x00", n=b"\x00", t=b"\x00", m=b"\x00", a=b"\x00")
    cols = read_columns(_one_block_file(schema, good + empty + good, 3))
    assert _same_as_general(schema, good + empty + good, 3) == raw_buffers(cols)
    assert cols["s"].to_numpy().tolist() == ["ab", "", "ab"] and cols["e"].codes.tolist() == [2, 0, 2]
    assert cols["n"].to_numpy().tolist() == ["c", None, "c"] and cols["p.q"].tolist() == [3] * 3
    assert cols["m"].to_numpy().tolist() == [{"k": "v", "kk": "vvv"}, {}, {"k": "v", "kk": "vvv"}]
    assert cols["a"].to_numpy().tolist() == [[b"\xfe", b"\xfd\xfc"], [], [b"\xfe", b"\xfd\xfc"]]
    bad_cases = {
        "s": rec(s=b"\x03"),                      # negative length
        "s-utf8": rec(s=b"\x04\xff\xfe"),         # not UTF-8
        "b": rec(b=b"\x7e"),                      # length beyond the data
        "e": rec(e=b"\x06"),                      # symbol 3 of 3
        "e-varint": rec(e=b"\x80" * 6),           # varint too long for an int
        "n": rec(n=b"\x04"),                      # branch 2 of 2
        "n-utf8": rec(n=b"\x02\x02\xc3"),         # cut multi-byte sequence
        "p.q": rec(p=b"\xff\xff\xff\xff\x7f"),    # beyond int
        "t": rec(t=b"\x04\x02" + b"\xff" * 11),  # second item: varint over 10 bytes
        "m-key": rec(m=b"\x04\x02k\x02v\x01"),    # second key: negative length
        "m-key-utf8": rec(m=b"\x02\x02\xff\x02v\x00"),
        "m-value": rec(m=b"\x04\x02k\x02v\x02k\x7f"),
        "m-value-utf8": rec(m=b"\x04\x02k\x02v\x02k\x02\x80\x00"),
        "a": rec(a=b"\x04\x02\xfe\x09"),          # second item: negative length
    }
    for case, bad in bad_cases.items():
        for before in (0, 2):
            got = _same_as_general(schema, good * before + bad, before + 1)
            assert got[0] == "error" and f"record {before}" in got[1], (case, got)
            assert got[2].startswith(f"$.{case.split('-')[0]}"), (case, got)


@pytest.mark.parametrize("width", [1, 50, 58, 60, 64])
def test_record_program_limits_match_the_general_path(width: int) -> None:
    """Roots of up to 64 fields run as a program of at most 64 steps: a nested record is
    flattened in while its fields fit (room kept for the fields after it), else it is one
    call; a nullable leaf takes two steps. Every split gives the general path's buffers and
    errors."""
    inner = {"type": "record", "name": "In", "fields": [
        {"name": f"i{k}", "type": ["null", "long"] if k % 2 else "string"} for k in range(6)]}
    fields = [{"name": f"a{k}", "type": "int"} for k in range(width - 2)]
    fields += [{"name": "r", "type": inner}, {"name": "z", "type": ["null", "string"]}]
    schema = {"type": "record", "name": "W", "fields": fields}
    inner_rec = b"".join(b"\x02s" if k % 2 == 0 else (b"\x02\x0e" if k % 4 == 1 else b"\x00")
                         for k in range(6))
    rec = b"\x02" * (width - 2) + inner_rec + b"\x02\x04zz"
    null_z = b"\x02" * (width - 2) + inner_rec + b"\x00"
    got = _same_as_general(schema, rec + null_z + rec, 3)
    assert got["r.i0"][0] == np.array([0, 1, 2, 3], np.int64).tobytes()
    for cut in (1, width - 2, width + 1, len(rec) - 2):  # an int, the record, the nullable
        bad = rec[:cut] + b"\x05" + rec[cut + 1 :]
        _same_as_general(schema, rec + bad, 2)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_fast_paths_match_the_general_path(data: st.DataObject) -> None:
    """Random schemas (and evolved reader schemas) over intact and damaged payloads: the
    kernel's fast paths give the general path's buffers, or its error at the same offset."""
    import random

    schema = data.draw(schemas(allow_recursion=False, allow_logical=False, max_depth=3))
    reader = data.draw(st.one_of(st.none(), evolutions(schema)))
    rows = data.draw(st.lists(datums(schema, max_size=4), min_size=1, max_size=6))
    meta, sync, blocks = split_file(avro_file(schema, rows, "null", block_records=len(rows)))
    (count, payload), = blocks
    try:
        _one_block_outcome(schema, payload, count, reader)
    except SchemaResolutionError:
        assume(False)
    rnd = random.Random(data.draw(st.integers(0, 2**32)))
    for damaged in [payload] + (damaged_copies(payload, 0, 6, rnd)[1:] if payload else []):
        _same_as_general(schema, damaged, count, reader)


def _utf8_cases() -> list[bytes]:
    """Short and longer byte strings: ASCII, valid multi-byte, and one bad byte or truncated /
    overlong / surrogate sequence at every position."""
    import random

    rnd = random.Random(5)
    cases = [b""]
    for n in list(range(1, 20)) + [23, 24, 25, 31, 32, 33, 40]:
        base = bytes(rnd.randrange(0x20, 0x7F) for _ in range(n))
        cases.append(base)
        for i in range(n):
            for bad in (b"\x80", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xc3\xa9", "€".encode()):
                cases.append((base[:i] + bad + base[i + 1:])[: max(n, len(bad))])
    return cases


def test_utf8_validation_short_and_long_strings() -> None:
    """Strings (values and map keys) are valid exactly when Python's UTF-8 decoder says so, with
    high-bit bytes right after the string (a double) or at the end of the block."""
    schema = {"type": "record", "name": "U", "fields": [
        {"name": "s", "type": "string"}, {"name": "d", "type": "double"},
        {"name": "m", "type": {"type": "map", "values": "long"}}]}
    tail_d = b"\xff" * 8
    for case in _utf8_cases():
        try:
            text = case.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        s = _long(len(case)) + case
        as_key = b"\x00" + tail_d + _long(1) + s + _long(5) + _long(0)
        for rec, field in ((s + tail_d + _long(0), "s"), (as_key, "m")):
            for payload in (rec, rec * 3):
                data = _one_block_file(schema, payload, len(payload) // len(rec))
                if text is None:
                    with pytest.raises(DecodeError, match="UTF-8") as ei:
                        read_columns(data)
                    assert ei.value.path == f"$.{field}" and ei.value.offset == data.index(payload) + (
                        0 if field == "s" else 10)
                else:
                    cols = read_columns(data)
                    got = cols[field].to_numpy().tolist()
                    assert got == ([text] if field == "s" else [{text: 5}]) * (len(payload) // len(rec))


def test_scratch_buffers_start_at_the_file_offsets_page_phase() -> None:
    """File buffers start at the same offset within a page as the file data read into them
    (a kernel copy 8 or 16 bytes out of phase ran 5-7 times slower), and are writable."""
    from turboavro._kernels import _columns as k

    for size in (10, 300_000, 2_000_000):
        for phase in (0, 8, 16, 357, 4095, 4096 + 17):
            buf = k.scratch(size, phase)
            arr = np.frombuffer(buf, np.uint8)
            assert len(buf) == size and arr.ctypes.data % 4096 == phase % 4096
            memoryview(buf)[-1:] = b"x"
            assert arr[-1] == ord("x")


def _outcome(source: Any, threads: int) -> Any:
    """What read_columns gives: the exact buffers, or the error (type, message, offset)."""
    try:
        return raw_buffers(read_columns(source, threads=threads))
    except turboavro.AvroError as e:
        return type(e).__name__, str(e), getattr(e, "offset", None)


@pytest.mark.parametrize("codec", CODECS)
def test_plain_files_are_read_block_by_block(tmp_path: Path, codec: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain file is framed by its block headers alone and each thread reads the blocks it
    decodes: from a path, a buffered or unbuffered file object or an open Reader, the columns
    are those of an in-memory read, and the Reader and the file are left at the end."""
    from turboavro.container import Reader

    framed = []
    real = Reader._file_blocks

    def spy(self: Reader) -> Any:
        got = real(self)
        framed.append(got is not None)
        return got

    monkeypatch.setattr(Reader, "_file_blocks", spy)
    rows = event_rows(900)
    data = avro_file(EVENT, rows, codec, block_records=53)
    path = tmp_path / "events.avro"
    path.write_bytes(data)
    want = raw_buffers(read_columns(data, threads=1))
    assert framed == [False]  # bytes: read whole
    check_columns(read_columns(path), fastavro_rows(avro_file(EVENT, rows)), flat_names(EVENT))
    for threads in (1, 2, 3):
        framed.clear()
        assert raw_buffers(read_columns(path, threads=threads)) == want
        assert raw_buffers(read_columns(str(path), threads=threads)) == want
        for buffering in (-1, 0):
            with open(path, "rb", buffering=buffering) as f:
                assert raw_buffers(read_columns(f, threads=threads)) == want
                assert f.tell() == len(data)
        with Reader(path) as r:
            assert raw_buffers(read_columns(r, threads=threads)) == want
            assert list(r) == []
        assert framed == [True] * 5


@pytest.mark.parametrize("codec", ["null", "deflate"])
def test_read_columns_of_a_reader_started_mid_file(tmp_path: Path, codec: str) -> None:
    """A Reader opened at ``start`` (split reading, item 58) gives read_columns the blocks
    whose sync marker starts at or after ``start``: the records the row reader gives, from a
    plain file (framed by block headers from the first such block) and from memory."""
    from turboavro.container import Reader

    data = avro_file(FLAT, flat_rows(2000), codec, block_records=70)
    path = tmp_path / "split.avro"
    path.write_bytes(data)
    counts = []
    for start in (0, 1, 700, len(data) // 3, len(data) // 2 + 5, len(data) - 10):
        with Reader(path, start=start) as r:
            want = [row["id"] for row in r]
        counts.append(len(want))
        for threads in (1, 2):
            for source in (path, io.BytesIO(data)):
                with Reader(source, start=start) as r:
                    got = read_columns(r, threads=threads)
                assert got["id"].tolist() == want, (start, threads, source)
    assert counts[0] == 2000 and counts[-1] == 0 and 0 < counts[3] < counts[2] < 2000


def test_file_framing_of_small_and_large_blocks(tmp_path: Path) -> None:
    """scan_file frames small blocks through a 64 KiB read-ahead and large ones by their
    headers alone; on a file mixing both (and blocks around the 16 KiB switch, and windows
    ending inside a header or a marker) it gives exactly scan_blocks' table."""
    import random

    from turboavro._kernels import _blocks

    rnd = random.Random(5)
    rows = flat_rows(20_000)
    one = split_file(avro_file(FLAT, rows))[2][0][1]  # all records, one payload
    # record boundaries of the payload, to cut blocks of any number of records
    ends = [0]
    for r in rows:
        b = io.BytesIO()
        fastavro.schemaless_writer(b, fastavro.parse_schema(FLAT), r)
        ends.append(ends[-1] + len(b.getvalue()))
    assert ends[-1] == len(one)
    meta, sync, _ = split_file(avro_file(FLAT, rows[:1]))
    blocks, at = [], 0
    while at < len(rows):
        n = rnd.choice([1, 3, 40, 300, 480, 500, 520, 2500, 4000])
        n = min(n, len(rows) - at)
        blocks.append((n, one[ends[at] : ends[at + n]]))
        at += n
    sizes = [len(b) for _, b in blocks]
    assert min(sizes) < 100 and max(sizes) > 64 << 10 and any(15 << 10 < x < 17 << 10 for x in sizes)
    data = join_file(meta, sync, blocks, "null")
    path = tmp_path / "mixed_sizes.avro"
    path.write_bytes(data)
    start = data.index(sync) + 16
    want, end, _ = _blocks.scan_blocks(data, start, 0, sync, 1 << 24, len(data), -1, 0)
    assert end == len(data) and len(want) == 40 * len(blocks)
    with open(path, "rb") as f:
        assert _blocks.scan_file(f.fileno(), start, len(data), sync, 1 << 24) == (want, len(data))
    assert read_columns(path)["id"].tolist() == [r["id"] for r in rows]


def test_builds_without_pread_read_files_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the build has no positioned reads (Windows: HAVE_PREAD is False), plain files
    are read whole, with the same columns."""
    import sys

    import turboavro.container as tc

    assert tc._blocks.HAVE_PREAD == (sys.platform != "win32")
    data = avro_file(EVENT, event_rows(300), "deflate", block_records=40)
    path = tmp_path / "e.avro"
    path.write_bytes(data)
    want = raw_buffers(read_columns(data))
    monkeypatch.setattr(tc._blocks, "HAVE_PREAD", False)
    with turboavro.Reader(path) as r:
        assert r._file_blocks() is None
    for threads in (1, 2):
        assert raw_buffers(read_columns(path, threads=threads)) == want


@pytest.mark.parametrize(("records", "per_block"), [(400, 31), (6000, 1500)])
def test_file_framing_takes_only_clean_files(tmp_path: Path, records: int, per_block: int) -> None:
    """Header-only framing is taken for whole, clean files only; any damage (truncation,
    flipped, inserted or deleted bytes, trailing bytes) leaves the file to the usual whole
    read, so the columns or the error (message and offset) are exactly those of an
    in-memory read, with 1 or 2 threads, in raise and skip modes. Small blocks (framed
    through the read-ahead) and blocks over 16 KiB (by their headers alone)."""
    import random

    from turboavro.container import Reader

    rnd = random.Random(11)
    good = avro_file(FLAT, flat_rows(records), "deflate", block_records=per_block)
    sizes = [len(_compress("deflate", b)) for _, b in split_file(avro_file(FLAT, flat_rows(records), block_records=per_block))[2]]
    assert (max(sizes) < 16 << 10) == (per_block == 31)
    header = good.index(split_file(avro_file(FLAT, []))[1]) + 16
    variants = damaged_copies(good, header, 40, rnd)
    path = tmp_path / "v.avro"
    clean = 0
    for i, data in enumerate(variants):
        path.write_bytes(data)
        with Reader(io.BytesIO(data)) as mem:
            try:
                want_blocks = [(b.count, b.offset, b.size, b.data_offset)
                               for b in mem.iter_blocks_raw()]
            except turboavro.AvroError:
                want_blocks = None
        with Reader(path) as r:
            got = r._file_blocks()
        if want_blocks is None:
            assert got is None, i
        elif got is not None:  # a clean file (damage may leave one: a flipped count bit)
            clean += 1
            rows = np.frombuffer(got[1], np.int64).reshape(-1, 5)
            assert [tuple(x) for x in rows[:, :4].tolist()] == want_blocks, i
            assert (rows[:, 3] == rows[:, 4]).all()
        for threads in (1, 2):
            assert _outcome(path, threads) == _outcome(data, threads), (i, threads)
        with Reader(path, on_corruption="skip") as r, Reader(io.BytesIO(data),
                                                             on_corruption="skip") as m:
            assert _outcome(r, 2) == _outcome(m, 2), i
            assert r.skipped == m.skipped, i
    assert clean >= 1


@pytest.mark.parametrize("codec", ["null", "deflate", "fallback-deflate"])
def test_file_cut_after_framing(tmp_path: Path, codec: str,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A file truncated by someone else between framing and decoding: the block that can no
    longer be read whole is a CorruptFileError at its offset (never a crash; no mapping of
    the file is involved)."""
    from turboavro import codecs
    from turboavro.columnar import reading as columnar
    from turboavro.container import Reader

    name = codec.removeprefix("fallback-")
    if codec.startswith("fallback"):
        fallback = codecs.get_codec(name, native=False)
        monkeypatch.setattr(columnar, "_codec", lambda _: fallback)
    path = tmp_path / "cut.avro"
    path.write_bytes(avro_file(FLAT, flat_rows(3000), name, block_records=100))
    for threads in (1, 2):
        with Reader(path) as r:
            blocks = columnar._collect(r)
            assert blocks.fd >= 0
            table = np.frombuffer(blocks.batches[0][1], np.int64).reshape(-1, 5)
            block = 17
            offset, size, data_at = (int(v) for v in table[block, 1:4])
            with open(path, "r+b") as f:
                f.truncate(data_at + size // 2)
            comp = columnar._compile(r.schema, None, None)
            with pytest.raises(turboavro.CorruptFileError,
                               match=f"file ends inside a block: {size // 2} of {size} bytes") as ei:
                columnar._decode_all(comp, blocks, columnar._codec(r.codec), threads, 1 << 24)
            assert ei.value.offset == offset
        path.write_bytes(avro_file(FLAT, flat_rows(3000), name, block_records=100))


def test_compressed_file_objects(tmp_path: Path) -> None:
    """A gzip file object answers fileno() with the compressed file's descriptor: it is read
    through the object, never through that descriptor (this read garbage before)."""
    import gzip

    rows = event_rows(700)
    data = avro_file(EVENT, rows, "null", block_records=40)
    gz = tmp_path / "events.avro.gz"
    with gzip.open(gz, "wb") as f:
        f.write(data)
    want = raw_buffers(read_columns(data))
    for threads in (1, 2):
        with gzip.open(gz, "rb") as f:
            assert raw_buffers(read_columns(f, threads=threads)) == want
    with gzip.open(gz, "rb") as f, turboavro.Reader(f) as r:
        assert list(r) == fastavro_rows(data)


@given(
    st.lists(st.tuples(st.integers(0, 50), st.integers(0, 1000)), max_size=40),
    st.lists(st.integers(0, 40), max_size=4),
    st.integers(1, 6),
)
def test_split_runs(blocks: list[tuple[int, int]], cuts: list[int], parts: int) -> None:
    """Each block goes to the run its first stored byte falls in (of ``parts`` equal shares
    of the stored bytes), whatever the batching; runs are contiguous pieces with their
    record and byte totals, empty runs left out."""
    from turboavro._kernels import _columns as k

    rows = [(c, 0, size, 0, 0) for c, size in blocks]
    bounds = sorted({0, len(rows), *(min(c, len(rows)) for c in cuts)})
    tables = [b"".join(struct.pack("<5q", *r) for r in rows[a:z]) for a, z in pairwise(bounds)]
    total = sum(size for _, size in blocks) or 1
    want: dict[int, list[int]] = {}
    at = 0
    for i, (_, size) in enumerate(blocks):
        want.setdefault(min(parts - 1, at * parts // total), []).append(i)
        at += size
    got = k.split_runs(tables, parts)
    assert len(got) == len(want) <= parts
    for (pieces, records, stored), run in zip(got, [want[key] for key in sorted(want)], strict=True):
        flat = [bounds[t] + i for t, lo, hi in pieces for i in range(lo, hi)]
        assert flat == run
        assert all(lo < hi for _, lo, hi in pieces)
        assert records == sum(blocks[i][0] for i in run)
        assert stored == sum(blocks[i][1] for i in run)


def test_learned_capacity_hints_fit_kept_buffers() -> None:
    """After a read, a plan's variable-size columns are hinted at about what they used (not
    the whole input per column), so the buffers the last read gave back fit the next one."""
    from turboavro.columnar.reading import _codec, _collect, _compile, _decode_all, _hints

    data = avro_file(EVENT, event_rows(3000), "null", block_records=500)
    with turboavro.Reader(io.BytesIO(data)) as r:
        comp = _compile(r.schema, None, None)
        blocks = _collect(r)
    comp.learned.clear()
    stored = blocks.runs(1)[0][2]
    first = _hints(comp, 3000, stored)
    bufs, _ = _decode_all(comp, blocks, _codec("null"), 2, 1 << 28)
    learned = _hints(comp, 3000, stored)
    var = [i for i, w in enumerate(comp.col_width) if not (comp.col_per_row[i] and w)]
    assert len(var) >= 5
    for i in var:
        used = len(bufs[i])
        assert used <= learned[i] <= used * 1.25 + 4097, i
        assert learned[i] <= first[i] or first[i] < used, i
    assert raw_buffers(read_columns(data, threads=2)) == raw_buffers(read_columns(data, threads=1))


def test_shared_row_windows_never_grow() -> None:
    """A thread's window of the shared fixed-width columns cannot be reallocated: decoding
    more records into it than it was given fails cleanly instead of moving memory it does
    not own; and gather_shared refuses parts that do not fill their rows."""
    from turboavro._kernels import _columns as k
    from turboavro.columnar.reading import _collect, _compile

    data = avro_file(FLAT, flat_rows(30), "null", block_records=10)
    with turboavro.Reader(io.BytesIO(data)) as r:
        comp = _compile(r.schema, None, None)
        blocks = _collect(r)
    buf, table = blocks.batches[0]
    owner = k._Chunk(comp.plan, {i: 30 * w for i, w in enumerate(comp.row_width) if w})
    part = k._Chunk(comp.plan, {})
    part.share_rows(owner, 0, 15)  # room for 15 records; the first two blocks hold 20
    with pytest.raises(DecodeError, match="more values than the block's record count"):
        part.decode_table(buf, table, 0, 2, 0, 1 << 20, comp.min_size)
    assert part.rows == 10  # the first block, whole
    with pytest.raises(ValueError):
        part.take(comp.row_width.index(8))  # a window is taken from its owner, not the part
    owner.gather_shared([part])
    assert owner.rows == 10
    assert np.frombuffer(owner.take(0), np.int64).tolist() == [r["id"] for r in flat_rows(10)]
    # parts must fill the owner's rows in order, without gaps
    owner = k._Chunk(comp.plan, {i: 30 * w for i, w in enumerate(comp.row_width) if w})
    first, gap = k._Chunk(comp.plan, {}), k._Chunk(comp.plan, {})
    first.share_rows(owner, 0, 10)
    gap.share_rows(owner, 12, 10)
    first.decode_table(buf, table, 0, 1, 0, 1 << 20, comp.min_size)
    gap.decode_table(buf, table, 1, 2, 0, 1 << 20, comp.min_size)
    with pytest.raises(ValueError, match="does not hold its rows"):
        owner.gather_shared([first, gap])
    with pytest.raises(ValueError, match="no room"):
        k._Chunk(comp.plan, {}).share_rows(owner, 25, 10)  # past the owner's 30 rows


def test_concurrent_reads_with_different_thread_counts() -> None:
    """Reads on several threads at once, asking for more and more workers (the shared pool is
    replaced while others use it), all give the same columns."""
    from concurrent.futures import ThreadPoolExecutor

    from turboavro.columnar import reading as columnar

    data = avro_file(EVENT, event_rows(800), "deflate", block_records=40)
    want = raw_buffers(read_columns(data, threads=1))
    columnar._POOL, columnar._POOL_SIZE = None, 0
    with ThreadPoolExecutor(4) as callers:
        got = list(callers.map(lambda t: raw_buffers(read_columns(data, threads=t)),
                               [2, 3, 4, 5, 6, 7, 8, 2, 9, 10]))
    assert all(g == want for g in got)
