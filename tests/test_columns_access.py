"""Column objects are sequences of the values a user expects, equal to the row reader's; nested
UTC timestamps stay UTC; a skip-mode Reader recovers the same records as rows and as columns;
a projection returns its columns in the order asked."""
from __future__ import annotations

import datetime
import io
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import turboavro as ta
from strategies import avro_diff, datums, schemas
from turboavro.columnar import (
    BinaryColumn,
    EnumColumn,
    ListColumn,
    MapColumn,
    StructColumn,
    TimestampColumn,
    UnionColumn,
)
from turboavro.columnar.columns import _Column

UTC = datetime.timezone.utc


def _file(schema: Any, rows: list[Any], codec: str = "null", block: int = 1000) -> bytes:
    buf = io.BytesIO()
    with ta.Writer(buf, schema, codec=codec, sync_interval=1 << 30) as w:
        for i in range(0, len(rows), block):
            w.write_many(rows[i : i + block])
            w.flush()
    return buf.getvalue()


def _expected(rows: list[Any], name: str) -> list[Any]:
    """The row reader's values of a (dotted) column: a null record above gives None."""
    out = []
    for row in rows:
        v: Any = row
        for part in name.split("."):
            v = None if v is None else v[part]
        out.append(v)
    return out


_NAN = "<NaN>"  # NaN != NaN: compare it as a marker, every other value exactly


def _norm(v: Any) -> Any:
    """Row values as columns hold them: records and maps are dicts either way."""
    if isinstance(v, float) and math.isnan(v):
        return _NAN
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    return v


# -- every column object, at random indexes and slices, against the row reader ----------------

# Logical types whose columns hold the row reader's values; uuid, big-decimal and duration
# columns hold their underlying strings/bytes (documented in turboavro.columnar).
_COLUMN_LOGICAL = frozenset({
    "decimal-bytes", "decimal-fixed", "date", "time-millis", "time-micros", "timestamp-millis",
    "timestamp-micros", "timestamp-nanos", "local-timestamp-millis", "local-timestamp-micros",
    "local-timestamp-nanos",
})


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], max_examples=60)
@given(st.data())
def test_column_items_and_slices_equal_the_rows(data: st.DataObject) -> None:
    schema = data.draw(schemas(allow_recursion=False, max_depth=3, logical_types=_COLUMN_LOGICAL))
    records = data.draw(st.lists(datums(schema), min_size=1, max_size=6))
    file = _file(schema, records, block=3)
    with ta.Reader(io.BytesIO(file)) as r:
        rows = list(r)
    cols = ta.read_columns(file)
    for name, col in cols.items():
        if not isinstance(col, _Column):
            continue  # numpy arrays index as numpy does
        want = [_norm(v) for v in _expected(rows, name)]
        n = len(want)
        assert len(col) == n
        # values compare as Avro values (NaN equals NaN, -0.0 differs from 0.0)
        assert avro_diff([_norm(v) for v in col], want) is None, name  # iteration
        for i in data.draw(st.lists(st.integers(-n, n - 1), max_size=4)):
            assert avro_diff(_norm(col[i]), want[i]) is None, (name, i)
        start = data.draw(st.integers(-n - 2, n + 2))
        stop = data.draw(st.integers(-n - 2, n + 2))
        step = data.draw(st.sampled_from([1, 1, 2, -1, 3]))
        part = col[start:stop:step]
        assert type(part) is type(col)
        got = [_norm(v) for v in part]
        assert avro_diff(got, want[start:stop:step]) is None, (name, start, stop, step)
        with pytest.raises(IndexError, match=f"of {n} rows"):
            col[n]
        with pytest.raises(IndexError, match=f"of {n} rows"):
            col[-n - 1]


