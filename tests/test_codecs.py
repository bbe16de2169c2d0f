"""Block codecs (SPEC.md §G, items 61-68): native kernels and Python fallbacks.

Every available implementation of every codec is checked against the reference Python
packages (zlib, bz2, lzma, cramjam, zstandard) in both directions, against blocks written by
Java, Python and C Avro (tests/data), on edge data, corrupt data and decompression bombs.
"""
from __future__ import annotations

import binascii
import bz2
import io
import lzma
import os
import random
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import cramjam
import fastavro
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

import turboavro
from turboavro import codecs as tc
from turboavro.codecs import CODEC_NAMES, BlockBuffer, get_codec
from turboavro.errors import CodecError, CodecUnavailableError

DATA = Path(__file__).parent / "data"
MiB = 1 << 20

# --------------------------------------------------------------------------------------
# implementations under test


def _implementations() -> list:
    params = []
    for name in CODEC_NAMES[1:]:
        for native in (True, False):
            try:
                get_codec(name, native=native)
            except CodecUnavailableError:
                continue
            kind = "native" if native else "python"
            params.append(pytest.param((name, native), id=f"{name}-{kind}"))
    if tc._native_zlib_deflate() is not None:
        params.append(pytest.param(("deflate", "zlib"), id="deflate-native-zlib"))
    return params


IMPLS = _implementations()


def impls_of(*names: str) -> list:
    """The implementations of the named codecs only (for codec-specific tests)."""
    return [p for p in IMPLS if p.values[0][0] in names]


def _make(spec: tuple[str, object]) -> tc.Codec:
    name, native = spec
    if native == "zlib":
        codec = tc._native_zlib_deflate()
        assert codec is not None
        return codec
    assert isinstance(native, bool)
    return get_codec(name, native=native)


@pytest.fixture(params=IMPLS)
def codec(request: pytest.FixtureRequest) -> tc.Codec:
    return _make(request.param)


def _levels(codec: tc.Codec) -> list[int | None]:
    if codec.levels is None:
        return [None]
    lo, hi, _ = codec.levels
    return list(range(lo, hi + 1))


# --------------------------------------------------------------------------------------
# reference implementations (the packages other Avro libraries use)


def ref_compress(name: str, data: bytes) -> bytes:
    if name == "deflate":
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    if name == "snappy":
        crc = binascii.crc32(data).to_bytes(4, "big")
        return bytes(cramjam.snappy.compress_raw(data)) + crc
    if name == "bzip2":
        return bz2.compress(data)
    if name == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ)
    if name == "zstandard":
        return zstandard.ZstdCompressor().compress(data)
    raise AssertionError(name)


def ref_decompress(name: str, block: bytes) -> bytes:
    if name == "deflate":
        d = zlib.decompressobj(-15)
        out = d.decompress(block)
        assert d.eof
        return out
    if name == "snappy":
        out = bytes(cramjam.snappy.decompress_raw(block[:-4]))
        assert binascii.crc32(out).to_bytes(4, "big") == block[-4:]
        return out
    if name == "bzip2":
        return bz2.decompress(block)
    if name == "xz":
        return lzma.decompress(block, format=lzma.FORMAT_XZ)
    if name == "zstandard":
        reader = zstandard.ZstdDecompressor().stream_reader(block, read_across_frames=True)
        return reader.read()
    raise AssertionError(name)


# --------------------------------------------------------------------------------------
# sample data


def avro_records(n: int, seed: int = 7) -> bytes:
    """Binary Avro of n realistic records (what a container block holds)."""
    schema = fastavro.parse_schema({
        "type": "record", "name": "Order", "fields": [
            {"name": "id", "type": "long"},
            {"name": "customer", "type": "string"},
            {"name": "price", "type": "double"},
            {"name": "quantity", "type": "int"},
            {"name": "note", "type": ["null", "string"]},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
        ]})
    rnd = random.Random(seed)
    names = [f"customer-{i:04d}" for i in range(300)]
    buf = io.BytesIO()
    for i in range(n):
        fastavro.schemaless_writer(buf, schema, {
            "id": 1_000_000 + i * 3,
            "customer": rnd.choice(names),
            "price": round(rnd.uniform(1, 500), 2),
            "quantity": rnd.randint(1, 20),
            "note": None if rnd.random() < 0.7 else "gift wrap, deliver after 18:00",
            "tags": rnd.sample(["new", "vip", "express", "eu", "us", "return"], rnd.randint(0, 3)),
        })
    return buf.getvalue()


SAMPLE = avro_records(600)  # ~25 KB
RANDOM = random.Random(1).randbytes(50_000)
EDGE = {
    "empty": b"",
    "one-byte": b"\x00",
    "one-byte-ff": b"\xff",
    "incompressible": random.Random(2).randbytes(70_000),
    "zeros": bytes(200_000),
    "text": b"the quick brown fox jumps over the lazy dog " * 3000,
}


# --------------------------------------------------------------------------------------
# names and the registry


def test_codec_names_are_the_specs() -> None:
    assert CODEC_NAMES == ("null", "deflate", "snappy", "bzip2", "xz", "zstandard")
    for name in CODEC_NAMES:
        assert get_codec(name).name == name


@pytest.mark.parametrize("name", ["", "Deflate", "ZSTANDARD", "zstd", "gzip", "lzma", "lz4",
                                  "snappy ", "bz2"])
def test_unknown_codec_name(name: str) -> None:
    with pytest.raises(CodecError, match="unknown codec") as info:
        get_codec(name)
    assert not isinstance(info.value, CodecUnavailableError)


def test_all_codecs_available_in_test_environment() -> None:
    # the test extras install cramjam and zstandard, so every codec has an implementation
    assert all(tc.available_codecs().values())


def test_null_codec_is_identity() -> None:
    c = get_codec("null")
    assert c.native and c.levels is None
    assert c.compress(b"abc") == b"abc"
    assert c.decompress(b"abc", 3) == b"abc"
    with pytest.raises(CodecError, match="larger than the limit of 2 bytes"):
        c.decompress(b"abc", 2)
    block = memoryview(b"xyz")
    assert c.decompress_into(block, 10, BlockBuffer()) is block
    with pytest.raises(CodecError):
        c.compress(b"abc", level=1)


