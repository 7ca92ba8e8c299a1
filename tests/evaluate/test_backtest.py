"""Backtests are point-in-time: scores see nothing after T, labels only (T, T + horizon]."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from leadscore.errors import LeadscoreError
from leadscore.evaluate.backtest import backtest
from leadscore.evaluate.predictive import ProbabilityScorer
from leadscore.evaluate.scorers import RuleScorer
from leadscore.model import load_model_text
from leadscore.store.duckdb_store import DuckStore
from leadscore.timeutil import to_us
from tests.evaluate.conftest import DAY, SMALL_MODEL, add_contact, add_event, add_outcome

T = to_us("2025-03-01")
H = 30  # days
OBSERVED = T + 200 * DAY


def history(store: DuckStore) -> None:
    add_contact(store, "a", T - 60 * DAY, "VP")
    add_event(store, "a1", "a", "page_view", T - 5 * DAY, "/pricing")
    add_event(store, "a2", "a", "email_open", T - 3 * DAY)
    add_outcome(store, "a-conv", "a", "converted", T + 10 * DAY)  # in the horizon
    add_contact(store, "b", T - 40 * DAY)
    add_event(store, "b1", "b", "email_open", T - 35 * DAY)  # expired by T (within 30d)
    add_contact(store, "c", T - 30 * DAY, "VP")
    add_outcome(store, "c-conv", "c", "converted", T - DAY)  # converted before T: not a lead
    add_contact(store, "d", T + 5 * DAY, "VP")  # does not exist yet at T
    add_contact(store, "e", None)  # no creation time: exists
    add_outcome(store, "e-won", "e", "won", T + (H + 1) * DAY)  # after the horizon
    add_contact(store, "f", T - 10 * DAY)
    add_outcome(store, "f-lost", "f", "lost", T + 5 * DAY)  # lost is not a conversion
    add_contact(store, "g", T - 20 * DAY)
    add_event(store, "g1", "g", "page_view", T, "/pricing")  # exactly at T: counts
    add_outcome(store, "g-won", "g", "won", T + H * DAY)  # the horizon's last instant


def leads(store: DuckStore) -> pd.DataFrame:
    scorer = RuleScorer(load_model_text(SMALL_MODEL))
    result = backtest(store, [scorer], [T], H, observed_until_us=OBSERVED)
    frame = result.scored("small", T)
    return frame.sort_values("contact_id").reset_index(drop=True)


def test_population_and_labels(store: DuckStore) -> None:
    history(store)
    frame = leads(store)
    assert frame["contact_id"].tolist() == ["a", "b", "e", "f", "g"]
    assert dict(zip(frame["contact_id"], frame["label"], strict=True)) == {
        "a": 1,
        "b": 0,
        "e": 0,
        "f": 0,
        "g": 1,
    }


def test_scores_are_the_model_as_of_t(store: DuckStore) -> None:
    from leadscore.compile.contacts import compile_contacts

    history(store)
    frame = leads(store)
    model = load_model_text(SMALL_MODEL)
    direct = store.rows(compile_contacts(model, T, "duckdb").sql("duckdb", pretty=False))
    totals = {r["contact_id"]: r["total"] for r in direct}
    for cid, score in zip(frame["contact_id"], frame["score"], strict=True):
        assert score == pytest.approx(totals[cid], rel=1e-12)
    assert frame.set_index("contact_id").loc["a", "score"] > 40  # VP + fresh pricing visit


def test_nothing_after_t_changes_the_scores(store: DuckStore) -> None:
    history(store)
    before = leads(store)
    # events after T (even a second after), a new contact, outcomes after the horizon
    add_event(store, "a3", "a", "page_view", T + 1, "/pricing")
    add_event(store, "b2", "b", "email_open", T + DAY)
    add_event(store, "e1", "e", "page_view", T + 3 * DAY, "/pricing")
    add_contact(store, "h", T + 1, "VP")
    add_outcome(store, "b-late", "b", "converted", T + (H + 5) * DAY)
    add_outcome(store, "f-late", "f", "won", T + 90 * DAY)
    after = leads(store)
    pd.testing.assert_frame_equal(before, after)


def test_labels_come_only_from_the_horizon(store: DuckStore) -> None:
    history(store)
    before = leads(store)
    add_outcome(store, "b-conv", "b", "converted", T + 15 * DAY)
    after = leads(store)
    changed = before["label"] != after["label"]
    assert after.loc[changed, "contact_id"].tolist() == ["b"]
    assert after.set_index("contact_id").loc["b", "label"] == 1
    pd.testing.assert_series_equal(before["score"], after["score"])


def test_horizon_must_be_observed(store: DuckStore) -> None:
    history(store)
    scorer = RuleScorer(load_model_text(SMALL_MODEL))
    with pytest.raises(LeadscoreError, match="not fully observed"):
        backtest(store, [scorer], [T], H, observed_until_us=T + 10 * DAY)
    result = backtest(store, [scorer], [T], H, observed_until_us=T + 10 * DAY, allow_partial=True)
    assert any("partial horizon" in w for w in result.warnings)


def test_observed_until_is_the_last_event_or_outcome(store: DuckStore) -> None:
    from leadscore.evaluate.population import observed_until

    history(store)
    assert observed_until(store) == T + (H + 1) * DAY


def test_small_samples_warn(store: DuckStore) -> None:
    history(store)
    scorer = RuleScorer(load_model_text(SMALL_MODEL))
    result = backtest(store, [scorer], [T], H, observed_until_us=OBSERVED)
    evaluation = result.evaluations[0]
    assert evaluation.conversions == 2
    assert any("fewer than 30" in w for w in evaluation.warnings)
    assert any("not probabilities" in n for n in evaluation.notes)
    assert evaluation.brier is None
    assert evaluation.calibration is None
    # the JSON form is strict JSON (no NaN)
    json.dumps(result.as_dict(), allow_nan=False)


def _probabilities(store: DuckStore, as_of_us: int, population: str) -> pd.DataFrame:
    rows = store.rows(f"SELECT contact_id FROM {population} ORDER BY contact_id")
    ids = [r["contact_id"] for r in rows]
    p = np.linspace(0.1, 0.9, len(ids)) if ids else np.zeros(0)
    return pd.DataFrame({"contact_id": ids, "probability": p})


def test_probability_scorers_get_probability_metrics(store: DuckStore) -> None:
    history(store)
    scorers = [
        RuleScorer(load_model_text(SMALL_MODEL)),
        ProbabilityScorer("p-model", _probabilities),
    ]
    result = backtest(store, scorers, [T], H, observed_until_us=OBSERVED)
    rule, predictive = result.evaluations
    assert predictive.probabilities
    assert not rule.probabilities
    assert predictive.brier is not None
    assert predictive.log_loss is not None
    assert predictive.calibration is not None
    assert len(predictive.calibration)
    y = np.array([1, 0, 0, 0, 1])  # a, b, e, f, g
    p = np.linspace(0.1, 0.9, 5)
    assert predictive.brier == pytest.approx(float(np.mean((p - y) ** 2)))
    assert predictive.leads == rule.leads == 5


def test_rolling_dates_are_evaluated_separately(store: DuckStore) -> None:
    history(store)
    scorer = RuleScorer(load_model_text(SMALL_MODEL))
    dates = [T - 30 * DAY, T]
    result = backtest(store, [scorer], dates, H, observed_until_us=OBSERVED)
    stability = result.stability()
    assert stability["as_of"].tolist() == ["2025-01-30T00:00:00Z", "2025-03-01T00:00:00Z"]
    earlier = result.scored("small", T - 30 * DAY)
    assert set(earlier["contact_id"]) == {"a", "b", "c", "e"}  # f and g did not exist yet
    labels = dict(zip(earlier["contact_id"], earlier["label"], strict=True))
    assert labels == {"a": 0, "b": 0, "c": 1, "e": 0}  # c converts 29 days later; a 40


def test_demo_backtest_has_signal(demo_workspace) -> None:  # type: ignore[no-untyped-def]
    from leadscore.evaluate.population import latest_as_of
    from leadscore.evaluate.scorers import resolve_scorers

    with demo_workspace.store() as store:
        scorers = resolve_scorers(["active"], demo_workspace, store)
        t = latest_as_of(store, 90 * DAY)
        result = backtest(store, scorers, [t], 90)
    e = result.evaluations[0]
    assert e.leads > 100
    assert e.conversions > 5
    assert e.roc_auc.estimate > 0.55  # the example model ranks the demo's converters
    assert e.gains["leads"].sum() == e.leads
    assert e.by_grade["leads"].sum() == e.leads
    assert e.gains["conversions"].sum() == pytest.approx(e.conversions)


def test_a_date_without_leads(store: DuckStore) -> None:
    history(store)
    store.execute("DELETE FROM contacts WHERE created_at_us IS NULL")  # such contacts always exist
    scorer = RuleScorer(load_model_text(SMALL_MODEL))
    result = backtest(store, [scorer], [T - 400 * DAY], H, observed_until_us=OBSERVED)
    (evaluation,) = result.evaluations
    assert evaluation.leads == 0
    assert any("no leads" in w for w in evaluation.warnings)
    json.dumps(result.as_dict(), allow_nan=False)
    from leadscore.evaluate import report, views

    assert views.backtest_views(result)[0].rows[0][2] == "0"
    assert "no leads" in report.render_report("empty", [report.backtest_section(result)])


class FakeTrained:
    """Stands in for leadscore.predict's TrainedModel: same two methods, fixed outputs."""

    def __init__(self) -> None:
        self.model_id = "m-1"
        self.horizon_days = 60
        self.snapshots_us = [T - 90 * DAY, T - 10 * DAY]
        self.asked: list[tuple[int, list[str]]] = []

    def features_for(self, source, as_of_us=None, contact_ids=None, id_column=None):  # type: ignore[no-untyped-def]
        from types import SimpleNamespace

        assert as_of_us is not None
        assert contact_ids is not None
        self.asked.append((as_of_us, list(contact_ids)))
        ids = sorted(contact_ids)
        return SimpleNamespace(contact_id=np.array(ids), X=None)

    def predict_proba(self, data) -> np.ndarray:  # type: ignore[no-untyped-def]
        return np.linspace(0.2, 0.6, len(data.contact_id))


def test_trained_models_plug_in_and_warn(store: DuckStore) -> None:
    from leadscore.evaluate.predictive import scorer_from_trained

    history(store)
    fake = FakeTrained()
    scorer = scorer_from_trained(fake)  # type: ignore[arg-type]
    result = backtest(store, [scorer], [T], H, observed_until_us=OBSERVED)
    (evaluation,) = result.evaluations
    assert fake.asked == [(T, ["a", "b", "e", "f", "g"])]  # scored as of T, the leads of T
    assert evaluation.probabilities
    assert evaluation.brier is not None
    text = " ".join(evaluation.warnings)
    assert "in-sample" in text  # trained on outcomes up to T + 50 days
    assert "within 60 days" in text  # and for another horizon than the backtest's 30 days
