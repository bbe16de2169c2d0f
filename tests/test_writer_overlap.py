"""The Writer compresses full blocks on worker threads (``compress_threads``) while the next
blocks are encoded: the file is byte for byte the one inline compression writes, whatever the
number of threads and however the compressions finish; blocks are written strictly in order;
at most ``compress_threads + 1`` are in flight; flush/close write every block; a compression
failure surfaces as the codec's error with the blocks before it on disk; and no thread
outlives the writer, after an error or an interrupt too."""

from __future__ import annotations

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
from turboavro.codecs import available_codecs
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


def _compress_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("turboavro-compress")]


class _Held:
    """A writer's real codec whose compress calls wait for ``gate`` (and note their order), to
    hold blocks in flight or finish them out of order. ``hold(i)``: the event block ``i``'s
    compression waits for (None: none)."""

    def __init__(self, codec: Any, hold: Any = None) -> None:
        self._codec = codec
        self._hold = hold or (lambda i: None)
        self._lock = threading.Lock()
        self.calls = 0
        self.started = threading.Semaphore(0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._codec, name)

    def compress(self, data: Any, level: int | None = None) -> bytes:
        with self._lock:
            i = self.calls
            self.calls += 1
        self.started.release()
        gate = self._hold(i)
        if gate is not None:
            assert gate.wait(30)
        return self._codec.compress(data, level)


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
    # by default several threads for the codecs that compress slowly, none for snappy (it
    # compresses a block faster than the hand-over), one for the others
    for codec in CODECS:
        with Writer(io.BytesIO(), MIXED_SCHEMA, codec=codec) as w:
            parallel = codec in ("bzip2", "xz")
            assert w._codec.parallel_blocks == parallel
            assert w._codec.overlap_compression == (codec != "snappy")
            expected = container._default_threads() if parallel else int(codec != "snappy")
            assert w._threads == expected
            w.write_many(RECORDS)
            assert (w._compressor is not None) == (codec not in ("null", "snappy"))
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="compress_threads"):
            Writer(io.BytesIO(), MIXED_SCHEMA, codec="deflate", compress_threads=bad)  # type: ignore[arg-type]
    with Writer(io.BytesIO(), MIXED_SCHEMA, codec="deflate", compress_threads=0) as w:
        w.write_many(RECORDS)
        assert w._compressor is None  # inline: no thread at all
    assert _compress_threads() == []


def test_blocks_written_in_order_when_they_finish_out_of_order(small_blocks_overlap: None) -> None:
    """Block 0's compression finishes only after blocks 1 and 2 have: the file still has
    block 0 first; nothing is written while block 0 is in flight."""
    inline = _write("deflate", 0, interval=5_000)
    release = threading.Event()
    out = io.BytesIO()
    w = Writer(out, MIXED_SCHEMA, codec="deflate", sync_interval=5_000, sync_marker=SYNC,
               compress_threads=3)
    held = _Held(w._codec, lambda i: release if i == 0 else None)
    w._codec = held
    header = len(out.getvalue())
    done = threading.Event()

    def fill() -> None:
        w.write_many(RECORDS[:400])  # ~9 blocks: the fourth in flight waits for block 0
        done.set()

    t = threading.Thread(target=fill)
    t.start()
    for _ in range(4):
        assert held.started.acquire(timeout=30)
    deadline = time.monotonic() + 30
    while len(w._compressing) < 4 and time.monotonic() < deadline:
        time.sleep(0.005)
    # threads + 1 blocks in flight, the writer waits for block 0: nothing written yet
    assert len(w._compressing) == 4 and not done.is_set()
    time.sleep(0.05)
    assert len(w._compressing) == 4 and len(out.getvalue()) == header
    release.set()
    t.join(30)
    assert done.is_set()
    w.write_many(RECORDS[400:])
    w.close()
    assert out.getvalue() == inline
    assert _compress_threads() == []


def test_flush_writes_every_block_compressed_so_far(small_blocks_overlap: None) -> None:
    out = io.BytesIO()
    release = threading.Event()
    w = Writer(out, MIXED_SCHEMA, codec="deflate", sync_interval=5_000, compress_threads=2)
    w._codec = _Held(w._codec, lambda i: release if i == 1 else None)
    # block 1 is held: the writer would wait once 3 blocks are in flight, so write ~2
    w.write_many(RECORDS[:100])
    assert len(w._compressing) >= 1  # block 1 is in flight
    release.set()
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
    w._level = 99  # every later block fails to compress
    with pytest.raises(CodecError, match="level"):
        w.write_many(RECORDS[300:])
        w.flush()
    assert len(out.getvalue()) == good
    with pytest.raises(CodecError):
        w.close()
    assert w._compressor is None  # the worker is gone after close, even on failure
    assert _compress_threads() == []
    with Reader(io.BytesIO(out.getvalue()[:good])) as r:
        assert list(r) == RECORDS[:300]


