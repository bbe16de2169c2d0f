"""Run the fuzz harnesses of fuzz/harnesses.py with atheris (libFuzzer).

    python fuzz/run.py [--seconds N] [--only NAME ...] [--keep DIR]

Each harness runs in its own process for N seconds (default 20) on a seed corpus built from
the test data; the summary gives inputs executed, exec/s and findings per harness. A crash,
a foreign exception, a timeout (-timeout, 10 s per input) or an allocation over the RSS
limit (-rss_limit_mb) is a finding: its input is saved (in DIR with --keep, else in a temp
directory that is printed) and the run exits 1. Reproduce one with
``python fuzz/run.py --one NAME --input FILE``.

atheris instruments turboavro's Python code for coverage; the C kernels are not
instrumented (atheris needs Clang for that), but a crash in them, or a sanitizer report when
run through scripts/sanitize-tests.sh, is still caught.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _one(name: str, seconds: int, workdir: Path, inputs: list[str]) -> None:
    """In the child process: build the seeds, then fuzz (or replay ``inputs``)."""
    import atheris

    sys.path.insert(0, str(HERE))
    with atheris.instrument_imports(include=["turboavro"]):
        import harnesses
    target = harnesses.HARNESSES[name]
    args = [sys.argv[0], "-timeout=10", "-rss_limit_mb=2560", "-print_final_stats=1",
            "-max_len=65536", f"-artifact_prefix={workdir}/"]
    if inputs:
        args += inputs
    else:
        corpus = workdir / "corpus"
        corpus.mkdir(exist_ok=True)
        for k, seed in enumerate(harnesses.seeds(name)):
            (corpus / f"seed-{k:05d}").write_bytes(seed)
        args += [f"-max_total_time={seconds}", str(corpus)]
    atheris.Setup(args, target)
    atheris.Fuzz()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=20, help="fuzzing time per harness")
    ap.add_argument("--only", nargs="*", default=None, help="harness names (default: all)")
    ap.add_argument("--keep", type=Path, default=None, help="keep corpora and findings here")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--input", nargs="*", default=[], help="with --one: replay these inputs")
    opts = ap.parse_args()
    if opts.one:
        workdir = opts.workdir or Path(tempfile.mkdtemp(prefix="turboavro-fuzz-"))
        sys.argv = sys.argv[:1]
        _one(opts.one, opts.seconds, workdir, opts.input)
        return 0

    sys.path.insert(0, str(HERE))
    names = opts.only or _names()
    base = opts.keep or Path(tempfile.mkdtemp(prefix="turboavro-fuzz-"))
    failed = []
    print(f"{'harness':<22}{'inputs':>10}{'exec/s':>9}{'corpus':>8}  result")
    for name in names:
        workdir = base / name
        workdir.mkdir(parents=True, exist_ok=True)
        t = time.monotonic()
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--one", name,
             "--seconds", str(opts.seconds), "--workdir", str(workdir)],
            capture_output=True, text=True, errors="replace", env=os.environ.copy(),
        )
        log = proc.stdout + proc.stderr
        (workdir / "log.txt").write_text(log)
        runs = re.findall(r"stat::number_of_executed_units: (\d+)", log)
        n = int(runs[-1]) if runs else 0
        elapsed = max(time.monotonic() - t, 1e-9)
        rate = re.findall(r"exec/s: (\d+)", log)
        corpus = len(list((workdir / "corpus").glob("*"))) if (workdir / "corpus").is_dir() else 0
        crashes = [p.name for p in workdir.glob("*") if p.name.startswith(
            ("crash-", "timeout-", "oom-", "leak-", "slow-unit-"))]
        ok = proc.returncode == 0 and not crashes
        result = "ok" if ok else f"FINDING (exit {proc.returncode}) {' '.join(crashes)}"
        print(f"{name:<22}{n:>10}{(rate[-1] if rate else '?'):>9}{corpus:>8}  {result}"
              f"  [{elapsed:.0f}s]", flush=True)
        if not ok:
            failed.append(name)
            tail = "\n".join(log.splitlines()[-40:])
            print(f"---- {name}: last lines of {workdir / 'log.txt'}\n{tail}\n----", flush=True)
    if failed:
        print(f"findings in: {', '.join(failed)} (inputs and logs under {base})")
        return 1
    print(f"no findings (corpora and logs under {base})")
    return 0


def _names() -> list[str]:
    # the names without importing turboavro in the parent
    text = (HERE / "harnesses.py").read_text()
    block = text.split("HARNESSES: dict", 1)[1].split("}", 1)[0]
    return re.findall(r"\b([a-z_0-9]+)\b", block.split("for f in", 1)[1].split(")", 1)[0])


if __name__ == "__main__":
    sys.exit(main())
