"""Choosing the model kind by validation, and measuring the chosen one.

With snapshot times the protocol is time-ordered: every candidate is fitted on the earlier
snapshots and judged on the later ones, the way it will be used (fitted only on those at least
``gap`` earlier: see :mod:`leadscore.predict.splits`). It rolls back in time: the latest
examples are held out, then the ones before them (fitted on what came before those), up to
``folds`` hold-outs, and the candidates are judged on every fold (each metric's mean weighted
by the fold's size: :func:`leadscore.predict.metrics.combined`). One hold-out of the latest
examples varies with the few outcomes of one period; this chooses the model on how it would
have done at several points in time. When the latest fold alone has more than
``max_examples`` to fit on, it is the only one: a hold-out that size is precise, and more
folds would multiply the fits. Without times it is stratified k-fold cross-validation
(seeded). Candidates are compared by validation log loss (a proper
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
    folds: list[dict[str, float]] = field(default_factory=list)  # each time fold's, latest first

    def as_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "metrics": self.metrics, "seconds": round(self.seconds, 3)}
        if len(self.folds) > 1:
            out["folds"] = self.folds
        return out


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

    from leadscore.predict.splits import subsample, time_folds

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
    splits = time_folds(times, y, fraction, gap, folds)
    if splits and max_examples is not None and len(splits[0].train) > max_examples:
        splits = splits[:1]  # one hold-out of this size is precise enough; more cost fits
    candidates: list[Candidate] = []
    if splits:
        parts = [
            (subsample(s.train, max_examples, seed), subsample(s.held, max_examples, seed + 1))
            for s in splits
        ]
        protocol = _time_protocol(splits, parts)
        for kind in kinds:
            started = time.perf_counter()
            folds_seen, latest = [], None
            for train, held in parts:
                model = fit(kind, X[train], y[train], times[train])
                folds_seen.append(metrics.summary(y[held], _sigmoid(model.logit(X[held]))))
                if latest is None:
                    latest = model  # the latest fold's fit (its penalty is reused)
            log.info("validated %s in %.1fs", kind, time.perf_counter() - started)
            seconds = time.perf_counter() - started
            combined = metrics.combined(folds_seen)
            candidates.append(Candidate(kind, combined, seconds, latest, folds_seen))
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


def _time_protocol(splits: Sequence[Any], parts: Sequence[tuple[Any, Any]]) -> str:
    latest, (train, held) = splits[0], parts[0]
    text = (
        f"{latest.description}; fitted on {len(train):,} earlier examples, validated on "
        f"{len(held):,} later ones"
    )
    if len(splits) == 1:
        return text
    earlier = "; ".join(
        f"{s.description} ({len(h):,}, fitted on {len(t):,})"
        for s, (t, h) in zip(splits[1:], parts[1:], strict=True)
    )
    folds = len(splits)
    return f"{text}; {folds} folds rolling back in time, the earlier ones {earlier}"


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
