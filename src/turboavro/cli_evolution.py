"""The schema-evolution commands of the ``turboavro`` CLI: ``compat`` and ``catalog``.

``cli.py`` builds the top-level parser and calls :func:`add_commands` with its subparsers
action. Every command stores its handler as ``func`` in the parsed namespace; the handler takes
the namespace and returns the exit code:

- 0: success (compatible, found, done);
- 1: a negative answer (incompatible, not found, an operation the catalog refuses);
- 2: a usage or input error (invalid schema, bad argument);
- 4: a file that cannot be read (missing, permission denied), as for every command.

A SCHEMA argument is a path to an ``.avsc`` file, a container file (its header's schema), or
inline JSON (``'{"type": "string"}'``).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from .catalog import LEVELS, Catalog, CatalogError
from .cli import EXIT_FILE, FileAccessError, UsageError, _os_error, parse_schema, schema_text
from .errors import AvroError, IncompatibleSchemaError, SchemaError, UnknownSchemaError

__all__ = ["add_commands"]

Handler = Callable[[argparse.Namespace], int]


def _level(value: str) -> str:
    if value.upper() not in LEVELS:
        raise argparse.ArgumentTypeError(f"unknown level {value!r} (choose from {', '.join(LEVELS)})")
    return value.upper()


def _schema_text(arg: str) -> str:
    """The schema text of a SCHEMA argument."""
    return schema_text(arg, inline=True)


def _parse_schema(arg: str) -> Any:
    try:
        return parse_schema(arg, inline=True)
    except SchemaError as exc:
        raise UsageError(f"invalid schema: {exc}") from None


def _print_report(report: Any, as_json: bool, out: TextIO, **extra: Any) -> int:
    """Print a compatibility report (a pair result or a level report) and return the status.

    Text is the report's own rendering (every incompatibility with its location, message and
    suggested fix); JSON is its ``to_dict()`` with ``extra`` keys first."""
    if as_json:
        print(json.dumps({**extra, **report.to_dict()}, indent=2, ensure_ascii=False), file=out)
    else:
        print(str(report), file=out)
    return 0 if report.compatible else 1


def _guard(handler: Handler) -> Handler:
    """Turn turboavro errors into messages on stderr and exit statuses."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except UsageError as exc:
            print(f"turboavro {args.ta_command}: {exc}", file=sys.stderr)
            return 2
        except FileAccessError as exc:
            print(f"turboavro {args.ta_command}: {exc}", file=sys.stderr)
            return EXIT_FILE
        except OSError as exc:
            print(f"turboavro {args.ta_command}: {_os_error(exc, 'access')}", file=sys.stderr)
            return EXIT_FILE
        except IncompatibleSchemaError as exc:
            print(f"turboavro {args.ta_command}: {exc}", file=sys.stderr)
            if exc.report is not None:
                _print_report(exc.report, getattr(args, "json", False), sys.stdout)
            return 1
        except (UnknownSchemaError, CatalogError) as exc:
            print(f"turboavro {args.ta_command}: {exc}", file=sys.stderr)
            return 1
        except SchemaError as exc:
            print(f"turboavro {args.ta_command}: {exc}", file=sys.stderr)
            return 2
        except AvroError as exc:
            print(f"turboavro {args.ta_command}: {exc}", file=sys.stderr)
            return 1

    return run


# -- compat ------------------------------------------------------------------------------------


def _cmd_compat(args: argparse.Namespace) -> int:
    reader = _parse_schema(args.reader)
    writers = [_parse_schema(w) for w in [args.writer, *args.more]]
    report: Any
    if args.level is None:
        if args.more:
            raise UsageError("several WRITER schemas need --level (they form the history)")
        from .compatibility import check_compatibility

        report = check_compatibility(reader, writers[0])
    else:
        from .compatibility import check_level

        # With a level, READER is the new schema and the WRITER(s) the existing versions,
        # oldest first, exactly as the catalog checks a registration.
        report = check_level(reader, writers, args.level)
    return _print_report(report, args.json, sys.stdout)


# -- catalog -----------------------------------------------------------------------------------


def _open(args: argparse.Namespace) -> Catalog:
    return Catalog(args.db)


def _reference(value: str) -> tuple[str, str, int | str]:
    # NAME=SUBJECT:VERSION, VERSION an int or "latest"
    try:
        name, rest = value.split("=", 1)
        subject, version = rest.rsplit(":", 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--ref {value!r}: expected NAME=SUBJECT:VERSION") from None
    if version != "latest":
        try:
            return name, subject, int(version)
        except ValueError:
            raise argparse.ArgumentTypeError(f"--ref {value!r}: VERSION is an int or 'latest'") from None
    return name, subject, version


def _metadata(value: str) -> tuple[str, Any]:
    key, sep, raw = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--meta {value!r}: expected KEY=VALUE")
    try:
        return key, json.loads(raw)  # JSON values (numbers, lists) stay typed ...
    except ValueError:
        return key, raw  # ... anything else is a string


def _version(value: str) -> int | str:
    if value == "latest":
        return value
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"version {value!r}: an int or 'latest'") from None


