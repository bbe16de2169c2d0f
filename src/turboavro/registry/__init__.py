"""A Confluent-compatible schema registry on turboavro's embedded catalog.

- :func:`create_app` (``turboavro[registry]``: Starlette, served by uvicorn) answers
  Confluent Schema Registry's REST API for Avro schemas from a
  :class:`~turboavro.catalog.Catalog` file; ``turboavro registry serve`` runs it.
- :class:`Client` (standard library only) talks to any Confluent-compatible registry, and is
  a *store* for :func:`turboavro.confluent.decode` and :func:`turboavro.single_object.decode`.

``import turboavro.registry`` imports neither Starlette nor uvicorn: the server modules load
when :func:`create_app` is first used.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["create_app", "Client", "RegisteredSchema"]

if TYPE_CHECKING:  # pragma: no cover
    from .app import create_app
    from .client import Client, RegisteredSchema


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name in ("Client", "RegisteredSchema"):
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
