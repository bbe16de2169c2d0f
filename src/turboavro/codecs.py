"""Avro block codecs (Avro specification, Required Codecs and Optional Codecs).

``get_codec(name)`` returns a :class:`Codec` for one of :data:`CODEC_NAMES`. Each codec runs
natively (``turboavro._kernels._blocks`` over libdeflate/zlib, libzstd, snappy, libbz2 and
liblzma) when its library was found at build time, else through a Python package:

=========== ============================ ===================================== =========
codec       native library               Python fallback                       levels
=========== ============================ ===================================== =========
null        (none needed)                —                                     —
deflate     libdeflate, else zlib        stdlib ``zlib`` (``wbits=-15``)       0–9 (6); libdeflate 0–12
snappy      snappy (+ CRC-32)            ``cramjam`` (``pip install cramjam``) —
bzip2       libbz2                       stdlib ``bz2``                        1–9 (9)
xz          liblzma                      stdlib ``lzma``                       0–9 (6)
zstandard   libzstd                      ``zstandard``                         1–22 (3)
=========== ============================ ===================================== =========

Default levels (in parentheses) are those of Java's Avro codecs, which fastavro follows:
deflate 6 (zlib's default), bzip2 9, xz 6, zstandard 3.

Decompression always takes ``max_size``, the largest output accepted: a block that would
decompress to more raises :class:`CodecError` without the memory ever being allocated, so a
small hostile block cannot exhaust memory (a "decompression bomb").
"""
from __future__ import annotations

import binascii
import collections
import concurrent.futures
import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeAlias

from . import limits as _limits
from .errors import CodecError, CodecUnavailableError

try:
    from ._kernels import _blocks
except ImportError:  # pragma: no cover - only a broken install lacks the extension
    _blocks = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from ._kernels._blocks import BlockBuffer, CodecPool
else:
    BlockBuffer = _blocks.BlockBuffer if _blocks is not None else None

__all__ = ["CODEC_NAMES", "NONSTANDARD_CODECS", "BlockBuffer", "Codec", "get_codec", "available_codecs"]

#: The codec names of the Avro specification (Required Codecs, Optional Codecs), exact and case-sensitive.
CODEC_NAMES = ("null", "deflate", "snappy", "bzip2", "xz", "zstandard")

#: Codecs outside the specification that other Avro libraries write and turboavro reads and
#: writes too: ``lz4`` (fastavro's: an LZ4 block with its 4-byte little-endian size prefix,
#: the ``lz4`` package's ``lz4.block`` format; needs ``pip install lz4``). Files using them
#: are unreadable by the Java and C implementations.
NONSTANDARD_CODECS = ("lz4",)

BytesLike: TypeAlias = bytes | bytearray | memoryview

# Codecs compiled into this build (the null codec needs no library).
_NATIVE_CODECS: set[str] = (
    {name for name, cid in _blocks.CODEC_IDS.items() if _blocks.available(cid)}
    if _blocks is not None
    else {"null"}
)

# Native library keys (as in _blocks.library_versions() and the TURBOAVRO_WITH_* switches)
# and the names they are known by.
LIBRARY_NAMES = {"libdeflate": "libdeflate", "zlib": "zlib", "zstd": "libzstd",
                 "snappy": "snappy", "lzma": "liblzma", "bz2": "libbz2"}
_CODEC_LIBRARY = {"snappy": "snappy", "bzip2": "bz2", "xz": "lzma", "zstandard": "zstd"}

# name -> (Python module of the fallback, how to get the codec when it is missing)
_FALLBACK_MODULES = {
    "deflate": ("zlib", "a Python built with zlib, or build turboavro with libdeflate-dev "
                        "or zlib1g-dev"),
    "snappy": ("cramjam", "`pip install cramjam`, or build turboavro with libsnappy-dev"),
    "bzip2": ("bz2", "a Python built with bz2, or build turboavro with libbz2-dev"),
    "xz": ("lzma", "a Python built with lzma, or build turboavro with liblzma-dev"),
    "zstandard": ("zstandard", "`pip install zstandard`, or build turboavro with libzstd-dev"),
    "lz4": ("lz4.block", "`pip install lz4` (lz4 is a non-standard codec)"),
}

