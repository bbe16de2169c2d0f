"""Container files: write and read the "flat" and "mixed" workloads in every
codec, turboavro next to fastavro (and cavro when importable) in one run.

    PYTHONPATH=src python -m pytest benchmarks/bench_container.py --benchmark-min-rounds=3 -q

``TURBOAVRO_BENCH_RECORDS`` sets the record count (default 200,000, as in the
figures of docs/performance.md). Each benchmark group holds one operation x workload x codec, so the ratios are read
straight off the table; ``--benchmark-group-by=group``.
"""
from __future__ import annotations

import io
import os

import pytest

from turboavro.bench import FLAT_SCHEMA, MIXED_SCHEMA, flat_records, mixed_records
from turboavro.container import Reader, Writer

fastavro = pytest.importorskip("fastavro")
try:
    import cavro  # type: ignore[import-not-found]
except ImportError:  # optional third implementation
    cavro = None

N = int(os.environ.get("TURBOAVRO_BENCH_RECORDS", "200000"))
CODECS = ["null", "deflate", "snappy", "bzip2", "xz", "zstandard"]
FASTAVRO_CODECS = {"null", "deflate", "snappy", "bzip2", "xz"}  # zstandard needs backports.zstd
WORKLOADS = {"flat": (FLAT_SCHEMA, flat_records), "mixed": (MIXED_SCHEMA, mixed_records)}
_cache: dict[str, list] = {}
_files: dict[tuple[str, str], bytes] = {}


def _records(workload: str) -> list:
    if workload not in _cache:
        _cache[workload] = WORKLOADS[workload][1](N)
    return _cache[workload]


def _file(workload: str, codec: str) -> bytes:
    key = (workload, codec)
    if key not in _files:
        buf = io.BytesIO()
        with Writer(buf, WORKLOADS[workload][0], codec=codec) as w:
            w.write_many(_records(workload))
        _files[key] = buf.getvalue()
    return _files[key]


IMPLS = ["turboavro", "fastavro"] + (["cavro"] if cavro is not None else [])


def _cases(impls):
    for workload in WORKLOADS:
        for codec in CODECS:
            for impl in impls:
                if impl == "fastavro" and codec not in FASTAVRO_CODECS:
                    continue
                yield pytest.param(workload, codec, impl, id=f"{workload}-{codec}-{impl}")


# "turboavro" is list(Reader(...)); "turboavro-read_all" is Reader(...).read_all()
@pytest.mark.parametrize("workload, codec, impl", list(_cases(["turboavro-read_all", *IMPLS])))
def test_read(benchmark, workload, codec, impl):
    data = _file(workload, codec)
    benchmark.group = f"read {workload} {codec}"
    if impl == "turboavro":

        def run():
            with Reader(io.BytesIO(data)) as r:
                return list(r)
    elif impl == "turboavro-read_all":

        def run():
            with Reader(io.BytesIO(data)) as r:
                return r.read_all()
    elif impl == "fastavro":

        def run():
            return list(fastavro.reader(io.BytesIO(data)))
    else:

        def run():
            return list(cavro.ContainerReader(io.BytesIO(data)))

    out = benchmark(run)
    assert len(out) == N


@pytest.mark.parametrize("workload, codec, impl", list(_cases(IMPLS)))
def test_write(benchmark, workload, codec, impl):
    schema = WORKLOADS[workload][0]
    records = _records(workload)
    benchmark.group = f"write {workload} {codec}"
    if impl == "turboavro":

        def run():
            buf = io.BytesIO()
            with Writer(buf, schema, codec=codec) as w:
                w.write_many(records)
            return buf
    elif impl == "fastavro":
        parsed = fastavro.parse_schema(schema)

        def run():
            buf = io.BytesIO()
            fastavro.writer(buf, parsed, records, codec=codec)
            return buf
    else:
        cschema = cavro.Schema(schema)

        def run():
            buf = io.BytesIO()
            with cavro.ContainerWriter(buf, cschema, codec=codec) as w:
                w.write_many(records)
            return buf

    buf = benchmark(run)
    with Reader(io.BytesIO(buf.getvalue())) as r:
        assert sum(b.count for b in r.iter_blocks_raw()) == N


