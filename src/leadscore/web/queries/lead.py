"""One lead: who they are, why they have their score (every rule in a sentence, adding up to
the score, with the bounds), how the score moved (score history) and what they did (events,
newest first, paged by keyset)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.timeutil import iso

if TYPE_CHECKING:
    from leadscore.model.spec import EntitySection, Model
    from leadscore.scoring.breakdown import Breakdown, RuleLine, ScoreLine
    from leadscore.service.reads import ScoredModels
    from leadscore.store.base import Store

EVENTS_PAGE = 20
HISTORY_POINTS = 500


def _rule(line: RuleLine) -> dict[str, Any]:
    from leadscore.compile.explain import humanise

    rule = line.rule
    decays = getattr(rule, "half_life", None) is not None
    explanation = line.happened
    each = getattr(rule, "count", None) == "each"
    return {
        "rule": line.rule_id,
        "description": getattr(rule, "description", None),
        "kind": line.kind,
        "points": line.points,
        "matched": line.matched,
        "counted": line.counted,
        "counts": "each" if each else ("once" if line.kind == "event" else None),
        "capped": each and line.counted < line.matched,
        "weight": line.weight if decays else None,
        "explanation": explanation,
        "found": explanation.removeprefix(humanise(line.rule_id) + ": "),
        "rule_text": line.sentence,
    }


def _bounds_text(value: float, raw: float, low: float | None, high: float | None) -> str | None:
    from leadscore.values import fmt_number

    if value == raw:
        return None
    if high is not None and raw > high:
        return f"capped at the maximum of {fmt_number(high)} ({fmt_number(value - raw)})"
    if low is not None and raw < low:
        return f"raised to the minimum of {fmt_number(low)} (+{fmt_number(value - raw)})"
    return f"bounded to {fmt_number(value)}"


def _score(line: ScoreLine, description: str | None) -> dict[str, Any]:
    from leadscore.values import fmt_number

    rules = [_rule(r) for r in line.rules]
    return {
        "name": line.name,
        "description": description,
        "value": line.value,
        "raw": line.raw,
        "min": line.min,
        "max": line.max,
        "fired": [r for r in rules if r["points"] != 0],
        "idle": [r for r in rules if r["points"] == 0],
        "adjustments": [
            {
                "group": group,
                "points": points,
                "text": f"the {group} rules together are capped: {fmt_number(points)}",
            }
            for group, points in line.adjustments.items()
            if points != 0
        ],
        "bounding": line.bounding,
        "bounding_text": _bounds_text(line.value, line.raw, line.min, line.max),
        "adds_up": line.adds_up(),
    }


def grade_sentence(section: EntitySection, breakdown: Breakdown) -> str | None:
    """Why the lead has its grade: ``hot: total 72 is at least 60``."""
    from leadscore.values import fmt_number

    def value_of(score: str) -> float:
        if score == "total":
            return breakdown.total
        return next(s.value for s in breakdown.scores if s.name == score)

    def band_text(grading_name: str) -> str:
        grading = section.grades[grading_name]
        label = breakdown.grades.get(grading_name)
        value = value_of(grading.score)
        labels = grading.labels()
        if label not in labels:
            return f"{grading.score} {fmt_number(value)}"
        index = labels.index(label)
        band = grading.bands[index]
        parts = [f"{grading.score} {fmt_number(value)}"]
        if band.min is not None:
            parts.append(f"is at least {fmt_number(band.min)}")
        if index > 0:
            upper = grading.bands[index - 1]
            joiner = "and" if band.min is not None else "is"
            parts.append(f"{joiner} below {fmt_number(upper.min or 0)} ({upper.grade})")
        return " ".join(parts)

    primary = section.primary()
    if primary is None or breakdown.grade is None:
        return None
    if primary == "matrix" and section.matrix is not None:
        rows, columns = section.matrix.rows, section.matrix.columns
        return (
            f"{breakdown.grade}: {band_text(rows)} ({breakdown.grades.get(rows)}), "
            f"{band_text(columns)} ({breakdown.grades.get(columns)})"
        )
    return f"{breakdown.grade}: {band_text(primary)}"


def why(model: Model, breakdown: Breakdown) -> dict[str, Any]:
    """The score's reasons, in the order they add up: each named score's rules, group caps
    and bounds; then the total from the named scores; then the grade."""
    from leadscore.values import fmt_number

    weights = model.total_weights()
    parts: list[dict[str, Any]] = [
        {
            "score": line.name,
            "weight": weights[line.name],
            "value": line.value,
            "points": weights[line.name] * line.value,
        }
        for line in breakdown.scores
        if line.name in weights
    ]
    low = model.total.min if model.total is not None else None
    high = model.total.max if model.total is not None else None
    return {
        "scores": [_score(line, model.scores[line.name].description) for line in breakdown.scores],
        "total": {
            "value": breakdown.total,
            "raw": breakdown.total_raw,
            "parts": parts,
            "formula": " + ".join(
                f"{fmt_number(p['weight'])} × {p['score']}" if p["weight"] != 1 else p["score"]
                for p in parts
            ),
            "bounding_text": _bounds_text(breakdown.total, breakdown.total_raw, low, high),
        },
        "grade": {
            "grade": breakdown.grade,
            "stage": breakdown.stage,
            "matrix": breakdown.matrix,
            "grades": breakdown.grades,
            "sentence": grade_sentence(model, breakdown),
        },
    }


def lead(store: Store, models: ScoredModels, contact_id: str) -> dict[str, Any] | None:
    """The lead's attributes and scores with their reasons; ``None`` when there is no such
    contact (``score`` is ``None`` before the first scoring)."""
    from leadscore.scoring.breakdown import from_row
    from leadscore.values import from_json
    from leadscore.web.queries.people import person_view

    rows = store.rows(
        "SELECT contact_id, account_id, created_at_us, updated_at_us, attributes FROM contacts "
        "WHERE contact_id = ?",
        [contact_id],
    )
    if not rows:
        return None
    contact = rows[0]
    scored = store.rows("SELECT * FROM scores WHERE contact_id = ?", [contact_id])
    score = None
    if scored:
        version, model = models.for_row(store, scored[0])
        breakdown = from_row(model, scored[0])
        score = {
            "model_version": version,
            "model_name": model.name,
            "as_of": iso(breakdown.as_of_us) if breakdown.as_of_us is not None else None,
            "total": breakdown.total,
            "grade": breakdown.grade,
            "stage": breakdown.stage,
            "matrix": breakdown.matrix,
            "scores": {line.name: line.value for line in breakdown.scores},
            "why": why(model, breakdown),
        }
    created = contact["created_at_us"]
    return {
        "contact_id": contact["contact_id"],
        **person_view(contact["attributes"]),
        "account_id": contact["account_id"],
        "created_at": iso(int(created)) if created is not None else None,
        "attributes": from_json(contact["attributes"]),
        "score": score,
    }


def history(store: Store, contact_id: str, limit: int = HISTORY_POINTS) -> list[dict[str, Any]]:
    """The last ``limit`` recorded changes of the lead's score, oldest first."""
    rows = store.rows(
        "SELECT at_us, cause, total, grade, stage, old_total FROM score_history "
        "WHERE contact_id = ? ORDER BY at_us DESC, seq DESC LIMIT ?",
        [contact_id, limit],
    )
    rows.reverse()
    return [
        {
            "at": iso(int(r["at_us"])),
            "cause": r["cause"],
            "total": r["total"],
            "old_total": r["old_total"],
            "grade": r["grade"],
            "stage": r["stage"],
        }
        for r in rows
    ]