# Codecs whose blocks readers decompress on several threads by default (Codec.parallel_blocks;
# Reader's decompress_threads): those whose decompression is a good part of the read, so
# several blocks at once pay for the hand-over to the native threads. Measured (list(Reader),
# 2 vCPUs, 06:06 UTC Dec 5, min of 7, inline -> 2 threads): deflate flat 109 -> 99 ms, mixed
# 352 -> 314 ms; zstandard flat 99 -> 95, mixed 357 -> 326; snappy flat 100 -> 100, mixed
# 351 -> 344 and, in 16,000-byte blocks, 44 -> 49 ms flat (slower: it stays inline).
_PARALLEL_BLOCKS = frozenset({"deflate", "zstandard", "bzip2", "xz"})
# ... and when a Python package decompresses (its threads hand blocks over through the GIL:
# measured 6-23% slower for deflate, zstandard and snappy, 2 vCPUs, 03:57 UTC Dec 5)
_PARALLEL_BLOCKS_FALLBACK = frozenset({"bzip2", "xz"})
# Codecs whose blocks writers compress on one thread per CPU by default
# (Codec.parallel_compression; Writer's compress_threads), where the others get one thread
# overlapping the encoding: compression costs several times the encoding. Measured with the
# native compression threads (200,000 mixed records, 64,000-byte blocks, 2 vCPUs, 05:48 UTC
# Dec 5): deflate 416 ms on one thread, 321 ms on two; zstandard 164 / 173 ms and snappy
# 174 / 187 ms (their compression is cheaper than the encoding; one thread still beats
# compressing inline: 304 and 212 ms).
_PARALLEL_COMPRESSION = frozenset({"deflate", "bzip2", "xz"})

# The dictionary size of each xz preset 0-9 (liblzma's presets).
_XZ_PRESET_DICT = (1 << 18, 1 << 20, 1 << 21, 1 << 22, 1 << 22, 1 << 23, 1 << 23, 1 << 24,
                   1 << 25, 1 << 26)

# Largest decoder memory the xz fallback may use (the native codec's cap, ta_codecs.c).
_XZ_MEMLIMIT = 128 << 20
# An honest snappy block expands at most 64/3 times (see ta_codecs.c, TA_SNAPPY_MAX_RATIO).
_SNAPPY_MAX_RATIO = 22


