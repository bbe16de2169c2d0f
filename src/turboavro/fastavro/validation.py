"""fastavro's ``fastavro.validation``: ``validate``, ``validate_many``, ``ValidationError``.

A datum is first tried with the compiled encoder (what encodes is valid: the fast path); a
datum it rejects, and every datum under ``strict``, is judged by fastavro's rules in Python,
which also collect the errors."""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, NamedTuple

from ..errors import EncodeError
from ._engine import WriteOptions, is_valid, schema_write_plan, to_turbo
from .logical_writers import LOGICAL_WRITERS

__all__ = ["ValidationError", "ValidationErrorData", "validate", "validate_many"]


class ValidationErrorData(NamedTuple):
    """One failure: the datum, the schema it does not fit, the field path."""

    datum: Any
    schema: Any
    field: str

    def __str__(self) -> str:
        if self.datum is None:
            return f"Field({self.field}) is None expected {self.schema}"
        return f"{self.field} is <{self.datum}> of type {type(self.datum)} expected {self.schema}"


class ValidationError(EncodeError):
    """Data that does not fit its schema; ``errors`` lists each :class:`ValidationErrorData`
    (also a :class:`turboavro.errors.EncodeError`)."""

    def __init__(self, *errors: ValidationErrorData) -> None:
        super().__init__(json.dumps([str(e) for e in errors], indent=2, ensure_ascii=False))
        self.errors = errors


def _encodes(datum: Any, schema: Any) -> bool:
    """The fast path: what the compiled encoder takes is valid (which union branch does not
    matter here); False when a user's logical writer applies or the encoder refuses."""
    plan, _, custom = schema_write_plan(schema, LOGICAL_WRITERS)
    if custom:
        return False
    try:
        plan.encoder.encode(datum)
        return True
    except EncodeError:
        return False


def _judge(datum: Any, schema: Any, field: str, raise_errors: bool, opts: WriteOptions) -> bool:
    """fastavro's rules in Python, collecting the errors."""
    s = to_turbo(schema)
    errors: list[Any] = []
    if is_valid(datum, s, opts, errors if raise_errors else None, field):
        return True
    if raise_errors:
        raise ValidationError(*(ValidationErrorData(*e) for e in errors[-1:] or [(datum, schema, field)]))
    return False


def validate(
    datum: Any,
    schema: Any,
    field: str = "",
    raise_errors: bool = True,
    strict: bool = False,
    disable_tuple_notation: bool = False,
) -> bool:
    """Is ``datum`` an instance of ``schema``? Raises :class:`ValidationError` (or returns
    False with ``raise_errors=False``) when it is not."""
    if not (strict or disable_tuple_notation) and _encodes(datum, schema):
        return True
    opts = WriteOptions(strict, False, disable_tuple_notation, LOGICAL_WRITERS)
    return _judge(datum, schema, field, raise_errors, opts)


def validate_many(
    records: Iterable[Any],
    schema: Any,
    raise_errors: bool = True,
    strict: bool = False,
    disable_tuple_notation: bool = False,
) -> bool:
    """Validate every record; with ``raise_errors``, one :class:`ValidationError` lists the
    failures of all records."""
    opts = WriteOptions(strict, False, disable_tuple_notation, LOGICAL_WRITERS)
    fast = not (strict or disable_tuple_notation)
    errors: list[ValidationErrorData] = []
    ok = True
    for r in records:
        try:
            valid = (fast and _encodes(r, schema)) or _judge(r, schema, "", raise_errors, opts)
            ok = valid and ok
        except ValidationError as e:
            errors.extend(e.errors)
    if raise_errors and errors:
        raise ValidationError(*errors)
    return ok
