"""native/ta_pool.c on its own, built with ThreadSanitizer (``tests/native/pool_threads.c``):
the worker threads that compress blocks for ``Writer(compress_threads=...)`` and
decompress them for ``Reader(decompress_threads=...)`` share a ring of jobs under a mutex;
TSan reports any access to it that the locking does not order. Needs a C compiler with
ThreadSanitizer and zlib's header (what .ci/run installs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NATIVE = ROOT / "native"


@pytest.mark.needs_compiler
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX threads build")
def test_pool_under_thread_sanitizer(tmp_path: Path) -> None:
    cc = os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    if cc is None or not (NATIVE / "ta_pool.c").is_file():
        pytest.skip("no C compiler, or the native sources are not beside the tests")
    exe = tmp_path / "pool_threads"
    build = subprocess.run(
        [cc, "-O1", "-g", "-fsanitize=thread", "-DTA_HAVE_ZLIB=1", f"-I{NATIVE}",
         str(ROOT / "tests" / "native" / "pool_threads.c"), str(NATIVE / "ta_pool.c"),
         str(NATIVE / "ta_codecs.c"), "-lz", "-pthread", "-o", str(exe)],
        capture_output=True, text=True, check=False,
    )
    assert build.returncode == 0, build.stderr
    env = {**os.environ, "TSAN_OPTIONS": "halt_on_error=1:exitcode=66"}
    env.pop("LD_PRELOAD", None)
    run = subprocess.run([str(exe)], capture_output=True, text=True, env=env, timeout=300,
                         check=False)
    assert "ThreadSanitizer" not in run.stderr, run.stderr
    assert run.returncode == 0 and run.stdout.strip() == "ok", (run.stdout, run.stderr)
