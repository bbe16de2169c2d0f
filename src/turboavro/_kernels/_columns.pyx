# cython: language_level=3, boundscheck=False, wraparound=False
"""Columnar kernels: execute a compiled column plan over Avro blocks (and back).

The plan (built by turboavro.columnar from writer x reader schemas and the projection) is a
flat array of C nodes; decoding runs with the GIL released into growable column buffers that
are then handed to numpy without a copy (docs/internals.md, "Columnar kernels").
"""
from cpython.buffer cimport PyBUF_WRITABLE, PyBuffer_FillInfo
from libc.stdint cimport uint8_t, int32_t, int64_t, INT64_MAX
from libc.stdlib cimport calloc, free, malloc, realloc
from libc.string cimport memcpy, memmove, memset, strerror

from ._native cimport (
    ta_cursor, TA_OK, TA_ERR_TRUNCATED, TA_ERR_OVERLONG, TA_ERR_OVERFLOW, TA_ERR_NEGATIVE,
    TA_ERR_TOO_LARGE, TA_ERR_NOMEM, TA_ERR_LIMIT,
)
from ._blocks cimport (
    BlockBuffer, block_borrow, block_decompress, block_give_back, block_pread,
    raise_codec_error,
)

from .. import limits as _limits
from ..errors import (
    CodecError, CorruptFileError, DecodeError, EncodeError, _block_codec_error, _cut_block_error,
    _trailing_bytes_error,
)

OPS = {
    "BOOL": TA_OP_BOOL, "INT": TA_OP_INT, "INT_L": TA_OP_INT_L, "INT_F": TA_OP_INT_F,
    "INT_D": TA_OP_INT_D, "LONG": TA_OP_LONG, "LONG_F": TA_OP_LONG_F, "LONG_D": TA_OP_LONG_D,
    "FLOAT": TA_OP_FLOAT, "FLOAT_D": TA_OP_FLOAT_D, "DOUBLE": TA_OP_DOUBLE,
    "STRING": TA_OP_STRING, "BYTES": TA_OP_BYTES, "FIXED": TA_OP_FIXED, "ENUM": TA_OP_ENUM,
    "RECORD": TA_OP_RECORD, "ARRAY": TA_OP_ARRAY, "MAP": TA_OP_MAP,
    "NULLABLE": TA_OP_NULLABLE, "VALID": TA_OP_VALID, "UNWRAP": TA_OP_UNWRAP,
    "UNION": TA_OP_UNION, "UNION_CONST": TA_OP_UNION_CONST, "DEFAULT": TA_OP_DEFAULT,
    "SKIP_VARINT": TA_OP_SKIP_VARINT, "SKIP_N": TA_OP_SKIP_N, "SKIP_BYTES": TA_OP_SKIP_BYTES,
    "SKIP_RECORD": TA_OP_SKIP_RECORD, "SKIP_ARRAY": TA_OP_SKIP_ARRAY,
    "SKIP_MAP": TA_OP_SKIP_MAP, "SKIP_UNION": TA_OP_SKIP_UNION, "NOTHING": TA_OP_NOTHING,
}

cdef enum:
    _TF = 5  # int64 fields of a block table row (_blocks.TABLE_FIELDS)
    _READ_AHEAD = 64 << 10  # decode_table reads at least this much of a file at once


cdef dict _MESSAGES = {
    TA_ERR_TRUNCATED: "data truncated",
    TA_ERR_OVERLONG: "overlong varint",
    TA_ERR_OVERFLOW: "varint overflows its type",
    TA_ERR_NEGATIVE: "negative length",
    TA_ERR_TOO_LARGE: "length or offset beyond the data",
    TA_ERR_NOMEM: "out of memory",
    TA_ERR_LIMIT: "more values than the block's record count",
    TA_ERR_BAD_BOOL: "boolean byte is neither 0 nor 1",
    TA_ERR_BAD_UNION: "union branch index out of range",
    TA_ERR_BAD_ENUM: "enum index out of range",
    TA_ERR_UTF8: "string is not valid UTF-8",
    TA_ERR_UNREADABLE: "value the reader schema cannot read",
    TA_ERR_COUNT: "collection count larger than the remaining data can hold",
}


