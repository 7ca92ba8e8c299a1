"""Score entities as of T by the book (see docs/model-spec.md, "Semantics")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from leadscore.compile.naming import GRADE_EPSILON, adj_col, grade_col, raw_col, rule_col, score_col
from leadscore.model.spec import (
    AttributeRule,
    EntitySection,
    EventRule,
    InactivityRule,
    Model,
    RollupRule,
    us,
)
from leadscore.records import Account, Contact, Deal, Event
from leadscore.reference.predicates import holds
from leadscore.timeutil import UNIT_US

Row = dict[str, Any]


def _bucket(ts_us: int, per: str) -> int:
    if per == "week":
        return (ts_us + 3 * UNIT_US["d"]) // (7 * UNIT_US["d"])
    return ts_us // (UNIT_US["h"] if per == "hour" else UNIT_US["d"])


def _decay(age_us: int, half_life_us: int) -> float:
    return float(0.5 ** (age_us / half_life_us))


def _selected(
    events: Iterable[Event], types: Sequence[str] | None, where: Any, window_us: int | None, t: int
) -> list[Event]:
    out = []
    for e in events:
        if e.ts_us > t:
            continue
        if types is not None and e.type not in types:
            continue
        if window_us is not None and not (t - e.ts_us < window_us):
            continue
        if where is not None and not holds(where, e.properties):
            continue
        out.append(e)
    return out


def _event_rule(rule: EventRule, events: list[Event], t: int) -> tuple[int, int, float]:
    chosen = _selected(events, rule.event, rule.where, us(rule.within), t)
    matched = len(chosen)
    if matched < rule.min_count:
        return matched, 0, 0.0
    half_life = us(rule.half_life)
    if rule.count == "once":
        if not chosen:
            return matched, 0, 0.0
        latest = max(e.ts_us for e in chosen)
        return matched, 1, (_decay(t - latest, half_life) if half_life else 1.0)
    pool = sorted(chosen, key=lambda e: e.ts_us, reverse=True)
    if rule.cap is not None:
        per_bucket: dict[int, int] = defaultdict(int)
        kept = []
        for e in pool:  # most recent first
            b = _bucket(e.ts_us, rule.cap.per)
            if per_bucket[b] < rule.cap.max:
                per_bucket[b] += 1
                kept.append(e)
        pool = kept
    if rule.max_times is not None:
        pool = pool[: rule.max_times]
    if half_life is None:
        return matched, len(pool), float(len(pool))
    return matched, len(pool), sum(_decay(t - e.ts_us, half_life) for e in pool)


def _next_change(
    rule: EventRule | InactivityRule, events: list[Event], contact: Contact, t: int
) -> int | None:
    """When the rule's set of selected events next changes without new events (None: never)."""
    if isinstance(rule, EventRule):
        window = us(rule.within)
        if window is None:
            return None
        chosen = _selected(events, rule.event, rule.where, window, t)
        return min(e.ts_us for e in chosen) + window if chosen else None
    span = us(rule.inactive)
    assert span is not None
    # the oldest event in the span leaves it, or a young contact comes of age
    moments = [e.ts_us + span for e in _selected(events, rule.event, rule.where, span, t)]
    created = contact.created_at_us
    if created is not None and t - created < span:
        moments.append(created + span)
    return min(moments, default=None)


def _inactivity_rule(
    rule: InactivityRule, events: list[Event], created: int | None, t: int
) -> tuple[int, int, float]:
    span = us(rule.inactive)
    assert span is not None
    matched = len(_selected(events, rule.event, rule.where, span, t))
    fires = matched == 0 and (created is None or t - created >= span)
    return matched, int(fires), float(fires)


def _rollup_rule(
    rule: RollupRule, members: list[Row], contact_section: EntitySection
) -> tuple[int, int, float]:
    roll = rule.rollup
    column = "total" if roll.of == "total" else score_col(roll.of)
    if roll.grade is not None:
        allowed = contact_section.grades[roll.grade.grading].at_least(roll.grade.at_least)
        members = [m for m in members if m[grade_col(roll.grade.grading)] in allowed]
    values = [float(m[column]) for m in members]
    n = len(values)
    if roll.agg == "count":
        return n, n, float(n)
    if not values:
        return 0, 0, 0.0
    if roll.agg == "sum":
        return n, n, sum(values)
    if roll.agg == "max":
        return n, n, max(values)
    if roll.agg == "min":
        return n, n, min(values)
    if roll.agg == "mean":
        return n, n, sum(values) / n
    assert roll.k is not None
    top = sorted(values, reverse=True)[: roll.k]
    return n, len(top), sum(top) / len(top)


def _left_sum(parts: Sequence[float]) -> float:
    out = parts[0] if parts else 0.0
    for part in parts[1:]:
        out = out + part
    return out


def _clamp(value: float, low: float | None, high: float | None) -> float:
    if low is not None:
        value = max(value, low)
    if high is not None:
        value = min(value, high)
    return value


def _grade(value: float, bands: Any) -> str:
    for band in bands:
        if band.min is None or value >= band.min - GRADE_EPSILON:
            return str(band.grade)
    return str(bands[-1].grade)


