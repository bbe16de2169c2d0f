"""Schema resolution (SPEC.md §K): every rule, Java's union preference, and the failures —
static ones when the Decoder is built, data-dependent ones at decode with path and offset."""
from __future__ import annotations

import datetime

import pytest

import turboavro as ta
from turboavro import DecodeError, SchemaResolutionError


def rec(name, *fields, **extra):
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def f(name, typ, **kw):
    return {"name": name, "type": typ, **kw}


def resolve(writer, reader, value):
    data = ta.Encoder(writer).encode(value)
    return ta.Decoder(writer, reader).decode(data)


@pytest.mark.parametrize("writer,reader,value,expected", [
    ("int", "long", -5, -5),
    ("int", "float", 16777217, 16777216.0),  # rounds through float32 like Java's (float) cast
    ("int", "double", 16777217, 16777217.0),
    ("long", "float", 2**40 + 1, float(2**40)),
    ("long", "double", 2**53, float(2**53)),
    ("float", "double", 0.1, float.fromhex("0x1.99999a0000000p-4")),
    ("string", "bytes", "hé", "hé".encode()),
    ("bytes", "string", "hé".encode(), "hé"),
])
def test_promotions(writer, reader, value, expected):  # item 94
    out = resolve(writer, reader, value)
    assert out == expected and type(out) is type(expected)


def test_non_promotable_types_fail_at_build():
    for w, r in [("long", "int"), ("double", "float"), ("float", "long"), ("string", "int"),
                 ("boolean", "int"), ("null", "string")]:
        with pytest.raises(SchemaResolutionError, match="cannot be read"):
            ta.Decoder(w, r)


def test_record_fields_by_name_any_order_with_skips_and_defaults():  # items 96-98
    writer = rec("R", f("a", "int"), f("gone", {"type": "map", "values": {"type": "array", "items": "string"}}),
                 f("b", "string"), f("also_gone", ["null", rec("X", f("x", "double"))]))
    reader = rec("R", f("b", "string"), f("a", "long"), f("new", {"type": "array", "items": "int"}, default=[1, 2]),
                 f("when", {"type": "long", "logicalType": "timestamp-millis"}, default=0))
    value = {"a": 1, "gone": {"k": ["v", "w"], "j": []}, "b": "hi", "also_gone": {"x": 1.5}}
    out = resolve(writer, reader, value)
    assert out == {"b": "hi", "a": 1, "new": [1, 2],
                   "when": datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)}
    assert list(out) == ["b", "a", "new", "when"]  # reader field order
    # mutable defaults are not shared between records
    d = ta.Decoder(writer, reader)
    data = ta.Encoder(writer).encode(value)
    first, second = d.decode(data), d.decode(data)
    first["new"].append(99)
    assert second["new"] == [1, 2]


def test_skip_uses_block_sizes():  # item 97 with item 39
    writer = rec("R", f("skip", {"type": "array", "items": "long"}), f("keep", "int"))
    reader = rec("R", f("keep", "int"))
    # array written with a negative count and byte size: 2 items, 2 bytes
    data = bytes.fromhex("03" + "04" + "0204" + "00") + b"\x0e"
    assert ta.Decoder(writer, reader).decode(data) == {"keep": 7}


def test_reader_field_without_default_missing_from_writer():  # item 98
    with pytest.raises(SchemaResolutionError, match="'c' is missing from the writer and has no default") as ei:
        ta.Decoder(rec("R", f("a", "int")), rec("R", f("a", "int"), f("c", "int")))
    assert ei.value.path == "$.c"
    # even when the field's enum has an enum default
    e = {"type": "enum", "name": "E", "symbols": ["A"], "default": "A"}
    with pytest.raises(SchemaResolutionError):
        ta.Decoder(rec("R", f("a", "int")), rec("R", f("a", "int"), f("c", e)))


