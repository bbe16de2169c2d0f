"""Avro single-object encoding (SPEC.md items 48-49).

A message is ``C3 01``, then the 8-byte **little-endian** CRC-64-AVRO fingerprint of the writer
schema's Parsing Canonical Form, then the datum's binary encoding. The reader finds the writer
schema by fingerprint in a *store*: a :class:`~turboavro.catalog.Catalog`, or any mapping
from fingerprint (the 8 bytes, or the fingerprint as an int, unsigned or Java's signed long,
or its hex text) to a Schema or schema JSON text.

    >>> import turboavro as ta                                     # doctest: +SKIP
    >>> msg = ta.single_object.encode({"id": 1}, schema)
    >>> ta.single_object.decode(msg, {schema.fingerprint(): schema})
"""
from __future__ import annotations

from typing import Any

from .errors import FramingError, UnknownSchemaError
from .framing import (
    _CACHE_LIMIT,
    SINGLE_OBJECT_HEADER,
    SINGLE_OBJECT_MAGIC,
    Decoded,
    decode_body,
    decoder_for,
    encoder_for,
    lookup,
)
from .schema import Schema

__all__ = ["encode", "decode", "header", "fingerprint", "Decoded"]

_headers: dict[Schema, bytes] = {}


def header(schema: Any) -> bytes:
    """The 10-byte header of messages written with ``schema``."""
    parsed, _ = encoder_for(schema)
    return _header(parsed)


def _header(parsed: Schema) -> bytes:
    hit = _headers.get(parsed)
    if hit is None:
        if len(_headers) >= _CACHE_LIMIT:
            _headers.clear()
        # The fingerprint is stored little-endian, as Schema.fingerprint returns it (item 48).
        hit = _headers[parsed] = SINGLE_OBJECT_MAGIC + parsed.fingerprint("CRC-64-AVRO")
    return hit


def encode(obj: Any, schema: Any) -> bytes:
    """Encode ``obj`` as one single-object message. Pass a parsed Schema (or JSON text) for
    speed: the encoder and header are cached per schema."""
    parsed, enc = encoder_for(schema)
    hit = _headers.get(parsed)
    return (hit if hit is not None else _header(parsed)) + enc.encode(obj)


def fingerprint(data: bytes | bytearray | memoryview) -> bytes:
    """The writer schema's 8-byte fingerprint from a message's header (no decoding)."""
    if len(data) < SINGLE_OBJECT_HEADER or bytes(data[:2]) != SINGLE_OBJECT_MAGIC:
        _bad_header(data)
    return bytes(data[2:SINGLE_OBJECT_HEADER])


def _bad_header(data: Any) -> None:
    head = bytes(memoryview(data)[:2])
    if head == SINGLE_OBJECT_MAGIC:
        raise FramingError(
            f"not Avro single-object: {len(data)} bytes, the C3 01 marker and fingerprint need 10"
        )
    shown = head.hex(" ").upper() or "nothing (empty message)"
    raise FramingError(f"not Avro single-object: starts with {shown}, expected the marker C3 01")


def writer_schema(store: Any, fp: bytes) -> Schema:
    """The writer schema of fingerprint ``fp`` (8 bytes) from ``store``."""
    getter = getattr(store, "schema_by_fingerprint", None)
    if getter is not None:
        return getter(fp)
    value = lookup(
        store,
        (
            fp,
            int.from_bytes(fp, "little"),
            int.from_bytes(fp, "little", signed=True),  # Java's signed long (item 91)
            fp.hex(),
        ),
    )
    if value is None:
        raise UnknownSchemaError(
            f"unknown writer schema: no schema with CRC-64-AVRO fingerprint {fp.hex()} in the store"
        )
    from .framing import as_schema

    return as_schema(value)


def decode(
    data: bytes | bytearray | memoryview,
    store: Any,
    reader_schema: Any = None,
    *,
    return_schema: bool = False,
) -> Any:
    """Decode one single-object message.

    The writer schema is looked up in ``store`` by the header's fingerprint; with
    ``reader_schema`` the datum is resolved to it (SPEC.md §K). A bad marker raises
    :class:`FramingError`, an unknown fingerprint :class:`UnknownSchemaError` (naming it in
    hex), a bad body :class:`DecodeError` with the offset counted from the message start.
    ``return_schema=True`` returns a :class:`~turboavro.framing.Decoded`
    (value, writer schema, ``schema_id=None``, fingerprint).
    """
    if len(data) < SINGLE_OBJECT_HEADER or data[0] != 0xC3 or data[1] != 0x01:
        _bad_header(data)
    fp = bytes(data[2:SINGLE_OBJECT_HEADER])
    writer = writer_schema(store, fp)
    value = decode_body(decoder_for(writer, reader_schema), data, SINGLE_OBJECT_HEADER)
    if return_schema:
        return Decoded(value, writer, None, fp)
    return value
