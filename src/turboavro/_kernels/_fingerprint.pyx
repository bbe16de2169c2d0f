# cython: language_level=3, boundscheck=False, wraparound=False
"""CRC-64-AVRO over any buffer (Avro specification, Schema Fingerprints), GIL released for large inputs."""
from libc.stdint cimport uint8_t, uint64_t
from ._native cimport ta_crc64_avro, TA_CRC64_EMPTY


def crc64_avro(const uint8_t[::1] data not None, uint64_t fp=TA_CRC64_EMPTY):
    """Return the CRC-64-AVRO fingerprint of ``data`` as an unsigned 64-bit int.

    ``fp`` continues an earlier fingerprint (pass a previous result to hash in pieces).
    """
    cdef size_t n = data.shape[0]
    if n == 0:
        return fp
    if n < 65536:
        return ta_crc64_avro(fp, &data[0], n)
    with nogil:
        fp = ta_crc64_avro(fp, &data[0], n)
    return fp
