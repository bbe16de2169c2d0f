"""The Writer compresses full blocks on native threads (``compress_threads``, a
``_blocks.CodecPool``) while the next blocks are encoded: the file is byte for byte the one
inline compression writes, whatever the number of threads and however the compressions
finish; blocks are written strictly in order; the blocks in flight are bounded; flush/close
write every block; a compression failure surfaces as the codec's error with the blocks before
it on disk; no thread outlives the writer, after an error or an interrupt too; and a forked
child finishes the blocks its parent had in flight without the threads it does not have."""

from __future__ import annotations

import gc
import io
import os
import signal
import threading
import time
from typing import Any

import fastavro
import pytest

import turboavro.container as container
import turboavro.fastavro as facade
from turboavro.bench import MIXED_SCHEMA, mixed_records
from turboavro.codecs import _blocks, available_codecs, get_codec
from turboavro.container import Reader, Writer
from turboavro.errors import CodecError

RECORDS = mixed_records(3000)
SYNC = bytes(range(16))
CODECS = [c for c in ("null", "deflate", "snappy", "bzip2", "xz", "zstandard") if available_codecs().get(c)]
COMPRESSING = [c for c in CODECS if c != "null"]


@pytest.fixture
def small_blocks_overlap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every block goes to the workers, however small."""
    monkeypatch.setattr(container, "_OVERLAP_MIN_BLOCK", 1)


def _live_threads() -> int:
    """Native compression threads running in this process (pools left by other tests'
    unclosed writers are collected first)."""
    gc.collect()
    return _blocks.live_pool_threads()


@pytest.fixture(autouse=True)
def no_thread_left() -> Any:
    """Every test ends with no more compression threads than it started with."""
    before = _live_threads()
    yield
    assert _live_threads() <= before


def _wait_until(cond: Any, what: str) -> None:
    deadline = time.monotonic() + 30
    while not cond():
        assert time.monotonic() < deadline, what
        time.sleep(0.002)


def _write(
    codec: str, threads: int | None, interval: int = 20_000, flush_every: int = 0,
    raw_every: int = 0,
) -> bytes:
    out = io.BytesIO()
    with Writer(out, MIXED_SCHEMA, codec=codec, sync_interval=interval, sync_marker=SYNC,
                compress_threads=threads) as w:
        for i, rec in enumerate(RECORDS):
            w.write(rec)
            if flush_every and i % flush_every == flush_every - 1:
                w.flush()
            if raw_every and i % raw_every == raw_every - 1:
                # a block of already encoded records, through the same workers
                w.write_block(1, w._encoder.encode(rec))
    return out.getvalue()


def _expected_records(raw_every: int = 0) -> list[Any]:
    out = []
    for i, rec in enumerate(RECORDS):
        out.append(rec)
        if raw_every and i % raw_every == raw_every - 1:
            out.append(rec)
    return out


@pytest.mark.parametrize("codec", CODECS)
def test_threaded_file_equals_inline_file(codec: str, small_blocks_overlap: None) -> None:
    inline = _write(codec, 0)
    assert len(inline) > 0
    for threads in (1, 2, 4):
        assert _write(codec, threads) == inline, threads
    with Reader(io.BytesIO(inline)) as r:
        assert sum(1 for _ in r.iter_blocks_raw()) > 5
    assert list(fastavro.reader(io.BytesIO(inline))) == RECORDS


@pytest.mark.parametrize("codec", COMPRESSING)
def test_default_threads_and_sizes_give_the_inline_file(codec: str) -> None:
    """Default settings (blocks from 4 KiB to the workers, one thread per CPU), with flushes
    and write_block calls in between: still the inline file, records in order."""
    for interval in (3_000, 16_000, 64_000):
        inline = _write(codec, 0, interval, flush_every=700, raw_every=450)
        assert _write(codec, None, interval, flush_every=700, raw_every=450) == inline
        assert _write(codec, 3, interval, flush_every=700, raw_every=450) == inline
    assert list(fastavro.reader(io.BytesIO(inline))) == _expected_records(450)


def test_thread_count_argument() -> None:
    assert 1 <= container._default_threads() <= container._MAX_DEFAULT_THREADS
    if hasattr(os, "sched_getaffinity"):
        assert container._default_threads() == min(8, len(os.sched_getaffinity(0)))
    # by default one thread per CPU for the codecs that compress slowly, one for the others
    for codec in CODECS:
        with Writer(io.BytesIO(), MIXED_SCHEMA, codec=codec) as w:
            parallel = codec in ("deflate", "bzip2", "xz")
            assert w._codec.parallel_compression == parallel
            assert w._threads == (container._default_threads() if parallel else 1)
            w.write_many(RECORDS)
            assert (w._compressor is not None) == (codec != "null")
            if codec != "null":
                assert w._compressor.threads == w._threads
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="compress_threads"):
            Writer(io.BytesIO(), MIXED_SCHEMA, codec="deflate", compress_threads=bad)  # type: ignore[arg-type]
    with Writer(io.BytesIO(), MIXED_SCHEMA, codec="deflate", compress_threads=0) as w:
        w.write_many(RECORDS)
        assert w._compressor is None  # inline: no thread at all


@pytest.mark.parametrize(
    "threads, interval, depth",
    [(1, 64_000, 7), (3, 5_000, 15), (2, 3 << 20, 2), (4, 100 << 20, 4)],
)
def test_blocks_in_flight_are_bounded(threads: int, interval: int, depth: int) -> None:
    """A few blocks per thread may wait, but about 8 MiB of block data at most (never fewer
    than compress_threads + 1 blocks)."""
    w = Writer(io.BytesIO(), MIXED_SCHEMA, codec="deflate", sync_interval=interval,
               compress_threads=threads)
    assert w._depth == depth
    w.close()


def test_blocks_written_in_order_when_they_finish_out_of_order(small_blocks_overlap: None) -> None:
    """Block 0's compression is held until every later block the writer may have in flight
    has finished: the file still has block 0 first, nothing is written while block 0 is in
    flight, and the writer waits (bounded) rather than queueing more."""
    inline = _write("deflate", 0, interval=5_000)
    out = io.BytesIO()
    w = Writer(out, MIXED_SCHEMA, codec="deflate", sync_interval=5_000, sync_marker=SYNC,
               compress_threads=3)
    pool = w._compressor_pool()
    pool._hold(0)
    header = len(out.getvalue())
    done = threading.Event()

    def fill() -> None:
        w.write_many(RECORDS)  # ~70 blocks: the writer waits once depth + 1 are in flight
        done.set()

    t = threading.Thread(target=fill)
    t.start()
    _wait_until(lambda: len(w._compressing) == w._depth + 1, "the writer fills its queue")
    time.sleep(0.05)
    assert len(w._compressing) == w._depth + 1 == len(pool) and not done.is_set()
    assert len(out.getvalue()) == header and not pool.head_done()
    pool._hold(-1)
    t.join(30)
    assert done.is_set()
    w.close()
    assert out.getvalue() == inline


def test_flush_writes_every_block_compressed_so_far(small_blocks_overlap: None) -> None:
    out = io.BytesIO()
    w = Writer(out, MIXED_SCHEMA, codec="deflate", sync_interval=5_000, compress_threads=2)
    w._compressor_pool()._hold(1)
    w.write_many(RECORDS[:100])
    assert len(w._compressing) >= 1  # block 1 is in flight
    with Reader(io.BytesIO(out.getvalue())) as r:  # nothing from block 1 on is written yet
        assert sum(b.count for b in r.iter_blocks_raw()) < 60
    w._compressor._hold(-1)
    w.flush()
    assert not w._compressing
    with Reader(io.BytesIO(out.getvalue())) as r:
        assert list(r) == RECORDS[:100]
    w.write_many(RECORDS[100:])
    w.close()
    assert w._compressor is None
    with Reader(io.BytesIO(out.getvalue())) as r:
        assert list(r) == RECORDS
    # raw blocks keep their order behind the blocks in flight
    assert _write("deflate", 2, flush_every=700) == _write("deflate", 0, flush_every=700)


@pytest.mark.parametrize("threads", [1, 3])
def test_compression_failure_raises_and_keeps_earlier_blocks(
    threads: int, small_blocks_overlap: None
) -> None:
    out = io.BytesIO()
    w = Writer(out, MIXED_SCHEMA, codec="deflate", sync_interval=5_000, compress_threads=threads)
    w.write_many(RECORDS[:300])
    w.flush()
    good = len(out.getvalue())
    w._level = 99  # every later block fails to compress (on the native threads)
    with pytest.raises(CodecError, match="deflate: compression level 99 is out of range"):
        w.write_many(RECORDS[300:])
        w.flush()
    assert len(out.getvalue()) == good
    # blocks may still be in flight (or not: a level check fails at once); one record more
    # stays in the buffer, and close() must hand it over and raise its failure
    w.write(RECORDS[0])
    with pytest.raises(CodecError, match="level 99"):
        w.close()
    assert len(out.getvalue()) == good
    assert w._compressor is None  # the threads are gone after close, even on failure
    with Reader(io.BytesIO(out.getvalue()[:good])) as r:
        assert list(r) == RECORDS[:300]


def _encoded_blocks(codec: str) -> tuple[bytes, list[tuple[int, bytes, int]]]:
    """The inline file of RECORDS in 5,000-byte blocks, and its blocks as
    (record count, encoded data, end offset in the file)."""
    inline = _write(codec, 0, interval=5_000)
    blocks = []
    with Reader(io.BytesIO(inline)) as r:
        for b in r.iter_blocks_raw():
            data = r._codec.decompress(b.data, 1 << 30)
            blocks.append((b.count, data, b.data_offset + b.size + 16))
    return inline, blocks


def test_failure_of_one_block_among_threads() -> None:
    """Block 5 of many fails while the blocks after it compress fine on other threads (block
    0 held until then, so they are all in flight together): the error comes at the next
    write or flush, with blocks 0-4 in the file exactly as inline writes them; close() writes
    the blocks after the failed one and leaves no thread."""
    inline, blocks = _encoded_blocks("zstandard")
    assert len(blocks) > 12
    out = io.BytesIO()
    w = Writer(out, MIXED_SCHEMA, codec="zstandard", sync_interval=5_000, sync_marker=SYNC,
               compress_threads=3)
    w._compressor_pool()._hold(0)
    for count, data, _ in blocks[:10]:  # in flight: 10 <= depth + 1
        w._level = 99 if len(w._compressing) == 5 else None
        w.write_block(count, data)
    assert len(w._compressing) == 10 and len(out.getvalue()) < blocks[0][2]
    w._level = None
    w._compressor._hold(-1)
    rest = iter(blocks[10:])
    with pytest.raises(CodecError, match="zstandard: compression level 99 is out of range"):
        for count, data, _ in rest:  # the call that raises has handed its block over
            w.write_block(count, data)
        w.flush()
    assert out.getvalue() == inline[: blocks[4][2]]
    for count, data, _ in rest:
        w.write_block(count, data)
    w.close()  # the blocks after the failed one are written: no hang, no error left
    got = list(Reader(io.BytesIO(out.getvalue())))
    before = sum(count for count, _, _ in blocks[:5])
    assert got == RECORDS[:before] + RECORDS[before + blocks[5][0]:]


def test_worker_threads_end_with_the_writer() -> None:
    before = _live_threads()
    with Writer(io.BytesIO(), MIXED_SCHEMA, codec="deflate", sync_interval=20_000,
                compress_threads=4) as w:
        w.write_many(RECORDS)
        assert _live_threads() == before + 4
    assert _live_threads() == before
    # a writer dropped without close() stops its threads too
    w = Writer(io.BytesIO(), MIXED_SCHEMA, codec="deflate", sync_interval=20_000,
               compress_threads=2)
    w.write_many(RECORDS)
    assert _live_threads() == before + 2
    del w
    assert _live_threads() == before


def test_fastavro_sized_blocks_are_overlapped() -> None:
    """fastavro's default blocks (16000 bytes, what its facade writes) go to the workers."""
    out = io.BytesIO()
    with Writer(out, MIXED_SCHEMA, codec="deflate", sync_interval=16_000) as w:
        w.write_many(RECORDS)
        assert w._compressor is not None
    assert list(Reader(io.BytesIO(out.getvalue()))) == RECORDS


