"""fastavro's ``fastavro.read``: ``reader``, ``block_reader``, ``schemaless_reader``,
``is_avro`` on turboavro's container reader and compiled decoders."""
from __future__ import annotations

import itertools
import json
import os
import re
import sys
from collections.abc import Iterator
from typing import IO, Any

from .. import errors as _errors
from ..container import MAGIC, Reader
from ..resolver import PROMOTIONS
from ..schema import parse_lenient
from ._engine import ReadOptions, read_plan, to_turbo
from .const import AVRO_TYPES, NAMED_TYPES
from .logical_readers import LOGICAL_READERS
from .schema import parse_schema

__all__ = [
    "HEADER_SCHEMA",
    "LOGICAL_READERS",
    "SchemaResolutionError",
    "Block",
    "block_reader",
    "is_avro",
    "reader",
    "schemaless_reader",
]


class SchemaResolutionError(_errors.SchemaResolutionError):
    """A reader schema that cannot read the writer's data (fastavro's name; also a
    :class:`turboavro.errors.SchemaResolutionError`)."""


# fastavro exposes the header's own schema; this is the one the Avro specification gives
HEADER_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "org.apache.avro.file.Header",
    "fields": [
        {"name": "magic", "type": {"type": "fixed", "name": "magic", "size": len(MAGIC)}},
        {"name": "meta", "type": {"type": "map", "values": "bytes"}},
        {"name": "sync", "type": {"type": "fixed", "name": "sync", "size": 16}},
    ],
}

_UNICODE_ERRORS = ("strict", "ignore", "replace")


def _available_codecs() -> dict[str, str]:
    from ..codecs import CODEC_NAMES, NONSTANDARD_CODECS, get_codec

    out = {}
    for name in CODEC_NAMES + NONSTANDARD_CODECS:
        try:
            out[name] = get_codec(name, nonstandard=True).implementation
        except _errors.CodecError:
            pass
    return out


#: The codecs this installation reads (fastavro's name for its table of block readers).
BLOCK_READERS = _available_codecs()


def _options(return_record_name: bool, return_record_name_override: bool,
             return_named_type: bool, return_named_type_override: bool) -> ReadOptions:
    return ReadOptions(
        bool(return_record_name or return_record_name_override),
        bool(return_record_name_override),
        bool(return_named_type or return_named_type_override),
        bool(return_named_type_override),
        LOGICAL_READERS,
    )


def _plan(writer: Any, reader_schema: Any, opts: ReadOptions) -> Any:
    try:
        return read_plan(writer, reader_schema, opts)
    except _errors.SchemaResolutionError as e:
        if isinstance(e, SchemaResolutionError):
            raise
        raise SchemaResolutionError(_resolution_text(e, writer, reader_schema)) from e


def _nodes(node: Any, seen: set[int]) -> Iterator[Any]:
    """The nodes of a resolved tree (turboavro.resolver), each once."""
    if node is None or id(node) in seen:
        return
    seen.add(id(node))
    yield node
    children = [node.items, node.target, *node.branches,
                *(m.node for m in node.fields), *(src[2] for src in node.sources)]
    for child in children:
        yield from _nodes(child, seen)


def _resolution_text(e: _errors.SchemaResolutionError, writer: Any, reader: Any) -> str:
    """The resolver's error in fastavro's words where a program may test them (a reader
    field with no default); otherwise turboavro's own text."""
    text = str(e)
    if "is missing from the writer and has no default" not in text or reader is None:
        return text
    from ..resolver import resolve

    try:
        tree = resolve(to_turbo(writer), to_turbo(reader))
    except _errors.AvroError:
        return text
    for node in _nodes(tree, set()):
        for p in node.problems:
            if p.field is not None and f"reader field {p.field.name!r} is missing" in p.reason:
                return f"No default value for field {p.field.name} in {p.reader.fullname}"
    return text


def _check_unicode(handle_unicode_errors: str) -> None:
    if handle_unicode_errors not in _UNICODE_ERRORS:
        raise ValueError(f"handle_unicode_errors must be one of {_UNICODE_ERRORS}")


def _metadata_str(meta: dict[str, bytes]) -> dict[str, str]:
    # fastavro decodes every value as UTF-8; binary values (a sync marker, a hash) stay
    # readable here instead of failing: undecodable bytes become surrogates, losslessly
    return {k: v.decode("utf-8", "surrogateescape") for k, v in meta.items()}


class HeaderError(_errors.CorruptFileError):
    """A file that does not start with an Avro container header."""


