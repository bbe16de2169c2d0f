"""fastavro's private ``fastavro._schema_common`` (imported by its tests)."""
from .const import PRIMITIVES  # noqa: F401
from .schema import SchemaParseException, UnknownType  # noqa: F401