cdef str _path(Plan plan, ta_err *e):
    # '[]' marks a collection level in the node path; fill them outermost first
    cdef str path = plan.paths[e.node] if 0 <= e.node < len(plan.paths) else "$"
    cdef int k
    for k in range(e.nidx - 1, -1, -1):
        if "[]" not in path:
            break
        path = path.replace("[]", f"[{e.idx[k]}]", 1)
    return path.replace("[]", "")


cdef class Plan:
    """A compiled column plan: ``nodes`` are tuples (op, col, col2, col3, kids, nkids, table,
    ntable, width, fill, size, default_bytes_or_None)."""

    def __cinit__(self, list nodes, list kids, list table, int root, int ncols, tuple paths,
                  tuple offset_cols, tuple row_width=()):
        cdef Py_ssize_t i
        cdef bytes d
        self._defaults = []
        self.nodes = <ta_node *>calloc(max(len(nodes), 1), sizeof(ta_node))
        self.kids = <int32_t *>calloc(max(len(kids), 1), sizeof(int32_t))
        self.table = <int32_t *>calloc(max(len(table), 1), sizeof(int32_t))
        self.row_width = <int32_t *>calloc(max(ncols, 1), sizeof(int32_t))
        if not self.nodes or not self.kids or not self.table or not self.row_width:
            raise MemoryError()
        if len(row_width) not in (0, ncols):
            raise ValueError("row_width needs one entry per column")
        for i, w in enumerate(row_width):
            if w < 0 or (w and i in offset_cols):
                raise ValueError(f"bad row width {w} of column {i}")
            self.row_width[i] = w
        for i, t in enumerate(nodes):
            (self.nodes[i].op, self.nodes[i].col, self.nodes[i].col2, self.nodes[i].col3,
             self.nodes[i].kids, self.nodes[i].nkids, self.nodes[i].table,
             self.nodes[i].ntable, self.nodes[i].width, self.nodes[i].fill,
             self.nodes[i].size) = t[:11]
            if t[11] is not None:
                d = bytes(t[11])
                self._defaults.append(d)
                self.nodes[i].dflt = <const uint8_t *>(<char *>d)
                self.nodes[i].dflt_len = len(d)
        for i, k in enumerate(kids):
            self.kids[i] = k
        for i, k in enumerate(table):
            self.table[i] = k
        if not 0 <= root < len(nodes):
            raise ValueError("plan root out of range")
        self.plan.nodes = self.nodes
        self.plan.kids = self.kids
        self.plan.table = self.table
        self.plan.root = root
        self.ncols = ncols
        self.paths = paths
        self.offset_cols = offset_cols

    def __dealloc__(self):
        free(self.nodes)
        free(self.kids)
        free(self.table)
        free(self.row_width)


# ----------------------------------------------------------------------------------------------
# Large buffers kept for reuse. A page of fresh memory costs a fault, and on virtual machines
# a fault that the host must back too (measured here: ~5 ms to first touch 6.6 MB, against
# ~0.5 ms to decode into memory touched before). glibc gives large blocks back to the system
# when they are freed, so every read of a file paid that again. Buffers of at least
# _CACHE_MIN bytes freed by column arrays (and file buffers) are kept, up to a total of
# _cache_limit bytes (set_buffer_cache), oldest given back first, and reused by the next
# chunks of about their size. Used with the GIL held only.
# ----------------------------------------------------------------------------------------------

cdef struct _Cached:
    uint8_t *data
    size_t cap

cdef enum:
    _CACHE_SLOTS = 64
    _CACHE_MIN = 256 * 1024

cdef _Cached _cache[_CACHE_SLOTS]
cdef int _ncache = 0
cdef size_t _cache_bytes = 0
cdef size_t _cache_limit = 256 * 1024 * 1024


cdef uint8_t *_cache_remove(int i, size_t *cap) noexcept:
    """Take kept buffer ``i`` out of the cache: its pointer (and capacity in ``cap``)."""
    global _ncache, _cache_bytes
    cdef uint8_t *p = _cache[i].data
    cap[0] = _cache[i].cap
    _cache_bytes -= _cache[i].cap
    memmove(&_cache[i], &_cache[i + 1], (_ncache - i - 1) * sizeof(_Cached))
    _ncache -= 1
    return p


