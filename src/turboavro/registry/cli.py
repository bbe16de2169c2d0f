"""``turboavro registry ...``: serve a catalog file, import a registry's content, add users.

``cli.py`` calls :func:`add_commands` with its subparsers action; handlers return the exit
code (0 done, 1 refused by the registry or catalog, 2 usage error).
"""
from __future__ import annotations

import argparse
import getpass
import os
import sqlite3
import sys
from typing import Any

__all__ = ["add_commands"]


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        print("turboavro: error: the registry server needs its extra: pip install 'turboavro[registry]'", file=sys.stderr)
        return 2
    from ..catalog import Catalog
    from .app import app_from_env
    from .auth import Users

    if args.workers < 1:
        print("turboavro: error: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.users:
        Users.load(args.users)  # fail now, with the file's error, not in every worker
    try:
        Catalog(args.db).close()  # create the file and its tables once, before the workers race
    except sqlite3.Error as exc:
        print(f"turboavro: error: cannot open catalog {args.db}: {exc}", file=sys.stderr)
        return 2
    os.environ["TURBOAVRO_REGISTRY_DB"] = os.path.abspath(args.db)
    os.environ["TURBOAVRO_REGISTRY_READONLY"] = "1" if args.readonly else "0"
    os.environ["TURBOAVRO_REGISTRY_USERS"] = os.path.abspath(args.users) if args.users else ""
    os.environ["TURBOAVRO_REGISTRY_MAX_BODY"] = str(args.max_body)
    print(f"turboavro registry on http://{args.host}:{args.port} (catalog {args.db}, "
          f"{args.workers} worker{'s' if args.workers != 1 else ''})", file=sys.stderr, flush=True)
    if args.workers > 1:
        uvicorn.run("turboavro.registry.app:app_from_env", factory=True, host=args.host, port=args.port,
                    workers=args.workers, log_level=args.log_level, access_log=False)
    else:
        uvicorn.run(app_from_env(), host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0


def _credentials(text: str | None) -> tuple[str, str] | None:
    if not text:
        return None
    name, sep, password = text.partition(":")
    if not sep:
        raise SystemExit("turboavro: error: credentials are USER:PASSWORD")
    return name, password


def _import(args: argparse.Namespace) -> int:
    from .client import Client
    from .importer import import_registry

    source = Client(args.source, auth=_credentials(args.auth))
    if args.to:
        target: Any = Client(args.to, auth=_credentials(args.to_auth))
    else:
        from ..catalog import Catalog

        try:
            target = Catalog(args.db)
        except sqlite3.Error as exc:
            print(f"turboavro: error: cannot open catalog {args.db}: {exc}", file=sys.stderr)
            return 2
    skipped: list[Any] = []
    try:
        count = import_registry(source, target, skipped)
    finally:
        source.close()
        target.close()
    for v in skipped:
        print(f"skipped {v.subject} version {v.version}: schema type {v.schema_type} (only AVRO is stored)", file=sys.stderr)
    print(f"imported {count} versions", file=sys.stderr)
    return 0


def _passwd(args: argparse.Namespace) -> int:
    from .auth import add_user

    password = sys.stdin.readline().rstrip("\n") if args.stdin else getpass.getpass(f"password for {args.user}: ")
    if not password:
        print("turboavro: error: empty password", file=sys.stderr)
        return 2
    add_user(args.file, args.user, password, args.role)
    return 0


def add_commands(subparsers: Any) -> None:
    """Add ``registry`` (``serve``, ``import``, ``passwd``) to the top-level subparsers."""
    p = subparsers.add_parser("registry", help="Confluent-compatible schema registry server on a catalog file",
                              description="Run, fill and secure a Confluent-compatible schema registry.")
    sub = p.add_subparsers(dest="registry_command", metavar="COMMAND", required=True)

    s = sub.add_parser("serve", help="serve a catalog file over Confluent's REST API")
    s.add_argument("--db", required=True, help="catalog file (created if missing)")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8081, help="port to listen on (default 8081)")
    s.add_argument("--workers", type=int, default=1, help="server processes sharing the catalog file")
    s.add_argument("--users", help="users file for HTTP Basic auth (see 'registry passwd')")
    s.add_argument("--readonly", action="store_true", help="refuse every write")
    s.add_argument("--max-body", type=int, default=1 << 20, help="request body limit in bytes")
    s.add_argument("--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug"),
                   help="server log level (default warning)")
    s.set_defaults(func=_serve)

    i = sub.add_parser("import", help="copy every subject, version and id of a running registry")
    i.add_argument("--from", dest="source", required=True, metavar="URL", help="the registry to copy")
    i.add_argument("--auth", metavar="USER:PASSWORD", help="credentials for --from")
    dest = i.add_mutually_exclusive_group(required=True)
    dest.add_argument("--db", help="catalog file to fill (must hold no versions)")
    dest.add_argument("--to", metavar="URL", help="a running registry to fill through its IMPORT mode")
    i.add_argument("--to-auth", metavar="USER:PASSWORD", help="credentials for --to (admin role)")
    i.set_defaults(func=_import)

    w = sub.add_parser("passwd", help="add or replace a user of a users file")
    w.add_argument("file", metavar="FILE", help="users file (created if missing)")
    w.add_argument("user", metavar="USER", help="user name to add or update")
    w.add_argument("--role", choices=("read", "write", "admin"), default="read",
                   help="what the user may do (default read)")
    w.add_argument("--stdin", action="store_true", help="read the password from standard input")
    w.set_defaults(func=_passwd)
