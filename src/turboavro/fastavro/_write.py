"""Names fastavro's private ``fastavro._write`` module offers and its tests import."""
from __future__ import annotations

from .write import LOGICAL_WRITERS, Writer, _is_appendable, schemaless_writer, writer  # noqa: F401

CYTHON_MODULE = 1  # fastavro's tests take the compiled-module paths
