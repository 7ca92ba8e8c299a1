"""Why a lead has its predictive score: the top positive and negative factors in plain words,
such as "pricing page views, last 30 days = 4 (+0.81 log-odds)".

Contributions are on the log-odds scale and add up to the model's calibrated logit:
``base + sum(contributions) = logit`` (exact for the logistic model, where a contribution is
``coef x (value - training mean)``, and for sigmoid-calibrated trees, where they are LightGBM's
TreeSHAP values scaled by the calibration slope).

Cost: for the logistic model one pass over the design matrix (cheap enough for every lead); for
trees TreeSHAP is much dearer than a prediction, so explain on demand: one lead, a list of
leads, or the top-N leads of the last prediction run (see docs/predictive.md for measured
figures).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError

if TYPE_CHECKING:
    from leadscore.predict.dataset import FeatureTable
    from leadscore.predict.featureinfo import FeatureInfo
    from leadscore.predict.trained import TrainedModel
    from leadscore.store.base import Store


@dataclass(frozen=True)
class Factor:
    """One feature's part in one lead's score."""

    feature: str
    label: str
    value: str
    contribution: float  # log-odds

    @property
    def text(self) -> str:
        return f"{self.label} = {self.value} ({self.contribution:+.2f} log-odds)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "label": self.label,
            "value": self.value,
            "contribution": self.contribution,
            "text": self.text,
        }


@dataclass
class Explanation:
    contact_id: str
    probability: float
    score: int
    logit: float
    base: float  # the logit of an average lead
    positive: list[Factor] = field(default_factory=list)  # strongest first
    negative: list[Factor] = field(default_factory=list)  # strongest first
    additive: bool = True  # base + every contribution == logit

    def lines(self) -> list[str]:
        out = [
            f"{self.contact_id}: predictive score {self.score} (probability {self.probability:.1%})"
        ]
        out += [f"  + {f.text}" for f in self.positive]
        out += [f"  - {f.text}" for f in self.negative]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "contact_id": self.contact_id,
            "probability": self.probability,
            "score": self.score,
            "logit": self.logit,
            "base": self.base,
            "positive": [f.as_dict() for f in self.positive],
            "negative": [f.as_dict() for f in self.negative],
            "additive": self.additive,
        }


def value_text(info: FeatureInfo, value: Any) -> str:
    """A feature value for people: the category, a number, or what missing means."""
    from leadscore.values import fmt_number

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return str(info.extra.get("missing", "missing"))
    if info.kind == "attribute_category":
        return str(value)
    if info.kind == "attribute_flag":
        return "yes" if float(value) else "no"
    try:
        return fmt_number(float(value))
    except (TypeError, ValueError):
        return str(value)


@dataclass
class TopFactors:
    """The strongest factors of many leads at once, as arrays (row k is ``contact_id[k]``):
    feature indices into the model's features (-1: none) and their contributions."""

    contact_id: Any
    logit: Any
    base: Any
    positive: Any  # (leads, top) feature indices, strongest first
    positive_contribution: Any
    negative: Any
    negative_contribution: Any
    additive: bool


CHUNK = 100_000  # leads per block: contributions are leads x features float64
FEW_BY_ARGMAX = 8  # top factors found by repeated argmax (see _strongest)


def _strongest(values: Any, k: int) -> Any:
    """Per row, the column indices of the ``k`` largest values, largest first (equal values:
    the lower index first). A few are found by as many passes of ``argmax`` (each a plain scan
    of the rows: 0.18 s for the top 3 of 100,000 rows x 122, against 0.31 s for a partial sort
    of each row); more, by sorting each row."""
    import numpy as np

    k = min(k, values.shape[1])
    if k <= FEW_BY_ARGMAX:
        rows = np.arange(values.shape[0])
        work = values.copy()
        picked = np.empty((values.shape[0], k), dtype=np.int64)
        for i in range(k):
            picked[:, i] = np.argmax(work, axis=1)  # the first of equal values
            work[rows, picked[:, i]] = -np.inf
        return picked
    # a stable sort keeps equal values in index order, also where the top k ends among them
    return np.argsort(-values, axis=1, kind="stable")[:, :k]


def top_factors(model: TrainedModel, table: FeatureTable, top: int = 3) -> TopFactors:
    """Every lead's ``top`` positive and negative factors, vectorised (no Python loop over
    leads) and in blocks of 100,000 leads: affordable for all leads with the logistic model."""
    import numpy as np

    additive = model.kind == "logistic" or model.estimator.calibration == "sigmoid"
    k = min(top, len(model.plan.infos))
    n = len(table)
    out = {
        "logit": np.empty(n),
        "base": np.empty(n),
        "positive": np.full((n, k), -1, dtype=np.int64),
        "positive_contribution": np.zeros((n, k)),
        "negative": np.full((n, k), -1, dtype=np.int64),
        "negative_contribution": np.zeros((n, k)),
    }
    X = table.X[model.plan.names]
    for start in range(0, n, CHUNK):
        block = X.iloc[start : start + CHUNK]
        contrib, base = model.contributions(block)
        part = slice(start, start + len(block))
        out["base"][part] = base
        if additive:
            out["logit"][part] = base + contrib.sum(axis=1)
        else:
            out["logit"][part] = model.estimator.decision_function(block)
        for side, values in (("positive", contrib), ("negative", -contrib)):
            index = _strongest(values, k)
            value = np.take_along_axis(contrib, index, axis=1)
            kept = np.take_along_axis(values, index, axis=1) > 0
            out[side][part] = np.where(kept, index, -1)
            out[f"{side}_contribution"][part] = np.where(kept, value, 0.0)
    return TopFactors(contact_id=table.contact_id, additive=additive, **out)


