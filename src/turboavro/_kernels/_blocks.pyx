# cython: language_level=3, boundscheck=False, wraparound=False
"""Native Avro block codecs (Avro specification, Required Codecs and Optional Codecs) over native/ta_codecs.c.

Validation and allocation of Python objects happen with the GIL; the codec itself runs with
the GIL released, so threads decompressing different blocks scale. Codec ids are the
``CODEC_IDS`` values; ``turboavro.codecs`` is the public face of this module.
"""
from cpython.buffer cimport PyBuffer_FillInfo
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.exc cimport PyErr_CheckSignals
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.errno cimport errno, EINTR
from libc.string cimport memchr, memcmp, memmove

from ._native cimport ta_cursor, ta_read_long

from turboavro.errors import CodecError
from turboavro import limits as _limits

# Compile-time switches of this build (set by setup.py's library probing).
cdef extern from *:
    """
    #ifdef TA_HAVE_LIBDEFLATE
    #define TA_FLAG_LIBDEFLATE 1
    #else
    #define TA_FLAG_LIBDEFLATE 0
    #endif
    #ifdef TA_HAVE_ZLIB
    #define TA_FLAG_ZLIB 1
    #else
    #define TA_FLAG_ZLIB 0
    #endif
    #ifdef TA_HAVE_ZSTD
    #define TA_FLAG_ZSTD 1
    #else
    #define TA_FLAG_ZSTD 0
    #endif
    #ifdef TA_HAVE_SNAPPY
    #define TA_FLAG_SNAPPY 1
    #else
    #define TA_FLAG_SNAPPY 0
    #endif
    #ifdef TA_HAVE_LZMA
    #define TA_FLAG_LZMA 1
    #else
    #define TA_FLAG_LZMA 0
    #endif
    #ifdef TA_HAVE_BZ2
    #define TA_FLAG_BZ2 1
    #else
    #define TA_FLAG_BZ2 0
    #endif
    static const char ta_empty_block[1] = {0};
    """
    int TA_FLAG_LIBDEFLATE
    int TA_FLAG_ZLIB
    int TA_FLAG_ZSTD
    int TA_FLAG_SNAPPY
    int TA_FLAG_LZMA
    int TA_FLAG_BZ2
    const char ta_empty_block[1]

cdef extern from "ta_pread.h" nogil:
    int TA_HAVE_PREAD
    long long ta_pread(int fd, void *buf, size_t n, int64_t offset)

#: Whether this build can read files by position (``scan_file``, ``decode_table(fd=...)``):
#: not on Windows, where the columnar reader reads files whole instead.
HAVE_PREAD = bool(TA_HAVE_PREAD)


cdef extern from "ta_common.h":
    int TA_OK
    int TA_ERR_CODEC
    int TA_ERR_CHECKSUM
    int TA_ERR_NOMEM
    int TA_ERR_LIMIT

ta_crc32_init()

#: Avro codec name -> id used by this module (Avro specification, Optional Codecs).
CODEC_IDS = {
    "null": TA_CODEC_NULL,
    "deflate": TA_CODEC_DEFLATE,
    "snappy": TA_CODEC_SNAPPY,
    "bzip2": TA_CODEC_BZIP2,
    "xz": TA_CODEC_XZ,
    "zstandard": TA_CODEC_ZSTD,
}
#: Internal id: deflate through zlib even when libdeflate is compiled in (tests, benchmarks).
DEFLATE_ZLIB = TA_CODEC_DEFLATE_ZLIB

#: Which TA_HAVE_* macros this module was compiled with.
COMPILE_FLAGS = {
    "TA_HAVE_LIBDEFLATE": bool(TA_FLAG_LIBDEFLATE),
    "TA_HAVE_ZLIB": bool(TA_FLAG_ZLIB),
    "TA_HAVE_ZSTD": bool(TA_FLAG_ZSTD),
    "TA_HAVE_SNAPPY": bool(TA_FLAG_SNAPPY),
    "TA_HAVE_LZMA": bool(TA_FLAG_LZMA),
    "TA_HAVE_BZ2": bool(TA_FLAG_BZ2),
}

