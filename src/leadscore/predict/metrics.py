"""Validation metrics of probabilities: ranking (ROC AUC, PR AUC) and calibration (Brier, log
loss, ECE). ``*_score``: higher is better; ``*_loss`` / ``*_error``: lower is better.

The expected calibration error uses ten equal-width probability bins weighted by their size,
the definition :mod:`leadscore.evaluate` uses for backtests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy.typing as npt


def _arrays(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[Any, Any]:
    import numpy as np

    labels = np.asarray(y).astype(np.float64).ravel()
    probs = np.asarray(p, dtype=np.float64).ravel()
    if labels.shape != probs.shape:
        raise ValueError(f"{labels.shape[0]} labels but {probs.shape[0]} probabilities")
    return labels, probs


def roc_auc_score(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Probability that a random converter ranks above a random non-converter (NaN with one
    class)."""
    from sklearn.metrics import roc_auc_score as auc  # type: ignore[import-untyped,unused-ignore]

    labels, probs = _arrays(y, p)
    if labels.min(initial=0) == labels.max(initial=0):
        return float("nan")
    return float(auc(labels, probs))


def pr_auc_score(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Average precision (area under the precision-recall curve; NaN without converters)."""
    from sklearn.metrics import average_precision_score  # type: ignore[import-untyped,unused-ignore]

    labels, probs = _arrays(y, p)
    if not labels.any():
        return float("nan")
    return float(average_precision_score(labels, probs))


def brier_loss(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    labels, probs = _arrays(y, p)
    return float(((probs - labels) ** 2).mean()) if len(labels) else float("nan")


def log_loss(y: npt.ArrayLike, p: npt.ArrayLike, eps: float = 1e-15) -> float:
    import numpy as np

    labels, probs = _arrays(y, p)
    if not len(labels):
        return float("nan")
    probs = np.clip(probs, eps, 1 - eps)
    return float(-np.mean(labels * np.log(probs) + (1 - labels) * np.log1p(-probs)))


def expected_calibration_error(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> float:
    """Mean |predicted - observed| over ``bins`` equal-width bins, weighted by bin size."""
    import numpy as np

    labels, probs = _arrays(y, p)
    if not len(labels):
        return float("nan")
    index = np.minimum((probs * bins).astype(np.int64), bins - 1)
    predicted = np.bincount(index, weights=probs, minlength=bins)
    observed = np.bincount(index, weights=labels, minlength=bins)
    return float(np.abs(predicted - observed).sum() / len(labels))


def summary(y: npt.ArrayLike, p: npt.ArrayLike) -> dict[str, float]:
    """Every metric, plus the size, converters and base rate of the sample."""
    labels, probs = _arrays(y, p)
    n = len(labels)
    positives = float(labels.sum())
    return {
        "roc_auc": roc_auc_score(labels, probs),
        "pr_auc": pr_auc_score(labels, probs),
        "brier": brier_loss(labels, probs),
        "log_loss": log_loss(labels, probs),
        "ece": expected_calibration_error(labels, probs),
        "mean_probability": float(probs.mean()) if n else float("nan"),
        "base_rate": positives / n if n else float("nan"),
        "examples": float(n),
        "positives": positives,
    }


def combined(parts: list[dict[str, float]]) -> dict[str, float]:
    """The summaries of several held-out parts as one: each metric's mean weighted by the
    part's size (each part is ranked and calibrated on its own, as its model was fitted on
    its own past), the sizes and converters summed."""
    if len(parts) == 1:
        return dict(parts[0])
    total = sum(part["examples"] for part in parts)
    out = {}
    for key in parts[0]:
        if key in ("examples", "positives"):
            out[key] = float(sum(part[key] for part in parts))
        else:
            out[key] = float(sum(part[key] * part["examples"] for part in parts) / total)
    return out
