"""The modules that setup.py also compiles with Cython, unchanged (``schema`` and
``_schema_model``: the schema parser is on the hot path of the fastavro facade, the registry
and catalogs). A compiled module shadows the ``.py`` of the same name, which stays the one
source of the rules:

- each compiled module calls :func:`check_source` last, with the SHA-256 of the source it was
  built from, so one built from an older version refuses to import instead of silently running
  old rules;
- :func:`run_from_source` makes later imports load the ``.py`` files instead (for the fuzzers,
  whose coverage feedback needs interpreted code, and for the tests comparing both).
"""
from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from types import ModuleType

COMPILED_MODULES = ("turboavro.schema", "turboavro._schema_model")


def check_source(compiled_file: str, source_name: str, digest: str) -> None:
    """Refuse to import a compiled module whose ``.py`` (beside it, when it is there: an
    installation may hold the compiled module alone) has changed since it was built."""
    path = os.path.join(os.path.dirname(compiled_file), source_name)
    try:
        with open(path, "rb") as f:
            current = hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return
    if current != digest:
        raise ImportError(
            f"{compiled_file} was compiled from an older {source_name}: rebuild it "
            "(python setup.py build_ext --inplace) or delete it to run the source"
        )


class _SourceFinder:
    """Finds the compiled modules' ``.py`` files, ahead of the compiled modules."""

    @staticmethod
    def find_spec(
        name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name not in COMPILED_MODULES:
            return None
        here = os.path.dirname(os.path.abspath(__file__))
        return importlib.util.spec_from_file_location(
            name, os.path.join(here, name.rpartition(".")[2] + ".py")
        )


def run_from_source() -> None:
    """Load the compiled modules from their ``.py`` files from now on; call it before
    anything imports them (``turboavro`` itself imports neither)."""
    loaded = [m for m in COMPILED_MODULES if m in sys.modules]
    if loaded:
        raise RuntimeError(f"run_from_source() comes too late: {', '.join(loaded)} imported")
    if _SourceFinder not in sys.meta_path:
        sys.meta_path.insert(0, _SourceFinder)