cdef void _cache_shrink(size_t room) noexcept:
    """Free the oldest kept buffers until a buffer of ``room`` bytes (0: none) fits the
    limit and a slot."""
    cdef size_t cap
    while _ncache and (_cache_bytes + room > _cache_limit
                       or (room and _ncache == _CACHE_SLOTS)):
        free(_cache_remove(0, &cap))


cdef uint8_t *_cache_take(size_t need, size_t *cap) noexcept:
    """A kept buffer of ``need`` to about twice ``need`` bytes (the smallest), or NULL."""
    global _ncache, _cache_bytes
    cdef int i, best = -1
    cdef uint8_t *p
    if need < _CACHE_MIN:
        return NULL
    for i in range(_ncache):
        if need <= _cache[i].cap <= 2 * need and (best < 0 or _cache[i].cap < _cache[best].cap):
            best = i
    if best < 0:
        return NULL
    return _cache_remove(best, cap)


cdef void _cache_put(uint8_t *p, size_t cap) noexcept:
    """Keep (or free) a buffer nobody uses any more."""
    global _ncache, _cache_bytes
    if p == NULL:
        return
    if cap < _CACHE_MIN or cap > _cache_limit:
        free(p)
        return
    _cache_shrink(cap)
    _cache[_ncache].data = p
    _cache[_ncache].cap = cap
    _ncache += 1
    _cache_bytes += cap


cdef int _col_reserve(ta_col *col, size_t nbytes) except -1:
    """Initial capacity for an empty column: a kept buffer if one fits, else malloc."""
    cdef size_t cap = 0
    cdef uint8_t *p
    if col.data == NULL and col.len == 0:
        p = _cache_take(nbytes, &cap)
        if p == NULL:
            p = <uint8_t *>malloc(nbytes)  # exactly: a hint is what will be used
            cap = nbytes
            if p != NULL:
                ta_advise_huge(p, cap)  # filled as decoded: fewer, larger page faults
        if p != NULL:
            col.data = p
            col.cap = cap
            return 0
    if ta_col_reserve(col, nbytes) != TA_OK:
        raise MemoryError()
    return 0


def set_buffer_cache(size_t max_bytes):
    """Keep at most ``max_bytes`` of freed large column buffers for reuse (0: keep none, and
    give back what is kept now). Returns the previous limit."""
    global _cache_limit
    cdef size_t old = _cache_limit
    _cache_limit = max_bytes
    _cache_shrink(0)
    return old


def buffer_cache_info():
    """``(buffers, bytes)`` kept for reuse now."""
    return _ncache, _cache_bytes


cdef class _Owned:
    """Bytes owned by a malloc'ed pointer (``cap`` bytes allocated, the first ``size`` in
    use), exported through the buffer protocol so numpy can wrap them without a copy; given
    back (to the buffer cache) with the last view. Writable: file buffers are read into."""
    cdef uint8_t *data
    cdef Py_ssize_t size
    cdef uint8_t *base   # the allocation (data may start a little after it)
    cdef size_t cap

    def __getbuffer__(self, Py_buffer *view, int flags):
        PyBuffer_FillInfo(view, self, <void *>self.data, self.size, 0, flags)

    def __releasebuffer__(self, Py_buffer *view):
        pass

    def __len__(self):
        return self.size

    def __dealloc__(self):
        _cache_put(self.base, self.cap)


cdef _Owned _own(uint8_t *data, size_t size, size_t cap):
    cdef _Owned o = _Owned.__new__(_Owned)
    if data == NULL:
        data = <uint8_t *>malloc(1)  # numpy needs a real pointer even for empty arrays
        if data == NULL:
            raise MemoryError()
        cap = 1
    o.data = data
    o.base = data
    o.size = <Py_ssize_t>size
    o.cap = cap
    return o