def test_failure_of_one_block_among_threads(small_blocks_overlap: None) -> None:
    """Block 5 of many fails while the blocks after it compress fine on other threads: the
    error comes at the next write or flush, with blocks 0-4 in the file exactly as inline
    writes them; close() does not hang and leaves no thread."""
    inline = _write("zstandard", 0, interval=5_000)
    with Reader(io.BytesIO(inline)) as r:
        layout = [(b.data_offset + b.size + 16, b.count) for b in r.iter_blocks_raw()]
    ends = [end for end, _ in layout]
    before = sum(count for _, count in layout[:5])
    lost = layout[5][1]
    out = io.BytesIO()
    w = Writer(out, MIXED_SCHEMA, codec="zstandard", sync_interval=5_000, sync_marker=SYNC,
               compress_threads=3)

    class Failing(_Held):
        def compress(self, data: Any, level: int | None = None) -> bytes:
            with self._lock:
                i = self.calls
                self.calls += 1
            if i == 5:
                raise CodecError("zstandard: block 5 failed")
            return self._codec.compress(data, level)

    w._codec = Failing(w._codec)
    written = 0
    with pytest.raises(CodecError, match="block 5 failed"):
        for written, rec in enumerate(RECORDS):  # noqa: B007 - the failing write's index
            w.write(rec)
        w.flush()
    assert out.getvalue() == inline[: ends[4]]
    w.close()  # the blocks after the failed one are written: no hang, no error left
    assert _compress_threads() == []
    got = list(Reader(io.BytesIO(out.getvalue())))
    # blocks 0-4, then every record after block 5's up to the failing write (its record was
    # encoded into the block whose hand-over raised)
    assert got == RECORDS[:before] + RECORDS[before + lost : written + 1]


def test_worker_threads_end_with_the_writer() -> None:
    before = {t.ident for t in threading.enumerate()}
    with Writer(io.BytesIO(), MIXED_SCHEMA, codec="deflate", sync_interval=20_000,
                compress_threads=4) as w:
        w.write_many(RECORDS)
        assert len(_compress_threads()) >= 1
    after = [
        t for t in threading.enumerate() if t.ident not in before and t.name.startswith("turboavro")
    ]
    assert after == []


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
    assert _compress_threads() == []
    assert list(Reader(io.BytesIO(out.getvalue()))) == RECORDS[:1234]
    with pytest.raises(KeyboardInterrupt):
        facade.writer(io.BytesIO(), facade.parse_schema(MIXED_SCHEMA),
                      _records_then_interrupt(2000), codec="deflate")
    assert _compress_threads() == []


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs pthread_kill")
def test_keyboard_interrupt_while_waiting_for_a_block(small_blocks_overlap: None) -> None:
    """A real SIGINT while the writer waits for a block in flight: the block stays queued
    (close writes it), so the file holds every record written, none twice, none lost."""
    main = threading.main_thread()
    if threading.current_thread() is not main:
        pytest.skip("SIGINT is delivered to the main thread")
    out = io.BytesIO()
    w = Writer(out, MIXED_SCHEMA, codec="deflate", sync_interval=5_000, compress_threads=1)
    real = w._codec

    class Slow(_Held):
        def compress(self, data: Any, level: int | None = None) -> bytes:
            with self._lock:
                i = self.calls
                self.calls += 1
            if i == 3:  # the writer now waits for this block: interrupt it
                signal.pthread_kill(main.ident, signal.SIGINT)  # type: ignore[arg-type]
            time.sleep(0.02)
            return self._codec.compress(data, level)

    w._codec = Slow(real)
    written = 0
    with pytest.raises(KeyboardInterrupt):
        for i in range(100_000):
            written = i
            w.write(RECORDS[i % len(RECORDS)])
    w.close()
    assert _compress_threads() == []
    got = list(Reader(io.BytesIO(out.getvalue())))
    # the interrupted write() either kept its record or not: nothing else is lost or doubled
    assert len(got) in (written, written + 1)
    assert got == [RECORDS[i % len(RECORDS)] for i in range(len(got))]
