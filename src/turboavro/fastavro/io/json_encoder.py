"""fastavro's ``AvroJSONEncoder``: writes one Avro JSON datum per line to a text file.

Subclasses may override :meth:`write_datum` (a JSON-compatible value in) or
:meth:`dumps` (the text of one value)."""
from __future__ import annotations

import json
from typing import IO, Any


class AvroJSONEncoder:
    def __init__(self, fo: IO[str], *, write_union_type: bool = True) -> None:
        self._fo = fo
        self.write_union_type = write_union_type
        self._first = True

    def dumps(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    def write_datum(self, value: Any) -> None:
        if not self._first:
            self._fo.write("\n")
        self._first = False
        self._fo.write(self.dumps(value))

    def flush(self) -> None:
        try:
            self._fo.flush()
        except (AttributeError, ValueError):
            pass
