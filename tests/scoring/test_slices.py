"""The slice tables hold exactly the asked contacts and their events, looked up by index."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leadscore.records import Contact, Event, contacts_table, events_table
from leadscore.scoring import slices
from leadscore.store.duckdb_store import DuckStore
from leadscore.store.postgres_store import PgStore
from tests.strategies import T

# ids a literal list must quote right
IDS = ["plain", "o'brien", 'say "hi"', "back\\slash", "ünï", "semi;colon", "x) OR (1=1"]


def _contacts(ids: list[str]) -> list[Contact]:
    return [Contact(i, attributes={"n": str(k)}) for k, i in enumerate(ids)]


def _events(ids: list[str], per_contact: int) -> list[Event]:
    return [
        Event(f"{i}#{k}", i, "page_view", T - k, {"url": "/"})
        for i in ids
        for k in range(per_contact)
    ]


@pytest.fixture(params=["duckdb", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "duckdb":
        with DuckStore() as duck:
            duck.init_schema()
            yield duck
        return
    pg = PgStore(request.getfixturevalue("postgres_url"))
    pg.init_schema()
    pg.execute("TRUNCATE contacts, events")
    yield pg
    pg.execute("TRUNCATE contacts, events")
    pg.close()


def _ids_in(store: Any, table: str) -> list[str]:
    return sorted(r["contact_id"] for r in store.rows(f"SELECT contact_id FROM {table}"))


@pytest.mark.parametrize("by_scan", [False, True])
def test_fill_copies_exactly_the_contacts_and_their_events(
    store: Any, by_scan: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slices, "CHUNK", 3)  # several lookups, the last one short
    if by_scan:  # a slice of many contacts: one scan
        monkeypatch.setattr(slices, "MIN_SCAN", 0)
        monkeypatch.setattr(slices, "SCAN_SHARE", 0.0)
    others = [f"other{k}" for k in range(20)]
    store.append_arrow("contacts", contacts_table(_contacts(IDS + others)))
    store.append_arrow("events", events_table(_events(IDS + others, 3)))
    picked = [*IDS, "no such contact"]
    with store.transaction():
        sources = slices.fill(store, picked)
    assert (sources.contacts, sources.events) == (slices.CONTACTS, slices.EVENTS)
    assert _ids_in(store, slices.CONTACTS) == sorted(IDS)
    assert _ids_in(store, slices.EVENTS) == sorted(i for i in IDS for _ in range(3))
    # the columns scoring reads are copied, values unchanged; every contact column is
    columns = ", ".join(slices.EVENT_COLUMNS)
    copied = store.rows(f"SELECT * FROM {slices.EVENTS} ORDER BY {columns}")
    original = store.rows(
        f"SELECT {columns} FROM events "
        f"WHERE {slices.id_list('contact_id', IDS, store.dialect)} ORDER BY {columns}"
    )
    assert copied == original
    assert store.rows(f"SELECT * FROM {slices.CONTACTS} ORDER BY contact_id") == store.rows(
        f"SELECT * FROM contacts WHERE {slices.id_list('contact_id', IDS, store.dialect)} "
        "ORDER BY contact_id"
    )
    # a second fill replaces the first
    with store.transaction():
        slices.fill(store, others[:2])
    assert _ids_in(store, slices.CONTACTS) == others[:2]
    assert _ids_in(store, slices.EVENTS) == sorted(i for i in others[:2] for _ in range(3))


def test_duckdb_looks_the_events_up_in_the_index() -> None:
    """On a store of many contacts, the lookup of a few reads the index, not every event."""
    ids = [f"c{k}" for k in range(50_000)]
    with DuckStore() as duck:
        duck.init_schema()
        duck.append_arrow("events", events_table(_events(ids, 4)))
        lookup = f"SELECT * FROM events WHERE {slices.id_list('contact_id', ids[:5], 'duckdb')}"
        plan = duck.con.execute(f"EXPLAIN ANALYZE {lookup}").fetchall()[0][1]
        assert "Index Scan" in plan
        assert len(duck.rows(lookup)) == 5 * 4
