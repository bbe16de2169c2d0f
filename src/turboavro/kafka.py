"""Kafka serializers in Confluent's wire format, on turboavro's codec.

:class:`AvroSerializer` and :class:`AvroDeserializer` have confluent-kafka's serialization
interface (``serializer(obj, ctx) -> bytes``, ``deserializer(data, ctx) -> obj`` where ``ctx``
is a ``confluent_kafka.serialization.SerializationContext``, or anything with ``topic`` and
``field`` attributes), so they plug into ``SerializingProducer``/``DeserializingConsumer`` or a
plain loop. Their messages are byte-identical to confluent-kafka's ``AvroSerializer`` (the magic
byte, the 4-byte big-endian schema id, the datum's binary encoding) and each side reads the
other's. The schema registry is a :class:`turboavro.registry.Client`; nothing here imports
confluent-kafka.

Each schema is compiled once into an :class:`~turboavro.codec.Encoder` / ``Decoder`` and the
subject's (header, encoder) pair is cached, so after the first message of a subject a message
costs one strategy call, one dict lookup and the encode.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import confluent
from .errors import AvroError
from .framing import as_schema, encoder_for
from .schema import Schema

__all__ = [
    "AvroSerializer",
    "AvroDeserializer",
    "topic_subject_name_strategy",
    "record_subject_name_strategy",
    "topic_record_subject_name_strategy",
]


def _field(ctx: Any) -> str:
    value = getattr(ctx, "field", "value")
    return str(getattr(value, "value", value))


def topic_subject_name_strategy(ctx: Any, record_name: str | None) -> str:
    """``{topic}-{key|value}`` (Confluent's default)."""
    if ctx is None:
        raise AvroError("the topic subject name strategy needs a SerializationContext")
    return f"{ctx.topic}-{_field(ctx)}"


def record_subject_name_strategy(ctx: Any, record_name: str | None) -> str:
    """``{record full name}``."""
    if record_name is None:
        raise AvroError("the record subject name strategy needs a named schema (record, enum or fixed)")
    return record_name


def topic_record_subject_name_strategy(ctx: Any, record_name: str | None) -> str:
    """``{topic}-{record full name}``."""
    if ctx is None or record_name is None:
        raise AvroError("the topic-record subject name strategy needs a context and a named schema")
    return f"{ctx.topic}-{record_name}"


_DEFAULTS: dict[str, Any] = {
    "auto.register.schemas": True,
    "normalize.schemas": False,
    "use.latest.version": False,
    "use.schema.id": None,
    "subject.name.strategy": topic_subject_name_strategy,
}


def _record_name(schema: Schema) -> str | None:
    if schema.type in ("record", "enum", "fixed", "error"):
        return str(schema.fullname)
    if schema.type == "union":
        return None
    return schema.type  # a primitive's name is its type


class AvroSerializer:
    """Serialize Python values to Confluent-framed Avro with a schema registered in
    ``client``.

    ``conf`` takes confluent-kafka's keys: ``auto.register.schemas`` (default True: register
    the schema under the subject; False: look it up), ``normalize.schemas``,
    ``use.latest.version`` (write with the subject's latest version instead; needs
    ``auto.register.schemas`` False), ``use.schema.id`` (write with that id) and
    ``subject.name.strategy`` (a callable ``(ctx, record_name) -> subject``: the
    ``*_subject_name_strategy`` functions here or confluent-kafka's own). ``to_dict``
    converts an object to the value to encode, as in confluent-kafka. ``references``
    (``(name, subject, version)`` or dicts) name the registered versions whose named types
    ``schema`` uses.
    """

    def __init__(
        self,
        client: Any,
        schema: Any = None,
        conf: Mapping[str, Any] | None = None,
        *,
        to_dict: Callable[[Any, Any], Any] | None = None,
        references: Iterable[Any] | None = None,
    ) -> None:
        settings = dict(_DEFAULTS)
        settings.update(conf or {})
        unknown = set(settings) - set(_DEFAULTS)
        if unknown:
            raise ValueError(f"Unrecognized properties: {', '.join(sorted(unknown))}")
        for key in ("auto.register.schemas", "normalize.schemas", "use.latest.version"):
            if not isinstance(settings[key], bool):
                raise ValueError(f"{key} must be a boolean value")
        self._auto_register: bool = settings["auto.register.schemas"]
        self._normalize: bool = settings["normalize.schemas"]
        self._use_latest: bool = settings["use.latest.version"]
        self._use_id = settings["use.schema.id"]
        if self._use_id is not None and (isinstance(self._use_id, bool) or not isinstance(self._use_id, int)):
            raise ValueError("use.schema.id must be an int value")
        if self._use_latest and self._auto_register:
            raise ValueError("cannot enable both use.latest.version and auto.register.schemas")
        self._strategy = settings["subject.name.strategy"]
        if not callable(self._strategy):
            raise ValueError("subject.name.strategy must be callable")
        if to_dict is not None and not callable(to_dict):
            raise ValueError("to_dict must be callable: to_dict(obj, ctx) -> value")
        self._to_dict = to_dict
        self._client = client
        self._references = list(references or ())
        if isinstance(schema, Schema) and self._references:
            raise ValueError("a schema with references must be given as JSON text or a dict")
        if schema is None:
            if not (self._use_latest or self._use_id is not None):
                raise ValueError("a schema is required unless use.latest.version or use.schema.id is set")
            self._schema: Schema | None = None
            self._record_name: str | None = None
        else:
            # a schema using named types of other subjects' versions: parsed with them
            self._schema = client.parse_schema(schema, self._references) if self._references else as_schema(schema)
            self._record_name = _record_name(self._schema)
            encoder_for(self._schema)  # compile now: a bad schema fails here, not per message
        # what is registered: the caller's text as given (a JSON object is dumped once)
        self._text = schema if isinstance(schema, str) or schema is None or isinstance(schema, Schema) else json.dumps(schema)
        # subject -> (the 5-byte header, the encoder)
        self._by_subject: dict[str, tuple[bytes, Any]] = {}

    def _prepare(self, subject: str) -> tuple[bytes, Any]:
        client = self._client
        if self._use_id is not None:
            writer = client.schema_by_id(self._use_id)
            sid = self._use_id
        elif self._use_latest:
            latest = client.get_latest(subject)
            writer = client.schema_by_id(latest.id)
            sid = latest.id
        else:
            assert self._schema is not None
            text = self._text
            if self._auto_register:
                sid = client.register(subject, text, self._references, normalize=self._normalize).id
            else:
                sid = client.lookup(subject, text, self._references, normalize=self._normalize).id
            writer = self._schema
        entry = (confluent.header(sid), encoder_for(writer)[1])
        self._by_subject[subject] = entry
        return entry

    def __call__(self, obj: Any, ctx: Any = None) -> bytes | None:
        if obj is None:
            return None
        subject = self._strategy(ctx, self._record_name)
        entry = self._by_subject.get(subject)
        if entry is None:
            entry = self._prepare(subject)
        if self._to_dict is not None:
            obj = self._to_dict(obj, ctx)
        return entry[0] + entry[1].encode(obj)


class AvroDeserializer:
    """Deserialize Confluent-framed Avro messages, finding each writer schema by id in
    ``client`` (cached after the first message of an id). With ``reader_schema`` the data is
    resolved to it (schema evolution). ``from_dict`` converts the decoded value, as in
    confluent-kafka."""

    def __init__(
        self,
        client: Any,
        reader_schema: Any = None,
        *,
        from_dict: Callable[[Any, Any], Any] | None = None,
    ) -> None:
        if from_dict is not None and not callable(from_dict):
            raise ValueError("from_dict must be callable: from_dict(value, ctx) -> object")
        self._client = client
        self._reader = None if reader_schema is None else as_schema(reader_schema)
        self._from_dict = from_dict

    def __call__(self, data: bytes | None, ctx: Any = None) -> Any:
        if data is None:
            return None
        value = confluent.decode(data, self._client, self._reader)
        if self._from_dict is not None:
            return self._from_dict(value, ctx)
        return value
