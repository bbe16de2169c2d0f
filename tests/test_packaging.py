"""Packaging configuration: what the wheels are built for, how they are compiled, and what the
sdist (from which every wheel is built, see .github/workflows/wheels.yml) contains."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PYTHONS = ("cp310", "cp311", "cp312", "cp313")
EXPECTED_IDENTIFIERS = {
    "linux": {
        f"{py}-{libc}_{arch}"
        for py in PYTHONS
        for libc in ("manylinux", "musllinux")
        for arch in ("x86_64", "aarch64")
    },
    "macos": {f"{py}-macosx_{arch}" for py in PYTHONS for arch in ("x86_64", "arm64")},
    "windows": {f"{py}-win_amd64" for py in PYTHONS},
}


def _cibuildwheel_env() -> dict[str, str]:
    # CIBW_* variables override pyproject.toml: test the file, not the caller's environment.
    return {k: v for k, v in os.environ.items() if not k.startswith("CIBW_")}


@pytest.mark.skipif(
    importlib.util.find_spec("cibuildwheel") is None,
    reason="cibuildwheel is not installed (pip install cibuildwheel)",
)
@pytest.mark.parametrize("platform", sorted(EXPECTED_IDENTIFIERS))
def test_cibuildwheel_builds_exactly_the_intended_targets(platform: str) -> None:
    """CPython 3.10-3.13 on manylinux and musllinux x86_64/aarch64, macOS x86_64/arm64 and
    Windows AMD64; no PyPy, no free-threaded or 32-bit builds."""
    proc = subprocess.run(
        [sys.executable, "-m", "cibuildwheel", "--print-build-identifiers", "--platform", platform],
        cwd=ROOT,
        env=_cibuildwheel_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    identifiers = set(proc.stdout.split())
    assert identifiers == EXPECTED_IDENTIFIERS[platform], (
        f"missing {sorted(EXPECTED_IDENTIFIERS[platform] - identifiers)}, "
        f"unexpected {sorted(identifiers - EXPECTED_IDENTIFIERS[platform])}"
    )
    for ident in identifiers:
        assert not ident.startswith("pp"), ident
        assert not re.search(r"i686|win32|armv7|ppc64le|s390x", ident), ident


# ----------------------------------------------------------------------------------------------
# compiler flags


def _setup_tree() -> ast.Module:
    return ast.parse((ROOT / "setup.py").read_text(), filename="setup.py")


def _is_native_arch_test(node: ast.expr) -> bool:
    """Whether a condition reads the TURBOAVRO_NATIVE_ARCH switch (directly or through the
    module-level name bound to it)."""
    names = {
        t.id
        for stmt in _setup_tree().body
        if isinstance(stmt, ast.Assign) and "TURBOAVRO_NATIVE_ARCH" in ast.unparse(stmt.value)
        for t in stmt.targets
        if isinstance(t, ast.Name)
    }
    text = ast.unparse(node)
    return "TURBOAVRO_NATIVE_ARCH" in text or any(re.search(rf"\b{n}\b", text) for n in names)


def test_march_native_only_under_the_native_arch_switch() -> None:
    """Release builds must run on every CPU of their platform: ``-march=native`` (or
    ``-mtune=native``/``-mcpu=native``) appears only inside an ``if`` on the
    ``TURBOAVRO_NATIVE_ARCH`` switch (README "Build switches")."""
    tree = _setup_tree()
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_native_arch_test(node.test):
            for inner in ast.walk(ast.Module(body=node.body, type_ignores=[])):
                guarded.add(id(inner))
        if isinstance(node, ast.IfExp) and _is_native_arch_test(node.test):
            guarded.add(id(node.body))
            for inner in ast.walk(node.body):
                guarded.add(id(inner))
    found = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(
            r"-m(arch|tune|cpu)=native", node.value
        ):
            found += 1
            assert id(node) in guarded, f"setup.py line {node.lineno}: {node.value!r} is not guarded"
    assert found, "setup.py no longer mentions -march=native: update this test"


def test_default_compile_args_have_no_native_flags() -> None:
    """Run setup.py's ``compile_args`` (extracted from its source: importing setup.py would
    build) with the switch unset and set."""
    tree = _setup_tree()
    keep = [
        stmt
        for stmt in tree.body
        if isinstance(stmt, (ast.Import, ast.ImportFrom))
        or (isinstance(stmt, ast.FunctionDef)
            and stmt.name in ("env_flag", "compile_args", "sanitizers"))
        or (
            isinstance(stmt, ast.Assign)
            and all(isinstance(t, ast.Name) and t.id.isupper() for t in stmt.targets)
            and ("env_flag" in ast.unparse(stmt.value) or "sanitizers" in ast.unparse(stmt.value))
        )
    ]
    code = compile(ast.Module(body=keep, type_ignores=[]), "setup.py", "exec")

    def args_with(env: dict[str, str]) -> list[str]:
        saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("TURBOAVRO_")}
        os.environ.update(env)
        try:
            ns: dict[str, object] = {"__file__": str(ROOT / "setup.py"), "__name__": "setup_extract"}
            exec(code, ns)
            compile_args = ns["compile_args"]
            assert callable(compile_args)
            return list(compile_args())
        finally:
            for k in env:
                os.environ.pop(k, None)
            os.environ.update(saved)

    default = args_with({})
    assert default, "compile_args() returned no flags"
    assert not [a for a in default if "native" in a], default
    if sys.platform != "win32":
        assert "-O3" in default
        assert "-march=native" in args_with({"TURBOAVRO_NATIVE_ARCH": "1"})


# ----------------------------------------------------------------------------------------------
# sdist


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Build the sdist from a copy of the source tree (so the test neither writes generated
    files into the checkout nor picks up stray build products from it)."""
    pytest.importorskip("build", reason="the 'build' package is not installed (pip install build)")
    base = tmp_path_factory.mktemp("sdist")
    src = base / "src"
    ignore = shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", "*.so", "*.pyd", ".hypothesis",
        ".pytest_cache", ".mypy_cache", ".ruff_cache", ".benchmarks", "*.html",
    )
    shutil.copytree(ROOT, src, ignore=ignore)
    # Cython output in the checkout is a build product, never a source: drop it from the copy.
    for c in (src / "src" / "turboavro" / "_kernels").glob("*.c"):
        c.unlink()
    # No isolation: the installed setuptools and Cython decide what goes in as well as a
    # fresh build environment would, without fetching them from the network.
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--skip-dependency-check",
         "--outdir", str(base / "dist"), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (archive,) = (base / "dist").glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        members = [m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name and m.isfile()]
    return members


