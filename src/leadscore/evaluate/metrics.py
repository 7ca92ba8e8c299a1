"""Scalar metrics of a score against what happened: ranking (AUC, PR AUC, KS, lift) and
probability quality (Brier, log loss, ECE).

Pure functions over arrays. ``y`` holds 0/1 labels (1: converted within the horizon), ``s`` the
scores: higher means more likely. Rule totals are not probabilities, so only the ranking metrics
apply to them; :func:`brier_loss`, :func:`log_loss` and :func:`expected_calibration_error` need
probabilities in [0, 1]. Every ranking metric treats tied scores fairly: as the average over all
orders of the tied leads, not in whatever order a sort happened to leave them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

    Array = npt.NDArray[np.float64]


def as_labels(y: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """0/1 (or boolean) labels as a boolean array; anything else is an error."""
    arr = np.asarray(y)
    if arr.dtype == np.bool_:
        return arr
    values = np.unique(arr)
    if not np.isin(values, [0, 1]).all():
        raise ValueError(f"labels must be 0 or 1, got {values[:5].tolist()}")
    return arr.astype(bool)


def as_scores(s: npt.ArrayLike) -> Array:
    arr = np.asarray(s, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValueError("scores must be finite numbers (no NaN or infinity)")
    return arr


def _both_classes(y: npt.NDArray[np.bool_]) -> bool:
    return bool(y.any()) and not bool(y.all())


def midranks(s: Array) -> Array:
    """Ranks 1..n of ``s``, ties sharing the mean of the ranks they span."""
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    mid = ends - (counts - 1) / 2.0
    out: Array = mid[inverse].astype(np.float64)
    return out


def roc_auc_score(y: npt.ArrayLike, s: npt.ArrayLike) -> float:
    """Area under the ROC curve: the chance that a random converter outscores a random
    non-converter (ties count one half). NaN when only one class is present."""
    labels, scores = as_labels(y), as_scores(s)
    if not _both_classes(labels):
        return float("nan")
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    rank_sum = float(midranks(scores)[labels].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


@dataclass(frozen=True)
class Curve:
    """Cumulative counts at each distinct score, highest first."""

    thresholds: Array  # distinct scores, descending
    true_positives: Array  # converters scoring >= threshold
    false_positives: Array
    positives: int
    negatives: int


def threshold_counts(y: npt.ArrayLike, s: npt.ArrayLike) -> Curve:
    labels, scores = as_labels(y), as_scores(s)
    values, inverse = np.unique(-scores, return_inverse=True)  # ascending -score = descending
    pos = np.bincount(inverse, weights=labels.astype(np.float64), minlength=len(values))
    total = np.bincount(inverse, minlength=len(values)).astype(np.float64)
    tp: Array = np.cumsum(pos).astype(np.float64)
    fp: Array = np.cumsum(total - pos).astype(np.float64)
    n_pos = int(labels.sum())
    return Curve(-values, tp, fp, n_pos, len(labels) - n_pos)


def average_precision_score(y: npt.ArrayLike, s: npt.ArrayLike) -> float:
    """Area under the precision-recall curve as a step function: the mean of the precision at
    each converter's score, ties taken together (scikit-learn's definition)."""
    curve = threshold_counts(y, s)
    if curve.positives == 0:
        return float("nan")
    precision = curve.true_positives / (curve.true_positives + curve.false_positives)
    recall = curve.true_positives / curve.positives
    steps = np.diff(np.concatenate([[0.0], recall]))
    return float(np.sum(steps * precision))


@dataclass(frozen=True)
class KS:
    statistic: float  # the largest gap between the score distributions of the two classes
    threshold: float  # the score at which it is reached (leads at or above)


def ks_statistic(y: npt.ArrayLike, s: npt.ArrayLike) -> KS:
    """Kolmogorov-Smirnov: max |TPR - FPR| over thresholds, and where."""
    curve = threshold_counts(y, s)
    if curve.positives == 0 or curve.negatives == 0:
        return KS(float("nan"), float("nan"))
    gap = np.abs(curve.true_positives / curve.positives - curve.false_positives / curve.negatives)
    best = int(np.argmax(gap))
    return KS(float(gap[best]), float(curve.thresholds[best]))


def captured(y: npt.ArrayLike, s: npt.ArrayLike, k: npt.ArrayLike) -> Array:
    """Converters expected among the ``k`` best-scored leads (``k`` may be fractional).

    A group of tied leads that straddles the cut contributes in proportion to the part of it
    that is taken: the average over every order of the tied leads.
    """
    curve = threshold_counts(y, s)
    leads = curve.true_positives + curve.false_positives
    return _take(leads, curve.true_positives, np.asarray(k, dtype=np.float64))


def _take(cum_leads: Array, cum_pos: Array, k: Array) -> Array:
    """Positives among the first ``k`` leads, given cumulative leads and positives per group
    of tied scores (best group first); a straddled group counts in proportion."""
    if not len(cum_leads):
        empty: Array = np.zeros_like(k)
        return empty
    kk = np.clip(k, 0.0, cum_leads[-1])
    group = np.minimum(np.searchsorted(cum_leads, kk, side="left"), len(cum_leads) - 1)
    prev = np.maximum(group - 1, 0)
    before_n = np.where(group > 0, cum_leads[prev], 0.0)
    before_p = np.where(group > 0, cum_pos[prev], 0.0)
    size = cum_leads[group] - before_n
    pos = cum_pos[group] - before_p
    share = np.divide(kk - before_n, size, out=np.zeros_like(kk), where=size > 0)
    out: Array = before_p + share * pos
    return out


class RankedSample:
    """A sample sorted once, for fast metrics of weighted resamples (the bootstrap).

    ``weights[i]`` says how many times lead i counts; with all weights 1 every method equals
    its plain counterpart (:func:`roc_auc_score`, :func:`top_fraction_rate`).
    """

    def __init__(self, y: npt.ArrayLike, s: npt.ArrayLike) -> None:
        labels, scores = as_labels(y), as_scores(s)
        values, self._group = np.unique(scores, return_inverse=True)  # ascending score groups
        self._groups = len(values)
        self._y = labels.astype(np.float64)

    def _sums(self, weights: Array) -> tuple[Array, Array]:
        pos = np.bincount(self._group, weights=weights * self._y, minlength=self._groups)
        total = np.bincount(self._group, weights=weights, minlength=self._groups)
        return pos.astype(np.float64), total.astype(np.float64)

    def auc(self, weights: Array) -> float:
        pos, total = self._sums(weights)
        neg = total - pos
        w_pos, w_neg = float(pos.sum()), float(neg.sum())
        if w_pos <= 0 or w_neg <= 0:
            return float("nan")
        below = np.cumsum(neg) - neg
        return float(np.sum(pos * (below + 0.5 * neg)) / (w_pos * w_neg))

    def top_rate(self, weights: Array, fraction: float) -> float:
        pos, total = self._sums(weights)
        k = fraction * float(total.sum())
        if k <= 0:
            return float("nan")
        cum_leads, cum_pos = np.cumsum(total[::-1]), np.cumsum(pos[::-1])
        return float(_take(cum_leads, cum_pos, np.asarray([k]))[0] / k)


def top_fraction_rate(y: npt.ArrayLike, s: npt.ArrayLike, fraction: float = 0.1) -> float:
    """Conversion rate among the best ``fraction`` of leads (ties shared fairly)."""
    n = len(np.asarray(y))
    k = fraction * n
    if k <= 0:
        return float("nan")
    return float(captured(y, s, [k])[0] / k)


def lift_at(y: npt.ArrayLike, s: npt.ArrayLike, fraction: float = 0.1) -> float:
    """Conversion rate of the best ``fraction`` over the overall rate (1: no better than random)."""
    base = float(np.mean(as_labels(y))) if len(np.asarray(y)) else float("nan")
    if not base > 0:
        return float("nan")
    return top_fraction_rate(y, s, fraction) / base


def brier_loss(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Mean squared difference between predicted probability and outcome (lower is better)."""
    labels, probs = as_labels(y), _probabilities(p)
    return float(np.mean((probs - labels) ** 2))


def log_loss(y: npt.ArrayLike, p: npt.ArrayLike, eps: float = 1e-15) -> float:
    """Mean negative log-likelihood of the outcomes (lower is better); ``p`` clipped to
    [eps, 1 - eps] so a confident miss costs a lot but not infinity."""
    labels, probs = as_labels(y), np.clip(_probabilities(p), eps, 1 - eps)
    return float(-np.mean(np.where(labels, np.log(probs), np.log1p(-probs))))


def expected_calibration_error(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> float:
    """Mean |predicted - observed| over equal-width probability bins, weighted by bin size."""
    labels, probs = as_labels(y), _probabilities(p)
    if not len(probs):
        return float("nan")
    index = np.minimum((probs * bins).astype(np.int64), bins - 1)
    predicted = np.bincount(index, weights=probs, minlength=bins)
    observed = np.bincount(index, weights=labels.astype(np.float64), minlength=bins)
    return float(np.sum(np.abs(predicted - observed)) / len(probs))


def _probabilities(p: npt.ArrayLike) -> Array:
    probs = as_scores(p)
    if len(probs) and (probs.min() < 0 or probs.max() > 1):
        raise ValueError("probabilities must lie in [0, 1]; rule scores are not probabilities")
    return probs
