"""One error surface: bad input to the public API raises a turboavro exception, and the command
line prints one line that says what is wrong and where, with a status that tells bad data (1)
from usage errors (2) and unreadable or unwritable files (4). A table of bad inputs, each with
the exception type (or exit status) and the message expected."""
from __future__ import annotations

import decimal
import io
import json
import os
import re
from collections.abc import Callable
from typing import Any

import pytest

import turboavro as ta
from turboavro import Decoder, Encoder, Reader, Schema, Writer
from turboavro.cli import main
from turboavro.errors import (
    AvroError,
    CodecError,
    CorruptFileError,
    DecodeError,
    EncodeError,
    FramingError,
    SchemaError,
    SchemaResolutionError,
    UnknownFieldError,
    UnknownSchemaError,
)

R = '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}'
E = '{"type":"enum","name":"E","symbols":["A","B"]}'


def _enc(schema: str, value: Any) -> Callable[[], Any]:
    return lambda: Encoder(Schema.parse(schema)).encode(value)


def _dec(schema: str, data: bytes) -> Callable[[], Any]:
    return lambda: Decoder(Schema.parse(schema)).decode(data)


def _container(n: int = 50, codec: str = "null") -> bytes:
    buf = io.BytesIO()
    with Writer(buf, R, codec=codec, sync_interval=100) as w:
        w.write_many({"a": i} for i in range(n))
    return buf.getvalue()


def _read(data: bytes) -> Callable[[], Any]:
    def run() -> Any:
        with Reader(data) as r:
            return list(r)

    return run


