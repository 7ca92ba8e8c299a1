"""What the API reads: a lead with its score and reasons, the list of leads, score history,
alerts. Plain functions over a store that return plain dicts in the API's shape (no storage
column names leak: the per-rule columns of the score table become a breakdown)."""

from __future__ import annotations

import json
import re
import threading
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.timeutil import iso

if TYPE_CHECKING:
    from leadscore.model.spec import Model
    from leadscore.service.predictions import Explainer
    from leadscore.service.runtime import Runtime
    from leadscore.store.base import Store

REASONS = 3
SORTS = {
    "-total": "s.total DESC, s.contact_id",
    "total": "s.total ASC, s.contact_id",
    "contact_id": "s.contact_id",
    "-contact_id": "s.contact_id DESC",
    # leads without a predictive score come last either way
    "-predictive": "p.probability DESC NULLS LAST, s.contact_id",
    "predictive": "p.probability ASC NULLS LAST, s.contact_id",
}
_RUN_VERSION = re.compile(r"v(\d+)")


def _iso(us: Any) -> str | None:
    return None if us is None else iso(int(us))


class ScoredModels:
    """The model version behind a stored score row (the active one, or the one before a publish
    that is being replaced right now), loaded once per version."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self._loaded: dict[int, tuple[str, Model]] = {}
        self._lock = threading.Lock()

    def _version(self, store: Store, number: int) -> tuple[str, Model] | None:
        from leadscore.service import versions

        with self._lock:
            found = self._loaded.get(number)
        if found is None:
            try:
                version = versions.get_version(store, number)
            except LeadscoreError:
                return None
            found = (version.model_hash, version.load())
            with self._lock:
                self._loaded[number] = found
        return found

    def for_row(self, store: Store, row: dict[str, Any]) -> tuple[int | None, Model]:
        active = self.runtime.active
        digest = row.get("model_hash")
        match = _RUN_VERSION.fullmatch(str(row.get("run_id") or ""))
        if match and int(match.group(1)) == active.version and digest == active.model_hash:
            return active.version, active.model
        if match:
            found = self._version(store, int(match.group(1)))
            if found is not None and found[0] == digest:
                return int(match.group(1)), found[1]
        if digest == active.model_hash:
            return active.version, active.model
        number = store.scalar(
            "SELECT max(version) FROM model_versions WHERE model_hash = ?", [digest]
        )
        found = self._version(store, int(number)) if number is not None else None
        if found is None:
            raise LeadscoreError("the stored score comes from a model this workspace does not hold")
        return int(number), found[1]


def _reason(line: Any) -> dict[str, Any]:
    return {"rule": line.rule_id, "points": line.points, "why": line.happened}


def score_view(store: Store, models: ScoredModels, row: dict[str, Any]) -> dict[str, Any]:
    """A stored score row as the API shows it: scores, grades, breakdown and reasons."""
    from leadscore.scoring.breakdown import from_row

    version, model = models.for_row(store, row)
    breakdown = from_row(model, row)
    positive, negative = breakdown.reasons(REASONS)
    return {
        "model_version": version,
        "model_name": model.name,
        "as_of": _iso(row.get("as_of_us")),
        "total": breakdown.total,
        "total_raw": breakdown.total_raw,
        "grade": breakdown.grade,
        "stage": breakdown.stage,
        "matrix": breakdown.matrix,
        "scores": {line.name: line.value for line in breakdown.scores},
        "grades": breakdown.grades,
        "breakdown": [line.as_dict() for line in breakdown.scores],
        "reasons": {
            "positive": [_reason(r) for r in positive],
            "negative": [_reason(r) for r in negative],
        },
        "next_change": _iso(row.get("next_change_us")),
    }


def contact_detail(store: Store, models: ScoredModels, contact_id: str) -> dict[str, Any] | None:
    """A contact with its current score (``None`` before its first scoring), or ``None`` when
    there is no such contact."""
    from leadscore.values import from_json

    rows = store.rows(
        "SELECT contact_id, account_id, created_at_us, updated_at_us, attributes FROM contacts "
        "WHERE contact_id = ?",
        [contact_id],
    )
    if not rows:
        return None
    contact = rows[0]
    scored = store.rows("SELECT * FROM scores WHERE contact_id = ?", [contact_id])
    return {
        "contact_id": contact["contact_id"],
        "account_id": contact["account_id"],
        "created_at": _iso(contact["created_at_us"]),
        "updated_at": _iso(contact["updated_at_us"]),
        "attributes": from_json(contact["attributes"]),
        "score": score_view(store, models, scored[0]) if scored else None,
        "predictive": _predictive(store, [contact_id]).get(contact_id),
    }


def _predictive(store: Store, contact_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored predictive scores of these contacts (none when the workspace has none)."""
    from leadscore.service import predictions

    return predictions.for_contacts(store, contact_ids) if predictions.ready(store) else {}


