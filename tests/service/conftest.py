from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from leadscore.service.runtime import Runtime
from leadscore.service.settings import RuntimeSettings

MODEL = """
leadscore: 1
name: service-test
scores:
  fit:
    rules:
      - {id: vp, points: 30, when: {attribute: title, matches: '\\bvp\\b', ignore_case: true}}
  engagement:
    rules:
      - {id: demo, points: 50, event: demo_request, within: 30d}
      - {id: pricing, points: 10, event: page_view, where: {property: url, starts_with: /pricing},
         count: each, max_times: 3, half_life: 7d}
grades:
  lead:
    score: total
    bands:
      - {grade: hot, min: 60, stage: SQL}
      - {grade: warm, min: 30, stage: MQL}
      - {grade: cold}
"""


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, start: int) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now


_schemas = itertools.count()


@pytest.fixture(params=["duckdb", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Any]:
    """A function opening a new connection to an empty workspace database on each engine."""
    if request.param == "duckdb":
        from leadscore.store.duckdb_store import DuckStore

        path = tmp_path / "ws.duckdb"
        return lambda: DuckStore(path)
    from leadscore.store.postgres_store import PgStore

    url = request.getfixturevalue("postgres_url")
    schema = f"ws_{next(_schemas)}"
    admin = PgStore(url)
    admin.execute(f"CREATE SCHEMA {schema}")
    admin.close()
    return lambda: PgStore(url, schema=schema)


@pytest.fixture
def clock() -> Clock:
    return Clock(1_717_200_000_000_000)


@pytest.fixture
def runtime(engine: Callable[[], Any], clock: Clock) -> Iterator[Runtime]:
    settings = RuntimeSettings(score_delay_s=0.01, refresh_interval_s=0, clock=clock)
    rt = Runtime("test", engine, settings, seed_model=MODEL).start()
    yield rt
    rt.stop()
