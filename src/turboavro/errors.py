"""The exceptions turboavro raises. Every one derives from :class:`AvroError`.

Errors about data carry *where*: ``offset`` (byte offset in the buffer or file) and ``path``
(the field path, ``$.orders[3].price``), and say them in the message.
"""
from __future__ import annotations


class AvroError(Exception):
    """Base class of every turboavro error."""


class SchemaError(AvroError, ValueError):
    """An invalid schema. ``path`` is the JSON path of the offending node (``$.fields[2].type``)."""

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{message} (at {path})" if path else message)


class SchemaResolutionError(SchemaError):
    """A reader schema that can never read data of the writer schema (Avro specification, Schema Resolution)."""


class DecodeError(AvroError, ValueError):
    """Bytes that are not valid Avro for the schema: truncated, overlong, out of range, ..."""

    def __init__(self, message: str, offset: int | None = None, path: str | None = None) -> None:
        self.offset = offset
        self.path = path
        where = []
        if offset is not None:
            where.append(f"byte offset {offset}")
        if path:
            where.append(f"field {path}")
        super().__init__(f"{message} (at {', '.join(where)})" if where else message)


class EncodeError(AvroError, ValueError):
    """A Python value that does not fit the schema. Names the field path and the value."""

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{message} (at {path})" if path else message)


class CorruptFileError(DecodeError):
    """An object container file whose structure is broken (magic, header, block, sync)."""


class UnknownFieldError(AvroError, KeyError):
    """A field or column name that the schema does not have (``read_columns(columns=[...])``).
    Also a ``KeyError``, as a missing key is in Python."""

    def __str__(self) -> str:  # KeyError's own str() would quote the message
        return str(self.args[0]) if self.args else ""


class CodecError(AvroError, ValueError):
    """A block codec failed: unknown name, corrupt compressed data, checksum mismatch.
    ``offset``: the file offset of the block, for a block of a container file."""

    offset: int | None = None


class CodecUnavailableError(CodecError):
    """The codec is known but neither a native library nor a Python package provides it."""


class FramingError(AvroError, ValueError):
    """A message is not in the expected framing (single-object, Confluent)."""


class UnknownSchemaError(AvroError, LookupError):
    """A fingerprint or schema id that the store does not know."""


class CatalogError(AvroError, ValueError):
    """An operation the catalog refuses: bad subject or level, hard delete before soft delete,
    deleting a version other schemas reference, importing into a non-empty catalog, ..."""


class ModeError(CatalogError):
    """A write the catalog's mode refuses: any write under READONLY, a registration without an
    id under IMPORT, an id or version given outside IMPORT, or switching a non-empty subject to
    IMPORT without ``force``."""


class SchemaInUseError(CatalogError):
    """Deleting a version that another registered schema references."""


class IdConflictError(CatalogError):
    """An imported schema id or version already holds different content."""


class RegistryError(AvroError):
    """A schema registry answered a request with an error: ``status`` is the HTTP status,
    ``error_code`` Confluent's code (40401 subject not found, 40901 incompatible, ...; -1
    when the answer carried none)."""

    def __init__(self, message: str, status: int = 0, error_code: int = -1) -> None:
        self.status = status
        self.error_code = error_code
        super().__init__(f"{message} (HTTP {status}, error code {error_code})" if status else message)


class IncompatibleSchemaError(AvroError):
    """A schema rejected by a compatibility level; ``report`` holds every incompatibility."""

    def __init__(self, message: str, report: object = None) -> None:
        self.report = report
        super().__init__(message)


def _block_codec_error(cause: CodecError, offset: int, size: int, data_offset: int) -> CodecError:
    """The error for a container block whose stored data its codec rejects, placed in the file
    (every reader raises this one): where the block is, then the codec's own message (which
    names the codec). ``offset``: the block's file offset."""
    err = CodecError(
        f"block at file offset {offset} ({size} bytes at {data_offset}) cannot be "
        f"decompressed: {cause}"
    )
    err.offset = offset
    return err


def _trailing_bytes_error(extra: int, count: int, offset: int, at: int | None = None) -> DecodeError:
    """The error for a container block whose ``count`` records end ``extra`` bytes before its
    data does (every reader raises this one). ``offset``: the file offset of the first byte
    left over (stored blocks), or of the block's data with ``at`` the position in its
    decompressed data (compressed blocks)."""
    where = f", at byte {at} of its decompressed data" if at is not None else ""
    return DecodeError(f"block has {extra} bytes after its {count} records{where}", offset)


def _cut_block_error(got: int, size: int, offset: int) -> CorruptFileError:
    """The error for a container block whose data the file ends inside (every reader raises
    this one): ``got`` of its ``size`` bytes are there. ``offset``: the block's file offset."""
    return CorruptFileError(f"file ends inside a block: {got} of {size} bytes", offset)