cdef tuple _NAMES = ("null", "deflate", "snappy", "bzip2", "xz", "zstandard", "deflate")

# Below this many input bytes the codec runs with the GIL held: releasing and re-taking it
# costs more than the work.
cdef enum:
    NOGIL_MIN = 2048


cdef inline int _check_codec(int codec) except -1:
    if codec < 0 or codec > TA_CODEC_DEFLATE_ZLIB:
        raise CodecError(f"unknown codec id {codec}")
    if not ta_codec_available(codec):
        raise CodecError(f"codec {_NAMES[codec]!r} was not compiled into this build")
    return 0


cdef int raise_codec_error(int codec, int rc, const char *detail, size_t max_size,
                           const uint8_t *src, size_t n, ta_outbuf *out) except -1:
    name = _NAMES[codec] if 0 <= codec < len(_NAMES) else f"codec {codec}"
    extra = f" ({detail.decode('utf-8', 'replace')})" if detail != NULL else ""
    if rc == TA_ERR_LIMIT:
        cap = ta_expansion_cap(n, max_size) if codec != TA_CODEC_NULL else max_size
        if cap < max_size:
            raise CodecError(f"{name}: " + _limits.exceeded(
                "max_expansion_ratio",
                f"a block of {n} compressed bytes decompressing to more than {cap} bytes"))
        raise CodecError(
            f"{name}: decompressed block is larger than the limit of {max_size} bytes{extra}")
    if rc == TA_ERR_CHECKSUM:
        stored = 0
        if n >= 4:  # big-endian; as uint32 (a uint8 shifted by 24 is a signed int in C)
            stored = ((<uint32_t>src[n - 4] << 24) | (<uint32_t>src[n - 3] << 16)
                      | (<uint32_t>src[n - 2] << 8) | <uint32_t>src[n - 1])
        computed = ta_crc32(0, out.data, out.len) if out.len else 0
        raise CodecError(
            f"{name}: CRC-32 of the uncompressed data does not match: stored 0x{stored:08x}, "
            f"computed 0x{computed:08x}")
    if rc == TA_ERR_NOMEM:
        raise MemoryError(f"{name}: out of memory")
    raise CodecError(f"{name}: corrupt compressed data{extra}")


def set_expansion_ratio(size_t ratio):
    """Set the native codecs' expansion bound (``limits.max_expansion_ratio``; 0: none)."""
    ta_set_expansion_ratio(ratio)


set_expansion_ratio(_limits.get().max_expansion_ratio)


cdef int block_decompress(int codec, ta_codec_ctx *ctx, const uint8_t *src, size_t n,
                          size_t max_size, ta_outbuf *out, const char **detail) noexcept nogil:
    return ta_decompress(codec, ctx, src, n, max_size, out, detail)