# --------------------------------------------------------------------------------------
# round trips


def test_round_trip_every_level(codec: tc.Codec) -> None:
    for level in _levels(codec):
        for data in (SAMPLE, RANDOM[:3000]):
            block = codec.compress(data, level)
            assert codec.decompress(block, len(data)) == data, level
            # readable by the reference package too (SPEC.md §G: interoperable blocks)
            assert ref_decompress(codec.name, block) == data, level


@pytest.mark.parametrize("spec", IMPLS)
@settings(max_examples=60, deadline=None)
@given(data=st.one_of(st.binary(max_size=3000),
                      st.lists(st.sampled_from([b"a", b"avro", b"\x00", b"\xff\xfe", b"xyz" * 20]),
                               max_size=400).map(b"".join)))
def test_round_trip_property(spec: tuple[str, object], data: bytes) -> None:
    codec = _make(spec)
    block = codec.compress(data)
    assert codec.decompress(block, len(data)) == data
    assert ref_decompress(codec.name, block) == data
    assert codec.decompress(ref_compress(codec.name, data), len(data)) == data


@pytest.mark.parametrize("kind", sorted(EDGE))
def test_round_trip_edge_data(codec: tc.Codec, kind: str) -> None:
    data = EDGE[kind]
    block = codec.compress(data)
    assert isinstance(block, bytes)
    assert codec.decompress(block, len(data)) == data
    assert ref_decompress(codec.name, block) == data
    # the limit is inclusive: exactly len(data) passes, one byte less fails
    if data:
        with pytest.raises(CodecError, match="larger than the limit"):
            codec.decompress(block, len(data) - 1)


