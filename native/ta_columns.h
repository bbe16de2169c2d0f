/* Columnar kernels: Avro datums <-> column buffers, driven by a compiled plan.
 *
 * The Python layer (turboavro/columnar.py) resolves writer x reader schemas and the column
 * projection ONCE into a flat array of ta_node; these kernels follow the nodes per record and
 * never look at a schema (compile once, dispatch never). Plain C99, no Python.h,
 * so the kernels run with the GIL released.
 */
#ifndef TA_COLUMNS_H
#define TA_COLUMNS_H

#include <stddef.h>
#include <stdint.h>
#include "ta_common.h"

/* Plan ops. Decoding ops read the *writer's* encoding and write reader-typed columns. */
enum {
    /* leaves: col = values column */
    TA_OP_BOOL = 1,      /* 1 byte, 0 or 1 (Avro specification, Binary Encoding) -> uint8 */
    TA_OP_INT,           /* int -> int32 */
    TA_OP_INT_L,         /* int -> int64   (promotion, spec: Schema Resolution; also date/time-millis) */
    TA_OP_INT_F,         /* int -> float32 */
    TA_OP_INT_D,         /* int -> float64 */
    TA_OP_LONG,          /* long -> int64 */
    TA_OP_LONG_F,        /* long -> float32 */
    TA_OP_LONG_D,        /* long -> float64 */
    TA_OP_FLOAT,         /* float -> float32 */
    TA_OP_FLOAT_D,       /* float -> float64 */
    TA_OP_DOUBLE,        /* double -> float64 */
    TA_OP_STRING,        /* col = int64 offsets, col2 = uint8 data; UTF-8 validated */
    TA_OP_BYTES,         /* as STRING, not validated */
    TA_OP_FIXED,         /* col = values (size bytes each) */
    TA_OP_ENUM,          /* col = codes (width 1/2/4); table[writer index] -> reader index or -1 */
    /* composites */
    TA_OP_RECORD,        /* kids = field nodes in writer order (skips and defaults included) */
    TA_OP_ARRAY,         /* col = int64 offsets; kids[0] = item node; size = item min bytes */
    TA_OP_MAP,           /* col = int64 offsets; col2/col3 = key offsets/data; kids[0] = value */
    TA_OP_NULLABLE,      /* writer union read as a nullable column: col = uint8 validity;
                            table[writer branch] = kid index, -1 null, -2 unreadable; fill = kid
                            used to write placeholders for nulls */
    TA_OP_VALID,         /* writer non-union read as a nullable column: validity 1, kids[0] */
    TA_OP_UNWRAP,        /* writer union read as a non-union: table[branch] = kid or -2 */
    TA_OP_UNION,         /* general union: col = int8 type codes; table[2b] = kid (-1 no child
                            column, i.e. null; -2 unreadable), table[2b+1] = reader type code */
    TA_OP_UNION_CONST,   /* writer non-union read as a general union: code = size, kids[0] */
    TA_OP_DEFAULT,       /* reader field missing in the writer: decode kids[0] from dflt bytes */
    /* skippers: writer values not projected (Avro specification, Schema Resolution), no output */
    TA_OP_SKIP_VARINT,   /* int, long, enum */
    TA_OP_SKIP_N,        /* size bytes: boolean 1, float 4, double 8, fixed n */
    TA_OP_SKIP_BYTES,    /* string, bytes */
    TA_OP_SKIP_RECORD,   /* kids = field skippers */
    TA_OP_SKIP_ARRAY,    /* kids[0] = item skipper; uses block byte sizes when present */
    TA_OP_SKIP_MAP,      /* kids[0] = value skipper */
    TA_OP_SKIP_UNION,    /* kids[branch] = branch skipper (-1 for null) */
    TA_OP_NOTHING,       /* null: no bytes, no output */
    TA_OP__COUNT
};