def _records_then_interrupt(n: int) -> Any:
    yield from RECORDS[:n]
    raise KeyboardInterrupt


def test_keyboard_interrupt_in_the_records(small_blocks_overlap: None) -> None:
    """An interrupt from the caller's records: ``with`` closes the writer, every record
    before it is in the file, no thread is left (plain Writer and the facade's writer)."""
    out = io.BytesIO()
    with pytest.raises(KeyboardInterrupt):
        with Writer(out, MIXED_SCHEMA, codec="deflate", sync_interval=5_000,
                    compress_threads=2) as w:
            for rec in _records_then_interrupt(1234):
                w.write(rec)
    assert list(Reader(io.BytesIO(out.getvalue()))) == RECORDS[:1234]
    with pytest.raises(KeyboardInterrupt):
        facade.writer(io.BytesIO(), facade.parse_schema(MIXED_SCHEMA),
                      _records_then_interrupt(2000), codec="deflate")


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs pthread_kill")
def test_keyboard_interrupt_while_waiting_for_a_block(small_blocks_overlap: None) -> None:
    """A real SIGINT while the writer waits for a block in flight: the block stays queued
    (close writes it), so the file holds every record written, none twice, none lost."""
    main = threading.main_thread()
    if threading.current_thread() is not main:
        pytest.skip("SIGINT is delivered to the main thread")
    out = io.BytesIO()
    w = Writer(out, MIXED_SCHEMA, codec="deflate", sync_interval=5_000, compress_threads=1)
    pool = w._compressor_pool()
    pool._hold(3)  # the only thread stops at block 3: the writer ends up waiting for it

    def interrupt() -> None:
        _wait_until(lambda: len(w._compressing) == w._depth + 1, "the writer waits")
        time.sleep(0.05)
        signal.pthread_kill(main.ident, signal.SIGINT)  # type: ignore[arg-type]

    t = threading.Thread(target=interrupt)
    t.start()
    written = 0
    try:
        with pytest.raises(KeyboardInterrupt):
            for i in range(100_000):
                written = i
                w.write(RECORDS[i % len(RECORDS)])
    finally:
        t.join(30)
    assert len(w._compressing) == len(pool) == w._depth + 1  # nothing dropped
    pool._hold(-1)
    w.close()
    got = list(Reader(io.BytesIO(out.getvalue())))
    # the interrupted write() either kept its record or not: nothing else is lost or doubled
    assert len(got) in (written, written + 1)
    assert got == [RECORDS[i % len(RECORDS)] for i in range(len(got))]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_finishes_the_blocks_in_flight(small_blocks_overlap: None) -> None:
    """A process forks while blocks are in flight (block 0 held, so none is written yet):
    the child, which has none of the threads, compresses them itself and writes the same
    file as inline compression; the parent's threads go on as before."""
    inline = _write("deflate", 0, interval=5_000)
    out = io.BytesIO()
    w = Writer(out, MIXED_SCHEMA, codec="deflate", sync_interval=5_000, sync_marker=SYNC,
               compress_threads=2)
    w._compressor_pool()._hold(0)
    w.write_many(RECORDS[:300])
    assert len(w._compressing) >= 3
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: finish the file, send it to the parent
        code = 1
        try:
            os.close(read_end)
            w.write_many(RECORDS[300:])
            w.close()
            data = out.getvalue()
            with os.fdopen(write_end, "wb") as f:
                f.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        from_child = f.read()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert from_child == inline
    w._compressor._hold(-1)
    w.write_many(RECORDS[300:])
    w.close()
    assert out.getvalue() == inline


