"""The facade follows fastavro where programs see it: error classes and texts, non-strict
UTF-8 decoding, custom logical types in unions and in ``json_reader``, union tags. Each case
runs the same call on fastavro and on ``turboavro.fastavro`` and compares."""
from __future__ import annotations

import io
import json
import pickle
from collections.abc import Iterator
from typing import Any

import fastavro as real
import pytest

import turboavro.fastavro as fa
from turboavro import errors

BOTH = pytest.mark.parametrize("lib", [real, fa], ids=["fastavro", "facade"])


def _file(lib: Any, schema: Any, records: list[Any], **kw: Any) -> io.BytesIO:
    bio = io.BytesIO()
    lib.writer(bio, schema, records, **kw)
    bio.seek(0)
    return bio


# -- handle_unicode_errors ---------------------------------------------------------------------

BAD = b"\xa1foo\xff"


@pytest.mark.parametrize("how", ["replace", "ignore"])
def test_schemaless_unicode_errors_match_fastavro(how: str) -> None:
    data = b"\x0a" + BAD
    got = [lib.schemaless_reader(io.BytesIO(data), "string", handle_unicode_errors=how)
           for lib in (real, fa)]
    assert got[0] == got[1] == BAD.decode("utf-8", how)


def test_invalid_utf8_is_unicode_decode_error_and_decode_error() -> None:
    with pytest.raises(UnicodeDecodeError) as theirs:
        real.schemaless_reader(io.BytesIO(b"\x0a" + BAD), "string")
    with pytest.raises(UnicodeDecodeError) as ours:
        fa.schemaless_reader(io.BytesIO(b"\x0a" + BAD), "string")
    assert isinstance(ours.value, errors.DecodeError)
    assert (ours.value.start, ours.value.end, ours.value.reason) == (
        theirs.value.start, theirs.value.end, theirs.value.reason)
    assert ours.value.offset == 1
    # errors cross process boundaries (dask workers): the copy is the same
    copy = pickle.loads(pickle.dumps(ours.value))
    assert type(copy) is type(ours.value) and str(copy) == str(ours.value)
    assert (copy.start, copy.offset, copy.path) == (ours.value.start, 1, ours.value.path)
    # the plain API keeps its own error
    with pytest.raises(errors.DecodeError) as plain:
        from turboavro import Schema
        from turboavro.codec import Decoder

        Decoder(Schema.parse('"string"')).decode(b"\x0a" + BAD)
    assert not isinstance(plain.value, UnicodeDecodeError)


SCHEMA = {"type": "record", "name": "R", "fields": [
    {"name": "a", "type": "string"},
    {"name": "b", "type": ["null", "string"]},
    {"name": "c", "type": {"type": "array", "items": "string"}},
    {"name": "m", "type": {"type": "map", "values": "string"}},
]}
READER = dict(SCHEMA, fields=[*SCHEMA["fields"],
                              {"name": "d", "type": "string", "default": "héllo ✓"}])


def _bad_file() -> io.BytesIO:
    """A container file whose strings are not all UTF-8: ASCII stand-ins of BAD's length,
    replaced in the written bytes (the framing is unchanged)."""
    stand_in = "Zfoo9"
    rows = [{"a": stand_in, "b": stand_in, "c": ["ok", stand_in], "m": {"k": stand_in}},
            {"a": "fine", "b": None, "c": [], "m": {}}]
    data = _file(real, SCHEMA, rows).getvalue().replace(stand_in.encode(), BAD)
    return io.BytesIO(data)


@pytest.mark.parametrize("reader_schema", [None, READER], ids=["writer", "reader"])
@pytest.mark.parametrize("how", ["replace", "ignore"])
def test_file_reader_unicode_errors_match_fastavro(how: str, reader_schema: Any) -> None:
    got = [list(lib.reader(_bad_file(), reader_schema, handle_unicode_errors=how))
           for lib in (real, fa)]
    assert got[0] == got[1]
    text = BAD.decode("utf-8", how)
    assert got[1][0]["a"] == got[1][0]["b"] == got[1][0]["c"][1] == got[1][0]["m"]["k"] == text
    if reader_schema is not None:
        assert got[1][1]["d"] == "héllo ✓"
    with pytest.raises(UnicodeDecodeError):
        list(fa.reader(_bad_file(), reader_schema))


def test_unicode_errors_option_is_checked() -> None:
    with pytest.raises(ValueError, match="handle_unicode_errors"):
        fa.reader(_file(fa, "string", ["x"]), handle_unicode_errors="bogus")


# -- resolution errors in fastavro's words --------------------------------------------------

ENUM_ABC = {"type": "enum", "name": "ns.E", "symbols": ["A", "B", "C"]}
ENUM_AB = {"type": "enum", "name": "ns.E", "symbols": ["A", "B"]}


