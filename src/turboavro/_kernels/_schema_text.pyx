# cython: language_level=3, boundscheck=False, wraparound=False
"""The native reader of schema text: JSON text straight into the schema model.

``Schema.parse`` of a text first asks :func:`read`. It reads the JSON into a flat array of
nodes (``native/ta_json.c``, no Python object made) and builds the model's objects from it
directly: instances made without ``__init__``, slots stored through their offsets. Making
those objects one by one is what json.loads and the parser's walk of its dicts spend most of
their time on.

It takes the valid schemas of the common case only and never reports an error: for any text
it does not take exactly as the parser would (invalid JSON, escapes, a schema error, a lenient
or unusual construct), it returns ``None`` and the parser (``turboavro.schema``) reads the
text and reports what is wrong. The rules it applies and the parser's are compared by
``tests/test_schema_text.py``; the tables (reserved keys, orders, logical types) are the
parser's, handed over by :func:`setup`.
"""
from cpython.dict cimport PyDict_GetItem, PyDict_SetItem
from cpython.list cimport PyList_New
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.string cimport memcmp
from libc.stdint cimport int32_t, int64_t

cdef extern from "Python.h":
    void PyObject_GC_Track(object o)
    void PyObject_GC_UnTrack(object o)
    int PyObject_GC_IsTracked(object o)
    int PyObject_IS_GC(object o)
    object PyDictProxy_New(object mapping)
    object PyLong_FromLongLong(long long v)
    int Py_GetRecursionLimit()
    const char *PyUnicode_AsUTF8AndSize(object s, Py_ssize_t *size) except NULL

cdef extern from "ta_json.h":
    enum:
        TA_J_NULL
        TA_J_FALSE
        TA_J_TRUE
        TA_J_INT
        TA_J_FLOAT
        TA_J_STR
        TA_J_ARR
        TA_J_OBJ
    enum:
        TA_JSON_OK
        TA_JSON_LEAVE
        TA_JSON_NOMEM
    ctypedef struct ta_jnode:
        int32_t kind
        int32_t count
        int32_t first
        int32_t next
        int32_t key
        int32_t key_len
        int32_t start
        int32_t len
        int32_t tag
    ctypedef struct ta_jdoc:
        ta_jnode *nodes
        int32_t n
        int32_t cap
        int owned
    int ta_json_read(const char *s, size_t n, int max_depth, ta_jdoc *doc) nogil
    void ta_json_free(ta_jdoc *doc) nogil
    size_t ta_json_nesting(const char *s, size_t n, size_t limit) nogil

# Instances of the model's classes (they have __slots__) are made without __init__ and their
# slots filled through their offsets: one store each, where object.__setattr__ costs a
# descriptor lookup and a call.
cdef extern from *:
    """
#include "structmember.h"

/* A new instance of cls with every slot unset; NULL with an exception on failure. */
static inline PyObject *ta_new_instance(PyObject *cls)
{
    PyTypeObject *t = (PyTypeObject *)cls;
    return t->tp_alloc(t, 0);
}

/* Set the slot at byte offset off of o to v (a new reference is taken). */
static inline void ta_slot_set(PyObject *o, Py_ssize_t off, PyObject *v)
{
    PyObject **p = (PyObject **)((char *)o + off);
    Py_INCREF(v);
    Py_XSETREF(*p, v);
}

/* The object in the slot at byte offset off of o (borrowed; NULL if unset). */
static inline PyObject *ta_slot_get(PyObject *o, Py_ssize_t off)
{
    return *(PyObject **)((char *)o + off);
}

/* The offset of the slot a class's member descriptor stands for; -1 with TypeError if descr
 * is not a writable object slot (the layout this reader was written for). */
static Py_ssize_t ta_slot_offset(PyObject *descr)
{
    if (!PyObject_TypeCheck(descr, &PyMemberDescr_Type)) {
        PyErr_SetString(PyExc_TypeError, "not a __slots__ member descriptor");
        return -1;
    }
    PyMemberDef *m = ((PyMemberDescrObject *)descr)->d_member;
    if (m->type != T_OBJECT_EX || (m->flags & READONLY) || m->offset <= 0) {
        PyErr_SetString(PyExc_TypeError, "not a writable object slot");
        return -1;
    }
    return m->offset;
}
    """
    object ta_new_instance(object cls)
    void ta_slot_set(object o, Py_ssize_t off, object v)
    PyObject *ta_slot_get(object o, Py_ssize_t off)
    Py_ssize_t ta_slot_offset(object descr) except -1


class _Leave(Exception):
    """The text is the parser's (see the module's docstring)."""


# -- what the parser hands over (setup) -------------------------------------------------------

cdef object Field_, PrimitiveSchema_, RecordSchema_, EnumSchema_, FixedSchema_
cdef object ArraySchema_, MapSchema_, UnionSchema_, NamedSchema_
cdef object EMPTY_PROPS, VALID_LOGICAL
cdef dict LOGICAL_SEEN = {}                  # VALID_LOGICAL's answers, by arguments
cdef list PRIMITIVES = [None] * 8          # the primitive schemas, by _prim_index
cdef tuple ORDERS = ()
cdef bint READY = False

