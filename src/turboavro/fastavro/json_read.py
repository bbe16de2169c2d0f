"""fastavro's ``json_reader``: Avro JSON records, one per line, on turboavro's JSON codec
(resolved to a reader schema through the binary codec's resolution). The read plan of the
binary readers supplies the schemas and applies the custom ``LOGICAL_READERS``."""
from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from .. import errors as _errors
from ..codec import Encoder
from ..json_codec import from_json_value
from ._engine import ReadOptions, read_plan
from .io.json_decoder import AvroJSONDecoder
from .logical_readers import LOGICAL_READERS
from .schema import parse_schema

__all__ = ["json_reader"]


class MissingValueError(_errors.DecodeError):
    """A record field with no value and no default (fastavro's words: "no value and no
    default")."""


def json_reader(
    fo: IO[str],
    schema: Any,
    reader_schema: Any = None,
    *,
    decoder: type[AvroJSONDecoder] = AvroJSONDecoder,
) -> Iterator[Any]:
    """Yield the records of the text file ``fo`` (one Avro JSON datum per line) written with
    ``schema``, as ``reader_schema`` when given."""
    writer = parse_schema(schema)
    reader = parse_schema(reader_schema) if reader_schema is not None else None
    plan = read_plan(writer, reader, ReadOptions(readers=LOGICAL_READERS))
    enc = Encoder(plan.writer_schema, logical=False) if reader is not None else None
    for value in decoder(fo):
        try:
            if enc is None:
                # as fastavro: a float as written (2.2, not the 32-bit 2.2000000476), a
                # JSON scalar of the wrong primitive type as it is
                datum = from_json_value(value, plan.writer_schema, _fastavro=True)
            else:  # resolved by the binary codec: floats are 32-bit there
                raw = from_json_value(value, plan.writer_schema, logical=False)
                datum = plan.decoder.decode(enc.encode(raw))
        except _errors.DecodeError as e:
            if "(and it has no default)" in str(e):
                raise MissingValueError(f"no value and no default: {e}") from None
            raise
        yield plan.finish(datum) if plan.custom else datum
