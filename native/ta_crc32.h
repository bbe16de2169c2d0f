/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as used by the Avro snappy codec
 * (Avro specification, Optional Codecs: a 4-byte big-endian CRC-32 of the uncompressed data follows each block).
 * Same convention as zlib's crc32(): start from 0, pass the previous result to continue. */
#ifndef TA_CRC32_H
#define TA_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Fastest implementation compiled in: libdeflate (PCLMUL-accelerated), else zlib, else the
 * builtin slice-by-8. */
uint32_t ta_crc32(uint32_t crc, const uint8_t *data, size_t len);

/* The builtin slice-by-8 kernel, always compiled (used when no library provides one, and
 * tested against zlib so the fallback cannot rot). */
uint32_t ta_crc32_builtin(uint32_t crc, const uint8_t *data, size_t len);

/* Computes the builtin tables; call once before threads use ta_crc32_builtin (the kernel
 * also calls it lazily for plain C users). */
void ta_crc32_init(void);

/* Which implementation ta_crc32 uses: "libdeflate", "zlib" or "builtin". */
const char *ta_crc32_impl(void);

#endif
