"""Score every contact with a trained model and keep the result next to the rule scores.

:func:`predict_store` writes the ``predictions`` table (one row per contact that exists at T:
``contact_id, probability, score, model_id, as_of_us``), replacing the previous run. The
predictive score is ``round(100 x probability)``. Contacts that had already converted at T are
scored too (the number is then the chance of another conversion as a new lead would have it);
filter them out with the outcomes table when it matters.

:func:`leads_with_predictions` joins the predictions with the stored rule scores, for the lists
and lead pages that show both.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError

if TYPE_CHECKING:
    from leadscore.predict.trained import TrainedModel
    from leadscore.store.base import Store

PREDICTIONS = "predictions"
PREDICTIONS_INDEX = "predictions_contact"  # by contact: pages look up a few leads' scores
COLUMNS = (
    ("contact_id", "VARCHAR NOT NULL"),
    ("probability", "DOUBLE NOT NULL"),
    ("score", "INTEGER NOT NULL"),
    ("model_id", "VARCHAR NOT NULL"),
    ("as_of_us", "BIGINT NOT NULL"),
)
UNSAVED = "unsaved"
BANDS = ((0, 9), (10, 24), (25, 49), (50, 74), (75, 100))


@dataclass
class PredictionRun:
    """What one prediction run did."""

    model_id: str
    as_of_us: int
    rows: int
    mean_probability: float
    bands: dict[str, int] = field(default_factory=dict)  # predictive score band -> contacts
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        from leadscore.timeutil import iso

        return {
            "model_id": self.model_id,
            "as_of": iso(self.as_of_us),
            "rows": self.rows,
            "mean_probability": self.mean_probability,
            "bands": self.bands,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def _arrow(contact_ids: Any, probability: Any, scores: Any, model_id: str, as_of_us: int) -> Any:
    import numpy as np
    import pyarrow as pa

    n = len(contact_ids)
    return pa.table(
        {
            "contact_id": pa.array(np.asarray(contact_ids, dtype=object), pa.string()),
            "probability": pa.array(probability, pa.float64()),
            "score": pa.array(scores.astype(np.int32), pa.int32()),
            "model_id": pa.array([model_id] * n, pa.string()),
            "as_of_us": pa.array(np.full(n, as_of_us, dtype=np.int64), pa.int64()),
        }
    )


def predict_store(store: Store, model: TrainedModel, as_of_us: int | None = None) -> PredictionRun:
    """Score every contact that exists at ``as_of_us`` (default: now) and replace the
    ``predictions`` table with the result."""
    import numpy as np

    from leadscore.predict.trained import to_score
    from leadscore.timeutil import now_us

    t = now_us() if as_of_us is None else int(as_of_us)
    model_id = model.model_id or UNSAVED
    started, cpu = time.perf_counter(), time.process_time()
    table = model.features_for(store, t)
    built, built_cpu = time.perf_counter(), time.process_time()
    probability = model.predict_proba(table)
    scores = to_score(probability)
    predicted, predicted_cpu = time.perf_counter(), time.process_time()
    data = _arrow(table.contact_id, probability, scores, model_id, t)
    columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
    with store.transaction():
        store.drop_table(PREDICTIONS)
        store.execute(f"CREATE TABLE {PREDICTIONS} ({columns})")
        if len(data):
            store.append_arrow(PREDICTIONS, data)
        store.execute(f"CREATE INDEX {PREDICTIONS_INDEX} ON {PREDICTIONS} (contact_id)")
    written = time.perf_counter()
    bands = {f"{lo}-{hi}": int(((scores >= lo) & (scores <= hi)).sum()) for lo, hi in BANDS}
    return PredictionRun(
        model_id=model_id,
        as_of_us=t,
        rows=len(scores),
        mean_probability=float(np.mean(probability)) if len(scores) else float("nan"),
        bands=bands,
        seconds={
            "features": built - started,
            "predict": predicted - built,
            "write": written - predicted,
            "features_cpu": built_cpu - cpu,  # CPU seconds of every thread
            "predict_cpu": predicted_cpu - built_cpu,
        },
    )


def _require(store: Store) -> None:
    if not store.has_table(PREDICTIONS):
        raise LeadscoreError("no predictions yet; run: leadscore predict")


def _ids_clause(contact_ids: Sequence[str]) -> tuple[str, list[Any]]:
    return f"contact_id IN ({', '.join('?' for _ in contact_ids)})", list(contact_ids)


def read_predictions(
    store: Store, contact_ids: Sequence[str] | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Stored predictions (highest probability first), for ``contact_ids`` or all."""
    _require(store)
    sql = f"SELECT {', '.join(c for c, _ in COLUMNS)} FROM {PREDICTIONS}"
    params: list[Any] = []
    if contact_ids is not None:
        if not contact_ids:
            return []
        clause, params = _ids_clause(contact_ids)
        sql += f" WHERE {clause}"
    sql += " ORDER BY probability DESC, contact_id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return store.rows(sql, params)


def leads_with_predictions(
    store: Store, contact_ids: Sequence[str] | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Rule scores and predictive scores side by side.

    With ``contact_ids``: one row per id in that order (a side missing is None, also when
    nothing was predicted yet). Without: the leads with predictions, highest probability first
    (at most ``limit``). Each row has
    ``contact_id``, ``probability``, ``predictive_score``, ``model_id``, ``predicted_as_of_us``
    and, when the contacts have been scored with the rule model, ``total``, ``grade``,
    ``stage``, every named score ``score_<name>`` and ``scored_as_of_us``.
    """
    from leadscore.store.schema import SCORE_TABLES

    if contact_ids is None:
        predictions = read_predictions(store, None, limit)
    elif store.has_table(PREDICTIONS):
        predictions = read_predictions(store, contact_ids)
    else:  # nothing predicted yet: the rule side alone
        predictions = []
    ids = list(contact_ids) if contact_ids is not None else [r["contact_id"] for r in predictions]
    by_id = {r["contact_id"]: r for r in predictions}
    rules: dict[str, dict[str, Any]] = {}
    table = SCORE_TABLES["contacts"]
    if ids and store.has_table(table):
        names = [r["column_name"] for r in _columns(store, table)]
        picked = ["contact_id", "total", "grade", "stage"]
        picked += [n for n in names if n.startswith("score_")]
        if "as_of_us" in names:
            picked.append("as_of_us AS scored_as_of_us")
        clause, params = _ids_clause(ids)
        for found in store.rows(f"SELECT {', '.join(picked)} FROM {table} WHERE {clause}", params):
            rules[found["contact_id"]] = found
    out = []
    for contact_id in ids:
        p = by_id.get(contact_id)
        row: dict[str, Any] = {
            "contact_id": contact_id,
            "probability": p["probability"] if p else None,
            "predictive_score": p["score"] if p else None,
            "model_id": p["model_id"] if p else None,
            "predicted_as_of_us": p["as_of_us"] if p else None,
        }
        rule = rules.get(contact_id, {})
        for key, value in rule.items():
            if key != "contact_id":
                row[key] = value
        out.append(row)
    return out


def _columns(store: Store, table: str) -> list[dict[str, Any]]:
    return store.rows(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    )