class _Reader(Reader):
    # the facade accepts the schemas fastavro accepts (see turboavro.schema.parse_lenient)
    _parse_header_schema = staticmethod(lambda text: parse_lenient(json.loads(text)))
    _nonstandard_codecs = True  # fastavro's lz4


class EOFDecodeError(_errors.DecodeError, EOFError):
    """Data that ends inside a datum (fastavro raises EOFError there)."""


class ResolutionDecodeError(_errors.DecodeError, SchemaResolutionError):
    """Data whose writer branch or enum symbol the reader schema cannot read (fastavro
    raises SchemaResolutionError when it meets such a value)."""


class UnicodeDecodeDecodeError(_errors.DecodeError, UnicodeDecodeError):
    """A string that is not valid UTF-8 (fastavro raises UnicodeDecodeError; the
    ``handle_unicode_errors`` option reads it with "replace" or "ignore" instead)."""

    def __init__(self, text: str, offset: int | None, path: str | None,
                 cause: UnicodeDecodeError | tuple[str, bytes, int, int, str]) -> None:
        fields = cause if isinstance(cause, tuple) else (
            cause.encoding, cause.object, cause.start, cause.end, cause.reason)
        UnicodeDecodeError.__init__(self, *fields)
        self.offset, self.path, self._text = offset, path, text

    def __str__(self) -> str:
        return self._text

    def __reduce__(self) -> Any:
        # its arguments are not UnicodeDecodeError's: rebuilt whole, the cause as plain values
        # (tblib, which distributed installs, rebuilds a pickled UnicodeDecodeError without
        # running its __init__, so an exception object here came back with None fields)
        fields = (self.encoding, self.object, self.start, self.end, self.reason)
        return (type(self), (self._text, self.offset, self.path, fields))


def _unicode_cause(e: BaseException) -> UnicodeDecodeError | None:
    seen = 0
    c: BaseException | None = e
    while c is not None and seen < 8:
        if isinstance(c, UnicodeDecodeError):
            return c
        c, seen = c.__context__ or c.__cause__, seen + 1
    return None


_SYMBOL = re.compile(r"writer symbol #(\d+) is unknown to reader enum (\S+), which has no default")


def _enum_text(text: str, plan: Any) -> str:
    """fastavro's words for a writer symbol the reader enum lacks."""
    m = _SYMBOL.match(text)
    if m is None or plan is None or getattr(plan, "reader_schema", None) is None:
        return text
    from ..resolver import resolve

    try:
        tree = resolve(plan.writer_schema, plan.reader_schema)
    except _errors.AvroError:
        return text
    idx, name = int(m.group(1)), m.group(2)
    for node in _nodes(tree, set()):
        if (node.kind == "enum" and name in (node.reader.fullname, node.reader.name)
                and idx < len(node.writer.symbols) and node.symbol_map[idx] is None):
            return (f"{node.writer.symbols[idx]} not found in reader symbol list "
                    f"{node.reader.fullname}, known symbols: {list(node.reader.symbols)}"
                    f"{text[m.end():]}")
    return text


def _decode_error(e: _errors.DecodeError, plan: Any = None) -> _errors.DecodeError:
    text = str(e.args[0]) if e.args else str(e)
    if text.endswith(")") and " (at " in text and (e.offset is not None or e.path):
        text = text.rsplit(" (at ", 1)[0]
    if text.startswith(("writer union branch", "writer symbol")) and not isinstance(e, SchemaResolutionError):
        return ResolutionDecodeError(_enum_text(text, plan), e.offset, e.path)
    cause = _unicode_cause(e)
    if cause is not None and not isinstance(e, UnicodeDecodeError):
        return UnicodeDecodeDecodeError(str(e), e.offset, e.path, cause)
    if text.startswith("unexpected end of data") and not isinstance(e, EOFError):
        err: _errors.DecodeError = EOFDecodeError(str(e))
        err.offset, err.path = e.offset, e.path
        return err
    return e


class _FailedPlan:
    custom = ()

    def __init__(self, error: Exception) -> None:
        self.error = error

    @property
    def decoder(self) -> Any:
        raise self.error


