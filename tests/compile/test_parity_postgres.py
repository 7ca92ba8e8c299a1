"""The PostgreSQL engine (a real server) agrees with the reference evaluator."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadscore.compile.contacts import compile_contacts
from leadscore.compile.entities import compile_entity
from leadscore.records import accounts_table, contacts_table, deals_tables, events_table
from leadscore.reference import evaluate
from leadscore.store.postgres_store import PgStore
from tests.compare import assert_same_rows
from tests.strategies import T, dataset, model_dict, to_model

TABLES = ("contacts", "events", "accounts", "deals", "deal_contacts")


@pytest.fixture(scope="module")
def pg(postgres_url: str) -> Any:
    store = PgStore(postgres_url)
    store.init_schema()
    yield store
    store.close()


def _load(store: PgStore, contacts: Any, events: Any, accounts: Any = (), deals: Any = ()) -> None:
    store.execute(f"TRUNCATE {', '.join(TABLES)}")
    store.append_arrow("contacts", contacts_table(contacts))
    store.append_arrow("events", events_table(events))
    store.append_arrow("accounts", accounts_table(accounts))
    deals_t, links_t = deals_tables(deals)
    store.append_arrow("deals", deals_t)
    store.append_arrow("deal_contacts", links_t)


@settings(max_examples=60)
@given(data=model_dict(), ds=dataset(), as_of=st.sampled_from([T, T - 1]))
def test_contacts_match_reference(pg: PgStore, data: dict[str, Any], ds: Any, as_of: int) -> None:
    model = to_model(data)
    contacts, events, _, _ = ds
    _load(pg, contacts, events)
    got = pg.run(compile_contacts(model, as_of, "postgres"))
    assert_same_rows(got, evaluate(model, contacts, events, as_of)["contacts"], "contact_id")


@settings(max_examples=30)
@given(data=model_dict(with_entities=True), ds=dataset(with_entities=True))
def test_accounts_and_deals_match_reference(pg: PgStore, data: dict[str, Any], ds: Any) -> None:
    model = to_model(data)
    contacts, events, accounts, deals = ds
    _load(pg, contacts, events, accounts, deals)
    expected = evaluate(model, contacts, events, T, accounts, deals)
    for entity, key in (("accounts", "account_id"), ("deals", "deal_id")):
        got = pg.run(compile_entity(model, entity, T, "postgres"))
        assert_same_rows(got, expected[entity], key)