def _error(lib: Any, fn: Any) -> BaseException:
    with pytest.raises(Exception) as info:
        fn(lib)
    return info.value


def test_unknown_enum_symbol_error_matches_fastavro() -> None:
    def read(lib: Any) -> Any:
        return list(lib.reader(_file(real, ENUM_ABC, ["A", "C"]), ENUM_AB))

    theirs, ours = _error(real, read), _error(fa, read)
    assert isinstance(ours, fa.read.SchemaResolutionError)
    assert isinstance(ours, errors.DecodeError) and isinstance(ours, errors.SchemaResolutionError)
    assert str(theirs) == "C not found in reader symbol list ns.E, known symbols: ['A', 'B']"
    assert str(ours).startswith(str(theirs) + " in record 1 of the block")


def test_missing_default_error_matches_fastavro() -> None:
    writer = {"type": "record", "name": "ns.R", "fields": [{"name": "a", "type": "int"}]}
    reader = {"type": "record", "name": "ns.R", "fields": [
        {"name": "a", "type": "int"},
        {"name": "sub", "type": {"type": "record", "name": "ns.S", "fields": []}, "default": {}},
    ]}
    nested = {"type": "record", "name": "ns.R", "fields": [{"name": "a", "type": "int"},
                                                          {"name": "z", "type": "long"}]}

    def read(lib: Any) -> Any:
        return list(lib.reader(_file(real, writer, [{"a": 1}]), nested))

    theirs, ours = _error(real, read), _error(fa, read)
    assert str(theirs) == str(ours) == "No default value for field z in ns.R"
    assert isinstance(ours, fa.read.SchemaResolutionError)
    assert isinstance(ours, errors.SchemaResolutionError)
    assert list(fa.reader(_file(real, writer, [{"a": 1}]), reader)) == [{"a": 1, "sub": {}}]


def test_json_reader_missing_field_error_matches_fastavro() -> None:
    schema = {"type": "record", "name": "R", "fields": [{"name": "s", "type": "string"}]}
    for lib in (real, fa):
        with pytest.raises(ValueError, match="^no value and no default"):
            next(lib.json_reader(io.StringIO("{}"), schema))


def test_wrong_type_for_string_is_type_error_with_fastavro_words() -> None:
    schema = {"type": "record", "name": "R", "fields": [{"name": "f", "type": "string"}]}
    for lib in (real, fa):
        with pytest.raises(TypeError, match="must be string"):
            lib.schemaless_writer(io.BytesIO(), schema, {"f": None})


# -- unions ---------------------------------------------------------------------------------

UNION_AB = {"type": "record", "name": "ns.T", "fields": [{"name": "v", "type": [
    {"type": "record", "name": "A", "fields": [{"name": "f", "type": "int"}]},
    {"type": "record", "name": "B", "fields": [{"name": "f", "type": "string"}]},
]}]}


@BOTH
def test_union_tuples_name_branches_by_full_name(lib: Any) -> None:
    with pytest.raises(ValueError):
        lib.writer(io.BytesIO(), UNION_AB, [{"v": ("A", {"f": 1})}])
    bio = _file(lib, UNION_AB, [{"v": ("ns.A", {"f": 1})}, {"v": ("ns.B", {"f": "x"})}])
    assert list(fa.reader(bio)) == [{"v": {"f": 1}}, {"v": {"f": "x"}}]


ENUM_REF = {"type": "record", "name": "R", "fields": [
    {"name": "foo", "type": {"type": "enum", "name": "Foo", "symbols": ["A", "B"]}},
    {"name": "u", "type": ["null", "Foo"]},
    {"name": "w", "type": ["null", {"type": "enum", "name": "Bar", "symbols": ["X"]}]},
]}


def test_return_record_name_tags_named_types_referenced_in_unions() -> None:
    rows = [{"foo": "A", "u": "B", "w": "X"}, {"foo": "B", "u": None, "w": None}]
    got = [list(lib.reader(_file(lib, ENUM_REF, rows), return_record_name=True))
           for lib in (real, fa)]
    assert got[0] == got[1] == [{"foo": "A", "u": ("Foo", "B"), "w": "X"},
                                {"foo": "B", "u": None, "w": None}]


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y


POINT = {"type": "record", "name": "Point", "logicalType": "point",
         "fields": [{"name": "x", "type": "int"}, {"name": "y", "type": "int"}]}


@pytest.fixture
def point_type() -> Iterator[None]:
    def prepare(p: Any, schema: Any) -> Any:
        return {"x": p.x, "y": p.y} if isinstance(p, Point) else p

    def read(d: Any, *schemas: Any) -> Any:
        return (d["x"], d["y"])

    for lib in (real, fa):
        lib.write.LOGICAL_WRITERS["record-point"] = prepare
        lib.read.LOGICAL_READERS["record-point"] = read
    yield
    for lib in (real, fa):
        del lib.write.LOGICAL_WRITERS["record-point"]
        del lib.read.LOGICAL_READERS["record-point"]


