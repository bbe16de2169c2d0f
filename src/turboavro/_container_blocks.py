"""The block layer of object container files (Avro specification, "Object Container Files"):
the byte source a reader reads through, the framer that finds, checks and decompresses
blocks (resyncing past damage in skip mode), and the block records they yield. ``Reader``
(``container``) reads records from it; the columnar reader reads its block tables."""
from __future__ import annotations

import collections
import io
import os
import struct
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import IO, Any, NamedTuple

from . import limits as _limits
from .codecs import _blocks
from .errors import (
    CodecError,
    CorruptFileError,
    _block_codec_error,
    _cut_block_error,
)

SYNC_SIZE = 16


_CHUNK = 1 << 20  # read granularity of the byte source


_FIRST_CHUNK = 64 << 10  # the first read: most headers fit, and whole-file readers read on


_MAX_READ = 16 << 20  # one read() call never asks for more, so a lying size cannot allocate


# A block table row (_blocks.TABLE_FIELDS): count, offset, size, data_offset, start.
_NFIELDS = len(_blocks.TABLE_FIELDS) if _blocks is not None else 5


_ROW = struct.Struct("=5q")


@dataclass(frozen=True, slots=True)
class Block:
    """A data block: ``count`` records, at file ``offset`` (the count varint), ``size`` bytes
    of compressed data starting at ``data_offset``; ``data`` is the decompressed payload."""

    count: int
    offset: int
    size: int
    data: Any  # bytes-like
    data_offset: int


@dataclass(frozen=True, slots=True)
class RawBlock:
    """A data block as stored: ``data`` is still compressed (``size`` bytes)."""

    count: int
    offset: int
    size: int
    data: Any  # bytes-like
    data_offset: int


class Skip(NamedTuple):
    """A byte range ``[start, end)`` that a reader skipped, and why."""

    start: int
    end: int
    reason: str


