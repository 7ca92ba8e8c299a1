"""Score history and alerts, written in the same transaction as the scores they describe.

History keeps every change of a lead's score with its cause: ``event`` (new events),
``attributes`` (the contact changed), ``model`` (a model version was published) and ``time``
(decay, expiry, inactivity). Time moves scores continuously, so for ``time`` a row is written
when the grade or stage changes or the score crosses a whole point.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from leadscore.store.base import IN_LIST

if TYPE_CHECKING:
    from leadscore.model.spec import Model
    from leadscore.scoring.incremental import Change
    from leadscore.store.base import Store


def record_changes(
    store: Store,
    changes: Iterable[Change],
    causes: dict[str, str] | str,
    at_us: int,
    version: int | None,
    seq: int,
) -> int:
    """Insert one history row per change; return the next sequence number."""
    rows: list[Sequence[Any]] = []
    for change in changes:
        cause = causes if isinstance(causes, str) else causes.get(change.contact_id, "event")
        rows.append(
            [
                change.contact_id,
                at_us,
                seq,
                cause,
                version,
                change.new_total,
                change.new_grade,
                change.new_stage,
                change.old_total,
                change.old_grade,
                change.old_stage,
            ]
        )
        seq += 1
    _append(store, "score_history", rows)
    return seq


def _append(store: Store, table: str, rows: list[Sequence[Any]]) -> None:
    """Insert ``rows`` (tuples in the table's column order) in one append."""
    if not rows:
        return
    import pyarrow as pa

    from leadscore.store.schema import column_names

    columns = list(zip(*rows, strict=True))
    store.append_arrow(table, pa.table(dict(zip(column_names(table), columns, strict=True))))


def record_time_changes(
    store: Store, changed: str, at_us: int, version: int | None, seq: int
) -> int:
    """History rows for a refresh: new leads, grade/stage changes and whole-point crossings,
    as the refresh found them (``changed``: see ``Update.changed_table``)."""
    store.execute(
        "INSERT INTO score_history (contact_id, at_us, seq, cause, model_version, total, grade, "
        "stage, old_total, old_grade, old_stage) "
        "SELECT contact_id, ?, ? + row_number() OVER (ORDER BY contact_id), 'time', ?, "
        f"total, grade, stage, old_total, old_grade, old_stage FROM {changed}",
        [at_us, seq, version],
    )
    return int(store.scalar("SELECT coalesce(max(seq), 0) + 1 FROM score_history"))


def direction(model: Model, change: Change) -> str:
    """``up``, ``down`` or ``new`` by the primary grading's order (best band first)."""
    if change.old_grade is None and change.old_total is None:
        return "new"
    primary = model.primary()
    if primary and primary != "matrix" and primary in model.grades:
        labels = model.grades[primary].labels()
        known = change.old_grade in labels and change.new_grade in labels
        if known and labels.index(str(change.new_grade)) != labels.index(str(change.old_grade)):
            better = labels.index(str(change.new_grade)) < labels.index(str(change.old_grade))
            return "up" if better else "down"
    return "up" if change.new_total >= (change.old_total or 0.0) else "down"


def create_alerts(
    store: Store,
    model: Model,
    workspace: str,
    changes: list[Change],
    causes: dict[str, str] | str,
    at_us: int,
    scores: str = "scores",
) -> list[dict[str, Any]]:
    """One alert per grade or stage transition, with the lead's top reasons (read from the
    new score rows in ``scores``); returns them."""
    from leadscore.scoring.breakdown import RowReasons
    from leadscore.scoring.slices import id_filter
    from leadscore.timeutil import iso

    moved = [c for c in changes if c.grade_changed and c.old_grade is not None]
    if not moved:
        return []
    from leadscore.compile.naming import score_col
    from leadscore.values import from_json

    ids = [c.contact_id for c in moved]
    scored = {
        r["contact_id"]: r
        for r in store.rows(f"SELECT * FROM {scores} WHERE contact_id IN {IN_LIST}", [ids])
    }
    test, params = id_filter("contact_id", ids, store.dialect)
    people = {
        r["contact_id"]: r
        for r in store.rows(
            f"SELECT contact_id, account_id, attributes FROM contacts WHERE {test}", params
        )
    }
    reasons_of = RowReasons(model)
    alerts: list[dict[str, Any]] = []
    rows: list[Sequence[Any]] = []
    for change in moved:
        row = scored.get(change.contact_id)
        reasons: list[dict[str, Any]] = []
        if row is not None:
            positive, negative = reasons_of(row, 3)
            reasons = [
                {"rule": r.rule_id, "points": r.points, "why": r.happened}
                for r in [*positive, *negative]
            ]
        cause = causes if isinstance(causes, str) else causes.get(change.contact_id, "event")
        person = people.get(change.contact_id, {})
        contact = {
            "contact_id": change.contact_id,
            "account_id": person.get("account_id"),
            "attributes": from_json(person.get("attributes")),
            "scores": {n: row[score_col(n)] for n in model.scores} if row else {},
        }
        alert_id = uuid.uuid4().hex
        payload = {
            "alert_id": alert_id,
            "type": "lead.grade_changed",
            "workspace": workspace,
            "contact_id": change.contact_id,
            "contact": contact,
            "at": iso(at_us),
            "cause": cause,
            "direction": direction(model, change),
            "old": {
                "grade": change.old_grade,
                "stage": change.old_stage,
                "total": change.old_total,
            },
            "new": {
                "grade": change.new_grade,
                "stage": change.new_stage,
                "total": change.new_total,
            },
            "reasons": reasons,
        }
        rows.append(
            (
                alert_id,
                change.contact_id,
                at_us,
                cause,
                change.old_grade,
                change.new_grade,
                change.old_stage,
                change.new_stage,
                change.new_total,
                json.dumps(payload, ensure_ascii=False),
            )
        )
        alerts.append(payload)
    _append(store, "alerts", rows)
    return alerts
