"""scikit-learn conformance of LeadScoreClassifier: the automatic choice (the logistic model on
the checks' small data sets) and the gradient-boosted trees."""

from __future__ import annotations

import os

from sklearn.utils.estimator_checks import parametrize_with_checks

from leadscore.predict.estimator import LeadScoreClassifier

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@parametrize_with_checks(
    [
        LeadScoreClassifier(n_jobs=1),
        LeadScoreClassifier(kind="lightgbm", n_estimators=30, min_child_samples=5, n_jobs=1),
    ]
)
def test_sklearn_compatible(estimator, check):  # type: ignore[no-untyped-def]
    check(estimator)
