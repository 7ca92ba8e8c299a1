"""Choosing the model kind by validation, and measuring the chosen one.

With snapshot times the protocol is time-ordered: every candidate is fitted on the earlier
snapshots and judged on the later ones, the way it will be used (fitted only on those at least
``gap`` earlier: see :mod:`leadscore.predict.splits`). Without times it is stratified
k-fold cross-validation (seeded). Candidates are compared by validation log loss (a proper
scoring rule: it rewards both ranking and calibration); gradient-boosted trees must beat the
logistic model by more than 0.2 % to be chosen, so the simpler model wins ties.

With fewer than ``min_positives`` conversions, ``auto`` does not try the trees at all and says
so: they need more outcomes than a regularised linear model to be trusted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadscore.predict import metrics

log = logging.getLogger(__name__)
KINDS = ("lightgbm", "logistic")
TREE_MARGIN = 0.002  # relative log-loss improvement the trees need over the logistic model

# fit(kind, X, y, times) -> a fitted model with .logit(X)
Fitter = Callable[[str, Any, Any, Any], Any]


@dataclass
class Candidate:
    kind: str
    metrics: dict[str, float]
    seconds: float
    model: Any = field(default=None, repr=False)  # the validation fit (time-ordered protocol)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "metrics": self.metrics, "seconds": round(self.seconds, 3)}


@dataclass
class Selection:
    """The chosen kind, why, how it was validated and every candidate's metrics."""

    kind: str
    reason: str
    protocol: str
    candidates: list[Candidate] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def chosen(self) -> Candidate | None:
        for c in self.candidates:
            if c.kind == self.kind:
                return c
        return None

    @property
    def metrics(self) -> dict[str, float]:
        for c in self.candidates:
            if c.kind == self.kind:
                return c.metrics
        return {}

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "reason": self.reason,
            "protocol": self.protocol,
            "candidates": [c.as_dict() for c in self.candidates],
            "messages": list(self.messages),
        }


def _sigmoid(x: Any) -> Any:
    import numpy as np

    return 1.0 / (1.0 + np.exp(-np.clip(x, -35, 35)))


def select_kind(
    X: Any,
    y: Any,
    times: Any,
    kinds: Sequence[str],
    fit: Fitter,
    *,
    seed: int = 0,
    fraction: float = 0.25,
    folds: int = 3,
    max_examples: int | None = 200_000,
    min_positives: int = 200,
    gap: float = 0,
) -> Selection:
    """Validate each kind in ``kinds`` and choose one (see the module docstring)."""
    import numpy as np

    from leadscore.predict.splits import subsample, time_split

    messages: list[str] = []
    positives = int(np.count_nonzero(y))
    kinds = list(kinds)
    if positives < min_positives and "lightgbm" in kinds:
        few = (
            f"only {positives:,} conversions among {len(y):,} examples (fewer than "
            f"{min_positives}): too few for gradient-boosted trees"
        )
        if len(kinds) > 1:
            kinds = [k for k in kinds if k != "lightgbm"]
            messages.append(few + "; using the regularised logistic model")
        else:
            messages.append(few + "; they may overfit (kind='auto' would use the logistic model)")
    split = time_split(times, y, fraction, gap)
    candidates: list[Candidate] = []
    if split is not None:
        train = subsample(split.train, max_examples, seed)
        held = subsample(split.held, max_examples, seed + 1)
        protocol = (
            f"{split.description}; fitted on {len(train):,} earlier examples, validated on "
            f"{len(held):,} later ones"
        )
        for kind in kinds:
            started = time.perf_counter()
            model = fit(kind, X[train], y[train], times[train])
            p = _sigmoid(model.logit(X[held]))
            log.info("validated %s in %.1fs", kind, time.perf_counter() - started)
            candidates.append(
                Candidate(kind, metrics.summary(y[held], p), time.perf_counter() - started, model)
            )
    else:
        rows = subsample(np.arange(len(y)), max_examples, seed)
        k = min(folds, int(np.count_nonzero(y[rows])), int(len(rows) - np.count_nonzero(y[rows])))
        if k < 2:
            return Selection(
                kind=kinds[0] if len(kinds) == 1 else "logistic",
                reason="too few examples of each class to validate",
                protocol="none",
                messages=[*messages, "not validated: too few examples of each class"],
            )
        from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped,unused-ignore]

        protocol = f"stratified {k}-fold cross-validation on {len(rows):,} examples (seed {seed})"
        folds_of = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        for kind in kinds:
            started = time.perf_counter()
            p = np.zeros(len(rows))
            for fit_part, check_part in folds_of.split(rows, y[rows]):
                a, b = rows[fit_part], rows[check_part]
                model = fit(kind, X[a], y[a], None)
                p[check_part] = _sigmoid(model.logit(X[b]))
            candidates.append(
                Candidate(kind, metrics.summary(y[rows], p), time.perf_counter() - started)
            )
    kind, reason = _choose(candidates)
    return Selection(kind, reason, protocol, candidates, messages)


def _choose(candidates: list[Candidate]) -> tuple[str, str]:
    if len(candidates) == 1:
        only = candidates[0]
        return only.kind, f"{only.kind} (the only candidate)"
    by_kind = {c.kind: c.metrics for c in candidates}
    trees, linear = by_kind["lightgbm"], by_kind["logistic"]
    detail = (
        f"validation log loss {trees['log_loss']:.4f} (lightgbm) vs {linear['log_loss']:.4f} "
        f"(logistic); ROC AUC {trees['roc_auc']:.3f} vs {linear['roc_auc']:.3f}"
    )
    if trees["log_loss"] < linear["log_loss"] * (1 - TREE_MARGIN):
        return "lightgbm", f"lightgbm: {detail}"
    if linear["log_loss"] <= trees["log_loss"]:
        return "logistic", f"logistic (the better validation log loss): {detail}"
    return "logistic", f"logistic (the simpler model, not beaten by more than 0.2%): {detail}"