@pytest.mark.usefixtures("point_type")
def test_custom_logical_writer_on_a_union_record_branch() -> None:
    schema = ["float", POINT]
    out = []
    for lib in (real, fa):
        bio = io.BytesIO()
        lib.schemaless_writer(bio, schema, Point(3, -4))
        lib.schemaless_writer(bio, schema, 1.5)
        out.append(bio.getvalue())
    assert out[0] == out[1] == b"\x02\x06\x07" + b"\x00\x00\x00\xc0\x3f"
    bio = io.BytesIO(out[1])
    assert fa.schemaless_reader(bio, schema) == (3, -4)
    assert fa.schemaless_reader(bio, schema) == 1.5


@pytest.mark.usefixtures("point_type")
def test_json_reader_applies_custom_logical_readers() -> None:
    schema = {"type": "record", "name": "R", "fields": [{"name": "p", "type": POINT}]}
    text = json.dumps({"p": {"x": 1, "y": 2}})
    got = [list(lib.json_reader(io.StringIO(text), schema)) for lib in (real, fa)]
    assert got[0] == got[1] == [{"p": (1, 2)}]
    # through a reader schema too
    reader = {"type": "record", "name": "R", "fields": [
        {"name": "p", "type": POINT}, {"name": "q", "type": "int", "default": 7}]}
    got = [list(lib.json_reader(io.StringIO(text), schema, reader)) for lib in (real, fa)]
    assert got[0] == got[1] == [{"p": (1, 2), "q": 7}]


def test_writer_leaves_every_block_in_the_file_and_no_thread() -> None:
    import threading

    from turboavro.bench import MIXED_SCHEMA, mixed_records

    rows = mixed_records(2000)
    before = {t.name for t in threading.enumerate()}
    bio = io.BytesIO()
    fa.writer(bio, MIXED_SCHEMA, rows, codec="deflate")
    assert not {t.name for t in threading.enumerate()} - before
    assert list(real.reader(io.BytesIO(bio.getvalue()))) == rows
    # an error part-way: the blocks written before it are readable
    bad = [*rows, {"no": "such record"}]
    bio = io.BytesIO()
    with pytest.raises((TypeError, ValueError)):
        fa.writer(bio, MIXED_SCHEMA, bad, codec="deflate")
    got = list(real.reader(io.BytesIO(bio.getvalue())))
    assert 0 < len(got) < len(rows) and got == rows[:len(got)]
    # the Writer class: dump/flush put every block in the file
    bio = io.BytesIO()
    w = fa.write.Writer(bio, fa.parse_schema(MIXED_SCHEMA), codec="deflate")
    for r in rows:
        w.write(r)
    w.flush()
    assert list(real.reader(io.BytesIO(bio.getvalue()))) == rows


def test_json_reader_returns_float_numbers_as_written() -> None:
    schema = {"type": "record", "name": "R", "fields": [
        {"name": "f", "type": "float"}, {"name": "u", "type": ["null", "float"]},
        {"name": "a", "type": {"type": "array", "items": "float"}}]}
    rows = [{"f": 2.2, "u": 0.3, "a": [1.1, 1e-3]}]
    for lib in (real, fa):
        out = io.StringIO()
        lib.json_writer(out, schema, rows)
        assert list(lib.json_reader(io.StringIO(out.getvalue()), schema)) == rows
    # through a reader schema the facade resolves with the binary codec: 32-bit floats
    reader = dict(schema, fields=[*schema["fields"], {"name": "g", "type": "int", "default": 1}])
    got = list(fa.json_reader(io.StringIO(out.getvalue()), schema, reader))
    assert got[0]["f"] == 2.200000047683716 and got[0]["g"] == 1
    # the binary reader gives the 32-bit value, as before
    bio = io.BytesIO()
    fa.schemaless_writer(bio, "float", 2.2)
    assert fa.schemaless_reader(io.BytesIO(bio.getvalue()), "float") == 2.200000047683716


def test_json_writer_and_reader_pass_primitive_values_unchecked() -> None:
    from turboavro.json_codec import from_json_value, to_json_value

    schema = {"type": "record", "name": "R", "fields": [
        {"name": "id", "type": "string"}, {"name": "n", "type": "int"},
        {"name": "u", "type": ["null", "string"]}]}
    rows = [{"id": 1234, "n": "7", "u": "x"}]
    texts = []
    for lib in (real, fa):
        out = io.StringIO()
        lib.json_writer(out, schema, rows)
        texts.append(json.loads(out.getvalue()))
        assert list(lib.json_reader(io.StringIO(out.getvalue()), schema)) == rows
        with pytest.raises(lib.validation.ValidationError):  # validator=True checks them
            lib.json_writer(io.StringIO(), schema, rows, validator=True)
    assert texts[0] == texts[1] == {"id": 1234, "n": "7", "u": {"string": "x"}}
    # the plain JSON codec keeps the specification's rules
    with pytest.raises(errors.EncodeError):
        to_json_value(rows[0], schema)
    with pytest.raises(errors.DecodeError):
        from_json_value(texts[1], schema)


