"""A suggestion on the demo data: it ranks leads well, close to the predictive model, and it
backtests through ``evaluate.backtest`` exactly as the scorecard scores in Python."""

from __future__ import annotations

import numpy as np
import pytest

from leadscore.evaluate.backtest import backtest
from leadscore.evaluate.scorers import RuleScorer
from leadscore.predict import metrics
from leadscore.predict.dataset import FeatureTable, store_feature_table, store_training_set
from leadscore.predict.estimator import LeadScoreClassifier
from leadscore.predict.scorecard import Suggestion, suggest_from_table
from leadscore.predict.scorecard_fit import ScorecardOptions
from leadscore.predict.splits import holdout
from tests.predict.conftest import HORIZON, Demo


@pytest.fixture(scope="module")
def table(demo: Demo) -> FeatureTable:
    return store_training_set(demo.store, HORIZON, observed_until_us=demo.cutoff_us)


@pytest.fixture(scope="module")
def suggestion(table: FeatureTable) -> Suggestion:
    return suggest_from_table(table, "the demo store", ScorecardOptions(max_rules=20))


def test_the_suggestion_ranks_leads_close_to_the_predictive_model(
    table: FeatureTable, suggestion: Suggestion
) -> None:
    assert len(suggestion.model.rules) <= 20
    validation = suggestion.validation
    assert validation is not None
    assert validation.protocol.startswith("time-ordered")
    # the predictive model on the same split: fitted on the earlier snapshots
    assert table.y is not None
    split = holdout(table.y, table.snapshot_us, 0.25, 0)
    assert split is not None
    model = LeadScoreClassifier(kind="logistic", n_jobs=2)
    model.fit(table.X.iloc[split.train], table.y[split.train])
    p = model.predict_proba(table.X.iloc[split.held])[:, 1]
    predictive = metrics.roc_auc_score(table.y[split.held], p)
    points = validation.metrics["roc_auc"]
    assert points > 0.62  # clearly better than chance
    assert points > predictive - 0.06, (points, predictive)
    assert validation.metrics["ece"] < 0.05  # its fitted probability is calibrated too


def test_the_suggestion_backtests_like_a_hand_written_model(
    demo: Demo, table: FeatureTable, suggestion: Suggestion
) -> None:
    t = demo.cutoff_us  # after every training snapshot's horizon: out of sample
    result = backtest(
        demo.store, [RuleScorer(suggestion.model)], [t], HORIZON, observed_until_us=demo.end_us
    )
    evaluation = result.evaluations[0]
    assert evaluation.leads > 2000
    assert evaluation.roc_auc.estimate > 0.62
    # the grades order the leads: hot converts more than cold
    rates = evaluation.by_grade.set_index("group")["rate"]
    assert rates["hot"] > rates["cold"]
    # the compiled SQL gives every lead the points the scorecard gives it in Python
    features = store_feature_table(demo.store, table.plan, t)
    python = dict(zip(features.contact_id, suggestion.scorecard.points(features.X), strict=True))
    scored = result.leads
    engine = scored["score"].to_numpy()
    expected = np.array([python[c] for c in scored["contact_id"]])
    assert np.array_equal(engine, expected)