class _FileReader:
    """What ``reader`` and ``block_reader`` share: the header, the plan, the options; the
    subclass's ``_start`` gives what iterating yields."""

    _elems: Iterator[Any]

    def __init__(
        self,
        fo: IO[bytes] | Any,
        reader_schema: Any = None,
        return_record_name: bool = False,
        return_record_name_override: bool = False,
        handle_unicode_errors: str = "strict",
        return_named_type: bool = False,
        return_named_type_override: bool = False,
    ) -> None:
        _check_unicode(handle_unicode_errors)
        self.fo = fo
        self.return_record_name = return_record_name
        self.return_record_name_override = return_record_name_override
        self.return_named_type = return_named_type
        self.return_named_type_override = return_named_type_override
        self.handle_unicode_errors = handle_unicode_errors
        try:
            self._reader = _Reader(fo)
        except _errors.CodecError as e:
            raise _errors.CodecError(f"Unrecognized codec: {e}") from e
        except _errors.CorruptFileError as e:
            if e.offset is not None and e.offset <= 4:
                raise HeaderError(f"cannot read header - is it an avro file? ({e})") from e
            raise
        raw = self._reader.metadata
        self.metadata = _metadata_str(raw)
        self.codec = self._reader.codec
        self._schema = json.loads(raw["avro.schema"].decode("utf-8"))
        self.writer_schema = parse_schema(self._schema, _write_hint=False)
        self._opts = _options(return_record_name, return_record_name_override,
                              return_named_type, return_named_type_override)
        if reader_schema is not None:
            self.reader_schema = parse_schema(reader_schema, _write_hint=False)
        else:
            self.reader_schema = None
        try:
            self._plan = _plan(self._schema, reader_schema, self._opts)
        except SchemaResolutionError as e:
            # fastavro finds the mismatch when it reads: so does the facade
            self._plan = _FailedPlan(e)
        else:
            if handle_unicode_errors != "strict":
                self._plan = self._plan.lenient(handle_unicode_errors)
            self._reader._decoder = self._plan.decoder  # the facade's plan decodes the blocks
            self.decoder = self._plan.decoder
            self.sync_marker = self._reader.sync_marker
        self._elems = self._start()

    def _start(self) -> Iterator[Any]:
        raise NotImplementedError

    @property
    def schema(self) -> Any:
        import warnings

        warnings.warn(
            "The 'schema' attribute is deprecated. Please use 'writer_schema'",
            DeprecationWarning,
            stacklevel=2,
        )
        return self._schema

    def __iter__(self) -> Any:
        return self._elems

    def __next__(self) -> Any:
        return next(self._elems)


class reader(_FileReader):  # noqa: N801 - fastavro's name
    """Iterate over the records of an Avro container file (fastavro's ``reader``)."""

    def _start(self) -> Iterator[Any]:
        # records handed out at C speed from the container reader's batches, decoded with
        # cyclic collection paused (see Reader._record_batches)
        return itertools.chain.from_iterable(self._batches())

    def _batches(self) -> Iterator[list[Any]]:
        if isinstance(self._plan, _FailedPlan):
            raise self._plan.error
        finish = self._plan.finish if self._plan.custom else None
        try:
            for batch in self._reader._record_batches():
                yield batch if finish is None else [finish(r) for r in batch]
        except _errors.DecodeError as e:
            raise _decode_error(e, self._plan) from None
        finally:
            self._reader.close()


class Block:
    """One data block of a container file, decoded when iterated (fastavro's ``Block``)."""

    def __init__(self, bytes_: Any, num_records: int, codec: str, reader_schema: Any,
                 writer_schema: Any, named_schemas: Any, offset: int, size: int,
                 options: Any = None, _plan: Any = None, _raw: Any = None) -> None:
        self.bytes_ = bytes_
        self.num_records = num_records
        self.codec = codec
        self.reader_schema = reader_schema
        self.writer_schema = writer_schema
        self._named_schemas = named_schemas
        self.offset = offset
        self.size = size
        self.options = options
        self._plan = _plan
        self._raw = _raw

    def __iter__(self) -> Iterator[Any]:
        records = self._plan.decoder.decode_block(self.bytes_, self.num_records)
        if self._plan.custom:
            records = [self._plan.finish(r) for r in records]
        return iter(records)

    def __str__(self) -> str:
        return (f"Avro block: {len(self.bytes_)} bytes, {self.num_records} records, "
                f"codec: {self.codec}, position {self.offset}+{self.size}")


class block_reader(_FileReader):  # noqa: N801 - fastavro's name
    """Iterate over the blocks of an Avro container file (fastavro's ``block_reader``)."""

    def _start(self) -> Iterator[Any]:
        return self._blocks()

    def _blocks(self) -> Iterator[Block]:
        r = self._reader
        for raw in r.iter_blocks_raw():
            data = bytes(r.decompress(raw))
            yield Block(data, raw.count, self.codec, self.reader_schema, self.writer_schema,
                        None, raw.offset, raw.data_offset + raw.size + 16 - raw.offset,
                        self._opts, self._plan, raw)


