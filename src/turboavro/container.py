"""Avro object container files (Avro specification, Object Container Files): :class:`Reader` and :class:`Writer`.

Layout (spec: Object Container Files)::

    header = "Obj\\x01" + metadata map<bytes> + 16-byte sync marker
    block  = long count + long size + size bytes of (compressed) data + the sync marker

This module only *frames* files: records are decoded by the compiled
:class:`turboavro.codec.Decoder` (``decode_block``, one call per block), encoded by
:class:`turboavro.codec.Encoder` straight into the block buffer, and blocks are (de)compressed by
:mod:`turboavro.codecs`. Per-block work here is a few Python operations on a 64 kB block, so it
is not on the per-record path.

Corrupt input (spec: Object Container Files) never loses the good data in front of it. A reader delivers every
record of every intact block before raising, and for a block whose framing is intact but whose
*contents* fail to decode it first yields the records decoded before the failure (the
decoder's ``err.partial``) -- they passed full validation, and the block's size and sync marker
vouch for their bytes. A block with a broken frame (bad count/size, short data, wrong sync
marker) yields nothing, except a block whose data is complete but whose trailing sync marker
was cut off by the end of the file (a writer that died mid-write): its records are delivered,
then the truncation is reported. With ``on_corruption="skip"`` the reader resumes at the next
sync marker and lists what it lost in :attr:`Reader.skipped`, like avro-tools ``repair``.
"""
from __future__ import annotations

import collections
import gc
import io
import itertools
import json
import os
import queue
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from . import limits as _limits
from ._container_blocks import (
    SYNC_SIZE,
    Block,
    RawBlock,
    Skip,
    _file_fd,
    _Framer,
    _Source,
)
from .codecs import _blocks
from .errors import (
    AvroError,
    CorruptFileError,
    DecodeError,
)

__all__ = ["Reader", "Writer", "Block", "RawBlock", "Skip", "MAGIC", "DEFAULT_MAX_BLOCK_SIZE"]

MAGIC = b"Obj\x01"  # Avro specification, Object Container Files
_LEGACY_MAGIC = b"Obj\x00"  # pre-1.3 files, Java-only
DEFAULT_MAX_BLOCK_SIZE = _limits.Limits.max_block_size
# records of a block decoded at once: larger blocks are delivered in runs of this many
_RUN = 16384


def _trailing_records_error(
    size: int, end: int, count: int, partial: list[Any], run_start: int
) -> DecodeError:
    """A block's ``count`` records end at ``end``, before its ``size`` bytes do (the
    decoder-level error, placed in the file by Reader._locate)."""
    err = DecodeError(f"{size - end} trailing byte(s) after {count} records", end, "$")
    err.partial = partial  # type: ignore[attr-defined]
    err.run_start = run_start  # type: ignore[attr-defined]
    return err
DEFAULT_SYNC_INTERVAL = 64000  # Java's and Python's default
# Reader iteration decodes blocks in batches of about this many records or bytes of block
# data with cyclic GC paused (see Reader._iter_records)
_ITER_BATCH_RECORDS = 20_000
_ITER_BATCH_BYTES = 4 * 1024 * 1024
# Writer: blocks at least this large are compressed on worker threads, overlapping the
# encoding of the next block (smaller ones are not worth the hand-over). Below fastavro's
# default block size (16000 bytes): with 16 KiB, fastavro-sized blocks were never overlapped
# (measured: the facade's flat bzip2 write 1.50 s -> 0.96 s wall)
_OVERLAP_MIN_BLOCK = 4 * 1024
# Writer: block data handed to the compression threads and not yet written, at most about
# this much (more only when fewer than compress_threads + 1 blocks would fit)
_IN_FLIGHT_BYTES = 8 << 20
# Default worker threads that compress (Writer) or decompress (Reader) blocks: the CPUs this
# process may run on, at most this many
_MAX_DEFAULT_THREADS = 8


def _default_threads() -> int:
    """The default number of threads that (de)compress blocks: the CPUs available to this
    process (its affinity mask where the OS has one), at most ``_MAX_DEFAULT_THREADS``."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        n = os.cpu_count() or 1
    return max(1, min(_MAX_DEFAULT_THREADS, n))


def _thread_count(value: int | None, what: str) -> int | None:
    """A ``compress_threads``/``decompress_threads`` argument checked (None: the default,
    which depends on the codec)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"{what} must be an int >= 0 (or None for the default), not {value!r}")
    return value


# ----------------------------------------------------------------------------------------------
# Byte source: large reads, an absolute position, varints, marker search. Never read(1).
# ----------------------------------------------------------------------------------------------


