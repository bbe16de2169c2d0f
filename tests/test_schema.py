"""The schema model (SPEC.md §A, §B, §H): parsing, validation with JSON paths, logical types,
defaults, load(), to_json round trips, immutability, equality."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies
from turboavro.errors import SchemaError
from turboavro.schema import (
    ArraySchema,
    EnumSchema,
    Field,
    FixedSchema,
    MapSchema,
    NamedSchema,
    PrimitiveSchema,
    RecordSchema,
    Schema,
    UnionSchema,
)

DATA = Path(__file__).parent / "data"
C_TESTS = DATA / "apache-avro/lang-c-tests/schema_tests"
PASS = sorted(p for p in (C_TESTS / "pass").iterdir())
FAIL = sorted(p for p in (C_TESTS / "fail").iterdir())


def rec(*fields: dict[str, Any], name: str = "R", **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def fld(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def raises(schema: Any, path: str, match: str) -> SchemaError:
    with pytest.raises(SchemaError, match=match) as info:
        Schema.parse(schema)
    assert info.value.path == path, str(info.value)
    return info.value


# -- the Avro-C pass/fail corpus ---------------------------------------------------------------


def test_corpus_counts() -> None:
    assert (len(PASS), len(FAIL)) == (28, 12)


@pytest.mark.parametrize("path", PASS, ids=[p.name for p in PASS])
def test_c_corpus_pass(path: Path) -> None:
    s = Schema.parse(path.read_text("utf-8"))
    assert Schema.parse(s.to_json()) == s
    assert s.canonical_form.startswith(("{", "[", '"'))


# Each "fail" schema with the reason we (and Java) reject it. Three of them are not valid JSON
# at all; a variant that is valid JSON checks the rule the file name refers to.
FAIL_REASONS = {
    "enum_nonarray_symbols": ("$.symbols", "'symbols' must be an array"),
    "enum_nonstring_name": ("$.name", "name must be a string"),
    "enum_without_name": ("$", "not valid JSON"),
    "fixed_without_name": ("$", "fixed schema has no 'name'"),
    # the name has a space: Java validates the name before looking at the size
    "fixed_without_size": ("$.name", "invalid name 'Missing size'"),
    "illegal_type": ("$.type", "unknown type 'panther'"),
    "invalid_avro_id": ("$.name", "invalid name '2d2'"),
    "record_with_field_missing_name": ("$.fields[0]", "field has no 'name'"),
    "record_with_field_missing_type": ("$.fields[0]", "field 'Sponsor' has no 'type'"),
    "record_with_invalid_reference": ("$.fields[1].type.items", "unknown type 'foobar'"),
    "record_with_nonarray_fields": ("$", "not valid JSON"),
    "record_with_nonstring_name": ("$.name", "name must be a string"),
}


@pytest.mark.parametrize("path", FAIL, ids=[p.name for p in FAIL])
def test_c_corpus_fail(path: Path) -> None:
    where, why = FAIL_REASONS[path.name]
    with pytest.raises(SchemaError, match=why) as info:
        Schema.parse(path.read_text("utf-8"))
    assert info.value.path == where


@pytest.mark.parametrize(
    "schema, path, match",
    [
        # what the invalid-JSON / doubly-broken files mean to test, as valid JSON
        ({"type": "enum", "symbols": ["I", "will", "fail"]}, "$", "enum schema has no 'name'"),
        ({"type": "fixed", "name": "MissingSize"}, "$", "fixed 'MissingSize' has no 'size'"),
        (
            {"type": "record", "name": "Rainer", "fields": "His vision"},
            "$.fields",
            "'fields' must be an array",
        ),
    ],
)
def test_c_corpus_fail_intent(schema: Any, path: str, match: str) -> None:
    raises(schema, path, match)


# -- parse inputs --------------------------------------------------------------------------------


def test_parse_inputs() -> None:
    assert Schema.parse("int") is Schema.parse('"int"')
    assert Schema.parse(b'{"type": "long"}').type == "long"
    assert Schema.parse(bytearray(b'"string"')).type == "string"
    assert Schema.parse({"type": "null"}).type == "null"
    assert isinstance(Schema.parse(["null", "int"]), UnionSchema)
    s = Schema.parse("double")
    assert Schema.parse(s) is s
    assert Schema.parse("  boolean \n").type == "boolean"


@pytest.mark.parametrize(
    "text, path, match",
    [
        ("", "$", "not valid JSON"),
        ("{", "$", "not valid JSON"),
        (b"\xff\xfe", "$", "not UTF-8"),
        ("42", "$", "must be a string, an object or an array, not a number"),
        ("true", "$", "unknown type 'true'"),
        ("Foo", "$", "unknown type 'Foo'"),
        ('{"name": "x"}', "$", "schema object has no 'type'"),
        ('{"type": null}', "$", "'type' is null"),
        ('{"type": 5}', "$.type", "'type' must be a string, not a number"),
        ('{"type": {"type": "int"}}', "$.type", "'type' must be a type name"),
        ('{"type": "union"}', "$.type", "write a union as a JSON array"),
        ('{"type": "array"}', "$", "array schema has no 'items'"),
        ('{"type": "map"}', "$", "map schema has no 'values'"),
        ('{"type": "array", "items": "nope"}', "$.items", "unknown type 'nope'"),
        ('{"type": "map", "values": {"type": "map"}}', "$.values", "map schema has no 'values'"),
    ],
)
def test_parse_errors(text: Any, path: str, match: str) -> None:
    raises(text, path, match)


def test_null_text_is_the_null_type() -> None:
    assert Schema.parse("null").type == "null"


# -- names, namespaces, references (items 10-16) -------------------------------------------------


def test_fullname_rules() -> None:
    s = Schema.parse(
        {
            "type": "record",
            "name": "Outer",
            "namespace": "a.b",
            "fields": [
                fld("f1", {"type": "fixed", "name": "F", "size": 1}),  # inherits a.b
                fld(
                    "f2", {"type": "enum", "name": "c.E", "namespace": "ignored", "symbols": ["X"]}
                ),
                fld("f3", {"type": "fixed", "name": "G", "namespace": "d", "size": 1}),
                fld("f4", {"type": "fixed", "name": "H", "namespace": "", "size": 1}),
                fld("f5", {"type": "record", "name": "I", "namespace": None, "fields": []}),
            ],
        }
    )
    assert isinstance(s, RecordSchema)
    assert (s.name, s.namespace, s.fullname) == ("Outer", "a.b", "a.b.Outer")
    got = [(f.type.fullname, f.type.namespace, f.type.name) for f in s.fields]
    assert got == [
        ("a.b.F", "a.b", "F"),
        ("c.E", "c", "E"),
        ("d.G", "d", "G"),
        ("H", "", "H"),
        ("a.b.I", "a.b", "I"),  # a JSON null namespace means "not given" (Java)
    ]


def test_reference_resolution_and_null_namespace_fallback() -> None:
    s = Schema.parse(
        {
            "type": "record",
            "name": "R",
            "fields": [
                fld("z", {"type": "fixed", "name": "Z", "size": 1}),  # null namespace
                fld(
                    "inner",
                    {
                        "type": "record",
                        "name": "x.Inner",
                        "fields": [
                            fld("own", {"type": "fixed", "name": "Own", "size": 2}),  # x.Own
                            fld("a", "Own"),  # x.Own, enclosing namespace
                            fld("b", "x.Own"),  # fullname
                            fld("c", "Z"),  # not x.Z: Java falls back to the null namespace
                        ],
                    },
                ),
            ],
        }
    )
    inner = s.fields[1].type
    own = inner.fields[0].type
    assert inner.fields[1].type is own and inner.fields[2].type is own
    assert inner.fields[3].type is s.fields[0].type


def test_enclosing_namespace_wins_over_null_namespace() -> None:
    s = Schema.parse(
        rec(
            fld("z", {"type": "fixed", "name": "Z", "size": 1}),
            fld(
                "inner",
                rec(
                    fld("xz", {"type": "fixed", "name": "Z", "size": 2}),
                    fld("ref", "Z"),
                    name="x.I",
                ),
            ),
        )
    )
    inner = s.fields[1].type
    assert inner.fields[1].type.fullname == "x.Z" and inner.fields[1].type.size == 2


def test_recursion_is_a_real_cycle() -> None:
    s = Schema.parse(
        rec(
            fld("value", "int"),
            fld("next", ["null", "LinkedList"]),
            fld("children", {"type": "array", "items": "LinkedList"}),
            name="LinkedList",
        )
    )
    assert isinstance(s, RecordSchema)
    assert s.fields[1].type.branches[1] is s
    assert s.fields[2].type.items is s
    assert s.canonical_form == (
        '{"name":"LinkedList","type":"record","fields":[{"name":"value","type":"int"},'
        '{"name":"next","type":["null","LinkedList"]},{"name":"children","type":{"type":"array","items":"LinkedList"}}]}'
    )
    assert Schema.parse(s.to_json()) == s
    assert "LinkedList" in repr(s)
    hash(s)


def test_mutual_recursion() -> None:
    s = Schema.parse(
        rec(
            fld("b", ["null", rec(fld("a", ["null", "A"]), name="B")]),
            name="A",
        )
    )
    b = s.fields[0].type.branches[1]
    assert b.fields[0].type.branches[1] is s
    assert Schema.parse(s.to_json()) == s


@pytest.mark.parametrize(
    "schema, path, match",
    [
        ({"type": "record", "name": "", "fields": []}, "$.name", "invalid name ''"),
        ({"type": "record", "name": "a-b", "fields": []}, "$.name", "invalid name 'a-b'"),
        ({"type": "record", "name": "1a", "fields": []}, "$.name", "invalid name '1a'"),
        ({"type": "record", "name": "a..b", "fields": []}, "$.name", "invalid name 'a..b'"),
        ({"type": "record", "name": "a.", "fields": []}, "$.name", "invalid name 'a.'"),
        ({"type": "record", "name": "é", "fields": []}, "$.name", "invalid name 'é'"),
        (
            {"type": "fixed", "name": "F", "namespace": "a-b", "size": 1},
            "$.namespace",
            "invalid namespace 'a-b'",
        ),
        (
            {"type": "fixed", "name": "F", "namespace": ".a", "size": 1},
            "$.namespace",
            "invalid namespace '.a'",
        ),
        (
            {"type": "fixed", "name": "F", "namespace": 3, "size": 1},
            "$.namespace",
            "namespace must be a string",
        ),
        ({"type": "fixed", "name": 3, "size": 1}, "$.name", "name must be a string, not a number"),
        # item 13: primitive names cannot be defined, in any namespace
        (
            {"type": "fixed", "name": "int", "size": 1},
            "$.name",
            "cannot redefine primitive type 'int'",
        ),
        (
            {"type": "record", "name": "a.string", "fields": []},
            "$.name",
            "cannot redefine primitive type 'string'",
        ),
        (
            {"type": "enum", "name": "null", "namespace": "x", "symbols": []},
            "$.name",
            "cannot redefine primitive type 'null'",
        ),
    ],
)
def test_name_errors(schema: Any, path: str, match: str) -> None:
    raises(schema, path, match)


def test_non_primitive_keywords_may_be_names() -> None:
    # item 13: record enum array map fixed union MAY be used as names
    s = Schema.parse(
        rec(
            fld("a", {"type": "fixed", "name": "record", "size": 1}),
            fld("b", {"type": "enum", "name": "array", "symbols": ["X"]}),
            fld("c", "record"),
            fld("d", ["null", "array", {"type": "array", "items": "int"}]),
            name="map",
        )
    )
    assert s.fields[2].type is s.fields[0].type
    assert [b.type for b in s.fields[3].type.branches] == ["null", "enum", "array"]


def test_duplicate_fullname() -> None:
    raises(
        rec(
            fld("a", {"type": "fixed", "name": "F", "size": 1}),
            fld("b", {"type": "fixed", "name": "F", "size": 2}),
        ),
        "$.fields[1].type.name",
        "type 'F' is already defined",
    )
    # same short name in different namespaces is fine
    Schema.parse(
        rec(
            fld("a", {"type": "fixed", "name": "F", "size": 1}),
            fld("b", {"type": "fixed", "name": "F", "namespace": "o", "size": 2}),
        )
    )
    raises(
        rec(fld("a", rec(name="R")), name="R"),
        "$.fields[0].type.name",
        "type 'R' is already defined",
    )


def test_reference_before_definition() -> None:
    # item 14: defined before used, depth-first left-to-right
    raises(
        rec(fld("a", "F"), fld("b", {"type": "fixed", "name": "F", "size": 1})),
        "$.fields[0].type",
        "unknown type 'F'",
    )


def test_object_wrapping_a_reference() -> None:
    s = Schema.parse(
        rec(fld("a", {"type": "fixed", "name": "F", "size": 1}), fld("b", {"type": "F"}))
    )
    assert s.fields[1].type is s.fields[0].type


def test_aliases() -> None:
    s = Schema.parse(
        {
            "type": "record",
            "name": "R",
            "namespace": "a.b",
            "aliases": ["Old", "x.y.Older", "weird name!"],
            "fields": [
                fld(
                    "f",
                    {
                        "type": "enum",
                        "name": "E",
                        "aliases": ["E0"],
                        "namespace": "",
                        "symbols": ["A"],
                    },
                    aliases=["g", "h"],
                )
            ],
        }
    )
    assert isinstance(s, RecordSchema)
    # item 16: relative aliases take the type's namespace; any string is accepted
    assert s.aliases == ("a.b.Old", "x.y.Older", "a.b.weird name!")
    assert s.fields[0].aliases == ("g", "h")
    assert s.fields[0].type.aliases == ("E0",)
    assert Schema.parse(s.to_json()) == s


@pytest.mark.parametrize(
    "schema, path, match",
    [
        (rec(aliases="Old"), "$.aliases", "aliases must be an array of strings, not a string"),
        (rec(aliases=["ok", 1]), "$.aliases[1]", "alias must be a string, not a number"),
        (rec(fld("a", "int", aliases="b")), "$.fields[0].aliases", "aliases must be an array"),
        (
            rec(fld("a", "int", aliases=[None])),
            "$.fields[0].aliases[0]",
            "alias must be a string, not null",
        ),
    ],
)
def test_alias_errors(schema: Any, path: str, match: str) -> None:
    raises(schema, path, match)


# -- records and fields (items 4, 5, 15) ---------------------------------------------------------


def test_record_model() -> None:
    s = Schema.parse(
        {
            "type": "record",
            "name": "com.example.User",
            "doc": "a user",
            "custom": {"k": [1, 2]},
            "fields": [
                fld("id", "long", doc="the id", order="descending", extra=True),
                fld("name", "string", default="anon"),
                fld("email", ["null", "string"], default=None, order="ignore"),
            ],
        }
    )
    assert isinstance(s, RecordSchema) and isinstance(s, NamedSchema)
    assert s.type == "record" and not s.is_error
    assert (s.name, s.namespace, s.fullname, s.doc) == (
        "User",
        "com.example",
        "com.example.User",
        "a user",
    )
    assert dict(s.props) == {"custom": {"k": [1, 2]}}
    assert [f.name for f in s.fields] == ["id", "name", "email"]
    assert [f.index for f in s.fields] == [0, 1, 2]
    idf, name, email = s.fields
    assert isinstance(idf, Field)
    assert (idf.type.type, idf.doc, idf.order, idf.has_default, dict(idf.props)) == (
        "long",
        "the id",
        "descending",
        False,
        {"extra": True},
    )
    assert (name.has_default, name.default, name.order) == (True, "anon", "ascending")
    assert (email.has_default, email.default, email.order) == (True, None, "ignore")
    assert s.field("name") is name and s.field("nope") is None
    assert s.to_json() == {
        "type": "record",
        "name": "com.example.User",
        "doc": "a user",
        "fields": [
            {"name": "id", "type": "long", "doc": "the id", "order": "descending", "extra": True},
            {"name": "name", "type": "string", "default": "anon"},
            {"name": "email", "type": ["null", "string"], "default": None, "order": "ignore"},
        ],
        "custom": {"k": [1, 2]},
    }


def test_error_type_is_a_record() -> None:
    s = Schema.parse({"type": "error", "name": "Oops", "fields": [fld("msg", "string")]})
    assert isinstance(s, RecordSchema) and s.type == "record" and s.is_error
    assert s.to_json()["type"] == "error"
    assert Schema.parse(s.to_json()) == s
    assert s != Schema.parse({"type": "record", "name": "Oops", "fields": [fld("msg", "string")]})


@pytest.mark.parametrize(
    "schema, path, match",
    [
        ({"type": "record", "name": "R"}, "$", "record 'R' has no 'fields'"),
        ({"type": "record", "fields": []}, "$", "record schema has no 'name'"),
        (rec("a"), "$.fields[0]", "a field must be an object, not a string"),
        (rec({"type": "int"}), "$.fields[0]", "field has no 'name'"),
        (rec({"name": 1, "type": "int"}), "$.fields[0].name", "field name must be a string"),
        (rec(fld("a-b", "int")), "$.fields[0].name", "invalid field name 'a-b'"),
        (rec(fld("a.b", "int")), "$.fields[0].name", "invalid field name 'a.b'"),
        (rec(fld("", "int")), "$.fields[0].name", "invalid field name ''"),
        (
            rec(fld("a", "int"), fld("b", "int"), fld("a", "long")),
            "$.fields[2].name",
            "duplicate field name 'a'",
        ),
        (rec({"name": "a"}), "$.fields[0]", "field 'a' has no 'type'"),
        (
            rec(fld("a", "int", order="up")),
            "$.fields[0].order",
            "order must be 'ascending', 'descending' or 'ignore', not 'up'",
        ),
        (rec(fld("a", "int", order="ASCENDING")), "$.fields[0].order", "not 'ASCENDING'"),
        (
            rec(
                fld(
                    "a",
                    rec(
                        fld(
                            "b",
                            rec(fld("c", {"type": "enum", "name": "E", "symbols": [1]}), name="C"),
                        ),
                        name="B",
                    ),
                )
            ),
            "$.fields[0].type.fields[0].type.fields[0].type.symbols[0]",
            "enum symbol must be a string",
        ),
    ],
)
def test_record_errors(schema: Any, path: str, match: str) -> None:
    raises(schema, path, match)


def test_field_names_are_per_record() -> None:
    # item 15: field names have no namespace; uniqueness is per record
    s = Schema.parse(rec(fld("a", rec(fld("a", "int"), name="Inner")), fld("b", "int")))
    assert s.fields[0].type.fields[0].name == "a"


def test_field_logical_type_is_ignored() -> None:
    # item 69: a logicalType on the field object is not a logical type of the field's type
    s = Schema.parse(rec(fld("d", "int", logicalType="date")))
    f = s.fields[0]
    assert f.type.logical_type is None and dict(f.props) == {"logicalType": "date"}


# -- enums (item 6) -------------------------------------------------------------------------------


def test_enum_model() -> None:
    s = Schema.parse(
        {
            "type": "enum",
            "name": "Suit",
            "symbols": ["SPADES", "HEARTS", "_x9"],
            "default": "HEARTS",
        }
    )
    assert isinstance(s, EnumSchema)
    assert s.symbols == ("SPADES", "HEARTS", "_x9") and s.default == "HEARTS"
    assert s.index("HEARTS") == 1 and s.index("CLUBS") is None
    assert Schema.parse({"type": "enum", "name": "E", "symbols": []}).symbols == ()
    # a JSON null enum default means no default (Java)
    assert (
        Schema.parse({"type": "enum", "name": "E", "symbols": ["A"], "default": None}).default
        is None
    )


@pytest.mark.parametrize(
    "schema, path, match",
    [
        ({"type": "enum", "name": "E"}, "$", "enum 'E' has no 'symbols'"),
        (
            {"type": "enum", "name": "E", "symbols": "A B"},
            "$.symbols",
            "'symbols' must be an array of strings",
        ),
        (
            {"type": "enum", "name": "E", "symbols": ["A", "1B"]},
            "$.symbols[1]",
            "invalid enum symbol '1B'",
        ),
        (
            {"type": "enum", "name": "E", "symbols": ["A", "B-"]},
            "$.symbols[1]",
            "invalid enum symbol 'B-'",
        ),
        (
            {"type": "enum", "name": "E", "symbols": ["A", "B", "A"]},
            "$.symbols[2]",
            "duplicate enum symbol 'A'",
        ),
        (
            {"type": "enum", "name": "E", "symbols": ["A"], "default": "B"},
            "$.default",
            "enum default 'B' is not one of the symbols",
        ),
        (
            {"type": "enum", "name": "E", "symbols": ["A"], "default": 0},
            "$.default",
            "enum default must be a symbol string",
        ),
    ],
)
def test_enum_errors(schema: Any, path: str, match: str) -> None:
    raises(schema, path, match)


# -- fixed (item 9) -------------------------------------------------------------------------------


def test_fixed_model() -> None:
    s = Schema.parse({"type": "fixed", "name": "F", "size": 0})
    assert isinstance(s, FixedSchema) and s.size == 0


@pytest.mark.parametrize(
    "size, match",
    [
        (-1, "must be a non-negative integer, not -1"),
        (1.5, "must be a non-negative integer, not a number"),
        (16.0, "must be a non-negative integer, not a number"),
        ("16", "not a string"),
        (True, "not a boolean"),
        (None, "not null"),
        (2**31, "larger than 2\\^31-1"),
    ],
)
def test_fixed_size_errors(size: Any, match: str) -> None:
    raises({"type": "fixed", "name": "F", "size": size}, "$.size", match)


# -- arrays, maps, unions (items 7, 8) -------------------------------------------------------------


def test_array_map_model() -> None:
    a = Schema.parse({"type": "array", "items": {"type": "map", "values": "long"}, "p": 1})
    assert isinstance(a, ArraySchema) and isinstance(a.items, MapSchema)
    assert a.items.values.type == "long" and dict(a.props) == {"p": 1}


def test_union_model() -> None:
    u = Schema.parse(
        [
            "null",
            "int",
            {"type": "fixed", "name": "A", "size": 1},
            {"type": "fixed", "name": "B", "size": 1},
        ]
    )
    assert isinstance(u, UnionSchema) and u.type == "union"
    assert [b.type for b in u.branches] == ["null", "int", "fixed", "fixed"]
    assert Schema.parse([]).branches == ()


@pytest.mark.parametrize(
    "schema, path, match",
    [
        (["int", "int"], "$[1]", "duplicate type 'int' in union \\(also branch 0\\)"),
        (
            ["null", {"type": "array", "items": "int"}, {"type": "array", "items": "long"}],
            "$[2]",
            "duplicate type 'array'",
        ),
        (
            [{"type": "map", "values": "int"}, {"type": "map", "values": "int"}],
            "$[1]",
            "duplicate type 'map'",
        ),
        # item 8: a logical type counts as its underlying type
        (["int", {"type": "int", "logicalType": "date"}], "$[1]", "duplicate type 'int'"),
        (["long", {"type": "long", "logicalType": "nope"}], "$[1]", "duplicate type 'long'"),
        (["null", ["int"]], "$[1]", "a union cannot directly contain a union"),
        ([{"type": "fixed", "name": "F", "size": 1}, "F"], "$[1]", "duplicate named type 'F'"),
        (
            rec(fld("u", ["null", "R"]), fld("v", ["R", "R"])),
            "$.fields[1].type[1]",
            "duplicate named type 'R'",
        ),
        (["null", "nope"], "$[1]", "unknown type 'nope'"),
    ],
)
def test_union_errors(schema: Any, path: str, match: str) -> None:
    raises(schema, path, match)


def test_union_of_distinct_named_types() -> None:
    u = Schema.parse(
        [
            {"type": "fixed", "name": "F", "size": 1},
            {"type": "fixed", "name": "x.F", "size": 1},
            {"type": "enum", "name": "E", "symbols": ["A"]},
            {"type": "array", "items": "F"},
        ]
    )
    assert [getattr(b, "fullname", b.type) for b in u.branches] == ["F", "x.F", "E", "array"]


# -- properties (item 3) ----------------------------------------------------------------------------


def test_properties_kept_and_excluded_from_canonical_form() -> None:
    s = Schema.parse({"type": "string", "avro.java.string": "String"})
    assert isinstance(s, PrimitiveSchema)
    assert dict(s.props) == {"avro.java.string": "String"}
    assert s.to_json() == {"type": "string", "avro.java.string": "String"}
    assert s.canonical_form == '"string"'
    assert s != Schema.parse("string")
    assert hash(s) == hash(Schema.parse("string"))


def test_props_are_read_only_and_detached_from_input() -> None:
    obj = {"type": "map", "values": "int", "meta": {"a": [1]}}
    s = Schema.parse(obj)
    obj["meta"]["a"].append(2)  # type: ignore[index]
    assert s.props["meta"] == {"a": [1]}
    with pytest.raises(TypeError):
        s.props["x"] = 1  # type: ignore[index]


def test_non_string_doc_is_kept_as_property() -> None:
    # Java ignores a doc that is not a string; we keep it (as a property) so to_json round-trips
    s = Schema.parse({"type": "record", "name": "R", "doc": 5, "fields": []})
    assert s.doc is None and dict(s.props) == {"doc": 5}
    assert Schema.parse(s.to_json()) == s


# -- logical types (items 69-79) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "schema, logical",
    [
        ({"type": "int", "logicalType": "date"}, "date"),
        ({"type": "int", "logicalType": "time-millis"}, "time-millis"),
        ({"type": "long", "logicalType": "time-micros"}, "time-micros"),
        ({"type": "long", "logicalType": "timestamp-millis"}, "timestamp-millis"),
        ({"type": "long", "logicalType": "timestamp-micros"}, "timestamp-micros"),
        ({"type": "long", "logicalType": "timestamp-nanos"}, "timestamp-nanos"),
        ({"type": "long", "logicalType": "local-timestamp-millis"}, "local-timestamp-millis"),
        ({"type": "long", "logicalType": "local-timestamp-micros"}, "local-timestamp-micros"),
        ({"type": "long", "logicalType": "local-timestamp-nanos"}, "local-timestamp-nanos"),
        ({"type": "string", "logicalType": "uuid"}, "uuid"),
        ({"type": "fixed", "name": "U", "size": 16, "logicalType": "uuid"}, "uuid"),
        ({"type": "fixed", "name": "D", "size": 12, "logicalType": "duration"}, "duration"),
        ({"type": "bytes", "logicalType": "big-decimal"}, "big-decimal"),
    ],
)
def test_valid_logical_types(schema: dict[str, Any], logical: str) -> None:
    s = Schema.parse(schema)
    assert s.logical_type == logical
    assert "logicalType" not in s.props
    assert s.precision is None and s.scale is None
    j = s.to_json()
    assert j["logicalType"] == logical
    assert Schema.parse(j) == s
    assert logical in repr(s)


def test_valid_decimals() -> None:
    b = Schema.parse(
        {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 3, "x": 1}
    )
    assert (b.type, b.logical_type, b.precision, b.scale, dict(b.props)) == (
        "bytes",
        "decimal",
        10,
        3,
        {"x": 1},
    )
    assert b.to_json() == {
        "type": "bytes",
        "logicalType": "decimal",
        "precision": 10,
        "scale": 3,
        "x": 1,
    }
    # scale defaults to 0
    d = Schema.parse({"type": "bytes", "logicalType": "decimal", "precision": 4})
    assert (d.precision, d.scale) == (4, 0)
    assert d == Schema.parse(
        {"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 0}
    )
    assert (
        Schema.parse({"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 4}).scale
        == 4
    )
    # item 71: fixed(n) holds at most floor(log10(2^(8n-1) - 1)) digits
    for size, max_p in [(1, 2), (2, 4), (3, 6), (4, 9), (8, 18), (16, 38), (32, 76)]:
        ok = Schema.parse(
            {
                "type": "fixed",
                "name": "F",
                "size": size,
                "logicalType": "decimal",
                "precision": max_p,
            }
        )
        assert ok.logical_type == "decimal", size
        bad = Schema.parse(
            {
                "type": "fixed",
                "name": "F",
                "size": size,
                "logicalType": "decimal",
                "precision": max_p + 1,
            }
        )
        assert bad.logical_type is None, size
        assert bad.props["precision"] == max_p + 1


@pytest.mark.parametrize(
    "schema",
    [
        # unknown
        {"type": "string", "logicalType": "email"},
        {"type": "int", "logicalType": 5},
        # wrong underlying type
        {"type": "long", "logicalType": "date"},
        {"type": "int", "logicalType": "timestamp-millis"},
        {"type": "int", "logicalType": "time-micros"},
        {"type": "long", "logicalType": "time-millis"},
        {"type": "string", "logicalType": "decimal", "precision": 4},
        {"type": "fixed", "name": "B", "size": 8, "logicalType": "big-decimal"},
        {"type": "bytes", "logicalType": "uuid"},
        {"type": "bytes", "logicalType": "duration"},
        {"type": "array", "items": "int", "logicalType": "date"},
        {"type": "enum", "name": "E", "symbols": ["A"], "logicalType": "uuid"},
        # bad parameters
        {"type": "fixed", "name": "U", "size": 15, "logicalType": "uuid"},
        {"type": "fixed", "name": "D", "size": 16, "logicalType": "duration"},
        {"type": "bytes", "logicalType": "decimal"},
        {"type": "bytes", "logicalType": "decimal", "precision": 0},
        {"type": "bytes", "logicalType": "decimal", "precision": -2},
        {"type": "bytes", "logicalType": "decimal", "precision": 4.0},
        {"type": "bytes", "logicalType": "decimal", "precision": "4"},
        {"type": "bytes", "logicalType": "decimal", "precision": True},
        {"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 5},
        {"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": -1},
        {"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 1.0},
        {"type": "fixed", "name": "F", "size": 0, "logicalType": "decimal", "precision": 1},
    ],
)
def test_invalid_logical_types_fall_back(schema: dict[str, Any]) -> None:
    s = Schema.parse(schema)
    assert s.logical_type is None and s.precision is None and s.scale is None
    assert s.type == schema["type"]
    reserved = {"type", "name", "size", "symbols", "items"}
    assert dict(s.props) == {k: v for k, v in schema.items() if k not in reserved}
    assert Schema.parse(s.to_json()) == s


def test_logical_type_attributes_of_other_types_stay_props() -> None:
    s = Schema.parse({"type": "long", "logicalType": "timestamp-millis", "precision": 3})
    assert s.logical_type == "timestamp-millis" and s.precision is None
    assert dict(s.props) == {"precision": 3}


# -- defaults (items 20-28) ------------------------------------------------------------------------


FIXED4 = {"type": "fixed", "name": "F4", "size": 4}
ENUM = {"type": "enum", "name": "E", "symbols": ["A", "B"]}


@pytest.mark.parametrize(
    "type_, default",
    [
        ("null", None),
        ("boolean", False),
        ("int", 0),
        ("int", -(2**31)),
        ("int", 2**31 - 1),
        ("long", 2**63 - 1),
        ("long", -(2**63)),
        ("float", 1),
        ("float", 1.5),
        ("double", -1e300),
        ("double", float("nan")),
        ("bytes", ""),
        ("bytes", "\u00ff\u0000ab"),
        ("string", "é🎉"),
        (FIXED4, "\u00ff\u00fe\u0000a"),
        (ENUM, "B"),
        ({"type": "array", "items": "int"}, [1, 2]),
        ({"type": "array", "items": "int"}, []),
        ({"type": "map", "values": "string"}, {"a": "b"}),
        (["null", "int"], None),
        # item 27 (1.12): any branch that matches
        (["null", "int"], 3),
        (["int", "string"], "x"),
        (["null", FIXED4], "abcd"),
        ({"type": "int", "logicalType": "date"}, 19000),
        ({"type": "bytes", "logicalType": "decimal", "precision": 4}, "\u0001"),
    ],
)
def test_valid_defaults(type_: Any, default: Any) -> None:
    s = Schema.parse(rec(fld("f", type_, default=default)))
    f = s.fields[0]
    assert f.has_default
    if default == default:  # not NaN
        assert f.default == default


@pytest.mark.parametrize(
    "type_, default, path, match",
    [
        ("null", 0, "$.fields[0].default", "expected null, got a number"),
        ("boolean", 0, "$.fields[0].default", "expected a boolean, got a number"),
        ("boolean", "true", "$.fields[0].default", "expected a boolean, got a string"),
        # booleans are not ints (Python's bool is)
        ("int", True, "$.fields[0].default", "expected an integer \\(int\\), got a boolean"),
        ("long", False, "$.fields[0].default", "expected an integer \\(long\\), got a boolean"),
        ("int", 1.0, "$.fields[0].default", "expected an integer \\(int\\), got a number 1.0"),
        ("int", "1", "$.fields[0].default", "expected an integer"),
        ("int", 2**31, "$.fields[0].default", "2147483648 is out of range for int"),
        ("int", -(2**31) - 1, "$.fields[0].default", "out of range for int"),
        ("long", 2**63, "$.fields[0].default", "out of range for long"),
        ("long", -(2**63) - 1, "$.fields[0].default", "out of range for long"),
        ("float", "1.5", "$.fields[0].default", "expected a number \\(float\\), got a string"),
        ("double", True, "$.fields[0].default", "expected a number \\(double\\), got a boolean"),
        ("string", None, "$.fields[0].default", "expected a string, got null"),
        ("bytes", 1, "$.fields[0].default", "expected a string of code points 0-255"),
        ("bytes", "\u0100", "$.fields[0].default", "above U\\+00FF"),
        (FIXED4, "abc", "$.fields[0].default", "fixed default has 3 bytes, expected 4"),
        (FIXED4, "abcde", "$.fields[0].default", "fixed default has 5 bytes, expected 4"),
        (FIXED4, "abc\u0100", "$.fields[0].default", "above U\\+00FF"),
        (ENUM, "C", "$.fields[0].default", "'C' is not a symbol of enum 'E'"),
        (ENUM, 0, "$.fields[0].default", "expected an enum symbol string"),
        (
            {"type": "array", "items": "int"},
            [1, "x"],
            "$.fields[0].default[1]",
            "expected an integer",
        ),
        ({"type": "array", "items": "int"}, {}, "$.fields[0].default", "expected an array"),
        (
            {"type": "map", "values": "int"},
            {"a": 1, "b": None},
            "$.fields[0].default.b",
            "expected an integer",
        ),
        (
            {"type": "map", "values": "int"},
            [],
            "$.fields[0].default",
            "expected an object \\(map\\)",
        ),
        # item 27: must match some branch
        (
            ["null", "int"],
            "x",
            "$.fields[0].default",
            "a string matches no branch of the union \\[null, int\\]",
        ),
        (["int", "long"], 2**63, "$.fields[0].default", "matches no branch"),
        ([], None, "$.fields[0].default", "an empty union has no valid default"),
        (
            {"type": "int", "logicalType": "date"},
            "2020-01-01",
            "$.fields[0].default",
            "expected an integer",
        ),
    ],
)
def test_invalid_defaults(type_: Any, default: Any, path: str, match: str) -> None:
    err = raises(rec(fld("f", type_, default=default)), path, match)
    assert "invalid default for field 'f'" in str(err)


def test_record_defaults() -> None:
    inner = rec(fld("a", "int"), fld("b", "string", default="x"), name="Inner")
    # item 24: a field missing from the object falls back to its own default
    s = Schema.parse(rec(fld("r", inner, default={"a": 1})))
    assert s.fields[0].default == {"a": 1}
    Schema.parse(rec(fld("r", inner, default={"a": 1, "b": "y", "extra": 0})))
    raises(
        rec(fld("r", inner, default={"b": "y"})),
        "$.fields[0].default",
        "missing field 'a' \\(which has no default\\)",
    )
    raises(rec(fld("r", inner, default={"a": "1"})), "$.fields[0].default.a", "expected an integer")
    raises(
        rec(fld("r", inner, default=[])),
        "$.fields[0].default",
        "expected an object \\(record 'Inner'\\)",
    )


def test_nested_default_paths() -> None:
    inner = rec(
        fld("xs", {"type": "array", "items": {"type": "map", "values": "long"}}), name="Inner"
    )
    raises(
        rec(fld("ok", "int"), fld("r", inner, default={"xs": [{}, {"k": 1, "bad": "no"}]})),
        "$.fields[1].default.xs[1].bad",
        "expected an integer \\(long\\), got a string",
    )
    # a default inside a nested record's field has its own path
    raises(
        rec(fld("r", rec(fld("a", "int"), fld("b", "int", default="x"), name="In"))),
        "$.fields[0].type.fields[1].default",
        "invalid default for field 'b'",
    )


def test_recursive_record_default() -> None:
    s = Schema.parse(
        rec(
            fld("v", "int"),
            fld("next", ["null", "Node"], default=None),
            fld("first", ["null", "Node"], default=None),
            name="Node",
        )
    )
    t = Schema.parse(
        rec(fld("head", s.to_json(), default={"v": 1, "next": {"v": 2, "next": None}}), name="List")
    )
    assert t.fields[0].default["next"]["v"] == 2


def test_default_is_copied() -> None:
    s = Schema.parse(rec(fld("a", {"type": "array", "items": "int"}, default=[1])))
    d = s.fields[0].default
    d.append(2)
    assert s.fields[0].default == [1]


# -- load() -----------------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, obj: Any) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(obj), "utf-8")
    return p


def test_load_mutually_referencing_files_any_order(tmp_path: Path) -> None:
    a = write(
        tmp_path, "a.avsc", {"type": "fixed", "name": "Hash", "namespace": "com.x", "size": 16}
    )
    b = write(tmp_path, "b.avsc", {"type": "enum", "name": "com.x.Kind", "symbols": ["A", "B"]})
    c = write(
        tmp_path,
        "c.avsc",
        {
            "type": "record",
            "name": "Item",
            "namespace": "com.x",
            "fields": [fld("h", "Hash"), fld("k", "com.x.Kind"), fld("u", "com.y.User")],
        },
    )
    d = write(tmp_path, "d.avsc", rec(fld("id", "long"), fld("h", "com.x.Hash"), name="com.y.User"))
    for order in ([c, d, b, a], [a, b, d, c], [d, c, a, b], [b, c, d, a]):
        s = Schema.load(*order)
        # returns the LAST path's schema
        assert (
            s.fullname
            == {a: "com.x.Hash", b: "com.x.Kind", c: "com.x.Item", d: "com.y.User"}[order[-1]]
        )
    s = Schema.load(d, b, a, c)
    assert isinstance(s, RecordSchema) and s.fullname == "com.x.Item"
    assert [f.type.fullname for f in s.fields] == ["com.x.Hash", "com.x.Kind", "com.y.User"]
    # one object per named type across files
    assert s.fields[2].type.fields[1].type is s.fields[0].type
    assert Schema.load(a).fullname == "com.x.Hash"


def test_load_order_independent(tmp_path: Path) -> None:
    a = write(
        tmp_path, "a.avsc", {"type": "fixed", "name": "Hash", "namespace": "com.x", "size": 16}
    )
    b = write(tmp_path, "b.avsc", rec(fld("h", "com.x.Hash"), name="com.x.Mid"))
    c = write(tmp_path, "c.avsc", rec(fld("m", "com.x.Mid"), fld("h2", "Hash"), name="com.x.Top"))
    expected = Schema.load(a, b, c)
    assert expected.fields[0].type.fields[0].type is expected.fields[1].type
    assert Schema.load(b, a, c) == expected
    # loaded in reverse, the last file (a) is returned; the others were parsed as well
    assert Schema.load(c, b, a) == expected.fields[1].type
    mid = Schema.load(c, a, b)
    assert mid == expected.fields[0].type


def test_load_unresolved(tmp_path: Path) -> None:
    a = write(tmp_path, "a.avsc", rec(fld("x", "Missing"), name="A"))
    b = write(tmp_path, "b.avsc", rec(fld("y", "A"), fld("z", "Other"), name="B"))
    # each stuck file reports the first name it cannot resolve
    with pytest.raises(SchemaError, match="unresolved type name\\(s\\) A, Missing") as info:
        Schema.load(b, a)
    assert "a.avsc: 'Missing' at $.fields[0].type" in str(info.value)
    assert "b.avsc: 'A' at $.fields[0].type" in str(info.value)


def test_load_cycle_between_files_is_unresolvable(tmp_path: Path) -> None:
    # item 14: a name must be defined before it is used, so two files that need each other's
    # types can never load
    a = write(tmp_path, "a.avsc", rec(fld("b", ["null", "B"]), name="A"))
    b = write(tmp_path, "b.avsc", rec(fld("a", ["null", "A"]), name="B"))
    with pytest.raises(SchemaError, match="unresolved type name\\(s\\) A, B"):
        Schema.load(a, b)


def test_load_errors(tmp_path: Path) -> None:
    a = write(tmp_path, "a.avsc", {"type": "fixed", "name": "F", "size": 1})
    dup = write(tmp_path, "dup.avsc", {"type": "fixed", "name": "F", "size": 2})
    with pytest.raises(SchemaError, match="dup.avsc: type 'F' is already defined") as info:
        Schema.load(a, dup)
    assert info.value.path == "$.name"
    assert str(info.value).endswith("already defined (at $.name)")
    bad = tmp_path / "bad.avsc"
    bad.write_text("{nope", "utf-8")
    with pytest.raises(SchemaError, match="bad.avsc: schema is not valid JSON"):
        Schema.load(a, bad)
    with pytest.raises(TypeError):
        Schema.load()


def test_parse_with_named() -> None:
    base = Schema.parse(rec(fld("e", ENUM), name="com.x.Base"))
    s = Schema.parse(
        rec(fld("b", "com.x.Base"), fld("e", "com.x.E"), name="com.x.User"),
        named={"com.x.Base": base},
    )
    assert s.fields[0].type is base
    # named types defined inside a given schema are visible too
    assert s.fields[1].type is base.fields[0].type
    # relative reference within the namespace
    t = Schema.parse(rec(fld("b", "Base"), name="com.x.Other"), named={"com.x.Base": base})
    assert t.fields[0].type is base
    assert Schema.parse("com.x.Base", named={"b": base}) is base
    with pytest.raises(SchemaError, match="type 'com.x.Base' is already defined"):
        Schema.parse({"type": "fixed", "name": "com.x.Base", "size": 1}, named={"b": base})
    with pytest.raises(TypeError, match="must be a record, enum or fixed"):
        Schema.parse("int", named={"x": Schema.parse("int")})


# -- to_json ------------------------------------------------------------------------------------------


def test_to_json_full_names_and_single_definition() -> None:
    s = Schema.parse(
        {
            "type": "record",
            "name": "R",
            "namespace": "n",
            "fields": [
                fld("a", {"type": "fixed", "name": "F", "size": 2}),
                fld("b", "F"),
                fld(
                    "c",
                    {
                        "type": "enum",
                        "name": "E",
                        "namespace": "",
                        "symbols": ["X"],
                        "aliases": ["Old"],
                    },
                ),
                fld("d", {"type": "array", "items": "E"}),
            ],
        }
    )
    assert s.to_json() == {
        "type": "record",
        "name": "n.R",
        "fields": [
            {"name": "a", "type": {"type": "fixed", "name": "n.F", "size": 2}},
            {"name": "b", "type": "n.F"},
            # a null-namespace type inside a namespaced one keeps namespace ""
            {
                "name": "c",
                "type": {
                    "type": "enum",
                    "name": "E",
                    "namespace": "",
                    "aliases": ["Old"],
                    "symbols": ["X"],
                },
            },
            {"name": "d", "type": {"type": "array", "items": "E"}},
        ],
    }
    assert Schema.parse(s.to_json()) == s
    assert Schema.parse(json.dumps(s.to_json())).fields[2].type.aliases == ("Old",)
    assert str(s) == json.dumps(s.to_json())
    # a fresh object each call
    j = s.to_json()
    j["name"] = "changed"
    assert s.to_json()["name"] == "n.R"


@pytest.mark.parametrize("path", PASS, ids=[p.name for p in PASS])
def test_to_json_round_trip_corpus(path: Path) -> None:
    s = Schema.parse(path.read_text("utf-8"))
    again = Schema.parse(s.to_json())
    assert again == s
    assert again.to_json() == s.to_json()
    assert again.canonical_form == s.canonical_form


# -- immutability, equality, hashing, repr ---------------------------------------------------------


def test_immutable() -> None:
    s = Schema.parse(rec(fld("a", "int"), fld("e", ENUM)))
    for obj, attr in [
        (s, "name"),
        (s, "fields"),
        (s, "type"),
        (s, "logical_type"),
        (s, "props"),
        (s, "new_attribute"),
        (s.fields[0], "name"),
        (s.fields[0], "type"),
        (s.fields[1].type, "symbols"),
        (Schema.parse("int"), "type"),
    ]:
        with pytest.raises(AttributeError, match="immutable"):
            setattr(obj, attr, None)
        with pytest.raises(AttributeError):
            delattr(obj, attr)
    assert isinstance(s.fields, tuple)
    # objects are built through a mutable twin class and end up as the public class
    assert type(s) is RecordSchema and type(s.fields[0]) is Field
    assert type(s.fields[1].type) is EnumSchema and type(Schema.parse("int")) is PrimitiveSchema
    direct = FixedSchema("a.F", 3)
    assert type(direct) is FixedSchema and direct.size == 3
    with pytest.raises(AttributeError, match="immutable"):
        direct.size = 4


def test_equality_and_hash() -> None:
    a = Schema.parse('{"type":"record","name":"R","fields":[{"name":"a","type":"int","doc":"x"}]}')
    b = Schema.parse(
        {
            "fields": [{"doc": "x", "type": {"type": "int"}, "name": "a"}],
            "name": "R",
            "type": "record",
        }
    )
    c = Schema.parse('{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}')
    assert a == b and hash(a) == hash(b)
    assert a != c and hash(a) == hash(c)  # doc is not part of the canonical form
    assert a != "R" and Schema.parse("int") != "int"
    assert len({a, b, c}) == 2
    assert Schema.parse({"type": "int"}) == Schema.parse("int")
    assert a.fields[0] == b.fields[0] and a.fields[0] != c.fields[0]


def test_copy_and_pickle() -> None:
    s = Schema.parse(rec(fld("a", "int"), fld("self", ["null", "R"]), name="n.R"))
    assert copy.copy(s) is s and copy.deepcopy(s) is s
    t = pickle.loads(pickle.dumps(s))
    assert t == s and t.fields[1].type.branches[1] is t


def test_repr() -> None:
    s = Schema.parse(rec(fld("a", "int"), fld("b", {"type": "array", "items": ENUM}), name="n.R"))
    assert repr(s) == "RecordSchema('n.R', fields=[a, b])"
    assert (
        repr(s.fields[1]) == "Field('b', ArraySchema(items=EnumSchema('n.E', symbols=['A', 'B'])))"
    )
    assert repr(Schema.parse("int")) == "PrimitiveSchema('int')"
    assert (
        repr(Schema.parse({"type": "bytes", "logicalType": "decimal", "precision": 3, "scale": 1}))
        == "PrimitiveSchema('bytes', logical_type='decimal', precision=3, scale=1)"
    )
    assert repr(Schema.parse(["null", {"type": "map", "values": "long"}])) == (
        "UnionSchema([PrimitiveSchema('null'), MapSchema(values=PrimitiveSchema('long'))])"
    )
    assert (
        repr(Schema.parse({"type": "fixed", "name": "F", "size": 3})) == "FixedSchema('F', size=3)"
    )


def test_named_types() -> None:
    s = Schema.parse(rec(fld("a", FIXED4), fld("b", ["null", ENUM, "R"]), name="R"))
    assert list(s.named_types) == ["R", "F4", "E"]
    assert s.named_types["E"] is s.fields[1].type.branches[1]


def test_large_schema_parses() -> None:
    fields = []
    for i in range(200):
        if i % 4 == 0:
            t: Any = {
                "type": "record",
                "name": f"Sub{i}",
                "fields": [fld("x", "long"), fld("y", ["null", "string"], default=None)],
            }
        elif i % 4 == 1:
            t = {"type": "enum", "name": f"E{i}", "symbols": [f"S{j}" for j in range(10)]}
        elif i % 4 == 2:
            t = ["null", "int", {"type": "array", "items": f"Sub{i - 2}"}]
        else:
            t = {"type": "map", "values": f"E{i - 2}"}
        fields.append(fld(f"f{i}", t))
    s = Schema.parse(rec(*fields, name="Big"))
    assert len(s.fields) == 200
    assert Schema.parse(s.canonical_form).canonical_form == s.canonical_form


def test_deep_nesting_is_a_schema_error() -> None:
    deep: Any = "int"
    for _ in range(5000):
        deep = {"type": "array", "items": deep}
    with pytest.raises(SchemaError, match="nested too deeply"):
        Schema.parse(deep)
    with pytest.raises(SchemaError, match="nested too deeply|not valid JSON"):
        Schema.parse('{"type":"array","items":' * 100000 + '"int"' + "}" * 100000)
    # moderately deep schemas are fine
    ok: Any = "int"
    for _ in range(100):
        ok = {"type": "array", "items": ok}
    assert Schema.parse(ok).canonical_form.count("array") == 100


@settings(max_examples=200)
@given(strategies.schemas(top_level="any"))
def test_random_schemas_round_trip_to_json(schema_json: Any) -> None:
    s = Schema.parse(schema_json)
    j = s.to_json()
    t = Schema.parse(json.loads(json.dumps(j)))
    assert t == s and t.to_json() == j
    assert t.canonical_form == s.canonical_form
    assert t.fingerprint() == s.fingerprint()
    # every field default the generator wrote is kept as written
    for named in s.named_types.values():
        if isinstance(named, RecordSchema):
            assert named == t.named_types[named.fullname]


def test_text_parse_is_cached() -> None:
    text = '{"type":"record","name":"Cached","fields":[{"name":"a","type":"int"}]}'
    assert Schema.parse(text) is Schema.parse(text)
    assert Schema.parse(text.encode()) is Schema.parse(text.encode())
    # objects are not cached (they are mutable), nor is text parsed against `named`
    obj = json.loads(text)
    assert Schema.parse(obj) is not Schema.parse(obj)
    assert Schema.parse(obj) == Schema.parse(text)
    # errors are raised every time
    for _ in range(2):
        with pytest.raises(SchemaError, match="unknown type 'Nope'"):
            Schema.parse('{"type":"array","items":"Nope"}')


# -- robustness: arbitrary JSON never escapes as anything but SchemaError ----------------------

_KEYS = st.sampled_from(
    [
        "type",
        "name",
        "namespace",
        "fields",
        "items",
        "values",
        "symbols",
        "size",
        "default",
        "aliases",
        "doc",
        "order",
        "logicalType",
        "precision",
        "scale",
        "x",
    ]
)
_WORDS = st.sampled_from(
    [
        "record",
        "error",
        "enum",
        "array",
        "map",
        "fixed",
        "union",
        "int",
        "long",
        "string",
        "null",
        "bytes",
        "boolean",
        "float",
        "double",
        "decimal",
        "uuid",
        "date",
        "duration",
        "A",
        "a.B",
        "R",
        "",
        "1x",
        "ascending",
        "ignore",
    ]
)
_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | _WORDS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=6),
    max_leaves=25,
)


@settings(max_examples=300)
@given(_JSONISH)
def test_arbitrary_json_parses_or_raises_schema_error(obj: Any) -> None:
    try:
        s = Schema.parse(obj)
    except SchemaError as e:
        assert e.path is not None and e.path.startswith("$")
        return
    # whatever parsed is a complete, consistent schema
    again = Schema.parse(s.to_json())
    assert again == s and again.canonical_form == s.canonical_form
    s.fingerprint()


def _slots(node: Any, out: list[tuple[Any, Any]]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((node, k))
            _slots(v, out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((node, i))
            _slots(v, out)


@settings(max_examples=300)
@given(strategies.schemas(top_level="any"), st.data())
def test_mutated_valid_schemas_parse_or_raise_schema_error(schema_json: Any, data: Any) -> None:
    slots: list[tuple[Any, Any]] = []
    _slots(schema_json, slots)
    if slots:
        container, key = data.draw(st.sampled_from(slots))
        if data.draw(st.booleans()) and isinstance(container, dict):
            del container[key]
        else:
            container[key] = data.draw(_JSONISH)
    try:
        s = Schema.parse(schema_json)
    except SchemaError as e:
        assert e.path is not None and e.path.startswith("$")
        return
    again = Schema.parse(s.to_json())
    assert again == s and again.canonical_form == s.canonical_form