def test_field_aliases():  # item 95
    writer = rec("R", f("old_name", "int"))
    reader = rec("R", f("new_name", "int", aliases=["old_name"]))
    assert resolve(writer, reader, {"old_name": 3}) == {"new_name": 3}
    # a direct name match wins over an alias
    writer2 = rec("R", f("a", "int"), f("b", "int"))
    reader2 = rec("R", f("a", "int", aliases=["b"]))
    assert resolve(writer2, reader2, {"a": 1, "b": 2}) == {"a": 1}
    # writer aliases are irrelevant
    w3 = rec("R", f("x", "int", aliases=["y"]))
    r3 = rec("R", f("y", "int"))
    with pytest.raises(SchemaResolutionError):
        ta.Decoder(w3, r3)


def test_reader_field_matching_two_writer_fields_is_an_error():
    writer = rec("R", f("a", "int"), f("b", "int"))
    reader = rec("R", f("c", "int", aliases=["a", "b"]))
    with pytest.raises(SchemaResolutionError, match="several writer fields"):
        ta.Decoder(writer, reader)


def test_named_types_match_by_unqualified_name_or_reader_alias():  # items 93, 95
    w = rec("R", f("a", "int"), namespace="old.ns")
    r = rec("R", f("a", "int"), namespace="new.ns")
    assert resolve(w, r, {"a": 1}) == {"a": 1}
    r2 = rec("Renamed", f("a", "int"), aliases=["old.ns.R"])
    assert resolve(w, r2, {"a": 1}) == {"a": 1}
    with pytest.raises(SchemaResolutionError, match="names differ"):
        ta.Decoder(w, rec("Other", f("a", "int")))
    # writer aliases do not count
    with pytest.raises(SchemaResolutionError):
        ta.Decoder(rec("W", f("a", "int"), aliases=["Q"]), rec("Q", f("a", "int")))
    fw = {"type": "fixed", "name": "F", "size": 4}
    with pytest.raises(SchemaResolutionError, match="fixed sizes differ"):
        ta.Decoder(fw, {"type": "fixed", "name": "F", "size": 5})
    assert resolve(fw, {"type": "fixed", "name": "G", "size": 4, "aliases": ["F"]}, b"abcd") == b"abcd"


def test_enum_symbols_by_name_and_default():  # item 99
    w = {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}
    r = {"type": "enum", "name": "E", "symbols": ["C", "A"], "default": "A"}
    assert resolve(w, r, "C") == "C"
    assert resolve(w, r, "B") == "A"  # unknown to the reader: its enum default
    r_nodef = {"type": "enum", "name": "E", "symbols": ["C", "A"]}
    d = ta.Decoder(w, r_nodef)  # building works: only data with B fails
    assert d.decode(b"\x00") == "A"
    with pytest.raises(DecodeError, match="unknown to reader enum") as ei:
        d.decode(b"\x02")
    assert ei.value.offset == 0


def test_arrays_and_maps_resolve_recursively():  # item 100
    w = {"type": "map", "values": {"type": "array", "items": "int"}}
    r = {"type": "map", "values": {"type": "array", "items": "double"}}
    assert resolve(w, r, {"k": [1, 2]}) == {"k": [1.0, 2.0]}


def test_both_unions():  # item 101
    w = ["null", "int", "string"]
    r = ["string", "long", "null"]
    d = ta.Decoder(w, r)
    e = ta.Encoder(w)
    assert d.decode(e.encode(None)) is None
    assert d.decode(e.encode(5)) == 5
    assert d.decode(e.encode("s")) == "s"
    # a writer branch the reader cannot take fails only for data in that branch (item 103)
    d2 = ta.Decoder(["int", "boolean"], ["long", "null"])
    assert d2.decode(ta.Encoder(["int", "boolean"]).encode(4)) == 4
    with pytest.raises(DecodeError, match="branch 1 \\(boolean\\) cannot be read"):
        d2.decode(ta.Encoder(["int", "boolean"]).encode(True))