def test_items_are_the_values_a_user_expects() -> None:
    schema = {"type": "record", "name": "R", "fields": [
        {"name": "user", "type": "string"},
        {"name": "kind", "type": {"type": "enum", "name": "K", "symbols": ["a", "b"]}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "long"}},
        {"name": "maybe", "type": ["null", "string"]},
        {"name": "pts", "type": {"type": "array", "items": {"type": "record", "name": "P",
                                                            "fields": [{"name": "x", "type": "int"}]}}},
    ]}
    rows = [{"user": f"u{i}", "kind": "ab"[i % 2], "tags": ["t"] * i, "attrs": {"k": i},
             "maybe": None if i % 2 else "m", "pts": [{"x": i}]} for i in range(5)]
    cols = ta.read_columns(_file(schema, rows))
    assert cols["user"][-1] == "u4" and cols["user"][0] == "u0"
    assert isinstance(cols["user"], BinaryColumn)
    assert cols["kind"][-1] == "a" and isinstance(cols["kind"], EnumColumn)
    assert list(cols["kind"]) == ["a", "b", "a", "b", "a"]
    assert cols["tags"][2] == ["t", "t"] and isinstance(cols["tags"], ListColumn)
    assert cols["attrs"][3] == {"k": 3} and isinstance(cols["attrs"], MapColumn)
    assert cols["maybe"][1] is None and cols["maybe"][2] == "m"
    assert cols["pts"][4] == [{"x": 4}]
    assert isinstance(cols["pts"].values, StructColumn)
    # slices are columns of the same type, zero-copy for a step of 1
    part = cols["user"][1:3]
    assert isinstance(part, BinaryColumn) and list(part) == ["u1", "u2"]
    assert np.shares_memory(part.data, cols["user"].data)
    assert list(cols["user"][::-2]) == ["u4", "u2", "u0"]
    assert list(cols["tags"][3:]) == [["t"] * 3, ["t"] * 4]
    assert np.shares_memory(cols["tags"][3:].offsets, cols["tags"].offsets)
    with pytest.raises(IndexError, match=r"row 5 out of range for a column of 5 rows \(valid: -5 to 4\)"):
        cols["user"][5]
    with pytest.raises(TypeError, match="integers or slices"):
        cols["user"]["x"]  # type: ignore[index]
    # a slice converts and writes like the whole column
    assert part.to_arrow().to_pylist() == ["u1", "u2"]
    assert cols["tags"][1:4].to_arrow().to_pylist() == [["t"], ["t", "t"], ["t"] * 3]
    assert cols["attrs"][2:4].to_arrow().to_pylist() == [[("k", 2)], [("k", 3)]]


def test_union_column_slices_convert_to_arrow() -> None:
    schema = {"type": "record", "name": "R", "fields": [
        {"name": "u", "type": ["null", "int", "string"]}]}
    rows = [{"u": v} for v in [None, 1, "a", None, 2, "b"]]
    col = ta.read_columns(_file(schema, rows))["u"]
    assert isinstance(col, UnionColumn)
    assert list(col) == [None, 1, "a", None, 2, "b"]
    assert col[3:].to_arrow().to_pylist() == [None, 2, "b"]
    assert col[::2].to_arrow().to_pylist() == [None, "a", 2]


def test_sliced_columns_write_back() -> None:
    schema = {"type": "record", "name": "R", "fields": [
        {"name": "s", "type": "string"}, {"name": "l", "type": {"type": "array", "items": "long"}}]}
    rows = [{"s": f"s{i}", "l": list(range(i))} for i in range(6)]
    cols = ta.read_columns(_file(schema, rows))
    out = io.BytesIO()
    ta.write_columns(out, {"s": cols["s"][2:5], "l": cols["l"][2:5]}, schema, codec="null")
    with ta.Reader(io.BytesIO(out.getvalue())) as r:
        assert list(r) == rows[2:5]


# -- nested timestamps stay UTC ------------------------------------------------------------------

TS = {"type": "long", "logicalType": "timestamp-millis"}
TS_US = {"type": "long", "logicalType": "timestamp-micros"}


def test_nested_timestamps_are_utc_like_the_rows() -> None:
    schema = {"type": "record", "name": "R", "fields": [
        {"name": "top", "type": TS},
        {"name": "u", "type": ["null", TS, "string"]},
        {"name": "arr", "type": {"type": "array", "items": TS_US}},
        {"name": "m", "type": {"type": "map", "values": ["null", TS]}},
        {"name": "s", "type": {"type": "array", "items": {"type": "record", "name": "S",
                                                           "fields": [{"name": "at", "type": TS}]}}},
    ]}
    t0 = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    t1 = datetime.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    rows = [{"top": t0, "u": t1, "arr": [t0, t1], "m": {"a": t0, "b": None}, "s": [{"at": t1}]},
            {"top": t1, "u": "x", "arr": [], "m": {}, "s": []},
            {"top": t0, "u": None, "arr": [t1], "m": {"c": t1}, "s": [{"at": t0}, {"at": t1}]}]
    file = _file(schema, rows)
    with ta.Reader(io.BytesIO(file)) as r:
        assert list(r) == rows
    cols = ta.read_columns(file)
    assert isinstance(cols["arr"].values, TimestampColumn)
    for name in ("u", "arr", "m", "s"):
        assert [_norm(v) for v in cols[name]] == [r[name] for r in rows], name
        assert cols[name].to_numpy().tolist() == [r[name] for r in rows], name
    table = cols.to_arrow()
    assert table.schema.field("top").type.tz == "UTC"
    assert table.schema.field("u").type.field(1).type.tz == "UTC"
    assert table.schema.field("arr").type.value_type.tz == "UTC"
    assert table.schema.field("m").type.item_type.tz == "UTC"
    assert table.schema.field("s").type.value_type.field("at").type.tz == "UTC"
    assert table.column("arr").to_pylist() == [r["arr"] for r in rows]
    # and they write back as timestamps (general unions cannot be written from columns)
    keep = [f for f in schema["fields"] if f["name"] != "u"]
    out = io.BytesIO()
    ta.write_columns(out, {f["name"]: cols[f["name"]] for f in keep},
                     {**schema, "fields": keep}, codec="null")
    with ta.Reader(io.BytesIO(out.getvalue())) as r:
        assert list(r) == [{k: v for k, v in row.items() if k != "u"} for row in rows]


