"""``LOGICAL_WRITERS``: ``"<avro type>-<logicalType>"`` -> ``prepare(datum, schema)``, as in
fastavro. Entries a user adds or replaces are applied when writing (and validating)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._engine import (  # noqa: F401  (fastavro's names for its conversions)
    _BUILTIN_WRITERS,
    Registry,
    prepare_bytes_decimal,
    prepare_date,
    prepare_fixed_decimal,
    prepare_fixed_uuid,
    prepare_local_timestamp_micros,
    prepare_local_timestamp_millis,
    prepare_time_micros,
    prepare_time_millis,
    prepare_timestamp_micros,
    prepare_timestamp_millis,
    prepare_uuid,
)

LOGICAL_WRITERS: dict[str, Callable[..., Any]] = Registry(_BUILTIN_WRITERS)
