# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The binary codec (Avro specification, Binary Encoding, Logical Types, Schema Resolution): executes compiled read and write plans over raw
buffers. Plans come from ``turboavro.resolution``; this module never looks at a schema."""
from libc.stdint cimport uint8_t, uint32_t, int32_t, int64_t, uint64_t, INT64_MIN, INT64_MAX
from libc.string cimport memcpy
from libc.stdlib cimport malloc, calloc, realloc, free
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
from cpython.list cimport PyList_New, PyList_SET_ITEM, PyList_GET_SIZE, PyList_GET_ITEM
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.dict cimport PyDict_SetItem, PyDict_GetItem, PyDict_Size, PyDict_Next, PyDict_Copy
from cpython.ref cimport Py_INCREF, Py_XDECREF, PyObject
from cpython.float cimport PyFloat_FromDouble, PyFloat_AsDouble
from cpython.long cimport PyLong_FromLongLong, PyLong_AsLongLongAndOverflow
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE, PyByteArray_Resize
cimport cpython.datetime as cdt

from ._native cimport (
    ta_cursor, ta_read_long, ta_read_int, ta_read_float, ta_read_double, ta_read_length,
    ta_write_long, ta_le32, ta_le64,
    TA_OK, TA_ERR_TRUNCATED, TA_ERR_OVERLONG, TA_ERR_OVERFLOW, TA_ERR_NEGATIVE, TA_ERR_TOO_LARGE,
)

import copy as _copy
import datetime as _datetime
import decimal as _decimal
from gc import disable as _gc_disable, enable as _gc_enable, isenabled as _gc_isenabled
import sys as _sys
import uuid as _uuid
from collections.abc import Mapping as _Mapping

from .. import logical as _logical
from ..errors import DecodeError, EncodeError

cdef extern from "Python.h":
    bint PyUnicode_CheckExact(object o)
    bint PyUnicode_Check(object o)
    bint PyBytes_CheckExact(object o)
    bint PyByteArray_CheckExact(object o)
    bint PyLong_CheckExact(object o)
    bint PyLong_Check(object o)
    bint PyFloat_CheckExact(object o)
    bint PyFloat_Check(object o)
    bint PyBool_Check(object o)
    bint PyDict_CheckExact(object o)
    bint PyList_CheckExact(object o)
    bint PyTuple_CheckExact(object o)
    bint PyIndex_Check(object o)
    bint PyObject_CheckBuffer(object o)
    object PyUnicode_DecodeUTF8(const char *s, Py_ssize_t size, const char *errors)
    const char *PyUnicode_AsUTF8AndSize(object o, Py_ssize_t *size) except NULL

cdef extern from "ta_time.h" nogil:
    int64_t ta_floordiv(int64_t a, int64_t b)
    int64_t ta_days_from_civil(int64_t y, int m, int d)
    void ta_civil_from_days(int64_t z, int *year, int *month, int *day)
    int64_t TA_MIN_DAY
    int64_t TA_MAX_DAY

cdt.import_datetime()

# -- ops -------------------------------------------------------------------------------------

cdef enum:
    OP_NULL = 0
    OP_BOOLEAN
    OP_INT
    OP_LONG
    OP_FLOAT
    OP_DOUBLE
    OP_BYTES
    OP_STRING
    OP_FIXED
    OP_ENUM
    OP_ARRAY
    OP_MAP
    OP_UNION
    OP_RECORD
    # promotions (spec: Schema Resolution)
    OP_INT_AS_FLOAT
    OP_INT_AS_DOUBLE
    OP_LONG_AS_FLOAT
    OP_LONG_AS_DOUBLE
    # logical types (spec: Logical Types)
    OP_DATE
    OP_TIME_MILLIS
    OP_TIME_MICROS
    OP_TS_MILLIS
    OP_TS_MICROS
    OP_TS_NANOS
    OP_LTS_MILLIS
    OP_LTS_MICROS
    OP_LTS_NANOS
    OP_DECIMAL_BYTES
    OP_DECIMAL_FIXED
    OP_BIG_DECIMAL
    OP_UUID_STRING
    OP_UUID_FIXED
    OP_DURATION

_OPS = {
    "null": OP_NULL, "boolean": OP_BOOLEAN, "int": OP_INT, "long": OP_LONG, "float": OP_FLOAT,
    "double": OP_DOUBLE, "bytes": OP_BYTES, "string": OP_STRING, "fixed": OP_FIXED,
    "enum": OP_ENUM, "array": OP_ARRAY, "map": OP_MAP, "union": OP_UNION, "record": OP_RECORD,
    "int_as_float": OP_INT_AS_FLOAT, "int_as_double": OP_INT_AS_DOUBLE,
    "long_as_float": OP_LONG_AS_FLOAT, "long_as_double": OP_LONG_AS_DOUBLE,
    "date": OP_DATE, "time_millis": OP_TIME_MILLIS, "time_micros": OP_TIME_MICROS,
    "ts_millis": OP_TS_MILLIS, "ts_micros": OP_TS_MICROS, "ts_nanos": OP_TS_NANOS,
    "lts_millis": OP_LTS_MILLIS, "lts_micros": OP_LTS_MICROS, "lts_nanos": OP_LTS_NANOS,
    "decimal_bytes": OP_DECIMAL_BYTES, "decimal_fixed": OP_DECIMAL_FIXED,
    "big_decimal": OP_BIG_DECIMAL, "uuid_string": OP_UUID_STRING, "uuid_fixed": OP_UUID_FIXED,
    "duration": OP_DURATION,
}

cdef object UTC = _datetime.timezone.utc
cdef object Decimal = _decimal.Decimal
cdef object UUID = _uuid.UUID
cdef object Duration = _logical.Duration
cdef object _deepcopy = _copy.deepcopy

from .. import limits as _limits

DEFAULT_MAX_DEPTH = _limits.Limits.max_data_depth
DEFAULT_ZERO_BUDGET = _limits.Limits.max_zero_byte_items


# -- errors: one funnel (docs/internals.md) ------------------------------------------------------

class _Failure(Exception):
    """Raised inside the kernels; the public entry points turn it into DecodeError or
    EncodeError with the full field path, built only on failure."""

    def __init__(self, message, offset=None):
        Exception.__init__(self, message)
        self.message = message
        self.offset = offset
        self.parts = []


cdef str _status_message(int rc):
    if rc == TA_ERR_TRUNCATED:
        return "unexpected end of data"
    if rc == TA_ERR_OVERLONG:
        return "varint is longer than its type allows (overlong encoding)"
    if rc == TA_ERR_OVERFLOW:
        return "varint value overflows its type"
    if rc == TA_ERR_NEGATIVE:
        return "negative length"
    if rc == TA_ERR_TOO_LARGE:
        return "declared length or count exceeds the remaining input"
    return f"decoding failed (status {rc})"


cdef int fail_status(int rc, RState *s) except -1:
    raise _Failure(_status_message(rc), s.c.pos - s.c.start + s.base)


cdef int fail_at(str message, RState *s) except -1:
    raise _Failure(message, s.c.pos - s.c.start + s.base)


cdef int fail_depth(RState *s) except -1:
    raise _Failure(_limits.exceeded("max_data_depth", "data nesting", s.max_depth),
                   s.c.pos - s.c.start + s.base)


cdef object as_failure(object exc, RState *s):
    if isinstance(exc, _Failure):
        return exc
    f = _Failure(f"{type(exc).__name__}: {exc}", s.c.pos - s.c.start + s.base)
    return f


cdef object _decode_error(object f):
    path = "$" + "".join(reversed(f.parts))
    err = DecodeError(f.message, f.offset, path)
    return err


cdef object _encode_error(object f):
    path = "$" + "".join(reversed(f.parts))
    return EncodeError(f.message, path)


def _short_repr(value):
    r = repr(value)
    return r if len(r) <= 60 else r[:57] + "..."


# -- compiling plans into nodes --------------------------------------------------------------

cdef Py_ssize_t _min_size_of(int op, Py_ssize_t size):
    if op == OP_NULL:
        return 0
    if op == OP_FLOAT:
        return 4
    if op == OP_DOUBLE:
        return 8
    if op in (OP_FIXED, OP_DECIMAL_FIXED, OP_UUID_FIXED, OP_DURATION):
        return size
    return 1


def compile_read(plan):
    """Compile a resolution.ReadNode tree (possibly cyclic) into RNodes."""
    memo = {}
    root = _compile_read(plan, memo)
    # second pass: record minimum sizes, now that every node exists (cycles count as 0)
    _fill_min_sizes(root, set())
    return root


cdef RNode _compile_read(object plan, dict memo):
    cdef RNode n
    key = id(plan)
    if key in memo:
        return memo[key]
    n = RNode.__new__(RNode)
    memo[key] = n
    n.op = _OPS[plan.op]
    n.name = plan.name
    n.size = plan.size
    n.scale = plan.scale
    if plan.items is not None:
        n.items = _compile_read(plan.items, memo)
    n.branches = [None if b is None else _compile_read(b, memo) for b in plan.branches]
    n.branch_errors = tuple(plan.branch_errors)
    n.labels = None if plan.labels is None else tuple(plan.labels)
    n.symbols = tuple(plan.symbols)
    n.enum_default = plan.enum_default
    if n.op == OP_RECORD:
        n.step_nodes = [_compile_read(st.node, memo) for st in plan.steps]
        n.step_keys = tuple(None if st.key is None else _sys.intern(st.key) for st in plan.steps)
        n.default_keys = tuple(_sys.intern(d.key) for d in plan.defaults)
        n.default_values = tuple(d.value for d in plan.defaults)
        n.default_mutable = tuple(bool(d.mutable) for d in plan.defaults)
        n.reader_order = tuple(_sys.intern(k) for k in plan.reader_order)
        n.template = dict.fromkeys(n.reader_order)
        for key, value, mutable in zip(n.default_keys, n.default_values, n.default_mutable):
            if not mutable:
                n.template[key] = value
    else:
        n.step_nodes = []
        n.step_keys = ()
    return n


cdef Py_ssize_t _fill_min_sizes(RNode n, set active):
    cdef Py_ssize_t total = 0
    cdef RNode child
    if id(n) in active:
        return 0
    if n.op == OP_RECORD:
        active.add(id(n))
        for child in n.step_nodes:
            total += _fill_min_sizes(child, active)
        active.discard(id(n))
        n.min_size = total
    else:
        n.min_size = _min_size_of(n.op, n.size)
        if n.items is not None and id(n.items) not in active:
            active.add(id(n))
            _fill_min_sizes(n.items, active)
            active.discard(id(n))
        for b in n.branches:
            if b is not None and id(b) not in active:
                active.add(id(n))
                _fill_min_sizes(<RNode>b, active)
                active.discard(id(n))
    return n.min_size


# -- reading ---------------------------------------------------------------------------------

cdef inline int64_t read_long_v(RState *s) except? -1:
    cdef int64_t v
    cdef int rc = ta_read_long(&s.c, &v)
    if rc != TA_OK:
        fail_status(rc, s)
    return v


cdef inline int32_t read_int_v(RState *s) except? -1:
    cdef int32_t v
    cdef int rc = ta_read_int(&s.c, &v)
    if rc != TA_OK:
        fail_status(rc, s)
    return v


cdef inline size_t read_len(RState *s) except? <size_t>-1:
    cdef size_t n
    cdef int rc = ta_read_length(&s.c, &n)
    if rc != TA_OK:
        fail_status(rc, s)
    return n


cdef enum:
    STR_CACHE_SLOTS = 1024  # power of two
    STR_CACHE_SHIFT = 54    # 64 - log2(STR_CACHE_SLOTS)


cdef object read_string(RState *s):
    """A string value or map key. Short strings (<= 8 bytes: map keys, enum-like values, names)
    repeat a lot in real data; they come from a small per-decoder cache keyed by their bytes,
    which saves creating (and validating) the same str again. Strings are immutable, so sharing
    them is invisible to the caller."""
    cdef size_t ln = read_len(s)
    cdef const char *p = <const char *>s.c.pos
    cdef uint64_t key = 0
    cdef StrEntry *e
    if ln <= 8:
        memcpy(&key, p, ln)
        e = &s.strings[((key + ln) * <uint64_t>0x9E3779B97F4A7C15) >> STR_CACHE_SHIFT]
        if e.obj != NULL and e.key == key and e.length == <Py_ssize_t>ln:
            s.c.pos += ln
            return <object>e.obj
        v = PyUnicode_DecodeUTF8(p, ln, NULL)
        Py_XDECREF(e.obj)
        Py_INCREF(v)
        e.obj = <PyObject *>v
        e.key = key
        e.length = ln
    else:
        v = PyUnicode_DecodeUTF8(p, ln, NULL)
    s.c.pos += ln
    return v


cdef inline const char *take(RState *s, size_t n) except NULL:
    cdef const char *p
    if <size_t>(s.c.end - s.c.pos) < n:
        fail_status(TA_ERR_TRUNCATED, s)
    p = <const char *>s.c.pos
    s.c.pos += n
    return p


cdef int64_t read_block_count(RState *s, RNode items) except -1:
    """A block count of an array or map (spec: Binary Encoding): negative counts carry a byte size.
    The count is checked against what the remaining input can hold (spec: Binary Encoding)."""
    cdef int64_t count = read_long_v(s)
    cdef int64_t nbytes
    cdef Py_ssize_t remaining
    if count < 0:
        if count == INT64_MIN:
            fail_at("block count overflows", s)
        count = -count
        nbytes = read_long_v(s)
        if nbytes < 0:
            fail_at("negative block byte size", s)
    if count == 0:
        return 0
    remaining = s.c.end - s.c.pos
    if count > s.max_items:
        fail_at(_limits.exceeded("max_collection_items", f"block count {count}", s.max_items), s)
    if items.min_size > 0:
        if count > remaining // items.min_size:
            fail_at(f"block count {count} exceeds what the remaining {remaining} bytes can hold", s)
    else:
        zero_budget_take(s, count)
    return count


cdef int zero_budget_take(RState *s, int64_t count) except -1:
    """Count ``count`` zero-byte items against the datum's budget (AVRO-4241: per datum,
    not per collection, so many small blocks cannot add up)."""
    s.zero_budget -= count
    if s.zero_budget < 0:
        if s.zero_limit < 0:  # a container file's budget, carried from block to block
            fail_at(_limits.exceeded(
                "max_file_zero_byte_items",
                f"block count {count} of zero-byte items (the file's total)"), s)
        fail_at(_limits.exceeded(
            "max_zero_byte_items",
            f"block count {count} of zero-byte items (the datum's total)", s.zero_limit), s)
    return 0


cdef object read_value(RNode n, RState *s):
    cdef int op = n.op
    cdef int64_t l
    cdef int32_t i
    cdef double d
    cdef float f
    cdef size_t ln
    cdef const char *p
    if op == OP_LONG:
        return PyLong_FromLongLong(read_long_v(s))
    if op == OP_INT:
        return PyLong_FromLongLong(read_int_v(s))
    if op == OP_STRING:
        return read_string(s)
    if op == OP_DOUBLE:
        if ta_read_double(&s.c, &d) != TA_OK:
            fail_status(TA_ERR_TRUNCATED, s)
        return PyFloat_FromDouble(d)
    if op == OP_FLOAT:
        if ta_read_float(&s.c, &f) != TA_OK:
            fail_status(TA_ERR_TRUNCATED, s)
        return PyFloat_FromDouble(f)
    if op == OP_BOOLEAN:
        p = take(s, 1)
        if <uint8_t>p[0] > 1:
            s.c.pos -= 1
            fail_at(f"boolean byte is {<uint8_t>p[0]}, not 0 or 1", s)
        return p[0] == 1
    if op == OP_NULL:
        return None
    if op == OP_RECORD:
        return read_record(n, s)
    if op == OP_UNION:
        return read_union(n, s)
    if op == OP_ARRAY:
        return read_array(n, s)
    if op == OP_MAP:
        return read_map(n, s)
    if op == OP_ENUM:
        return read_enum(n, s)
    if op == OP_BYTES:
        ln = read_len(s)
        p = take(s, ln)
        return PyBytes_FromStringAndSize(p, ln)
    if op == OP_FIXED:
        p = take(s, n.size)
        return PyBytes_FromStringAndSize(p, n.size)
    if op == OP_INT_AS_FLOAT:
        return PyFloat_FromDouble(<double>(<float>read_int_v(s)))
    if op == OP_INT_AS_DOUBLE:
        return PyFloat_FromDouble(<double>read_int_v(s))
    if op == OP_LONG_AS_FLOAT:
        return PyFloat_FromDouble(<double>(<float>read_long_v(s)))
    if op == OP_LONG_AS_DOUBLE:
        return PyFloat_FromDouble(<double>read_long_v(s))
    return read_logical(n, s)


cdef object read_timestamp(RState *s, int64_t v, int64_t per_sec, object tz):
    # truncating division and remainder, then floored: neither overflows, where
    # v - floor(v / per_sec) * per_sec does near INT64_MIN
    cdef int64_t secs = v / per_sec
    cdef int64_t frac = v % per_sec
    cdef int64_t days, sod
    cdef int year, month, day
    if frac < 0:
        frac += per_sec
        secs -= 1
    days = ta_floordiv(secs, 86400)
    sod = secs - days * 86400
    if days < TA_MIN_DAY or days > TA_MAX_DAY:
        fail_at(f"timestamp {v} is outside Python datetime's range (decode with logical=False)", s)
    ta_civil_from_days(days, &year, &month, &day)
    return cdt.datetime_new(year, month, day, <int>(sod // 3600), <int>((sod // 60) % 60),
                            <int>(sod % 60), <int>(frac * 1000000 // per_sec), tz)


cdef object read_time(RState *s, int64_t micros, int64_t raw):
    if micros < 0 or micros >= 86400000000:
        fail_at(f"time value {raw} is not within a day", s)
    return cdt.time_new(<int>(micros // 3600000000), <int>((micros // 60000000) % 60),
                        <int>((micros // 1000000) % 60), <int>(micros % 1000000), None)


cdef object read_logical(RNode n, RState *s):
    cdef int op = n.op
    cdef int64_t v
    cdef int year, month, day
    cdef size_t ln
    cdef const char *p
    if op == OP_TS_MILLIS:
        return read_timestamp(s, read_long_v(s), 1000, UTC)
    if op == OP_TS_MICROS:
        return read_timestamp(s, read_long_v(s), 1000000, UTC)
    if op == OP_LTS_MILLIS:
        return read_timestamp(s, read_long_v(s), 1000, None)
    if op == OP_LTS_MICROS:
        return read_timestamp(s, read_long_v(s), 1000000, None)
    if op == OP_TS_NANOS:
        # datetime holds microseconds: nanoseconds are floored (logical=False keeps them exact)
        return read_timestamp(s, read_long_v(s), 1000000000, UTC)
    if op == OP_LTS_NANOS:
        return read_timestamp(s, read_long_v(s), 1000000000, None)
    if op == OP_DATE:
        v = read_int_v(s)  # date and time-millis annotate an int: its checks hold (item 27)
        if v < TA_MIN_DAY or v > TA_MAX_DAY:
            fail_at(f"date {v} is outside Python date's range (decode with logical=False)", s)
        ta_civil_from_days(v, &year, &month, &day)
        return cdt.date_new(year, month, day)
    if op == OP_TIME_MILLIS:
        v = read_int_v(s)
        return read_time(s, v * 1000, v)
    if op == OP_TIME_MICROS:
        v = read_long_v(s)
        return read_time(s, v, v)
    if op == OP_DECIMAL_BYTES or op == OP_BIG_DECIMAL or op == OP_UUID_STRING:
        ln = read_len(s)
        p = take(s, ln)
    else:  # fixed-based
        ln = n.size
        p = take(s, ln)
    raw = PyBytes_FromStringAndSize(p, ln)
    try:
        if op == OP_DECIMAL_BYTES or op == OP_DECIMAL_FIXED:
            return _logical.unscaled_to_decimal(int.from_bytes(raw, "big", signed=True), n.scale)
        if op == OP_BIG_DECIMAL:
            return _logical.decode_big_decimal(raw)
        if op == OP_UUID_STRING:
            return UUID(raw.decode("utf-8"))
        if op == OP_UUID_FIXED:
            return UUID(bytes=raw)
        if op == OP_DURATION:
            return _logical.decode_duration(raw)
    except (ValueError, UnicodeDecodeError) as e:
        s.c.pos -= ln
        fail_at(f"invalid {n.name} value: {e}", s)
    fail_at(f"unknown op {op}", s)


cdef object read_record(RNode n, RState *s):
    cdef Py_ssize_t i = 0, nsteps = len(n.step_nodes)
    cdef object d
    cdef object key
    cdef RNode child
    s.depth += 1
    if s.depth > s.max_depth:
        fail_depth(s)
    # A copy of the template has every reader key in reader order (field order kept, as the
    # README's "Python values" promise) and the immutable defaults already in place; setting
    # a key that exists keeps its position, so writer order does not matter. It is also
    # cheaper than a presized dict filled key by key (the copy takes the template's table
    # of str keys as a block): measured 6-8% off list(Reader) of the flat and mixed shapes.
    d = PyDict_Copy(n.template)
    try:
        for i in range(nsteps):
            child = <RNode>PyList_GET_ITEM(n.step_nodes, i)
            key = <object>PyTuple_GET_ITEM(n.step_keys, i)
            if key is None:
                skip_value(child, s)
            else:
                PyDict_SetItem(d, key, read_value(child, s))
    except Exception as e:
        f = as_failure(e, s)
        key = <object>PyTuple_GET_ITEM(n.step_keys, i)
        f.parts.append(f".{key}" if key is not None else f".<skipped field {i} of {n.name}>")
        raise f
    s.depth -= 1
    for i in range(len(n.default_keys)):
        if <object>PyTuple_GET_ITEM(n.default_mutable, i):
            # records never share a mutable default
            PyDict_SetItem(d, <object>PyTuple_GET_ITEM(n.default_keys, i),
                           _deepcopy(<object>PyTuple_GET_ITEM(n.default_values, i)))
    return d


cdef object read_union(RNode n, RState *s):
    cdef const uint8_t *start = s.c.pos
    cdef int64_t idx = read_long_v(s)
    cdef object branch
    if idx < 0 or idx >= len(n.branches):
        s.c.pos = start  # errors point at the start of the offending value
        fail_at(f"union branch index {idx} out of range (union has {len(n.branches)} branches)", s)
    branch = n.branches[idx]
    if branch is None:
        s.c.pos = start
        fail_at(n.branch_errors[idx], s)
    if n.labels is not None and n.labels[idx] is not None:
        return (n.labels[idx], read_value(<RNode>branch, s))
    return read_value(<RNode>branch, s)


cdef object read_enum(RNode n, RState *s):
    cdef const uint8_t *start = s.c.pos
    cdef int64_t idx = read_long_v(s)
    if idx < 0 or idx >= len(n.symbols):
        s.c.pos = start
        fail_at(f"enum index {idx} out of range for {n.name} ({len(n.symbols)} symbols)", s)
    sym = n.symbols[idx]
    if sym is None:
        if n.enum_default is None:
            s.c.pos = start
            fail_at(f"writer symbol #{idx} is unknown to reader enum {n.name}, which has no default", s)
        return n.enum_default
    return sym


cdef int fill_block(list chunk, RNode items, RState *s, int64_t count, Py_ssize_t *done) except -1:
    """Decode ``count`` items into the preallocated ``chunk``. Scalar items run in a tight loop
    without the per-value dispatch of read_value."""
    cdef int64_t k, l
    cdef int32_t iv
    cdef double dv
    cdef float fv
    cdef object v
    cdef int op = items.op
    for k in range(count):
        if op == OP_LONG:
            v = PyLong_FromLongLong(read_long_v(s))
        elif op == OP_INT:
            v = PyLong_FromLongLong(read_int_v(s))
        elif op == OP_DOUBLE:
            if ta_read_double(&s.c, &dv) != TA_OK:
                fail_status(TA_ERR_TRUNCATED, s)
            v = PyFloat_FromDouble(dv)
        elif op == OP_FLOAT:
            if ta_read_float(&s.c, &fv) != TA_OK:
                fail_status(TA_ERR_TRUNCATED, s)
            v = PyFloat_FromDouble(fv)
        else:
            v = read_value(items, s)
        Py_INCREF(v)
        PyList_SET_ITEM(chunk, k, v)
        done[0] += 1
    return 0


cdef object read_array(RNode n, RState *s):
    cdef int64_t count
    cdef Py_ssize_t pos = 0
    cdef RNode items = n.items
    cdef list out = None
    cdef list chunk
    s.depth += 1
    if s.depth > s.max_depth:
        fail_depth(s)
    try:
        while True:
            count = read_block_count(s, items)
            if count == 0:
                break
            # read_block_count bounded count by the remaining input: this allocation is backed
            chunk = PyList_New(count)
            fill_block(chunk, items, s, count, &pos)
            if out is None:
                out = chunk
            else:
                out.extend(chunk)
    except Exception as e:
        f = as_failure(e, s)
        f.parts.append(f"[{pos}]")
        raise f
    s.depth -= 1
    return out if out is not None else []


cdef object read_map(RNode n, RState *s):
    cdef int64_t count, k
    cdef RNode values = n.items
    cdef dict out = {}
    cdef size_t ln
    cdef object key = None
    s.depth += 1
    if s.depth > s.max_depth:
        fail_depth(s)
    try:
        while True:
            count = read_block_count(s, values)
            if count == 0:
                break
            for k in range(count):
                key = None
                key = read_string(s)
                out[key] = read_value(values, s)
    except Exception as e:
        f = as_failure(e, s)
        f.parts.append(f"[{key!r}]" if key is not None else "[<key>]")
        raise f
    s.depth -= 1
    return out


cdef int skip_value(RNode n, RState *s) except -1:
    """Skip one value without building objects (writer-only fields, spec: Schema Resolution)."""
    cdef int op = n.op
    cdef int64_t count, nbytes, k, idx
    cdef Py_ssize_t i
    cdef size_t ln
    if op == OP_NULL:
        return 0
    if op in (OP_INT, OP_ENUM, OP_INT_AS_FLOAT, OP_INT_AS_DOUBLE, OP_DATE, OP_TIME_MILLIS):
        read_int_v(s)  # int-based: the int's range and length checks hold (item 27)
        return 0
    if op in (OP_LONG, OP_LONG_AS_FLOAT, OP_LONG_AS_DOUBLE, OP_TIME_MICROS, OP_TS_MILLIS,
              OP_TS_MICROS, OP_TS_NANOS, OP_LTS_MILLIS, OP_LTS_MICROS, OP_LTS_NANOS):
        read_long_v(s)
        return 0
    if op == OP_BOOLEAN:
        take(s, 1)
        return 0
    if op == OP_FLOAT:
        take(s, 4)
        return 0
    if op == OP_DOUBLE:
        take(s, 8)
        return 0
    if op in (OP_BYTES, OP_STRING, OP_DECIMAL_BYTES, OP_BIG_DECIMAL, OP_UUID_STRING):
        ln = read_len(s)
        take(s, ln)
        return 0
    if op in (OP_FIXED, OP_DECIMAL_FIXED, OP_UUID_FIXED, OP_DURATION):
        take(s, n.size)
        return 0
    if op == OP_RECORD:
        s.depth += 1
        if s.depth > s.max_depth:
            fail_depth(s)
        for i in range(len(n.step_nodes)):
            skip_value(<RNode>PyList_GET_ITEM(n.step_nodes, i), s)
        s.depth -= 1
        return 0
    if op == OP_UNION:
        idx = read_long_v(s)
        if idx < 0 or idx >= len(n.branches):
            fail_at(f"union branch index {idx} out of range (union has {len(n.branches)} branches)", s)
        branch = n.branches[idx]
        if branch is None:  # a skipped union is planned writer-vs-writer: never None
            fail_at(n.branch_errors[idx], s)
        return skip_value(<RNode>branch, s)
    if op == OP_ARRAY or op == OP_MAP:
        s.depth += 1
        if s.depth > s.max_depth:
            fail_depth(s)
        while True:
            count = read_long_v(s)
            if count == 0:
                break
            if count < 0:
                # a negative count carries the block's byte size: skip it whole (spec: Binary Encoding)
                nbytes = read_long_v(s)
                if nbytes < 0 or count == INT64_MIN:
                    fail_at("negative block byte size", s)
                take(s, <size_t>nbytes)
                continue
            if n.items.min_size > 0:
                if count > (s.c.end - s.c.pos) // n.items.min_size:
                    fail_at(f"block count {count} exceeds the remaining input", s)
            else:
                zero_budget_take(s, count)
            for k in range(count):
                if op == OP_MAP:
                    ln = read_len(s)
                    take(s, ln)
                skip_value(n.items, s)
        s.depth -= 1
        return 0
    fail_at(f"cannot skip op {op}", s)


# -- writing ---------------------------------------------------------------------------------

cdef int wb_grow(WBuf *b, size_t need) except -1:
    cdef size_t cap = b.cap * 2 if b.cap else 256
    cdef uint8_t *data
    while cap < b.len + need:
        cap *= 2
    data = <uint8_t *>realloc(b.data, cap)
    if data == NULL:
        raise MemoryError()
    b.data = data
    b.cap = cap
    return 0


cdef inline int wb_reserve(WBuf *b, size_t need) except -1:
    if b.len + need > b.cap:
        wb_grow(b, need)
    return 0


cdef inline int wb_long(WBuf *b, int64_t v) except -1:
    if b.len + 10 > b.cap:
        wb_grow(b, 10)
    b.len += ta_write_long(b.data + b.len, v)
    return 0


cdef inline int wb_bytes(WBuf *b, const void *p, size_t n) except -1:
    if n == 0:
        return 0  # p may be NULL (an empty buffer): memcpy must not see it
    if b.len + n > b.cap:
        wb_grow(b, n)
    memcpy(b.data + b.len, p, n)
    b.len += n
    return 0


cdef int wb_lenbytes(WBuf *b, const void *p, size_t n) except -1:
    wb_long(b, <int64_t>n)
    wb_bytes(b, p, n)
    return 0


cdef object _np_bool = None


cdef bint is_bool(object v):
    global _np_bool
    if v is True or v is False:
        return True
    if _np_bool is None:
        np = _sys.modules.get("numpy")
        if np is None:
            return False
        _np_bool = np.bool_
    return isinstance(v, _np_bool)


cdef bint is_integer(object v):
    if PyLong_CheckExact(v):
        return True
    if is_bool(v):
        return False
    return PyIndex_Check(v)


cdef bint is_real(object v):
    if PyFloat_Check(v):
        return True
    if is_bool(v) or PyUnicode_Check(v) or isinstance(v, Decimal):
        return False
    if PyLong_Check(v) or PyIndex_Check(v):
        return True
    return hasattr(type(v), "__float__")


cdef bint is_bytes_like(object v):
    return PyBytes_CheckExact(v) or PyByteArray_CheckExact(v) or (not PyUnicode_Check(v) and PyObject_CheckBuffer(v))


cdef int64_t as_int64(object v, int64_t lo, int64_t hi, str what) except? -1:
    cdef int overflow = 0
    cdef long long x
    if not PyLong_CheckExact(v):
        if is_bool(v) or not PyIndex_Check(v):
            raise _Failure(f"expected {what}, got {type(v).__name__} {_short_repr(v)}")
        v = v.__index__()
    x = PyLong_AsLongLongAndOverflow(v, &overflow)
    if overflow or x < lo or x > hi:
        raise _Failure(f"{_short_repr(v)} is out of range for {what}")
    return x


cdef double as_double(object v, str what) except? -1.0:
    if PyFloat_CheckExact(v):
        return PyFloat_AS_DOUBLE_(v)
    if not is_real(v):
        raise _Failure(f"expected {what}, got {type(v).__name__} {_short_repr(v)}")
    return PyFloat_AsDouble(v)


cdef extern from "Python.h":
    double PyFloat_AS_DOUBLE_ "PyFloat_AS_DOUBLE" (object o)


cdef int write_buffer_obj(WBuf *b, object v, Py_ssize_t fixed_size, str what) except -1:
    cdef Py_buffer view
    if PyBytes_CheckExact(v):
        if fixed_size >= 0:
            if PyBytes_GET_SIZE(v) != fixed_size:
                raise _Failure(f"{what} needs exactly {fixed_size} bytes, got {PyBytes_GET_SIZE(v)}")
            wb_bytes(b, PyBytes_AS_STRING(v), fixed_size)
        else:
            wb_lenbytes(b, PyBytes_AS_STRING(v), PyBytes_GET_SIZE(v))
        return 0
    if PyUnicode_Check(v) or not PyObject_CheckBuffer(v):
        raise _Failure(f"expected bytes for {what}, got {type(v).__name__} {_short_repr(v)}")
    PyObject_GetBuffer(v, &view, PyBUF_SIMPLE)
    try:
        if fixed_size >= 0:
            if view.len != fixed_size:
                raise _Failure(f"{what} needs exactly {fixed_size} bytes, got {view.len}")
            wb_bytes(b, view.buf, view.len)
        else:
            wb_lenbytes(b, view.buf, view.len)
    finally:
        PyBuffer_Release(&view)
    return 0


cdef int write_string(WBuf *b, object v) except -1:
    cdef Py_ssize_t n
    cdef const char *p
    if not PyUnicode_Check(v):
        raise _Failure(f"expected str, got {type(v).__name__} {_short_repr(v)}")
    try:
        p = PyUnicode_AsUTF8AndSize(v, &n)
    except UnicodeEncodeError as e:
        raise _Failure(f"string is not valid Unicode (lone surrogate?): {e}")
    wb_lenbytes(b, p, n)
    return 0


cdef int64_t datetime_to_units(object v, int64_t per_sec, bint local) except? -1:
    """Encode a datetime as a count of 1/per_sec seconds since the epoch. Aware datetimes are
    converted to UTC; naive ones are taken as UTC (as fastavro does); local timestamps use the
    wall-clock fields (spec: Logical Types)."""
    cdef int64_t days, secs, micros
    tz = cdt.datetime_tzinfo(v)
    days = ta_days_from_civil(cdt.datetime_year(v), cdt.datetime_month(v), cdt.datetime_day(v))
    secs = days * 86400 + cdt.datetime_hour(v) * 3600 + cdt.datetime_minute(v) * 60 + cdt.datetime_second(v)
    micros = cdt.datetime_microsecond(v)
    if not local and tz is not None and tz is not UTC:
        off = v.utcoffset()
        if off is not None:
            secs -= off.days * 86400 + off.seconds
            micros -= off.microseconds
    if per_sec == 1000:
        return secs * 1000 + ta_floordiv(micros, 1000)
    if per_sec == 1000000:
        return secs * 1000000 + micros
    return secs * 1000000000 + micros * 1000


cdef int write_value(WNode n, object v, WBuf *b, bint strict) except -1:
    cdef int op = n.op
    cdef float f
    cdef double d
    cdef uint32_t u32
    cdef uint64_t u64
    if op == OP_LONG:
        return wb_long(b, as_int64(v, INT64_MIN, INT64_MAX, "long"))
    if op == OP_INT:
        wb_long(b, as_int64(v, -2147483648, 2147483647, "int"))
        return 0
    if op == OP_STRING:
        return write_string(b, v)
    if op == OP_DOUBLE:
        d = as_double(v, "double")
        u64 = ta_le64((<uint64_t *>&d)[0])
        return wb_bytes(b, &u64, 8)
    if op == OP_FLOAT:
        f = <float>as_double(v, "float")
        u32 = ta_le32((<uint32_t *>&f)[0])
        return wb_bytes(b, &u32, 4)
    if op == OP_BOOLEAN:
        if v is True:
            return wb_bytes(b, b"\x01", 1)
        if v is False:
            return wb_bytes(b, b"\x00", 1)
        if is_bool(v):
            return wb_bytes(b, b"\x01" if v else b"\x00", 1)
        raise _Failure(f"expected bool, got {type(v).__name__} {_short_repr(v)}")
    if op == OP_NULL:
        if v is not None:
            raise _Failure(f"expected None, got {type(v).__name__} {_short_repr(v)}")
        return 0
    if op == OP_RECORD:
        return write_record(n, v, b, strict)
    if op == OP_UNION:
        return write_union(n, v, b, strict)
    if op == OP_ARRAY:
        return write_array(n, v, b, strict)
    if op == OP_MAP:
        return write_map(n, v, b, strict)
    if op == OP_ENUM:
        idx = n.symbol_index.get(v) if PyUnicode_Check(v) else None
        if idx is None:
            raise _Failure(f"{_short_repr(v)} is not a symbol of {n.name}")
        return wb_long(b, idx)
    if op == OP_BYTES:
        return write_buffer_obj(b, v, -1, "bytes")
    if op == OP_FIXED:
        return write_buffer_obj(b, v, n.size, n.name)
    return write_logical(n, v, b)


cdef int write_logical(WNode n, object v, WBuf *b) except -1:
    cdef int op = n.op
    cdef int64_t micros, per
    if op == OP_TS_MILLIS or op == OP_TS_MICROS or op == OP_TS_NANOS or op == OP_LTS_MILLIS \
            or op == OP_LTS_MICROS or op == OP_LTS_NANOS:
        if cdt.PyDateTime_Check(v):
            per = 1000 if op in (OP_TS_MILLIS, OP_LTS_MILLIS) else (1000000 if op in (OP_TS_MICROS, OP_LTS_MICROS) else 1000000000)
            return wb_long(b, datetime_to_units(v, per, op in (OP_LTS_MILLIS, OP_LTS_MICROS, OP_LTS_NANOS)))
        if is_integer(v):
            return wb_long(b, as_int64(v, INT64_MIN, INT64_MAX, n.name))
        raise _Failure(f"expected datetime or int for {n.name}, got {type(v).__name__} {_short_repr(v)}")
    if op == OP_DATE:
        if cdt.PyDate_Check(v) and not cdt.PyDateTime_Check(v):
            return wb_long(b, ta_days_from_civil(cdt.date_year(v), cdt.date_month(v), cdt.date_day(v)))
        if is_integer(v):
            return wb_long(b, as_int64(v, -2147483648, 2147483647, "date"))
        raise _Failure(f"expected date or int for {n.name}, got {type(v).__name__} {_short_repr(v)}")
    if op == OP_TIME_MILLIS or op == OP_TIME_MICROS:
        if cdt.PyTime_Check(v):
            micros = ((<int64_t>cdt.time_hour(v) * 60 + cdt.time_minute(v)) * 60 + cdt.time_second(v)) * 1000000 + cdt.time_microsecond(v)
            return wb_long(b, micros // 1000 if op == OP_TIME_MILLIS else micros)
        if is_integer(v):
            if op == OP_TIME_MILLIS:
                return wb_long(b, as_int64(v, -2147483648, 2147483647, "time-millis"))
            return wb_long(b, as_int64(v, INT64_MIN, INT64_MAX, "time-micros"))
        raise _Failure(f"expected time or int for {n.name}, got {type(v).__name__} {_short_repr(v)}")
    try:
        if op == OP_DECIMAL_BYTES or op == OP_DECIMAL_FIXED:
            if isinstance(v, Decimal):
                v = _logical.encode_decimal(v, n.precision, n.scale, n.size if op == OP_DECIMAL_FIXED else None)
            elif not is_bytes_like(v):
                raise _Failure(f"expected decimal.Decimal (or its two's-complement bytes) for {n.name}, got {type(v).__name__} {_short_repr(v)}")
        elif op == OP_BIG_DECIMAL:
            if isinstance(v, Decimal):
                v = _logical.encode_big_decimal(v)
            elif not is_bytes_like(v):
                raise _Failure(f"expected decimal.Decimal for {n.name}, got {type(v).__name__} {_short_repr(v)}")
        elif op == OP_UUID_STRING:
            if isinstance(v, UUID):
                v = str(v)
            elif PyUnicode_Check(v):
                UUID(v)  # validates (RFC 4122 text); the string is written as given
            return write_string(b, v)
        elif op == OP_UUID_FIXED:
            if isinstance(v, UUID):
                v = v.bytes
            elif not is_bytes_like(v):
                raise _Failure(f"expected uuid.UUID (or 16 bytes) for {n.name}, got {type(v).__name__} {_short_repr(v)}")
        elif op == OP_DURATION:
            if isinstance(v, tuple):
                v = _logical.encode_duration(v)
            elif not is_bytes_like(v):
                raise _Failure(f"expected Duration(months, days, milliseconds) (or 12 bytes) for {n.name}, got {type(v).__name__} {_short_repr(v)}")
    except (ValueError, TypeError) as e:
        raise _Failure(f"invalid value {_short_repr(v)} for {n.name}: {e}")
    if op == OP_DECIMAL_BYTES or op == OP_BIG_DECIMAL:
        return write_buffer_obj(b, v, -1, n.name)
    return write_buffer_obj(b, v, n.size, n.name)


cdef int write_record(WNode n, object v, WBuf *b, bint strict) except -1:
    cdef Py_ssize_t i, nfields = len(n.field_keys), found = 0
    cdef PyObject *item
    cdef object key = None
    cdef object dflt
    if PyDict_CheckExact(v):
        try:
            for i in range(nfields):
                key = <object>PyTuple_GET_ITEM(n.field_keys, i)
                item = PyDict_GetItem(v, key)
                if item == NULL:
                    dflt = n.field_defaults[i]
                    if dflt is None:
                        raise _Failure(f"missing required field {key!r} of {n.name}")
                    wb_bytes(b, PyBytes_AS_STRING(dflt), PyBytes_GET_SIZE(dflt))
                else:
                    found += 1
                    write_value(<WNode>PyList_GET_ITEM(n.field_nodes, i), <object>item, b, strict)
        except Exception as e:
            f = e if isinstance(e, _Failure) else _Failure(f"{type(e).__name__}: {e}")
            f.parts.append(f".{key}")
            raise f
        if strict and PyDict_Size(v) > found:
            extra = [k for k in v if k not in n.field_keys]
            raise _Failure(f"{n.name} has no field(s) {', '.join(map(repr, extra))} (strict mode)")
        return 0
    if not isinstance(v, _Mapping):
        raise _Failure(f"expected a mapping for {n.name}, got {type(v).__name__} {_short_repr(v)}")
    try:
        for i in range(nfields):
            key = n.field_keys[i]
            if key in v:
                found += 1
                write_value(<WNode>n.field_nodes[i], v[key], b, strict)
            else:
                dflt = n.field_defaults[i]
                if dflt is None:
                    raise _Failure(f"missing required field {key!r} of {n.name}")
                wb_bytes(b, PyBytes_AS_STRING(dflt), PyBytes_GET_SIZE(dflt))
    except Exception as e:
        f = e if isinstance(e, _Failure) else _Failure(f"{type(e).__name__}: {e}")
        f.parts.append(f".{key}")
        raise f
    if strict and len(v) > found:
        extra = [k for k in v if k not in n.field_keys]
        raise _Failure(f"{n.name} has no field(s) {', '.join(map(repr, extra))} (strict mode)")
    return 0


cdef bint accepts(WNode n, object v, bint strict) except -1:
    """Could ``v`` be written as ``n``? Used to pick a union branch by the value's type."""
    cdef int op = n.op
    if op == OP_NULL:
        return v is None
    if op == OP_BOOLEAN:
        return is_bool(v)
    if op == OP_INT or op == OP_LONG:
        if not is_integer(v):
            return False
        if op == OP_INT:
            return -2147483648 <= v <= 2147483647
        return INT64_MIN <= v <= INT64_MAX
    if op == OP_FLOAT or op == OP_DOUBLE:
        return is_real(v)
    if op == OP_STRING:
        return PyUnicode_Check(v)
    if op == OP_BYTES:
        return is_bytes_like(v)
    if op == OP_FIXED:
        return is_bytes_like(v) and len(v) == n.size
    if op == OP_ENUM:
        return PyUnicode_Check(v) and v in n.symbol_index
    if op == OP_ARRAY:
        return PyList_CheckExact(v) or PyTuple_CheckExact(v) or (
            not PyUnicode_Check(v) and not is_bytes_like(v) and not isinstance(v, _Mapping)
            and hasattr(v, "__iter__"))
    if op == OP_MAP:
        return isinstance(v, _Mapping)
    if op == OP_RECORD:
        if not isinstance(v, _Mapping):
            return False
        found = 0
        for i in range(len(n.field_keys)):
            if n.field_keys[i] in v:
                found += 1
            elif n.field_defaults[i] is None:
                return False
        return not strict or len(v) == found
    if op == OP_UNION:
        return False
    # logical types: their own Python type, or the underlying one
    if op in (OP_TS_MILLIS, OP_TS_MICROS, OP_TS_NANOS, OP_LTS_MILLIS, OP_LTS_MICROS, OP_LTS_NANOS):
        return cdt.PyDateTime_Check(v) or is_integer(v)
    if op == OP_DATE:
        return (cdt.PyDate_Check(v) and not cdt.PyDateTime_Check(v)) or is_integer(v)
    if op == OP_TIME_MILLIS or op == OP_TIME_MICROS:
        return cdt.PyTime_Check(v) or is_integer(v)
    if op in (OP_DECIMAL_BYTES, OP_DECIMAL_FIXED, OP_BIG_DECIMAL):
        return isinstance(v, Decimal) or (is_bytes_like(v) and (op != OP_DECIMAL_FIXED or len(v) == n.size))
    if op == OP_UUID_STRING:
        return isinstance(v, UUID) or PyUnicode_Check(v)
    if op == OP_UUID_FIXED:
        return isinstance(v, UUID) or (is_bytes_like(v) and len(v) == 16)
    if op == OP_DURATION:
        return isinstance(v, tuple) and len(v) == 3 or (is_bytes_like(v) and len(v) == 12)
    return False


