"""Hostile input (issue 17): one regression test per finding of the fuzzing campaign, built
from a regenerated input, and a resource test per limit of ``turboavro.limits``: a tiny input
must fail fast, with a turboavro error naming the limit, in bounded memory."""
from __future__ import annotations

import io
import json
import resource
import sqlite3
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import turboavro as ta
from hostile import bzip2_bomb, container, nested_arrays, zigzag
from turboavro import (
    Catalog,
    Decoder,
    Encoder,
    Reader,
    Schema,
    check_compatibility,
    json_decode,
    json_encode,
    limits,
    read_columns,
)
from turboavro.errors import AvroError, CatalogError, CodecError, DecodeError, SchemaError

EMPTY = {"type": "record", "name": "E", "fields": []}
NULLS = {"type": "array", "items": "null"}
TIME_MILLIS = {"type": "int", "logicalType": "time-millis"}
DATE = {"type": "int", "logicalType": "date"}
SEVEN_BYTE_ZERO = b"\x80\x80\x80\x80\x80\x80\x00"  # 0 as a 7-byte varint: too long for an int


def bounded(fn: Callable[[], Any], *, mib: float = 64, seconds: float = 20) -> None:
    """Run ``fn`` (which must raise an AvroError) and check it allocated at most ``mib`` MiB
    of Python memory at its peak and took less than a generous ``seconds``."""
    tracemalloc.start()
    t = time.perf_counter()
    try:
        with pytest.raises(AvroError) as info:
            fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < mib * 2**20, f"peak {peak / 2**20:.1f} MiB"
    assert time.perf_counter() - t < seconds
    return info.value


# -- logical types keep their underlying type's checks -----------------------------------------


@pytest.mark.parametrize("schema", [TIME_MILLIS, DATE])
def test_int_logical_types_keep_the_int_range_and_length(schema: dict) -> None:
    huge = zigzag(2**62)  # was decoded as time(0, 0): a long read where an int belongs
    for data in (huge, SEVEN_BYTE_ZERO):
        with pytest.raises(DecodeError, match="overlong|out of range"):
            Decoder(schema).decode(data)
        with pytest.raises(DecodeError):
            Decoder("int").decode(data)
    # the same when the value is skipped (a writer field the reader drops)
    writer = {"type": "record", "name": "R", "fields": [{"name": "t", "type": schema},
                                                         {"name": "x", "type": "int"}]}
    reader = {"type": "record", "name": "R", "fields": [{"name": "x", "type": "int"}]}
    with pytest.raises(DecodeError):
        Decoder(writer, reader).decode(huge + b"\x02")
    assert Decoder(writer, reader).decode(b"\x02\x04") == {"x": 2}
    # columns and JSON agree
    for data in (huge, SEVEN_BYTE_ZERO):
        with pytest.raises(DecodeError):
            read_columns(container(writer, [(1, data + b"\x02")]))
    with pytest.raises(DecodeError, match="out of range for int"):
        json_decode(str(2**40), schema)
    # and in-range values still read
    assert Decoder(TIME_MILLIS).decode(zigzag(1000)).isoformat() == "00:00:01"
    assert str(Decoder(DATE).decode(zigzag(-1))) == "1969-12-31"


@pytest.mark.parametrize("unit", ["timestamp-millis", "timestamp-micros", "timestamp-nanos",
                                  "local-timestamp-millis", "local-timestamp-nanos"])
