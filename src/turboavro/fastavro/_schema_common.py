"""The schema errors and primitive names (fastavro's private ``fastavro._schema_common``,
imported by its tests)."""
from __future__ import annotations

from ..errors import SchemaError
from .const import PRIMITIVES

__all__ = ["PRIMITIVES", "SchemaParseException", "UnknownType"]


class SchemaParseException(SchemaError):
    """An invalid schema (fastavro's name; also a :class:`turboavro.errors.SchemaError`)."""


class UnknownType(SchemaError):
    """A schema names a type that is not defined; ``name`` is its full name."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name
