"""Predictive models as scorers: a probability of converting, as of T, for each lead.

:class:`ProbabilityScorer` adapts any point-in-time prediction function to the scorer protocol,
so backtests, comparisons, thresholds and drift treat trained models and rule models alike;
with probabilities, Brier, log loss, ECE and the calibration table apply as well.

:func:`resolve_predictive` finds a trained model in the workspace's registry
(:mod:`leadscore.predict.registry`) by its id, or the active one as ``predictive``, and adapts
it with :func:`scorer_from_trained` (its ``features_for`` and ``predict_proba``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from leadscore.evaluate.scorers import ScorerInfo

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from leadscore.evaluate.scorers import Scorer
    from leadscore.store.base import Store
    from leadscore.store.workspace import Workspace

PREDICTIVE = "predictive"  # the workspace's active trained model
MODEL_ID_PREFIX = "pm-"  # the registry's model ids
# (store, as_of_us, population table) -> DataFrame with contact_id and probability (0..1), and
# optionally grade and stage; it must read only what was known at as_of_us.
Predict = Callable[["Store", int, str], "pd.DataFrame"]


class ProbabilityScorer:
    """A scorer from a prediction function; the probability is also the ranking score."""

    def __init__(
        self,
        name: str,
        predict: Predict,
        source: str = "",
        grades: Sequence[str] = (),
        stages: Sequence[str] = (),
        horizon_days: float | None = None,
        trained_until_us: int | None = None,
        warnings: Sequence[str] = (),
    ) -> None:
        self.predict = predict
        self.info = ScorerInfo(
            name=name,
            kind="predictive",
            source=source or name,
            probabilities=True,
            grades=tuple(grades),
            stages=tuple(stages),
            horizon_days=horizon_days,
            trained_until_us=trained_until_us,
            warnings=tuple(warnings),
        )

    def score(self, store: Store, as_of_us: int, population: str) -> pd.DataFrame:
        from leadscore.errors import LeadscoreError

        out = self.predict(store, as_of_us, population).copy()
        if "probability" not in out.columns or "contact_id" not in out.columns:
            raise LeadscoreError(
                f"model '{self.info.name}' returned no contact_id and probability columns"
            )
        probability = out["probability"].astype("float64")
        if len(probability) and not probability.between(0.0, 1.0).all():
            raise LeadscoreError(f"model '{self.info.name}' returned probabilities outside 0..1")
        out["probability"] = probability
        out["score"] = probability
        for column in ("grade", "stage"):
            if column not in out.columns:
                out[column] = None
        return out


class TrainedLike(Protocol):
    """What a trained model of :mod:`leadscore.predict` offers (``TrainedModel``): its
    features for a store's contacts as of a time, and calibrated probabilities for them."""

    model_id: str | None
    horizon_days: int | None
    snapshots_us: list[int]

    def features_for(
        self,
        source: Any,
        as_of_us: int | None = None,
        contact_ids: Sequence[str] | None = None,
        id_column: str | None = None,
    ) -> Any: ...

    def predict_proba(self, data: Any) -> npt.NDArray[np.float64]: ...


def scorer_from_trained(
    model: TrainedLike,
    name: str | None = None,
    bands: Sequence[tuple[int, int]] = (),
    warnings: Sequence[str] = (),
) -> ProbabilityScorer:
    """A trained model as a scorer: its probability of converting within its horizon.

    ``bands``: ranges of the predictive score ``round(100 x probability)`` (such as
    ``(75, 100)``) that become the leads' grades, so conversion by grade and the top grade of a
    comparison apply to predictive models too.
    """
    ordered = sorted(bands, reverse=True)  # best first
    labels = [f"{lo}-{hi}" for lo, hi in ordered]

    def predict(store: Store, as_of_us: int, population: str) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        query = f"SELECT contact_id FROM {population} ORDER BY contact_id"
        ids = [str(r["contact_id"]) for r in store.rows(query)]
        if not ids:
            return pd.DataFrame({"contact_id": [], "probability": [], "grade": []})
        table = model.features_for(store, as_of_us, ids)
        probability = np.asarray(model.predict_proba(table), dtype=np.float64)
        out = pd.DataFrame({"contact_id": table.contact_id, "probability": probability})
        if ordered:
            score = np.floor(100.0 * np.clip(probability, 0.0, 1.0) + 0.5)
            grade = np.full(len(score), None, dtype=object)
            for (lo, hi), label in zip(ordered, labels, strict=True):
                grade[(score >= lo) & (score <= hi)] = label
            out["grade"] = grade
        return out

    label = name or model.model_id or "predictive"
    trained_until = None
    if model.snapshots_us and model.horizon_days is not None:
        trained_until = max(model.snapshots_us) + int(model.horizon_days * 86_400_000_000)
    return ProbabilityScorer(
        label,
        predict,
        source=model.model_id or label,
        grades=labels,
        horizon_days=model.horizon_days,
        trained_until_us=trained_until,
        warnings=warnings,
    )


def resolve_predictive(
    spec: str, workspace: Workspace | None, store: Store | None
) -> Scorer | None:
    """``predictive`` (the workspace's active trained model) or a saved model's id, from the
    registry of :mod:`leadscore.predict`; None for any other text."""
    if workspace is None:
        return None
    from leadscore.predict import registry
    from leadscore.predict.scoring import BANDS

    if spec == PREDICTIVE:
        model = registry.load_model(workspace)  # the active one; says so when there is none
    elif spec.startswith(MODEL_ID_PREFIX) or (registry.models_dir(workspace) / spec).is_dir():
        model = registry.load_model(workspace, spec)  # an unknown id: "did you mean"
    else:
        return None
    model_id = model.model_id or spec
    return scorer_from_trained(
        model, bands=BANDS, warnings=registry.version_warnings(workspace, model_id)
    )