# slot offsets
cdef Py_ssize_t S_TYPE, S_LOGICAL, S_PRECISION, S_SCALE, S_PROPS, S_CACHE
cdef Py_ssize_t N_NAME, N_NAMESPACE, N_FULLNAME, N_ALIASES, N_DOC
cdef Py_ssize_t R_FIELDS, R_IS_ERROR, R_BY_NAME, E_SYMBOLS, E_DEFAULT, E_INDEX, X_SIZE
cdef Py_ssize_t A_ITEMS, M_VALUES, U_BRANCHES
cdef Py_ssize_t F_NAME, F_TYPE, F_INDEX, F_HAS_DEFAULT, F_DEFAULT, F_ORDER, F_ALIASES, F_DOC
cdef Py_ssize_t F_PROPS

# the keys the reader looks up: their index in KEY_TEXT, and in _Reader.at
cdef enum:
    I_TYPE = 0
    I_NAME = 1
    I_NAMESPACE = 2
    I_DOC = 3
    I_ALIASES = 4
    I_FIELDS = 5
    I_SYMBOLS = 6
    I_DEFAULT = 7
    I_SIZE = 8
    I_ITEMS = 9
    I_VALUES = 10
    I_ORDER = 11
    I_LOGICAL = 12
    I_PRECISION = 13
    I_SCALE = 14
    NKEYS = 15

cdef enum:
    # arrays of fields or symbols longer than this are checked for repeats with a set
    SMALL = 16
    # nodes read without an allocation (16 KB of stack; larger texts allocate)
    FIRST_NODES = 512

cdef const char *KEY_TEXT[NKEYS]
KEY_TEXT[:] = [b"type", b"name", b"namespace", b"doc", b"aliases", b"fields", b"symbols",
               b"default", b"size", b"items", b"values", b"order", b"logicalType",
               b"precision", b"scale"]

# reserved keys of each kind of object (from the parser's frozensets)
cdef int RES_RECORD, RES_ENUM, RES_FIXED, RES_ARRAY, RES_MAP, RES_PRIMITIVE, RES_FIELD

cdef const char *PRIM_TEXT[8]
PRIM_TEXT[:] = [b"null", b"boolean", b"int", b"long", b"float", b"double", b"bytes", b"string"]

cdef str T_RECORD = "record", T_ENUM = "enum", T_FIXED = "fixed", T_ARRAY = "array"
cdef str T_MAP = "map", T_UNION = "union", ASCENDING = "ascending", DECIMAL = "decimal"


cdef int _mask(keys) except -1:
    cdef int m = 0, k
    for key in keys:
        for k in range(NKEYS):
            if key == KEY_TEXT[k].decode():
                m |= 1 << k
                break
        else:
            raise ValueError(f"the native schema reader does not know the reserved key {key!r}")
    return m


cdef Py_ssize_t _offset(cls, str name) except -1:
    return ta_slot_offset(cls.__dict__[name])


def setup(classes, primitives, empty_props, orders, reserved, valid_logical):
    """Hand over the parser's model classes, primitive schemas and tables (done once by
    ``turboavro.schema`` when it loads)."""
    global Field_, PrimitiveSchema_, RecordSchema_, EnumSchema_, FixedSchema_, ArraySchema_
    global MapSchema_, UnionSchema_, NamedSchema_, EMPTY_PROPS, VALID_LOGICAL, ORDERS, READY
    global S_TYPE, S_LOGICAL, S_PRECISION, S_SCALE, S_PROPS, S_CACHE
    global N_NAME, N_NAMESPACE, N_FULLNAME, N_ALIASES, N_DOC
    global R_FIELDS, R_IS_ERROR, R_BY_NAME, E_SYMBOLS, E_DEFAULT, E_INDEX, X_SIZE
    global A_ITEMS, M_VALUES, U_BRANCHES
    global F_NAME, F_TYPE, F_INDEX, F_HAS_DEFAULT, F_DEFAULT, F_ORDER, F_ALIASES, F_DOC, F_PROPS
    global RES_RECORD, RES_ENUM, RES_FIXED, RES_ARRAY, RES_MAP, RES_PRIMITIVE, RES_FIELD
    cdef int k
    (Schema, NamedSchema_, PrimitiveSchema_, RecordSchema_, EnumSchema_, FixedSchema_,
     ArraySchema_, MapSchema_, UnionSchema_, Field_) = classes
    for k in range(8):
        PRIMITIVES[k] = primitives[PRIM_TEXT[k].decode()]
    EMPTY_PROPS = empty_props
    ORDERS = tuple(orders)
    VALID_LOGICAL = valid_logical
    LOGICAL_SEEN.clear()
    S_TYPE = _offset(Schema, "type")
    S_LOGICAL = _offset(Schema, "logical_type")
    S_PRECISION = _offset(Schema, "precision")
    S_SCALE = _offset(Schema, "scale")
    S_PROPS = _offset(Schema, "props")
    S_CACHE = _offset(Schema, "_cache")
    N_NAME = _offset(NamedSchema_, "name")
    N_NAMESPACE = _offset(NamedSchema_, "namespace")
    N_FULLNAME = _offset(NamedSchema_, "fullname")
    N_ALIASES = _offset(NamedSchema_, "aliases")
    N_DOC = _offset(NamedSchema_, "doc")
    R_FIELDS = _offset(RecordSchema_, "fields")
    R_IS_ERROR = _offset(RecordSchema_, "is_error")
    R_BY_NAME = _offset(RecordSchema_, "_by_name")
    E_SYMBOLS = _offset(EnumSchema_, "symbols")
    E_DEFAULT = _offset(EnumSchema_, "default")
    E_INDEX = _offset(EnumSchema_, "_index")
    X_SIZE = _offset(FixedSchema_, "size")
    A_ITEMS = _offset(ArraySchema_, "items")
    M_VALUES = _offset(MapSchema_, "values")
    U_BRANCHES = _offset(UnionSchema_, "branches")
    F_NAME = _offset(Field_, "name")
    F_TYPE = _offset(Field_, "type")
    F_INDEX = _offset(Field_, "index")
    F_HAS_DEFAULT = _offset(Field_, "has_default")
    F_DEFAULT = _offset(Field_, "_default")
    F_ORDER = _offset(Field_, "order")
    F_ALIASES = _offset(Field_, "aliases")
    F_DOC = _offset(Field_, "doc")
    F_PROPS = _offset(Field_, "props")
    RES_RECORD = _mask(reserved["record"])
    RES_ENUM = _mask(reserved["enum"])
    RES_FIXED = _mask(reserved["fixed"])
    RES_ARRAY = _mask(reserved["array"])
    RES_MAP = _mask(reserved["map"])
    RES_PRIMITIVE = _mask(reserved["primitive"])
    RES_FIELD = _mask(reserved["field"])
    READY = True