@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_write_overlap(benchmark, workload):
    """Deflate writes at fastavro's level (6) with compression overlapped with encoding (the
    default: one native thread per CPU) against inline compression and against fastavro, interleaved (inline, overlapped,
    fastavro, reference x2, ...) so all see the same moments of this noisy box.

    ``reference_pairs`` is what 2 threads give at that moment for perfectly parallel work
    (``conftest._reference_work``): the overlap cannot beat it. The benchmarked call is the
    overlapped write."""
    import statistics
    import time
    from concurrent.futures import ThreadPoolExecutor

    import turboavro.container as container
    from conftest import _reference_work

    schema = WORKLOADS[workload][0]
    records = _records(workload)
    parsed = fastavro.parse_schema(schema)
    benchmark.group = f"write overlap {workload} deflate"

    def ours():
        with Writer(io.BytesIO(), schema, codec="deflate", codec_level=6) as w:
            w.write_many(records)

    def inline():
        saved = container._OVERLAP_MIN_BLOCK
        container._OVERLAP_MIN_BLOCK = 1 << 62
        try:
            ours()
        finally:
            container._OVERLAP_MIN_BLOCK = saved

    def theirs():
        fastavro.writer(io.BytesIO(), parsed, records, codec="deflate")

    times: dict[str, list[float]] = {"inline": [], "overlap": [], "fastavro": [], "ref1": [], "ref2": []}
    with ThreadPoolExecutor(1) as pool:
        for _ in range(5):
            for name, fn in (
                ("inline", inline),
                ("overlap", ours),
                ("fastavro", theirs),
                ("ref1", lambda: _reference_work(1, pool)),
                ("ref2", lambda: _reference_work(2, pool)),
            ):
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
    best = {k: min(v) for k, v in times.items()}
    pairs = statistics.median(a / b for a, b in zip(times["inline"], times["overlap"], strict=True))
    reference = statistics.median(a / b for a, b in zip(times["ref1"], times["ref2"], strict=True))
    benchmark.extra_info.update(
        overlap_vs_inline_pairs=pairs, reference_pairs=reference,
        fastavro_vs_overlap=best["fastavro"] / best["overlap"],
        fastavro_vs_inline=best["fastavro"] / best["inline"],
    )
    print(f"\n{workload} deflate write: overlap {best['overlap'] * 1e3:.0f} ms, inline "
          f"{best['inline'] * 1e3:.0f} ms, fastavro {best['fastavro'] * 1e3:.0f} ms; vs fastavro "
          f"{best['fastavro'] / best['overlap']:.2f}x (inline {best['fastavro'] / best['inline']:.2f}x);"
          f" overlap/inline pairs {pairs:.2f}x, parallel reference {reference:.2f}x")
    benchmark.pedantic(ours, rounds=1, iterations=1)


@pytest.mark.parametrize("workload", list(WORKLOADS))
@pytest.mark.parametrize("codec", ["bzip2", "xz"])
@pytest.mark.parametrize("side", ["read", "write"])
def test_threads(benchmark, side, codec, workload):
    """bzip2/xz, whose (de)compression dominates: ``Reader(decompress_threads=n).read_all()``
    / ``Writer(compress_threads=n)`` for n = 0 (inline), 1, 2 and the default, next to
    fastavro and the perfectly parallel reference (``conftest._reference_work``: what 2 threads
    give at that moment), interleaved so all see the same moments of this noisy box. The
    benchmarked call is the default."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from conftest import _reference_work

    schema = WORKLOADS[workload][0]
    records = _records(workload)
    parsed = fastavro.parse_schema(schema)
    data = _file(workload, codec)
    benchmark.group = f"threads {side} {workload} {codec}"

    def ours(n):
        if side == "read":
            with Reader(io.BytesIO(data), decompress_threads=n) as r:
                return r.read_all()
        with Writer(io.BytesIO(), schema, codec=codec, compress_threads=n) as w:
            w.write_many(records)
        return None

    def theirs():
        if side == "read":
            return list(fastavro.reader(io.BytesIO(data)))
        fastavro.writer(io.BytesIO(), parsed, records, codec=codec)
        return None

    runs = {
        "0": lambda: ours(0), "1": lambda: ours(1), "2": lambda: ours(2),
        "default": lambda: ours(None), "fastavro": theirs,
    }
    times: dict[str, list[float]] = {k: [] for k in [*runs, "ref1", "ref2"]}
    with ThreadPoolExecutor(1) as pool:
        runs["ref1"] = lambda: _reference_work(1, pool)
        runs["ref2"] = lambda: _reference_work(2, pool)
        for _ in range(3):
            for name, fn in runs.items():
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
    best = {k: min(v) for k, v in times.items()}
    fa = best["fastavro"]
    benchmark.extra_info.update({f"fastavro_vs_{k}": fa / best[k] for k in ("0", "1", "2", "default")})
    benchmark.extra_info["reference"] = best["ref1"] / best["ref2"]
    print(f"\n{side} {workload} {codec}: fastavro {fa * 1e3:.0f} ms; turboavro threads 0/1/2/default "
          + " / ".join(f"{best[k] * 1e3:.0f} ms ({fa / best[k]:.2f}x)" for k in ("0", "1", "2", "default"))
          + f"; parallel reference {best['ref1'] / best['ref2']:.2f}x")
    benchmark.pedantic(lambda: ours(None), rounds=1, iterations=1)
