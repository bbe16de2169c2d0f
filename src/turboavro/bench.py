"""Workload of the ``turboavro bench`` command: the "flat" and "mixed" records, written and
read as container files by turboavro and, when installed, by its peers (fastavro, cavro) in
the same run. Throughput is records per second, best of ``rounds`` runs (3 by default).
:func:`plot` draws the rows as a PNG bar chart (the ``plot`` extra: matplotlib)."""
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


LEGEND = """\
flat     records of six fixed-width fields (long, int, double, float, boolean, timestamp)
mixed    records of strings, an optional string, an array, a map, an enum and a nested record
write    encode the records and write a container file
read     read a container file back into Python records (dicts)
columns  read a container file into numpy columns (read_columns; turboavro only)
ratio    turboavro's records/s divided by fastavro's (2.00x: twice as fast); for columns,
         against fastavro reading rows"""

_ROW_KEYS = ("op", "workload", "codec", "records", "ratio")
# codecs each peer's container writer and reader support
_PEER_CODECS = {
    "fastavro": ("null", "deflate", "snappy", "bzip2", "xz"),
    "cavro": ("null", "deflate", "snappy", "bzip2", "xz", "zstandard"),
}


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


def _peer_ops(name: str, module: Any, schema: Any, data: list[Any], path: str,
              codec: str) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """The write and read functions of a peer library for one workload and codec."""
    if name == "fastavro":
        parsed = module.parse_schema(schema)

        def fa_write() -> None:
            module.writer(io.BytesIO(), parsed, data, codec=codec)

        def fa_read() -> None:
            with open(path, "rb") as fo:
                list(module.reader(fo))

        return fa_write, fa_read
    cschema = module.Schema(schema)

    def cavro_write() -> None:
        with module.ContainerWriter(io.BytesIO(), cschema, codec=codec) as w:
            w.write_many(data)

    def cavro_read() -> None:
        with open(path, "rb") as fo:
            list(module.ContainerReader(fo))

    return cavro_write, cavro_read


def run(
    quick: bool = False,
    records: int | None = None,
    codecs: list[str] | None = None,
    out: IO[str] | None = None,
    rounds: int = 3,
) -> list[dict[str, Any]]:
    """Measure and print a table (with its legend); returns its rows: dicts with ``op``,
    ``workload``, ``codec`` and records/s for ``turboavro`` and each peer found (None where
    a peer has no such operation or codec)."""
    from .container import Reader, Writer

    n = records or (20_000 if quick else 200_000)
    codecs = codecs or ["null", "deflate"]
    peers = {name: mod for name in _PEER_CODECS if (mod := _optional(name)) is not None}
    columnar = _optional("turboavro.columnar")
    rows: list[dict[str, Any]] = []
    names = ["turboavro", *peers]

    def emit(op: str, workload: str, codec: str, times: dict[str, float | None],
             base: float | None = None) -> None:
        """One row; ``base``: the fastavro time the ratio is against, when not its own."""
        row: dict[str, Any] = {"op": op, "workload": workload, "codec": codec, "records": n}
        for name in names:
            t = times.get(name)
            row[name] = n / t if t else None
        base = base or times.get("fastavro")
        row["ratio"] = base / times["turboavro"] if base and times["turboavro"] else None
        rows.append(row)
        if out is None:
            return
        cells = "".join(
            f" {row[name]:>12,.0f}" if row[name] else f" {'-':>12}" for name in names
        )
        ratio = f"{row['ratio']:6.2f}x" if row["ratio"] else "     -"
        out.write(f"{op:<8} {workload:<6} {codec:<10}{cells}  {ratio}\n")
        out.flush()

    if out is not None:
        out.write(f"{n:,} records per workload, best of {rounds} runs; records per second\n")
        if "fastavro" not in peers:
            out.write("(fastavro is not installed, so there is nothing to compare with: "
                      "pip install fastavro, or turboavro[bench])\n")
        header = "".join(f" {name:>12}" for name in names)
        out.write(f"{'op':<8} {'shape':<6} {'codec':<10}{header}  ratio\n")
    fastavro_reads: dict[tuple[str, str], float | None] = {}
    with tempfile.TemporaryDirectory(prefix="turboavro-bench-") as tmp:
        for workload, schema, make in (
            ("flat", FLAT_SCHEMA, flat_records),
            ("mixed", MIXED_SCHEMA, mixed_records),
        ):
            data = make(n)
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

                writes: dict[str, float | None] = {"turboavro": _best(ours_write, rounds)}
                reads: dict[str, float | None] = {"turboavro": _best(ours_read, rounds)}
                for name, module in peers.items():
                    if codec in _PEER_CODECS[name]:
                        write, read = _peer_ops(name, module, schema, data, path, codec)
                        writes[name] = _best(write, rounds)
                        reads[name] = _best(read, rounds)
                emit("write", workload, codec, writes)
                emit("read", workload, codec, reads)
                fastavro_reads[workload, codec] = reads.get("fastavro")
                if columnar is not None and hasattr(columnar, "read_columns") and workload == "flat":

                    def cols(path: str = path) -> None:
                        columnar.read_columns(path)

                    # the ratio of columns is against fastavro reading rows
                    emit("columns", workload, codec, {"turboavro": _best(cols, rounds)},
                         base=fastavro_reads[workload, codec])
    if out is not None:
        out.write("\n" + LEGEND + "\n")
    return rows


