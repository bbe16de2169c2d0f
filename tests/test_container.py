"""Object container files (SPEC.md §F): header, blocks, sync markers, splits, corruption
handling, append, crash safety and read-ahead."""
from __future__ import annotations

import gc
import io
import os
import random
import shutil
import threading
from itertools import pairwise

import fastavro
import pytest

import turboavro as ta
from strategies import damaged_copies
from turboavro.container import MAGIC, Reader, Writer, _encode_long
from turboavro.errors import AvroError, CodecError, CorruptFileError, DecodeError

DATA = os.path.join(os.path.dirname(__file__), "data")
SHARE = os.path.join(DATA, "apache-avro", "share-test", "data")
CODECS = ["null", "deflate", "snappy", "bzip2", "xz", "zstandard"]

SCHEMA = {
    "type": "record",
    "name": "Rec",
    "namespace": "t",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "name", "type": "string"},
        {"name": "opt", "type": ["null", "int"]},
        {"name": "xs", "type": {"type": "array", "items": "int"}},
    ],
}


def records(n: int, seed: int = 1) -> list[dict]:
    rnd = random.Random(seed)
    return [
        {
            "id": i * 7919 - 10**12,
            "name": f"n{i}-" + "x" * rnd.randrange(0, 40),
            "opt": None if i % 3 == 0 else rnd.randrange(-(2**31), 2**31),
            "xs": [rnd.randrange(-1000, 1000) for _ in range(rnd.randrange(0, 6))],
        }
        for i in range(n)
    ]


def write_bytes(recs, codec="null", sync_interval=2000, **kw) -> bytes:
    out = io.BytesIO()
    with Writer(out, SCHEMA, codec=codec, sync_interval=sync_interval, **kw) as w:
        w.write_many(recs)
    return out.getvalue()


def block_layout(data: bytes) -> list[tuple[int, int, int]]:
    """(block offset, end offset incl. sync, record count) of each block."""
    with Reader(io.BytesIO(data)) as r:
        return [(b.offset, b.data_offset + b.size + 16, b.count) for b in r.iter_blocks_raw()]


