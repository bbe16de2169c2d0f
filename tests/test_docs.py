"""Run the Python examples in README.md and every ``docs/*.md`` file, so the documentation
cannot drift.

Each file's ```` ```python ```` blocks run in order in one shared namespace, inside a fresh
temporary working directory (examples may write files). A block whose lines start with ``>>>``
runs as a doctest (its expected output is checked); any other block is executed and must pass
its own ``assert`` statements. Tracebacks point at the line in the ``.md`` file.

Opting out, for blocks that only show an API shape or need something a test run lacks:
- a fence info string with ``no-run`` (```` ```python no-run ````), or an HTML comment
  ``<!-- no-run -->`` on the line just before the fence, skips that block;
- ``<!-- docs-test: skip-file -->`` anywhere in a file skips the whole file;
- ``CONTRACT_FILES`` below lists files whose blocks are signatures, not examples.
"""
from __future__ import annotations

import doctest
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
README = DOCS.parent / "README.md"

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
    text = path.read_text(encoding="utf-8")
    if "<!-- docs-test: skip-file -->" in text:
        return []
    lines = text.splitlines()
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
        skipped = "no-run" in words[1:] or previous == "<!-- no-run -->"
        if is_python and not skipped:
            code = "\n".join(body) + "\n"
            is_doctest = any(ln.lstrip().startswith(">>>") for ln in body)
            blocks.append(Block(path, start + 1, code, is_doctest))
        i = j + 1
    return blocks


def _doc_files() -> list[Path]:
    files = sorted(DOCS.glob("*.md")) if DOCS.is_dir() else []
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


@pytest.mark.parametrize("path", _doc_files(), ids=lambda p: p.name)
def test_doc_examples_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run_blocks(python_blocks(path))


# --- the runner itself ---------------------------------------------------------------------


def _md(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "x.md"
    p.write_text(text, encoding="utf-8")
    return p


def test_collects_python_blocks_in_order_with_line_numbers(tmp_path):
    p = _md(tmp_path, "# t\n```python\na = 1\n```\ntext\n```bash\nls\n```\n"
                      "<!-- no-run -->\n```python\nboom()\n```\n```python no-run\nboom()\n```\n"
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


def test_skip_file_marker(tmp_path):
    assert python_blocks(_md(tmp_path, "<!-- docs-test: skip-file -->\n```python\nboom()\n```\n")) == []


def test_every_doc_with_examples_is_collected():
    # guards the collector against silently finding nothing (a test that could never fail)
    names = {p.name for p in _doc_files()}
    assert {"README.md", "compatibility.md", "evolution.md"} <= names
