"""The native reader of schema text (``_kernels/_schema_text.pyx``) against the parser.

``Schema.parse(text)`` first asks the native reader, which takes the valid schemas of the
common case and leaves everything else to the parser. These tests hold it to that:

- on every valid text it takes, it builds exactly what the parser builds: every attribute,
  the types of JSON values (``True`` is not ``1``), shared named types, empty properties;
- it takes every valid schema the strategies draw (unless the text has an escape, which it
  leaves alone), so the tests above are not passing on texts it never read;
- on damaged texts ``Schema.parse`` returns what the parser returns or raises what it raises,
  and the reader never returns a schema for a text the parser refuses;
- what it builds is left to the garbage collector's care exactly when it may need it: a
  recursive record, a property holding a list, a schema with a cache of derived values are
  tracked and collected; nothing leaks.
"""

from __future__ import annotations

import gc
import json
import random
import tracemalloc
import weakref
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import turboavro.limits as limits
from strategies import schemas
from turboavro._kernels import _schema_text
from turboavro._schema_model import _EMPTY_PROPS
from turboavro.container import Reader
from turboavro.errors import SchemaError
from turboavro.schema import (
    EnumSchema,
    NamedSchema,
    RecordSchema,
    Schema,
    _decode_text,
    _parse_obj,
    _parse_text,
    _read_text,
)

DATA = Path(__file__).parent / "data"


