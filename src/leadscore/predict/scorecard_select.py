"""Which candidate rules a scorecard keeps, and their log-odds weights.

Every candidate is a 0/1 column (the examples a rule would select, see
:meth:`leadscore.predict.scorecard_bins.Binning.thresholds`), so each one kept costs exactly one
rule. Forward stepwise selection adds, one at a time, the candidate with the largest score
(Rao) statistic given the rules already kept: the chi-square gain in likelihood that adding it
would bring, allowing for what the kept rules already explain (so the 90-day count of pricing
views is not added on top of the 30-day one unless it says something new). It stops at
``max_rules`` or when no candidate reaches ``stop_chi2``.

After each step the logistic regression of the kept columns is refitted (Newton's method with a
small ridge penalty). A rule whose weight goes against its feature's trend (more pricing views
but fewer points, because another rule took its place) is dropped and not tried again: the
points must read the way the evidence does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

CHUNK = 10_000  # rows per block when multiplying the candidate matrix (bounded memory)


@dataclass
class LogitFit:
    """``logit = intercept + columns @ coef``."""

    intercept: float
    coef: FloatArray
    iterations: int


@dataclass
class Selection:
    columns: list[int]  # kept candidates, in the order they were added
    fit: LogitFit
    dropped: list[int] = field(default_factory=list)  # removed for going against the trend
    steps: list[tuple[int, float]] = field(default_factory=list)  # (candidate, chi-square)


def fit_logit(X: Any, y: Any, l2: float = 1.0, max_iter: int = 50) -> LogitFit:
    """Ridge-penalised logistic regression by Newton's method (the intercept is not
    penalised). ``X`` is a small dense matrix (examples x kept rules)."""
    import numpy as np

    n, k = X.shape
    design = np.empty((n, k + 1), dtype=np.float64)
    design[:, 0] = 1.0
    design[:, 1:] = X
    target = np.asarray(y, dtype=np.float64)
    rate = min(max(float(target.mean()), 1e-6), 1 - 1e-6)
    beta = np.zeros(k + 1)
    beta[0] = np.log(rate / (1 - rate))
    penalty = np.full(k + 1, l2)
    penalty[0] = 0.0
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - reported
        z = np.clip(design @ beta, -35, 35)
        p = 1.0 / (1.0 + np.exp(-z))
        w = p * (1 - p)
        gradient = design.T @ (target - p) - penalty * beta
        hessian = (design * w[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian + 1e-9 * np.eye(k + 1), gradient)
        beta += step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return LogitFit(float(beta[0]), beta[1:].copy(), iterations)


def _dense(candidates: Any, columns: list[int]) -> Any:
    import numpy as np

    return np.asarray(candidates[:, columns], dtype=np.float64)


def score_statistics(candidates: Any, y: Any, kept: list[int], fit: LogitFit) -> FloatArray:
    """The score (Rao) chi-square of adding each candidate column to the kept ones."""
    import numpy as np

    n, m = candidates.shape
    kept_x = _dense(candidates, kept)
    z = np.clip(fit.intercept + kept_x @ fit.coef, -35, 35)
    p = 1.0 / (1.0 + np.exp(-z))
    w = p * (1 - p)
    residual = np.asarray(y, dtype=np.float64) - p
    design = np.column_stack([np.ones(n), kept_x])  # the kept model's columns
    weighted = design * w[:, None]
    information = weighted.T @ design
    score = np.zeros(m)
    own = np.zeros(m)  # sum of w over the rows a candidate selects (its columns are 0/1)
    cross = np.zeros((m, design.shape[1]))
    for start in range(0, n, CHUNK):
        block = np.asarray(candidates[start : start + CHUNK], dtype=np.float64)
        score += block.T @ residual[start : start + CHUNK]
        own += block.T @ w[start : start + CHUNK]
        cross += block.T @ weighted[start : start + CHUNK]
    inverse = np.linalg.pinv(information)
    explained = np.einsum("ij,jk,ik->i", cross, inverse, cross)
    variance = own - explained
    with np.errstate(divide="ignore", invalid="ignore"):
        stats = np.where(variance > 1e-9 * np.maximum(own, 1e-12), score**2 / variance, 0.0)
    return np.asarray(stats, dtype=np.float64)


def select_rules(
    candidates: Any,
    y: Any,
    signs: Any,
    max_rules: int,
    stop_chi2: float = 10.83,
    l2: float = 1.0,
) -> Selection:
    """Forward stepwise selection of candidate columns (``candidates``: examples x candidates,
    0/1; ``signs``: the sign each weight must have, 0 for either)."""
    import numpy as np

    m = candidates.shape[1]
    signs = np.asarray(signs)
    kept: list[int] = []
    banned: set[int] = set()
    dropped: list[int] = []
    steps: list[tuple[int, float]] = []
    fit = fit_logit(np.zeros((len(y), 0)), y, l2)
    while len(kept) < max_rules:
        stats = score_statistics(candidates, y, kept, fit)
        for j in [*kept, *banned]:
            stats[j] = -1.0
        best = int(np.argmax(stats)) if m else -1
        if best < 0 or stats[best] < stop_chi2:
            break
        kept.append(best)
        steps.append((best, float(stats[best])))
        fit = fit_logit(_dense(candidates, kept), y, l2)
        while True:  # drop rules whose weight goes against their trend, worst first
            against = [
                (float(-fit.coef[i] * signs[j]), i)
                for i, j in enumerate(kept)
                if signs[j] != 0 and fit.coef[i] * signs[j] < 0
            ]
            if not against:
                break
            _, i = max(against)
            j = kept.pop(i)
            banned.add(j)
            dropped.append(j)
            fit = fit_logit(_dense(candidates, kept), y, l2)
    return Selection(kept, fit, dropped, steps)
