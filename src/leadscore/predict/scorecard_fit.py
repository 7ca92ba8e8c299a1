"""Fit a scorecard on a training set (a :class:`~leadscore.predict.dataset.FeatureTable`).

1. **Features**: attribute numbers and categories, event counts and days since an event. Rule
   points and scores (they are the old model), the contact's age and distinct pages (the model
   spec has no rule for them) are left out, with a note.
2. **Bins** per feature (:mod:`.scorecard_bins`): monotone numeric bins, grouped categories.
3. **Rules**: stepwise selection of bin thresholds by likelihood gain, at most ``max_rules``
   including the base (:mod:`.scorecard_select`), each weight following its feature's trend.
4. **Points**: the weights scaled (PDO or min-max) and rounded (:mod:`.scorecard_points`);
   rules that round to 0 points are dropped.
5. **Grades**: hot and warm are the best ``hot_share`` and next ``warm_share`` of the leads of
   the latest snapshot.

:func:`validate_scorecard` fits on the earlier examples (the latest snapshots held out, or a
stratified share without times) and measures on the held-out ones; the suggestion itself is then
fitted on every example.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.predict.scorecard_bins import BIN_KINDS, BinOptions
from leadscore.predict.scorecard_points import check_scale

if TYPE_CHECKING:
    import pandas as pd

    from leadscore.predict.dataset import FeatureTable
    from leadscore.predict.featureinfo import FeatureInfo
    from leadscore.predict.scorecard_model import Scorecard

# Why a feature kind has no rule form (said once per kind in the notes).
SKIPPED_KINDS = {
    "rule_points": "rule points are the current model's own rules",
    "score": "scores are the current model's own output",
    "contact_age": "the model spec has no rule on a contact's age",
    "distinct_values": "the model spec has no rule counting distinct pages or assets",
}


@dataclass(frozen=True)
class ScorecardOptions:
    """How a scorecard is fitted and scaled; the defaults suit a typical training set."""

    max_rules: int = 20  # rules in the model, the base included
    scale: str = "pdo"  # pdo or minmax (see leadscore.predict.scorecard_points)
    pdo: float = 10.0  # points that double the odds
    base_score: float = 50.0  # the total of a lead at the base odds
    base_odds: float | None = None  # default: the odds of the training base rate
    stop_chi2: float = 10.83  # a rule must bring at least this likelihood gain (p = 0.001)
    l2: float = 1.0  # ridge penalty of the weights
    max_selection_examples: int | None = 200_000  # rules are chosen on a sample of this size
    hot_share: float = 0.10
    warm_share: float = 0.20
    validation_fraction: float = 0.25
    seed: int = 0
    bins: BinOptions = field(default_factory=BinOptions)

    def check(self) -> None:
        check_scale(self.scale)
        if self.max_rules < 1:
            raise LeadscoreError(f"max_rules must be at least 1, got {self.max_rules}")
        if not 0 < self.hot_share < 1 or not 0 <= self.warm_share < 1 - self.hot_share:
            raise LeadscoreError(
                f"hot_share and warm_share must be shares adding up to less than 1, got "
                f"{self.hot_share} and {self.warm_share}"
            )


def usable_features(infos: tuple[FeatureInfo, ...]) -> tuple[list[FeatureInfo], list[str]]:
    """The features a scorecard can turn into rules, and notes on the others."""
    usable = [i for i in infos if i.kind in BIN_KINDS]
    notes = []
    for kind in dict.fromkeys(i.kind for i in infos if i.kind not in BIN_KINDS):
        why = SKIPPED_KINDS.get(kind, "the model spec has no rule for it")
        left = sum(1 for i in infos if i.kind == kind)
        notes.append(f"left out {left} feature(s) of kind {kind}: {why}")
    return usable, notes


def fit_scorecard(
    table: FeatureTable, options: ScorecardOptions | None = None, rows: Any = None
) -> Scorecard:
    """Fit a scorecard on ``table`` (or on its ``rows``); see the module docstring."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped,unused-ignore]

    options = options or ScorecardOptions()
    options.check()
    if table.y is None:
        raise LeadscoreError("the feature table has no labels to learn from")
    # small matrices: one BLAS thread is as fast, and never spins on a busy machine
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit(table, options, rows)