def _typed(v: Any) -> Any:
    """A JSON value with the type of every part (``True`` and ``1`` differ, so do 1 and 1.0)."""
    if isinstance(v, list):
        return ("list", tuple(_typed(x) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple((k, _typed(x)) for k, x in v.items()))
    return (type(v).__name__, v)


def _state(s: Schema, named: dict[str, int] | None = None) -> Any:
    """Everything a schema holds, as nested tuples; a named type is spelled out once and
    referred to by fullname after (and every reference must be the same object)."""
    named = {} if named is None else named
    out: list[Any] = [
        type(s).__name__, s.type, s.logical_type, _typed(s.precision), _typed(s.scale),
        _typed(dict(s.props)), s.props is _EMPTY_PROPS, s._cache,
    ]
    if isinstance(s, NamedSchema):
        if s.fullname in named:
            assert named[s.fullname] == id(s), f"two objects for {s.fullname}"
            return ("ref", s.fullname)
        named[s.fullname] = id(s)
        out += [s.name, s.namespace, s.fullname, s.aliases, s.doc]
    if isinstance(s, RecordSchema):
        out.append(s.is_error)
        for f in s.fields:
            out.append((
                f.name, f.index, f.has_default, _typed(f._default), f.order, f.aliases,
                f.doc, _typed(dict(f.props)), f.props is _EMPTY_PROPS, _state(f.type, named),
            ))
            assert s.field(f.name) is f
    elif isinstance(s, EnumSchema):
        out += [s.symbols, s.default]
        assert [s.index(x) for x in s.symbols] == list(range(len(s.symbols)))
    elif s.type == "fixed":
        out.append(s.size)
    elif s.type == "array":
        out.append(_state(s.items, named))
    elif s.type == "map":
        out.append(_state(s.values, named))
    elif s.type == "union":
        out.append(tuple(_state(b, named) for b in s.branches))
    return tuple(out)


def _by_parser(text: str | bytes) -> Schema | SchemaError:
    try:
        return _parse_obj(_decode_text(text), None)
    except SchemaError as e:
        return e


def _by_parse(text: str | bytes) -> Schema | SchemaError:
    _parse_text.cache_clear()
    try:
        return Schema.parse(text)
    except SchemaError as e:
        return e


def _same(text: str | bytes) -> Schema | None:
    """Schema.parse(text) agrees with the parser; returns what the native reader took."""
    expected = _by_parser(text)
    got = _by_parse(text)
    read = _read_text(text)
    if isinstance(expected, SchemaError):
        assert read is None, f"the reader took a text the parser refuses ({expected}): {text!r}"
        assert isinstance(got, SchemaError), text
        assert (str(got), got.path) == (str(expected), expected.path)
        return None
    assert not isinstance(got, SchemaError), (got, text)
    assert _state(got) == _state(expected), text
    if read is not None:
        assert _state(read) == _state(expected), text
        assert read.to_json() == expected.to_json()
        assert read.canonical_form == expected.canonical_form
    return read


# -- valid schemas: the strategies and the corpus ------------------------------------------


@settings(max_examples=300)
@given(schemas(max_depth=4), st.sampled_from(["compact", "spaced", "indented", "sorted"]))
def test_random_schemas_read_as_the_parser_reads_them(schema: Any, style: str) -> None:
    text = {
        "compact": lambda: json.dumps(schema, separators=(",", ":"), ensure_ascii=False),
        "spaced": lambda: json.dumps(schema),
        "indented": lambda: json.dumps(schema, indent="\t"),
        # "fields" before "name" and "type": the reader must not depend on key order
        "sorted": lambda: json.dumps(schema, sort_keys=True),
    }[style]()
    read = _same(text)
    if "\\" not in text:  # escapes are the parser's
        assert read is not None, f"the reader left a valid schema to the parser: {text}"


def _corpus_texts() -> list[tuple[str, str]]:
    texts = [(str(p.relative_to(DATA)), p.read_text("utf-8")) for p in sorted(DATA.rglob("*.avsc"))]
    for p in sorted((DATA / "external").rglob("*.avro")):
        try:
            with Reader(str(p)) as r:
                raw = r.metadata["avro.schema"]
        except Exception:  # damaged files: their schemas are covered by the others
            continue
        try:
            texts.append((str(p.relative_to(DATA)), raw.decode("utf-8")))
        except UnicodeDecodeError:
            continue
    return texts


def test_corpus_schemas_read_as_the_parser_reads_them() -> None:
    texts = _corpus_texts()
    assert len(texts) > 150
    taken = sum(_same(text) is not None for _, text in texts)
    valid = sum(not isinstance(_by_parser(text), SchemaError) for _, text in texts)
    # every valid one the reader left to the parser has a reason the reader leaves alone
    for name, text in texts:
        if not isinstance(_by_parser(text), SchemaError) and "\\" not in text:
            assert _read_text(text) is not None, name
    assert taken >= valid * 0.9, (taken, valid)


# -- each rule, valid and not -------------------------------------------------------------

def _rec(fields: str) -> str:
    return '{"type": "record", "name": "R", "fields": [' + fields + "]}"


def _field(t: str, extra: str = "") -> str:
    return _rec('{"name": "a", "type": ' + t + extra + "}")


CASES = [
    # primitives, bare, as objects, with properties
    '"int"', '"long"', '{"type": "string"}', '{"type": "string", "x": [1, {"y": null}]}',
    '{"type": "int", "type": "int"}', '{"type": "int", "x": 1, "x": 2}', '"nope"', '{"type": null}',
    '{}', '{"type": 5}', '{"type": ["int"]}', '{"type": "union"}',
    # names and namespaces
    '{"type": "fixed", "name": "F", "size": 4}',
    '{"type": "fixed", "name": "a.b.F", "namespace": 7, "size": 4}',
    '{"type": "fixed", "name": "F", "namespace": "a.b", "size": 4}',
    '{"type": "fixed", "name": "F", "namespace": "", "size": 4}',
    '{"type": "fixed", "name": "F", "namespace": null, "size": 4}',
    '{"type": "fixed", "name": "F", "namespace": "a..b", "size": 4}',
    '{"type": "fixed", "name": "F", "namespace": 3, "size": 4}',
    '{"type": "fixed", "name": "1F", "size": 4}', '{"type": "fixed", "name": "a.", "size": 4}',
    '{"type": "fixed", "name": "int", "size": 4}', '{"type": "fixed", "name": "x.long", "size": 4}',
    '{"type": "fixed", "name": "Fé", "size": 4}', '{"type": "fixed", "name": 5, "size": 4}',
    '{"type": "fixed", "name": "F", "size": -1}', '{"type": "fixed", "name": "F", "size": 2147483648}',
    '{"type": "fixed", "name": "F", "size": 1.0}', '{"type": "fixed", "name": "F", "size": true}',
    '{"type": "fixed", "name": "F", "size": 99999999999999999999999}',
    '{"type": "fixed", "name": "F", "size": 4, "aliases": ["G", "x.H"], "doc": "d"}',
    '{"type": "fixed", "name": "F", "namespace": "n", "size": 4, "aliases": ["G", "x.H"]}',
    '{"type": "fixed", "name": "F", "size": 4, "aliases": "G"}',
    '{"type": "fixed", "name": "F", "size": 4, "aliases": [1]}',
    '{"type": "fixed", "name": "F", "size": 4, "doc": 5}', '{"type": "fixed", "name": "F", "size": 4, "doc": null}',
    '{"type": "fixed", "name": "F", "size": 4, "doc": ["a"]}',
    # logical types
    '{"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2}',
    '{"type": "bytes", "logicalType": "decimal", "precision": 4}',
    '{"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 5}',
    '{"type": "bytes", "logicalType": "decimal", "precision": 0}',
    '{"type": "bytes", "logicalType": "decimal", "precision": true}',
    '{"type": "bytes", "logicalType": "decimal", "precision": 4.0}',
    '{"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": null}',
    '{"type": "bytes", "logicalType": "decimal", "precision": 2147483648}',
    '{"type": "fixed", "name": "D", "size": 4, "logicalType": "decimal", "precision": 9}',
    '{"type": "fixed", "name": "D", "size": 4, "logicalType": "decimal", "precision": 10}',
    '{"type": "fixed", "name": "U", "size": 16, "logicalType": "uuid"}',
    '{"type": "fixed", "name": "U", "size": 15, "logicalType": "uuid"}',
    '{"type": "fixed", "name": "U", "size": 12, "logicalType": "duration"}',
    '{"type": "fixed", "name": "U", "size": 11, "logicalType": "duration"}',
    '{"type": "string", "logicalType": "uuid"}', '{"type": "long", "logicalType": "uuid"}',
    '{"type": "long", "logicalType": "timestamp-millis", "precision": 3}',
    '{"type": "int", "logicalType": "date", "logicalType": "date"}',
    '{"type": "int", "logicalType": 5}', '{"type": "int", "logicalType": null}',
    '{"type": "int", "logicalType": "nope"}', '{"type": "array", "items": "int", "logicalType": "date"}',
    '{"type": "enum", "name": "E", "symbols": ["A"], "logicalType": "uuid"}',
    # enums
    '{"type": "enum", "name": "E", "symbols": ["A", "B"], "default": "B"}',
    '{"type": "enum", "name": "E", "symbols": ["A", "B"], "default": "C"}',
    '{"type": "enum", "name": "E", "symbols": ["A", "B"], "default": null}',
    '{"type": "enum", "name": "E", "symbols": ["A", "B"], "default": 1}',
    '{"type": "enum", "name": "E", "symbols": ["A", "A"]}', '{"type": "enum", "name": "E", "symbols": []}',
    '{"type": "enum", "name": "E", "symbols": ["A", "1B"]}', '{"type": "enum", "name": "E", "symbols": [1]}',
    '{"type": "enum", "name": "E", "symbols": "A"}', '{"type": "enum", "name": "E"}',
    '{"type": "enum", "name": "E", "symbols": ["a.b"]}',
    '{"type": "enum", "name": "E", "symbols": [' + ", ".join(f'"S{i}"' for i in range(40)) + "]}",
    '{"type": "enum", "name": "E", "symbols": [' + ", ".join(f'"S{i}"' for i in range(40)) + ', "S3"]}',
    # arrays, maps, unions
    '{"type": "array", "items": {"type": "map", "values": ["null", "int"]}}',
    '{"type": "array"}', '{"type": "map", "values": "int", "x": true}', '{"type": "map"}',
    '["null", "int", "string"]', '["int", "int"]', '["null", ["int"]]', '[]',
    '[{"type": "fixed", "name": "A", "size": 1}, {"type": "fixed", "name": "B", "size": 1}]',
    '[{"type": "fixed", "name": "A", "size": 1}, "A"]',
    '["int", {"type": "int", "logicalType": "date"}]',
    # records and fields
    _field('"int"'), _field('"int"', ', "default": 1'), _field('"int"', ', "default": 2147483648'),
    _field('"int"', ', "default": -2147483648'), _field('"int"', ', "default": -2147483649'),
    _field('"long"', ', "default": 9223372036854775807'), _field('"long"', ', "default": 9223372036854775808'),
    _field('"long"', ', "default": 1.5'), _field('"double"', ', "default": 1'),
    _field('"double"', ', "default": -0.0'), _field('"float"', ', "default": 1e400'),
    _field('"boolean"', ', "default": true'), _field('"boolean"', ', "default": 0'),
    _field('"string"', ', "default": "é"'), _field('"bytes"', ', "default": "\u00ff"'),
    _field('"bytes"', ', "default": "ā"'), _field('["null", "int"]', ', "default": null'),
    _field('["int", "null"]', ', "default": null'), _field('["null", "int"]', ', "default": 5'),
    _field('["null", "string"]', ', "default": 5'), _field('"null"', ', "default": null'),
    _field('{"type": "array", "items": "int"}', ', "default": [1, 2]'),
    _field('{"type": "map", "values": "int"}', ', "default": {"a": 1}'),
    _field('{"type": "map", "values": "int"}', ', "default": {"a": "x"}'),
    _field('{"type": "enum", "name": "E", "symbols": ["A"]}', ', "default": "A"'),
    _field('{"type": "fixed", "name": "F", "size": 2}', ', "default": "ab"'),
    _field('"int"', ', "order": "descending"'), _field('"int"', ', "order": "up"'),
    _field('"int"', ', "order": null'), _field('"int"', ', "aliases": ["b", "c"]'),
    _field('"int"', ', "aliases": null'), _field('"int"', ', "aliases": [1]'),
    _field('"int"', ', "doc": "d", "x": {"y": [1, 2.5, null, true]}'), _field('"int"', ', "doc": 1'),
    _field('"int"', ', "type": "long"'), _field('"int"', ', "default": 1, "default": 2'),
    _rec('{"name": "a"}'), _rec('{"type": "int"}'), _rec('"a"'), _rec('{"name": "1a", "type": "int"}'),
    _rec('{"name": "a.b", "type": "int"}'), _rec('{"name": "a", "type": "int"}, {"name": "a", "type": "int"}'),
    _rec(", ".join('{"name": "f' + str(i) + '", "type": "int"}' for i in range(30))),
    _rec(", ".join('{"name": "f' + str(i % 29) + '", "type": "int"}' for i in range(30))),
    _rec('{"name": "next", "type": ["null", "R"]}'), _rec('{"name": "next", "type": ["null", "R"], "default": null}'),
    _rec('{"name": "next", "type": "R", "default": {}}'),
    '{"type": "record", "name": "R"}', '{"type": "record", "name": "R", "fields": {}}',
    '{"type": "error", "name": "R", "fields": []}',
    '{"type": "record", "name": "R", "namespace": "n", "fields": [{"name": "a", "type": '
    '{"type": "fixed", "name": "F", "size": 1}}, {"name": "b", "type": "F"}, {"name": "c", "type": "n.F"}]}',
    '{"type": "record", "name": "R", "fields": [{"name": "a", "type": {"type": "fixed", "name": "F", '
    '"size": 1}}, {"name": "b", "type": {"type": "fixed", "name": "F", "size": 1}}]}',
    '{"type": "record", "name": "R", "fields": [{"name": "a", "type": {"type": "R"}}]}',
    '{"type": "record", "name": "R", "fields": [{"name": "a", "type": {"type": "Nope"}}]}',
    # JSON the reader leaves to the parser (escapes, NaN, bare names) or that is invalid
    '{"type": "fixed", "name": "F", "size": 4, "doc": "a\\"b"}', '{"type": "fixed", "name": "F\\u0041", "size": 4}',
    _field('"double"', ', "default": NaN'), _field('"double"', ', "default": -Infinity'),
    'int', '  com.example.X ', ' "int" ', '\t{"type": "int"}\n', '\x0c{"type": "int"}',
    '{"type": "int"', '{"type": "int"}}', '{"type": "int",}', '{"type" "int"}', '["int",]',
    '{"type": "int"} x', '', '   ', '01', '{"type": "fixed", "name": "F", "size": 04}',
    '{"type": "fixed", "name": "F", "size": 4, "x": -}', '{"type": "fixed", "name": "F", "size": 4, "x": 1.}',
    '{"type": "fixed", "name": "F", "size": 4, "x": 1e}', '{"type": "fixed", "name": "F", "size": 4, "x": tru}',
    '{"type": "fixed", "name": "F", "size": 4, "x": "\x01"}', '{"type": "string", "x": "\ud800"}',
]


@pytest.mark.parametrize("text", CASES)
def test_each_rule_as_the_parser(text: str) -> None:
    _same(text)
    _same(text.encode("utf-8", "surrogatepass"))


def test_str_and_bytes_subclasses_go_to_the_parser() -> None:
    class Text(str):
        pass

    class Raw(bytes):
        pass

    text = '{"type": "fixed", "name": "F", "size": 1}'
    assert _read_text(Text(text)) is None
    assert _state(Schema.parse(Text(text))) == _state(_by_parser(text))  # type: ignore[arg-type]
    assert _state(Schema.parse(Raw(text.encode()))) == _state(_by_parser(text))  # type: ignore[arg-type]


def test_some_cases_are_taken() -> None:
    # the cases above exercise the reader, not only the parser behind it
    taken = [t for t in CASES if _read_text(t) is not None]
    assert len(taken) > 60


def test_deep_nesting_follows_the_limits() -> None:
    def nest(n: int) -> str:
        return '{"type": "array", "items": ' * n + '"int"' + "}" * n

    assert _read_text(nest(100)) is not None
    _same(nest(127))
    _same(nest(129))  # past the schema depth limit: the parser's error
    assert _read_text(nest(200)) is None
    with limits.override(max_schema_depth=10):
        assert _read_text(nest(9)) is not None
        assert _read_text(nest(11)) is None
        _same(nest(11))
    with limits.override(max_json_depth=3):
        text = _field('"int"', ', "x": [[[[1]]]]')
        assert _read_text(text) is None
        _same(text)


def _objects(v: Any, into: list[dict[str, Any]]) -> None:
    if isinstance(v, dict):
        if v:
            into.append(v)
        for x in v.values():
            _objects(x, into)
    elif isinstance(v, list):
        for x in v:
            _objects(x, into)


def _mutations(text: str, rnd: random.Random) -> list[str]:
    """Texts near a valid one: a key dropped, a value of another kind, a name repeated or
    broken, a character cut or doubled."""
    obj = json.loads(text)
    out = []
    for _ in range(6):
        doc = json.loads(text)
        nodes: list[dict[str, Any]] = []
        _objects(doc, nodes)
        if not nodes:
            break
        node = rnd.choice(nodes)
        key = rnd.choice(sorted(node))
        what = rnd.randrange(5)
        if what == 0:
            del node[key]
        elif what == 1:
            node[key] = rnd.choice([None, True, 0, -1, 2**40, 1.5, "", "x.y", "1x", "int", [], {}, ["int"]])
        elif what == 2 and "fields" in node and isinstance(node["fields"], list) and node["fields"]:
            node["fields"].append(dict(node["fields"][0]))
        elif what == 3:
            node["default"] = rnd.choice([None, 0, "A", [], {}, True, 2**31])
        else:
            node[rnd.choice(["logicalType", "precision", "scale", "order", "aliases", "size"])] = rnd.choice(
                ["decimal", "uuid", "date", 3, 0, 17, "ascending", ["a"], 16, 12])
        out.append(json.dumps(doc))
    raw = json.dumps(obj)
    for _ in range(3):
        i = rnd.randrange(len(raw))
        out.append(raw[:i] + raw[i + 1:])
        out.append(raw[:i] + raw[i] + raw[i:])
    return out


@settings(max_examples=150)
@given(schemas(max_depth=3), st.integers(0, 2**32))
def test_damaged_schemas_as_the_parser(schema: Any, seed: int) -> None:
    rnd = random.Random(seed)
    for text in _mutations(json.dumps(schema), rnd):
        _same(text)


# -- the garbage collector ------------------------------------------------------------------


def _fresh(text: str) -> Schema:
    schema = _read_text(text)
    assert schema is not None
    return schema


def test_plain_schemas_are_left_untracked_until_they_cache() -> None:
    s = _fresh('{"type": "record", "name": "R", "fields": [{"name": "a", "type": ["null", '
               '{"type": "array", "items": "long"}]}]}')
    assert not gc.is_tracked(s)
    assert not gc.is_tracked(s.fields[0])
    assert not gc.is_tracked(s.fields)
    # the cache holds the schema itself (named_types): a cycle the collector must see
    ref = weakref.ref(s)
    assert s.named_types["R"] is s
    assert gc.is_tracked(s)
    del s
    gc.collect()
    assert ref() is None


def test_recursive_schemas_are_tracked_and_collected() -> None:
    s = _fresh(_rec('{"name": "next", "type": ["null", "R"]}'))
    assert gc.is_tracked(s) and gc.is_tracked(s.fields[0]) and gc.is_tracked(s.fields)
    ref = weakref.ref(s)
    del s
    gc.collect()
    assert ref() is None


def test_properties_holding_lists_are_tracked() -> None:
    s = _fresh('{"type": "fixed", "name": "F", "size": 1, "x": []}')
    assert gc.is_tracked(s)
    s.props["x"].append(s)  # the caller made a cycle through a property
    ref = weakref.ref(s)
    del s
    gc.collect()
    assert ref() is None


def test_refused_texts_leak_nothing() -> None:
    # a complete recursive record, then a repeated name: the reader leaves the text after it
    # made a cycle; the parser then raises
    text = ('{"type": "record", "name": "Top", "fields": [{"name": "a", "type": ' + _rec('{"name": "n", "type": ["null", "R"]}')
            + '}, {"name": "b", "type": {"type": "fixed", "name": "R", "size": 1}}]}')
    assert _read_text(text) is None
    assert isinstance(_by_parse(text), SchemaError)

    def rounds(n: int) -> None:
        for _ in range(n):
            _read_text(text)
        gc.collect()

    rounds(50)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        rounds(2000)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 100_000, grown  # a leaked record per round would be ~2 MB


def test_the_reader_is_wired_to_the_model() -> None:
    # setup() found every slot it stores; a reader that was never set up would take nothing
    assert _schema_text.read('{"type": "fixed", "name": "F", "size": 1}', 128, 512) is not None
