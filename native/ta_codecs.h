/* Avro block codecs (Avro specification, Required Codecs and Optional Codecs) over the native compression libraries.
 *
 * Each codec is compiled in only when its library was found at build time (TA_HAVE_LIBDEFLATE
 * or TA_HAVE_ZLIB for deflate, TA_HAVE_ZSTD, TA_HAVE_SNAPPY, TA_HAVE_LZMA, TA_HAVE_BZ2);
 * ta_codec_available() says which. Plain C99, no Python.h.
 *
 * Decompression writes into a caller-owned growable buffer (ta_outbuf) and honours a
 * max_size limit: it stops with TA_ERR_LIMIT as soon as the output would exceed max_size and
 * never allocates more than max_size bytes of output, so a decompression bomb costs at most
 * the limit. Allocations grow only as output is actually produced (or as a declared size,
 * already checked against the limit and what the input can back, asks for). */
#ifndef TA_CODECS_H
#define TA_CODECS_H

#include "ta_common.h"

/* Codec ids (the Avro names: Avro specification, Required Codecs and Optional Codecs). */
#define TA_CODEC_NULL 0
#define TA_CODEC_DEFLATE 1
#define TA_CODEC_SNAPPY 2
#define TA_CODEC_BZIP2 3
#define TA_CODEC_XZ 4
#define TA_CODEC_ZSTD 5
#define TA_CODEC_COUNT 6
/* Internal: deflate through zlib even when libdeflate is compiled in, so the zlib path is
 * tested and benchmarked on every build that has both. */
#define TA_CODEC_DEFLATE_ZLIB 6

/* A growable output buffer. Invariant: len <= cap; data is NULL iff cap == 0.
 * Owned by the caller; freed with ta_outbuf_free. */
typedef struct ta_outbuf {
    uint8_t *data;
    size_t len;
    size_t cap;
} ta_outbuf;

void ta_outbuf_init(ta_outbuf *b);
void ta_outbuf_free(ta_outbuf *b);
/* Ensures cap >= need without exceeding limit (TA_ERR_LIMIT if need > limit). Grows
 * geometrically (capped at limit); keep != 0 preserves the first len bytes. */
int ta_outbuf_reserve(ta_outbuf *b, size_t need, size_t limit, int keep);

/* Library states reused from block to block (creating a zstd or libdeflate context costs
 * more than decompressing a small block). All members are created lazily; an all-NULL
 * context is valid. A context is used by one thread at a time. */
typedef struct ta_codec_ctx {
    void *deflate_d;  /* struct libdeflate_decompressor * */
    void *deflate_c;  /* struct libdeflate_compressor * at level deflate_c_level */
    int deflate_c_level;
    void *zstd_d;     /* ZSTD_DCtx * */
    void *zstd_c;     /* ZSTD_CCtx * */
} ta_codec_ctx;

void ta_codec_ctx_init(ta_codec_ctx *ctx);
void ta_codec_ctx_free(ta_codec_ctx *ctx);

/* 1 if the codec was compiled in (null always is). */
int ta_codec_available(int codec);

/* Implementation name and runtime version of each native library, e.g. "1.5.4", or NULL when
 * it was not compiled in. lib is one of "libdeflate" "zlib" "zstd" "snappy" "lzma" "bz2". */
const char *ta_library_version(const char *lib);

/* Compression level range and default of a codec (Avro specification, Required Codecs and Optional Codecs; defaults match Java's Avro:
 * deflate 6 (zlib's default, libdeflate's "medium"), zstd 3, xz 6, bzip2 9). Returns 0 when
 * the codec has no levels (null, snappy). */
int ta_codec_levels(int codec, int *min_level, int *max_level, int *default_level);

/* Compresses src[0:n] into out (out->len is set; previous contents are discarded).
 * ctx may be NULL. *detail receives a static description of a failure (or NULL). */
int ta_compress(int codec, int level, ta_codec_ctx *ctx, const uint8_t *src, size_t n,
                ta_outbuf *out, const char **detail);

/* Decompresses one Avro block src[0:n] into out (out->len is set; previous contents are
 * discarded, out's memory is reused). Fails with TA_ERR_LIMIT when the output would exceed
 * max_size, TA_ERR_CODEC on corrupt or truncated data, TA_ERR_CHECKSUM on a snappy CRC
 * mismatch, TA_ERR_NOMEM when allocation fails. ctx may be NULL. */
int ta_decompress(int codec, ta_codec_ctx *ctx, const uint8_t *src, size_t n, size_t max_size,
                  ta_outbuf *out, const char **detail);

/* The expansion bound (turboavro.limits.max_expansion_ratio): a compressed block of n bytes
 * decompresses to at most max(TA_EXPANSION_FLOOR, n * ratio) bytes, so a few hundred bytes of
 * bzip2 cannot make the decoder produce (and spend a second on) hundreds of MiB. ratio 0:
 * no bound. ta_expansion_cap gives the output limit for n input bytes under max_size. */
#define TA_EXPANSION_FLOOR ((size_t)16 << 20)
void ta_set_expansion_ratio(size_t ratio);
size_t ta_expansion_cap(size_t n, size_t max_size);

#endif