def _fit(table: FeatureTable, options: ScorecardOptions, rows: Any) -> Scorecard:
    import numpy as np

    from leadscore.predict.scorecard_bins import bin_feature
    from leadscore.predict.scorecard_model import attach_evidence
    from leadscore.predict.scorecard_select import fit_logit, select_rules
    from leadscore.predict.splits import subsample

    rows = np.arange(len(table)) if rows is None else np.asarray(rows)
    X = table.X.iloc[rows].reset_index(drop=True)
    y = np.asarray(table.y)[rows].astype(np.int64)
    positives = int(y.sum())
    if positives == 0 or positives == len(y):
        raise LeadscoreError(
            f"the training set ({len(y):,} examples) has "
            f"{'no conversions' if positives == 0 else 'only conversions'}: nothing to learn from"
        )
    usable, notes = usable_features(table.infos)
    binnings = {}
    for info in usable:
        cap = info.window_days if info.kind == "event_recency" else None
        found = bin_feature(info.name, info.kind, X[info.name], y, options.bins, cap)
        if found is not None:
            binnings[info.name] = found
    indexes = {name: b.index(X[name]) for name, b in binnings.items()}
    thresholds = [t for b in binnings.values() for t in b.thresholds()]
    sample = subsample(np.arange(len(y)), options.max_selection_examples, options.seed)
    columns, thresholds = _candidate_columns(thresholds, indexes, sample)
    budget = options.max_rules - 1  # one rule is kept for the base
    selection = select_rules(
        columns,
        y[sample],
        _signs(thresholds, columns, y[sample]),
        budget,
        options.stop_chi2,
        options.l2,
    )
    kept = [thresholds[j] for j in selection.columns]
    weights = selection.fit
    if len(sample) < len(y) and kept:  # the weights of the kept rules on every example
        full = np.column_stack([np.isin(indexes[t.feature], sorted(t.bins)) for t in kept]).astype(
            np.float64
        )
        weights = fit_logit(full, y, options.l2)
    card = _scaled(
        binnings,
        {i.name: i for i in usable},
        kept,
        list(weights.coef),
        weights.intercept,
        y,
        options,
    )
    attach_evidence(card.rules, indexes, y)
    card.notes = notes + card.notes
    if not card.rules:
        card.notes.append(
            f"no rule reached the evidence needed (a likelihood gain of {options.stop_chi2:g}) "
            f"on {len(y):,} examples: every lead gets the base points"
        )
    if len(sample) < len(y):
        card.notes.append(f"rules chosen on a sample of {len(sample):,} of {len(y):,} examples")
    card.bands = _bands(card, X, y, table, rows, options)
    return card


def _candidate_columns(
    thresholds: list[Any], indexes: dict[str, Any], sample: Any
) -> tuple[Any, list[Any]]:
    """The 0/1 matrix of the candidates on the sample, without duplicate columns (a 30-day
    count of at least 1 is the same as "an event in the last 30 days")."""
    import numpy as np

    seen: set[bytes] = set()
    kept_columns = []
    kept = []
    for t in thresholds:
        column = np.isin(indexes[t.feature][sample], sorted(t.bins))
        count = int(column.sum())
        if count == 0 or count == len(column):
            continue
        key = np.packbits(column).tobytes()
        if key in seen:
            continue
        seen.add(key)
        kept_columns.append(column)
        kept.append(t)
    if not kept_columns:
        return np.zeros((len(sample), 0), dtype=np.int8), []
    return np.column_stack(kept_columns).astype(np.int8), kept


def _signs(thresholds: list[Any], columns: Any, y: Any) -> list[int]:
    """The sign each rule's weight must have: its feature's trend, or for a rule without one
    (missing values) the way its own leads convert compared with the others, so that a rule
    whose leads convert less never gets positive points for it."""
    import numpy as np

    labels = np.asarray(y) == 1
    inside = columns.sum(axis=0, dtype=np.int64).astype(np.float64)
    hits = columns[labels].sum(axis=0, dtype=np.int64).astype(np.float64)
    outside = len(y) - inside
    rate_in = hits / np.maximum(inside, 1)
    rate_out = (float(np.sum(y)) - hits) / np.maximum(outside, 1)
    marginal = np.sign(rate_in - rate_out).astype(int)
    return [t.sign if t.sign != 0 else int(m) for t, m in zip(thresholds, marginal, strict=True)]


