"""Drift: has the population changed between two periods? The population stability index
(PSI) of the score and of the features the model reads.

``PSI = sum((current - reference) * ln(current / reference))`` over bins of the reference
distribution. Below 0.1 the distribution is stable; 0.1 to 0.25 is a moderate shift worth a
look; above 0.25 a large one: the model was built for leads that no longer arrive, or the data
feeding it changed. The leads of a period are the contacts created in it, scored as of its end;
use periods of the same length so the leads have had the same time to act.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from leadscore.errors import LeadscoreError
from leadscore.evaluate.backtest import records
from leadscore.evaluate.stats import rounded
from leadscore.timeutil import iso

if TYPE_CHECKING:
    from sqlglot import exp

    from leadscore.evaluate.scorers import Scorer
    from leadscore.store.base import Store

MODERATE, LARGE = 0.1, 0.25
FLOOR = 1e-4  # share given to an empty bin, so that the logarithm stays finite
MISSING, OTHER = "(missing)", "(other)"
MAX_DISTINCT = 50  # text attributes with more distinct values (and mostly unique) are skipped


def drift_level(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    if value > LARGE:
        return "large"
    if value >= MODERATE:
        return "moderate"
    return "stable"


def _psi(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    if ref_counts.sum() == 0 or cur_counts.sum() == 0:
        return float("nan")
    ref = np.maximum(ref_counts / ref_counts.sum(), FLOOR)
    cur = np.maximum(cur_counts / cur_counts.sum(), FLOOR)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def numeric_bins(
    reference: np.ndarray, current: np.ndarray, bins: int = 10
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Bins at the reference's quantiles (merged where values tie), a missing bin when NaNs
    occur; returns labels and the counts of each sample."""
    ref, cur = np.asarray(reference, float), np.asarray(current, float)
    ref_ok, cur_ok = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if len(ref_ok):
        edges = np.unique(np.quantile(ref_ok, np.linspace(0, 1, bins + 1)[1:-1]))
    else:
        edges = np.zeros(0)
    index_ref = np.searchsorted(edges, ref_ok, side="left")
    index_cur = np.searchsorted(edges, cur_ok, side="left")
    k = len(edges) + 1
    counts_ref = np.bincount(index_ref, minlength=k).astype(float)
    counts_cur = np.bincount(index_cur, minlength=k).astype(float)
    bounds = [-np.inf, *edges.tolist(), np.inf]
    labels = [_interval(bounds[i], bounds[i + 1]) for i in range(k)]
    missing_ref, missing_cur = len(ref) - len(ref_ok), len(cur) - len(cur_ok)
    if missing_ref or missing_cur:
        labels.append(MISSING)
        counts_ref = np.append(counts_ref, missing_ref)
        counts_cur = np.append(counts_cur, missing_cur)
    return labels, counts_ref, counts_cur


def _interval(low: float, high: float) -> str:
    if not np.isfinite(low):
        return f"<= {high:.4g}"
    if not np.isfinite(high):
        return f"> {low:.4g}"
    return f"{low:.4g} - {high:.4g}"


