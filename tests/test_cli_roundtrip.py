"""``turboavro cat`` output goes back through ``turboavro from-json`` unchanged: the same records,
and ``cat`` of the new file prints the same lines. For every type and logical type, in the
Avro JSON encoding and in plain JSON (bytes as ISO-8859-1 text or base64). Plain JSON writes
some union branches alike (a string and bytes are both JSON strings), so plain mode is checked
on schemas whose unions JSON can tell apart; the Avro JSON encoding on every schema."""
from __future__ import annotations

import contextlib
import datetime
import decimal
import io
import json
import os
import tempfile
import uuid
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from strategies import avro_diff, schema_and_datums
from turboavro.cli import main
from turboavro.container import Reader, Writer
from turboavro.errors import EncodeError
from turboavro.logical import Duration
from turboavro.schema import Schema


def _cli(*argv: str) -> str:
    out = io.StringIO()
    err = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    assert code == 0, err.getvalue()
    return out.getvalue()


def _json_kind(s: Schema) -> str:
    """What plain JSON makes of a value of ``s``."""
    lt = s.logical_type
    if s.type == "null":
        return "null"
    if s.type == "boolean":
        return "bool"
    if lt == "duration" or s.type == "array":
        return "list"
    if lt is not None or s.type in ("string", "bytes", "fixed", "enum"):
        return "str"
    if s.type in ("int", "long", "float", "double"):
        return "number"
    return "object"


def _plain_unambiguous(s: Schema, seen: set[int] | None = None) -> bool:
    """Whether no union in ``s`` has two branches that plain JSON writes alike."""
    seen = set() if seen is None else seen
    if id(s) in seen:
        return True
    seen.add(id(s))
    t = s.type
    if t == "union":
        kinds = [_json_kind(b) for b in s.branches]
        if len(kinds) != len(set(kinds)):
            return False
        return all(_plain_unambiguous(b, seen) for b in s.branches)
    if t == "record":
        return all(_plain_unambiguous(f.type, seen) for f in s.fields)
    if t == "array":
        return _plain_unambiguous(s.items, seen)
    if t == "map":
        return _plain_unambiguous(s.values, seen)
    return True


