"""The registry guide's Python examples (docs/guide/registry.md) run as written: they start
real servers, register, serialize, secure and import."""
from __future__ import annotations

from pathlib import Path

import pytest

from test_docs import python_blocks

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("confluent_kafka.schema_registry")

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "registry.md"


def test_guide_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(GUIDE)
    assert len(blocks) >= 4
    namespace: dict[str, object] = {"__name__": "registry_guide"}
    try:
        for block in blocks:
            exec(compile(block.code, f"{GUIDE}:{block.line}", "exec"), namespace)
    finally:
        for name in ("server", "secured", "source_server"):  # stop what a failing block left running
            proc = namespace.get(name)
            if proc is not None and getattr(proc, "poll", lambda: 0)() is None:
                proc.terminate()  # type: ignore[attr-defined]
                proc.wait()  # type: ignore[attr-defined]
