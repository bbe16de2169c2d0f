"""The Writer compresses full blocks on a worker thread while the next block is encoded: the
file is byte for byte the one inline compression writes, flush/close write every block, and
a compression failure surfaces as the codec's error with the blocks before it on disk."""

from __future__ import annotations

import io
import threading

import fastavro
import pytest

import turboavro.container as container
from turboavro.bench import MIXED_SCHEMA, mixed_records
from turboavro.codecs import available_codecs
from turboavro.container import Reader, Writer
from turboavro.errors import CodecError

RECORDS = mixed_records(3000)
SYNC = bytes(range(16))


def _write(codec: str, overlap: bool, interval: int = 20_000, flush_every: int = 0) -> bytes:
    out = io.BytesIO()
    saved = container._OVERLAP_MIN_BLOCK
    container._OVERLAP_MIN_BLOCK = 1 if overlap else 1 << 62
    try:
        with Writer(out, MIXED_SCHEMA, codec=codec, sync_interval=interval, sync_marker=SYNC) as w:
            for i, rec in enumerate(RECORDS):
                w.write(rec)
                if flush_every and i % flush_every == flush_every - 1:
                    w.flush()
            if overlap:
                assert w._compressor is not None  # the worker did run
    finally:
        container._OVERLAP_MIN_BLOCK = saved
    return out.getvalue()


CODECS = [c for c in ("deflate", "zstandard", "snappy", "xz") if available_codecs().get(c)]


@pytest.mark.parametrize("codec", CODECS)
def test_overlapped_file_equals_inline_file(codec: str) -> None:
    inline = _write(codec, overlap=False)
    overlapped = _write(codec, overlap=True)
    assert overlapped == inline
    with Reader(io.BytesIO(overlapped)) as r:
        assert sum(1 for _ in r.iter_blocks_raw()) > 5
    assert list(fastavro.reader(io.BytesIO(overlapped))) == RECORDS


def test_flush_writes_every_block_compressed_so_far() -> None:
    out = io.BytesIO()
    saved = container._OVERLAP_MIN_BLOCK
    container._OVERLAP_MIN_BLOCK = 1
    try:
        w = Writer(out, MIXED_SCHEMA, codec="deflate", sync_interval=5_000)
        w.write_many(RECORDS[:1000])
        assert w._compressing  # blocks are in flight
        w.flush()
        assert not w._compressing
        with Reader(io.BytesIO(out.getvalue())) as r:
            assert list(r) == RECORDS[:1000]
        w.write_many(RECORDS[1000:])
        w.close()
        assert w._compressor is None
    finally:
        container._OVERLAP_MIN_BLOCK = saved
    with Reader(io.BytesIO(out.getvalue())) as r:
        assert list(r) == RECORDS
    # raw blocks keep their order behind the blocks in flight
    assert _write("deflate", overlap=True, flush_every=700) == _write(
        "deflate", overlap=False, flush_every=700
    )


def test_compression_failure_raises_and_keeps_earlier_blocks() -> None:
    out = io.BytesIO()
    saved = container._OVERLAP_MIN_BLOCK
    container._OVERLAP_MIN_BLOCK = 1
    try:
        w = Writer(out, MIXED_SCHEMA, codec="deflate", sync_interval=5_000)
        w.write_many(RECORDS[:300])
        w.flush()
        good = len(out.getvalue())
        w._level = 99  # every later block fails to compress
        with pytest.raises(CodecError, match="level"):
            w.write_many(RECORDS[300:])
            w.flush()
        with pytest.raises(CodecError):
            w.close()
        assert w._compressor is None  # the worker is gone after close, even on failure
    finally:
        container._OVERLAP_MIN_BLOCK = saved
    with Reader(io.BytesIO(out.getvalue()[:good])) as r:
        assert list(r) == RECORDS[:300]


def test_worker_thread_ends_with_the_writer() -> None:
    before = {t.ident for t in threading.enumerate()}
    with Writer(io.BytesIO(), MIXED_SCHEMA, codec="deflate", sync_interval=20_000) as w:
        w.write_many(RECORDS)
    after = [
        t for t in threading.enumerate() if t.ident not in before and t.name.startswith("turboavro")
    ]
    assert after == []


def test_fastavro_sized_blocks_are_overlapped() -> None:
    """fastavro's default blocks (16000 bytes, what its facade writes) go to the worker."""
    if not available_codecs().get("deflate"):
        pytest.skip("no deflate")
    out = io.BytesIO()
    with Writer(out, MIXED_SCHEMA, codec="deflate", sync_interval=16_000) as w:
        w.write_many(RECORDS)
        assert w._compressor is not None
    assert list(Reader(io.BytesIO(out.getvalue()))) == RECORDS
