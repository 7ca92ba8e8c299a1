"""A suggested model is a real rule model: it loads, every rule carries its evidence, and the
engines score it exactly as the scorecard does (nested ``min_count`` thresholds add up)."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from leadscore.compile.contacts import compile_contacts
from leadscore.compile.naming import rule_col
from leadscore.model import load_model_text
from leadscore.model.spec import AttributeRule, EventRule
from leadscore.predict.dataset import FeatureTable
from leadscore.predict.featureinfo import OTHER, FeatureInfo
from leadscore.predict.plan import FeaturePlan
from leadscore.predict.scorecard import Suggestion, suggest_from_table
from leadscore.predict.scorecard_fit import ScorecardOptions
from leadscore.records import Contact, Event
from leadscore.reference import evaluate_contacts
from leadscore.store.duckdb_store import DuckStore

DAY = 86_400_000_000
T = 1_735_689_600_000_000  # 2025-01-01, the time the hand-built contacts are scored at
VIEWS = "n_page_view_pricing_30d"
INFOS = (
    FeatureInfo(
        name=VIEWS,
        kind="event_count",
        label="pricing page views, last 30 days",
        event_types=("page_view",),
        where={"property": "url", "starts_with": "/pricing"},
        window_days=30,
    ),
    FeatureInfo(
        name="days_since_demo_request",
        kind="event_recency",
        label="days since the last demo request",
        event_types=("demo_request",),
        window_days=365,
    ),
    FeatureInfo(
        name="attr_company_size",
        kind="attribute_number",
        label="company size",
        attribute="company_size",
    ),
    FeatureInfo(
        name="attr_company_type",
        kind="attribute_category",
        label="company type",
        attribute="company_type",
        categories=("prospect", "customer", "competitor"),
    ),
    FeatureInfo(
        name="attr_industry",
        kind="attribute_category",
        label="industry",
        attribute="industry",
        categories=("Financial Services", "123", "yes"),
    ),
    FeatureInfo(name="contact_age_days", kind="contact_age", label="days since created"),
)


def categorical(values: list[Any], kept: tuple[str, ...]) -> pd.Categorical:
    """Values as the feature table holds them: kept values, (other), missing."""
    mapped = [None if v is None else (v if v in kept else OTHER) for v in values]
    return pd.Categorical(mapped, categories=[*kept, OTHER])


def features(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            VIEWS: np.array([r["views"] for r in rows], dtype=np.float32),
            "days_since_demo_request": np.array([r["since"] for r in rows], dtype=np.float32),
            "attr_company_size": np.array([r["size"] for r in rows], dtype=np.float64),
            "attr_company_type": categorical([r["type"] for r in rows], INFOS[3].categories),
            "attr_industry": categorical([r["industry"] for r in rows], INFOS[4].categories),
            "contact_age_days": np.array([r.get("age", 100.0) for r in rows], dtype=np.float32),
        }
    )


def synthetic_table(n: int = 8000, seed: int = 0) -> FeatureTable:
    """Examples whose odds follow known rules: more pricing views (at 1 and at 3), a recent
    demo request, a large company raise them; competitors and a missing size lower them."""
    rng = np.random.default_rng(seed)
    views = rng.poisson(0.7, n)
    since = np.where(rng.random(n) < 0.6, np.nan, rng.uniform(0, 90, n))
    size = np.where(rng.random(n) < 0.2, np.nan, np.round(rng.lognormal(4, 1.3, n)))
    kinds = np.array(["prospect", "customer", "competitor", "partner", None], dtype=object)
    company = rng.choice(kinds, n, p=[0.6, 0.15, 0.1, 0.1, 0.05])
    industry = rng.choice(np.array(["Financial Services", "123", "yes", "Retail"], dtype=object), n)
    logit = (
        -3.2
        + 1.2 * (views >= 1)
        + 1.0 * (views >= 3)
        + 0.9 * (since < 14)
        - 2.5 * (company == "competitor")
        + 0.6 * (size >= 100)
        - 0.6 * np.isnan(size)
        + 0.7 * np.isin(industry, ["yes", "123"])
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    rows = [
        {"views": v, "since": s, "size": z, "type": c, "industry": i}
        for v, s, z, c, i in zip(views, since, size, company, industry, strict=True)
    ]
    snapshots = np.where(np.arange(n) < n * 0.7, T - 200 * DAY, T - 100 * DAY).astype(np.int64)
    return FeatureTable(
        X=features(rows),
        contact_id=np.array([f"c{i}" for i in range(n)], dtype=object),
        snapshot_us=snapshots,
        plan=FeaturePlan(infos=INFOS, source="store"),
        y=y,
        horizon_days=90,
        snapshots_us=[T - 200 * DAY, T - 100 * DAY],
    )


@pytest.fixture(scope="module")
def suggestion() -> Suggestion:
    return suggest_from_table(synthetic_table(), "a synthetic table", ScorecardOptions(max_rules=9))


EVIDENCE = re.compile(
    r": ([\d,]+) of ([\d,]+) examples \(\d+\.\d%\), \d+\.\d% converted within 90 days vs "
    r"\d+\.\d% overall \(lift \d+\.\d\d\)"
)


def test_the_suggestion_loads_and_every_rule_carries_its_evidence(suggestion: Suggestion) -> None:
    model = load_model_text(suggestion.yaml)
    assert model.model_dump() == suggestion.model.model_dump()
    rules = [rule for _, rule in model.rules]
    assert 5 <= len(rules) <= 9
    assert rules[0].id == "base"
    for rule in rules[1:]:
        assert rule.description is not None
        assert EVIDENCE.search(rule.description), rule.description
    assert set(model.scores) == {"fit", "engagement"}
    assert [b.grade for b in model.grades["lead"].bands] == ["hot", "warm", "cold"]
    assert [b.stage for b in model.grades["lead"].bands] == ["SQL", "MQL", None]
    header = suggestion.yaml.split("\nleadscore: 1\n")[0]
    assert header.startswith("# Suggested by leadscore suggest on ")
    assert all(line.startswith("#") for line in header.splitlines())
    assert "8,000 examples" in header
    assert "converted within 90 days" in header
    assert re.search(r"ROC AUC 0\.\d{3} of the points", header)
    assert "contact_age" in header  # left out, and the notes say why
    assert suggestion.metrics["roc_auc"] > 0.7


def test_the_evidence_counts_what_the_rules_select(suggestion: Suggestion) -> None:
    table = synthetic_table()
    views = table.X[VIEWS].to_numpy()
    y = np.asarray(table.y)
    nested = [
        r
        for _, r in suggestion.model.rules
        if isinstance(r, EventRule) and r.event == ["page_view"]
    ]
    assert nested
    for rule in nested:
        assert rule.description is not None
        match = EVIDENCE.search(rule.description)
        assert match is not None
        selected = views >= rule.min_count
        assert int(match.group(1).replace(",", "")) == int(selected.sum())
        entry = next(e for e in suggestion.rules if e["id"] == rule.id)
        assert entry["conversions"] == int(y[selected].sum())
        assert entry["lift"] == pytest.approx(y[selected].mean() / y.mean())


# --- the engines score the suggestion as the scorecard does ------------------------------------

HAND = [  # contact, attributes, events (type, days before T, url), feature values by hand
    ("c0", {"company_type": "prospect", "company_size": "50", "industry": "yes"}, [], 0, None),
    (
        "c1",
        {"company_type": "customer", "company_size": "400", "industry": "123"},
        [
            ("page_view", 5, "/pricing"),
            *[("page_view", 40, "/pricing")] * 4,
            ("page_view", 1, "/blog/a"),
            ("page_view", 2, "/blog/b"),
        ],
        1,
        None,
    ),
    (
        "c3",
        {"company_type": "competitor", "industry": "Financial Services"},
        [
            ("page_view", 1, "/pricing"),
            ("page_view", 9, "/pricing/enterprise"),
            ("page_view", 29, "/pricing"),
            ("demo_request", 20, None),
        ],
        3,
        20,
    ),
    (
        "c5",
        {"company_type": "partner", "company_size": "2000", "industry": "Retail"},
        [("page_view", d, "/pricing") for d in (0, 3, 6, 9, 12)] + [("demo_request", 3, None)],
        5,
        3,
    ),
    ("cx", {"company_size": "120", "industry": "Retail"}, [("demo_request", 200, None)], 0, 200),
]


def hand_rows() -> list[dict[str, Any]]:
    rows = []
    for _, attributes, _, views, since in HAND:
        size = attributes.get("company_size")
        rows.append(
            {
                "views": views,
                "since": np.nan if since is None else since,
                "size": np.nan if size is None else float(size),
                "type": attributes.get("company_type"),
                "industry": attributes.get("industry"),
            }
        )
    return rows


def hand_records() -> tuple[list[Contact], list[Event]]:
    contacts, events = [], []
    for contact_id, attributes, made, _, _ in HAND:
        contacts.append(Contact(contact_id, attributes, created_at_us=T - 400 * DAY))
        for i, (kind, days, url) in enumerate(made):
            props = {} if url is None else {"url": url}
            ts = T - days * DAY - 3_600_000_000  # an hour earlier: clear of window edges
            events.append(Event(f"{contact_id}-{i}", contact_id, kind, ts, props))
    return contacts, events


def test_nested_thresholds_sum_to_the_bin_points_on_every_engine(suggestion: Suggestion) -> None:
    card = suggestion.scorecard
    model = suggestion.model
    view_rules = [r for r in card.rules if r.feature == VIEWS]
    assert len(view_rules) >= 2  # "at least 1" and "at least 3" are both kept
    spec = {r.id: r for _, r in model.rules}
    assert sorted(spec[r.rule_id].min_count for r in view_rules)[:2] == [1, 3]
    expected = card.points(features(hand_rows()))
    contacts, events = hand_records()
    store = DuckStore()
    store.init_schema()
    for c in contacts:
        store.execute(
            "INSERT INTO contacts VALUES (?, NULL, ?, ?, 0)",
            [c.contact_id, c.created_at_us, json.dumps(dict(c.attributes))],
        )
    for e in events:
        store.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, 0)",
            [e.event_id, e.contact_id, e.type, e.ts_us, json.dumps(dict(e.properties))],
        )
    rows = {r["contact_id"]: r for r in store.rows(compile_contacts(model, T).sql())}
    reference = {r["contact_id"]: r for r in evaluate_contacts(model, contacts, events, T)}
    for (contact_id, *_), points in zip(HAND, expected, strict=True):
        assert rows[contact_id]["total"] == pytest.approx(points), contact_id
        assert reference[contact_id]["total"] == pytest.approx(points), contact_id
    # five views: every nested rule applies and their points add up to the bin's points
    five = rows["c5"]
    applied = [five[rule_col(r.rule_id, "points")] for r in view_rules]
    assert all(p != 0 for p in applied)
    deepest = min(view_rules, key=lambda r: len(r.bins))
    assert sum(applied) == card.cumulative_points(deepest)
    # one view in the window (four older ones do not count): only the first threshold
    one = rows["c1"]
    assert [one[rule_col(r.rule_id, "points")] != 0 for r in view_rules].count(True) == 1


def test_categories_and_numbers_become_readable_conditions(suggestion: Suggestion) -> None:
    text = suggestion.yaml
    assert '"123", "yes"]' in text  # quoted: YAML would read a number and true
    conditions = [r for _, r in suggestion.model.rules if isinstance(r, AttributeRule)]
    dumped = [json.dumps(r.when.model_dump(by_alias=True, exclude_none=True)) for r in conditions]
    competitor = [d for d in dumped if "competitor" in d]
    assert competitor, dumped
    size = [d for d in dumped if "company_size" in d]
    assert size, dumped
    assert all(re.search(r'"(between|gte|lt|missing)"', d) for d in size)
