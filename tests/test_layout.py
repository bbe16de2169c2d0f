"""The package's structure: imports run one way (no import cycle among the modules of
``src/turboavro``, compiled kernels included, counting imports inside functions too), and every
Python module stays small enough to hold in one's head."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "turboavro"
MAX_LINES = 1200


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _kernels() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.pyx")}


def _source_tree(path: Path) -> ast.AST:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        return ast.parse(text)
    # Cython: its Python-level import statements are Python syntax (cimports are C-level)
    lines: list[str] = []
    pending: list[str] = []
    for line in text.splitlines():
        if pending:
            pending.append(line.strip())
            if ")" in line:
                lines.append(" ".join(pending))
                pending = []
        elif re.match(r"\s*(from\s+\S+\s+import\s|import\s)", line) and "cimport" not in line:
            (pending if line.rstrip().endswith("(") else lines).append(line.strip())
    return ast.parse("\n".join(lines))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of the package that ``name`` imports anywhere (module level or inside
    functions; ``if TYPE_CHECKING:`` blocks excluded). The root package is left out: its
    ``__init__`` only re-exports names lazily (``importlib``, on first use)."""
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                target = ".".join(anchor + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            for alias in node.names:  # ``from . import x`` may import submodule x
                found.add(f"{target}.{alias.name}")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(_source_tree(path))
    return {t for t in found if t in known and t != name and t != "turboavro"}


def _graph() -> dict[str, set[str]]:
    mods = {**_modules(), **_kernels()}
    known = set(mods)
    return {name: _imports(name, path, known) for name, path in mods.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = dfs(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = dfs(node)
            if found:
                return found
    return None


def test_no_import_cycle() -> None:
    graph = _graph()
    # the graph sees imports inside functions, and those of compiled kernels
    assert "turboavro.columnar.reading" in graph["turboavro.container"]
    assert "turboavro.resolution" in graph["turboavro._kernels._codec"]
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_cycle_detection_works() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("name", sorted(_modules()))
def test_module_size(name: str) -> None:
    lines = _modules()[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines (at most {MAX_LINES}): split it by job"
