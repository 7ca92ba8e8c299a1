"""The funnel: how many leads reach each stage, how many move on, how long it takes, by cohort.

A lead reaches a stage at the first event (or outcome) the stage selects, as of T; reaching a
later stage counts as having passed the earlier ones (at the same moment when it skipped them),
so the counts only go down from stage to stage. Between consecutive stages:

- ``conversion``: the share of the leads at a stage that reached the next one;
- ``stuck``: leads that reached a stage and never the next (the drop-off, as a count);
- ``median_days``: time from reaching a stage to reaching the next, for the leads that went
  through it (had an event of the stage before reaching the next);
- ``skipped``: leads that reached the next stage without any event of this one.

The largest drop-off is named in :attr:`FunnelResult.headline`. ``periods`` repeats the counts
per cohort: the month (week, quarter) in which leads reached the first stage. Recent cohorts
have had less time to move on.

:func:`funnel_frame` is pure (first times per stage in, tables out); :func:`funnel` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from leadscore.errors import LeadscoreError, one_of
from leadscore.evaluate.backtest import records
from leadscore.evaluate.population import DAY_US
from leadscore.timeutil import iso

if TYPE_CHECKING:
    from sqlglot import exp

    from leadscore.evaluate.funnel_config import FunnelConfig, Selector
    from leadscore.store.base import Store

PERIODS = {"month": "%Y-%m", "week": "%G-W%V", "quarter": "quarter"}


@dataclass
class FunnelResult:
    stages: list[str]
    as_of_us: int
    by: str
    table: pd.DataFrame
    periods: pd.DataFrame
    largest_drop: int | None  # index of the stage leads drop out of most, towards the next
    warnings: list[str] = field(default_factory=list)

    @property
    def headline(self) -> str:
        if self.largest_drop is None:
            return "no lead reached the first stage"
        row = self.table.iloc[self.largest_drop]
        nxt = self.stages[self.largest_drop + 1]
        return (
            f"largest drop-off: {row['drop_off']:.0%} of the leads that reach "
            f"{row['stage']} ({int(row['reached'])}) never reach {nxt}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": iso(self.as_of_us),
            "stages": self.stages,
            "by": self.by,
            "largest_drop_off": None
            if self.largest_drop is None
            else {
                "from": self.stages[self.largest_drop],
                "to": self.stages[self.largest_drop + 1],
            },
            "headline": self.headline,
            "table": records(self.table),
            "periods": records(self.periods),
            "warnings": self.warnings,
        }


def reached_times(first: np.ndarray) -> np.ndarray:
    """Per lead and stage, when it reached the stage: the earliest first time of that stage or
    any later one (NaN: never)."""
    flipped = first[:, ::-1]
    filled = np.where(np.isnan(flipped), np.inf, flipped)
    reached = np.minimum.accumulate(filled, axis=1)[:, ::-1]
    out: np.ndarray = np.where(np.isinf(reached), np.nan, reached)
    return out


def _stage_table(first: np.ndarray, reached: np.ndarray, stages: list[str]) -> pd.DataFrame:
    rows = []
    top = int((~np.isnan(reached[:, 0])).sum()) if len(reached) else 0
    for i, name in enumerate(stages):
        here = ~np.isnan(reached[:, i])
        n = int(here.sum())
        row: dict[str, Any] = {
            "stage": name,
            "reached": n,
            "share_of_first": n / top if top else float("nan"),
        }
        if i + 1 < len(stages):
            nxt = ~np.isnan(reached[:, i + 1])
            moved = int(nxt.sum())
            # went through the stage: an own event before reaching the next (else skipped it)
            own = ~np.isnan(first[:, i]) & (
                first[:, i] <= np.nan_to_num(reached[:, i + 1], nan=np.inf)
            )
            through = nxt & own
            days = (reached[through, i + 1] - reached[through, i]) / DAY_US
            row.update(
                {
                    "next_stage": stages[i + 1],
                    "conversion": moved / n if n else float("nan"),
                    "drop_off": 1 - moved / n if n else float("nan"),
                    "stuck": n - moved,
                    "median_days": float(np.median(days)) if len(days) else float("nan"),
                    "skipped": int((nxt & ~own).sum()),
                }
            )
        else:
            row.update(
                {
                    "next_stage": None,
                    "conversion": float("nan"),
                    "drop_off": float("nan"),
                    "stuck": None,
                    "median_days": float("nan"),
                    "skipped": None,
                }
            )
        rows.append(row)
    out = pd.DataFrame(rows)
    for column in ("stuck", "skipped"):
        out[column] = out[column].astype("Int64")
    return out


def _period_labels(times_us: np.ndarray, by: str) -> pd.Series:
    stamps = pd.Series(pd.to_datetime(times_us, unit="us"))
    if by == "quarter":
        return stamps.dt.year.astype(str) + "-Q" + stamps.dt.quarter.astype(str)
    return stamps.dt.strftime(PERIODS[by])


def funnel_frame(
    firsts: pd.DataFrame, stages: list[str], as_of_us: int, by: str = "month"
) -> FunnelResult:
    """The funnel from ``firsts``: ``contact_id``, ``stage`` (index into ``stages``) and
    ``first_us`` (the lead's first selected event or outcome of that stage)."""
    if by not in PERIODS:
        raise LeadscoreError(f"--by must be {one_of(PERIODS)}, got '{by}'")
    ids = pd.Index(pd.unique(firsts["contact_id"])) if len(firsts) else pd.Index([])
    first = np.full((len(ids), len(stages)), np.nan)
    if len(firsts):
        rows = ids.get_indexer(pd.Index(firsts["contact_id"]))
        first[rows, firsts["stage"].to_numpy(dtype=np.int64)] = firsts["first_us"].to_numpy(
            dtype=np.float64
        )
    reached = reached_times(first)
    table = _stage_table(first, reached, stages)
    entered = ~np.isnan(reached[:, 0]) if len(reached) else np.zeros(0, dtype=bool)
    parts = []
    if entered.any():
        cohort = _period_labels(reached[entered, 0].astype(np.int64), by).to_numpy()
        for label in sorted(set(cohort)):
            mask = cohort == label
            sub = _stage_table(first[entered][mask], reached[entered][mask], stages)
            sub.insert(0, "period", label)
            parts.append(sub[["period", "stage", "reached", "share_of_first", "conversion"]])
    periods = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["period", "stage", "reached", "share_of_first", "conversion"])
    )
    drops = table["drop_off"].to_numpy(dtype=np.float64)[:-1]
    valid = np.isfinite(drops)
    largest = int(np.nanargmax(np.where(valid, drops, -1.0))) if valid.any() else None
    warnings = []
    small = table.loc[(table["reached"] > 0) & (table["reached"] < 30), "stage"].tolist()
    if small:
        warnings.append(f"fewer than 30 leads reached {', '.join(small)}: their rates are rough")
    return FunnelResult(stages, as_of_us, by, table, periods, largest, warnings)


