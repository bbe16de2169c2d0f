/* CRC-64-AVRO (Rabin fingerprint), Avro specification, Schema Fingerprints. */
#ifndef TA_CRC64_H
#define TA_CRC64_H

#include <stddef.h>
#include <stdint.h>

#define TA_CRC64_EMPTY 0xc15d213aa4d7a795ULL

/* Continues a fingerprint: pass TA_CRC64_EMPTY as fp for a fresh one. */
uint64_t ta_crc64_avro(uint64_t fp, const uint8_t *data, size_t len);

#endif
