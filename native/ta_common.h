/* Shared status codes and the byte cursor used by every turboavro kernel.
 * Plain C99, no Python.h: each kernel can be used from a plain C test. */
#ifndef TA_COMMON_H
#define TA_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Status codes returned by kernels; Cython turns them into exceptions in one place. */
#define TA_OK 0
#define TA_ERR_TRUNCATED (-1)   /* input ended inside a value */
#define TA_ERR_OVERLONG (-2)    /* varint longer than 10 bytes (5 for int) */
#define TA_ERR_OVERFLOW (-3)    /* varint value does not fit its type */
#define TA_ERR_NEGATIVE (-4)    /* negative length */
#define TA_ERR_TOO_LARGE (-5)   /* declared length beyond what the input can back */
#define TA_ERR_CODEC (-6)       /* compressed data is corrupt */
#define TA_ERR_CHECKSUM (-7)    /* checksum mismatch */
#define TA_ERR_NOMEM (-8)       /* allocation failed */
#define TA_ERR_LIMIT (-9)       /* output would exceed the configured limit */

#if defined(__GNUC__) || defined(__clang__)
#define TA_LIKELY(x) __builtin_expect(!!(x), 1)
#define TA_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TA_INLINE static inline __attribute__((always_inline))
#else
#define TA_LIKELY(x) (x)
#define TA_UNLIKELY(x) (x)
#define TA_INLINE static __inline
#endif

/* A read cursor over a borrowed buffer. Invariant: start <= pos <= end. */
typedef struct ta_cursor {
    const uint8_t *pos;
    const uint8_t *start;
    const uint8_t *end;
} ta_cursor;

#endif
