"""Coverage-guided fuzz harnesses (atheris) for every entry point that parses untrusted bytes.

Each harness is a function of one ``bytes`` input. The only acceptable failure is a
turboavro error (:class:`turboavro.AvroError`); anything else -- a foreign exception, a
crash, a sanitizer report, a hang (libFuzzer ``-timeout``) or an allocation over the RSS
limit (``-rss_limit_mb``) -- is a finding. ``seeds(name)`` builds each harness's seed inputs
at run time from ``tests/data`` and, when present, the shared external test data (nothing
is copied into the repository). Run them through ``fuzz/run.py``.

Inputs that carry a schema and a datum start with one byte choosing a schema from
``SCHEMAS`` (collected from the seed files) so the fuzzer mutates data, not JSON, most of
the time.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA_DIRS = [REPO / "tests" / "data"]
_external = os.environ.get("TURBOAVRO_FUZZ_EXTERNAL", str(REPO.parent / "shared" / "testdata" / "external"))
if Path(_external).is_dir():
    DATA_DIRS.append(Path(_external))
# The shared test data sits at /work/shared in the development setup
if Path("/work/shared/testdata/external").is_dir() and Path("/work/shared/testdata/external") not in DATA_DIRS:
    DATA_DIRS.append(Path("/work/shared/testdata/external"))

MAX_SEED = 64 * 1024  # larger files are left out of the seed corpus (they only slow it down)

import turboavro as ta  # noqa: E402
from turboavro import limits  # noqa: E402
from turboavro.errors import AvroError  # noqa: E402

# Fuzzing runs under small limits: the checks are the same code at any value, and small
# values keep every input fast (a slow input is then a real finding).
limits.configure(max_block_size=4 << 20, max_block_records=1 << 16, max_file_records=1 << 18,
                 max_zero_byte_items=1 << 16, max_file_zero_byte_items=1 << 18)


def _files(*suffixes: str) -> Iterator[Path]:
    for d in DATA_DIRS:
        for p in sorted(d.rglob("*")):
            if p.is_file() and p.suffix in suffixes and p.stat().st_size <= MAX_SEED:
                yield p


def _schema_texts() -> list[str]:
    out = []
    for p in _files(".avsc"):
        out.append(p.read_text("utf-8", "replace"))
    for p in _files(".avro"):
        try:
            with ta.Reader(io.BytesIO(p.read_bytes())) as r:
                out.append(r.metadata["avro.schema"].decode())
        except (AvroError, UnicodeDecodeError):
            continue
    return out


def _usable_schemas() -> list[Any]:
    """Distinct parsed schemas of the seed files (at most 256, one byte picks one)."""
    seen, out = set(), []
    for text in _schema_texts():
        try:
            s = ta.Schema.parse(text)
            ta.Decoder(s)
        except AvroError:
            continue
        key = s.canonical_form
        if key not in seen:
            seen.add(key)
            out.append(s)
    out.sort(key=lambda s: len(s.canonical_form))
    return out[:256] or [ta.Schema.parse('"int"')]


SCHEMAS = _usable_schemas()
DECODERS = [ta.Decoder(s) for s in SCHEMAS]
STORE_FP = {s.fingerprint("CRC-64-AVRO"): s for s in SCHEMAS}
STORE_ID = {i + 1: s for i, s in enumerate(SCHEMAS)}


def _pick(data: bytes) -> tuple[int, bytes]:
    if not data:
        return 0, b""
    return data[0] % len(SCHEMAS), data[1:]


def _sample_records() -> Iterator[tuple[int, bytes, list[Any]]]:
    """(schema index, encoded datums, values) from the seed container files."""
    index = {s.canonical_form: i for i, s in enumerate(SCHEMAS)}
    for p in _files(".avro"):
        try:
            with ta.Reader(io.BytesIO(p.read_bytes())) as r:
                i = index.get(r.schema.canonical_form)
                if i is None:
                    continue
                values = list(r)[:20]
        except AvroError:
            continue
        enc = ta.Encoder(SCHEMAS[i])
        try:
            yield i, [enc.encode(v) for v in values], values
        except AvroError:
            continue


# -- harnesses ------------------------------------------------------------------------------


def schema_parse(data: bytes) -> None:
    try:
        s = ta.Schema.parse(data)
    except AvroError:
        return
    # what the parser accepts, the rest handles (issue 17)
    assert s.canonical_form
    s.fingerprint("CRC-64-AVRO")
    ta.Schema.parse(json.dumps(s.to_json()))
    ta.Decoder(s, s)
    try:
        ta.Encoder(s)
    except ta.SchemaError:
        pass  # a default the encoder cannot encode (a decimal beyond its precision)
    ta.check_compatibility(s, s)


def decode(data: bytes) -> None:
    i, body = _pick(data)
    try:
        value = DECODERS[i].decode(body)
    except AvroError:
        return
    # a decoded value encodes, and its encoding is a fixed point (bytes compared: NaN != NaN)
    enc = ta.Encoder(SCHEMAS[i])
    try:
        again = enc.encode(value)
    except ta.EncodeError:
        return  # e.g. a decimal beyond its precision: read (as Java does), not written
    assert enc.encode(DECODERS[i].decode(again)) == again


def decode_block(data: bytes) -> None:
    if len(data) < 2:
        return
    i, body = _pick(data)
    try:
        DECODERS[i].decode_block(body[1:], body[0])
    except AvroError:
        pass


def _reader(mode: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        try:
            with ta.Reader(io.BytesIO(data), on_corruption=mode) as r:
                for _ in r:
                    pass
        except AvroError:
            pass

    run.__name__ = f"reader_{mode}"
    return run


reader_raise = _reader("raise")
reader_skip = _reader("skip")


def _columns(threads: int) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        try:
            ta.read_columns(data, threads=threads)
        except AvroError:
            pass

    run.__name__ = f"read_columns_{threads}"
    return run


read_columns_1 = _columns(1)
read_columns_2 = _columns(2)


def json_decode(data: bytes) -> None:
    i, body = _pick(data)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        value = ta.json_decode(text, SCHEMAS[i])
    except AvroError:
        return
    try:
        ta.json_encode(value, SCHEMAS[i])
    except ta.EncodeError:
        pass  # a decimal beyond its precision: read (as Java does), not written


def single_object_decode(data: bytes) -> None:
    try:
        ta.single_object.decode(data, STORE_FP)
    except AvroError:
        pass


def confluent_decode(data: bytes) -> None:
    try:
        ta.confluent.decode(data, STORE_ID)
    except AvroError:
        pass


def check_compatibility(data: bytes) -> None:
    """Two schemas: a 2-byte big-endian length, the first schema's text, the second's."""
    if len(data) < 2:
        return
    n = struct.unpack(">H", data[:2])[0]
    a, b = data[2 : 2 + n], data[2 + n :]
    try:
        r, w = ta.Schema.parse(a), ta.Schema.parse(b)
    except AvroError:
        return
    try:
        ta.check_compatibility(r, w)
        ta.Decoder(w, r)
    except AvroError:
        pass


_EXPORT: Path | None = None
_TMP = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def _export() -> Path:
    """A valid catalog export (two subjects, references, a deletion) to damage."""
    global _EXPORT
    if _EXPORT is None:
        tmp = Path(tempfile.mkdtemp(prefix="turboavro-fuzz-catalog-"))
        cat = ta.Catalog(tmp / "c.db")
        a = {"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]}
        cat.register("a", a)
        cat.register("a", {**a, "fields": a["fields"] + [{"name": "y", "type": "string",
                                                           "default": ""}]})
        cat.register("b", {"type": "record", "name": "B", "fields": [{"name": "a", "type": "A"}]},
                     references=[{"name": "A", "subject": "a", "version": 1}])
        cat.delete("a", 2)
        _EXPORT = cat.export_dir(tmp / "export")
        cat.close()
    return _EXPORT


def catalog_import(data: bytes) -> None:
    """The input replaces one file of a valid export: byte 0 picks which (index.json or a
    schema file), the rest is its content."""
    if not data:
        return
    src = _export()
    files = sorted(p for p in src.rglob("*") if p.is_file())
    target = files[data[0] % len(files)].relative_to(src)
    with tempfile.TemporaryDirectory(prefix="turboavro-fuzz-import-", dir=_TMP) as tmp:
        root = Path(tmp, "export")
        shutil.copytree(src, root)
        (root / target).write_bytes(data[1:])
        cat = ta.Catalog(Path(tmp, "c.db"))
        try:
            cat.import_dir(root)
        except AvroError:
            pass
        finally:
            cat.close()


HARNESSES: dict[str, Callable[[bytes], None]] = {
    f.__name__: f
    for f in (schema_parse, decode, decode_block, reader_raise, reader_skip, read_columns_1,
              read_columns_2, json_decode, single_object_decode, confluent_decode,
              check_compatibility, catalog_import)
}


# -- seeds ------------------------------------------------------------------------------------


def seeds(name: str) -> Iterator[bytes]:
    """Seed inputs of harness ``name``, built from the test data."""
    if name == "schema_parse":
        for text in _schema_texts():
            yield text.encode()
    elif name in ("decode", "json_decode", "single_object_decode", "confluent_decode",
                  "decode_block"):
        for i, datums, values in _sample_records():
            s = SCHEMAS[i]
            for d, v in list(zip(datums, values, strict=True))[:3]:
                if name == "decode":
                    yield bytes([i]) + d
                elif name == "json_decode":
                    yield bytes([i]) + ta.json_encode(v, s).encode()
                elif name == "single_object_decode":
                    yield ta.single_object.encode(v, s)
                elif name == "confluent_decode":
                    yield ta.confluent.encode(v, s, i + 1)
            if name == "decode_block":
                yield bytes([i, len(datums)]) + b"".join(datums)
    elif name.startswith(("reader_", "read_columns_")):
        for p in _files(".avro"):
            yield p.read_bytes()
    elif name == "check_compatibility":
        texts = [t.encode() for t in _schema_texts()][:120]
        for a, b in zip(texts, texts[1:] + texts[:1], strict=True):
            if len(a) < 65536:
                yield struct.pack(">H", len(a)) + a + a
                yield struct.pack(">H", len(a)) + a + b
    elif name == "catalog_import":
        src = _export()
        files = sorted(p for p in src.rglob("*") if p.is_file())
        for k, p in enumerate(files):
            yield bytes([k]) + p.read_bytes()
    else:
        raise KeyError(name)
