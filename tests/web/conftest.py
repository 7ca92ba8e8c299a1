"""Fixtures of the web tests: a small scored workspace served by the app, on DuckDB and on
PostgreSQL (module scope: built once per engine), and signed-in clients."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadscore.records import Contact, Event
from leadscore.service.runtime import Runtime
from leadscore.service.settings import RuntimeSettings
from tests.web.harness import (
    PASSWORD,
    USERNAME,
    Clock,
    add_key,
    add_user,
    chromium,
    make_app,
    sign_in,
)

DAY = 86_400_000_000
NOW = 1_717_200_000_000_000  # 2024-06-01

MODEL = r"""
leadscore: 1
name: web-test
scores:
  fit:
    description: Who the lead is.
    min: 0
    max: 100
    groups:
      role: {max: 35}
    rules:
      - {id: vp, group: role, points: 30,
         when: {attribute: title, matches: '\bvp\b', ignore_case: true}}
      - {id: sales, group: role, points: 10, when: {attribute: department, eq: sales}}
      - {id: free_email, points: -15, when: {attribute: email, matches: '@gmail\.'}}
  engagement:
    min: 0
    max: 100
    rules:
      - {id: demo, points: 50, event: demo_request, within: 30d}
      - {id: pricing, points: 30, event: page_view, where: {property: url, starts_with: /pricing},
         count: each, max_times: 3, half_life: 7d}
grades:
  lead:
    score: total
    bands:
      - {grade: hot, min: 60, stage: SQL}
      - {grade: warm, min: 30, stage: MQL}
      - {grade: cold, stage: lead}
"""

FIRST = ["Ada", "Ben", "Cleo", "Dev", "Eva", "Finn", "Gia", "Hugo", "Ines", "Jon"]
LAST = ["Lovelace", "Okafor", "Marsh", "Patel", "Novak"]


def people() -> list[Contact]:
    """40 contacts: a mix of VPs, sales people and free-mail addresses, over 4 accounts."""
    out = []
    for i in range(40):
        first, last = FIRST[i % 10], LAST[i % 5]
        title = "VP Sales" if i % 4 == 0 else ("Analyst" if i % 3 else "Sales Manager")
        domain = "gmail.com" if i % 7 == 0 else f"acme{i % 4}.example"
        attributes = {
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}.{last.lower()}{i}@{domain}",
            "title": title,
            "department": "sales" if i % 2 == 0 else "marketing",
            "company": f"Acme {i % 4}",
        }
        out.append(Contact(f"c{i:03d}", attributes, NOW - 100 * DAY, f"acct-{i % 4}"))
    return out


def activity() -> list[Event]:
    """Demo requests and pricing visits for some (ties on purpose: many equal totals)."""
    events = []
    for i in range(40):
        if i % 5 == 0:
            events.append(Event(f"d{i}", f"c{i:03d}", "demo_request", NOW - (i % 20) * DAY))
        for j in range(3 if i % 3 == 0 else 0):
            url = {"url": "/pricing/plans"}
            events.append(Event(f"p{i}-{j}", f"c{i:03d}", "page_view", NOW - j * DAY, url))
        events.append(Event(f"v{i}", f"c{i:03d}", "page_view", NOW - 2 * DAY, {"url": "/blog"}))
    return events


@dataclass
class Site:
    """The app over one scored workspace, and ways in."""

    app: Any
    runtime: Runtime
    clock: Clock
    key: str
    engine: str
    clients: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def client(self, **options: Any) -> TestClient:
        """A new client (its own cookies), open until the site stops: one event loop, so
        that its requests reuse the worker threads and their database connections."""
        return self.clients.enter_context(TestClient(self.app, **options))

    def signed_in(self) -> TestClient:
        client = self.client()
        response = sign_in(client)
        assert response.status_code == 303, response.text
        return client

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        with self.runtime.reader() as store:
            return store.rows(sql, params)


_schemas = itertools.count()


def opener(engine: str, tmp: Path, request: pytest.FixtureRequest) -> Callable[[], Any]:
    if engine == "duckdb":
        from leadscore.store.duckdb_store import DuckStore

        path = tmp / "web.duckdb"
        return lambda: DuckStore(path)
    from leadscore.store.postgres_store import PgStore

    url = request.getfixturevalue("postgres_url")
    schema = f"web_{next(_schemas)}"
    return lambda: PgStore(url, schema=schema)


def start_site(engine: str, tmp: Path, request: pytest.FixtureRequest) -> Iterator[Site]:
    clock = Clock(NOW)
    settings = RuntimeSettings(score_delay_s=0.01, refresh_interval_s=0, clock=clock)
    runtime = Runtime("web-test", opener(engine, tmp, request), settings, seed_model=MODEL)
    runtime.start()
    try:
        runtime.upsert_contacts(people())
        runtime.ingest_events(activity())
        runtime.flush()
        clock.now += 3 * DAY  # time passes: decay, and a line of score history
        runtime.refresh()
        add_user(runtime)
        key = add_key(runtime)
        app = make_app({runtime.name: runtime})
        site = Site(app, runtime, clock, key, engine)
        with site.clients:
            yield site
    finally:
        runtime.stop()


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The site on each engine (built once per module and engine)."""
    yield from start_site(request.param, tmp_path_factory.mktemp("web"), request)


@pytest.fixture(scope="module")
def duck_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The site on DuckDB only (for what does not depend on the engine)."""
    yield from start_site("duckdb", tmp_path_factory.mktemp("web"), request)


@pytest.fixture
def client(site: Site) -> TestClient:
    return site.signed_in()


@pytest.fixture(scope="session")
def chrome() -> Iterator[Any]:
    """One headless Chromium for the whole test session, started by the first browser test
    that asks for it; each module opens its own context (cookies, pages) in it."""
    with chromium() as browser:
        yield browser


__all__ = ["PASSWORD", "USERNAME"]