def _version_json(v: Any) -> dict[str, Any]:
    return {
        "subject": v.subject,
        "version": v.version,
        "id": v.id,
        "deleted": v.deleted,
        "fingerprint": v.schema.fingerprint("CRC-64-AVRO").hex(),
        "references": [r.to_json() for r in v.references],
        "metadata": dict(v.metadata),
        "schema": v.schema.to_json(),
    }


def _cmd_register(args: argparse.Namespace) -> int:
    text = _schema_text(args.schema)
    with _open(args) as cat:
        meta = dict(args.meta) if args.meta else None
        sid = cat.register(args.subject, text, references=args.ref or None, metadata=meta)
        version = cat.lookup(text, args.subject, args.ref or None)
        if args.json:
            print(json.dumps({"id": sid, "subject": args.subject, "version": version.version}))
        else:
            print(sid)
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    with _open(args) as cat:
        if args.subject is None:
            subjects = cat.subjects(include_deleted=args.deleted)
            print(json.dumps(subjects) if args.json else "\n".join(subjects))
            return 0
        rows = []
        for v in cat.versions(args.subject, include_deleted=args.deleted):
            info = cat.get_version(args.subject, v, include_deleted=True)
            rows.append({"version": v, "id": info.id, "deleted": info.deleted})
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print(f"{r['version']}\t{r['id']}" + ("\tdeleted" if r["deleted"] else ""))
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    with _open(args) as cat:
        if args.id is not None:
            if args.subject is not None:
                raise UsageError("give SUBJECT [VERSION] or --id, not both")
            schema = cat.schema_by_id(args.id)
            if args.json:
                print(json.dumps({"id": args.id, "usages": cat.usages(args.id), "schema": schema.to_json()}, indent=2))
            else:
                print(json.dumps(schema.to_json(), indent=2))
            return 0
        if args.subject is None:
            raise UsageError("give SUBJECT [VERSION] or --id")
        v = cat.get_version(args.subject, args.version, include_deleted=args.deleted)
        print(json.dumps(_version_json(v), indent=2) if args.json else v.text.rstrip("\n"))
    return 0


