/* Zig-zag varints (Avro specification, Binary Encoding) and fixed-width little-endian reads/writes.
 * The 1-byte case returns at once; longer encodings are bounded at 10 bytes (5 for int);
 * anything longer, or a value that overflows its type, is an error. */
#ifndef TA_VARINT_H
#define TA_VARINT_H

#include <string.h>
#include "ta_common.h"

/* IEEE-754 values (Avro specification, Binary Encoding) and the word-at-a-time varint path below are little-endian;
 * big-endian hosts swap. */
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

TA_INLINE int64_t ta_unzigzag(uint64_t v)
{
    return (int64_t)((v >> 1) ^ (~(v & 1) + 1));
}

/* The careful decoder, one byte at a time: the raw (still zig-zagged) value of the varint at
 * p into *out; returns its byte count (1..10) or a TA_ERR_* status. Handles every case the
 * word path below does not: fewer than 10 bytes left, and all errors. */
static int ta_varint_loop(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
    const ptrdiff_t avail = end - p;
    uint64_t v = 0;
    int shift = 0;
    for (int i = 0; i < 10; i++) {
        if (TA_UNLIKELY(i >= avail)) return TA_ERR_TRUNCATED;
        uint8_t b = p[i];
        if (i == 9 && (b & 0xFE)) {
            /* the 10th byte may only carry the top bit of a 64-bit value */
            return (b & 0x80) ? TA_ERR_OVERLONG : TA_ERR_OVERFLOW;
        }
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return i + 1;
        }
        shift += 7;
    }
    return TA_ERR_OVERLONG;
}

#if (defined(__GNUC__) || defined(__clang__)) && !defined(TA_NO_VARINT_WORD)
#define TA_VARINT_WORD 1
#endif

/* Packs the 7-bit groups of up to 8 varint bytes (w little-endian, continuation bits and
 * bytes past the end already cleared) into one value: pairs, then quads, then the halves. */
TA_INLINE uint64_t ta_varint_pack(uint64_t x)
{
    x = (x & UINT64_C(0x007F007F007F007F)) | ((x & UINT64_C(0x7F007F007F007F00)) >> 1);
    x = (x & UINT64_C(0x00003FFF00003FFF)) | ((x & UINT64_C(0x3FFF00003FFF0000)) >> 2);
    return (x & UINT64_C(0x000000000FFFFFFF)) | ((x & UINT64_C(0x0FFFFFFF00000000)) >> 4);
}

/* A varint of two bytes or more (or none at all: p may be at end). With 10 bytes left (so any
 * valid varint is readable) the first 8 bytes are decoded as one word: the first byte whose
 * top bit is clear ends the varint, its index comes from the continuation bits, and the bytes
 * after it are masked off before packing; 9- and 10-byte encodings add their last bytes. Short
 * input near the end of a buffer, and every error, go through the careful loop, which gives
 * the same answer for all valid input. */
TA_INLINE int ta_varint_multi(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
#ifdef TA_VARINT_WORD
    if (TA_LIKELY(end - p >= 10)) {
        uint64_t w;
        memcpy(&w, p, 8);
        w = ta_le64(w);
        const uint64_t stop = ~w & UINT64_C(0x8080808080808080);
        /* stop ^ (stop - 1): the bits up to and including the lowest stop bit (all if none) */
        const uint64_t x = ta_varint_pack(w & (stop ^ (stop - 1)) & UINT64_C(0x7F7F7F7F7F7F7F7F));
        if (TA_LIKELY(stop != 0)) {
            *out = x;
            return (__builtin_ctzll(stop) >> 3) + 1;
        }
        const uint64_t b8 = p[8], b9 = p[9];
        if (!(b8 & 0x80)) {
            *out = x | (b8 << 56);
            return 9;
        }
        if (!(b9 & 0xFE)) { /* the 10th byte may only carry bit 63 */
            *out = x | ((b8 & 0x7F) << 56) | (b9 << 63);
            return 10;
        }
    }
#endif
    return ta_varint_loop(p, end, out);
}

/* The raw value of the varint at p (p <= end) into *out; returns its byte count (1..10) or a
 * TA_ERR_* status (TRUNCATED, OVERLONG: more than 10 bytes, OVERFLOW: beyond 64 bits). The
 * 1-byte case is inline; the caller zig-zag decodes and advances. */
TA_INLINE int ta_varint(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
    if (TA_LIKELY(p < end && !(*p & 0x80))) {
        *out = *p;
        return 1;
    }
    return ta_varint_multi(p, end, out);
}

/* ta_varint for an Avro int: at most 5 bytes (else TA_ERR_OVERLONG) and a value that fits
 * 32 bits (else TA_ERR_OVERFLOW). A zig-zag value fits int32 exactly when the raw value
 * fits uint32. Errors of the long decoding come first, as they always have. */
TA_INLINE int ta_varint32(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
    int n = ta_varint(p, end, out);
    if (TA_UNLIKELY(n < 0)) return n;
    if (TA_UNLIKELY(n > 5)) return TA_ERR_OVERLONG;
    if (TA_UNLIKELY(*out >> 32)) return TA_ERR_OVERFLOW;
    return n;
}

/* On error the cursor does not move. */
TA_INLINE int ta_read_long(ta_cursor *c, int64_t *out)
{
    uint64_t v;
    int n = ta_varint(c->pos, c->end, &v);
    if (TA_UNLIKELY(n < 0)) return n;
    c->pos += n;
    *out = ta_unzigzag(v);
    return TA_OK;
}

/* An int is a long that must fit 32 bits and use at most 5 bytes. */
TA_INLINE int ta_read_int(ta_cursor *c, int32_t *out)
{
    uint64_t v;
    int n = ta_varint32(c->pos, c->end, &v);
    if (TA_UNLIKELY(n < 0)) return n;
    c->pos += n;
    *out = (int32_t)ta_unzigzag(v);
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
