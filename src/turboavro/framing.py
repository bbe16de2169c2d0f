"""Message framings: what they have in common, and telling them apart.

Three ways an Avro datum travels with (a pointer to) its schema (Avro specification, Single-object encoding and Object Container Files; Confluent's wire format):

==================  ================================================================
single-object       ``C3 01`` + 8-byte little-endian CRC-64-AVRO of the writer schema's
                    Parsing Canonical Form + binary body (:mod:`turboavro.single_object`)
Confluent           ``00`` + 4-byte big-endian schema id + body (:mod:`turboavro.confluent`)
container file      ``Obj\\x01`` + metadata (schema inside) + sync + blocks (:mod:`turboavro.container`)
==================  ================================================================

This module holds the caches the two message framings share. Framing is the
one-message-at-a-time hot path, so a schema is compiled into an ``Encoder`` (or, per writer x
reader pair, a ``Decoder``) once and reused for every later message.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from .codec import Decoder, Encoder
from .errors import FramingError, UnknownSchemaError
from .schema import Schema

__all__ = ["Decoded", "detect_framing", "FRAMINGS"]

#: The names :func:`detect_framing` returns.
FRAMINGS = ("single-object", "confluent", "container")

SINGLE_OBJECT_MAGIC = b"\xc3\x01"  # Avro specification, Single-object encoding
SINGLE_OBJECT_HEADER = 10  # marker + 8-byte fingerprint
CONFLUENT_MAGIC = 0  # Confluent wire format: magic byte 0, then a big-endian int32 id
CONFLUENT_HEADER = 5
CONTAINER_MAGIC = b"Obj\x01"  # Avro specification, Object Container Files

# Bounded caches: a service sees a handful of schemas; a pathological caller that feeds a new
# schema per message must not grow memory without bound, so a full cache starts over.
_CACHE_LIMIT = 1024


class Decoded(NamedTuple):
    """What ``decode(..., return_schema=True)`` returns."""

    value: Any
    writer_schema: Schema
    schema_id: int | None  # Confluent frames
    fingerprint: bytes | None  # single-object frames: the 8-byte CRC-64-AVRO, little-endian


def detect_framing(data: bytes | bytearray | memoryview) -> str:
    """Name the framing of ``data``: ``"single-object"``, ``"confluent"`` or ``"container"``.

    Raises :class:`~turboavro.errors.FramingError` saying what the bytes look like when they
    are none of them (``starts with 0x03: not a single-object or Confluent frame``). Detection
    reads only the first bytes: a raw datum whose first byte happens to be 0x00 looks like a
    Confluent frame, so use it to route or to explain errors, not to authenticate data.
    """
    head = bytes(memoryview(data)[:4])
    n = len(data)
    if not head:
        raise FramingError("empty message: not a single-object, Confluent or container frame")
    if head[:2] == SINGLE_OBJECT_MAGIC:
        if n < SINGLE_OBJECT_HEADER:
            raise FramingError(
                f"starts with the single-object marker C3 01 but has {n} bytes; the header alone needs 10"
            )
        return "single-object"
    if head[0] == CONFLUENT_MAGIC:
        if n < CONFLUENT_HEADER:
            raise FramingError(f"starts with 0x00 (Confluent magic) but has {n} bytes; the header alone needs 5")
        return "confluent"
    if head == CONTAINER_MAGIC:
        return "container"
    if head == b"Obj\x00":
        raise FramingError("starts with Obj\\x00: a pre-1.3 legacy container file, not supported (Avro specification, Object Container Files)")
    if head[0] == 0xC3:
        raise FramingError(
            f"starts with C3 {head[1:2].hex().upper() or '(end)'}: single-object marker is C3 01 "
            "(unknown single-object format version or not a single-object frame)"
        )
    if head[:3] == b"Obj":
        raise FramingError(f"starts with Obj\\x{head[3]:02x}: not a supported container file version")
    raise FramingError(f"starts with 0x{head[0]:02x}: not a single-object or Confluent frame")


# -- schema / encoder / decoder caches shared by the framings --------------------------------
#
# Two levels. The first is keyed by the *identity* of what the caller passes (a Schema or JSON
# text, both immutable) and holds a reference to it, so the id cannot be reused while cached:
# a hit costs one dict lookup and an ``is`` test, no hashing of a schema. The second is keyed by
# the schema's value (hash of its canonical form, equality of its full JSON), so equal schemas
# parsed separately still share one compiled Encoder / Decoder.

_parsed: dict[str, Schema] = {}
_encoders: dict[Schema, Encoder] = {}
_decoders: dict[tuple[Schema, Schema | None], Decoder] = {}
_fast_decoders: dict[tuple[int, int], tuple[Schema, Any, Decoder]] = {}
# reader None (the common case): id(writer) -> (writer, decoder), one int-keyed lookup
plain_decoders: dict[int, tuple[Schema, Decoder]] = {}


def _bounded(cache: dict[Any, Any]) -> dict[Any, Any]:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    return cache


def as_schema(value: Any) -> Schema:
    """A Schema from a Schema, JSON text (cached by text) or a JSON object (parsed each time:
    a dict may be mutated between calls, so it is never cached)."""
    if isinstance(value, Schema):
        return value
    if isinstance(value, str):
        hit = _parsed.get(value)
        if hit is None:
            hit = _bounded(_parsed)[value] = Schema.parse(value)
        return hit
    if isinstance(value, (bytes, bytearray)):
        return as_schema(bytes(value).decode("utf-8"))
    return Schema.parse(value)


def cacheable(schema: Any) -> bool:
    """Whether ``schema`` is immutable, so an identity-keyed cache may hold it."""
    return isinstance(schema, (Schema, str))


def encoder_for(schema: Any) -> tuple[Schema, Encoder]:
    """The cached Encoder of ``schema`` (a Schema, JSON text or a JSON object)."""
    parsed = as_schema(schema)
    enc = _encoders.get(parsed)
    if enc is None:
        enc = _bounded(_encoders)[parsed] = Encoder(parsed)
    return parsed, enc


def decoder_for(writer: Schema, reader: Any = None) -> Decoder:
    """The cached Decoder for a writer x reader pair (reader ``None``: read as written)."""
    hit = _fast_decoders.get((id(writer), id(reader)))
    if hit is not None and hit[0] is writer and hit[1] is reader:
        return hit[2]
    reader_schema = None if reader is None else as_schema(reader)
    key = (writer, reader_schema)
    dec = _decoders.get(key)
    if dec is None:
        dec = _bounded(_decoders)[key] = Decoder(writer, reader_schema)
    if reader is None:
        _bounded(plain_decoders)[id(writer)] = (writer, dec)
    if reader is None or cacheable(reader):
        _bounded(_fast_decoders)[(id(writer), id(reader))] = (writer, reader, dec)
    return dec


def store_schema(store: Any, method: str, key: Any, alternatives: tuple[Any, ...], missing: str) -> Schema:
    """The writer schema under ``key`` in ``store``: a Catalog answers through its ``method``;
    a mapping is asked for ``key``, then for each of ``alternatives`` (other spellings of the
    same key). Absent: UnknownSchemaError, saying ``missing``."""
    getter = getattr(store, method, None)
    if getter is not None:
        return getter(key)
    value = lookup(store, (key, *alternatives))
    if value is None:
        raise UnknownSchemaError(f"unknown writer schema: {missing} in the store")
    return value if isinstance(value, Schema) else as_schema(value)


def lookup(store: Any, keys: tuple[Any, ...]) -> Any:
    """The first of ``keys`` a mapping store holds, else ``None``."""
    if not hasattr(store, "__getitem__"):
        raise TypeError(f"a schema store is a Catalog or a mapping, not {type(store).__name__}")
    for key in keys:
        try:
            return store[key]
        except (KeyError, TypeError, IndexError):
            continue
    return None