cdef class BlockBuffer:
    """A reusable output buffer for decompressing block after block.

    ``decompress(codec_id, data, max_size, out)`` writes into it and returns it; its bytes
    (the last block) are then readable through the buffer protocol (``memoryview(buf)``,
    ``bytes(buf)``, any ``const uint8_t[::1]``). Like ``bytearray``, it refuses to be
    overwritten while a view of it is alive: release views before the next block.
    It also keeps the zstd and libdeflate contexts, which cost more to create than a small
    block costs to decompress. One thread at a time.
    """

    def __cinit__(self):
        ta_outbuf_init(&self.buf)
        ta_codec_ctx_init(&self.ctx)
        self.exports = 0
        self.busy = False

    def __dealloc__(self):
        ta_outbuf_free(&self.buf)
        ta_codec_ctx_free(&self.ctx)

    def __len__(self):
        return self.buf.len

    @property
    def capacity(self):
        """Bytes currently allocated (grows to the largest block seen, never past max_size)."""
        return self.buf.cap

    def __getbuffer__(self, Py_buffer *view, int flags):
        if self.busy:
            raise BufferError("BlockBuffer is being written by another thread")
        cdef void *p = <void *>self.buf.data if self.buf.data != NULL else <void *>ta_empty_block
        PyBuffer_FillInfo(view, self, p, <Py_ssize_t>self.buf.len, 1, flags)
        self.exports += 1

    def __releasebuffer__(self, Py_buffer *view):
        self.exports -= 1

    def release(self):
        """Free the memory and contexts now (the buffer stays usable)."""
        self._claim()
        ta_outbuf_free(&self.buf)
        ta_codec_ctx_free(&self.ctx)
        self.busy = False

    cdef int _claim(self) except -1:
        if self.exports > 0:
            raise BufferError(
                "BlockBuffer still has live views of the previous block; release them "
                "(memoryview.release() or del) before reusing it")
        if self.busy:
            raise BufferError("BlockBuffer is in use by another thread")
        self.busy = True
        return 0

    cdef int decompress_into(self, int codec, const uint8_t *src, size_t n,
                             size_t max_size) except -1:
        cdef const char *detail = NULL
        cdef int rc
        _check_codec(codec)
        self._claim()
        try:
            if n >= NOGIL_MIN:
                with nogil:
                    rc = ta_decompress(codec, &self.ctx, src, n, max_size, &self.buf, &detail)
            else:
                rc = ta_decompress(codec, &self.ctx, src, n, max_size, &self.buf, &detail)
        finally:
            self.busy = False
        if rc != TA_OK:
            try:
                raise_codec_error(codec, rc, detail, max_size, src, n, &self.buf)
            finally:
                # the contents are unspecified after a failure: show the buffer as empty
                self.buf.len = 0
        return 0


# Idle BlockBuffers lent to one-shot calls (and to _columns' decode_table) for their library
# contexts and scratch memory:
# creating a zstd context costs about a fifth of decompressing a 64 KiB block, and a fresh
# large malloc per block costs page faults. list.pop/append are atomic under the GIL, so
# threads never share one. Bounded: a few buffers, scratch over SCRATCH_KEEP bytes freed.
cdef list _pool = []

cdef enum:
    POOL_MAX = 4
    SCRATCH_KEEP = 4 << 20


cdef BlockBuffer block_borrow():
    if _pool:
        return <BlockBuffer>_pool.pop()
    return BlockBuffer()


cdef void block_give_back(BlockBuffer b, int codec, int level):
    b.buf.len = 0
    if b.buf.cap > SCRATCH_KEEP:
        ta_outbuf_free(&b.buf)
    if codec == TA_CODEC_ZSTD and level > 9:
        # high zstd levels hold tens of MiB of tables: do not keep them idle
        ta_codec_ctx_free(&b.ctx)
    if len(_pool) < POOL_MAX:
        _pool.append(b)


def decompress(int codec, const uint8_t[::1] data not None, size_t max_size,
               BlockBuffer out=None):
    """Decompress one Avro block with codec id ``codec``.

    Without ``out``: returns a new ``bytes``. With ``out``: decompresses into that reusable
    buffer and returns it (zero copy; read it through the buffer protocol). Raises
    ``CodecError`` for corrupt data, a snappy CRC mismatch, or output over ``max_size`` bytes
    (the limit also bounds every allocation, so a decompression bomb fails fast).
    """
    cdef size_t n = data.shape[0]
    cdef const uint8_t *src = &data[0] if n else <const uint8_t *>ta_empty_block
    cdef BlockBuffer scratch
    if out is not None:
        out.decompress_into(codec, src, n, max_size)
        return out
    scratch = block_borrow()
    try:
        scratch.decompress_into(codec, src, n, max_size)
        return PyBytes_FromStringAndSize(
            <char *>scratch.buf.data if scratch.buf.len else NULL, scratch.buf.len)
    finally:
        block_give_back(scratch, codec, 0)


