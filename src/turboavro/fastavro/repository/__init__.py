"""Schema repositories for :func:`turboavro.fastavro.schema.load_schema` (fastavro's
``fastavro.repository``)."""
from __future__ import annotations

import json
import os
from typing import Any

from ...errors import SchemaError

__all__ = ["AbstractSchemaRepository", "FlatDictRepository", "SchemaRepositoryError"]


class SchemaRepositoryError(SchemaError):
    """A schema a repository cannot provide."""


class AbstractSchemaRepository:
    """A source of schemas by name: subclasses implement :meth:`load`."""

    def load(self, name: str) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


class FlatDictRepository(AbstractSchemaRepository):
    """Schemas stored as ``<path>/<name>.avsc`` (``name`` is a full name)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.file_ext = "avsc"

    def load(self, name: str) -> Any:
        file_path = os.path.join(self.path, f"{name}.{self.file_ext}")
        try:
            with open(file_path, encoding="utf-8") as fo:
                return json.load(fo)
        except OSError as e:
            raise SchemaRepositoryError(f"Failed to load '{name}' schema") from e
        except json.JSONDecodeError as e:
            raise SchemaRepositoryError(f"Failed to parse '{name}' schema") from e
