"""Threshold advice: which score threshold fits a sales capacity or a target conversion rate.

Measured as a flow over a backtest period: the workspace is scored at weekly snapshots, and at
each snapshot the **new** leads at or above a threshold are counted: leads that were below it
(or not there yet) at the previous snapshot, as an alert would fire. A lead that falls back
below and crosses again counts again. For each threshold:

- ``per_week``: new leads per week (what sales must handle);
- ``precision``: the share of those new leads that converted within the horizon after the
  snapshot where they crossed;
- ``recall``: the share of the period's conversions whose lead was at or above the threshold at
  the last snapshot before it converted (on the sales list when it happened);
- ``backlog``: leads already at or above it at the first snapshot (not counted as new).

:func:`threshold_table` and :func:`advise` are pure; :func:`threshold_advice` scores the snapshots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from leadscore.errors import LeadscoreError
from leadscore.evaluate.backtest import records
from leadscore.evaluate.population import DAY_US, WEEK_US
from leadscore.evaluate.stats import rounded, wilson_interval
from leadscore.evaluate.tables import nice_step
from leadscore.timeutil import iso

if TYPE_CHECKING:
    from leadscore.evaluate.backtest import Progress
    from leadscore.evaluate.scorers import Scorer, ScorerInfo
    from leadscore.store.base import Store

MIN_LEADS = 10  # a precision target is only met by a threshold with at least this many new leads


def threshold_grid(scores: np.ndarray, points: int = 200) -> np.ndarray:
    """Round candidate thresholds spanning the scores (e.g. every 0.5 point over 0..100)."""
    finite = scores[np.isfinite(scores)]
    if not len(finite):
        return np.zeros(0)
    lo, hi = float(finite.min()), float(finite.max())
    step = nice_step(hi - lo, points)
    start = np.floor(lo / step) * step
    grid = start + step * np.arange(int(np.ceil((hi - start) / step)) + 1)
    # one step above the top score would select nobody; keep thresholds up to the top score
    out: np.ndarray = np.round(grid[grid <= hi + 1e-12], 10)
    return out


def threshold_table(
    panel: pd.DataFrame,
    conversions: pd.DataFrame,
    horizon_us: int,
    thresholds: Sequence[float] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Per threshold: new leads per week, precision (with a 95% interval), recall, backlog.

    ``panel``: ``as_of_us``, ``contact_id``, ``score`` (the leads of each snapshot, at least two
    snapshots); ``conversions``: ``contact_id``, ``converted_at_us`` (each lead's first).
    """
    dates = np.sort(panel["as_of_us"].unique()).astype(np.int64)
    if len(dates) < 2:
        raise LeadscoreError("threshold advice needs at least two snapshots")
    ids = pd.Index(pd.unique(panel["contact_id"]))
    rows = ids.get_indexer(pd.Index(panel["contact_id"]))
    cols = np.searchsorted(dates, panel["as_of_us"].to_numpy(dtype=np.int64))
    scores = np.full((len(ids), len(dates)), np.nan)
    scores[rows, cols] = panel["score"].to_numpy(dtype=np.float64)
    converted = np.full(len(ids), np.iinfo(np.int64).max, dtype=np.int64)
    known = conversions.dropna(subset=["converted_at_us"])
    where = ids.get_indexer(pd.Index(known["contact_id"]))
    keep = where >= 0
    converted[where[keep]] = known["converted_at_us"].to_numpy(dtype=np.int64)[keep]
    conv = converted[:, None]
    hit = (conv > dates[None, :]) & (conv <= dates[None, :] + horizon_us)
    # the period's conversions and the snapshot just before each
    in_period = (converted > dates[0]) & (converted <= dates[-1])
    conv_rows = np.flatnonzero(in_period)
    conv_cols = np.searchsorted(dates, converted[conv_rows], side="left") - 1
    weeks = (dates[-1] - dates[0]) / WEEK_US
    grid = threshold_grid(scores.ravel()) if thresholds is None else np.asarray(thresholds, float)
    out = []
    with np.errstate(invalid="ignore"):
        for theta in grid:
            above = scores >= theta  # NaN (not a lead at that snapshot) is never above
            new = above[:, 1:] & ~above[:, :-1]
            n_new = int(new.sum())
            hits = int((new & hit[:, 1:]).sum())
            flagged = int(above[conv_rows, conv_cols].sum()) if len(conv_rows) else 0
            interval = wilson_interval(hits, n_new)
            out.append(
                {
                    "threshold": float(theta),
                    "per_week": n_new / weeks,
                    "leads": n_new,
                    "converted": hits,
                    "precision": interval.estimate,
                    "precision_low": interval.low,
                    "precision_high": interval.high,
                    "recall": flagged / len(conv_rows) if len(conv_rows) else float("nan"),
                    "backlog": int(above[:, 0].sum()),
                }
            )
    return pd.DataFrame(out)


