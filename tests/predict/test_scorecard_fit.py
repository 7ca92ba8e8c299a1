"""Scorecard fitting: rule selection, points scaling (checked by hand), grades, YAML text, and
suggestions from a plain table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from leadscore.errors import LeadscoreError
from leadscore.model import load_model_text
from leadscore.model.spec import AttributeRule
from leadscore.predict.scorecard import suggest
from leadscore.predict.scorecard_fit import ScorecardOptions, fit_scorecard
from leadscore.predict.scorecard_model import feature_ranges
from leadscore.predict.scorecard_points import grade_bands, minmax_scale, pdo_scale
from leadscore.predict.scorecard_select import fit_logit, select_rules
from leadscore.predict.scorecard_yaml import flow, scalar
from tests.predict.test_scorecard_model import synthetic_table


def test_pdo_arithmetic_by_hand() -> None:
    # the credit-scorecard classic: 600 points at odds 50:1, 20 points double the odds
    scale = pdo_scale(pdo=20, base_score=600, base_odds=50)
    assert scale.factor == pytest.approx(20 / math.log(2))  # 28.8539...
    assert scale.offset == pytest.approx(600 - 28.853900817779268 * math.log(50))  # 487.1229...
    assert scale.points(math.log(2)) == 20  # doubling the odds
    assert scale.points(-math.log(4)) == -40
    assert scale.base(math.log(50)) == 600  # a lead at the base odds
    assert scale.base(math.log(100)) == 620
    assert scale.base(math.log(25)) == 580
    with pytest.raises(ValueError, match="pdo must be positive"):
        pdo_scale(0, 600, 50)


def test_minmax_arithmetic_by_hand() -> None:
    # intercept -2; one feature adds -1..0, another 0..2: totals from -3 to 0 become 0 to 100
    scale = minmax_scale(-2.0, [(-1.0, 0.0), (0.0, 2.0)])
    assert scale.factor == pytest.approx(100 / 3)
    base = scale.base(-2.0)
    assert base == 33  # 100 + 100/3 x (-2) = 33.3
    assert base + scale.points(-1.0) == 0  # the worst bins of both features
    assert base + scale.points(2.0) == 100  # the best bins


def test_grades_split_the_leads_by_share() -> None:
    totals = np.arange(100)
    y = (totals >= 80).astype(int)
    bands = grade_bands(totals, y, hot_share=0.1, warm_share=0.2)
    assert [(b.grade, b.min, b.stage) for b in bands] == [
        ("hot", 90, "SQL"),
        ("warm", 70, "MQL"),
        ("cold", None, None),
    ]
    assert [b.share for b in bands] == pytest.approx([0.1, 0.2, 0.7])
    assert [b.rate for b in bands] == pytest.approx([1.0, 0.5, 0.0])
    # ties: everyone has the same total, so there is only one band
    flat = grade_bands(np.full(50, 40.0), np.zeros(50), 0.1, 0.2)
    assert [b.grade for b in flat] == ["cold"]


def test_selection_keeps_the_informative_column_once_and_follows_the_trend() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    a = rng.random(n) < 0.3
    twin = a.copy()
    twin[:200] = ~twin[:200]  # almost the same column
    b = rng.random(n) < 0.2
    noise = rng.random(n) < 0.5
    logit = -2.5 + 1.5 * a + 0.8 * b
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    candidates = np.column_stack([a, twin, b, noise]).astype(np.int8)
    chosen = select_rules(candidates, y, [1, 1, 1, 1], max_rules=4)
    assert sorted(chosen.columns[:2]) == [0, 2] or sorted(chosen.columns[:2]) == [1, 2]
    assert not ({0, 1} <= set(chosen.columns))  # the twin says nothing new
    assert 3 not in chosen.columns  # noise does not reach the stop level
    assert chosen.fit.coef[chosen.columns.index(2)] == pytest.approx(0.8, abs=0.15)
    # a column whose weight goes against its trend is dropped and never tried again
    wrong = select_rules(candidates, y, [1, 1, -1, 1], max_rules=4)
    assert 2 in wrong.dropped
    assert 2 not in wrong.columns
    # the budget binds
    assert len(select_rules(candidates, y, [1, 1, 1, 1], max_rules=1).columns) == 1


def test_the_logistic_fit_recovers_known_weights() -> None:
    rng = np.random.default_rng(1)
    X = (rng.random((50_000, 2)) < 0.4).astype(float)
    logit = -1.0 + 0.7 * X[:, 0] - 1.2 * X[:, 1]
    y = (rng.random(50_000) < 1 / (1 + np.exp(-logit))).astype(float)
    fit = fit_logit(X, y, l2=1.0)
    assert fit.intercept == pytest.approx(-1.0, abs=0.05)
    assert fit.coef == pytest.approx([0.7, -1.2], abs=0.06)


def test_points_are_the_scaled_log_odds_up_to_rounding() -> None:
    table = synthetic_table()
    card = fit_scorecard(table, ScorecardOptions(max_rules=12, pdo=20, base_score=100))
    rate = float(np.mean(table.y))
    exact = 100 + 20 / math.log(2) * (card.logit(table.X) - math.log(rate / (1 - rate)))
    slack = 0.5 * (len(card.rules) + 1)  # each rounded rule (and the base) is off by 0.5 at most
    assert np.max(np.abs(card.points(table.X) - exact)) <= slack
    assert len(card.rules) + 1 <= 12


def test_minmax_totals_run_from_0_to_100() -> None:
    table = synthetic_table()
    card = fit_scorecard(table, ScorecardOptions(scale="minmax"))
    ranges = feature_ranges(card.rules, card.binnings)
    low = card.base_points + sum(card.scale.points(lo) for lo, _ in ranges)
    high = card.base_points + sum(card.scale.points(hi) for _, hi in ranges)
    assert abs(low) <= len(ranges)
    assert abs(high - 100) <= len(ranges)
    points = card.points(table.X)
    assert points.min() >= -len(ranges)
    assert points.max() <= 100 + len(ranges)
    assert all(r.points != 0 for r in card.rules)


def test_yaml_text_is_written_bare_only_when_it_reads_back_as_text() -> None:
    assert scalar("/pricing") == "/pricing"
    assert scalar("30d") == "30d"
    assert scalar("competitor") == "competitor"
    for text in ("yes", "No", "true", "null", "123", "1e5", "Financial Services", "a: b", "#x"):
        assert scalar(text).startswith('"'), text
    assert scalar(50.0) == "50"
    assert scalar(0.25) == "0.25"
    assert scalar(True) == "true"
    assert flow({"attribute": "x", "in": ["yes", "b"]}) == '{attribute: x, in: ["yes", b]}'


def test_a_plain_table_gives_attribute_rules() -> None:
    rng = np.random.default_rng(4)
    n = 5000
    frame = pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(n)],
            "employees": rng.integers(1, 5000, n),
            "country": rng.choice(["US", "DE", "BR", "FR"], n),
            "email": [f"x{i}@example.com" for i in range(n)],
        }
    )
    logit = -2.5 + 1.2 * (frame.employees >= 500) + 0.9 * frame.country.isin(["US", "DE"])
    frame["won"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    result = suggest(frame, outcome="won", id_column="lead_id", options=ScorecardOptions(seed=1))
    model = load_model_text(result.yaml)
    rules = [r for _, r in model.rules]
    assert all(isinstance(r, AttributeRule) for r in rules)
    assert list(model.scores) == ["fit"]
    fields = {leaf for r in rules[1:] for leaf in _attributes(r.when.model_dump(by_alias=True))}
    assert fields == {"employees", "country"}  # the email is an identifier, never a feature
    assert result.validation is not None
    assert "stratified" in result.validation.protocol
    assert result.metrics["roc_auc"] > 0.6
    assert "converted within" not in result.yaml  # a table has no horizon


def _attributes(condition: object) -> set[str]:
    if isinstance(condition, dict):
        found = {condition["attribute"]} if condition.get("attribute") else set()
        for value in condition.values():
            found |= _attributes(value)
        return found
    if isinstance(condition, list):
        return set().union(*(_attributes(c) for c in condition)) if condition else set()
    return set()


def test_options_are_checked() -> None:
    table = synthetic_table(500)
    with pytest.raises(ValueError, match="scale must be a str among"):
        fit_scorecard(table, ScorecardOptions(scale="logit"))
    with pytest.raises(LeadscoreError, match="max_rules"):
        fit_scorecard(table, ScorecardOptions(max_rules=0))
    # too little evidence for any rule: the base alone, and the notes say why
    few = fit_scorecard(synthetic_table(60), ScorecardOptions(stop_chi2=1e6))
    assert few.rules == []
    assert any("no rule reached the evidence" in note for note in few.notes), few.notes
    table.y = np.zeros(500, dtype=np.int8)
    with pytest.raises(LeadscoreError, match="no conversions"):
        fit_scorecard(table)


def test_a_seniority_flag_becomes_a_rule_with_its_condition() -> None:
    """Leads whose title names a vice president convert more: the suggestion has a rule whose
    condition is the flag's own (the demo's suggestion is backtested through the engine in
    test_scorecard_demo)."""
    rng = np.random.default_rng(5)
    n = 4000
    titles = rng.choice(["VP Sales", "Vice President, Ops", "Analyst", "Engineer", "Consultant"], n)
    frame = pd.DataFrame({"lead_id": [f"L{i}" for i in range(n)], "job_title": titles})
    vp = np.char.find(np.char.lower(titles.astype(str)), "v") == 0
    logit = -2.5 + 2.0 * vp
    frame["won"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    options = ScorecardOptions(seed=1)
    result = suggest(frame, outcome="won", id_column="lead_id", options=options)
    model = load_model_text(result.yaml)
    conditions = [r.when.model_dump(by_alias=True, exclude_none=True) for _, r in model.rules]
    picked = [c for c in conditions if c.get("matches") == r"\b(vp|svp|evp|vice president)\b"]
    assert picked, conditions
    assert picked[0]["attribute"] == "job_title"
    assert picked[0]["ignore_case"] is True
