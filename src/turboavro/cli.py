"""The ``turboavro`` command: inspect, convert, repair and benchmark Avro container files.

Exit statuses (the same for every command):

- 0: success;
- 1: bad data (any :class:`~turboavro.errors.AvroError`: a damaged file, a record that does
  not fit the schema, schemas that ``concat`` cannot join);
- 2: a usage error (bad arguments; an OUT that is one of the inputs);
- 3: the command finished but records were lost: ``repair`` (and ``cat --skip-corrupt``) had
  to drop damaged bytes; what could be read was written;
- 4: a file could not be read or written (missing, permission denied, disk full...);
- 130: interrupted (Ctrl-C).

``-`` names stdin or stdout. A command that writes a whole file (``recodec``, ``concat``,
``repair``, ``from-json``, ``random``, ``bench --plot``) never destroys its input and never
leaves a half-written OUT: it refuses an OUT that is the same file as an input, writes to a
temporary file beside OUT and renames it into place only when everything succeeded (see
:func:`_output`). Progress bars (with the ``cli`` extra: tqdm) go to stderr, only when it is a
terminal.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import decimal
import difflib
import importlib
import io
import itertools
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from ._files import atomic_write
from .errors import AvroError, DecodeError, EncodeError, SchemaError

__all__ = ["main"]

_STDIO = "-"
EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_LOST, EXIT_FILE, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


class UsageError(Exception):
    """A command-line mistake: exit status 2."""


class FileAccessError(Exception):
    """A file that cannot be read or written: exit status 4. The message names the file and
    says why."""


def _os_error(e: OSError, action: str, path: str | None = None) -> FileAccessError:
    name = path or e.filename or "?"
    return FileAccessError(f"cannot {action} {name}: {e.strerror or e}")


def _public_name(e: BaseException) -> str:
    """The exception's class name as the user knows it: private subclasses (the schema
    parser's retry marker, say) show as their public base."""
    return next(c.__name__ for c in type(e).__mro__ if not c.__name__.startswith("_"))


# -- files ---------------------------------------------------------------------------------------


def _in(path: str) -> Any:
    """An input argument: stdin's bytes for ``-``, else the path, checked to be readable."""
    if path == _STDIO:
        return sys.stdin.buffer
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise _os_error(e, "read", path) from None
    return path


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist: not the same file
        return False


@contextlib.contextmanager
def _output(path: str, inputs: Iterable[str] = ()) -> Iterator[IO[bytes]]:
    """Write a whole file safely: the one way every command writes its OUT.

    Refuses (:class:`UsageError`, before anything is opened for writing) an OUT that is the
    same file as one of ``inputs`` -- same inode, so symbolic and hard links are caught.
    Then :func:`~turboavro._files.atomic_write`: a temporary file in OUT's directory, renamed
    over OUT only if the ``with`` body succeeds; on any failure (bad data, an interrupt) OUT
    is left as it was (absent if it was absent). ``-`` is stdout, written directly.
    """
    if path == _STDIO:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    for other in inputs:
        if other != _STDIO and _same_file(other, path):
            raise UsageError(
                f"OUT {path} is the same file as the input {other}: it would be destroyed; "
                "write to another path"
            )
    if os.path.isdir(os.path.realpath(path)):
        raise FileAccessError(f"cannot write {path}: it is a directory")
    writer = atomic_write(path)
    try:
        fo = writer.__enter__()
    except OSError as e:
        raise _os_error(e, "write", path) from None
    with contextlib.ExitStack() as stack:
        stack.push(writer)  # exits with the body's outcome: renamed, or removed
        yield fo


class _Progress:
    """A progress bar on stderr (tqdm, from the ``cli`` extra), only when stderr is a terminal
    and tqdm is installed, shown once the command has run for :data:`_PROGRESS_DELAY`
    seconds. ``update_to(done)`` sets the count done out of ``total``."""

    def __init__(self, total: int | None, label: str, unit: str = "B") -> None:
        self.bar: Any = None
        if not total or not sys.stderr.isatty():
            return
        try:
            from tqdm import tqdm
        except ImportError:  # the `cli` extra is not installed: no bar, same results
            return
        self.bar = tqdm(total=total, desc=label, unit=unit, unit_scale=unit == "B",
                        file=sys.stderr, leave=False, delay=_PROGRESS_DELAY, dynamic_ncols=True)

    def update_to(self, done: int) -> None:
        if self.bar is not None and done > self.bar.n:
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_PROGRESS_DELAY = 0.5


