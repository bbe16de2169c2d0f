"""The Reader decompresses blocks on worker threads ahead of the decoder
(``decompress_threads``; by default for deflate, zstandard, bzip2 and xz): records, errors (type, message,
offset) and ``skipped`` entries are exactly those of inline decompression, at the same block,
for intact, corrupt and truncated files, in raise and skip mode, through iteration,
``read_all``, ``blocks()`` and the fastavro facade's ``reader``; the window ahead is bounded;
and no worker thread outlives the iteration, the reader's close, a ``break`` or an
interrupt. The native codecs decompress on the native ``_blocks.CodecPool``; the ``Noting``
wrapper below is a Python codec, so the tests that hold or watch individual blocks run the
thread pool that Python codecs get (``codecs._PythonCodecPool``), under the same reader."""

from __future__ import annotations

import gc
import io
import random
import signal
import threading
import time
from typing import Any

import fastavro
import pytest

import turboavro.container as container
import turboavro.fastavro as facade
from strategies import damaged_copies
from turboavro import codecs
from turboavro.codecs import _blocks, available_codecs, get_codec
from turboavro.container import Reader, Writer
from turboavro.errors import AvroError, CodecError, CorruptFileError

# the codecs decompressed ahead by default in this build (deflate and zstandard only natively)
_ALL = [c for c in ("bzip2", "xz", "deflate", "zstandard", "null", "snappy")
        if available_codecs().get(c)]
AHEAD = [c for c in _ALL if get_codec(c).parallel_blocks]
OTHERS = [c for c in _ALL if c not in AHEAD]

SCHEMA = {
    "type": "record",
    "name": "Rec",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "name", "type": "string"},
        {"name": "xs", "type": {"type": "array", "items": "int"}},
    ],
}


def records(n: int, seed: int = 3) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    return [
        {"id": i * 31 - 5000, "name": f"r{i}-" + "y" * rnd.randrange(30),
         "xs": [rnd.randrange(-99, 99) for _ in range(rnd.randrange(5))]}
        for i in range(n)
    ]


RECS = records(1500)


def write(codec: str, recs: list[Any] = RECS, interval: int = 2000) -> bytes:
    out = io.BytesIO()
    with Writer(out, SCHEMA, codec=codec, sync_interval=interval, sync_marker=b"S" * 16) as w:
        w.write_many(recs)
    return out.getvalue()


def layout(data: bytes) -> list[Any]:
    with Reader(io.BytesIO(data), decompress_threads=0) as r:
        return list(r.iter_blocks_raw())


def worker_threads() -> list[str]:
    """The codec threads running: the thread pool's by name, the native pool's counted."""
    gc.collect()
    names = [t.name for t in threading.enumerate() if t.name.startswith("turboavro-codec")]
    return names + ["native"] * _blocks.live_pool_threads()


def wait_no_threads() -> None:
    for _ in range(200):  # the pool's threads end just after shutdown returns
        if not worker_threads():
            return
        time.sleep(0.01)
    assert worker_threads() == []


def outcome(data: bytes, threads: int, how: str = "iter", skip: bool = False) -> Any:
    """What reading gives: (delivered items, error as (type, message, offset) or None,
    skipped). ``blocks`` items note how many skips were listed when each block came."""
    r = Reader(io.BytesIO(data), decompress_threads=threads,
               on_corruption="skip" if skip else "raise")
    got: list[Any] = []
    err = None
    try:
        if how == "iter":
            for rec in r:
                got.append(rec)
        elif how == "read_all":
            got = r.read_all()
        else:
            for b in r.blocks():
                got.append((b.count, b.offset, b.size, b.data_offset, bytes(b.data),
                            len(r.skipped)))
    except AvroError as e:
        err = (type(e), str(e), e.offset)
        if how == "read_all":
            got = e.partial  # type: ignore[attr-defined]
    finally:
        r.close()
    return got, err, list(r.skipped)


def spoil(data: bytes, block: Any) -> bytes:
    """``data`` with ``block``'s compressed bytes all 0xFF: no codec decompresses that (an
    invalid deflate block type; no bzip2 or xz magic)."""
    at = block.data_offset
    return data[:at] + b"\xff" * block.size + data[at + block.size :]


# -- the defaults ---------------------------------------------------------------------------------


def test_codec_rule_and_default_threads() -> None:
    for name in AHEAD:
        assert get_codec(name).parallel_blocks
        if name in ("bzip2", "xz"):  # the stdlib fallback too
            assert get_codec(name, native=False).parallel_blocks
        elif name == "deflate":  # Python's zlib: its thread pool hands over through the GIL
            assert not get_codec(name, native=False).parallel_blocks
        with Reader(io.BytesIO(write(name, RECS[:10]))) as r:
            assert r._decompress_threads == container._default_threads() >= 1
    for name in OTHERS:
        assert not get_codec(name).parallel_blocks
        with Reader(io.BytesIO(write(name, RECS[:10]))) as r:
            assert r._decompress_threads == 0
    for bad in (-1, 2.0, False, "1"):
        with pytest.raises(ValueError, match="decompress_threads"):
            Reader(io.BytesIO(write("null", RECS[:10])), decompress_threads=bad)  # type: ignore[arg-type]


