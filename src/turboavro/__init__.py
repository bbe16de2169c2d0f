"""turboavro: the fastest and most complete Apache Avro library for Python.

Public names are re-exported here and imported lazily, so ``import turboavro`` stays cheap
and numpy (used only by the columnar API) is not imported until it is needed.
"""
from __future__ import annotations

from .errors import (
    AvroError,
    CatalogError,
    CodecError,
    CodecUnavailableError,
    CorruptFileError,
    DecodeError,
    EncodeError,
    FramingError,
    IncompatibleSchemaError,
    SchemaError,
    SchemaResolutionError,
    UnknownFieldError,
    UnknownSchemaError,
)

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "Schema": "schema",
    "Field": "schema",
    "crc64_avro": "schema",
    "build_features": "_build",
    "Encoder": "codec",
    "Decoder": "codec",
    "Duration": "logical",
    "json_encode": "json_codec",
    "json_decode": "json_codec",
    "Writer": "container",
    "Reader": "container",
    "read_columns": "columnar",
    "write_columns": "columnar",
    "Columns": "columnar",
    "check_compatibility": "compatibility",
    "check_level": "compatibility",
    "CompatibilityLevel": "compatibility",
    "Catalog": "catalog",
    "detect_framing": "framing",
}
_SUBMODULES = {"single_object", "confluent"}

__all__ = [
    "AvroError",
    "CatalogError",
    "CodecError",
    "CodecUnavailableError",
    "CorruptFileError",
    "DecodeError",
    "EncodeError",
    "FramingError",
    "IncompatibleSchemaError",
    "SchemaError",
    "SchemaResolutionError",
    "UnknownFieldError",
    "UnknownSchemaError",
    *_LAZY,
    *_SUBMODULES,
]


# ``typing`` (with ``re`` and ``enum`` behind it) would be most of the import's cost: it is
# only needed by type checkers, which treat any name ``TYPE_CHECKING`` as true.
TYPE_CHECKING = False


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'turboavro' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

    from . import confluent, single_object  # noqa: F401
    from ._build import build_features  # noqa: F401
    from .catalog import Catalog  # noqa: F401
    from .codec import Decoder, Encoder  # noqa: F401
    from .columnar import Columns, read_columns, write_columns  # noqa: F401
    from .compatibility import CompatibilityLevel, check_compatibility, check_level  # noqa: F401
    from .container import Reader, Writer  # noqa: F401
    from .framing import detect_framing  # noqa: F401
    from .json_codec import json_decode, json_encode  # noqa: F401
    from .logical import Duration  # noqa: F401
    from .schema import Field, Schema, crc64_avro  # noqa: F401