def _size(path: Any) -> int | None:
    try:
        return os.path.getsize(path) if isinstance(path, str) else None
    except OSError:
        return None


def _tracked(records: Iterable[Any], reader: Any, progress: _Progress) -> Iterator[Any]:
    """``records`` as they come, moving ``progress`` to the reader's file position."""
    if progress.bar is None:
        yield from records
        return
    for i, rec in enumerate(records):
        if not i & 4095:
            progress.update_to(reader.tell())
        yield rec


# -- JSON ----------------------------------------------------------------------------------------


def _plain_default(value: Any) -> Any:
    """Plain JSON for the values json cannot write: bytes as ISO-8859-1 text (as the Avro
    JSON encoding writes them), or base64 with ``--bytes base64``; logical types as text
    (ISO 8601 dates and times, decimal digits, UUIDs). A duration is a list of its three
    counts (it is a named tuple)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("latin-1")
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _base64_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return _plain_default(value)


def _json_lines(records: Iterable[Any], schema: Any, args: argparse.Namespace) -> Iterator[str]:
    if args.avro_json:
        from .json_codec import json_encode

        for rec in records:
            yield json_encode(rec, schema)
        return
    default = _base64_default if args.bytes == "base64" else _plain_default
    dumps = json.JSONEncoder(ensure_ascii=False, default=default).encode
    for rec in records:
        yield dumps(rec)


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


_FLOATS = ("float", "double")


class _Plain:
    """Plain JSON values (as ``cat`` writes them) to the values the encoder takes, guided by
    the schema: bytes and fixed from ISO-8859-1 text (or base64), logical types from their
    text. A union takes the first branch the JSON value can be: plain JSON cannot tell apart
    branches it writes alike (a string and bytes, say); ``--avro-json`` can."""

    def __init__(self, base64_bytes: bool) -> None:
        self.unbytes: Callable[[str], bytes] = (
            (lambda s: base64.b64decode(s, validate=True)) if base64_bytes
            else (lambda s: s.encode("latin-1"))
        )

    def convert(self, v: Any, s: Any) -> Any:
        t = s.type
        lt = s.logical_type
        if lt is not None and v is not None:
            return self.logical(v, s, lt)
        if t in ("bytes", "fixed") and isinstance(v, str):
            return self.unbytes(v)
        if t == "record" and isinstance(v, dict):
            out = dict(v)
            for f in s.fields:
                if f.name in out:
                    out[f.name] = self.convert(out[f.name], f.type)
            return out
        if t == "array" and isinstance(v, list):
            return [self.convert(x, s.items) for x in v]
        if t == "map" and isinstance(v, dict):
            return {k: self.convert(x, s.values) for k, x in v.items()}
        if t == "union" and v is not None:
            # an integer goes to an integer branch before a floating-point one
            order = sorted(s.branches, key=lambda b: isinstance(v, int) and b.type in _FLOATS)
            for b in order:
                if self.fits(v, b):  # (branch, value): the encoder writes that branch
                    name = b.fullname if b.type in ("record", "enum", "fixed") else b.type
                    return (name, self.convert(v, b))
        return v

    def logical(self, v: Any, s: Any, lt: str) -> Any:
        """A logical type's value from its plain JSON text (ValueError if it is not one)."""
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v  # the underlying number, which the encoder takes as well
        if lt == "duration":
            if not isinstance(v, list):
                raise ValueError(f"a duration is a list of 3 counts, not {v!r}")
            from .logical import Duration

            return Duration(*v)
        if not isinstance(v, str):
            raise ValueError(f"expected text for the {lt} logical type, got {v!r}")
        if lt in ("decimal", "big-decimal"):
            return decimal.Decimal(v)
        if lt == "uuid":
            value = uuid.UUID(v)
            return value if s.type == "fixed" else v
        if lt == "date":
            return datetime.date.fromisoformat(v)
        if lt.startswith("time-"):
            return datetime.time.fromisoformat(v)
        if lt.startswith(("timestamp-", "local-timestamp-")):
            return datetime.datetime.fromisoformat(v)
        return v

    def fits(self, v: Any, s: Any) -> bool:
        """Whether the JSON value ``v`` can be a value of the branch ``s``."""
        t, lt = s.type, s.logical_type
        if v is None:
            return t == "null"
        if isinstance(v, bool):
            return t == "boolean"
        if isinstance(v, int):
            return t in ("int", "long", "float", "double")
        if isinstance(v, float):
            return t in ("float", "double")
        if isinstance(v, str):
            if t == "enum":
                return v in s.symbols
            if t in ("string", "bytes", "fixed") or lt is not None:
                try:
                    value = self.convert(v, s)
                except (ValueError, ArithmeticError, TypeError):
                    return False
                return t != "fixed" or lt is not None or len(value) == s.size
            return False
        if isinstance(v, list):
            return t == "array" and lt is None or lt == "duration"
        if isinstance(v, dict):
            return t == "map" or (t == "record" and all(s.field(k) is not None for k in v))
        return False