def _encode_long(n: int) -> bytes:
    """Zig-zag varint (Avro specification, Binary Encoding) for the few longs of headers and block frames."""
    v = (n << 1) ^ (n >> 63)
    out = bytearray()
    while v > 0x7F:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def _open(target: Any, mode: str) -> tuple[IO[bytes], bool]:
    """A file object for a path (opened here, closed by the owner), for a file object (as
    is), or, for reading, for the bytes of a whole file in memory."""
    if isinstance(target, (str, os.PathLike)):
        return open(target, mode), True  # noqa: SIM115 - closed by close()
    if isinstance(target, (bytes, bytearray, memoryview)) and mode == "rb":
        return io.BytesIO(target), True
    needed = "read" if mode == "rb" else "write"
    if not callable(getattr(target, needed, None)):
        what = "the bytes of a file" if mode == "rb" else "a path"
        raise TypeError(
            f"expected a path, {what} or a binary file object, not {type(target).__name__}"
        )
    return target, False


def _parse_schema(text: Any) -> Any:
    from .schema import Schema

    return Schema.parse(text)


def _parse_header_schema(text: str) -> Any:
    # as leniently as Java reads a header (names, symbols and defaults are not validated)
    from .schema import parse_header_schema

    return parse_header_schema(text)


# ----------------------------------------------------------------------------------------------
# Reader
# ----------------------------------------------------------------------------------------------