def _finish(section: EntitySection, row: Row, parts: dict[str, tuple[int, int, float]]) -> Row:
    """From each rule's (matched, counted, weight) to scores, total, grades (in place)."""
    points: dict[str, float] = {}
    for _score, rule in section.rules:
        matched, counted, weight = parts[rule.id]
        points[rule.id] = weight * float(rule.points)
        row[rule_col(rule.id, "matched")] = matched
        row[rule_col(rule.id, "counted")] = counted
        row[rule_col(rule.id, "weight")] = weight
        row[rule_col(rule.id, "points")] = points[rule.id]
    scores: dict[str, float] = {}
    for name, score in section.scores.items():
        adjustments = []
        for group, bounds in score.groups.items():
            group_sum = _left_sum([points[r.id] for r in score.rules if r.group == group])
            adjustment = _clamp(group_sum, bounds.min, bounds.max) - group_sum
            row[adj_col(group)] = adjustment
            adjustments.append(adjustment)
        raw = _left_sum([points[r.id] for r in score.rules] + adjustments)
        row[raw_col(name)] = raw
        scores[name] = _clamp(raw, score.min, score.max)
        row[score_col(name)] = scores[name]
    weights = section.total_weights()
    total_raw = _left_sum([w * scores[name] for name, w in weights.items()])
    row["total_raw"] = total_raw
    total = section.total
    row["total"] = _clamp(total_raw, total.min if total else None, total.max if total else None)
    for grading_name, grading in section.grades.items():
        value = row["total"] if grading.score == "total" else scores[grading.score]
        row[grade_col(grading_name)] = _grade(value, grading.bands)
    if section.matrix is not None:
        row["matrix"] = row[grade_col(section.matrix.rows)] + row[grade_col(section.matrix.columns)]
    primary = section.primary()
    row["grade"], row["stage"] = None, None
    if primary == "matrix":
        assert section.matrix is not None
        row["grade"] = row["matrix"]
        for stage, cells in section.matrix.stages.items():
            if row["matrix"] in cells:
                row["stage"] = stage
    elif primary is not None:
        row["grade"] = row[grade_col(primary)]
        for band in section.grades[primary].bands:
            if band.grade == row["grade"]:
                row["stage"] = band.stage
    return row


def evaluate_contacts(
    model: Model, contacts: Iterable[Contact], events: Iterable[Event], as_of_us: int
) -> list[Row]:
    """One row per contact that exists at T, with the compiled query's columns."""
    by_contact: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_contact[event.contact_id].append(event)
    rows = []
    for contact in contacts:
        if contact.created_at_us is not None and contact.created_at_us > as_of_us:
            continue
        mine = by_contact.get(contact.contact_id, [])
        parts: dict[str, tuple[int, int, float]] = {}
        for _score, rule in model.rules:
            if isinstance(rule, AttributeRule):
                hit = int(holds(rule.when, contact.attributes))
                parts[rule.id] = (hit, hit, float(hit))
            elif isinstance(rule, EventRule):
                parts[rule.id] = _event_rule(rule, mine, as_of_us)
            elif isinstance(rule, InactivityRule):
                parts[rule.id] = _inactivity_rule(rule, mine, contact.created_at_us, as_of_us)
        row: Row = {"contact_id": contact.contact_id, "account_id": contact.account_id}
        changes = [
            _next_change(rule, mine, contact, as_of_us)
            for _score, rule in model.rules
            if isinstance(rule, (EventRule, InactivityRule))
        ]
        if any(isinstance(rule, (EventRule, InactivityRule)) for _s, rule in model.rules):
            # an event dated after T changes the score when its time comes
            changes.append(min((e.ts_us for e in mine if e.ts_us > as_of_us), default=None))
        known = [c for c in changes if c is not None]
        row["next_change_us"] = min(known) if known else None
        rows.append(_finish(model, row, parts))
    return rows


def _evaluate_owners(
    section: EntitySection,
    contact_section: EntitySection,
    owners: Iterable[Account | Deal],
    members_of: Mapping[str, list[Row]],
    key: str,
    as_of_us: int,
) -> list[Row]:
    rows = []
    for owner in owners:
        if owner.created_at_us is not None and owner.created_at_us > as_of_us:
            continue
        owner_id = getattr(owner, key)
        members = members_of.get(owner_id, [])
        parts: dict[str, tuple[int, int, float]] = {}
        for _score, rule in section.rules:
            if isinstance(rule, AttributeRule):
                hit = int(holds(rule.when, owner.attributes))
                parts[rule.id] = (hit, hit, float(hit))
            elif isinstance(rule, RollupRule):
                parts[rule.id] = _rollup_rule(rule, members, contact_section)
        row: Row = {key: owner_id, "next_change_us": None}
        if isinstance(owner, Deal):
            row["account_id"] = owner.account_id
        rows.append(_finish(section, row, parts))
    return rows


def evaluate(
    model: Model,
    contacts: Sequence[Contact],
    events: Sequence[Event],
    as_of_us: int,
    accounts: Sequence[Account] = (),
    deals: Sequence[Deal] = (),
) -> dict[str, list[Row]]:
    """Contacts, and accounts and deals when the model scores them."""
    contact_rows = evaluate_contacts(model, contacts, events, as_of_us)
    out = {"contacts": contact_rows}
    by_id = {row["contact_id"]: row for row in contact_rows}
    if model.accounts is not None:
        members: dict[str, list[Row]] = defaultdict(list)
        for row in contact_rows:
            if row["account_id"] is not None:
                members[row["account_id"]].append(row)
        out["accounts"] = _evaluate_owners(
            model.accounts, model, accounts, members, "account_id", as_of_us
        )
    if model.deals is not None:
        deal_members: dict[str, list[Row]] = defaultdict(list)
        for deal in deals:
            for contact_id in dict.fromkeys(deal.contact_ids):
                if contact_id in by_id:
                    deal_members[deal.deal_id].append(by_id[contact_id])
        out["deals"] = _evaluate_owners(
            model.deals, model, deals, deal_members, "deal_id", as_of_us
        )
    return out