def _line_error(e: Exception, where: str) -> AvroError:
    """A bad input line's error, with where it is in front of the message."""
    if isinstance(e, EncodeError):
        msg = str(e)
        if e.path and msg.endswith(f" (at {e.path})"):
            msg = msg[: -len(f" (at {e.path})")]
        return EncodeError(f"{where}: {msg}", e.path)
    if isinstance(e, AvroError):
        return DecodeError(f"{where}: {e}")
    if isinstance(e, json.JSONDecodeError):
        return DecodeError(f"{where}: not valid JSON: {e}")
    if isinstance(e, UnicodeDecodeError):
        return DecodeError(f"{where}: not UTF-8 text: {e}")
    return DecodeError(f"{where}: {e}")


# -- schemas -------------------------------------------------------------------------------------


def _is_container(path: str) -> bool:
    from .container import MAGIC

    with open(path, "rb") as fo:
        return fo.read(4) == MAGIC


def _readable_container(path: str) -> bool:
    try:
        return _is_container(path)
    except OSError as e:
        raise _os_error(e, "read", path) from None


def schema_text(arg: str, *, inline: bool = False) -> str:
    """The schema text of a SCHEMA argument: a container file's header schema (as stored), an
    ``.avsc`` file's content, or (``inline``) the argument itself when it is JSON."""
    from .container import Reader

    if arg != _STDIO and os.path.isfile(arg):
        try:
            if _is_container(arg):
                with Reader(arg) as r:
                    return r.metadata["avro.schema"].decode("utf-8", "replace")
            with open(arg, "rb") as fo:
                raw = fo.read()
        except OSError as e:
            raise _os_error(e, "read", arg) from None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SchemaError(f"{arg}: neither a container file nor UTF-8 schema text ({e})") from None
    if arg == _STDIO:
        with _reader(arg) as r:
            return r.metadata["avro.schema"].decode("utf-8", "replace")
    if inline and arg.lstrip()[:1] in ("{", "[", '"'):
        return arg
    if not os.path.exists(arg):
        raise FileAccessError(
            f"cannot read {arg}: no such file" + (" (and not inline JSON)" if inline else "")
        )
    raise FileAccessError(f"cannot read {arg}: not a regular file")


def parse_schema(arg: str, *, inline: bool = False) -> Any:
    """The :class:`~turboavro.schema.Schema` of a SCHEMA argument (see :func:`schema_text`;
    a container file's schema as its reader parses it); an invalid schema is a
    :class:`SchemaError` naming the argument."""
    from .schema import Schema

    if arg == _STDIO or (os.path.isfile(arg) and _readable_container(arg)):
        with _reader(arg) as r:
            return r.schema
    text = schema_text(arg, inline=inline)
    try:
        return Schema.parse(text)
    except SchemaError as e:
        raise SchemaError(f"{arg}: {e}") from None


def _projection(schema: Any, names: list[str]) -> Any:
    """The reader schema that keeps only the fields ``names`` of a record, in that order."""
    from ._schema_model import _field_to_json
    from .schema import Schema

    if schema.type != "record":
        raise UsageError(f"--fields needs records, but the schema is a {schema.type}")
    fields = []
    seen = {schema.fullname}
    for name in names:
        f = schema.field(name)
        if f is None:
            known = [x.name for x in schema.fields]
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (fields: {', '.join(known)})"
            raise UsageError(f"--fields: record {schema.fullname} has no field {name!r}{hint}")
        fields.append(_field_to_json(f, seen, schema.namespace))
    return Schema.parse({"type": "record", "name": schema.fullname, "fields": fields})


# -- commands ------------------------------------------------------------------------------------


def _reader(path: str, **kw: Any) -> Any:
    from .container import Reader

    return Reader(_in(path), **kw)


