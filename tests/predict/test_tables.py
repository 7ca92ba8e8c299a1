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


TITLES = {  # title -> the seniority flags it should raise
    "VP Sales": {"vp"},
    "Senior Vice President, Marketing": {"vp"},
    "Chief Revenue Officer": {"c_level"},
    "CEO & Co-Founder": {"c_level"},
    "Head of Growth": {"head"},
    "Director of IT": {"director"},
    "Engineering Manager": {"manager"},
    "MBA Student": {"student"},
    "Software Engineer": set(),
    "Supervisor": set(),  # "vp" only as a word
    "Product Owner": set(),  # an owner of a product, not of the company
    "Directory Services Admin": set(),  # "director" only as a word
}
FLAG_SLUGS = ("c_level", "vp", "head", "director", "manager", "student")


def test_job_titles_and_emails_give_flags_that_read_as_conditions() -> None:
    """A job title gives seniority flags and an email a free-mail flag (each a spec condition,
    matched ignoring case and as whole words), 0 when the value is missing."""
    titles = list(TITLES) * 40 + [None] * 40
    emails = (["a@gmail.com", "b@Outlook.com", "c@acme.io", "d@mail.acme.com"] * 200)[: len(titles)]
    frame = pd.DataFrame(
        {"job_title": titles, "work_email": emails, "won": ["yes", "no"] * (len(titles) // 2)}
    )
    table = table_training_set(frame, "won", options=OPTIONS)
    flags = {i.name: i for i in table.infos if i.kind == "attribute_flag"}
    assert set(flags) == {f"attr_job_title_{s}" for s in FLAG_SLUGS} | {"attr_work_email_free_mail"}
    assert flags["attr_job_title_vp"].label == "job title: vice president"
    assert flags["attr_job_title_vp"].where is not None
    assert flags["attr_job_title_vp"].where["ignore_case"] is True
    for slug in FLAG_SLUGS:
        got = table.X[f"attr_job_title_{slug}"].tolist()
        want = [float(t is not None and slug in TITLES[t]) for t in titles]
        assert got == want, slug
    free = table.X["attr_work_email_free_mail"].tolist()
    assert free == [float(e.split("@")[1].lower() in ("gmail.com", "outlook.com")) for e in emails]
    assert table.X["attr_job_title_vp"].dtype == np.float32


def test_a_flag_that_holds_for_almost_nobody_is_left_out() -> None:
    titles = ["Engineer"] * 995 + ["VP Sales"] * 5  # 0.5 %: under the 1 % floor
    frame = pd.DataFrame({"job_title": titles, "won": ["yes", "no"] * 500})
    plan = table_training_set(frame, "won", options=OPTIONS).plan
    assert not [i for i in plan.infos if i.kind == "attribute_flag"]
    assert any("job title: vice president: left out" in note for note in plan.notes)
    off = FeatureOptions(min_category_count=5, min_category_share=0.0, attribute_flags=False)
    titles = list(TITLES) * 20
    frame = pd.DataFrame({"job_title": titles, "won": ["yes", "no"] * (len(titles) // 2)})
    plan = table_training_set(frame, "won", options=off).plan
    assert not [i for i in plan.infos if i.kind == "attribute_flag"]