def explain_table(
    model: TrainedModel, table: FeatureTable, top: int = 3, rows: Sequence[int] | None = None
) -> list[Explanation]:
    """Explanations of ``rows`` of ``table`` (default: all of them)."""
    import numpy as np

    from leadscore.predict.dataset import FeatureTable as Table
    from leadscore.predict.trained import to_score

    picked = np.arange(len(table)) if rows is None else np.asarray(rows, dtype=np.int64)
    part = Table(
        X=table.X.iloc[picked].reset_index(drop=True),
        contact_id=np.asarray(table.contact_id)[picked],
        snapshot_us=None,
        plan=table.plan,
    )
    found = top_factors(model, part, top)
    probability = 1.0 / (1.0 + np.exp(-np.clip(found.logit, -35, 35)))
    scores = to_score(probability)
    infos = model.plan.infos
    columns: dict[int, Any] = {}

    def value(i: int, k: int) -> str:
        if i not in columns:
            column = part.X[infos[i].name]
            columns[i] = column.astype(object).to_numpy()
        return value_text(infos[i], columns[i][k])

    def factors(indices: Any, contributions: Any, k: int) -> list[Factor]:
        return [
            Factor(infos[i].name, infos[i].label, value(i, k), float(c))
            for i, c in zip(indices.tolist(), contributions.tolist(), strict=True)
            if i >= 0
        ]

    return [
        Explanation(
            contact_id=str(part.contact_id[k]),
            probability=float(probability[k]),
            score=int(scores[k]),
            logit=float(found.logit[k]),
            base=float(found.base[k]),
            positive=factors(found.positive[k], found.positive_contribution[k], k),
            negative=factors(found.negative[k], found.negative_contribution[k], k),
            additive=found.additive,
        )
        for k in range(len(part))
    ]


def explain_contacts(
    store: Store, model: TrainedModel, contact_ids: Sequence[str], as_of_us: int, top: int = 3
) -> list[Explanation]:
    """Explain these contacts as of ``as_of_us`` (their features are rebuilt for that time)."""
    table = model.features_for(store, as_of_us, contact_ids=contact_ids)
    found = {str(c) for c in table.contact_id}
    missing = [c for c in contact_ids if c not in found]
    if missing:
        raise LeadscoreError(
            f"no contact {missing[0]!r} existed at that time"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
        )
    by_id = {e.contact_id: e for e in explain_table(model, table, top)}
    return [by_id[c] for c in contact_ids]


def explain_contact(
    store: Store, model: TrainedModel, contact_id: str, as_of_us: int, top: int = 3
) -> Explanation:
    """One lead's predictive score and its top positive and negative factors."""
    return explain_contacts(store, model, [contact_id], as_of_us, top)[0]


def explain_top(store: Store, model: TrainedModel, n: int = 100, top: int = 3) -> list[Explanation]:
    """The ``n`` leads with the highest probability in the ``predictions`` table, explained
    as of that run's time (the run must come from ``model``)."""
    from leadscore.predict.scoring import read_predictions

    rows = read_predictions(store, limit=n)
    if not rows:
        return []
    model_ids = {r["model_id"] for r in rows}
    if model.model_id is not None and model_ids != {model.model_id}:
        raise LeadscoreError(
            f"the stored predictions come from model {sorted(model_ids)[0]}, not "
            f"{model.model_id}; run predictions with this model first"
        )
    as_of = int(rows[0]["as_of_us"])
    return explain_contacts(store, model, [str(r["contact_id"]) for r in rows], as_of, top)


def leads_with_reasons(
    store: Store,
    model: TrainedModel,
    contact_ids: Sequence[str] | None = None,
    limit: int | None = 20,
    top: int = 3,
) -> list[dict[str, Any]]:
    """:func:`~leadscore.predict.scoring.leads_with_predictions` (rule and predictive scores
    side by side) with each predicted lead's ``positive`` and ``negative`` factors, explained on
    demand as of the predictions' time. ``model`` must be the model that made the stored
    predictions."""
    from leadscore.predict.scoring import leads_with_predictions

    rows = leads_with_predictions(store, contact_ids, limit)
    predicted = [r for r in rows if r["probability"] is not None]
    made_by = {r["model_id"] for r in predicted}
    if model.model_id is not None and made_by - {model.model_id}:
        raise LeadscoreError(
            f"the stored predictions come from model {sorted(made_by)[0]}, not "
            f"{model.model_id}; run predictions with this model first"
        )
    explained: dict[str, Explanation] = {}
    if predicted:
        as_of = int(predicted[0]["predicted_as_of_us"])
        ids = [str(r["contact_id"]) for r in predicted]
        explained = {e.contact_id: e for e in explain_contacts(store, model, ids, as_of, top)}
    for row in rows:
        e = explained.get(str(row["contact_id"]))
        row["positive"] = [f.as_dict() for f in e.positive] if e else []
        row["negative"] = [f.as_dict() for f in e.negative] if e else []
    return rows