class Unseekable(io.RawIOBase):
    """A pipe-like stream: no seek, no tell; records the size of every read() call."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self.reads: list[int] = []

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, b) -> int:  # type: ignore[override]
        self.reads.append(len(b))
        n = min(len(b), len(self._data) - self._pos, 65536)  # short reads, like a pipe
        b[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


# -- round trips and header ---------------------------------------------------------------------


@pytest.mark.parametrize("codec", CODECS)
def test_round_trip_every_codec(codec, tmp_path):
    recs = records(3000)
    path = tmp_path / f"f_{codec}.avro"
    with Writer(path, SCHEMA, codec=codec, metadata={"who": "me", "raw": b"\x01\x00"}) as w:
        for r in recs[:10]:
            w.write(r)
        assert w.write_many(recs[10:]) == len(recs) - 10
    with Reader(path) as r:
        assert r.codec == codec
        assert r.metadata["avro.codec"] == codec.encode()
        assert r.metadata["who"] == b"me" and r.metadata["raw"] == b"\x01\x00"
        assert r.schema == ta.Schema.parse(SCHEMA)
        assert list(r) == recs
    if codec != "zstandard":  # fastavro 1.13 needs backports.zstd for it
        with open(path, "rb") as fo:  # and fastavro agrees on every byte of it
            fr = fastavro.reader(fo)
            assert list(fr) == recs
            assert fr.codec == codec


def test_header_bytes_and_sync_marker():
    sync = bytes(range(16))
    data = write_bytes(records(5), sync_marker=sync)
    assert data[:4] == MAGIC == b"Obj\x01"
    with Reader(io.BytesIO(data)) as r:
        assert r.sync_marker == sync
        assert data[r.header_size - 16 : r.header_size] == sync
        assert data.endswith(sync)
        assert list(r) == records(5)


def test_empty_file_has_header_only():
    data = write_bytes([])
    with Reader(io.BytesIO(data)) as r:
        assert list(r) == []
        assert r.header_size == len(data)


def _header(meta_blocks: bytes, sync=b"S" * 16) -> bytes:
    return MAGIC + meta_blocks + b"\x00" + sync


def _kv(k: bytes, v: bytes) -> bytes:
    return _encode_long(len(k)) + k + _encode_long(len(v)) + v


def test_header_negative_metadata_count_and_no_codec():
    schema = b'"long"'
    entries = _kv(b"avro.schema", schema) + _kv(b"x", b"\x00\x01")
    # one block with a negative count -2 followed by its byte size (SPEC.md item 51)
    meta = _encode_long(-2) + _encode_long(len(entries)) + entries
    block = _encode_long(3) + _encode_long(3) + b"\x02\x04\x06" + b"S" * 16
    data = _header(meta) + block
    with Reader(io.BytesIO(data)) as r:
        assert r.codec == "null"  # item 52: absent avro.codec means null
        assert r.metadata == {"avro.schema": schema, "x": b"\x00\x01"}
        assert list(r) == [1, 2, 3]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "only 0 bytes"),
        (b"PAR1xxxxxxxxxxxxxxxxxxxxx", "not an Avro container file"),
        (b"Obj\x00" + b"\x00" * 30, "legacy pre-1.3"),
        (_header(_encode_long(1) + _kv(b"x", b"y")), "no 'avro.schema'"),
        (_header(_encode_long(1) + _kv(b"avro.schema", b"{nope")), "not a valid schema"),
        (MAGIC + _encode_long(1) + _encode_long(-5), "negative length"),
        (MAGIC + b"\x80" * 11, "longer than 10 bytes"),
    ],
)
def test_bad_header(data, message):
    with pytest.raises(CorruptFileError, match=message):
        Reader(io.BytesIO(data))


def test_legacy_file_rejected():
    with pytest.raises(CorruptFileError, match="legacy pre-1.3") as ei:
        Reader(os.path.join(SHARE, "test.avro12"))
    assert ei.value.offset == 0


def test_unknown_codec_is_codec_error():
    meta = _encode_long(2) + _kv(b"avro.schema", b'"int"') + _kv(b"avro.codec", b"lzo")
    with pytest.raises(CodecError, match="lzo"):
        Reader(io.BytesIO(_header(meta)))


def test_every_truncated_header_raises_corrupt():
    data = write_bytes(records(3))
    with Reader(io.BytesIO(data)) as r:
        header_size = r.header_size
    for cut in range(header_size):
        with pytest.raises(CorruptFileError):
            Reader(io.BytesIO(data[:cut]))


def test_reserved_metadata_keys_and_types():
    with pytest.raises(ValueError, match="reserved"):
        Writer(io.BytesIO(), SCHEMA, metadata={"avro.codec": b"null"})
    with pytest.raises(TypeError):
        Writer(io.BytesIO(), SCHEMA, metadata={"k": 5})  # type: ignore[dict-item]


# -- streams ------------------------------------------------------------------------------------


def test_non_seekable_stream_reads_in_large_chunks():
    recs = records(4000)
    data = write_bytes(recs, codec="deflate")
    stream = Unseekable(data)
    with Reader(io.BufferedReader(stream, buffer_size=1)) as r:
        assert list(r) == recs
    assert min(stream.reads) >= 65536  # never read(1)


def test_pipe(tmp_path):
    recs = records(2000)
    data = write_bytes(recs, codec="snappy")
    rfd, wfd = os.pipe()

    def feed():
        with os.fdopen(wfd, "wb") as w:
            w.write(data)

    t = threading.Thread(target=feed)
    t.start()
    with os.fdopen(rfd, "rb") as fo:
        with Reader(fo) as r:
            assert list(r) == recs
        assert not fo.closed  # the reader closes only what it opened
    t.join()


def test_reader_closes_only_what_it_opened(tmp_path):
    path = tmp_path / "a.avro"
    path.write_bytes(write_bytes(records(3)))
    with open(path, "rb") as fo:
        with Reader(fo) as r:
            list(r)
        assert not fo.closed
    r = Reader(path)
    fo = r._fo
    r.close()
    assert fo.closed


# -- blocks -------------------------------------------------------------------------------------


def test_blocks_and_raw_blocks():
    recs = records(3000)
    data = write_bytes(recs, codec="deflate", sync_interval=5000)
    with Reader(io.BytesIO(data)) as r:
        raw = list(r.iter_blocks_raw())
    with Reader(io.BytesIO(data)) as r:
        blocks = list(r.blocks())
    assert len(blocks) == len(raw) > 5
    assert sum(b.count for b in raw) == len(recs)
    dec = ta.Decoder(SCHEMA)
    out = []
    for rb, b in zip(raw, blocks, strict=True):
        assert (rb.count, rb.offset, rb.size) == (b.count, b.offset, b.size)
        assert bytes(rb.data) == data[rb.data_offset : rb.data_offset + rb.size]
        out += dec.decode_block(b.data, b.count)
    assert out == recs
    assert all(len(b.data) >= 5000 for b in blocks[:-1])  # ended at the sync interval


# -- splits (SPEC.md item 58) -------------------------------------------------------------------


def _read_split(data: bytes, start, end, stream=False):
    src = io.BufferedReader(Unseekable(data)) if stream else io.BytesIO(data)
    with Reader(src, start=start, end=end) as r:
        return list(r)


@pytest.mark.parametrize("stream", [False, True])
def test_adjacent_splits_yield_every_record_once(stream):
    recs = records(3000)
    data = write_bytes(recs, codec="null", sync_interval=3000)
    rnd = random.Random(5)
    for _ in range(15):
        cuts = sorted({0, len(data), *(rnd.randrange(len(data)) for _ in range(rnd.randrange(1, 8)))})
        got = []
        for a, b in pairwise(cuts):
            got += _read_split(data, a, b, stream)
        assert got == recs
    # every split boundary around one sync marker
    layout = block_layout(data)
    sync_at = layout[3][0] - 16
    for cut in range(sync_at - 2, sync_at + 19):
        assert _read_split(data, 0, cut) + _read_split(data, cut, None) == recs


def test_split_start_zero_means_first_block():
    recs = records(300)
    data = write_bytes(recs, sync_interval=1000)
    first = block_layout(data)[0]
    assert _read_split(data, 0, 1) == recs[: first[2]]
    assert _read_split(data, 1, None) == recs[first[2] :]


def test_sync_in_metadata_does_not_fool_splits():
    path = os.path.join(SHARE, "syncInMeta.avro")
    with open(path, "rb") as fo:
        data = fo.read()
    with Reader(io.BytesIO(data)) as r:
        assert r.sync_marker in b"".join(r.metadata.values())  # the trap is there
        assert data.find(r.sync_marker) < r.header_size - 16
        whole = list(r)
    assert len(whole) > 1000
    for n in (2, 3, 7, 12):
        cuts = [len(data) * i // n for i in range(n + 1)]
        got = []
        for a, b in pairwise(cuts):
            got += _read_split(data, a, b)
        assert got == whole
    with Reader(io.BytesIO(data), start=1) as r:  # a start inside the header
        assert list(r) == whole[len(_read_split(data, 0, 1)) :]


# -- corruption: nothing lost (SPEC.md item 59) -------------------------------------------------


def _collect(data: bytes, **kw):
    """(records delivered, exception or None, reader.skipped)."""
    got: list = []
    with Reader(io.BytesIO(data), **kw) as r:
        try:
            for rec in r:
                got.append(rec)
        except AvroError as e:
            return got, e, r.skipped
        return got, None, r.skipped


@pytest.mark.parametrize("codec", ["null", "deflate"])
def test_truncation_at_every_block_boundary_region(codec):
    recs = records(400)
    data = write_bytes(recs, codec=codec, sync_interval=2500)
    layout = block_layout(data)
    assert len(layout) >= 4
    with Reader(io.BytesIO(data)) as r:
        header = r.header_size
    rnd = random.Random(7)
    cuts = set(range(header, len(data), max(1, len(data) // 150)))
    for off, end, _ in layout:
        cuts |= {off, off + 1, off + 2, end - 17, end - 16, end - 15, end - 1}
    cuts |= {rnd.randrange(header, len(data)) for _ in range(50)}
    for cut in sorted(c for c in cuts if header <= c < len(data)):
        # complete blocks are delivered, and a block whose data is whole but whose sync
        # marker was cut off (a writer dying mid-write)
        n = sum(cnt for off, end, cnt in layout if end - 16 <= cut)
        got, err, _ = _collect(data[:cut])
        assert got == recs[:n], cut
        if cut in {end for _, end, _ in layout} or cut == header:
            assert err is None
        else:
            assert isinstance(err, CorruptFileError), (cut, err)
            assert err.offset is not None and header <= err.offset <= cut
        got, err, skipped = _collect(data[:cut], on_corruption="skip")
        assert err is None and got == recs[:n]
        if cut not in {end for _, end, _ in layout} and cut != header:
            assert skipped and skipped[-1].end == cut


def test_sync_mismatch_raise_and_skip():
    recs = records(400)
    data = bytearray(write_bytes(recs, sync_interval=2500))
    layout = block_layout(bytes(data))
    k = 2
    off, end, _ = layout[k]
    data[end - 5] ^= 0xFF  # damage block k's sync marker
    before = sum(c for _, _, c in layout[:k])
    got, err, _ = _collect(bytes(data))
    assert got == recs[:before]
    assert isinstance(err, CorruptFileError) and "sync marker mismatch" in str(err)
    assert err.offset == end - 16
    got, err, skipped = _collect(bytes(data), on_corruption="skip")
    # block k and k+1 are lost: the damaged marker was also block k+1's start
    lost = layout[k][2] + layout[k + 1][2]
    assert err is None
    assert got == recs[:before] + recs[before + lost :]
    assert [(s.start, s.end) for s in skipped] == [(off, layout[k + 1][1])]


def test_corrupt_count_and_size_fields():
    recs = records(200)
    data = write_bytes(recs, sync_interval=2500)
    layout = block_layout(data)
    off, end, cnt = layout[1]
    first = layout[0][2]

    with Reader(io.BytesIO(data)) as r:
        raw = list(r.iter_blocks_raw())[1]

    def patched(count: int, size: int) -> bytes:
        # re-frame block 1 with the given count/size, keep its data and sync marker
        frame = _encode_long(count) + _encode_long(size)
        return data[:off] + frame + data[raw.data_offset : end] + data[end:]

    cases = [
        ((-1, raw.size), "negative block record count"),
        ((cnt, -7), "negative block size"),
        ((cnt, 10**9), "exceeds the limit max_block_size"),
        ((cnt, 10**7), "beyond the end of the file"),
        ((10**8, raw.size), "claims"),
    ]
    for frame, message in cases:
        bad = patched(*frame)
        got, err, _ = _collect(bad)
        assert got == recs[:first], message
        assert isinstance(err, CorruptFileError) and message in str(err), (message, err)
        assert err.offset == off
        got, err, skipped = _collect(bad, on_corruption="skip")
        assert err is None and skipped[0].start == off
        assert got[:first] == recs[:first] and recs[first + cnt :] == got[-(len(recs) - first - cnt) :]


def test_max_block_size_applies_to_decompressed_data():
    recs = [{"id": 0, "name": "a" * 5000, "opt": None, "xs": []} for _ in range(20)]
    data = write_bytes(recs, codec="deflate", sync_interval=100_000)
    assert list(Reader(io.BytesIO(data))) == recs
    got, err, _ = _collect(data, max_block_size=50_000)
    assert got == [] and isinstance(err, CodecError)


def test_corrupt_compressed_data():
    recs = records(300)
    data = bytearray(write_bytes(recs, codec="deflate", sync_interval=2500))
    layout = block_layout(bytes(data))
    with Reader(io.BytesIO(bytes(data))) as r:
        raw = list(r.iter_blocks_raw())
    b = raw[1]
    for i in range(b.data_offset, b.data_offset + b.size):
        data[i] = 0xFF  # invalid deflate block type in every byte
    got, err, _ = _collect(bytes(data))
    assert got == recs[: layout[0][2]]
    assert isinstance(err, CodecError) and f"file offset {b.offset}" in str(err)
    got, err, skipped = _collect(bytes(data), on_corruption="skip")
    assert err is None and len(got) == len(recs) - b.count
    assert skipped[0][:2] == (b.offset, layout[1][1])


def test_snappy_checksum_is_verified():
    recs = records(50)
    data = bytearray(write_bytes(recs, codec="snappy", sync_interval=100_000))
    with Reader(io.BytesIO(bytes(data))) as r:
        b = next(r.iter_blocks_raw())
    data[b.data_offset + b.size - 1] ^= 1  # last CRC byte (SPEC.md item 63)
    got, err, _ = _collect(bytes(data))
    assert got == [] and isinstance(err, CodecError)


def test_bad_union_discriminant_file():
    path = os.path.join(DATA, "apache-avro", "lang-c-tests", "avro-1237-bad-union-discriminant.avro")
    good = list(Reader(path.replace("bad-union-discriminant", "good")))
    got = []
    with Reader(path) as r, pytest.raises(DecodeError) as ei:
        for rec in r:
            got.append(rec)
    # the datum before the bad one is delivered (err.partial), then the error with a file offset
    assert got == good[:1]
    assert ei.value.offset is not None and 83 < ei.value.offset < os.path.getsize(path)
    assert ei.value.partial == good[:1]


def test_truncated_file_yields_complete_records_then_raises():
    path = os.path.join(DATA, "apache-avro", "lang-c-tests", "avro-1238-truncated.avro")
    good = list(Reader(path.replace("truncated", "good")))
    got = []
    with Reader(path) as r, pytest.raises(CorruptFileError, match="sync marker"):
        for rec in r:
            got.append(rec)
    assert got == good and len(good) == 2


def test_trailing_byte():
    path = os.path.join(DATA, "apache-avro", "lang-js-dat", "person-10.no-codec.avro")
    with open(path, "rb") as fo:
        data = fo.read()
    got, err, _ = _collect(data)
    assert len(got) == 10
    assert isinstance(err, CorruptFileError) and "trailing" in str(err)
    assert err.offset == os.path.getsize(path) - 1
    got, err, skipped = _collect(data, on_corruption="skip")
    assert len(got) == 10 and err is None
    assert skipped[0][:2] == (os.path.getsize(path) - 1, os.path.getsize(path))


def test_garbage_between_blocks_is_skipped():
    recs = records(300)
    data = write_bytes(recs, sync_interval=2500)
    layout = block_layout(data)
    cut = layout[1][1]
    junk = bytes(random.Random(3).randrange(256) for _ in range(333))
    bad = data[:cut] + junk + data[cut:]
    n = layout[0][2] + layout[1][2]
    got, err, _ = _collect(bad)
    assert got == recs[:n] and isinstance(err, AvroError)
    got, err, skipped = _collect(bad, on_corruption="skip")
    # the block after the junk has lost its leading sync marker: it is lost with the junk
    assert err is None
    assert got == recs[:n] + recs[n + layout[2][2] :]
    assert skipped[0].start == cut and skipped[0].end == layout[2][1] + len(junk)


# -- writer -------------------------------------------------------------------------------------


def test_flush_makes_blocks_durable(tmp_path):
    path = tmp_path / "crash.avro"
    recs = records(500)
    w = Writer(path, SCHEMA, codec="deflate", sync_interval=10**9)
    w.write_many(recs[:200])
    w.flush()
    w.write_many(recs[200:300])  # not flushed: would die with the process
    snapshot = tmp_path / "snapshot.avro"
    shutil.copyfile(path, snapshot)  # what a crash now would leave on disk
    assert list(Reader(snapshot)) == recs[:200]
    w.flush()
    w.write_many(recs[300:])
    size_after_two = os.path.getsize(path)
    w.close()
    assert list(Reader(path)) == recs
    # a writer that died while writing the last block: cut anywhere inside it
    full = path.read_bytes()
    for cut in range(size_after_two + 1, len(full), 97):
        got, err, _ = _collect(full[:cut], on_corruption="skip")
        assert got == recs[:300] and err is None


def test_append_by_path_and_file_object(tmp_path):
    path = tmp_path / "app.avro"
    recs = records(90)
    with Writer(path, SCHEMA, codec="zstandard", metadata={"k": "v"}) as w:
        w.write_many(recs[:30])
    with Reader(path) as r:
        sync = r.sync_marker
    with Writer(path) as w:  # no schema: append, reusing schema, codec and sync marker
        assert w.codec == "zstandard" and w.sync_marker == sync
        w.write_many(recs[30:60])
    with open(path, "a+b") as fo, Writer(fo, SCHEMA) as w:
        w.write_many(recs[60:])
    with Reader(path) as r:
        assert list(r) == recs
        assert r.metadata["k"] == b"v" and r.codec == "zstandard"
    assert path.read_bytes().count(b"Obj\x01") == 1
    other = dict(SCHEMA, fields=SCHEMA["fields"][:2])
    with pytest.raises(ValueError, match="schema differs"):
        Writer(path, other, append=True)
    with pytest.raises(ValueError, match="codec"):
        Writer(path, codec="deflate", append=True)
    with pytest.raises(ValueError, match="no such file"):
        Writer(tmp_path / "missing.avro")
    # append=True on a new path starts a new file
    with Writer(tmp_path / "new.avro", SCHEMA, append=True) as w:
        w.write(recs[0])
    assert list(Reader(tmp_path / "new.avro")) == recs[:1]


def test_write_many_failure_keeps_records_before_the_bad_one():
    recs = records(50)
    bad = recs[:37] + [{"id": "not a long", "name": "x", "opt": None, "xs": []}] + recs[37:]
    out = io.BytesIO()
    w = Writer(out, SCHEMA)
    with pytest.raises(ta.EncodeError):
        w.write_many(bad)
    with pytest.raises(ta.EncodeError):
        w.write(bad[37])
    w.write(recs[49])
    w.close()
    assert list(Reader(io.BytesIO(out.getvalue()))) == recs[:37] + [recs[49]]


def test_sync_interval_bounds_blocks():
    recs = records(2000)
    data = write_bytes(recs, sync_interval=4000)
    with Reader(io.BytesIO(data)) as r:
        sizes = [b.size for b in r.blocks()]
    assert len(sizes) > 10
    assert all(4000 <= s < 4000 + 200 for s in sizes[:-1])


# -- read-ahead ---------------------------------------------------------------------------------


def _threads() -> int:
    return sum(t.name == "turboavro-readahead" for t in threading.enumerate())


@pytest.mark.parametrize("codec", ["null", "deflate"])
def test_readahead_same_records_and_errors_in_order(codec):
    recs = records(3000)
    data = bytearray(write_bytes(recs, codec=codec, sync_interval=3000))
    with Reader(io.BytesIO(bytes(data)), readahead=True) as r:
        assert list(r) == recs
    layout = block_layout(bytes(data))
    data[layout[5][1] - 1] ^= 1
    before = sum(c for _, _, c in layout[:5])
    got, err, _ = _collect(bytes(data), readahead=True)
    assert got == recs[:before] and isinstance(err, CorruptFileError)
    got, err, skipped = _collect(bytes(data), readahead=True, on_corruption="skip")
    assert err is None and len(skipped) == 1
    assert _threads() == 0


def test_readahead_threads_never_leak(monkeypatch):
    # iteration decodes one block per batch here, so the worker is still reading ahead
    monkeypatch.setattr("turboavro.container._ITER_BATCH_RECORDS", 1)
    data = write_bytes(records(3000), sync_interval=2000)
    r = Reader(io.BytesIO(data), readahead=True)
    it = iter(r)
    next(it)
    assert _threads() == 1
    r.close()
    assert _threads() == 0
    # abandoned without close(): collected with the reader
    r = Reader(io.BytesIO(data), readahead=True)
    next(iter(r))
    del r, it
    gc.collect()
    for _ in range(50):
        if not _threads():
            break
        threading.Event().wait(0.02)
    assert _threads() == 0
    # leaving a for loop early, then the with block
    with Reader(io.BytesIO(data), readahead=True) as r:
        for _ in r:
            break
    assert _threads() == 0


# -- reader schema --------------------------------------------------------------------------------


def test_reader_schema_resolution_and_error_at_open():
    recs = records(100)
    data = write_bytes(recs)
    reader = {
        "type": "record",
        "name": "Rec",
        "namespace": "t",
        "fields": [
            {"name": "name", "type": "string"},
            {"name": "id", "type": "double"},  # long promoted to double
            {"name": "extra", "type": "string", "default": "d"},
        ],
    }
    with Reader(io.BytesIO(data), reader_schema=reader) as r:
        assert r.reader_schema == ta.Schema.parse(reader)
        assert r.schema == ta.Schema.parse(SCHEMA)
        assert list(r) == [{"name": x["name"], "id": float(x["id"]), "extra": "d"} for x in recs]
    bad = dict(reader, fields=[{"name": "missing", "type": "int"}])
    with pytest.raises(ta.SchemaResolutionError):
        Reader(io.BytesIO(data), reader_schema=bad)


def test_logical_false_gives_underlying_values():
    schema = {"type": "record", "name": "L", "fields": [
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}
    out = io.BytesIO()
    import datetime

    when = datetime.datetime(2020, 1, 2, 3, 4, 5, 6000, tzinfo=datetime.timezone.utc)
    with Writer(out, schema) as w:
        w.write({"ts": when})
    assert list(Reader(io.BytesIO(out.getvalue()))) == [{"ts": when}]
    millis = int(when.timestamp() * 1000)
    assert list(Reader(io.BytesIO(out.getvalue()), logical=False)) == [{"ts": millis}]


def test_write_block_and_write_raw_block_keep_order():
    enc = ta.Encoder(SCHEMA)
    recs = records(30)
    encoded = bytearray()
    enc.encode_many_into(recs[10:20], encoded)
    out = io.BytesIO()
    with Writer(out, SCHEMA, codec="deflate") as w:
        w.write_many(recs[:10])  # pending when the block arrives: written first
        w.write_block(10, encoded)
        w.write_many(recs[20:])
    with Reader(io.BytesIO(out.getvalue())) as r:
        assert [b.count for b in r.blocks()] == [10, 10, 10]
    assert list(Reader(io.BytesIO(out.getvalue()))) == recs


def test_read_all():
    recs = records(500)
    data = write_bytes(recs)
    with Reader(io.BytesIO(data)) as r:
        assert r.read_all() == recs
        assert r.read_all() == [] and list(r) == []
    with Reader(io.BytesIO(data)) as r:
        first = [next(r), next(r)]
        assert first + r.read_all() == recs
    path = os.path.join(DATA, "apache-avro", "lang-js-dat", "person-10.no-codec.avro")
    with Reader(path) as r, pytest.raises(CorruptFileError) as ei:
        r.read_all()
    assert len(ei.value.partial) == 10


def test_bad_writer_arguments_leave_the_file_alone(tmp_path):
    path = tmp_path / "keep.avro"
    path.write_bytes(write_bytes(records(5)))
    before = path.read_bytes()
    with pytest.raises(CodecError, match="lzo"):
        Writer(path, SCHEMA, codec="lzo")
    with pytest.raises(ValueError, match="reserved"):
        Writer(path, SCHEMA, metadata={"avro.x": "y"})
    assert path.read_bytes() == before


# -- native block framing (_blocks.scan_blocks) vs the careful per-block path ------------------


def _frame_trace(data: bytes, native: bool, skip: bool, chunk: int, stream: bool):
    """Everything a framer shows: the raw blocks, the error that ends them, what was skipped."""
    import turboavro._container_blocks as tc  # the framer's module

    saved = (tc._blocks, tc._CHUNK)
    tc._CHUNK = chunk
    if not native:
        tc._blocks = None
    try:
        src = _Stream(data) if stream else io.BytesIO(data)
        blocks, error = [], None
        with Reader(src, on_corruption="skip" if skip else "raise") as r:
            try:
                for b in r.iter_blocks_raw():
                    blocks.append((b.count, b.offset, b.size, bytes(b.data), b.data_offset))
            except AvroError as e:
                error = (type(e).__name__, str(e), getattr(e, "offset", None))
            return blocks, error, list(r.skipped)
    finally:
        tc._blocks, tc._CHUNK = saved


class _Stream(io.RawIOBase):
    """A non-seekable stream (a pipe) over bytes."""

    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        n = min(len(b), len(self._data) - self._pos)
        b[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


def test_native_framing_matches_the_careful_path():
    """The native scanner frames intact blocks many at a time and leaves everything unusual to
    the per-block path: on intact and damaged files (truncated, bytes flipped, inserted or
    deleted), in raise and skip modes, read whole or in small chunks, seekable or a pipe, the
    blocks, errors and skipped ranges are exactly those of the per-block path alone."""
    rnd = random.Random(7)
    good = write_bytes(records(300), sync_interval=600)
    variants = damaged_copies(good, block_layout(good)[0][0], 60, rnd)
    for i, data in enumerate(variants):
        for skip in (False, True):
            chunk, stream = rnd.choice([(1 << 20, False), (1 << 20, True), (97, True), (1000, False)])
            want = _frame_trace(data, False, skip, chunk, stream)
            got = _frame_trace(data, True, skip, chunk, stream)
            assert got == want, (i, skip, chunk, stream)
            if i == 0:
                assert len(got[0]) > 10 and got[1] is None  # the intact file: many blocks


def test_scan_blocks_stops_before_anything_unusual():
    from turboavro._kernels import _blocks

    data = write_bytes(records(50), sync_interval=300)
    layout = block_layout(data)
    sync = data[layout[0][0] - 16 : layout[0][0]]
    start = layout[0][0]
    table, pos, marker = _blocks.scan_blocks(data, start, 0, sync, 1 << 20, len(data), -1, 0)
    rows = memoryview(table).cast("q").tolist()
    assert len(rows) == 5 * len(layout) and pos == len(data)
    assert [rows[i + 1] for i in range(0, len(rows), 5)] == [off for off, _, _ in layout]
    assert [rows[i] for i in range(0, len(rows), 5)] == [c for _, _, c in layout]
    for i, (off, end, _) in zip(range(0, len(rows), 5), layout, strict=True):
        count, offset, size, data_at, start_in = rows[i : i + 5]
        assert offset == off and data_at + size + 16 == end
        assert data_at == off + len(_encode_long(count)) + len(_encode_long(size))
        assert data_at == start_in and data[data_at + size : end] == sync
    assert marker == layout[-1][1] - 16
    # each limit stops the scan before the block it concerns
    second = layout[1][0]
    # a block belongs to the split its preceding marker starts in (item 58)
    assert _blocks.scan_blocks(data, start, 0, sync, 1 << 20, len(data), second - 16, 0)[1] == second
    assert _blocks.scan_blocks(data, start, 0, sync, 1 << 20, len(data), second - 15, 0)[1] == layout[2][0]
    assert _blocks.scan_blocks(data, start, 0, sync, 10, len(data), -1, 0)[1] == start
    assert _blocks.scan_blocks(data, start, 0, sync, 1 << 20, second, -1, 0)[1] == second
    assert _blocks.scan_blocks(data[:-1], start, 0, sync, 1 << 20, -1, -1, 0)[1] == layout[-1][0]
    bad = bytearray(data)
    bad[layout[2][1] - 1] ^= 1  # the sync marker after block 2
    assert _blocks.scan_blocks(bytes(bad), start, 0, sync, 1 << 20, -1, -1, 0)[1] == layout[2][0]
    with pytest.raises(ValueError):
        _blocks.scan_blocks(data, len(data) + 1, 0, sync, 1 << 20, -1, -1, 0)
    with pytest.raises(ValueError):
        _blocks.scan_blocks(data, 0, 0, sync[:8], 1 << 20, -1, -1, 0)


def test_scan_file_frames_by_headers_and_stops_before_anything_unusual(tmp_path):
    """scan_file frames a plain file from its block headers (the same rows as scan_blocks,
    with start equal to data_offset) and stops before a block with a bad varint, count or
    size, one over max_block or past the size limit, a broken marker, or at the end."""
    from turboavro._kernels import _blocks

    data = write_bytes(records(50), sync_interval=300)
    layout = block_layout(data)
    sync = data[layout[0][0] - 16 : layout[0][0]]
    start = layout[0][0]
    path = tmp_path / "f.avro"

    def scan(blob: bytes, limit: int | None = None, max_block: int = 1 << 20):
        path.write_bytes(blob)
        with open(path, "rb") as f:
            size = len(blob) if limit is None else limit
            return _blocks.scan_file(f.fileno(), start, size, sync, max_block)

    table, pos = scan(data)
    want, _, _ = _blocks.scan_blocks(data, start, 0, sync, 1 << 20, len(data), -1, 0)
    assert table == want and pos == len(data) and len(table) == 40 * len(layout)
    second, third = layout[1][0], layout[2][0]
    assert scan(data, limit=second)[1] == second  # framed exactly to the limit
    assert scan(data, limit=second + 1)[1] == second  # block 2 would pass the limit
    assert scan(data, max_block=10)[1] == start
    assert scan(data[:-1])[1] == layout[-1][0]  # the last marker cut
    assert scan(data + b"\x02")[1] == len(data)  # a cut varint after the end (caller sees it)
    assert scan(data + b"\x02\x02" + bytes(18))[1] == len(data)  # a block with no marker
    bad = bytearray(data)
    bad[layout[2][1] - 1] ^= 1  # the sync marker after block 2
    assert scan(bytes(bad))[1] == third
    bad = bytearray(data)
    bad[third] = 0x01  # block 3's count: -1
    assert scan(bytes(bad))[1] == third
    bad = bytearray(data)
    bad[third : third + 11] = b"\xff" * 11  # an overlong count varint
    assert scan(bytes(bad))[1] == third
    assert scan(data[:third])[0] == want[: 40 * 2]
    empty = data[:start]  # a header and no blocks
    assert scan(empty) == (b"", start)
    with pytest.raises(ValueError):
        _blocks.scan_file(0, start, 10, sync[:8], 1 << 20)
    with pytest.raises(ValueError):
        _blocks.scan_file(0, -1, 10, sync, 1 << 20)