class Codec:
    """One Avro block codec. Get instances from :func:`get_codec`.

    ``name`` is the Avro codec name, ``native`` says whether the compiled kernel runs it
    (else a Python package does), ``implementation`` names what runs it (``"libdeflate
    1.14"``, ``"python zlib"``, ``"cramjam 2.14.0"``), ``levels`` is ``(min, max, default)``
    or None for codecs without levels. ``native_id`` is the kernel's codec id (``0`` for
    null) for kernels that decompress blocks themselves, None for Python fallbacks.
    """

    name: str
    native: bool
    native_id: int | None = None
    implementation: str
    levels: tuple[int, int, int] | None

    def __repr__(self) -> str:
        return f"<Codec {self.name} ({self.implementation})>"

    @property
    def parallel_blocks(self) -> bool:
        """Whether readers decompress this codec's blocks on several threads by default
        (:class:`~turboavro.Reader` ``decompress_threads``): for the codecs whose
        decompression is a good part of the read (deflate, zstandard, bzip2, xz; only bzip2
        and xz when a Python package decompresses them)."""
        return self.name in (_PARALLEL_BLOCKS if self.native else _PARALLEL_BLOCKS_FALLBACK)

    @property
    def parallel_compression(self) -> bool:
        """Whether writers compress this codec's blocks on one thread per CPU by default
        (:class:`~turboavro.Writer` ``compress_threads``) rather than on one thread
        overlapping the encoding: for the codecs whose compression costs several times the
        encoding (deflate, bzip2, xz)."""
        return self.name in _PARALLEL_COMPRESSION

    def check_level(self, level: int | None) -> int:
        """The level to use for ``level`` (None = the default); CodecError if out of range."""
        if self.levels is None:
            if level is not None:
                raise CodecError(f"{self.name}: this codec has no compression levels")
            return 0
        lo, hi, default = self.levels
        if level is None:
            return default
        if isinstance(level, bool) or not isinstance(level, int) or not lo <= level <= hi:
            raise CodecError(
                f"{self.name}: compression level {level!r} is out of range {lo}..{hi} "
                f"({self.implementation})")
        return level

    def compress(self, data: BytesLike, level: int | None = None) -> bytes:
        """Compress one block; ``level`` None means the codec's default."""
        raise NotImplementedError

    def compress_with(self, data: BytesLike, level: int | None, ctx: BlockBuffer) -> bytes:
        """:meth:`compress` reusing the library contexts of ``ctx`` where the codec runs
        natively (for writers that compress block after block); ``ctx``'s contents are
        overwritten."""
        return self.compress(data, level)

    def codec_pool(self, threads: int, capacity: int) -> CodecPool | _PythonCodecPool:
        """Threads that compress or decompress this codec's blocks while the caller goes on,
        at most ``capacity`` blocks pending: :meth:`submit` / :meth:`submit_decompress`
        blocks to it, take the results back in order with its ``take()`` (``head_done()``
        says whether the oldest is finished; ``close()`` stops the threads). A native codec
        gets a ``_blocks.CodecPool`` (C threads that never take the GIL); the others a
        thread pool calling :meth:`compress` / :meth:`decompress`."""
        return _PythonCodecPool(threads, capacity)

    def submit(self, pool: Any, data: bytes, level: int | None) -> None:
        """Queue ``data``'s compression at ``level`` (None: the default) on ``pool`` (from
        :meth:`codec_pool`); a failure, a level out of range included, is raised by
        ``pool.take()``."""
        pool.submit_call(self.compress, data, level)

    def submit_decompress(self, pool: Any, data: BytesLike, max_size: int) -> None:
        """Queue the decompression of block ``data`` (at most ``max_size`` bytes out) on
        ``pool``; its failure is raised by ``pool.take()``."""
        pool.submit_call(self.decompress, data, max_size)

    def decompress(self, data: BytesLike, max_size: int) -> bytes:
        """Decompress one block. CodecError if it is corrupt (or fails its checksum) or would
        decompress to more than ``max_size`` bytes."""
        raise NotImplementedError

    def decompress_into(self, data: BytesLike, max_size: int, out: BlockBuffer) -> Any:
        """Like :meth:`decompress`, reusing ``out`` (a :class:`BlockBuffer`) for the output
        where the codec runs natively. Returns a bytes-like object holding the block: ``out``
        itself, or for Python fallbacks and the null codec a separate bytes-like. Views of
        ``out`` must be released before the next call with it."""
        return self.decompress(data, max_size)


def _check_max_size(max_size: int) -> int:
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 0:
        raise CodecError(f"max_size must be a non-negative int, not {max_size!r}")
    return max_size


def _cap(data: BytesLike, max_size: int) -> int:
    """The output limit of a compressed block: ``max_size``, lowered by the expansion bound
    (limits.max_expansion_ratio, the same rule as the native codecs)."""
    return _limits.expansion_cap(len(data), _check_max_size(max_size))


def _limit_error(name: str, limit: int, max_size: int | None = None, stored: int = 0) -> CodecError:
    if max_size is not None and limit < max_size:
        return CodecError(f"{name}: " + _limits.exceeded(
            "max_expansion_ratio",
            f"a block of {stored} compressed bytes decompressing to more than {limit} bytes"))
    return CodecError(f"{name}: decompressed block is larger than the limit of {limit} bytes")


class _NullCodec(Codec):
    # Avro specification, Required Codecs: data as is.
    name = "null"
    native = True
    native_id = 0
    implementation = "builtin"
    levels = None

    def compress(self, data: BytesLike, level: int | None = None) -> bytes:
        self.check_level(level)
        return bytes(data)

    def decompress(self, data: BytesLike, max_size: int) -> bytes:
        if len(data) > _check_max_size(max_size):
            raise _limit_error(self.name, max_size)
        return bytes(data)

    def decompress_into(self, data: BytesLike, max_size: int, out: BlockBuffer) -> Any:
        # no copy: the block is its own output
        if len(data) > _check_max_size(max_size):
            raise _limit_error(self.name, max_size)
        return data