def _event_cursor(ts_us: int, event_id: str) -> str:
    text = json.dumps([ts_us, event_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _parse_event_cursor(text: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
        ts_us, event_id = json.loads(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise LeadscoreError("the events link is damaged; open the lead again") from None
    if not isinstance(ts_us, int) or not isinstance(event_id, str):
        raise LeadscoreError("the events link is damaged; open the lead again")
    return ts_us, event_id


def events(
    store: Store, contact_id: str, before: str | None = None, limit: int = EVENTS_PAGE
) -> dict[str, Any]:
    """A page of the lead's events, newest first: ``items`` and ``next`` (the cursor of the
    following, older page, or ``None``)."""
    from leadscore.compile.explain import humanise
    from leadscore.values import from_json

    where = "contact_id = ?"
    params: list[Any] = [contact_id]
    if before:
        ts_us, event_id = _parse_event_cursor(before)
        where += " AND (ts_us < ? OR (ts_us = ? AND event_id < ?))"
        params += [ts_us, ts_us, event_id]
    rows = store.rows(
        f"SELECT event_id, type, ts_us, properties FROM events WHERE {where} "
        "ORDER BY ts_us DESC, event_id DESC LIMIT ?",
        [*params, limit + 1],
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        {
            "event_id": r["event_id"],
            "type": r["type"],
            "label": humanise(str(r["type"])).capitalize(),
            "at": iso(int(r["ts_us"])),
            "properties": from_json(r["properties"]),
        }
        for r in rows
    ]
    last = rows[-1] if rows else None
    cursor = _event_cursor(int(last["ts_us"]), str(last["event_id"])) if more and last else None
    return {"items": items, "next": cursor}