def _flip(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 0xFF
    return bytes(out)


def _first_block_data(data: bytes) -> int:
    with Reader(data) as r:
        return next(r.iter_blocks_raw()).data_offset


DEC = '{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}'
FIXED_DEC = '{"type":"fixed","name":"D","size":3,"logicalType":"decimal","precision":6,"scale":1}'
TS = '{"type":"long","logicalType":"timestamp-millis"}'
UUID_FIXED = '{"type":"fixed","name":"U","size":16,"logicalType":"uuid"}'
DURATION = '{"type":"fixed","name":"Du","size":12,"logicalType":"duration"}'
DATE = '{"type":"int","logicalType":"date"}'

# (id, call, exception type, regex the message must match)
API: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("unknown-primitive", lambda: Schema.parse(
        '{"type":"record","name":"R","fields":[{"name":"a","type":"lon"}]}'),
     SchemaError, r"^unknown type 'lon'; did you mean 'long'\? \(at \$\.fields\[0\]\.type\)$"),
    ("unknown-bare-name", lambda: Schema.parse('"strng"'), SchemaError,
     r"unknown type 'strng'; did you mean 'string'\?"),
    ("unknown-complex-type", lambda: Schema.parse('{"type":"recrod","name":"R","fields":[]}'),
     SchemaError, r"unknown type 'recrod'; did you mean 'record'\? \(at \$\.type\)"),
    ("unknown-named-type", lambda: Schema.parse(
        '{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"record",'
        '"name":"Address","fields":[]}},{"name":"b","type":"Adress"}]}'),
     SchemaError, r"unknown type 'Adress'; did you mean 'Address'\? \(at \$\.fields\[1\]\.type\)"),
    ("unknown-no-hint", lambda: Schema.parse('"qqqqqq"'), SchemaError,
     r"^unknown type 'qqqqqq' \(at \$\)$"),
    ("not-json", lambda: Schema.parse('{"type": "record",'), SchemaError,
     r"schema is not valid JSON: .*\(at \$\)"),
    ("no-fields", lambda: Schema.parse('{"type":"record","name":"R"}'), SchemaError,
     r"^record 'R' has no 'fields' \(at \$\)$"),
    ("no-symbols", lambda: Schema.parse('{"type":"enum","name":"E"}'), SchemaError,
     r"^enum 'E' has no 'symbols' \(at \$\)$"),
    ("no-size", lambda: Schema.parse('{"type":"fixed","name":"F"}'), SchemaError,
     r"^fixed 'F' has no 'size' \(at \$\)$"),
    ("duplicate-field", lambda: Schema.parse(
        '{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]}'),
     SchemaError, r"duplicate field name 'a' in record 'R' \(at \$\.fields\[1\]\.name\)"),
    ("duplicate-symbol", lambda: Schema.parse('{"type":"enum","name":"E","symbols":["A","A"]}'),
     SchemaError, r"duplicate enum symbol 'A' \(at \$\.symbols\[1\]\)"),
    ("bad-name", lambda: Schema.parse('{"type":"record","name":"n-me","fields":[]}'),
     SchemaError, r"invalid name 'n-me'.*\(at \$\.name\)"),
    ("bad-default", lambda: Schema.parse(
        '{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}'),
     SchemaError, r"invalid default for field 'a'.*\(at \$\.fields\[0\]\.default\)"),
    ("record-not-mapping", _enc(R, 5), EncodeError,
     r"^expected a mapping for record R, got int 5 \(at \$\)$"),
    ("enum-bad-symbol", _enc(E, "Z"), EncodeError, r"^'Z' is not a symbol of enum E \(at \$\)$"),
    ("enum-not-str", _enc(E, 3), EncodeError, r"^3 is not a symbol of enum E \(at \$\)$"),
    ("missing-field", _enc(R, {}), EncodeError,
     r"^missing required field 'a' of record R \(at \$\.a\)$"),
    ("int-range", _enc(R, {"a": 2**40}), EncodeError, r"out of range for int \(at \$\.a\)"),
    ("decimal-float", _enc(DEC, 1.5), EncodeError,
     r"^expected decimal\.Decimal .*for bytes with logical type decimal\(4, 2\), got float 1\.5"),
    ("decimal-fixed-str", _enc(FIXED_DEC, "1.5"), EncodeError,
     r"expected decimal\.Decimal .*for fixed D with logical type decimal\(6, 1\), got str"),
    ("decimal-too-precise", _enc(DEC, decimal.Decimal("1.234")), EncodeError,
     r"invalid value .*1\.234.* for bytes with logical type decimal\(4, 2\): .*more than 2 digits"),
    ("decimal-too-big", _enc(DEC, decimal.Decimal("123.4")), EncodeError,
     r"needs more than 4 digits"),
    ("timestamp-str", _enc(TS, "2024-01-01"), EncodeError,
     r"expected datetime or int for long with logical type timestamp-millis, got str"),
    ("date-float", _enc(DATE, 1.5), EncodeError,
     r"expected date or int for int with logical type date, got float"),
    ("uuid-fixed-int", _enc(UUID_FIXED, 7), EncodeError,
     r"expected uuid\.UUID \(or 16 bytes\) for fixed U with logical type uuid, got int 7"),
    ("uuid-bad-text", _enc('{"type":"string","logicalType":"uuid"}', "zz"), EncodeError,
     r"invalid value 'zz' for string with logical type uuid"),
    ("duration-float", _enc(DURATION, 1.0), EncodeError,
     r"expected Duration\(months, days, milliseconds\).*for fixed Du with logical type duration"),
    ("union-no-branch", _enc('["null","int"]', "x"), EncodeError,
     r"str 'x' matches no branch of union \[null, int\]"),
    ("array-not-list", _enc('{"type":"array","items":"int"}', 5), EncodeError,
     r"expected a list for array<int>, got int 5"),
    ("truncated", _dec(R, b""), DecodeError, r"unexpected end of data \(at byte offset 0, field \$\.a\)"),
    ("overlong", _dec('"long"', b"\x80" * 11), DecodeError, r"overlong.*byte offset 0"),
    ("enum-index", _dec(E, b"\x08"), DecodeError, r"enum index 4 out of range for E"),
    ("resolution", lambda: Decoder(Schema.parse(R), Schema.parse(E)), SchemaResolutionError,
     r"writer type record R cannot be read as enum E"),
    ("reader-junk-bytes", _read(b"not avro"), CorruptFileError,
     r"not an Avro container file: starts with b'not '"),
    ("reader-short-bytes", _read(b"Obj\x01"), CorruptFileError, r"file ends .*byte offset 4"),
    ("reader-cut-file", _read(_container()[:-30]), CorruptFileError,
     r"block size \d+ reaches beyond the end of the file \(\d+ bytes\) \(at byte offset \d+\)"),
    ("reader-bad-sync", _read(_flip(_container(), len(_container()) - 3)), CorruptFileError,
     r"sync marker"),
    ("reader-bad-deflate", _read(_flip(_container(codec="deflate"), _first_block_data(_container(codec="deflate")) + 1)), CodecError,
     r"cannot be decompressed"),
    ("unknown-codec", lambda: Writer(io.BytesIO(), R, codec="lz9"), CodecError,
     r"unknown codec 'lz9'; Avro codecs are null, deflate"),
    ("codec-level", lambda: Writer(io.BytesIO(), R, codec="deflate", codec_level=99), CodecError,
     r"deflate: compression level 99 is out of range 0\.\.\d+"),
    ("json-not-json", lambda: ta.json_decode('{"a": ', R), DecodeError, r"not valid JSON"),
    ("json-wrong-type", lambda: ta.json_decode('{"a": "x"}', R), DecodeError,
     r"expected an integer \(int\), got string 'x' \(at field \$\.a\)"),
    ("single-object-magic", lambda: ta.single_object.decode(b"\x00\x01", R), FramingError,
     r"not Avro single-object: starts with 00 01"),
    ("catalog-unknown", lambda: ta.Catalog(":memory:").get_version("nope", 1), UnknownSchemaError,
     r"subject 'nope' has no live version 1"),
    ("columns-junk", lambda: ta.read_columns(b"junk"), CorruptFileError,
     r"not an Avro container file"),
    ("columns-unknown", lambda: ta.read_columns(_container(), columns=["aa"]), UnknownFieldError,
     r"^no column 'aa' in R; did you mean 'a'\? columns are \['a'\]$"),
    ("columns-unknown-is-keyerror", lambda: ta.read_columns(_container(), columns=["zz"]),
     KeyError, r"^no column 'zz' in R; columns are \['a'\]$"),
    # a wrong kind of argument is a programming error: TypeError, as Python's own functions
    ("reader-not-a-file", lambda: Reader(42), TypeError,
     r"expected a path, the bytes of a file or a binary file object, not int"),
    ("writer-bytes", lambda: Writer(b"x", R), TypeError,
     r"expected a path or a binary file object, not bytes"),
]