# -- the reader ----------------------------------------------------------------------------

cdef inline bint _ident_char(char c, bint first) noexcept:
    return (c >= b'a' and c <= b'z') or (c >= b'A' and c <= b'Z') or c == b'_' or (
        not first and c >= b'0' and c <= b'9')


cdef bint _is_name(const char *p, Py_ssize_t n, bint dotted) noexcept:
    """p[0:n] matches [A-Za-z_][A-Za-z0-9_]* (the parser's _is_name); ``dotted``: every
    dot-separated part does (a fullname)."""
    cdef Py_ssize_t i
    cdef bint first = True
    if n == 0:
        return False
    for i in range(n):
        if p[i] == b'.':
            if first or not dotted:
                return False  # an empty part, or a dot where none may be
            first = True
        elif _ident_char(p[i], first):
            first = False
        else:
            return False
    return not first


cdef inline bint _small_int(const char *p, Py_ssize_t n, int64_t *v) noexcept:
    """The integer literal p[0:n] (JSON's grammar, read by ta_json.c) into ``v`` when it has
    at most 18 digits, so that it fits; False for a longer one."""
    cdef bint neg = p[0] == b'-'
    cdef Py_ssize_t j
    cdef int64_t x = 0
    if n - neg > 18:
        return False
    for j in range(neg, n):
        x = x * 10 + (p[j] - 48)
    v[0] = -x if neg else x
    return True


cdef inline bint _is(const char *p, Py_ssize_t n, const char *word) noexcept:
    """p[0:n] is the NUL-terminated word (short: a loop beats calling memcmp)."""
    cdef Py_ssize_t i
    for i in range(n):
        if p[i] != word[i]:
            return False
    return word[n] == 0


cdef int _prim_index(const char *p, Py_ssize_t n) noexcept:
    """The index of primitive type name p[0:n] in PRIM_TEXT, -1 if it is none."""
    cdef int k
    if n == 3:
        k = 2      # int
    elif n == 4:
        k = 0 if p[0] == b'n' else 3      # null, long
    elif n == 5:
        k = 4 if p[0] == b'f' else 6      # float, bytes
    elif n == 6:
        k = 5 if p[0] == b'd' else 7      # double, string
    elif n == 7:
        k = 1      # boolean
    else:
        return -1
    return k if _is(p, n, PRIM_TEXT[k]) else -1


cdef int _key_index(const char *p, Py_ssize_t n) noexcept:
    """The index of key p[0:n] in KEY_TEXT, -1 if it is no reserved key."""
    cdef int k
    cdef char c
    if n < 3 or n > 11:
        return -1
    c = p[0]
    if c == b't':
        k = I_TYPE
    elif c == b'n':
        k = I_NAME if n == 4 else I_NAMESPACE
    elif c == b'd':
        k = I_DOC if n == 3 else I_DEFAULT
    elif c == b'a':
        k = I_ALIASES
    elif c == b'f':
        k = I_FIELDS
    elif c == b's':
        k = I_SYMBOLS if n == 7 else (I_SIZE if n == 4 else I_SCALE)
    elif c == b'i':
        k = I_ITEMS
    elif c == b'v':
        k = I_VALUES
    elif c == b'o':
        k = I_ORDER
    elif c == b'l':
        k = I_LOGICAL
    elif c == b'p':
        k = I_PRECISION
    else:
        return -1
    return k if _is(p, n, KEY_TEXT[k]) else -1