cdef int write_union(WNode n, object v, WBuf *b, bint strict) except -1:
    cdef Py_ssize_t j, nb = len(n.branches)
    cdef object idx
    if v is None and n.null_index >= 0:
        return wb_long(b, n.null_index)
    if PyTuple_CheckExact(v) and len(v) == 2 and PyUnicode_Check(v[0]):
        # an explicit (branch name, value) selects the branch
        idx = n.branch_index.get(v[0])
        if idx is not None:
            wb_long(b, idx)
            try:
                return write_value(<WNode>n.branches[idx], v[1], b, strict)
            except _Failure as f:
                f.parts.append(f"<{v[0]}>")
                raise
    for j in range(nb):
        if accepts(<WNode>PyList_GET_ITEM(n.branches, j), v, strict):
            wb_long(b, j)
            return write_value(<WNode>PyList_GET_ITEM(n.branches, j), v, b, strict)
    raise _Failure(f"{type(v).__name__} {_short_repr(v)} matches no branch of union {n.name}")


cdef int write_array(WNode n, object v, WBuf *b, bint strict) except -1:
    cdef Py_ssize_t i = 0, count
    cdef WNode items = n.items
    if not (PyList_CheckExact(v) or PyTuple_CheckExact(v)):
        if PyUnicode_Check(v) or is_bytes_like(v) or isinstance(v, _Mapping) or not hasattr(v, "__iter__"):
            raise _Failure(f"expected a list for {n.name}, got {type(v).__name__} {_short_repr(v)}")
        v = list(v)
    count = len(v)
    try:
        if count:
            wb_long(b, count)
            for i in range(count):
                write_value(items, v[i], b, strict)
    except Exception as e:
        f = e if isinstance(e, _Failure) else _Failure(f"{type(e).__name__}: {e}")
        f.parts.append(f"[{i}]")
        raise f
    return wb_long(b, 0)


