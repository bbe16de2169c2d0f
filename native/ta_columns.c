/* Columnar decode/encode kernels; see ta_columns.h for the plan layout. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "ta_columns.h"
#include "ta_varint.h"


/* Ask for transparent huge pages over the 2 MiB-aligned part of a fresh large buffer (Linux,
 * where THP is in "madvise" mode, the common default). Filling fresh memory costs a page
 * fault per 4 KiB page otherwise (a 1M-record mixed read_columns fills 198 MiB of columns;
 * docs/performance.md has the measurements). Only buffers sized for what will be written
 * get it (hints, joins, file reads):
 * advising a buffer grown by realloc measured slower on repeated reads (the kernel's
 * background collapse of its already-mapped pages competes for the cores). */
void ta_advise_huge(void *p, size_t n)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (n < 2 * huge) return;
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t hi = ((uintptr_t)p + n) & ~(huge - 1);
    if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)p; (void)n;
#endif
}

int ta_col_reserve_slow(ta_col *col, size_t need)
{
    size_t want = col->len + need;
    if (col->fixed) return TA_ERR_LIMIT;
    if (want < col->len) return TA_ERR_NOMEM; /* overflow */
    size_t cap = col->cap ? col->cap : 64;
    while (cap < want) {
        if (cap > SIZE_MAX / 2) { cap = want; break; }
        cap *= 2;
    }
    uint8_t *p = (uint8_t *)realloc(col->data, cap);
    if (!p) return TA_ERR_NOMEM;
    col->data = p;
    col->cap = cap;
    return TA_OK;
}

