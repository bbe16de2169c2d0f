"""fastavro's private ``fastavro._write_common`` (imported by its tests)."""
from .write import _is_appendable  # noqa: F401
