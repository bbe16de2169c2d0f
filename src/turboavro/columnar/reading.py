"""Reading columns from an open container Reader: framing the blocks, decoding them on
worker threads into column buffers, joining the threads' chunks, and assembling Columns."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._kernels import _columns as _k
from .._kernels._blocks import TABLE_FIELDS
from ..errors import (
    CodecError,
    DecodeError,
    _block_codec_error,
    _cut_block_error,
    _trailing_bytes_error,
)
from ..schema import Schema
from .columns import (
    _ROOT_NAME,
    BinaryColumn,
    Columns,
    DecimalColumn,
    EnumColumn,
    ListColumn,
    MapColumn,
    StructColumn,
    TimestampColumn,
    UnionColumn,
    _apply_mask,
)
from .planning import (
    _Bin,
    _compile,
    _Compiled,
    _Dec,
    _Enum,
    _Leaf,
    _List,
    _Map,
    _Null,
    _Nullable,
    _Struct,
    _type_key,
    _Union,
)

# Assembling columns from raw buffers
# ----------------------------------------------------------------------------------------------

# ints per row of the block table that framing (_blocks.scan_file) produces
_NFIELDS = len(TABLE_FIELDS)


def _assemble(spec: Any, bufs: list[Any], nrows: int, schema: Schema,
              order: tuple[str, ...] | None = None) -> Columns:
    """Top-level columns: records flattened to dotted names, validity propagated. numpy has
    no time zones: timestamp-* columns are naive datetime64 in UTC, listed in ``utc``.
    ``order``: the names a projection asked for, in the order the columns are returned (a
    record's name gives its dotted columns, in schema order)."""
    out: dict[str, Any] = {}
    utc: dict[str, str] = {}
    _flatten(spec, "", None, bufs, nrows, out, utc)
    if order is not None:
        ordered: dict[str, Any] = {}
        for name in order:
            for key in out:
                if key == name or key.startswith(name + "."):
                    ordered.setdefault(key, out[key])
        out = ordered
    return Columns(out, nrows, schema, utc)


def _flatten(s: Any, prefix: str, valid: np.ndarray | None, bufs: list[Any], nrows: int,
             out: dict[str, Any], utc: dict[str, str]) -> None:
    # A module function, not a closure: a recursive closure is a reference cycle that would
    # keep every column alive until the cyclic garbage collector runs.
    if isinstance(s, _Nullable) and isinstance(s.inner, _Struct):
        v = np.frombuffer(bufs[s.valid], np.bool_)
        _flatten(s.inner, prefix, _apply_mask(valid, v), bufs, nrows, out, utc)
        return
    if isinstance(s, _Struct):
        for name, sub in s.fields.items():
            _flatten(sub, prefix + name + ".", valid, bufs, nrows, out, utc)
        return
    name = prefix[:-1] if prefix else _ROOT_NAME
    out[name] = _build(s, bufs, nrows, valid, nested=False)
    leaf = s.inner if isinstance(s, _Nullable) else s
    if isinstance(leaf, _Leaf) and leaf.tz:
        utc[name] = leaf.tz


def _build(s: Any, bufs: list[Any], n: int, valid: np.ndarray | None = None,
           nested: bool = True) -> Any:
    """The column object of spec ``s`` (``n`` values; ``valid``: inherited validity;
    ``nested``: inside a list, map, struct or union, where UTC timestamps are
    :class:`TimestampColumn`, as numpy has no time zones)."""
    if isinstance(s, _Nullable):
        v = np.frombuffer(bufs[s.valid], np.bool_)
        return _build(s.inner, bufs, n, _apply_mask(valid, v), nested)
    if isinstance(s, _Leaf):
        if s.dtype == "S0":  # fixed(0): no bytes on the wire, numpy has no 0-byte strings
            arr = np.empty(n, dtype=object)
            arr[:] = [b""] * n
        else:
            arr = np.frombuffer(bufs[s.col], np.dtype(s.dtype))
        if s.view:
            arr = arr.view(s.view)
        if nested and s.tz:
            return TimestampColumn(arr, valid)
        if valid is not None:
            arr = np.ma.MaskedArray(arr, mask=~valid)
        return arr
    if isinstance(s, _Bin):
        return BinaryColumn(
            np.frombuffer(bufs[s.off], np.int64), np.frombuffer(bufs[s.data], np.uint8),
            s.is_string, valid,
        )
    if isinstance(s, _Enum):
        codes = np.frombuffer(bufs[s.col], {1: np.int8, 2: np.int16, 4: np.int32}[s.width])
        return EnumColumn(codes, s.symbols, valid)
    if isinstance(s, _Dec):
        return DecimalColumn(_build(s.raw, bufs, n), s.precision, s.scale, valid)
    if isinstance(s, _List):
        offs = np.frombuffer(bufs[s.off], np.int64)
        return ListColumn(offs, _build(s.items, bufs, int(offs[-1])), valid)
    if isinstance(s, _Map):
        offs = np.frombuffer(bufs[s.off], np.int64)
        keys = BinaryColumn(
            np.frombuffer(bufs[s.koff], np.int64), np.frombuffer(bufs[s.kdata], np.uint8)
        )
        return MapColumn(offs, keys, _build(s.values, bufs, int(offs[-1])), valid)
    if isinstance(s, _Struct):
        return StructColumn(
            {name: _build(sub, bufs, n) for name, sub in s.fields.items()}, n, valid
        )
    if isinstance(s, _Union):
        codes = np.frombuffer(bufs[s.codes], np.int8)
        offsets = np.zeros(len(codes), np.int32)
        children: list[Any] = []
        names = []
        for j, sub in enumerate(s.branches):
            sel = codes == j
            k = int(np.count_nonzero(sel))
            offsets[sel] = np.arange(k, dtype=np.int32)
            children.append(None if sub is None else _build(sub, bufs, k))
            names.append(_type_key(s.schema.branches[j]))
        return UnionColumn(codes, children, names, offsets)
    if isinstance(s, _Null):
        return np.ma.MaskedArray(np.zeros(n, np.int8), mask=np.ones(n, bool))
    raise AssertionError(f"unhandled spec {s!r}")  # pragma: no cover


def _concat(chunks: list[Any], comp: _Compiled, shared: Any = None, pool: Any = None) -> list[Any]:
    """Per-column buffers of several chunks joined in order (offsets rebased). ``shared``:
    the chunk that already holds every chunk's fixed-width per-record columns. ``pool``:
    join about half of the bytes there, at the same time (the copies release the GIL)."""
    offset_cols = set(comp.plan.offset_cols)
    out: list[Any] = [None] * comp.plan.ncols
    joins = []
    for i in range(comp.plan.ncols):
        if shared is not None and comp.row_width[i]:
            out[i] = shared.take(i)
        else:
            joins.append(i)

    def join(cols: list[int]) -> None:
        for i in cols:
            out[i] = _k.join_columns(chunks, i, i in offset_cols)

    if pool is None or len(joins) < 2:
        join(joins)
        return out
    sizes = {i: comp.learned.get(i, 1.0) for i in joins}
    half = sum(sizes.values()) / 2
    mine: list[int] = []
    theirs: list[int] = []
    acc = 0.0
    for i in sorted(joins, key=lambda i: -sizes[i]):
        (mine if acc < half else theirs).append(i)
        acc += sizes[i]
    other = pool.submit(join, theirs)
    try:
        join(mine)
    finally:
        other.result()
    return out


# ----------------------------------------------------------------------------------------------
# Blocks of an open container Reader
# ----------------------------------------------------------------------------------------------


def _codec(name: str) -> Any:
    """The block codec, or None for ``null`` (blocks are decoded in place)."""
    if name == "null":
        return None
    from ..codecs import get_codec

    return get_codec(name)


_MAX_BLOCK = 256 * 1024 * 1024


# ----------------------------------------------------------------------------------------------
# read_columns
# ----------------------------------------------------------------------------------------------


def _check_count(count: int, size: int, comp: _Compiled, offset: int) -> None:
    """A block's record count must be backed by its bytes (as the row reader checks):
    records of a zero-byte schema are capped by the block size limit instead, so a lying
    count can neither allocate nor loop beyond what the input justifies."""
    limit = size // comp.min_size if comp.min_size else _MAX_BLOCK
    if count > limit:
        raise DecodeError(f"block record count {count} cannot fit its {size} bytes", offset)


def _hints(comp: _Compiled, rows: int, nbytes: int) -> dict[int, int]:
    """Initial column capacities for ``rows`` records decoded from ``nbytes`` of input.

    Per-row columns get exactly ``rows`` values. No variable-size column (string data) can
    hold more bytes than the input they come from, so it starts at ``nbytes``; collection
    item columns start at a quarter of that per byte of width and grow if needed. Capacity
    that is never written costs address space only, while growing a large buffer copies it
    (glibc moves grown blocks once its mmap threshold has adapted).
    """
    out = {}
    offsets = comp.plan.offset_cols
    learned = comp.learned
    for i, (w, per_row) in enumerate(zip(comp.col_width, comp.col_per_row, strict=True)):
        if per_row and w:
            out[i] = rows * w + (8 if i in offsets else 0)  # offsets lead with a 0
        elif i in learned:
            # what this plan's earlier reads needed per input byte, with a margin: a buffer
            # the size of the input per column would rarely fit a kept one (their sizes are
            # what was used), so every read would first-touch fresh memory
            out[i] = int(learned[i] * nbytes * 1.25) + 4096
        elif not w:
            out[i] = nbytes
        else:
            out[i] = nbytes * w // 4
    return out


def _learn(comp: _Compiled, bufs: list[Any], nbytes: int) -> None:
    """Remember how many bytes each variable-size column took per input byte."""
    if nbytes <= 0:
        return
    for i, (w, per_row) in enumerate(zip(comp.col_width, comp.col_per_row, strict=True)):
        if not (per_row and w):
            comp.learned[i] = len(bufs[i]) / nbytes


#: Keep at most ``max_bytes`` of freed large column buffers for the next reads to reuse
#: (0: keep none and free what is kept; the default keeps up to 256 MiB). Returns the previous
#: limit. ``buffer_cache_info()`` gives ``(buffers, bytes)`` kept now.
set_buffer_cache = _k.set_buffer_cache
buffer_cache_info = _k.buffer_cache_info

# A run of blocks one thread decodes: (batch index, first row, end row) pieces of the tables.
_Piece = tuple[int, int, int]
# Fewest stored bytes worth a thread of its own (below that, starting and joining it costs
# more than it saves).
_MIN_THREAD_BYTES = 1 << 20
_POOL: ThreadPoolExecutor | None = None
_POOL_SIZE = 0


_POOL_LOCK = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    """A process-wide pool with at least ``workers`` threads (created on first use). A larger
    one replaces it; the old one is not shut down, since a concurrent read may still submit
    to it: its idle threads exit once it is garbage."""
    global _POOL, _POOL_SIZE
    with _POOL_LOCK:
        if _POOL is None or _POOL_SIZE < workers:
            _POOL = ThreadPoolExecutor(workers, thread_name_prefix="turboavro-columns")
            _POOL_SIZE = workers
        return _POOL


@dataclass
class _Blocks:
    """Every block of a file as ``(buffer, table)`` batches (``table``: int64 rows of
    ``_blocks.TABLE_FIELDS``), and the framing error that ended them. With ``fd`` >= 0 the
    buffers are empty: each block is read from that file (at its ``data_offset``) as it is
    decoded."""

    batches: list[tuple[Any, bytes]]
    error: Exception | None
    fd: int = -1

    def runs(self, parts: int) -> list[tuple[list[_Piece], int, int]]:
        """Contiguous runs of about equal stored size: ``(pieces, records, stored bytes)``
        (``_columns.split_runs``)."""
        return _k.split_runs([table for _, table in self.batches], parts)


def _collect(src: Any) -> _Blocks:
    """Frame every block of ``src``: of a plain file by reading only the block headers (the
    threads then read the data they decode, block by block, so it stays in cache and no
    copy of the file is made); otherwise by reading the rest of the file at once."""
    framed = src._file_blocks()
    if framed is not None:
        fd, table = framed
        return _Blocks([(b"", table)] if table else [], None, fd)
    out = []
    try:
        for batch in src._block_batches(whole=True, alloc=_k.scratch):
            out.append(batch)
    except DecodeError as e:
        # errors surface in file order: the blocks before the damage are decoded first
        return _Blocks(out, e)
    return _Blocks(out, None)


def _decode_pieces(chunk: Any, comp: _Compiled, blocks: _Blocks, pieces: list[_Piece],
                   codec: Any, max_block: int) -> Any:
    """Decodes a run of blocks into ``chunk`` (on a worker thread: the kernel decompresses
    and decodes a whole piece with the GIL released)."""
    native = 0 if codec is None else codec.native_id
    fd = blocks.fd
    for b, lo, hi in pieces:
        buf, table = blocks.batches[b]
        if native is not None:
            chunk.decode_table(buf, table, lo, hi, native, max_block, comp.min_size, fd)
            continue
        # a Python fallback codec: decompress block by block, decode natively
        view = memoryview(buf)
        rows = memoryview(table).cast("q")[lo * _NFIELDS : hi * _NFIELDS].tolist()
        for i in range(0, len(rows), _NFIELDS):
            count, offset, size, data_offset, start = rows[i : i + _NFIELDS]
            stored = view[start : start + size] if fd < 0 else os.pread(fd, size, data_offset)
            if len(stored) < size:
                raise _cut_block_error(len(stored), size, offset)
            try:
                data = codec.decompress(stored, max_block)
            except CodecError as e:
                raise _block_codec_error(e, offset, size, data_offset) from e
            _check_count(count, len(data), comp, data_offset)
            chunk.reserve_rows(count)
            end = chunk.decode(data, count, 0, data_offset, True)
            if end != len(data):
                raise _trailing_bytes_error(len(data) - end, count, data_offset, end)
    return chunk


def _row_budget(comp: _Compiled, records: int, stored: int, compressed: bool) -> int:
    """Records the stored bytes can justify reserving up front: every record takes at least
    ``min_size`` bytes of decompressed data, and compressed data is taken to expand at most
    64 times (a lying count then costs at most that address space; blocks are checked
    exactly as they are decoded)."""
    if not comp.min_size:
        return 0
    return min(records, (64 * stored if compressed else stored) // comp.min_size)


def _decode_all(comp: _Compiled, blocks: _Blocks, codec: Any, threads: int,
                max_block: int) -> tuple[list[Any], int]:
    """Column buffers and the record count of every block, decoded on ``threads`` threads."""
    compressed = codec is not None
    # threads x 8 segments, each thread a run of consecutive ones (see _Shared)
    segments = blocks.runs(threads * _SEGMENTS_PER_THREAD) if threads > 1 else []
    per_thread = [
        group
        for k in range(threads)
        if (group := segments[k * len(segments) // threads : (k + 1) * len(segments) // threads])
    ]
    if len(per_thread) <= 1:
        runs = blocks.runs(1)
        pieces, records, stored = runs[0] if runs else ([], 0, 0)
        rows = _row_budget(comp, records, stored, compressed)
        chunk = _k._Chunk(comp.plan, _hints(comp, rows, stored))
        _decode_pieces(chunk, comp, blocks, pieces, codec, max_block)
        bufs = [chunk.take(i) for i in range(comp.plan.ncols)]
        _learn(comp, bufs, stored)
        return bufs, chunk.rows
    # Threads write their fixed-width per-record values straight into one shared set of
    # columns (no join for them) when every record count is justified up front.
    records = sum(r[1] for r in segments)
    stored = sum(r[2] for r in segments)
    share = _row_budget(comp, records, stored, compressed) == records
    owner = None
    if share:
        owner = _k._Chunk(
            comp.plan, {i: records * w for i, w in enumerate(comp.row_width) if w}
        )
    work = _Shared(comp, blocks, codec, max_block, owner, records, stored)
    for k, group in enumerate(per_thread):
        work.add_run(group, first=k == 0)
    pool = _pool(len(work.runs) - 1)
    futures = [pool.submit(work.decode, k) for k in range(1, len(work.runs))]
    try:
        work.decode(0)
    except BaseException:  # KeyboardInterrupt, SystemExit: the workers stop after a segment
        work.cancel()
        raise
    finally:
        for f in futures:
            f.exception()  # waits for every worker (their errors are in work.errors)
    if work.errors:
        raise work.errors[min(work.errors)]
    chunks = [c for run in work.runs for c in run.chunks()]
    if owner is not None:
        owner.gather_shared(chunks)
    bufs = _concat(chunks, comp, owner, pool)
    _learn(comp, bufs, stored)
    return bufs, sum(c.rows for c in chunks)


# Segments per thread: a thread decodes its own run of blocks segment by segment, and one
# that is done early takes segments from the end of the run with the most left, so a thread
# slowed down (another process on its core) does not hold the read back.
_SEGMENTS_PER_THREAD = 8


class _Run:
    """A thread's contiguous run of segments ``(pieces, records, stored, row0)``. Its thread
    decodes them from the front into ``main``; threads that are done take them from the back,
    each into a chunk of its own (``stolen``), so the run's chunks stay in file order."""

    __slots__ = ("segments", "front", "back", "left", "main", "stolen")

    def __init__(self, segments: list[tuple[list[_Piece], int, int, int]], main: Any) -> None:
        self.segments = segments
        self.front = 0  # the next segment its own thread takes
        self.back = len(segments)  # segments from here on are taken by other threads
        self.left = sum(s[2] for s in segments)  # stored bytes not taken yet
        self.main = main
        self.stolen: list[tuple[int, Any]] = []

    def chunks(self) -> list[Any]:
        return [self.main] + [c for _, c in sorted(self.stolen, key=lambda sc: sc[0])]

    def drop_rest(self) -> None:
        """Leave the segments not taken yet undone (under the lock of its ``_Shared``)."""
        self.back = self.front
        self.left = 0


class _Shared:
    """The runs of a threaded read and the lock under which threads take segments."""

    def __init__(self, comp: _Compiled, blocks: _Blocks, codec: Any, max_block: int,
                 owner: Any, records: int, stored: int) -> None:
        self.comp, self.blocks, self.codec, self.max_block = comp, blocks, codec, max_block
        self.owner, self.records, self.stored = owner, records, stored
        self.runs: list[_Run] = []
        self.row0 = 0
        self.lock = threading.Lock()
        self.errors: dict[tuple[int, int], BaseException] = {}

    def _chunk(self, records: int, stored: int, row0: int, rows: int) -> Any:
        """A chunk for ``rows`` records at ``row0``, with room for ``records`` records from
        ``stored`` bytes in its variable-size columns."""
        comp = self.comp
        compressed = self.codec is not None
        hints = _hints(comp, _row_budget(comp, records, stored, compressed), stored)
        if self.owner is None:
            return _k._Chunk(comp.plan, hints)
        chunk = _k._Chunk(comp.plan, {i: v for i, v in hints.items() if not comp.row_width[i]})
        chunk.share_rows(self.owner, row0, rows)
        return chunk

    def add_run(self, segments: list[tuple[list[_Piece], int, int]], first: bool) -> None:
        row0 = self.row0
        placed = []
        for pieces, n, size in segments:
            placed.append((pieces, n, size, self.row0))
            self.row0 += n
        n = self.row0 - row0
        size = sum(s[2] for s in segments)
        # the first run's variable-size columns get room for the whole file: the joined
        # columns then start as its buffers, and only the other chunks' bytes are copied
        main = (self._chunk(self.records, self.stored, row0, n) if first
                else self._chunk(n, size, row0, n))
        self.runs.append(_Run(placed, main))

    def _take_own(self, k: int) -> int | None:
        run = self.runs[k]
        with self.lock:
            if run.front >= run.back:
                return None
            s = run.front
            run.front += 1
            run.left -= run.segments[s][2]
            return s

    def _take_other(self) -> tuple[int, int, Any] | None:
        with self.lock:
            k = max(range(len(self.runs)), key=lambda i: self.runs[i].left)
            run = self.runs[k]
            if run.front >= run.back:
                return None
            run.back -= 1
            s = run.back
            pieces, n, size, row0 = run.segments[s]
            run.left -= size
            chunk = self._chunk(n, size, row0, n)
            run.stolen.append((s, chunk))
            return k, s, chunk

    def cancel(self) -> None:
        """Leave every segment not taken yet undone."""
        with self.lock:
            for run in self.runs:
                run.drop_rest()

    def _decode(self, chunk: Any, k: int, s: int) -> bool:
        try:
            _decode_pieces(chunk, self.comp, self.blocks, self.runs[k].segments[s][0],
                           self.codec, self.max_block)
            return True
        except Exception as exc:  # raised by the caller, the first in file order
            with self.lock:
                self.errors[k, s] = exc
            return False

    def decode(self, k: int) -> None:
        """Thread ``k``'s work: its own run, then segments other runs have left."""
        run = self.runs[k]
        while (s := self._take_own(k)) is not None:
            if not self._decode(run.main, k, s):
                with self.lock:  # the rest of this run comes after the error: not needed
                    run.drop_rest()
                break
        while (got := self._take_other()) is not None:
            self._decode(got[2], got[0], got[1])


def read_open(
    src: Any,
    columns: Any = None,
    reader_schema: Any = None,
    threads: int | None = None,
) -> Columns:
    """:func:`turboavro.columnar.read_columns` over an open container ``Reader`` (whose
    ``reader_schema`` applies unless one is given)."""
    if reader_schema is None:
        reader_schema = getattr(src, "reader_schema", None)
    reader = None if reader_schema is None else Schema.parse(reader_schema)
    comp = _compile(src.schema, reader, columns, src.metadata.get("avro.schema"))
    if getattr(src, "_skip", False):
        return _read_skipping(src, comp)
    codec = _codec(src.codec)
    nthreads = max(1, threads if threads is not None else (os.cpu_count() or 1))
    blocks = _collect(src)
    if threads is None and nthreads > 1:
        stored = sum(r[2] for r in blocks.runs(1))
        nthreads = min(nthreads, max(1, stored // _MIN_THREAD_BYTES))
    bufs, nrows = _decode_all(comp, blocks, codec, nthreads, src._max_block)
    if blocks.error is not None:
        raise blocks.error
    return _assemble(comp.spec, bufs, nrows, comp.schema, comp.order)


def iter_open(
    src: Any,
    batch_size: int = 65536,
    columns: Any = None,
    reader_schema: Any = None,
) -> Iterator[Columns]:
    """:func:`turboavro.columnar.iter_batches` over an open container ``Reader``; what
    ``Reader.iter_batches`` runs."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if reader_schema is None:
        reader_schema = getattr(src, "reader_schema", None)
    reader = None if reader_schema is None else Schema.parse(reader_schema)
    comp = _compile(src.schema, reader, columns, src.metadata.get("avro.schema"))
    codec = _codec(src.codec)
    hint = min(batch_size, 1 << 20)
    chunk = None
    for b in src.iter_blocks_raw():
        try:
            data = b.data if codec is None else codec.decompress(b.data, _MAX_BLOCK)
        except CodecError as e:
            raise _block_codec_error(e, b.offset, b.size, b.data_offset) from e
        _check_count(b.count, len(data), comp, b.data_offset)
        pos = 0
        done = 0
        while done < b.count:
            if chunk is None:
                chunk = _k._Chunk(comp.plan, _hints(comp, hint, len(data)))
            take = min(b.count - done, batch_size - chunk.rows)
            pos = chunk.decode(data, take, pos, b.data_offset, codec is not None, done)
            done += take
            if chunk.rows == batch_size:
                yield _finish(chunk, comp)
                chunk = None
        if pos != len(data):
            if codec is None:
                raise _trailing_bytes_error(len(data) - pos, b.count, b.data_offset + pos)
            raise _trailing_bytes_error(len(data) - pos, b.count, b.data_offset, pos)
    if chunk is not None and chunk.rows:
        yield _finish(chunk, comp)


def _read_skipping(src: Any, comp: _Compiled) -> Columns:
    """A skip-mode Reader's columns, recovered as its rows are: blocks come from the reader
    (which already resyncs past damaged framing and undecompressable blocks, recording
    them), and a block whose records fail to decode keeps the records before the failure
    while the block is recorded as skipped (``Reader.skip_block``), like the row reader."""
    chunks = []
    for b in src.blocks():
        data = b.data
        try:
            _check_count(b.count, len(data), comp, b.data_offset)
            chunk = _k._Chunk(comp.plan, _hints(comp, b.count, len(data)))
            pos = chunk.decode(data, b.count, 0, b.offset, True, 0)
            if pos != len(data):
                raise _trailing_bytes_error(len(data) - pos, b.count, b.offset, pos)
        except DecodeError as e:
            kept = _decodable_prefix(comp, data, b.count, b.offset)
            if kept is not None:
                chunks.append(kept)
            src.skip_block(b, e)
            continue
        chunks.append(chunk)
    nrows = sum(c.rows for c in chunks)
    bufs = _concat(chunks, comp) if chunks else _concat([_k._Chunk(comp.plan, {})], comp)
    return _assemble(comp.spec, bufs, nrows, comp.schema, comp.order)


def _decodable_prefix(comp: _Compiled, data: Any, count: int, offset: int) -> Any:
    """A chunk of the most leading records of a block that decode cleanly (None: none do):
    decoding k records succeeds for every k up to the first bad record."""
    lo, hi, best = 1, count, None
    while lo <= hi:
        mid = (lo + hi) // 2
        chunk = _k._Chunk(comp.plan, _hints(comp, mid, len(data)))
        try:
            chunk.decode(data, mid, 0, offset, True, 0)
        except DecodeError:
            hi = mid - 1
        else:
            best, lo = chunk, mid + 1
    return best


def _finish(chunk: Any, comp: _Compiled) -> Columns:
    bufs = [chunk.take(i) for i in range(comp.plan.ncols)]
    return _assemble(comp.spec, bufs, chunk.rows, comp.schema, comp.order)


# ----------------------------------------------------------------------------------------------
# write_columns
# ----------------------------------------------------------------------------------------------