class _PythonCodecPool:
    """The interface of ``_blocks.CodecPool`` over a thread pool, for codecs that Python
    packages run (their compression libraries release the GIL, or not): calls queued with
    ``submit_call``, results taken back in submission order. One owner thread."""

    def __init__(self, threads: int, capacity: int) -> None:
        if threads < 1 or capacity < 1:
            raise ValueError("a codec pool needs threads >= 1 and capacity >= 1")
        self.threads = threads
        self.capacity = capacity
        self._pool: concurrent.futures.ThreadPoolExecutor | None = (
            concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="turboavro-codec"))
        self._pending: collections.deque[concurrent.futures.Future[bytes]] = collections.deque()

    def __len__(self) -> int:
        return len(self._pending)

    def submit_call(self, fn: Any, data: Any, arg: Any) -> None:
        if self._pool is None:
            raise ValueError("the codec pool is closed")
        if len(self._pending) >= self.capacity:
            raise ValueError(f"the codec pool already holds {self.capacity} blocks")
        self._pending.append(self._pool.submit(fn, data, arg))

    def head_done(self) -> bool:
        return bool(self._pending) and self._pending[0].done()

    def take(self) -> bytes:
        if self._pool is None:
            raise ValueError("the codec pool is closed")
        if not self._pending:
            raise IndexError("no block is pending")
        future = self._pending[0]
        try:
            return future.result()  # an interrupt while waiting leaves the block pending
        finally:
            if future.done():
                self._pending.popleft()

    def close(self) -> None:
        pool, self._pool = self._pool, None
        self._pending.clear()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class _NativeCodec(Codec):
    native = True

    def __init__(self, name: str, codec_id: int) -> None:
        assert _blocks is not None
        self.name = name
        self.native_id: int = codec_id
        self.levels = _blocks.levels(codec_id)
        versions = _blocks.library_versions()
        if codec_id == _blocks.DEFLATE_ZLIB:
            lib = "zlib"
        elif name == "deflate":
            lib = "libdeflate" if versions["libdeflate"] else "zlib"
        else:
            lib = _CODEC_LIBRARY[name]
        self.implementation = f"{LIBRARY_NAMES[lib]} {versions[lib]}"

    def compress(self, data: BytesLike, level: int | None = None) -> bytes:
        return _blocks.compress(self.native_id, data, self.check_level(level))

    def compress_with(self, data: BytesLike, level: int | None, ctx: BlockBuffer) -> bytes:
        return _blocks.compress(self.native_id, data, self.check_level(level), ctx)

    def codec_pool(self, threads: int, capacity: int) -> CodecPool:
        assert _blocks is not None
        return _blocks.CodecPool(threads, capacity)

    def submit(self, pool: Any, data: bytes, level: int | None) -> None:
        if level is None:
            level = self.levels[2] if self.levels else 0
        pool.submit(self.native_id, data, level)

    def submit_decompress(self, pool: Any, data: BytesLike, max_size: int) -> None:
        pool.submit_decompress(self.native_id, data, _check_max_size(max_size))

    def decompress(self, data: BytesLike, max_size: int) -> bytes:
        return _blocks.decompress(self.native_id, data, _check_max_size(max_size))

    def decompress_into(self, data: BytesLike, max_size: int, out: BlockBuffer) -> Any:
        return _blocks.decompress(self.native_id, data, _check_max_size(max_size), out)


# ---------------------------------------------------------------------------------------
# Python fallbacks. Each decodes with the same contract as the native codec: same accepted
# inputs (concatenated bzip2/xz/zstd streams, ignored trailing bytes after deflate, bzip2
# and xz streams), the same max_size guarantee (output is produced in bounded steps), and
# CodecError for everything the data can get wrong.


class _PythonCodec(Codec):
    native = False

    def __init__(self, module: ModuleType) -> None:
        self._mod = module
        if module.__name__ in ("zlib", "bz2", "lzma"):
            self.implementation = f"python {module.__name__}"  # the standard library
        else:
            self.implementation = f"{module.__name__} {getattr(module, '__version__', '?')}"