class Reader:
    """Read an Avro object container file (Avro specification, Object Container Files).

    ``source``: a path, or a binary file object (seekable or not: pipes and sockets work; the
    reader reads in large chunks). ``reader_schema``: read the data as this schema (Avro
    specification, Schema Resolution); a reader that can never read the writer's data raises
    :class:`~turboavro.errors.SchemaResolutionError` here, at open.

    ``start``/``end``: read only the blocks of the byte range ``[start, end)``, for parallel or
    distributed reading of one file (the Hadoop split rule, Avro specification, Object Container Files). A block belongs
    to the range in which its preceding sync marker *starts*; the first block's "marker" is
    the header, at position 0. So ``start`` is honoured by searching for the first sync marker
    at or after ``max(start, end of header)`` -- sync bytes inside the header metadata cannot
    fool it -- and blocks are read while their marker starts before ``end``. Reading a file as
    adjacent ranges that cover it yields every record exactly once.

    ``on_corruption``: ``"raise"`` (default) raises a :class:`CorruptFileError`,
    :class:`DecodeError` or :class:`CodecError` naming the file offset, after delivering every
    record before the damage (see the module docstring). ``"skip"`` resumes at the next sync
    marker and records each lost byte range in :attr:`skipped` as ``(start, end, reason)``.

    ``max_block_size``: largest block (compressed or decompressed) accepted, in bytes
    (default: ``turboavro.limits``' max_block_size; see that module for every limit).
    ``logical``: convert logical types (``False``: underlying values).
    ``branches``: a union's value as a ``(branch name, value)`` tuple, which the Writer (and
    ``json_encode``) writes as that very branch: for exact conversions of any union.
    ``decompress_threads``: decompress blocks on this many worker threads (native threads
    that never take the GIL for the native codecs), a window of ``2 * decompress_threads``
    blocks ahead of the decoder, the results taken strictly in order: records, errors and
    :attr:`skipped` entries come exactly as when decompressing inline. None (default): for
    the codecs whose decompression is a good part of the read (deflate, zstandard, bzip2 and
    xz: ``Codec.parallel_blocks``), one thread per CPU available, at most 8; for snappy
    inline, where the hand-over measured no gain.
    ``0``: inline; ``n``: ``n`` threads for any compressed codec. The threads end with the
    iteration, or at :meth:`close`.
    ``readahead``: read and decompress the next block on a worker thread (one thread, at most
    two blocks ahead) while one is decoded. Off by default: it has not measured faster.

    ``source`` may also be an fsspec URL (``s3://``, ``memory://``...; see
    :mod:`turboavro.sources`), opened with ``storage_options``: a remote object is fetched by
    byte ranges (the header, then the blocks read, ahead of the decoder), never whole.
    """

    # how the header's schema text is parsed (the fastavro facade's reader overrides it)
    _parse_header_schema = staticmethod(_parse_header_schema)
    # whether codecs outside the specification (codecs.NONSTANDARD_CODECS) are read: only by
    # the fastavro facade's reader
    _nonstandard_codecs = False

    def __init__(
        self,
        source: Any,
        reader_schema: Any = None,
        *,
        start: int | None = None,
        end: int | None = None,
        on_corruption: str = "raise",
        max_block_size: int | None = None,
        logical: bool = True,
        readahead: bool = False,
        branches: bool = False,
        storage_options: Mapping[str, Any] | None = None,
        decompress_threads: int | None = None,
    ) -> None:
        if on_corruption not in ("raise", "skip"):
            raise ValueError(f"on_corruption must be 'raise' or 'skip', not {on_corruption!r}")
        if start is not None and start < 0:
            raise ValueError("start must be >= 0")
        _thread_count(decompress_threads, "decompress_threads")
        self._closed = False
        self._worker: _ReadAhead | None = None
        # block generators with decompression threads, closed (threads stopped) by close()
        self._ahead: weakref.WeakSet[Any] = weakref.WeakSet()
        if isinstance(source, (str, os.PathLike)) or storage_options:
            from .sources import open_input  # paths and URLs

            self._fo, self._owned = open_input(source, storage_options, start=start, end=end)
        else:  # a file object, or the bytes of a file
            self._fo, self._owned = _open(source, "rb")
        self.skipped: list[Skip] = []
        self._skip = on_corruption == "skip"
        self._max_block = int(
            _limits.get().max_block_size if max_block_size is None else max_block_size
        )
        self._start = start
        self._end = end
        self._records: Iterator[Any] | None = None
        self._last_block_size = 0  # decoded bytes of the block _record_lists last yielded
        try:
            origin = 0
            self._size: int | None = None
            fd = _file_fd(self._fo)
            try:
                if fd is not None and self._fo.seekable():
                    origin = self._fo.tell()
                    self._size = os.fstat(fd).st_size
            except (AttributeError, OSError, ValueError):
                self._size = None
            if self._size is None:
                try:  # in-memory file objects (BytesIO): size by seeking
                    if self._fo.seekable():
                        origin = self._fo.tell()
                        self._size = self._fo.seek(0, os.SEEK_END)
                        self._fo.seek(origin)
                except (AttributeError, OSError, ValueError):
                    self._size = None
            self._src = _Source(self._fo, origin)
            self._read_header()
            from .codec import Decoder
            from .codecs import get_codec

            self._codec = get_codec(self.codec, nonstandard=self._nonstandard_codecs)
            if decompress_threads is None:
                decompress_threads = _default_threads() if self._codec.parallel_blocks else 0
            self._decompress_threads = decompress_threads
            self._logical = logical
            self._branches = branches
            self._decoder: Any = None
            self.reader_schema = None
            if reader_schema is not None:
                # built now: a reader schema that can never read the data fails at open
                self._decoder = Decoder(
                    self.schema, reader_schema, logical=logical, branches=branches
                )
                self.reader_schema = self._decoder.reader_schema
            from .schema import min_datum_size

            self._min_size = min_datum_size(self.schema)
            # Off unless asked for: measured on the 2-core reference box it gains nothing
            # (bench: 100k mixed records, every codec, same time +-2%), because the decoder
            # holds the GIL for a whole block and the worker's framing waits for it.
            self._readahead = bool(readahead)
            self._framer = _Framer(
                self._src,
                self.sync_marker,
                self._codec,
                self.header_size,
                self._size,
                self._max_block,
                self._skip,
                self.skipped,
                start,
                end,
            )
        except BaseException:
            self.close()
            raise

    # -- header (Avro specification, Object Container Files) ----------------------------------------------------------

    def _read_header(self) -> None:
        src = self._src
        head = bytes(src.read(4))
        if head != MAGIC:
            if head == _LEGACY_MAGIC:
                raise CorruptFileError(
                    "legacy pre-1.3 Avro data file (magic 'Obj\\x00'): only the Avro 1.3+ "
                    "format ('Obj\\x01') is supported",
                    0,
                )
            if len(head) < 4:
                raise CorruptFileError(f"not an Avro container file: only {len(head)} bytes", 0)
            raise CorruptFileError(
                f"not an Avro container file: starts with {head!r}, expected {MAGIC!r}", 0
            )
        meta: dict[str, bytes] = {}
        while True:  # metadata is a map<bytes> in blocks; a negative count is followed by a size
            count = src.read_long("the metadata block count")
            if count == 0:
                break
            if count < 0:
                count = -count
                if src.read_long("the metadata block size") < 0:
                    raise CorruptFileError("negative metadata block size", src.tell())
            for _ in range(count):
                key_at = src.tell()
                key = self._read_bytes("a metadata key")
                value = self._read_bytes("a metadata value")
                try:
                    meta[bytes(key).decode("utf-8")] = bytes(value)
                except UnicodeDecodeError:
                    raise CorruptFileError("metadata key is not UTF-8", key_at) from None
        sync = bytes(src.read(SYNC_SIZE))
        if len(sync) != SYNC_SIZE:
            raise CorruptFileError("file ends inside the header's sync marker", src.tell())
        self.header_size = src.tell()
        self.metadata = meta
        self.sync_marker = sync
        if "avro.schema" not in meta:
            raise CorruptFileError("header has no 'avro.schema' metadata entry", 4)
        try:
            self.schema = self._parse_header_schema(meta["avro.schema"].decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise CorruptFileError(f"header's 'avro.schema' is not a valid schema: {e}", 4) from e
        self.codec = meta.get("avro.codec", b"null").decode("utf-8", "replace") or "null"

    def _read_bytes(self, what: str) -> memoryview:
        src = self._src
        at = src.tell()
        n = src.read_long(f"the length of {what}")
        if n < 0:
            raise CorruptFileError(f"negative length {n} of {what}", at)
        if n > self._max_block:
            raise CorruptFileError(
                _limits.exceeded("max_block_size", f"{what} of {n} bytes", self._max_block), at
            )
        data = src.read(n)
        if len(data) < n:
            raise CorruptFileError(f"file ends inside {what} ({n} bytes declared)", at)
        return data

    @property
    def decoder(self) -> Any:
        """The compiled :class:`~turboavro.codec.Decoder` this reader decodes blocks with
        (built on first use when there is no reader schema: columnar reads never need it)."""
        if self._decoder is None:
            from .codec import Decoder

            self._decoder = Decoder(self.schema, logical=self._logical, branches=self._branches)
        return self._decoder

    def decompress(self, block: RawBlock) -> Any:
        """The decompressed data of a raw block (:class:`CodecError` if it is corrupt)."""
        if self._codec.name == "null":
            return block.data
        return self._codec.decompress(block.data, self._max_block)

    def tell(self) -> int:
        """The offset in the file of the next byte the reader will consume (blocks are read
        whole, so this advances a block at a time): for progress reports."""
        return self._src.tell()

    def iter_blocks_raw(self) -> Iterator[RawBlock]:
        """Blocks as stored (compressed), for copying (``concat``) or counting."""
        return self._framer.frames()

    def _block_batches(self, whole: bool = False, alloc: Any = None) -> Iterator[tuple[Any, bytes]]:
        """The remaining blocks as ``(buffer, table)`` batches (see ``_Framer.batches``), for
        readers that decode many blocks per call (the columnar reader). ``whole``: first
        read the rest of the file at once (no per-chunk joins; into the buffer of
        ``alloc(n, offset)`` when given), for callers that hold every block anyway."""
        if whole and self._end is None:
            self._src.load_all(alloc)
        return self._framer.batches()

    def _file_blocks(self) -> tuple[int, bytes] | None:
        """Frame the remaining blocks of a plain file without reading their data, by one
        small read per block (``_blocks.scan_file``): ``(fd, table)``, with each block's
        data at ``data_offset`` of ``fd`` (``start`` equals it), for readers that read the
        data themselves, block by block on worker threads (the columnar reader). The reader is
        then at the end of the file.

        None when the file cannot be framed that way (not a plain seekable file, a range
        ``end``, no native kernels) or is not whole and clean to its end: nothing is consumed
        then, and the usual framing finds and reports (or skips) the damage."""
        src = self._src
        if (
            _blocks is None
            or not _blocks.HAVE_PREAD
            or self._end is not None
            or self._size is None
            or self._framer.first_marker < 0
            or not src.seekable
        ):
            return None
        fd = _file_fd(self._fo)
        if fd is None:
            return None
        pos = src.tell()
        table, end = _blocks.scan_file(fd, pos, self._size, self.sync_marker, self._max_block)
        if end != self._size:
            return None
        src.buf, src.pos, src.base, src.mark, src.eof = b"", 0, end, end, True
        self._fo.seek(end)
        return fd, table

    def blocks(self) -> Iterator[Block]:
        """Blocks with their decompressed data (not decoded), decompressed ahead on
        ``decompress_threads`` threads when there are any."""
        blocks = self._framer.decompressed(self._decompress_threads)
        if self._decompress_threads:
            self._ahead.add(blocks)
        if self._readahead:
            worker = _ReadAhead(blocks)
            self._worker = worker
            return iter(worker)
        return blocks

    # -- records -------------------------------------------------------------------------------

    def _record_lists(self) -> Iterator[list[Any]]:
        decode = self.decoder.decode_records
        min_size = self._min_size
        plain = self._codec.name == "null"
        lim = _limits.get()
        zero_records = 0  # records of a zero-byte schema so far (limits.max_file_records)
        # zero-byte collection items left for the file (limits.max_file_zero_byte_items)
        self._zero_budget = lim.max_file_zero_byte_items
        for block in self.blocks():
            count = block.count
            err: DecodeError | None = None
            if min_size:
                if count > len(block.data) // min_size:
                    err = CorruptFileError(
                        f"block claims {count} records in {len(block.data)} bytes", block.offset
                    )
            elif count > lim.max_block_records:
                err = DecodeError(_limits.exceeded(
                    "max_block_records", f"a block of {count} zero-byte records"), block.offset)
            else:
                zero_records += count
                if zero_records > lim.max_file_records:
                    err = DecodeError(_limits.exceeded(
                        "max_file_records", f"{zero_records} zero-byte records in the file"),
                        block.offset)
            if err is not None:
                if self._skip:
                    self.skip_block(block, err)
                    continue
                raise err
            done = 0
            self._last_block_size = len(block.data)
            try:
                if count <= _RUN:
                    records, end, self._zero_budget = decode(
                        block.data, 0, count, self._zero_budget
                    )
                    if end != len(block.data):
                        raise _trailing_records_error(len(block.data), end, count, records, 0)
                else:
                    # a large block is delivered in runs, each built only when the caller
                    # asks for it: the first record never waits for (nor costs the memory
                    # of) the whole block
                    yield from self._runs(block, count)
                    continue
            except DecodeError as e:
                partial = getattr(e, "partial", None) or []
                done = getattr(e, "run_start", 0)
                err = self._locate(e, block, plain, done + len(partial))
                if partial:
                    yield partial
                if self._skip:
                    self.skip_block(block, err)
                    continue
                raise err from e
            yield records

    def _runs(self, block: Block, count: int) -> Iterator[list[Any]]:
        """The records of a large block, ``_RUN`` at a time; a DecodeError carries
        ``run_start``, the index of its run's first record in the block."""
        decode = self.decoder.decode_records
        data = block.data
        pos, done = 0, 0
        while done < count:
            n = min(_RUN, count - done)
            try:
                records, pos, self._zero_budget = decode(data, pos, n, self._zero_budget)
            except DecodeError as e:
                e.run_start = done  # type: ignore[attr-defined]
                raise
            done += n
            yield records
        if pos != len(data):
            raise _trailing_records_error(len(data), pos, count, [], count)

    def skip_block(self, block: Block, err: BaseException) -> None:
        """Skip mode: record ``block`` (its header, data and sync marker) as lost, and why.
        The columnar reader records the blocks whose records it cannot decode here too."""
        end = block.data_offset + block.size + SYNC_SIZE
        self.skipped.append(Skip(block.offset, end, str(err)))

    def _locate(self, e: DecodeError, block: Block, plain: bool, done: int) -> DecodeError:
        """The decoder's error re-based to the file: offset of the failing byte in the file
        for uncompressed blocks, the block's offset otherwise (the message gives both)."""
        base = str(e.args[0]) if e.args else str(e)
        if e.offset is not None or e.path:
            base = base.rsplit(" (at ", 1)[0]
        inner = e.offset if e.offset is not None else 0
        if plain:
            msg = (
                f"{base} in record {done} of the block at file offset {block.offset}"
            )
            err = DecodeError(msg, block.data_offset + inner, e.path)
        else:
            msg = (
                f"{base} at byte {inner} of the decompressed block at file offset "
                f"{block.offset}, record {done} of the block"
            )
            err = DecodeError(msg, block.offset, e.path)
        err.partial = getattr(e, "partial", None) or []  # type: ignore[attr-defined]
        return err

    def iter_batches(self, batch_size: int = 65536, columns: Any = None) -> Iterator[Any]:
        """The remaining records as :class:`turboavro.Columns` of ``batch_size`` rows each (the
        last may be shorter): bounded memory for files larger than RAM."""
        from .columnar.reading import iter_open

        return iter_open(self, batch_size, columns)

    def read_all(self) -> list[Any]:
        """Every remaining record, as one list, extended block by block, with cyclic garbage
        collection paused while it is built (the fastest way to load a file: ``list(reader)``
        pulls records one at a time and cannot pause collection around the caller's code). On
        an error, the records read before it are the error's ``partial`` list."""
        out: list[Any] = []
        # Cyclic GC passes triggered while the list grows only ever find live records, and
        # they re-scan the growing list again and again (measured: ~45% of a mixed-record
        # read). Collection is paused for the read and runs normally afterwards; the records
        # stay tracked.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            if self._records is not None:  # iteration already started: keep its order
                out.extend(self._records)
                return out
            self._records = iter(())
            for records in self._record_lists():
                out.extend(records)
        except AvroError as e:
            # nothing lost: the records read before the damage travel with the error
            e.partial = out  # type: ignore[attr-defined]
            raise
        finally:
            if gc_was_enabled:
                gc.enable()
        return out

    def _iter_records(self) -> Iterator[Any]:
        # chain hands the records out at C speed (a generator resumed per record costs ~10%
        # of a flat read)
        return itertools.chain.from_iterable(self._record_batches())

    def _record_batches(self) -> Iterator[list[Any]]:
        """The records for iteration, decoded in batches of blocks (up to ``_ITER_BATCH_RECORDS``
        records or ``_ITER_BATCH_BYTES`` of block data) with cyclic GC paused while a batch
        is decoded -- never while the caller's code runs.

        Why: the collector's full passes are triggered by a count of young-generation
        passes, and those by allocations. Decoded block by block with the collector on, a
        mixed-record file triggers a young pass every ~350 records, and a caller that keeps
        the records (``list(reader)``) pays full passes over everything it holds: measured
        70% of the time of ``list(Reader(f))`` on the mixed shape. Paused per batch, a batch
        costs one young pass, so full passes become ~50x rarer. The records are the same
        ordinary (GC-tracked) dicts and lists, handed out one at a time."""
        lists = self._record_lists()
        while True:
            batch: list[Any] = []
            done = False
            failure: Exception | None = None
            size = 0
            was_enabled = gc.isenabled()
            gc.disable()
            try:
                for records in lists:
                    batch.extend(records)
                    size += self._last_block_size
                    if len(batch) >= _ITER_BATCH_RECORDS or size >= _ITER_BATCH_BYTES:
                        break
                else:
                    done = True
            except Exception as e:  # records before the damage first, then the error
                failure = e
            finally:
                if was_enabled:
                    gc.enable()
            if batch:
                yield batch
            if failure is not None:
                raise failure
            if done:
                return

    def __iter__(self) -> Iterator[Any]:
        if self._records is None:
            self._records = self._iter_records()
        return self._records

    def __next__(self) -> Any:
        return next(iter(self))

    # -- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the worker threads (read-ahead, decompression); close the file if the reader
        opened it."""
        if self._closed:
            return
        self._closed = True
        worker = self.__dict__.get("_worker")
        if worker is not None:
            worker.stop()
        for blocks in list(self.__dict__.get("_ahead", ())):
            try:
                blocks.close()  # its decompression threads end
            except ValueError:  # running on another thread (read-ahead), which closes it
                pass
        if self.__dict__.get("_owned"):
            self._fo.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            pass


class _ReadAhead:
    """Runs a block iterator on one worker thread, at most two blocks ahead. Items (blocks,
    then the iterator's exception or its end) arrive in order; :meth:`stop` ends the thread."""

    _END = object()

    def __init__(self, blocks: Iterator[Block]) -> None:
        self._blocks = blocks
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=2)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="turboavro-readahead", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stopping.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for block in self._blocks:
                if not self._put(block):
                    return
        except BaseException as e:  # noqa: BLE001 - handed to the consumer, in order
            self._put(_Failure(e))
            return
        finally:
            close = getattr(self._blocks, "close", None)
            if close is not None:
                close()  # on this thread, where it runs: its own threads end
        self._put(self._END)

    def __iter__(self) -> Iterator[Block]:
        try:
            while True:
                item = self._queue.get()
                if item is self._END:
                    return
                if isinstance(item, _Failure):
                    raise item.error
                yield item
        finally:
            self.stop()

    def stop(self) -> None:
        self._stopping.set()
        while self._thread.is_alive():
            try:  # unblock a put() in progress
                while True:
                    self._queue.get_nowait()
            except queue.Empty:
                pass
            self._thread.join(timeout=0.05)


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


# ----------------------------------------------------------------------------------------------
# Writer
# ----------------------------------------------------------------------------------------------

_RESERVED = "avro."


class Writer:
    """Write an Avro object container file (Avro specification, Object Container Files).

    ``dest``: a path (created or truncated; ``append=True`` appends to an existing file), or a
    binary file object. Appending (spec: Object Container Files) reuses the existing header's schema, codec and sync
    marker; it happens when ``append=True``, when ``schema`` is None, or when ``dest`` is a
    readable file object (``"a+b"``/``"r+b"``) that already holds a header. Giving a schema that
    differs from the file's is an error; a new or empty file gets a header.

    Records are encoded straight into one block buffer; a block is compressed and written as a
    whole when the buffer reaches ``sync_interval`` bytes, or on :meth:`flush`. A block on disk
    is always complete: a process that dies loses only what was not flushed (:meth:`flush` and
    :meth:`close` write all).

    ``compress_threads``: with a native compressing codec, full blocks (from 4 KiB) are
    compressed on this many native threads (they never take the GIL) while the next blocks
    are encoded, and written strictly in order as they finish: at most
    ``4 * compress_threads + 4`` blocks are in flight, fewer when blocks are large (about
    8 MiB of block data, but never fewer than ``compress_threads + 1`` blocks). None
    (default): for the codecs whose compression costs several times the encoding (deflate,
    bzip2 and xz: ``Codec.parallel_compression``) one thread per CPU available, at most 8;
    for the others one. ``1``: one thread overlapping the encoding; ``0``: compress inline.
    The file is byte for byte the same whatever the setting. A block whose compression fails
    raises its error at the next :meth:`write`, :meth:`flush` or
    :meth:`close`, every block before it written.
    """

    # the reader of an existing file's header when appending; its _nonstandard_codecs says
    # whether codecs outside the specification are written too (the fastavro facade's)
    _reader_class: type[Reader] = Reader

    def __init__(
        self,
        dest: Any,
        schema: Any = None,
        codec: str = "null",
        codec_level: int | None = None,
        sync_interval: int = DEFAULT_SYNC_INTERVAL,
        metadata: dict[str, bytes | str] | None = None,
        *,
        sync_marker: bytes | None = None,
        append: bool | None = None,
        compress_threads: int | None = None,
    ) -> None:
        from .codec import Encoder
        from .codecs import get_codec

        if sync_interval <= 0:
            raise ValueError("sync_interval must be positive")
        threads = _thread_count(compress_threads, "compress_threads")
        # an unknown codec or level fails before a file is created or truncated
        get_codec(codec, nonstandard=self._reader_class._nonstandard_codecs).check_level(codec_level)
        self._closed = False
        self._owned = False
        user_meta = _check_metadata(metadata)
        if isinstance(dest, (str, os.PathLike)):
            exists = os.path.exists(dest) and os.path.getsize(dest) > 0
            if append is None:
                append = schema is None
            if append and not exists and schema is None:
                raise ValueError(f"cannot append to {os.fspath(dest)!r}: no such file or empty")
            self._fo, self._owned = _open(dest, "r+b" if append and exists else "wb")
            has_header = bool(append and exists)
        else:
            if not callable(getattr(dest, "write", None)):
                raise TypeError(
                    f"expected a path or a binary file object, not {type(dest).__name__}"
                )
            self._fo = dest
            has_header = False
            if append is not False and _readable(dest):
                pos = dest.seek(0, os.SEEK_END)
                has_header = pos > 0
                if not has_header and schema is None:
                    raise ValueError("cannot append to an empty file without a schema")
            elif append:
                raise ValueError("appending needs a readable, seekable file object")
        try:
            if has_header:
                self._fo.seek(0)
                with self._reader_class(self._fo, readahead=False) as existing:
                    file_schema, file_codec = existing.schema, existing.codec
                    sync = existing.sync_marker
                    meta = existing.metadata
                if schema is not None and _parse_schema(schema) != file_schema:
                    raise ValueError(
                        "schema differs from the schema of the file being appended to"
                    )
                if codec != "null" and codec != file_codec:
                    raise ValueError(
                        f"codec {codec!r} differs from the file's codec {file_codec!r}"
                    )
                self.schema = file_schema
                self.codec = file_codec
                self.sync_marker = sync
                self.metadata = meta
                self._fo.seek(0, os.SEEK_END)
            else:
                if schema is None:
                    raise ValueError("a schema is needed to start a new file")
                self.schema = _parse_schema(schema)
                self.codec = codec
                if sync_marker is None:
                    sync_marker = os.urandom(SYNC_SIZE)
                if len(sync_marker) != SYNC_SIZE:
                    raise ValueError("sync_marker must be 16 bytes")
                self.sync_marker = bytes(sync_marker)
                self.metadata = {
                    "avro.schema": json.dumps(self.schema.to_json()).encode("utf-8"),
                    "avro.codec": self.codec.encode("ascii"),
                    **user_meta,
                }
            self._codec = get_codec(self.codec, nonstandard=self._reader_class._nonstandard_codecs)
            self._level = codec_level
            self._encoder = Encoder(self.schema)
            if not has_header:
                self._fo.write(_header_bytes(self.metadata, self.sync_marker))
        except BaseException:
            if self._owned:
                self._fo.close()
            raise
        self._interval = int(sync_interval)
        self._buf = bytearray()
        self._count = 0
        self._per_record = 64.0  # running estimate of encoded bytes per record
        if threads is None:  # several for the slow codecs, else one overlapping the encoding
            threads = _default_threads() if self._codec.parallel_compression else 1
        self._threads = threads
        # Blocks in flight beyond the one just handed over: a queue a few blocks deep per
        # thread keeps every worker busy while the encoding runs ahead unevenly (measured,
        # mixed deflate on 2 workers: 356 ms at threads + 1 blocks, 318 ms at 4 per
        # thread), bounded to about _IN_FLIGHT_BYTES of blocks when blocks are large.
        self._depth = max(threads, min(4 * threads + 3, _IN_FLIGHT_BYTES // self._interval))
        # Record counts of the blocks handed to the compression threads, oldest first
        self._compressing: collections.deque[int] = collections.deque()
        # the codec's pool of native compression threads (Codec.codec_pool), started by
        # the first block handed over
        self._compressor: Any = None

    # -- writing -------------------------------------------------------------------------------

    def write(self, record: Any) -> None:
        buf = self._buf
        n = len(buf)
        try:
            self._encoder.encode_into(record, buf)
        except BaseException:
            del buf[n:]  # drop a half-encoded datum: the block stays well-formed
            raise
        self._count += 1
        if len(buf) >= self._interval:
            self._write_block()

    def write_many(self, records: Iterable[Any]) -> int:
        """Write every record; returns how many. On an error, every record before the
        failing one has been written (a half-encoded datum is never left in a block)."""
        it = iter(records)
        buf = self._buf
        encode_many = self._encoder.encode_many_into
        total = 0
        while True:
            # Encode about as many records as fill half the room left in the block: a few
            # batches per block, and a block overshoots the interval by about one record, as
            # with one-by-one writes (Avro specification, Object Container Files).
            room = self._interval - len(buf)
            batch = list(itertools.islice(it, max(1, int(room / (2 * self._per_record)))))
            if not batch:
                return total
            n = len(buf)
            try:
                done = encode_many(batch, buf)
            except BaseException:
                del buf[n:]
                for record in batch:  # redo one by one to keep those before the bad one
                    self.write(record)
                    total += 1
                raise
            self._count += done
            total += done
            if self._count:
                self._per_record = max(1.0, len(buf) / self._count)
            if len(buf) >= self._interval:
                self._write_block()

    def _write_block(self) -> None:
        if not self._count:
            return
        count = self._count
        if self._codec.name == "null":
            self._emit(count, self._buf)
        elif self._handed_over(len(self._buf)):
            data = bytes(self._buf)
            # cleared before any wait: an interrupt while waiting never leaves the block both
            # in flight and in the buffer
            self._buf.clear()  # in place: write_many holds a reference to it
            self._count = 0
            self._compress_on_worker(count, data)
            return
        else:
            self._emit_compressed(0)
            self._emit(count, self._codec.compress(self._buf, self._level))
        self._buf.clear()
        self._count = 0

    def _handed_over(self, size: int) -> bool:
        """Whether a block of ``size`` bytes is compressed on the worker threads: with a
        native kernel (it releases the GIL), and not tiny (the hand-over would cost more)."""
        return bool(self._threads) and self._codec.native and size >= _OVERLAP_MIN_BLOCK

    def _compress_on_worker(self, count: int, data: bytes) -> None:
        """Hand a block to the worker threads (compression runs while the caller encodes the
        next blocks); write the blocks finished so far, waiting for the oldest while more than
        ``_depth`` are in flight."""
        pool = self._compressor_pool()
        if pool is None:  # no thread could be started: compress inline
            self._emit(count, self._codec.compress(data, self._level))
            return
        self._codec.submit(pool, data, self._level)
        self._compressing.append(count)
        self._emit_compressed(self._depth)

    def _compressor_pool(self) -> Any:
        """The compression threads (``compress_threads`` of them, room for ``_depth + 1``
        blocks), started on first use; None, and inline compression from then on, when the system
        refuses to start threads."""
        if self._compressor is None and self._threads:
            try:
                self._compressor = self._codec.codec_pool(self._threads, self._depth + 1)
            except OSError:
                self._threads = 0
        return self._compressor

    def _emit(self, count: int, data: Any) -> None:
        self._fo.write(
            b"".join((_encode_long(count), _encode_long(len(data)), data, self.sync_marker))
        )

    def _emit_compressed(self, keep: int) -> None:
        """Write the blocks the workers have compressed, strictly in order: every finished
        block at the head of the queue, then, waiting for each, until ``keep`` remain. A
        block whose compression failed raises its error here (its records are lost; every
        block before it is written). An interrupt while waiting leaves the block queued."""
        pending = self._compressing
        pool = self._compressor
        while pending and (len(pending) > keep or pool.head_done()):
            try:
                data = pool.take()
            finally:
                # take() gives the block back (its bytes or its failure, which drops it) or,
                # interrupted while waiting, leaves it pending
                if len(pool) < len(pending):
                    count = pending.popleft()
            self._emit(count, data)

    def write_block(self, count: int, data: Any) -> None:
        """Append a block of ``count`` records already encoded (not compressed) in ``data``,
        e.g. by a columnar encoder or from another file's decompressed block; it is compressed
        with this writer's codec. The current block is ended first, so order is kept."""
        if count < 0:
            raise ValueError("count must be >= 0")
        if self._codec.name != "null" and self._handed_over(memoryview(data).nbytes):
            self._write_block()
            self._compress_on_worker(count, bytes(data))  # a copy: the caller may reuse data
            return
        if self._codec.name != "null":
            data = self._codec.compress(data, self._level)
        self.write_raw_block(count, data)

    def write_raw_block(self, count: int, data: Any) -> None:
        """Append a block that is already encoded and compressed with this writer's codec
        (``count`` records in ``data``), e.g. copied from another file with the same schema
        and codec. The current block is ended first, so order is kept."""
        if count < 0:
            raise ValueError("count must be >= 0")
        self._write_block()
        self._emit_compressed(0)
        self._emit(count, data)

    def flush(self) -> None:
        """End the current block and flush the file: what was written so far is durable."""
        self._write_block()
        self._emit_compressed(0)
        self._fo.flush()

    @property
    def pending(self) -> int:
        """Records in the current, not yet written block."""
        return self._count

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.flush()
        finally:
            try:
                self._shutdown_compressor()
            finally:
                if self._owned:
                    self._fo.close()

    def _shutdown_compressor(self) -> None:
        pool, self._compressor = self._compressor, None
        self._compressing.clear()  # after a failure: blocks behind it are dropped
        if pool is not None:
            pool.close()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close()


def _readable(fo: Any) -> bool:
    try:
        return bool(fo.readable() and fo.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _check_metadata(metadata: dict[str, bytes | str] | None) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for key, value in (metadata or {}).items():
        if not isinstance(key, str):
            raise TypeError(f"metadata keys must be str, not {type(key).__name__}")
        if key.startswith(_RESERVED):
            raise ValueError(f"metadata key {key!r} is reserved (keys starting 'avro.')")
        if isinstance(value, str):
            value = value.encode("utf-8")
        elif not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"metadata value of {key!r} must be bytes or str")
        out[key] = bytes(value)
    return out


def _header_bytes(metadata: dict[str, bytes], sync: bytes) -> bytes:
    parts = [MAGIC, _encode_long(len(metadata))]
    for key, value in metadata.items():
        k = key.encode("utf-8")
        parts += [_encode_long(len(k)), k, _encode_long(len(value)), value]
    parts += [b"\x00", sync]
    return b"".join(parts)
