"""The shared strategies are right: checked against fastavro 1.13 and Apache avro 1.12.2.

Generated schemas must parse in both libraries, generated values must validate in fastavro and
come back equal from its binary writer/reader (and from avro's where it implements the logical
types), evolutions must stay valid, and a sample must cover every type, logical type and schema
feature the strategies promise.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import io
import json
import math
import os
import uuid
import warnings
from pathlib import Path
from typing import Any

import avro.errors
import avro.io
import avro.schema
import fastavro
import pytest
from fastavro.validation import validate
from hypothesis import HealthCheck, assume, given, seed, settings
from hypothesis import strategies as st

import strategies as S

TESTS = Path(__file__).parent


def fastavro_roundtrip(schema: Any, datum: Any) -> tuple[bytes, Any]:
    parsed = fastavro.parse_schema(copy.deepcopy(schema))
    validate(datum, parsed, raise_errors=True)
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, parsed, datum)
    data = buf.getvalue()
    return data, fastavro.schemaless_reader(io.BytesIO(data), parsed)


def avro_parse(schema: Any) -> avro.schema.Schema:
    """avro.schema.parse, tolerating only the warnings the spec asks for (ignored logical
    types, SPEC item 69) and only when the schema has such a type."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed = avro.schema.parse(json.dumps(schema))
    for w in caught:
        assert issubclass(w.category, avro.errors.IgnoredLogicalType), w
    if caught:
        has_ignored = any(
            isinstance(n, dict) and "logicalType" in n
            and S._logical_variant(n) not in S.AVRO_LOGICAL_VARIANTS | {"uuid-string"}
            for n, _ns, _f in S.walk(schema)
        )
        assert has_ignored, [str(w.message) for w in caught]
    return parsed


def avro_roundtrip(parsed: avro.schema.Schema, datum: Any) -> Any:
    buf = io.BytesIO()
    avro.io.DatumWriter(parsed).write(datum, avro.io.BinaryEncoder(buf))
    buf.seek(0)
    return avro.io.DatumReader(parsed).read(avro.io.BinaryDecoder(buf))


# ---------------------------------------------------------------------------------------------
# schemas