cdef int _check_level(int codec, int level) except -1:
    cdef int lo, hi, default_level
    if ta_codec_levels(codec, &lo, &hi, &default_level) and not lo <= level <= hi:
        raise CodecError(f"{_NAMES[codec]}: compression level {level} is out of range {lo}..{hi}")
    return 0


def compress(int codec, const uint8_t[::1] data not None, int level, BlockBuffer ctx=None):
    """Compress ``data`` into one Avro block with codec id ``codec`` at ``level`` (ignored by
    codecs without levels). ``ctx`` lends its reusable contexts and scratch memory (its
    contents are overwritten); without it a pooled one is used. Returns ``bytes``."""
    cdef size_t n = data.shape[0]
    cdef const uint8_t *src = &data[0] if n else <const uint8_t *>ta_empty_block
    cdef BlockBuffer b = ctx if ctx is not None else block_borrow()
    cdef const char *detail = NULL
    cdef int rc
    try:
        _check_codec(codec)
        _check_level(codec, level)
        b._claim()
        try:
            if n >= NOGIL_MIN:
                with nogil:
                    rc = ta_compress(codec, level, &b.ctx, src, n, &b.buf, &detail)
            else:
                rc = ta_compress(codec, level, &b.ctx, src, n, &b.buf, &detail)
        finally:
            b.busy = False
        if rc != TA_OK:
            raise_codec_error(codec, rc, detail, 0, src, n, &b.buf)
        return PyBytes_FromStringAndSize(<char *>b.buf.data if b.buf.len else NULL, b.buf.len)
    finally:
        b.buf.len = 0
        if ctx is None:
            block_give_back(b, codec, level)


cdef extern from "ta_pool.h" nogil:
    ctypedef struct ta_pool_job:
        int codec
        int decompress
        int level
        size_t max_size
        const uint8_t *src
        size_t n
        ta_outbuf out
        int rc
        const char *detail
        int state
    ctypedef struct ta_pool:
        pass
    ta_pool *ta_pool_new(int nthreads, size_t cap)
    void ta_pool_free(ta_pool *p)
    size_t ta_pool_pending(ta_pool *p)
    int ta_pool_submit(ta_pool *p, int codec, int level, const uint8_t *src, size_t n)
    int ta_pool_submit_decompress(ta_pool *p, int codec, size_t max_size, const uint8_t *src,
                                  size_t n)
    ta_pool_job *ta_pool_head(ta_pool *p)
    int ta_pool_wait_head(ta_pool *p, long timeout_ms)
    void ta_pool_pop(ta_pool *p)
    int ta_pool_orphaned(ta_pool *p)
    void ta_pool_run_head_inline(ta_pool *p, ta_codec_ctx *ctx)
    void ta_pool_hold(ta_pool *p, long long seq)
    int ta_pool_live_threads()


cdef enum:
    # a wait for a block checks for signals (Ctrl-C) this often
    POOL_WAIT_MS = 100


