"""Workload of the ``turboavro bench`` command: the "flat" and "mixed" records of the
benchmarks (``benchmarks/conftest.py``), written and read as container files by turboavro and,
when installed, by fastavro in the same run. Throughput is records per second, best of a few runs."""
from __future__ import annotations

import datetime
import gc
import importlib
import io
import os
import random
import tempfile
import time
from collections.abc import Callable
from typing import IO, Any

# The two record shapes of the benchmarks (benchmarks/conftest.py), embedded so that
# an installed wheel can run the benchmark.
FLAT_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Flat",
    "namespace": "bench",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "count", "type": "int"},
        {"name": "value", "type": "double"},
        {"name": "ratio", "type": "float"},
        {"name": "flag", "type": "boolean"},
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}

MIXED_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Event",
    "namespace": "bench",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "ts", "type": "long"},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "score", "type": "double"},
        {"name": "tags", "type": {"type": "array", "items": "long"}},
        {"name": "attrs", "type": {"type": "map", "values": "string"}},
        {
            "name": "kind",
            "type": {
                "type": "enum",
                "name": "Kind",
                "symbols": ["CLICK", "VIEW", "BUY", "SHARE", "OTHER"],
            },
        },
        {
            "name": "place",
            "type": {
                "type": "record",
                "name": "Place",
                "fields": [{"name": "city", "type": "string"}, {"name": "zip", "type": "int"}],
            },
        },
    ],
}

_WORDS = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
    "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu"
).split()
_EPOCH = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


def flat_records(n: int, seed: int = 42) -> list[dict[str, Any]]:
    """``n`` flat records (about 33 bytes each encoded)."""
    rnd = random.Random(seed)
    second = datetime.timedelta(seconds=1)
    return [
        {
            "id": rnd.getrandbits(62),
            "count": rnd.getrandbits(32) - 2**31,
            "value": rnd.uniform(-1e6, 1e6),
            "ratio": rnd.random(),
            "flag": rnd.random() < 0.5,
            "ts": _EPOCH + i * second,
        }
        for i in range(n)
    ]


def mixed_records(n: int, seed: int = 42) -> list[dict[str, Any]]:
    """``n`` mixed records (about 115 bytes each encoded)."""
    rnd = random.Random(seed)
    kinds = MIXED_SCHEMA["fields"][6]["type"]["symbols"]
    out = []
    for i in range(n):
        out.append(
            {
                "id": f"{rnd.getrandbits(48):012x}-{i:07d}",
                "ts": 1_700_000_000_000 + i * 1000,
                "note": None
                if rnd.random() < 0.5
                else " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(1, 6))),
                "score": rnd.uniform(0, 100),
                "tags": [rnd.getrandbits(40) for _ in range(rnd.randint(3, 7))],
                "attrs": {f"k{j}": rnd.choice(_WORDS) for j in range(rnd.randint(2, 4))},
                "kind": rnd.choice(kinds),
                "place": {"city": rnd.choice(_WORDS).title(), "zip": rnd.randint(10000, 99999)},
            }
        )
    return out


def _best(fn: Callable[[], Any], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def run(
    quick: bool = False,
    records: int | None = None,
    codecs: list[str] | None = None,
    out: IO[str] | None = None,
) -> list[dict[str, Any]]:
    """Measure and print a table; returns its rows (dicts)."""
    from .container import Reader, Writer

    n = records or (20_000 if quick else 200_000)
    rounds = 1 if quick else 3
    codecs = codecs or ["null", "deflate"]
    fastavro = _optional("fastavro")
    columnar = _optional("turboavro.columnar")
    rows: list[dict[str, Any]] = []

    def emit(op: str, workload: str, codec: str, ours: float, theirs: float | None) -> None:
        row = {"op": op, "workload": workload, "codec": codec, "turboavro": n / ours,
               "fastavro": (n / theirs) if theirs else None}
        rows.append(row)
        if out is not None:
            fa = f"{row['fastavro']:>12,.0f}" if row["fastavro"] else f"{'-':>12}"
            ratio = f"{theirs / ours:6.2f}x" if theirs else "     -"
            out.write(f"{op:<8} {workload:<6} {codec:<10} {row['turboavro']:>12,.0f} {fa} {ratio}\n")
            out.flush()

    if out is not None:
        out.write(f"{n:,} records, best of {rounds}; records/s\n")
        out.write(f"{'op':<8} {'shape':<6} {'codec':<10} {'turboavro':>12} {'fastavro':>12}  ratio\n")
    with tempfile.TemporaryDirectory(prefix="turboavro-bench-") as tmp:
        for workload, schema, make in (
            ("flat", FLAT_SCHEMA, flat_records),
            ("mixed", MIXED_SCHEMA, mixed_records),
        ):
            data = make(n)
            parsed = fastavro.parse_schema(schema) if fastavro else None
            for codec in codecs:
                path = os.path.join(tmp, f"{workload}-{codec}.avro")

                def ours_write(
                    path: str = path, codec: str = codec, schema: Any = schema, data: Any = data
                ) -> None:
                    with Writer(path, schema, codec=codec) as w:
                        w.write_many(data)

                def ours_read(path: str = path) -> None:
                    with Reader(path) as r:
                        r.read_all()

                t_write = _best(ours_write, rounds)
                fa_write = fa_read = None
                if fastavro is not None and codec in ("null", "deflate", "snappy", "bzip2", "xz"):

                    def fa_write_fn(codec: str = codec, parsed: Any = parsed, data: Any = data) -> None:
                        buf = io.BytesIO()
                        fastavro.writer(buf, parsed, data, codec=codec)

                    def fa_read_fn(path: str = path) -> None:
                        with open(path, "rb") as fo:
                            list(fastavro.reader(fo))

                    fa_write = _best(fa_write_fn, rounds)
                    fa_read = _best(fa_read_fn, rounds)
                emit("write", workload, codec, t_write, fa_write)
                emit("read", workload, codec, _best(ours_read, rounds), fa_read)
                if columnar is not None and hasattr(columnar, "read_columns") and workload == "flat":

                    def cols(path: str = path) -> None:
                        columnar.read_columns(path)

                    emit("columns", workload, codec, _best(cols, rounds), None)
    return rows
