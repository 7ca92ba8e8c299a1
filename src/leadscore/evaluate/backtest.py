"""Backtests: score the past as of T with each scorer and measure against what happened next.

For each as-of date T and each scorer, the leads of T (see :mod:`.population`) are scored with
only what was known at T, then compared with who converted in ``(T, T + horizon]``. Several
dates make a rolling backtest: the same metrics over time show whether a model is stable.

:func:`backtest` does the I/O (one temporary population table per date); :func:`evaluate_frame`
is the pure part, a scored and labelled DataFrame in, an :class:`Evaluation` out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from leadscore.errors import LeadscoreError
from leadscore.evaluate import metrics, tables
from leadscore.evaluate.population import DAY_US
from leadscore.evaluate.stats import (
    FEW_POSITIVES,
    Interval,
    delong_interval,
    rounded,
    wilson_interval,
)
from leadscore.timeutil import iso

if TYPE_CHECKING:
    from leadscore.evaluate.scorers import Scorer, ScorerInfo
    from leadscore.store.base import Store

RULE_NOTE = (
    "rule scores are points, not probabilities: AUC, KS and lift rank leads by their total; "
    "Brier, log loss and calibration apply to probabilities only (see conversion per score band)"
)


@dataclass
class Evaluation:
    """One scorer at one as-of date."""

    scorer: str
    as_of_us: int
    horizon_us: int
    probabilities: bool
    leads: int
    conversions: int
    base_rate: Interval
    roc_auc: Interval
    pr_auc: float
    ks: metrics.KS
    top_decile_rate: float
    top_decile_lift: float
    brier: float | None
    log_loss: float | None
    ece: float | None
    gains: pd.DataFrame
    curve: pd.DataFrame
    by_grade: pd.DataFrame
    by_stage: pd.DataFrame
    score_bands: pd.DataFrame
    calibration: pd.DataFrame | None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The headline numbers, rounded for people and JSON."""
        return {
            "scorer": self.scorer,
            "as_of": iso(self.as_of_us),
            "leads": self.leads,
            "conversions": self.conversions,
            "base_rate": rounded(self.base_rate.estimate),
            "roc_auc": rounded(self.roc_auc.estimate, 3),
            "roc_auc_low": rounded(self.roc_auc.low, 3),
            "roc_auc_high": rounded(self.roc_auc.high, 3),
            "pr_auc": rounded(self.pr_auc, 3),
            "ks": rounded(self.ks.statistic, 3),
            "top_decile_rate": rounded(self.top_decile_rate),
            "top_decile_lift": rounded(self.top_decile_lift, 2),
            "brier": rounded(self.brier),
            "log_loss": rounded(self.log_loss),
            "ece": rounded(self.ece),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "horizon_days": self.horizon_us / DAY_US,
            "probabilities": self.probabilities,
            "base_rate_interval": self.base_rate.as_dict(),
            "ks_threshold": rounded(self.ks.threshold),
            "gains": records(self.gains),
            "by_grade": records(self.by_grade),
            "by_stage": records(self.by_stage),
            "score_bands": records(self.score_bands),
            "calibration": None if self.calibration is None else records(self.calibration),
            "warnings": self.warnings,
            "notes": self.notes,
        }


def records(frame: pd.DataFrame, digits: int = 4) -> list[dict[str, Any]]:
    """A DataFrame as JSON-ready rows: floats rounded, NaN as null."""
    out = []
    for row in frame.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, (float, np.floating)):
                clean[str(key)] = rounded(float(value), digits)
            elif isinstance(value, np.integer):
                clean[str(key)] = int(value)
            else:
                clean[str(key)] = value
        out.append(clean)
    return out