cdef int write_map(WNode n, object v, WBuf *b, bint strict) except -1:
    cdef WNode values = n.items
    cdef Py_ssize_t pos = 0
    cdef PyObject *k
    cdef PyObject *val
    cdef object key = None
    if not isinstance(v, _Mapping):
        raise _Failure(f"expected a mapping for {n.name}, got {type(v).__name__} {_short_repr(v)}")
    try:
        if len(v):
            wb_long(b, len(v))
            if PyDict_CheckExact(v):
                while PyDict_Next(v, &pos, &k, &val):
                    key = <object>k
                    write_string(b, key)
                    write_value(values, <object>val, b, strict)
            else:
                for key, value in v.items():
                    write_string(b, key)
                    write_value(values, value, b, strict)
    except Exception as e:
        f = e if isinstance(e, _Failure) else _Failure(f"{type(e).__name__}: {e}")
        f.parts.append(f"[{key!r}]")
        raise f
    return wb_long(b, 0)


def compile_write(plan):
    """Compile a resolution.WriteNode tree (possibly cyclic) into WNodes; defaults are encoded
    once here."""
    memo = {}
    root = _compile_write(plan, memo)
    _encode_defaults(root, set())
    return root


cdef WNode _compile_write(object plan, dict memo):
    cdef WNode n
    key = id(plan)
    if key in memo:
        return memo[key][0]
    n = WNode.__new__(WNode)
    memo[key] = (n, plan)
    n.op = _OPS[plan.op]
    n.name = plan.name
    n.size = plan.size
    n.precision = plan.precision
    n.scale = plan.scale
    if plan.items is not None:
        n.items = _compile_write(plan.items, memo)
    n.branches = [_compile_write(br, memo) for br in plan.branches]
    n.branch_index = {}
    n.null_index = -1
    for j, names in enumerate(plan.branch_names):
        for name in names:
            n.branch_index.setdefault(name, j)
        if plan.branches[j].op == "null":
            n.null_index = j
    n.symbol_index = {s: i for i, s in enumerate(plan.symbols)}
    n.field_nodes = [_compile_write(fl.node, memo) for fl in plan.fields]
    n.field_keys = tuple(_sys.intern(fl.key) for fl in plan.fields)
    # placeholders; _encode_defaults replaces the Python defaults by their encoding
    n.field_defaults = [(fl.default,) if fl.has_default else None for fl in plan.fields]
    return n


