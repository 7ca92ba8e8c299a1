"""Stores for the scoring tests: emptied and loaded with contacts and events, on each engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from leadscore.records import contacts_table, events_table
from leadscore.store.duckdb_store import DuckStore
from leadscore.store.postgres_store import PgStore


def stored(store: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = store.rows("SELECT * FROM scores")
    return rows


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def fresh_store(request: pytest.FixtureRequest) -> Iterator[Callable[[Any, Any], Any]]:
    """A factory of emptied stores loaded with contacts and events, on each engine."""
    if request.param == "duckdb":

        def make_duck(contacts: Any, events: Any) -> Any:
            store = DuckStore()
            store.init_schema()
            store.append_arrow("contacts", contacts_table(contacts))
            store.append_arrow("events", events_table(events))
            return store

        yield make_duck
        return
    pg = PgStore(request.getfixturevalue("postgres_url"))
    pg.init_schema()

    def make_pg(contacts: Any, events: Any) -> Any:
        pg.execute("DROP TABLE IF EXISTS scores")
        pg.execute("TRUNCATE contacts, events, pending_events, score_runs")
        pg.append_arrow("contacts", contacts_table(contacts))
        pg.append_arrow("events", events_table(events))
        return pg

    yield make_pg
    pg.close()