def _selector_query(selector: Selector, stage: int, as_of_us: int, dialect: str) -> exp.Select:
    from sqlglot import exp

    from leadscore.compile.dialects import get_dialect
    from leadscore.compile.predicates import PredicateCompiler

    d = get_dialect(dialect)
    source = "events" if selector.event is not None else "outcomes"
    kinds = selector.event if selector.event is not None else selector.outcome
    assert kinds is not None
    column = exp.column("type", "e")
    conditions: list[exp.Expr] = [
        exp.In(this=column, expressions=[exp.Literal.string(k) for k in kinds]),
        exp.LTE(this=exp.column("ts_us", "e"), expression=exp.Literal.number(int(as_of_us))),
    ]
    if selector.where is not None:

        def value(name: str) -> exp.Expr:
            return d.prop(exp.column("properties", "e"), name)

        def number(name: str) -> exp.Expr:
            return d.parse_number(value(name))

        conditions.append(PredicateCompiler(d, value, number).compile(selector.where))
    where = conditions[0]
    for c in conditions[1:]:
        where = exp.And(this=where, expression=c)
    return (
        exp.select(
            exp.column("contact_id", "e").as_("contact_id"),
            exp.alias_(exp.Literal.number(stage), "stage"),
            exp.alias_(exp.Min(this=exp.column("ts_us", "e")), "first_us"),
        )
        .from_(exp.alias_(exp.to_table(source), "e", table=True))
        .where(where)
        .group_by(exp.column("contact_id", "e"))
    )


def firsts_sql(config: FunnelConfig, as_of_us: int, dialect: str = "duckdb") -> str:
    """SQL: ``contact_id, stage, first_us`` for every lead existing at T and stage it reached."""
    from sqlglot import exp

    from leadscore.compile.dialects import get_dialect

    parts = [
        _selector_query(selector, i, as_of_us, dialect)
        for i, stage in enumerate(config.stages)
        for selector in stage.when
    ]
    union: exp.Expr = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    t = int(as_of_us)
    query = (
        exp.select(
            "u.contact_id",
            "u.stage",
            exp.alias_(exp.Min(this=exp.column("first_us", "u")), "first_us"),
        )
        .from_(exp.alias_(exp.Subquery(this=union), "u", table=True))
        .where(
            f"u.contact_id IN (SELECT contact_id FROM contacts "
            f"WHERE created_at_us IS NULL OR created_at_us <= {t})"
        )
        .group_by("u.contact_id", "u.stage")
    )
    return get_dialect(dialect).sql(query, pretty=False)


def funnel(store: Store, config: FunnelConfig, as_of_us: int, by: str = "month") -> FunnelResult:
    """Count the funnel of a workspace as of T (default: its latest data) per ``config``."""
    from leadscore.evaluate.population import frame

    columns = ["contact_id", "stage", "first_us"]
    firsts = frame(store, firsts_sql(config, as_of_us, store.dialect), columns)
    return funnel_frame(firsts, config.names, as_of_us, by)
