"""Champion vs challenger: two or more scorers on the same leads, with paired bootstrap
intervals for the differences, and the leads whose grade would change.

Works on a :class:`~leadscore.evaluate.backtest.BacktestResult`, so every scorer is measured on
exactly the same leads and labels. Differences are challenger minus champion: above zero, the
challenger is better.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from leadscore.errors import LeadscoreError
from leadscore.evaluate.backtest import records
from leadscore.evaluate.metrics import RankedSample, midranks
from leadscore.evaluate.stats import FEW_POSITIVES, Bootstrap, bootstrap, rounded
from leadscore.evaluate.tables import NO_GROUP
from leadscore.timeutil import iso

if TYPE_CHECKING:
    import numpy.typing as npt

    from leadscore.evaluate.backtest import BacktestResult
    from leadscore.evaluate.scorers import ScorerInfo

TOP_FRACTION = 0.1


@dataclass
class Side:
    """One scorer's figures on the shared leads."""

    name: str
    roc_auc: float
    top_grade: str | None
    top_grade_leads: int
    top_grade_rate: float
    top_decile_rate: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "roc_auc": rounded(self.roc_auc, 3),
            "top_grade": self.top_grade,
            "top_grade_leads": self.top_grade_leads,
            "top_grade_rate": rounded(self.top_grade_rate),
            "top_decile_rate": rounded(self.top_decile_rate),
        }


@dataclass
class PairComparison:
    champion: Side
    challenger: Side
    leads: int
    conversions: int
    auc_diff: Bootstrap
    top_grade_diff: Bootstrap | None
    top_decile_diff: Bootstrap
    transitions: pd.DataFrame  # from, to, leads, conversions, rate
    changed: int  # leads whose grade differs
    moved_up: int | None  # None when the two scorers' grades are not the same labels
    moved_down: int | None
    sample: pd.DataFrame  # changed leads, the largest moves in rank first
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "champion": self.champion.as_dict(),
            "challenger": self.challenger.as_dict(),
            "leads": self.leads,
            "conversions": self.conversions,
            "auc_difference": self.auc_diff.as_dict(),
            "top_grade_rate_difference": (
                None if self.top_grade_diff is None else self.top_grade_diff.as_dict()
            ),
            "top_decile_rate_difference": self.top_decile_diff.as_dict(),
            "grade_changes": self.changed,
            "moved_up": self.moved_up,
            "moved_down": self.moved_down,
            "transitions": records(self.transitions),
            "sample": records(self.sample),
            "warnings": self.warnings,
        }


@dataclass
class Comparison:
    as_of_us: int
    horizon_us: int
    champion: str
    pairs: list[PairComparison]
    n_boot: int
    seed: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": iso(self.as_of_us),
            "horizon_days": self.horizon_us / 86_400_000_000,
            "champion": self.champion,
            "bootstrap": {"replicates": self.n_boot, "seed": self.seed, "level": 0.95},
            "comparisons": [p.as_dict() for p in self.pairs],
        }


def compare(
    result: BacktestResult,
    as_of_us: int | None = None,
    champion: str | None = None,
    challengers: list[str] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    sample: int = 20,
) -> Comparison:
    """Compare ``challengers`` (default: every other scorer) with ``champion`` (default: the
    first scorer) at one as-of date (default: the latest) of a backtest."""
    names = [s.name for s in result.scorers]
    if len(names) < 2:
        raise LeadscoreError("a comparison needs at least two models")
    t = result.as_of[-1] if as_of_us is None else as_of_us
    if t not in result.as_of:
        raise LeadscoreError(f"the backtest has no as-of date {iso(t)}")
    base = champion or names[0]
    info_a = result.info(base)
    others = challengers or [n for n in names if n != base]
    pairs = [
        compare_frames(
            result.scored(base, t),
            result.scored(other, t),
            info_a,
            result.info(other),
            n_boot=n_boot,
            seed=seed,
            sample=sample,
        )
        for other in others
    ]
    return Comparison(t, result.horizon_us, base, pairs, n_boot, seed)


def _top_grade(info: ScorerInfo, grades: pd.Series) -> str | None:
    present = set(grades.dropna().astype(str))
    for label in info.grades:
        if label in present:
            return label
    return None


