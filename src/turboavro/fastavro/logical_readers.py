"""``LOGICAL_READERS``: ``"<avro type>-<logicalType>"`` -> ``read(datum, writer_schema,
reader_schema)``, as in fastavro. Entries a user adds or replaces are applied when reading."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._engine import (  # noqa: F401  (fastavro's names for its conversions)
    _BUILTIN_READERS,
    Registry,
    read_date,
    read_decimal,
    read_local_timestamp_micros,
    read_local_timestamp_millis,
    read_time_micros,
    read_time_millis,
    read_timestamp_micros,
    read_timestamp_millis,
    read_uuid,
)

LOGICAL_READERS: dict[str, Callable[..., Any]] = Registry(_BUILTIN_READERS)