def _tracked(pattern: str) -> set[str]:
    # files only: a directory may be named like one (tests/data/external has "x.avro/part.avro")
    return {
        str(p.relative_to(ROOT)).replace(os.sep, "/") for p in ROOT.glob(pattern) if p.is_file()
    }


@pytest.mark.slow
def test_sdist_has_sources_and_no_generated_c(sdist: list[str]) -> None:
    members = sdist
    names = set(members)
    kernels = "src/turboavro/_kernels/"
    for pattern in (f"{kernels}*.pyx", f"{kernels}*.pxd", f"{kernels}*.pyi",
                    "src/turboavro/*.py", "native/*.c", "native/*.h",
                    # the suite run from the sdist (cibuildwheel's test-command, the clean-room
                    # check) runs the examples of the docs (tests/test_docs.py)
                    "docs/*.md"):
        expected = _tracked(pattern)
        assert expected, f"no {pattern} in the source tree"
        assert expected <= names, f"sdist lacks {sorted(expected - names)}"
    for required in ("setup.py", "pyproject.toml", "LICENSE", "src/turboavro/py.typed",
                     # what the packaging tests read, run from the sdist
                     "scripts/build-wheels.sh", ".github/workflows/wheels.yml"):
        assert required in names, required
    generated = [m for m in members if m.startswith(kernels) and m.endswith((".c", ".cpp", ".html"))]
    assert generated == [], f"generated files in the sdist: {generated}"
    assert not [m for m in members if m.endswith((".so", ".pyd", ".pyc"))]