def compare_frames(
    a: pd.DataFrame,
    b: pd.DataFrame,
    info_a: ScorerInfo,
    info_b: ScorerInfo,
    n_boot: int = 1000,
    seed: int = 0,
    sample: int = 20,
) -> PairComparison:
    """The pure part: two scored frames of the same leads (``contact_id``, ``score``,
    ``grade``, ``label``) -> differences with bootstrap intervals and grade transitions."""
    pair = a.merge(b, on="contact_id", suffixes=("_a", "_b"), validate="one_to_one")
    if len(pair) < len(a) or len(pair) < len(b):
        raise LeadscoreError("the two models did not score the same leads; compare on one backtest")
    y = pair["label_a"].to_numpy(dtype=np.int64)
    s_a = pair["score_a"].to_numpy(dtype=np.float64)
    s_b = pair["score_b"].to_numpy(dtype=np.float64)
    rank_a, rank_b = RankedSample(y, s_a), RankedSample(y, s_b)
    top_a, top_b = _top_grade(info_a, pair["grade_a"]), _top_grade(info_b, pair["grade_b"])
    in_a = (pair["grade_a"].astype(object) == top_a).to_numpy(dtype=bool)
    in_b = (pair["grade_b"].astype(object) == top_b).to_numpy(dtype=bool)
    yf = y.astype(np.float64)

    def rate(mask: npt.NDArray[np.bool_], w: npt.NDArray[np.float64]) -> float:
        total = float(w[mask].sum())
        return float((w * yf)[mask].sum() / total) if total > 0 else float("nan")

    statistics = [
        lambda w: rank_b.auc(w) - rank_a.auc(w),
        lambda w: rank_b.top_rate(w, TOP_FRACTION) - rank_a.top_rate(w, TOP_FRACTION),
    ]
    graded = top_a is not None and top_b is not None
    if graded:
        statistics.append(lambda w: rate(in_b, w) - rate(in_a, w))
    results = bootstrap(len(pair), statistics, n_boot=n_boot, seed=seed)
    ones = np.ones(len(pair))
    side_a = Side(
        info_a.name,
        rank_a.auc(ones),
        top_a,
        int(in_a.sum()),
        rate(in_a, ones),
        rank_a.top_rate(ones, TOP_FRACTION),
    )
    side_b = Side(
        info_b.name,
        rank_b.auc(ones),
        top_b,
        int(in_b.sum()),
        rate(in_b, ones),
        rank_b.top_rate(ones, TOP_FRACTION),
    )
    transitions, changed, up, down = grade_transitions(pair, info_a, info_b)
    warnings = []
    positives = int(y.sum())
    if positives < FEW_POSITIVES:
        warnings.append(
            f"only {positives} conversions: differences this small sample shows are rough"
        )
    if graded and min(side_a.top_grade_leads, side_b.top_grade_leads) < FEW_POSITIVES:
        warnings.append(
            "a top grade holds fewer than 30 leads: its conversion rate is rough (see the interval)"
        )
    return PairComparison(
        champion=side_a,
        challenger=side_b,
        leads=len(pair),
        conversions=positives,
        auc_diff=results[0],
        top_grade_diff=results[2] if graded else None,
        top_decile_diff=results[1],
        transitions=transitions,
        changed=changed,
        moved_up=up,
        moved_down=down,
        sample=changed_sample(pair, sample),
        warnings=warnings,
    )


def grade_transitions(
    pair: pd.DataFrame, info_a: ScorerInfo, info_b: ScorerInfo
) -> tuple[pd.DataFrame, int, int | None, int | None]:
    """Leads (and their conversions) per (champion grade -> challenger grade)."""
    ga = pair["grade_a"].astype(object).fillna(NO_GROUP).astype(str)
    gb = pair["grade_b"].astype(object).fillna(NO_GROUP).astype(str)
    frame = pd.DataFrame({"from": ga, "to": gb, "y": pair["label_a"].astype(np.int64)})
    agg = frame.groupby(["from", "to"], sort=False)["y"].agg(["size", "sum"]).reset_index()
    agg.columns = pd.Index(["from", "to", "leads", "conversions"])
    order_a = {g: i for i, g in enumerate(info_a.grades)}
    order_b = {g: i for i, g in enumerate(info_b.grades)}
    agg["_a"] = agg["from"].map(lambda g: order_a.get(g, len(order_a)))
    agg["_b"] = agg["to"].map(lambda g: order_b.get(g, len(order_b)))
    agg = agg.sort_values(["_a", "_b", "from", "to"]).drop(columns=["_a", "_b"])
    agg["rate"] = agg["conversions"] / agg["leads"]
    changed = int((ga != gb).sum())
    if info_a.grades and tuple(info_a.grades) == tuple(info_b.grades):
        rank_a = ga.map(lambda g: order_a.get(g, len(order_a)))
        rank_b = gb.map(lambda g: order_b.get(g, len(order_b)))
        return (
            agg.reset_index(drop=True),
            changed,
            int((rank_b < rank_a).sum()),
            int((rank_b > rank_a).sum()),
        )
    return agg.reset_index(drop=True), changed, None, None


def changed_sample(pair: pd.DataFrame, size: int) -> pd.DataFrame:
    """Up to ``size`` leads whose grade changes, the largest moves in percentile rank first."""
    n = len(pair)
    columns = ["contact_id", "grade_a", "grade_b", "score_a", "score_b", "rank_move", "converted"]
    if n == 0 or size <= 0:
        return pd.DataFrame(columns=columns)
    pct_a = midranks(pair["score_a"].to_numpy(dtype=np.float64)) / n
    pct_b = midranks(pair["score_b"].to_numpy(dtype=np.float64)) / n
    frame = pd.DataFrame(
        {
            "contact_id": pair["contact_id"],
            "grade_a": pair["grade_a"],
            "grade_b": pair["grade_b"],
            "score_a": pair["score_a"],
            "score_b": pair["score_b"],
            "rank_move": pct_b - pct_a,
            "converted": pair["label_a"].astype(np.int64),
        }
    )
    ga = frame["grade_a"].astype(object).fillna(NO_GROUP)
    gb = frame["grade_b"].astype(object).fillna(NO_GROUP)
    moved = frame.loc[ga != gb].copy()
    moved["_size"] = moved["rank_move"].abs()
    moved = moved.sort_values(["_size", "contact_id"], ascending=[False, True]).head(size)
    return moved.drop(columns=["_size"]).reset_index(drop=True)[columns]