class Noting:
    """The reader's real codec, noting which thread decompresses which block (by size and
    data) and holding ``hold``'s blocks until their event is set."""

    def __init__(self, codec: Any, hold: Any = None, on_call: Any = None) -> None:
        self._codec = codec
        self._hold = hold or {}
        self._on_call = on_call
        self._lock = threading.Lock()
        self.threads: list[str] = []
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._codec, name)

    # a Python codec: its blocks go to the thread pool, which calls decompress below
    def codec_pool(self, threads: int, capacity: int) -> Any:
        return codecs._PythonCodecPool(threads, capacity)

    def submit_decompress(self, pool: Any, data: Any, max_size: int) -> None:
        pool.submit_call(self.decompress, data, max_size)

    def decompress(self, data: Any, max_size: int) -> bytes:
        with self._lock:
            i = self.calls
            self.calls += 1
            self.threads.append(threading.current_thread().name)
        if self._on_call is not None:
            self._on_call(i)
        if i in self._hold:
            assert self._hold[i].wait(30)
        return self._codec.decompress(data, max_size)


@pytest.mark.parametrize("codec", AHEAD + OTHERS)
@pytest.mark.parametrize("how", ["iter", "read_all", "blocks"])
def test_same_results_for_every_thread_count(codec: str, how: str) -> None:
    data = write(codec)
    assert len(layout(data)) > 10
    inline = outcome(data, 0, how)
    assert inline[1] is None and inline[2] == []
    if how != "blocks":
        assert inline[0] == RECS
    for threads in (1, 2, 5):
        assert outcome(data, threads, how) == inline
    wait_no_threads()


@pytest.mark.parametrize("codec", AHEAD)
def test_blocks_are_decompressed_on_the_workers(codec: str) -> None:
    data = write(codec)
    n = len(layout(data))
    r = Reader(io.BytesIO(data), decompress_threads=2)
    noting = Noting(r._codec)
    r._framer.codec = noting
    assert list(r) == RECS
    assert noting.calls == n
    assert set(noting.threads) <= {"turboavro-codec_0", "turboavro-codec_1"}
    r.close()
    wait_no_threads()


def test_a_one_block_file_needs_no_thread() -> None:
    data = write(AHEAD[0] if AHEAD else "deflate", RECS[:20], interval=1 << 20)
    r = Reader(io.BytesIO(data), decompress_threads=2)
    noting = Noting(r._codec)
    r._framer.codec = noting
    assert list(r) == RECS[:20]
    assert noting.threads == [threading.current_thread().name]


def test_the_window_is_bounded() -> None:
    """When block j reaches the consumer, at most ``2 * threads - 1`` blocks after it were
    handed to the workers: memory holds a few decompressed blocks, whatever the file's
    length."""
    data = write("deflate")
    n = len(layout(data))
    for threads in (1, 3):
        r = Reader(io.BytesIO(data), decompress_threads=threads)
        noting = Noting(r._codec)
        r._framer.codec = noting
        for j, _ in enumerate(r.blocks()):
            assert noting.calls <= j + 2 * threads
            time.sleep(0.001)  # let the workers run ahead as far as they may
        assert noting.calls == n
        r.close()


def test_results_in_order_when_blocks_finish_out_of_order() -> None:
    """Block 0 finishes last: its records still come first, and so does an error."""
    data = write("deflate")
    release = threading.Event()
    r = Reader(io.BytesIO(data), decompress_threads=3)
    noting = Noting(r._codec, hold={0: release},
                    on_call=lambda i: release.set() if i == 3 else None)
    r._framer.codec = noting
    assert list(r) == RECS
    r.close()


# -- damage: the same records, errors and skips as inline -----------------------------------------


@pytest.mark.parametrize("codec", AHEAD)
def test_corrupt_block_in_the_middle(codec: str) -> None:
    data = write(codec)
    blocks = layout(data)
    bad = spoil(data, blocks[4])
    before = sum(b.count for b in blocks[:4])
    for threads in (0, 2):
        got, err, skipped = outcome(bad, threads)
        assert got == RECS[:before]
        assert err is not None and err[0] is CodecError
        assert f"block at file offset {blocks[4].offset}" in err[1] and err[2] == blocks[4].offset
        got, err, skipped = outcome(bad, threads, skip=True)
        assert err is None
        assert got == RECS[:before] + RECS[before + blocks[4].count :]
        end = blocks[4].data_offset + blocks[4].size + 16
        assert [(s.start, s.end) for s in skipped] == [(blocks[4].offset, end)]
    for how in ("iter", "read_all", "blocks"):
        for skip in (False, True):
            assert outcome(bad, 2, how, skip) == outcome(bad, 0, how, skip)
    wait_no_threads()


