"""Uncertainty: intervals for rates and AUCs, and a seeded paired bootstrap.

Small samples must say so: every rate the reports show carries a Wilson interval, every AUC a
DeLong interval, and comparisons a bootstrap interval for the difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from leadscore.evaluate.metrics import as_labels, as_scores, midranks

if TYPE_CHECKING:
    import numpy.typing as npt

LEVEL = 0.95
# Below this many converters, ranking metrics move a lot from one sample to the next.
FEW_POSITIVES = 30


def z_value(level: float = LEVEL) -> float:
    """The two-sided normal quantile for a confidence level (1.96 for 95%)."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 2.0)


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def as_dict(self, digits: int = 4) -> dict[str, float | None]:
        return {
            "estimate": rounded(self.estimate, digits),
            "low": rounded(self.low, digits),
            "high": rounded(self.high, digits),
        }


def rounded(value: float | None, digits: int = 4) -> float | None:
    """``value`` rounded for output; NaN and None become None (JSON null)."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def wilson_interval(successes: float, n: float, level: float = LEVEL) -> Interval:
    """Wilson score interval for a proportion: sound for small n and rates near 0 or 1."""
    if n <= 0:
        return Interval(float("nan"), float("nan"), float("nan"))
    p = successes / n
    z = z_value(level)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(max(p * (1 - p) / n + z * z / (4 * n * n), 0.0)) / denom
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def delong_interval(y: npt.ArrayLike, s: npt.ArrayLike, level: float = LEVEL) -> Interval:
    """ROC AUC with DeLong's variance (normal approximation, clipped to [0, 1])."""
    labels, scores = as_labels(y), as_scores(s)
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    if n_pos < 2 or n_neg < 2:
        nan = float("nan")
        if n_pos and n_neg:
            auc = float((midranks(scores)[labels].sum() - n_pos * (n_pos + 1) / 2) / n_pos / n_neg)
            return Interval(auc, nan, nan)
        return Interval(nan, nan, nan)
    all_ranks = midranks(scores)
    pos_ranks = midranks(scores[labels])
    neg_ranks = midranks(scores[~labels])
    # structural components: each converter's share of non-converters beaten, and vice versa
    v10 = (all_ranks[labels] - pos_ranks) / n_neg
    v01 = 1.0 - (all_ranks[~labels] - neg_ranks) / n_pos
    auc = float(v10.mean())
    variance = float(np.var(v10, ddof=1) / n_pos + np.var(v01, ddof=1) / n_neg)
    half = z_value(level) * math.sqrt(max(variance, 0.0))
    return Interval(auc, max(0.0, auc - half), min(1.0, auc + half))


# A statistic of a weighted sample: ``weights[i]`` is how many times row i is drawn.
Statistic = Callable[["npt.NDArray[np.float64]"], float]


@dataclass(frozen=True)
class Bootstrap:
    estimate: float  # the statistic on the original sample
    low: float
    high: float
    replicates: int  # resamples where the statistic was defined
    share_positive: float  # share of those where it was > 0 (for a difference: "B wins")

    @property
    def interval(self) -> Interval:
        return Interval(self.estimate, self.low, self.high)

    def as_dict(self, digits: int = 4) -> dict[str, float | int | None]:
        return {
            **self.interval.as_dict(digits),
            "replicates": self.replicates,
            "share_positive": rounded(self.share_positive, 3),
        }


def bootstrap(
    n: int,
    statistics: Sequence[Statistic],
    n_boot: int = 1000,
    seed: int = 0,
    level: float = LEVEL,
) -> list[Bootstrap]:
    """Percentile bootstrap intervals of several statistics over the same resamples.

    Each replicate draws ``n`` rows with replacement, given to the statistics as weights (how
    many times each row was drawn), so every model is evaluated on the same rows: the
    comparison is paired. Seeded: the same call gives the same intervals. Replicates where a
    statistic is undefined (NaN, e.g. no converter drawn) are left out of its interval and not
    counted in ``replicates``.
    """
    if n_boot < 10:
        raise ValueError(f"n_boot must be at least 10, got {n_boot}")
    if n < 1:
        nan = float("nan")
        return [Bootstrap(nan, nan, nan, 0, nan) for _ in statistics]
    rng = np.random.default_rng(seed)
    ones = np.ones(n)
    estimates = [f(ones) for f in statistics]
    values = np.empty((n_boot, len(statistics)))
    for b in range(n_boot):
        weights = np.bincount(rng.integers(0, n, size=n), minlength=n).astype(np.float64)
        values[b] = [f(weights) for f in statistics]
    tail = (1 - level) / 2 * 100
    out = []
    for k, estimate in enumerate(estimates):
        column = values[:, k][np.isfinite(values[:, k])]
        if not len(column):
            nan = float("nan")
            out.append(Bootstrap(estimate, nan, nan, 0, nan))
            continue
        low, high = np.percentile(column, [tail, 100 - tail])
        out.append(
            Bootstrap(estimate, float(low), float(high), len(column), float(np.mean(column > 0)))
        )
    return out