def scratch(size_t size, size_t phase=0):
    """A writable buffer of ``size`` bytes (contents undefined), from the buffer cache when a
    kept buffer fits: for reading files into without touching fresh memory.

    Its data starts at ``phase`` modulo 4 KiB: pass the file offset the read starts at, so
    that the kernel copies each page-cache page to the same offset within a page. malloc's
    large blocks start 16 bytes into a page, and the copy from a page-aligned source to such
    an address ran 5-7 times slower on the AMD EPYC measured (``rep movsb`` with source and
    destination 8 or 16 bytes apart modulo 4 KiB: 4.5 ms instead of 0.7 ms for 6.6 MB)."""
    cdef ta_col col
    cdef _Owned o
    memset(&col, 0, sizeof(col))
    _col_reserve(&col, size + 4096)
    o = _own(col.data, size, col.cap)
    o.data = col.data + ((phase - <size_t>col.data) & 4095)
    return o


cdef class _Chunk:
    """One set of growable column buffers for a plan (one thread's or one batch's rows)."""

    def __cinit__(self, Plan plan, dict hints=None):
        cdef int i
        cdef int64_t zero = 0
        self.plan = plan
        self.rows = 0
        self.zero_budget = _limits.get().max_file_zero_byte_items
        self.cols = <ta_col *>calloc(max(plan.ncols, 1), sizeof(ta_col))
        if self.cols == NULL:
            raise MemoryError()
        if hints:
            for i, nbytes in hints.items():
                if nbytes > 0:
                    _col_reserve(&self.cols[i], nbytes)
        for i in plan.offset_cols:
            # Arrow offsets start with a 0 entry (the end of "element -1")
            _col_reserve(&self.cols[i], 8)
            memcpy(self.cols[i].data, &zero, 8)
            self.cols[i].len = 8

    def __dealloc__(self):
        cdef int i
        if self.cols != NULL:
            for i in range(self.plan.ncols):
                if not self.cols[i].fixed:
                    _cache_put(self.cols[i].data, self.cols[i].cap)
            free(self.cols)

    def share_rows(self, _Chunk owner not None, int64_t row0, int64_t nrows):
        """Write this chunk's fixed-width per-record columns straight into ``owner``'s, as rows
        ``row0 .. row0 + nrows`` (reserved there): threads decoding adjacent runs of blocks
        then need no join of those columns. Call before decoding; exactly ``nrows`` records
        must follow (more cannot be written: the window does not grow)."""
        cdef int i
        cdef size_t w
        if owner.plan is not self.plan or self.rows or row0 < 0 or nrows < 0:
            raise ValueError("share_rows needs an empty chunk of the same plan")
        for i in range(self.plan.ncols):
            w = <size_t>self.plan.row_width[i]
            if w == 0:
                continue
            if owner.cols[i].fixed or owner.cols[i].cap < <size_t>(row0 + nrows) * w:
                raise ValueError("the owner has no room for these rows")
            if self.cols[i].len:
                raise ValueError("share_rows needs an empty chunk")
            _cache_put(self.cols[i].data, self.cols[i].cap)
            self.cols[i].data = owner.cols[i].data + <size_t>row0 * w
            self.cols[i].len = 0
            self.cols[i].cap = <size_t>nrows * w
            self.cols[i].fixed = 1
        self.shared = owner

    cdef int _reserve_rows(self, int64_t nrows) noexcept nogil:
        """Room for ``nrows`` more records in the fixed-width per-record columns: TA_OK,
        TA_ERR_NOMEM, or TA_ERR_LIMIT for a shared window too small for them."""
        cdef int i, rc
        cdef size_t w
        for i in range(self.plan.ncols):
            w = <size_t>self.plan.row_width[i]
            if w:
                rc = ta_col_reserve(&self.cols[i], <size_t>nrows * w)
                if rc != TA_OK:
                    return rc
        return TA_OK

    def reserve_rows(self, int64_t nrows):
        """Room for ``nrows`` more records in the fixed-width per-record columns."""
        cdef int rc = self._reserve_rows(nrows)
        if rc == TA_ERR_LIMIT:
            raise DecodeError(_MESSAGES[rc])
        if rc != TA_OK:
            raise MemoryError()

    def gather_shared(self, list parts):
        """After ``parts`` (chunks sharing this one's rows, in order) are decoded: this chunk's
        fixed-width columns hold all their rows; ``rows`` becomes their total."""
        cdef int i
        cdef size_t w
        cdef int64_t total = 0
        cdef _Chunk part
        for part in parts:
            if part.shared is not self:
                raise ValueError("not a part of this chunk")
            for i in range(self.plan.ncols):
                w = <size_t>self.plan.row_width[i]
                if w and (part.cols[i].len != <size_t>part.rows * w
                          or part.cols[i].data != self.cols[i].data + <size_t>total * w):
                    raise ValueError(f"column {i} of a part does not hold its rows")
            total += part.rows
        for i in range(self.plan.ncols):
            w = <size_t>self.plan.row_width[i]
            if w:
                if <size_t>total * w > self.cols[i].cap:
                    raise ValueError("parts overrun the shared columns")
                self.cols[i].len = <size_t>total * w
        self.rows = total

    def decode(self, const uint8_t[::1] buf, int64_t count, Py_ssize_t start=0,
               int64_t file_offset=0, bint compressed=False, int64_t first_record=0):
        """Decode ``count`` records from ``buf[start:]``; return the position after them.

        ``file_offset`` is where ``buf`` starts in the file (for uncompressed blocks) or the
        block's own file offset (compressed: positions are then inside the decompressed data).
        """
        cdef ta_cursor c
        cdef ta_err e
        cdef int64_t done = 0
        cdef int rc
        if buf.shape[0] == 0:
            c.start = NULL
            c.pos = NULL
            c.end = NULL
        else:
            c.start = &buf[0]
            c.pos = c.start + start
            c.end = c.start + buf.shape[0]
        e.rc = 0
        e.zero_budget = self.zero_budget
        with nogil:
            rc = ta_decode_records(&self.plan.plan, &c, count, self.cols, &e, &done)
        self.zero_budget = e.zero_budget
        self.rows += done
        if rc != TA_OK:
            self._raise(&e, file_offset, compressed, first_record + done)
        return <Py_ssize_t>(c.pos - c.start) if c.start != NULL else 0

    def decode_table(self, const uint8_t[::1] buf, const uint8_t[::1] table, Py_ssize_t lo,
                     Py_ssize_t hi, int codec, size_t max_size, int64_t min_size, int fd=-1):
        """Decode blocks ``lo .. hi`` of a block table (int64 rows of
        ``_blocks.TABLE_FIELDS``; each block's stored data is ``buf[start : start + size]``,
        or with ``fd`` >= 0 is read from that file at ``data_offset``, block by block into a
        buffer that stays in cache) with the GIL released for the whole run: decompress with
        native codec id ``codec`` (0: stored as is; output over ``max_size`` bytes is a
        ``CodecError``), check the record count against the data (``min_size``: fewest bytes
        of a record, 0 for none), reserve the per-record columns, decode, and check the block
        is consumed exactly.

        Errors name the file offset: of the failing byte for stored blocks, of the block for
        compressed ones (with the position in its decompressed data). A file that ends
        before a block does (truncated since it was framed) is a ``CorruptFileError``."""
        # codec contexts and the decompressed block (dec), the blocks read from fd (raw's
        # buffer): borrowed, so a thread's many calls create a zstd context once
        cdef BlockBuffer dec = block_borrow()
        cdef BlockBuffer raw = block_borrow() if fd >= 0 else None
        cdef int64_t row[5]
        cdef const uint8_t *base = &buf[0] if buf.shape[0] else NULL
        cdef const uint8_t *data
        cdef const uint8_t *stored = NULL
        cdef size_t size = 0
        cdef const char *detail = NULL
        cdef ta_cursor c
        cdef ta_err e
        cdef int64_t done = 0, limit
        cdef Py_ssize_t i
        cdef int rc = TA_OK, stage = 0
        cdef Py_ssize_t nrows = table.shape[0] // sizeof(row)
        cdef size_t have = 0, want = 0, rlen = 0
        cdef int64_t rat = -1  # file bytes rat .. rat + rlen are in raw.buf
        cdef int64_t nxt[5]
        cdef Py_ssize_t j
        cdef int rerr = 0
        # records of a zero-byte schema are backed by no bytes: capped per block instead
        cdef int64_t max_records = _limits.get().max_block_records
        if lo < 0 or hi > nrows or lo > hi:
            raise ValueError("block range out of the table")
        for i in range(lo, hi):
            memcpy(row, &table[i * sizeof(row)], sizeof(row))
            if row[0] < 0 or row[2] < 0 or row[4] < 0 or row[3] < 0 or (
                    fd < 0 and row[4] + row[2] > buf.shape[0]):
                raise ValueError(f"block {i} of the table is outside the buffer")
        e.rc = 0
        try:
            with nogil:
                for i in range(lo, hi):
                    memcpy(row, &table[i * sizeof(row)], sizeof(row))
                    size = <size_t>row[2]
                    if fd >= 0 and (row[3] < rat or row[3] + row[2] > rat + <int64_t>rlen):
                        # read this block, and with it the run's next blocks that end
                        # within 64 KiB of its start (small blocks then cost no call each)
                        want = size
                        j = i + 1
                        while j < hi:
                            memcpy(nxt, &table[j * sizeof(row)], sizeof(row))
                            if nxt[3] + nxt[2] - row[3] > _READ_AHEAD:
                                break
                            want = <size_t>(nxt[3] + nxt[2] - row[3])
                            j += 1
                        if want > raw.buf.cap:
                            free(raw.buf.data)
                            raw.buf.cap = want
                            raw.buf.data = <uint8_t *>malloc(want)
                            if raw.buf.data == NULL:
                                raw.buf.cap = 0
                                stage = 6
                                break
                        rerr = block_pread(fd, raw.buf.data, want, row[3], &have)
                        rat = row[3]
                        rlen = have
                        if rerr or have < size:
                            stage = 5
                            break
                    if fd >= 0:
                        stored = raw.buf.data + (row[3] - rat)
                    else:
                        stored = base + row[4]
                    data = stored
                    if codec != 0:
                        rc = block_decompress(codec, &dec.ctx, data, size, max_size, &dec.buf, &detail)
                        if rc != TA_OK:
                            stage = 1
                            break
                        data = dec.buf.data
                        size = dec.buf.len
                    # a count the data cannot back is refused before anything is reserved
                    limit = <int64_t>(size // <size_t>min_size) if min_size > 0 else max_records
                    if row[0] > limit:
                        stage = 2
                        break
                    rc = self._reserve_rows(row[0])
                    if rc != TA_OK:
                        stage = 3
                        e.rc = rc
                        e.node = -1
                        e.pos = 0
                        e.nidx = 0
                        done = 0
                        break
                    c.start = data
                    c.pos = data
                    c.end = data + size if data != NULL else NULL
                    e.zero_budget = self.zero_budget
                    rc = ta_decode_records(&self.plan.plan, &c, row[0], self.cols, &e, &done)
                    self.zero_budget = e.zero_budget
                    self.rows += done
                    if rc != TA_OK:
                        stage = 3
                        break
                    if c.pos != c.end:
                        stage = 4
                        e.pos = <size_t>(c.pos - c.start)
                        break
            if stage == 1:
                raise_codec_error(codec, rc, detail, max_size, stored, <size_t>row[2], &dec.buf)
            if stage == 5:
                if rerr:
                    raise OSError(rerr, f"reading block at file offset {row[1]}: "
                                        f"{strerror(rerr).decode('utf-8', 'replace')}")
                raise _cut_block_error(have, row[2], row[1])
            if stage == 6:
                raise MemoryError(f"no memory to read a block of {row[2]} bytes")
            if stage == 2:
                if min_size <= 0:
                    raise DecodeError(_limits.exceeded(
                        "max_block_records", f"a block of {row[0]} zero-byte records"), row[3])
                raise DecodeError(
                    f"block record count {row[0]} cannot fit its {size} bytes", row[3])
            if stage == 3:
                self._raise(&e, row[3], codec != 0, done)
            if stage == 4:
                if codec != 0:
                    raise _trailing_bytes_error(size - e.pos, row[0], row[3], e.pos)
                raise _trailing_bytes_error(size - e.pos, row[0], row[3] + <int64_t>e.pos)
        except CodecError as err:
            # the codec's message, placed in the file (as the row reader does)
            raise _block_codec_error(err, row[1], row[2], row[3]) from err
        finally:
            block_give_back(dec, codec, 0)
            if raw is not None:
                block_give_back(raw, 0, 0)

    cdef _raise(self, ta_err *e, int64_t file_offset, bint compressed, int64_t record):
        if e.rc == TA_ERR_ZERO_ITEMS:
            msg = _limits.exceeded("max_file_zero_byte_items",
                                   "a block count of zero-byte collection items")
        else:
            msg = _MESSAGES.get(e.rc, f"decode error {e.rc}")
        path = _path(self.plan, e)
        if compressed:
            raise DecodeError(
                f"{msg} in record {record} of the block, at byte {e.pos} of its decompressed "
                f"data", file_offset, path)
        raise DecodeError(f"{msg} in record {record} of the block", file_offset + <int64_t>e.pos,
                          path)

    def take(self, int i):
        """Hand column ``i``'s buffer over (shrunk to size) as a buffer object; the chunk's
        column is left empty."""
        cdef ta_col *col = &self.cols[i]
        cdef uint8_t *p = col.data
        cdef size_t n = col.len
        cdef size_t cap = col.cap
        if col.fixed:
            raise ValueError(f"column {i} is a window of a shared chunk; take it from there")
        if p != NULL and cap > 2 * n + _CACHE_MIN:
            # mostly unused: give the rest back (what is kept stays reusable when freed)
            p = <uint8_t *>realloc(p, n if n else 1)
            if p == NULL:
                p = col.data
            else:
                cap = n if n else 1
        col.data = NULL
        col.len = col.cap = col.rd = 0
        return _own(p, n, cap)


def split_runs(list tables, int parts):
    """Split the blocks of ``tables`` (block tables in file order: int64 rows of
    ``_blocks.TABLE_FIELDS``) into at most ``parts`` contiguous runs of about equal stored
    size, one per thread: a list of ``(pieces, records, stored)``, ``pieces`` being
    ``(table index, first row, end row)`` ranges. A block belongs to the run its first stored
    byte falls in (so the split does not depend on how blocks are batched); empty runs are
    left out. ``split_runs(tables, 1)`` gives the totals."""
    cdef const int64_t[::1] t
    cdef int64_t total = 0, at = 0, records = 0, stored = 0
    cdef Py_ssize_t b, i, n, lo
    cdef int k, cur = -1
    cdef list runs = []
    cdef list pieces = []
    if parts < 1:
        raise ValueError("parts must be at least 1")
    for table in tables:
        t = memoryview(table).cast("B").cast("q")
        for i in range(t.shape[0] // _TF):
            total += t[i * _TF + 2]
    if total <= 0:
        total = 1
    for b, table in enumerate(tables):
        t = memoryview(table).cast("B").cast("q")
        n = t.shape[0] // _TF
        lo = 0
        for i in range(n):
            k = <int>min(<int64_t>(parts - 1), at * parts // total)
            if k != cur:
                if i > lo:
                    pieces.append((b, lo, i))
                if cur >= 0 and pieces:
                    runs.append((pieces, records, stored))
                pieces, records, stored, lo, cur = [], 0, 0, i, k
            if t[i * _TF] > INT64_MAX - records:
                # a crafted file's block counts can sum past 2**63 (each is checked alone)
                raise CorruptFileError(f"the blocks declare more than {INT64_MAX} records "
                                       "in total", t[i * _TF + 1])
            records += t[i * _TF]
            stored += t[i * _TF + 2]
            at += t[i * _TF + 2]
        if n > lo:
            pieces.append((b, lo, n))
    if pieces:
        runs.append((pieces, records, stored))
    return runs


def join_columns(list chunks, int i, bint offsets):
    """Column ``i`` of ``chunks`` (decoded in this order) joined into one buffer, which the
    chunks' buffers are given back for. ``offsets``: an int64 offsets column (starting with
    0): each chunk's offsets after its leading 0 continue from the previous chunk's last.
    The first chunk's buffer becomes the result when it has room for all (the others are
    appended to it): reserve it for the whole file to halve what is copied."""
    cdef _Chunk ch
    cdef ta_col out
    cdef ta_col *src
    cdef size_t total = 0, skip, n, j
    cdef int64_t base = 0, last
    cdef int64_t *dst
    cdef const int64_t *from_
    cdef Py_ssize_t k, first = 0
    memset(&out, 0, sizeof(out))
    for k, ch in enumerate(chunks):
        if i < 0 or i >= ch.plan.ncols or ch.cols[i].fixed:
            raise ValueError(f"column {i} cannot be joined")
        skip = 8 if offsets and k else 0
        if ch.cols[i].len < skip:
            raise ValueError("offsets column without its leading 0")
        total += ch.cols[i].len - skip
    if chunks and (<_Chunk>chunks[0]).cols[i].cap >= total and (<_Chunk>chunks[0]).cols[i].data:
        # adopt the first chunk's buffer: its bytes are already in place
        src = &(<_Chunk>chunks[0]).cols[i]
        out = src[0]
        if offsets and src.len >= 8:
            memcpy(&base, src.data + src.len - 8, 8)
        src.data = NULL
        src.len = src.cap = 0
        first = 1
    else:
        _col_reserve(&out, total if total else 1)
    for k, ch in enumerate(chunks):
        if k < first:
            continue
        src = &ch.cols[i]
        skip = 8 if offsets and k else 0
        n = src.len - skip
        with nogil:  # threads join different columns at the same time
            if offsets:
                dst = <int64_t *>(out.data + out.len)
                from_ = <const int64_t *>(src.data + skip)
                for j in range(n // 8):
                    dst[j] = from_[j] + base
                if src.len >= 8:
                    memcpy(&last, src.data + src.len - 8, 8)
                    base += last
            elif n:
                memcpy(out.data + out.len, src.data, n)
        out.len += n
        _cache_put(src.data, src.cap)
        src.data = NULL
        src.len = src.cap = 0
    return _own(out.data, out.len, out.cap)


cdef class _Encoder:
    """Encodes rows from borrowed column buffers (``arrays``: one contiguous buffer per plan
    column) into datum bytes, a block at a time."""
    cdef Plan plan
    cdef ta_col *cols
    cdef ta_col out
    cdef list _views
    cdef readonly int64_t rows_done

    def __cinit__(self, Plan plan, list arrays):
        cdef int i
        cdef const uint8_t[::1] mv
        self.plan = plan
        self._views = []
        self.rows_done = 0
        self.cols = <ta_col *>calloc(max(plan.ncols, 1), sizeof(ta_col))
        if self.cols == NULL:
            raise MemoryError()
        for i, a in enumerate(arrays):
            if a is None:
                continue
            mv = a
            self._views.append(mv)
            if mv.shape[0]:
                self.cols[i].data = <uint8_t *>&mv[0]
            self.cols[i].len = mv.shape[0]

    def __dealloc__(self):
        free(self.cols)   # column data is borrowed from the arrays
        free(self.out.data)

    def encode(self, int64_t count, size_t max_bytes):
        """Encode up to ``count`` records, stopping once ``max_bytes`` are written; return
        ``(records, bytes)``."""
        cdef ta_err e
        cdef int64_t done = 0
        cdef int rc
        self.out.len = 0
        e.rc = 0
        with nogil:
            rc = ta_encode_records(&self.plan.plan, self.cols, count, max_bytes, &self.out,
                                   &e, &done)
        if rc != TA_OK:
            msg = _MESSAGES.get(rc, f"encode error {rc}")
            if rc == TA_ERR_TRUNCATED:
                msg = "column shorter than the others"
            raise EncodeError(f"{msg} in row {self.rows_done + done}", _path(self.plan, &e))
        self.rows_done += done
        return done, (<char *>self.out.data)[:self.out.len] if self.out.len else b""


def _set_fast_paths(bint on):
    """Test hook: with ``on`` False every decode takes the kernel's general path (no record
    program, no one-loop array and map items), the reference its fast paths are tested
    against. Returns the previous setting. Not for use while another thread decodes."""
    global ta_fast_paths
    cdef bint was = ta_fast_paths != 0
    ta_fast_paths = 1 if on else 0
    return was


def utf8_valid(const uint8_t[::1] data):
    """True if ``data`` is valid UTF-8 (the kernels' validator; exposed for tests)."""
    if data.shape[0] == 0:
        return True
    return bool(ta_utf8_valid(&data[0], data.shape[0]))
