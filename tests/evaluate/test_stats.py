"""Intervals: Wilson, DeLong, and the seeded paired bootstrap."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from leadscore.evaluate import stats
from leadscore.evaluate.metrics import RankedSample


def test_wilson_known_values() -> None:
    # k = 0 of n = 10: the upper bound is z^2 / (n + z^2)
    z = NormalDist().inv_cdf(0.975)
    interval = stats.wilson_interval(0, 10)
    assert interval.low == pytest.approx(0, abs=1e-12)
    assert interval.high == pytest.approx(z * z / (10 + z * z))
    half = stats.wilson_interval(50, 100)
    assert half.low == pytest.approx(1 - half.high)
    assert math.isnan(stats.wilson_interval(0, 0).estimate)


def _delong_variance_by_pairs(y: np.ndarray, s: np.ndarray) -> float:
    """DeLong's variance from its definition, comparing every pair (slow, obvious)."""
    pos, neg = s[y == 1], s[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return float(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg))


def test_delong_matches_pairwise_definition() -> None:
    rng = np.random.default_rng(2)
    y = (rng.random(300) < 0.3).astype(int)
    s = np.round(rng.normal(0, 1, 300) + y, 1)
    interval = stats.delong_interval(y, s)
    z = NormalDist().inv_cdf(0.975)
    half = z * math.sqrt(_delong_variance_by_pairs(y, s))
    assert interval.low == pytest.approx(interval.estimate - half)
    assert interval.high == pytest.approx(interval.estimate + half)


def test_delong_interval_covers_the_true_auc() -> None:
    # binormal scores: converters ~ N(1, 1), others ~ N(0, 1): AUC = Phi(1 / sqrt(2))
    true_auc = NormalDist().cdf(1 / math.sqrt(2))
    rng = np.random.default_rng(8)
    covered = 0
    for _ in range(200):
        y = (rng.random(300) < 0.25).astype(int)
        s = rng.normal(0, 1, 300) + y
        i = stats.delong_interval(y, s)
        covered += i.low <= true_auc <= i.high
    assert 0.90 <= covered / 200 <= 0.99


def _two_scorers(seed: int, n: int = 400) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    a = rng.normal(0, 1, n) + 0.6 * y  # AUC Phi(0.6 / sqrt 2)
    b = rng.normal(0, 1, n) + 1.2 * y  # AUC Phi(1.2 / sqrt 2)
    return y, a, b


def _auc_difference(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> stats.Statistic:
    ra, rb = RankedSample(y, a), RankedSample(y, b)
    return lambda w: rb.auc(w) - ra.auc(w)


def test_bootstrap_covers_a_known_difference() -> None:
    phi = NormalDist().cdf
    truth = phi(1.2 / math.sqrt(2)) - phi(0.6 / math.sqrt(2))
    covered = 0
    runs = 40
    for seed in range(runs):
        y, a, b = _two_scorers(seed)
        (result,) = stats.bootstrap(len(y), [_auc_difference(y, a, b)], n_boot=300, seed=seed)
        assert result.low < result.estimate < result.high
        covered += result.low <= truth <= result.high
    assert covered >= 0.85 * runs
    # and the interval is narrow enough to tell a real difference from none
    y, a, b = _two_scorers(99, n=2000)
    (result,) = stats.bootstrap(len(y), [_auc_difference(y, a, b)], n_boot=300, seed=1)
    assert result.low > 0
    assert result.share_positive > 0.99


def test_bootstrap_is_reproducible_with_a_seed() -> None:
    y, a, b = _two_scorers(5)
    statistic = [_auc_difference(y, a, b)]
    first = stats.bootstrap(len(y), statistic, n_boot=200, seed=42)[0]
    again = stats.bootstrap(len(y), statistic, n_boot=200, seed=42)[0]
    other = stats.bootstrap(len(y), statistic, n_boot=200, seed=43)[0]
    assert (first.low, first.high) == (again.low, again.high)
    assert (first.low, first.high) != (other.low, other.high)
    assert first.estimate == other.estimate  # the estimate is the full sample's


def test_bootstrap_drops_undefined_replicates() -> None:
    y = np.zeros(50, dtype=int)
    y[0] = 1  # one converter: many resamples hold none, where AUC is undefined
    ranked = RankedSample(y, np.arange(50.0))
    (result,) = stats.bootstrap(50, [ranked.auc], n_boot=200, seed=0)
    assert 0 < result.replicates < 200
