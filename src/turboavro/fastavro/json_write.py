"""fastavro's ``json_writer``: records in the Avro JSON encoding, one per line, on turboavro's
JSON codec (``turboavro.json_codec``)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from ..json_codec import to_json_value
from ..schema import Schema
from ._engine import WriteOptions, prepare, to_turbo
from .io.json_encoder import AvroJSONEncoder
from .logical_writers import LOGICAL_WRITERS
from .schema import parse_schema
from .validation import validate_many

__all__ = ["json_writer"]


def _bare_unions(v: Any, s: Schema) -> Any:
    """A JSON value with union values written without their ``{"type": ...}`` wrapper."""
    t = s.type
    if t == "union":
        if isinstance(v, dict) and len(v) == 1:
            (label, inner), = v.items()
            for b in s.branches:
                if (b.fullname if hasattr(b, "fullname") else b.type) == label:
                    return _bare_unions(inner, b)
        return v
    if t == "record" and isinstance(v, dict):
        return {f.name: _bare_unions(v[f.name], f.type) for f in s.fields if f.name in v}
    if t == "array" and isinstance(v, list):
        return [_bare_unions(x, s.items) for x in v]
    if t == "map" and isinstance(v, dict):
        return {k: _bare_unions(x, s.values) for k, x in v.items()}
    return v


def json_writer(
    fo: IO[str],
    schema: Any,
    records: Iterable[Any],
    *,
    write_union_type: bool = True,
    validator: bool = False,
    encoder: type[AvroJSONEncoder] = AvroJSONEncoder,
    strict: bool = False,
    strict_allow_default: bool = False,
    disable_tuple_notation: bool = False,
) -> None:
    """Write ``records`` to the text file ``fo`` in the Avro JSON encoding, one per line.
    ``write_union_type=False`` writes union values bare (not valid Avro JSON: readable only
    with the schema's help, as fastavro does)."""
    parsed = parse_schema(schema)
    s = to_turbo(parsed)
    opts = WriteOptions(strict, strict_allow_default, disable_tuple_notation, LOGICAL_WRITERS)
    out = encoder(fo, write_union_type=write_union_type)
    for record in records:
        if validator:
            validate_many([record], parsed, strict=strict,
                          disable_tuple_notation=disable_tuple_notation)
        # as fastavro, values of primitive types are written as they are, unchecked
        value = to_json_value(prepare(record, s, opts, ""), s, strict=False, _fastavro=True)
        if not write_union_type:
            value = _bare_unions(value, s)
        out.write_datum(value)
    out.flush()