def _report_skipped(skipped: Sequence[Any], path: str) -> None:
    for start, end, reason in sorted(skipped):
        print(f"{path}: lost bytes [{start}, {end}): {reason}", file=sys.stderr)


def _start_of(path: str, offset: int) -> tuple[int | None, int] | None:
    """Where to start reading to skip ``offset`` records of a file without decoding them:
    ``(start, records still to skip)`` for ``Reader(start=...)``, from the blocks' record
    counts; None when the file has fewer records."""
    from .container import SYNC_SIZE, Reader

    skipped = 0
    with Reader(path) as r:
        for raw in r.iter_blocks_raw():
            if skipped + raw.count > offset:
                # a block belongs to the range in which the sync marker before it starts
                start = None if raw.offset == r.header_size else raw.offset - SYNC_SIZE
                return start, offset - skipped
            skipped += raw.count
    return None


def cmd_cat(args: argparse.Namespace) -> int:
    lost = False
    for path in args.files:
        src = _in(path)
        start, skip = None, args.offset
        if args.offset and path != _STDIO and not args.skip_corrupt:
            try:
                found = _start_of(path, args.offset)
            except AvroError:  # damage before the offset: read (and report) it record by record
                found = (None, args.offset)
            if found is None:
                continue
            start, skip = found
        # Avro JSON: underlying values, and each union value with its branch, so that the
        # branch printed is the one in the file even where the value fits several
        kw: dict[str, Any] = {"logical": not args.avro_json, "branches": args.avro_json,
                              "start": start,
                              "on_corruption": "skip" if args.skip_corrupt else "raise"}
        schema = None
        if args.fields and path != _STDIO:  # the other fields are not even decoded
            schema = _projection(_schema_of(path), args.fields)
            kw["reader_schema"] = schema
        with _reader(path, **kw) as r, _Progress(
            _size(src) if not sys.stdout.isatty() else None, f"cat {path}"
        ) as progress:
            records: Iterator[Any] = _tracked(r, r, progress)
            if args.fields and schema is None:  # stdin: its header is read once
                schema = _projection(r.schema, args.fields)
                keep = [f.name for f in schema.fields]
                records = ({k: rec[k] for k in keep} for rec in records)
            stop = None if args.limit is None else skip + args.limit
            if skip or stop is not None:
                records = itertools.islice(records, skip, stop)
            _write_lines(_json_lines(records, schema or r.schema, args))
            if r.skipped:
                _report_skipped(r.skipped, path)
                lost = True
    return EXIT_LOST if lost else EXIT_OK


def cmd_head(args: argparse.Namespace) -> int:
    args.files, args.limit, args.offset = [args.file], args.n, 0
    args.fields, args.skip_corrupt = None, False
    return cmd_cat(args)


def cmd_count(args: argparse.Namespace) -> int:
    total = 0
    with _Progress(len(args.files) if len(args.files) > 1 else None, "count", "file") as bar:
        for i, path in enumerate(args.files):
            with _reader(path) as r:  # block counts only: nothing is decompressed or decoded
                n = sum(b.count for b in r.iter_blocks_raw())
            total += n
            bar.update_to(i + 1)
            if len(args.files) > 1:
                print(f"{n}\t{path}")
    print(total)
    return EXIT_OK


def _schema_of(path: str) -> Any:
    """The schema of a container file (by its magic) or of an .avsc file."""
    return parse_schema(path)


def cmd_schema(args: argparse.Namespace) -> int:
    schema = _schema_of(args.file)
    print(json.dumps(schema.to_json(), indent=None if args.compact else 2, ensure_ascii=False))
    return EXIT_OK


def cmd_getschema(args: argparse.Namespace) -> int:
    with _reader(args.file) as r:
        print(r.metadata["avro.schema"].decode("utf-8", "replace"))
    return EXIT_OK


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
        return EXIT_OK
    for k, v in meta.items():
        try:
            text = v.decode("utf-8")
        except UnicodeDecodeError:
            text = "0x" + v.hex()
        print(f"{k}\t{text}")
    print(f"(sync marker)\t0x{sync.hex()}")
    return EXIT_OK


def cmd_canonical(args: argparse.Namespace) -> int:
    print(_schema_of(args.file).canonical_form)
    return EXIT_OK


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
    return EXIT_OK


def _copy_header_args(r: Any) -> dict[str, Any]:
    return {k: v for k, v in r.metadata.items() if not k.startswith("avro.")}


