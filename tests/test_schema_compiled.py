"""The schema parser and model compiled by Cython (setup.py compiles ``schema.py`` and
``_schema_model.py`` unchanged) against the same ``.py`` sources run by the interpreter: same
canonical forms, ``to_json``, ``repr``, minimum sizes and errors (type, message, JSON path) on
random valid schemas, on random corruptions of them and in the three parse modes. Also the
guard that keeps a compiled module from running rules older than its source."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import strategies
import turboavro._schema_model as model
import turboavro.schema as schema
from turboavro._compiled import check_source

SRC = Path(schema.__file__).resolve().parent.parent

COMPILED = not schema.__file__.endswith(".py") and not model.__file__.endswith(".py")

# What a parse gives, as JSON: run here (compiled) and in the worker (the .py sources).
DESCRIBE = r'''
import json as _json

def describe(schema_module, text, mode):
    S = schema_module
    try:
        if mode == "strict":
            s = S.Schema.parse(text)
        elif mode == "header":
            s = S.parse_header_schema(text)
        else:
            s = S.parse_lenient(_json.loads(text))
    except Exception as e:
        return ["error", type(e).__name__, str(e), getattr(e, "path", None)]
    fields = [[f.name, f.has_default, f.default, f.order, list(f.aliases), f.doc, dict(f.props)]
              for f in getattr(s, "fields", ())]
    return ["ok", type(s).__name__, s.canonical_form, s.to_json(), repr(s),
            S.min_datum_size(s), s.fingerprint("CRC-64-AVRO").hex(), sorted(s.named_types),
            s.logical_type, s.precision, s.scale, dict(s.props), fields]
'''

WORKER = r'''
import json, sys

from turboavro._compiled import run_from_source

run_from_source()
from turboavro import _schema_model, schema

assert schema.__file__.endswith(".py") and _schema_model.__file__.endswith(".py")
exec(sys.argv[1])
print("ready", flush=True)
for line in sys.stdin:
    text, mode = json.loads(line)
    print(json.dumps(describe(schema, text, mode)), flush=True)
'''

_ns: dict[str, Any] = {}
exec(DESCRIBE, _ns)
describe = _ns["describe"]


@pytest.fixture(scope="module")
def pure() -> Iterator[Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, DESCRIBE],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline().strip() == "ready"

    def ask(text: str, mode: str) -> Any:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps([text, mode]) + "\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    yield ask
    proc.stdin.close()
    proc.wait(timeout=30)
    proc.stdout.close()


needs_compiled = pytest.mark.skipif(
    not COMPILED, reason="turboavro.schema is not compiled here (python setup.py build_ext --inplace)"
)

_JUNK_VALUES: list[Any] = (
    [5, -1, 2.5, True, None, "", "int", "nope", "com.x.Missing", "a-b", [], ["null", "null"],
     {}, {"type": "record"}, {"type": "enum", "name": "E", "symbols": ["A", "A"]},
     {"type": "fixed", "name": "F", "size": -1}, {"type": "union"}, [["int"]], "1x", {"a": 1}]
)
_JUNK = st.sampled_from(_JUNK_VALUES)


def _slots(node: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """(container, key) of every value inside a JSON document."""
    items = enumerate(node) if isinstance(node, list) else node.items() if isinstance(node, dict) else ()
    for k, v in items:
        out.append((node, k))
        _slots(v, out)
    return out


@st.composite
def corrupted(draw: st.DrawFn) -> Any:
    doc = draw(strategies.schemas(top_level="any"))
    slots = _slots(doc, [])
    if not slots:
        return draw(_JUNK)
    container, key = draw(st.sampled_from(slots))
    container[key] = draw(_JUNK)
    return doc


def _same(pure: Any, doc: Any) -> None:
    text = json.dumps(doc)
    for mode in ("strict", "header", "lenient"):
        mine = json.loads(json.dumps(describe(schema, text, mode)))
        assert mine == pure(text, mode), (mode, text)


@needs_compiled
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.schemas(top_level="any"))
def test_compiled_parser_matches_source_on_valid_schemas(pure: Any, doc: Any) -> None:
    _same(pure, doc)


@needs_compiled
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted())
def test_compiled_parser_matches_source_on_corrupted_schemas(pure: Any, doc: Any) -> None:
    _same(pure, doc)


@needs_compiled
def test_compiled_parser_matches_source_on_limits_and_bad_text(pure: Any) -> None:
    deep: Any = "int"
    for _ in range(400):
        deep = {"type": "array", "items": deep}
    texts = [json.dumps(deep), "{", "", "  int ", "com.example.Nope", '"bytes"', "[]",
             '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "R"}]}']
    for junk in _JUNK_VALUES:  # each junk value as a schema, a field's type, default and name
        texts.append(json.dumps(junk))
        for key in ("type", "default", "name", "order", "aliases"):
            field = {"name": "f", "type": "int", key: junk}
            texts.append(json.dumps({"type": "record", "name": "R", "fields": [field]}))
    for text in texts:
        for mode in ("strict", "header", "lenient"):
            assert json.loads(json.dumps(describe(schema, text, mode))) == pure(text, mode), text


def test_stale_compiled_module_refuses_to_import(tmp_path: Path) -> None:
    src = tmp_path / "mod.py"
    src.write_bytes(b"x = 1\n")
    import hashlib

    digest = hashlib.sha256(b"x = 1\n").hexdigest()
    compiled = str(tmp_path / "mod.cpython-311-x86_64-linux-gnu.so")
    check_source(compiled, "mod.py", digest)  # the source it was built from: fine
    src.write_bytes(b"x = 2\n")
    with pytest.raises(ImportError, match=r"compiled from an older mod\.py: rebuild it"):
        check_source(compiled, "mod.py", digest)
    src.unlink()
    check_source(compiled, "mod.py", digest)  # compiled module installed without its source



def test_run_from_source_refuses_once_the_modules_are_imported() -> None:
    from turboavro._compiled import run_from_source

    with pytest.raises(RuntimeError, match=r"comes too late: turboavro\.schema"):
        run_from_source()


DEEP = r'''
import json, threading
import turboavro.limits as L
from turboavro.errors import SchemaError
from turboavro.schema import Schema, parse_header_schema, parse_lenient

def nest(kind, n):
    node = "int"
    for i in range(n):
        if kind == "record":
            node = {"type": "record", "name": f"R{i}", "fields": [{"name": "a", "type": node}]}
        elif kind == "union":
            node = ["null", {"type": "array", "items": node}]
        else:
            node = {"type": "map", "values": node}
    return node

def nest_text(kind, n):  # json.dumps cannot write what json.loads cannot read
    open_, close = {"record": ('{"type": "record", "name": "R%d", "fields": [{"name": "a", "type": ', "}]}"),
                    "union": ('["null", {"type": "array", "items": ', "}]"),
                    "map": ('{"type": "map", "values": ', "}")}[kind]
    return "".join(open_.replace("%d", str(i)) for i in range(n)) + '"int"' + close * n

def run():
    with L.override(max_schema_depth=100000):
        for kind in ("record", "union", "map"):
            doc = nest(kind, 20000)
            for parse in (Schema.parse, parse_lenient, parse_header_schema):
                try:  # the header parser takes text only (json.loads refuses it first)
                    parse(nest_text(kind, 20000) if parse is parse_header_schema else doc)
                except SchemaError as e:
                    print(kind, parse.__name__, e)
        # within the stack's reach: parsed, and the recursive walks of the model work too
        s = Schema.parse(nest("record", 300))
        print(len(s.canonical_form), len(json.dumps(s.to_json())) > 0, repr(s)[:12])

threading.stack_size(512 * 1024)  # a macOS thread's stack
t = threading.Thread(target=run)
t.start()
t.join()
'''


def test_deep_schemas_with_a_raised_limit_fail_cleanly_on_a_small_stack() -> None:
    # compiled, the parser recurses on the C stack: a raised max_schema_depth must still end
    # in "nested too deeply", never in a crash, even on a 512 KB thread stack
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", DEEP], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    *lines, last = proc.stdout.splitlines()
    assert len(lines) == 9, proc.stdout
    assert all(line.endswith("nested too deeply (at $)") for line in lines), proc.stdout
    assert last.split()[1:] == ["True", "RecordSchema"], last