@dataclass
class ThresholdAdvice:
    scorer: str
    goal: str  # "capacity" or "precision" (or "none": the table only)
    target: float | None
    choice: dict[str, Any] | None  # the advised row of the table
    reason: str
    table: pd.DataFrame
    current: pd.DataFrame  # the scorer's own grade thresholds, measured the same way
    start_us: int
    end_us: int
    horizon_us: int
    conversions: int  # in the period (the denominator of recall)
    warnings: list[str] = field(default_factory=list)

    @property
    def weeks(self) -> float:
        return (self.end_us - self.start_us) / WEEK_US

    def as_dict(self) -> dict[str, Any]:
        return {
            "scorer": self.scorer,
            "goal": self.goal,
            "target": self.target,
            "advice": None if self.choice is None else _clean(self.choice),
            "reason": self.reason,
            "period": {"start": iso(self.start_us), "end": iso(self.end_us)},
            "weeks": rounded(self.weeks, 2),
            "horizon_days": self.horizon_us / DAY_US,
            "conversions_in_period": self.conversions,
            "current_grades": records(self.current),
            "table": records(self.table),
            "warnings": self.warnings,
        }


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return records(pd.DataFrame([row]))[0]


def advise(
    table: pd.DataFrame,
    capacity_per_week: float | None = None,
    target_precision: float | None = None,
) -> tuple[dict[str, Any] | None, str]:
    """The advised row: for a capacity, the lowest threshold whose new leads per week fit it
    (the most conversions sales can handle); for a precision, the lowest threshold that reaches
    it with at least ``MIN_LEADS`` new leads (the most volume at that quality)."""
    if (capacity_per_week is None) == (target_precision is None):
        raise LeadscoreError("give either a capacity (leads per week) or a target precision")
    if capacity_per_week is not None:
        if not capacity_per_week > 0:
            raise LeadscoreError(f"the capacity must be above zero, got {capacity_per_week}")
        fits = table[table["per_week"] <= capacity_per_week]
        if fits.empty:
            return None, f"no threshold keeps new leads at or under {capacity_per_week:g} a week"
        row = {str(k): v for k, v in fits.sort_values("threshold").iloc[0].items()}
        return row, (f"the lowest threshold giving at most {capacity_per_week:g} new leads a week")
    assert target_precision is not None
    if not 0 < target_precision < 1:
        raise LeadscoreError(
            f"the target precision must be between 0 and 1, got {target_precision}"
        )
    good = table[(table["precision"] >= target_precision) & (table["leads"] >= MIN_LEADS)]
    if good.empty:
        return None, (
            f"no threshold reaches a conversion rate of {target_precision:.0%} "
            f"with at least {MIN_LEADS} new leads"
        )
    row = {str(k): v for k, v in good.sort_values("threshold").iloc[0].items()}
    return row, f"the lowest threshold whose new leads convert at {target_precision:.0%} or more"


def snapshot_dates(end_us: int, weeks: int, step_days: float = 7) -> list[int]:
    if weeks < 1:
        raise LeadscoreError(f"the period must hold at least one week, got {weeks}")
    step = round(step_days * DAY_US)
    count = round(weeks * WEEK_US / step)
    return [end_us - (count - k) * step for k in range(count + 1)]