@pytest.mark.parametrize("call, kind, pattern", [pytest.param(*row[1:], id=row[0]) for row in API])
def test_api_bad_input(call, kind, pattern):
    with pytest.raises(kind) as info:
        call()
    assert isinstance(info.value, AvroError) or kind is TypeError, type(info.value)
    message = str(info.value)
    assert re.search(pattern, message), message
    assert "record record" not in message and "enum enum" not in message


def test_reader_takes_the_bytes_of_a_file():
    data = _container(30, "deflate")
    with Reader(data) as r:
        assert list(r) == [{"a": i} for i in range(30)]
    with Reader(bytearray(data)) as r, Reader(memoryview(data)) as m:
        assert list(r) == list(m) == [{"a": i} for i in range(30)]


# -- the command line ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("surface")
    good = d / "good.avro"
    good.write_bytes(_container(40, "deflate"))
    avsc = d / "r.avsc"
    avsc.write_text(R)
    typo = d / "typo.avsc"
    typo.write_text('{"type":"record","name":"R","fields":[{"name":"a","type":"lon"}]}')
    bad_line = d / "bad.jsonl"
    bad_line.write_text('{"a": 1}\n{"a": }\n')
    wrong_value = d / "wrong.jsonl"
    wrong_value.write_text('{"a": 1}\n{"a": 2}\n{"a": "three"}\n')
    not_utf8 = d / "latin1.jsonl"
    not_utf8.write_bytes(b'{"a": 1}\n{"a": "\xe9"}\n')
    junk = d / "junk.avro"
    junk.write_bytes(b"this is not avro")
    binary = d / "binary.avsc"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    other = d / "other.avro"
    with Writer(str(other), E) as w:
        w.write("A")
    return {k: str(v) for k, v in locals().items() if isinstance(v, os.PathLike)} | {"d": str(d)}


