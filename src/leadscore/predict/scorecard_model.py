"""A fitted scorecard: bins, rules with their log-odds weights and whole points, the base, the
scale and the grades. It scores a feature table in Python exactly as its rule model scores the
store (:mod:`leadscore.predict.scorecard_rules` writes the rules).

How kept candidates become rules (:func:`rules_from_selection`):

- event counts and days since an event keep their nested form: "at least 1 pricing view in 30
  days" and "at least 3" are two rules, and a lead with 4 views gets both, so the points of a
  bin are the sum of its thresholds' points (the second rule carries the increment);
- attribute numbers and categories become disjoint bins (``company size 50 to 199``): the kept
  thresholds cut the bins into segments, the segment with the most examples is the reference
  (0 points, no rule) and every other segment is one rule with the difference in points; what
  the reference adds goes to the base.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from leadscore.predict.featureinfo import FeatureInfo
    from leadscore.predict.scorecard_bins import Binning, Threshold
    from leadscore.predict.scorecard_points import Band, Scale

    FloatArray = npt.NDArray[np.float64]


@dataclass
class Evidence:
    """What the training data say about the leads a rule selects."""

    support: int  # examples selected
    examples: int  # of this many
    conversions: int
    base_rate: float

    @property
    def share(self) -> float:
        return self.support / self.examples if self.examples else float("nan")

    @property
    def rate(self) -> float:
        return self.conversions / self.support if self.support else float("nan")

    @property
    def lift(self) -> float:
        return self.rate / self.base_rate if self.base_rate else float("nan")

    def as_dict(self) -> dict[str, float]:
        return {
            "support": self.support,
            "share": self.share,
            "conversions": self.conversions,
            "conversion_rate": self.rate,
            "lift": self.lift,
        }


@dataclass
class ScorecardRule:
    """Points for the examples whose bin of ``feature`` is in ``bins``."""

    feature: str
    bins: frozenset[int]
    weight: float  # log-odds
    points: int = 0
    evidence: Evidence | None = None
    rule_id: str = ""
    score: str = ""  # the named score it belongs to (fit or engagement)

    def selects(self, index: Any) -> Any:
        import numpy as np

        return np.isin(index, sorted(self.bins))


@dataclass
class Scorecard:
    binnings: dict[str, Binning]
    infos: dict[str, FeatureInfo]
    rules: list[ScorecardRule]
    intercept: float  # log-odds of a lead that no rule selects
    scale: Scale
    base_points: int = 0
    # attributes: the segment that gets 0 points (its log-odds are in the base)
    references: dict[str, frozenset[int]] = field(default_factory=dict)
    bands: list[Band] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def _indexes(self, X: pd.DataFrame) -> dict[str, Any]:
        used = {r.feature for r in self.rules}
        return {f: self.binnings[f].index(X[f]) for f in used}

    def points(self, X: pd.DataFrame) -> FloatArray:
        """Every row's total: the base plus the points of the rules that select it."""
        import numpy as np

        index = self._indexes(X)
        total = np.full(len(X), float(self.base_points))
        for rule in self.rules:
            total += rule.points * rule.selects(index[rule.feature])
        return total

    def logit(self, X: pd.DataFrame) -> FloatArray:
        """The fitted log-odds (before rounding to points)."""
        import numpy as np

        index = self._indexes(X)
        total = np.full(len(X), self.intercept)
        for rule in self.rules:
            total += rule.weight * rule.selects(index[rule.feature])
        return total

    def probability(self, X: pd.DataFrame) -> FloatArray:
        import numpy as np

        return 1.0 / (1.0 + np.exp(-np.clip(self.logit(X), -35, 35)))

    def cumulative_points(self, rule: ScorecardRule) -> int:
        """The points of the feature for a lead that this rule selects through its narrowest
        bin: the rule's own points plus those of the wider rules it is nested in."""
        return sum(
            r.points for r in self.rules if r.feature == rule.feature and rule.bins <= r.bins
        )


def rules_from_selection(
    binnings: dict[str, Binning],
    thresholds: list[Threshold],
    weights: list[float],
) -> tuple[list[ScorecardRule], float, dict[str, frozenset[int]]]:
    """Rules (nested for events, disjoint segments for attributes), the log-odds that the
    reference segments add to every lead, and the reference segment of each attribute (see the
    module docstring)."""
    by_feature: dict[str, list[tuple[Threshold, float]]] = {}
    for threshold, weight in zip(thresholds, weights, strict=True):
        by_feature.setdefault(threshold.feature, []).append((threshold, weight))
    rules: list[ScorecardRule] = []
    offset = 0.0
    references: dict[str, frozenset[int]] = {}
    for feature, kept in by_feature.items():
        binning = binnings[feature]
        if binning.kind in ("count", "recency"):
            ordered = sorted(kept, key=lambda item: -len(item[0].bins))  # widest first
            rules += [ScorecardRule(feature, t.bins, w) for t, w in ordered]
            continue
        # segments: bins with the same kept thresholds over them
        signature: dict[frozenset[int], list[int]] = {}
        for b in range(binning.n_bins):
            key = frozenset(i for i, (t, _) in enumerate(kept) if b in t.bins)
            signature.setdefault(key, []).append(b)
        segments = []
        for key, members in signature.items():
            weight = sum(kept[i][1] for i in key)
            support = sum(binning.counts[b] for b in members)
            segments.append((min(members), frozenset(members), weight, support))
        segments.sort(key=lambda s: s[0])
        reference = max(segments, key=lambda s: (s[3], -s[0]))
        offset += reference[2]
        references[feature] = reference[1]
        for _, segment, weight, _ in segments:
            if segment != reference[1]:
                rules.append(ScorecardRule(feature, segment, weight - reference[2]))
    return rules, offset, references


def feature_ranges(
    rules: list[ScorecardRule], binnings: dict[str, Binning]
) -> list[tuple[float, float]]:
    """Per feature, the lowest and highest log-odds its rules can add to one lead."""
    out = []
    for feature in dict.fromkeys(r.feature for r in rules):
        mine = [r for r in rules if r.feature == feature]
        sums = [0.0]  # a level never seen in training gets no rule
        for b in range(binnings[feature].n_bins):
            sums.append(sum(r.weight for r in mine if b in r.bins))
        out.append((min(sums), max(sums)))
    return out


def attach_evidence(rules: list[ScorecardRule], indexes: dict[str, Any], y: Any) -> None:
    """Support, conversions and lift of every rule on labelled examples."""
    import numpy as np

    labels = np.asarray(y, dtype=np.int64)
    n = len(labels)
    base = float(labels.mean()) if n else float("nan")
    for rule in rules:
        selected = rule.selects(indexes[rule.feature])
        rule.evidence = Evidence(
            support=int(selected.sum()),
            examples=n,
            conversions=int(labels[selected].sum()),
            base_rate=base,
        )