def cmd_recodec(args: argparse.Namespace) -> int:
    from .container import Writer

    src = _in(args.input)
    with _output(args.output, [args.input]) as out, _reader(args.input) as r, _Progress(
        _size(src), "recodec"
    ) as progress:
        with Writer(out, r.schema, codec=args.codec, codec_level=args.level,
                    sync_interval=args.sync_interval or 64000,
                    metadata=_copy_header_args(r)) as w:
            if args.sync_interval:  # new block sizes: records must be re-framed
                w.write_many(_tracked(r, r, progress))
            else:  # same blocks, new compression: no decoding at all
                for block in r.blocks():
                    w.write_block(block.count, block.data)
                    progress.update_to(block.offset)
    return EXIT_OK


def cmd_concat(args: argparse.Namespace) -> int:
    from .container import Writer

    inputs = [_in(p) for p in args.inputs]
    total = sum(s for s in (_size(p) for p in inputs) if s) or None
    done = 0
    with _output(args.output, args.inputs) as out, _Progress(total, "concat") as progress:
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
                            progress.update_to(done + raw.offset)
                    else:  # recompress, still without decoding
                        for block in r.blocks():
                            w.write_block(block.count, block.data)
                            progress.update_to(done + block.offset)
                done += _size(path) or 0
    return EXIT_OK


def cmd_from_json(args: argparse.Namespace) -> int:
    from .container import Writer

    schema = parse_schema(args.schema)
    if args.avro_json:
        from .json_codec import json_decode

        def convert(line: bytes) -> Any:
            # unions as (branch, value): the branch the JSON names is the one written
            return json_decode(line, schema, logical=False, branches=True)
    else:
        plain = _Plain(args.bytes == "base64")

        def convert(line: bytes) -> Any:
            return plain.convert(json.loads(line), schema)

    name = "stdin" if args.input == _STDIO else args.input
    with contextlib.ExitStack() as stack:
        if args.input == _STDIO:
            source: IO[bytes] = sys.stdin.buffer
        else:
            try:
                source = stack.enter_context(open(args.input, "rb"))
            except OSError as e:
                raise _os_error(e, "read", args.input) from None
        out = stack.enter_context(_output(args.output, [args.input, args.schema]))
        progress = stack.enter_context(_Progress(_size(args.input), "from-json"))
        with Writer(out, schema, codec=args.codec, codec_level=args.level) as w:
            done = 0
            for lineno, line in enumerate(source, 1):
                done += len(line)
                if not line.strip():
                    continue
                try:
                    w.write(convert(line))
                except (ValueError, ArithmeticError, TypeError) as e:
                    # JSON, encoding and conversion errors (AvroErrors are ValueErrors)
                    raise _line_error(e, f"{name} line {lineno}") from e
                if not lineno & 1023:
                    progress.update_to(done)
    return EXIT_OK


def cmd_repair(args: argparse.Namespace) -> int:
    from .container import Reader, Skip, Writer
    from .errors import CodecError

    src = _in(args.input)
    kept = lost_records = 0
    with _output(args.output, [args.input]) as out, Reader(
        src, on_corruption="skip", readahead=False
    ) as r, _Progress(_size(src), "repair") as progress:
        decode = r.decoder.decode_block
        with Writer(out, r.schema, codec=r.codec, metadata=_copy_header_args(r)) as w:
            for raw in r.iter_blocks_raw():
                progress.update_to(raw.offset)
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
    for start, end, reason in skipped:
        print(f"lost bytes [{start}, {end}): {reason}", file=sys.stderr)
    print(
        f"kept {kept} records; lost {len(skipped)} byte range(s)"
        + (f" and {lost_records} counted records" if lost_records else ""),
        file=sys.stderr,
    )
    return EXIT_LOST if skipped or lost_records else EXIT_OK


def cmd_random(args: argparse.Namespace) -> int:
    from ._random import random_records
    from .container import Writer

    schema = parse_schema(args.schema, inline=True)
    inputs = [args.schema] if os.path.exists(args.schema) else []
    with _output(args.output, inputs) as out, Writer(
        out, schema, codec=args.codec, codec_level=args.level
    ) as w:
        w.write_many(random_records(schema, args.count, args.seed))
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run

    rows = run(quick=args.quick, records=args.records, codecs=args.codec, rounds=args.rounds,
               out=sys.stdout)
    if args.plot:
        from .bench import plot

        with _output(args.plot) as fo:
            plot(rows, fo)
        print(f"chart written to {args.plot}")
    return EXIT_OK