def test_reader_union_writer_not_java_preference():  # item 102
    # exact type beats promotion even when the promotable branch comes first
    assert ta.Decoder("int", ["long", "int"]).plan.op == "int"
    assert resolve("int", ["double", "long"], 3) == 3.0  # first promotable branch
    assert type(resolve("int", ["double", "long"], 3)) is float
    # exact fullname beats the same short name
    a = rec("a.R", f("x", "int"))
    b = rec("b.R", f("x", "int"), f("y", "int", default=9))
    same = rec("a.R", f("x", "int"), f("z", "int", default=7))
    assert resolve(a, [b, same], {"x": 1}) == {"x": 1, "z": 7}
    # short name match beats a structural match of a differently named record
    other = rec("Other", f("x", "int"))
    assert resolve(a, [other, b], {"x": 1}) == {"x": 1, "y": 9}
    with pytest.raises(SchemaResolutionError, match="no branch of reader union"):
        ta.Decoder("string", ["null", "int"])


def test_writer_union_reader_not():  # item 103
    w = ["null", "int"]
    d = ta.Decoder(w, "long")
    assert d.decode(ta.Encoder(w).encode(5)) == 5
    with pytest.raises(DecodeError, match="cannot be read"):
        d.decode(ta.Encoder(w).encode(None))
    with pytest.raises(SchemaResolutionError):
        ta.Decoder(["null", "boolean"], "long")


def test_recursive_schemas_resolve():
    w = rec("Node", f("v", "int"), f("next", ["null", "Node"]))
    r = rec("Node", f("v", "long"), f("next", ["null", "Node"]), f("tag", "string", default="t"))
    value = {"v": 1, "next": {"v": 2, "next": None}}
    assert resolve(w, r, value) == {"v": 1, "next": {"v": 2, "next": None, "tag": "t"}, "tag": "t"}


def test_identical_reader_costs_nothing_extra():
    s = rec("R", f("a", "int"), f("b", "string"))
    same = ta.Decoder(s, s).plan
    plain = ta.Decoder(s).plan
    assert same.describe() == plain.describe()
    assert all(step.key is not None for step in same.steps) and not same.defaults


def test_union_default_uses_first_matching_branch():  # item 27
    w = rec("R", f("a", "int"))
    r = rec("R", f("a", "int"), f("u", ["null", "string"], default=None),
            f("v", ["string", "null"], default="x"))
    assert resolve(w, r, {"a": 1}) == {"a": 1, "u": None, "v": "x"}


def test_bytes_and_fixed_defaults_are_latin1():  # item 21
    w = rec("R", f("a", "int"))
    r = rec("R", f("a", "int"), f("b", "bytes", default="\u00ff\u0000A"),
            f("c", {"type": "fixed", "name": "F", "size": 2}, default="\u00e9z"))
    assert resolve(w, r, {"a": 1}) == {"a": 1, "b": b"\xff\x00A", "c": b"\xe9z"}


def test_record_default_with_nested_defaults():  # item 24
    inner = rec("I", f("x", "int"), f("y", "string", default="dy"))
    w = rec("R", f("a", "int"))
    r = rec("R", f("a", "int"), f("i", inner, default={"x": 4}))
    assert resolve(w, r, {"a": 1}) == {"a": 1, "i": {"x": 4, "y": "dy"}}


@pytest.mark.parametrize("nfields", [3, 64, 65, 100])
def test_reordered_records_of_any_width(nfields):
    names = [f"f{i}" for i in range(nfields)]
    w = rec("W", *[f(n, "int") for n in names])
    r = rec("W", *[f(n, "long") for n in reversed(names)], f("extra", "string", default="e"))
    value = {n: i for i, n in enumerate(names)}
    out = resolve(w, r, value)
    assert list(out) == list(reversed(names)) + ["extra"]
    assert out == {**value, "extra": "e"}
    # a failure half-way through a reordering record releases what it decoded
    data = ta.Encoder(w).encode(value)
    with pytest.raises(DecodeError) as ei:
        ta.Decoder(w, r).decode(data[: len(data) // 2])
    assert ei.value.path.startswith("$.f")
