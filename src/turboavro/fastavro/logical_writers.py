"""``LOGICAL_WRITERS``: ``"<avro type>-<logicalType>"`` -> ``prepare(datum, schema)``, as in
fastavro. Entries a user adds or replaces are applied when writing (and validating)."""
from __future__ import annotations

from typing import Any, Callable

from ._engine import (  # noqa: F401  (fastavro's names for its conversions)
    prepare_timestamp_millis,
    prepare_timestamp_micros,
    prepare_local_timestamp_millis,
    prepare_local_timestamp_micros,
    prepare_date,
    prepare_time_millis,
    prepare_time_micros,
    prepare_uuid,
    prepare_fixed_uuid,
    prepare_bytes_decimal,
    prepare_fixed_decimal,
)
from ._engine import _BUILTIN_WRITERS

LOGICAL_WRITERS: dict[str, Callable[..., Any]] = dict(_BUILTIN_WRITERS)