def test_codec_pool_contract() -> None:
    """The pool itself: blocks come back in order, each the codec's own compression of its
    data; its capacity, an empty take, an unknown codec and a closed pool raise clearly."""
    deflate = _blocks.CODEC_IDS["deflate"]
    datas = [os.urandom(1000) + bytes(i * 997) for i in range(5)]
    pool = _blocks.CodecPool(2, 5)
    assert (pool.threads, pool.capacity, len(pool)) == (2, 5, 0)
    assert not pool.head_done()
    with pytest.raises(IndexError, match="no block is pending"):
        pool.take()
    for d in datas:
        pool.submit(deflate, d, 6)
    with pytest.raises(ValueError, match="already holds 5 blocks"):
        pool.submit(deflate, b"x", 6)
    with pytest.raises(CodecError, match="unknown codec id 77"):
        pool.submit(77, b"x", 6)
    assert len(pool) == 5
    for d in datas:
        assert pool.take() == _blocks.compress(deflate, d, 6)
    assert len(pool) == 0
    pool.submit(deflate, datas[0], 6)
    pool.close()
    pool.close()
    assert len(pool) == 0
    for call in (lambda: pool.submit(deflate, b"x", 6), pool.take):
        with pytest.raises(ValueError, match="closed"):
            call()
    for bad in ((0, 1), (1, 0)):
        with pytest.raises(ValueError, match="threads >= 1 and capacity >= 1"):
            _blocks.CodecPool(*bad)


