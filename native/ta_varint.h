/* Zig-zag varints (SPEC.md item 31) and fixed-width little-endian reads/writes.
 * The 1-byte case returns at once; longer encodings are bounded at 10 bytes (5 for int);
 * anything longer, or a value that overflows its type, is an error. */
#ifndef TA_VARINT_H
#define TA_VARINT_H

#include <string.h>
#include "ta_common.h"

/* Slow path of ta_read_long: at least the first byte has its continuation bit set. */
static int ta_read_long_slow(ta_cursor *c, int64_t *out)
{
    const uint8_t *p = c->pos;
    uint64_t v = 0;
    int shift = 0;
    for (int i = 0; i < 10; i++) {
        if (TA_UNLIKELY(p >= c->end)) return TA_ERR_TRUNCATED;
        uint8_t b = *p++;
        if (i == 9 && (b & 0xFE)) {
            /* the 10th byte may only carry the top bit of a 64-bit value */
            return (b & 0x80) ? TA_ERR_OVERLONG : TA_ERR_OVERFLOW;
        }
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            c->pos = p;
            *out = (int64_t)((v >> 1) ^ (~(v & 1) + 1));
            return TA_OK;
        }
        shift += 7;
    }
    return TA_ERR_OVERLONG;
}

TA_INLINE int ta_read_long(ta_cursor *c, int64_t *out)
{
    if (TA_LIKELY(c->pos < c->end && !(*c->pos & 0x80))) {
        uint64_t v = *c->pos++;
        *out = (int64_t)((v >> 1) ^ (~(v & 1) + 1));
        return TA_OK;
    }
    return ta_read_long_slow(c, out);
}

/* An int is a long that must fit 32 bits and use at most 5 bytes. */
TA_INLINE int ta_read_int(ta_cursor *c, int32_t *out)
{
    const uint8_t *start = c->pos;
    int64_t v;
    int rc = ta_read_long(c, &v);
    if (TA_UNLIKELY(rc != TA_OK)) return rc;
    if (TA_UNLIKELY(c->pos - start > 5)) { c->pos = start; return TA_ERR_OVERLONG; }
    if (TA_UNLIKELY(v < INT32_MIN || v > INT32_MAX)) { c->pos = start; return TA_ERR_OVERFLOW; }
    *out = (int32_t)v;
    return TA_OK;
}

TA_INLINE int ta_skip_long(ta_cursor *c)
{
    int64_t v;
    return ta_read_long(c, &v);
}

/* Writes the zig-zag varint of v into out (at least 10 bytes); returns the byte count. */
TA_INLINE int ta_write_long(uint8_t *out, int64_t v)
{
    uint64_t n = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    int i = 0;
    while (n >= 0x80) {
        out[i++] = (uint8_t)(n | 0x80);
        n >>= 7;
    }
    out[i++] = (uint8_t)n;
    return i;
}

TA_INLINE int ta_read_fixed(ta_cursor *c, void *dst, size_t n)
{
    if (TA_UNLIKELY((size_t)(c->end - c->pos) < n)) return TA_ERR_TRUNCATED;
    memcpy(dst, c->pos, n);
    c->pos += n;
    return TA_OK;
}

TA_INLINE int ta_skip_fixed(ta_cursor *c, size_t n)
{
    if (TA_UNLIKELY((size_t)(c->end - c->pos) < n)) return TA_ERR_TRUNCATED;
    c->pos += n;
    return TA_OK;
}

/* IEEE-754 values are little-endian on the wire (items 32-33); swap on big-endian hosts. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define TA_BIG_ENDIAN 1
#endif

TA_INLINE uint32_t ta_le32(uint32_t v)
{
#ifdef TA_BIG_ENDIAN
    return __builtin_bswap32(v);
#else
    return v;
#endif
}

TA_INLINE uint64_t ta_le64(uint64_t v)
{
#ifdef TA_BIG_ENDIAN
    return __builtin_bswap64(v);
#else
    return v;
#endif
}

TA_INLINE int ta_read_float(ta_cursor *c, float *out)
{
    uint32_t bits;
    int rc = ta_read_fixed(c, &bits, 4);
    if (TA_UNLIKELY(rc != TA_OK)) return rc;
    bits = ta_le32(bits);
    memcpy(out, &bits, 4);
    return TA_OK;
}

TA_INLINE int ta_read_double(ta_cursor *c, double *out)
{
    uint64_t bits;
    int rc = ta_read_fixed(c, &bits, 8);
    if (TA_UNLIKELY(rc != TA_OK)) return rc;
    bits = ta_le64(bits);
    memcpy(out, &bits, 8);
    return TA_OK;
}

/* Reads a length prefix (bytes/string) and checks it against the remaining input. */
TA_INLINE int ta_read_length(ta_cursor *c, size_t *out)
{
    int64_t n;
    int rc = ta_read_long(c, &n);
    if (TA_UNLIKELY(rc != TA_OK)) return rc;
    if (TA_UNLIKELY(n < 0)) return TA_ERR_NEGATIVE;
    if (TA_UNLIKELY((uint64_t)n > (uint64_t)(c->end - c->pos))) return TA_ERR_TRUNCATED;
    *out = (size_t)n;
    return TA_OK;
}

#endif
