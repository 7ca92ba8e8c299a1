"""The DuckDB engine agrees with the reference evaluator on random models and data."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from leadscore.compile.contacts import compile_contacts
from leadscore.compile.entities import compile_entity
from leadscore.records import accounts_table, contacts_table, deals_tables, events_table
from leadscore.reference import evaluate
from leadscore.store.duckdb_store import DuckStore
from tests.compare import assert_same_rows
from tests.strategies import T, dataset, model_dict, to_model

_STORE: list[DuckStore] = []


def _load(contacts: Any, events: Any, accounts: Any = (), deals: Any = ()) -> DuckStore:
    """One in-memory store for the whole module, emptied before every example."""
    if not _STORE:
        _STORE.append(DuckStore())
        _STORE[0].init_schema()
    store = _STORE[0]
    for table in ("contacts", "events", "accounts", "deals", "deal_contacts"):
        store.con.execute(f"DELETE FROM {table}")
    store.append_arrow("contacts", contacts_table(contacts))
    store.append_arrow("events", events_table(events))
    store.append_arrow("accounts", accounts_table(accounts))
    deals_t, links_t = deals_tables(deals)
    store.append_arrow("deals", deals_t)
    store.append_arrow("deal_contacts", links_t)
    return store


def _rows(store: DuckStore, compiled: Any) -> list[dict[str, Any]]:
    return store.rows(compiled.sql("duckdb"))


@given(model_dict(), dataset(), st.sampled_from([T, T - 1, T + 3_600_000_000]))
def test_contacts_match_reference(data: dict[str, Any], ds: Any, as_of: int) -> None:
    model = to_model(data)
    contacts, events, _, _ = ds
    got = _rows(_load(contacts, events), compile_contacts(model, as_of))
    expected = evaluate(model, contacts, events, as_of)["contacts"]
    assert_same_rows(got, expected, "contact_id")


@given(model_dict(with_entities=True), dataset(with_entities=True))
def test_accounts_and_deals_match_reference(data: dict[str, Any], ds: Any) -> None:
    model = to_model(data)
    contacts, events, accounts, deals = ds
    expected = evaluate(model, contacts, events, T, accounts, deals)
    store = _load(contacts, events, accounts, deals)
    for entity, key in (("accounts", "account_id"), ("deals", "deal_id")):
        got = _rows(store, compile_entity(model, entity, T))
        assert_same_rows(got, expected[entity], key)
