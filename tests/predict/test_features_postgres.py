"""The feature build gives the same training set and scoring table on PostgreSQL as on DuckDB
(the generic path: DB-API rows instead of Arrow, no JSON-paths list)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from leadscore.demo import generate, load
from leadscore.model.spec import Model
from leadscore.predict.dataset import store_feature_table, store_training_set
from leadscore.store.duckdb_store import DuckStore
from leadscore.store.postgres_store import PgStore
from tests.predict.conftest import DAY, HORIZON

SCHEMA = "predict_feature_tests"


@pytest.fixture
def pg(request: pytest.FixtureRequest) -> Iterator[PgStore]:
    store = PgStore(request.getfixturevalue("postgres_url"), schema=SCHEMA)
    store.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    store.execute(f"CREATE SCHEMA {SCHEMA}")
    store.execute(f"SET search_path TO {SCHEMA}")
    store.init_schema()
    try:
        yield store
    finally:
        store.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        store.close()


def test_same_features_on_postgres_and_duckdb(pg: PgStore, rule_model: Model) -> None:
    data = generate(400, seed=5)
    duck = DuckStore(threads=2)
    load(duck, data)
    for name, table in data.tables().items():
        pg.append_arrow(name, table)
    options = {"rule_model": rule_model, "observed_until_us": data.spec.end_us - HORIZON * DAY}
    want = store_training_set(duck, HORIZON, seed=3, **options)
    got = store_training_set(pg, HORIZON, seed=3, **options)  # type: ignore[arg-type]
    kinds = {i.kind for i in want.infos}
    assert {
        "event_count",
        "event_recency",
        "distinct_values",
        "rule_points",
        "attribute_flag",
    } <= kinds
    assert [i.name for i in got.infos] == [i.name for i in want.infos]
    assert list(got.contact_id) == list(want.contact_id)
    pd.testing.assert_frame_equal(got.X, want.X, check_exact=False, rtol=1e-9)
    scored = [store_feature_table(s, want.plan, data.spec.end_us) for s in (duck, pg)]  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(scored[1].X, scored[0].X, check_exact=False, rtol=1e-9)
    assert scored[0].X.select_dtypes("number").to_numpy().any()
    duck.close()