_PLAIN = ReadOptions(readers=LOGICAL_READERS)


def schemaless_reader(
    fo: IO[bytes] | Any,
    writer_schema: Any,
    reader_schema: Any = None,
    return_record_name: bool = False,
    return_record_name_override: bool = False,
    handle_unicode_errors: str = "strict",
    return_named_type: bool = False,
    return_named_type_override: bool = False,
) -> Any:
    """Read one datum of ``writer_schema`` (as ``reader_schema``) from ``fo``, which is left
    just after it (fastavro's ``schemaless_reader``)."""
    # The common call (no reader schema, no options, a schema seen before) is a message
    # decoder's hot path: one dict lookup, then the decode.
    hit = _PLAIN_PLANS.get(id(writer_schema))
    if (hit is None or hit[0] is not writer_schema or reader_schema is not None
            or return_record_name or return_record_name_override or return_named_type
            or return_named_type_override):
        if reader_schema is not None and writer_schema == reader_schema:
            reader_schema = None
        plan = _message_plan(writer_schema, reader_schema, return_record_name,
                             return_record_name_override, return_named_type,
                             return_named_type_override)
        decode_prefix, custom = plan.decoder.decode_prefix, plan.custom
    else:
        _, plan, decode_prefix, custom = hit
    data = fo.read()  # a BytesIO read from its start hands over its bytes without a copy
    try:
        value, end = decode_prefix(data, 0)
    except _errors.DecodeError as e:
        if handle_unicode_errors == "strict" or _unicode_cause(e) is None:
            raise _decode_error(e, plan) from None
        _check_unicode(handle_unicode_errors)
        plan = plan.lenient(handle_unicode_errors)  # strings that are not UTF-8: read again
        custom = plan.custom
        try:
            value, end = plan.decoder.decode_prefix(data, 0)
        except _errors.DecodeError as e2:
            raise _decode_error(e2, plan) from None
    if end != len(data):
        fo.seek(end - len(data), 1)  # fo is left just after the datum, as fastavro leaves it
    if custom:
        value = plan.finish(value)
    return value


def _message_plan(writer_schema: Any, reader_schema: Any, return_record_name: bool,
                  return_record_name_override: bool, return_named_type: bool,
                  return_named_type_override: bool) -> Any:
    """``schemaless_reader``'s plan for these arguments; the plain case (no reader schema,
    no options) is remembered by the writer schema's identity for the fast path."""
    if return_record_name or return_record_name_override or return_named_type or return_named_type_override:
        opts = ReadOptions(return_record_name or return_record_name_override,
                           return_record_name_override,
                           return_named_type or return_named_type_override,
                           return_named_type_override, LOGICAL_READERS)
        return _plan(writer_schema, reader_schema, opts)
    plan = _plan(writer_schema, reader_schema, _PLAIN)
    if reader_schema is None:
        if len(_PLAIN_PLANS) > 1024:
            _PLAIN_PLANS.clear()
        _PLAIN_PLANS[id(writer_schema)] = (
            writer_schema, plan, plan.decoder.decode_prefix, bool(plan.custom))
    return plan


# id(writer schema) -> (writer schema, plan, its decode_prefix, whether custom logical readers
# apply); forgotten whenever LOGICAL_READERS changes (a plan depends on its conversions)
_PLAIN_PLANS: dict[int, tuple[Any, Any, Any, bool]] = {}
LOGICAL_READERS.listeners.append(_PLAIN_PLANS.clear)  # type: ignore[attr-defined]


def is_avro(path_or_buffer: str | os.PathLike[str] | IO[bytes]) -> bool:
    """Does the file (a path, or a file object read from its current position) start with
    the Avro container magic?"""
    if isinstance(path_or_buffer, (str, os.PathLike)):
        with open(path_or_buffer, "rb") as fo:
            head = fo.read(len(MAGIC))
    else:
        head = path_or_buffer.read(len(MAGIC))
    return head == MAGIC


# -- fastavro's private names its tests import ----------------------------------------------
# match_types/match_schemas: fastavro's shallow reader-vs-writer checks on fastavro-form
# schemas (turboavro's own resolution is turboavro.resolver).

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
_read = sys.modules[__name__]  # fastavro.read._read: the module holding the read functions