cdef class _Reader:
    cdef const char *s
    cdef ta_jnode *nodes
    cdef dict names          # fullname -> named schema defined so far
    cdef list defaulted      # fields with a default, for the parser's check
    # the objects made are not tracked by the garbage collector unless this is set (see
    # _retrack)
    cdef bint cyclic
    # one object's members by key (node index, -1 if absent), from _scan
    cdef int32_t at[NKEYS]

    cdef inline str text(self, int32_t start, int32_t n):
        return PyUnicode_DecodeUTF8(self.s + start, n, NULL)

    cdef inline str string(self, int32_t i):
        cdef ta_jnode *x = &self.nodes[i]
        return PyUnicode_DecodeUTF8(self.s + x.start, x.len, NULL)

    cdef int scan(self, int32_t obj) except -1:
        """Fill ``at`` with the members of object ``obj`` that have a reserved key; returns
        the bits of the keys present, with bit NKEYS set if it has any other key."""
        cdef int32_t m = self.nodes[obj].first
        cdef int present = 0, k
        cdef ta_jnode *x
        for k in range(NKEYS):
            self.at[k] = -1
        while m >= 0:
            x = &self.nodes[m]
            k = _key_index(self.s + x.key, x.key_len)
            x.tag = k
            if k < 0:
                present |= 1 << NKEYS
            elif present & (1 << k):
                raise _Leave  # a repeated key: json.loads keeps the last one
            else:
                present |= 1 << k
                self.at[k] = m
            m = x.next
        return present

    cdef object value(self, int32_t i):
        """The JSON value of node i as json.loads makes it."""
        cdef ta_jnode *x = &self.nodes[i]
        cdef int32_t m
        cdef int64_t v
        cdef object out
        if x.kind == TA_J_STR:
            return self.string(i)
        if x.kind == TA_J_NULL:
            return None
        if x.kind == TA_J_TRUE:
            return True
        if x.kind == TA_J_FALSE:
            return False
        if x.kind == TA_J_INT:
            if _small_int(self.s + x.start, x.len, &v):
                return PyLong_FromLongLong(v)
            return int(self.text(x.start, x.len))
        if x.kind == TA_J_FLOAT:
            return float(self.text(x.start, x.len))
        if x.kind == TA_J_ARR:
            out = PyList_New(0)
            m = x.first
            while m >= 0:
                out.append(self.value(m))
                m = self.nodes[m].next
            return out
        out = {}
        m = x.first
        while m >= 0:
            PyDict_SetItem(out, self.text(self.nodes[m].key, self.nodes[m].key_len), self.value(m))
            m = self.nodes[m].next
        return out

    cdef dict props(self, int32_t obj, int reserved, int present, int32_t doc_at):
        """The object's other attributes (the parser's _props): None when there are none.
        ``doc_at``: the member "doc" of an object that reserves it (a doc that is no string
        is kept as a property), else -1."""
        cdef dict out = None
        cdef int32_t m, k
        cdef ta_jnode *x
        if present & (1 << NKEYS) or (present & ~reserved):
            out = {}
            m = self.nodes[obj].first
            while m >= 0:
                x = &self.nodes[m]
                k = x.tag  # set by scan
                if k < 0 or not (reserved >> k) & 1:
                    PyDict_SetItem(out, self.text(x.key, x.key_len), self.value(m))
                m = x.next
        if doc_at >= 0 and self.nodes[doc_at].kind != TA_J_STR \
                and self.nodes[doc_at].kind != TA_J_NULL:
            if out is None:
                out = {}
            out["doc"] = self.value(doc_at)
        return out

    cdef object proxy(self, dict props):
        if not props:
            return EMPTY_PROPS
        for v in props.values():
            if type(v) is list or type(v) is dict:
                self.cyclic = True  # the caller can put anything in a list or dict
        return PyDictProxy_New(props)  # stays tracked: its deallocator expects it

    cdef object new_schema(self, cls, str type, dict props):
        o = ta_new_instance(cls)
        PyObject_GC_UnTrack(o)
        ta_slot_set(o, S_TYPE, type)
        ta_slot_set(o, S_LOGICAL, None)
        ta_slot_set(o, S_PRECISION, None)
        ta_slot_set(o, S_SCALE, None)
        ta_slot_set(o, S_PROPS, self.proxy(props))
        ta_slot_set(o, S_CACHE, None)
        return o

    cdef int logical(self, object s, str type, object size, dict props, int32_t lt_at,
                     int32_t precision_at, int32_t scale_at) except -1:
        """The parser's _logical: a valid logical type moves from props to attributes."""
        if lt_at < 0:
            return 0
        lt = self.value(lt_at)
        precision = self.value(precision_at) if precision_at >= 0 else None
        scale = self.value(scale_at) if scale_at >= 0 else 0
        # the parser's rule, remembered by argument (their types too: True == 1, 1.0 == 1)
        key = (lt, lt.__class__, type, size, precision, precision.__class__, scale,
               scale.__class__)
        try:
            ok = LOGICAL_SEEN[key]
        except KeyError:
            ok = VALID_LOGICAL(lt, type, size, precision, scale)
            if len(LOGICAL_SEEN) >= 4096:
                LOGICAL_SEEN.clear()
            LOGICAL_SEEN[key] = ok
        except TypeError:  # a list or an object among them
            ok = VALID_LOGICAL(lt, type, size, precision, scale)
        if not ok:
            return 0
        if lt == DECIMAL:
            props.pop("precision", None)
            props.pop("scale", None)
            ta_slot_set(s, S_PRECISION, precision)
            ta_slot_set(s, S_SCALE, scale)
        del props["logicalType"]
        ta_slot_set(s, S_PROPS, self.proxy(props))
        ta_slot_set(s, S_LOGICAL, lt)
        return 0

    cdef bint plain_default(self, object schema, int32_t i) except -1:
        """True if the default at node i is valid for ``schema`` in the plainest cases of the
        parser's rule (_check_default): null for null, a boolean for boolean, an integer in
        range for int and long, a number for float and double, a string for string, and a
        union with such a branch. False leaves the check to the parser."""
        cdef ta_jnode *x = &self.nodes[i]
        cdef int64_t v
        t = <object>ta_slot_get(schema, S_TYPE)
        if t == T_UNION:
            for b in <tuple>ta_slot_get(schema, U_BRANCHES):
                if self.plain_default(b, i):
                    return True
            return False
        if x.kind == TA_J_NULL:
            return t == "null"
        if x.kind == TA_J_TRUE or x.kind == TA_J_FALSE:
            return t == "boolean"
        if x.kind == TA_J_STR:
            return t == "string"
        if x.kind == TA_J_FLOAT:
            return t == "float" or t == "double"
        if x.kind != TA_J_INT:
            return False
        if t == "float" or t == "double":
            return True
        if not _small_int(self.s + x.start, x.len, &v):
            return False
        if t == "long":
            return True
        return t == "int" and -2147483648 <= v <= 2147483647

    cdef bint repeated(self, int32_t *earlier, int32_t k, int32_t m, set seen,
                       str text) except -1:
        """Whether string node ``m`` (its text ``text``) repeats one of the ``k`` earlier
        ones: their bytes are compared while there are few (``earlier`` holds their nodes),
        ``seen`` holds the texts of a long array."""
        cdef int32_t j
        cdef ta_jnode *x = &self.nodes[m]
        cdef ta_jnode *y
        if seen is not None:
            if text in seen:
                return True
            seen.add(text)
            return False
        for j in range(k):
            y = &self.nodes[earlier[j]]
            if y.len == x.len and memcmp(self.s + y.start, self.s + x.start, x.len) == 0:
                return True
        earlier[k] = m
        return False

    # -- names (spec: Names, Aliases) ---------------------------------------------------------

    cdef object resolve(self, int32_t i, str ns):
        cdef ta_jnode *x = &self.nodes[i]
        cdef int k = _prim_index(self.s + x.start, x.len)
        cdef PyObject *found
        if k >= 0:
            return PRIMITIVES[k]
        ref = self.string(i)
        if "." in ref:
            found = PyDict_GetItem(self.names, ref)
        else:
            found = PyDict_GetItem(self.names, f"{ns}.{ref}") if ns else NULL
            if found == NULL:
                found = PyDict_GetItem(self.names, ref)
        if found == NULL:
            raise _Leave
        if type(<object>found) is RecordSchema_ and ta_slot_get(<object>found, R_FIELDS) == NULL:
            self.cyclic = True  # a reference to a record whose fields are being read
        return <object>found

    cdef tuple fullname(self, int32_t name_at, int32_t space_at, str ns):
        """(fullname, namespace, name) of a named type defined here (the parser's
        fullname)."""
        cdef ta_jnode *x
        cdef const char *p
        cdef Py_ssize_t n
        cdef str full
        if name_at < 0 or self.nodes[name_at].kind != TA_J_STR:
            raise _Leave
        name = self.string(name_at)
        if "." in name:
            full = name
        else:
            if space_at >= 0 and self.nodes[space_at].kind != TA_J_NULL:
                if self.nodes[space_at].kind != TA_J_STR:
                    raise _Leave
                ns = self.string(space_at)
            full = f"{ns}.{name}" if ns else name
        p = PyUnicode_AsUTF8AndSize(full, &n)
        if not _is_name(p, n, True):
            raise _Leave
        parts = full.rpartition(".")
        last = <str>parts[2]
        if _prim_index(PyUnicode_AsUTF8AndSize(last, &n), n) >= 0:
            raise _Leave  # primitive names cannot be defined
        if full in self.names:
            raise _Leave
        return full, parts[0], last

    cdef tuple named_aliases(self, int32_t at, str space):
        cdef int32_t m
        cdef list out = []
        if at < 0 or self.nodes[at].kind == TA_J_NULL:
            return ()
        if self.nodes[at].kind != TA_J_ARR:
            raise _Leave
        m = self.nodes[at].first
        while m >= 0:
            if self.nodes[m].kind != TA_J_STR:
                raise _Leave
            a = self.string(m)
            if space is not None and space and "." not in a:
                a = f"{space}.{a}"
            out.append(a)
            m = self.nodes[m].next
        return tuple(out)

    cdef object named(self, cls, str type, str full, str space, str name, int32_t aliases_at,
                      int32_t doc_at, dict props):
        s = self.new_schema(cls, type, props)
        ta_slot_set(s, N_NAME, name)
        ta_slot_set(s, N_NAMESPACE, space)
        ta_slot_set(s, N_FULLNAME, full)
        ta_slot_set(s, N_ALIASES, self.named_aliases(aliases_at, space))
        ta_slot_set(s, N_DOC, self.string(doc_at)
                    if doc_at >= 0 and self.nodes[doc_at].kind == TA_J_STR else None)
        return s

    # -- schemas ---------------------------------------------------------------------------

    cdef object parse(self, int32_t i, str ns):
        cdef int32_t kind = self.nodes[i].kind
        if kind == TA_J_STR:
            return self.resolve(i, ns)
        if kind == TA_J_OBJ:
            return self.parse_object(i, ns)
        if kind == TA_J_ARR:
            return self.union(i, ns)
        raise _Leave

    cdef object parse_object(self, int32_t i, str ns):
        cdef int present = self.scan(i)
        cdef int32_t t_at = self.at[I_TYPE]
        cdef ta_jnode *t
        cdef int k
        cdef dict props
        if t_at < 0 or self.nodes[t_at].kind != TA_J_STR:
            raise _Leave
        t = &self.nodes[t_at]
        k = _prim_index(self.s + t.start, t.len)
        if k >= 0:
            if self.nodes[i].count == 1:
                return PRIMITIVES[k]
            props = self.props(i, RES_PRIMITIVE, present, -1)
            s = self.new_schema(PrimitiveSchema_, PRIMITIVES[k].type, props)
            self.logical(s, PRIMITIVES[k].type, None, props, self.at[I_LOGICAL], self.at[I_PRECISION],
                         self.at[I_SCALE])
            return s
        tname = self.string(t_at)
        if tname == T_RECORD or tname == "error":
            return self.record(i, present, ns, tname == "error")
        if tname == T_ENUM:
            return self.enum(i, present, ns)
        if tname == T_ARRAY:
            return self.container(i, present, ns, ArraySchema_, T_ARRAY, RES_ARRAY, I_ITEMS, A_ITEMS)
        if tname == T_MAP:
            return self.container(i, present, ns, MapSchema_, T_MAP, RES_MAP, I_VALUES, M_VALUES)
        if tname == T_FIXED:
            return self.fixed(i, present, ns)
        if tname == T_UNION:
            raise _Leave
        return self.resolve(t_at, ns)  # {"type": "SomeNamedType"}

    cdef object container(self, int32_t i, int present, str ns, cls, str type, int reserved,
                          int key, Py_ssize_t slot):
        cdef int32_t kid_at = self.at[key]
        cdef int32_t lt_at = self.at[I_LOGICAL], precision_at = self.at[I_PRECISION], scale_at = self.at[I_SCALE]
        if kid_at < 0:
            raise _Leave
        kid = self.parse(kid_at, ns)
        props = self.props(i, reserved, present, -1)
        s = self.new_schema(cls, type, props)
        ta_slot_set(s, slot, kid)
        self.logical(s, type, None, props, lt_at, precision_at, scale_at)
        return s

    cdef object record(self, int32_t i, int present, str ns, bint is_error):
        cdef int32_t fields_at = self.at[I_FIELDS], aliases_at = self.at[I_ALIASES], doc_at = self.at[I_DOC]
        cdef int32_t m, n, idx, fname_at, ftype_at, order_at, faliases_at, fdoc_at, default_at
        cdef int32_t earlier[SMALL]
        cdef int fpresent
        cdef ta_jnode *x
        full, space, name = self.fullname(self.at[I_NAME], self.at[I_NAMESPACE], ns)
        if fields_at < 0 or self.nodes[fields_at].kind != TA_J_ARR:
            raise _Leave
        rec = self.named(RecordSchema_, T_RECORD, full, space, name, aliases_at, doc_at,
                         self.props(i, RES_RECORD, present, doc_at))
        ta_slot_set(rec, R_IS_ERROR, is_error)
        self.names[full] = rec  # before its fields: recursion through names (spec: Names)
        n = self.nodes[fields_at].count
        fields = PyTuple_New(n)
        PyObject_GC_UnTrack(fields)
        seen = set() if n > SMALL else None
        m = self.nodes[fields_at].first
        idx = 0
        while m >= 0:
            if self.nodes[m].kind != TA_J_OBJ:
                raise _Leave
            fpresent = self.scan(m)
            fname_at = self.at[I_NAME]
            ftype_at = self.at[I_TYPE]
            order_at = self.at[I_ORDER]
            faliases_at = self.at[I_ALIASES]
            fdoc_at = self.at[I_DOC]
            default_at = self.at[I_DEFAULT]
            if fname_at < 0 or ftype_at < 0:
                raise _Leave
            x = &self.nodes[fname_at]
            if x.kind != TA_J_STR or not _is_name(self.s + x.start, x.len, False):
                raise _Leave
            fname = self.string(fname_at)
            if self.repeated(earlier, idx, fname_at, seen, fname):
                raise _Leave
            ftype = self.parse(ftype_at, space)
            f = ta_new_instance(Field_)
            PyObject_GC_UnTrack(f)
            ta_slot_set(f, F_NAME, fname)
            ta_slot_set(f, F_TYPE, ftype)
            ta_slot_set(f, F_INDEX, idx)
            if order_at < 0:
                ta_slot_set(f, F_ORDER, ASCENDING)
            else:
                order = self.value(order_at)
                if order not in ORDERS:
                    raise _Leave
                ta_slot_set(f, F_ORDER, order)
            if faliases_at < 0 or self.nodes[faliases_at].kind == TA_J_NULL:
                ta_slot_set(f, F_ALIASES, ())
            else:
                faliases = self.value(faliases_at)
                if type(faliases) is not list:
                    raise _Leave
                for a in faliases:
                    if type(a) is not str:
                        raise _Leave
                ta_slot_set(f, F_ALIASES, tuple(faliases))
            if fdoc_at >= 0 and self.nodes[fdoc_at].kind == TA_J_STR:
                ta_slot_set(f, F_DOC, self.string(fdoc_at))
            else:
                ta_slot_set(f, F_DOC, None)
            props = self.props(m, RES_FIELD, fpresent, fdoc_at)
            ta_slot_set(f, F_PROPS, self.proxy(props))
            if default_at >= 0:
                ta_slot_set(f, F_HAS_DEFAULT, True)
                ta_slot_set(f, F_DEFAULT, self.value(default_at))
                if not self.plain_default(ftype, default_at):
                    self.defaulted.append(f)
            else:
                ta_slot_set(f, F_HAS_DEFAULT, False)
                ta_slot_set(f, F_DEFAULT, None)
            Py_INCREF(f)
            PyTuple_SET_ITEM(fields, idx, f)
            idx += 1
            m = self.nodes[m].next
        ta_slot_set(rec, R_FIELDS, fields)
        ta_slot_set(rec, R_BY_NAME, None)
        return rec

    cdef object enum(self, int32_t i, int present, str ns):
        cdef int32_t symbols_at = self.at[I_SYMBOLS], default_at = self.at[I_DEFAULT], aliases_at = self.at[I_ALIASES]
        cdef int32_t doc_at = self.at[I_DOC], lt_at = self.at[I_LOGICAL]
        cdef int32_t precision_at = self.at[I_PRECISION], scale_at = self.at[I_SCALE], m, n, k
        cdef int32_t earlier[SMALL]
        cdef ta_jnode *x
        full, space, name = self.fullname(self.at[I_NAME], self.at[I_NAMESPACE], ns)
        if symbols_at < 0 or self.nodes[symbols_at].kind != TA_J_ARR:
            raise _Leave
        n = self.nodes[symbols_at].count
        symbols = PyTuple_New(n)
        seen = set() if n > SMALL else None
        m = self.nodes[symbols_at].first
        k = 0
        while m >= 0:
            x = &self.nodes[m]
            if x.kind != TA_J_STR or not _is_name(self.s + x.start, x.len, False):
                raise _Leave
            sym = self.string(m)
            if self.repeated(earlier, k, m, seen, sym):
                raise _Leave
            Py_INCREF(sym)
            PyTuple_SET_ITEM(symbols, k, sym)
            k += 1
            m = x.next
        default = None
        if default_at >= 0 and self.nodes[default_at].kind != TA_J_NULL:
            if self.nodes[default_at].kind != TA_J_STR:
                raise _Leave
            default = self.string(default_at)
            if default not in symbols:
                raise _Leave
        props = self.props(i, RES_ENUM, present, doc_at)
        s = self.named(EnumSchema_, T_ENUM, full, space, name, aliases_at, doc_at, props)
        ta_slot_set(s, E_SYMBOLS, symbols)
        ta_slot_set(s, E_DEFAULT, default)
        ta_slot_set(s, E_INDEX, None)
        self.logical(s, T_ENUM, None, props, lt_at, precision_at, scale_at)
        self.names[full] = s
        return s

    cdef object fixed(self, int32_t i, int present, str ns):
        cdef int32_t size_at = self.at[I_SIZE], aliases_at = self.at[I_ALIASES], doc_at = self.at[I_DOC]
        cdef int32_t lt_at = self.at[I_LOGICAL], precision_at = self.at[I_PRECISION], scale_at = self.at[I_SCALE]
        full, space, name = self.fullname(self.at[I_NAME], self.at[I_NAMESPACE], ns)
        if size_at < 0 or self.nodes[size_at].kind != TA_J_INT:
            raise _Leave
        size = self.value(size_at)
        if not 0 <= size <= 2147483647:
            raise _Leave
        props = self.props(i, RES_FIXED, present, doc_at)
        s = self.named(FixedSchema_, T_FIXED, full, space, name, aliases_at, doc_at, props)
        ta_slot_set(s, X_SIZE, size)
        self.logical(s, T_FIXED, size, props, lt_at, precision_at, scale_at)
        self.names[full] = s
        return s

    cdef object union(self, int32_t i, str ns):
        cdef int32_t n = self.nodes[i].count, m = self.nodes[i].first, k = 0
        cdef set named = set(), unnamed = set()
        branches = PyTuple_New(n)
        PyObject_GC_UnTrack(branches)
        while m >= 0:
            b = self.parse(m, ns)
            if isinstance(b, NamedSchema_):
                key = <object>ta_slot_get(b, N_FULLNAME)
                if key in named:
                    raise _Leave
                named.add(key)
            else:
                key = <object>ta_slot_get(b, S_TYPE)
                if key == T_UNION or key in unnamed:
                    raise _Leave  # a union in a union, a repeated type
                unnamed.add(key)
            Py_INCREF(b)
            PyTuple_SET_ITEM(branches, k, b)
            k += 1
            m = self.nodes[m].next
        u = self.new_schema(UnionSchema_, T_UNION, None)
        ta_slot_set(u, U_BRANCHES, branches)
        return u


