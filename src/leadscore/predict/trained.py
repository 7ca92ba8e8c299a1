"""A trained predictive model: the estimator, the frozen feature plan and what training found.

It rebuilds its own features for any store as of any time (or for a plain table), so scoring
always uses exactly the columns it was trained on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from leadscore.predict.dataset import FeatureTable
    from leadscore.predict.estimator import LeadScoreClassifier
    from leadscore.predict.featureinfo import FeatureInfo
    from leadscore.predict.plan import FeaturePlan
    from leadscore.store.base import Store


def to_score(probability: Any) -> Any:
    """The predictive score: ``round(100 x probability)``, 0..100 (half away from zero)."""
    import numpy as np

    p = np.clip(np.asarray(probability, dtype=np.float64), 0.0, 1.0)
    return np.floor(100.0 * p + 0.5).astype(np.int64)


@dataclass
class TrainingReport:
    """What training did and how well the model did on validation."""

    kind: str
    reason: str
    protocol: str
    metrics: dict[str, float]  # validation metrics of the chosen kind
    candidates: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    base_rate: float = float("nan")
    model_note: str = ""
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "reason": self.reason,
            "protocol": self.protocol,
            "metrics": self.metrics,
            "candidates": self.candidates,
            "messages": list(self.messages),
            "counts": self.counts,
            "base_rate": self.base_rate,
            "model_note": self.model_note,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingReport:
        return cls(**data)

    def lines(self) -> list[str]:
        """The report for people, one line each."""
        m = self.metrics
        out = [
            f"model: {self.kind} - {self.reason}",
            f"validation: {self.protocol}",
        ]
        if m:
            out.append(
                f"ROC AUC {m.get('roc_auc', float('nan')):.3f}, "
                f"PR AUC {m.get('pr_auc', float('nan')):.3f}, "
                f"Brier {m.get('brier', float('nan')):.4f}, "
                f"ECE {m.get('ece', float('nan')):.4f}, "
                f"log loss {m.get('log_loss', float('nan')):.4f}"
            )
        folds = next((c.get("folds") for c in self.candidates if c["kind"] == self.kind), None)
        if folds:
            aucs = ", ".join(f"{f['roc_auc']:.3f}" for f in folds)
            losses = ", ".join(f"{f['log_loss']:.4f}" for f in folds)
            out.append(f"each fold, the latest first: ROC AUC {aucs}; log loss {losses}")
        c = self.counts
        out.append(
            f"{c.get('examples', 0):,} examples ({c.get('positives', 0):,} converted, base rate "
            f"{self.base_rate:.2%}), {c.get('contacts', 0):,} contacts, "
            f"{c.get('snapshots', 0)} snapshot(s), {c.get('features', 0)} features"
        )
        if self.model_note:
            out.append(self.model_note)
        out += [f"note: {m}" for m in self.messages]
        return out


@dataclass
class TrainedModel:
    """``estimator`` fitted on ``plan``'s features; ``model_id`` is set by the registry."""

    estimator: LeadScoreClassifier
    plan: FeaturePlan
    report: TrainingReport
    horizon_days: int | None
    snapshots_us: list[int]
    fingerprint: str
    created_at_us: int
    seed: int = 0
    model_id: str | None = None

    @property
    def kind(self) -> str:
        return str(self.estimator.kind_)

    @property
    def features(self) -> tuple[FeatureInfo, ...]:
        return self.plan.infos

    def features_for(
        self,
        source: Store | pd.DataFrame,
        as_of_us: int | None = None,
        contact_ids: Sequence[str] | None = None,
        id_column: str | None = None,
    ) -> FeatureTable:
        """This model's features for a store's contacts as of ``as_of_us`` (all that exist
        then, or ``contact_ids``), or for the rows of a plain table."""
        import pandas as pd

        from leadscore.predict.dataset import store_feature_table, table_feature_table

        if isinstance(source, pd.DataFrame):
            if self.plan.source != "table":
                raise LeadscoreError(
                    "this model was trained on a store's events; score it on a store"
                )
            return table_feature_table(source, self.plan, id_column)
        if self.plan.source != "store":
            raise LeadscoreError("this model was trained on a plain table; score it on a table")
        if as_of_us is None:
            raise LeadscoreError("say as of when to score (as_of_us)")
        return store_feature_table(source, self.plan, as_of_us, contact_ids)

    def keep_compiled_in(self, folder: Path) -> None:
        """Keep what is compiled for fast scoring (the trees, :mod:`leadscore.predict.compiled`)
        in ``folder``: the registry gives each saved model's own folder."""
        from leadscore.predict.boosting import BoostedModel

        inner = getattr(self.estimator, "model_", None)
        if isinstance(inner, BoostedModel):
            inner.cache_dir = folder

    def _X(self, data: FeatureTable | pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        frame = data if isinstance(data, pd.DataFrame) else data.X
        return frame[self.plan.names]

    def predict_proba(self, data: FeatureTable | pd.DataFrame) -> npt.NDArray[np.float64]:
        """The calibrated probability of converting within the horizon, per row."""
        return self.estimator.predict_proba(self._X(data))[:, 1]

    def scores(self, data: FeatureTable | pd.DataFrame) -> npt.NDArray[np.int64]:
        """The predictive score 0..100: ``round(100 x probability)``."""
        out: npt.NDArray[np.int64] = to_score(self.predict_proba(data))
        return out

    def contributions(
        self, data: FeatureTable | pd.DataFrame
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Per-feature log-odds contributions and base values (see
        :meth:`LeadScoreClassifier.contributions`)."""
        return self.estimator.contributions(self._X(data))

    def meta(self) -> dict[str, Any]:
        """What the registry writes to ``meta.json``."""
        from leadscore.predict.snapshots import DAY_US
        from leadscore.timeutil import iso

        window = None
        if self.snapshots_us:
            lookback = self.plan.options.lookback_days * DAY_US
            window = {
                "from": iso(min(self.snapshots_us) - lookback),
                "to": iso(max(self.snapshots_us) + (self.horizon_days or 0) * DAY_US),
            }
        return {
            "model_id": self.model_id,
            "kind": self.kind,
            "created_at": iso(self.created_at_us),
            "created_at_us": self.created_at_us,
            "horizon_days": self.horizon_days,
            "snapshots": [iso(s) for s in self.snapshots_us],
            "training_window": window,
            "fingerprint": self.fingerprint,
            "seed": self.seed,
            "metrics": self.report.metrics,
            "report": self.report.as_dict(),
            "plan": self.plan.as_dict(),
            "estimator_params": {k: v for k, v in self.estimator.get_params().items() if _plain(v)},
        }


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))
