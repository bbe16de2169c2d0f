"""``turboavro.fastavro`` (fastavro's API on turboavro) next to fastavro itself, in one run:
``reader``/``writer`` over container files in every codec, ``schemaless_reader``/
``schemaless_writer`` one message at a time, ``validate``, and two libraries written against
fastavro run through :func:`install_as_fastavro`: ``dask.bag.read_avro`` and confluent-kafka's
``AvroSerializer``/``AvroDeserializer``.

    PYTHONPATH=src python -m pytest benchmarks/bench_fastavro_facade.py -q \\
        --benchmark-group-by=group --benchmark-min-rounds=3

``TURBOAVRO_BENCH_RECORDS`` sets the record count of file benchmarks (default 100,000);
per-message benchmarks handle 10,000 messages a round.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import turboavro.fastavro as facade
from turboavro.bench import FLAT_SCHEMA, MIXED_SCHEMA, flat_records, mixed_records

fastavro = pytest.importorskip("fastavro")

N = int(os.environ.get("TURBOAVRO_BENCH_RECORDS", "100000"))
MESSAGES = 10_000
CODECS = ["null", "deflate", "snappy", "bzip2", "xz", "zstandard", "lz4"]
WORKLOADS = {"flat": (FLAT_SCHEMA, flat_records), "mixed": (MIXED_SCHEMA, mixed_records)}
IMPLS = {"facade": facade, "fastavro": fastavro}
_records: dict[str, list[Any]] = {}
_files: dict[tuple[str, str], bytes] = {}


def records(workload: str, n: int = N) -> list[Any]:
    if workload not in _records:
        _records[workload] = WORKLOADS[workload][1](N)
    return _records[workload][:n]


def container(workload: str, codec: str) -> bytes:
    """A file written by fastavro itself: both read the same bytes."""
    key = (workload, codec)
    if key not in _files:
        buf = io.BytesIO()
        fastavro.writer(buf, fastavro.parse_schema(WORKLOADS[workload][0]), records(workload),
                        codec=codec)
        _files[key] = buf.getvalue()
    return _files[key]


def _cases() -> Iterator[Any]:
    for workload in WORKLOADS:
        for codec in CODECS:
            for impl in IMPLS:
                yield pytest.param(workload, codec, impl, id=f"{workload}-{codec}-{impl}")


@pytest.mark.parametrize("workload, codec, impl", list(_cases()))
def test_reader(benchmark: Any, workload: str, codec: str, impl: str) -> None:
    data = container(workload, codec)
    mod = IMPLS[impl]
    benchmark.group = f"reader {workload} {codec}"
    out = benchmark(lambda: list(mod.reader(io.BytesIO(data))))
    assert len(out) == N


@pytest.mark.parametrize("workload, codec, impl", list(_cases()))
def test_writer(benchmark: Any, workload: str, codec: str, impl: str) -> None:
    mod = IMPLS[impl]
    schema = mod.parse_schema(WORKLOADS[workload][0])
    recs = records(workload)
    benchmark.group = f"writer {workload} {codec}"

    def run() -> int:
        buf = io.BytesIO()
        mod.writer(buf, schema, recs, codec=codec)
        return buf.tell()

    assert benchmark(run) > 0


def _impl_cases() -> Iterator[Any]:
    for workload in WORKLOADS:
        for impl in IMPLS:
            yield pytest.param(workload, impl, id=f"{workload}-{impl}")


@pytest.mark.parametrize("workload, impl", list(_impl_cases()))
def test_schemaless_writer(benchmark: Any, workload: str, impl: str) -> None:
    mod = IMPLS[impl]
    schema = mod.parse_schema(WORKLOADS[workload][0])
    recs = records(workload, MESSAGES)
    write = mod.schemaless_writer
    benchmark.group = f"schemaless_writer {workload} ({MESSAGES} messages)"

    def run() -> int:
        total = 0
        for r in recs:
            fo = io.BytesIO()
            write(fo, schema, r)
            total += fo.tell()
        return total

    assert benchmark(run) > 0


@pytest.mark.parametrize("workload, impl", list(_impl_cases()))
def test_schemaless_reader(benchmark: Any, workload: str, impl: str) -> None:
    mod = IMPLS[impl]
    schema = mod.parse_schema(WORKLOADS[workload][0])
    messages = []
    for r in records(workload, MESSAGES):
        fo = io.BytesIO()
        fastavro.schemaless_writer(fo, fastavro.parse_schema(WORKLOADS[workload][0]), r)
        messages.append(fo.getvalue())
    read = mod.schemaless_reader
    benchmark.group = f"schemaless_reader {workload} ({MESSAGES} messages)"
    out = benchmark(lambda: [read(io.BytesIO(m), schema) for m in messages])
    assert len(out) == MESSAGES


@pytest.mark.parametrize("workload, impl", list(_impl_cases()))
def test_validate(benchmark: Any, workload: str, impl: str) -> None:
    mod = IMPLS[impl]
    schema = mod.parse_schema(WORKLOADS[workload][0])
    recs = records(workload, MESSAGES)
    validate = mod.validate
    benchmark.group = f"validate {workload} ({MESSAGES} records)"
    assert benchmark(lambda: all(validate(r, schema) for r in recs))


# -- libraries written against fastavro, run on the facade through install_as_fastavro --------


@contextlib.contextmanager
def fastavro_is(impl: str, reload: tuple[str, ...] = ()) -> Iterator[None]:
    """Within the block, ``import fastavro`` gives ``impl``; the modules in ``reload`` (which
    bind fastavro's names when imported) are imported afresh and restored afterwards."""
    saved = {k: v for k, v in sys.modules.items() if k == "fastavro" or k.startswith("fastavro.")}
    kept = {k: sys.modules.pop(k) for k in list(sys.modules) if k.startswith(reload)} if reload else {}
    try:
        if impl == "facade":
            facade.install_as_fastavro()
        for name in reload:
            importlib.import_module(name)
        yield
    finally:
        for k in [k for k in sys.modules if k == "fastavro" or k.startswith("fastavro.")]:
            del sys.modules[k]
        sys.modules.update(saved)
        for k in [k for k in sys.modules if reload and k.startswith(reload)]:
            del sys.modules[k]
        sys.modules.update(kept)


@pytest.mark.parametrize("impl", list(IMPLS))
def test_dask_bag_read_avro(benchmark: Any, impl: str, tmp_path_factory: Any) -> None:
    db = pytest.importorskip("dask.bag")
    folder = tmp_path_factory.getbasetemp() / "dask_avro"
    if not folder.exists():
        folder.mkdir()
        for i in range(4):
            (folder / f"part{i}.avro").write_bytes(container("mixed", "deflate"))
    benchmark.group = "dask.bag.read_avro (4 files, mixed, deflate)"
    with fastavro_is(impl):
        out = benchmark(lambda: db.read_avro(str(folder / "*.avro")).count().compute(scheduler="sync"))
    assert out == 4 * N


@pytest.mark.parametrize("impl", list(IMPLS))
def test_confluent_avro_serde(benchmark: Any, impl: str) -> None:
    """AvroSerializer + AvroDeserializer round trips through a ``mock://`` registry."""
    pytest.importorskip("confluent_kafka.schema_registry")
    import json

    mods = ("confluent_kafka.schema_registry",)
    with fastavro_is(impl, reload=mods):
        from confluent_kafka.schema_registry import SchemaRegistryClient
        from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
        from confluent_kafka.serialization import MessageField, SerializationContext

        client = SchemaRegistryClient.new_client({"url": "mock://bench"})
        schema = json.dumps(MIXED_SCHEMA)
        ser = AvroSerializer(client, schema)
        de = AvroDeserializer(client, schema)
        ctx = SerializationContext("bench", MessageField.VALUE)
        recs = records("mixed", 2000)
        benchmark.group = "confluent-kafka AvroSerializer+AvroDeserializer (2000 mixed)"
        out = benchmark(lambda: [de(ser(r, ctx), ctx) for r in recs])
    assert len(out) == len(recs)