cdef inline void _track(object o) noexcept:
    if PyObject_IS_GC(o) and not PyObject_GC_IsTracked(o):
        PyObject_GC_Track(o)


cdef int _retrack(object s, set seen) except -1:
    """Have the garbage collector track schema ``s`` and what it holds again.

    The reader leaves the objects it makes untracked: json.loads' dicts of strings are
    untracked too, where the model's instances would be scanned at every collection of their
    generation (a fifth of the time of a parse went there). Objects that can never be part
    of a reference cycle need not be tracked. A schema can be part of one only through a
    record's fields (a recursive record), through a property's list or dict (the caller can
    put anything there) or through its cache of derived values. In the first two cases the
    reader calls this on what it made; ``Schema._cached`` tracks the schema (:func:`track`)
    before it makes a cache."""
    cdef PyObject *fields
    if id(s) in seen:
        return 0
    seen.add(id(s))
    _track(s)
    cls = type(s)
    if cls is RecordSchema_:
        fields = ta_slot_get(s, R_FIELDS)
        if fields != NULL:  # NULL: a record left half read
            _track(<object>fields)
            for f in <tuple>fields:
                _track(f)
                _retrack(<object>ta_slot_get(f, F_TYPE), seen)
    elif cls is UnionSchema_:
        _track(<object>ta_slot_get(s, U_BRANCHES))
        for b in <tuple>ta_slot_get(s, U_BRANCHES):
            _retrack(b, seen)
    elif cls is ArraySchema_:
        _retrack(<object>ta_slot_get(s, A_ITEMS), seen)
    elif cls is MapSchema_:
        _retrack(<object>ta_slot_get(s, M_VALUES), seen)
    return 0


