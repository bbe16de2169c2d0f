"""Logical types on the Python side (Avro specification, Logical Types): the value conversions the native codec calls
for the rarer types (decimal, uuid checks, duration), and the :class:`Duration` value type.

The hot conversions (date, time, timestamps) run inside the compiled codec; the functions here
are the reference for everything else and are used when defaults are converted at plan time.
"""
from __future__ import annotations

import datetime as _dt
import decimal as _decimal
from typing import Any, NamedTuple

UTC = _dt.timezone.utc
EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_NAIVE = _dt.datetime(1970, 1, 1)
EPOCH_DATE = _dt.date(1970, 1, 1)
_EPOCH_ORDINAL = EPOCH_DATE.toordinal()

_U32 = 0xFFFFFFFF


class Duration(NamedTuple):
    """The ``duration`` logical type (spec: Logical Types: Duration): three unsigned 32-bit counts. They are not
    normalised into each other (a month is not a fixed number of days)."""

    months: int
    days: int
    milliseconds: int


# -- decimal (spec: Logical Types: Decimal) -------------------------------------------------------------------


def decimal_to_unscaled(value: _decimal.Decimal, precision: int, scale: int) -> int:
    """The unscaled integer of ``value`` at ``scale``; raises ValueError if that would round
    or exceed ``precision`` digits (writers must not lose digits silently)."""
    if not isinstance(value, _decimal.Decimal):
        raise TypeError(f"expected decimal.Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite decimal")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    unscaled = 0
    for d in digits:
        unscaled = unscaled * 10 + d
    shift = exponent + scale
    if shift >= 0:
        unscaled *= 10**shift
    else:
        unscaled, rest = divmod(unscaled, 10 ** (-shift))
        if rest:
            raise ValueError(f"{value} has more than {scale} digits after the point (scale {scale})")
    if unscaled and len(str(unscaled)) > precision:
        raise ValueError(f"{value} needs more than {precision} digits (precision {precision})")
    return -unscaled if sign else unscaled


def unscaled_to_decimal(unscaled: int, scale: int) -> _decimal.Decimal:
    # Built from a string so the context precision (28 digits) never rounds it.
    return _decimal.Decimal(f"{unscaled}E{-scale}") if scale else _decimal.Decimal(unscaled)


def int_to_twos_complement(n: int, size: int | None = None) -> bytes:
    """Big-endian two's complement: minimal length when ``size`` is None (bytes, spec: Logical Types: Decimal),
    else sign-extended to exactly ``size`` bytes (fixed, spec: Logical Types: Decimal; ValueError if it does not fit)."""
    length = (n + (n < 0)).bit_length() // 8 + 1
    if size is None:
        return n.to_bytes(length, "big", signed=True)
    if length > size:
        raise ValueError(f"unscaled value {n} does not fit in {size} bytes")
    return n.to_bytes(size, "big", signed=True)


def twos_complement_to_int(data: bytes) -> int:
    return int.from_bytes(data, "big", signed=True)


def decode_decimal(data: bytes, scale: int) -> _decimal.Decimal:
    return unscaled_to_decimal(twos_complement_to_int(data), scale)


def encode_decimal(value: _decimal.Decimal, precision: int, scale: int, size: int | None) -> bytes:
    return int_to_twos_complement(decimal_to_unscaled(value, precision, scale), size)


def _read_zigzag(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated or overlong varint in big-decimal")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7


def _zigzag(n: int) -> bytes:
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def decode_big_decimal(data: bytes) -> _decimal.Decimal:
    """``big-decimal`` (spec: Logical Types: Decimal): an Avro ``bytes`` (unscaled) followed by an Avro ``int`` scale."""
    length, pos = _read_zigzag(data, 0)
    if length < 0 or pos + length > len(data):
        raise ValueError("big-decimal: bad length of the unscaled value")
    unscaled = twos_complement_to_int(data[pos : pos + length])
    scale, pos = _read_zigzag(data, pos + length)
    if pos != len(data):
        raise ValueError("big-decimal: trailing bytes after the scale")
    if not -(2**31) <= scale < 2**31:
        raise ValueError("big-decimal: scale does not fit an int")
    return unscaled_to_decimal(unscaled, scale)


def encode_big_decimal(value: _decimal.Decimal) -> bytes:
    if not isinstance(value, _decimal.Decimal):
        raise TypeError(f"expected decimal.Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite decimal")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    unscaled = int("".join(map(str, digits)) or "0")
    body = int_to_twos_complement(-unscaled if sign else unscaled)
    return _zigzag(len(body)) + body + _zigzag(-exponent)


# -- duration (spec: Logical Types: Duration) ----------------------------------------------------------------------


def decode_duration(data: bytes) -> Duration:
    return Duration(
        int.from_bytes(data[0:4], "little"),
        int.from_bytes(data[4:8], "little"),
        int.from_bytes(data[8:12], "little"),
    )


def encode_duration(value: Any) -> bytes:
    months, days, millis = value
    for part in (months, days, millis):
        if not isinstance(part, int) or isinstance(part, bool) or not 0 <= part <= _U32:
            raise ValueError(f"duration parts must be unsigned 32-bit ints, got {value!r}")
    return months.to_bytes(4, "little") + days.to_bytes(4, "little") + millis.to_bytes(4, "little")


# -- dates and times, reference versions (the codec has native ones) -------------------------

_UNIT = {"millis": 1_000, "micros": 1_000_000, "nanos": 1_000_000_000}


def date_to_days(value: _dt.date) -> int:
    return value.toordinal() - _EPOCH_ORDINAL


def days_to_date(days: int) -> _dt.date:
    return _dt.date.fromordinal(days + _EPOCH_ORDINAL)


def time_to_int(value: _dt.time, unit: str) -> int:
    micros = ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
    return micros // 1000 if unit == "millis" else micros


def int_to_time(n: int, unit: str) -> _dt.time:
    micros = n * 1000 if unit == "millis" else n
    if not 0 <= micros < 86_400_000_000:
        raise ValueError(f"time-{unit} value {n} is not within a day")
    s, us = divmod(micros, 1_000_000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return _dt.time(h, m, s, us)


def datetime_to_int(value: _dt.datetime, unit: str, local: bool) -> int:
    """Timestamps count from the epoch in UTC; a naive datetime is taken as UTC (as fastavro
    does). Local timestamps use the wall-clock fields and ignore any tzinfo."""
    if local or value.tzinfo is None:
        delta = value.replace(tzinfo=None) - EPOCH_NAIVE
    else:
        delta = value - EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    per_sec = _UNIT[unit]
    if per_sec == 1_000:
        return micros // 1000
    if per_sec == 1_000_000:
        return micros
    return micros * 1000


def int_to_datetime(n: int, unit: str, local: bool) -> _dt.datetime:
    per_sec = _UNIT[unit]
    micros = n // 1000 if per_sec == 1_000_000_000 else n * (1_000_000 // per_sec)
    base = EPOCH_NAIVE if local else EPOCH
    return base + _dt.timedelta(microseconds=micros)