def test_nested_legacy_hints_are_kept_in_the_header_as_fastavro_keeps_them() -> None:
    # the header schema of a file by an old fastavro: its marker on every record
    inner = {"type": "record", "name": "t.In", "fields": [{"name": "x", "type": "int"}],
             "__fastavro_parsed": True}
    legacy = {"type": "record", "name": "t.Out", "__fastavro_parsed": True,
              "fields": [{"name": "a", "type": inner}, {"name": "b", "type": ["null", "t.In"]}]}
    headers = []
    for lib in (real, fa):
        bio = _file(lib, legacy, [{"a": {"x": 1}, "b": {"x": 2}}])
        r = lib.reader(bio)
        headers.append(r._schema)
        assert list(r) == [{"a": {"x": 1}, "b": {"x": 2}}]
    for h in headers:
        assert "__fastavro_parsed" not in h and h["fields"][0]["type"]["__fastavro_parsed"] is True
    assert headers[0] == headers[1]


# -- schemaless_reader over a stream of datums: values, positions and errors, cache warm -------


def test_schemaless_reader_leaves_the_stream_after_each_datum_as_fastavro() -> None:
    schema_json = {"type": "record", "name": "S", "fields": [
        {"name": "n", "type": "long"}, {"name": "s", "type": ["null", "string"]}]}
    records = [{"n": i * 1000 - 7, "s": None if i % 2 else "x" * i} for i in range(6)]
    stream = io.BytesIO()
    real.schemaless_writer(stream, real.parse_schema(schema_json), records[0])
    for r in records[1:]:
        real.schemaless_writer(stream, real.parse_schema(schema_json), r)
    data = stream.getvalue() + b"\x99"  # a trailing byte: not part of any datum
    seen = []
    for lib in (real, fa):
        schema = lib.parse_schema(schema_json)
        for _ in range(2):  # the second pass runs on the facade's cached plan
            bio = io.BytesIO(data)
            seen.append([(lib.schemaless_reader(bio, schema), bio.tell()) for _ in records])
    assert seen[0] == seen[1] == seen[2] == seen[3]
    assert [v for v, _ in seen[0]] == records and seen[0][-1][1] == len(data) - 1
    # a truncated datum on the warm path: fastavro's EOFError, and a turboavro DecodeError
    schema = fa.parse_schema(schema_json)
    for _ in range(2):
        with pytest.raises(EOFError) as ei:
            fa.schemaless_reader(io.BytesIO(data[:1]), schema)
        assert isinstance(ei.value, errors.DecodeError)
    with pytest.raises(EOFError):
        real.schemaless_reader(io.BytesIO(data[:1]), real.parse_schema(schema_json))


def test_schemaless_reader_sees_logical_readers_registered_after_its_first_call() -> None:
    # schemaless_reader remembers the plan of a parsed schema; a conversion registered or
    # removed later must apply to the next call, as in fastavro
    schema = fa.parse_schema({"type": "record", "name": "P", "logicalType": "point",
                              "fields": [{"name": "x", "type": "int"}]})
    data = b"\x06"
    assert fa.schemaless_reader(io.BytesIO(data), schema) == {"x": 3}
    fa.read.LOGICAL_READERS["record-point"] = lambda d, *s: ("point", d["x"])
    try:
        assert fa.schemaless_reader(io.BytesIO(data), schema) == ("point", 3)
    finally:
        del fa.read.LOGICAL_READERS["record-point"]
    assert fa.schemaless_reader(io.BytesIO(data), schema) == {"x": 3}


@pytest.mark.parametrize("codec", ["deflate", "bzip2", "xz"])
def test_write_block_is_written_at_once(codec: str) -> None:
    # fastavro's Writer.write_block writes the block before it returns: a reader of the same
    # file object sees it without a flush, even when the block is recompressed (the container
    # Writer compresses blocks on worker threads)
    schema = {"type": "record", "name": "R", "fields": [{"name": "s", "type": "string"}]}
    records = [{"s": f"record {i} " * 20} for i in range(3000)]
    for lib in (real, fa):
        blocks = list(lib.block_reader(_file(lib, schema, records, codec="null")))
        assert len(blocks) > 3
        out = io.BytesIO()
        w = lib.write.Writer(out, lib.parse_schema(schema), codec=codec)
        for block in blocks:
            w.write_block(block)
        out.seek(0)
        assert list(lib.reader(out)) == records
