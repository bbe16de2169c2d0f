"""schemathesis against the registry's own OpenAPI document: over a thousand generated
requests (valid and invalid parameters and bodies) to the running server, none answered with
a 5xx, every error with Confluent's error body and content type."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from registry_server import Server, http

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
schemathesis = pytest.importorskip("schemathesis")
requests = pytest.importorskip("requests")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SENT: list[int] = []
EXAMPLES = 48  # per operation; about 28 operations take that many, the rest have few inputs


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("fuzz") / "registry.db") as s:
        record = '{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}'
        for subject in ("orders-value", "orders-key", "a"):
            assert http(s.url, "POST", f"/subjects/{subject}/versions", {"schema": record})[0] == 200
        yield s


@pytest.fixture(scope="module")
def session() -> Iterator[Any]:
    with requests.Session() as s:
        yield s


@pytest.fixture(scope="module")
def api_schema(server: Server) -> Any:
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json")


def _operations() -> list[tuple[str, str]]:
    from turboavro.registry.openapi import openapi_document

    return [(path, method) for path, item in openapi_document()["paths"].items() for method in item]


@pytest.mark.parametrize(("path", "method"), _operations())
def test_no_server_errors(api_schema: Any, session: Any, path: str, method: str) -> None:
    from schemathesis.generation.modes import GenerationMode

    operation = api_schema[path][method.upper()]
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        response = case.call(session=session, timeout=30)
        SENT.append(response.status_code)
        assert response.status_code < 500, (case.method, case.formatted_path, response.text)
        if response.status_code >= 400:
            ctype = response.headers.get("content-type")
            assert (ctype[0] if isinstance(ctype, list) else ctype) == "application/vnd.schemaregistry.v1+json"
            body = response.json()
            assert set(body) == {"error_code", "message"} and isinstance(body["error_code"], int)

    check()


def test_enough_requests_were_sent() -> None:
    print(f"\n{len(SENT)} generated requests, statuses {sorted(set(SENT))}")
    assert len(SENT) >= 1000, len(SENT)
    assert any(s == 200 for s in SENT) and any(400 <= s < 500 for s in SENT)
