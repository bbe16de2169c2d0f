"""fastavro's ``BinaryEncoder``: the Avro binary encoding of primitive values into a file
("Binary Encoding" in the Avro specification)."""
from __future__ import annotations

import struct
from typing import IO, Any


def _zigzag(n: int) -> bytes:
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


class BinaryEncoder:
    def __init__(self, fo: IO[bytes]) -> None:
        self._fo = fo

    def write_null(self) -> None:
        pass

    def write_boolean(self, datum: bool) -> None:
        self._fo.write(b"\x01" if datum else b"\x00")

    def write_int(self, datum: int) -> None:
        self._fo.write(_zigzag(datum))

    write_long = write_int

    def write_float(self, datum: float) -> None:
        self._fo.write(struct.pack("<f", datum))

    def write_double(self, datum: float) -> None:
        self._fo.write(struct.pack("<d", datum))

    def write_bytes(self, datum: bytes) -> None:
        self.write_long(len(datum))
        self._fo.write(datum)

    def write_utf8(self, datum: str) -> None:
        self.write_bytes(datum.encode("utf-8"))

    def write_crc32(self, datum: bytes) -> None:
        import zlib

        self._fo.write(struct.pack(">I", zlib.crc32(datum) & 0xFFFFFFFF))

    def write_fixed(self, datum: bytes) -> None:
        self._fo.write(datum)

    def write_enum(self, index: int) -> None:
        self.write_int(index)

    def write_array_start(self) -> None:
        pass

    def write_item_count(self, length: int) -> None:
        self.write_long(length)

    def end_item(self) -> None:
        pass

    def write_array_end(self) -> None:
        self.write_long(0)

    write_map_end = write_array_end

    def write_map_start(self) -> None:
        pass

    def write_index(self, index: int, schema: Any = None) -> None:
        self.write_long(index)