# Heavier properties run a quarter of the profile's examples (50 under "ci").
FEW = settings(max_examples=max(20, settings().max_examples // 4))


@given(S.schemas(unambiguous_unions=False, top_level="any"))
def test_every_schema_parses_in_fastavro_and_avro(schema: Any) -> None:
    text = json.dumps(schema, allow_nan=False)  # plain JSON: defaults never hold NaN
    assert json.loads(text) == schema
    fastavro.parse_schema(copy.deepcopy(schema))
    if not [r for r in S.avro_incompatibilities(schema) if "namespace" in r]:
        avro_parse(schema)
    names = S._index(schema)
    for node, ns, _full in S.walk(schema):
        if isinstance(node, list):  # every union is legal (SPEC item 8)
            assert node, "empty union"
            assert not S._union_problems(node, ns, names, unambiguous=False), node


def test_ambiguous_unions_detects_each_group() -> None:
    rec = {"type": "record", "name": "R", "fields": []}
    enum = {"type": "enum", "name": "E", "symbols": ["A"]}
    fixed = {"type": "fixed", "name": "F", "size": 2}
    cases = [
        ["int", "long"],
        ["float", "double"],
        ["long", "double"],
        ["string", enum],
        ["bytes", fixed],
        [rec, {"type": "map", "values": "int"}],
        ["bytes", {"type": "array", "items": "int"}],
        [{"type": "int", "logicalType": "date"}, {"type": "long", "logicalType": "timestamp-millis"}],
    ]
    for union in cases:
        schema = {"type": "record", "name": "Top", "fields": [{"name": "u", "type": union}]}
        assert S.ambiguous_unions(schema) == [union], union
        assert not S.fastavro_compatible(schema)
    fine = ["null", "boolean", "int", "string", "bytes", rec]
    assert S.ambiguous_unions(fine) == []


@pytest.mark.parametrize("union, flagged", [
    (["boolean", "double"], True), (["null", "boolean", "long"], True),
    (["boolean", "string", "int"], True), (["double", "boolean"], False),
    (["int", "null", "boolean"], False), (["boolean", "string"], False),
])
def test_avro_union_writer_quirk_is_flagged(union: list[str], flagged: bool) -> None:
    """avro 1.12.2 writes a union value in the last branch it validates against, and a bool
    validates as a number: False in ["boolean", "double"] comes back as 0.0. Exactly the unions
    where that happens (a boolean before a numeric branch) are excluded from the oracle tests."""
    schema = {"type": "record", "name": "R", "fields": [{"name": "u", "type": union}]}
    assert ("boolean before a numeric branch in a union" in S.avro_incompatibilities(schema)) is flagged
    for value in (False, True):
        back = avro_roundtrip(avro_parse(schema), {"u": value})["u"]
        assert (S.avro_diff(value, back) is not None) is flagged, (union, value, back)


def test_avro_null_namespace_quirk_is_flagged() -> None:
    inner = {"type": "fixed", "name": "F", "namespace": "", "size": 1}
    schema = {"type": "record", "name": "R", "namespace": "ns", "fields": [{"name": "a", "type": inner}]}
    assert S.avro_incompatibilities(schema) == ["explicit null namespace for F inside namespace ns"]
    # the quirk itself: avro 1.12.2 names the type ns.F, where the spec says F
    assert avro_parse(schema).fields[0].type.fullname == "ns.F"
    top = {"type": "record", "name": "R", "namespace": "", "fields": [{"name": "a", "type": "int"}]}
    assert S.avro_compatible(top)


@settings(max_examples=50, database=None)
@given(st.data())
def test_values_of_mutually_recursive_records_terminate(data: Any) -> None:
    """A reaches B through a required field and B reaches A through an array: past the
    recursion limit values take the shallowest way out instead of failing."""
    schema = {
        "type": "record", "name": "A", "fields": [
            {"name": "b", "type": {"type": "record", "name": "B", "fields": [
                {"name": "as", "type": {"type": "array", "items": "A"}},
                {"name": "next", "type": ["B", "null"]},
            ]}},
        ],
    }
    value = data.draw(S.datums(schema, max_recursion=1))
    assert S.datum_problem(value, schema) is None
    _, back = fastavro_roundtrip(schema, value)
    assert S.avro_equal(value, back)


def test_a_record_requiring_itself_has_no_values() -> None:
    schema = {"type": "record", "name": "A", "fields": [{"name": "a", "type": "A"}]}

    @settings(max_examples=1, database=None)
    @given(S.datums(schema))
    def draw_one(value: Any) -> None:
        raise AssertionError("unreachable")

    with pytest.raises(ValueError, match="record A has no finite values"):
        draw_one()


def test_named_types_and_references_resolve_per_spec() -> None:
    # SPEC items 11-12: dotted name wins over namespace; short names inherit the enclosing one.
    schema = {
        "type": "record", "name": "a.b.R", "namespace": "ignored",
        "fields": [
            {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X"]}},
            {"name": "f", "type": {"type": "fixed", "name": "F", "namespace": "", "size": 1}},
            {"name": "g", "type": "E"},
            {"name": "h", "type": "a.b.E"},
        ],
    }
    assert list(S.named_types(schema)) == ["a.b.R", "a.b.E", "F"]
    refs = [full for node, _ns, full in S.walk(schema) if isinstance(node, str) and full]
    assert refs == ["a.b.E", "a.b.E"]


# ---------------------------------------------------------------------------------------------
# values


@given(S.schema_and_datum(logical_types=S.FASTAVRO_LOGICAL_VARIANTS))
def test_datums_validate_and_roundtrip_through_fastavro(sd: tuple[Any, Any]) -> None:
    schema, datum = sd
    assert S.ambiguous_unions(schema) == []
    assert S.fastavro_compatible(schema)
    # datum_problem agrees with fastavro's validation (used where fastavro cannot judge)
    assert S.datum_problem(datum, schema) is None
    _, back = fastavro_roundtrip(schema, datum)
    assert S.avro_diff(datum, back) is None


@FEW
@given(S.schema_and_datums(3, unambiguous_unions=False))
def test_datums_are_valid_with_any_union(sd: tuple[Any, list[Any]]) -> None:
    # fastavro cannot judge values of ambiguous unions (it tries branches in order and its date
    # branch raises on non-ISO strings), so this uses datum_problem, itself checked against
    # fastavro on unambiguous schemas below.
    schema, values = sd
    assert len(values) == 3
    for v in values:
        assert S.datum_problem(v, schema) is None


@pytest.mark.parametrize(
    ("schema", "value", "problem"),
    [
        ("int", 2**31, "$: 2147483648 is not a int"),
        ("long", True, "$: True is not a long"),
        ("double", 1, "$: 1 is not a float"),
        ("float", 0.1, "$: 0.1 is not representable as a float32"),
        ("string", "\ud800", "$: '\\ud800' holds a lone surrogate"),
        ({"type": "array", "items": "int"}, [1, "x"], "$[1]: 'x' is not a int"),
        ({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}, {"a": 1, "b": 2},
         "$: keys ['a', 'b'] are not the fields ['a']"),
        ({"type": "int", "logicalType": "date"}, datetime.datetime(2000, 1, 1),
         "$: datetime.datetime(2000, 1, 1, 0, 0) is not a date"),
        ({"type": "long", "logicalType": "timestamp-millis"}, datetime.datetime(2000, 1, 1),
         "$: datetime.datetime(2000, 1, 1, 0, 0) must be aware"),
        ({"type": "bytes", "logicalType": "decimal", "precision": 3, "scale": 1}, decimal.Decimal("1.25"),
         "$: Decimal('1.25') has more than 1 fraction digits"),
        ({"type": "bytes", "logicalType": "decimal", "precision": 3, "scale": 1}, decimal.Decimal("100"),
         "$: Decimal('100') needs more than 3 digits"),
        ({"type": "fixed", "name": "D", "size": 12, "logicalType": "duration"}, (1, 2, -1),
         "$: (1, 2, -1) is not a (months, days, millis) tuple of unsigned 32-bit ints"),
    ],
)
def test_datum_problem_reports_what_and_where(schema: Any, value: Any, problem: str) -> None:
    assert S.datum_problem(value, schema) == problem


def test_datum_problem_union_needs_one_matching_branch() -> None:
    assert S.datum_problem(3, ["null", "string", "int"]) is None
    p = S.datum_problem(3.5, ["null", "int"])
    assert p is not None and p.startswith("$: 3.5 matches no branch of the union")


@given(S.schema_and_datum(logical_types=S.AVRO_LOGICAL_VARIANTS, nested_null_namespace=False))
def test_datums_roundtrip_through_apache_avro(sd: tuple[Any, Any]) -> None:
    schema, datum = sd
    # avro_incompatibilities names what avro cannot round-trip, e.g. its union writer's quirk
    # (test_avro_union_writer_quirk_is_flagged)
    assume(S.avro_compatible(schema))
    back = avro_roundtrip(avro_parse(schema), datum)
    assert S.avro_diff(datum, back) is None


@pytest.mark.parametrize("union", [["boolean", "double"], ["boolean", "int"],
                                   ["null", "boolean", "string", "long"]])
def test_avro_oracle_excludes_boolean_before_numeric_branches(union: list[str]) -> None:
    """avro writes the last union branch that validates, and validates a bool as a number: a
    boolean listed before a numeric branch comes back as a number, so such schemas are not
    avro-compatible; listed after every numeric branch it round-trips."""
    schema = {"type": "record", "name": "A", "fields": [{"name": "a", "type": union}]}
    back = avro_roundtrip(avro_parse(schema), {"a": False})
    assert type(back["a"]) is not bool
    assert not S.avro_compatible(schema)
    fine = {**schema, "fields": [{"name": "a", "type": [b for b in union if b != "boolean"]
                                  + ["boolean"]}]}
    assert avro_roundtrip(avro_parse(fine), {"a": False}) == {"a": False}
    assert S.avro_compatible(fine)


@pytest.mark.parametrize("variant", sorted(S.ALL_LOGICAL_VARIANTS))
@FEW
@given(data=st.data())
def test_logical_values_encode_to_valid_underlying_values(variant: str, data: Any) -> None:
    """Every logical value maps to an in-range value of its underlying type (checked by
    fastavro on the schema without ``logicalType``), back to itself, and where fastavro
    converts the type, to what fastavro reads."""
    opts = {"allow_props": False, "logical": frozenset([variant]), "nested_null_namespace": True}
    node = S._SchemaGen(data.draw, opts).logical("", variant)
    assert S._logical_variant(node) == variant
    value = data.draw(S.datums(node))
    assert S.datum_problem(value, node) is None
    raw = S._logical_to_underlying(value, variant, node)
    assert S.avro_equal(S._underlying_to_logical(raw, variant, node), value)
    bare = {k: v for k, v in node.items() if k not in ("logicalType", "precision", "scale")}
    bare.setdefault("name", "X")
    _, back = fastavro_roundtrip(bare, raw)
    assert back == raw
    if variant in S.FASTAVRO_LOGICAL_VARIANTS:
        # fastavro reads our underlying value as the logical value we started from
        parsed = fastavro.parse_schema(copy.deepcopy(node))
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, fastavro.parse_schema(bare), raw)
        assert S.avro_diff(value, fastavro.schemaless_reader(io.BytesIO(buf.getvalue()), parsed)) is None


@pytest.mark.parametrize(
    ("node", "value", "expected"),
    [
        ({"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2},
         decimal.Decimal("-1.28"), b"\x80"),
        ({"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2},
         decimal.Decimal("-1.29"), b"\xff\x7f"),
        ({"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2},
         decimal.Decimal("1.28"), b"\x00\x80"),
        ({"type": "fixed", "name": "D", "size": 3, "logicalType": "decimal", "precision": 6, "scale": 0},
         decimal.Decimal("-1"), b"\xff\xff\xff"),
        ({"type": "long", "logicalType": "timestamp-millis"},
         datetime.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=datetime.timezone.utc), -1),
        ({"type": "long", "logicalType": "timestamp-nanos"},
         datetime.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=datetime.timezone.utc), 1000),
        ({"type": "long", "logicalType": "local-timestamp-micros"},
         datetime.datetime(1970, 1, 2), 86_400_000_000),
        ({"type": "int", "logicalType": "date"}, datetime.date(1969, 12, 31), -1),
        ({"type": "int", "logicalType": "time-millis"}, datetime.time(0, 0, 1, 5000), 1005),
        ({"type": "fixed", "name": "U", "size": 16, "logicalType": "uuid"},
         uuid.UUID(int=1), b"\x00" * 15 + b"\x01"),
        ({"type": "fixed", "name": "Du", "size": 12, "logicalType": "duration"},
         (1, 2, 2**32 - 1), b"\x01\0\0\0\x02\0\0\0\xff\xff\xff\xff"),
        ({"type": "bytes", "logicalType": "big-decimal"},
         decimal.Decimal("-1.5"), b"\x02\xf1\x02"),
    ],
)
def test_logical_to_underlying_vectors(node: Any, value: Any, expected: Any) -> None:
    variant = S._logical_variant(node)
    assert variant is not None
    assert S._logical_to_underlying(value, variant, node) == expected


def test_invalid_logical_types_fall_back_to_underlying() -> None:
    # SPEC item 69: invalid parameters or underlying types are ignored, not errors.
    assert S._logical_variant({"type": "bytes", "logicalType": "decimal", "precision": 2, "scale": 3}) is None
    assert S._logical_variant({"type": "fixed", "name": "F", "size": 1, "logicalType": "decimal", "precision": 3}) is None
    assert S._logical_variant({"type": "fixed", "name": "F", "size": 1, "logicalType": "decimal", "precision": 2}) == "decimal-fixed"
    assert S._logical_variant({"type": "fixed", "name": "F", "size": 15, "logicalType": "uuid"}) is None
    assert S._logical_variant({"type": "int", "logicalType": "timestamp-millis"}) is None
    assert S._logical_variant({"type": "string", "logicalType": "x-custom"}) is None


@FEW
@given(S.schemas())
def test_defaults_are_valid(schema: Any) -> None:
    names = S._index(schema)
    for node, _ns, full in S.walk(schema):
        if isinstance(node, dict) and node.get("type") == "record":
            inner = S._namespace_of(full)
            for f in node["fields"]:
                if "default" in f:
                    assert S._default_problem(f["default"], f["type"], inner, names) is None, f
        if isinstance(node, dict) and node.get("type") == "enum" and "default" in node:
            assert node["default"] in node["symbols"]


@FEW
@given(st.data())
def test_default_json_roundtrips(data: Any) -> None:
    """to_default_json and from_default_json are inverse on every generated default, and the
    value read back is valid for the field's type (first branch of a union)."""
    schema = data.draw(S.schemas(max_depth=2))
    names = S._index(schema)
    for node, _ns, full in S.walk(schema):
        if not (isinstance(node, dict) and node.get("type") == "record"):
            continue
        inner = S._namespace_of(full)
        for f in node["fields"]:
            if "default" not in f:
                continue
            value = S.from_default_json(f["default"], f["type"], _ns=inner, _names=names)
            first = f["type"][0] if isinstance(f["type"], list) else f["type"]
            assert S.datum_problem(value, first, _ns=inner, _names=names) is None
            assert S.to_default_json(value, f["type"], _ns=inner, _names=names) == f["default"]


@pytest.mark.parametrize(
    ("schema", "default", "value"),
    [
        ("bytes", "\u00ff\u0000a", b"\xff\x00a"),
        ({"type": "fixed", "name": "F", "size": 2}, "\u00e9\u0001", b"\xe9\x01"),
        (["null", "int"], None, None),
        (["int", "null"], 7, 7),
        ("float", 1, 1.0),
        ({"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2}, "\u00ff\u0001",
         decimal.Decimal("-2.55")),
        ({"type": "long", "logicalType": "timestamp-millis"}, -1,
         datetime.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=datetime.timezone.utc)),
        ({"type": "int", "logicalType": "time-millis"}, 3_600_001, datetime.time(1, 0, 0, 1000)),
        ({"type": "string", "logicalType": "uuid"}, "00000000-0000-0000-0000-000000000001", uuid.UUID(int=1)),
        ({"type": "record", "name": "R", "fields": [
            {"name": "a", "type": "int"}, {"name": "b", "type": "string", "default": "x"}]},
         {"a": 1}, {"a": 1, "b": "x"}),
    ],
)
def test_from_default_json_vectors(schema: Any, default: Any, value: Any) -> None:
    got = S.from_default_json(default, schema)
    assert S.avro_equal(got, value), (got, value)


# ---------------------------------------------------------------------------------------------
# evolutions


@FEW
@given(st.data())
def test_evolutions_stay_valid(data: Any) -> None:
    old = data.draw(S.schemas(max_depth=2))
    new, changes = data.draw(S.evolutions(old, describe=True))
    assert changes
    fastavro.parse_schema(copy.deepcopy(new))
    if not [r for r in S.avro_incompatibilities(new) if "namespace" in r]:
        avro_parse(new)
    names = S._index(new)
    for node, ns, full in S.walk(new):
        if isinstance(node, str) and full:
            names.resolve(node, ns)  # every reference is defined
        if isinstance(node, list):
            assert not S._union_problems(node, ns, names, unambiguous=True), node
        if isinstance(node, dict) and node.get("type") == "record":
            for f in node["fields"]:
                if "default" in f:
                    assert S._default_problem(f["default"], f["type"], S._namespace_of(full), names) is None


@FEW
@given(st.data())
def test_evolutions_work_with_fastavro_resolution(data: Any) -> None:
    """Data written with either version reads with the other, or fastavro reports a
    resolution error: never a crash of another kind (the pair is well-formed)."""
    old = data.draw(S.schemas(max_depth=2, logical_types=S.FASTAVRO_LOGICAL_VARIANTS))
    new = data.draw(S.evolutions(old))
    for writer, reader in ((old, new), (new, old)):
        value = data.draw(S.datums(writer))
        w = fastavro.parse_schema(copy.deepcopy(writer))
        r = fastavro.parse_schema(copy.deepcopy(reader))
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, w, value)
        try:
            fastavro.schemaless_reader(io.BytesIO(buf.getvalue()), w, r)
        except fastavro.read.SchemaResolutionError:
            pass  # an incompatible change: the oracle under test must say so too
        except UnicodeDecodeError:
            assert "bytes" in json.dumps(writer)  # bytes -> string promotion of non-UTF-8 data


def test_evolution_sample_covers_every_kind_of_change() -> None:
    seen: set[str] = set()

    @settings(max_examples=200, database=None, derandomize=True)
    @given(st.data())
    def collect(data: Any) -> None:
        # a generated schema beside an enum (names longer than generated ones cannot clash),
        # so that the enum changes get their share of the sample
        enum = {"type": "enum", "name": "EnumForCoverage", "symbols": ["A", "B", "C"]}
        old = {"type": "record", "name": "TopLevelRecord", "fields": [
            {"name": "e", "type": enum}, {"name": "rest", "type": data.draw(S.schemas(max_depth=2))},
        ]}
        _new, changes = data.draw(S.evolutions(old, describe=True))
        for c in changes:
            words = c.split()
            seen.add(" ".join(words[:2]) if words[0] in ("add", "remove", "rename") else words[0])
            if "with default" in c:
                seen.add("add field with default")

    collect()
    expected = {
        "add field", "add field with default", "remove field", "promote", "add symbol",
        "remove symbol", "set", "rename field", "rename type", "widen", "narrow",
    }
    assert expected - seen == set()


def test_evolution_rename_keeps_references_and_alias() -> None:
    old = {
        "type": "record", "name": "R", "namespace": "n",
        "fields": [
            {"name": "a", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y"]}},
            {"name": "b", "type": "E"},
            {"name": "c", "type": "n.E"},
        ],
    }
    seen: dict[str, Any] = {}

    @settings(max_examples=300, database=None, derandomize=True)
    @given(S.evolutions(old, max_changes=1, describe=True))
    def collect(result: tuple[Any, list[str]]) -> None:
        new, changes = result
        if changes and changes[0].startswith("rename type n.E"):
            seen["rename"] = new
        if changes and changes[0].startswith("remove field 'a'"):
            seen["remove"] = new

    collect()
    renamed = seen["rename"]
    assert renamed["fields"][0]["type"]["name"] == "E_v2"
    assert renamed["fields"][0]["type"]["aliases"] == ["n.E"]
    assert [S._ref_fullname(f["type"], "n") for f in renamed["fields"][1:]] == ["n.E_v2", "n.E_v2"]
    # removing the field that defined E moves the definition to the next reference
    removed = seen["remove"]
    assert removed["fields"][0]["type"]["type"] == "enum"
    assert S._ref_fullname(removed["fields"][1]["type"], "n") == "n.E"


# ---------------------------------------------------------------------------------------------
# coverage over a sample


def _features(schema: Any) -> set[str]:
    out: set[str] = set()
    names = S._index(schema)
    for node, _ns, full in S.walk(schema):
        if isinstance(node, list):
            out.add("union")
            if len(node) >= 3:
                out.add("union3")
            continue
        if isinstance(node, str):
            if full:
                out.add("ref-full" if "." in node else "ref-short")
            else:
                out.add(node)
            continue
        t = node.get("type")
        out.add(t if isinstance(t, str) else "wrapped")
        if node.get("type") in S.PRIMITIVES:
            out.add("primitive-object")
        v = S._logical_variant(node)
        if v:
            out.add("logical:" + v)
        elif "logicalType" in node:
            out.add("unknown-logical")
        if set(node) - S._RESERVED_ATTRS:
            out.add("props")
        if t in ("record", "enum", "fixed"):
            if "." in node["name"]:
                out.add("dotted-name")
            if node.get("namespace") == "":
                out.add("null-namespace")
            elif "namespace" in node:
                out.add("namespace")
            if "aliases" in node:
                out.add("type-aliases")
            if "doc" in node:
                out.add("doc")
        if t == "enum" and "default" in node:
            out.add("enum-default")
        if t == "record":
            for f in node["fields"]:
                for k in ("default", "order", "aliases", "doc"):
                    if k in f:
                        out.add("field-" + k)
    # recursion: a record reachable from its own fields
    for full, (node, _ns) in names.defs.items():
        if node.get("type") == "record":
            inner = S._namespace_of(full)
            for f in node["fields"]:
                for n, _nns, ref in S.walk(f["type"], inner):
                    if isinstance(n, str) and ref == full:
                        out.add("recursion")
    return out


def test_schema_sample_covers_every_type_and_feature() -> None:
    seen: set[str] = set()

    @settings(max_examples=500, database=None)
    @given(S.schemas())
    def collect(schema: Any) -> None:
        seen.update(_features(schema))

    expected = set(S.PRIMITIVES) | {
        "record", "enum", "array", "map", "fixed", "union", "union3", "primitive-object",
        "ref-full", "ref-short", "props", "unknown-logical", "dotted-name", "null-namespace",
        "namespace", "type-aliases", "doc", "enum-default", "field-default", "field-order",
        "field-aliases", "field-doc", "recursion",
    } | {"logical:" + v for v in S.ALL_LOGICAL_VARIANTS}
    # up to three fixed seeds of 500 examples: one derandomized sample missed a rare feature
    # depending on what ran before it in the session (the strategies share name counters)
    for attempt in range(3):
        seed(attempt)(collect)()
        if expected <= seen:
            break
    assert expected - seen == set()


def test_value_sample_covers_edge_values() -> None:
    seen: set[str] = set()
    schema = {
        "type": "record", "name": "R",
        "fields": [
            {"name": "f", "type": "float"}, {"name": "d", "type": "double"},
            {"name": "s", "type": "string"}, {"name": "a", "type": {"type": "array", "items": "int"}},
            {"name": "l", "type": "long"},
        ],
    }

    @settings(max_examples=400, database=None, derandomize=True)
    @given(S.datums(schema))
    def collect(v: dict[str, Any]) -> None:
        for k in ("f", "d"):
            x = v[k]
            if math.isnan(x):
                seen.add(k + ":nan")
            elif math.isinf(x):
                seen.add(k + (":+inf" if x > 0 else ":-inf"))
            elif x == 0 and math.copysign(1, x) < 0:
                seen.add(k + ":-0")
        if any(ord(c) > 0xFFFF for c in v["s"]):
            seen.add("astral")
        if not v["a"]:
            seen.add("empty-array")
        if v["l"] in (-(2**63), 2**63 - 1):
            seen.add("long-extreme")
        # floats are float32-representable
        import struct

        f = v["f"]
        if not math.isnan(f):
            assert struct.unpack("<f", struct.pack("<f", f))[0] == f

    collect()
    want = {"f:nan", "f:+inf", "f:-inf", "f:-0", "d:nan", "d:+inf", "d:-inf", "d:-0", "astral",
            "empty-array", "long-extreme"}
    assert want - seen == set()


# ---------------------------------------------------------------------------------------------
# avro_equal


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (math.nan, float("nan"), True),
        (0.0, -0.0, False),
        (1, 1.0, False),
        (True, 1, False),
        ({"x": [1, {"y": math.nan}]}, {"x": [1, {"y": math.nan}]}, True),
        ({"x": 1, "y": 2}, {"y": 2, "x": 1}, True),
        ([1, 2], (1, 2), False),
        ((1, 2, 3), (1, 2, 3), True),
        (b"a", "a", False),
        (decimal.Decimal("1.10"), decimal.Decimal("1.1"), True),
        (datetime.datetime(2000, 1, 1), datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc), False),
        (datetime.date(2000, 1, 1), datetime.datetime(2000, 1, 1), False),
        (uuid.UUID(int=5), str(uuid.UUID(int=5)), False),
    ],
)
def test_avro_equal(a: Any, b: Any, equal: bool) -> None:
    assert S.avro_equal(a, b) is equal
    assert S.avro_equal(b, a) is equal


