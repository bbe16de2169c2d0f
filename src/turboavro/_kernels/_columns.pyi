from typing import Any

from typing_extensions import Buffer

OPS: dict[str, int]

class Plan:
    ncols: int
    paths: tuple[str, ...]
    offset_cols: tuple[int, ...]
    def __init__(
        self,
        nodes: list[tuple[Any, ...]],
        kids: list[int],
        table: list[int],
        root: int,
        ncols: int,
        paths: tuple[str, ...],
        offset_cols: tuple[int, ...],
        row_width: tuple[int, ...] = (),
    ) -> None: ...

class _Owned:
    def __len__(self) -> int: ...
    def __buffer__(self, flags: int, /) -> memoryview: ...

class _Chunk:
    rows: int
    def __init__(self, plan: Plan, hints: dict[int, int] | None = None) -> None: ...
    def decode(
        self,
        buf: Buffer,
        count: int,
        start: int = 0,
        file_offset: int = 0,
        compressed: bool = False,
        first_record: int = 0,
    ) -> int: ...
    def decode_table(
        self,
        buf: Buffer,
        table: Buffer,
        lo: int,
        hi: int,
        codec: int,
        max_size: int,
        min_size: int,
        fd: int = ...,
    ) -> None: ...
    def share_rows(self, owner: _Chunk, row0: int, nrows: int) -> None: ...
    def reserve_rows(self, nrows: int) -> None: ...
    def gather_shared(self, parts: list[_Chunk]) -> None: ...
    def take(self, i: int) -> _Owned: ...

class _Encoder:
    rows_done: int
    def __init__(self, plan: Plan, arrays: list[Any]) -> None: ...
    def encode(self, count: int, max_bytes: int) -> tuple[int, bytes]: ...

def _set_fast_paths(on: bool) -> bool: ...
def utf8_valid(data: Buffer) -> bool: ...
def scratch(size: int, phase: int = 0) -> _Owned: ...
def set_buffer_cache(max_bytes: int) -> int: ...
def buffer_cache_info() -> tuple[int, int]: ...
def split_runs(
    tables: list[bytes], parts: int
) -> list[tuple[list[tuple[int, int, int]], int, int]]: ...
def join_columns(chunks: list[_Chunk], i: int, offsets: bool) -> _Owned: ...
