"""A plain table (the usual CRM export: attributes and an outcome column, no events)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from leadscore.errors import LeadscoreError
from leadscore.predict.dataset import table_training_set
from leadscore.predict.featureinfo import OTHER
from leadscore.predict.plan import FeatureOptions
from leadscore.predict.tables import outcome_labels
from leadscore.predict.train import train
from leadscore.values import parse_number

OPTIONS = FeatureOptions(min_category_count=5, min_category_share=0.0)


def crm(n: int = 600, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    industry = rng.choice(["Software", "Retail", "Health", "Mining"], n, p=[0.5, 0.3, 0.19, 0.01])
    size_text = rng.integers(1, 5000, n).astype(str).astype(object)
    size_text[::50] = "1,000"  # not a strict number: missing as a number
    size_text[1::97] = None
    visits = rng.poisson(2, n).astype(float)
    visits[::40] = np.nan
    frame = pd.DataFrame(
        {
            "id": [f"a{i}" for i in range(n)],
            "first_name": rng.choice(["Ann", "Bo"], n),
            "industry": industry,
            "employees": size_text,
            "visits": visits,
            "newsletter": rng.random(n) < 0.3,
            "month": rng.integers(1, 13, n),
        }
    )
    frame.loc[::31, "industry"] = None
    logit = -2 + 0.6 * np.nan_to_num(visits) + (industry == "Software") * 1.0
    frame["converted"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "Yes", "No")
    return frame


def test_columns_become_features_read_like_attributes() -> None:
    frame = crm()
    table = table_training_set(frame, "converted", id_column="id", options=OPTIONS)
    infos = {i.attribute: i for i in table.infos}
    assert set(infos) == {"industry", "employees", "visits", "newsletter", "month"}
    assert infos["employees"].kind == "attribute_number"
    assert infos["visits"].kind == "attribute_number"
    assert infos["industry"].kind == "attribute_category"
    assert infos["industry"].categories == ("Software", "Retail", "Health")  # Mining is rare
    assert infos["newsletter"].categories == ("false", "true")
    want_employees = [parse_number(v) if isinstance(v, str) else None for v in frame.employees]
    got = table.X[infos["employees"].name].tolist()
    for g, w in zip(got, want_employees, strict=True):
        assert (math.isnan(g) and w is None) or g == w
    industry = table.X[infos["industry"].name].astype(object).tolist()
    for g, w in zip(industry, frame.industry, strict=True):
        if pd.isna(w):
            assert g != g  # missing stays missing
        else:
            assert g == (w if w != "Mining" else OTHER)
    assert list(table.contact_id[:2]) == ["a0", "a1"]
    assert table.y is not None
    assert table.y.tolist() == (frame.converted == "Yes").astype(int).tolist()
    assert table.snapshot_us is None


def test_outcome_values() -> None:
    assert outcome_labels(pd.Series(["yes", "No", " TRUE", "won", "lost"])).tolist() == [
        1,
        0,
        1,
        1,
        0,
    ]
    assert outcome_labels(pd.Series([0, 2, 0.0])).tolist() == [0, 1, 0]
    assert outcome_labels(pd.Series(["a", "b"]), positive="b").tolist() == [0, 1]
    with pytest.raises(LeadscoreError, match="positive="):
        outcome_labels(pd.Series(["yes", "maybe"], name="y"))
    with pytest.raises(LeadscoreError, match="missing"):
        outcome_labels(pd.Series(["yes", None], name="y"))


def test_train_and_score_a_table() -> None:
    frame = crm(1500)
    model = train(frame, outcome="converted", id_column="id", n_jobs=1, options=OPTIONS)
    assert model.report.protocol.startswith("stratified")
    assert model.horizon_days is None
    assert model.report.metrics["roc_auc"] > 0.7
    fresh = crm(50, seed=9)
    fresh.loc[0, "industry"] = "Never seen"
    table = model.features_for(fresh, id_column="id")
    assert table.X[model.plan.info("attr_industry").name][0] == OTHER
    p = model.predict_proba(table)
    assert p.shape == (50,)
    assert ((p > 0) & (p < 1)).all()
    from leadscore.store.duckdb_store import DuckStore

    with pytest.raises(LeadscoreError, match="trained on a plain table"):
        model.features_for(DuckStore(), 0)


def test_a_time_column_turns_on_time_ordered_validation() -> None:
    frame = crm(1500)
    frame["row"] = np.arange(len(frame)) // 300  # five campaign waves, in order
    model = train(
        frame, outcome="converted", time_column="row", exclude=["month"], n_jobs=1, options=OPTIONS
    )
    assert model.report.protocol.startswith("time-ordered")
    assert "month" not in {i.attribute for i in model.features}


def test_unknown_columns_are_reported() -> None:
    with pytest.raises(LeadscoreError, match="no column 'nope'"):
        table_training_set(crm(), "nope")