def test_avro_diff_names_the_path() -> None:
    assert S.avro_diff({"a": {"b": [1, 2, 3]}}, {"a": {"b": [1, 2, 4]}}) == "$.a.b[2]: 3 != 4"


# ---------------------------------------------------------------------------------------------
# conftest


def test_hypothesis_profile_from_environment() -> None:
    expected = {"ci": 200, "thorough": 2000}[os.environ.get("HYPOTHESIS_PROFILE", "ci")]
    assert settings().max_examples == expected
    assert settings().deadline is None
    assert HealthCheck.too_slow in settings().suppress_health_check


def _run_with_conftest(pytester: pytest.Pytester, use_conftest: bool) -> pytest.RunResult:
    if use_conftest:
        pytester.makeconftest((TESTS / "conftest.py").read_text())
    pytester.makepyfile(
        test_swallowed="""
        class Noisy:
            def __del__(self):
                raise ValueError("boom in __del__")

        def test_drops_a_noisy_object():
            Noisy()

        def test_clean():
            assert True
        """
    )
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestUnraisableExceptionWarning")


def test_unraisable_exception_fails_the_test(pytester: pytest.Pytester) -> None:
    result = _run_with_conftest(pytester, use_conftest=True)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*swallowed during the test*", "*ValueError: boom in __del__*"])
    assert "test_clean" not in "\n".join(ln for ln in result.outlines if "ERROR" in ln)


def test_without_the_fixture_the_same_test_passes(pytester: pytest.Pytester) -> None:
    # control: the failure above comes from our fixture, not from pytest's own plugin
    result = _run_with_conftest(pytester, use_conftest=False)
    result.assert_outcomes(passed=2)
