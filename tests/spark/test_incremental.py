"""A daily refresh on Spark (re-base, recompute only what changed) equals a full recompute."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from leadscore.demo import generate
from leadscore.errors import LeadscoreError
from leadscore.model import load_model
from leadscore.scoring.run import score_store
from leadscore.spark import refresh_spark, score_spark, write_scores
from leadscore.store.duckdb_store import DuckStore
from leadscore.store.workspace import example_model_path
from tests.compare import assert_same_rows

DAY_US = 86_400_000_000


def test_refresh_equals_full_recompute(spark: Any, tmp_path: Path) -> None:
    data = generate(contacts=200, seed=11)
    pq.write_table(data.contacts, tmp_path / "contacts.parquet")
    pq.write_table(data.events, tmp_path / "events.parquet")
    contacts, events = str(tmp_path / "contacts.parquet"), str(tmp_path / "events.parquet")
    model = load_model(example_model_path())
    end = data.spec.end_us
    yesterday = end - 3 * DAY_US
    write_scores(score_spark(spark, model, contacts, events, yesterday), tmp_path / "day1")
    previous = tmp_path / "day1" / "contacts"
    state = pq.read_table(previous).to_pylist()
    waiting = [r for r in state if r["next_change_us"] is None or r["next_change_us"] > end]
    assert waiting, "no score to re-base: the test would not exercise re-basing"
    assert len(waiting) < len(state), "no score to recompute"

    refreshed = refresh_spark(spark, model, str(previous), contacts, events, end)
    write_scores(refreshed, tmp_path / "day2")
    got = pq.read_table(tmp_path / "day2" / "contacts").to_pylist()
    # the full recompute at the same T, by the embedded engine (Spark agrees with it elsewhere)
    with DuckStore() as store:
        store.init_schema()
        store.append_arrow("contacts", data.contacts)
        store.append_arrow("events", data.events)
        score_store(store, model, end, entities=("contacts",))
        expected = store.rows("SELECT * FROM scores")
    assert len(expected) > 100
    wanted = [{k: v for k, v in row.items() if k != "run_id"} for row in expected]
    assert_same_rows(got, wanted, "contact_id")

    # scores written by an older version lack a column this one writes: refused, not guessed
    older = tmp_path / "older.parquet"
    table = pq.read_table(previous).drop(["r_pricing_page__last_count"])
    # without Spark's own schema in the file's metadata, which it would read instead
    pq.write_table(table.replace_schema_metadata(None), older)
    with pytest.raises(LeadscoreError, match=r"r_pricing_page__last_count.*score in full"):
        refresh_spark(spark, model, str(older), contacts, events, end)
