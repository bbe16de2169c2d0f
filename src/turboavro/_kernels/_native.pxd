# Declarations of the plain-C kernels in native/ shared by every compiled module.
# The cursor is the only way kernels read bytes (one cursor reads bytes: its checks are the only bounds checks).
from libc.stdint cimport uint8_t, int32_t, int64_t, uint32_t, uint64_t

cdef extern from "ta_common.h" nogil:
    int TA_OK
    int TA_ERR_TRUNCATED      # input ended inside a value
    int TA_ERR_OVERLONG       # varint longer than 10 bytes (5 for int)
    int TA_ERR_OVERFLOW       # varint value does not fit its type
    int TA_ERR_NEGATIVE       # negative length
    int TA_ERR_TOO_LARGE      # declared length beyond what the input can back
    int TA_ERR_CODEC          # compressed data is corrupt
    int TA_ERR_CHECKSUM       # checksum mismatch
    int TA_ERR_NOMEM          # allocation failed
    int TA_ERR_LIMIT          # output would exceed the configured limit

    ctypedef struct ta_cursor:
        const uint8_t *pos    # next byte to read; start <= pos <= end
        const uint8_t *start  # first byte of the buffer (offsets are pos - start)
        const uint8_t *end    # one past the last readable byte

cdef extern from "ta_varint.h" nogil:
    int ta_read_long(ta_cursor *c, int64_t *out)      # zig-zag varint, <= 10 bytes
    int ta_read_int(ta_cursor *c, int32_t *out)       # zig-zag varint, <= 5 bytes, fits 32 bits
    int ta_skip_long(ta_cursor *c)
    int ta_write_long(uint8_t *out, int64_t v)        # returns bytes written (<= 10)
    int ta_read_fixed(ta_cursor *c, void *dst, size_t n)
    int ta_skip_fixed(ta_cursor *c, size_t n)
    int ta_read_float(ta_cursor *c, float *out)
    int ta_read_double(ta_cursor *c, double *out)
    int ta_read_length(ta_cursor *c, size_t *out)     # non-negative, backed by the input
    uint32_t ta_le32(uint32_t v)
    uint64_t ta_le64(uint64_t v)

cdef extern from "ta_crc64.h" nogil:
    uint64_t TA_CRC64_EMPTY
    uint64_t ta_crc64_avro(uint64_t fp, const uint8_t *data, size_t len)