int ta_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path: 8 bytes at a time while no high bit is set */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & UINT64_C(0x8080808080808080)) break;
            i += 8;
        }
        if (i >= n) break;
        uint8_t b = s[i];
        if (b < 0x80) { i++; continue; }
        size_t need;
        uint32_t cp;
        if (b >= 0xC2 && b <= 0xDF) { need = 1; cp = b & 0x1F; }
        else if (b >= 0xE0 && b <= 0xEF) { need = 2; cp = b & 0x0F; }
        else if (b >= 0xF0 && b <= 0xF4) { need = 3; cp = b & 0x07; }
        else return 0; /* continuation byte, overlong lead C0/C1, or > F4 */
        if (n - i - 1 < need) return 0;
        for (size_t k = 1; k <= need; k++) {
            uint8_t cb = s[i + k];
            if ((cb & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (cb & 0x3F);
        }
        if (need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
        if (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
        i += need + 1;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* decoding                                                                                    */

static int ta_fail(ta_err *e, int rc, int32_t node, const ta_cursor *c, const uint8_t *at)
{
    e->rc = rc;
    e->node = node;
    e->pos = (size_t)(at - c->start);
    e->nidx = 0;
    return rc;
}

#define TA_PUT(col_, T_, v_)                                                        \
    do {                                                                            \
        ta_col *pc_ = (col_);                                                       \
        T_ pv_ = (T_)(v_);                                                          \
        if (TA_UNLIKELY(pc_->cap - pc_->len < sizeof(T_)) &&                        \
            ta_col_reserve_slow(pc_, sizeof(T_)) != TA_OK)                          \
            return ta_fail(e, TA_ERR_NOMEM, ni, c, at);                             \
        memcpy(pc_->data + pc_->len, &pv_, sizeof(T_));                             \
        pc_->len += sizeof(T_);                                                     \
    } while (0)

#define TA_CHECK(expr_)                                                             \
    do {                                                                            \
        int rc_ = (expr_);                                                          \
        if (TA_UNLIKELY(rc_ != TA_OK)) return ta_fail(e, rc_, ni, c, at);           \
    } while (0)

static inline int64_t ta_last_offset(const ta_col *col)
{
    int64_t v;
    memcpy(&v, col->data + col->len - 8, 8);
    return v;
}

static int ta_dec(const ta_plan *p, int32_t ni, ta_cursor *c, ta_col *cols, ta_err *e);

/* Returned (> 0) by a fast path that does not apply, having consumed nothing: the caller takes
 * the general path. */
#define TA_NO_FAST 1

int ta_fast_paths = 1;

/* The n low bytes of a word set (n <= 8). */
TA_INLINE uint64_t ta_low_bytes(size_t n)
{
    return n >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * n)) - 1;
}

/* 1 if the n bytes at s are valid UTF-8. Strings of up to 32 bytes with 32 readable bytes at s
 * (end: the end of the buffer) are checked for ASCII inline with word loads; the rest, and
 * every string with a non-ASCII byte, go to ta_utf8_valid. */
TA_INLINE int ta_utf8_ok(const uint8_t *s, size_t n, const uint8_t *end)
{
    if (TA_LIKELY(n <= 32 && end - s >= 32)) {
        uint64_t a, b, hi = 0;
        memcpy(&a, s, 8);
        memcpy(&b, s + 8, 8);
        a = ta_le64(a) & ta_low_bytes(n);
        b = ta_le64(b) & ta_low_bytes(n > 8 ? n - 8 : 0);
        if (TA_UNLIKELY(n > 16)) {
            uint64_t x, y;
            memcpy(&x, s + 16, 8);
            memcpy(&y, s + 24, 8);
            hi = (ta_le64(x) & ta_low_bytes(n - 16)) | (ta_le64(y) & ta_low_bytes(n > 24 ? n - 24 : 0));
        }
        if (TA_LIKELY(!((a | b | hi) & UINT64_C(0x8080808080808080)))) return 1;
    }
    return ta_utf8_valid(s, n);
}

/* Appends the n bytes at s (end: the end of their buffer) to a data column. Up to 32 bytes are
 * copied as one fixed 32-byte move when both sides have the room: the bytes past n land in the
 * column's spare capacity, beyond its length, and are overwritten by the next value. */
TA_INLINE int ta_append(ta_col *data, const uint8_t *s, size_t n, const uint8_t *end)
{
    if (TA_LIKELY(n <= 32 && data->cap - data->len >= 32 && end - s >= 32)) {
        memcpy(data->data + data->len, s, 32);
    } else {
        if (ta_col_reserve(data, n) != TA_OK) return TA_ERR_NOMEM;
        memcpy(data->data + data->len, s, n);
    }
    data->len += n;
    return TA_OK;
}

/* A string/bytes length prefix at `at`: the bytes start at *s and number *n (checked against
 * the input). Same statuses, in the same order, as ta_read_length. */
TA_INLINE int ta_leaf_length(const uint8_t *at, const uint8_t *end, const uint8_t **s,
                             size_t *n)
{
    uint64_t u;
    int len = ta_varint(at, end, &u);
    if (TA_UNLIKELY(len < 0)) return len;
    int64_t v = ta_unzigzag(u);
    if (TA_UNLIKELY(v < 0)) return TA_ERR_NEGATIVE;
    if (TA_UNLIKELY((uint64_t)v > (uint64_t)(end - at - len))) return TA_ERR_TRUNCATED;
    *s = at + len;
    *n = (size_t)v;
    return TA_OK;
}

/* The string or bytes value at `at` (its length, then its bytes; validated as UTF-8 when
 * `utf8`) appended to the data column `data`; *next is where the value ends. Every decoder of
 * a string value, a map key included, goes through it: same checks, same statuses. */
TA_INLINE int ta_take_string(const uint8_t *at, const uint8_t *end, int utf8, ta_col *data,
                             const uint8_t **next)
{
    const uint8_t *s;
    size_t sl;
    int rc = ta_leaf_length(at, end, &s, &sl);
    if (TA_UNLIKELY(rc != TA_OK)) return rc;
    if (utf8 && TA_UNLIKELY(!ta_utf8_ok(s, sl, end))) return TA_ERR_UTF8;
    if (TA_UNLIKELY(ta_append(data, s, sl, end) != TA_OK)) return TA_ERR_NOMEM;
    *next = s + sl;
    return TA_OK;
}

/* The reader's code for the enum symbol whose zig-zag index is u (table: writer index ->
 * reader code, -1 for a symbol the reader cannot read). */
TA_INLINE int ta_enum_code(const int32_t *table, int32_t ntable, uint64_t u, int32_t *code)
{
    int32_t v = (int32_t)ta_unzigzag(u);
    if (TA_UNLIKELY(v < 0 || v >= ntable)) return TA_ERR_BAD_ENUM;
    *code = table[v];
    if (TA_UNLIKELY(*code < 0)) return TA_ERR_UNREADABLE;
    return TA_OK;
}

/* Leaves are decoded inline (the common flat-record case); composites call ta_dec. Each leaf
 * reads from `at` (the value's offset, reported on failure) with the position in a local, and
 * moves the cursor once, after its column writes, so that the cursor is not re-read from
 * memory between values. */
TA_INLINE int ta_dec_leaf(const ta_plan *p, int32_t ni, ta_cursor *c, ta_col *cols, ta_err *e)
{
    const ta_node *n = &p->nodes[ni];
    const uint8_t *const at = c->pos;
    const uint8_t *const end = c->end;
    uint64_t u;
    int len;
/* a varint (long, or int with read_ = ta_varint32) at `at` into u and len */
#define TA_LEAF_VARINT(read_)                                                       \
    do {                                                                            \
        len = read_(at, end, &u);                                                   \
        if (TA_UNLIKELY(len < 0)) return ta_fail(e, len, ni, c, at);                \
    } while (0)
#define TA_LEAF_NEED(n_)                                                            \
    do {                                                                            \
        if (TA_UNLIKELY((size_t)(end - at) < (size_t)(n_)))                         \
            return ta_fail(e, TA_ERR_TRUNCATED, ni, c, at);                         \
    } while (0)
    switch (n->op) {
    case TA_OP_LONG:
        TA_LEAF_VARINT(ta_varint);
        TA_PUT(&cols[n->col], int64_t, ta_unzigzag(u));
        c->pos = at + len;
        return TA_OK;
    case TA_OP_INT:
        TA_LEAF_VARINT(ta_varint32);
        TA_PUT(&cols[n->col], int32_t, ta_unzigzag(u));
        c->pos = at + len;
        return TA_OK;
    case TA_OP_DOUBLE: {
        uint64_t b;
        TA_LEAF_NEED(8);
        memcpy(&b, at, 8);
        TA_PUT(&cols[n->col], uint64_t, ta_le64(b));
        c->pos = at + 8;
        return TA_OK;
    }
    case TA_OP_FLOAT: {
        uint32_t b;
        TA_LEAF_NEED(4);
        memcpy(&b, at, 4);
        TA_PUT(&cols[n->col], uint32_t, ta_le32(b));
        c->pos = at + 4;
        return TA_OK;
    }
    case TA_OP_BOOL: {
        TA_LEAF_NEED(1);
        uint8_t v = *at;
        if (TA_UNLIKELY(v > 1)) return ta_fail(e, TA_ERR_BAD_BOOL, ni, c, at);
        TA_PUT(&cols[n->col], uint8_t, v);
        c->pos = at + 1;
        return TA_OK;
    }
    case TA_OP_INT_L:
        TA_LEAF_VARINT(ta_varint32);
        TA_PUT(&cols[n->col], int64_t, (int32_t)ta_unzigzag(u));
        c->pos = at + len;
        return TA_OK;
    case TA_OP_INT_F:
        TA_LEAF_VARINT(ta_varint32);
        TA_PUT(&cols[n->col], float, (int32_t)ta_unzigzag(u));
        c->pos = at + len;
        return TA_OK;
    case TA_OP_INT_D:
        TA_LEAF_VARINT(ta_varint32);
        TA_PUT(&cols[n->col], double, (int32_t)ta_unzigzag(u));
        c->pos = at + len;
        return TA_OK;
    case TA_OP_LONG_F:
        TA_LEAF_VARINT(ta_varint);
        TA_PUT(&cols[n->col], float, ta_unzigzag(u));
        c->pos = at + len;
        return TA_OK;
    case TA_OP_LONG_D:
        TA_LEAF_VARINT(ta_varint);
        TA_PUT(&cols[n->col], double, ta_unzigzag(u));
        c->pos = at + len;
        return TA_OK;
    case TA_OP_FLOAT_D: {
        uint32_t b;
        float f;
        TA_LEAF_NEED(4);
        memcpy(&b, at, 4);
        b = ta_le32(b);
        memcpy(&f, &b, 4);
        TA_PUT(&cols[n->col], double, f);
        c->pos = at + 4;
        return TA_OK;
    }
    case TA_OP_STRING:
    case TA_OP_BYTES: {
        const uint8_t *next;
        ta_col *data = &cols[n->col2];
        TA_CHECK(ta_take_string(at, end, n->op == TA_OP_STRING, data, &next));
        TA_PUT(&cols[n->col], int64_t, data->len);
        c->pos = next;
        return TA_OK;
    }
    case TA_OP_FIXED: {
        ta_col *col = &cols[n->col];
        size_t size = (size_t)n->size;
        if (ta_col_reserve(col, size) != TA_OK) return ta_fail(e, TA_ERR_NOMEM, ni, c, at);
        TA_LEAF_NEED(size);
        memcpy(col->data + col->len, at, size);
        col->len += size;
        c->pos = at + size;
        return TA_OK;
    }
    case TA_OP_ENUM: {
        int32_t code;
        TA_LEAF_VARINT(ta_varint32);
        TA_CHECK(ta_enum_code(p->table + n->table, n->ntable, u, &code));
        ta_col *col = &cols[n->col];
        if (n->width == 1) TA_PUT(col, int8_t, code);
        else if (n->width == 2) TA_PUT(col, int16_t, code);
        else TA_PUT(col, int32_t, code);
        c->pos = at + len;
        return TA_OK;
    }
    case TA_OP_SKIP_VARINT:
        TA_LEAF_VARINT(ta_varint);
        c->pos = at + len;
        return TA_OK;
    case TA_OP_SKIP_N:
        TA_LEAF_NEED(n->size);
        c->pos = at + n->size;
        return TA_OK;
    case TA_OP_SKIP_BYTES: {
        const uint8_t *s;
        size_t sl;
        TA_CHECK(ta_leaf_length(at, end, &s, &sl));
        c->pos = s + sl;
        return TA_OK;
    }
    case TA_OP_NOTHING:
        return TA_OK;
    default:
        return ta_dec(p, ni, c, cols, e);
    }
#undef TA_LEAF_VARINT
#undef TA_LEAF_NEED
}

/* Reads one array/map block header (Avro specification, Binary Encoding): the item count, and for a negative
 * count the block byte size (returned in *bytes, else -1). Checks the count against the input. */
/* Items of a zero-byte type (null, empty record) are not backed by input bytes, so a count of
 * them cannot be checked against the input: they are taken from e->zero_budget, which the
 * caller carries across blocks (Avro specification, Binary Encoding; Java AVRO-4241;
 * turboavro.limits' max_file_zero_byte_items). */
TA_INLINE int ta_read_block_count(const ta_node *n, ta_cursor *c, int64_t *count, int64_t *bytes,
                                  ta_err *e)
{
    int64_t k;
    int rc = ta_read_long(c, &k);
    if (rc != TA_OK) return rc;
    *bytes = -1;
    if (k < 0) {
        if (k == INT64_MIN) return TA_ERR_COUNT;
        k = -k;
        rc = ta_read_long(c, bytes);
        if (rc != TA_OK) return rc;
        if (*bytes < 0) return TA_ERR_NEGATIVE;
        if ((uint64_t)*bytes > (uint64_t)(c->end - c->pos)) return TA_ERR_TRUNCATED;
    }
    if (n->size > 0) {
        if ((uint64_t)k > (uint64_t)(c->end - c->pos) / (uint64_t)n->size) return TA_ERR_COUNT;
    } else {
        if (k > e->zero_budget) return TA_ERR_ZERO_ITEMS;
        e->zero_budget -= k;
    }
    *count = k;
    return TA_OK;
}

static int ta_push_index(ta_err *e, int64_t i)
{
    if (e->nidx < 8) e->idx[e->nidx++] = i;
    return e->rc;
}

/* `count` items of an array block whose item is a long, int, double or float leaf, decoded in
 * one loop after one reservation of their column (count is already checked against the
 * input): the per-item dispatch and capacity check of the general loop are what short arrays
 * of numbers spend their time on. `i` is the block's first item index (errors name the
 * item). Returns TA_NO_FAST (> 0, nothing consumed) for other items. */
static int ta_dec_number_items(const ta_plan *p, int32_t ki, ta_cursor *c, ta_col *cols,
                               ta_err *e, int64_t count, int64_t i)
{
    const ta_node *kn = &p->nodes[ki];
    size_t w;
    switch (kn->op) {
    case TA_OP_LONG: case TA_OP_DOUBLE: w = 8; break;
    case TA_OP_INT: case TA_OP_FLOAT: w = 4; break;
    default: return TA_NO_FAST;
    }
    ta_col *col = &cols[kn->col];
    if ((uint64_t)count > SIZE_MAX / w || ta_col_reserve(col, (size_t)count * w) != TA_OK)
        return TA_NO_FAST; /* the general loop reports it */
    uint8_t *dst = col->data + col->len;
    const uint8_t *pos = c->pos;
    const uint8_t *const end = c->end;
    int64_t j = 0;
    int rc = TA_OK;
    uint64_t u;
    int len;
    switch (kn->op) {
    case TA_OP_LONG:
        for (; j < count; j++) {
            len = ta_varint(pos, end, &u);
            if (TA_UNLIKELY(len < 0)) { rc = len; break; }
            int64_t v = ta_unzigzag(u);
            memcpy(dst + 8 * j, &v, 8);
            pos += len;
        }
        break;
    case TA_OP_INT:
        for (; j < count; j++) {
            len = ta_varint32(pos, end, &u);
            if (TA_UNLIKELY(len < 0)) { rc = len; break; }
            int32_t v = (int32_t)ta_unzigzag(u);
            memcpy(dst + 4 * j, &v, 4);
            pos += len;
        }
        break;
    default: /* DOUBLE, FLOAT: w little-endian bytes each, copied as they are */
        if ((uint64_t)(end - pos) < (uint64_t)count * w) {
            j = (int64_t)((size_t)(end - pos) / w);
            rc = TA_ERR_TRUNCATED;
        } else {
            j = count;
        }
#ifdef TA_BIG_ENDIAN
        for (int64_t k = 0; k < j; k++) {
            if (w == 8) {
                uint64_t b;
                memcpy(&b, pos + 8 * k, 8);
                b = ta_le64(b);
                memcpy(dst + 8 * k, &b, 8);
            } else {
                uint32_t b;
                memcpy(&b, pos + 4 * k, 4);
                b = ta_le32(b);
                memcpy(dst + 4 * k, &b, 4);
            }
        }
#else
        memcpy(dst, pos, (size_t)j * w);
#endif
        pos += (size_t)j * w;
        break;
    }
    col->len += (size_t)j * w;
    c->pos = pos;
    if (TA_UNLIKELY(rc != TA_OK)) {
        ta_fail(e, rc, ki, c, pos);
        return ta_push_index(e, i + j);
    }
    return TA_OK;
}

/* `count` entries of a map block, or items of an array block, whose value is a string or bytes
 * leaf, decoded in one loop after one reservation of their offset columns: keys and values
 * are checked, stored and reported exactly as the general loop does (a bad key names the map,
 * a bad value the value node and its index). Returns TA_NO_FAST (nothing consumed) for other
 * values. */
static int ta_dec_string_items(const ta_plan *p, int32_t ni, ta_cursor *c, ta_col *cols,
                               ta_err *e, int64_t count, int64_t i)
{
    const ta_node *n = &p->nodes[ni];
    const int32_t ki = p->kids[n->kids];
    const ta_node *kn = &p->nodes[ki];
    if (kn->op != TA_OP_STRING && kn->op != TA_OP_BYTES) return TA_NO_FAST;
    const int is_map = n->op == TA_OP_MAP;
    const int utf8 = kn->op == TA_OP_STRING;
    ta_col *voff = &cols[kn->col], *vdata = &cols[kn->col2];
    ta_col *koff = is_map ? &cols[n->col2] : NULL, *kdata = is_map ? &cols[n->col3] : NULL;
    if ((uint64_t)count > SIZE_MAX / 8 || ta_col_reserve(voff, (size_t)count * 8) != TA_OK ||
        (is_map && ta_col_reserve(koff, (size_t)count * 8) != TA_OK))
        return TA_NO_FAST; /* the general loop reports it */
    const uint8_t *pos = c->pos;
    const uint8_t *const end = c->end;
    int rc;
    for (int64_t j = 0; j < count; j++) {
        if (is_map) {
            rc = ta_take_string(pos, end, 1, kdata, &pos);
            if (TA_UNLIKELY(rc != TA_OK)) return ta_fail(e, rc, ni, c, pos);
            int64_t ko = (int64_t)kdata->len;
            memcpy(koff->data + koff->len, &ko, 8);
            koff->len += 8;
        }
        rc = ta_take_string(pos, end, utf8, vdata, &pos);
        if (TA_UNLIKELY(rc != TA_OK)) {
            ta_fail(e, rc, ki, c, pos);
            return ta_push_index(e, i + j);
        }
        int64_t vo = (int64_t)vdata->len;
        memcpy(voff->data + voff->len, &vo, 8);
        voff->len += 8;
    }
    c->pos = pos;
    return TA_OK;
}

static int ta_dec(const ta_plan *p, int32_t ni, ta_cursor *c, ta_col *cols, ta_err *e)
{
    const ta_node *n = &p->nodes[ni];
    const int32_t *kids = p->kids + n->kids;
    const uint8_t *at = c->pos;
    int rc;
    switch (n->op) {
    case TA_OP_RECORD:
    case TA_OP_SKIP_RECORD:
        for (int32_t k = 0; k < n->nkids; k++) {
            rc = ta_dec_leaf(p, kids[k], c, cols, e);
            if (TA_UNLIKELY(rc != TA_OK)) return rc;
        }
        return TA_OK;
    case TA_OP_ARRAY:
    case TA_OP_MAP: {
        ta_col *off = &cols[n->col];
        int64_t total = ta_last_offset(off);
        int64_t i = 0;
        for (;;) {
            int64_t count, bytes;
            at = c->pos;
            TA_CHECK(ta_read_block_count(n, c, &count, &bytes, e));
            if (count == 0) break;
            rc = TA_NO_FAST;
            if (ta_fast_paths) {
                if (n->op == TA_OP_ARRAY)
                    rc = ta_dec_number_items(p, kids[0], c, cols, e, count, i);
                if (rc == TA_NO_FAST) rc = ta_dec_string_items(p, ni, c, cols, e, count, i);
            }
            if (rc == TA_OK) {
                i += count;
                total += count;
                continue;
            }
            if (rc != TA_NO_FAST) return rc;
            for (int64_t j = 0; j < count; j++, i++) {
                if (n->op == TA_OP_MAP) {
                    ta_col *kd = &cols[n->col3];
                    at = c->pos;
                    TA_CHECK(ta_take_string(at, c->end, 1, kd, &c->pos));
                    TA_PUT(&cols[n->col2], int64_t, kd->len);
                }
                rc = ta_dec_leaf(p, kids[0], c, cols, e);
                if (TA_UNLIKELY(rc != TA_OK)) return ta_push_index(e, i);
            }
            total += count;
        }
        TA_PUT(off, int64_t, total);
        return TA_OK;
    }
    case TA_OP_SKIP_ARRAY:
    case TA_OP_SKIP_MAP: {
        int64_t i = 0;
        for (;;) {
            int64_t count, bytes;
            at = c->pos;
            TA_CHECK(ta_read_block_count(n, c, &count, &bytes, e));
            if (count == 0) break;
            if (bytes >= 0) { /* the writer told us the block size: jump over it */
                c->pos += bytes;
                i += count;
                continue;
            }
            for (int64_t j = 0; j < count; j++, i++) {
                if (n->op == TA_OP_SKIP_MAP) {
                    size_t len;
                    at = c->pos;
                    TA_CHECK(ta_read_length(c, &len));
                    c->pos += len;
                }
                rc = ta_dec_leaf(p, kids[0], c, cols, e);
                if (TA_UNLIKELY(rc != TA_OK)) return ta_push_index(e, i);
            }
        }
        return TA_OK;
    }
    case TA_OP_NULLABLE:
    case TA_OP_UNWRAP:
    case TA_OP_UNION:
    case TA_OP_SKIP_UNION: {
        int64_t b;
        TA_CHECK(ta_read_long(c, &b));
        int64_t nbranch = n->op == TA_OP_SKIP_UNION ? n->nkids : n->ntable;
        if (n->op == TA_OP_UNION) nbranch = n->ntable / 2;
        if (TA_UNLIKELY(b < 0 || b >= nbranch)) return ta_fail(e, TA_ERR_BAD_UNION, ni, c, at);
        if (n->op == TA_OP_SKIP_UNION) {
            if (kids[b] < 0) return TA_OK;
            return ta_dec_leaf(p, kids[b], c, cols, e);
        }
        if (n->op == TA_OP_UNION) {
            int32_t k = p->table[n->table + 2 * b];
            if (TA_UNLIKELY(k == -2)) return ta_fail(e, TA_ERR_UNREADABLE, ni, c, at);
            TA_PUT(&cols[n->col], int8_t, p->table[n->table + 2 * b + 1]);
            if (k < 0) return TA_OK;
            return ta_dec_leaf(p, kids[k], c, cols, e);
        }
        int32_t k = p->table[n->table + b];
        if (TA_UNLIKELY(k == -2)) return ta_fail(e, TA_ERR_UNREADABLE, ni, c, at);
        if (n->op == TA_OP_UNWRAP) {
            if (TA_UNLIKELY(k < 0)) return ta_fail(e, TA_ERR_UNREADABLE, ni, c, at);
            return ta_dec_leaf(p, kids[k], c, cols, e);
        }
        TA_PUT(&cols[n->col], uint8_t, k >= 0);
        if (k >= 0) return ta_dec_leaf(p, kids[k], c, cols, e);
        rc = ta_fill_null(p, kids[n->fill], cols);
        if (rc != TA_OK) return ta_fail(e, rc, ni, c, at);
        return TA_OK;
    }
    case TA_OP_VALID:
        TA_PUT(&cols[n->col], uint8_t, 1);
        return ta_dec_leaf(p, kids[0], c, cols, e);
    case TA_OP_UNION_CONST:
        TA_PUT(&cols[n->col], int8_t, n->size);
        return ta_dec_leaf(p, kids[0], c, cols, e);
    case TA_OP_DEFAULT: {
        /* the reader's default, encoded once by the planner, decoded like writer data */
        ta_cursor dc = {n->dflt, n->dflt, n->dflt + n->dflt_len};
        return ta_dec_leaf(p, kids[0], &dc, cols, e);
    }
    default:
        if (n->op >= TA_OP_BOOL && n->op <= TA_OP_ENUM) return ta_dec_leaf(p, ni, c, cols, e);
        return ta_fail(e, TA_ERR_CODEC, ni, c, at); /* unknown op: a planner bug */
    }
}

static int ta_put_zero(ta_col *col, size_t n)
{
    if (ta_col_reserve(col, n) != TA_OK) return TA_ERR_NOMEM;
    memset(col->data + col->len, 0, n);
    col->len += n;
    return TA_OK;
}

static int ta_put_offset(ta_col *col, int64_t v)
{
    if (ta_col_reserve(col, 8) != TA_OK) return TA_ERR_NOMEM;
    memcpy(col->data + col->len, &v, 8);
    col->len += 8;
    return TA_OK;
}

int ta_fill_null(const ta_plan *p, int32_t ni, ta_col *cols)
{
    if (ni < 0) return TA_OK;
    const ta_node *n = &p->nodes[ni];
    const int32_t *kids = p->kids + n->kids;
    int rc;
    switch (n->op) {
    case TA_OP_BOOL: case TA_OP_INT: case TA_OP_INT_L: case TA_OP_INT_F: case TA_OP_INT_D:
    case TA_OP_LONG: case TA_OP_LONG_F: case TA_OP_LONG_D: case TA_OP_FLOAT: case TA_OP_FLOAT_D:
    case TA_OP_DOUBLE: case TA_OP_ENUM:
        return ta_put_zero(&cols[n->col], (size_t)n->width);
    case TA_OP_FIXED:
        return ta_put_zero(&cols[n->col], (size_t)n->size);
    case TA_OP_STRING: case TA_OP_BYTES:
        return ta_put_offset(&cols[n->col], (int64_t)cols[n->col2].len);
    case TA_OP_ARRAY: case TA_OP_MAP:
        return ta_put_offset(&cols[n->col], ta_last_offset(&cols[n->col]));
    case TA_OP_RECORD:
        for (int32_t k = 0; k < n->nkids; k++) {
            rc = ta_fill_null(p, kids[k], cols);
            if (rc != TA_OK) return rc;
        }
        return TA_OK;
    case TA_OP_NULLABLE: case TA_OP_VALID:
        rc = ta_put_zero(&cols[n->col], 1);
        if (rc != TA_OK) return rc;
        return ta_fill_null(p, kids[n->op == TA_OP_VALID ? 0 : n->fill], cols);
    case TA_OP_UNWRAP: case TA_OP_DEFAULT:
        return ta_fill_null(p, kids[n->fill], cols);
    case TA_OP_UNION: case TA_OP_UNION_CONST: {
        /* the planner picks the branch placeholders go to: size = its code, fill = its kid */
        int8_t code = (int8_t)n->size;
        if (ta_col_reserve(&cols[n->col], 1) != TA_OK) return TA_ERR_NOMEM;
        cols[n->col].data[cols[n->col].len++] = (uint8_t)code;
        return n->fill < 0 ? TA_OK : ta_fill_null(p, kids[n->fill], cols);
    }
    default:
        return TA_OK; /* skippers and null write nothing */
    }
}

/* How a node runs as a step of the record program. */
enum {
    TA_KIND_CALL = 0, /* composites, fixed, unions, defaults, other skippers: ta_dec_leaf */
    TA_KIND_SKIP,     /* skippers with a step of their own: no column */
    TA_KIND_COLUMN,   /* leaves whose per-record column is stored by row index: fixed-width
                       * scalars, enum codes, string and bytes offsets */
};

static int ta_step_kind(int32_t op)
{
    switch (op) {
    case TA_OP_BOOL: case TA_OP_INT: case TA_OP_INT_L: case TA_OP_INT_F: case TA_OP_INT_D:
    case TA_OP_LONG: case TA_OP_LONG_F: case TA_OP_LONG_D: case TA_OP_FLOAT: case TA_OP_FLOAT_D:
    case TA_OP_DOUBLE: case TA_OP_STRING: case TA_OP_BYTES: case TA_OP_ENUM:
        return TA_KIND_COLUMN;
    case TA_OP_SKIP_VARINT: case TA_OP_SKIP_N: case TA_OP_NOTHING:
        return TA_KIND_SKIP;
    default:
        return TA_KIND_CALL;
    }
}

#define TA_PROGRAM_MAX 64
#define TA_STEP_END TA_OP__COUNT        /* pseudo-op closing a record */
#define TA_STEP_CALL (TA_OP__COUNT + 1) /* pseudo-op: decode the field's node the general way */
#define TA_STEP_NULLABLE (TA_OP__COUNT + 2) /* pseudo-op: a union of null and the next step's leaf */

/* Threaded dispatch (GCC/Clang "labels as values"): every op ends with its own indirect jump
 * to the next op, which predicts far better than one shared switch jump. Other compilers get
 * the same code as a switch in a loop. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(TA_NO_THREADED)
#define TA_PROGRAM_THREADED 1
#endif

/* One step of the record program. */
typedef struct ta_step {
#ifdef TA_PROGRAM_THREADED
    const void *label;  /* handler of op */
#endif
    int32_t op;
    int32_t ni;         /* the step's node (errors, calls) */
    ta_col *col;        /* the per-record column stored by row index, or NULL */
    uint8_t *dst;       /* its free space: row r goes to dst + width * r */
    size_t width;
    size_t skip;        /* SKIP_N byte count */
    ta_col *data;       /* STRING/BYTES: the data column (appended with checks) */
    const int32_t *table; /* ENUM: writer index -> reader code; NULLABLE: branch -> kid */
    int32_t ntable;
} ta_step;

/* Adds the steps of node ni (a field of the root record, or of a record flattened into it) at
 * steps[*ns], using no step at or past `limit`: a leaf is one step; a record's fields are
 * flattened in when one step each fits (its leaves are per-record columns too), else it is
 * one call; a nullable union of one leaf is a NULLABLE step followed by its leaf's step when
 * two fit, else one call. TA_NO_FAST if a column cannot take `count` more values or no step
 * fits. */
static int ta_program_add(const ta_plan *p, int32_t ni, ta_step *steps, int32_t *ns,
                          int32_t limit, ta_col *cols, int64_t count)
{
    const ta_node *n = &p->nodes[ni];
    const int32_t *kids = p->kids + n->kids;
    if (*ns >= limit) return TA_NO_FAST;
    ta_step *sk = &steps[*ns];
    int kind = ta_step_kind(n->op);
    sk->op = kind == TA_KIND_CALL ? TA_STEP_CALL : n->op;
    sk->ni = ni;
    sk->col = NULL;
    sk->dst = NULL;
    sk->width = 0;
    sk->skip = (size_t)n->size;
    sk->data = NULL;
    sk->table = NULL;
    sk->ntable = 0;
    if (n->op == TA_OP_RECORD && *ns + n->nkids <= limit) {
        /* each field may use the steps left after one per field still to add, so the fields
         * always fit; a field whose column cannot grow refuses the program */
        for (int32_t k = 0; k < n->nkids; k++) {
            int rc = ta_program_add(p, kids[k], steps, ns, limit - (n->nkids - 1 - k), cols, count);
            if (rc != TA_OK) return rc;
        }
        return TA_OK;
    }
    /* a nullable union whose every non-null branch decodes with its placeholder kid (the
     * planner appends that kid to kids[] as the fill), a leaf: the kid is the next step */
    int leaf_nullable = 0;
    if (n->op == TA_OP_NULLABLE && n->fill >= 0 && n->fill < n->nkids && *ns + 2 <= limit) {
        leaf_nullable = ta_step_kind(p->nodes[kids[n->fill]].op) == TA_KIND_COLUMN;
        for (int32_t b = 0; b < n->ntable && leaf_nullable; b++) {
            int32_t k = p->table[n->table + b];
            if (k >= 0 && (k >= n->nkids || kids[k] != kids[n->fill])) leaf_nullable = 0;
        }
    }
    if (leaf_nullable) {
        sk->op = TA_STEP_NULLABLE;
    } else if (kind != TA_KIND_COLUMN) {
        (*ns)++;
        return TA_OK;
    }
    ta_col *col = &cols[n->col];
    sk->width = n->op == TA_OP_STRING || n->op == TA_OP_BYTES ? 8
              : leaf_nullable ? 1 : (size_t)n->width;
    if (sk->width == 0) return TA_NO_FAST;
    /* the reader reserves fixed-width per-record columns per block; offsets are grown here
     * (count is already checked against the block's bytes). A shared window that is too
     * small refuses to grow: the general path then reports it. */
    if ((uint64_t)count > (uint64_t)((col->cap - col->len) / sk->width) &&
        ((uint64_t)count > SIZE_MAX / sk->width ||
         ta_col_reserve(col, (size_t)count * sk->width) != TA_OK))
        return TA_NO_FAST;
    sk->col = col;
    sk->dst = col->data + col->len;
    if (n->op == TA_OP_ENUM || leaf_nullable) {
        sk->table = p->table + n->table;
        sk->ntable = n->ntable;
    } else if (n->op == TA_OP_STRING || n->op == TA_OP_BYTES) {
        sk->data = &cols[n->col2];
    }
    (*ns)++;
    if (leaf_nullable) return ta_program_add(p, kids[n->fill], steps, ns, limit, cols, count);
    return TA_OK;
}

/* The root record's fields compiled into a small program (steps from ta_program_add plus an
 * end-of-record step) run with the cursor in a local, once each per-record column the program
 * stores to has room for `count` more values. Leaves store each value at its row index,
 * without the per-value capacity check and length update of the general path; strings append
 * their bytes to their data column as ta_dec_leaf does; other fields call ta_dec_leaf, which
 * writes their columns the general way (no column is written both ways). Records made only of
 * fixed-width scalars (the common "flat" table) run without a call. Returns TA_NO_FAST (> 0)
 * if the plan or the capacities do not qualify (nothing consumed). */
static int ta_decode_program(const ta_plan *p, ta_cursor *c, int64_t count, ta_col *cols,
                             ta_err *e, int64_t *done)
{
    const ta_node *root = &p->nodes[p->root];
    const int32_t *kids = p->kids + root->kids;
    ta_step steps[TA_PROGRAM_MAX + 1];
    int32_t nk = 0;
    if (root->nkids > TA_PROGRAM_MAX) return TA_NO_FAST;
    for (int32_t k = 0; k < root->nkids; k++)
        if (ta_program_add(p, kids[k], steps, &nk, TA_PROGRAM_MAX - (root->nkids - 1 - k), cols,
                           count) != TA_OK)
            return TA_NO_FAST;
    steps[nk].op = TA_STEP_END;
    steps[nk].col = NULL;

    const uint8_t *pos = c->pos;
    const uint8_t *end = c->end;
    const ta_step *st = steps;
    int64_t r = 0;
    int rc = TA_OK;
    uint64_t u;
    int len;
    if (count <= 0) goto finish;

#ifdef TA_PROGRAM_THREADED
    static const void *const labels[TA_STEP_NULLABLE + 1] = {
        [TA_OP_LONG] = &&op_long, [TA_OP_LONG_F] = &&op_long_f, [TA_OP_LONG_D] = &&op_long_d,
        [TA_OP_INT] = &&op_int, [TA_OP_INT_L] = &&op_int_l, [TA_OP_INT_F] = &&op_int_f,
        [TA_OP_INT_D] = &&op_int_d, [TA_OP_DOUBLE] = &&op_double, [TA_OP_FLOAT] = &&op_float,
        [TA_OP_FLOAT_D] = &&op_float_d, [TA_OP_BOOL] = &&op_bool,
        [TA_OP_STRING] = &&op_string, [TA_OP_BYTES] = &&op_bytes, [TA_OP_ENUM] = &&op_enum,
        [TA_OP_SKIP_VARINT] = &&op_skip_varint, [TA_OP_SKIP_N] = &&op_skip_n,
        [TA_OP_NOTHING] = &&op_next, [TA_STEP_END] = &&op_end, [TA_STEP_CALL] = &&op_call,
        [TA_STEP_NULLABLE] = &&op_nullable,
    };
    for (int32_t j = 0; j <= nk; j++) steps[j].label = labels[steps[j].op];
#define TA_OPCASE(label_, op_) label_:
#define TA_DISPATCH() goto *st->label
#else
#define TA_OPCASE(label_, op_) case op_:
#define TA_DISPATCH() goto dispatch
#endif
#define TA_NEXT() do { st++; TA_DISPATCH(); } while (0)
    /* a varint into u, advancing pos; on error pos stays at the value (the failing offset) */
#define TA_STEP_VARINT(read_)                                                       \
    do {                                                                            \
        len = read_(pos, end, &u);                                                  \
        if (TA_UNLIKELY(len < 0)) { rc = len; goto fail; }                          \
        pos += len;                                                                 \
    } while (0)
#define TA_STEP_STORE(T_, v_)                                                       \
    do { T_ t_ = (T_)(v_); memcpy(st->dst + sizeof(T_) * r, &t_, sizeof(T_)); } while (0)
#define TA_STEP_NEED(n_)                                                            \
    do { if (TA_UNLIKELY(end - pos < (n_))) { rc = TA_ERR_TRUNCATED; goto fail; } } while (0)

#ifdef TA_PROGRAM_THREADED
    TA_DISPATCH();
#else
dispatch:
    switch (st->op) {
#endif
    TA_OPCASE(op_long, TA_OP_LONG)
        TA_STEP_VARINT(ta_varint);
        TA_STEP_STORE(int64_t, ta_unzigzag(u));
        TA_NEXT();
    TA_OPCASE(op_long_f, TA_OP_LONG_F)
        TA_STEP_VARINT(ta_varint);
        TA_STEP_STORE(float, ta_unzigzag(u));
        TA_NEXT();
    TA_OPCASE(op_long_d, TA_OP_LONG_D)
        TA_STEP_VARINT(ta_varint);
        TA_STEP_STORE(double, ta_unzigzag(u));
        TA_NEXT();
    TA_OPCASE(op_int, TA_OP_INT)
        TA_STEP_VARINT(ta_varint32);
        TA_STEP_STORE(int32_t, ta_unzigzag(u));
        TA_NEXT();
    TA_OPCASE(op_int_l, TA_OP_INT_L)
        TA_STEP_VARINT(ta_varint32);
        TA_STEP_STORE(int64_t, ta_unzigzag(u));
        TA_NEXT();
    TA_OPCASE(op_int_f, TA_OP_INT_F)
        TA_STEP_VARINT(ta_varint32);
        TA_STEP_STORE(float, (int32_t)ta_unzigzag(u));
        TA_NEXT();
    TA_OPCASE(op_int_d, TA_OP_INT_D)
        TA_STEP_VARINT(ta_varint32);
        TA_STEP_STORE(double, (int32_t)ta_unzigzag(u));
        TA_NEXT();
    TA_OPCASE(op_double, TA_OP_DOUBLE) {
        uint64_t b;
        TA_STEP_NEED(8);
        memcpy(&b, pos, 8);
        pos += 8;
        TA_STEP_STORE(uint64_t, ta_le64(b));
        TA_NEXT();
    }
    TA_OPCASE(op_float, TA_OP_FLOAT) {
        uint32_t b;
        TA_STEP_NEED(4);
        memcpy(&b, pos, 4);
        pos += 4;
        TA_STEP_STORE(uint32_t, ta_le32(b));
        TA_NEXT();
    }
    TA_OPCASE(op_float_d, TA_OP_FLOAT_D) {
        uint32_t b;
        float f;
        TA_STEP_NEED(4);
        memcpy(&b, pos, 4);
        pos += 4;
        b = ta_le32(b);
        memcpy(&f, &b, 4);
        TA_STEP_STORE(double, f);
        TA_NEXT();
    }
    TA_OPCASE(op_bool, TA_OP_BOOL)
        TA_STEP_NEED(1);
        if (TA_UNLIKELY(*pos > 1)) { rc = TA_ERR_BAD_BOOL; goto fail; }
        st->dst[r] = *pos++;
        TA_NEXT();
    TA_OPCASE(op_string, TA_OP_STRING)
    TA_OPCASE(op_bytes, TA_OP_BYTES)
        rc = ta_take_string(pos, end, st->op == TA_OP_STRING, st->data, &pos);
        if (TA_UNLIKELY(rc != TA_OK)) goto fail;
        TA_STEP_STORE(int64_t, st->data->len);
        TA_NEXT();
    TA_OPCASE(op_enum, TA_OP_ENUM) {
        int32_t code;
        len = ta_varint32(pos, end, &u);
        if (TA_UNLIKELY(len < 0)) { rc = len; goto fail; }
        rc = ta_enum_code(st->table, st->ntable, u, &code);
        if (TA_UNLIKELY(rc != TA_OK)) goto fail;
        if (st->width == 1) TA_STEP_STORE(int8_t, code);
        else if (st->width == 2) TA_STEP_STORE(int16_t, code);
        else TA_STEP_STORE(int32_t, code);
        pos += len;
        TA_NEXT();
    }
    TA_OPCASE(op_call, TA_STEP_CALL)
        c->pos = pos;
        rc = ta_dec_leaf(p, st->ni, c, cols, e);
        if (TA_UNLIKELY(rc != TA_OK)) goto failed;
        pos = c->pos;
        TA_NEXT();
    TA_OPCASE(op_nullable, TA_STEP_NULLABLE) {
        /* the branch, then the leaf (the next step) or its placeholder (Avro specification,
         * Binary Encoding: a union is its branch index, then the branch's value) */
        len = ta_varint(pos, end, &u);
        if (TA_UNLIKELY(len < 0)) { rc = len; goto fail; }
        int64_t b = ta_unzigzag(u);
        if (TA_UNLIKELY(b < 0 || b >= st->ntable)) { rc = TA_ERR_BAD_UNION; goto fail; }
        int32_t k = st->table[b];
        if (TA_UNLIKELY(k == -2)) { rc = TA_ERR_UNREADABLE; goto fail; }
        pos += len;
        st->dst[r] = (uint8_t)(k >= 0);
        if (k >= 0) TA_NEXT();
        st++;
        if (st->data) TA_STEP_STORE(int64_t, st->data->len);
        else memset(st->dst + st->width * r, 0, st->width);
        TA_NEXT();
    }
    TA_OPCASE(op_skip_varint, TA_OP_SKIP_VARINT)
        TA_STEP_VARINT(ta_varint);
        TA_NEXT();
    TA_OPCASE(op_skip_n, TA_OP_SKIP_N)
        if (TA_UNLIKELY((size_t)(end - pos) < st->skip)) { rc = TA_ERR_TRUNCATED; goto fail; }
        pos += st->skip;
        TA_NEXT();
    TA_OPCASE(op_next, TA_OP_NOTHING)
        TA_NEXT();
    TA_OPCASE(op_end, TA_STEP_END)
        st = steps;
        if (TA_LIKELY(++r < count)) TA_DISPATCH();
        goto finish;
#ifndef TA_PROGRAM_THREADED
    default:
        break;
    }
#endif
#undef TA_OPCASE
#undef TA_DISPATCH
#undef TA_NEXT
#undef TA_STEP_VARINT
#undef TA_STEP_STORE
#undef TA_STEP_NEED

finish:
    c->pos = pos;
    for (int32_t k = 0; k < nk; k++)
        if (steps[k].col) steps[k].col->len += steps[k].width * (size_t)count;
    *done = count;
    return TA_OK;
fail:
    /* complete records only; the chunk is discarded by the caller on error. Every failing read
     * leaves pos at the start of its value, which is the offset reported. */
    c->pos = pos;
    rc = ta_fail(e, rc, st->ni, c, pos);
failed: /* ta_dec_leaf has filled e */
    for (int32_t k = 0; k < nk; k++)
        if (steps[k].col) steps[k].col->len += steps[k].width * (size_t)r;
    *done = r;
    return rc;
}

int ta_decode_records(const ta_plan *p, ta_cursor *c, int64_t count, ta_col *cols, ta_err *e,
                      int64_t *done)
{
    const ta_node *root = &p->nodes[p->root];
    int64_t r = 0;
    int rc = TA_OK;
    if (root->op == TA_OP_RECORD) {
        rc = ta_fast_paths ? ta_decode_program(p, c, count, cols, e, done) : TA_NO_FAST;
        if (rc != TA_NO_FAST) return rc;
        /* the hot loop: one pass over the root's fields per record, leaves inlined */
        const int32_t *kids = p->kids + root->kids;
        const int32_t nk = root->nkids;
        for (; r < count; r++) {
            for (int32_t k = 0; k < nk; k++) {
                rc = ta_dec_leaf(p, kids[k], c, cols, e);
                if (TA_UNLIKELY(rc != TA_OK)) goto out;
            }
        }
    } else {
        for (; r < count; r++) {
            rc = ta_dec_leaf(p, p->root, c, cols, e);
            if (TA_UNLIKELY(rc != TA_OK)) goto out;
        }
    }
out:
    *done = r;
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* encoding: the same node layout, read from columns (rd positions), written to out.           */
/* Leaves read their element at col->rd and advance it. STRING/BYTES/ARRAY/MAP read offsets   */
/* i and i+1 (rd points at offset i) and take data by offset, so nulls skip nothing else.      */

#define TA_EFAIL(rc_) do { e->rc = (rc_); e->node = ni; e->nidx = 0; return (rc_); } while (0)

TA_INLINE int ta_out_varint(ta_col *out, int64_t v)
{
    if (ta_col_reserve(out, 10) != TA_OK) return TA_ERR_NOMEM;
    out->len += (size_t)ta_write_long(out->data + out->len, v);
    return TA_OK;
}

TA_INLINE int ta_out_bytes(ta_col *out, const void *src, size_t n)
{
    if (n == 0) return TA_OK; /* src may be NULL (an empty column): memcpy must not see it */
    if (ta_col_reserve(out, n) != TA_OK) return TA_ERR_NOMEM;
    memcpy(out->data + out->len, src, n);
    out->len += n;
    return TA_OK;
}

/* Takes the next element of width w from col (TA_ERR_TRUNCATED if the column is exhausted). */
TA_INLINE const uint8_t *ta_take(ta_col *col, size_t w)
{
    if (TA_UNLIKELY(col->len - col->rd < w || col->rd > col->len)) return NULL;
    const uint8_t *v = col->data + col->rd;
    col->rd += w;
    return v;
}

/* Offsets pair [lo, hi) of the next element; validates them against the limit. */
static int ta_take_range(ta_col *off, size_t limit, int64_t *lo, int64_t *hi)
{
    if (off->rd + 16 > off->len) return TA_ERR_TRUNCATED;
    memcpy(lo, off->data + off->rd, 8);
    memcpy(hi, off->data + off->rd + 8, 8);
    off->rd += 8;
    if (*lo < 0 || *hi < *lo || (uint64_t)*hi > (uint64_t)limit) return TA_ERR_TOO_LARGE;
    return TA_OK;
}

static int ta_enc(const ta_plan *p, int32_t ni, ta_col *cols, ta_col *out, ta_err *e);

/* Advances the read positions of n's columns past one (null) element without encoding it. */
static int ta_enc_skip(const ta_plan *p, int32_t ni, ta_col *cols, ta_err *e)
{
    const ta_node *n = &p->nodes[ni];
    const int32_t *kids = p->kids + n->kids;
    switch (n->op) {
    case TA_OP_STRING: case TA_OP_BYTES: case TA_OP_ARRAY: case TA_OP_MAP:
        if (cols[n->col].rd + 16 > cols[n->col].len) TA_EFAIL(TA_ERR_TRUNCATED);
        cols[n->col].rd += 8;
        return TA_OK;
    case TA_OP_RECORD:
        for (int32_t k = 0; k < n->nkids; k++) {
            int rc = ta_enc_skip(p, kids[k], cols, e);
            if (rc != TA_OK) return rc;
        }
        return TA_OK;
    case TA_OP_NULLABLE:
        if (!ta_take(&cols[n->col], 1)) TA_EFAIL(TA_ERR_TRUNCATED);
        return ta_enc_skip(p, kids[0], cols, e);
    default:
        if (!ta_take(&cols[n->col], (size_t)n->width)) TA_EFAIL(TA_ERR_TRUNCATED);
        return TA_OK;
    }
}

static int ta_enc(const ta_plan *p, int32_t ni, ta_col *cols, ta_col *out, ta_err *e)
{
    const ta_node *n = &p->nodes[ni];
    const int32_t *kids = p->kids + n->kids;
    const uint8_t *v;
    int rc;
    switch (n->op) {
    case TA_OP_LONG: {
        int64_t x;
        if (!(v = ta_take(&cols[n->col], 8))) TA_EFAIL(TA_ERR_TRUNCATED);
        memcpy(&x, v, 8);
        if (ta_out_varint(out, x) != TA_OK) TA_EFAIL(TA_ERR_NOMEM);
        return TA_OK;
    }
    case TA_OP_INT: case TA_OP_ENUM: {
        int64_t x;
        size_t w = n->op == TA_OP_INT ? 4 : (size_t)n->width;
        if (!(v = ta_take(&cols[n->col], w))) TA_EFAIL(TA_ERR_TRUNCATED);
        if (w == 1) x = (int8_t)v[0];
        else if (w == 2) { int16_t t; memcpy(&t, v, 2); x = t; }
        else { int32_t t; memcpy(&t, v, 4); x = t; }
        if (n->op == TA_OP_ENUM && (x < 0 || x >= n->ntable)) TA_EFAIL(TA_ERR_BAD_ENUM);
        if (ta_out_varint(out, x) != TA_OK) TA_EFAIL(TA_ERR_NOMEM);
        return TA_OK;
    }
    case TA_OP_DOUBLE: case TA_OP_FLOAT: {
        /* IEEE bits are written as stored, little-endian (Avro specification, Binary Encoding) */
        size_t w = n->op == TA_OP_DOUBLE ? 8 : 4;
        if (!(v = ta_take(&cols[n->col], w))) TA_EFAIL(TA_ERR_TRUNCATED);
        uint8_t buf[8];
        memcpy(buf, v, w);
        if (w == 8) { uint64_t b; memcpy(&b, buf, 8); b = ta_le64(b); memcpy(buf, &b, 8); }
        else { uint32_t b; memcpy(&b, buf, 4); b = ta_le32(b); memcpy(buf, &b, 4); }
        if (ta_out_bytes(out, buf, w) != TA_OK) TA_EFAIL(TA_ERR_NOMEM);
        return TA_OK;
    }
    case TA_OP_BOOL: {
        if (!(v = ta_take(&cols[n->col], 1))) TA_EFAIL(TA_ERR_TRUNCATED);
        uint8_t b = v[0] != 0;
        if (ta_out_bytes(out, &b, 1) != TA_OK) TA_EFAIL(TA_ERR_NOMEM);
        return TA_OK;
    }
    case TA_OP_FIXED:
        if (n->size == 0) return TA_OK; /* fixed(0): no bytes (Avro specification, Binary Encoding) */
        if (!(v = ta_take(&cols[n->col], (size_t)n->size))) TA_EFAIL(TA_ERR_TRUNCATED);
        if (ta_out_bytes(out, v, (size_t)n->size) != TA_OK) TA_EFAIL(TA_ERR_NOMEM);
        return TA_OK;
    case TA_OP_STRING: case TA_OP_BYTES: {
        int64_t lo, hi;
        ta_col *data = &cols[n->col2];
        if ((rc = ta_take_range(&cols[n->col], data->len, &lo, &hi)) != TA_OK) TA_EFAIL(rc);
        if (n->op == TA_OP_STRING && !ta_utf8_valid(data->data + lo, (size_t)(hi - lo)))
            TA_EFAIL(TA_ERR_UTF8);
        if (ta_out_varint(out, hi - lo) != TA_OK ||
            ta_out_bytes(out, data->data + lo, (size_t)(hi - lo)) != TA_OK)
            TA_EFAIL(TA_ERR_NOMEM);
        return TA_OK;
    }
    case TA_OP_RECORD:
        for (int32_t k = 0; k < n->nkids; k++) {
            rc = ta_enc(p, kids[k], cols, out, e);
            if (rc != TA_OK) return rc;
        }
        return TA_OK;
    case TA_OP_NULLABLE: {
        /* size = index of the null branch in the written union (0 or 1) */
        if (!(v = ta_take(&cols[n->col], 1))) TA_EFAIL(TA_ERR_TRUNCATED);
        int valid = v[0] != 0;
        if (ta_out_varint(out, valid ? 1 - n->size : n->size) != TA_OK) TA_EFAIL(TA_ERR_NOMEM);
        if (valid) return ta_enc(p, kids[0], cols, out, e);
        return ta_enc_skip(p, kids[0], cols, e);
    }
    case TA_OP_ARRAY: case TA_OP_MAP: {
        /* items are taken in order from the child columns: offsets must start at 0 and be
         * consecutive, which the Python side guarantees by rebasing */
        int64_t lo, hi;
        if ((rc = ta_take_range(&cols[n->col], SIZE_MAX, &lo, &hi)) != TA_OK) TA_EFAIL(rc);
        if (hi > lo) {
            if (ta_out_varint(out, hi - lo) != TA_OK) TA_EFAIL(TA_ERR_NOMEM);
            for (int64_t i = lo; i < hi; i++) {
                if (n->op == TA_OP_MAP) {
                    int64_t klo, khi;
                    ta_col *kd = &cols[n->col3];
                    if ((rc = ta_take_range(&cols[n->col2], kd->len, &klo, &khi)) != TA_OK)
                        TA_EFAIL(rc);
                    if (!ta_utf8_valid(kd->data + klo, (size_t)(khi - klo))) TA_EFAIL(TA_ERR_UTF8);
                    if (ta_out_varint(out, khi - klo) != TA_OK ||
                        ta_out_bytes(out, kd->data + klo, (size_t)(khi - klo)) != TA_OK)
                        TA_EFAIL(TA_ERR_NOMEM);
                }
                rc = ta_enc(p, kids[0], cols, out, e);
                if (rc != TA_OK) return ta_push_index(e, i - lo);
            }
        }
        if (ta_out_varint(out, 0) != TA_OK) TA_EFAIL(TA_ERR_NOMEM);
        return TA_OK;
    }
    default:
        TA_EFAIL(TA_ERR_CODEC); /* op without an encoding: a planner bug */
    }
}

int ta_encode_records(const ta_plan *p, ta_col *cols, int64_t count, size_t max_bytes,
                      ta_col *out, ta_err *e, int64_t *done)
{
    int64_t r = 0;
    int rc = TA_OK;
    for (; r < count && out->len < max_bytes; r++) {
        rc = ta_enc(p, p->root, cols, out, e);
        if (rc != TA_OK) break;
    }
    *done = r;
    return rc;
}
