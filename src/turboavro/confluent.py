"""Confluent Schema Registry wire format (as written by Confluent's serializers).

A message is the magic byte ``00``, the schema id as a 4-byte **big-endian** int, then the
datum's binary encoding. The reader finds the writer schema by id in a *store*: a
:class:`~turboavro.catalog.Catalog`, or any mapping from id (int) to a Schema or schema JSON
text (for example built from a Confluent registry client's ``get_schema(id).schema_str``).
"""
from __future__ import annotations

from typing import Any

from .codec import Encoder
from .errors import FramingError
from .framing import (
    _CACHE_LIMIT,
    CONFLUENT_HEADER,
    Decoded,
    _bounded,
    cacheable,
    decoder_for,
    encoder_for,
    plain_decoders,
    store_schema,
)
from .schema import Schema

__all__ = ["encode", "decode", "header", "schema_id", "Decoded"]

_MAX_ID = 0xFFFFFFFF
_headers: dict[int, bytes] = {}


def header(schema_id: int) -> bytes:
    """The 5-byte header of messages written with ``schema_id``."""
    hit = _headers.get(schema_id) if type(schema_id) is int else None
    if hit is None:
        if isinstance(schema_id, bool) or not isinstance(schema_id, int) or not 0 <= schema_id <= _MAX_ID:
            raise FramingError(f"a Confluent schema id is an int in 0..{_MAX_ID}, not {schema_id!r}")
        if len(_headers) >= _CACHE_LIMIT:
            _headers.clear()
        hit = _headers[schema_id] = b"\x00" + schema_id.to_bytes(4, "big")
    return hit


def encode(obj: Any, schema: Any, schema_id: int) -> bytes:
    """Encode ``obj`` as one Confluent-framed message under ``schema_id``. Pass a parsed Schema
    (or JSON text) for speed: the encoder is cached per schema."""
    enc = _fast.get(id(schema))
    if enc is None or enc[0] is not schema:
        enc = _entry(schema)
    # type check first: True and 1.0 hash like 1 and would find id 1's header
    head = _headers.get(schema_id) if type(schema_id) is int else None
    return (head if head is not None else header(schema_id)) + enc[1].encode(obj)


# id(schema argument) -> (the argument, encoder): see framing.py on identity caches.
_fast: dict[int, tuple[Any, Encoder]] = {}


def _entry(schema: Any) -> tuple[Any, Encoder]:
    entry = (schema, encoder_for(schema)[1])
    if cacheable(schema):
        _bounded(_fast)[id(schema)] = entry
    return entry


def schema_id(data: bytes | bytearray | memoryview) -> int:
    """The schema id from a message's header (no decoding)."""
    if len(data) < CONFLUENT_HEADER or data[0] != 0:
        _bad_header(data)
    return int.from_bytes(data[1:CONFLUENT_HEADER], "big")


def _bad_header(data: Any) -> None:
    if len(data) == 0:
        raise FramingError("not a Confluent frame: empty message")
    if data[0] != 0:
        raise FramingError(f"not a Confluent frame: starts with 0x{data[0]:02x}, expected the magic byte 0x00")
    raise FramingError(f"not a Confluent frame: {len(data)} bytes, the magic byte and schema id need 5")


def writer_schema(store: Any, sid: int) -> Schema:
    """The writer schema of id ``sid`` from ``store`` (a mapping may be keyed by the id as str)."""
    return store_schema(store, "schema_by_id", sid, (str(sid),), f"no schema with id {sid}")


def decode(
    data: bytes | bytearray | memoryview,
    store: Any,
    reader_schema: Any = None,
    *,
    return_schema: bool = False,
) -> Any:
    """Decode one Confluent-framed message.

    A bad magic byte or short header raises :class:`FramingError`, an unknown id
    :class:`UnknownSchemaError`, a bad body :class:`DecodeError` with the offset counted from
    the message start. ``return_schema=True`` returns a :class:`~turboavro.framing.Decoded`
    (value, writer schema, schema id, ``fingerprint=None``).
    """
    # The hot loop, written as single_object.decode is.
    if len(data) < CONFLUENT_HEADER or data[0] != 0:
        _bad_header(data)
    sid = int.from_bytes(data[1:CONFLUENT_HEADER], "big")
    writer = store.get(sid) if type(store) is dict else writer_schema(store, sid)
    # Only live Schemas are keys of plain_decoders, so a hit also proves `writer` is one.
    hit = plain_decoders.get(id(writer)) if reader_schema is None else None
    if hit is not None and hit[0] is writer:
        dec = hit[1]
    else:
        if not isinstance(writer, Schema):  # unknown, text, a str-keyed mapping ...
            writer = writer_schema(store, sid)
        dec = decoder_for(writer, reader_schema)
    value = dec.decode(data, CONFLUENT_HEADER)  # the datum must fill the rest of the message
    if return_schema:
        return Decoded(value, writer, sid, None)
    return value
