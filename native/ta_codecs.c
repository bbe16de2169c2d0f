/* Avro block codecs over the native libraries; see ta_codecs.h for the contract.
 *
 * Streaming decoders (zlib, bzip2, xz, zstd without a content size) write into the output
 * buffer until it is full, then grow it geometrically up to max_size. Once the buffer holds
 * max_size bytes, decoding continues into a one-byte probe: a byte landing there means the
 * output would exceed the limit (TA_ERR_LIMIT), while a stream that ends without producing
 * one is exactly max_size bytes long. This keeps "never allocate more than the limit" exact. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ta_codecs.h"
#include "ta_crc32.h"

#ifdef TA_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif
#ifdef TA_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef TA_HAVE_ZSTD
#include <zstd.h>
#include <zstd_errors.h>
#endif
#ifdef TA_HAVE_SNAPPY
#include <snappy-c.h>
#endif
#ifdef TA_HAVE_LZMA
#include <lzma.h>
#endif
#ifdef TA_HAVE_BZ2
#include <bzlib.h>
#endif

#if defined(TA_HAVE_LIBDEFLATE) || defined(TA_HAVE_ZLIB)
#define TA_HAVE_DEFLATE 1
#endif

/* First output allocation of a streaming decoder whose output size is unknown: a few times
 * the input (typical Avro blocks compress 3-10x), at least 64 KiB, never beyond max_size. */
#define TA_MIN_GUESS ((size_t)64 * 1024)

/* Largest piece handed to libraries whose length fields are unsigned int (zlib, bzip2). */
#define TA_CHUNK ((size_t)1 << 30)

/* ------------------------------------------------------------------------------------- */
/* Buffers and contexts                                                                     */