class _Source:
    """Buffered reader over any binary file object, seekable or not.

    ``buf[pos:]`` are bytes not yet consumed; ``base`` is the file offset of ``buf[0]``.
    Bytes from ``mark`` on are kept in the buffer so that a reader can go back to the start
    of a bad block on a pipe (to search for the next sync marker)."""

    def __init__(self, fo: IO[bytes], origin: int) -> None:
        self.fo = fo
        self.buf = b""
        self.pos = 0
        self.base = origin
        self.mark = origin
        self.eof = False
        self.first = True  # the first read is a small one
        try:
            self.seekable = bool(fo.seekable())
        except (AttributeError, OSError, ValueError):
            self.seekable = False

    def tell(self) -> int:
        return self.base + self.pos

    def _fill(self, n: int) -> bool:
        """Make at least ``n`` unread bytes available; False if the stream ends first."""
        avail = len(self.buf) - self.pos
        if avail >= n:
            return True
        if self.eof:
            return False
        chunks = []
        while avail < n:
            step = min(_CHUNK, _FIRST_CHUNK) if self.first else _CHUNK
            self.first = False
            want = min(max(step, n - avail), _MAX_READ)
            chunk = self.fo.read(want)
            if not chunk:
                self.eof = True
                break
            chunks.append(chunk)
            avail += len(chunk)
        self._append(chunks)
        return avail >= n

    def _append(self, chunks: list[bytes]) -> None:
        """Drop what is consumed (before ``mark``) and add ``chunks`` to the buffer; a lone
        chunk after an exhausted buffer becomes the buffer without a copy."""
        keep = max(0, min(self.pos, self.mark - self.base))
        if keep == len(self.buf) and len(chunks) == 1:
            self.buf = chunks[0]
        else:
            self.buf = b"".join([self.buf[keep:], *chunks])
        self.base += keep
        self.pos -= keep

    def load_all(self, alloc: Any = None) -> None:
        """Read the rest of the stream into the buffer (for callers that hold the whole file
        anyway): one read for a seekable file, and no copy of what is already buffered.
        ``alloc(n, offset)``: a writable buffer of ``n`` bytes to read a plain file of known
        size into from ``offset`` (the columnar reader's reusable buffers)."""
        if self.eof:
            return
        if self.seekable:
            here = self.tell()
            try:
                self.fo.seek(here)
                rest = self._read_rest(here, alloc)
            except (OSError, ValueError):
                rest = None
            if rest is not None:
                self.buf, self.pos, self.base, self.mark, self.eof = rest, 0, here, here, True
                return
            self.fo.seek(self.base + len(self.buf))
        chunks = []
        while True:
            chunk = self.fo.read(_MAX_READ)
            if not chunk:
                break
            chunks.append(chunk)
        self.eof = True
        if chunks:
            self._append(chunks)

    def _read_rest(self, here: int, alloc: Any) -> Any:
        """Everything from ``here`` (the stream's position) to the end: into ``alloc``'s
        buffer when the file's size is known, else as bytes."""
        size = -1
        readinto = getattr(self.fo, "readinto", None)
        fd = _file_fd(self.fo)
        if alloc is not None and readinto is not None and fd is not None:
            try:
                size = os.fstat(fd).st_size - here
            except OSError:
                size = -1
        if size < 0 or readinto is None:
            return self.fo.read()
        view = memoryview(alloc(size, here)).cast("B")
        got = 0
        while got < size:
            n = readinto(view[got:])
            if not n:
                break
            got += n
        more = self.fo.read()  # a file that grew since its size was taken
        return b"".join([view[:got], more]) if more else view[:got]

    def at_end(self) -> bool:
        return not self._fill(1)

    def read(self, n: int) -> memoryview:
        """Up to ``n`` bytes (fewer only at the end of the stream), zero-copy."""
        self._fill(n)
        p = self.pos
        view = memoryview(self.buf)[p : p + n]
        self.pos = p + len(view)
        return view

    def read_long(self, what: str) -> int:
        """A zig-zag varint (Avro specification, Binary Encoding), at most 10 bytes."""
        start = self.tell()
        self._fill(10)
        buf, p = self.buf, self.pos
        if p >= len(buf):
            raise CorruptFileError(f"file ends where {what} should start", start)
        b = buf[p]
        if b < 0x80:  # the common case: one byte
            self.pos = p + 1
            return (b >> 1) ^ -(b & 1)
        value = 0
        shift = 0
        for i in range(10):
            if p + i >= len(buf):
                raise CorruptFileError(f"file ends inside {what}", start)
            b = buf[p + i]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                if value >> 64:
                    raise CorruptFileError(f"{what} does not fit 64 bits", start)
                self.pos = p + i + 1
                return (value >> 1) ^ -(value & 1)
            shift += 7
        raise CorruptFileError(f"{what} is a varint longer than 10 bytes", start)

    def seek(self, target: int) -> None:
        """Go to file offset ``target``: inside the buffer, forward by reading, or by seek()."""
        if self.base <= target <= self.base + len(self.buf):
            self.pos = target - self.base
            return
        if self.seekable:
            self.fo.seek(target)
            self.buf, self.pos, self.base, self.eof = b"", 0, target, False
            return
        if target < self.base:
            raise ValueError("cannot seek backwards in a non-seekable stream")
        while target > self.base + len(self.buf):
            self.pos = len(self.buf)  # drop what is buffered, read on
            self.mark = self.tell()
            if not self._fill(min(target - self.tell(), _MAX_READ)):
                self.pos = len(self.buf)
                return
        self.pos = target - self.base

    def find(self, marker: bytes) -> int:
        """Offset of the next occurrence of ``marker`` at or after the position (the position
        moves there), or -1 with the position at the end of the stream."""
        n = len(marker)
        while True:
            i = _find(self.buf, marker, self.pos)
            if i >= 0:
                self.pos = i
                return self.base + i
            # keep the last n-1 bytes: the marker may straddle two reads
            self.pos = max(self.pos, len(self.buf) - (n - 1))
            self.mark = self.tell()
            # one more read (a _CHUNK from a file; a ranged source may give less)
            if not self._fill(len(self.buf) - self.pos + 1):
                if _find(self.buf, marker, self.pos) < 0:
                    self.pos = len(self.buf)
                    return -1


def _file_fd(fo: Any) -> int | None:
    """The descriptor of the file whose bytes ``fo`` reads, or None: only a plain file
    (``FileIO``, or a buffered reader over one) reads its descriptor's bytes as they are;
    ``gzip``/``bz2`` files and other wrappers also answer ``fileno()``, with the descriptor
    of the compressed file underneath."""
    raw = fo.raw if isinstance(fo, (io.BufferedReader, io.BufferedRandom)) else fo
    if not isinstance(raw, io.FileIO):
        return None
    try:
        return raw.fileno()
    except (OSError, ValueError):
        return None


def _find(buf: Any, marker: bytes, start: int) -> int:
    """``buf.find(marker, start)`` for bytes and for the memoryviews of file buffers."""
    if isinstance(buf, bytes) or _blocks is None:
        return buf.find(marker, start)
    return _blocks.find(buf, marker, start)