class _ZlibCodec(_PythonCodec):
    # Avro specification, Required Codecs: raw deflate, wbits=-15.
    name = "deflate"
    levels = (0, 9, 6)

    def compress(self, data: BytesLike, level: int | None = None) -> bytes:
        c = self._mod.compressobj(self.check_level(level), self._mod.DEFLATED, -15)
        return c.compress(data) + c.flush()

    def decompress(self, data: BytesLike, max_size: int) -> bytes:
        limit = _cap(data, max_size)
        d = self._mod.decompressobj(-15)
        try:
            out = d.decompress(data, limit + 1)
        except self._mod.error as e:
            raise CodecError(f"deflate: corrupt compressed data ({e})") from None
        if len(out) > limit:
            raise _limit_error(self.name, limit, max_size, len(data))
        if not d.eof:
            raise CodecError("deflate: corrupt compressed data (truncated: no final block)")
        return out


def _multi_stream(name: str, make: Any, errors: Any, data: BytesLike, max_size: int,
                  magic: bytes, skip_zeros: bool) -> bytes:
    """Decode concatenated bzip2/xz streams with Python's incremental decompressors."""
    limit = _cap(data, max_size)
    if len(data) == 0:
        raise CodecError(f"{name}: corrupt compressed data (empty block)")
    out = bytearray()
    rest = bytes(data)
    while True:
        d = make()
        try:
            out += d.decompress(rest, limit + 1 - len(out))
        except errors as e:
            raise CodecError(f"{name}: corrupt compressed data ({e})") from None
        if len(out) > limit:
            raise _limit_error(name, limit, max_size, len(data))
        if not d.eof:
            raise CodecError(f"{name}: corrupt compressed data (truncated stream)")
        rest = d.unused_data
        if skip_zeros:
            rest = rest.lstrip(b"\0")  # xz stream padding between streams
        if not rest.startswith(magic):
            return bytes(out)  # trailing bytes that start no stream are ignored


class _Bz2Codec(_PythonCodec):
    # Avro specification, Optional Codecs
    name = "bzip2"
    levels = (1, 9, 9)

    def compress(self, data: BytesLike, level: int | None = None) -> bytes:
        return self._mod.compress(data, self.check_level(level))

    def decompress(self, data: BytesLike, max_size: int) -> bytes:
        return _multi_stream(self.name, self._mod.BZ2Decompressor, OSError, data, max_size,
                             b"BZh", skip_zeros=False)


