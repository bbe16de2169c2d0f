"""The ``turboavro`` command: inspect, convert, repair and benchmark Avro container files.

Exit codes: 0 success, 1 bad data (any :class:`~turboavro.errors.AvroError`), 2 usage error
(bad arguments, missing files). ``-`` names stdin or stdout. Progress goes to stderr, and only
when stderr is a terminal.
"""
from __future__ import annotations

import argparse
import base64
import datetime
import decimal
import importlib
import io
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import IO, Any

from .errors import AvroError

__all__ = ["main"]

_STDIO = "-"


class UsageError(Exception):
    """A command-line mistake: exit code 2."""


# -- I/O helpers --------------------------------------------------------------------------------


def _in(path: str) -> Any:
    if path == _STDIO:
        return sys.stdin.buffer
    if not os.path.exists(path):
        raise UsageError(f"no such file: {path}")
    return path


def _out(path: str) -> IO[bytes]:
    if path == _STDIO:
        return sys.stdout.buffer
    try:
        return open(path, "wb")  # noqa: SIM115 - closed by the caller
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror}") from None


def _close(fo: IO[bytes]) -> None:
    if fo is sys.stdout.buffer:
        fo.flush()
    else:
        fo.close()


class _Progress:
    """Bytes done out of a total, redrawn at most 5 times a second on a terminal's stderr."""

    def __init__(self, total: int | None, label: str) -> None:
        self.total = total
        self.label = label
        self.enabled = bool(total and total > (8 << 20) and sys.stderr.isatty())
        self.last = 0.0

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        assert self.total
        frac = min(1.0, done / self.total)
        bar = "#" * int(frac * 30)
        sys.stderr.write(f"\r{self.label} [{bar:<30}] {frac * 100:5.1f}%")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * (len(self.label) + 42) + "\r")
            sys.stderr.flush()


def _size(path: Any) -> int | None:
    try:
        return os.path.getsize(path) if isinstance(path, str) else None
    except OSError:
        return None


# -- JSON output ---------------------------------------------------------------------------------