def _cmd_lookup(args: argparse.Namespace) -> int:
    with _open(args) as cat:
        if (args.schema is None) == (args.fingerprint is None):
            raise UsageError("give a SCHEMA or --fingerprint (one of them)")
        if args.fingerprint is not None:
            text: str = args.fingerprint
            # digits only: the int form of CRC-64-AVRO (Java's signed long, or unsigned)
            fp: str | int = int(text) if text.lstrip("-").isdigit() else text
            sid = cat.id_by_fingerprint(fp)
            usages = cat.usages(sid)
            if args.json:
                print(json.dumps({"id": sid, "usages": usages}))
            else:
                print(sid)
                for subject, version in usages:
                    print(f"{subject}\t{version}")
            return 0
        v = cat.lookup(_schema_text(args.schema), args.subject, include_deleted=args.deleted)
        print(json.dumps(_version_json(v)) if args.json else f"{v.subject}\t{v.version}\t{v.id}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    text = _schema_text(args.schema)
    with _open(args) as cat:
        report = cat.check(args.subject, text, level=args.level)
        try:
            live = cat.versions(args.subject)
        except UnknownSchemaError:
            live = []
    # the report counts versions by position in the history; these are their real numbers
    return _print_report(report, args.json, sys.stdout, subject=args.subject, history_versions=live)


def _cmd_delete(args: argparse.Namespace) -> int:
    with _open(args) as cat:
        done = cat.delete(args.subject, args.version, permanent=args.permanent)
    print(" ".join(str(v) for v in done))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    with _open(args) as cat:
        cat.export_dir(args.directory)
    print(args.directory)
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    with _open(args) as cat:
        n = cat.import_dir(args.directory)
    print(f"imported {n} version{'s' if n != 1 else ''}")
    return 0


def _cmd_level(args: argparse.Namespace) -> int:
    with _open(args) as cat:
        if args.set is not None:
            cat.set_level(args.set, args.subject)
        elif args.clear:
            if args.subject is None:
                raise UsageError("--clear needs a SUBJECT (the global level cannot be cleared)")
            cat.set_level(None, args.subject)
        print(cat.get_level(args.subject))
    return 0


def add_commands(subparsers: Any) -> None:
    """Add ``compat`` and ``catalog`` to a top-level parser's subparsers action."""
    p = subparsers.add_parser(
        "compat",
        help="check that a reader schema can read data written with a writer schema",
        description="Check schema compatibility. Without --level: can READER read data written "
        "with WRITER? With --level: is READER (the new schema) compatible with WRITER (and more "
        "existing versions, oldest first) at that level? Exit 0 compatible, 1 not, 2 usage error.",
    )
    p.add_argument("reader", metavar="READER", help="reader (new) schema: .avsc, container file or inline JSON")
    p.add_argument("writer", metavar="WRITER", help="writer (existing) schema: .avsc, container file (its header's schema) or inline JSON")
    p.add_argument("more", metavar="WRITER", nargs="*", help="more existing versions (with --level)")
    p.add_argument("--level", type=_level, help=f"compatibility level: {', '.join(LEVELS)}")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_guard(_cmd_compat), ta_command="compat")

    c = subparsers.add_parser(
        "catalog",
        help="embedded schema catalog (SQLite): register, list, show, lookup, check, delete, export, import",
        description="Manage an embedded schema catalog file.",
    )
    c.add_argument("--db", required=True, help="catalog file (created if missing)")
    sub = c.add_subparsers(dest="catalog_command", metavar="COMMAND", required=True)

    def command(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, help=help, description=help)
        parser.set_defaults(func=_guard(handler), ta_command=f"catalog {name}")
        return parser

    r = command("register", _cmd_register, "register a schema as the next version of SUBJECT; prints its id")
    r.add_argument("subject", metavar="SUBJECT", help="subject to register under")
    r.add_argument("schema", metavar="SCHEMA", help="schema: .avsc file, container file (its header's schema) or inline JSON")
    r.add_argument("--ref", type=_reference, action="append", metavar="NAME=SUBJECT:VERSION",
                   help="import the named type NAME from SUBJECT's VERSION (repeatable)")
    r.add_argument("--meta", type=_metadata, action="append", metavar="KEY=VALUE",
                   help="metadata entry for this version (repeatable; VALUE parsed as JSON if it is)")
    r.add_argument("--json", action="store_true", help="print id, subject and version as JSON")

    ls = command("list", _cmd_list, "list subjects, or SUBJECT's versions (version, id)")
    ls.add_argument("subject", metavar="SUBJECT", nargs="?", help="list this subject's versions (default: list subjects)")
    ls.add_argument("--deleted", action="store_true", help="include soft-deleted versions")
    ls.add_argument("--json", action="store_true", help="print as JSON")

    sh = command("show", _cmd_show, "print a version's schema (or the schema of --id)")
    sh.add_argument("subject", metavar="SUBJECT", nargs="?", help="subject (or give --id)")
    sh.add_argument("version", metavar="VERSION", nargs="?", type=_version, default="latest", help="version number or 'latest' (default)")
    sh.add_argument("--id", type=int, help="a global schema id")
    sh.add_argument("--deleted", action="store_true", help="allow a soft-deleted version")
    sh.add_argument("--json", action="store_true", help="print the version's details as JSON")

    lk = command("lookup", _cmd_lookup, "find a registered schema by content or by fingerprint")
    lk.add_argument("schema", metavar="SCHEMA", nargs="?", help="schema: .avsc file, container file (its header's schema) or inline JSON")
    lk.add_argument("--subject", help="search only this subject")
    lk.add_argument("--fingerprint", help="CRC-64-AVRO (16 hex digits or a signed/unsigned int), MD5 or SHA-256 hex")
    lk.add_argument("--deleted", action="store_true", help="include soft-deleted versions")
    lk.add_argument("--json", action="store_true", help="print as JSON")

    ck = command("check", _cmd_check, "check SCHEMA against SUBJECT's level without registering it")
    ck.add_argument("subject", metavar="SUBJECT", help="subject whose history and level to check against")
    ck.add_argument("schema", metavar="SCHEMA", help="schema: .avsc file, container file (its header's schema) or inline JSON")
    ck.add_argument("--level", type=_level, help="override the subject's level")
    ck.add_argument("--json", action="store_true", help="print the report as JSON")

    de = command("delete", _cmd_delete, "soft-delete a version (all versions without VERSION); "
                 "--permanent hard-deletes soft-deleted ones")
    de.add_argument("subject", metavar="SUBJECT", help="subject to delete from")
    de.add_argument("version", metavar="VERSION", nargs="?", type=_version, help="version number or 'latest' (default: every version)")
    de.add_argument("--permanent", action="store_true", help="hard-delete versions already soft-deleted")

    ex = command("export", _cmd_export, "write subjects/<subject>/v<N>.avsc and index.json into DIRECTORY")
    ex.add_argument("directory", metavar="DIRECTORY", help="directory to write (created if missing)")

    im = command("import", _cmd_import, "rebuild an exported catalog (same ids) into an empty catalog")
    im.add_argument("directory", metavar="DIRECTORY", help="directory written by export")

    lv = command("level", _cmd_level, "show or set the global level, or SUBJECT's")
    lv.add_argument("subject", metavar="SUBJECT", nargs="?", help="subject (default: the global level)")
    group = lv.add_mutually_exclusive_group()
    group.add_argument("--set", type=_level, metavar="LEVEL", help="set the level (NONE, BACKWARD, ... FULL_TRANSITIVE)")
    group.add_argument("--clear", action="store_true", help="make SUBJECT inherit the global level")
