"""Run the Python examples of README.md, ``docs/*.md`` and the user guide ``docs/guide/*.md``,
so the documentation cannot drift from the code.

Each file's ```` ```python ```` blocks run in order in one shared namespace, inside a fresh
temporary working directory (examples may write files). A block whose lines start with ``>>>``
runs as a doctest (its expected output is checked); any other block is executed and must pass
its own ``assert`` statements. Tracebacks point at the line in the ``.md`` file.

Opting a block out takes an explicit reason, so that every skipped example says why it cannot
run: an HTML comment ``<!-- no-run: REASON -->`` on the line just before the fence, or
```` ```python no-run: REASON ````. A bare ``no-run`` is an error. ``CONTRACT_FILES`` below
lists files whose blocks are signatures, not examples.

Also checked here: the catalog-in-git recipe of docs/guide/catalog.md (a shell script, run
three times as a CI job would), and that the docs and sources cite the Avro specification by
section name, never files outside the repository.
"""
from __future__ import annotations

import doctest
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"

# docs/internals.md shows the inter-module contracts as signature listings
# (``Schema.parse(text_or_obj) -> Schema``), which are not runnable code.
CONTRACT_FILES = {"internals.md"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$")


@dataclass
class Block:
    path: Path
    line: int  # 1-based line number of the first code line
    code: str
    doctest: bool


def python_blocks(path: Path) -> list[Block]:
    """The runnable ```python blocks of a markdown file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent = m["fence"], m["indent"]
        words = m["info"].strip().split()
        start = i + 1
        j = start
        while j < len(lines) and not (lines[j].strip().startswith(fence[0] * len(fence))
                                      and lines[j].strip().strip(fence[0]) == ""):
            j += 1
        body = [ln[len(indent):] if ln.startswith(indent) else ln.lstrip() for ln in lines[start:j]]
        previous = lines[i - 1].strip() if i > 0 else ""
        is_python = bool(words) and words[0].lower() in ("python", "py", "pycon")
        skipped = _no_run(path, i + 1, " ".join(words[1:]), previous)
        if is_python and not skipped:
            code = "\n".join(body) + "\n"
            is_doctest = any(ln.lstrip().startswith(">>>") for ln in body)
            blocks.append(Block(path, start + 1, code, is_doctest))
        i = j + 1
    return blocks


_NO_RUN = re.compile(r"no-run\b(?P<rest>.*)")


def _no_run(path: Path, line: int, info: str, previous: str) -> bool:
    """Whether a fence is opted out (fence info or the comment line before it); an opt-out
    without a reason is an error."""
    m = _NO_RUN.match(info)
    if m is None and previous.startswith("<!--") and previous.endswith("-->"):
        m = _NO_RUN.match(previous[4:-3].strip())
    if m is None:
        return False
    reason = m["rest"].strip()
    if not reason.startswith(":") or not reason[1:].strip():
        raise ValueError(f"{path.name}:{line}: 'no-run' needs a reason: 'no-run: why it cannot run'")
    return True


def _doc_files() -> list[Path]:
    files = sorted(DOCS.glob("*.md")) + sorted(DOCS.glob("guide/*.md")) if DOCS.is_dir() else []
    if README.is_file():
        files.insert(0, README)
    return [p for p in files if p.name not in CONTRACT_FILES and python_blocks(p)]


def run_blocks(blocks: list[Block]) -> None:
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in blocks:
        if block.doctest:
            parser = doctest.DocTestParser()
            test = parser.get_doctest(block.code, namespace, f"{block.path.name}:{block.line}",
                                      str(block.path), block.line - 1)
            runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
            out: list[str] = []
            runner.run(test, out=out.append, clear_globs=False)
            if runner.failures:
                pytest.fail(f"doctest in {block.path.name} at line {block.line} failed:\n" + "".join(out),
                            pytrace=False)
        else:
            # pad with newlines so tracebacks show the line number inside the .md file
            code = compile("\n" * (block.line - 1) + block.code, str(block.path), "exec")
            exec(code, namespace)


# Optional libraries the examples use. The "test" extra installs them all (so CI runs every
# example); cibuildwheel's wheel tests run where some have no wheels, as the other suites'
# importorskip do.
_OPTIONAL = {"pandas": ("pandas", ".to_pandas("), "pyarrow": ("pyarrow", ".to_arrow("),
             "confluent_kafka": ("confluent_kafka",), "polars": ("polars",), "dask": ("dask",),
             "distributed": ("distributed",), "fsspec": ("fsspec",), "s3fs": ("s3fs",),
             "moto": ("moto",), "boto3": ("boto3",)}


def _needs(blocks: list[Block]) -> list[str]:
    code = "".join(b.code for b in blocks)
    imported = set(re.findall(r"^\s*(?:from|import)\s+(\w+)", code, re.M))
    return [mod for mod, marks in _OPTIONAL.items()
            if mod in imported or any(m in code for m in marks[1:])]


@pytest.mark.parametrize("path", _doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_examples_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks(path)
    for mod in _needs(blocks):
        pytest.importorskip(mod, reason=f"the examples of {path.name} use {mod}")
    monkeypatch.chdir(tmp_path)
    run_blocks(blocks)


# --- the runner itself ---------------------------------------------------------------------


def _md(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "x.md"
    p.write_text(text, encoding="utf-8")
    return p


def test_collects_python_blocks_in_order_with_line_numbers(tmp_path):
    p = _md(tmp_path, "# t\n```python\na = 1\n```\ntext\n```bash\nls\n```\n"
                      "<!-- no-run: needs a server -->\n```python\nboom()\n```\n"
                      "```python no-run: needs a GPU\nboom()\n```\n"
                      "~~~py\nb = a + 1\n~~~\n  ```python\n  c = b\n  ```\n")
    blocks = python_blocks(p)
    assert [(b.line, b.code) for b in blocks] == [(3, "a = 1\n"), (17, "b = a + 1\n"), (20, "c = b\n")]
    run_blocks(blocks)


def test_blocks_share_a_namespace_and_asserts_fail(tmp_path):
    ok = _md(tmp_path, "```python\nx = 2\n```\n```python\nassert x == 2\n```\n")
    run_blocks(python_blocks(ok))
    bad = _md(tmp_path, "```python\nx = 2\n```\n\n```python\nassert x == 3\n```\n")
    with pytest.raises(AssertionError) as err:
        run_blocks(python_blocks(bad))
    # the traceback names the markdown file and the line of the failing assert
    frames = [(str(e.path), e.lineno + 1) for e in err.traceback]
    assert (str(bad), 6) in frames


def test_doctest_blocks_check_output(tmp_path):
    good = _md(tmp_path, "```pycon\n>>> 1 + 1\n2\n```\n")
    run_blocks(python_blocks(good))
    bad = _md(tmp_path, "```python\n>>> 1 + 1\n3\n```\n")
    with pytest.raises(pytest.fail.Exception, match="doctest in x.md at line 2 failed"):
        run_blocks(python_blocks(bad))


@pytest.mark.parametrize("text", ["<!-- no-run -->\n```python\nboom()\n```\n",
                                  "```python no-run\nboom()\n```\n",
                                  "<!-- no-run:  -->\n```python\nboom()\n```\n"])
def test_an_opt_out_needs_a_reason(tmp_path, text):
    with pytest.raises(ValueError, match=r"x.md:[12]: 'no-run' needs a reason"):
        python_blocks(_md(tmp_path, text))


def test_every_doc_with_examples_is_collected():
    # guards the collector against silently finding nothing (a test that could never fail)
    names = {str(p.relative_to(ROOT)) for p in _doc_files()}
    assert {"README.md", "docs/compatibility.md", "docs/evolution.md", "docs/guide/reading.md",
            "docs/guide/catalog.md"} <= names


# --- the catalog-in-git recipe ---------------------------------------------------------------


def _shell_block(path: Path, first_line: str) -> str:
    """The ```sh block of ``path`` whose first line is ``first_line``."""
    text = path.read_text(encoding="utf-8")
    for m in re.finditer(r"^```sh\n(.*?)^```$", text, re.S | re.M):
        if m[1].startswith(first_line + "\n"):
            return m[1]
    raise AssertionError(f"no sh block starting {first_line!r} in {path.name}")


def test_catalog_in_git_recipe(tmp_path: Path) -> None:
    """The script of docs/guide/catalog.md, run as a CI job would: on the first run (no export
    yet), after a compatible change, and on an incompatible change (exit 1, export untouched)."""
    script = tmp_path / "check-schemas.sh"
    script.write_text(_shell_block(DOCS / "guide" / "catalog.md", "#!/bin/sh"), encoding="utf-8")
    bindir = tmp_path / "bin"  # the `turboavro` command of this interpreter
    bindir.mkdir()
    shim = bindir / "turboavro"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m turboavro "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    repo = tmp_path / "repo"
    (repo / "schemas").mkdir(parents=True)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    import turboavro  # the subprocess must import the same package as this test run
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(turboavro.__file__).parent.parent), env.get("PYTHONPATH", "")])

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(["sh", str(script)], cwd=repo, env=env, capture_output=True,
                              text=True, timeout=120)

    def order(*fields: dict[str, object]) -> str:
        return json.dumps({"type": "record", "name": "Order",
                           "fields": [{"name": "id", "type": "long"}, *fields]})

    avsc = repo / "schemas" / "orders-value.avsc"
    avsc.write_text(order(), encoding="utf-8")
    first = run()
    assert first.returncode == 0, first.stderr
    index = json.loads((repo / "registry" / "index.json").read_text(encoding="utf-8"))
    assert [v["version"] for v in index["subjects"]["orders-value"]["versions"]] == [1]
    assert json.loads((repo / "registry/subjects/orders-value/v1.avsc").read_text()) == json.loads(order())

    avsc.write_text(order({"name": "qty", "type": "int", "default": 1}), encoding="utf-8")
    second = run()
    assert second.returncode == 0, second.stderr
    index = json.loads((repo / "registry" / "index.json").read_text(encoding="utf-8"))
    versions = index["subjects"]["orders-value"]["versions"]
    assert [(v["version"], v["id"]) for v in versions] == [(1, 1), (2, 2)]
    assert (repo / "registry/subjects/orders-value/v2.avsc").is_file()
    assert run().returncode == 0  # nothing changed: nothing registered
    assert json.loads((repo / "registry" / "index.json").read_text(encoding="utf-8")) == index

    before = {p: p.read_bytes() for p in (repo / "registry").rglob("*") if p.is_file()}
    avsc.write_text(order({"name": "qty", "type": "string", "default": ""}), encoding="utf-8")
    third = run()
    assert third.returncode == 1
    assert "TYPE_MISMATCH" in third.stdout + third.stderr
    after = {p: p.read_bytes() for p in (repo / "registry").rglob("*") if p.is_file()}
    assert after == before


# --- citations ---------------------------------------------------------------------------------

# Design notes and checklists outside the repository are not there for a reader of the code
# or the docs: cite the Avro specification's sections by name instead.
_FORBIDDEN = re.compile(r"SPEC\.md|DESIGN\.md")


def test_docs_and_sources_cite_no_files_outside_the_repository() -> None:
    paths = [README, ROOT / "mkdocs.yml", *DOCS.rglob("*.md")]
    for ext in ("py", "pyx", "pxd", "pyi"):  # src/ holds Cython's generated .c files too
        paths += (ROOT / "src").rglob(f"*.{ext}")
    for ext in ("c", "h"):
        paths += (ROOT / "native").rglob(f"*.{ext}")
    paths += (ROOT / "benchmarks").rglob("*.py")
    assert len(paths) > 30
    hits = []
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _FORBIDDEN.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert hits == [], "\n".join(hits)


# --- signatures stated in docs/internals.md ----------------------------------------------------

_SIGNATURE = re.compile(r"`(?:turboavro\.(?P<mod>\w+)\.)?(?P<name>\w+)\((?P<args>[^`]*)\)(?: -> [^`]*)?`")


def test_internals_signatures_match_the_code() -> None:
    """Every `function(arg, *, kw=...)` that docs/internals.md names in backticks, for the
    modules' public functions, names real parameters in their order and every required one
    (a short form may leave optional ones out)."""
    import importlib
    import inspect

    modules = {m: importlib.import_module(f"turboavro.{m}") for m in ("json_codec", "schema")}
    text = (DOCS / "internals.md").read_text(encoding="utf-8")
    checked = 0
    for m in _SIGNATURE.finditer(text):
        mods = [modules[m["mod"]]] if m["mod"] else list(modules.values())
        funcs = [getattr(mod, m["name"]) for mod in mods if inspect.isfunction(getattr(mod, m["name"], None))]
        if not funcs or "..." == m["args"].strip():
            continue
        documented = [a.split("=")[0].strip() for a in m["args"].split(",")]
        documented = [a for a in documented if a and a not in ("*", "...")]
        params = inspect.signature(funcs[0]).parameters
        actual = list(params)
        required = [n for n, p in params.items() if p.default is inspect.Parameter.empty
                    and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        assert set(documented) <= set(actual), f"docs/internals.md: {m[0]} but the code has {actual}"
        assert documented == sorted(documented, key=actual.index), f"{m[0]}: order of {actual}"
        if "..." not in m["args"]:  # `f(..., flag=True)` elides the other arguments
            assert set(required) <= set(documented), f"{m[0]} omits required {required}"
        checked += 1
    assert checked >= 5