def _cibuildwheel_test_command() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the one line this needs
        m = re.search(r'^test-command\s*=\s*"([^"]*)"', text, re.M)
        return m.group(1) if m else ""
    cmd = tomllib.loads(text).get("tool", {}).get("cibuildwheel", {}).get("test-command", "")
    return " && ".join(cmd) if isinstance(cmd, list) else cmd


@pytest.mark.slow
def test_sdist_holds_what_the_wheel_test_command_uses(sdist: list[str]) -> None:
    """cibuildwheel builds every wheel from the sdist and runs ``[tool.cibuildwheel]
    test-command`` with ``{project}`` = the unpacked sdist: every path the command names there
    must be in the sdist, or every wheel job fails at its test step."""
    members = sdist
    command = _cibuildwheel_test_command()
    paths = re.findall(r"\{project\}/([^\s\"']+)", command)
    if not paths:
        pytest.skip(f"test-command {command!r} uses no {{project}} path")
    for path in paths:
        path = path.rstrip("/")
        assert any(m == path or m.startswith(path + "/") for m in members), (
            f"test-command {command!r} needs {{project}}/{path}, which the sdist lacks "
            "(MANIFEST.in: graft it)"
        )
    if any(p == "tests" or p.startswith("tests/") for p in paths):
        # the suite imports its shared strategies and conftest, and reads its test data
        for needed in ("tests/conftest.py", "tests/strategies.py"):
            assert needed in members, needed
        data = _tracked("tests/data/**/*.avro")
        assert data <= set(members), sorted(data - set(members))[:5]
        # tests/test_docs.py runs the examples of the docs and the guide
        docs = _tracked("docs/**/*.md") | {"README.md", "mkdocs.yml"}
        assert any(d.startswith("docs/guide/") for d in docs)
        assert docs <= set(members), sorted(docs - set(members))


def _toml_list(text: str, key: str) -> list[str]:
    """A top-level ``key = [ "..." , ... ]`` string list of pyproject.toml (Python 3.10 has no
    tomllib; these lists hold only quoted strings and comments)."""
    m = re.search(rf"^{re.escape(key)}\s*=\s*\[(.*?)\]\s*$", text, re.M | re.S)
    assert m, key
    body = "\n".join(line.split("#", 1)[0] for line in m.group(1).splitlines())
    return re.findall(r'"([^"]+)"', body)


def test_test_extra_holds_the_build_requirements() -> None:
    """The sdist fixture builds without isolation, so a fresh ``pip install ".[test]"`` must
    bring setuptools, wheel and Cython as the build system asks for them."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    build = _toml_list(text, "requires")
    test = _toml_list(text, "test")
    assert any(r.startswith("Cython") for r in build)
    assert set(build) <= set(test), f"test extra lacks {sorted(set(build) - set(test))}"


# ----------------------------------------------------------------------------------------------
# extras

# tooling extras, not integrations: `turboavro[all]` leaves them out
TOOLING_EXTRAS = {"test", "bench", "docs", "fuzz"}


def _extras() -> dict[str, list[str]]:
    return dict(_pyproject()["project"].get("optional-dependencies", {}))


def _expand(extras: dict[str, list[str]], name: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """The requirements extra ``name`` installs, self-references (``turboavro[a,b]``)
    followed, each as its canonical string (name with extras and specifier, no marker)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    assert name in extras, f"extra {name!r} is not defined"
    assert name not in seen, f"extras refer to each other in a cycle: {sorted(seen)}"
    out: set[str] = set()
    for text in extras[name]:
        req = Requirement(text)
        if canonicalize_name(req.name) == "turboavro":
            for sub in req.extras:
                out |= _expand(extras, sub, seen | {name})
        else:
            req.marker = None
            req.name = canonicalize_name(req.name)
            out.add(str(req))
    return out