# (id, argv with {names} from the fixture, exit status, regex the stderr must match)
CLI: list[tuple[str, list[str], int, str]] = [
    ("missing-input", ["cat", "{d}/nope.avro"], 4,
     r"^turboavro: cannot read \S+nope\.avro: No such file or directory$"),
    ("directory-input", ["count", "{d}"], 4, r"cannot read \S+: Is a directory"),
    ("out-in-missing-dir", ["recodec", "--codec", "null", "{good}", "{d}/no/such/dir/out.avro"], 4,
     r"cannot write \S+out\.avro: No such file or directory"),
    ("out-is-directory", ["recodec", "--codec", "null", "{good}", "{d}"], 4,
     r"cannot write \S+: it is a directory"),
    ("missing-schema", ["from-json", "--schema", "{d}/nope.avsc", "{bad_line}", "{d}/o.avro"], 4,
     r"cannot read \S+nope\.avsc: no such file"),
    ("junk-file", ["cat", "{junk}"], 1,
     r"^turboavro: CorruptFileError: not an Avro container file: starts with b'this'.*byte offset 0"),
    ("unknown-type-schema", ["schema", "{typo}"], 1,
     r"^turboavro: SchemaError: \S+typo\.avsc: unknown type 'lon'; did you mean 'long'\?"),
    ("bad-json-line", ["from-json", "--schema", "{avsc}", "{bad_line}", "{d}/o.avro"], 1,
     r"^turboavro: DecodeError: \S+bad\.jsonl line 2: not valid JSON: Expecting value"),
    ("wrong-value-line", ["from-json", "--schema", "{avsc}", "{wrong_value}", "{d}/o.avro"], 1,
     r"^turboavro: EncodeError: \S+wrong\.jsonl line 3: expected int, got str 'three' \(at \$\.a\)"),
    ("not-utf8-line", ["from-json", "--schema", "{avsc}", "{not_utf8}", "{d}/o.avro"], 1,
     r"^turboavro: DecodeError: \S+latin1\.jsonl line 2: "),
    ("avro-json-line", ["from-json", "--avro-json", "--schema", "{avsc}", "{wrong_value}",
                        "{d}/o.avro"], 1,
     r"^turboavro: DecodeError: \S+wrong\.jsonl line 3: expected an integer \(int\)"),
    ("bad-level", ["recodec", "--codec", "deflate", "--level", "99", "{good}", "{d}/o.avro"], 1,
     r"^turboavro: CodecError: deflate: compression level 99 is out of range 0\.\.\d+"),
    ("concat-mismatch", ["concat", "{good}", "{other}", "{d}/o.avro"], 1,
     r"other\.avro: its schema differs from \S+good\.avro's"),
    ("same-file", ["recodec", "--codec", "null", "{good}", "{good}"], 2,
     r"is the same file as the input"),
    ("negative-limit", ["cat", "-n", "-1", "{good}"], 2, r"argument -n/--limit: -1 is negative"),
    ("negative-offset", ["cat", "--offset", "-3", "{good}"], 2, r"--offset: -3 is negative"),
    ("negative-head", ["head", "-n", "-2", "{good}"], 2, r"argument -n: -2 is negative"),
    ("negative-count", ["random", "--count", "-5", "{avsc}", "{d}/o.avro"], 2,
     r"--count: -5 is negative"),
    ("zero-sync-interval", ["recodec", "--codec", "null", "--sync-interval", "0", "{good}",
                            "{d}/o.avro"], 2, r"--sync-interval: must be at least 1"),
    ("not-a-number", ["random", "--count", "many", "{avsc}", "{d}/o.avro"], 2,
     r"--count: 'many' is not an integer"),
    ("unknown-field", ["cat", "--fields", "b", "{good}"], 2,
     r"record R has no field 'b' \(fields: a\)"),
    ("fingerprint-algo", ["fingerprint", "--algo", "nope", "{avsc}"], 2,
     r"unknown fingerprint algorithm 'nope'"),
    ("random-bad-inline", ["random", "--count", "1", '{{"type": "lon"}}', "{d}/o.avro"], 1,
     r"SchemaError: .*unknown type 'lon'; did you mean 'long'\?"),
    ("getschema-of-avsc", ["getschema", "{avsc}"], 1,
     r"CorruptFileError: not an Avro container file"),
    ("compat-binary-file", ["compat", "{binary}", "{avsc}"], 2,
     r"invalid schema: \S+binary\.avsc: neither a container file nor UTF-8 schema text"),
    ("compat-missing", ["compat", "{d}/nope.avsc", "{avsc}"], 4,
     r"nope\.avsc: no such file \(and not inline JSON\)"),
]


@pytest.mark.parametrize("argv, status, pattern", [pytest.param(*row[1:], id=row[0]) for row in CLI])
def test_cli_bad_input(capsys, files, argv, status, pattern):
    code = main([a.format(**files) for a in argv])
    out, err = capsys.readouterr()
    assert code == status, err
    assert re.search(pattern, err, re.M), err
    assert "Traceback" not in err
    assert not re.search(r"\b_[A-Z]\w*", err), err  # no private class names
    assert len(err.strip().splitlines()) == 1 or status == 2, err


def test_table_size():
    assert len(API) + len(CLI) >= 40


def test_compat_reads_a_container_files_schema(capsys, files, tmp_path):
    """``compat`` takes a container file where a schema is expected, as ``schema`` does."""
    v2 = tmp_path / "v2.avsc"
    v2.write_text(json.dumps({"type": "record", "name": "R", "fields": [
        {"name": "a", "type": "long"}, {"name": "b", "type": "string", "default": "x"}]}))
    assert main(["compat", str(v2), files["good"]]) == 0  # int promotes to long; b defaulted
    assert "compatible" in capsys.readouterr().out
    v3 = tmp_path / "v3.avsc"
    v3.write_text(json.dumps({"type": "record", "name": "R", "fields": [
        {"name": "b", "type": "string"}]}))
    assert main(["compat", str(v3), files["good"]]) == 1
    assert "READER_FIELD_MISSING_DEFAULT" in capsys.readouterr().out