def score_panel(
    store: Store,
    scorer: Scorer,
    dates: Sequence[int],
    progress: Progress | None = None,
) -> pd.DataFrame:
    """``as_of_us, contact_id, score`` of the leads of each date (existing, not converted)."""
    from leadscore.evaluate.population import population_table

    parts = []
    for t in dates:
        if progress:
            progress(f"scoring {scorer.info.name} as of {iso(t)}")
        with population_table(store, t, 0) as population:
            scored = scorer.score(store, t, population)
        parts.append(
            pd.DataFrame(
                {"as_of_us": t, "contact_id": scored["contact_id"], "score": scored["score"]}
            )
        )
    return pd.concat(parts, ignore_index=True)


def first_conversions(store: Store, until_us: int) -> pd.DataFrame:
    """``contact_id, converted_at_us``: each contact's first converted/won outcome up to a time."""
    from leadscore.evaluate.population import POSITIVE_OUTCOMES, frame

    types = ", ".join(f"'{t}'" for t in POSITIVE_OUTCOMES)
    return frame(
        store,
        "SELECT contact_id, min(ts_us) AS converted_at_us FROM outcomes "
        f"WHERE type IN ({types}) AND ts_us <= {int(until_us)} GROUP BY contact_id",
        ["contact_id", "converted_at_us"],
    )


def threshold_advice(
    store: Store,
    scorer: Scorer,
    end_us: int,
    horizon_days: float,
    weeks: int = 13,
    capacity_per_week: float | None = None,
    target_precision: float | None = None,
    allow_partial: bool = False,
    progress: Progress | None = None,
) -> ThresholdAdvice:
    """Score weekly snapshots over the ``weeks`` before ``end_us`` and advise a threshold."""
    from leadscore.evaluate.population import check_horizons, observed_until

    horizon_us = round(horizon_days * DAY_US)
    warnings = check_horizons([end_us], horizon_us, observed_until(store), allow_partial)
    dates = snapshot_dates(end_us, weeks)
    panel = score_panel(store, scorer, dates, progress)
    conversions = first_conversions(store, end_us + horizon_us)
    table = threshold_table(panel, conversions, horizon_us)
    current = _current(panel, conversions, horizon_us, scorer.info)
    if capacity_per_week is None and target_precision is None:
        goal, target, choice, reason = "none", None, None, "no capacity or precision given"
    else:
        choice, reason = advise(table, capacity_per_week, target_precision)
        goal = "capacity" if capacity_per_week is not None else "precision"
        target = capacity_per_week if capacity_per_week is not None else target_precision
    converted = conversions["converted_at_us"].to_numpy(dtype=np.float64)
    in_period = int(((converted > dates[0]) & (converted <= dates[-1])).sum())
    if in_period < 30:
        warnings.append(
            f"only {in_period} conversions in the period: recall is rough; use more weeks"
        )
    if choice is not None and choice["leads"] < 30:
        warnings.append(
            f"the advised threshold rests on {int(choice['leads'])} new leads: its conversion "
            "rate is rough (see the interval)"
        )
    return ThresholdAdvice(
        scorer=scorer.info.name,
        goal=goal,
        target=target,
        choice=choice,
        reason=reason,
        table=table,
        current=current,
        start_us=dates[0],
        end_us=dates[-1],
        horizon_us=horizon_us,
        conversions=in_period,
        warnings=warnings,
    )


def _current(
    panel: pd.DataFrame, conversions: pd.DataFrame, horizon_us: int, info: ScorerInfo
) -> pd.DataFrame:
    if not info.thresholds:
        return pd.DataFrame(columns=["grade", "threshold", "per_week", "precision", "recall"])
    grades = list(info.thresholds)
    table = threshold_table(panel, conversions, horizon_us, [info.thresholds[g] for g in grades])
    table.insert(0, "grade", grades)
    return table
