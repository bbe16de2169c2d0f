"""Thread safety of shared objects (issue 17): one Decoder, one Encoder, one Catalog used by
several threads at once, and concurrent read_columns calls, must give exactly the results of
a single thread -- never corrupt memory or values. The switch interval is made tiny so the
threads interleave inside the kernels' calls back into Python (decimals, UUIDs, defaults,
garbage collection)."""
from __future__ import annotations

import decimal
import io
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import turboavro as ta
from turboavro import Catalog, Decoder, Encoder, read_columns

THREADS = 6

SCHEMA = {
    "type": "record", "name": "T", "fields": [
        {"name": "id", "type": "long"},
        {"name": "tag", "type": "string"},  # short strings: the decoder's shared cache
        {"name": "name", "type": "string"},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12,
                                   "scale": 2}},
        {"name": "key", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": ["null", "int"]}},
    ]}


def _records(n: int, seed: int) -> list[dict[str, Any]]:
    return [{
        "id": seed * 1_000_000 + i,
        "tag": f"t{(i * 7 + seed) % 97}",
        "name": f"name-{seed}-{i}" * (1 + i % 3),
        "price": decimal.Decimal(i * 13 + seed).scaleb(-2),
        "key": uuid.UUID(int=seed << 64 | i),
        "tags": [f"k{j}" for j in range(i % 5)],
        "attrs": {f"a{j}": (None if j % 2 else j + seed) for j in range(i % 4)},
    } for i in range(n)]


@pytest.fixture(autouse=True)
def _interleave() -> Iterator[None]:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def _hammer(work: Callable[[int], Any], rounds: int = 3) -> list[Any]:
    """Run ``work(k)`` on THREADS threads, ``rounds`` times each, all released at once;
    return every result (any exception fails the test)."""
    barrier = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            barrier.wait()
            results[k] = [work(k) for _ in range(rounds)]
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def test_one_decoder_many_threads() -> None:
    dec = Decoder(SCHEMA)
    enc = Encoder(SCHEMA)
    data = {k: [enc.encode(r) for r in _records(300, k)] for k in range(THREADS)}
    block = {k: b"".join(data[k]) for k in range(THREADS)}

    def work(k: int) -> bool:
        assert [dec.decode(d) for d in data[k]] == _records(300, k)
        assert dec.decode_block(block[k], 300) == _records(300, k)
        return True

    assert all(all(r) for r in _hammer(work))


def test_one_encoder_many_threads() -> None:
    enc = Encoder(SCHEMA)
    expected = {k: [Encoder(SCHEMA).encode(r) for r in _records(300, k)] for k in range(THREADS)}

    def work(k: int) -> bool:
        recs = _records(300, k)
        assert [enc.encode(r) for r in recs] == expected[k]
        out = bytearray()
        assert enc.encode_many_into(recs, out) == 300
        assert bytes(out) == b"".join(expected[k])
        return True

    assert all(all(r) for r in _hammer(work))


def test_concurrent_read_columns(tmp_path: Path) -> None:
    paths = []
    for k in range(3):
        p = tmp_path / f"f{k}.avro"
        with ta.Writer(p, SCHEMA, codec=("deflate", "zstandard", "null")[k], sync_interval=4000) as w:
            w.write_many(_records(2000, k))
        paths.append(p)
    expected = [read_columns(p, threads=1) for p in paths]

    def same(a: Any, b: Any) -> bool:
        return all(a[c].tolist() == b[c].tolist() if hasattr(a[c], "tolist")
                   else list(a[c]) == list(b[c]) for c in ("id", "tag", "name"))

    def work(k: int) -> bool:
        i = k % 3
        got = read_columns(paths[i], threads=1 + k % 2)
        assert got.num_rows == 2000 and same(got, expected[i])
        with open(paths[i], "rb") as f:  # a file object: the whole-file path
            assert same(read_columns(io.BytesIO(f.read()), threads=2), expected[i])
        return True

    assert all(all(r) for r in _hammer(work, rounds=2))


def test_one_catalog_many_threads(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.db")
    base = {"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]}

    def work(k: int) -> list[int]:
        ids = []
        for v in range(4):
            fields = [{"name": "x", "type": "int"}] + [
                {"name": f"f{j}", "type": "int", "default": j} for j in range(v)]
            sid = cat.register(f"s{k}", {**base, "fields": fields})
            ids.append(sid)
            assert cat.schema_by_id(sid).fields[-1].name == fields[-1]["name"]
            # every thread also registers the shared schema: one id for all
            ids.append(cat.register("shared", base))
        return ids

    results = _hammer(work, rounds=1)
    shared = {ids[1] for r in results for ids in r}
    assert len(shared) == 1
    assert sorted(cat.subjects()) == sorted(["shared", *[f"s{k}" for k in range(THREADS)]])
    for k in range(THREADS):
        assert cat.versions(f"s{k}") == [1, 2, 3, 4]
    cat.close()