class _Framer:
    """Finds, checks and decompresses blocks (Avro specification, Object Container Files). Holds no reference to
    its :class:`Reader`, so a read-ahead thread running it never keeps the reader alive."""

    def __init__(
        self,
        src: _Source,
        sync: bytes,
        codec: Any,
        header_size: int,
        size_limit: int | None,
        max_block: int,
        skip: bool,
        skipped: list[Skip],
        start: int | None,
        end: int | None,
    ) -> None:
        self.src = src
        self.sync = sync
        self.codec = codec
        self.size_limit = size_limit
        self.max_block = max_block
        self.skip = skip
        self.skipped = skipped
        self.end = end
        self.first_marker = 0  # the header plays the first block's sync marker
        if start:  # the first block whose marker starts at or after `start`
            src.seek(max(start, header_size))
            src.mark = src.tell()
            found = src.find(sync)
            if found < 0:
                self.first_marker = -1  # no block starts in this range
            else:
                src.pos += SYNC_SIZE
                self.first_marker = found

    def frames(self) -> Generator[RawBlock, None, None]:
        """Raw blocks in order; corruption raises or (skip mode) resyncs and records."""
        for buf, table in self.batches():
            view = memoryview(buf)
            rows = memoryview(table).cast("q").tolist()
            for i in range(0, len(rows), _NFIELDS):
                count, offset, size, data_offset, start = rows[i : i + _NFIELDS]
                yield RawBlock(count, offset, size, view[start : start + size], data_offset)

    def batches(self) -> Iterator[tuple[Any, bytes]]:
        """Blocks in order as ``(buffer, table)`` batches: ``table`` holds int64 rows of
        ``_blocks.TABLE_FIELDS`` (count, offset, size, data_offset, start) for blocks whose
        data is ``buffer[start : start + size]``.

        Intact blocks are framed natively, many per call, from whatever is buffered; the
        careful per-block path below takes over wherever the native scan stops (more data
        needed, a bad count or size, a sync marker mismatch, the end of the file), reads on,
        raises the precise error or (skip mode) resyncs, and yields one-block batches."""
        if self.first_marker < 0:
            return
        src = self.src
        sync = self.sync
        end = self.end
        max_block = self.max_block
        size_limit = self.size_limit
        marker_at = self.first_marker
        scan = _blocks.scan_blocks if _blocks is not None else None
        while True:
            if scan is not None and src.pos < len(src.buf):
                table, pos, marker_at = scan(
                    src.buf,
                    src.pos,
                    src.base,
                    sync,
                    max_block,
                    -1 if size_limit is None else size_limit,
                    -1 if end is None else end,
                    marker_at,
                )
                if table:
                    src.pos = pos
                    yield src.buf, table
            if end is not None and marker_at >= end:
                return
            offset = src.tell()
            src.mark = offset
            if src.at_end():
                return
            try:
                try:
                    count = src.read_long("a block's record count")
                    size = src.read_long("a block's byte size")
                except CorruptFileError:
                    rest = src.base + len(src.buf) - offset
                    if not src.eof or rest >= 2 + SYNC_SIZE:
                        raise
                    # bytes after the last sync marker, too few to frame a block
                    raise CorruptFileError(
                        f"{rest} trailing byte(s) after the last block that do not form a "
                        "block (truncated file or garbage)",
                        offset,
                    ) from None
                if count < 0:
                    raise CorruptFileError(f"negative block record count {count}", offset)
                if size < 0:
                    raise CorruptFileError(f"negative block size {size}", offset)
                if size > max_block:
                    raise CorruptFileError(
                        _limits.exceeded("max_block_size", f"block size {size}", max_block), offset
                    )
                data_offset = src.tell()
                if size_limit is not None and data_offset + size > size_limit:
                    raise CorruptFileError(
                        f"block size {size} reaches beyond the end of the file "
                        f"({size_limit} bytes)",
                        offset,
                    )
                data = src.read(size)
                if len(data) < size:
                    raise _cut_block_error(len(data), size, offset)
                tail = src.read(SYNC_SIZE)
            except CorruptFileError as e:
                if not self.resync(offset, e):
                    return
                marker_at = src.tell() - SYNC_SIZE
                continue
            single = (data, _ROW.pack(count, offset, size, data_offset, 0))
            if len(tail) < SYNC_SIZE:
                # A writer that died between data and marker: the data is whole, deliver it.
                yield single
                err = CorruptFileError(
                    "file ends inside the sync marker after the block at file offset "
                    f"{offset}",
                    data_offset + size,
                )
                if self.skip:
                    self.skipped.append(Skip(data_offset + size, src.tell(), str(err)))
                    return
                raise err
            if tail != sync:
                err = CorruptFileError(
                    "sync marker mismatch after the block at file offset "
                    f"{offset}: the block's size or the file is corrupt",
                    data_offset + size,
                )
                if not self.resync(offset, err):
                    return
                marker_at = src.tell() - SYNC_SIZE
                continue
            yield single
            marker_at = src.tell() - SYNC_SIZE

    def resync(self, offset: int, err: CorruptFileError) -> bool:
        """Skip mode: go to just after the next sync marker past ``offset`` and record the
        lost range; True if reading can go on. Raise mode: raise ``err``."""
        if not self.skip:
            raise err
        src = self.src
        src.seek(offset + 1)
        found = src.find(self.sync)
        if found < 0:
            self.skipped.append(Skip(offset, src.tell(), str(err)))
            return False
        src.pos += SYNC_SIZE
        self.skipped.append(Skip(offset, src.tell(), str(err)))
        return True

    def decompressed(self, threads: int = 0) -> Iterator[Block]:
        """Blocks in order with their data decompressed: inline, or with ``threads`` worker
        threads decompressing blocks ahead of the consumer (:meth:`_decompressed_ahead`)."""
        codec = self.codec
        if codec.name == "null":
            for raw in self.frames():
                yield Block(raw.count, raw.offset, raw.size, raw.data, raw.data_offset)
            return
        if threads > 0:
            yield from self._decompressed_ahead(threads)
            return
        max_block = self.max_block
        for raw in self.frames():
            try:
                data = codec.decompress(raw.data, max_block)
            except CodecError as e:
                err = self._codec_failure(raw, e, self.skipped)
                if err is None:
                    continue
                raise err from e
            yield Block(raw.count, raw.offset, raw.size, data, raw.data_offset)

    def _codec_failure(
        self, raw: RawBlock, e: CodecError, skipped: list[Skip]
    ) -> CodecError | None:
        """A block that does not decompress: its error placed in the file, to raise, or in
        skip mode None, the block recorded in ``skipped``."""
        err = _block_codec_error(e, raw.offset, raw.size, raw.data_offset)
        if not self.skip:
            return err
        end = raw.data_offset + raw.size + SYNC_SIZE
        skipped.append(Skip(raw.offset, end, str(err)))
        return None

    def _decompressed_ahead(self, threads: int) -> Iterator[Block]:
        """:meth:`decompressed` with a window of ``2 * threads`` blocks submitted to the
        codec's pool of ``threads`` threads (``Codec.codec_pool``: native threads that never
        take the GIL for the native codecs) ahead of the consumer, whose decoding of one
        block overlaps the decompression of the next ones.

        Everything the consumer sees is in file order, at the same block as inline: results
        are taken strictly in order; a codec error is raised (or skipped) when its block's
        turn comes; an error of the framing (raised by :meth:`frames` while it runs ahead) is
        held until every block before it is delivered; and the ranges the framer skips while
        running ahead are added to ``skipped`` only when the blocks before them have been
        delivered. Memory: at most ``2 * threads`` decompressed blocks wait. The pool starts
        with a file's second block (a one-block file is decompressed inline) and is shut down
        when the generator ends, fails or is closed (Reader.close)."""
        codec = self.codec
        max_block = self.max_block
        window = 2 * threads
        real = self.skipped
        noted: list[Skip] = []  # the framer's skips, until the blocks before them are out
        self.skipped = noted
        frames = self.frames()
        # [skips just before the block, the block, whether it went to the pool]
        pending: collections.deque[list[Any]] = collections.deque()
        pool: Any = None
        failure: Exception | None = None
        more = True
        try:
            while True:
                while more and len(pending) < window:
                    try:
                        raw = next(frames)
                    except StopIteration:
                        more = False
                        break
                    except Exception as e:  # noqa: BLE001 - raised after the blocks before it
                        failure, more = e, False
                        break
                    skips = noted.copy()
                    noted.clear()
                    if pool is None and pending and threads:  # a second block: start them
                        try:
                            pool = codec.codec_pool(threads, window)
                        except OSError:  # the system refuses threads: decompress inline
                            threads = 0
                        else:
                            for entry in pending:
                                codec.submit_decompress(pool, entry[1].data, max_block)
                                entry[2] = True
                    if pool is not None:
                        codec.submit_decompress(pool, raw.data, max_block)
                    pending.append([skips, raw, pool is not None])
                if not pending:
                    break
                skips, raw, submitted = pending.popleft()
                real.extend(skips)
                try:
                    data = pool.take() if submitted else codec.decompress(raw.data, max_block)
                except CodecError as e:
                    err = self._codec_failure(raw, e, real)
                    if err is None:
                        continue
                    raise err from e
                yield Block(raw.count, raw.offset, raw.size, data, raw.data_offset)
            real.extend(noted)
            noted.clear()
            if failure is not None:
                raise failure
        finally:
            self.skipped = real
            pending.clear()
            if pool is not None:
                pool.close()
            frames.close()
