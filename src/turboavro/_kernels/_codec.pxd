# The binary codec's compiled plans: compile once, dispatch never.
# resolution.py decides *what* to do and produces plain ReadNode/WriteNode plans; they are
# compiled once into these nodes, whose integer ops the kernels switch on per value.
from libc.stdint cimport uint8_t, int32_t, int64_t, uint64_t
from cpython.ref cimport PyObject

from ._native cimport ta_cursor


cdef struct StrEntry:
    uint64_t key          # the string's UTF-8 bytes (<= 8), zero-padded, little-endian
    Py_ssize_t length     # its byte length
    PyObject *obj         # the str (a strong reference), or NULL for an empty slot


cdef struct RState:
    ta_cursor c           # the one cursor over the datum bytes
    StrEntry *strings     # the decoder's cache of short strings (STR_CACHE_SLOTS entries)
    int depth             # current nesting of records/arrays/maps (bounded by max_depth)
    int max_depth         # deeper data is an error, never a C stack overflow
    int64_t zero_budget   # items of zero-byte types still allowed (Binary Encoding; AVRO-4241)
    int64_t zero_limit    # the budget's starting value, for messages
    int64_t max_items     # items of one array/map block (limits.max_collection_items)
    Py_ssize_t base       # added to cursor offsets in error messages


cdef struct WBuf:
    uint8_t *data         # malloc'd output; data[0:len] is written
    size_t len
    size_t cap            # allocated bytes, len <= cap


cdef class RNode:
    cdef int op                 # what to read (OP_* in _codec.pyx)
    cdef str name               # type name, for messages
    cdef Py_ssize_t size        # fixed: byte count
    cdef int scale              # decimal scale
    cdef Py_ssize_t min_size    # fewest writer bytes one value takes (bounds collection counts)
    cdef RNode items            # array items / map values
    cdef list branches          # writer union: RNode or None per writer branch
    cdef tuple branch_errors    # why a writer branch cannot be read (None when it can)
    cdef tuple labels           # union: branch name per writer branch when values are
                                # (name, value) tuples, else None
    cdef tuple symbols          # enum: reader symbol (str) or None per writer index
    cdef object enum_default    # reader enum default symbol or None
    cdef list step_nodes        # record: RNode per writer field, writer order
    cdef tuple step_keys        # record: reader key (interned str) per step, None = skip
    cdef dict template          # record: reader keys in reader order, immutable defaults
                                # filled in, other values None; copied per record
                                # (overwriting a key keeps its position)
    cdef tuple default_keys     # record: reader-only fields ...
    cdef tuple default_values   # ... and their values (converted at plan time)
    cdef tuple default_mutable  # ... True when the value must be copied per record
    cdef tuple reader_order     # record: reader field names in order


cdef class WNode:
    cdef int op                 # what to write (OP_* in _codec.pyx)
    cdef str name               # type name, for messages
    cdef Py_ssize_t size        # fixed: byte count
    cdef int precision          # decimal
    cdef int scale              # decimal
    cdef WNode items            # array items / map values
    cdef list branches          # union: WNode per branch
    cdef dict branch_index      # union: branch name -> index, for (name, value) tuples
    cdef Py_ssize_t null_index  # union: index of the null branch or -1
    cdef dict symbol_index      # enum: symbol -> index
    cdef list field_nodes       # record: WNode per field
    cdef tuple field_keys       # record: field names (interned)
    cdef list field_defaults    # record: encoded default (bytes) per field, None = required