cdef _encode_defaults(WNode n, set seen):
    cdef WBuf b
    if id(n) in seen:
        return
    seen.add(id(n))
    for i in range(len(n.field_nodes)):
        d = n.field_defaults[i]
        if type(d) is tuple:
            b.data = NULL
            b.len = b.cap = 0
            try:
                write_value(<WNode>n.field_nodes[i], d[0], &b, True)
                n.field_defaults[i] = PyBytes_FromStringAndSize(<char *>b.data, b.len)
            except _Failure:
                # a default that does not fit its field (only a leniently parsed header
                # schema has one, as Java reads headers): the field has no usable default,
                # so a record without it is refused as missing the field
                n.field_defaults[i] = None
            finally:
                free(b.data)
    for child in n.field_nodes:
        _encode_defaults(<WNode>child, seen)
    for child in n.branches:
        _encode_defaults(<WNode>child, seen)
    if n.items is not None:
        _encode_defaults(n.items, seen)


# -- public classes --------------------------------------------------------------------------

cdef class Decoder:
    """Decodes Avro binary data of ``writer_schema``, resolved to ``reader_schema`` (default:
    the writer schema) through a plan compiled once here (Avro specification, Schema Resolution).

    ``logical=False`` returns underlying values instead of logical-type objects: it is faster,
    and it is the way to read ``timestamp-nanos`` / ``local-timestamp-nanos`` exactly, since by
    default they decode to a ``datetime`` whose microseconds are the nanoseconds floored.
    ``branches=True`` returns a union's value as a ``(branch name, value)`` tuple (names as in
    the Avro JSON encoding; a null stays ``None``), which :class:`Encoder` and ``json_encode`` write as that very
    branch: conversions keep the branch even where the Python value fits several."""

    cdef RNode root
    cdef StrEntry *strings  # short-string cache shared by every decode of this Decoder
    cdef readonly object writer_schema
    cdef readonly object reader_schema
    cdef readonly object plan
    cdef public int max_depth
    cdef public int64_t max_zero_size_items
    cdef public int64_t max_collection_items

    def __cinit__(self):
        self.strings = <StrEntry *>calloc(STR_CACHE_SLOTS, sizeof(StrEntry))
        if self.strings == NULL:
            raise MemoryError()

    def __dealloc__(self):
        cdef Py_ssize_t i
        if self.strings != NULL:
            for i in range(STR_CACHE_SLOTS):
                Py_XDECREF(self.strings[i].obj)
            free(self.strings)

    def __init__(self, writer_schema, reader_schema=None, *, bint logical=True,
                 max_depth=None, max_zero_size_items=None, max_collection_items=None,
                 bint branches=False, _union_tag=None):
        """``max_depth``, ``max_zero_size_items`` and ``max_collection_items`` default to
        the limits in force (``turboavro.limits``: max_data_depth, max_zero_byte_items,
        max_collection_items)."""
        lim = _limits.get()
        # _union_tag: internal hook (the fastavro facade): resolution.read_plan's branches=
        from ..resolution import read_plan
        from ..schema import Schema
        self.writer_schema = Schema.parse(writer_schema)
        self.reader_schema = self.writer_schema if reader_schema is None else Schema.parse(reader_schema)
        self.plan = read_plan(self.writer_schema, self.reader_schema, logical=logical,
                              branches=_union_tag if _union_tag is not None else branches)
        # plans are cached per schema pair and never mutated, nor are their compiled nodes:
        # Decoders of one pair share the nodes, compiled once
        self.root = self.plan.__dict__.get("_compiled")
        if self.root is None:
            self.root = self.plan._compiled = compile_read(self.plan)
        self.max_depth = lim.max_data_depth if max_depth is None else max_depth
        self.max_zero_size_items = (lim.max_zero_byte_items if max_zero_size_items is None
                                    else max_zero_size_items)
        self.max_collection_items = (lim.max_collection_items if max_collection_items is None
                                     else max_collection_items)

    cdef inline void _init_state(self, RState *s, const uint8_t *p, Py_ssize_t n):
        s.strings = self.strings
        s.c.start = p
        s.c.pos = p
        s.c.end = p + n
        s.depth = 0
        s.max_depth = self.max_depth
        s.zero_budget = self.max_zero_size_items
        s.zero_limit = self.max_zero_size_items
        s.max_items = self.max_collection_items
        s.base = 0

    def decode(self, data, Py_ssize_t offset=0):
        """Decode one datum that fills ``data`` (any buffer) exactly from ``offset`` on (a
        framing's header is skipped this way without a copy). Error offsets count from the
        start of ``data``."""
        cdef RState s
        cdef Py_buffer view
        if PyBytes_CheckExact(data):
            if offset < 0 or offset > PyBytes_GET_SIZE(data):
                raise ValueError("offset outside the buffer")
            self._init_state(&s, <const uint8_t *>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))
            s.c.pos += offset
            return self._decode_one(&s)
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            if offset < 0 or offset > view.len:
                raise ValueError("offset outside the buffer")
            self._init_state(&s, <const uint8_t *>view.buf, view.len)
            s.c.pos += offset
            return self._decode_one(&s)
        finally:
            PyBuffer_Release(&view)

    cdef object _decode_one(self, RState *s):
        try:
            value = read_value(self.root, s)
        except Exception as e:
            raise _decode_error(as_failure(e, s)) from None
        if s.c.pos != s.c.end:
            raise DecodeError(f"{s.c.end - s.c.pos} trailing byte(s) after the datum",
                              s.c.pos - s.c.start, "$")
        return value

    cdef object _decode_prefix(self, RState *s):
        try:
            value = read_value(self.root, s)
        except Exception as e:
            raise _decode_error(as_failure(e, s)) from None
        return value, s.c.pos - s.c.start

    def decode_prefix(self, data, Py_ssize_t offset=0):
        """Decode one datum starting at ``offset``; return ``(value, end_offset)``."""
        cdef RState s
        cdef Py_buffer view
        if PyBytes_CheckExact(data):  # one message at a time: no buffer export for bytes
            if offset < 0 or offset > PyBytes_GET_SIZE(data):
                raise ValueError("offset outside the buffer")
            self._init_state(&s, <const uint8_t *>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))
            s.c.pos += offset
            return self._decode_prefix(&s)
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            if offset < 0 or offset > view.len:
                raise ValueError("offset outside the buffer")
            self._init_state(&s, <const uint8_t *>view.buf, view.len)
            s.c.pos += offset
            return self._decode_prefix(&s)
        finally:
            PyBuffer_Release(&view)

    def decode_block(self, data, Py_ssize_t count):
        """Decode exactly ``count`` datums that fill ``data`` (a container block). On failure
        the DecodeError carries ``partial``: the datums decoded before it."""
        cdef RState s
        cdef Py_buffer view
        if count < 0:
            raise ValueError("negative count")
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            self._init_state(&s, <const uint8_t *>view.buf, view.len)
            # every datum takes at least min_size bytes: a count the block cannot hold is
            # rejected before anything is allocated for it
            if self.root.min_size > 0 and count > view.len // self.root.min_size:
                raise DecodeError(f"block claims {count} records but holds only {view.len} bytes", 0, "$")
            out = self._decode_run(&s, count, 0)
            if s.c.pos != s.c.end:
                err = DecodeError(f"{s.c.end - s.c.pos} trailing byte(s) after {count} records",
                                  s.c.pos - s.c.start, "$")
                err.partial = out
                err.record_index = count
                raise err
            return out
        finally:
            PyBuffer_Release(&view)

    def decode_records(self, data, Py_ssize_t offset, Py_ssize_t count, zero_budget=None):
        """Decode ``count`` datums of ``data`` (part of a container block) from ``offset``;
        return ``(records, end_offset, zero_budget_left)``. A reader delivers a large block
        in runs this way, never building more than a run ahead of its caller;
        ``zero_budget`` carries a container file's budget of zero-byte items
        (limits.max_file_zero_byte_items) from run to run and block to block (``None``: the
        Decoder's own per-datum budget). On failure the DecodeError carries ``partial`` (the datums
        of this run decoded before it) and ``record_index`` (its index in the run)."""
        cdef RState s
        cdef Py_buffer view
        if count < 0:
            raise ValueError("negative count")
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            if offset < 0 or offset > view.len:
                raise ValueError("offset outside the buffer")
            self._init_state(&s, <const uint8_t *>view.buf, view.len)
            s.c.pos += offset
            if zero_budget is not None:
                s.zero_budget = zero_budget
                s.zero_limit = -1
            if self.root.min_size > 0 and count > (view.len - offset) // self.root.min_size:
                raise DecodeError(f"run claims {count} records but only {view.len - offset} "
                                  "bytes remain", offset, "$")
            out = self._decode_run(&s, count, offset)
            return out, s.c.pos - s.c.start, s.zero_budget
        finally:
            PyBuffer_Release(&view)

    cdef list _decode_run(self, RState *s, Py_ssize_t count, Py_ssize_t first):
        cdef Py_ssize_t i = 0
        cdef list out = []
        cdef bint gc_was_enabled
        # Building many container objects triggers cyclic-GC passes that only find live
        # objects (the records being built); pausing collection while a block is built
        # saves ~25% on nested records. The objects stay tracked.
        gc_was_enabled = _gc_isenabled()
        if gc_was_enabled:
            _gc_disable()
        try:
            for i in range(count):
                s.depth = 0
                out.append(read_value(self.root, s))
        except Exception as e:
            err = _decode_error(as_failure(e, s))
            err.partial = out
            err.record_index = i
            raise err from None
        finally:
            if gc_was_enabled:
                _gc_enable()
        return out

    def describe(self):
        """The compiled plan, readable."""
        return self.plan.describe()