def plot(rows: list[dict[str, Any]], fo: IO[bytes]) -> None:
    """Draw the rows of :func:`run` as a PNG bar chart into ``fo``: one group of bars per
    measurement (operation, shape, codec), one bar per library, in records per second on a
    logarithmic scale (the libraries differ by orders of magnitude), turboavro's ratio to
    fastavro written above its bar."""
    try:
        import matplotlib
    except ImportError:
        from .errors import AvroError

        raise AvroError(
            "--plot needs matplotlib: pip install 'turboavro[plot]'"
        ) from None
    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter

    libs = [k for k in rows[0] if k not in _ROW_KEYS] if rows else []
    labels = [f"{r['op']} {r['workload']}\n{r['codec']}" for r in rows]
    width = 0.8 / max(1, len(libs))
    fig, ax = plt.subplots(figsize=(max(8.0, 1.1 * len(rows) + 2), 5.0), layout="constrained")
    colors = {"turboavro": "#d62728", "fastavro": "#1f77b4", "cavro": "#2ca02c"}
    for i, lib in enumerate(libs):
        xs = [j + (i - (len(libs) - 1) / 2) * width for j in range(len(rows))]
        ys = [r[lib] or 0 for r in rows]
        bars = ax.bar(xs, ys, width, label=lib, color=colors.get(lib))
        if lib == "turboavro":
            ax.bar_label(bars, [f"{r['ratio']:.1f}x" if r["ratio"] else "" for r in rows],
                         fontsize=8, padding=2)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(_rate))
    # minor ticks: only 2x and 5x each power of ten are labelled
    ax.yaxis.set_minor_formatter(
        FuncFormatter(lambda v, _pos: _rate(v) if f"{v:e}"[0] in "25" else "")
    )
    ax.tick_params(axis="y", which="minor", labelsize=7)
    ax.set_xticks(range(len(rows)), labels, fontsize=8)
    ax.set_ylabel("records per second (log scale; higher is better)")
    n = rows[0]["records"] if rows else 0
    ax.set_title(f"turboavro bench: {n:,} records per workload\n"
                 "above the bars: turboavro's speed relative to fastavro", fontsize=10)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.savefig(fo, format="png", dpi=110)
    plt.close(fig)


def _rate(value: float, _pos: object = None) -> str:
    """A tick label: 20k, 1.5M."""
    if value >= 1e6:
        return f"{value / 1e6:g}M"
    if value >= 1e3:
        return f"{value / 1e3:g}k"
    return f"{value:g}"
