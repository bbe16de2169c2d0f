"""Names fastavro's private ``fastavro._read`` module offers and its tests import: the read
API, and ``match_types``/``match_schemas`` (fastavro's shallow reader-vs-writer checks, on
fastavro-form schemas; turboavro's own resolution is ``turboavro.resolution``)."""
from __future__ import annotations

from typing import Any

from ..resolver import PROMOTIONS
from .const import AVRO_TYPES, NAMED_TYPES
from .read import (  # noqa: F401
    HEADER_SCHEMA,
    LOGICAL_READERS,
    Block,
    SchemaResolutionError,
    block_reader,
    is_avro,
    reader,
    schemaless_reader,
)



def match_types(writer_type: Any, reader_type: Any, named_schemas: Any) -> bool:
    """Can data of ``writer_type`` be read as ``reader_type`` at this level?"""
    if isinstance(writer_type, list) or isinstance(reader_type, list):
        return True
    if isinstance(writer_type, dict) or isinstance(reader_type, dict):
        return match_schemas(writer_type, reader_type, named_schemas, raise_on_error=False) is not None
    if writer_type == reader_type or reader_type in PROMOTIONS.get(writer_type, ()):
        return True
    w = named_schemas["writer"].get(writer_type)
    r = named_schemas["reader"].get(reader_type)
    return w is not None and r is not None and match_types(w, r, named_schemas)


def _type(s: Any) -> Any:
    return s["type"] if isinstance(s, dict) else s


def match_schemas(w_schema: Any, r_schema: Any, named_schemas: Any, raise_on_error: bool = True) -> Any:
    """The reader schema (or reader union branch) that reads ``w_schema``; raises
    :class:`SchemaResolutionError` (or returns None) when there is none."""
    found = _match(w_schema, r_schema, named_schemas)
    if found is None and raise_on_error:
        raise SchemaResolutionError(f"Schema mismatch: {w_schema} is not {r_schema}")
    return found


def _match(w: Any, r: Any, named: Any) -> Any:
    if isinstance(w, list):
        return r
    if isinstance(r, list):
        return next((b for b in r if match_types(w, b, named)), None)
    wt, rt = _type(w), _type(r)
    if wt == rt == "map":
        return r if match_types(w["values"], r["values"], named) else None
    if wt == rt == "array":
        return r if match_types(w["items"], r["items"], named) else None
    if wt in NAMED_TYPES and rt in NAMED_TYPES:
        if wt == rt == "fixed" and w["size"] != r["size"]:
            return None
        short = w["name"].split(".")[-1]
        aliases = r.get("aliases", [])
        ok = short == r["name"].split(".")[-1] or w["name"] in aliases or short in aliases
        return r if ok else None
    if wt not in AVRO_TYPES and rt in NAMED_TYPES:
        return r["name"] if match_types(wt, r["name"], named) else None
    if wt in NAMED_TYPES and rt not in AVRO_TYPES:
        rn = (named or {}).get("reader", {}).get(rt)
        return rn if rn is not None and match_types(w, rn, named) else None
    return r if match_types(wt, rt, named) else None


CYTHON_MODULE = 1  # fastavro's tests take the compiled-module paths
