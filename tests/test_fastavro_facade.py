"""turboavro.fastavro against the real fastavro: same bytes, same values, same options."""
from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import fastavro as real
import pytest
from hypothesis import HealthCheck, given, settings

import turboavro
import turboavro.fastavro as fa
from strategies import avro_equal, fastavro_compatible, schema_and_datums
from turboavro import Reader, errors

# where this run imports turboavro from (the source tree, or site-packages when installed)
SRC = Path(turboavro.__file__).resolve().parent.parent

REC = {
    "type": "record", "name": "R", "namespace": "ns",
    "fields": [
        {"name": "a", "type": "int"},
        {"name": "u", "type": ["null", "string", {"type": "record", "name": "S",
                                                   "fields": [{"name": "x", "type": "long"}]}]},
        {"name": "d", "type": "string", "default": "dflt"},
    ],
}


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(schema_and_datums(allow_logical=False, max_size=4))
def test_round_trip_against_fastavro(case: tuple) -> None:
    schema, records = case
    if not fastavro_compatible(schema):
        return
    ours, theirs = io.BytesIO(), io.BytesIO()
    # each library gets its own copy: fastavro's parse_schema may rewrite what it is given
    fa.writer(ours, fa.parse_schema(copy.deepcopy(schema)), records, sync_marker=b"s" * 16)
    real.writer(theirs, real.parse_schema(copy.deepcopy(schema)), records, sync_marker=b"s" * 16)
    assert ours.getvalue().split(b"s" * 16, 1)[1] == theirs.getvalue().split(b"s" * 16, 1)[1]
    header = real.reader(io.BytesIO(theirs.getvalue())).metadata["avro.schema"]
    try:
        turboavro.schema.parse_lenient(json.loads(header))
    except turboavro.SchemaError:
        # fastavro writes a type of the null namespace nested in a namespaced record without
        # '"namespace": ""', so the header redefines the outer type's name: the facade refuses
        # such a header with a SchemaError (a documented difference)
        with pytest.raises(turboavro.SchemaError):
            list(fa.reader(io.BytesIO(theirs.getvalue())))
        return
    ours.seek(0)
    theirs.seek(0)
    assert avro_equal(list(fa.reader(theirs)), list(real.reader(ours)))


def test_union_notations_and_return_record_name() -> None:
    for datum in ({"a": 1, "u": ("ns.S", {"x": 5})}, {"a": 1, "u": {"-type": "ns.S", "x": 5}}):
        mine, theirs = io.BytesIO(), io.BytesIO()
        fa.schemaless_writer(mine, REC, datum)
        real.schemaless_writer(theirs, real.parse_schema(REC), datum)
        assert mine.getvalue() == theirs.getvalue()
        mine.seek(0)
        got = fa.schemaless_reader(mine, REC, return_record_name=True)
        assert got == {"a": 1, "u": ("ns.S", {"x": 5}), "d": "dflt"}
        mine.seek(0)
        assert fa.schemaless_reader(mine, REC, return_record_name_override=True)["u"] == {"x": 5}


def test_strict_modes() -> None:
    with pytest.raises(ValueError, match="more fields"):
        fa.schemaless_writer(io.BytesIO(), REC, {"a": 1, "u": None, "d": "", "zz": 1}, strict=True)
    with pytest.raises(ValueError, match="missing from the record"):
        fa.schemaless_writer(io.BytesIO(), REC, {"a": 1, "u": None}, strict=True)
    out = io.BytesIO()
    fa.schemaless_writer(out, REC, {"a": 1, "u": None}, strict_allow_default=True)
    assert out.getvalue() == b"\x02\x00\x08dflt"
    out = io.BytesIO()
    fa.schemaless_writer(out, REC, {"a": 1, "zz": 2})  # non-strict: extras ignored, null filled
    assert out.getvalue() == b"\x02\x00\x08dflt"


def test_load_schema_with_referenced_files(tmp_path: Path) -> None:
    (tmp_path / "ns.Child.avsc").write_text(json.dumps(
        {"type": "record", "name": "Child", "namespace": "ns", "fields": [{"name": "v", "type": "int"}]}))
    (tmp_path / "ns.Parent.avsc").write_text(json.dumps(
        {"type": "record", "name": "Parent", "namespace": "ns",
         "fields": [{"name": "c", "type": "Child"}, {"name": "c2", "type": "ns.Child"}]}))
    ours = fa.schema.load_schema(str(tmp_path / "ns.Parent.avsc"), _write_hint=False)
    theirs = real.schema.load_schema(str(tmp_path / "ns.Parent.avsc"), _write_hint=False)
    assert ours == theirs
    buf = io.BytesIO()
    fa.schemaless_writer(buf, ours, {"c": {"v": 1}, "c2": {"v": 2}})
    assert buf.getvalue() == b"\x02\x04"