void ta_outbuf_init(ta_outbuf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void ta_outbuf_free(ta_outbuf *b)
{
    free(b->data);
    ta_outbuf_init(b);
}

int ta_outbuf_reserve(ta_outbuf *b, size_t need, size_t limit, int keep)
{
    if (need <= b->cap) return TA_OK;
    if (need > limit) return TA_ERR_LIMIT;
    size_t cap = b->cap < SIZE_MAX / 2 ? b->cap * 2 : SIZE_MAX;
    if (cap < need) cap = need;
    if (cap > limit) cap = limit;
    uint8_t *p;
    if (keep && b->len > 0) {
        p = (uint8_t *)realloc(b->data, cap);
        if (p == NULL) return TA_ERR_NOMEM;
    } else {
        /* nothing to keep: free first so peak memory is the new buffer alone */
        free(b->data);
        b->data = NULL;
        b->cap = 0;
        b->len = 0;
        p = (uint8_t *)malloc(cap);
        if (p == NULL) return TA_ERR_NOMEM;
    }
    b->data = p;
    b->cap = cap;
    return TA_OK;
}

#if defined(__GNUC__) || defined(__clang__)
#define TA_MAYBE_UNUSED __attribute__((unused))
#else
#define TA_MAYBE_UNUSED
#endif

/* Grows a streaming decoder's buffer after it filled up: doubles, capped at max_size.
 * Returns TA_ERR_LIMIT when the buffer already holds max_size bytes (the caller then
 * switches to the one-byte probe). */
/* Output room a decoder may use: a reused buffer can be larger than this call's limit. */
TA_MAYBE_UNUSED static size_t ta_usable(const ta_outbuf *b, size_t max_size)
{
    return b->cap < max_size ? b->cap : max_size;
}

TA_MAYBE_UNUSED static int ta_grow(ta_outbuf *b, size_t max_size)
{
    if (b->cap >= max_size) return TA_ERR_LIMIT;
    return ta_outbuf_reserve(b, b->cap + 1, max_size, 1);
}

/* Initial allocation for an output of unknown size. */
TA_MAYBE_UNUSED static int ta_reserve_guess(ta_outbuf *b, size_t n, size_t max_size)
{
    size_t guess = n < SIZE_MAX / 4 ? n * 4 : SIZE_MAX;
    if (guess < TA_MIN_GUESS) guess = TA_MIN_GUESS;
    if (guess > max_size) guess = max_size;
    if (guess == 0 || b->cap >= guess) return TA_OK;
    return ta_outbuf_reserve(b, guess, max_size, 0);
}

void ta_codec_ctx_init(ta_codec_ctx *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
}

void ta_codec_ctx_free(ta_codec_ctx *ctx)
{
#ifdef TA_HAVE_LIBDEFLATE
    libdeflate_free_decompressor((struct libdeflate_decompressor *)ctx->deflate_d);
    libdeflate_free_compressor((struct libdeflate_compressor *)ctx->deflate_c);
#endif
#ifdef TA_HAVE_ZSTD
    ZSTD_freeDCtx((ZSTD_DCtx *)ctx->zstd_d);
    ZSTD_freeCCtx((ZSTD_CCtx *)ctx->zstd_c);
#endif
    ta_codec_ctx_init(ctx);
}

/* ------------------------------------------------------------------------------------- */
/* Feature queries                                                                          */

int ta_codec_available(int codec)
{
    switch (codec) {
    case TA_CODEC_NULL: return 1;
#ifdef TA_HAVE_DEFLATE
    case TA_CODEC_DEFLATE: return 1;
#endif
#ifdef TA_HAVE_ZLIB
    case TA_CODEC_DEFLATE_ZLIB: return 1;
#endif
#ifdef TA_HAVE_SNAPPY
    case TA_CODEC_SNAPPY: return 1;
#endif
#ifdef TA_HAVE_BZ2
    case TA_CODEC_BZIP2: return 1;
#endif
#ifdef TA_HAVE_LZMA
    case TA_CODEC_XZ: return 1;
#endif
#ifdef TA_HAVE_ZSTD
    case TA_CODEC_ZSTD: return 1;
#endif
    default: return 0;
    }
}

const char *ta_library_version(const char *lib)
{
#ifdef TA_HAVE_LIBDEFLATE
    if (strcmp(lib, "libdeflate") == 0) return LIBDEFLATE_VERSION_STRING;
#endif
#ifdef TA_HAVE_ZLIB
    if (strcmp(lib, "zlib") == 0) return zlibVersion();
#endif
#ifdef TA_HAVE_ZSTD
    if (strcmp(lib, "zstd") == 0) return ZSTD_versionString();
#endif
#ifdef TA_HAVE_SNAPPY
    /* snappy's C API has no version query (its version header is C++ only): the build
     * passes what pkg-config reported, if it was asked */
#ifdef TA_SNAPPY_VERSION
    if (strcmp(lib, "snappy") == 0) return TA_SNAPPY_VERSION;
#else
    if (strcmp(lib, "snappy") == 0) return "unknown";
#endif
#endif
#ifdef TA_HAVE_LZMA
    if (strcmp(lib, "lzma") == 0) return lzma_version_string();
#endif
#ifdef TA_HAVE_BZ2
    if (strcmp(lib, "bz2") == 0) {
        /* "1.0.8, 13-Jul-2019": keep the version number only */
        static char bz2_version[32];
        const char *v = BZ2_bzlibVersion();
        size_t i = 0;
        while (v[i] && v[i] != ',' && i + 1 < sizeof(bz2_version)) {
            bz2_version[i] = v[i];
            i++;
        }
        bz2_version[i] = 0;
        return bz2_version;
    }
#endif
    (void)lib;
    return NULL;
}

int ta_codec_levels(int codec, int *min_level, int *max_level, int *default_level)
{
    switch (codec) {
    case TA_CODEC_DEFLATE:
        *min_level = 0;
#ifdef TA_HAVE_LIBDEFLATE
        *max_level = 12;
#else
        *max_level = 9;
#endif
        *default_level = 6;
        return 1;
    case TA_CODEC_DEFLATE_ZLIB:
        *min_level = 0;
        *max_level = 9;
        *default_level = 6;
        return 1;
    case TA_CODEC_ZSTD:
        *min_level = 1;
        *max_level = 22;
        *default_level = 3;
        return 1;
    case TA_CODEC_XZ:
        *min_level = 0;
        *max_level = 9;
        *default_level = 6;
        return 1;
    case TA_CODEC_BZIP2:
        *min_level = 1;
        *max_level = 9;
        *default_level = 9;
        return 1;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------------------------- */
/* deflate (Avro specification, Required Codecs): raw RFC 1951, no zlib header or Adler-32                      */

#ifdef TA_HAVE_LIBDEFLATE
static int ta_deflate_decompress_libdeflate(ta_codec_ctx *ctx, const uint8_t *src, size_t n,
                                            size_t max_size, ta_outbuf *out,
                                            const char **detail)
{
    struct libdeflate_decompressor *d =
        ctx ? (struct libdeflate_decompressor *)ctx->deflate_d : NULL;
    if (d == NULL) {
        d = libdeflate_alloc_decompressor();
        if (d == NULL) return TA_ERR_NOMEM;
        if (ctx) ctx->deflate_d = d;
    }
    int rc = ta_reserve_guess(out, n, max_size);
    while (rc == TA_OK) {
        /* libdeflate decodes in one shot into a fixed buffer; when it runs out of space the
         * buffer was filled completely, so doubling it is backed by real output. Like
         * zlib.decompress(wbits=-15), bytes after the final deflate block are ignored. */
        uint8_t dummy;
        size_t got = 0;
        size_t avail = ta_usable(out, max_size); /* a reused buffer may exceed this call's limit */
        enum libdeflate_result r = libdeflate_deflate_decompress(
            d, src, n, avail ? out->data : &dummy, avail, &got);
        if (r == LIBDEFLATE_SUCCESS) {
            out->len = got;
            break;
        }
        if (r != LIBDEFLATE_INSUFFICIENT_SPACE) {
            *detail = "invalid or truncated deflate data";
            rc = TA_ERR_CODEC;
            break;
        }
        if (avail >= max_size) {
            rc = TA_ERR_LIMIT;
            break;
        }
        rc = ta_outbuf_reserve(out, out->cap + 1, max_size, 0);
    }
    if (ctx == NULL) libdeflate_free_decompressor(d);
    return rc;
}

static int ta_deflate_compress_libdeflate(ta_codec_ctx *ctx, int level, const uint8_t *src,
                                          size_t n, ta_outbuf *out, const char **detail)
{
    struct libdeflate_compressor *c = NULL;
    if (ctx && ctx->deflate_c && ctx->deflate_c_level == level)
        c = (struct libdeflate_compressor *)ctx->deflate_c;
    if (c == NULL) {
        c = libdeflate_alloc_compressor(level);
        if (c == NULL) return TA_ERR_NOMEM;
        if (ctx) {
            libdeflate_free_compressor((struct libdeflate_compressor *)ctx->deflate_c);
            ctx->deflate_c = c;
            ctx->deflate_c_level = level;
        }
    }
    size_t bound = libdeflate_deflate_compress_bound(c, n);
    int rc = ta_outbuf_reserve(out, bound, SIZE_MAX, 0);
    if (rc == TA_OK) {
        uint8_t dummy;
        size_t got = libdeflate_deflate_compress(c, n ? src : &dummy, n, out->data, out->cap);
        if (got == 0) {
            *detail = "libdeflate could not compress within its own bound";
            rc = TA_ERR_CODEC;
        } else {
            out->len = got;
        }
    }
    if (ctx == NULL) libdeflate_free_compressor(c);
    return rc;
}
#endif

#ifdef TA_HAVE_ZLIB
static int ta_deflate_decompress_zlib(const uint8_t *src, size_t n, size_t max_size,
                                      ta_outbuf *out, const char **detail)
{
    z_stream s;
    memset(&s, 0, sizeof(s));
    if (inflateInit2(&s, -15) != Z_OK) return TA_ERR_NOMEM;
    int rc = ta_reserve_guess(out, n, max_size);
    uint8_t probe;
    int probing = 0;
    size_t in_left = n;
    s.next_in = (Bytef *)src;
    while (rc == TA_OK) {
        if (s.avail_in == 0 && in_left > 0) {
            s.avail_in = (uInt)(in_left > TA_CHUNK ? TA_CHUNK : in_left);
            in_left -= s.avail_in;
        }
        if (!probing && out->len == ta_usable(out, max_size)) {
            rc = ta_grow(out, max_size);
            if (rc == TA_ERR_LIMIT) {
                rc = TA_OK;
                probing = 1;
            } else if (rc != TA_OK) {
                break;
            }
        }
        if (probing) {
            s.next_out = &probe;
            s.avail_out = 1;
        } else {
            size_t room = ta_usable(out, max_size) - out->len;
            s.next_out = out->data + out->len;
            s.avail_out = (uInt)(room > TA_CHUNK ? TA_CHUNK : room);
        }
        uInt before_out = s.avail_out;
        uInt before_in = s.avail_in;
        int z = inflate(&s, Z_NO_FLUSH);
        size_t produced = before_out - s.avail_out;
        if (probing && produced > 0) {
            rc = TA_ERR_LIMIT;
            break;
        }
        if (!probing) out->len += produced;
        if (z == Z_STREAM_END) break;  /* trailing bytes are ignored, as zlib.decompress does */
        if (z == Z_MEM_ERROR) {
            rc = TA_ERR_NOMEM;
        } else if (z == Z_DATA_ERROR || z == Z_NEED_DICT || z == Z_STREAM_ERROR) {
            *detail = s.msg ? s.msg : "invalid deflate data";
            rc = TA_ERR_CODEC;
        } else if (produced == 0 && s.avail_in == before_in) {
            /* no progress although input (or output room) was given: the input ended
             * before the final block (input is only empty here once all of it is used) */
            *detail = "truncated deflate data (no final block)";
            rc = TA_ERR_CODEC;
        }
    }
    inflateEnd(&s);
    return rc;
}

static int ta_deflate_compress_zlib(int level, const uint8_t *src, size_t n, ta_outbuf *out,
                                    const char **detail)
{
    z_stream s;
    memset(&s, 0, sizeof(s));
    /* windowBits -15: raw deflate (Avro specification, Required Codecs); memLevel 8 is zlib's default */
    if (deflateInit2(&s, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return TA_ERR_NOMEM;
    size_t bound = n <= (size_t)ULONG_MAX ? (size_t)deflateBound(&s, (uLong)n) : n + n / 8 + 64;
    int rc = ta_outbuf_reserve(out, bound, SIZE_MAX, 0);
    out->len = 0;
    size_t in_left = n;
    s.next_in = (Bytef *)src;
    while (rc == TA_OK) {
        if (s.avail_in == 0 && in_left > 0) {
            s.avail_in = (uInt)(in_left > TA_CHUNK ? TA_CHUNK : in_left);
            in_left -= s.avail_in;
        }
        if (out->len == out->cap) {
            rc = ta_outbuf_reserve(out, out->cap + 1, SIZE_MAX, 1);
            if (rc != TA_OK) break;
        }
        size_t room = out->cap - out->len;
        s.next_out = out->data + out->len;
        s.avail_out = (uInt)(room > TA_CHUNK ? TA_CHUNK : room);
        uInt before = s.avail_out;
        int z = deflate(&s, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
        out->len += before - s.avail_out;
        if (z == Z_STREAM_END) break;
        if (z != Z_OK && z != Z_BUF_ERROR) {
            *detail = s.msg ? s.msg : "zlib deflate failed";
            rc = TA_ERR_CODEC;
        }
    }
    deflateEnd(&s);
    return rc;
}
#endif

/* ------------------------------------------------------------------------------------- */
/* snappy (Avro specification, Optional Codecs): raw block + 4-byte big-endian CRC-32 of the uncompressed data  */

#ifdef TA_HAVE_SNAPPY
/* A snappy element producing the most output per input byte is a 3-byte copy of 64 bytes,
 * so an honest block never expands more than 64/3 times; a larger declared length cannot be
 * backed by the input and is rejected before anything is allocated. */
#define TA_SNAPPY_MAX_RATIO 22

static int ta_snappy_decompress(const uint8_t *src, size_t n, size_t max_size, ta_outbuf *out,
                                const char **detail)
{
    if (n < 4) {
        *detail = "snappy block shorter than its 4-byte CRC-32";
        return TA_ERR_CODEC;
    }
    size_t body = n - 4;
    size_t ulen = 0;
    if (snappy_uncompressed_length((const char *)src, body, &ulen) != SNAPPY_OK) {
        *detail = "invalid snappy length header";
        return TA_ERR_CODEC;
    }
    if (ulen / TA_SNAPPY_MAX_RATIO > body) {
        *detail = "snappy length header larger than the block can hold";
        return TA_ERR_CODEC;
    }
    if (ulen > max_size) return TA_ERR_LIMIT;
    int rc = ta_outbuf_reserve(out, ulen, max_size, 0);
    if (rc != TA_OK) return rc;
    char dummy;
    size_t got = ulen;
    if (snappy_uncompress((const char *)src, body, ulen ? (char *)out->data : &dummy, &got) !=
            SNAPPY_OK ||
        got != ulen) {
        *detail = "invalid snappy data";
        return TA_ERR_CODEC;
    }
    out->len = ulen;
    const uint8_t *c = src + body;
    uint32_t stored = ((uint32_t)c[0] << 24) | ((uint32_t)c[1] << 16) | ((uint32_t)c[2] << 8) |
                      (uint32_t)c[3];
    if (ta_crc32(0, out->data, ulen) != stored) {
        *detail = "snappy CRC-32 of the uncompressed data does not match";
        return TA_ERR_CHECKSUM;
    }
    return TA_OK;
}

static int ta_snappy_compress(const uint8_t *src, size_t n, ta_outbuf *out, const char **detail)
{
    size_t bound = snappy_max_compressed_length(n);
    int rc = ta_outbuf_reserve(out, bound + 4, SIZE_MAX, 0);
    if (rc != TA_OK) return rc;
    size_t got = bound;
    char dummy = 0;
    if (snappy_compress(n ? (const char *)src : &dummy, n, (char *)out->data, &got) !=
        SNAPPY_OK) {
        *detail = "snappy compression failed";
        return TA_ERR_CODEC;
    }
    uint32_t crc = ta_crc32(0, src, n);
    uint8_t *c = out->data + got;
    c[0] = (uint8_t)(crc >> 24);
    c[1] = (uint8_t)(crc >> 16);
    c[2] = (uint8_t)(crc >> 8);
    c[3] = (uint8_t)crc;
    out->len = got + 4;
    return TA_OK;
}
#endif

/* ------------------------------------------------------------------------------------- */
/* bzip2 (Avro specification, Optional Codecs): complete streams; like Python's bz2.decompress, several       */
/* concatenated streams are decoded and bytes after the last stream that do not start      */
/* another one are ignored.                                                                */

#ifdef TA_HAVE_BZ2
static int ta_bz2_decompress(const uint8_t *src, size_t n, size_t max_size, ta_outbuf *out,
                             const char **detail)
{
    if (n == 0) {
        *detail = "empty bzip2 block";
        return TA_ERR_CODEC;
    }
    int rc = ta_reserve_guess(out, n, max_size);
    uint8_t probe;
    int probing = 0;
    size_t pos = 0;
    while (rc == TA_OK) {
        bz_stream s;
        memset(&s, 0, sizeof(s));
        if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK) return TA_ERR_NOMEM;
        int ended = 0;
        while (rc == TA_OK) {
            size_t in_left = n - pos;
            s.next_in = (char *)(src + pos);
            s.avail_in = (unsigned)(in_left > TA_CHUNK ? TA_CHUNK : in_left);
            if (!probing && out->len == ta_usable(out, max_size)) {
                rc = ta_grow(out, max_size);
                if (rc == TA_ERR_LIMIT) {
                    rc = TA_OK;
                    probing = 1;
                } else if (rc != TA_OK) {
                    break;
                }
            }
            if (probing) {
                s.next_out = (char *)&probe;
                s.avail_out = 1;
            } else {
                size_t room = ta_usable(out, max_size) - out->len;
                s.next_out = (char *)(out->data + out->len);
                s.avail_out = (unsigned)(room > TA_CHUNK ? TA_CHUNK : room);
            }
            unsigned before_out = s.avail_out, before_in = s.avail_in;
            int z = BZ2_bzDecompress(&s);
            size_t produced = before_out - s.avail_out;
            pos += before_in - s.avail_in;
            if (probing && produced > 0) {
                rc = TA_ERR_LIMIT;
                break;
            }
            if (!probing) out->len += produced;
            if (z == BZ_STREAM_END) {
                ended = 1;
                break;
            }
            if (z == BZ_MEM_ERROR) {
                rc = TA_ERR_NOMEM;
            } else if (z != BZ_OK) {
                *detail = z == BZ_DATA_ERROR_MAGIC ? "not a bzip2 stream (bad magic)"
                                                   : "invalid bzip2 data";
                rc = TA_ERR_CODEC;
            } else if (produced == 0 && before_in == s.avail_in) {
                *detail = "truncated bzip2 stream";
                rc = TA_ERR_CODEC;
            }
        }
        BZ2_bzDecompressEnd(&s);
        if (rc != TA_OK || !ended) break;
        if (n - pos < 3 || memcmp(src + pos, "BZh", 3) != 0) break;
    }
    return rc;
}

static int ta_bz2_compress(int level, const uint8_t *src, size_t n, ta_outbuf *out,
                           const char **detail)
{
    bz_stream s;
    memset(&s, 0, sizeof(s));
    if (BZ2_bzCompressInit(&s, level, 0, 0) != BZ_OK) return TA_ERR_NOMEM;
    /* bzlib's documented worst case: 1% larger plus 600 bytes */
    int rc = ta_outbuf_reserve(out, n + n / 100 + 600, SIZE_MAX, 0);
    out->len = 0;
    size_t pos = 0;
    while (rc == TA_OK) {
        size_t in_left = n - pos;
        s.next_in = (char *)(src + pos);
        s.avail_in = (unsigned)(in_left > TA_CHUNK ? TA_CHUNK : in_left);
        if (out->len == out->cap) {
            rc = ta_outbuf_reserve(out, out->cap + 1, SIZE_MAX, 1);
            if (rc != TA_OK) break;
        }
        size_t room = out->cap - out->len;
        s.next_out = (char *)(out->data + out->len);
        s.avail_out = (unsigned)(room > TA_CHUNK ? TA_CHUNK : room);
        unsigned before_out = s.avail_out, before_in = s.avail_in;
        int last = in_left <= TA_CHUNK;
        int z = BZ2_bzCompress(&s, last ? BZ_FINISH : BZ_RUN);
        out->len += before_out - s.avail_out;
        pos += before_in - s.avail_in;
        if (z == BZ_STREAM_END) break;
        if (z != BZ_RUN_OK && z != BZ_FINISH_OK) {
            *detail = "bzip2 compression failed";
            rc = TA_ERR_CODEC;
        }
    }
    BZ2_bzCompressEnd(&s);
    return rc;
}
#endif

/* ------------------------------------------------------------------------------------- */
/* xz (Avro specification, Optional Codecs): complete .xz streams, concatenation and trailing bytes as bzip2   */

#ifdef TA_HAVE_LZMA
/* Decoder memory cap: enough for every xz preset (9 needs 65 MiB), yet a tiny stream that
 * declares a huge dictionary cannot make us allocate gigabytes. */
#define TA_XZ_MEMLIMIT ((uint64_t)128 << 20)

static const uint8_t ta_xz_magic[6] = {0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00};

static int ta_xz_decompress(const uint8_t *src, size_t n, size_t max_size, ta_outbuf *out,
                            const char **detail)
{
    int rc = ta_reserve_guess(out, n, max_size);
    uint8_t probe;
    int probing = 0;
    size_t pos = 0;
    while (rc == TA_OK) {
        lzma_stream s = LZMA_STREAM_INIT;
        lzma_ret z = lzma_stream_decoder(&s, TA_XZ_MEMLIMIT, 0);
        if (z != LZMA_OK) return z == LZMA_MEM_ERROR ? TA_ERR_NOMEM : TA_ERR_CODEC;
        s.next_in = src + pos;
        s.avail_in = n - pos;
        int ended = 0;
        while (rc == TA_OK) {
            if (!probing && out->len == ta_usable(out, max_size)) {
                rc = ta_grow(out, max_size);
                if (rc == TA_ERR_LIMIT) {
                    rc = TA_OK;
                    probing = 1;
                } else if (rc != TA_OK) {
                    break;
                }
            }
            if (probing) {
                s.next_out = &probe;
                s.avail_out = 1;
            } else {
                s.next_out = out->data + out->len;
                s.avail_out = ta_usable(out, max_size) - out->len;
            }
            size_t before_out = s.avail_out;
            /* all input is present: LZMA_FINISH lets liblzma report truncation */
            z = lzma_code(&s, LZMA_FINISH);
            size_t produced = before_out - s.avail_out;
            if (probing && produced > 0) {
                rc = TA_ERR_LIMIT;
                break;
            }
            if (!probing) out->len += produced;
            if (z == LZMA_STREAM_END) {
                ended = 1;
                break;
            }
            if (z == LZMA_OK) continue;
            if (z == LZMA_MEM_ERROR) {
                rc = TA_ERR_NOMEM;
            } else if (z == LZMA_MEMLIMIT_ERROR) {
                *detail = "xz stream needs more decoder memory than allowed (128 MiB)";
                rc = TA_ERR_LIMIT;
            } else if (z == LZMA_BUF_ERROR) {
                /* no progress although output space was given: the input ended early */
                *detail = "truncated xz stream";
                rc = TA_ERR_CODEC;
            } else {
                *detail = z == LZMA_FORMAT_ERROR    ? "not an xz stream (bad magic)"
                          : z == LZMA_OPTIONS_ERROR ? "unsupported xz options"
                                                    : "invalid xz data (or check mismatch)";
                rc = TA_ERR_CODEC;
            }
        }
        pos = n - s.avail_in;
        lzma_end(&s);
        if (rc != TA_OK || !ended) break;
        /* stream padding (zero bytes) may separate concatenated streams */
        while (pos < n && src[pos] == 0) pos++;
        if (n - pos < sizeof(ta_xz_magic) || memcmp(src + pos, ta_xz_magic, 6) != 0) break;
    }
    return rc;
}

static int ta_xz_compress(int level, const uint8_t *src, size_t n, ta_outbuf *out,
                          const char **detail)
{
    int rc = ta_outbuf_reserve(out, lzma_stream_buffer_bound(n), SIZE_MAX, 0);
    if (rc != TA_OK) return rc;
    size_t got = 0;
    uint8_t dummy = 0;
    /* The preset's settings, with the dictionary no larger than the block (never below
     * liblzma's 4 KiB minimum): a window past the end of the input finds no other match, so
     * the compressed data is the same, while initialising the preset's 8 MiB dictionary
     * (preset 6) costs about as much as compressing a 16,000-byte block (fastavro's blocks):
     * measured 853 -> 432 ms CPU for 225 such blocks, same output size. Readers also allocate
     * only that window. The Python fallback (codecs.py, _LzmaCodec) applies the same rule. */
    lzma_options_lzma opt;
    if (lzma_lzma_preset(&opt, (uint32_t)level)) {
        *detail = "xz compression failed (unsupported preset)";
        return TA_ERR_CODEC;
    }
    if (opt.dict_size > n) opt.dict_size = n > LZMA_DICT_SIZE_MIN ? (uint32_t)n : LZMA_DICT_SIZE_MIN;
    lzma_filter filters[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
    /* CRC-64 integrity check: the default of Java's XZCodec and Python's lzma module */
    lzma_ret z = lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC64, NULL,
                                           n ? src : &dummy, n, out->data, &got, out->cap);
    if (z == LZMA_MEM_ERROR) return TA_ERR_NOMEM;
    if (z != LZMA_OK) {
        *detail = "xz compression failed";
        return TA_ERR_CODEC;
    }
    out->len = got;
    return TA_OK;
}
#endif

/* ------------------------------------------------------------------------------------- */
/* zstandard (Avro specification, Optional Codecs): one or more frames; Java streams them without a content    */
/* size, so frames without one are decoded by streaming.                                   */

#ifdef TA_HAVE_ZSTD
/* The streaming decoder allocates the window the frame asks for (Java streams frames without
 * a content size, so the window cannot be clamped to the output). zstd's own default limit,
 * 2^27 = 128 MiB (ZSTD_WINDOWLOG_LIMIT_DEFAULT, experimental API), is set explicitly: every
 * standard level fits it, and it caps decoder memory like the xz decoder's 128 MiB. */
#define TA_ZSTD_WINDOWLOG_LIMIT 27

/* Sum of the content sizes of all frames in src, ZSTD_CONTENTSIZE_UNKNOWN when a frame does
 * not declare one, ZSTD_CONTENTSIZE_ERROR when the frames are malformed. (zstd's own
 * ZSTD_findDecompressedSize is experimental API, so this walks the frames with stable calls.) */
static unsigned long long ta_zstd_total_size(const uint8_t *src, size_t n)
{
    unsigned long long total = 0;
    size_t pos = 0;
    while (pos < n) {
        unsigned long long size;
        uint32_t magic = 0;
        if (n - pos >= 4)
            magic = (uint32_t)src[pos] | ((uint32_t)src[pos + 1] << 8) |
                    ((uint32_t)src[pos + 2] << 16) | ((uint32_t)src[pos + 3] << 24);
        if ((magic & 0xFFFFFFF0u) == 0x184D2A50u) {
            size = 0; /* skippable frame: no content */
        } else {
            size = ZSTD_getFrameContentSize(src + pos, n - pos);
            if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) return size;
        }
        size_t fsize = ZSTD_findFrameCompressedSize(src + pos, n - pos);
        if (ZSTD_isError(fsize) || fsize == 0) return ZSTD_CONTENTSIZE_ERROR;
        if (size > ZSTD_CONTENTSIZE_ERROR - 1 - total) return ZSTD_CONTENTSIZE_ERROR;
        total += size;
        pos += fsize;
    }
    return total;
}

static int ta_zstd_decompress(ta_codec_ctx *ctx, const uint8_t *src, size_t n, size_t max_size,
                              ta_outbuf *out, const char **detail)
{
    ZSTD_DCtx *d = ctx ? (ZSTD_DCtx *)ctx->zstd_d : NULL;
    if (d == NULL) {
        d = ZSTD_createDCtx();
        if (d == NULL) return TA_ERR_NOMEM;
        if (ctx) ctx->zstd_d = d;
    }
    int rc = TA_OK;
    ZSTD_DCtx_reset(d, ZSTD_reset_session_and_parameters);
    if (n == 0) {
        *detail = "empty zstandard block";
        rc = TA_ERR_CODEC;
        goto done;
    }
    unsigned long long total = ta_zstd_total_size(src, n);
    if (total == ZSTD_CONTENTSIZE_ERROR) {
        *detail = "invalid zstandard frame";
        rc = TA_ERR_CODEC;
        goto done;
    }
    if (total != ZSTD_CONTENTSIZE_UNKNOWN) {
        /* Every frame declares its size: decode in one shot into an exact buffer. A
         * declared size over the limit fails at once, before any allocation. */
        if (total > (unsigned long long)max_size) {
            rc = TA_ERR_LIMIT;
            goto done;
        }
        rc = ta_outbuf_reserve(out, (size_t)total, max_size, 0);
        if (rc != TA_OK) goto done;
        uint8_t dummy;
        size_t got = ZSTD_decompressDCtx(d, total ? out->data : &dummy, (size_t)total, src, n);
        if (ZSTD_isError(got)) {
            *detail = ZSTD_getErrorName(got);
            rc = TA_ERR_CODEC;
        } else if (got != total) {
            *detail = "zstandard frames shorter than their declared content size";
            rc = TA_ERR_CODEC;
        } else {
            out->len = got;
        }
        goto done;
    }
    ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, TA_ZSTD_WINDOWLOG_LIMIT);
    rc = ta_reserve_guess(out, n, max_size);
    ZSTD_inBuffer in = {src, n, 0};
    uint8_t probe;
    int probing = 0;
    size_t hint = 1;
    while (rc == TA_OK) {
        if (!probing && out->len == ta_usable(out, max_size)) {
            rc = ta_grow(out, max_size);
            if (rc == TA_ERR_LIMIT) {
                rc = TA_OK;
                probing = 1;
            } else if (rc != TA_OK) {
                break;
            }
        }
        ZSTD_outBuffer ob;
        if (probing) {
            ob.dst = &probe;
            ob.size = 1;
        } else {
            ob.dst = out->data + out->len;
            ob.size = ta_usable(out, max_size) - out->len;
        }
        ob.pos = 0;
        size_t in_before = in.pos;
        hint = ZSTD_decompressStream(d, &ob, &in);
        if (ZSTD_isError(hint)) {
            *detail = ZSTD_getErrorCode(hint) == ZSTD_error_frameParameter_windowTooLarge
                          ? "frame window larger than 128 MiB"
                          : ZSTD_getErrorName(hint);
            rc = TA_ERR_CODEC;
            break;
        }
        if (probing && ob.pos > 0) {
            rc = TA_ERR_LIMIT;
            break;
        }
        if (!probing) out->len += ob.pos;
        /* hint == 0: a frame is complete and fully flushed; stop when input is used up */
        if (in.pos == in.size && hint == 0) break;
        if (ob.pos == 0 && in.pos == in_before) {  /* no progress: input ended early */
            *detail = "truncated zstandard frame";
            rc = TA_ERR_CODEC;
        }
    }
done:
    if (ctx == NULL) ZSTD_freeDCtx(d);
    return rc;
}

static int ta_zstd_compress(ta_codec_ctx *ctx, int level, const uint8_t *src, size_t n,
                            ta_outbuf *out, const char **detail)
{
    ZSTD_CCtx *c = ctx ? (ZSTD_CCtx *)ctx->zstd_c : NULL;
    if (c == NULL) {
        c = ZSTD_createCCtx();
        if (c == NULL) return TA_ERR_NOMEM;
        if (ctx) ctx->zstd_c = c;
    }
    int rc = ta_outbuf_reserve(out, ZSTD_compressBound(n), SIZE_MAX, 0);
    if (rc == TA_OK) {
        uint8_t dummy = 0;
        /* one frame with its content size, readable by every zstd decoder */
        size_t got = ZSTD_compressCCtx(c, out->data, out->cap, n ? src : &dummy, n, level);
        if (ZSTD_isError(got)) {
            *detail = ZSTD_getErrorName(got);
            rc = TA_ERR_CODEC;
        } else {
            out->len = got;
        }
    }
    if (ctx == NULL) ZSTD_freeCCtx(c);
    return rc;
}
#endif

/* ------------------------------------------------------------------------------------- */
/* Dispatch                                                                                 */

int ta_compress(int codec, int level, ta_codec_ctx *ctx, const uint8_t *src, size_t n,
                ta_outbuf *out, const char **detail)
{
    int lo, hi, def;
    *detail = NULL;
    out->len = 0;
    if (ta_codec_levels(codec, &lo, &hi, &def) && (level < lo || level > hi)) {
        *detail = "compression level out of range";
        return TA_ERR_CODEC;
    }
    (void)ctx;
    switch (codec) {
    case TA_CODEC_NULL: {
        int rc = ta_outbuf_reserve(out, n, SIZE_MAX, 0);
        if (rc != TA_OK) return rc;
        if (n) memcpy(out->data, src, n);
        out->len = n;
        return TA_OK;
    }
#if defined(TA_HAVE_LIBDEFLATE)
    case TA_CODEC_DEFLATE: return ta_deflate_compress_libdeflate(ctx, level, src, n, out, detail);
#elif defined(TA_HAVE_ZLIB)
    case TA_CODEC_DEFLATE: return ta_deflate_compress_zlib(level, src, n, out, detail);
#endif
#ifdef TA_HAVE_ZLIB
    case TA_CODEC_DEFLATE_ZLIB: return ta_deflate_compress_zlib(level, src, n, out, detail);
#endif
#ifdef TA_HAVE_SNAPPY
    case TA_CODEC_SNAPPY: return ta_snappy_compress(src, n, out, detail);
#endif
#ifdef TA_HAVE_BZ2
    case TA_CODEC_BZIP2: return ta_bz2_compress(level, src, n, out, detail);
#endif
#ifdef TA_HAVE_LZMA
    case TA_CODEC_XZ: return ta_xz_compress(level, src, n, out, detail);
#endif
#ifdef TA_HAVE_ZSTD
    case TA_CODEC_ZSTD: return ta_zstd_compress(ctx, level, src, n, out, detail);
#endif
    default:
        *detail = "codec not compiled in";
        return TA_ERR_CODEC;
    }
}

static size_t ta_expansion_ratio = 0;

void ta_set_expansion_ratio(size_t ratio)
{
    ta_expansion_ratio = ratio;
}

size_t ta_expansion_cap(size_t n, size_t max_size)
{
    size_t ratio = ta_expansion_ratio;
    if (ratio == 0 || n > max_size / ratio) return max_size;
    size_t cap = n * ratio;
    if (cap < TA_EXPANSION_FLOOR) cap = TA_EXPANSION_FLOOR;
    return cap < max_size ? cap : max_size;
}

int ta_decompress(int codec, ta_codec_ctx *ctx, const uint8_t *src, size_t n, size_t max_size,
                  ta_outbuf *out, const char **detail)
{
    *detail = NULL;
    out->len = 0;
    (void)ctx;
    if (codec != TA_CODEC_NULL) max_size = ta_expansion_cap(n, max_size);
    switch (codec) {
    case TA_CODEC_NULL: {
        if (n > max_size) return TA_ERR_LIMIT;
        int rc = ta_outbuf_reserve(out, n, max_size, 0);
        if (rc != TA_OK) return rc;
        if (n) memcpy(out->data, src, n);
        out->len = n;
        return TA_OK;
    }
#if defined(TA_HAVE_LIBDEFLATE)
    case TA_CODEC_DEFLATE:
        return ta_deflate_decompress_libdeflate(ctx, src, n, max_size, out, detail);
#elif defined(TA_HAVE_ZLIB)
    case TA_CODEC_DEFLATE: return ta_deflate_decompress_zlib(src, n, max_size, out, detail);
#endif
#ifdef TA_HAVE_ZLIB
    case TA_CODEC_DEFLATE_ZLIB:
        return ta_deflate_decompress_zlib(src, n, max_size, out, detail);
#endif
#ifdef TA_HAVE_SNAPPY
    case TA_CODEC_SNAPPY: return ta_snappy_decompress(src, n, max_size, out, detail);
#endif
#ifdef TA_HAVE_BZ2
    case TA_CODEC_BZIP2: return ta_bz2_decompress(src, n, max_size, out, detail);
#endif
#ifdef TA_HAVE_LZMA
    case TA_CODEC_XZ: return ta_xz_decompress(src, n, max_size, out, detail);
#endif
#ifdef TA_HAVE_ZSTD
    case TA_CODEC_ZSTD: return ta_zstd_decompress(ctx, src, n, max_size, out, detail);
#endif
    default:
        *detail = "codec not compiled in";
        return TA_ERR_CODEC;
    }
}
