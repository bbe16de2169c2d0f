# cython: language_level=3, boundscheck=False, wraparound=False
"""Columnar kernels: execute a compiled column plan over Avro blocks (and back).

The plan (built by turboavro.columnar from writer x reader schemas and the projection) is a
flat array of C nodes; decoding runs with the GIL released into growable column buffers that
are then handed to numpy without a copy (DESIGN.md §1).
"""
from cpython.buffer cimport PyBUF_WRITABLE, PyBuffer_FillInfo
from libc.stdint cimport uint8_t, int32_t, int64_t
from libc.stdlib cimport calloc, free, malloc, realloc
from libc.string cimport memcpy

from ._native cimport (
    ta_cursor, TA_OK, TA_ERR_TRUNCATED, TA_ERR_OVERLONG, TA_ERR_OVERFLOW, TA_ERR_NEGATIVE,
    TA_ERR_TOO_LARGE, TA_ERR_NOMEM,
)

from ..errors import DecodeError, EncodeError

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

cdef dict _MESSAGES = {
    TA_ERR_TRUNCATED: "data truncated",
    TA_ERR_OVERLONG: "overlong varint",
    TA_ERR_OVERFLOW: "varint overflows its type",
    TA_ERR_NEGATIVE: "negative length",
    TA_ERR_TOO_LARGE: "length or offset beyond the data",
    TA_ERR_NOMEM: "out of memory",
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
                  tuple offset_cols):
        cdef Py_ssize_t i
        cdef bytes d
        self._defaults = []
        self.nodes = <ta_node *>calloc(max(len(nodes), 1), sizeof(ta_node))
        self.kids = <int32_t *>calloc(max(len(kids), 1), sizeof(int32_t))
        self.table = <int32_t *>calloc(max(len(table), 1), sizeof(int32_t))
        if not self.nodes or not self.kids or not self.table:
            raise MemoryError()
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


cdef class _Owned:
    """Bytes owned by a malloc'ed pointer, exported through the buffer protocol so numpy can
    wrap them without a copy; freed with the last view."""
    cdef uint8_t *data
    cdef Py_ssize_t size

    def __getbuffer__(self, Py_buffer *view, int flags):
        PyBuffer_FillInfo(view, self, <void *>self.data, self.size, 0, flags)

    def __releasebuffer__(self, Py_buffer *view):
        pass

    def __len__(self):
        return self.size

    def __dealloc__(self):
        free(self.data)


cdef _Owned _own(uint8_t *data, size_t size):
    cdef _Owned o = _Owned.__new__(_Owned)
    if data == NULL:
        data = <uint8_t *>malloc(1)  # numpy needs a real pointer even for empty arrays
        if data == NULL:
            raise MemoryError()
    o.data = data
    o.size = <Py_ssize_t>size
    return o


cdef class _Chunk:
    """One set of growable column buffers for a plan (one thread's or one batch's rows)."""

    def __cinit__(self, Plan plan, dict hints=None):
        cdef int i
        cdef int64_t zero = 0
        self.plan = plan
        self.rows = 0
        self.cols = <ta_col *>calloc(max(plan.ncols, 1), sizeof(ta_col))
        if self.cols == NULL:
            raise MemoryError()
        if hints:
            for i, nbytes in hints.items():
                if nbytes > 0 and ta_col_reserve_slow(&self.cols[i], nbytes) != TA_OK:
                    raise MemoryError()
        for i in plan.offset_cols:
            # Arrow offsets start with a 0 entry (the end of "element -1")
            if ta_col_reserve_slow(&self.cols[i], 8) != TA_OK:
                raise MemoryError()
            memcpy(self.cols[i].data, &zero, 8)
            self.cols[i].len = 8

    def __dealloc__(self):
        cdef int i
        if self.cols != NULL:
            for i in range(self.plan.ncols):
                free(self.cols[i].data)
            free(self.cols)

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
        with nogil:
            rc = ta_decode_records(&self.plan.plan, &c, count, self.cols, &e, &done)
        self.rows += done
        if rc != TA_OK:
            self._raise(&e, file_offset, compressed, first_record + done)
        return <Py_ssize_t>(c.pos - c.start) if c.start != NULL else 0

    def decode_blocks(self, list bufs, list counts, list offsets):
        """Decode whole uncompressed blocks in one GIL-free loop (``offsets``: file offset of
        each block's data). Each block must be consumed exactly."""
        cdef Py_ssize_t n = len(bufs), i
        cdef const uint8_t **ptrs = <const uint8_t **>malloc(max(n, 1) * sizeof(void *))
        cdef size_t *sizes = <size_t *>malloc(max(n, 1) * sizeof(size_t))
        cdef int64_t *cnts = <int64_t *>malloc(max(n, 1) * sizeof(int64_t))
        cdef const uint8_t[::1] mv
        cdef ta_cursor c
        cdef ta_err e
        cdef int64_t done = 0
        cdef int rc = TA_OK
        cdef Py_ssize_t failed = -1
        cdef int trailing = 0
        cdef list views = []
        try:
            if ptrs == NULL or sizes == NULL or cnts == NULL:
                raise MemoryError()
            for i in range(n):
                mv = bufs[i]
                views.append(mv)
                ptrs[i] = &mv[0] if mv.shape[0] else NULL
                sizes[i] = mv.shape[0]
                cnts[i] = counts[i]
            e.rc = 0
            with nogil:
                for i in range(n):
                    c.start = ptrs[i]
                    c.pos = ptrs[i]
                    c.end = ptrs[i] + sizes[i] if ptrs[i] != NULL else NULL
                    rc = ta_decode_records(&self.plan.plan, &c, cnts[i], self.cols, &e, &done)
                    self.rows += done
                    if rc != TA_OK:
                        failed = i
                        break
                    if c.pos != c.end:
                        failed = i
                        trailing = 1
                        e.pos = <size_t>(c.pos - c.start)
                        break
            if failed >= 0:
                if trailing:
                    raise DecodeError(
                        f"block {failed} has {sizes[failed] - e.pos} bytes after its "
                        f"{cnts[failed]} records", offsets[failed] + e.pos)
                self._raise(&e, offsets[failed], False, done)
        finally:
            free(ptrs)
            free(sizes)
            free(cnts)

    cdef _raise(self, ta_err *e, int64_t file_offset, bint compressed, int64_t record):
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
        if p != NULL and col.cap > n + 4096:
            p = <uint8_t *>realloc(p, n if n else 1)
            if p == NULL:
                p = col.data
        col.data = NULL
        col.len = col.cap = col.rd = 0
        return _own(p, n)


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


def utf8_valid(const uint8_t[::1] data):
    """True if ``data`` is valid UTF-8 (the kernels' validator; exposed for tests)."""
    if data.shape[0] == 0:
        return True
    return bool(ta_utf8_valid(&data[0], data.shape[0]))