@pytest.mark.parametrize("codec", COMPRESSING)
def test_codec_pool_decompresses_as_the_one_shot_call(codec: str) -> None:
    """Decompression on the pool (what Reader's decompress_threads use): the same bytes, and
    for a corrupt block or one over max_size the same error, as ``_blocks.decompress``."""
    cid = _blocks.CODEC_IDS[codec]
    plain = [bytes(range(256)) * (40 * i + 1) for i in range(4)]
    packed = [_blocks.compress(cid, d, get_codec(codec).check_level(None)) for d in plain]
    corrupt = bytes(len(packed[1]))  # zeros: no codec's stream
    pool = _blocks.CodecPool(2, 8)
    cases = [(p, 1 << 20) for p in packed] + [(corrupt, 1 << 20), (packed[3], 100)]
    for data, limit in cases:
        pool.submit_decompress(cid, bytearray(data), limit)
    for (data, limit), expect in zip(cases, plain + [None, None], strict=True):
        try:
            want: Any = _blocks.decompress(cid, data, limit)
        except CodecError as e:
            want = e
        if expect is not None:
            assert want == expect
        if isinstance(want, CodecError):
            with pytest.raises(CodecError) as got:
                pool.take()
            assert str(got.value) == str(want)
        else:
            assert pool.take() == want
    pool.close()
