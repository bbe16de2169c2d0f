"""fastavro 1.13.1's own test suite, run against ``turboavro.fastavro``.

The tests come from fastavro's source distribution on PyPI, downloaded when this module runs
(never copied into this repository), and run unchanged in a pytest subprocess in which
``import fastavro`` gives the facade: a one-file ``fastavro`` package placed first on
``PYTHONPATH`` calls :func:`turboavro.fastavro.install_as_fastavro` (the subprocesses of
fastavro's command-line tests inherit it, so ``python -m fastavro`` runs the facade too).

Every failure must be listed, with its reason, in ``tests/fastavro_expected_failures.txt``,
and at least 95% of the suite's 724 tests must pass.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import turboavro

HERE = Path(__file__).parent
# where this run imports turboavro from (the source tree, or site-packages when installed)
SRC = Path(turboavro.__file__).resolve().parent.parent
VERSION = "1.13.1"
TOTAL = 724  # tests in fastavro 1.13.1's suite (719 distinct ids: some ids repeat)
EXPECTED = HERE / "fastavro_expected_failures.txt"

SHIM = """\
# written by turboavro's tests/test_fastavro_suite.py: `import fastavro` gives the facade
import turboavro.fastavro as _facade

_facade.install_as_fastavro()
"""


def expected_failures() -> dict[str, str]:
    """test id -> reason, from the expected-failures list (``id  # reason`` lines)."""
    out: dict[str, str] = {}
    for line in EXPECTED.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        test_id, _, reason = line.partition("  # ")
        assert reason.strip(), f"no reason given for {test_id}"
        out[test_id.strip()] = reason.strip()
    return out


def _download(dest: Path) -> Path:
    """fastavro's sdist, fetched once per run; its tests/ extracted under ``dest``."""
    # --no-binary fastavro, not :all: (which would build fastavro's build requirements, Cython
    # among them, from source too: no compiler in the clean room of scripts/clean-room-check.sh)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", f"fastavro=={VERSION}", "--no-binary",
         "fastavro", "--no-deps", "-q", "-d", str(dest)],
        check=True, timeout=300,
    )
    sdist = next(dest.glob(f"fastavro-{VERSION}.tar.gz"))
    prefix = f"fastavro-{VERSION}/tests/"
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(prefix)]
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, members=members, filter="data")
        else:  # Python before 3.11.4 (Debian bookworm's 3.11.2): plain files and folders only
            unsafe = [m.name for m in members if not (m.isfile() or m.isdir()) or ".." in m.name]
            assert not unsafe, f"unexpected members in {sdist.name}: {unsafe}"
            tar.extractall(dest, members=members)
    return dest / f"fastavro-{VERSION}"


@pytest.fixture(scope="module")
def suite_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("fastavro_suite")
    root = _download(work)
    shim = work / "shim" / "fastavro"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text(SHIM, encoding="utf-8")
    (root / "pytest.ini").write_text("[pytest]\naddopts = --tb=short\n", encoding="utf-8")
    report = work / "report.xml"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(shim.parent), str(SRC)])
    env.pop("PYTEST_ADDOPTS", None)
    env["TZ"] = "UTC"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         f"--junitxml={report}", "-o", "junit_family=xunit2", "tests"],
        cwd=root, env=env, capture_output=True, text=True, timeout=900,
    )
    (work / "output.txt").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    assert report.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    results: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        module = case.get("classname", "").replace("tests.", "", 1).replace(".", "/") + ".py"
        # parametrized ids hold the extraction folder's path: keep them relative
        name = re.sub(r"\[/\S*?/tests/", "[tests/", case.get("name") or "")
        test_id = f"{module}::{name}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = "skipped"
        results[test_id] = outcome
    return results


def test_fastavro_suite_passes(suite_results: dict[str, str]) -> None:
    expected = expected_failures()
    failed = sorted(t for t, o in suite_results.items() if o == "failed")
    passed = sum(1 for o in suite_results.values() if o == "passed")
    skipped = sum(1 for o in suite_results.values() if o == "skipped")
    print(f"\nfastavro {VERSION} suite on turboavro.fastavro: {passed} passed, "
          f"{len(failed)} failed, {skipped} skipped of {len(suite_results)}")
    assert len(suite_results) >= 715, f"only {len(suite_results)} distinct tests collected"
    wild = [e[:-2] for e in expected if e.endswith("[*]")]
    unexpected = [t for t in failed if t not in expected and t.split("[")[0] + "[" not in wild]
    for prefix in wild:
        assert sum(t.startswith(prefix) for t in failed) <= 2, f"more failures of {prefix}*"
    assert not unexpected, "failures not in fastavro_expected_failures.txt:\n" + "\n".join(unexpected)
    assert passed >= 0.95 * TOTAL, f"only {passed} of {TOTAL} passed"


def test_expected_failures_are_real_tests(suite_results: dict[str, str]) -> None:
    """Every listed failure names a test of the suite (a stale entry is an error)."""
    unknown = [t for t in expected_failures()
               if t not in suite_results and not any(r.startswith(t[:-2]) for r in suite_results)]
    assert not unknown, "listed but not in the suite:\n" + "\n".join(unknown)
