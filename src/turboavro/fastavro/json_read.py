"""fastavro's ``json_reader``: Avro JSON records, one per line, on turboavro's JSON codec
(resolved to a reader schema through the binary codec's resolution)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ..codec import Decoder, Encoder
from ..json_codec import from_json_value
from ._engine import to_turbo
from .io.json_decoder import AvroJSONDecoder
from .schema import parse_schema

__all__ = ["json_reader"]


def json_reader(
    fo: IO[str],
    schema: Any,
    reader_schema: Any = None,
    *,
    decoder: type[AvroJSONDecoder] = AvroJSONDecoder,
) -> Iterator[Any]:
    """Yield the records of the text file ``fo`` (one Avro JSON datum per line) written with
    ``schema``, as ``reader_schema`` when given."""
    writer = to_turbo(parse_schema(schema), strip=frozenset({"raw"}))
    resolve = None
    if reader_schema is not None:
        reader = to_turbo(parse_schema(reader_schema), strip=frozenset({"raw"}))
        enc = Encoder(writer, logical=False)
        dec = Decoder(writer, reader)
        resolve = (enc, dec)
    for value in decoder(fo):
        if resolve is None:
            yield from_json_value(value, writer)
        else:
            enc, dec = resolve
            yield dec.decode(enc.encode(from_json_value(value, writer, logical=False)))