cdef class Encoder:
    """Encodes Python values of ``schema`` to Avro binary through a plan compiled once here.

    ``strict=True`` rejects record keys that are not fields (nothing is dropped silently)."""

    cdef WNode root
    cdef WBuf buf
    cdef bint busy
    cdef readonly object schema
    cdef readonly bint strict

    def __cinit__(self):
        self.buf.data = NULL
        self.buf.len = 0
        self.buf.cap = 0
        self.busy = False

    def __init__(self, schema, *, bint strict=True, bint logical=True):
        from ..resolution import write_plan
        from ..schema import Schema
        self.schema = Schema.parse(schema)
        self.strict = strict
        plan = write_plan(self.schema, logical=logical)
        self.root = plan.__dict__.get("_compiled")  # shared by the Encoders of a schema
        if self.root is None:
            self.root = plan._compiled = compile_write(plan)

    def __dealloc__(self):
        free(self.buf.data)

    cdef int _encode(self, object obj, WBuf *b) except -1:
        try:
            write_value(self.root, obj, b, self.strict)
        except Exception as e:
            f = e if isinstance(e, _Failure) else _Failure(f"{type(e).__name__}: {e}")
            raise _encode_error(f) from None
        return 0

    cdef WBuf *_scratch(self, WBuf *private):
        """The reusable scratch buffer, or ``private`` when an encode is already running on this
        Encoder (re-entered from Python code run during an encode, e.g. a Mapping's
        __getitem__ on another thread)."""
        if self.busy:
            private.data = NULL
            private.len = private.cap = 0
            return private
        self.busy = True
        return &self.buf

    cdef void _release(self, WBuf *b):
        if b == &self.buf:
            self.busy = False
        else:
            free(b.data)

    def encode(self, obj):
        """Return the Avro binary encoding of ``obj``."""
        cdef WBuf private
        cdef WBuf *b = self._scratch(&private)
        try:
            b.len = 0
            self._encode(obj, b)
            return PyBytes_FromStringAndSize(<char *>b.data, b.len)
        finally:
            self._release(b)

    def encode_into(self, obj, bytearray out not None):
        """Append the encoding of ``obj`` to ``out`` (through the reusable scratch buffer: no
        allocation per call beyond the bytearray's own growth)."""
        self.encode_many_into((obj,), out)

    def encode_many_into(self, objs, bytearray out not None):
        """Append the encoding of every value of ``objs`` to ``out``; return the count. If one
        fails, ``out`` holds the values before it and the error is raised."""
        cdef WBuf private
        cdef WBuf *b = self._scratch(&private)
        cdef Py_ssize_t start, count = 0
        try:
            for obj in objs:
                b.len = 0
                self._encode(obj, b)
                start = PyByteArray_GET_SIZE(out)
                if b.len:  # b.data is NULL before the first non-empty encoding
                    PyByteArray_Resize(out, start + b.len)
                    memcpy(PyByteArray_AS_STRING(out) + start, b.data, b.len)
                count += 1
        finally:
            self._release(b)
        return count
