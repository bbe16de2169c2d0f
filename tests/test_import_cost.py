"""What ``import turboavro`` costs: the modules it imports are pinned here.

The package's public names load lazily on first use (``turboavro/__init__.py``), so the import
itself runs ``turboavro`` and ``turboavro.errors`` and nothing else of consequence: never numpy
(the columnar API imports it when called) and never an optional integration (an extra in
pyproject.toml). A new import at package level shows up here as a failure; adding it to the
allowlist is a decision to make with ``python -X importtime -c "import turboavro"`` at hand.
The time itself is measured by ``benchmarks/bench_import.py`` (no timed assertions in tests).

Each check runs in a fresh interpreter: this process has imported everything already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import turboavro

# where turboavro was imported from: the source tree in development, the installed package in
# CI and in the clean-room check; the subprocesses must import the same one
HOME = os.path.dirname(os.path.dirname(os.path.abspath(turboavro.__file__)))

TURBOAVRO_MODULES = {"turboavro", "turboavro.errors"}
# standard-library modules `import turboavro` may add to those the interpreter has loaded
STDLIB_ALLOWED = {"__future__"}
# numpy and the optional integrations' top-level modules (test oracles included): the allowlist
# above already excludes them; naming them gives a failure that says what went wrong
HEAVY = {
    "numpy", "pandas", "pyarrow", "polars", "fastavro", "avro", "cramjam", "zstandard", "lz4",
    "confluent_kafka", "dask", "distributed", "fsspec", "s3fs", "boto3", "botocore",
    "matplotlib", "requests", "httpx", "hypothesis", "starlette", "uvicorn", "tqdm", "gcsfs",
    "adlfs", "moto", "duckdb",
}


def _new_modules(code: str) -> tuple[list[str], list[str]]:
    """Run ``code`` after recording ``sys.modules`` in a fresh interpreter; return the modules
    it added and its printed result lines."""
    script = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        f"{code}\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = HOME
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, cwd=HOME, timeout=120)
    assert proc.returncode == 0, proc.stderr
    *out, last = proc.stdout.splitlines()
    return json.loads(last), out


def test_import_turboavro_imports_only_the_allowlist() -> None:
    new, _ = _new_modules("import turboavro")
    ours = {m for m in new if m == "turboavro" or m.startswith("turboavro.")}
    assert ours == TURBOAVRO_MODULES
    others = set(new) - ours
    assert not {m.split(".")[0] for m in others} & HEAVY, sorted(others)
    assert others <= STDLIB_ALLOWED, f"new imports: {sorted(others - STDLIB_ALLOWED)}"
    assert all(m.split(".")[0] in sys.stdlib_module_names for m in STDLIB_ALLOWED)


def test_lazy_names_resolve_to_their_modules() -> None:
    """The allowlist holds because every public name loads on first use, and then is the
    object its module defines."""
    new, out = _new_modules(
        "import turboavro\n"
        "from turboavro.container import Reader\n"
        "print(turboavro.Reader is Reader, 'turboavro.columnar' in sys.modules)"
    )
    assert out == ["True False"]
    assert "turboavro.container" in new
    # dir() lists what `from turboavro import *` gives, lazily loaded names included
    assert set(dir(turboavro)) >= {"Reader", "Writer", "Schema", "read_columns", "AvroError"}


def test_row_api_imports_no_numpy_nor_optional_dependency() -> None:
    """Writing and reading a container file through the row API, with every codec this build
    runs natively, needs neither numpy nor any optional package."""
    new, out = _new_modules(
        "import io, turboavro\n"
        "from turboavro.codecs import CODEC_NAMES, get_codec\n"
        "schema = {'type': 'record', 'name': 'R', 'fields': [{'name': 'a', 'type': 'long'},"
        " {'name': 's', 'type': 'string'}]}\n"
        "rows = [{'a': i, 's': str(i) * 3} for i in range(100)]\n"
        "for name in CODEC_NAMES:\n"
        "    if not get_codec(name).native:\n"
        "        continue\n"
        "    buf = io.BytesIO()\n"
        "    with turboavro.Writer(buf, schema, codec=name) as w:\n"
        "        w.write_many(rows)\n"
        "    buf.seek(0)\n"
        "    assert list(turboavro.Reader(buf)) == rows, name\n"
        "    print(name)"
    )
    assert "null" in out
    heavy = sorted(m for m in new if m.split(".")[0] in HEAVY)
    assert heavy == [], heavy