def _scaled(
    binnings: dict[str, Any],
    infos: dict[str, FeatureInfo],
    kept: list[Any],
    weights: list[float],
    intercept: float,
    y: Any,
    options: ScorecardOptions,
) -> Scorecard:
    import math

    from leadscore.predict.scorecard_model import Scorecard, feature_ranges, rules_from_selection
    from leadscore.predict.scorecard_points import minmax_scale, pdo_scale
    from leadscore.predict.scorecard_rules import assign_ids

    rules, offset, references = rules_from_selection(binnings, kept, weights)
    intercept += offset
    if options.scale == "pdo":
        rate = float(y.mean())
        odds = options.base_odds if options.base_odds is not None else rate / (1 - rate)
        scale = pdo_scale(options.pdo, options.base_score, odds)
    else:
        scale = minmax_scale(intercept, feature_ranges(rules, binnings))
    notes = []
    for rule in rules:
        rule.points = scale.points(rule.weight)
    zero = [r for r in rules if r.points == 0]
    if zero:
        notes.append(f"dropped {len(zero)} rule(s) whose weight rounds to 0 points")
    rules = [r for r in rules if r.points != 0]
    used = {r.feature for r in rules}
    card = Scorecard(
        binnings={k: v for k, v in binnings.items() if k in used},
        infos={k: v for k, v in infos.items() if k in used},
        rules=rules,
        intercept=intercept,
        scale=scale,
        base_points=scale.base(intercept),
        references={k: v for k, v in references.items() if k in used},
        notes=notes,
    )
    if not math.isfinite(card.intercept):
        raise LeadscoreError("the scorecard did not converge")
    assign_ids(card)
    return card


def _bands(
    card: Scorecard,
    X: pd.DataFrame,
    y: Any,
    table: FeatureTable,
    rows: Any,
    options: ScorecardOptions,
) -> list[Any]:
    """Grades from the leads of the latest snapshot (every lead without snapshots)."""
    import numpy as np

    from leadscore.predict.scorecard_points import grade_bands

    latest = np.ones(len(y), dtype=bool)
    if table.snapshot_us is not None and table.snapshots_us:
        times = np.asarray(table.snapshot_us)[rows]
        latest = times == times.max()
    points = card.points(X)
    return grade_bands(points[latest], y[latest], options.hot_share, options.warm_share)


@dataclass
class Validation:
    """How a scorecard fitted on earlier examples did on later (held-out) ones."""

    protocol: str
    metrics: dict[str, float]  # of the points: roc_auc; of the fitted probability: the rest
    rules: int


def validate_scorecard(
    table: FeatureTable, options: ScorecardOptions | None = None
) -> Validation | None:
    """Fit on the earlier examples and measure on the held-out ones (None when the data are
    too small to hold any out)."""
    import numpy as np

    from leadscore.predict import metrics
    from leadscore.predict.splits import holdout

    options = options or ScorecardOptions()
    assert table.y is not None
    y = np.asarray(table.y).astype(np.int64)
    split = holdout(y, table.snapshot_us, options.validation_fraction, options.seed)
    if split is None:
        return None
    card = fit_scorecard(table, options, split.train)
    held = table.X.iloc[split.held].reset_index(drop=True)
    truth = y[split.held]
    summary = metrics.summary(truth, card.probability(held))
    summary["roc_auc_fitted"] = summary["roc_auc"]
    summary["roc_auc"] = metrics.roc_auc_score(truth, card.points(held))
    summary["pr_auc"] = metrics.pr_auc_score(truth, card.points(held))
    protocol = (
        f"{split.description}; fitted on {len(split.train):,} examples, "
        f"checked on {len(split.held):,}"
    )
    return Validation(protocol, summary, len(card.rules) + (1 if card.base_points else 0))
