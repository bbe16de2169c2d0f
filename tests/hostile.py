"""Builders of hostile inputs for the limit and regression tests (and the fuzz harnesses'
seeds): container files assembled block by block with any count, size and codec, varints,
nested schemas."""
from __future__ import annotations

import bz2
import json
from typing import Any

SYNC = b"\x5a" * 16


def zigzag(n: int) -> bytes:
    """The Avro varint of ``n`` (zig-zag, little-endian base 128)."""
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def header(schema: Any, codec: str = "null") -> bytes:
    text = schema if isinstance(schema, str) and schema.startswith(("{", "[", '"')) else json.dumps(schema)
    meta = [(b"avro.schema", text.encode()), (b"avro.codec", codec.encode())]
    out = bytearray(b"Obj\x01")
    out += zigzag(len(meta))
    for k, v in meta:
        out += zigzag(len(k)) + k + zigzag(len(v)) + v
    out += zigzag(0) + SYNC
    return bytes(out)


def block(count: int, data: bytes) -> bytes:
    return zigzag(count) + zigzag(len(data)) + data + SYNC


def container(schema: Any, blocks: list[tuple[int, bytes]], codec: str = "null") -> bytes:
    """A container file of ``blocks`` (count, stored data) -- counts are not checked."""
    return header(schema, codec) + b"".join(block(c, d) for c, d in blocks)


def nested_arrays(depth: int, leaf: Any = "int") -> Any:
    s = leaf
    for _ in range(depth):
        s = {"type": "array", "items": s}
    return s


def bzip2_bomb(size: int) -> bytes:
    """A bzip2 stream of ``size`` zero bytes (a few hundred bytes for hundreds of MiB)."""
    c = bz2.BZ2Compressor(9)
    chunk = bytes(1 << 20)
    out = bytearray()
    for _ in range(size >> 20):
        out += c.compress(chunk)
    return bytes(out + c.flush())
