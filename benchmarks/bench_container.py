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
