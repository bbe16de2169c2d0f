"""Datasets: Dask and Polars readers side by side, and bytes fetched from an object store.

* ``dask``: ``turboavro.dask.read_avro(...).compute()`` vs
  ``dask.bag.read_avro(...).to_dataframe().compute()`` (fastavro) on the same
  ``distributed.LocalCluster`` and files (goal: >= 10x); ours on two workers vs one.
* ``polars``: ``turboavro.polars.scan_avro`` vs ``polars_avro.scan_avro`` and
  ``jetliner.scan_avro``, the same 2-of-20-column projection (goal: >= 2x); each peer is
  skipped when not installed.
* ``remote``: bytes fetched from moto's S3 server for a 2-of-20-column projection and for a
  full read (``extra_info``; Avro is row-oriented, so both fetch every block once).

Run: ``PYTHONPATH=src python -m pytest benchmarks/bench_datasets.py --benchmark-only``.
"""
from __future__ import annotations

import random
import socket
from typing import Any

import fastavro
import pytest

from turboavro.bench import MIXED_SCHEMA, mixed_records

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")
pl = pytest.importorskip("polars")

FILES = 4
ROWS_PER_FILE = 50_000
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
    for k in range(FILES):
        with open(d / f"part-{k}.avro", "wb") as f:
            fastavro.writer(f, parsed, mixed_records(ROWS_PER_FILE, seed=k), codec="deflate")
    return str(d / "part-*.avro")


@pytest.fixture(scope="module")
def wide_file(tmp_path_factory: Any) -> str:
    path = tmp_path_factory.mktemp("wide") / "wide.avro"
    with open(path, "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(WIDE), _wide_rows(WIDE_ROWS), codec="deflate")
    return str(path)


@pytest.fixture(scope="module", params=[2, 1], ids=["2-workers", "1-worker"])
def client(request: Any) -> Any:
    with distributed.LocalCluster(n_workers=request.param, threads_per_worker=1,
                                  processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def test_dask_turboavro(benchmark: Any, client: Any, mixed_files: str) -> None:
    from turboavro.dask import read_avro

    workers = len(client.scheduler_info()["workers"])
    benchmark.group = "dask: 200k mixed rows, 4 files, deflate -> pandas"
    benchmark.extra_info["workers"] = workers
    df = benchmark.pedantic(lambda: read_avro(mixed_files, blocksize="4 MiB").compute(),
                            rounds=3, iterations=1)
    assert len(df) == FILES * ROWS_PER_FILE


def test_dask_bag_fastavro(benchmark: Any, client: Any, mixed_files: str) -> None:
    import dask.bag as db

    if len(client.scheduler_info()["workers"]) != 2:
        pytest.skip("the peer is measured on two workers only")
    benchmark.group = "dask: 200k mixed rows, 4 files, deflate -> pandas"
    benchmark.extra_info["workers"] = 2

    def run() -> Any:
        return db.read_avro(mixed_files, blocksize=4 << 20).to_dataframe().compute()

    df = benchmark.pedantic(run, rounds=1, iterations=1)
    assert len(df) == FILES * ROWS_PER_FILE


def _check(df: Any) -> None:
    assert df.columns == PROJECTION and df.height == WIDE_ROWS


def test_polars_turboavro(benchmark: Any, wide_file: str) -> None:
    from turboavro.polars import scan_avro

    benchmark.group = "polars: 500k rows x 20 columns, deflate, select 2"
    df = benchmark.pedantic(lambda: scan_avro(wide_file).select(PROJECTION).collect(),
                            rounds=5, iterations=1)
    _check(df)


def test_polars_avro(benchmark: Any, wide_file: str) -> None:
    polars_avro = pytest.importorskip("polars_avro")
    benchmark.group = "polars: 500k rows x 20 columns, deflate, select 2"
    df = benchmark.pedantic(
        lambda: polars_avro.scan_avro(wide_file).select(PROJECTION).collect(),
        rounds=5, iterations=1)
    _check(df)


def test_polars_jetliner(benchmark: Any, wide_file: str) -> None:
    jetliner = pytest.importorskip("jetliner")
    benchmark.group = "polars: 500k rows x 20 columns, deflate, select 2"
    df = benchmark.pedantic(lambda: jetliner.scan_avro(wide_file).select(PROJECTION).collect(),
                            rounds=5, iterations=1)
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
def test_remote_bytes(benchmark: Any, s3: Any, columns: Any) -> None:
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
        benchmark.group = "remote: read_columns from S3 (moto), 500k x 20"
        cols = benchmark.pedantic(
            lambda: ta.read_columns("s3://bench/wide.avro", columns=columns, storage_options=s3),
            setup=fetched.clear, rounds=3, iterations=1)
    finally:
        s3fs.S3FileSystem._cat_file = original  # type: ignore[method-assign]
        s3fs.S3FileSystem.clear_instance_cache()
    assert cols.num_rows == WIDE_ROWS
    benchmark.extra_info["bytes_fetched"] = sum(fetched)
    benchmark.extra_info["requests"] = len(fetched)
