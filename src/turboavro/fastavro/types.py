"""Typing aliases of fastavro's ``fastavro.types`` module."""
from __future__ import annotations

import decimal
from typing import Any, Union

AvroMessage = Union[  # noqa: UP007 (a runtime alias, as in fastavro)
    None, str, float, int, decimal.Decimal, bool, bytes, list[Any], dict[Any, Any]]
DictSchema = dict[Any, Any]
Schema = Union[str, list[Any], DictSchema]  # noqa: UP007
NamedSchemas = dict[str, dict[Any, Any]]