def categorical_bins(
    reference: Sequence[Any], current: Sequence[Any], max_categories: int = 20
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The reference's most common values (rest grouped as other), plus missing values."""

    def clean(values: Sequence[Any]) -> pd.Series:
        series = pd.Series(list(values), dtype=object)
        return series.where(series.notna(), MISSING).astype(str)

    ref, cur = clean(reference), clean(current)
    top = [str(v) for v in ref.value_counts().index[:max_categories]]
    labels = [*top, OTHER] if len(set(ref) | set(cur)) > len(top) else list(top)
    ref_mapped = ref.where(ref.isin(top), OTHER)
    cur_mapped = cur.where(cur.isin(top), OTHER)
    counts_ref = ref_mapped.value_counts().reindex(labels, fill_value=0).to_numpy(float)
    counts_cur = cur_mapped.value_counts().reindex(labels, fill_value=0).to_numpy(float)
    return labels, counts_ref, counts_cur


def psi(
    reference: Sequence[float] | np.ndarray, current: Sequence[float] | np.ndarray, bins: int = 10
) -> float:
    """PSI of a numeric value between two samples (bins at the reference's quantiles)."""
    _, a, b = numeric_bins(np.asarray(reference, float), np.asarray(current, float), bins)
    return _psi(a, b)


def psi_categorical(reference: Sequence[Any], current: Sequence[Any]) -> float:
    """PSI of a categorical value between two samples."""
    _, a, b = categorical_bins(reference, current)
    return _psi(a, b)


def psi_table(labels: list[str], ref: np.ndarray, cur: np.ndarray) -> pd.DataFrame:
    """Per bin: the share of each sample and its part of the PSI."""
    a = np.maximum(ref / max(ref.sum(), 1), FLOOR)
    b = np.maximum(cur / max(cur.sum(), 1), FLOOR)
    return pd.DataFrame(
        {
            "bin": labels,
            "reference": ref / max(ref.sum(), 1),
            "current": cur / max(cur.sum(), 1),
            "contribution": (b - a) * np.log(b / a),
        }
    )


def looks_numeric(values: pd.Series, share: float = 0.9) -> bool:
    present = values.dropna()
    if present.empty:
        return False
    parsed = pd.to_numeric(present, errors="coerce")
    return bool(parsed.notna().mean() >= share)


@dataclass
class FeatureDrift:
    feature: str
    kind: str  # score, component, attribute, events
    psi: float
    bins: pd.DataFrame

    @property
    def level(self) -> str:
        return drift_level(self.psi)


@dataclass
class DriftResult:
    scorer: str
    reference: tuple[int, int]
    current: tuple[int, int]
    leads: tuple[int, int]
    features: list[FeatureDrift]
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        rows = [
            {"feature": f.feature, "kind": f.kind, "psi": f.psi, "level": f.level}
            for f in self.features
        ]
        return pd.DataFrame(rows, columns=["feature", "kind", "psi", "level"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "scorer": self.scorer,
            "reference": {"start": iso(self.reference[0]), "end": iso(self.reference[1])},
            "current": {"start": iso(self.current[0]), "end": iso(self.current[1])},
            "leads": {"reference": self.leads[0], "current": self.leads[1]},
            "thresholds": {"moderate": MODERATE, "large": LARGE},
            "features": [
                {
                    "feature": f.feature,
                    "kind": f.kind,
                    "psi": rounded(f.psi, 3),
                    "level": f.level,
                    "bins": records(f.bins),
                }
                for f in self.features
            ],
            "warnings": self.warnings,
        }


def too_varied(values: pd.Series) -> bool:
    """Text with so many distinct values (names, emails) that categories mean nothing."""
    present = values.dropna()
    distinct = present.nunique()
    return bool(distinct > MAX_DISTINCT and distinct > 0.2 * len(present))


def compare_samples(
    reference: pd.DataFrame, current: pd.DataFrame, kinds: dict[str, str], bins: int = 10
) -> tuple[list[FeatureDrift], list[str]]:
    """PSI of every column named in ``kinds`` (column -> kind); numeric columns get quantile
    bins, text columns categories; text with too many distinct values is skipped (returned
    second). Pure: two DataFrames of leads in, drifts out."""
    out = []
    skipped = []
    for column, kind in kinds.items():
        a, b = reference[column], current[column]
        numeric = kind in ("score", "component", "events") or (
            looks_numeric(a) and looks_numeric(b)
        )
        if numeric:
            labels, ca, cb = numeric_bins(
                pd.to_numeric(a, errors="coerce").to_numpy(float),
                pd.to_numeric(b, errors="coerce").to_numpy(float),
                bins,
            )
        elif too_varied(a):
            skipped.append(column)
            continue
        else:
            labels, ca, cb = categorical_bins(a.tolist(), b.tolist())
        out.append(FeatureDrift(column, kind, _psi(ca, cb), psi_table(labels, ca, cb)))
    return out, skipped


def _model_inputs(scorer: Scorer) -> tuple[list[str], list[str]]:
    """Attributes and event types a rule model reads (empty for other scorers)."""
    model = getattr(scorer, "model", None)
    if model is None:
        return [], []
    from leadscore.model.predicates import leaves

    attributes: list[str] = []
    events: list[str] = []
    for _score, rule in model.rules:
        if rule.kind == "attribute":
            attributes += [leaf.field for leaf in leaves(rule.when)]
        elif rule.kind in ("event", "inactivity") and rule.event:
            events += list(rule.event)
    return list(dict.fromkeys(attributes)), list(dict.fromkeys(events))


def _period_sample(
    store: Store,
    scorer: Scorer,
    period: tuple[int, int],
    attributes: list[str],
    events: list[str],
) -> pd.DataFrame:
    import uuid

    from sqlglot import exp

    from leadscore.compile.dialects import get_dialect
    from leadscore.evaluate.population import frame

    start, end = int(period[0]), int(period[1])
    name = f"_ev_drift_{uuid.uuid4().hex[:12]}"
    store.create_table_as(
        name,
        f"SELECT contact_id FROM contacts WHERE created_at_us > {start} AND created_at_us <= {end}",
        temp=True,
    )
    try:
        scored = scorer.score(store, end, name)
        d = get_dialect(store.dialect)
        columns: list[exp.Expr] = [exp.column("contact_id", "c")]
        for i, attribute in enumerate(attributes):
            columns.append(exp.alias_(d.prop(exp.column("attributes", "c"), attribute), f"a{i}"))
        query = exp.select(*columns).from_(exp.alias_(exp.to_table("contacts"), "c", table=True))
        query = query.where(f"c.contact_id IN (SELECT contact_id FROM {name})")
        attr_columns = ["contact_id", *[f"a{i}" for i in range(len(attributes))]]
        attrs = frame(store, d.sql(query, pretty=False), attr_columns)
        attrs.columns = pd.Index(["contact_id", *[f"attribute:{a}" for a in attributes]])
        sample = scored.merge(attrs, on="contact_id", how="left")
        if events:
            counts = _counts_query(events, start, end, name)
            ev_columns = ["contact_id", *[f"n{i}" for i in range(len(events))]]
            ev = frame(store, d.sql(counts, pretty=False), ev_columns)
            ev.columns = pd.Index(["contact_id", *[f"events:{t}" for t in events]])
            sample = sample.merge(ev, on="contact_id", how="left")
            for t in events:
                sample[f"events:{t}"] = sample[f"events:{t}"].fillna(0).astype(float)
        return sample
    finally:
        store.drop_table(name)


def _counts_query(events: list[str], start: int, end: int, population: str) -> exp.Select:
    """Per lead of ``population``: how many events of each type it had in ``(start, end]``."""
    from sqlglot import exp

    def count(event_type: str, i: int) -> exp.Expr:
        match = exp.EQ(this=exp.column("type", "e"), expression=exp.Literal.string(event_type))
        one = exp.If(this=match, true=exp.Literal.number(1))
        return exp.alias_(exp.Sum(this=exp.Case(ifs=[one], default=exp.Literal.number(0))), f"n{i}")

    return (
        exp.select(
            exp.column("contact_id", "e").as_("contact_id"),
            *[count(t, i) for i, t in enumerate(events)],
        )
        .from_(exp.alias_(exp.to_table("events"), "e", table=True))
        .where(
            f"e.ts_us > {int(start)} AND e.ts_us <= {int(end)} "
            f"AND e.contact_id IN (SELECT contact_id FROM {population})"
        )
        .group_by(exp.column("contact_id", "e"))
    )


def drift(
    store: Store,
    scorer: Scorer,
    reference: tuple[int, int],
    current: tuple[int, int],
    bins: int = 10,
) -> DriftResult:
    """PSI of the score, the named scores, the attributes and the event counts a scorer reads,
    between the leads created in ``reference`` and those created in ``current``."""
    for label, (start, end) in (("reference", reference), ("current", current)):
        if end <= start:
            raise LeadscoreError(
                f"the {label} period ends before it starts: {iso(start)}..{iso(end)}"
            )
    attributes, events = _model_inputs(scorer)
    a = _period_sample(store, scorer, reference, attributes, events)
    b = _period_sample(store, scorer, current, attributes, events)
    kinds = {"score": "score"}
    kinds.update({f"score_{c}": "component" for c in scorer.info.components})
    kinds.update({f"attribute:{x}": "attribute" for x in attributes})
    kinds.update({f"events:{t}": "events" for t in events})
    warnings = []
    for label, sample in (("reference", a), ("current", b)):
        if len(sample) < 100:
            warnings.append(
                f"the {label} period holds {len(sample)} new leads: PSI on so few is noisy"
            )
    features: list[FeatureDrift] = []
    if len(a) and len(b):
        features, skipped = compare_samples(a, b, kinds, bins)
        if skipped:
            warnings.append(
                f"skipped {', '.join(skipped)}: too many distinct values for a distribution"
            )
    else:
        warnings.append("a period holds no new leads: nothing to compare")
    return DriftResult(scorer.info.name, reference, current, (len(a), len(b)), features, warnings)
