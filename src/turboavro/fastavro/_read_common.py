"""fastavro's private ``fastavro._read_common`` (imported by its tests)."""
from .read import SchemaResolutionError  # noqa: F401
