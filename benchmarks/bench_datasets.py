"""Datasets: Dask and Polars readers side by side, and bytes fetched from an object store.

* ``dask``: ``turboavro.dask.read_avro`` vs ``dask.bag.read_avro(...).to_dataframe()``
  (fastavro) on the same ``distributed.LocalCluster`` (worker processes, one thread each) and
  the same files (600k mixed records in 6 deflate files, ~47 MB; both sides at their default
  block size: one partition per file), two queries a user runs: ``full`` (the whole frame
  brought to the client, ``.compute()``) and ``sum`` (``df["score"].sum().compute()``).
  Goal: >= 10x on both; ours on two workers vs one gives the scaling.
* ``polars``: ``turboavro.polars.scan_avro`` (and eager ``read_avro``) vs
  ``polars_avro.scan_avro`` and ``jetliner.scan_avro``, the same 2-of-20-column projection
  (goal: >= 2x), on a deflate file and an uncompressed one (deflate's inflate is most of
  every reader's time there); each peer is skipped when not installed.
* ``remote``: bytes fetched from moto's S3 server for a 2-of-20-column projection and for a
  full read (``extra_info``; Avro is row-oriented, so both fetch every block once).

Every result records the machine's load average (``extra_info["load"]``) when it ran.
Run: ``PYTHONPATH=src python -m pytest benchmarks/bench_datasets.py --benchmark-only``.
"""
from __future__ import annotations

import os
import random
import resource
import socket
from typing import Any

import fastavro
import pytest

from turboavro.bench import MIXED_SCHEMA, mixed_records

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")
pl = pytest.importorskip("polars")

DASK_FILES = 6
DASK_ROWS = 100_000  # per file
WIDE_ROWS = 500_000
WIDE = {
    "type": "record",
    "name": "Wide",
    "fields": [
        {"name": f"c{i}", "type": ["long", "double", "string", "int"][i % 4]} for i in range(20)
    ],
}
PROJECTION = ["c1", "c6"]


def _wide_rows(n: int, seed: int = 1) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    words = ["alpha", "bravo", "charlie", "delta", "echo"]
    kinds = [f["type"] for f in WIDE["fields"]]
    out = []
    for i in range(n):
        row = {}
        for j, t in enumerate(kinds):
            if t == "long":
                row[f"c{j}"] = i * 7 + j
            elif t == "double":
                row[f"c{j}"] = rnd.random()
            elif t == "string":
                row[f"c{j}"] = rnd.choice(words) + str(i % 100)
            else:
                row[f"c{j}"] = rnd.randrange(1000)
        out.append(row)
    return out


@pytest.fixture(scope="module")
def mixed_files(tmp_path_factory: Any) -> str:
    d = tmp_path_factory.mktemp("mixed")
    parsed = fastavro.parse_schema(MIXED_SCHEMA)
    rows = mixed_records(DASK_ROWS)  # the same records in every file: making them is slow
    for k in range(DASK_FILES):
        with open(d / f"part-{k}.avro", "wb") as f:
            fastavro.writer(f, parsed, rows, codec="deflate")
    return str(d / "part-*.avro")


@pytest.fixture(scope="module", params=["deflate", "null"])
def wide_file(request: Any, tmp_path_factory: Any) -> str:
    path = tmp_path_factory.mktemp("wide") / f"wide-{request.param}.avro"
    with open(path, "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(WIDE), _wide_rows(WIDE_ROWS),
                        codec=request.param)
    return str(path)


def _load(benchmark: Any) -> None:
    benchmark.extra_info["load"] = os.getloadavg()[0]


def _process_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return r.ru_utime + r.ru_stime