def test_local_timestamps_stay_naive_when_nested() -> None:
    lts = {"type": "long", "logicalType": "local-timestamp-millis"}
    schema = {"type": "record", "name": "R", "fields": [
        {"name": "arr", "type": {"type": "array", "items": lts}}]}
    t = datetime.datetime(2020, 1, 2, 3, 4, 5)
    cols = ta.read_columns(_file(schema, [{"arr": [t]}]))
    assert not isinstance(cols["arr"].values, TimestampColumn)
    assert cols.to_arrow().schema.field("arr").type.value_type.tz is None


# -- skip mode: the same recovery in rows and columns --------------------------------------------

SCHEMA = {"type": "record", "name": "R", "fields": [
    {"name": "id", "type": "long"}, {"name": "name", "type": "string"}]}


def _damaged(codec: str) -> bytes:
    """Four blocks of 5 records; in the second block, record 2's string length is made
    to claim more bytes than the block holds (its framing stays intact)."""
    rows = [{"id": i, "name": f"n{i:03d}"} for i in range(20)]
    clean = _file(SCHEMA, rows, codec="null", block=5)
    # the third record of the second block: id 7 -> its name's length varint follows
    marker = b"\x0e\x08n007"  # zigzag(7)=14, length 4, "n007"
    at = clean.index(marker) + 1
    damaged = clean[:at] + b"\x7e" + clean[at + 1 :]  # length 63: past the block's end
    if codec == "null":
        return damaged
    out = io.BytesIO()
    with ta.Reader(io.BytesIO(damaged)) as r, ta.Writer(out, SCHEMA, codec=codec) as w:
        for b in r.iter_blocks_raw():
            w.write_raw_block(b.count, ta.codecs.get_codec(codec).compress(bytes(b.data)))
    return out.getvalue()


@pytest.mark.parametrize("codec", ["null", "deflate"])
def test_skip_mode_recovers_the_same_records_as_columns(codec: str) -> None:
    file = _damaged(codec)
    with pytest.raises(ta.DecodeError):
        ta.read_columns(file)
    with ta.Reader(io.BytesIO(file), on_corruption="skip") as r:
        rows = list(r)
        row_skips = [(s.start, s.end) for s in r.skipped]
    ids = [row["id"] for row in rows]
    assert ids == [0, 1, 2, 3, 4, 5, 6, *range(10, 20)]  # the records before the damage stay
    assert len(row_skips) == 1
    with ta.Reader(io.BytesIO(file), on_corruption="skip") as r:
        cols = ta.read_columns(r)
        col_skips = [(s.start, s.end) for s in r.skipped]
    assert cols["id"].tolist() == ids
    assert list(cols["name"]) == [row["name"] for row in rows]
    assert col_skips == row_skips


def test_skip_mode_with_only_damage_gives_empty_columns() -> None:
    rows = [{"id": 1, "name": "a"}]
    clean = _file(SCHEMA, rows)
    at = clean.index(b"\x02\x02a") + 1
    damaged = clean[:at] + b"\x7e" + clean[at + 1 :]
    with ta.Reader(io.BytesIO(damaged), on_corruption="skip") as r:
        cols = ta.read_columns(r)
        assert len(r.skipped) == 1
    assert cols.num_rows == 0 and len(cols["name"]) == 0


# -- a projection's order ---------------------------------------------------------------------------


def test_projection_returns_columns_in_the_order_asked() -> None:
    schema = {"type": "record", "name": "R", "fields": [
        {"name": "a", "type": "int"},
        {"name": "p", "type": {"type": "record", "name": "P", "fields": [
            {"name": "x", "type": "int"}, {"name": "y", "type": "int"}]}},
        {"name": "b", "type": "string"}]}
    file = _file(schema, [{"a": 1, "p": {"x": 2, "y": 3}, "b": "s"}])
    assert list(ta.read_columns(file, columns=["b", "a"])) == ["b", "a"]
    assert list(ta.read_columns(file, columns=["p.y", "b", "p.x"])) == ["p.y", "b", "p.x"]
    assert list(ta.read_columns(file, columns=["b", "p"])) == ["b", "p.x", "p.y"]
    batches = list(ta.columnar.iter_batches(file, 10, columns=["b", "a"]))
    assert list(batches[0]) == ["b", "a"]
