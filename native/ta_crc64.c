/* CRC-64-AVRO, slice-by-8.
 * The Avro fingerprint is a reflected CRC (it shifts right), so the usual slicing trick
 * applies: table k maps a byte that is k positions ahead of the current one. Tables are
 * computed once on first use (256 * 8 entries, 16 KiB); the first call is idempotent, so
 * a race between threads only recomputes identical values. */
#include "ta_crc64.h"

static uint64_t ta_crc64_table[8][256];
static volatile int ta_crc64_ready = 0;

static void ta_crc64_init(void)
{
    for (int i = 0; i < 256; i++) {
        uint64_t fp = (uint64_t)i;
        for (int j = 0; j < 8; j++)
            fp = (fp >> 1) ^ (TA_CRC64_EMPTY & (0 - (fp & 1)));
        ta_crc64_table[0][i] = fp;
    }
    for (int i = 0; i < 256; i++) {
        uint64_t fp = ta_crc64_table[0][i];
        for (int k = 1; k < 8; k++) {
            fp = (fp >> 8) ^ ta_crc64_table[0][fp & 0xff];
            ta_crc64_table[k][i] = fp;
        }
    }
    ta_crc64_ready = 1;
}

uint64_t ta_crc64_avro(uint64_t fp, const uint8_t *p, size_t len)
{
    if (!ta_crc64_ready) ta_crc64_init();
    while (len >= 8) {
        /* assemble little-endian so the result is host-independent */
        uint64_t w = (uint64_t)p[0] | ((uint64_t)p[1] << 8) | ((uint64_t)p[2] << 16) |
                     ((uint64_t)p[3] << 24) | ((uint64_t)p[4] << 32) | ((uint64_t)p[5] << 40) |
                     ((uint64_t)p[6] << 48) | ((uint64_t)p[7] << 56);
        fp ^= w;
        fp = ta_crc64_table[7][fp & 0xff] ^ ta_crc64_table[6][(fp >> 8) & 0xff] ^
             ta_crc64_table[5][(fp >> 16) & 0xff] ^ ta_crc64_table[4][(fp >> 24) & 0xff] ^
             ta_crc64_table[3][(fp >> 32) & 0xff] ^ ta_crc64_table[2][(fp >> 40) & 0xff] ^
             ta_crc64_table[1][(fp >> 48) & 0xff] ^ ta_crc64_table[0][fp >> 56];
        p += 8;
        len -= 8;
    }
    while (len--) fp = (fp >> 8) ^ ta_crc64_table[0][(fp ^ *p++) & 0xff];
    return fp;
}