def _cpu_timed(benchmark: Any, fn: Any, client: Any = None) -> Any:
    """``fn`` recording the CPU seconds each call takes (``extra_info["cpu_s"]``, the median):
    this process's threads, plus the workers' processes when a Dask ``client`` is given (the
    scheduler of a LocalCluster runs in this process). On a VM whose cores other jobs share,
    CPU time moves far less with the load than wall time does."""
    spent: list[float] = []

    def cpu() -> float:
        total = _process_cpu()
        if client is not None:
            total += sum(client.run(_process_cpu).values())
        return total

    def run() -> Any:
        before = cpu()
        out = fn()
        spent.append(cpu() - before)
        benchmark.extra_info["cpu_s"] = round(sorted(spent)[len(spent) // 2], 3)
        return out

    return run


@pytest.fixture(scope="module", params=[2, 1], ids=["2-workers", "1-worker"])
def client(request: Any) -> Any:
    with distributed.LocalCluster(n_workers=request.param, threads_per_worker=1,
                                  processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


def _full(ddf: Any) -> Any:
    df = ddf.compute()
    assert len(df) == DASK_FILES * DASK_ROWS
    return df


def _sum(ddf: Any) -> Any:
    total = ddf["score"].sum().compute()
    assert 0 < total < 100 * DASK_FILES * DASK_ROWS
    return total


QUERIES = {"full": _full, "sum": _sum}


@pytest.mark.parametrize("query", list(QUERIES))
def test_dask_turboavro(benchmark: Any, client: Any, mixed_files: str, query: str) -> None:
    from turboavro.dask import read_avro

    workers = len(client.scheduler_info()["workers"])
    benchmark.group = f"dask {query}: 600k mixed rows, 6 files, deflate"
    benchmark.extra_info["workers"] = workers
    _load(benchmark)
    benchmark.pedantic(_cpu_timed(benchmark, lambda: QUERIES[query](read_avro(mixed_files)),
                                  client), rounds=3, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("query", list(QUERIES))
def test_dask_bag_fastavro(benchmark: Any, client: Any, mixed_files: str, query: str) -> None:
    import dask.bag as db

    if len(client.scheduler_info()["workers"]) != 2:
        pytest.skip("the peer is measured on two workers only")
    benchmark.group = f"dask {query}: 600k mixed rows, 6 files, deflate"
    benchmark.extra_info["workers"] = 2
    _load(benchmark)
    benchmark.pedantic(_cpu_timed(
        benchmark, lambda: QUERIES[query](db.read_avro(mixed_files).to_dataframe()), client),
        rounds=1, iterations=1)


def _check(df: Any) -> None:
    assert df.columns == PROJECTION and df.height == WIDE_ROWS


def _polars_group(benchmark: Any, wide_file: str) -> None:
    codec = wide_file.rsplit("-", 1)[1].split(".")[0]
    benchmark.group = f"polars: 500k rows x 20 columns, {codec}, select 2"
    _load(benchmark)


def test_polars_turboavro(benchmark: Any, wide_file: str) -> None:
    from turboavro.polars import scan_avro

    _polars_group(benchmark, wide_file)
    df = benchmark.pedantic(
        _cpu_timed(benchmark, lambda: scan_avro(wide_file).select(PROJECTION).collect()),
        rounds=5, iterations=1, warmup_rounds=1)
    _check(df)


def test_polars_turboavro_eager(benchmark: Any, wide_file: str) -> None:
    from turboavro.polars import read_avro

    _polars_group(benchmark, wide_file)
    df = benchmark.pedantic(_cpu_timed(benchmark, lambda: read_avro(wide_file, PROJECTION)),
                            rounds=5, iterations=1, warmup_rounds=1)
    _check(df)


def test_polars_avro(benchmark: Any, wide_file: str) -> None:
    polars_avro = pytest.importorskip("polars_avro")
    _polars_group(benchmark, wide_file)
    df = benchmark.pedantic(
        _cpu_timed(benchmark, lambda: polars_avro.scan_avro(wide_file).select(PROJECTION)
                   .collect()), rounds=5, iterations=1, warmup_rounds=1)
    _check(df)


def test_polars_jetliner(benchmark: Any, wide_file: str) -> None:
    jetliner = pytest.importorskip("jetliner")
    _polars_group(benchmark, wide_file)
    df = benchmark.pedantic(
        _cpu_timed(benchmark, lambda: jetliner.scan_avro(wide_file).select(PROJECTION)
                   .collect()), rounds=5, iterations=1, warmup_rounds=1)
    _check(df)


@pytest.fixture(scope="module")
def s3(wide_file: str) -> Any:
    pytest.importorskip("s3fs")
    server_mod = pytest.importorskip("moto.server")
    import boto3

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id="testing", aws_secret_access_key="testing"
                 ).create_bucket(Bucket="bench")
    opts = {"key": "testing", "secret": "testing",
            "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"}}
    import s3fs

    with open(wide_file, "rb") as f:
        s3fs.S3FileSystem(**opts).pipe("bench/wide.avro", f.read())
    yield opts
    server.stop()


@pytest.mark.parametrize("columns", [PROJECTION, None], ids=["2-of-20", "all-20"])
def test_remote_bytes(benchmark: Any, s3: Any, wide_file: str, columns: Any) -> None:
    import s3fs

    import turboavro as ta

    fetched: list[int] = []
    original = s3fs.S3FileSystem._cat_file

    async def counting(self: Any, path: str, version_id: Any = None, start: Any = None,
                       end: Any = None) -> bytes:
        data = await original(self, path, version_id=version_id, start=start, end=end)
        fetched.append(len(data))
        return data

    s3fs.S3FileSystem._cat_file = counting  # type: ignore[method-assign]
    s3fs.S3FileSystem.clear_instance_cache()  # instances bind _cat_file when made
    try:
        codec = wide_file.rsplit("-", 1)[1].split(".")[0]
        benchmark.group = f"remote: read_columns from S3 (moto), 500k x 20, {codec}"
        cols = benchmark.pedantic(
            lambda: ta.read_columns("s3://bench/wide.avro", columns=columns, storage_options=s3),
            setup=fetched.clear, rounds=3, iterations=1)
    finally:
        s3fs.S3FileSystem._cat_file = original  # type: ignore[method-assign]
        s3fs.S3FileSystem.clear_instance_cache()
    assert cols.num_rows == WIDE_ROWS
    benchmark.extra_info["bytes_fetched"] = sum(fetched)
    benchmark.extra_info["requests"] = len(fetched)
