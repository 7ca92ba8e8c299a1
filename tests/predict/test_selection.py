"""Choosing the kind by time-ordered validation that rolls back in time: the candidates are
judged on every fold (the folds themselves: test_splits), and large data keep the one latest
hold-out."""

from __future__ import annotations

from typing import Any

import numpy as np

from leadscore.predict import metrics
from leadscore.predict.selection import _sigmoid, select_kind
from leadscore.predict.splits import time_folds
from tests.predict.test_splits import snapshots


class Fake:
    """A model whose logit is one column times a weight of its kind, recording its fits."""

    def __init__(self, kind: str, rows: int) -> None:
        self.kind, self.rows = kind, rows

    def logit(self, X: Any) -> Any:
        return (1.0 if self.kind == "lightgbm" else 0.5) * X[:, 0]


def test_candidates_are_judged_on_every_fold_together() -> None:
    times, y = snapshots()
    X = np.random.default_rng(0).normal(size=(len(y), 2)) + y[:, None]
    fits: list[tuple[str, int]] = []

    def fit(kind: str, X_: Any, y_: Any, t: Any) -> Fake:
        fits.append((kind, len(y_)))
        return Fake(kind, len(y_))

    selection = select_kind(X, y, times, ("lightgbm", "logistic"), fit, folds=3, min_positives=1)
    folds = time_folds(times, y, 0.25, folds=3)
    assert fits == [(k, len(f.train)) for k in ("lightgbm", "logistic") for f in folds]
    for candidate in selection.candidates:
        weight = 1.0 if candidate.kind == "lightgbm" else 0.5
        each = [metrics.summary(y[f.held], _sigmoid(weight * X[f.held, 0])) for f in folds]
        assert candidate.folds == each
        assert candidate.metrics == metrics.combined(each)
        assert candidate.metrics["examples"] == sum(len(f.held) for f in folds)
        assert candidate.as_dict()["folds"] == each
        # the latest fold's fit is kept, for the logistic model's penalty
        assert candidate.model.rows == len(folds[0].train)
    assert "3 folds rolling back in time" in selection.protocol


def test_large_data_keep_the_one_latest_hold_out() -> None:
    times, y = snapshots(per=500)
    X = np.random.default_rng(1).normal(size=(len(y), 2))
    fits: list[int] = []

    def fit(kind: str, X_: Any, y_: Any, t: Any) -> Fake:
        fits.append(len(y_))
        return Fake(kind, len(y_))

    selection = select_kind(X, y, times, ("logistic",), fit, folds=3, max_examples=2_000)
    assert fits == [2_000]  # the latest fold's 3,000 earlier examples, sampled to 2,000
    assert "rolling back" not in selection.protocol


def test_combined_metrics_weigh_each_fold_by_its_size() -> None:
    a = {"roc_auc": 0.6, "log_loss": 0.3, "examples": 100.0, "positives": 10.0}
    b = {"roc_auc": 0.9, "log_loss": 0.5, "examples": 300.0, "positives": 20.0}
    both = metrics.combined([a, b])
    assert both["roc_auc"] == (0.6 * 100 + 0.9 * 300) / 400
    assert both["log_loss"] == (0.3 * 100 + 0.5 * 300) / 400
    assert (both["examples"], both["positives"]) == (400.0, 30.0)
    assert metrics.combined([a]) == a
