"""fastavro's ``BinaryDecoder``: reads Avro binary primitives from a file ("Binary Encoding"
in the Avro specification)."""
from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import IO

from ...errors import DecodeError


class BinaryDecoder:
    def __init__(self, fo: IO[bytes]) -> None:
        self.fo = fo

    def _read(self, n: int) -> bytes:
        data = self.fo.read(n)
        if len(data) != n:
            raise EOFError(f"Expected {n} bytes, read {len(data)}")
        return data

    def read_null(self) -> None:
        return None

    def read_boolean(self) -> bool:
        return self._read(1) == b"\x01"

    def read_long(self) -> int:
        shift = result = 0
        while True:
            b = self.fo.read(1)
            if not b:
                raise EOFError("Expected a long, reached the end of the data")
            byte = b[0]
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
            if shift > 63:
                raise DecodeError("varint longer than 10 bytes")
        return (result >> 1) ^ -(result & 1)

    read_int = read_long

    def read_float(self) -> float:
        return float(struct.unpack("<f", self._read(4))[0])

    def read_double(self) -> float:
        return float(struct.unpack("<d", self._read(8))[0])

    def read_bytes(self) -> bytes:
        n = self.read_long()
        if n < 0:
            raise DecodeError(f"negative length {n}")
        return self._read(n)

    def read_utf8(self, handle_unicode_errors: str = "strict") -> str:
        return self.read_bytes().decode("utf-8", handle_unicode_errors)

    def read_fixed(self, size: int) -> bytes:
        return self._read(size)

    def read_enum(self) -> int:
        return self.read_long()

    def read_index(self) -> int:
        return self.read_long()

    def read_array_start(self) -> None:
        self._block_count = self.read_long()

    def read_map_start(self) -> None:
        self._block_count = self.read_long()

    def iter_array(self) -> Iterator[None]:
        while True:
            count = self.read_long()
            if count == 0:
                return
            if count < 0:
                count = -count
                self.read_long()
            for _ in range(count):
                yield

    iter_map = iter_array

    def seek(self, offset: int, whence: int = 0) -> None:
        self.fo.seek(offset, whence)

    def tell(self) -> int:
        return self.fo.tell()
