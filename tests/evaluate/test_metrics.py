"""Metrics against scikit-learn / scipy and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from leadscore.evaluate import metrics


def sample(n: int = 600, seed: int = 1, ties: bool = True) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(int)
    s = rng.normal(0, 1, n) + 0.9 * y
    if ties:
        s = np.round(s * 2) / 2  # heavy ties, as rule scores have
    return y, s


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ranking_metrics_match_sklearn(seed: int, ties: bool) -> None:
    from sklearn.metrics import average_precision_score, roc_auc_score

    y, s = sample(seed=seed, ties=ties)
    assert metrics.roc_auc_score(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert metrics.average_precision_score(y, s) == pytest.approx(
        average_precision_score(y, s), abs=1e-12
    )


def test_auc_hand_computed() -> None:
    # converters 3 and 2 against non-converters 1 and 2: pairs (3>1, 3>2, 2>1, 2=2) = 3.5 / 4
    assert metrics.roc_auc_score([1, 1, 0, 0], [3, 2, 1, 2]) == pytest.approx(0.875)
    assert math.isnan(metrics.roc_auc_score([1, 1], [1, 2]))


@pytest.mark.parametrize("seed", [4, 5])
def test_ks_matches_scipy(seed: int) -> None:
    from scipy.stats import ks_2samp

    y, s = sample(seed=seed)
    expected = ks_2samp(s[y == 1], s[y == 0]).statistic
    assert metrics.ks_statistic(y, s).statistic == pytest.approx(expected, abs=1e-12)


def test_ks_threshold_hand_computed() -> None:
    ks = metrics.ks_statistic([1, 1, 0, 0, 0], [5, 4, 3, 2, 1])
    assert ks.statistic == pytest.approx(1.0)
    assert ks.threshold == 4


def test_probability_metrics_match_sklearn() -> None:
    from sklearn.metrics import brier_score_loss, log_loss

    rng = np.random.default_rng(7)
    p = rng.uniform(0.01, 0.99, 500)
    y = (rng.random(500) < p).astype(int)
    assert metrics.brier_loss(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    assert metrics.log_loss(y, p) == pytest.approx(log_loss(y, p), abs=1e-12)


def test_ece_hand_computed() -> None:
    # bin [0.1, 0.2): p 0.1, 0.1 vs outcomes 0, 1 -> |0.2 - 1| ; bin [0.9, 1]: 0.9 vs 1 -> 0.1
    y = [0, 1, 1]
    p = [0.1, 0.1, 0.9]
    assert metrics.expected_calibration_error(y, p) == pytest.approx((0.8 + 0.1) / 3)
    assert metrics.expected_calibration_error([1, 0], [1.0, 0.0]) == pytest.approx(0.0)


def test_probability_metrics_refuse_rule_scores() -> None:
    with pytest.raises(ValueError, match="not probabilities"):
        metrics.brier_loss([0, 1], [10.0, 70.0])


def test_labels_must_be_binary() -> None:
    with pytest.raises(ValueError, match="0 or 1"):
        metrics.roc_auc_score([0, 2], [1.0, 2.0])


def test_midranks_match_scipy() -> None:
    from scipy.stats import rankdata

    _, s = sample(seed=9)
    assert np.allclose(metrics.midranks(s), rankdata(s))


def test_captured_shares_a_straddled_tie() -> None:
    # best: 9 (converter), then a tie of four at 5 holding two converters, then 1
    y = [1, 1, 0, 1, 0, 0]
    s = [9, 5, 5, 5, 5, 1]
    got = metrics.captured(y, s, [0, 1, 2, 3, 5, 6])
    assert got == pytest.approx([0, 1, 1.5, 2, 3, 3])


def test_captured_equals_average_over_orders_of_ties() -> None:
    y, s = sample(n=120, seed=11)
    rng = np.random.default_rng(0)
    k = 37
    draws = []
    for _ in range(3000):
        order = np.lexsort((rng.random(len(s)), -s))  # by score, ties in random order
        draws.append(y[order][:k].sum())
    assert metrics.captured(y, s, [k])[0] == pytest.approx(np.mean(draws), abs=0.1)


def test_top_fraction_and_lift() -> None:
    y = [1, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    s = list(range(10, 0, -1))  # the first lead is the best
    assert metrics.top_fraction_rate(y, s, 0.1) == pytest.approx(1.0)
    assert metrics.lift_at(y, s, 0.1) == pytest.approx(5.0)
    assert metrics.top_fraction_rate(y, s, 0.5) == pytest.approx(0.4)


def test_ranked_sample_weights_equal_repeated_rows() -> None:
    y, s = sample(n=200, seed=12)
    rng = np.random.default_rng(3)
    w = rng.integers(0, 4, len(y)).astype(float)
    repeated_y, repeated_s = np.repeat(y, w.astype(int)), np.repeat(s, w.astype(int))
    ranked = metrics.RankedSample(y, s)
    assert ranked.auc(w) == pytest.approx(metrics.roc_auc_score(repeated_y, repeated_s))
    assert ranked.top_rate(w, 0.1) == pytest.approx(
        metrics.top_fraction_rate(repeated_y, repeated_s, 0.1)
    )
    ones = np.ones(len(y))
    assert ranked.auc(ones) == pytest.approx(metrics.roc_auc_score(y, s))
