"""From log-odds weights to whole points, and from points to grades.

Two scales (:data:`SCALES`):

- ``pdo`` (points to double the odds, the credit-scorecard convention): a lead's total is
  ``base_score + pdo / ln 2 x (logit - ln base_odds)``, so a lead at the base odds (by default
  the odds of the training base rate) scores ``base_score`` and every ``pdo`` more points
  doubles its odds of converting. Totals are not bounded;
- ``minmax``: the weights are scaled so that the lowest possible total is 0 and the highest
  100 (a lead in the worst bin of every feature scores 0, one in the best bin of every feature
  100). Combinations that never occur (many pricing views in 30 days but none in 90) are counted
  as possible, so real totals may stay below 100.

A rule's points are its weight times the scale's factor, rounded to a whole number; what is
left of the intercept goes to one ``base`` rule that every lead gets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

SCALES = ("pdo", "minmax")


def check_scale(scale: str) -> None:
    if scale not in SCALES:
        listed = ", ".join(repr(s) for s in SCALES)
        raise ValueError(f"scale must be a str among {{{listed}}}. Got {scale!r} instead.")


@dataclass(frozen=True)
class Scale:
    """``points = round(factor x weight)``; ``base = round(offset + factor x intercept)``."""

    method: str
    factor: float
    offset: float
    pdo: float | None = None  # pdo: points that double the odds
    base_score: float | None = None  # pdo: the total of a lead at ``base_odds``
    base_odds: float | None = None

    def points(self, weight: float) -> int:
        return round(self.factor * weight)

    def base(self, intercept: float) -> int:
        return round(self.offset + self.factor * intercept)

    def describe(self) -> str:
        if self.method == "pdo":
            assert self.pdo is not None
            assert self.base_score is not None
            assert self.base_odds is not None
            rate = self.base_odds / (1 + self.base_odds)
            return (
                f"points to double the odds: every {fmt(self.pdo)} points double the odds of "
                f"converting; {fmt(self.base_score)} points are odds of "
                f"1:{1 / self.base_odds:.1f} ({rate:.1%})"
            )
        return "min-max: the lowest possible total is 0 and the highest 100"


def fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def pdo_scale(pdo: float, base_score: float, base_odds: float) -> Scale:
    """Scale: total = base_score + pdo / ln 2 x (logit - ln base_odds)."""
    if not pdo > 0:
        raise ValueError(f"pdo must be positive, got {pdo}")
    if not base_odds > 0:
        raise ValueError(f"base_odds must be positive, got {base_odds}")
    factor = pdo / math.log(2)
    return Scale(
        "pdo",
        factor,
        base_score - factor * math.log(base_odds),
        pdo=pdo,
        base_score=base_score,
        base_odds=base_odds,
    )


def minmax_scale(intercept: float, ranges: Sequence[tuple[float, float]]) -> Scale:
    """Scale so that ``intercept + sum of the lows`` is 0 and ``... + highs`` is 100
    (``ranges``: the lowest and highest weight each feature can add)."""
    low = intercept + sum(lo for lo, _ in ranges)
    high = intercept + sum(hi for _, hi in ranges)
    if not high > low:
        return Scale("minmax", 1.0, -low)
    factor = 100.0 / (high - low)
    return Scale("minmax", factor, -factor * low)


@dataclass(frozen=True)
class Band:
    grade: str
    min: int | None
    stage: str | None
    share: float  # of the leads it was chosen on
    rate: float  # their conversion rate (NaN without labels)


def grade_bands(points: Any, y: Any, hot_share: float, warm_share: float) -> list[Band]:
    """hot / warm / cold: the best ``hot_share`` of the leads are hot, the next ``warm_share``
    warm (thresholds are totals reached by at least that share; ties stay together)."""
    import numpy as np

    totals = np.asarray(points, dtype=np.float64)
    labels = np.asarray(y, dtype=np.float64)
    if not len(totals):
        return [Band("cold", None, None, 1.0, float("nan"))]
    cuts: list[tuple[str, str, int]] = []
    hot = _threshold(totals, hot_share)
    warm = _threshold(totals, hot_share + warm_share)
    if hot is not None and hot > totals.min():
        cuts.append(("hot", "SQL", hot))
    if warm is not None and warm > totals.min() and (not cuts or warm < cuts[0][2]):
        cuts.append(("warm", "MQL", warm))
    bands = []
    upper = math.inf
    for grade, stage, low in cuts:
        members = (totals >= low) & (totals < upper)
        bands.append(Band(grade, low, stage, float(members.mean()), _rate(labels, members)))
        upper = low
    rest = totals < upper
    bands.append(Band("cold", None, None, float(rest.mean()), _rate(labels, rest)))
    return bands


def _threshold(totals: npt.NDArray[np.float64], share: float) -> int | None:
    import numpy as np

    if not 0 < share < 1:
        return None
    return math.ceil(float(np.quantile(totals, 1 - share, method="higher")))


def _rate(labels: Any, members: Any) -> float:
    count = int(members.sum())
    return float(labels[members].sum() / count) if count and len(labels) else float("nan")
