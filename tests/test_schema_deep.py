"""Schemas nested far deeper than the default limit, with ``max_schema_depth`` raised: the
parser itself stops at about half Python's recursion limit with "nested too deeply" (a
``SchemaError``), never a ``RecursionError`` or a crash, even on a 512 KB thread stack (a
macOS thread's); within reach, the recursive walks of the model work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import turboavro.schema as schema

SRC = Path(schema.__file__).resolve().parent.parent

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
    # a raised max_schema_depth must still end
    # in "nested too deeply", never in a crash, even on a 512 KB thread stack
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", DEEP], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    *lines, last = proc.stdout.splitlines()
    assert len(lines) == 9, proc.stdout
    assert all(line.endswith("nested too deeply (at $)") for line in lines), proc.stdout
    assert last.split()[1:] == ["True", "RecordSchema"], last


DEEP_JSON = r'''
import sys, threading
sys.setrecursionlimit(1_000_000)  # json.loads would recurse until the C stack runs out
from turboavro.errors import AvroError
from turboavro.json_codec import json_decode
from turboavro.schema import Schema, parse_header_schema

def run():
    text = '{"type": "array", "items": ' * 200_000 + '"int"' + "}" * 200_000
    data = "[" * 200_000 + "]" * 200_000
    for name, call in (("parse", lambda: Schema.parse(text)),
                       ("header", lambda: parse_header_schema(text)),
                       ("json_decode", lambda: json_decode(data, {"type": "array", "items": "int"}))):
        try:
            call()
        except AvroError as e:
            print(name, type(e).__name__, str(e)[:40])

threading.stack_size(512 * 1024)
t = threading.Thread(target=run)
t.start()
t.join()
'''


def test_deep_json_is_refused_before_json_loads() -> None:
    # with the recursion limit raised, json.loads on a 512 KB thread stack overflows it (and
    # Python 3.13's does so with the default limit): deep texts are refused before
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", DEEP_JSON], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines() == [
        "parse SchemaError schema is nested too deeply: its JSON ne",
        "header SchemaError schema is nested too deeply: its JSON ne",
        "json_decode DecodeError JSON nesting exceeds the limit max_json_",
    ], proc.stdout
