from typing import Any

from ..resolution import ReadNode, WriteNode
from ..schema import Schema

DEFAULT_MAX_DEPTH: int
DEFAULT_ZERO_BUDGET: int

class Decoder:
    writer_schema: Schema
    reader_schema: Schema
    plan: ReadNode
    max_depth: int
    max_zero_size_items: int
    def __init__(
        self,
        writer_schema: Any,
        reader_schema: Any = None,
        *,
        logical: bool = True,
        branches: bool = False,
        max_depth: int = ...,
        max_zero_size_items: int = ...,
        _union_tag: Any = ...,
    ) -> None: ...
    def decode(self, data: Any, offset: int = 0) -> Any: ...
    def decode_prefix(self, data: Any, offset: int = 0) -> tuple[Any, int]: ...
    def decode_block(self, data: Any, count: int) -> list[Any]: ...
    def describe(self) -> str: ...

class Encoder:
    schema: Schema
    strict: bool
    def __init__(self, schema: Any, *, strict: bool = True, logical: bool = True) -> None: ...
    def encode(self, obj: Any) -> bytes: ...
    def encode_into(self, obj: Any, out: bytearray) -> None: ...
    def encode_many_into(self, objs: Any, out: bytearray) -> int: ...

def compile_read(plan: ReadNode) -> Any: ...
def compile_write(plan: WriteNode) -> Any: ...
