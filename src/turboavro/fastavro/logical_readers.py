"""``LOGICAL_READERS``: ``"<avro type>-<logicalType>"`` -> ``read(datum, writer_schema,
reader_schema)``, as in fastavro. Entries a user adds or replaces are applied when reading."""
from __future__ import annotations

from typing import Any, Callable

from ._engine import (  # noqa: F401  (fastavro's names for its conversions)
    read_timestamp_millis,
    read_timestamp_micros,
    read_local_timestamp_millis,
    read_local_timestamp_micros,
    read_date,
    read_uuid,
    read_decimal,
    read_time_millis,
    read_time_micros,
)
from ._engine import _BUILTIN_READERS

LOGICAL_READERS: dict[str, Callable[..., Any]] = dict(_BUILTIN_READERS)