def _plain_default(value: Any) -> Any:
    """Plain JSON for the values json cannot write: bytes as ISO-8859-1 text (as the Avro
    JSON encoding writes them, Avro specification, JSON Encoding), or base64 with ``--bytes base64``; logical types as
    their ISO text."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("latin-1")
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    for attr in ("months", "days", "milliseconds"):  # logical.Duration
        if not hasattr(value, attr):
            break
    else:
        return {"months": value.months, "days": value.days, "milliseconds": value.milliseconds}
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _base64_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return _plain_default(value)


def _json_lines(records: Iterator[Any], schema: Any, args: argparse.Namespace) -> Iterator[str]:
    if args.avro_json:
        encode = _avro_json_encoder()
        for rec in records:
            yield encode(rec, schema)
        return
    default = _base64_default if args.bytes == "base64" else _plain_default
    dumps = json.JSONEncoder(ensure_ascii=False, default=default).encode
    for rec in records:
        yield dumps(rec)


def _avro_json_encoder() -> Any:
    try:
        from .json_codec import json_encode
    except ImportError:
        raise UsageError("--avro-json needs turboavro.json_codec, which is missing") from None
    return json_encode


def _write_lines(lines: Iterator[str]) -> None:
    out = sys.stdout
    batch: list[str] = []
    try:
        for line in lines:
            batch.append(line)
            if len(batch) >= 1024:
                out.write("\n".join(batch) + "\n")
                batch.clear()
    finally:  # records read before an error are still written
        if batch:
            out.write("\n".join(batch) + "\n")
        out.flush()


# -- commands ------------------------------------------------------------------------------------


def _reader(path: str, **kw: Any) -> Any:
    from .container import Reader

    return Reader(_in(path), **kw)


def cmd_cat(args: argparse.Namespace) -> int:
    for path in args.files:
        with _reader(path, logical=not args.avro_json) as r:
            records: Iterator[Any] = iter(r)
            if args.limit is not None:
                records = _take(records, args.limit)
            _write_lines(_json_lines(records, r.schema, args))
    return 0


def cmd_head(args: argparse.Namespace) -> int:
    args.files, args.limit = [args.file], args.n
    return cmd_cat(args)


def _take(it: Iterator[Any], n: int) -> Iterator[Any]:
    for i, x in enumerate(it):
        if i >= n:
            return
        yield x


def cmd_count(args: argparse.Namespace) -> int:
    total = 0
    for path in args.files:
        with _reader(path) as r:  # block counts only: nothing is decompressed or decoded
            n = sum(b.count for b in r.iter_blocks_raw())
        total += n
        if len(args.files) > 1:
            print(f"{n}\t{path}")
    print(total)
    return 0


def _schema_of(path: str) -> Any:
    """The schema of a container file (by its magic) or of an .avsc file."""
    from .container import MAGIC
    from .schema import Schema

    if path != _STDIO:
        _in(path)
        with open(path, "rb") as fo:
            head = fo.read(4)
        if head != MAGIC:
            with open(path, encoding="utf-8") as fo:
                return Schema.parse(fo.read())
    with _reader(path) as r:
        return r.schema


def cmd_schema(args: argparse.Namespace) -> int:
    schema = _schema_of(args.file)
    print(json.dumps(schema.to_json(), indent=None if args.compact else 2, ensure_ascii=False))
    return 0


def cmd_meta(args: argparse.Namespace) -> int:
    with _reader(args.file) as r:
        meta = r.metadata
        sync = r.sync_marker
    if args.json:
        out = {}
        for k, v in meta.items():
            try:
                out[k] = v.decode("utf-8")
            except UnicodeDecodeError:
                out[k] = {"base64": base64.b64encode(v).decode("ascii")}
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    for k, v in meta.items():
        try:
            text = v.decode("utf-8")
        except UnicodeDecodeError:
            text = "0x" + v.hex()
        print(f"{k}\t{text}")
    print(f"(sync marker)\t0x{sync.hex()}")
    return 0


def cmd_canonical(args: argparse.Namespace) -> int:
    print(_schema_of(args.file).canonical_form)
    return 0


def cmd_fingerprint(args: argparse.Namespace) -> int:
    schema = _schema_of(args.file)
    try:
        fp = schema.fingerprint(args.algo)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.format == "long":
        if len(fp) != 8:
            raise UsageError("--format long is for CRC-64-AVRO only")
        # Java's SchemaNormalization.parsingFingerprint64: the signed long of the LE bytes
        print(int.from_bytes(fp, "little", signed=True))
    else:
        print(fp.hex())
    return 0


def _copy_header_args(r: Any) -> dict[str, Any]:
    return {k: v for k, v in r.metadata.items() if not k.startswith("avro.")}


def cmd_recodec(args: argparse.Namespace) -> int:
    from .container import Writer

    src = _in(args.input)
    out = _out(args.output)
    progress = _Progress(_size(src), "recodec")
    try:
        with _reader(args.input) as r:
            w = Writer(out, r.schema, codec=args.codec, codec_level=args.level,
                       sync_interval=args.sync_interval or 64000,
                       metadata=_copy_header_args(r))
            with w:
                if args.sync_interval:  # new block sizes: records must be re-framed
                    w.write_many(r)
                else:  # same blocks, new compression: no decoding at all
                    for block in r.blocks():
                        w.write_block(block.count, block.data)
                        progress.update(block.offset)
    finally:
        progress.done()
        _close(out)
    return 0


def cmd_concat(args: argparse.Namespace) -> int:
    from .container import Writer

    inputs = [_in(p) for p in args.inputs]
    out = _out(args.output)
    total = sum(s for s in (_size(p) for p in inputs) if s) or None
    progress = _Progress(total, "concat")
    done = 0
    try:
        with _reader(args.inputs[0]) as first:
            schema, codec_name = first.schema, first.codec
            meta = _copy_header_args(first)
        codec_name = args.codec or codec_name
        with Writer(out, schema, codec=codec_name, codec_level=args.level, metadata=meta) as w:
            for path in args.inputs:
                with _reader(path) as r:
                    if r.schema != schema:
                        raise AvroError(
                            f"{path}: its schema differs from {args.inputs[0]}'s; concat "
                            "needs equal schemas"
                        )
                    if r.codec == codec_name:  # copy blocks as they are (new sync marker)
                        for raw in r.iter_blocks_raw():
                            w.write_raw_block(raw.count, raw.data)
                            progress.update(done + raw.offset)
                    else:  # recompress, still without decoding
                        for block in r.blocks():
                            w.write_block(block.count, block.data)
                            progress.update(done + block.offset)
                done += _size(path) or 0
    finally:
        progress.done()
        _close(out)
    return 0


def cmd_from_json(args: argparse.Namespace) -> int:
    from .container import Writer
    from .schema import Schema

    if not os.path.exists(args.schema):
        raise UsageError(f"no such file: {args.schema}")
    schema = Schema.load(args.schema)
    source = sys.stdin if args.input == _STDIO else open(_in(args.input), encoding="utf-8")  # noqa: SIM115
    out = _out(args.output)
    if args.avro_json:
        try:
            from .json_codec import json_decode
        except ImportError:
            raise UsageError("--avro-json needs turboavro.json_codec, which is missing") from None

        def convert(line: str) -> Any:
            return json_decode(line, schema)
    else:
        def convert(line: str) -> Any:
            return _from_plain(json.loads(line), schema)

    try:
        with Writer(out, schema, codec=args.codec, codec_level=args.level) as w:
            for lineno, line in enumerate(source, 1):
                if not line.strip():
                    continue
                try:
                    w.write(convert(line))
                except ValueError as e:  # json errors and AvroErrors (ValueError subclasses)
                    raise _LineError(f"line {lineno}: {e}") from e
    finally:
        if source is not sys.stdin:
            source.close()
        _close(out)
    return 0


class _LineError(AvroError, ValueError):
    """Bad input line in from-json."""


def _from_plain(value: Any, schema: Any) -> Any:
    """Plain JSON (as ``cat`` writes it) to the Python value the Encoder takes: bytes and
    fixed come as ISO-8859-1 text; everything else is already the right type."""
    t = schema.type
    if t in ("bytes", "fixed") and isinstance(value, str) and schema.logical_type is None:
        return value.encode("latin-1")
    if t == "record" and isinstance(value, dict):
        out = dict(value)
        for f in schema.fields:
            if f.name in out:
                out[f.name] = _from_plain(out[f.name], f.type)
        return out
    if t == "array" and isinstance(value, list):
        return [_from_plain(v, schema.items) for v in value]
    if t == "map" and isinstance(value, dict):
        return {k: _from_plain(v, schema.values) for k, v in value.items()}
    if t == "union" and isinstance(value, str):
        kinds = {b.type for b in schema.branches}
        if "string" not in kinds and kinds & {"bytes", "fixed"}:
            return value.encode("latin-1")
    return value


def cmd_repair(args: argparse.Namespace) -> int:
    from .container import Reader, Skip, Writer
    from .errors import CodecError, DecodeError

    src = _in(args.input)
    out = _out(args.output)
    kept = lost_records = 0
    try:
        with Reader(src, on_corruption="skip", readahead=False) as r:
            decode = r.decoder.decode_block
            with Writer(out, r.schema, codec=r.codec, metadata=_copy_header_args(r)) as w:
                for raw in r.iter_blocks_raw():
                    try:  # a block is copied only if every record in it decodes
                        decode(r.decompress(raw), raw.count)
                    except (DecodeError, CodecError) as e:
                        partial = getattr(e, "partial", None) or []
                        end = raw.data_offset + raw.size + 16
                        r.skipped.append(Skip(raw.offset, end, f"block cannot be read: {e}"))
                        w.write_many(partial)  # what decoded before the damage is kept
                        kept += len(partial)
                        lost_records += raw.count - len(partial)
                        continue
                    w.write_raw_block(raw.count, raw.data)
                    kept += raw.count
            skipped = sorted(r.skipped)
    finally:
        _close(out)
    for start, end, reason in skipped:
        print(f"lost bytes [{start}, {end}): {reason}", file=sys.stderr)
    print(
        f"kept {kept} records; lost {len(skipped)} byte range(s)"
        + (f" and {lost_records} counted records" if lost_records else ""),
        file=sys.stderr,
    )
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run

    run(quick=args.quick, records=args.records, codecs=args.codec, out=sys.stdout)
    return 0


# -- parser --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from .codecs import CODEC_NAMES

    p = argparse.ArgumentParser(
        prog="turboavro",
        description="Inspect, convert, repair and benchmark Avro object container files.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def json_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--avro-json", action="store_true",
                        help="the Avro JSON encoding (unions as {type: value}) instead of "
                             "plain JSON")
        sp.add_argument("--bytes", choices=("latin1", "base64"), default="latin1",
                        help="plain JSON: bytes as ISO-8859-1 text (default) or base64")

    sp = sub.add_parser("cat", help="records as JSON lines")
    sp.add_argument("files", nargs="+", metavar="FILE")
    sp.add_argument("-n", dest="limit", type=int, default=None, help="at most N records per file")
    json_opts(sp)
    sp.set_defaults(func=cmd_cat)

    sp = sub.add_parser("head", help="the first N records as JSON lines")
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("-n", type=int, default=10)
    json_opts(sp)
    sp.set_defaults(func=cmd_head)

    sp = sub.add_parser("count", help="number of records (from block headers, no decoding)")
    sp.add_argument("files", nargs="+", metavar="FILE")
    sp.set_defaults(func=cmd_count)

    sp = sub.add_parser("schema", help="the writer schema of a file")
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--compact", action="store_true", help="one line")
    sp.set_defaults(func=cmd_schema)

    sp = sub.add_parser("meta", help="header metadata and sync marker")
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_meta)

    sp = sub.add_parser("canonical", help="Parsing Canonical Form of a file's schema or an .avsc")
    sp.add_argument("file", metavar="FILE")
    sp.set_defaults(func=cmd_canonical)

    sp = sub.add_parser("fingerprint", help="schema fingerprint of a file or an .avsc")
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--algo", default="CRC-64-AVRO", help="CRC-64-AVRO (default), MD5, SHA-256")
    sp.add_argument("--format", choices=("hex", "long"), default="hex",
                    help="hex bytes (CRC-64-AVRO little-endian) or Java's signed long")
    sp.set_defaults(func=cmd_fingerprint)

    sp = sub.add_parser("recodec", help="rewrite a file with another codec")
    sp.add_argument("input", metavar="IN")
    sp.add_argument("output", metavar="OUT")
    sp.add_argument("--codec", choices=CODEC_NAMES, required=True)
    sp.add_argument("--level", type=int, default=None)
    sp.add_argument("--sync-interval", type=int, default=None,
                    help="new block size in bytes (re-frames the records)")
    sp.set_defaults(func=cmd_recodec)

    sp = sub.add_parser("concat", help="join files with equal schemas, copying blocks")
    sp.add_argument("inputs", nargs="+", metavar="IN")
    sp.add_argument("output", metavar="OUT")
    sp.add_argument("--codec", choices=CODEC_NAMES, default=None,
                    help="output codec (default: the first file's)")
    sp.add_argument("--level", type=int, default=None)
    sp.set_defaults(func=cmd_concat)

    sp = sub.add_parser("from-json", help="JSON lines + schema to a container file")
    sp.add_argument("input", metavar="IN", help="JSON lines, or - for stdin")
    sp.add_argument("output", metavar="OUT")
    sp.add_argument("--schema", required=True, help=".avsc file")
    sp.add_argument("--codec", choices=CODEC_NAMES, default="null")
    sp.add_argument("--level", type=int, default=None)
    sp.add_argument("--avro-json", action="store_true",
                    help="lines are in the Avro JSON encoding")
    sp.set_defaults(func=cmd_from_json)

    sp = sub.add_parser("repair", help="copy the readable blocks of a damaged file")
    sp.add_argument("input", metavar="IN")
    sp.add_argument("output", metavar="OUT")
    sp.set_defaults(func=cmd_repair)

    sp = sub.add_parser("bench", help="write/read throughput next to fastavro")
    sp.add_argument("--quick", action="store_true", help="small sample, well under a minute")
    sp.add_argument("--records", type=int, default=None)
    sp.add_argument("--codec", action="append", choices=CODEC_NAMES, default=None)
    sp.set_defaults(func=cmd_bench)

    try:  # the `compat` and `catalog` commands, when that module is there
        evolution = importlib.import_module(".cli_evolution", __package__)
    except ImportError:
        pass
    else:
        evolution.add_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: usage errors exit 2, --help exits 0
        return int(e.code or 0)
    try:
        return int(args.func(args))
    except UsageError as e:
        print(f"turboavro: error: {e}", file=sys.stderr)
        return 2
    except AvroError as e:
        print(f"turboavro: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `turboavro cat f | head`: the reader went away; stop quietly.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
        return 0
    except OSError as e:
        print(f"turboavro: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
