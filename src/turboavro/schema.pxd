# Augmenting declarations for the Cython compilation of schema.py (setup.py, COMPILED_PY):
# the parser becomes a cdef class with typed state and C calls between its methods, ~10%
# faster on a 200-field record. schema.py stays the one source of the rules and runs unchanged
# where it is not compiled; a signature changed there must be changed here (the build says so).

cdef class _Parser:
    cdef public dict names
    cdef public dict defined
    cdef public list defaults
    cdef public bint lenient
    cdef public Py_ssize_t depth
    cdef public object max_depth
    cdef public Py_ssize_t max_stack

    cpdef resolve(self, ref, ns, path)
    cpdef fullname(self, obj, ns, path)
    cpdef aliases(self, obj, space, path)
    cpdef register(self, s)
    cpdef parse(self, obj, ns, path)
    cpdef parse_node(self, obj, ns, path)
    cpdef primitive(self, t, obj, path)
    cpdef record(self, obj, ns, path, is_error)
    cpdef fixed(self, obj, ns, path)

cpdef bint _is_name(s) except -1
cpdef _new_field(name, object type, index, has_default, default, order, aliases, doc, props)
cpdef _new_schema(twin, object type, props)
cpdef _new_named(twin, object type, full, aliases, doc, props)
cpdef _logical(s, obj)
cpdef _props(obj, reserved, keep_bad_doc=*)
