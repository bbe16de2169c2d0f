"""fastavro's API on turboavro's engine: ``import turboavro.fastavro as fastavro``.

The same functions, classes, keyword arguments and module layout as fastavro 1.13.1
(``reader``, ``writer``, ``schemaless_reader``/``schemaless_writer``, ``json_reader``/
``json_writer``, ``parse_schema``, ``validate``, ``is_avro``, ``block_reader`` and the
``read``, ``write``, ``schema``, ``validation``, ``json_read``, ``json_write``, ``utils``,
``types``, ``const``, ``repository``, ``io``, ``logical_readers``/``logical_writers``
modules), running on turboavro's compiled plans, which are cached per schema object.

:func:`install_as_fastavro` makes ``import fastavro`` give this package, so libraries written
against fastavro (``dask.bag.read_avro``, confluent-kafka's Avro serializers) run on
turboavro unchanged. The differences from fastavro are listed in the user guide's page
"Migrating from fastavro".
"""
from __future__ import annotations

import importlib
import sys

from . import json_read, json_write, read, schema, validation, write

__version_info__ = (1, 13, 1)
__version__ = "1.13.1"  # the fastavro version whose API this package offers

reader = read.reader
block_reader = read.block_reader
schemaless_reader = read.schemaless_reader
is_avro = read.is_avro
json_reader = json_read.json_reader
writer = write.writer
schemaless_writer = write.schemaless_writer
json_writer = json_write.json_writer
validate = validation.validate
parse_schema = schema.parse_schema

__all__ = [
    "block_reader",
    "install_as_fastavro",
    "is_avro",
    "json_reader",
    "json_writer",
    "parse_schema",
    "reader",
    "schemaless_reader",
    "schemaless_writer",
    "validate",
    "writer",
    "__version__",
]

# every module of the package, as the name fastavro gives it
_MODULES = (
    "read", "write", "schema", "validation", "json_read", "json_write", "utils", "types",
    "const", "repository", "repository.base", "repository.flat_dict", "io", "io.json_encoder",
    "io.json_decoder", "io.binary_encoder", "io.binary_decoder", "io.symbols",
    "logical_readers", "logical_writers", "_read", "_write", "_read_common", "_write_common",
    "_schema_common", "_read_py", "_write_py", "_schema_py", "_logical_writers_py",
    "_logical_readers_py", "_validation_py",
)


def install_as_fastavro() -> None:
    """Make ``import fastavro`` (and ``import fastavro.<module>``) give this package, in
    this process, like PyMySQL's ``install_as_MySQLdb``. Call it before the libraries that
    use fastavro are imported (a library that already holds fastavro's functions keeps
    them)."""
    sys.modules["fastavro"] = sys.modules[__name__]
    for name in _MODULES:
        sys.modules[f"fastavro.{name}"] = importlib.import_module(f"{__name__}.{name}")
