# Declarations of the columnar kernels (native/ta_columns.h) and the compiled objects built on
# them. A Plan is immutable once built and shared by every thread; a _Chunk is one thread's
# (or one batch's) set of growable column buffers.
from libc.stdint cimport uint8_t, int32_t, int64_t
from ._native cimport ta_cursor

cdef extern from "ta_columns.h" nogil:
    void ta_advise_huge(void *p, size_t n)
    int TA_OP_BOOL, TA_OP_INT, TA_OP_INT_L, TA_OP_INT_F, TA_OP_INT_D
    int TA_OP_LONG, TA_OP_LONG_F, TA_OP_LONG_D, TA_OP_FLOAT, TA_OP_FLOAT_D, TA_OP_DOUBLE
    int TA_OP_STRING, TA_OP_BYTES, TA_OP_FIXED, TA_OP_ENUM
    int TA_OP_RECORD, TA_OP_ARRAY, TA_OP_MAP, TA_OP_NULLABLE, TA_OP_VALID, TA_OP_UNWRAP
    int TA_OP_UNION, TA_OP_UNION_CONST, TA_OP_DEFAULT
    int TA_OP_SKIP_VARINT, TA_OP_SKIP_N, TA_OP_SKIP_BYTES, TA_OP_SKIP_RECORD
    int TA_OP_SKIP_ARRAY, TA_OP_SKIP_MAP, TA_OP_SKIP_UNION, TA_OP_NOTHING, TA_OP__COUNT
    int TA_ERR_BAD_BOOL       # boolean byte other than 0/1
    int TA_ERR_BAD_UNION      # union branch index out of range
    int TA_ERR_BAD_ENUM       # enum index out of range
    int TA_ERR_UTF8           # string is not valid UTF-8
    int TA_ERR_UNREADABLE     # writer branch/symbol the reader cannot read
    int TA_ERR_COUNT          # collection count the input cannot back
    int TA_ERR_ZERO_ITEMS     # zero-byte collection items beyond ta_err.zero_budget

    ctypedef struct ta_node:
        int32_t op            # TA_OP_*
        int32_t col           # primary column (-1: none)
        int32_t col2          # secondary column (string data, map key offsets)
        int32_t col3          # tertiary column (map key data)
        int32_t kids          # first kid in ta_plan.kids
        int32_t nkids         # number of kids
        int32_t table         # first entry in ta_plan.table (-1: none)
        int32_t ntable        # number of table entries
        int32_t width         # element width of col in bytes
        int32_t fill          # kid receiving placeholders for nulls
        int64_t size          # fixed size / skip size / item min bytes / union code
        const uint8_t *dflt   # encoded default value (TA_OP_DEFAULT)
        size_t dflt_len

    ctypedef struct ta_plan:
        const ta_node *nodes
        const int32_t *kids   # node indexes (-1: null branch of a skipped union)
        const int32_t *table  # branch / symbol maps
        int32_t root          # node decoding one record

    ctypedef struct ta_col:
        uint8_t *data         # malloc'ed (decoding) or borrowed (encoding)
        size_t len            # bytes written
        size_t cap            # bytes allocated
        size_t rd             # bytes consumed (encoding)
        int fixed             # borrowed window of a shared column: never reallocated

    ctypedef struct ta_err:
        int rc                # status code
        int32_t node          # failing node
        size_t pos            # offset of the failing value in the buffer
        int nidx              # collection indexes pushed while unwinding, innermost first
        int64_t idx[8]
        int64_t zero_budget   # zero-byte collection items still allowed

    int ta_col_reserve_slow(ta_col *col, size_t need)
    int ta_col_reserve(ta_col *col, size_t need)     # inline fast path of the above
    int ta_utf8_valid(const uint8_t *s, size_t n)
    int ta_fast_paths                                # test hook: 0 = general path only
    int ta_decode_records(const ta_plan *plan, ta_cursor *c, int64_t count, ta_col *cols,
                          ta_err *err, int64_t *done)
    int ta_encode_records(const ta_plan *plan, ta_col *cols, int64_t count, size_t max_bytes,
                          ta_col *out, ta_err *err, int64_t *done)


cdef class Plan:
    cdef ta_node *nodes       # owned array of the plan's nodes
    cdef int32_t *kids        # owned kid index array
    cdef int32_t *table       # owned branch/symbol map array
    cdef ta_plan plan         # the view the kernels take
    cdef readonly int ncols   # number of columns a chunk holds
    cdef readonly tuple paths # field path per node, '[]' where a collection index goes
    cdef list _defaults       # bytes objects backing nodes' dflt pointers
    cdef readonly tuple offset_cols  # columns that are int64 offsets (start with a 0)
    cdef int32_t *row_width   # bytes per record of columns holding one value per record
                              # (0: variable size, or an offsets column)


cdef class _Chunk:
    cdef Plan plan            # the plan whose columns this chunk holds
    cdef ta_col *cols         # plan.ncols growable buffers
    cdef readonly int64_t rows  # records decoded into this chunk
    cdef _Chunk shared        # owner of the fixed-width columns this chunk writes a window of
    cdef public int64_t zero_budget  # zero-byte collection items this chunk may still decode
    cdef _raise(self, ta_err *e, int64_t file_offset, bint compressed, int64_t record)
    cdef int _reserve_rows(self, int64_t nrows) noexcept nogil  # TA_OK or a status
