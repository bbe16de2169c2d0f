"""Avro single-object encoding (Avro specification, Single-object encoding).

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

from .codec import Encoder
from .errors import FramingError
from .framing import (
    SINGLE_OBJECT_HEADER,
    SINGLE_OBJECT_MAGIC,
    Decoded,
    _bounded,
    cacheable,
    decoder_for,
    encoder_for,
    plain_decoders,
    store_schema,
)
from .schema import Schema

__all__ = ["encode", "decode", "header", "fingerprint", "Decoded"]

# id(schema argument) -> (the argument, header, encoder): see framing.py on identity caches.
_fast: dict[int, tuple[Any, bytes, Encoder]] = {}


def _entry(schema: Any) -> tuple[Any, bytes, Encoder]:
    parsed, enc = encoder_for(schema)
    # The fingerprint is stored little-endian, as Schema.fingerprint returns it (spec: Single-object encoding).
    entry = (schema, SINGLE_OBJECT_MAGIC + parsed.fingerprint("CRC-64-AVRO"), enc)
    if cacheable(schema):
        _bounded(_fast)[id(schema)] = entry
    return entry


def header(schema: Any) -> bytes:
    """The 10-byte header of messages written with ``schema``."""
    return _entry(schema)[1]


def encode(obj: Any, schema: Any) -> bytes:
    """Encode ``obj`` as one single-object message. Pass a parsed Schema (or JSON text) for
    speed: the encoder and header are cached per schema."""
    hit = _fast.get(id(schema))
    if hit is None or hit[0] is not schema:
        hit = _entry(schema)
    return hit[1] + hit[2].encode(obj)


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
    """The writer schema of fingerprint ``fp`` (8 bytes) from ``store``; a mapping may also be
    keyed by the fingerprint as an unsigned or signed (Java's, spec: Schema Fingerprints) int or as hex."""
    return store_schema(
        store,
        "schema_by_fingerprint",
        fp,
        (int.from_bytes(fp, "little"), int.from_bytes(fp, "little", signed=True), fp.hex()),
        f"no schema with CRC-64-AVRO fingerprint {fp.hex()}",
    )


def decode(
    data: bytes | bytearray | memoryview,
    store: Any,
    reader_schema: Any = None,
    *,
    return_schema: bool = False,
) -> Any:
    """Decode one single-object message.

    The writer schema is looked up in ``store`` by the header's fingerprint; with
    ``reader_schema`` the datum is resolved to it (Avro specification, Schema Resolution). A bad marker raises
    :class:`FramingError`, an unknown fingerprint :class:`UnknownSchemaError` (naming it in
    hex), a bad body :class:`DecodeError` with the offset counted from the message start.
    ``return_schema=True`` returns a :class:`~turboavro.framing.Decoded`
    (value, writer schema, ``schema_id=None``, fingerprint).
    """
    # Written for the hot loop (one message at a time): the common case -- bytes, a dict store
    # holding parsed Schemas or a Catalog, no reader schema -- is a handful of dict lookups.
    if type(data) is not bytes:
        data = bytes(data)  # a bytearray / memoryview message: one small copy
    if len(data) < SINGLE_OBJECT_HEADER or data[0] != 0xC3 or data[1] != 0x01:
        _bad_header(data)
    fp = data[2:SINGLE_OBJECT_HEADER]
    writer = store.get(fp) if type(store) is dict else writer_schema(store, fp)
    # Only live Schemas are keys of plain_decoders, so a hit also proves `writer` is one.
    hit = plain_decoders.get(id(writer)) if reader_schema is None else None
    if hit is not None and hit[0] is writer:
        dec = hit[1]
    else:
        if not isinstance(writer, Schema):  # unknown, text, an int/hex-keyed mapping ...
            writer = writer_schema(store, fp)
        dec = decoder_for(writer, reader_schema)
    # Offsets in DecodeError count from the start of the message.
    value = dec.decode(data, SINGLE_OBJECT_HEADER)  # the datum must fill the rest of the message
    if return_schema:
        return Decoded(value, writer, None, fp)
    return value
