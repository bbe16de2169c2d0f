"""``python -m turboavro.fastavro`` (and ``python -m fastavro`` after
``install_as_fastavro()``): fastavro's command line. Prints the records of Avro files as JSON
lines, or their schema (``--schema``), metadata (``--metadata``), the codecs (``--codecs``)."""
from __future__ import annotations

import datetime
import json
import sys
from decimal import Decimal
from typing import Any
from uuid import UUID


class CleanJSONEncoder(json.JSONEncoder):
    """JSON for the values a reader returns: dates and times as ISO text, decimals and UUIDs
    as text, bytes as ISO-8859-1 text (the Avro JSON encoding's rule for bytes)."""

    def default(self, obj: Any) -> Any:
        if isinstance(obj, (datetime.date, datetime.datetime, datetime.time)):
            return obj.isoformat()
        if isinstance(obj, (Decimal, UUID)):
            return str(obj)
        if isinstance(obj, bytes):
            return obj.decode("iso-8859-1")
        return super().default(obj)


def main(argv: list[str] | None = None) -> int:
    from argparse import ArgumentParser

    from . import __version__, reader
    from .read import BLOCK_READERS

    argv = argv or sys.argv
    parser = ArgumentParser(description="iter over avro file, emit records as JSON")
    parser.add_argument("file", help="file(s) to parse, use `-' for stdin", nargs="*")
    parser.add_argument("--schema", help="dump schema instead of records", action="store_true")
    parser.add_argument("--metadata", help="dump metadata instead of records", action="store_true")
    parser.add_argument("--codecs", help="print supported codecs", action="store_true")
    parser.add_argument("--version", action="version", version=f"fastavro {__version__}")
    parser.add_argument("-p", "--pretty", help="pretty print json", action="store_true")
    args = parser.parse_args(argv[1:])
    if args.codecs:
        print("\n".join(sorted(BLOCK_READERS)))
        return 0
    for filename in args.file or ["-"]:
        fo = sys.stdin.buffer if filename == "-" else open(filename, "rb")
        try:
            r = reader(fo)
            if args.schema:
                json.dump(r._schema, sys.stdout, indent=4)
                sys.stdout.write("\n")
                continue
            if args.metadata:
                meta = dict(r.metadata)
                del meta["avro.schema"]
                json.dump(meta, sys.stdout, indent=4)
                sys.stdout.write("\n")
                continue
            indent = 4 if args.pretty else None
            for record in r:
                json.dump(record, sys.stdout, indent=indent, cls=CleanJSONEncoder)
                sys.stdout.write("\n")
                sys.stdout.flush()
        finally:
            if fo is not sys.stdin.buffer:
                fo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
