"""Shared workloads for the benchmark suites: the record shapes flat and mixed. They are the
ones ``turboavro bench`` runs, defined once in :mod:`turboavro.bench`."""
from __future__ import annotations

import pytest

from turboavro.bench import FLAT_SCHEMA, MIXED_SCHEMA, flat_records, mixed_records

__all__ = ["FLAT_SCHEMA", "MIXED_SCHEMA", "flat_records", "mixed_records"]


@pytest.fixture(scope="session")
def flat_schema():
    return FLAT_SCHEMA


@pytest.fixture(scope="session")
def mixed_schema():
    return MIXED_SCHEMA
