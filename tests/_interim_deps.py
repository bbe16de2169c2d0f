"""TEMPORARY, test-only stand-ins for turboavro.schema / codec / codecs built on fastavro, used
only while those modules have not landed on main. Installed into sys.modules only when the real
module cannot be imported. Delete once main has them."""
from __future__ import annotations

import bz2
import io
import json
import lzma
import sys
import types
import zlib

import fastavro
import fastavro.schema

from turboavro.errors import CodecError, DecodeError, EncodeError, SchemaError


def _install_schema() -> None:
    class Schema:
        def __init__(self, obj):
            self._obj = obj
            self._parsed = fastavro.parse_schema(obj)

        @classmethod
        def parse(cls, x):
            if isinstance(x, Schema):
                return x
            if isinstance(x, str):
                try:
                    x = json.loads(x)
                except ValueError:
                    pass
            try:
                return cls(x)
            except Exception as e:
                raise SchemaError(str(e)) from None

        @property
        def type(self):
            o = self._obj
            if isinstance(o, list):
                return "union"
            if isinstance(o, dict):
                t = o["type"]
                return "null" if t in ("record", "error", "fixed") else t
            return o if o in ("int", "long", "string", "bytes", "boolean") else "null"

        @property
        def canonical_form(self):
            return fastavro.schema.to_parsing_canonical_form(self._parsed)

        def fingerprint(self, algorithm="CRC-64-AVRO"):
            fp = fastavro.schema.fingerprint(self.canonical_form, algorithm)
            return bytes.fromhex(fp)

        def to_json(self):
            return self._obj

        def __str__(self):
            return json.dumps(self._obj)

        def __eq__(self, other):
            return isinstance(other, Schema) and self.canonical_form == other.canonical_form

        def __hash__(self):
            return hash(self.canonical_form)

    m = types.ModuleType("turboavro.schema")
    m.Schema = Schema  # type: ignore[attr-defined]
    sys.modules["turboavro.schema"] = m


def _install_codec() -> None:
    from turboavro.schema import Schema

    class Encoder:
        def __init__(self, schema):
            self.schema = Schema.parse(schema)

        def encode_into(self, obj, out):
            b = io.BytesIO()
            try:
                fastavro.schemaless_writer(b, fastavro.parse_schema(self.schema.to_json()), obj)
            except Exception as e:
                raise EncodeError(str(e)) from None
            out += b.getvalue()

        def encode_many_into(self, it, out):
            n = 0
            for o in it:
                self.encode_into(o, out)
                n += 1
            return n

        def encode(self, obj):
            out = bytearray()
            self.encode_into(obj, out)
            return bytes(out)

    class Decoder:
        def __init__(self, writer, reader_schema=None, *, logical=True):
            self.writer_schema = Schema.parse(writer)
            self.reader_schema = Schema.parse(reader_schema) if reader_schema is not None else None

        def decode_block(self, buf, count):
            b = io.BytesIO(bytes(buf))
            out = []
            w = fastavro.parse_schema(self.writer_schema.to_json())
            r = fastavro.parse_schema(self.reader_schema.to_json()) if self.reader_schema else None
            for _ in range(count):
                pos = b.tell()
                try:
                    out.append(fastavro.schemaless_reader(b, w, r))
                except Exception as e:
                    err = DecodeError(f"bad datum: {type(e).__name__}", pos)
                    err.partial = out  # type: ignore[attr-defined]
                    raise err from None
            if b.tell() != len(b.getvalue()):
                err = DecodeError("trailing bytes after the last datum", b.tell())
                err.partial = out  # type: ignore[attr-defined]
                raise err
            return out

    m = types.ModuleType("turboavro.codec")
    m.Encoder = Encoder  # type: ignore[attr-defined]
    m.Decoder = Decoder  # type: ignore[attr-defined]
    sys.modules["turboavro.codec"] = m


def _install_codecs() -> None:
    import cramjam
    import zstandard

    class Codec:
        def __init__(self, name, comp, decomp):
            self.name, self._c, self._d, self.native = name, comp, decomp, False

        def compress(self, data, level=None):
            return self._c(bytes(data), level)

        def decompress(self, data, max_size):
            try:
                out = self._d(bytes(data))
            except Exception as e:
                raise CodecError(f"corrupt {self.name} data: {e}") from None
            if len(out) > max_size:
                raise CodecError(f"decompressed block larger than {max_size}")
            return out

    def snappy_c(d, level):
        return bytes(cramjam.snappy.compress_raw(d)) + zlib.crc32(d).to_bytes(4, "big")

    def snappy_d(d):
        out = bytes(cramjam.snappy.decompress_raw(d[:-4]))
        if zlib.crc32(out).to_bytes(4, "big") != d[-4:]:
            raise ValueError("CRC mismatch")
        return out

    def defl_c(d, level):
        c = zlib.compressobj(-1 if level is None else level, zlib.DEFLATED, -15)
        return c.compress(d) + c.flush()

    codecs = {
        "null": Codec("null", lambda d, lv: d, lambda d: d),
        "deflate": Codec("deflate", defl_c, lambda d: zlib.decompress(d, -15)),
        "snappy": Codec("snappy", snappy_c, snappy_d),
        "bzip2": Codec("bzip2", lambda d, lv: bz2.compress(d), bz2.decompress),
        "xz": Codec("xz", lambda d, lv: lzma.compress(d), lzma.decompress),
        "zstandard": Codec(
            "zstandard",
            lambda d, lv: zstandard.ZstdCompressor(level=lv or 3).compress(d),
            lambda d: zstandard.ZstdDecompressor().decompressobj().decompress(d),
        ),
    }

    def get_codec(name):
        try:
            return codecs[name]
        except KeyError:
            raise CodecError(f"unknown codec {name!r}") from None

    m = types.ModuleType("turboavro.codecs")
    m.get_codec = get_codec  # type: ignore[attr-defined]
    m.CODEC_NAMES = tuple(codecs)  # type: ignore[attr-defined]
    sys.modules["turboavro.codecs"] = m


def install() -> None:
    for name, fn in (("schema", _install_schema), ("codec", _install_codec),
                     ("codecs", _install_codecs)):
        try:
            __import__(f"turboavro.{name}")
        except ImportError:
            fn()


install()
