"""Peak memory, each measured in a fresh child process (so nothing else the run holds counts):

- ``test_read_columns_peak``: the peak resident memory a ``read_columns`` call adds, against
  the bytes of the arrays it returns (flat and mixed, null and deflate, 1 and 2 threads).
- ``test_row_iteration_bounded``: ``for rec in Reader(path)`` over a file several times larger
  than the address space the child may grow by (``RLIMIT_AS``): it must finish, and its peak
  resident growth is reported.

    PYTHONPATH=src python -m pytest benchmarks/bench_memory.py -q -s

``TURBOAVRO_BENCH_RECORDS`` sets the columnar workload's records (default 1,000,000);
``TURBOAVRO_BENCH_BIG_MB`` the size of the iterated file (default 600).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

import turboavro as ta
from conftest import FLAT_SCHEMA, MIXED_SCHEMA, flat_records, mixed_records

N = int(os.environ.get("TURBOAVRO_BENCH_RECORDS", "1000000"))
BIG_MB = int(os.environ.get("TURBOAVRO_BENCH_BIG_MB", "600"))
SHAPES = {"flat": (FLAT_SCHEMA, flat_records), "mixed": (MIXED_SCHEMA, mixed_records)}

_COMMON = """
import json, os, resource, sys
def rss():  # current resident set, bytes
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
def peak():  # peak resident set since reset_peak(), bytes
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")
def reset_peak():  # Linux: writing 5 to clear_refs resets the high-water mark to now
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
"""

_COLUMNS_CHILD = _COMMON + """
import numpy as np
import turboavro as ta
path, threads, small = sys.argv[1], int(sys.argv[2]), sys.argv[3]
# warm (plans, pools, lazy imports) on a small file of the same schema: the big read's
# memory is then all fresh, not pages the allocator kept from an earlier read
ta.read_columns(small, threads=threads).num_rows
reset_peak()
before = rss()
cols = ta.read_columns(path, threads=threads)
top = peak()

owners = {}
def walk(v, seen):
    if id(v) in seen:
        return
    seen.add(id(v))
    if isinstance(v, np.ndarray):
        base = v
        while isinstance(base.base, np.ndarray):
            base = base.base
        owners[id(base)] = base.nbytes
        return
    if isinstance(v, (bytes, bytearray)):
        owners[id(v)] = len(v)
        return
    if isinstance(v, dict):
        for x in v.values():
            walk(x, seen)
        return
    if isinstance(v, (list, tuple)):
        for x in v:
            walk(x, seen)
        return
    if isinstance(v, (str, int, float)) or v is None:
        return
    for name in getattr(type(v), "__slots__", ()):
        if hasattr(v, name):
            walk(getattr(v, name), seen)
    for x in getattr(v, "__dict__", {}).values():
        walk(x, seen)
walk(cols, set())
print(json.dumps({"rows": cols.num_rows, "arrays": sum(owners.values()),
                  "added_peak": top - before}))
"""

_ROWS_CHILD = _COMMON + """
import turboavro as ta
path, room = sys.argv[1], int(sys.argv[2])
with ta.Reader(path) as r:  # warm: imports, plan
    next(iter(r))
vm = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
resource.setrlimit(resource.RLIMIT_AS, (vm + room, vm + room))
reset_peak()
before = rss()
n = 0
with ta.Reader(path) as r:
    for rec in r:
        n += 1
print(json.dumps({"rows": n, "added_peak": peak() - before, "limit_growth": room,
                  "file": os.path.getsize(path)}))
"""


def _child(code: str, *args: str) -> dict[str, Any]:
    env = dict(os.environ)
    src = os.path.dirname(os.path.dirname(ta.__file__))
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True, text=True, env=env, timeout=1800, check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def files(tmp_path_factory: Any) -> dict[tuple[str, str], str]:
    root = tmp_path_factory.mktemp("memory")
    out = {}
    for shape, (schema, gen) in SHAPES.items():
        records = gen(N)
        for codec in ("null", "deflate"):
            path = root / f"{shape}_{codec}.avro"
            with ta.Writer(str(path), schema, codec=codec) as w:
                w.write_many(records)
            out[shape, codec] = str(path)
        small = root / f"{shape}_small.avro"
        with ta.Writer(str(small), schema) as w:
            w.write_many(records[:1000])
        out[shape, "small"] = str(small)
        del records
    return out


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("codec", ["null", "deflate"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_read_columns_peak(benchmark: Any, files: Any, shape: str, codec: str, threads: int) -> None:
    benchmark.group = "read_columns peak memory"
    got = _child(_COLUMNS_CHILD, files[shape, codec], str(threads), files[shape, "small"])
    assert got["rows"] == N
    ratio = got["added_peak"] / got["arrays"]
    benchmark.extra_info.update(got, peak_over_arrays=ratio)
    print(f"\n{shape} {codec} threads={threads}: arrays {got['arrays'] / 2**20:.1f} MiB, "
          f"peak added {got['added_peak'] / 2**20:.1f} MiB ({ratio:.2f}x the arrays)")
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)


@pytest.mark.parametrize("codec", ["null", "deflate"])
def test_row_iteration_bounded(benchmark: Any, tmp_path: Any, codec: str) -> None:
    """The mixed shape, one chunk of records written again and again up to ``BIG_MB`` MB
    (encoded size); the child may grow its address space by 256 MiB at most."""
    benchmark.group = "row iteration memory"
    chunk = mixed_records(100_000)
    path = str(tmp_path / f"big_{codec}.avro")
    written = 0
    with ta.Writer(path, MIXED_SCHEMA, codec=codec) as w:
        while written * 115 < BIG_MB * 10**6:
            written += w.write_many(chunk)
    room = 256 * 2**20
    got = _child(_ROWS_CHILD, path, str(room))
    assert got["rows"] == written
    benchmark.extra_info.update(got)
    print(f"\nrows {codec}: {written:,} records, file {got['file'] / 2**20:.0f} MiB "
          f"(decoded several times larger), address space may grow {room / 2**20:.0f} MiB; "
          f"peak resident growth {got['added_peak'] / 2**20:.1f} MiB")
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