class _LzmaCodec(_PythonCodec):
    # Avro specification, Optional Codecs: .xz container, CRC-64 check like Java's XZCodec.
    name = "xz"
    levels = (0, 9, 6)

    def compress(self, data: BytesLike, level: int | None = None) -> bytes:
        # the preset with the dictionary no larger than the block, as the native codec does
        # (ta_codecs.c, ta_xz_compress: same compressed data, a fraction of the set-up cost)
        m = self._mod
        size = memoryview(data).nbytes
        lzma2: dict[str, Any] = {"id": m.FILTER_LZMA2, "preset": self.check_level(level)}
        if size < _XZ_PRESET_DICT[lzma2["preset"]]:
            lzma2["dict_size"] = max(size, 4096)
        return m.compress(data, format=m.FORMAT_XZ, check=m.CHECK_CRC64, filters=[lzma2])

    def decompress(self, data: BytesLike, max_size: int) -> bytes:
        m = self._mod

        def make() -> Any:
            return m.LZMADecompressor(format=m.FORMAT_XZ, memlimit=_XZ_MEMLIMIT)

        return _multi_stream(self.name, make, m.LZMAError, data, max_size,
                             b"\xfd7zXZ\x00", skip_zeros=True)


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Unsigned little-endian base-128 varint (snappy's length header)."""
    value = shift = 0
    while pos < len(buf) and shift < 35:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
    raise CodecError("snappy: corrupt compressed data (invalid length header)")


class _CramjamSnappyCodec(_PythonCodec):
    # Avro specification, Optional Codecs: raw snappy block + big-endian CRC-32 of the uncompressed data.
    name = "snappy"
    levels = None

    def compress(self, data: BytesLike, level: int | None = None) -> bytes:
        self.check_level(level)
        body = bytes(self._mod.snappy.compress_raw(bytes(data)))
        return body + (binascii.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")

    def decompress(self, data: BytesLike, max_size: int) -> bytes:
        limit = _cap(data, max_size)
        raw = bytes(data)
        if len(raw) < 4:
            raise CodecError("snappy: corrupt compressed data (block shorter than its CRC-32)")
        body = raw[:-4]
        length, _ = _read_varint(body, 0)
        if length // _SNAPPY_MAX_RATIO > len(body):
            raise CodecError("snappy: corrupt compressed data (length header larger than the "
                             "block can hold)")
        if length > limit:
            raise _limit_error(self.name, limit, max_size, len(raw))
        try:
            out = bytes(self._mod.snappy.decompress_raw(body))
        except Exception as e:  # cramjam raises its own DecompressionError
            raise CodecError(f"snappy: corrupt compressed data ({e})") from None
        if len(out) != length:
            raise CodecError("snappy: corrupt compressed data (length mismatch)")
        stored = int.from_bytes(raw[-4:], "big")
        computed = binascii.crc32(out) & 0xFFFFFFFF
        if stored != computed:
            raise CodecError(
                f"snappy: CRC-32 of the uncompressed data does not match: stored "
                f"0x{stored:08x}, computed 0x{computed:08x}")
        return out


def _zstd_frames_complete(buf: bytes) -> None:
    """Walk the zstd frames (RFC 8878 §3.1) to prove none is truncated: the zstandard
    package's streaming reader returns a short result instead of failing on a cut frame."""
    pos, n = 0, len(buf)
    if n == 0:
        raise CodecError("zstandard: corrupt compressed data (empty block)")
    while pos < n:
        if n - pos < 4:
            raise CodecError("zstandard: corrupt compressed data (truncated frame)")
        magic = int.from_bytes(buf[pos:pos + 4], "little")
        if magic & 0xFFFFFFF0 == 0x184D2A50:  # skippable frame
            if n - pos < 8:
                raise CodecError("zstandard: corrupt compressed data (truncated frame)")
            pos += 8 + int.from_bytes(buf[pos + 4:pos + 8], "little")
            continue
        if magic != 0xFD2FB528:
            raise CodecError("zstandard: corrupt compressed data (unknown frame magic)")
        if n - pos < 5:
            raise CodecError("zstandard: corrupt compressed data (truncated frame)")
        fhd = buf[pos + 4]
        single = fhd >> 5 & 1
        fcs = (1 if single else 0, 2, 4, 8)[fhd >> 6]
        pos += 5 + (0 if single else 1) + (0, 1, 2, 4)[fhd & 3] + fcs
        while True:
            if n - pos < 3:
                raise CodecError("zstandard: corrupt compressed data (truncated frame)")
            header = int.from_bytes(buf[pos:pos + 3], "little")
            kind, size = header >> 1 & 3, header >> 3
            pos += 3 + (1 if kind == 1 else size)
            if header & 1:
                break
        pos += 4 if fhd & 4 else 0  # content checksum
        if pos > n:
            raise CodecError("zstandard: corrupt compressed data (truncated frame)")


class _ZstandardCodec(_PythonCodec):
    # Avro specification, Optional Codecs: frames with or without a content size, possibly concatenated.
    name = "zstandard"
    levels = (1, 22, 3)

    def compress(self, data: BytesLike, level: int | None = None) -> bytes:
        return self._mod.ZstdCompressor(level=self.check_level(level)).compress(data)

    def decompress(self, data: BytesLike, max_size: int) -> bytes:
        limit = _cap(data, max_size)
        raw = bytes(data)
        _zstd_frames_complete(raw)
        out = bytearray()
        try:
            reader = self._mod.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
            while True:
                # bounded steps: never more than max_size + 64 KiB held
                chunk = reader.read(min(limit + 1 - len(out), 1 << 16) or 1)
                if not chunk:
                    break
                out += chunk
                if len(out) > limit:
                    raise _limit_error(self.name, limit, max_size, len(raw))
        except self._mod.ZstdError as e:
            raise CodecError(f"zstandard: corrupt compressed data ({e})") from None
        return bytes(out)


class _Lz4Codec(_PythonCodec):
    """fastavro's non-standard ``lz4`` codec: ``lz4.block`` with the stored size prefix."""

    name = "lz4"
    levels = (0, 16, 0)

    def __init__(self, module: ModuleType) -> None:
        super().__init__(module)
        import lz4

        self.implementation = f"lz4 {getattr(lz4, '__version__', '?')}"

    def compress(self, data: BytesLike, level: int | None = None) -> bytes:
        level = self.check_level(level)
        if level:
            return bytes(self._mod.compress(data, mode="high_compression", compression=level))
        return bytes(self._mod.compress(data))

    def decompress(self, data: BytesLike, max_size: int) -> bytes:
        _check_max_size(max_size)
        data = bytes(data)
        if len(data) < 4:
            raise CodecError(f"lz4: block of {len(data)} bytes has no size prefix")
        size = int.from_bytes(data[:4], "little")
        if size > max_size:
            raise _limit_error("lz4", max_size)
        try:
            out = self._mod.decompress(data)
        except Exception as e:  # lz4.block.LZ4BlockError derives from Exception only
            raise CodecError(f"lz4: corrupt block: {e}") from None
        return bytes(out)


_FALLBACK_CLASSES: dict[str, type[_PythonCodec]] = {
    "deflate": _ZlibCodec,
    "snappy": _CramjamSnappyCodec,
    "bzip2": _Bz2Codec,
    "xz": _LzmaCodec,
    "zstandard": _ZstandardCodec,
    "lz4": _Lz4Codec,
}

# (name, native) -> Codec; codecs are stateless, so one instance serves every caller
_CACHE: dict[tuple[str, bool | None], Codec] = {}


def _import_fallback(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(_FALLBACK_MODULES[name][0])
    except ImportError:
        return None


def get_codec(name: str, native: bool | None = None, *, nonstandard: bool = False) -> Codec:
    """The codec called ``name`` (one of :data:`CODEC_NAMES`; with ``nonstandard=True``, also
    one of :data:`NONSTANDARD_CODECS`, which readers and writers of the plain API refuse).

    ``native`` None picks the compiled codec when this build has it, else the Python
    fallback; True insists on the compiled one, False on the fallback. Raises CodecError for
    an unknown name and CodecUnavailableError (a CodecError) when nothing provides the codec,
    naming what to install.
    """
    if name in NONSTANDARD_CODECS and not nonstandard:
        raise CodecError(
            f"unknown codec {name!r}; Avro codecs are {', '.join(CODEC_NAMES)} ({name!r} is "
            "a non-standard codec that only turboavro.fastavro reads and writes)")
    key = (name, native)
    codec = _CACHE.get(key)
    if codec is not None:
        return codec
    if name not in CODEC_NAMES and name not in NONSTANDARD_CODECS:
        raise CodecError(f"unknown codec {name!r}; Avro codecs are {', '.join(CODEC_NAMES)}")
    if name == "null":
        codec = _NullCodec()
    elif native is not False and name in _NATIVE_CODECS:
        assert _blocks is not None
        codec = _NativeCodec(name, _blocks.CODEC_IDS[name])
    elif native is True:
        raise CodecUnavailableError(
            f"codec {name!r} was not compiled into this build of turboavro "
            f"(build it with the library installed: {_FALLBACK_MODULES[name][1]})")
    else:
        module = _import_fallback(name)
        if module is None:
            raise CodecUnavailableError(
                f"codec {name!r} is unavailable: this build has no native {name} and the "
                f"Python module {_FALLBACK_MODULES[name][0]!r} cannot be imported; install "
                f"{_FALLBACK_MODULES[name][1]}")
        codec = _FALLBACK_CLASSES[name](module)
    _CACHE[key] = codec
    return codec


def _native_zlib_deflate() -> Codec | None:
    """The native deflate codec forced onto zlib (None unless this build has zlib): lets
    tests and benchmarks exercise the zlib path of builds that prefer libdeflate."""
    if _blocks is None or not _blocks.available(_blocks.DEFLATE_ZLIB):
        return None
    return _NativeCodec("deflate", _blocks.DEFLATE_ZLIB)


def available_codecs() -> dict[str, str | None]:
    """Each codec name mapped to what would run it (``"libzstd 1.5.4"``, ``"cramjam
    2.14.0"``, ...), or None when it is unavailable."""
    result: dict[str, str | None] = {}
    for name in CODEC_NAMES:
        try:
            result[name] = get_codec(name).implementation
        except CodecUnavailableError:
            result[name] = None
    return result
