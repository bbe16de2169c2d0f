"""``read_columns`` against the native columnar Avro readers, side by side in one run:
polars-avro (``polars_avro.read_avro``), jetliner (``jetliner.read_avro``), Apache DataFusion
(``SessionContext().read_avro(...).to_arrow_table()``) and DuckDB's avro extension (the
``duckdb-extension-avro`` package ships the extension; it is loaded by its path).

Workloads: the flat and mixed shapes (benchmarks/conftest.py), ``TURBOAVRO_BENCH_RECORDS`` records (default
1,000,000), container files written once per run by turboavro's Writer, every codec each
reader supports (a peer that cannot read a codec is skipped with its error; DuckDB's
extension reads null, deflate and snappy). turboavro with 1 and 2 threads. A peer that is not
installed is skipped. One group per shape x codec: the ratios read straight off the table.

    PYTHONPATH=src python -m pytest benchmarks/bench_columnar_peers.py \\
        --benchmark-min-rounds=3 --benchmark-group-by=group -q
"""
from __future__ import annotations

import glob
import importlib
import os
from collections.abc import Callable
from typing import Any

import pytest

import turboavro as ta
from conftest import FLAT_SCHEMA, MIXED_SCHEMA, flat_records, mixed_records

N = int(os.environ.get("TURBOAVRO_BENCH_RECORDS", "1000000"))
CODECS = ["null", "deflate", "snappy", "zstandard", "bzip2", "xz"]
SHAPES = {"flat": (FLAT_SCHEMA, flat_records), "mixed": (MIXED_SCHEMA, mixed_records)}


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _duckdb_reader() -> Callable[[str], Any] | None:
    duckdb = _optional("duckdb")
    ext_pkg = _optional("duckdb_extension_avro")
    if duckdb is None or ext_pkg is None:
        return None
    found = glob.glob(
        os.path.join(os.path.dirname(ext_pkg.__file__), "extensions", "*", "avro.duckdb_extension")
    )
    if not found:
        return None
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{found[0]}'")

    def read(path: str) -> Any:
        return con.execute("SELECT * FROM read_avro(?)", [path]).to_arrow_table()

    return read


def _peers() -> dict[str, Callable[[str], Any] | None]:
    polars_avro = _optional("polars_avro")
    jetliner = _optional("jetliner")
    datafusion = _optional("datafusion")
    return {
        "polars-avro": polars_avro.read_avro if polars_avro else None,
        "jetliner": jetliner.read_avro if jetliner else None,
        "datafusion": (
            (lambda path: datafusion.SessionContext().read_avro(path).to_arrow_table())
            if datafusion
            else None
        ),
        "duckdb": _duckdb_reader(),
    }


PEERS = _peers()


@pytest.fixture(scope="module")
def files(tmp_path_factory: Any) -> dict[tuple[str, str], str]:
    root = tmp_path_factory.mktemp("peers")
    out = {}
    for shape, (schema, gen) in SHAPES.items():
        records = gen(N)
        for codec in CODECS:
            path = root / f"{shape}_{codec}.avro"
            with ta.Writer(str(path), schema, codec=codec) as w:
                w.write_many(records)
            out[shape, codec] = str(path)
        del records
    return out


def _rows(table: Any) -> int:
    return int(table.num_rows if hasattr(table, "num_rows") else table.height)


@pytest.mark.parametrize("peer", sorted(PEERS))
@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_peer(benchmark: Any, files: Any, shape: str, codec: str, peer: str) -> None:
    read = PEERS[peer]
    if read is None:
        pytest.skip(f"{peer} is not installed")
    path = files[shape, codec]
    benchmark.group = f"{shape} {codec} -> columns"
    try:
        first = read(path)
    except BaseException as e:  # noqa: BLE001 - a peer's missing codec or type support
        if isinstance(e, KeyboardInterrupt):
            raise
        pytest.skip(f"{peer} cannot read {shape}/{codec}: {type(e).__name__}: {str(e)[:120]}")
    assert _rows(first) == N
    del first
    benchmark(read, path)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_turboavro(benchmark: Any, files: Any, shape: str, codec: str, threads: int) -> None:
    path = files[shape, codec]
    benchmark.group = f"{shape} {codec} -> columns"
    cols = benchmark(ta.read_columns, path, threads=threads)
    assert cols.num_rows == N
