"""Shared workloads for the benchmark suites: the record shapes flat and mixed. They are the
ones ``turboavro bench`` runs, defined once in :mod:`turboavro.bench`."""
from __future__ import annotations

import pytest

from turboavro.bench import FLAT_SCHEMA, MIXED_SCHEMA, flat_records, mixed_records

__all__ = ["FLAT_SCHEMA", "MIXED_SCHEMA", "_reference_work", "flat_records", "mixed_records"]


@pytest.fixture(scope="session")
def flat_schema():
    return FLAT_SCHEMA


@pytest.fixture(scope="session")
def mixed_schema():
    return MIXED_SCHEMA


def _reference_work(threads: int, pool) -> None:
    """Perfectly parallel compute of about a flat read's length: zlib level-1 compression of a
    cache-resident 256 KiB buffer (zlib releases the GIL), 16 times, split over ``threads``.
    Throughput-bound like decompressing and decoding (SHA-256 was tried first: its SHA-NI
    dependency chains scale 1.85x even when every throughput-bound loop here scales ~1.2-1.6x,
    which suggests the 2 vCPUs share physical cores with other load)."""
    import zlib

    def part(n: int) -> None:
        for _ in range(n):
            zlib.compress(_REF_DATA, 1)

    if threads == 1:
        part(16)
    else:
        other = pool.submit(part, 8)
        part(8)
        other.result()


_REF_DATA = bytes(range(256)) * 1024