def contact_prediction(
    store: Store, explainer: Explainer, contact_id: str
) -> dict[str, Any] | None:
    """A contact's stored predictive score and its top factors (explained on demand), or
    ``None`` when there is no such contact."""
    if not contact_exists(store, contact_id):
        return None
    found = explainer.explain(store, contact_id)
    explanation = found["explanation"] or {}
    return {
        "contact_id": contact_id,
        "available": found["available"],
        "reason": found["reason"],
        "predictive": _predictive(store, [contact_id]).get(contact_id),
        "positive": explanation.get("positive", []),
        "negative": explanation.get("negative", []),
    }


def contact_exists(store: Store, contact_id: str) -> bool:
    return bool(store.scalar("SELECT count(*) FROM contacts WHERE contact_id = ?", [contact_id]))


def list_contacts(
    store: Store,
    models: ScoredModels,
    *,
    grade: list[str] | None = None,
    stage: list[str] | None = None,
    min_score: float | None = None,
    account: str | None = None,
    min_predictive: int | None = None,
    sort: str = "-total",
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """Scored contacts matching the filters, in ``sort`` order: one page and the total count."""
    from leadscore.scoring.breakdown import from_row, reasons_text

    if sort not in SORTS:
        raise LeadscoreError(f"sort must be one of {', '.join(SORTS)} (got {sort!r})")
    clauses: list[str] = []
    params: list[Any] = []
    for column, values in (("s.grade", grade), ("s.stage", stage)):
        if values:
            clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params += values
    for test, value in (
        ("s.total >= ?", min_score),
        ("s.account_id = ?", account),
        ("p.score >= ?", min_predictive),
    ):
        if value is not None:
            clauses.append(test)
            params.append(value)
    from leadscore.service import predictions

    has_predictions = predictions.ready(store)
    source = "scores s"
    if sort.endswith("predictive") or min_predictive is not None:
        if not has_predictions:
            raise LeadscoreError(
                "this workspace has no predictive scores to sort or filter by yet; "
                "run `leadscore predict` first"
            )
        source += f" LEFT JOIN {predictions.TABLE} p ON p.contact_id = s.contact_id"
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    total = int(store.scalar(f"SELECT count(*) FROM {source}{where}", params))
    rows = store.rows(
        f"SELECT s.* FROM {source}{where} ORDER BY {SORTS[sort]} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    items = []
    for row in rows:
        _, model = models.for_row(store, row)
        breakdown = from_row(model, row)
        items.append(
            {
                "contact_id": breakdown.id,
                "account_id": row.get("account_id"),
                "total": breakdown.total,
                "grade": breakdown.grade,
                "stage": breakdown.stage,
                "matrix": breakdown.matrix,
                "scores": {line.name: line.value for line in breakdown.scores},
                "reasons": reasons_text(breakdown),
                "as_of": _iso(row.get("as_of_us")),
            }
        )
    ids = [str(item["contact_id"]) for item in items]
    predicted = predictions.for_contacts(store, ids) if has_predictions else {}
    for item in items:
        found = predicted.get(str(item["contact_id"]))
        item["predictive_score"] = None if found is None else found["score"]
    return items, total


def contact_history(
    store: Store, contact_id: str, offset: int = 0, limit: int = 100
) -> tuple[list[dict[str, Any]], int]:
    """Every recorded change of a contact's score, newest first, with its cause."""
    total = int(
        store.scalar("SELECT count(*) FROM score_history WHERE contact_id = ?", [contact_id])
    )
    rows = store.rows(
        "SELECT * FROM score_history WHERE contact_id = ? ORDER BY at_us DESC, seq DESC "
        "LIMIT ? OFFSET ?",
        [contact_id, limit, offset],
    )
    items = [
        {
            "at": iso(int(r["at_us"])),
            "cause": r["cause"],
            "model_version": r["model_version"],
            "old": {"total": r["old_total"], "grade": r["old_grade"], "stage": r["old_stage"]},
            "new": {"total": r["total"], "grade": r["grade"], "stage": r["stage"]},
        }
        for r in rows
    ]
    return items, total


def recent_alerts(
    store: Store, contact_id: str | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[dict[str, Any]], int]:
    """Alerts (grade and stage transitions), newest first: the payloads webhooks receive."""
    where, params = ("", []) if contact_id is None else (" WHERE contact_id = ?", [contact_id])
    total = int(store.scalar(f"SELECT count(*) FROM alerts{where}", params))
    rows = store.rows(
        f"SELECT payload FROM alerts{where} ORDER BY at_us DESC, alert_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [json.loads(r["payload"]) for r in rows], total
