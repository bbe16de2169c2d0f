"""The registry server and the Kafka serializers.

- ``start``: from ``turboavro registry serve`` starting to its first 200 answer.
- ``ids``: ``GET /schemas/ids/{id}`` under a bounded Python load generator on loopback
  (2 processes x 4 keep-alive connections, each sending its next request when the previous
  answer arrived) against 1 and 2 server workers; requests/s and p99 latency go to
  ``extra_info`` (the machine's 2 cores are shared by the generator and the server).
- ``serialize`` / ``deserialize``: turboavro.kafka vs confluent-kafka's AvroSerializer /
  AvroDeserializer, 1000 messages per round, on the flat and mixed shapes, both clients on
  the same running registry.

Run: PYTHONPATH=src python -m pytest benchmarks/bench_registry.py --benchmark-min-rounds=3 -q
"""
from __future__ import annotations

import http.client as httplib
import json
import multiprocessing
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from registry_server import SRC, Server, free_port, http  # noqa: E402
from turboavro import kafka  # noqa: E402
from turboavro.bench import FLAT_SCHEMA, MIXED_SCHEMA, flat_records, mixed_records  # noqa: E402
from turboavro.registry import Client  # noqa: E402

sr = pytest.importorskip("confluent_kafka.schema_registry")
ck_avro = pytest.importorskip("confluent_kafka.schema_registry.avro")
serialization = pytest.importorskip("confluent_kafka.serialization")

N = 1000
SHAPES = {"flat": (FLAT_SCHEMA, flat_records), "mixed": (MIXED_SCHEMA, mixed_records)}


def test_start_to_first_200(benchmark, tmp_path):
    import os

    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    procs: list[subprocess.Popen[bytes]] = []
    cpu: list[float] = []  # the server's own CPU seconds at its first 200 (less load-sensitive)

    def start() -> None:
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "turboavro", "registry", "serve", "--db",
                                 str(tmp_path / f"r{port}.db"), "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        while True:
            try:
                conn = httplib.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/subjects")
                if conn.getresponse().status == 200:
                    conn.close()
                    try:  # Linux: utime + stime of the server process, in clock ticks
                        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
                        cpu.append((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
                    except (OSError, ValueError, IndexError):
                        pass
                    return
            except OSError:
                time.sleep(0.005)

    def stop_previous() -> None:
        while procs:
            p = procs.pop()
            p.terminate()
            p.wait(10)

    try:
        benchmark.pedantic(start, setup=stop_previous, rounds=5, iterations=1)
    finally:
        stop_previous()
    if cpu:
        benchmark.extra_info["server_cpu_s_min"] = min(cpu)
        print(f"\nserver CPU time at its first 200: min {min(cpu):.2f} s, median {statistics.median(cpu):.2f} s")


def _load(args: tuple[str, int, int, float]) -> list[float]:
    import threading

    host_port, schema_id, connections, seconds = args
    host, port = host_port.rsplit(":", 1)
    latencies: list[float] = []
    lock = threading.Lock()

    def run() -> None:
        conn = httplib.HTTPConnection(host, int(port), timeout=10)
        mine = []
        deadline = time.perf_counter() + seconds
        path = f"/schemas/ids/{schema_id}"
        while True:
            t0 = time.perf_counter()
            if t0 > deadline:
                break
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            mine.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


@pytest.mark.parametrize("workers", [1, 2])
def test_get_schema_by_id_load(benchmark, tmp_path, workers):
    seconds = 3.0
    with Server(tmp_path / "load.db", "--workers", str(workers)) as server:
        status, body = http(server.url, "POST", "/subjects/load-value/versions", {"schema": json.dumps(MIXED_SCHEMA)})
        assert status == 200
        target = f"127.0.0.1:{server.port}"
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(2) as pool:
            _ = pool.map(_load, [(target, body["id"], 1, 0.3)] * 2)  # warm both workers' caches

            def one_run() -> list[float]:
                parts = pool.map(_load, [(target, body["id"], 4, seconds)] * 2)
                return [x for p in parts for x in p]

            latencies = benchmark.pedantic(one_run, rounds=1, iterations=1)
    latencies.sort()
    benchmark.extra_info["requests_per_s"] = round(len(latencies) / seconds)
    benchmark.extra_info["p50_ms"] = round(statistics.median(latencies) * 1000, 3)
    benchmark.extra_info["p99_ms"] = round(latencies[int(len(latencies) * 0.99)] * 1000, 3)
    print(f"\nworkers={workers}: {len(latencies) / seconds:.0f} req/s, p50 {benchmark.extra_info['p50_ms']} ms, "
          f"p99 {benchmark.extra_info['p99_ms']} ms")


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    with Server(tmp_path_factory.mktemp("bench") / "kafka.db") as s:
        yield s


def _pair(registry, shape):
    schema, make = SHAPES[shape]
    text = json.dumps(schema)
    records = make(N)
    ours = Client(registry.url)
    theirs = sr.SchemaRegistryClient({"url": registry.url})
    ctx = serialization.SerializationContext(f"bench-{shape}", serialization.MessageField.VALUE)
    return text, records, ours, theirs, ctx


@pytest.fixture()
def pair(registry, request):
    made = []

    def make(shape):
        made.append(_pair(registry, shape))
        return made[-1]

    yield make
    for _, _, ours, theirs, _ in made:
        ours.close()
        theirs.close()


@pytest.mark.parametrize("shape", ["flat", "mixed"])
@pytest.mark.parametrize("side", ["turboavro", "confluent-kafka"])
def test_serialize(benchmark, pair, shape, side):
    text, records, ours, theirs, ctx = pair(shape)
    benchmark.group = f"serialize {shape} x{N}"
    ser = kafka.AvroSerializer(ours, text) if side == "turboavro" else ck_avro.AvroSerializer(theirs, text)
    ser(records[0], ctx)  # registers: the benchmark measures the per-message path

    def run():
        return [ser(r, ctx) for r in records]

    out = benchmark(run)
    assert len(out) == N


@pytest.mark.parametrize("shape", ["flat", "mixed"])
@pytest.mark.parametrize("side", ["turboavro", "confluent-kafka"])
def test_deserialize(benchmark, pair, shape, side):
    text, records, ours, theirs, ctx = pair(shape)
    benchmark.group = f"deserialize {shape} x{N}"
    messages = [kafka.AvroSerializer(ours, text)(r, ctx) for r in records]
    de = kafka.AvroDeserializer(ours) if side == "turboavro" else ck_avro.AvroDeserializer(theirs)
    de(messages[0], ctx)  # fetches the writer schema once

    def run():
        return [de(m, ctx) for m in messages]

    out = benchmark(run)
    assert len(out) == N
