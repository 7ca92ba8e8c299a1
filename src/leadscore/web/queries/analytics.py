"""The analytics page's figures, from the evaluation library (:mod:`leadscore.evaluate`):
the grade distribution now, a backtest of the active model (conversion by grade, gains, lift,
calibration), the funnel with its drop-off, and threshold advice for a sales capacity.

Each function returns plain data plus plotly figures as JSON (``charts``), drawn in the page
by plotly.js. The backtests score the past, so they cost seconds on a large workspace: the
views remember their results for a few minutes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError

if TYPE_CHECKING:
    from pathlib import Path

    from leadscore.evaluate.scorers import Scorer
    from leadscore.model.spec import Model
    from leadscore.store.base import Store

DAY_US = 86_400_000_000
HORIZONS = (30, 60, 90, 180)  # days a conversion may come after the as-of date
DEFAULT_HORIZON = 90
THRESHOLD_WEEKS = 8  # weekly snapshots scored for the threshold advice
MAX_CAPACITY = 1_000_000


@dataclass(frozen=True)
class Settings:
    """What the analytics are computed for (from the page's query string)."""

    horizon_days: int = DEFAULT_HORIZON
    capacity: int | None = None  # leads sales can take a week

    @classmethod
    def parse(cls, horizon: str | None, capacity: str | None) -> Settings:
        """Settings from text; a bad value is a :class:`LeadscoreError` naming it."""
        days = DEFAULT_HORIZON
        if horizon:
            allowed = ", ".join(map(str, HORIZONS))
            if not horizon.isdigit() or int(horizon) not in HORIZONS:
                raise LeadscoreError(f"horizon must be one of {allowed} days; got '{horizon}'")
            days = int(horizon)
        per_week = None
        if capacity:
            if not capacity.isdigit() or not 1 <= int(capacity) <= MAX_CAPACITY:
                raise LeadscoreError(
                    f"capacity must be a whole number of leads a week, 1 to {MAX_CAPACITY:,}; "
                    f"got '{capacity}'"
                )
            per_week = int(capacity)
        return cls(days, per_week)

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {"horizon": self.horizon_days}
        if self.capacity is not None:
            out["capacity"] = self.capacity
        return out


def figure(fig: Any) -> dict[str, Any]:
    """A plotly figure as the JSON plotly.js draws (numbers and dates made plain)."""
    found: dict[str, Any] = json.loads(fig.to_json())
    return found


def grade_distribution(store: Store, model: Model) -> dict[str, Any]:
    """Leads per grade of the primary grading now, best grade first, with their share, mean
    total and stage; and the chart of it."""
    from leadscore.web.queries.leads import grade_labels

    rows = store.rows(
        "SELECT grade, count(*) AS n, avg(total) AS mean_total FROM scores GROUP BY grade"
    )
    found = {r["grade"]: r for r in rows}
    total = sum(int(r["n"]) for r in rows)
    order = grade_labels(model)
    labels: list[str | None] = [g for g in order if g in found]
    labels += sorted(str(g) for g in found if g is not None and g not in order)
    labels += [None] if None in found else []
    items = [
        {
            "grade": label,
            "leads": int(found[label]["n"]),
            "share": int(found[label]["n"]) / total if total else 0.0,
            "mean_total": float(found[label]["mean_total"] or 0.0),
        }
        for label in labels
    ]
    return {"leads": total, "grades": items, "figure": figure(_distribution_chart(items))}


def _distribution_chart(items: list[dict[str, Any]]) -> Any:
    from leadscore.evaluate.charts import _go, _layout

    go = _go()
    fig = go.Figure(
        go.Bar(
            x=[i["grade"] or "not graded" for i in items],
            y=[i["leads"] for i in items],
            text=[f"{i['share']:.0%}" for i in items],
            textposition="outside",
            marker_color="#2563eb",
            hovertemplate="%{x}: %{y:,} leads (%{text})<extra></extra>",
        )
    )
    fig.update_xaxes(title="grade", type="category")
    fig.update_yaxes(title="leads", rangemode="tozero")
    return _layout(fig, "Leads per grade now", height=320)


def active_scorer(model: Model, version: int) -> Scorer:
    from leadscore.evaluate.scorers import RuleScorer

    return RuleScorer(model, source=f"active (version {version})")


def performance(store: Store, scorer: Scorer, settings: Settings) -> dict[str, Any]:
    """A backtest of ``scorer`` as of the latest date whose horizon is fully observed: the
    headline metrics, conversion by grade and by stage, gains by decile, and the charts
    (conversion by grade, gains, lift, calibration)."""
    from leadscore.evaluate import charts
    from leadscore.evaluate.backtest import backtest
    from leadscore.evaluate.population import latest_as_of

    horizon_us = settings.horizon_days * DAY_US
    as_of = latest_as_of(store, horizon_us)
    result = backtest(store, [scorer], [as_of], settings.horizon_days)
    evaluation = result.evaluations[0]
    if evaluation.conversions == 0:
        from leadscore.evaluate.population import when

        raise LeadscoreError(
            f"none of the {evaluation.leads:,} leads of {when(as_of)} converted within "
            f"{settings.horizon_days} days: there is nothing to measure the model against yet"
        )
    found = evaluation.as_dict()
    group = [evaluation]
    return {
        "summary": evaluation.summary(),
        "horizon_days": settings.horizon_days,
        "by_grade": found["by_grade"],
        "by_stage": found["by_stage"],
        "gains": found["gains"],
        "score_bands": found["score_bands"],
        "warnings": [*result.warnings, *evaluation.warnings],
        "notes": evaluation.notes,
        "charts": {
            "grades": figure(charts.grade_chart(group)),
            "gains": figure(charts.gains_chart(group)),
            "lift": figure(charts.lift_chart(group)),
            "calibration": figure(charts.calibration_chart(group)),
        },
    }


def funnel_config(folder: Path | None) -> Any:
    """The workspace's ``funnel.yaml`` when it has one, else the built-in stages."""
    from leadscore.evaluate.funnel_config import DEFAULT_FILE, default_funnel, load_funnel

    if folder is not None and (folder / DEFAULT_FILE).is_file():
        return load_funnel(folder / DEFAULT_FILE)
    return default_funnel()


def funnel(store: Store, folder: Path | None, by: str = "month") -> dict[str, Any]:
    """Leads per funnel stage as of the latest data, conversion and drop-off between stages
    (the largest drop-off named), median days in a stage, and the chart."""
    from leadscore.evaluate import charts
    from leadscore.evaluate.funnel import funnel as count_funnel
    from leadscore.evaluate.population import observed_until

    as_of = observed_until(store)
    if as_of is None:
        raise LeadscoreError("the workspace holds no events or outcomes yet")
    result = count_funnel(store, funnel_config(folder), as_of, by)
    found = result.as_dict()
    largest = found["largest_drop_off"]
    for row in found["table"]:
        row["largest"] = largest is not None and row["stage"] == largest["from"]
    return {**found, "figure": figure(charts.funnel_chart(result))}


def thresholds(store: Store, scorer: Scorer, settings: Settings) -> dict[str, Any]:
    """Weekly snapshots over :data:`THRESHOLD_WEEKS` weeks ending at the latest fully observed
    date: per total threshold, new leads a week, their conversion and the conversions caught;
    the threshold advised for the capacity (when given), the grades' own thresholds measured
    the same way, and the chart."""
    from leadscore.evaluate import charts
    from leadscore.evaluate.population import latest_as_of
    from leadscore.evaluate.thresholds import threshold_advice

    end = latest_as_of(store, settings.horizon_days * DAY_US)
    advice = threshold_advice(
        store,
        scorer,
        end,
        settings.horizon_days,
        weeks=THRESHOLD_WEEKS,
        capacity_per_week=settings.capacity,
    )
    found = advice.as_dict()
    return {**found, "figure": figure(charts.threshold_chart(advice))}