def evaluate_frame(
    scored: pd.DataFrame, info: ScorerInfo, as_of_us: int, horizon_us: int
) -> Evaluation:
    """Metrics and tables of one scorer on labelled leads (columns ``score``, ``label``,
    ``probability``, ``grade``, ``stage``)."""
    y = scored["label"].to_numpy(dtype=np.int64)
    s = scored["score"].to_numpy(dtype=np.float64)
    n, positives = len(y), int(y.sum())
    warnings: list[str] = []
    notes: list[str] = []
    if n == 0:
        warnings.append("no leads at this date: nothing to measure")
    elif positives == 0:
        warnings.append("no conversions in the horizon: ranking metrics are undefined")
    elif positives < FEW_POSITIVES:
        warnings.append(
            f"only {positives} conversions (fewer than {FEW_POSITIVES}): AUC, lift and rates "
            "are rough; read the intervals"
        )
    probs = scored["probability"].to_numpy(dtype=np.float64)
    has_probs = info.probabilities and n > 0 and bool(np.isfinite(probs).all())
    if not info.probabilities:
        notes.append(RULE_NOTE)
    warnings += _model_warnings(info, as_of_us, horizon_us)
    defined = n > 0 and 0 < positives < n
    nan = float("nan")
    return Evaluation(
        scorer=info.name,
        as_of_us=as_of_us,
        horizon_us=horizon_us,
        probabilities=has_probs,
        leads=n,
        conversions=positives,
        base_rate=wilson_interval(positives, n),
        roc_auc=delong_interval(y, s) if defined else Interval(nan, nan, nan),
        pr_auc=metrics.average_precision_score(y, s) if defined else nan,
        ks=metrics.ks_statistic(y, s) if defined else metrics.KS(nan, nan),
        top_decile_rate=metrics.top_fraction_rate(y, s, 0.1) if n else nan,
        top_decile_lift=metrics.lift_at(y, s, 0.1) if defined else nan,
        brier=metrics.brier_loss(y, probs) if has_probs else None,
        log_loss=metrics.log_loss(y, probs) if has_probs else None,
        ece=metrics.expected_calibration_error(y, probs) if has_probs else None,
        gains=tables.gains_table(y, s),
        curve=tables.gains_curve(y, s),
        by_grade=tables.group_table(scored["grade"], y, info.grades),
        by_stage=tables.group_table(scored["stage"], y, info.stages),
        score_bands=tables.score_band_table(y, s),
        calibration=tables.calibration_table(y, probs) if has_probs else None,
        warnings=warnings,
        notes=notes,
    )


def _model_warnings(info: ScorerInfo, as_of_us: int, horizon_us: int) -> list[str]:
    """What makes a predictive model's backtest misleading: outcomes it trained on, or
    probabilities for another horizon."""
    out = []
    if info.trained_until_us is not None and info.trained_until_us > as_of_us:
        out.append(
            f"{info.name} was trained on outcomes up to {iso(info.trained_until_us)[:10]}, after "
            "this as-of date: the backtest is in-sample and flatters it; backtest later dates"
        )
    horizon_days = horizon_us / DAY_US
    if info.horizon_days is not None and abs(info.horizon_days - horizon_days) > 1e-9:
        out.append(
            f"{info.name} predicts conversion within {info.horizon_days:g} days, this backtest "
            f"counts {horizon_days:g} days: its Brier score and calibration compare other things"
        )
    return out


