"""Typing aliases of fastavro's ``fastavro.types`` module."""
from __future__ import annotations

import decimal
from typing import Any, Dict, List, Union

AvroMessage = Union[None, str, float, int, decimal.Decimal, bool, bytes, List[Any], Dict[Any, Any]]
DictSchema = Dict[Any, Any]
Schema = Union[str, List[Any], DictSchema]
NamedSchemas = Dict[str, Dict[Any, Any]]
