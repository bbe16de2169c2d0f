"""The one resolver (``turboavro.resolver``): its tree says what every reader does, its problems
are what the checker reports, and no other module decides a resolution rule."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import turboavro as ta
from turboavro import resolver
from turboavro.resolver import Resolver, resolve

SRC = Path(__file__).resolve().parents[1] / "src" / "turboavro"


def rec(name, *fields, **extra):
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def f(name, typ, **kw):
    return {"name": name, "type": typ, **kw}


E1 = {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}
E2 = {"type": "enum", "name": "E", "symbols": ["B", "A", "Z"], "default": "Z"}

WRITER = rec("R", f("id", "int"), f("gone", "string"), f("kind", E1),
             f("u", ["null", "int", "string"]))
READER = rec("R", f("ident", "long", aliases=["id"]), f("kind", E2),
             f("u", ["null", "long", "string"]), f("added", "double", default=1.5))


def test_tree_records_every_decision():
    root = resolve(WRITER, READER)
    assert root.kind == "record" and root.problems == []
    # writer order: each writer field with the reader field it fills (None: skipped)
    assert [(m.writer.name, m.reader and m.reader.name) for m in root.fields] == [
        ("id", "ident"), ("gone", None), ("kind", "kind"), ("u", "u")]
    ident, gone, kind, union = root.fields
    assert ident.node.kind == "promote" and gone.node is None
    # enum: the reader symbol per writer symbol, the reader default for the unknown one
    assert kind.node.symbol_map == ("A", "B", "Z")
    # writer union: each branch resolved against the reader union, Java's preferred branch
    assert [b.kind for b in union.node.branches] == ["reader_union"] * 3
    assert [b.chosen for b in union.node.branches] == [0, 1, 2]
    assert [b.target.kind for b in union.node.branches] == ["primitive", "promote", "primitive"]
    # reader order, with the reader-only field read from its default
    assert [(rf.name, wf and wf.name) for rf, wf, _ in root.sources] == [
        ("ident", "id"), ("kind", "kind"), ("u", "u"), ("added", None)]


def test_tree_is_printable():
    text = resolve(WRITER, READER).describe()
    assert text.splitlines()[0] == "record record R -> record R"
    assert "skip 'gone'" in text
    assert "'added' from default 1.5" in text
    assert "symbols ('A', 'B', 'Z')" in text
    assert "promote int -> long" in text


def test_problems_carry_type_location_and_kind():
    writer = rec("R", f("e", E1), f("x", "string"))
    reader = rec("R", f("e", {"type": "enum", "name": "E", "symbols": ["A"]}), f("x", "int"),
                 f("need", "int"))
    root = resolve(writer, reader)
    assert [(p.type, p.tokens, p.static) for p in root.problems] == [
        ("READER_FIELD_MISSING_DEFAULT_VALUE", ("fields", "2"), True)]
    e, x = root.fields[0].node, root.fields[1].node
    assert [(p.type, p.tokens, p.static, p.symbols) for p in e.problems] == [
        ("MISSING_ENUM_SYMBOLS", ("symbols",), False, ("B", "C"))]  # only that data fails
    assert x.kind == "mismatch" and x.problems[0].type == "TYPE_MISMATCH"
    assert x.problems[0].static


def test_recursive_types_give_a_cycle():
    node = {"type": "record", "name": "Node",
            "fields": [f("v", "int"), f("next", ["null", "Node"], default=None)]}
    root = resolve(node, node)
    nxt = root.fields[1].node.branches[1]  # writer branch Node read as the reader union
    assert nxt.kind == "reader_union" and nxt.target is root
    assert "(again)" in root.describe()


def test_one_node_per_pair():
    r = Resolver()
    w = ta.Schema.parse(WRITER)
    assert r.resolve(w, w) is r.resolve(w, w)


def test_readers_and_checker_agree_with_the_tree():
    """Static problems make every reader refuse the pair; data-dependent ones only the data."""
    writer = rec("R", f("a", "string"))
    reader = rec("R", f("a", "int"))
    assert resolve(writer, reader).fields[0].node.problems[0].static
    with pytest.raises(ta.SchemaResolutionError) as rows:
        ta.Decoder(writer, reader)
    data = _file(writer, [{"a": "x"}])
    with pytest.raises(ta.SchemaResolutionError) as cols:
        ta.read_columns(data, reader_schema=reader)
    assert str(rows.value) == str(cols.value)  # one wording, from the resolver's problem
    assert not ta.check_compatibility(reader, writer).compatible


def _file(schema, rows):
    import io

    buf = io.BytesIO()
    with ta.Writer(buf, schema) as w:
        w.write_many(rows)
    return buf.getvalue()


# -- one place --------------------------------------------------------------------------------

# Each rule's telltale: the promotion table, alias lookups, Java's union branch preference,
# enum symbol mapping, named-type matching. Only the resolver (and the schema model, which
# parses aliases) may contain them.
_RULES = {
    "promotion table": re.compile(r'"int":\s*\(\s*"long"|"int":\s*frozenset\(\{"long"'),
    "alias lookup": re.compile(r"\.aliases\b"),
    "branch preference": re.compile(r"def best_branch|\bb\.fullname == "),
    "enum symbol map": re.compile(r"for s in \w+\.symbols\b"),
}


@pytest.mark.parametrize("rule", sorted(_RULES))
def test_each_rule_is_decided_in_one_module(rule):
    pattern = _RULES[rule]
    where = sorted(
        str(p.relative_to(SRC))
        for p in [*SRC.rglob("*.py"), *SRC.rglob("*.pyx")]
        if pattern.search(p.read_text(encoding="utf-8"))
    )
    allowed = {"resolver.py", "schema.py", "_schema_model.py"}  # the model holds aliases
    assert set(where) <= allowed, f"{rule} decided outside the resolver: {where}"
    assert "resolver.py" in where


def test_rule_patterns_find_the_resolver():
    text = (SRC / "resolver.py").read_text(encoding="utf-8")
    for rule, pattern in _RULES.items():
        assert pattern.search(text), rule


# -- the guard: the checker's verdict and what the readers do ----------------------------------


@st.composite
def _pairs(draw):
    from strategies import evolutions, schemas

    writer = draw(schemas(allow_logical=False, max_depth=2))
    reader = draw(evolutions(writer))
    if draw(st.booleans()):
        writer, reader = reader, writer
    return writer, reader


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], max_examples=100)
@given(_pairs())
def test_static_problems_decide_the_readers(pair):
    """Rows and columns refuse exactly the pairs whose tree has a static problem on the path
    they read; the checker then reports the pair incompatible."""
    writer, reader = pair
    try:
        ta.Decoder(writer, reader)
        rows_ok = True
    except ta.SchemaResolutionError:
        rows_ok = False
    if not rows_ok:
        assert not ta.check_compatibility(reader, writer).compatible
    if ta.Schema.parse(writer).type == "record":
        data = _file(writer, [])
        try:
            ta.read_columns(data, reader_schema=reader)
            cols_ok = True
        except ta.SchemaResolutionError:
            cols_ok = False
        except ta.SchemaError:
            return  # a type columns cannot hold (e.g. a recursive record)
        assert cols_ok == rows_ok


def test_resolver_module_exports():
    assert set(resolver.__all__) >= {"resolve", "Resolved", "Problem", "best_branch"}


# -- plans are built once per pair ------------------------------------------------------------


def test_plans_are_cached_per_pair_and_shared_by_decoders():
    from turboavro.resolution import read_plan, write_plan

    w, r = ta.Schema.parse(WRITER), ta.Schema.parse(READER)
    again = ta.Schema.parse(json_text(WRITER))  # equal content, another object
    assert read_plan(w, r) is read_plan(again, r)
    assert read_plan(w, r, logical=False) is not read_plan(w, r)
    assert write_plan(w) is write_plan(again) and write_plan(w, logical=False) is not write_plan(w)
    d1, d2 = ta.Decoder(w, r), ta.Decoder(again, r)
    data = ta.Encoder(w).encode({"id": 1, "gone": "x", "kind": "C", "u": 5})
    want = {"ident": 1, "kind": "Z", "u": 5, "added": 1.5}
    assert d1.decode(data) == d2.decode(data) == want
    # logical=False plans are separate: a timestamp stays an int
    ts = {"type": "long", "logicalType": "timestamp-millis"}
    assert ta.Decoder(ts, logical=False).decode(ta.Encoder(ts, logical=False).encode(5)) == 5


def json_text(obj):
    import json

    return json.dumps(obj)
