"""The fast feature build (one coded row per event in SQL, the columns in numpy; categories coded
in Arrow) against a plain-Python recomputation on the demo workspace: every contact and event
feature of a sample of pairs, for a sampled training set (row ids with gaps, several snapshots)
and for scoring (every contact at one time), with the dtypes the models were trained on."""

from __future__ import annotations

import functools
import json
import math
import random
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from leadscore.predict.dataset import FeatureTable, store_feature_table, store_training_set
from leadscore.predict.event_features import positions
from leadscore.predict.featureinfo import OTHER, FeatureInfo
from leadscore.predict.features import category_codes
from leadscore.predict.flags import condition
from leadscore.values import parse_number
from tests.predict.conftest import DAY, HORIZON, Demo

SAMPLE = 500
FLOAT32_KINDS = ("event_count", "event_recency", "distinct_values", "contact_age", "attribute_flag")


@pytest.fixture(scope="module")
def facts(demo: Demo) -> dict[str, Any]:
    """The demo's contacts and events as plain Python objects."""
    contacts = {
        r["contact_id"]: (r["created_at_us"], json.loads(r["attributes"]))
        for r in demo.data.contacts.to_pylist()
    }
    events: dict[str, list[tuple[str, int, dict[str, str]]]] = defaultdict(list)
    for r in demo.data.events.to_pylist():
        events[r["contact_id"]].append((r["type"], r["ts_us"], json.loads(r["properties"])))
    return {"contacts": contacts, "events": events}


@pytest.fixture(scope="module")
def training(demo: Demo) -> FeatureTable:
    return store_training_set(
        demo.store, HORIZON, observed_until_us=demo.cutoff_us, max_examples=3000, seed=1
    )


@functools.cache
def _predicate(where: str) -> Any:
    from pydantic import TypeAdapter

    from leadscore.model.predicates import Predicate

    return TypeAdapter(Predicate).validate_python(json.loads(where))


def _holds(where: dict[str, Any] | None, props: dict[str, str]) -> bool:
    """The reference evaluator's reading of a sub-selection."""
    from leadscore.reference.predicates import holds

    return where is None or holds(_predicate(json.dumps(where, sort_keys=True)), props)


def expected(info: FeatureInfo, facts: dict[str, Any], cid: str, s: int) -> Any:
    created, attrs = facts["contacts"][cid]
    if info.kind == "attribute_number":
        number = parse_number(attrs.get(info.attribute))
        return math.nan if number is None else number
    if info.kind == "attribute_category":
        value = attrs.get(info.attribute)
        return None if value is None else (value if value in info.categories else OTHER)
    if info.kind == "attribute_flag":  # the reference evaluator's reading of its condition
        return np.float32(_holds(condition(info), attrs))
    if info.kind == "contact_age":
        return np.float32(math.nan if created is None else (s - created) / DAY)
    assert info.window_days is not None
    chosen = [
        (ts, props)
        for kind, ts, props in facts["events"][cid]
        if kind in info.event_types
        and ts <= s
        and s - ts < info.window_days * DAY
        and _holds(info.where, props)
    ]
    if info.kind == "event_count":
        return np.float32(len(chosen))
    if info.kind == "event_recency":
        return np.float32(min(s - ts for ts, _ in chosen) / DAY if chosen else math.nan)
    assert info.kind == "distinct_values"
    assert info.property is not None
    return np.float32(len({p[info.property] for _, p in chosen if info.property in p}))


def _check(table: FeatureTable, facts: dict[str, Any]) -> dict[str, int]:
    """Compare a sample of rows with the recomputation; returns, per feature kind, how many
    compared values were not zero or missing (so that the comparison proves something)."""
    assert list(table.X.columns) == [i.name for i in table.infos]
    rows = random.Random(0).sample(range(len(table)), min(SAMPLE, len(table)))
    telling: dict[str, int] = defaultdict(int)
    for info in table.infos:
        column = table.X[info.name]
        if info.kind == "attribute_category":
            assert isinstance(column.dtype, pd.CategoricalDtype), info.name
            assert list(column.cat.categories) == [*info.categories, OTHER], info.name
        else:
            want_dtype = np.float32 if info.kind in FLOAT32_KINDS else np.float64
            assert column.dtype == want_dtype, (info.name, column.dtype)
        values = column.to_numpy(dtype=object)
        for k in rows:
            cid, s = str(table.contact_id[k]), int(table.snapshot_us[k])  # type: ignore[index]
            want, got = expected(info, facts, cid, s), values[k]
            if info.kind == "attribute_category":
                assert (None if pd.isna(got) else got) == want, (info.name, cid, s)
                telling[info.kind] += want not in (None, OTHER)
            else:
                assert got == want or (math.isnan(got) and math.isnan(want)), (
                    info.name,
                    cid,
                    s,
                    got,
                    want,
                )
                telling[info.kind] += not (math.isnan(want) or want == 0)
    return telling


def test_training_set_features_equal_a_python_recomputation(
    training: FeatureTable, facts: dict[str, Any]
) -> None:
    assert training.snapshot_us is not None
    assert len(set(training.snapshot_us)) > 1
    telling = _check(training, facts)
    for kind in ("event_count", "event_recency", "distinct_values", "attribute_category"):
        assert telling[kind] > 50, (kind, dict(telling))
    # seniority flags of the job title and the free-mail flag of the email
    flagged = {i.attribute for i in training.infos if i.kind == "attribute_flag"}
    assert flagged == {"job_title", "email"}, flagged
    assert telling["attribute_flag"] > 50, dict(telling)
    assert any(i.where for i in training.infos), "no sub-selection features to check"


def test_scoring_features_equal_a_python_recomputation(
    demo: Demo, training: FeatureTable, facts: dict[str, Any]
) -> None:
    table = store_feature_table(demo.store, training.plan, demo.end_us)
    assert len(table) == len(facts["contacts"])
    telling = _check(table, facts)
    assert telling["event_count"] > 100
    assert telling["event_recency"] > 50


def test_category_codes_from_arrow_and_numpy() -> None:
    values = ["US", None, "us", "DE", "FR", "US"]
    want = [0, -1, 2, 1, 2, 0]  # kept values in order, missing -1, any other value 2
    for column in (
        pa.array(values, pa.string()),
        pa.chunked_array([values[:2], values[2:]], pa.string()),
        np.array(values, dtype=object),
    ):
        codes = category_codes(column, ("US", "DE"))
        assert codes.dtype == np.int32
        assert codes.tolist() == want


def test_positions_of_dense_and_gapped_row_ids() -> None:
    assert positions(np.array([5, 6, 7, 8]), np.array([8, 5, 6])).tolist() == [3, 0, 1]
    assert positions(np.array([2, 9, 40]), np.array([40, 2, 9, 9])).tolist() == [2, 0, 1, 1]


def test_the_event_columns_are_the_same_on_one_thread_or_several(
    demo: Demo, training: FeatureTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadscore.predict import event_features

    tables = []
    for workers in (1, 3):
        monkeypatch.setattr(event_features, "_workers", lambda store, n=workers: n)
        tables.append(store_feature_table(demo.store, training.plan, demo.end_us).X)
    pd.testing.assert_frame_equal(tables[0], tables[1])
    assert tables[0].shape[1] == len(training.plan.infos)
