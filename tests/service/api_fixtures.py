"""Fixtures of the HTTP API tests: an app over a started runtime (DuckDB and PostgreSQL), a key,
and a client that sends it. Test modules import the fixtures they use (``api_fixture`` is the
fixture ``api``)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadscore.service.app import create_app
from leadscore.service.auth import create_key
from leadscore.service.runtime import Runtime
from leadscore.service.settings import RuntimeSettings, ServiceSettings
from leadscore.store.base import Store
from tests.service.conftest import MODEL, Clock

MAX_BATCH = 50
MAX_BODY = 64 * 1024
_schemas = itertools.count()


@dataclass
class Api:
    """A client of one workspace, with its key."""

    client: TestClient
    runtime: Runtime
    key: str
    key_id: str
    clock: Clock
    posted: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.client.post(f"/api/v1{path}", headers=self.headers, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.client.put(f"/api/v1{path}", headers=self.headers, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.client.patch(f"/api/v1{path}", headers=self.headers, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.client.delete(f"/api/v1{path}", headers=self.headers, **kwargs)

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Read the workspace database directly."""
        with self.runtime.reader() as store:
            return store.rows(sql, params)

    def count(self, table: str) -> int:
        with self.runtime.reader() as store:
            return int(store.scalar(f"SELECT count(*) FROM {table}"))


def settings() -> ServiceSettings:
    return ServiceSettings(max_batch_items=MAX_BATCH, max_body_bytes=MAX_BODY)


def runtime_settings(clock: Clock) -> RuntimeSettings:
    return RuntimeSettings(score_delay_s=0.01, refresh_interval_s=0, clock=clock)


def new_key(runtime: Runtime, name: str = "tests") -> tuple[str, str]:
    with runtime.reader() as store:
        return create_key(store, name)


def make_api(runtimes: dict[str, Runtime], name: str, clock: Clock, client: TestClient) -> Api:
    key_id, key = new_key(runtimes[name])
    return Api(client, runtimes[name], key, key_id, clock)


def _fake_post(sent: list[tuple[str, bytes, dict[str, str]]]) -> Callable[..., int]:
    def post(url: str, body: bytes, headers: Any) -> int:
        sent.append((url, body, dict(headers)))
        return 500 if "fail" in url else 204

    return post


@pytest.fixture(name="api")
def api_fixture(runtime: Runtime, clock: Clock) -> Iterator[Api]:
    """The API over the ``runtime`` fixture (DuckDB and PostgreSQL), with a valid key."""
    sent: list[tuple[str, bytes, dict[str, str]]] = []
    app = create_app(settings(), {runtime.name: runtime}, webhook_post=_fake_post(sent))
    with TestClient(app) as client:
        made = make_api({runtime.name: runtime}, runtime.name, clock, client)
        made.posted = sent
        yield made


def open_two(request: pytest.FixtureRequest, tmp_path: Path) -> list[Callable[[], Store]]:
    """Two empty workspace databases on the engine ``request.param``."""
    if request.param == "duckdb":
        from leadscore.store.duckdb_store import DuckStore

        def duck(path: Path) -> Callable[[], Store]:
            return lambda: DuckStore(path)

        return [duck(tmp_path / "a.duckdb"), duck(tmp_path / "b.duckdb")]
    from leadscore.store.postgres_store import PgStore

    url = request.getfixturevalue("postgres_url")

    def pg(schema: str) -> Callable[[], Store]:
        return lambda: PgStore(url, schema=schema)

    return [pg(f"api_{next(_schemas)}") for _ in range(2)]


@pytest.fixture(name="two_workspaces", params=["duckdb", "postgres"])
def two_workspaces_fixture(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Clock
) -> Iterator[tuple[Api, Api]]:
    """Two workspaces served by one app, a key for each."""
    openers = open_two(request, tmp_path)
    runtimes = {
        name: Runtime(name, opener, runtime_settings(clock), seed_model=MODEL).start()
        for name, opener in zip(("alpha", "beta"), openers, strict=True)
    }
    try:
        app = create_app(settings(), runtimes)
        with TestClient(app) as client:
            yield (
                make_api(runtimes, "alpha", clock, client),
                make_api(runtimes, "beta", clock, client),
            )
    finally:
        for runtime in runtimes.values():
            runtime.stop()