def _round_trip(schema_json: Any, records: list[Any], *opts: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        src, back = os.path.join(d, "src.avro"), os.path.join(d, "back.avro")
        avsc, lines = os.path.join(d, "s.avsc"), os.path.join(d, "lines.jsonl")
        try:
            with Writer(src, schema_json, codec="deflate") as w:
                w.write_many(records)
        except EncodeError:
            # a value drawn for a later branch of an ambiguous union that the writer, choosing
            # the first branch that takes its Python type, cannot write: not a case of cat
            assume(False)
        with open(avsc, "w", encoding="utf-8") as fo:
            json.dump(schema_json, fo)
        text = _cli("cat", *opts, src)
        with open(lines, "w", encoding="utf-8") as fo:
            fo.write(text)
        _cli("from-json", *opts, "--schema", avsc, lines, back)
        assert _cli("cat", *opts, back) == text
        # the records with each union value's branch: the same values in the same branches
        logical = "--avro-json" not in opts
        with Reader(src, logical=logical, branches=True) as a, \
                Reader(back, logical=logical, branches=True) as b:
            expected, got = list(a), list(b)
        assert len(got) == len(expected)
        for x, y in zip(expected, got, strict=True):
            assert avro_diff(x, y) is None, avro_diff(x, y)


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(schema_and_datums(max_size=4, max_depth=3), st.sampled_from(["latin1", "base64"]))
def test_plain_json_round_trip(case, bytes_mode):
    schema_json, records = case
    if not _plain_unambiguous(Schema.parse(schema_json)):
        schema_json = {"type": "record", "name": "Wrap", "fields": []}
        records = [{} for _ in records]
    _round_trip(schema_json, records, "--bytes", bytes_mode)


@SETTINGS
@given(schema_and_datums(max_size=4, max_depth=3, unambiguous_unions=False))
def test_avro_json_round_trip(case):
    schema_json, records = case
    _round_trip(schema_json, records, "--avro-json")


# every logical type, and bytes in a union, explicitly (not left to the random draw)
EVERY = {
    "type": "record",
    "name": "Every",
    "fields": [
        {"name": "ts_ms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "ts_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "ts_ns", "type": {"type": "long", "logicalType": "timestamp-nanos"}},
        {"name": "lts_ms", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
        {"name": "lts_us", "type": {"type": "long", "logicalType": "local-timestamp-micros"}},
        {"name": "date", "type": {"type": "int", "logicalType": "date"}},
        {"name": "t_ms", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "t_us", "type": {"type": "long", "logicalType": "time-micros"}},
        {"name": "dec", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9,
                                 "scale": 3}},
        {"name": "dec_f", "type": {"type": "fixed", "name": "DF", "size": 5,
                                   "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "big", "type": {"type": "bytes", "logicalType": "big-decimal"}},
        {"name": "u_s", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "u_f", "type": {"type": "fixed", "name": "UF", "size": 16,
                                 "logicalType": "uuid"}},
        {"name": "dur", "type": {"type": "fixed", "name": "Du", "size": 12,
                                 "logicalType": "duration"}},
        {"name": "b_u", "type": ["null", "bytes"]},
        {"name": "ts_u", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
        {"name": "dec_u", "type": ["null", {"type": "bytes", "logicalType": "decimal",
                                            "precision": 4, "scale": 1}]},
        {"name": "fx", "type": {"type": "fixed", "name": "F4", "size": 4}},
        {"name": "f", "type": "float"},
        {"name": "m", "type": {"type": "map", "values": ["null", "bytes", "double"]}},
    ],
}
UTC = datetime.timezone.utc


def _every(i: int) -> dict[str, Any]:
    ts = datetime.datetime(2024, 2, 29, 23, 59, 58, 123000, tzinfo=UTC) + datetime.timedelta(days=i)
    return {
        "ts_ms": ts, "ts_us": ts.replace(microsecond=123456), "ts_ns": ts,
        "lts_ms": ts.replace(tzinfo=None), "lts_us": ts.replace(tzinfo=None, microsecond=7),
        "date": datetime.date(1969, 12, 31) + datetime.timedelta(days=i),
        "t_ms": datetime.time(23, 59, 59, 999000), "t_us": datetime.time(0, 0, 0, 1),
        "dec": decimal.Decimal("-123456.789"), "dec_f": decimal.Decimal("12345678.90"),
        "big": decimal.Decimal("3.14159265358979323846264338327950288"),
        "u_s": str(uuid.UUID(int=i + 1)), "u_f": uuid.UUID(int=2**127 + i),
        "dur": Duration(1, 2, 3 + i),
        "b_u": None if i % 2 else bytes(range(256)), "ts_u": None if i % 2 == 0 else ts,
        "dec_u": None if i % 3 == 0 else decimal.Decimal("-99.9"),
        "fx": b"\x00\xff\x80\x7f", "f": 0.1 * i, "m": {"x": b"\x01", "y": None, "z": 2.5},
    }


def test_every_logical_type_round_trips():
    records = [_every(i) for i in range(5)]
    for opts in ((), ("--bytes", "base64"), ("--avro-json",)):
        _round_trip(EVERY, records, *opts)
    # and the plain text is what a reader expects
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "e.avro")
        with Writer(path, EVERY) as w:
            w.write_many(records)
        row = json.loads(_cli("cat", path).split("\n")[0])
        row64 = json.loads(_cli("cat", "--bytes", "base64", path).split("\n")[0])
    assert row["ts_ms"] == "2024-02-29T23:59:58.123000+00:00"
    assert row["lts_ms"] == "2024-02-29T23:59:58.123000"
    assert row["date"] == "1969-12-31" and row["t_ms"] == "23:59:59.999000"
    assert row["dec"] == "-123456.789" and row["dec_f"] == "12345678.90"
    assert row["u_f"] == "80000000-0000-0000-0000-000000000000"
    assert row["dur"] == [1, 2, 3]
    assert row["b_u"] == bytes(range(256)).decode("latin-1")
    assert row64["b_u"] == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w=="
