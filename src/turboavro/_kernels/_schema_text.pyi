from collections.abc import Callable, Mapping
from typing import Any

def setup(
    classes: tuple[type, ...],
    primitives: Mapping[str, Any],
    empty_props: Mapping[str, Any],
    orders: tuple[str, ...],
    reserved: Mapping[str, frozenset[str]],
    valid_logical: Callable[[Any, str, int | None, Any, Any], bool],
) -> None: ...
def read(text: str, max_schema_depth: int, max_json_depth: int) -> tuple[Any, list[Any]] | None: ...
def track(o: object) -> None: ...
def json_nesting(text: str | bytes | bytearray, limit: int) -> int: ...
