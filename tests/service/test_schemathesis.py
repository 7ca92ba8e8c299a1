"""Fuzz every operation of the OpenAPI schema (schemathesis): no input gives a 5xx.

The app serves a small seeded DuckDB workspace with a valid key; each operation gets a bounded
number of generated requests, valid and invalid ones."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from leadscore.records import Contact, Event, Outcome
from leadscore.service.app import create_app
from leadscore.service.auth import create_key
from leadscore.service.runtime import Runtime
from leadscore.service.settings import RuntimeSettings, ServiceSettings
from leadscore.service.webhooks import create_endpoint
from leadscore.store.duckdb_store import DuckStore
from leadscore.timeutil import UNIT_US
from tests.service.conftest import MODEL, Clock

DAY = UNIT_US["d"]
EXAMPLES = 20
SETTINGS = ServiceSettings(max_batch_items=20, max_body_bytes=256 * 1024)


@dataclass
class Served:
    app: Any
    key: str


def _seed(runtime: Runtime, now: int) -> str:
    titles = ["VP Sales", "Engineer", "vp marketing", "Student"]
    runtime.upsert_contacts(
        [Contact(f"c{i}", {"title": titles[i % 4]}, account_id=f"a{i % 3}") for i in range(12)]
    )
    runtime.flush()
    runtime.ingest_events(
        [Event(f"d{i}", f"c{i}", "demo_request", now - i * DAY) for i in range(0, 12, 2)]
        + [Event(f"p{i}", f"c{i}", "page_view", now, {"url": "/pricing"}) for i in range(12)]
    )
    runtime.record_outcomes([Outcome("o1", "c0", "won", now - DAY, 1000.0)])
    runtime.flush()
    with runtime.reader() as store:
        create_endpoint(store, "https://hooks.example/leadscore", now_us=now)
        return create_key(store, "fuzz")[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "ws.duckdb"
    clock = Clock(1_717_200_000_000_000)
    runtime = Runtime(
        "fuzz",
        lambda: DuckStore(path),
        RuntimeSettings(score_delay_s=0.01, refresh_interval_s=0, clock=clock),
        seed_model=MODEL,
    ).start()
    key = _seed(runtime, clock.now)

    def post(url: str, body: bytes, headers: Any) -> int:  # no network in tests
        return 204

    try:
        yield Served(create_app(SETTINGS, {"fuzz": runtime}, webhook_post=post), key)
    finally:
        runtime.stop()


@pytest.fixture(scope="module")
def api_schema(served: Served) -> Any:
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", served.app)


def _operations() -> list[str]:
    """Every operation of the schema (the app needs no workspace to describe itself)."""
    document = create_app(SETTINGS, {}).openapi()
    return [
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
    ]


@pytest.mark.parametrize("label", _operations())
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error(label: str, mode: GenerationMode, served: Served, api_schema: Any) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label
    auth = {"Authorization": f"Bearer {served.key}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        response = case.call(headers=auth)
        assert response.status_code < 500, (
            f"{response.status_code}\n{case.as_curl_command()}\n{response.text[:2000]}"
        )
        if response.status_code >= 400:
            assert set(response.json()) == {"error"}, response.text
            assert set(response.json()["error"]) == {"code", "message", "details"}

    try:
        check()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        pytest.skip("the operation has no input to break")


def test_the_schema_documents_limits_and_errors(served: Served) -> None:
    from fastapi.testclient import TestClient

    document = TestClient(served.app).get("/api/v1/openapi.json").json()
    batch = document["components"]["schemas"]["EventBatchIn"]["properties"]["events"]
    assert batch["maxItems"] == 20
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation.get("summary"), (method, path)
            assert operation.get("description"), (method, path)
            if path != "/api/v1/health":
                assert "401" in operation["responses"], (method, path)
                assert operation["security"], (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorBody"), (method, path, status)
