"""The hidden intent shows in behaviour and outcomes, and the example model finds it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leadscore.compile.contacts import compile_contacts
from leadscore.demo import DemoData, load
from leadscore.model import load_model
from leadscore.store.duckdb_store import DuckStore
from leadscore.store.workspace import example_model_path

DAY_US = 86_400_000_000
HORIZON = 90 * DAY_US


@pytest.fixture(scope="module")
def store(data: DemoData) -> Iterator[DuckStore]:
    with DuckStore(threads=2) as store:
        load(store, data)
        yield store


def _alive_at(store: DuckStore, s: int) -> str:
    """Contacts that exist and have not converted at ``s``, with converted-within-90-days."""
    return f"""
        SELECT c.contact_id, t.intent, t.p_convert_90d AS p,
               coalesce(t.converted_at_us <= {s + HORIZON}, false) AS converted
        FROM contacts c JOIN demo_truth t USING (contact_id)
        WHERE c.created_at_us <= {s} AND (t.converted_at_us IS NULL OR t.converted_at_us > {s})
    """


def test_base_rate_is_in_the_stated_range(data: DemoData, store: DuckStore) -> None:
    s = data.spec.end_us - HORIZON
    row = store.rows(
        f"SELECT count(*) n, avg(converted::INT) rate, avg(p) p FROM ({_alive_at(store, s)})"
    )[0]
    assert row["n"] > 1500
    assert 0.04 <= row["rate"] <= 0.12
    assert row["p"] == pytest.approx(row["rate"], abs=0.03)  # the truth is calibrated


def test_true_probability_separates_converters(data: DemoData, store: DuckStore) -> None:
    s = data.spec.end_us - HORIZON
    rows = store.rows(
        f"""
        SELECT ntile(4) OVER (ORDER BY p) AS quartile, converted FROM ({_alive_at(store, s)})
        """
    )
    rate = {q: _mean([r["converted"] for r in rows if r["quartile"] == q]) for q in (1, 4)}
    assert rate[4] > 4 * rate[1]


def _mean(values: list[Any]) -> float:
    return sum(float(v) for v in values) / len(values)


def _per_active_day(store: DuckStore, end: int, where: str) -> dict[int, float]:
    """Events matching ``where`` per active contact-day, by intent quartile."""
    rows = store.rows(
        f"""
        WITH spans AS (
            SELECT c.contact_id,
                   ntile(4) OVER (ORDER BY t.intent) AS quartile,
                   (least(coalesce(t.converted_at_us, {end}), {end})
                    - greatest(c.created_at_us, {end} - 365 * {DAY_US})) / {DAY_US} AS days
            FROM contacts c JOIN demo_truth t USING (contact_id)
        ),
        hits AS (
            SELECT contact_id, count(*) AS n FROM events WHERE {where} GROUP BY contact_id
        )
        SELECT quartile, sum(coalesce(n, 0)) / sum(greatest(days, 0)) AS rate
        FROM spans LEFT JOIN hits USING (contact_id) GROUP BY quartile
        """
    )
    return {r["quartile"]: r["rate"] for r in rows}


def test_exploration_follows_intent_more_than_awareness(data: DemoData, store: DuckStore) -> None:
    end = data.spec.end_us
    exploration = _per_active_day(
        store,
        end,
        "type IN ('demo_request', 'trial_signup', 'contact_sales') OR "
        "(type = 'page_view' AND json_extract_string(properties, '$.url') LIKE '/pricing%')",
    )
    awareness = _per_active_day(
        store,
        end,
        "type = 'page_view' AND json_extract_string(properties, '$.url') LIKE '/blog%'",
    )
    negative = _per_active_day(store, end, "type IN ('unsubscribe', 'email_bounce')")
    assert exploration[4] > 5 * exploration[1]
    assert 1 < awareness[4] / awareness[1] < exploration[4] / exploration[1]
    assert negative[1] > negative[4]


def test_example_model_finds_hot_warm_and_cold(data: DemoData, store: DuckStore) -> None:
    model = load_model(example_model_path())
    end = data.spec.end_us
    rows = store.rows(compile_contacts(model, end).sql("duckdb"))
    share = {g: sum(r["grade"] == g for r in rows) / len(rows) for g in ("hot", "warm", "cold")}
    assert share["hot"] >= 0.005
    assert share["warm"] >= 0.05
    assert share["cold"] >= 0.5


def test_hot_leads_convert_more_than_cold(data: DemoData, store: DuckStore) -> None:
    model = load_model(example_model_path())
    s = data.spec.end_us - HORIZON
    scored = {r["contact_id"]: r["grade"] for r in store.rows(compile_contacts(model, s).sql())}
    alive = store.rows(_alive_at(store, s))
    rate = {
        grade: _mean([a["converted"] for a in alive if scored[a["contact_id"]] == grade])
        for grade in ("hot", "warm", "cold")
    }
    assert rate["hot"] > 2 * rate["cold"]
    assert rate["warm"] > rate["cold"]
