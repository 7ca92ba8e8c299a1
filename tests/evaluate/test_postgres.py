"""The analyses give the same answers on PostgreSQL as on DuckDB (only the Store protocol)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from leadscore.evaluate.backtest import backtest
from leadscore.evaluate.drift import drift
from leadscore.evaluate.funnel import funnel
from leadscore.evaluate.funnel_config import default_funnel
from leadscore.evaluate.scorers import RuleScorer
from leadscore.model import load_model_text
from leadscore.store.duckdb_store import DuckStore
from leadscore.store.postgres_store import PgStore
from tests.evaluate.conftest import DAY, SMALL_MODEL
from tests.evaluate.test_backtest import OBSERVED, T, history


@pytest.fixture
def pg(request: pytest.FixtureRequest) -> Iterator[PgStore]:
    store = PgStore(request.getfixturevalue("postgres_url"), schema="evaluate_tests")
    store.execute("DROP SCHEMA IF EXISTS evaluate_tests CASCADE")
    store.execute("CREATE SCHEMA evaluate_tests")
    store.execute("SET search_path TO evaluate_tests")
    store.init_schema()
    try:
        yield store
    finally:
        store.execute("DROP SCHEMA IF EXISTS evaluate_tests CASCADE")
        store.close()


def test_same_results_on_both_engines(pg: PgStore, store: DuckStore) -> None:
    history(store)
    history(pg)  # type: ignore[arg-type]
    scorer = RuleScorer(load_model_text(SMALL_MODEL))
    results = [
        backtest(s, [scorer], [T - 30 * DAY, T], 30, observed_until_us=OBSERVED)  # type: ignore[arg-type]
        for s in (store, pg)
    ]
    duck, post = (
        r.leads.sort_values(["as_of_us", "contact_id"]).reset_index(drop=True) for r in results
    )
    pd.testing.assert_frame_equal(
        duck[["as_of_us", "contact_id", "label", "grade", "stage"]],
        post[["as_of_us", "contact_id", "label", "grade", "stage"]],
        check_dtype=False,
    )
    assert duck["score"].to_numpy() == pytest.approx(post["score"].to_numpy(), rel=1e-9)
    assert results[0].stability().equals(results[1].stability())

    counted = [funnel(s, default_funnel(), T).table for s in (store, pg)]  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(counted[0], counted[1], check_dtype=False)

    periods = ((T - 60 * DAY, T - 25 * DAY), (T - 25 * DAY, T))
    drifts = [drift(s, scorer, *periods).summary() for s in (store, pg)]  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(drifts[0], drifts[1], check_dtype=False)


def test_empty_results_on_postgres(pg: PgStore) -> None:
    history(pg)  # type: ignore[arg-type]
    pg.execute("DELETE FROM contacts WHERE created_at_us IS NULL")  # such contacts always exist
    scorer = RuleScorer(load_model_text(SMALL_MODEL))
    early = T - 400 * DAY  # before every contact
    result = backtest(pg, [scorer], [early], 30, observed_until_us=OBSERVED)  # type: ignore[arg-type]
    (evaluation,) = result.evaluations
    assert evaluation.leads == 0
    assert any("no leads" in w for w in evaluation.warnings)
    assert funnel(pg, default_funnel(), early).table["reached"].sum() == 0  # type: ignore[arg-type]
