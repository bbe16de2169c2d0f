"""The container files other Avro projects test with (tests/data/external, see its SOURCES.md).

Every file that Java or fastavro reads opens here and agrees with fastavro value for value.
Where fastavro does not implement a logical type (``duration``, ``timestamp-nanos``,
``big-decimal``: it returns the underlying value) the expected value is derived from that
underlying value by the rules of the specification's "Logical Types" section, written out
below independently of turboavro's own conversions. Every file that is damaged on purpose
raises a turboavro error (listed by name with its class), and ``read_columns`` gives the rows'
values wherever columns apply (every schema but recursive ones).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import uuid
from pathlib import Path
from typing import Any

import fastavro
import pytest

import turboavro as ta
from strategies import _logical_to_underlying, _underlying_to_logical
from turboavro.container import Reader
from turboavro.errors import AvroError, CodecError, CorruptFileError, DecodeError, SchemaError
from turboavro.logical import Duration
from turboavro.schema import NamedSchema, Schema

pa = pytest.importorskip("pyarrow")

ROOT = Path(__file__).parent / "data" / "external"
FILES = sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("*.avro") if p.is_file())

# Damaged on purpose (by their projects' own tests): the error each must raise.
INVALID: dict[str, type[AvroError]] = {
    "avro/lang/c/tests/avro-1237-bad-union-discriminant.avro": DecodeError,
    "avro/lang/c/tests/avro-1238-truncated.avro": CorruptFileError,
    # no codec key and one trailing byte that does not form a block
    "avro/lang/js/test/dat/person-10.no-codec.avro": CorruptFileError,
    "goavro/fixtures/bad-header.avro": CorruptFileError,
    "goavro/fixtures/blockCountExceedsMaxBlockCount.avro": CorruptFileError,
    "goavro/fixtures/blockSizeExceedsMaxBlockSize.avro": CorruptFileError,
    "goavro/fixtures/blockSizeNotGreaterThanZero.avro": CorruptFileError,
    "goavro/fixtures/cannotDiscardBlockBytes.avro": CorruptFileError,
    "goavro/fixtures/cannotReadBlockSize.avro": CorruptFileError,
    "goavro/fixtures/cannotReadSyncMarker.avro": DecodeError,
    "goavro/fixtures/firstBlockCountNotGreaterThanZero.avro": CorruptFileError,
    "goavro/fixtures/secondBlockCountZero.avro": DecodeError,
    "goavro/fixtures/syncMarkerMismatch.avro": CorruptFileError,
    "goavro/fixtures/temp0.avro": CorruptFileError,
    "goavro/fixtures/temp1.avro": CodecError,
    "hamba-avro/ocf/testdata/deflate-invalid-data.avro": CodecError,
    "hamba-avro/ocf/testdata/snappy-invalid-crc.avro": CodecError,
    "hamba-avro/ocf/testdata/snappy-invalid-data.avro": CodecError,
    "hamba-avro/ocf/testdata/snappy-short-crc.avro": CodecError,
    "hamba-avro/ocf/testdata/zstd-invalid-data.avro": CodecError,
}
# Valid files holding values Python's datetime/time cannot represent: a DecodeError with
# logical conversions, the underlying values (as fastavro's raw reader) without.
OUT_OF_RANGE = {
    "duckdb-avro/test/localtimestamp-millis.avro",  # year 0
    "duckdb-avro/test/time_millis.avro",  # 86400000 ms: not within a day
}
# Java-reflect namespaces with '$' and hamba's 'n-me': strict parsing refuses these header
# schemas, the reader parses them as leniently as Java.
LENIENT = {
    "fastavro/tests/avro-files/double_float.avro",
    "fastavro/tests/avro-files/lines.avro",
    "fastavro/tests/avro-files/part-00000.avro",
    "fastavro/tests/avro-files/test.avro",
    "hamba-avro/ocf/testdata/invalid-name.avro",
}
# Columns do not apply to recursive records.
RECURSIVE = {"duckdb-avro/test/recursive.avro", "fastavro/tests/avro-files/recursive.avro"}
VALID = [f for f in FILES if f not in INVALID and f not in OUT_OF_RANGE]
# Valid files fastavro cannot open (it decodes the header's metadata values as UTF-8; one
# value here is the sync marker): the Apache Avro Python package is the oracle instead.
FASTAVRO_CANNOT = {"avro/share/test/data/syncInMeta.avro"}


def test_the_corpus_is_complete() -> None:
    assert len(FILES) == 196
    for name in [*INVALID, *OUT_OF_RANGE, *LENIENT, *RECURSIVE]:
        assert name in FILES, name


def _oracle_rows(name: str) -> list[Any]:
    if name in FASTAVRO_CANNOT:
        import avro.datafile
        import avro.io

        with open(ROOT / name, "rb") as f:
            with avro.datafile.DataFileReader(f, avro.io.DatumReader()) as r:
                return list(r)
    with open(ROOT / name, "rb") as f:
        return list(fastavro.reader(f))


# -- fastavro's values, completed by the specification's logical types -------------------------


def _spec_value(s: Schema, v: Any) -> Any:
    """fastavro's underlying value of a logical type it leaves alone, as the spec defines it
    (the shared test kit's conversions, written independently of turboavro's)."""
    lt = s.logical_type
    if lt == "duration":  # three little-endian unsigned 32-bit ints: months, days, millis
        assert isinstance(v, bytes) and len(v) == 12
        return Duration(*_underlying_to_logical(v, "duration", {}))
    if lt == "big-decimal":  # Avro bytes (big-endian two's complement), then an Avro int scale
        return _underlying_to_logical(v, "big-decimal", {})
    if lt in ("timestamp-nanos", "local-timestamp-nanos") and type(v) is int:
        # a datetime holds microseconds: turboavro documents flooring the nanoseconds
        return _underlying_to_logical(v, lt, {})
    return v


def _fits(s: Schema, v: Any) -> bool:
    """Whether a fastavro value belongs to union branch ``s`` (to pick the branch)."""
    t = s.type
    if v is None:
        return t == "null"
    if t == "record":
        return isinstance(v, dict) and set(v) == {f.name for f in s.fields}
    if t == "map":
        return isinstance(v, dict)
    if t == "array":
        return isinstance(v, list)
    if t == "enum":
        return isinstance(v, str) and v in s.symbols
    lt = s.logical_type or ""
    if lt == "decimal":
        return isinstance(v, decimal.Decimal)
    if t == "fixed" or t == "bytes":
        return isinstance(v, bytes) and (t == "bytes" or len(v) == s.size)
    if t == "boolean":
        return isinstance(v, bool)
    if lt == "date":
        return type(v) is dt.date
    if lt.startswith("time-"):
        return isinstance(v, dt.time)
    if lt in ("timestamp-nanos", "local-timestamp-nanos") or not lt:
        if t in ("int", "long"):
            return type(v) is int
    if lt.startswith(("timestamp-", "local-timestamp-")):
        return isinstance(v, dt.datetime)
    if t in ("float", "double"):
        return type(v) is float
    if lt == "uuid":
        return isinstance(v, uuid.UUID)
    return isinstance(v, str)


def _complete(s: Schema, v: Any) -> Any:
    t = s.type
    if v is None:
        return None
    if t == "union":
        branch = next(b for b in s.branches if _fits(b, v))
        return _complete(branch, v)
    if t == "record":
        return {f.name: _complete(f.type, v[f.name]) for f in s.fields}
    if t == "array":
        return [_complete(s.items, x) for x in v]
    if t == "map":
        return {k: _complete(s.values, x) for k, x in v.items()}
    return _spec_value(s, v)


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dt.datetime):
        return a == b and a.tzinfo == b.tzinfo
    return bool(a == b)


def _first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        for k in a:
            d = _first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = _first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if _same(a, b) else f"{path}: {a!r} != {b!r}"


# -- rows -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VALID)
def test_valid_file_agrees_with_fastavro(name: str) -> None:
    with Reader(str(ROOT / name)) as r:
        ours = list(r)
        schema = r.schema
    theirs = _oracle_rows(name)
    expected = [_complete(schema, v) for v in theirs]
    assert len(ours) == len(expected)
    diff = _first_difference(ours, expected)
    assert diff is None, diff


@pytest.mark.parametrize("name", sorted(INVALID))
def test_damaged_file_raises_a_turboavro_error(name: str) -> None:
    with pytest.raises(INVALID[name]):
        with Reader(str(ROOT / name)) as r:
            list(r)
    # the columnar reader refuses it too (never a crash or a foreign exception)
    with pytest.raises(AvroError):
        ta.read_columns(str(ROOT / name))


@pytest.mark.parametrize("name", sorted(OUT_OF_RANGE))
def test_out_of_range_values_raise_and_read_as_underlying(name: str) -> None:
    """fastavro fails on these too (OverflowError, ValueError); turboavro raises a DecodeError
    naming the value, and reads the underlying values with ``logical=False``."""
    with pytest.raises(DecodeError) as info:
        with Reader(str(ROOT / name)) as r:
            list(r)
    with Reader(str(ROOT / name), logical=False) as r:
        raw = [v for row in r for v in row.values()]
    assert any(str(v) in str(info.value) for v in raw if type(v) is int)


@pytest.mark.parametrize("name", sorted(LENIENT))
def test_java_lenient_header_schemas(name: str) -> None:
    """Strict parsing refuses the header schema; the reader, as Java does, accepts it, and the
    schema works for resolution (as writer and reader) and for writing."""
    import io

    with Reader(str(ROOT / name)) as r:
        text = r.metadata["avro.schema"]
        schema = r.schema
        rows = list(r)
    with pytest.raises(SchemaError):
        Schema.parse(text)
    assert rows
    out = io.BytesIO()
    with ta.Writer(out, schema, codec="deflate") as w:
        w.write_many(rows)
    # read back, resolving the lenient schema against itself as reader schema
    with Reader(io.BytesIO(out.getvalue()), reader_schema=schema) as r2:
        assert r2.schema == schema
        assert _same(list(r2), rows)
    # the canonical form stays valid JSON with the odd names in it
    import json

    json.loads(schema.canonical_form)
    assert isinstance(schema, NamedSchema) or schema.type != "record"


# -- columns --------------------------------------------------------------------------------


def _pick(s: Schema, v: Any) -> Schema:
    """The union branch of a turboavro row value."""
    for b in s.branches:
        t, lt = b.type, b.logical_type
        if v is None:
            ok = t == "null"
        elif t == "record":
            ok = isinstance(v, dict) and set(v) == {f.name for f in b.fields}
        elif t == "map":
            ok = isinstance(v, dict)
        elif t == "array":
            ok = isinstance(v, list)
        elif lt in ("date",):
            ok = type(v) is dt.date
        elif lt in ("time-millis", "time-micros"):
            ok = isinstance(v, dt.time)
        elif lt and lt.startswith(("timestamp", "local-timestamp")):
            ok = isinstance(v, dt.datetime)
        elif lt in ("decimal", "big-decimal"):
            ok = isinstance(v, decimal.Decimal)
        elif lt == "uuid":
            ok = isinstance(v, uuid.UUID)
        elif lt == "duration":
            ok = isinstance(v, Duration)
        elif t == "enum":
            ok = isinstance(v, str) and v in b.symbols
        elif t == "fixed":
            ok = isinstance(v, bytes) and len(v) == b.size
        elif t == "bytes":
            ok = isinstance(v, bytes)
        elif t == "string":
            ok = isinstance(v, str)
        elif t == "boolean":
            ok = isinstance(v, bool)
        elif t in ("int", "long"):
            ok = type(v) is int
        else:
            ok = type(v) is float
        if ok:
            return b
    raise AssertionError(f"no branch of {s} for {v!r}")


def _arrowish(s: Schema, v: Any) -> Any:
    """A row value as Arrow's ``to_pylist`` shows the column (maps as key-value pairs, times
    of day as durations, UUIDs and durations in their Arrow forms)."""
    if v is None:
        return None
    t, lt = s.type, s.logical_type
    if t == "union":
        return _arrowish(_pick(s, v), v)
    if t == "record":
        return {f.name: _arrowish(f.type, v[f.name]) for f in s.fields}
    if t == "array":
        return [_arrowish(s.items, x) for x in v]
    if t == "map":
        return [(k, _arrowish(s.values, x)) for k, x in v.items()]
    if lt in ("time-millis", "time-micros"):
        return dt.timedelta(hours=v.hour, minutes=v.minute, seconds=v.second, microseconds=v.microsecond)
    if lt == "uuid":
        return str(v) if t == "string" else v.bytes
    if lt in ("duration", "big-decimal"):  # columns hold the bytes as stored
        return _logical_to_underlying(v, lt, {})
    return v


def _flatten(s: Schema, v: Any, prefix: str, out: dict[str, Any]) -> None:
    """The columns of one row: a record's fields (also one that is optional) become
    ``parent.child`` columns; everything else is one column."""
    inner = s
    if s.type == "union":
        non_null = [b for b in s.branches if b.type != "null"]
        if len(non_null) == 1 and len(s.branches) == 2 and non_null[0].type == "record":
            inner = non_null[0]
    if inner.type == "record" and prefix is not None:
        for f in inner.fields:
            _flatten(f.type, None if v is None else v[f.name], f"{prefix}{f.name}.", out)
        return
    out[prefix[:-1]] = _arrowish(s, v)


def _normalise_arrow(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _normalise_arrow(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_normalise_arrow(x) for x in v]
    if isinstance(v, tuple):
        return tuple(_normalise_arrow(x) for x in v)
    if hasattr(v, "nanosecond"):  # a nanosecond column's pandas Timestamp; rows floor to µs
        floor = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=v.value // 1000)
        return floor if v.tzinfo is None else floor.replace(tzinfo=dt.timezone.utc)
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        # Arrow's UTC is zoneinfo's; the rows' is datetime.timezone.utc: the same instant
        assert v.utcoffset() == dt.timedelta(0)
        return v.replace(tzinfo=dt.timezone.utc)
    return v


@pytest.mark.parametrize("name", [name for name in VALID if name not in RECURSIVE])
def test_columns_agree_with_rows(name: str) -> None:
    path = str(ROOT / name)
    with Reader(path) as r:
        rows = list(r)
        schema = r.schema
    cols = ta.read_columns(path)
    if not list(cols.keys()):  # a record without fields: rows, but no columns
        assert cols.num_rows == len(rows) and all(r == {} for r in rows)
        return
    got = [_normalise_arrow(row) for row in cols.to_arrow().to_pylist()]
    expected = []
    for row in rows:
        cols: dict[str, Any] = {}
        if schema.type == "record":
            _flatten(schema, row, "", cols)
        else:
            cols["value"] = _arrowish(schema, row)
        expected.append(cols)
    assert len(got) == len(expected)
    diff = _first_difference(got, expected)
    assert diff is None, diff


def test_recursive_files_refuse_columns_clearly() -> None:
    for name in sorted(RECURSIVE):
        with pytest.raises(SchemaError, match="recursive"):
            ta.read_columns(str(ROOT / name))


def test_lenient_parse_keeps_structure_checks_and_escapes_odd_names() -> None:
    import json

    from turboavro.schema import parse_header_schema

    text = json.dumps(
        {
            "type": "record",
            "name": 'we"ird',
            "namespace": "a$b.c-d",
            "fields": [
                {"name": "f\\1", "type": {"type": "enum", "name": "E", "symbols": ["x-y", "1"]}},
                {"name": "n", "type": "int", "default": "not an int"},
            ],
        }
    )
    with pytest.raises(SchemaError):
        Schema.parse(text)
    s = parse_header_schema(text)
    assert s.fullname == 'a$b.c-d.we"ird'
    pcf = json.loads(s.canonical_form)
    assert pcf["name"] == 'a$b.c-d.we"ird'
    assert pcf["fields"][0]["name"] == "f\\1"
    assert pcf["fields"][0]["type"]["symbols"] == ["x-y", "1"]
    # what the codec relies on is still checked
    for bad in (
        {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}] * 2},
        {"type": "enum", "name": "E", "symbols": ["a", "a"]},
        {"type": "fixed", "name": "F", "size": -1},
        {"type": "record", "name": "int", "fields": []},
        ["int", "int"],
    ):
        with pytest.raises(SchemaError):
            parse_header_schema(json.dumps(bad))
    # encoding and decoding work on such a schema
    enc = ta.Encoder(s)
    data = enc.encode({"f\\1": "x-y", "n": 5})
    assert ta.Decoder(s).decode(data) == {"f\\1": "x-y", "n": 5}
    # the invalid default is unusable, not fatal: a record without the field is refused
    with pytest.raises(ta.errors.EncodeError, match="n"):
        enc.encode({"f\\1": "x-y"})