cdef class CodecPool:
    """Native threads that compress or decompress blocks while the caller goes on
    (``container.Writer``'s ``compress_threads``, ``container.Reader``'s
    ``decompress_threads``). The workers are C threads that never take the GIL: a block
    handed over starts at once, and a finished one is ready without the caller pausing.

    ``submit(codec, data, level)`` queues a block's compression, ``submit_decompress(codec,
    data, max_size)`` its decompression (``data``, any contiguous buffer, is kept, unchanged,
    until the block is taken back); ``take()`` returns the oldest block's result as bytes,
    waiting for it with the GIL released, or raises its failure (``CodecError``, as the
    one-shot ``compress``/``decompress`` word it; the block is dropped). Blocks come back
    strictly in submission order. At most ``capacity`` blocks are pending. An interrupt
    (Ctrl-C) while ``take`` waits raises ``KeyboardInterrupt`` and leaves the block pending.
    ``close()`` stops the threads (those running finish their block first; pending blocks
    are dropped). In a child process forked from the owner, where the threads do not exist,
    ``take`` runs the pending blocks itself.
    """

    cdef ta_pool *p
    cdef list inputs  # the buffers pending blocks read, oldest first
    cdef readonly int threads
    cdef readonly size_t capacity

    def __cinit__(self, int threads, size_t capacity):
        if threads < 1 or capacity < 1:
            raise ValueError("a CodecPool needs threads >= 1 and capacity >= 1")
        self.inputs = []
        self.threads = threads
        self.capacity = capacity
        with nogil:
            self.p = ta_pool_new(threads, capacity)
        if self.p == NULL:
            raise OSError(f"could not start {threads} codec thread(s)")

    def __dealloc__(self):
        # the workers never take the GIL: joining them while holding it cannot deadlock
        ta_pool_free(self.p)
        self.p = NULL

    def close(self):
        """Stop and join the threads; pending blocks are dropped. Idempotent."""
        cdef ta_pool *p = self.p
        self.p = NULL
        if p != NULL:
            with nogil:
                ta_pool_free(p)
        self.inputs.clear()

    cdef ta_pool *_room(self, int codec) except NULL:
        if self.p == NULL:
            raise ValueError("the CodecPool is closed")
        _check_codec(codec)
        if ta_pool_pending(self.p) >= self.capacity:
            raise ValueError(f"the CodecPool already holds {self.capacity} blocks")
        return self.p

    def __len__(self):
        return ta_pool_pending(self.p) if self.p != NULL else 0

    def submit(self, int codec, data not None, int level):
        """Queue the compression of ``data`` with codec id ``codec`` at ``level`` (checked by
        the worker: an invalid level is the block's failure, raised by :meth:`take`)."""
        cdef ta_pool *p = self._room(codec)
        cdef const uint8_t[::1] view = data
        cdef size_t n = view.shape[0]
        ta_pool_submit(p, codec, level, &view[0] if n else <const uint8_t *>ta_empty_block, n)
        self.inputs.append(view)

    def submit_decompress(self, int codec, data not None, size_t max_size):
        """Queue the decompression of the block ``data`` with codec id ``codec``, to at most
        ``max_size`` bytes (see :func:`decompress`)."""
        cdef ta_pool *p = self._room(codec)
        cdef const uint8_t[::1] view = data
        cdef size_t n = view.shape[0]
        ta_pool_submit_decompress(p, codec, max_size,
                                  &view[0] if n else <const uint8_t *>ta_empty_block, n)
        self.inputs.append(view)

    def head_done(self):
        """Whether the oldest pending block is finished (False when none is pending)."""
        return self.p != NULL and ta_pool_wait_head(self.p, 0) == 1

    def take(self):
        """The oldest pending block's result (waiting for it), or its failure."""
        if self.p == NULL:
            raise ValueError("the CodecPool is closed")
        cdef ta_pool *p = self.p
        cdef ta_pool_job *job = ta_pool_head(p)
        cdef int done = 0
        cdef BlockBuffer scratch
        if job == NULL:
            raise IndexError("no block is pending")
        if ta_pool_orphaned(p):  # forked child: no workers here
            scratch = block_borrow()
            try:
                ta_pool_run_head_inline(p, &scratch.ctx)
            finally:
                block_give_back(scratch, job.codec, job.level)
        while not ta_pool_wait_head(p, 0):
            with nogil:
                done = ta_pool_wait_head(p, POOL_WAIT_MS)
            if not done:
                PyErr_CheckSignals()
        try:
            if job.rc != TA_OK:
                if not job.decompress:
                    _check_level(job.codec, job.level)
                raise_codec_error(job.codec, job.rc, job.detail, job.max_size, job.src, job.n,
                                  &job.out)
            return PyBytes_FromStringAndSize(
                <char *>job.out.data if job.out.len else NULL, job.out.len)
        finally:
            ta_pool_pop(p)
            del self.inputs[0]

    def _hold(self, long long seq):
        """Tests: the worker that takes block number ``seq`` (0-based) waits before running
        it until ``_hold(-1)``, so later blocks finish first."""
        if self.p == NULL:
            raise ValueError("the CodecPool is closed")
        ta_pool_hold(self.p, seq)