def track(o):
    """Have the garbage collector track ``o`` again (a schema about to refer to new objects).
    The check and the tracking run under the GIL, which these kernels always hold (they do
    not declare free-threading support), so two threads cannot both track it."""
    _track(o)


def read(text, int max_schema_depth, int max_json_depth):
    """``(schema, fields whose default the caller must check)`` for schema ``text`` (str),
    or ``None`` when the parser must read it. The JSON's nesting is bounded by both limits,
    by half the recursion limit (the parser's own bound) and by 128 (this reader recurses
    on the C stack)."""
    cdef const char *s
    cdef Py_ssize_t n
    cdef ta_jdoc doc
    cdef ta_jnode first[FIRST_NODES]
    cdef int rc, depth = min(max_schema_depth, max_json_depth, Py_GetRecursionLimit() // 2, 128)
    cdef _Reader r
    if not READY or type(text) is not str:
        return None
    try:
        s = PyUnicode_AsUTF8AndSize(text, &n)
    except UnicodeError:
        return None  # lone surrogates
    doc.nodes = first
    doc.n = 0
    doc.cap = FIRST_NODES
    doc.owned = 0
    rc = ta_json_read(s, <size_t>n, depth, &doc)
    try:
        if rc == TA_JSON_NOMEM:
            raise MemoryError
        if rc != TA_JSON_OK:
            return None
        r = _Reader.__new__(_Reader)
        r.s = s
        r.nodes = doc.nodes
        r.names = {}
        r.defaulted = []
        try:
            schema = r.parse(0, "")
        except BaseException as e:
            if r.cyclic:  # a complete recursive record is a cycle, to be collected
                seen = set()
                for named in r.names.values():
                    _retrack(named, seen)
            if isinstance(e, (_Leave, ValueError, OverflowError, UnicodeError)):
                return None
            raise
        if r.cyclic:
            _retrack(schema, set())
        return schema, r.defaulted
    finally:
        ta_json_free(&doc)


def json_nesting(text, size_t limit):
    """The deepest nesting of arrays and objects in JSON ``text`` (str, bytes, bytearray),
    counted up to ``limit + 1`` (see ``limits.json_too_deep``)."""
    cdef const char *s
    cdef Py_ssize_t n
    cdef const unsigned char[::1] view
    if isinstance(text, str):
        try:
            s = PyUnicode_AsUTF8AndSize(text, &n)
        except UnicodeError:  # lone surrogates
            text = text.encode("utf-8", "surrogatepass")
        else:
            return ta_json_nesting(s, <size_t>n, limit)
    view = text
    if view.shape[0] == 0:
        return 0
    return ta_json_nesting(<const char *>&view[0], <size_t>view.shape[0], limit)
