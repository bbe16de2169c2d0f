"""Columnar reading and writing: Avro container files straight into numpy arrays and back.

``read_columns`` compiles the writer schema x reader schema x projection ONCE into a column
plan (a flat array of C nodes, ``_kernels/_columns.pyx``), then decodes every block with the
GIL released into growable column buffers that numpy takes over without a copy. A plain file
is framed from its block headers alone, and each thread reads the blocks it decodes (no copy
of the file is held). Blocks are decompressed and decoded on ``threads`` worker threads (each
decodes a contiguous run of blocks, and takes over the end of a slower thread's run; the
chunks are joined in file order, so results do not depend on the thread count).

Column representation (see docs/performance.md, "Columnar"):

=============================  ==============================================================
Avro type                      column
=============================  ==============================================================
boolean                        ``bool`` array
int / long                     ``int32`` / ``int64``
float / double                 ``float32`` / ``float64``
enum                           :class:`EnumColumn` (int8/16/32 codes + ``categories``)
string / bytes                 :class:`BinaryColumn` (int64 offsets + uint8 data: Arrow
                               ``large_string`` / ``large_binary`` layout)
fixed                          ``S{size}`` array
date                           ``datetime64[D]``
time-millis / time-micros      ``timedelta64[ms]`` / ``timedelta64[us]``
timestamp-millis/micros/nanos  ``datetime64[ms/us/ns]`` (UTC; tz-aware in pandas/Arrow);
                               nested in lists/maps/records/unions: :class:`TimestampColumn`
local-timestamp-*              ``datetime64[...]`` (naive)
decimal                        :class:`DecimalColumn` (raw two's complement + precision/scale;
                               ``to_numpy()`` gives ``decimal.Decimal`` objects)
["null", T] (either order)     T's column with a validity mask (``numpy.ma.MaskedArray``
                               for fixed-width T; a ``validity`` array otherwise)
record                         top level and nested records: dotted names (``place.city``);
                               inside arrays/maps/unions: :class:`StructColumn`
array / map                    :class:`ListColumn` / :class:`MapColumn` (int64 offsets +
                               child columns; map keys a string column)
other unions                   :class:`UnionColumn` (int8 type codes + one child column per
                               branch, Arrow dense-union layout)
uuid, big-decimal, duration    their underlying column (strings, bytes, ``S16``/``S12``)
=============================  ==============================================================

A file whose schema is not a record gives one column named ``"value"``.

Every column object is a sequence: ``len``, integer indexing (negative too) giving the value
the row reader gives (``str``, the enum symbol, a ``Decimal``, the list's values, a dict, an
aware ``datetime``, ``None`` for a null), slices giving a column of the same type (zero-copy
for a step of 1), iteration, and ``IndexError`` naming the bounds.

The package, one job per module: ``columns`` (the column objects and their Arrow, pandas and
numpy views), ``planning`` (column plans compiled from the resolved writer x reader tree),
``reading`` (framing, threaded decoding and assembly over an open container Reader),
``interchange`` (numpy/pandas/Arrow input normalised for writing), ``writing`` (schema
inference and the column encoder) and ``api`` (the public functions, which open sources and
destinations through the container layer). Names are imported lazily, so that the container
layer can use ``reading`` without importing this package's public functions.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "BinaryColumn",
    "Columns",
    "DecimalColumn",
    "EnumColumn",
    "ListColumn",
    "MapColumn",
    "StructColumn",
    "TimestampColumn",
    "UnionColumn",
    "infer_schema",
    "iter_batches",
    "read_columns",
    "set_buffer_cache",
    "write_columns",
]

# public name -> the module of this package that defines it
_HOME = {
    "BinaryColumn": "columns",
    "Columns": "columns",
    "DecimalColumn": "columns",
    "EnumColumn": "columns",
    "ListColumn": "columns",
    "MapColumn": "columns",
    "StructColumn": "columns",
    "TimestampColumn": "columns",
    "UnionColumn": "columns",
    "infer_schema": "writing",
    "iter_batches": "api",
    "read_columns": "api",
    "set_buffer_cache": "reading",
    "write_columns": "api",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from .api import iter_batches, read_columns, write_columns  # noqa: F401
    from .columns import (  # noqa: F401
        BinaryColumn,
        Columns,
        DecimalColumn,
        EnumColumn,
        ListColumn,
        MapColumn,
        StructColumn,
        TimestampColumn,
        UnionColumn,
    )
    from .reading import set_buffer_cache  # noqa: F401
    from .writing import infer_schema  # noqa: F401