def live_pool_threads():
    """Threads of every CodecPool of this process that are running (tests)."""
    return ta_pool_live_threads()


def available(int codec):
    """True if codec id ``codec`` was compiled into this build."""
    return bool(ta_codec_available(codec))


def levels(int codec):
    """``(min, max, default)`` compression levels of a codec, or None if it has none."""
    cdef int lo, hi, default_level
    if ta_codec_levels(codec, &lo, &hi, &default_level):
        return (lo, hi, default_level)
    return None


def library_versions():
    """Runtime version of each native library compiled in (None for those that are not):
    keys ``libdeflate zlib zstd snappy lzma bz2``."""
    result = {}
    cdef const char *v
    for lib in ("libdeflate", "zlib", "zstd", "snappy", "lzma", "bz2"):
        v = ta_library_version(lib.encode())
        result[lib] = v.decode() if v != NULL else None
    return result


def crc32(const uint8_t[::1] data not None, uint32_t value=0):
    """CRC-32 (IEEE) as in zlib.crc32, by the fastest implementation compiled in."""
    cdef size_t n = data.shape[0]
    if n == 0:
        return value
    if n < 65536:
        return ta_crc32(value, &data[0], n)
    with nogil:
        value = ta_crc32(value, &data[0], n)
    return value


def crc32_builtin(const uint8_t[::1] data not None, uint32_t value=0):
    """CRC-32 by the builtin slice-by-8 kernel (the fallback when no library provides one)."""
    cdef size_t n = data.shape[0]
    if n == 0:
        return value
    with nogil:
        value = ta_crc32_builtin(value, &data[0], n)
    return value


#: Which implementation ``crc32`` uses: "libdeflate", "zlib" or "builtin".
CRC32_IMPL = ta_crc32_impl().decode()


# ----------------------------------------------------------------------------------------------
# Block framing (Avro specification, Object Container Files): the container reader's fast path over a buffer
# ----------------------------------------------------------------------------------------------

#: Columns of a block table row (int64 each): record count, file offset of the block (its
#: count varint), compressed size, file offset of the data, position of the data in the buffer.
TABLE_FIELDS = ("count", "offset", "size", "data_offset", "start")
cdef enum:
    _NF = 5


cdef int _frame_head(const uint8_t *p, size_t n, int64_t max_block, int64_t *count,
                     int64_t *size) noexcept nogil:
    """A block's count and size varints at ``p[:n]``: the bytes they take, or -1 for a bad or
    cut varint, a negative count or size, or a size over ``max_block``."""
    cdef ta_cursor c
    c.start = p
    c.pos = p
    c.end = p + n
    if ta_read_long(&c, count) != TA_OK or count[0] < 0:
        return -1
    if ta_read_long(&c, size) != TA_OK or size[0] < 0 or size[0] > max_block:
        return -1
    return <int>(c.pos - p)


cdef int _add_row(int64_t **rows, size_t *nrows, size_t *cap, int64_t count, int64_t offset,
                  int64_t size, int64_t data_offset, int64_t start) noexcept nogil:
    """Append a row to a growable block table; -1 when out of memory."""
    cdef int64_t *grown
    cdef int64_t *r
    if nrows[0] == cap[0]:
        cap[0] = cap[0] * 2 if cap[0] else 64
        grown = <int64_t *>realloc(rows[0], cap[0] * _NF * sizeof(int64_t))
        if grown == NULL:
            return -1
        rows[0] = grown
    r = rows[0] + nrows[0] * _NF
    r[0] = count
    r[1] = offset
    r[2] = size
    r[3] = data_offset
    r[4] = start
    nrows[0] += 1
    return 0


