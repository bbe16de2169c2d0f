# Block codecs (Avro specification, Required Codecs and Optional Codecs) over native/ta_codecs.h. Other kernels (the columnar reader, which
# decompresses blocks on worker threads) cimport this: block_decompress is exported through
# the module's C-API, so they need not link the compression libraries themselves.
from libc.stdint cimport int64_t, uint8_t, uint32_t

cdef extern from "ta_codecs.h" nogil:
    int TA_CODEC_NULL
    int TA_CODEC_DEFLATE
    int TA_CODEC_SNAPPY
    int TA_CODEC_BZIP2
    int TA_CODEC_XZ
    int TA_CODEC_ZSTD
    int TA_CODEC_COUNT
    int TA_CODEC_DEFLATE_ZLIB     # internal: deflate through zlib even with libdeflate present

    ctypedef struct ta_outbuf:
        uint8_t *data             # malloc'd output; NULL iff cap == 0
        size_t len                # bytes produced by the last call; len <= cap
        size_t cap                # bytes allocated

    ctypedef struct ta_codec_ctx:
        void *deflate_d           # libdeflate decompressor, created lazily
        void *deflate_c           # libdeflate compressor at deflate_c_level
        int deflate_c_level
        void *zstd_d              # ZSTD_DCtx
        void *zstd_c              # ZSTD_CCtx

    void ta_outbuf_init(ta_outbuf *b)
    void ta_outbuf_free(ta_outbuf *b)
    void ta_codec_ctx_init(ta_codec_ctx *ctx)
    void ta_codec_ctx_free(ta_codec_ctx *ctx)
    int ta_codec_available(int codec)                     # 1 if compiled in
    const char *ta_library_version(const char *lib)       # runtime version, NULL if absent
    int ta_codec_levels(int codec, int *lo, int *hi, int *default_level)  # 0: no levels
    # Both write into out (out.len set), ctx may be NULL, detail gets a static message.
    int ta_compress(int codec, int level, ta_codec_ctx *ctx, const uint8_t *src, size_t n,
                    ta_outbuf *out, const char **detail)
    void ta_set_expansion_ratio(size_t ratio)
    size_t ta_expansion_cap(size_t n, size_t max_size)
    int ta_decompress(int codec, ta_codec_ctx *ctx, const uint8_t *src, size_t n,
                      size_t max_size, ta_outbuf *out, const char **detail)

cdef extern from "ta_crc32.h" nogil:
    uint32_t ta_crc32(uint32_t crc, const uint8_t *data, size_t len)          # best available
    uint32_t ta_crc32_builtin(uint32_t crc, const uint8_t *data, size_t len)  # slice-by-8
    void ta_crc32_init()
    const char *ta_crc32_impl()


cdef class BlockBuffer:
    # A reusable decompression target plus the library contexts, for reading block after
    # block without reallocating. Exposes the last block's bytes through the buffer protocol.
    cdef ta_outbuf buf            # output of the last call; buf.len bytes are valid
    cdef ta_codec_ctx ctx         # zstd/libdeflate states reused across blocks
    cdef Py_ssize_t exports       # live buffer exports; buf must not move while > 0
    cdef bint busy                # a call is running with the GIL released on this buffer
    cdef Py_ssize_t shape[1]      # backing store for Py_buffer.shape

    # Marks the buffer busy; BufferError if views of it are alive or another thread uses it.
    cdef int _claim(self) except -1
    # Decompresses into buf; raises CodecError/MemoryError/BufferError. The GIL is released
    # while the codec runs.
    cdef int decompress_into(self, int codec, const uint8_t *src, size_t n,
                             size_t max_size) except -1


# Exported to other kernels (through the module's C-API, so they need not link the codec
# libraries; the ta_* externs above are only linked into _blocks itself):
# The raw kernel for nogil callers: same contract as ta_decompress (status code, no exception).
cdef int block_decompress(int codec, ta_codec_ctx *ctx, const uint8_t *src, size_t n,
                          size_t max_size, ta_outbuf *out, const char **detail) noexcept nogil

# An idle BlockBuffer from a small pool (a new one when none is idle), and giving it back
# (its buffer freed if large; contexts of zstd levels over 9 freed): for calls that decompress
# many blocks with the same contexts. Call both with the GIL held.
cdef BlockBuffer block_borrow()
cdef void block_give_back(BlockBuffer b, int codec, int level)

# Reads n bytes of fd at offset into dst (short reads and EINTR retried); *got: bytes read,
# fewer only at the end of the file. Returns 0 or the errno of a failed read.
cdef int block_pread(int fd, uint8_t *dst, size_t n, int64_t offset, size_t *got) noexcept nogil

# Raises the exception for a non-zero status of block_decompress/ta_compress.
cdef int raise_codec_error(int codec, int rc, const char *detail, size_t max_size,
                           const uint8_t *src, size_t n, ta_outbuf *out) except -1
