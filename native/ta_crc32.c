/* CRC-32 (IEEE), see ta_crc32.h. The builtin kernel is slice-by-8: table k maps a byte that
 * is k positions ahead of the current one, so eight input bytes cost eight table lookups
 * and no per-byte dependency chain. */
#include "ta_crc32.h"

#if defined(TA_HAVE_LIBDEFLATE)
#include <libdeflate.h>
#elif defined(TA_HAVE_ZLIB)
#include <limits.h>
#include <zlib.h>
#endif

#define TA_CRC32_POLY 0xEDB88320u

static uint32_t ta_crc32_table[8][256];
static volatile int ta_crc32_ready = 0;

void ta_crc32_init(void)
{
    if (ta_crc32_ready) return;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int j = 0; j < 8; j++) c = (c >> 1) ^ (TA_CRC32_POLY & (0u - (c & 1u)));
        ta_crc32_table[0][i] = c;
    }
    for (int i = 0; i < 256; i++) {
        uint32_t c = ta_crc32_table[0][i];
        for (int k = 1; k < 8; k++) {
            c = (c >> 8) ^ ta_crc32_table[0][c & 0xff];
            ta_crc32_table[k][i] = c;
        }
    }
    ta_crc32_ready = 1;
}

uint32_t ta_crc32_builtin(uint32_t crc, const uint8_t *p, size_t len)
{
    if (!ta_crc32_ready) ta_crc32_init();
    uint32_t c = ~crc;
    while (len >= 8) {
        /* assembled little-endian so the result does not depend on the host byte order */
        uint32_t lo = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                      ((uint32_t)p[3] << 24);
        uint32_t hi = (uint32_t)p[4] | ((uint32_t)p[5] << 8) | ((uint32_t)p[6] << 16) |
                      ((uint32_t)p[7] << 24);
        c ^= lo;
        c = ta_crc32_table[7][c & 0xff] ^ ta_crc32_table[6][(c >> 8) & 0xff] ^
            ta_crc32_table[5][(c >> 16) & 0xff] ^ ta_crc32_table[4][c >> 24] ^
            ta_crc32_table[3][hi & 0xff] ^ ta_crc32_table[2][(hi >> 8) & 0xff] ^
            ta_crc32_table[1][(hi >> 16) & 0xff] ^ ta_crc32_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--) c = (c >> 8) ^ ta_crc32_table[0][(c ^ *p++) & 0xff];
    return ~c;
}

uint32_t ta_crc32(uint32_t crc, const uint8_t *p, size_t len)
{
#if defined(TA_HAVE_LIBDEFLATE)
    return libdeflate_crc32(crc, p, len);
#elif defined(TA_HAVE_ZLIB)
    /* zlib takes a uInt length: feed huge buffers in pieces */
    uLong c = crc;
    while (len > 0) {
        uInt n = len > (size_t)UINT_MAX ? UINT_MAX : (uInt)len;
        c = crc32(c, p, n);
        p += n;
        len -= n;
    }
    return (uint32_t)c;
#else
    return ta_crc32_builtin(crc, p, len);
#endif
}

const char *ta_crc32_impl(void)
{
#if defined(TA_HAVE_LIBDEFLATE)
    return "libdeflate";
#elif defined(TA_HAVE_ZLIB)
    return "zlib";
#else
    return "builtin";
#endif
}
