"""Block codec decompression speed: turboavro's native codecs against the Python packages
other Avro libraries use (fastavro: zlib.decompress(wbits=-15), cramjam, zstandard, bz2, lzma).

Data: ~8 MiB of binary Avro records (an order schema, encoded with fastavro), compressed as
container blocks of 64 KiB (Java and Python's default sync interval) and as one 8 MiB block.

    PYTHONPATH=src python -m pytest benchmarks/bench_codecs.py --benchmark-min-rounds=3 -q
    PYTHONPATH=src python benchmarks/bench_codecs.py        # a MB/s table (CPU time)

On a loaded machine add ``--benchmark-timer=time.thread_time`` to the pytest run.
"""
from __future__ import annotations

import binascii
import bz2
import io
import lzma
import random
import time
import zlib
from collections.abc import Callable

import pytest

from turboavro.codecs import BlockBuffer, get_codec

try:
    import cramjam
except ImportError:  # pragma: no cover
    cramjam = None
try:
    import zstandard
except ImportError:  # pragma: no cover
    zstandard = None

MiB = 1 << 20
BLOCK = 64 * 1024


def avro_data(size: int = 8 * MiB, seed: int = 3) -> bytes:
    import fastavro

    schema = fastavro.parse_schema({
        "type": "record", "name": "Order", "fields": [
            {"name": "id", "type": "long"},
            {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "customer", "type": "string"},
            {"name": "country", "type": {"type": "enum", "name": "C",
                                         "symbols": ["DE", "FR", "US", "JP", "BR"]}},
            {"name": "price", "type": "double"},
            {"name": "quantity", "type": "int"},
            {"name": "note", "type": ["null", "string"]},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
        ]})
    rnd = random.Random(seed)
    customers = [f"customer-{rnd.getrandbits(40):010x}" for _ in range(2000)]
    buf = io.BytesIO()
    i = 0
    while buf.tell() < size:
        fastavro.schemaless_writer(buf, schema, {
            "id": 10_000_000 + i,
            "ts": 1_700_000_000_000 + i * 37 + rnd.randint(0, 30),
            "customer": rnd.choice(customers),
            "country": rnd.choice(["DE", "FR", "US", "JP", "BR"]),
            "price": round(rnd.lognormvariate(3, 1), 2),
            "quantity": rnd.randint(1, 12),
            "note": None if rnd.random() < 0.8 else rnd.choice(
                ["gift", "leave at the door", "call before delivery"]),
            "tags": rnd.sample(["new", "vip", "express", "promo", "return"], rnd.randint(0, 2)),
        })
        i += 1
    return buf.getvalue()[:size]


DATA = avro_data()
CHUNKS = [DATA[i:i + BLOCK] for i in range(0, len(DATA), BLOCK)]


def _blocks(name: str, level: int | None = None) -> list[bytes]:
    codec = get_codec(name)
    return [codec.compress(c, level) for c in CHUNKS]


def _ours(name: str) -> Callable[[list[bytes]], int]:
    codec = get_codec(name)
    buf = BlockBuffer()

    def run(blocks: list[bytes]) -> int:
        total = 0
        for b in blocks:
            total += len(codec.decompress_into(b, BLOCK, buf))
        return total

    return run


def _ref(name: str) -> Callable[[list[bytes]], int] | None:
    """What fastavro does for each codec."""
    if name == "deflate":
        return lambda blocks: sum(len(zlib.decompress(b, -15)) for b in blocks)
    if name == "snappy" and cramjam is not None:
        def snappy(blocks: list[bytes]) -> int:
            total = 0
            for b in blocks:
                out = cramjam.snappy.decompress_raw(b[:-4])
                if binascii.crc32(out).to_bytes(4, "big") != b[-4:]:  # fastavro checks too
                    raise ValueError("crc")
                total += len(out)
            return total
        return snappy
    if name == "zstandard" and zstandard is not None:
        d = zstandard.ZstdDecompressor()
        return lambda blocks: sum(len(d.decompress(b)) for b in blocks)
    if name == "bzip2":
        return lambda blocks: sum(len(bz2.decompress(b)) for b in blocks)
    if name == "xz":
        return lambda blocks: sum(len(lzma.decompress(b)) for b in blocks)
    return None