def test_round_trip_10_mib(codec: tc.Codec) -> None:
    data = (SAMPLE * (10 * MiB // len(SAMPLE) + 1))[: 10 * MiB]
    lo = codec.levels[0] if codec.levels else None
    level = max(lo, 1) if lo is not None else None  # fastest real compression
    block = codec.compress(data, level)
    assert len(block) < len(data) // 3
    assert codec.decompress(block, len(data)) == data
    out = BlockBuffer()
    got = codec.decompress_into(block, len(data), out)
    assert bytes(got) == data


def test_compression_levels_change_output() -> None:
    # levels reach the library: the strongest level beats the fastest on real data
    for name in ("deflate", "bzip2", "xz", "zstandard"):
        c = get_codec(name)
        assert c.levels is not None
        lo, hi, default = c.levels
        fast = c.compress(SAMPLE * 4, max(lo, 1))
        best = c.compress(SAMPLE * 4, hi)
        assert len(best) < len(fast), name


def test_default_levels_match_java() -> None:
    # Java's Avro defaults: deflate 6 (zlib default), bzip2 9, xz 6, zstandard 3
    expected = {"deflate": 6, "bzip2": 9, "xz": 6, "zstandard": 3}
    for name, level in expected.items():
        for native in (True, False):
            try:
                c = get_codec(name, native=native)
            except CodecUnavailableError:
                continue
            assert c.levels is not None and c.levels[2] == level
            assert c.compress(SAMPLE) == c.compress(SAMPLE, level)


@pytest.mark.parametrize("level", [-1, 100, True, 2.0, "6"])
def test_bad_levels(codec: tc.Codec, level: object) -> None:
    if codec.levels is None:
        with pytest.raises(CodecError, match="no compression levels"):
            codec.compress(b"x", 1)
        return
    with pytest.raises(CodecError, match="level"):
        codec.compress(b"x", level)  # type: ignore[arg-type]


def test_deflate_level_ranges() -> None:
    native = get_codec("deflate")
    if native.native and "libdeflate" in native.implementation:
        assert native.levels == (0, 12, 6)
        assert zlib.decompress(native.compress(SAMPLE, 12), -15) == SAMPLE
    fallback = get_codec("deflate", native=False)
    assert fallback.levels == (0, 9, 6)
    with pytest.raises(CodecError, match=r"out of range 0\.\.9"):
        fallback.compress(SAMPLE, 12)


# --------------------------------------------------------------------------------------
# interoperability: blocks made by the reference packages


@pytest.mark.parametrize("kind", ["sample", "random", "empty", "zeros"])
def test_reads_reference_output(codec: tc.Codec, kind: str) -> None:
    data = {"sample": SAMPLE, "random": RANDOM, "empty": b"", "zeros": bytes(100_000)}[kind]
    block = ref_compress(codec.name, data)
    assert codec.decompress(block, len(data)) == data


@pytest.mark.parametrize("spec", impls_of("deflate"))
def test_deflate_reads_every_zlib_level_and_strategy(spec: tuple[str, object]) -> None:
    codec = _make(spec)
    for level in range(10):
        for strategy in (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_HUFFMAN_ONLY,
                         zlib.Z_RLE, zlib.Z_FIXED):
            c = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
            block = c.compress(SAMPLE) + c.flush()
            assert codec.decompress(block, len(SAMPLE)) == SAMPLE


def test_deflate_has_no_zlib_header() -> None:
    # SPEC.md item 62: raw RFC 1951, which zlib.decompress with its default wbits rejects
    block = get_codec("deflate").compress(SAMPLE)
    with pytest.raises(zlib.error):
        zlib.decompress(block)
    assert zlib.decompress(block, -15) == SAMPLE


@pytest.mark.parametrize("spec", impls_of("deflate"))
def test_deflate_ignores_trailing_bytes_like_zlib(spec: tuple[str, object]) -> None:
    codec = _make(spec)
    block = ref_compress("deflate", SAMPLE) + b"trailing junk"
    assert zlib.decompress(block, -15) == SAMPLE
    assert codec.decompress(block, len(SAMPLE)) == SAMPLE


def test_zlib_paths_are_byte_identical() -> None:
    # the native zlib path and the Python fallback drive the same library the same way
    native_zlib = tc._native_zlib_deflate()
    if native_zlib is None:
        pytest.skip("this build has no native zlib")
    fallback = get_codec("deflate", native=False)
    for level in range(10):
        assert native_zlib.compress(SAMPLE, level) == fallback.compress(SAMPLE, level)


@pytest.mark.parametrize("name", ["bzip2"])
def test_stdlib_backed_codecs_are_byte_identical(name: str) -> None:
    # Python's bz2 module wraps the same libbz2: our native output must match it byte for
    # byte. (Not so for xz: our one-shot encoder records the block sizes in the block header,
    # Python's streaming one cannot; both are valid .xz, read by each other above.)
    try:
        native = get_codec(name, native=True)
    except CodecUnavailableError:
        pytest.skip("not compiled natively")
    fallback = get_codec(name, native=False)
    assert native.levels is not None
    for level in (native.levels[0], native.levels[2], native.levels[1]):
        assert native.compress(SAMPLE, level) == fallback.compress(SAMPLE, level)


def test_xz_block_uses_crc64_check() -> None:
    block = get_codec("xz").compress(SAMPLE)
    assert block[:6] == b"\xfd7zXZ\x00"
    assert block[7] & 0x0F == 0x04  # stream flags: check type CRC-64, as Java writes


def test_bzip2_block_is_a_complete_stream() -> None:
    block = get_codec("bzip2").compress(SAMPLE)
    assert block[:4] == b"BZh9"
    assert bz2.decompress(block) == SAMPLE


@pytest.mark.parametrize("check", [lzma.CHECK_NONE, lzma.CHECK_CRC32, lzma.CHECK_CRC64,
                                   lzma.CHECK_SHA256])
@pytest.mark.parametrize("spec", impls_of("xz"))
def test_xz_reads_every_check_type(spec: tuple[str, object], check: int) -> None:
    codec = _make(spec)
    block = lzma.compress(SAMPLE, format=lzma.FORMAT_XZ, check=check, preset=1)
    assert codec.decompress(block, len(SAMPLE)) == SAMPLE


@pytest.mark.parametrize("spec", impls_of("bzip2", "xz", "zstandard"))
def test_concatenated_streams(spec: tuple[str, object]) -> None:
    # bzip2/xz/zstd decoders read every stream of a block, as Python's bz2/lzma do
    codec = _make(spec)
    a, b = SAMPLE[:9000], SAMPLE[9000:]
    block = ref_compress(codec.name, a) + ref_compress(codec.name, b)
    assert codec.decompress(block, len(SAMPLE)) == SAMPLE
    with pytest.raises(CodecError, match="larger than the limit"):
        codec.decompress(block, len(SAMPLE) - 1)


@pytest.mark.parametrize("spec", impls_of("bzip2", "xz"))
def test_trailing_bytes_after_stream(spec: tuple[str, object]) -> None:
    codec = _make(spec)
    block = ref_compress(codec.name, SAMPLE) + b"\x01junk"
    # Python's bz2/lzma ignore bytes that start no further stream; so do we
    ref = bz2.decompress(block) if codec.name == "bzip2" else lzma.decompress(block)
    assert ref == SAMPLE
    assert codec.decompress(block, len(SAMPLE)) == SAMPLE


@pytest.mark.parametrize("spec", impls_of("xz"))
def test_xz_stream_padding(spec: tuple[str, object]) -> None:
    codec = _make(spec)
    a = lzma.compress(b"first ", format=lzma.FORMAT_XZ)
    b = lzma.compress(b"second", format=lzma.FORMAT_XZ)
    # xz file format §2.2: Stream Padding (multiples of four zero bytes) may separate
    # concatenated streams; liblzma and the xz tool accept it (Python's lzma.decompress
    # silently stops at the padding)
    block = a + bytes(8) + b
    assert codec.decompress(block, 100) == b"first second"


def _xz_dictionary(block: bytes) -> int:
    """The LZMA2 dictionary size recorded in an .xz stream's first block header (xz file
    format: Block Header, Filter Flags; LZMA2's one property byte)."""
    pos = 12 + 2  # stream header, then the block header's size byte and its flags
    flags = block[13]
    assert flags & 0x03 == 0  # one filter

    def vli(pos: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            b = block[pos]
            value |= (b & 0x7F) << shift
            pos += 1
            if not b & 0x80:
                return value, pos
            shift += 7

    for present in (0x40, 0x80):  # compressed size, uncompressed size
        if flags & present:
            _, pos = vli(pos)
    filter_id, pos = vli(pos)
    assert filter_id == 0x21  # LZMA2
    nprops, pos = vli(pos)
    assert nprops == 1
    p = block[pos]
    return 0xFFFFFFFF if p == 40 else (2 | (p & 1)) << (p // 2 + 11)


def _xz_dict_for(n: int) -> int:
    """The smallest dictionary size LZMA2 can record (2^k or 3 * 2^(k-1)) that holds n."""
    return min(d for k in range(12, 31) for d in (1 << k, 3 << (k - 1)) if d >= n)


@pytest.mark.parametrize("spec", impls_of("xz"))
@pytest.mark.parametrize("size", [0, 100, 5000, 16_000, 300_000, 9 << 20])
def test_xz_dictionary_is_no_larger_than_the_block(spec: tuple[str, object], size: int) -> None:
    # The preset's dictionary (8 MiB at preset 6) is capped at the block's size: setting up
    # the preset's window costs about as much as compressing a 16,000-byte block, and a
    # window past the end of the input finds nothing more
    codec = _make(spec)
    rnd = random.Random(size)
    data = (SAMPLE * (size // len(SAMPLE) + 1))[:size]
    data = bytes(b ^ (rnd.random() < 0.01) for b in data) if size < 1 << 20 else data
    for level in (0, 6):
        block = codec.compress(data, level)
        assert lzma.decompress(block) == data
        if not size:
            continue  # an empty stream has no block
        preset = _xz_dictionary(lzma.compress(b"x", preset=level))  # the preset's window
        assert _xz_dictionary(block) == min(preset, _xz_dict_for(max(size, 4096)))


@pytest.mark.parametrize("size", [16_000, 100_000])
def test_xz_capped_dictionary_compresses_the_same(size: int) -> None:
    # The same LZMA2 data as the full preset: Python's streaming encoder with the preset's
    # window and our fallback with the capped one differ only in the block header's
    # dictionary property (and that header's CRC-32)
    data = (SAMPLE * (size // len(SAMPLE) + 1))[:size]
    full = lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=6)
    capped = get_codec("xz", native=False).compress(data, 6)
    assert len(capped) == len(full)
    header = 12 + (full[12] + 1) * 4  # stream header + block header
    assert capped[header:] == full[header:]
    assert capped[:header] != full[:header]  # the dictionary property differs


@pytest.mark.parametrize("spec", impls_of("zstandard"))
def test_zstd_frames_without_content_size(spec: tuple[str, object]) -> None:
    # SPEC.md item 66: Java streams zstd frames, so no content size is declared
    codec = _make(spec)
    no_size = zstandard.ZstdCompressor(write_content_size=False).compress(SAMPLE)
    assert zstandard.get_frame_parameters(no_size).content_size == zstandard.CONTENTSIZE_UNKNOWN
    assert codec.decompress(no_size, len(SAMPLE)) == SAMPLE
    with pytest.raises(CodecError, match="larger than the limit"):
        codec.decompress(no_size, len(SAMPLE) - 1)
    # streamed output (compressobj), with a checksum, two frames back to back
    cobj = zstandard.ZstdCompressor(level=5, write_checksum=True).compressobj()
    streamed = cobj.compress(SAMPLE) + cobj.flush()
    assert codec.decompress(streamed, len(SAMPLE)) == SAMPLE
    two = no_size + zstandard.ZstdCompressor().compress(b"tail")
    assert codec.decompress(two, len(SAMPLE) + 4) == SAMPLE + b"tail"
    # a mix of sized and unsized frames, and a skippable frame in between
    skippable = (0x184D2A50).to_bytes(4, "little") + (3).to_bytes(4, "little") + b"abc"
    mixed = zstandard.ZstdCompressor().compress(b"head") + skippable + no_size
    assert codec.decompress(mixed, len(SAMPLE) + 4) == b"head" + SAMPLE


@pytest.mark.parametrize("spec", impls_of("zstandard"))
def test_zstd_window_limits(spec: tuple[str, object]) -> None:
    """A streamed frame may declare a window far larger than its output (level 22 without a
    content size uses 128 MiB): it must decode under a small max_size. Beyond zstd's default
    window limit (128 MiB) decoding is refused, as libzstd and the zstandard package do."""
    codec = _make(spec)
    for window_log, ok in ((27, True), (28, False)):
        params = zstandard.ZstdCompressionParameters(window_log=window_log, compression_level=1,
                                                     write_content_size=False)
        cobj = zstandard.ZstdCompressor(compression_params=params).compressobj()
        block = cobj.compress(SAMPLE) + cobj.flush()
        header = zstandard.get_frame_parameters(block)
        assert header.window_size == 1 << window_log
        if ok:
            assert codec.decompress(block, len(SAMPLE)) == SAMPLE
        else:
            with pytest.raises(CodecError, match="zstandard"):
                codec.decompress(block, len(SAMPLE))


def test_zstd_output_declares_content_size() -> None:
    block = get_codec("zstandard").compress(SAMPLE)
    assert block[:4] == b"\x28\xb5\x2f\xfd"
    assert zstandard.get_frame_parameters(block).content_size == len(SAMPLE)
    assert zstandard.ZstdDecompressor().decompress(block) == SAMPLE


def test_snappy_block_layout() -> None:
    # SPEC.md item 63: raw snappy block + big-endian CRC-32 (IEEE) of the uncompressed data
    for impl in (True, False):
        try:
            c = get_codec("snappy", native=impl)
        except CodecUnavailableError:
            continue
        # "123456789" is the standard CRC check string: CRC-32 (IEEE) 0xCBF43926
        block = c.compress(b"123456789")
        assert block[-4:] == b"\xcb\xf4\x39\x26"
        # a 9-byte input is one literal: length varint 9, literal tag (9-1)<<2, the bytes
        assert block[:-4] == b"\x09\x20123456789"
        assert bytes(cramjam.snappy.decompress_raw(block[:-4])) == b"123456789"


@pytest.mark.parametrize("spec", impls_of("snappy"))
def test_snappy_crc_mismatch(spec: tuple[str, object]) -> None:
    codec = _make(spec)
    block = bytearray(codec.compress(SAMPLE))
    block[-1] ^= 0x01
    stored = int.from_bytes(block[-4:], "big")
    with pytest.raises(CodecError, match=f"CRC-32 .*stored 0x{stored:08x}"):
        codec.decompress(bytes(block), len(SAMPLE))
    for top in (0x00, 0x80):  # stored CRCs with the high bit clear and set (once shown signed)
        block[-4] = (block[-4] & 0x7F) | top
        stored = int.from_bytes(block[-4:], "big")
        with pytest.raises(CodecError, match=f"CRC-32 .*stored 0x{stored:08x}, computed 0x"):
            codec.decompress(bytes(block), len(SAMPLE))
    # a corrupted literal inside the body: still a valid snappy stream, caught by the CRC
    good = ref_compress("snappy", b"abcdefghij")
    bad = bytearray(good)
    bad[4] ^= 0x20  # a literal byte ('c' -> 'C'), after the length and the literal tag
    assert bytes(cramjam.snappy.decompress_raw(bytes(bad[:-4]))) == b"abCdefghij"
    with pytest.raises(CodecError, match="CRC-32"):
        codec.decompress(bytes(bad), 100)


def _container_blocks(path: Path) -> tuple[str, list[bytes]]:
    """The codec name and the raw blocks of an object container file (SPEC.md item 54)."""
    raw = path.read_bytes()

    def varint(pos: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            b = raw[pos]
            pos += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return (value >> 1) ^ -(value & 1), pos

    assert raw[:4] == b"Obj\x01"
    pos, meta = 4, {}
    while True:
        count, pos = varint(pos)
        if count == 0:
            break
        if count < 0:
            count = -count
            _, pos = varint(pos)
        for _ in range(count):
            klen, pos = varint(pos)
            key = raw[pos:pos + klen].decode()
            pos += klen
            vlen, pos = varint(pos)
            meta[key] = raw[pos:pos + vlen]
            pos += vlen
    sync = raw[pos:pos + 16]
    pos += 16
    blocks = []
    while pos < len(raw):
        _, pos = varint(pos)
        size, pos = varint(pos)
        blocks.append(raw[pos:pos + size])
        pos += size
        assert raw[pos:pos + 16] == sync
        pos += 16
    return meta.get("avro.codec", b"null").decode(), blocks


INTEROP_FILES = sorted(
    p for p in (DATA / "interop").glob("*/*_*.avro")) + [
    DATA / "apache-avro/share-test/data/weather-deflate.avro",
    DATA / "apache-avro/share-test/data/weather-snappy.avro",
    DATA / "apache-avro/share-test/data/weather-zstd.avro",
]


def _interop_params() -> list:
    params = []
    for path in INTEROP_FILES:
        codec_name, _ = _container_blocks(path)
        for impl in impls_of(codec_name):
            params.append(pytest.param(path, impl.values[0],
                                       id=f"{path.parent.name}/{path.name}-{impl.id}"))
    return params


@pytest.mark.parametrize("path,spec", _interop_params())
def test_blocks_written_by_other_implementations(path: Path, spec: tuple[str, object]) -> None:
    # Each file's decompressed block equals the block of the same writer's null-codec file
    # (same datums): java_xz.avro vs java.avro, weather-zstd.avro vs weather.avro, ...
    codec_name, blocks = _container_blocks(path)
    codec = _make(spec)
    assert codec.name == codec_name
    if path.parent.name == "data":
        plain = path.with_name("weather.avro")
    else:
        plain = path.with_name(path.name.split("_")[0] + ".avro")
    _, expected = _container_blocks(plain)
    got = [bytes(codec.decompress(b, 1 << 20)) for b in blocks]
    assert got == expected
    assert got[0]


@pytest.mark.parametrize("spec", impls_of("deflate"))
def test_sync_in_meta_deflate_blocks(spec: tuple[str, object]) -> None:
    codec = _make(spec)
    _, blocks = _container_blocks(DATA / "apache-avro/share-test/data/syncInMeta.avro")
    assert len(blocks) == 12
    buf = BlockBuffer()
    for block in blocks:
        expected = zlib.decompress(block, -15)
        got = codec.decompress_into(block, 1 << 20, buf)
        assert bytes(got) == expected
        del got


# --------------------------------------------------------------------------------------
# corrupt data


def test_empty_block_is_corrupt(codec: tc.Codec) -> None:
    with pytest.raises(CodecError, match=codec.name):
        codec.decompress(b"", 100)


def test_truncated_blocks(codec: tc.Codec) -> None:
    block = codec.compress(SAMPLE)
    for cut in sorted({1, 2, 3, 5, len(block) // 2, len(block) - 5, len(block) - 1}):
        if codec.name == "deflate" and cut < 1:
            continue
        with pytest.raises(CodecError):
            codec.decompress(block[:-cut], len(SAMPLE))


def test_garbage_is_rejected(codec: tc.Codec) -> None:
    for garbage in (b"\x00" * 64, b"not compressed at all, just text", RANDOM[:1000]):
        try:
            out = codec.decompress(garbage, 1 << 20)
        except CodecError:
            continue
        # deflate has no checksum: random bytes can form a valid stream; it must then be
        # what zlib makes of them
        assert codec.name == "deflate"
        assert out == zlib.decompressobj(-15).decompress(garbage)


def test_mutations_never_crash(codec: tc.Codec) -> None:
    """Byte flips, truncations and insertions give the original data back, other data (only
    possible without a checksum: deflate, and zstd frames, which like Java's carry no
    content checksum), or CodecError - never another exception or a crash."""
    rnd = random.Random(zlib.crc32(codec.implementation.encode()))
    block = codec.compress(SAMPLE[:8000])
    for _ in range(150):
        bad = bytearray(block)
        op = rnd.randrange(3)
        at = rnd.randrange(len(bad))
        if op == 0:
            bad[at] ^= 1 << rnd.randrange(8)
        elif op == 1:
            del bad[at:]
        else:
            bad[at:at] = rnd.randbytes(rnd.randint(1, 8))
        try:
            out = codec.decompress(bytes(bad), 20_000)
        except CodecError:
            continue
        if out != SAMPLE[:8000]:
            assert codec.name in ("deflate", "zstandard"), f"{codec.name} accepted corrupt data"


# --------------------------------------------------------------------------------------
# decompression bombs and max_size


def bombs() -> dict[str, bytes]:
    """Blocks of 1 GiB of zeros (or a claim of it), made cheaply: deflate repeats a
    self-contained full-flush segment, bzip2/xz/zstd concatenate 1 MiB streams, zstd also
    has one streamed frame without a content size, snappy lies in its length header."""
    zeros = bytes(MiB)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    deflate = segment * 1024 + c.flush()
    cobj = zstandard.ZstdCompressor(level=1).compressobj()
    zstd_stream = b"".join(cobj.compress(zeros) for _ in range(64)) + cobj.flush()
    snappy_small = bytes(cramjam.snappy.compress_raw(bytes(64 * MiB)))
    return {
        "deflate": deflate,
        "bzip2": bz2.compress(zeros) * 1024,
        "xz": lzma.compress(zeros, preset=0) * 1024,
        "zstandard": zstandard.ZstdCompressor().compress(zeros) * 1024,
        "zstandard-nosize": zstandard.ZstdCompressor(write_content_size=False)
        .compress(zeros) * 1024,
        "zstandard-stream": zstd_stream,
        "snappy": snappy_small + binascii.crc32(bytes(64 * MiB)).to_bytes(4, "big"),
        "snappy-liar": b"\x80\x80\x80\x80\x04" + b"\x00" * 100,  # claims 1 GiB
    }


@pytest.fixture(scope="module")
def bomb_blocks() -> dict[str, bytes]:
    return bombs()


def test_decompression_bombs(codec: tc.Codec, bomb_blocks: dict[str, bytes]) -> None:
    for key, block in bomb_blocks.items():
        if key.split("-")[0] != codec.name:
            continue
        assert len(block) < 50 * MiB
        with pytest.raises(CodecError) as info:
            codec.decompress(block, MiB)
        assert "larger than the limit" in str(info.value) or "header" in str(info.value)
        buf = BlockBuffer()
        with pytest.raises(CodecError):
            codec.decompress_into(block, MiB, buf)
        assert buf.capacity <= MiB  # nothing beyond the limit was ever allocated


BOMB_SCRIPT = """
import resource, sys
sys.path[:0] = {paths!r}
from turboavro.codecs import get_codec, CodecError
from test_codecs import bombs
blocks = bombs()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for key, block in blocks.items():
    for native in (True, False):
        try:
            codec = get_codec(key.split("-")[0], native=native)
        except CodecError:
            continue
        try:
            codec.decompress(block, 1 << 20)
        except CodecError:
            pass
        else:
            raise SystemExit("bomb %s not stopped" % key)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((peak - base) // 1024)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="resource module")
def test_bombs_do_not_allocate() -> None:
    """In a fresh process (so the peak RSS is the bombs' alone), stopping every bomb with
    max_size = 1 MiB raises the peak memory by a few MiB, nowhere near 1 GiB."""
    paths = [str(Path(turboavro.__file__).parent.parent), str(Path(__file__).parent)]
    out = subprocess.run([sys.executable, "-c", BOMB_SCRIPT.format(paths=paths)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr + out.stdout
    growth_mib = int(out.stdout.strip().splitlines()[-1])
    assert growth_mib < 128, f"peak memory grew by {growth_mib} MiB while stopping bombs"


@pytest.mark.parametrize("spec", impls_of("xz"))
def test_xz_dictionary_claim_is_limited(spec: tuple[str, object]) -> None:
    """An xz stream whose header claims a 4 GiB dictionary is refused (decoder memory is
    capped at 128 MiB) instead of allocating it."""
    codec = _make(spec)
    good = lzma.compress(b"hello", format=lzma.FORMAT_XZ,
                         filters=[{"id": lzma.FILTER_LZMA2, "preset": 0}])
    header_size = (good[12] + 1) * 4
    header = bytearray(good[12:12 + header_size])
    assert header[2] == 0x21 and header[3] == 1  # LZMA2 filter, one property byte
    header[4] = 40  # dictionary size code 40: 4 GiB - 1
    header[-4:] = zlib.crc32(bytes(header[:-4])).to_bytes(4, "little")
    bomb = good[:12] + bytes(header) + good[12 + header_size:]
    with pytest.raises(CodecError, match="xz"):
        codec.decompress(bomb, 1 << 30)


@pytest.mark.parametrize("max_size", [-1, 1.5, None, True])
def test_bad_max_size(codec: tc.Codec, max_size: object) -> None:
    block = codec.compress(b"abc")
    with pytest.raises((CodecError, TypeError, OverflowError)):
        codec.decompress(block, max_size)  # type: ignore[arg-type]


def test_max_size_zero(codec: tc.Codec) -> None:
    assert codec.decompress(codec.compress(b""), 0) == b""
    with pytest.raises(CodecError, match="larger than the limit of 0 bytes"):
        codec.decompress(codec.compress(b"a"), 0)


def test_limit_exact_at_every_size(codec: tc.Codec) -> None:
    # the one-byte probe beyond a full buffer: output of exactly max_size passes, one byte
    # more fails, whatever the initial allocation guess was
    for size in (1, 100, 65536, 65537, 300_000):
        data = (SAMPLE * (size // len(SAMPLE) + 1))[:size]
        block = codec.compress(data)
        assert codec.decompress(block, size) == data
        with pytest.raises(CodecError, match="larger than the limit"):
            codec.decompress(block, size - 1)


# --------------------------------------------------------------------------------------
# BlockBuffer (reused output for the container reader)


def test_block_buffer_reuse_and_views() -> None:
    codec = get_codec("zstandard", native=True) if "zstandard" in tc._NATIVE_CODECS else None
    if codec is None:
        pytest.skip("needs a native codec")
    buf = BlockBuffer()
    assert len(buf) == 0 and bytes(buf) == b""
    blocks = [codec.compress(SAMPLE[:n]) for n in (20_000, 5000, 25_000, 0)]
    for n, block in zip((20_000, 5000, 25_000, 0), blocks, strict=True):
        got = codec.decompress_into(block, 1 << 20, buf)
        assert got is buf
        assert len(buf) == n and bytes(buf) == SAMPLE[:n]
        view = memoryview(buf)
        assert view.readonly and view.nbytes == n
        with pytest.raises(BufferError, match="live views"):
            codec.decompress_into(block, 1 << 20, buf)
        view.release()
    assert buf.capacity >= 25_000
    # a failure leaves the buffer empty and usable
    with pytest.raises(CodecError):
        codec.decompress_into(b"\x28\xb5\x2f\xfdjunk", 1 << 20, buf)
    assert len(buf) == 0
    assert bytes(codec.decompress_into(blocks[0], 1 << 20, buf)) == SAMPLE[:20_000]
    buf.release()
    assert buf.capacity == 0 and len(buf) == 0


def test_reused_buffer_respects_a_smaller_limit(codec: tc.Codec) -> None:
    """A buffer grown by a large block must not let a later call exceed its own, smaller
    max_size (the decoders may only use min(capacity, max_size) of it)."""
    buf = BlockBuffer()
    big = SAMPLE * 8
    assert bytes(codec.decompress_into(codec.compress(big), len(big), buf)) == big
    for data in (EDGE["incompressible"][:50_000], SAMPLE, EDGE["zeros"][:60_000]):
        block = codec.compress(data)
        for _ in range(2):  # also through the pooled contexts of one-shot calls
            with pytest.raises(CodecError, match="larger than the limit"):
                codec.decompress_into(block, len(data) - 1, buf)
            with pytest.raises(CodecError, match="larger than the limit"):
                codec.decompress(block, len(data) - 1)
            assert bytes(codec.decompress_into(block, len(data), buf)) == data
            codec.decompress(codec.compress(big), len(big))  # regrow the pooled scratch


def test_every_native_codec_reuses_one_buffer() -> None:
    buf = BlockBuffer()
    for name in tc._NATIVE_CODECS - {"null"}:
        codec = get_codec(name, native=True)
        for data in (SAMPLE, b"", RANDOM[:777], SAMPLE[:100]):
            assert bytes(codec.decompress_into(codec.compress(data), len(data), buf)) == data


def test_compress_with_reused_context() -> None:
    ctx = BlockBuffer()
    for name in CODEC_NAMES:
        codec = get_codec(name)
        levels = [None] if codec.levels is None else [codec.levels[0], None, codec.levels[0]]
        for level in levels:
            block = codec.compress_with(SAMPLE, level, ctx)
            assert block == codec.compress(SAMPLE, level)
            if name != "null":
                assert ref_decompress(name, block) == SAMPLE


def test_threads_decompress_concurrently() -> None:
    """The codecs run with the GIL released; concurrent calls must not interfere."""
    blocks = {name: get_codec(name).compress(SAMPLE * 4) for name in CODEC_NAMES}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            buf = BlockBuffer()
            for _ in range(20):
                out = get_codec(name).decompress_into(blocks[name], len(SAMPLE) * 4, buf)
                assert bytes(out) == SAMPLE * 4
                del out
        except BaseException as e:  # noqa: B036 - re-raised in the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in CODEC_NAMES * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


# --------------------------------------------------------------------------------------
# CRC-32 kernel


def test_crc32_matches_zlib() -> None:
    from turboavro._kernels import _blocks

    rnd = random.Random(5)
    data = rnd.randbytes(5000)
    assert _blocks.crc32(b"") == 0
    assert _blocks.crc32(b"123456789") == 0xCBF43926  # the CRC-32 check value
    assert _blocks.crc32_builtin(b"123456789") == 0xCBF43926
    for _ in range(200):
        a = rnd.randrange(0, 64)
        b = rnd.randrange(a, len(data))
        chunk = data[a:b]
        assert _blocks.crc32(chunk) == zlib.crc32(chunk)
        assert _blocks.crc32_builtin(chunk) == zlib.crc32(chunk)
        seed = rnd.getrandbits(32)
        assert _blocks.crc32_builtin(chunk, seed) == zlib.crc32(chunk, seed)
    big = rnd.randbytes(200_000)
    assert _blocks.crc32(big) == zlib.crc32(big) == _blocks.crc32_builtin(big)
    assert _blocks.CRC32_IMPL in ("libdeflate", "zlib", "builtin")


# --------------------------------------------------------------------------------------
# fallbacks and availability


def test_fallback_and_native_read_each_other(codec: tc.Codec) -> None:
    other_native = not codec.native
    try:
        other = get_codec(codec.name, native=other_native)
    except CodecUnavailableError:
        pytest.skip("only one implementation available")
    for data in (SAMPLE, b"", RANDOM[:5000]):
        assert other.decompress(codec.compress(data), len(data)) == data
        assert codec.decompress(other.compress(data), len(data)) == data


def test_get_codec_prefers_native() -> None:
    for name in CODEC_NAMES:
        c = get_codec(name)
        assert c.native == (name in tc._NATIVE_CODECS)
        assert get_codec(name) is c  # cached


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setattr(tc, "_CACHE", {})
    return monkeypatch


def test_fallback_used_when_native_missing(fresh_registry: pytest.MonkeyPatch) -> None:
    fresh_registry.setattr(tc, "_NATIVE_CODECS", {"null"})
    for name in CODEC_NAMES[1:]:
        c = get_codec(name)
        assert not c.native
        assert c.decompress(ref_compress(name, SAMPLE), len(SAMPLE)) == SAMPLE
        assert ref_decompress(name, c.compress(SAMPLE)) == SAMPLE
        with pytest.raises(CodecUnavailableError, match="not compiled"):
            get_codec(name, native=True)
    assert get_codec("snappy").implementation.startswith("cramjam ")
    assert get_codec("deflate").implementation == "python zlib"


@pytest.mark.parametrize("name,module,hint", [
    ("snappy", "cramjam", "pip install cramjam"),
    ("zstandard", "zstandard", "pip install zstandard"),
    ("bzip2", "bz2", "libbz2-dev"),
    ("xz", "lzma", "liblzma-dev"),
    ("deflate", "zlib", "zlib1g-dev"),
])
def test_unavailable_codec(fresh_registry: pytest.MonkeyPatch, name: str, module: str,
                           hint: str) -> None:
    fresh_registry.setattr(tc, "_NATIVE_CODECS", tc._NATIVE_CODECS - {name})
    fresh_registry.setitem(sys.modules, module, None)  # makes the import fail
    with pytest.raises(CodecUnavailableError, match=hint) as info:
        get_codec(name)
    assert isinstance(info.value, CodecError)
    assert repr(name) in str(info.value)
    assert tc.available_codecs()[name] is None
    features = turboavro.build_features()
    assert features["codecs"][name] is None and features["fallbacks"][name] is None


# --------------------------------------------------------------------------------------
# build features


def test_build_features_shape() -> None:
    f = turboavro.build_features()
    assert set(f["codecs"]) == set(CODEC_NAMES)
    assert set(f["native"]) == set(f["fallbacks"]) == set(CODEC_NAMES[1:])
    assert set(f["libraries"]) == {"libdeflate", "zlib", "zstd", "snappy", "lzma", "bz2"}
    flags = f["compile_flags"]
    assert set(flags) == {"TA_HAVE_LIBDEFLATE", "TA_HAVE_ZLIB", "TA_HAVE_ZSTD",
                          "TA_HAVE_SNAPPY", "TA_HAVE_LZMA", "TA_HAVE_BZ2"}
    macro_of = {"libdeflate": "TA_HAVE_LIBDEFLATE", "zlib": "TA_HAVE_ZLIB",
                "zstd": "TA_HAVE_ZSTD", "snappy": "TA_HAVE_SNAPPY", "lzma": "TA_HAVE_LZMA",
                "bz2": "TA_HAVE_BZ2"}
    for lib, version in f["libraries"].items():
        assert (version is not None) == flags[macro_of[lib]], lib
    assert (f["native"]["deflate"] is not None) == (flags["TA_HAVE_LIBDEFLATE"]
                                                    or flags["TA_HAVE_ZLIB"])
    if flags["TA_HAVE_LIBDEFLATE"]:
        assert f["native"]["deflate"].startswith("libdeflate ")
        assert f["crc32"] == "libdeflate"
    elif flags["TA_HAVE_ZLIB"]:
        assert f["native"]["deflate"].startswith("zlib ")
        assert f["crc32"] == "zlib"
    else:
        assert f["crc32"] == "builtin"
    for name in CODEC_NAMES[1:]:
        assert f["codecs"][name] == (f["native"][name] or f["fallbacks"][name])
    assert f["fallbacks"]["bzip2"] == "python bz2"
    assert f["fallbacks"]["zstandard"] == f"zstandard {zstandard.__version__}"


def test_build_features_match_expectation() -> None:
    """.ci/run builds once with every codec library and once with all switched off
    (TURBOAVRO_WITH_*=0); it sets TURBOAVRO_EXPECT_NATIVE_CODECS to say which build this is."""
    expect = os.environ.get("TURBOAVRO_EXPECT_NATIVE_CODECS")
    if expect is None:
        pytest.skip("TURBOAVRO_EXPECT_NATIVE_CODECS not set (set by .ci/run)")
    f = turboavro.build_features()
    if expect == "all":
        assert all(f["compile_flags"].values()), f["compile_flags"]
        assert all(f["native"].values()), f["native"]
        assert all(c.native for c in map(get_codec, CODEC_NAMES))
    elif expect == "none":
        assert not any(f["compile_flags"].values()), f["compile_flags"]
        assert not any(f["native"].values()), f["native"]
        assert tc._NATIVE_CODECS == {"null"}
        assert all(f["codecs"].values())  # every codec still works through its fallback
        assert f["crc32"] == "builtin"
    else:
        raise AssertionError(f"TURBOAVRO_EXPECT_NATIVE_CODECS={expect!r}: use all or none")


# --------------------------------------------------------------------------------------
# build switches (setup.py's library probing, run without building anything)


def _setup_probing(monkeypatch: pytest.MonkeyPatch, found: set[str] | None = None) -> dict:
    """setup.py's probing functions, loaded without running setup(). With ``found``, the
    compiler and pkg-config are replaced by a fake that finds exactly those headers."""
    path = Path(__file__).resolve().parent.parent / "setup.py"
    if not path.is_file():
        pytest.skip("setup.py is not beside the tests (installed test run)")
    src = path.read_text()
    ns: dict = {"__file__": str(path), "__name__": "turboavro_setup_probe"}
    exec(compile(src[: src.index("\ndef extensions(")], str(path), "exec"), ns)
    for key in ns["CODEC_LIBRARIES"]:
        monkeypatch.delenv(f"TURBOAVRO_WITH_{key}", raising=False)
        monkeypatch.delenv(f"TURBOAVRO_{key}_PREFIX", raising=False)
    if found is not None:
        ns["pkg_config"] = lambda package: None
        ns["try_link"] = lambda header, *args: header in found
    return ns


ALL_HEADERS = {"libdeflate.h", "zlib.h", "zstd.h", "snappy-c.h", "lzma.h", "bzlib.h"}


def _macros(cfg: dict) -> set[str]:
    return {name for name, _ in cfg["_blocks"]["define_macros"] if name.startswith("TA_HAVE_")}


def test_build_switch_auto_and_off(monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    ns = _setup_probing(monkeypatch, found=ALL_HEADERS - {"snappy-c.h"})
    monkeypatch.setenv("TURBOAVRO_WITH_ZSTD", "0")
    monkeypatch.setenv("TURBOAVRO_WITH_LZMA", "auto")
    cfg = ns["native_config"]()
    assert _macros(cfg) == {"TA_HAVE_LIBDEFLATE", "TA_HAVE_ZLIB", "TA_HAVE_LZMA", "TA_HAVE_BZ2"}
    assert {"deflate", "z", "lzma", "bz2"} <= set(cfg["_blocks"]["libraries"])
    assert "zstd" not in cfg["_blocks"]["libraries"]
    out = capsys.readouterr().out
    assert "libzstd: disabled (TURBOAVRO_WITH_ZSTD=0)" in out
    assert "snappy: not found" in out
    assert out.count("turboavro build: ") == 6  # one line per library


def test_build_switch_required_but_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    ns = _setup_probing(monkeypatch, found=ALL_HEADERS - {"snappy-c.h"})
    monkeypatch.setenv("TURBOAVRO_WITH_SNAPPY", "1")
    with pytest.raises(SystemExit, match="TURBOAVRO_WITH_SNAPPY=1 but snappy was not found"):
        ns["native_config"]()


@pytest.mark.parametrize("value", ["maybe", "2", "yes please"])
def test_build_switch_bad_value(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    ns = _setup_probing(monkeypatch, found=ALL_HEADERS)
    monkeypatch.setenv("TURBOAVRO_WITH_BZ2", value)
    with pytest.raises(SystemExit, match="TURBOAVRO_WITH_BZ2"):
        ns["native_config"]()


def test_build_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ns = _setup_probing(monkeypatch, found=ALL_HEADERS)
    # a prefix without the header is a configuration error, not "absent"
    monkeypatch.setenv("TURBOAVRO_ZSTD_PREFIX", str(tmp_path))
    with pytest.raises(SystemExit, match="TURBOAVRO_ZSTD_PREFIX"):
        ns["native_config"]()
    (tmp_path / "include").mkdir()
    (tmp_path / "include" / "zstd.h").write_text("")
    (tmp_path / "lib").mkdir()
    ns = _setup_probing(monkeypatch, found=ALL_HEADERS)
    monkeypatch.setenv("TURBOAVRO_ZSTD_PREFIX", str(tmp_path))
    blocks = ns["native_config"]()["_blocks"]
    assert str(tmp_path / "include") in blocks["include_dirs"]
    assert str(tmp_path / "lib") in blocks["library_dirs"]
    assert "TA_HAVE_ZSTD" in _macros({"_blocks": blocks})


@pytest.mark.needs_compiler
def test_build_probe_matches_this_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real probe (compiler, pkg-config), under the environment this package was built
    with, finds exactly the libraries compiled in. Only meaningful where that environment is
    known to be the build's: .ci/run sets TURBOAVRO_EXPECT_NATIVE_CODECS there."""
    if os.environ.get("TURBOAVRO_EXPECT_NATIVE_CODECS") is None:
        pytest.skip("build environment unknown (set by .ci/run)")
    path = Path(__file__).resolve().parent.parent / "setup.py"
    if not path.is_file():
        pytest.skip("setup.py is not beside the tests (installed test run)")
    src = path.read_text()
    ns: dict = {"__file__": str(path), "__name__": "turboavro_setup_probe"}
    exec(compile(src[: src.index("\ndef extensions(")], str(path), "exec"), ns)
    macros = _macros(ns["native_config"]())
    flags = turboavro.build_features()["compile_flags"]
    assert macros == {name for name, on in flags.items() if on}