def test_extreme_timestamps_are_range_errors(unit: str) -> None:
    # INT64_MIN used to overflow inside the conversion (UBSan); now a clean range error
    import datetime as dt

    schema = {"type": "long", "logicalType": unit}
    for v in (-(2**63), -(2**63) + 1, 2**63 - 1):
        if unit.endswith("nanos"):  # +-292 years: in range, floored to microseconds
            got = Decoder(schema).decode(zigzag(v))
            assert got.replace(tzinfo=None) == dt.datetime(1970, 1, 1) + dt.timedelta(
                microseconds=v // 1000)
        else:
            with pytest.raises(DecodeError, match="outside Python datetime's range"):
                Decoder(schema).decode(zigzag(v))
        assert Decoder(schema, logical=False).decode(zigzag(v)) == v
    cols = read_columns(container(schema, [(2, zigzag(-(2**63)) + zigzag(2**63 - 1))]))
    assert cols.num_rows == 2
    # floor semantics for negative values just below whole seconds
    assert Decoder({"type": "long", "logicalType": "timestamp-millis"}).decode(
        zigzag(-1)).isoformat() == "1969-12-31T23:59:59.999000+00:00"


def test_empty_values_encode_without_touching_null_buffers() -> None:
    # memcpy from NULL with length 0 (UBSan): empty bytes, an encoding of nothing
    assert Encoder("bytes").encode(b"") == b"\x00"
    assert Encoder({"type": "fixed", "name": "F", "size": 0}).encode(b"") == b""
    out = bytearray()
    assert Encoder("null").encode_many_into([None] * 3, out) == 3 and out == b""
    assert Encoder(EMPTY).encode_many_into([{}, {}], out) == 2 and out == b""
    cols = read_columns(container({"type": "record", "name": "R", "fields": [
        {"name": "b", "type": "bytes"}, {"name": "f", "type": {"type": "fixed", "name": "Z",
                                                                "size": 0}}]}, [(2, b"\x00\x00")]))
    buf = io.BytesIO()
    ta.write_columns(buf, cols)
    assert [r["b"] for r in Reader(io.BytesIO(buf.getvalue()))] == [b"", b""]


# -- amplification: zero-byte records and items ------------------------------------------------


def test_zero_byte_records_per_block() -> None:
    # 2**28 empty records declared in a ~100-byte file: rows and columns refuse the block
    data = container(EMPTY, [(2**28, b"")])
    assert len(data) < 128
    err = bounded(lambda: list(Reader(io.BytesIO(data))))
    assert "max_block_records=16777216" in str(err) and "limits.configure" in str(err)
    bounded(lambda: read_columns(data))
    bounded(lambda: next(ta.Reader(io.BytesIO(data)).iter_batches(1000)))
    # within the limit they read (and the limit is configurable)
    with limits.override(max_block_records=1000):
        assert len(list(Reader(io.BytesIO(container(EMPTY, [(1000, b"")]))))) == 1000
        with pytest.raises(DecodeError, match="max_block_records=1000"):
            list(Reader(io.BytesIO(container(EMPTY, [(1001, b"")]))))


def test_zero_byte_records_per_file() -> None:
    # many small blocks of empty records add up: the per-file limit stops them
    data = container(EMPTY, [(1000, b"")] * 50)
    with limits.override(max_file_records=20_000):
        with pytest.raises(DecodeError, match="max_file_records=20000"):
            list(Reader(io.BytesIO(data)))
        with pytest.raises(DecodeError, match="max_file_records=20000"):
            read_columns(data)
        with pytest.raises(DecodeError, match="max_file_records=20000"):
            list(Reader(io.BytesIO(data)).iter_batches(5000))
    assert len(list(Reader(io.BytesIO(data)))) == 50_000
    # the null-record validity: a record of one null field, 2**31 of them
    nullrec = {"type": "record", "name": "N", "fields": [{"name": "a", "type": "null"}]}
    bounded(lambda: read_columns(container(nullrec, [(2**31, b"")])))


def test_zero_byte_items_in_one_datum() -> None:
    # a 36-byte datum declaring ten million nulls (was built: 690 MB)
    datum = zigzag(10_000_000) * 7 + zigzag(0)
    err = bounded(lambda: Decoder(NULLS).decode(datum))
    assert "max_zero_byte_items=1048576" in str(err)
    # counted per datum, not per collection (AVRO-4241): many arrays of a record add up
    rec = {"type": "record", "name": "R", "fields": [
        {"name": f"a{i}", "type": NULLS} for i in range(16)]}
    bounded(lambda: Decoder(rec).decode((zigzag(900_000) + zigzag(0)) * 16))
    assert Decoder(NULLS).decode(zigzag(1000) + zigzag(0)) == [None] * 1000
    assert len(Decoder(NULLS, max_zero_size_items=2_000_000).decode(
        zigzag(1_500_000) + zigzag(0))) == 1_500_000


def test_zero_byte_items_per_file_rows_and_columns() -> None:
    # 2000 blocks of one array<null> of a million items each, 8 KB per 1000 blocks (the
    # column reader used to try to allocate 31 GiB after 80 s)
    data = container(NULLS, [(1, zigzag(1_000_000) + zigzag(0))] * 2000)
    assert len(data) < 50_000
    err = bounded(lambda: read_columns(data), mib=160)
    assert "max_file_zero_byte_items" in str(err)
    bounded(lambda: read_columns(data, threads=2), mib=160)
    err = bounded(lambda: sum(len(r) for r in Reader(io.BytesIO(data))), mib=160)
    assert "max_file_zero_byte_items" in str(err)


def test_single_object_amplification() -> None:
    from turboavro import single_object

    schema = Schema.parse(NULLS)
    store = {schema.fingerprint("CRC-64-AVRO"): schema}
    msg = single_object.encode([], schema)[:-1] + zigzag(2**27) + zigzag(0)
    assert len(msg) < 30
    bounded(lambda: single_object.decode(msg, store))


def test_first_record_does_not_wait_for_the_whole_block() -> None:
    zstandard = pytest.importorskip("zstandard")
    n = 1 << 23  # 2**23 one-byte records in one block of a few hundred bytes
    block = zstandard.ZstdCompressor().compress(b"\x02" * n)
    data = container("int", [(n, block)], "zstandard")
    assert len(data) < 1024
    with limits.override(max_expansion_ratio=1 << 20):
        tracemalloc.start()
        t = time.perf_counter()
        it = iter(Reader(io.BytesIO(data)))
        assert next(it) == 1
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 48 * 2**20  # the 8 MiB block and one run, not 8 million ints
        assert time.perf_counter() - t < 10
        assert sum(1 for _ in it) == n - 1
    # a run boundary inside a block keeps error positions and partial records right
    with limits.override(max_expansion_ratio=1 << 20):
        bad = container("int", [(40_000, b"\x02" * 39_999 + b"\x80")])
        with pytest.raises(DecodeError, match="record 39999 of the block") as info:
            Reader(io.BytesIO(bad)).read_all()
        assert len(info.value.partial) == 39_999
        extra = container("int", [(40_000, b"\x02" * 40_001)])
        with pytest.raises(DecodeError, match="trailing"):
            list(Reader(io.BytesIO(extra)))
        r = Reader(io.BytesIO(extra), on_corruption="skip")
        assert len(list(r)) == 40_000 and len(r.skipped) == 1


def test_bzip2_bomb_stops_at_the_expansion_bound() -> None:
    bomb = bzip2_bomb(32 << 20)  # 32 MiB of zeros in a few dozen bytes
    assert len(bomb) < 1024
    data = container("int", [(1, bomb)], "bzip2")
    for read in (lambda: list(Reader(io.BytesIO(data))), lambda: read_columns(data)):
        t = time.perf_counter()
        err = bounded(read)
        assert isinstance(err, CodecError) and "max_expansion_ratio=4096" in str(err)
        assert time.perf_counter() - t < 5
    # the Python fallback codec applies the same bound
    import bz2

    from turboavro.codecs import _FALLBACK_CLASSES
    py = _FALLBACK_CLASSES["bzip2"](bz2)
    with pytest.raises(CodecError, match="max_expansion_ratio"):
        py.decompress(bomb, 1 << 30)
    # a real block of repetitive data (1164x) is far from the bound
    assert len(py.decompress(bz2.compress(b"abc" * 1_000_000), 1 << 30)) == 3_000_000


def test_block_size_limit_is_configurable() -> None:
    data = container("bytes", [(1, zigzag(5000) + b"x" * 5000)])
    with limits.override(max_block_size=4096):
        with pytest.raises(AvroError, match="max_block_size=4096"):
            list(Reader(io.BytesIO(data)))
    assert list(Reader(io.BytesIO(data))) == [b"x" * 5000]
    assert list(Reader(io.BytesIO(data), max_block_size=10_000)) == [b"x" * 5000]


def test_block_counts_summing_past_int64() -> None:
    # split_runs added block counts in a signed 64-bit sum (UBSan)
    data = container("null", [(2**62, b""), (2**62, b""), (2**62, b"")])
    for threads in (1, 2):
        bounded(lambda t=threads: read_columns(data, threads=t))


def test_collection_items_limit() -> None:
    d = Decoder({"type": "array", "items": "int"}, max_collection_items=10)
    assert d.decode(zigzag(10) + b"\x02" * 10 + b"\x00") == [1] * 10
    with pytest.raises(DecodeError, match="max_collection_items=10"):
        d.decode(zigzag(11) + b"\x02" * 11 + b"\x00")
    with limits.override(max_collection_items=5):
        with pytest.raises(DecodeError, match="max_collection_items=5"):
            Decoder({"type": "map", "values": "int"}).decode(zigzag(6) + b"\x02a\x02" * 6 + b"\x00")


def test_data_nesting_limit() -> None:
    node = {"type": "record", "name": "L", "fields": [{"name": "n", "type": ["null", "L"]}]}
    deep = b"\x02" * 1000 + b"\x00"
    bounded(lambda: Decoder(node).decode(deep))
    bounded(lambda: read_columns(container(node, [(1, deep)])))
    with limits.override(max_data_depth=2000):
        assert Decoder(node).decode(deep) is not None
    # deeper than max_json_depth: refused before json.loads recurses through it
    with pytest.raises(DecodeError, match="max_json_depth=512"):
        json_decode('{"n":' * 1000 + "null" + "}" * 1000, node)
    with limits.override(max_json_depth=100_000), pytest.raises(DecodeError, match="nested too deeply"):
        json_decode('{"n":' * 50_000 + "null" + "}" * 50_000, node)  # json.loads' own bound
    with pytest.raises(DecodeError, match="max_json_depth=512"):
        json_decode('{"n":{"L":' * 300 + '{"n":null}' + "}}" * 300, node)
    assert json_decode('{"n":{"L":' * 100 + '{"n":null}' + "}}" * 100, node)["n"]["n"] is not None


# -- schemas: what the parser accepts, the rest handles -----------------------------------------


def test_schema_nesting_limit_and_what_the_parser_accepts_works_everywhere() -> None:
    with pytest.raises(SchemaError, match="max_schema_depth=128"):
        Schema.parse(nested_arrays(500))  # was accepted, then RecursionError in Decoder
    with pytest.raises(SchemaError, match="max_schema_depth"):
        Schema.parse(json.dumps(nested_arrays(129)))
    # from a container header
    data = container(nested_arrays(500), [])
    with pytest.raises(AvroError, match="max_schema_depth"):
        Reader(io.BytesIO(data))
    # the deepest accepted schema of each shape works in the codec, resolver, checker, JSON
    deep_union: Any = "int"
    for _ in range(63):
        deep_union = ["null", {"type": "array", "items": deep_union}]
    for s in (nested_arrays(127), deep_union):
        schema = Schema.parse(s)
        value = None if isinstance(s, list) else []
        assert Decoder(schema, schema).decode(Encoder(schema).encode(value)) == value
        assert json_decode(json_encode(value, schema), schema) == value
        assert check_compatibility(schema, schema).compatible
        assert read_columns(container(s, [(1, Encoder(schema).encode(value))])).num_rows == 1
    # JSON nesting of properties and defaults
    with pytest.raises(SchemaError, match="max_json_depth"):
        Schema.parse({"type": "int", "x": json.loads("[" * 600 + "]" * 600)})


def test_recursive_record_default_that_never_ends() -> None:
    node = {"type": "record", "name": "Node", "fields": [
        {"name": "v", "type": "int", "default": 0},
        {"name": "next", "type": ["null", "Node"], "default": {}}]}
    for make in (lambda: Schema.parse(node), lambda: Encoder(node),
                 lambda: Decoder({"type": "record", "name": "Node", "fields": []}, node),
                 lambda: json_decode('{"v": 1}', node)):
        with pytest.raises(SchemaError, match="never ends"):
            make()
    # a finite default of the same shape is fine
    ok = json.loads(json.dumps(node).replace('"default": {}', '"default": {"next": null}'))
    assert Decoder({"type": "record", "name": "Node", "fields": []}, ok).decode(b"") == {
        "v": 0, "next": {"v": 0, "next": None}}


def test_decimal_precision_and_defaults() -> None:
    # precision >= 2**31 (OverflowError in the Encoder): not a valid decimal, as in Java
    big = {"type": "bytes", "logicalType": "decimal", "precision": 2**31}
    assert Schema.parse(big).logical_type is None
    assert Encoder(big).encode(b"\x01") == b"\x02\x01"
    assert Schema.parse({**big, "precision": 2**31 - 1}).logical_type == "decimal"
    # a default beyond the precision (was the internal _codec._Failure): the field has no
    # usable default, so a record without it is refused with a turboavro error
    rec = {"type": "record", "name": "R", "fields": [{"name": "d", "type": {
        "type": "bytes", "logicalType": "decimal", "precision": 2}, "default": "\u007f\u00ff"}]}
    with pytest.raises(ta.EncodeError, match="missing required field 'd'"):
        Encoder(rec).encode({})
    assert Encoder(rec).encode({"d": b"\x01"}) == b"\x02\x01"
    with pytest.raises(ta.EncodeError):
        ta.Writer(io.BytesIO(), rec).write({})


@pytest.mark.parametrize("field_type, default, underlying", [
    # the fuzzer's finding: a union of a uuid string and a fixed, its default a bare ""
    ([{"type": "string", "logicalType": "uuid"}, {"type": "fixed", "name": "F", "size": 10}],
     "", b"\x00\x00"),
    ({"type": "int", "logicalType": "date"}, 2**31 - 1, b"\xfe\xff\xff\xff\x0f"),
    ({"type": "long", "logicalType": "timestamp-millis"}, 2**62, b"\x80" * 9 + b"\x01"),
])
def test_default_without_a_logical_value(field_type: Any, default: Any, underlying: bytes) -> None:
    # was ValueError / OverflowError from Encoder() and Decoder(): the parser checks defaults
    # against the underlying type only (as Java does), so a default may have no Python value
    # of its logical type
    rec = {"type": "record", "name": "R", "fields": [
        {"name": "a", "type": field_type, "default": default}]}
    enc = Encoder(rec)  # writers: the field has no usable default
    with pytest.raises(ta.EncodeError, match="missing required field 'a'"):
        enc.encode({})
    with pytest.raises(ta.DecodeError, match="missing field 'a'"):
        ta.json_decode("{}", rec)
    assert Encoder(rec, logical=False).encode({}) == underlying
    old = {"type": "record", "name": "R", "fields": []}
    with pytest.raises(SchemaError, match="invalid default for field 'a'.*logical=False"):
        ta.Decoder(old, rec)  # a reader that needs it for every record
    assert ta.Decoder(old, rec, logical=False).decode(b"") == {"a": default}
    s = Schema.parse(rec)  # the fuzz harness's chain
    assert Schema.parse(json.dumps(s.to_json())) == s
    ta.Decoder(s, s)
    ta.check_compatibility(s, s)


def test_header_default_of_no_branch_stays_a_resolution_error() -> None:
    # only a leniently parsed header schema has one; the rule above (no usable default) is for
    # logical values only, not for a default that matches no branch of its union
    from turboavro.schema import parse_header_schema

    s = parse_header_schema(json.dumps({"type": "record", "name": "R", "fields": [
        {"name": "a", "type": ["null", "int"], "default": "x"}]}))
    with pytest.raises(ta.SchemaResolutionError, match="matches no branch"):
        Encoder(s)
    with pytest.raises(ta.SchemaResolutionError, match="matches no branch"):
        ta.json_encode({}, s)


def test_empty_union_in_columns() -> None:
    assert read_columns(container([], [])).num_rows == 0
    with pytest.raises(DecodeError, match="union branch index"):
        read_columns(container([], [(1, b"\x00")]))
    with pytest.raises(DecodeError):
        Decoder([]).decode(b"\x00")


# -- catalog import -----------------------------------------------------------------------------


def _export(tmp_path: Path) -> Path:
    cat = Catalog(tmp_path / "a.db")
    cat.register("s", {"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]})
    cat.register("s", {"type": "record", "name": "A", "fields": [
        {"name": "x", "type": "int"}, {"name": "y", "type": "int", "default": 0}]})
    out = cat.export_dir(tmp_path / "export")
    cat.close()
    return out


def _damage(root: Path, how: str) -> None:
    index_path = root / "index.json"
    index = json.loads(index_path.read_text())
    versions = next(iter(index["subjects"].values()))["versions"]
    avsc = next(root.rglob("v1.avsc"))
    if how == "id_text":
        versions[0]["id"] = "one"  # ValueError
    elif how == "id_list":
        versions[0]["id"] = [1]  # TypeError
    elif how == "huge_id":
        versions[0]["id"] = 2**70  # OverflowError in sqlite
    elif how == "dup_version":
        versions[1]["version"] = versions[0]["version"]  # IntegrityError
    elif how == "next_id":
        index["next_id"] = "x"
    elif how == "deep":
        index_path.write_text('{"format": ' + "[" * 100_000 + "]" * 100_000 + "}")
        return
    elif how == "latin1":
        avsc.write_bytes(b'"\xff\xfe"')  # UnicodeDecodeError
    elif how == "deep_schema":
        avsc.write_text(json.dumps(nested_arrays(600)))
    elif how == "metadata":
        versions[0]["metadata"] = {"x": float("nan")}
    index_path.write_text(json.dumps(index))


@pytest.mark.parametrize("how", ["id_text", "id_list", "huge_id", "dup_version", "next_id", "deep",
                                 "latin1", "deep_schema", "metadata"])
def test_damaged_catalog_export_is_a_catalog_error(tmp_path: Path, how: str) -> None:
    root = _export(tmp_path)
    _damage(root, how)
    cat = Catalog(tmp_path / "b.db")
    try:
        with pytest.raises(CatalogError):
            cat.import_dir(root)
        # nothing half-imported: the catalog is still empty and usable
        assert cat.subjects() == []
    finally:
        cat.close()


def _export_with_reference(tmp_path: Path, name: str, a_fields: list[dict[str, Any]]) -> Path:
    """An export of subject "a" (id 1, record A with ``a_fields``) and subject "b" (id 2, a
    record whose field has type A through a reference to a v1)."""
    cat = Catalog(tmp_path / f"{name}.db")
    cat.register("a", {"type": "record", "name": "A", "fields": a_fields})
    cat.register("b", {"type": "record", "name": "B", "fields": [{"name": "a", "type": "A"}]},
                 references=[{"name": "A", "subject": "a", "version": 1}])
    out = cat.export_dir(tmp_path / name)
    cat.close()
    return out


def test_failed_import_forgets_the_schemas_it_resolved(tmp_path: Path) -> None:
    # Found while making the catalog_import fuzz harness reuse one catalog: an import that
    # failed after resolving a reference kept the referenced schema in the catalog's id cache
    # past its rollback, so the next import into the same catalog resolved its id 1 to the
    # old schema (and refused b's fingerprint, or stored b expanded with the wrong A).
    first = _export_with_reference(tmp_path, "first", [{"name": "x", "type": "int"}])
    index = json.loads((first / "index.json").read_text())
    index["next_id"] = 1  # refused only after every version was imported
    (first / "index.json").write_text(json.dumps(index))
    second = _export_with_reference(tmp_path, "second", [{"name": "y", "type": "string"}])
    cat = Catalog(tmp_path / "target.db")
    try:
        with pytest.raises(CatalogError, match="next_id"):
            cat.import_dir(first)
        assert cat.subjects() == []
        assert cat.import_dir(second) == 2
        b = cat.schema_by_id(2)
        assert b.fields[0].type.fields[0].name == "y"
        with Catalog(tmp_path / "second.db") as original:
            assert b.canonical_form == original.schema_by_id(2).canonical_form
    finally:
        cat.close()


def test_resource_helper_sees_the_process() -> None:
    # getrusage gives the process' high-water mark: every test above ran well below it
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 4 * 2**20  # KiB: < 4 GiB
    assert sqlite3.sqlite_version  # the catalog's engine is present


def test_limits_table() -> None:
    t = limits.get()
    assert t.max_block_size == 256 * 2**20 and t.max_schema_depth == 128
    with pytest.raises(ValueError, match="unknown limit"):
        limits.configure(max_nothing=1)
    with pytest.raises(ValueError, match="positive int"):
        limits.configure(max_block_size=0)
    before = limits.get()
    with limits.override(max_data_depth=7) as now:
        assert now.max_data_depth == 7 == limits.get().max_data_depth
        assert Decoder("int").max_depth == 7
    assert limits.get() == before
    doc = (Path(__file__).parent.parent / "docs" / "guide" / "limits.md").read_text()
    for name in (f.name for f in __import__("dataclasses").fields(limits.Limits)):
        assert f"`{name}`" in doc, name


def test_decimal_beyond_precision_reads_but_does_not_write() -> None:
    # found by the decode and json_decode harnesses: a datum's unscaled value may exceed the
    # precision; it is read (as Java reads it) and refused on writing, with turboavro errors
    import decimal

    schema = {"type": "bytes", "logicalType": "decimal", "precision": 2, "scale": 1}
    value = Decoder(schema).decode(b"\x04\x30\x39")  # unscaled 12345
    assert value == decimal.Decimal("1234.5")
    with pytest.raises(ta.EncodeError, match="precision 2"):
        Encoder(schema).encode(value)
    assert json_decode(json_encode(b"\x30\x39", {"type": "bytes"}), schema) == value
    with pytest.raises(ta.EncodeError, match="precision 2"):
        json_encode(value, schema)
