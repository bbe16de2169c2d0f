"""Constants of fastavro's ``fastavro.const`` module, under the same names."""
from __future__ import annotations

import datetime

MCS_PER_SECOND = 1_000_000
MCS_PER_MINUTE = MCS_PER_SECOND * 60
MCS_PER_HOUR = MCS_PER_MINUTE * 60
MLS_PER_SECOND = 1000
MLS_PER_MINUTE = MLS_PER_SECOND * 60
MLS_PER_HOUR = MLS_PER_MINUTE * 60
DAYS_SHIFT = datetime.date(1970, 1, 1).toordinal()

INT_MIN_VALUE = -(2**31)
INT_MAX_VALUE = 2**31 - 1
LONG_MIN_VALUE = -(2**63)
LONG_MAX_VALUE = 2**63 - 1

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED_TYPES = {"record", "enum", "fixed", "error"}
AVRO_TYPES = set(PRIMITIVES) | {
    "fixed", "enum", "record", "error", "array", "map", "union", "request", "error_union",
}