def test_is_avro_validate_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "f.avro"
    with open(path, "wb") as fo:
        fa.writer(fo, REC, [{"a": 1, "u": None}])
    assert fa.is_avro(str(path)) and real.is_avro(str(path))
    assert not fa.is_avro(io.BytesIO(b"nope"))
    assert fa.validate({"a": 1, "u": "x"}, REC)
    with pytest.raises(fa.validation.ValidationError) as info:
        fa.validate({"a": "one", "u": None}, REC)
    assert isinstance(info.value, errors.EncodeError)
    assert info.value.errors[0].field == "ns.R.a" and info.value.errors[0].datum == "one"
    assert fa.validate({"a": "one"}, REC, raise_errors=False) is False


def test_json_writer_and_reader_match_fastavro() -> None:
    records = [{"a": 1, "u": "x"}, {"a": 2, "u": {"x": 3}, "d": "e"}]
    ours, theirs = io.StringIO(), io.StringIO()
    fa.json_writer(ours, REC, records)
    real.json_writer(theirs, real.parse_schema(REC), records)
    assert [json.loads(line) for line in ours.getvalue().splitlines()] == [
        json.loads(line) for line in theirs.getvalue().splitlines()]
    ours.seek(0)
    assert list(fa.json_reader(ours, REC)) == list(real.json_reader(io.StringIO(theirs.getvalue()), REC))


def test_lz4_files_cross_read() -> None:
    pytest.importorskip("lz4")
    records = [{"a": i, "u": None} for i in range(500)]
    ours, theirs = io.BytesIO(), io.BytesIO()
    fa.writer(ours, REC, records, codec="lz4")
    real.writer(theirs, real.parse_schema(REC), records, codec="lz4")
    ours.seek(0)
    theirs.seek(0)
    assert [r["a"] for r in real.reader(ours)] == list(range(500))
    assert [r["a"] for r in fa.reader(theirs)] == list(range(500))
    # lz4 is not an Avro codec: the plain API keeps refusing it
    theirs.seek(0)
    with pytest.raises(errors.CodecError, match="non-standard"):
        Reader(theirs)


def test_append_through_a_plus_b(tmp_path: Path) -> None:
    path = tmp_path / "f.avro"
    with open(path, "wb") as fo:
        fa.writer(fo, REC, [{"a": 1, "u": None}])
    with open(path, "a+b") as fo:
        fa.writer(fo, REC, [{"a": 2, "u": None}])
    with open(path, "rb") as fo:
        assert [r["a"] for r in real.reader(fo)] == [1, 2]


def test_install_as_fastavro_with_dask_bag(tmp_path: Path) -> None:
    """dask.bag.read_avro imports fastavro: after install_as_fastavro it runs the facade."""
    pytest.importorskip("dask.bag")
    for i in range(2):
        with open(tmp_path / f"p{i}.avro", "wb") as fo:
            real.writer(fo, real.parse_schema(REC), [{"a": i * 10 + j, "u": None} for j in range(10)])
    code = (
        "import turboavro.fastavro as f; f.install_as_fastavro()\n"
        "import sys, fastavro, dask, dask.bag as db\n"
        "assert fastavro is f\n"
        f"b = db.read_avro({str(tmp_path / '*.avro')!r})\n"
        "print(sorted(r['a'] for r in b.compute(scheduler='sync')))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(list(range(20)))


CONFLUENT = """
import json, sys
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
schema = json.dumps({schema!r})
client = SchemaRegistryClient.new_client({{"url": "mock://facade"}})
ser, de = AvroSerializer(client, schema), AvroDeserializer(client, schema)
ctx = SerializationContext("t", MessageField.VALUE)
msgs = [ser(r, ctx) for r in {records!r}]
back = [de(m, ctx) for m in msgs]
print(json.dumps([[m.hex() for m in msgs], back]))
"""


def test_install_as_fastavro_with_confluent_kafka_serde() -> None:
    """confluent-kafka's AvroSerializer/AvroDeserializer on the facade write the bytes they
    write on fastavro and read them back (a mock:// registry: the registry is not under test)."""
    pytest.importorskip("confluent_kafka.schema_registry")
    schema = {"type": "record", "name": "T", "fields": [
        {"name": "s", "type": "string"}, {"name": "n", "type": ["null", "long"]},
        {"name": "m", "type": {"type": "map", "values": "double"}}]}
    records = [{"s": "a", "n": None, "m": {}}, {"s": "b", "n": 7, "m": {"x": 1.5}}]
    code = CONFLUENT.format(schema=schema, records=records)
    env = dict(os.environ, PYTHONPATH=str(SRC))
    facade_run = subprocess.run(
        [sys.executable, "-c", "import turboavro.fastavro as f; f.install_as_fastavro()\n" + code],
        env=env, capture_output=True, text=True, timeout=120)
    assert facade_run.returncode == 0, facade_run.stderr
    real_run = subprocess.run([sys.executable, "-c", "import fastavro\n" + code], env=env,
                              capture_output=True, text=True, timeout=120)
    assert real_run.returncode == 0, real_run.stderr
    ours, theirs = json.loads(facade_run.stdout), json.loads(real_run.stdout)
    assert ours == theirs
    assert ours[1] == records