cdef int block_pread(int fd, uint8_t *dst, size_t n, int64_t offset, size_t *got) noexcept nogil:
    cdef long long r
    got[0] = 0
    while got[0] < n:
        r = ta_pread(fd, dst + got[0], n - got[0], offset + <int64_t>got[0])
        if r < 0:
            if errno == EINTR:
                continue
            return errno
        if r == 0:
            break
        got[0] += <size_t>r
    return 0


def scan_blocks(const uint8_t[::1] buf not None, Py_ssize_t pos, int64_t base,
                const uint8_t[::1] sync not None, int64_t max_block, int64_t size_limit,
                int64_t end, int64_t marker_at):
    """Frame the intact blocks of ``buf`` from ``pos`` on (``base``: file offset of
    ``buf[0]``) without creating an object per block.

    Stops before the first block that is not whole and clean inside ``buf``: one that runs
    past the buffer, has a bad count, size or varint, exceeds ``max_block`` or ``size_limit``
    (the file size, -1 if unknown) or is not followed by ``sync``; also once the sync marker
    before a block starts at or after ``end`` (-1: no end; ``marker_at`` is where the marker
    before the block at ``pos`` starts). The caller's careful per-block path then deals with
    that block: it reads more, raises the precise error, or resyncs.

    Returns ``(table, pos, marker_at)``: ``table`` is ``bytes`` of int64 rows of
    :data:`TABLE_FIELDS`, and ``pos``/``marker_at`` describe the position after the last
    block framed.
    """
    cdef size_t n = buf.shape[0]
    cdef const uint8_t *start = &buf[0] if n else NULL
    cdef int head
    cdef int64_t count, size, data_at
    cdef int64_t *rows = NULL
    cdef size_t nrows = 0, cap = 0
    if sync.shape[0] != 16:
        raise ValueError("sync marker must be 16 bytes")
    if pos < 0 or <size_t>pos > n:
        raise ValueError("pos out of range")
    try:
        with nogil:
            while <size_t>pos < n:
                if end >= 0 and marker_at >= end:
                    break
                head = _frame_head(start + pos, n - <size_t>pos, max_block, &count, &size)
                if head < 0:
                    break
                data_at = pos + head
                if <uint64_t>size + 16 > <uint64_t>(n - <size_t>data_at):
                    break
                if size_limit >= 0 and base + data_at + size > size_limit:
                    break
                if memcmp(start + data_at + size, &sync[0], 16) != 0:
                    break
                if _add_row(&rows, &nrows, &cap, count, base + pos, size, base + data_at,
                            data_at) < 0:
                    break
                marker_at = base + data_at + size
                pos = <Py_ssize_t>(data_at + size + 16)
        table = PyBytes_FromStringAndSize(<char *>rows, nrows * _NF * sizeof(int64_t))
    finally:
        free(rows)
    return table, pos, marker_at


cdef enum:
    _SCAN_WINDOW = 64 << 10  # the read-ahead when blocks are small
    _SMALL_BLOCK = 16 << 10  # blocks smaller than this are framed through the read-ahead


cdef struct _Window:
    uint8_t *buf   # _SCAN_WINDOW bytes
    int64_t at     # file offset of buf[0] (-1: nothing read)
    size_t len     # bytes of the file in buf


cdef const uint8_t *_window_at(int fd, _Window *w, int64_t pos, size_t need, size_t want,
                               size_t *avail) noexcept nogil:
    """The file's bytes from ``pos`` (``*avail`` of them; fewer than ``need`` only at the end
    of the file or on a read error): from what the window holds when it holds ``need`` of
    them, else read anew, ``want`` bytes (at most the window's size)."""
    cdef size_t got = 0
    if w.at >= 0 and pos >= w.at and <size_t>(pos - w.at) + need <= w.len:
        avail[0] = w.len - <size_t>(pos - w.at)
        return w.buf + (pos - w.at)
    if block_pread(fd, w.buf, want, pos, &got) != 0:
        got = 0
    w.at = pos
    w.len = got
    avail[0] = got
    return w.buf


