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
from typing import Any

__version_info__ = (1, 13, 1)
__version__ = "1.13.1"  # the fastavro version whose API this package offers

# top-level name -> the module defining it (loaded on first use, like turboavro's own names)
_NAMES = {
    "reader": "read", "block_reader": "read", "schemaless_reader": "read", "is_avro": "read",
    "json_reader": "json_read", "writer": "write", "schemaless_writer": "write",
    "json_writer": "json_write", "validate": "validation", "parse_schema": "schema",
}

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
    "logical_readers", "logical_writers", "_schema_common",
)
# fastavro's private module names (imported by its tests) -> the module holding those names
_PRIVATE = {
    "_read": "read", "_read_py": "read", "_read_common": "read",
    "_write": "write", "_write_py": "write", "_write_common": "write",
    "_schema": "schema", "_schema_py": "schema", "_validation": "validation",
    "_validation_py": "validation", "_logical_writers_py": "logical_writers",
    "_logical_readers_py": "logical_readers", "_logical_writers": "logical_writers",
    "_logical_readers": "logical_readers",
}


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    elif name in _MODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    elif name in _PRIVATE:
        value = importlib.import_module(f"{__name__}.{_PRIVATE[name]}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, *_MODULES])


def install_as_fastavro() -> None:
    """Make ``import fastavro`` (and ``import fastavro.<module>``) give this package, in
    this process, like PyMySQL's ``install_as_MySQLdb``. Call it before the libraries that
    use fastavro are imported (a library that already holds fastavro's functions keeps
    them)."""
    sys.modules["fastavro"] = sys.modules[__name__]
    for name in _MODULES:
        sys.modules[f"fastavro.{name}"] = importlib.import_module(f"{__name__}.{name}")
    for name, target in _PRIVATE.items():
        sys.modules[f"fastavro.{name}"] = sys.modules[f"{__name__}.{target}"]