NAMES = ["deflate", "snappy", "zstandard", "bzip2", "xz"]
_CACHE: dict[str, list[bytes]] = {}


def blocks_for(name: str) -> list[bytes]:
    if name not in _CACHE:
        # bzip2/xz are slow to compress: a quarter of the data is enough to time them
        _CACHE[name] = _blocks(name)[: len(CHUNKS) // 4] if name in ("bzip2", "xz") \
            else _blocks(name)
    return _CACHE[name]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("impl", ["turboavro", "reference"])
def test_decompress_64k_blocks(benchmark: object, name: str, impl: str) -> None:
    blocks = blocks_for(name)
    fn = _ours(name) if impl == "turboavro" else _ref(name)
    if fn is None:
        pytest.skip(f"no reference package for {name}")
    out_size = fn(blocks)
    result = benchmark(fn, blocks)  # type: ignore[operator]
    assert result == out_size
    stats = benchmark.stats.stats  # type: ignore[attr-defined]
    benchmark.extra_info["MB/s"] = round(out_size / stats.mean / 1e6)  # type: ignore[attr-defined]


@pytest.mark.parametrize("impl", ["turboavro-libdeflate", "turboavro-zlib", "zlib"])
def test_decompress_deflate_one_8mib_block(benchmark: object, impl: str) -> None:
    from turboavro.codecs import _native_zlib_deflate

    block = get_codec("deflate").compress(DATA)
    if impl == "zlib":
        def fn() -> int:
            return len(zlib.decompress(block, -15))
    else:
        codec = get_codec("deflate") if impl == "turboavro-libdeflate" else _native_zlib_deflate()
        if codec is None or (impl == "turboavro-libdeflate"
                             and "libdeflate" not in codec.implementation):
            pytest.skip(f"{impl} not in this build")
        buf = BlockBuffer()

        def fn() -> int:
            return len(codec.decompress_into(block, len(DATA), buf))
    assert benchmark(fn) == len(DATA)  # type: ignore[operator]
    stats = benchmark.stats.stats  # type: ignore[attr-defined]
    benchmark.extra_info["MB/s"] = round(len(DATA) / stats.mean / 1e6)  # type: ignore[attr-defined]


def _best(fn: Callable[[], object], repeat: int = 7) -> float:
    # CPU time of this thread (the codecs run in it, GIL released or not): stable on a
    # shared machine where wall time swings with the load
    best = float("inf")
    for _ in range(repeat):
        t = time.thread_time()
        fn()
        best = min(best, time.thread_time() - t)
    return best


def main() -> None:
    print(f"{len(DATA) / MiB:.0f} MiB of Avro records in {BLOCK // 1024} KiB blocks; "
          f"MB/s of decompressed output (best of 7, thread CPU time)")
    print(f"{'codec':10} {'ratio':>6} {'turboavro':>10} {'reference':>10} {'speed-up':>9}  "
          f"implementation")
    for name in NAMES:
        blocks = blocks_for(name)
        size = sum(len(b) for b in blocks)
        out = _ours(name)(blocks)
        ours = out / _best(lambda b=blocks, n=name: _ours(n)(b)) / 1e6
        ref_fn = _ref(name)
        ref = out / _best(lambda b=blocks, f=ref_fn: f(b)) / 1e6 if ref_fn else float("nan")
        print(f"{name:10} {out / size:6.2f} {ours:10.0f} {ref:10.0f} {ours / ref:8.2f}x  "
              f"{get_codec(name).implementation}")
    from turboavro.codecs import _native_zlib_deflate

    block = get_codec("deflate").compress(DATA)
    zl = _native_zlib_deflate()
    buf = BlockBuffer()
    rows = [("turboavro " + get_codec("deflate").implementation,
             lambda: get_codec("deflate").decompress_into(block, len(DATA), buf))]
    if zl is not None:
        rows.append(("turboavro zlib path", lambda: zl.decompress_into(block, len(DATA), buf)))
    rows.append(("zlib.decompress(wbits=-15)", lambda: zlib.decompress(block, -15)))
    print(f"\ndeflate, one {len(DATA) / MiB:.0f} MiB block:")
    for label, fn in rows:
        print(f"  {label:28} {len(DATA) / _best(fn) / 1e6:6.0f} MB/s")


if __name__ == "__main__":
    main()
