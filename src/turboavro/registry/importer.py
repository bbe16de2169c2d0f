"""Copy a registry's content (every subject, version, id, deletion and level) into a catalog
file or into another registry, keeping schema ids and version numbers.

The target is switched to IMPORT mode for the copy (which needs it to hold no live version)
and back to READWRITE afterwards. Versions are copied in id order, so a referenced version is
always in place before the schemas that reference it; soft-deleted versions are copied, then
soft-deleted again.
"""
from __future__ import annotations

from typing import Any

from ..catalog import Catalog
from ..errors import RegistryError, SchemaInUseError
from .client import Client, RegisteredSchema

__all__ = ["import_registry"]


class _CatalogTarget:
    """The few writes an import needs, on a catalog file."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def set_mode(self, mode: str) -> None:
        self.catalog.set_mode(mode)

    def register(self, v: RegisteredSchema) -> None:
        assert v.subject is not None
        self.catalog.register_version(v.subject, v.schema, v.references, v.metadata or None,
                                      schema_id=v.id, version=v.version)

    def soft_delete(self, subject: str, version: int) -> None:
        try:
            self.catalog.delete(subject, version)
        except SchemaInUseError:
            pass  # still referenced by a copied schema: left live, as the catalog requires

    def set_level(self, level: str, subject: str | None) -> None:
        self.catalog.set_level(level, subject)


class _ClientTarget:
    def __init__(self, client: Client) -> None:
        self.client = client

    def set_mode(self, mode: str) -> None:
        self.client.set_mode(mode)

    def register(self, v: RegisteredSchema) -> None:
        assert v.subject is not None
        self.client.register(v.subject, v.schema, v.references, metadata=v.metadata or None,
                             schema_id=v.id, version=v.version)

    def soft_delete(self, subject: str, version: int) -> None:
        try:
            self.client.delete_version(subject, version)
        except RegistryError as exc:
            if exc.error_code != 42206:
                raise

    def set_level(self, level: str, subject: str | None) -> None:
        self.client.set_config(level, subject)


def import_registry(
    source: Client, target: Catalog | Client, skipped: list[RegisteredSchema] | None = None
) -> int:
    """Copy everything ``source`` holds into ``target``; returns the number of versions copied.
    Versions of other schema types (JSON, PROTOBUF) are not copied: they are appended to
    ``skipped`` when given."""
    entries: list[RegisteredSchema] = []
    levels: dict[str | None, str] = {None: source.get_config()}
    subject: str | None
    for subject in source.subjects(deleted=True):
        for number in source.versions(subject, deleted=True):
            v = source.get_version(subject, number, deleted=True)
            if v.schema_type.upper() != "AVRO":
                if skipped is not None:
                    skipped.append(v)
                continue
            entries.append(v)
        try:
            levels[subject] = source.get_config(subject, default_to_global=False)
        except RegistryError as exc:
            if exc.error_code != 40408:
                raise
    # deleted flags: a soft-deleted version is absent from the default (live) listing
    live: set[tuple[str, int]] = set()
    for subject in {e.subject for e in entries}:
        assert subject is not None
        try:
            live.update((subject, n) for n in source.versions(subject))
        except RegistryError as exc:
            if exc.error_code != 40401:  # every version soft-deleted
                raise
    sink: Any = _CatalogTarget(target) if isinstance(target, Catalog) else _ClientTarget(target)
    sink.set_mode("IMPORT")
    try:
        for v in sorted(entries, key=lambda e: (e.id, e.subject or "", e.version or 0)):
            sink.register(v)
        for v in sorted(entries, key=lambda e: -e.id):
            assert v.subject is not None and v.version is not None
            if (v.subject, v.version) not in live:
                sink.soft_delete(v.subject, v.version)
    finally:
        sink.set_mode("READWRITE")
    for subject, level in levels.items():
        sink.set_level(level, subject)
    return len(entries)