@pytest.mark.parametrize("codec", AHEAD)
def test_framing_damage_after_a_corrupt_block(codec: str) -> None:
    """A corrupt block (3), a broken sync marker (7) the framer meets while running ahead,
    another corrupt block (10): raise mode reports block 3 (the first); skip mode lists the
    three in file order, each added when iteration reaches it, as inline."""
    data = write(codec)
    blocks = layout(data)
    end7 = blocks[7].data_offset + blocks[7].size + 16
    bad = spoil(data, blocks[3])
    bad = bad[: end7 - 4] + b"XXXX" + bad[end7:]
    bad = spoil(bad, blocks[10])
    got, err, _ = outcome(bad, 2)
    assert got == RECS[: sum(b.count for b in blocks[:3])]
    assert err is not None and err[2] == blocks[3].offset
    got, err, skipped = outcome(bad, 2, skip=True)
    assert err is None
    assert [s.start for s in skipped] == [blocks[3].offset, blocks[7].offset, blocks[10].offset]
    assert "sync marker mismatch" in skipped[1].reason
    for how in ("iter", "read_all", "blocks"):
        for skip in (False, True):
            assert outcome(bad, 2, how, skip) == outcome(bad, 0, how, skip), (how, skip)
    # a framing error alone: raised after every block before it was delivered
    bad = data[: end7 - 4] + b"XXXX" + data[end7:]
    got, err, _ = outcome(bad, 3)
    assert got == RECS[: sum(b.count for b in blocks[:7])]  # block 7 has no intact frame
    assert err is not None and err[0] is CorruptFileError and "sync marker mismatch" in err[1]
    assert outcome(bad, 3) == outcome(bad, 0)
    wait_no_threads()


@pytest.mark.parametrize("codec", AHEAD)
def test_truncated_files(codec: str) -> None:
    data = write(codec)
    blocks = layout(data)
    last = blocks[-1]
    cuts = [
        blocks[5].data_offset + blocks[5].size // 2,  # inside a block's data
        blocks[5].offset + 1,  # inside a block's frame
        last.data_offset + last.size + 7,  # inside the last sync marker: records kept
    ]
    for cut in cuts:
        for how in ("iter", "read_all", "blocks"):
            for skip in (False, True):
                inline = outcome(data[:cut], 0, how, skip)
                assert outcome(data[:cut], 2, how, skip) == inline, (cut, how, skip)
                assert (inline[1] is None) == skip
    got, err, _ = outcome(data[: cuts[2]], 2)
    assert got == RECS and err is not None and "file ends inside the sync marker" in err[1]
    wait_no_threads()


@pytest.mark.parametrize("codec", sorted({*AHEAD[:1], "deflate"}))
def test_random_damage_same_as_inline(codec: str) -> None:
    good = write(codec, RECS[:600])
    rnd = random.Random(11)
    for bad in damaged_copies(good, layout(good)[0].offset, 40, rnd):
        for skip in (False, True):
            assert outcome(bad, 2, "iter", skip) == outcome(bad, 0, "iter", skip)
        assert outcome(bad, 2, "blocks", True) == outcome(bad, 0, "blocks", True)
    wait_no_threads()


# -- thread lifetime -----------------------------------------------------------------------------


def test_close_mid_file_and_break_stop_the_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(container, "_ITER_BATCH_RECORDS", 1)  # a block per batch
    data = write("deflate")
    r = Reader(io.BytesIO(data), decompress_threads=2)
    it = iter(r)
    assert [next(it) for _ in range(50)] == RECS[:50]
    assert worker_threads()
    r.close()
    wait_no_threads()
    # leaving a for loop early, then the with block
    with Reader(io.BytesIO(data), decompress_threads=2) as r:
        for i, rec in enumerate(r):  # noqa: B007 - the last record is checked
            if i == 100:
                break
        assert rec == RECS[100]
        # the reader goes on where it stopped
        assert next(iter(r)) == RECS[101]
    wait_no_threads()
    # blocks() left early
    with Reader(io.BytesIO(data), decompress_threads=2) as r:
        for _ in r.blocks():
            break
    wait_no_threads()
    # abandoned without close(): collected with the reader
    r = Reader(io.BytesIO(data), decompress_threads=2)
    next(iter(r))
    del r, it
    gc.collect()
    wait_no_threads()
    # iteration run to the end: the threads end with it, before close()
    r = Reader(io.BytesIO(data), decompress_threads=2)
    assert list(r) == RECS
    wait_no_threads()
    r.close()