# -- parser --------------------------------------------------------------------------------------


def _count(value: str) -> int:
    """A count argument: an integer >= 0."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an integer") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; a count is 0 or more")
    return n


def _positive(value: str) -> int:
    n = _count(value)
    if n == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def _field_list(value: str) -> list[str]:
    names = [x.strip() for x in value.split(",") if x.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give field names separated by commas")
    return names


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from .codecs import CODEC_NAMES

    p = argparse.ArgumentParser(
        prog="turboavro",
        description="Inspect, convert, repair and benchmark Avro object container files. "
        "Exit status: 0 success, 1 bad data, 2 usage error, 3 records lost (repair, "
        "cat --skip-corrupt), 4 a file cannot be read or written, 130 interrupted.",
    )
    p.add_argument("--version", action="version", version=f"turboavro {__version__}",
                   help="print the version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    codecs = ", ".join(CODEC_NAMES)

    def json_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--avro-json", action="store_true",
                        help="the Avro JSON encoding (unions as {type: value}) instead of "
                             "plain JSON")
        sp.add_argument("--bytes", choices=("latin1", "base64"), default="latin1",
                        help="plain JSON: bytes and fixed as ISO-8859-1 text (default) or base64")

    def codec_opts(sp: argparse.ArgumentParser, default: str | None, what: str) -> None:
        sp.add_argument("--codec", choices=CODEC_NAMES, default=default, metavar="CODEC",
                        help=f"{what} ({codecs})")
        sp.add_argument("--level", type=int, default=None,
                        help="compression level (default: the codec's; range depends on it)")

    def out_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("output", metavar="OUT",
                        help="file to write (- for stdout); never one of the inputs; replaced "
                             "only when the command succeeds")

    sp = sub.add_parser("cat", aliases=["tojson"], help="records as JSON lines")
    sp.add_argument("files", nargs="+", metavar="FILE", help="container files (- for stdin)")
    sp.add_argument("-n", "--limit", dest="limit", type=_count, default=None,
                    help="at most N records per file")
    sp.add_argument("--offset", type=_count, default=0,
                    help="skip the first N records of each file (whole blocks are skipped "
                         "without decoding)")
    sp.add_argument("--fields", type=_field_list, default=None, metavar="A,B,...",
                    help="only these top-level fields, in this order (others are not decoded)")
    sp.add_argument("--skip-corrupt", action="store_true",
                    help="skip damaged blocks (reported on stderr, exit status 3) instead of "
                         "stopping at the first")
    json_opts(sp)
    sp.set_defaults(func=cmd_cat)

    sp = sub.add_parser("head", help="the first N records as JSON lines")
    sp.add_argument("file", metavar="FILE", help="container file (- for stdin)")
    sp.add_argument("-n", type=_count, default=10, help="number of records (default 10)")
    json_opts(sp)
    sp.set_defaults(func=cmd_head)

    sp = sub.add_parser("count", help="number of records (from block headers, no decoding)")
    sp.add_argument("files", nargs="+", metavar="FILE",
                    help="container files; with several, one line per file then the total")
    sp.set_defaults(func=cmd_count)

    sp = sub.add_parser("schema", help="the writer schema of a file, as turboavro reads it")
    sp.add_argument("file", metavar="FILE", help="container file or .avsc")
    sp.add_argument("--compact", action="store_true", help="one line")
    sp.set_defaults(func=cmd_schema)

    sp = sub.add_parser("getschema", help="the schema text of a file's header, as stored")
    sp.add_argument("file", metavar="FILE", help="container file (- for stdin)")
    sp.set_defaults(func=cmd_getschema)

    sp = sub.add_parser("meta", aliases=["getmeta"], help="header metadata and sync marker")
    sp.add_argument("file", metavar="FILE", help="container file (- for stdin)")
    sp.add_argument("--json", action="store_true",
                    help="one JSON object (values that are not UTF-8 as {\"base64\": ...})")
    sp.set_defaults(func=cmd_meta)

    sp = sub.add_parser("canonical", help="Parsing Canonical Form of a file's schema or an .avsc")
    sp.add_argument("file", metavar="FILE", help="container file or .avsc")
    sp.set_defaults(func=cmd_canonical)

    sp = sub.add_parser("fingerprint", help="schema fingerprint of a file or an .avsc")
    sp.add_argument("file", metavar="FILE", help="container file or .avsc")
    sp.add_argument("--algo", default="CRC-64-AVRO", help="CRC-64-AVRO (default), MD5, SHA-256")
    sp.add_argument("--format", choices=("hex", "long"), default="hex",
                    help="hex bytes (CRC-64-AVRO little-endian) or Java's signed long")
    sp.set_defaults(func=cmd_fingerprint)

    sp = sub.add_parser("recodec", help="rewrite a file with another codec")
    sp.add_argument("input", metavar="IN", help="container file (- for stdin)")
    out_arg(sp)
    sp.add_argument("--codec", choices=CODEC_NAMES, required=True, metavar="CODEC",
                    help=f"new codec ({codecs})")
    sp.add_argument("--level", type=int, default=None,
                    help="compression level (default: the codec's; range depends on it)")
    sp.add_argument("--sync-interval", type=_positive, default=None,
                    help="new block size in bytes (re-frames the records; default: keep the "
                         "blocks)")
    sp.set_defaults(func=cmd_recodec)

    sp = sub.add_parser("concat", help="join files with equal schemas, copying blocks")
    sp.add_argument("inputs", nargs="+", metavar="IN", help="container files, in order")
    out_arg(sp)
    codec_opts(sp, None, "output codec (default: the first file's)")
    sp.set_defaults(func=cmd_concat)

    sp = sub.add_parser("from-json", aliases=["fromjson"],
                        help="JSON lines + schema to a container file")
    sp.add_argument("input", metavar="IN", help="JSON lines, or - for stdin")
    out_arg(sp)
    sp.add_argument("--schema", "--schema-file", dest="schema", required=True,
                    help=".avsc file, or a container file whose schema to use")
    codec_opts(sp, "null", "output codec (default null)")
    json_opts(sp)
    sp.set_defaults(func=cmd_from_json)

    sp = sub.add_parser("repair", help="copy the readable blocks of a damaged file "
                        "(exit status 3 when records were lost)")
    sp.add_argument("input", metavar="IN", help="damaged container file")
    out_arg(sp)
    sp.set_defaults(func=cmd_repair)

    sp = sub.add_parser("random", help="a container file of random records of a schema")
    sp.add_argument("schema", metavar="SCHEMA",
                    help=".avsc file, container file, or inline JSON schema")
    out_arg(sp)
    sp.add_argument("--count", type=_count, required=True, help="number of records")
    sp.add_argument("--seed", type=int, default=None,
                    help="random seed: the same seed writes the same records")
    codec_opts(sp, "null", "codec (default null)")
    sp.set_defaults(func=cmd_random)

    sp = sub.add_parser("bench", help="write/read throughput next to fastavro and other peers")
    sp.add_argument("--quick", action="store_true", help="small sample, well under a minute")
    sp.add_argument("--records", type=_positive, default=None,
                    help="records per workload (default 200,000; 20,000 with --quick)")
    sp.add_argument("--rounds", type=_positive, default=3,
                    help="runs per measurement, the best one counts (default 3)")
    sp.add_argument("--codec", action="append", choices=CODEC_NAMES, default=None,
                    metavar="CODEC", help="codec to measure (repeatable; default null and deflate)")
    sp.add_argument("--plot", metavar="FILE", default=None,
                    help="also write a PNG chart to FILE (needs the `plot` extra: matplotlib)")
    sp.set_defaults(func=cmd_bench)

    try:  # the `compat` and `catalog` commands, when that module is there
        evolution = importlib.import_module(".cli_evolution", __package__)
    except ImportError:
        pass
    else:
        evolution.add_commands(sub)
    from .registry.cli import (
        add_commands as add_registry_commands,  # `registry serve|import|passwd`
    )

    add_registry_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: usage errors exit 2, --help and --version exit 0
        return int(e.code or 0)
    try:
        return int(args.func(args))
    except UsageError as e:
        print(f"turboavro: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except FileAccessError as e:
        print(f"turboavro: {e}", file=sys.stderr)
        return EXIT_FILE
    except AvroError as e:
        print(f"turboavro: {_public_name(e)}: {e}", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt:
        print("turboavro: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `turboavro cat f | head`: the reader went away; stop quietly.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
        return EXIT_OK
    except OSError as e:
        print(f"turboavro: {_os_error(e, 'access')}", file=sys.stderr)
        return EXIT_FILE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
