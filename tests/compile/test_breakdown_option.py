"""Scores without the breakdown are the same scores, in fewer columns."""

from __future__ import annotations

from leadscore.compile.contacts import compile_contacts
from leadscore.demo import generate
from leadscore.model import load_model
from leadscore.store.duckdb_store import DuckStore
from leadscore.store.workspace import example_model_path


def test_scores_only_equal_the_full_query() -> None:
    data = generate(contacts=300, seed=3)
    model = load_model(example_model_path())
    with DuckStore() as store:
        store.init_schema()
        store.append_arrow("contacts", data.contacts)
        store.append_arrow("events", data.events)
        full = compile_contacts(model, data.spec.end_us)
        lean = compile_contacts(model, data.spec.end_us, breakdown=False)
        assert set(lean.columns) < set(full.columns)
        assert not [c for c in lean.columns if c.startswith("r_")]
        shared = ", ".join(lean.columns)
        a = store.rows(f"SELECT {shared} FROM ({full.sql()}) ORDER BY contact_id")
        b = store.rows(f"SELECT {shared} FROM ({lean.sql()}) ORDER BY contact_id")
    assert len(a) == 300
    assert a == b