def test_with_readahead() -> None:
    data = write("deflate")
    for skip in (False, True):
        bad = spoil(data, layout(data)[6])
        with Reader(io.BytesIO(bad), decompress_threads=2, readahead=True,
                    on_corruption="skip" if skip else "raise") as r:
            got: list[Any] = []
            try:
                for rec in r:
                    got.append(rec)
            except CodecError:
                assert not skip
        assert (got, list(r.skipped)) == outcome(bad, 0, skip=skip)[::2]
    with Reader(io.BytesIO(data), decompress_threads=2, readahead=True) as r:
        next(iter(r))
    wait_no_threads()
    assert not [t for t in threading.enumerate() if t.name == "turboavro-readahead"]


def test_keyboard_interrupt_on_a_worker_or_in_the_callers_loop() -> None:
    data = write("deflate")

    def interrupt(i: int) -> None:
        if i == 6:
            raise KeyboardInterrupt

    r = Reader(io.BytesIO(data), decompress_threads=2)
    r._framer.codec = Noting(r._codec, on_call=interrupt)
    with pytest.raises(KeyboardInterrupt):
        list(r)
    wait_no_threads()  # the interrupt ended the iteration and its threads, before close()
    r.close()
    # an interrupt in the caller's loop body: the with block closes the reader
    with pytest.raises(KeyboardInterrupt):
        with Reader(io.BytesIO(data), decompress_threads=2) as r:
            for i, _ in enumerate(r):
                if i == 300:
                    raise KeyboardInterrupt
    wait_no_threads()


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs pthread_kill")
def test_sigint_while_waiting_for_a_block() -> None:
    """A real SIGINT reaching the main thread while it waits for a block's decompression."""
    main = threading.main_thread()
    if threading.current_thread() is not main:
        pytest.skip("SIGINT is delivered to the main thread")
    data = write("deflate")
    release = threading.Event()

    def interrupt(i: int) -> None:
        if i == 5:  # block 5 is held: the reader waits for it, and is interrupted
            time.sleep(0.05)
            signal.pthread_kill(main.ident, signal.SIGINT)  # type: ignore[arg-type]
            time.sleep(0.05)
            release.set()

    r = Reader(io.BytesIO(data), decompress_threads=2)
    r._framer.codec = Noting(r._codec, hold={5: release}, on_call=interrupt)
    got: list[Any] = []
    with pytest.raises(KeyboardInterrupt):
        for rec in r:
            got.append(rec)
    wait_no_threads()
    r.close()


# -- the fastavro facade ------------------------------------------------------------------------


@pytest.mark.parametrize("codec", AHEAD)
def test_facade_reader_decompresses_ahead(codec: str) -> None:
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(SCHEMA), RECS, codec=codec)
    data = buf.getvalue()
    rd = facade.reader(io.BytesIO(data))
    noting = Noting(rd._reader._codec)
    rd._reader._framer.codec = noting
    assert list(rd) == list(fastavro.reader(io.BytesIO(data))) == RECS
    assert noting.calls > 1 and all(t.startswith("turboavro-codec") for t in noting.threads)
    wait_no_threads()
    # a corrupt block: the facade raises where fastavro's records stop, no thread left
    blocks = layout(data)
    bad = spoil(data, blocks[2])
    got: list[Any] = []
    with pytest.raises(CodecError):
        for rec in facade.reader(io.BytesIO(bad)):
            got.append(rec)
    assert got == RECS[: sum(b.count for b in blocks[:2])]
    wait_no_threads()


def test_threads_refused_by_the_system(monkeypatch: pytest.MonkeyPatch) -> None:
    """When no thread can be started (a process or memory limit), the Reader decompresses
    inline and the Writer compresses inline: same records, same file."""
    from turboavro.codecs import Codec, _NativeCodec

    def refuse(self: Any, threads: int, capacity: int) -> Any:
        raise OSError(f"could not start {threads} codec thread(s)")

    data = write("deflate")
    monkeypatch.setattr(container, "_OVERLAP_MIN_BLOCK", 1)  # every block to the threads
    monkeypatch.setattr(Codec, "codec_pool", refuse)
    monkeypatch.setattr(_NativeCodec, "codec_pool", refuse)
    with Reader(io.BytesIO(data), decompress_threads=4) as r:
        assert list(r) == RECS
    out = io.BytesIO()
    with Writer(out, SCHEMA, codec="deflate", sync_interval=2000, sync_marker=b"S" * 16,
                compress_threads=4) as w:
        w.write_many(RECS)
        assert w._threads == 0 and w._compressor is None
    assert out.getvalue() == data
