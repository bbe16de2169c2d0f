"""Import cost, side by side with fastavro in one run: a fresh interpreter that runs
``import <package>``, against one that imports nothing (the interpreter's own start-up, to
subtract). Goal: ``import turboavro`` adds a few milliseconds to the start-up (its public names
load lazily; tests/test_import_cost.py pins what it imports).

- group ``import``: ``python -c pass`` / ``import turboavro`` / ``import fastavro``.

Run: ``PYTHONPATH=src python -m pytest benchmarks/bench_import.py -q``
For the breakdown by module: ``python -X importtime -c "import turboavro"``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import turboavro

HOME = os.path.dirname(os.path.dirname(os.path.abspath(turboavro.__file__)))
ENV = {**os.environ, "PYTHONPATH": HOME}


def _start(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True, env=ENV)


@pytest.mark.benchmark(group="import")
@pytest.mark.parametrize("code", ["pass", "import turboavro", "import fastavro"])
def test_import(benchmark, code: str) -> None:
    benchmark.pedantic(_start, args=(code,), rounds=20, warmup_rounds=2)
