"""Snapshot times for point-in-time training sets, and which of them can be trained on.

A snapshot ``s`` asks: "knowing only what happened up to ``s``, who converts in the next ``H``
days?". Its label is only complete when the data cover ``(s, s + H]``, so a snapshot whose
horizon ends after the last recorded activity is left out of training (a note says which).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from leadscore.errors import LeadscoreError
from leadscore.timeutil import iso

if TYPE_CHECKING:
    from leadscore.store.base import Store

DAY_US = 86_400_000_000


@dataclass(frozen=True)
class DataSpan:
    """The time covered by a store's data (``None`` when it holds no events or outcomes)."""

    first_us: int | None  # earliest event (without events: outcome or contact creation)
    last_us: int | None  # latest event or outcome: the data are taken as complete up to here


def data_span(store: Store) -> DataSpan:
    row = store.rows(
        "SELECT (SELECT min(ts_us) FROM events) AS e0, (SELECT max(ts_us) FROM events) AS e1, "
        "(SELECT min(ts_us) FROM outcomes) AS o0, (SELECT max(ts_us) FROM outcomes) AS o1, "
        "(SELECT min(created_at_us) FROM contacts) AS c0"
    )[0]
    # history starts with the first event (contacts may have been created long before)
    first_keys = ("e0",) if row["e0"] is not None else ("o0", "c0")
    firsts = [int(row[k]) for k in first_keys if row[k] is not None]
    lasts = [int(v) for k, v in row.items() if k in ("e1", "o1") and v is not None]
    return DataSpan(min(firsts) if firsts else None, max(lasts) if lasts else None)


@dataclass
class SnapshotPlan:
    """The snapshots trained on, the ones left out and why."""

    used: list[int]
    dropped: list[int] = field(default_factory=list)
    observed_until_us: int | None = None
    notes: list[str] = field(default_factory=list)


def plan_snapshots(
    span: DataSpan,
    horizon_days: int,
    snapshots: Sequence[int] | None = None,
    every_days: int = 30,
    max_snapshots: int = 12,
    observed_until_us: int | None = None,
) -> SnapshotPlan:
    """Training snapshots: the given ones whose horizon is fully observed, or by default one
    every ``every_days`` going back from ``observed_until - horizon`` (at most ``max_snapshots``,
    none earlier than ``every_days`` after the first recorded data)."""
    if horizon_days < 1:
        raise LeadscoreError(f"the horizon must be at least 1 day, got {horizon_days}")
    if every_days < 1:
        raise LeadscoreError(f"snapshots must be at least 1 day apart, got {every_days}")
    until = observed_until_us if observed_until_us is not None else span.last_us
    if until is None or span.first_us is None:
        raise LeadscoreError("the store holds no events or outcomes to learn from")
    horizon_us = horizon_days * DAY_US
    plan = SnapshotPlan(used=[], observed_until_us=until)
    if snapshots is not None:
        for s in sorted({int(v) for v in snapshots}):
            (plan.used if s + horizon_us <= until else plan.dropped).append(s)
        if plan.dropped:
            listed = ", ".join(iso(s) for s in plan.dropped)
            plan.notes.append(
                f"left out {len(plan.dropped)} snapshot(s) ({listed}): their {horizon_days}-day "
                f"horizon ends after the last recorded data ({iso(until)}), so their labels "
                "are not complete"
            )
    else:
        last = until - horizon_us
        earliest = span.first_us + every_days * DAY_US
        s = last
        while s >= earliest and len(plan.used) < max_snapshots:
            plan.used.append(s)
            s -= every_days * DAY_US
        plan.used.sort()
        plan.notes.append(
            f"snapshots every {every_days} days up to {iso(last)}: the last one whose "
            f"{horizon_days}-day horizon is fully observed (data end {iso(until)})"
        )
    if not plan.used:
        raise LeadscoreError(
            f"no snapshot has a fully observed {horizon_days}-day horizon: the data run from "
            f"{iso(span.first_us)} to {iso(until)}; use a shorter horizon or give earlier "
            "snapshots"
        )
    return plan