def test_all_extra_is_every_integration() -> None:
    """``pip install "turboavro[all]"`` brings every optional integration: ``all`` holds what
    every extra except the tooling ones (test, bench, docs, fuzz) holds, and nothing of those."""
    extras = _extras()
    assert "all" in extras
    everything = _expand(extras, "all")
    integrations = set(extras) - TOOLING_EXTRAS - {"all"}
    assert integrations, "no integration extras: update this test"
    for name in sorted(integrations):
        missing = _expand(extras, name) - everything
        assert not missing, f"extra {name!r} needs {sorted(missing)}, which [all] lacks"
    from packaging.requirements import Requirement

    refs = {e for t in extras["all"] for e in Requirement(t).extras}
    assert not refs & TOOLING_EXTRAS, f"[all] pulls in tooling extras {sorted(refs & TOOLING_EXTRAS)}"


# ----------------------------------------------------------------------------------------------
# cibuildwheel, the workflow and the local release build agree


def _pyproject() -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli", reason="Python 3.10 without tomli")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _codec_switches() -> set[str]:
    """The keys of setup.py's CODEC_LIBRARIES (its TURBOAVRO_WITH_<KEY> switches)."""
    for stmt in _setup_tree().body:
        target = stmt.target if isinstance(stmt, ast.AnnAssign) else (
            stmt.targets[0] if isinstance(stmt, ast.Assign) else None)
        if isinstance(target, ast.Name) and target.id == "CODEC_LIBRARIES":
            assert isinstance(stmt.value, ast.Dict)
            return {ast.literal_eval(k) for k in stmt.value.keys if k is not None}
    raise AssertionError("setup.py has no CODEC_LIBRARIES")


def test_release_builds_require_every_codec_library() -> None:
    """The Linux wheels, on GitHub (cibuildwheel) and from scripts/build-wheels.sh, set
    TURBOAVRO_WITH_<LIB>=1 for every library setup.py probes: a wheel cannot silently lose a
    native codec."""
    keys = _codec_switches()
    assert keys == {"DEFLATE", "ZLIB", "ZSTD", "SNAPPY", "LZMA", "BZ2"}
    env = _pyproject()["tool"]["cibuildwheel"]["linux"]["environment"]
    assert {k for k, v in env.items() if k.startswith("TURBOAVRO_WITH_") and v == "1"} == {
        f"TURBOAVRO_WITH_{k}" for k in keys}
    script = ROOT / "scripts" / "build-wheels.sh"
    loop = re.search(r"^for lib in ([A-Z0-9 ]+); do\n\s+export \"TURBOAVRO_WITH_\$lib=1\"",
                     script.read_text(), re.M)
    assert loop, "scripts/build-wheels.sh no longer sets TURBOAVRO_WITH_<LIB>=1 in one loop"
    assert set(loop.group(1).split()) == keys


def test_linux_images_are_the_ones_before_all_is_written_for() -> None:
    """before-all installs the codec libraries with dnf from PowerTools and EPEL: AlmaLinux 8,
    the manylinux_2_28 image. The images are pinned so that a new cibuildwheel default (another
    distribution) cannot break the wheel builds."""
    cfg = _pyproject()["tool"]["cibuildwheel"]["linux"]
    for arch in cfg["archs"]:
        assert cfg.get(f"manylinux-{arch}-image") == "manylinux_2_28", arch
    assert any("powertools" in cmd for cmd in cfg["before-all"])


def test_workflow_runs_a_native_runner_per_cibuildwheel_arch() -> None:
    """.github/workflows/wheels.yml builds every architecture [tool.cibuildwheel] lists, each on
    a runner of that architecture (its matrix), and from the sdist."""
    text = (ROOT / ".github" / "workflows" / "wheels.yml").read_text()
    rows = re.findall(r"-\s*\{os:\s*([\w.-]+),\s*arch:\s*(\w+)", text)
    assert rows, "wheels.yml: no matrix rows"
    family = {"ubuntu": "linux", "macos": "macos", "windows": "windows"}
    built: dict[str, set[str]] = {}
    for runner, arch in rows:
        built.setdefault(family[runner.split("-")[0]], set()).add(arch)
    cfg = _pyproject()["tool"]["cibuildwheel"]
    assert built == {p: set(cfg[p]["archs"]) for p in ("linux", "macos", "windows")}
    assert "CIBW_ARCHS: ${{ matrix.arch }}" in text
    assert re.search(r"cibuildwheel \"\$sdist\"", text), "wheels are built from the sdist"