@dataclass
class BacktestResult:
    scorers: list[ScorerInfo]
    as_of: list[int]
    horizon_us: int
    observed_until_us: int | None
    leads: pd.DataFrame  # scorer, as_of_us, contact_id, score, probability, grade, stage, label
    evaluations: list[Evaluation]
    warnings: list[str] = field(default_factory=list)

    def evaluation(self, scorer: str, as_of_us: int) -> Evaluation:
        for e in self.evaluations:
            if e.scorer == scorer and e.as_of_us == as_of_us:
                return e
        raise LeadscoreError(f"no evaluation of '{scorer}' as of {iso(as_of_us)}")

    def info(self, scorer: str) -> ScorerInfo:
        for info in self.scorers:
            if info.name == scorer:
                return info
        from leadscore.errors import did_you_mean

        names = [i.name for i in self.scorers]
        raise LeadscoreError(f"no scorer named '{scorer}'.{did_you_mean(scorer, names)}")

    def scored(self, scorer: str, as_of_us: int) -> pd.DataFrame:
        """The labelled leads one scorer scored at one date."""
        mask = (self.leads["scorer"] == scorer) & (self.leads["as_of_us"] == as_of_us)
        return self.leads.loc[mask].reset_index(drop=True)

    def stability(self) -> pd.DataFrame:
        """One row per scorer and date: how the headline metrics move over time."""
        rows = [e.summary() for e in self.evaluations]
        return pd.DataFrame(rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "horizon_days": self.horizon_us / DAY_US,
            "as_of": [iso(t) for t in self.as_of],
            "observed_until": iso(self.observed_until_us) if self.observed_until_us else None,
            "scorers": [s.as_dict() for s in self.scorers],
            "evaluations": [e.as_dict() for e in self.evaluations],
            "warnings": self.warnings,
        }


Progress = Callable[[str], None]


def score_population(
    store: Store, scorer: Scorer, as_of_us: int, population: str, labels: pd.DataFrame
) -> pd.DataFrame:
    """One scorer's scores of a population, joined to the labels (every lead kept once)."""
    scored = scorer.score(store, as_of_us, population)
    missing = {"contact_id", "score"} - set(scored.columns)
    if missing:
        raise LeadscoreError(f"scorer '{scorer.info.name}' returned no {sorted(missing)} column")
    for column in ("probability", "grade", "stage"):
        if column not in scored.columns:
            scored[column] = np.nan if column == "probability" else None
    keep = ["contact_id", "score", "probability", "grade", "stage"]
    return labels.merge(scored[keep], on="contact_id", how="inner", validate="one_to_one")


def backtest(
    store: Store,
    scorers: Sequence[Scorer],
    as_of: Sequence[int],
    horizon_days: float,
    *,
    allow_partial: bool = False,
    observed_until_us: int | None = None,
    progress: Progress | None = None,
) -> BacktestResult:
    """Score the workspace as of each date with each scorer and measure against the horizon.

    ``as_of``: epoch microseconds; ``horizon_days``: how long after T a conversion counts.
    Dates whose horizon reaches past the data (``observed_until_us``, default: the last event
    or outcome) are refused unless ``allow_partial`` (then a warning says so).
    """
    from leadscore.evaluate.population import (
        check_horizons,
        frame,
        observed_until,
        population_table,
    )

    if not scorers:
        raise LeadscoreError("give at least one model to backtest")
    if not as_of:
        raise LeadscoreError("give at least one as-of date")
    if not horizon_days > 0:
        raise LeadscoreError(f"the horizon must be longer than zero, got {horizon_days} days")
    horizon_us = round(horizon_days * DAY_US)
    dates = sorted({int(t) for t in as_of})
    observed = observed_until(store) if observed_until_us is None else observed_until_us
    warnings = check_horizons(dates, horizon_us, observed, allow_partial)
    warnings += [f"{s.info.name}: {w}" for s in scorers for w in s.info.warnings]
    parts: list[pd.DataFrame] = []
    evaluations: list[Evaluation] = []
    for t in dates:
        with population_table(store, t, horizon_us) as population:
            columns = ["contact_id", "label", "converted_at_us"]
            labels = frame(store, f"SELECT {', '.join(columns)} FROM {population}", columns)
            for scorer in scorers:
                if progress:
                    progress(f"scoring {scorer.info.name} as of {iso(t)}")
                scored = score_population(store, scorer, t, population, labels)
                evaluations.append(evaluate_frame(scored, scorer.info, t, horizon_us))
                scored.insert(0, "as_of_us", t)
                scored.insert(0, "scorer", scorer.info.name)
                parts.append(scored)
    leads = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return BacktestResult(
        scorers=[s.info for s in scorers],
        as_of=dates,
        horizon_us=horizon_us,
        observed_until_us=observed,
        leads=leads,
        evaluations=evaluations,
        warnings=warnings,
    )
