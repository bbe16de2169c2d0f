"""fastavro's ``AvroJSONDecoder``: reads Avro JSON datums, one per line (blank lines are
skipped), from a text file."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any


class AvroJSONDecoder:
    def __init__(self, fo: IO[str]) -> None:
        self._fo = fo

    def loads(self, line: str) -> Any:
        return json.loads(line)

    def __iter__(self) -> Iterator[Any]:
        for line in self._fo:
            if line.strip():
                yield self.loads(line)