def scan_file(int fd, int64_t pos, int64_t size_limit, const uint8_t[::1] sync not None,
              int64_t max_block):
    """Frame the blocks of a regular file from file offset ``pos`` (where a block starts) by
    reading only each block's count and size and the sync marker after it: one small
    ``pread`` per block of 16 KiB or more (the data itself is not read); after smaller blocks
    the next 64 KiB are read at once, which frames the following small blocks without more
    calls.

    Stops before the first block that is not whole and clean (a bad count, size or varint,
    over ``max_block``, past ``size_limit`` -- the file's size -- or not followed by
    ``sync``), or at the end of the file. Returns ``(table, pos)``: a table as
    :func:`scan_blocks` gives (``start`` equal to ``data_offset``: the file is the buffer)
    and the offset after the last block framed; the file was framed whole and clean exactly
    when ``pos == size_limit``.
    """
    cdef _Window w
    cdef const uint8_t *p
    cdef size_t avail = 0
    cdef bint small = True  # read ahead until a large block is seen
    cdef int head
    cdef int64_t count, size, data_at
    cdef int64_t *rows = NULL
    cdef size_t nrows = 0, cap = 0
    if sync.shape[0] != 16:
        raise ValueError("sync marker must be 16 bytes")
    if pos < 0 or size_limit < 0:
        raise ValueError("pos and size_limit must be >= 0")
    w.buf = <uint8_t *>malloc(_SCAN_WINDOW)
    if w.buf == NULL:
        raise MemoryError()
    w.at = -1
    w.len = 0
    try:
        with nogil:
            while pos < size_limit:
                # the block's count and size: at most 20 bytes
                p = _window_at(fd, &w, pos, 20, _SCAN_WINDOW if small else 16 + 20, &avail)
                head = _frame_head(p, min(avail, <size_t>20), max_block, &count, &size)
                if head < 0:
                    break
                data_at = pos + head
                if data_at + size + 16 > size_limit:
                    break
                small = size < _SMALL_BLOCK
                # the sync marker after the data, and the next block's varints with it
                p = _window_at(fd, &w, data_at + size, 16, _SCAN_WINDOW if small else 16 + 20,
                               &avail)
                if avail < 16 or memcmp(p, &sync[0], 16) != 0:
                    break
                if _add_row(&rows, &nrows, &cap, count, pos, size, data_at, data_at) < 0:
                    break
                pos = data_at + size + 16
        table = PyBytes_FromStringAndSize(<char *>rows, nrows * _NF * sizeof(int64_t))
    finally:
        free(rows)
        free(w.buf)
    return table, pos


def find(const uint8_t[::1] buf not None, const uint8_t[::1] sub not None, Py_ssize_t start=0):
    """Index of the first ``sub`` in ``buf`` at or after ``start``, or -1: ``bytes.find`` for
    any buffer (the container reader's buffer may be a memoryview)."""
    cdef size_t n = buf.shape[0], m = sub.shape[0]
    cdef const uint8_t *hit
    cdef size_t i
    if start < 0:
        start = 0
    if m == 0:
        return start if <size_t>start <= n else -1
    i = <size_t>start
    with nogil:
        while i + m <= n:
            hit = <const uint8_t *>memchr(&buf[i], sub[0], n - m + 1 - i)
            if hit == NULL:
                i = n
                break
            i = <size_t>(hit - &buf[0])
            if memcmp(hit, &sub[0], m) == 0:
                break
            i += 1
    return <Py_ssize_t>i if i + m <= n else -1