/* Status codes beyond ta_common.h's, specific to decoding data against a schema. */
#define TA_ERR_BAD_BOOL (-20)    /* boolean byte other than 0/1 */
#define TA_ERR_BAD_UNION (-21)   /* union branch index out of range */
#define TA_ERR_BAD_ENUM (-22)    /* enum index out of range */
#define TA_ERR_UTF8 (-23)        /* string is not valid UTF-8 */
#define TA_ERR_UNREADABLE (-24)  /* writer branch/symbol the reader schema cannot read */
#define TA_ERR_COUNT (-25)       /* collection count the remaining input cannot back */
#define TA_ERR_ZERO_ITEMS (-26)  /* zero-byte collection items beyond ta_err.zero_budget */

typedef struct ta_node {
    int32_t op;          /* TA_OP_* */
    int32_t col;         /* primary output column (-1: none) */
    int32_t col2;        /* secondary column (string data, map key offsets) */
    int32_t col3;        /* tertiary column (map key data) */
    int32_t kids;        /* index of the first kid in ta_plan.kids */
    int32_t nkids;       /* number of kids */
    int32_t table;       /* index of the first entry in ta_plan.table (-1: none) */
    int32_t ntable;      /* entries of table (writer branches / symbols) */
    int32_t width;       /* element width of col in bytes (enum codes: 1, 2 or 4) */
    int32_t fill;        /* kid whose columns get placeholders for nulls (NULLABLE) */
    int64_t size;        /* fixed size, SKIP_N size, item min bytes, const union code */
    const uint8_t *dflt; /* encoded default value (DEFAULT) */
    size_t dflt_len;
} ta_node;

typedef struct ta_plan {
    const ta_node *nodes;
    const int32_t *kids;   /* node indexes */
    const int32_t *table;  /* branch / symbol maps */
    int32_t root;          /* node decoding one record */
} ta_plan;

/* A growable column buffer. len and cap are in bytes; data is malloc'ed (or NULL), or, when
 * `fixed` is set, a window of another buffer (a thread's rows of a shared column) that must
 * never be reallocated: ta_col_reserve_slow fails with TA_ERR_LIMIT for it. */
typedef struct ta_col {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t rd;             /* read position in bytes (encoding) */
    int fixed;             /* data is borrowed and cannot grow */
} ta_col;

/* Where and why decoding failed. Filled by the innermost failure; array levels push the item
 * index while unwinding (innermost first), so the Python side can print `$.tags[3]`. */
typedef struct ta_err {
    int rc;
    int32_t node;          /* failing node */
    size_t pos;            /* offset of the failing value in the buffer */
    int nidx;
    int64_t idx[8];
    int64_t zero_budget;   /* zero-byte collection items still allowed (set by the caller) */
} ta_err;

/* Grows col so that `need` more bytes fit; geometric growth. TA_ERR_NOMEM on failure,
 * TA_ERR_LIMIT for a fixed column. */
int ta_col_reserve_slow(ta_col *col, size_t need);
/* madvise(MADV_HUGEPAGE) over the 2 MiB-aligned part of [p, p + n), for n >= 4 MiB. */
void ta_advise_huge(void *p, size_t n);

static inline int ta_col_reserve(ta_col *col, size_t need)
{
    if (TA_LIKELY(col->cap - col->len >= need)) return TA_OK;
    return ta_col_reserve_slow(col, need);
}

/* Validates UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). 1 if valid. */
int ta_utf8_valid(const uint8_t *s, size_t n);

/* Decodes `count` records from c into cols (one ta_col per plan column). On failure returns
 * the status, fills err, and *done tells how many records were complete. */
int ta_decode_records(const ta_plan *plan, ta_cursor *c, int64_t count, ta_col *cols,
                      ta_err *err, int64_t *done);

/* Test hook: while 0, every decode takes the general path (no record program, no one-loop
 * items), the reference the fast paths are tested against. Set it only while no decode runs. */
extern int ta_fast_paths;

/* Writes placeholders (zero, empty, invalid) for one null value of node n. */
int ta_fill_null(const ta_plan *plan, int32_t n, ta_col *cols);

/* Encoding: the same node layout with encoding meanings (see ta_columns.c). Encodes records
 * from the columns' read positions into out until `count` records or `max_bytes` of output.
 * *done receives the number of records encoded. err->node names a failing node. */
int ta_encode_records(const ta_plan *plan, ta_col *cols, int64_t count, size_t max_bytes,
                      ta_col *out, ta_err *err, int64_t *done);

#endif
