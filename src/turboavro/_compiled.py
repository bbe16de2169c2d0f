"""Freshness check of the modules that setup.py also compiles with Cython (``schema``,
``_schema_model``): a compiled module shadows the ``.py`` of the same name, so one built from
an older version of that source would silently run old rules. Each compiled module calls
:func:`check_source` last, with the SHA-256 of the source it was built from."""
from __future__ import annotations

import hashlib
import os


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
