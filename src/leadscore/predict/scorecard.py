"""Learned point tables: suggest an editable rule model from past data.

``suggest(source)`` builds a training set (a store's point-in-time examples, or a plain table
with an outcome column), validates a scorecard on the latest examples, fits it on all of them
and returns a :class:`Suggestion`: the model's YAML text (a comment block saying how it was
made, then rules whose descriptions carry their evidence, then grades), the loaded
:class:`~leadscore.model.spec.Model`, every rule's evidence and the validation metrics. The
YAML loads with :func:`leadscore.model.load_model_text` and scores, backtests and versions like
a hand-written model. How it works: docs/scorecards.md.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.predict.scorecard_fit import ScorecardOptions

if TYPE_CHECKING:
    import pandas as pd

    from leadscore.model.spec import Model
    from leadscore.predict.dataset import FeatureTable
    from leadscore.predict.plan import FeatureOptions
    from leadscore.predict.scorecard_fit import Validation
    from leadscore.predict.scorecard_model import Scorecard
    from leadscore.store.base import Store

COMMENT_WIDTH = 98


@dataclass
class Suggestion:
    """A suggested rule model with its evidence."""

    yaml: str
    model: Model
    scorecard: Scorecard
    validation: Validation | None
    training: dict[str, Any]  # examples, positives, base_rate, snapshots, horizon_days...
    notes: list[str] = field(default_factory=list)

    @property
    def metrics(self) -> dict[str, float]:
        """Validation metrics (empty when the data were too small to hold any out)."""
        return {} if self.validation is None else dict(self.validation.metrics)

    @property
    def rules(self) -> list[dict[str, Any]]:
        """Every rule with its points and evidence (the base first)."""
        from leadscore.predict.scorecard_rules import phrase

        card = self.scorecard
        out: list[dict[str, Any]] = []
        if card.base_points:
            out.append(
                {"id": "base", "score": "", "points": card.base_points, "what": "every lead"}
            )
        for rule in card.rules:
            what = phrase(card.infos[rule.feature], card.binnings[rule.feature], rule.bins)
            entry: dict[str, Any] = {
                "id": rule.rule_id,
                "score": rule.score,
                "points": rule.points,
                "what": what,
                "feature": rule.feature,
            }
            if rule.evidence is not None:
                entry.update(rule.evidence.as_dict())
            out.append(entry)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "training": self.training,
            "validation": None
            if self.validation is None
            else {"protocol": self.validation.protocol, "metrics": self.validation.metrics},
            "rules": self.rules,
            "grades": [asdict(b) for b in self.scorecard.bands],
            "notes": self.notes,
            "yaml": self.yaml,
        }


def suggest(
    source: Store | pd.DataFrame | FeatureTable,
    horizon_days: int = 90,
    *,
    options: ScorecardOptions | None = None,
    name: str = "suggested",
    validate: bool = True,
    features: FeatureOptions | None = None,
    snapshots: Sequence[int] | None = None,
    every_days: int = 30,
    max_snapshots: int = 12,
    observed_until_us: int | None = None,
    max_examples: int | None = 1_000_000,
    outcome: str = "converted",
    positive: Any = None,
    id_column: str | None = None,
    time_column: str | None = None,
    exclude: Sequence[str] = (),
) -> Suggestion:
    """Suggest a rule model from a store (point-in-time examples at ``snapshots``, default one
    every ``every_days``; label: converted within ``horizon_days``), a plain table (an
    ``outcome`` column; see :func:`leadscore.predict.dataset.table_training_set`) or a ready
    :class:`~leadscore.predict.dataset.FeatureTable`."""
    import pandas as pd

    from leadscore.predict.dataset import FeatureTable, training_set

    options = options or ScorecardOptions()
    options.check()
    if isinstance(source, FeatureTable):
        table, origin = source, f"a feature table ({source.plan.source})"
    else:
        how: dict[str, Any]
        if isinstance(source, pd.DataFrame):
            origin = f"a table of {len(source):,} rows (outcome column {outcome!r})"
            how = {"outcome": outcome, "positive": positive, "exclude": exclude}
            how |= {"id_column": id_column, "time_column": time_column}
        else:
            origin = "the workspace's contacts, events and outcomes"
            how = {"snapshots": snapshots, "every_days": every_days, "seed": options.seed}
            how |= {"max_snapshots": max_snapshots, "max_examples": max_examples}
            how |= {"observed_until_us": observed_until_us, "horizon_days": horizon_days}
        table = training_set(source, options=features, **how)
    return suggest_from_table(table, origin, options, name, validate)


def suggest_from_table(
    table: FeatureTable,
    origin: str,
    options: ScorecardOptions | None = None,
    name: str = "suggested",
    validate: bool = True,
) -> Suggestion:
    """The suggestion of a training set (see :func:`suggest`)."""
    import numpy as np

    from leadscore.model import load_model_text
    from leadscore.predict.scorecard_fit import fit_scorecard, validate_scorecard
    from leadscore.predict.scorecard_rules import model_dict
    from leadscore.predict.scorecard_yaml import model_yaml

    options = options or ScorecardOptions()
    if table.y is None:
        raise LeadscoreError("the training set has no labels")
    horizon = table.horizon_days or None
    validation = validate_scorecard(table, options) if validate else None
    card = fit_scorecard(table, options)
    y = np.asarray(table.y)
    training = {
        "source": origin,
        "examples": len(y),
        "positives": int(y.sum()),
        "base_rate": float(y.mean()),
        "contacts": len(set(np.asarray(table.contact_id).tolist())),
        "snapshots": len(table.snapshots_us),
        "first_snapshot": _day(table.snapshots_us[0]) if table.snapshots_us else None,
        "last_snapshot": _day(table.snapshots_us[-1]) if table.snapshots_us else None,
        "horizon_days": horizon,
        "features": len(table.infos),
    }
    notes = [*table.notes, *card.notes]
    description = (
        "A learned point table suggested by leadscore from past conversions; each rule's "
        "description gives its evidence. Edit it like any model."
    )
    data = model_dict(card, name, description, horizon)
    comments = _comments(card, training, validation, options, notes)
    text = model_yaml(data, comments)
    model = load_model_text(text, file=f"<suggested model {name}>")
    return Suggestion(text, model, card, validation, training, notes)


def _day(us: int) -> str:
    from leadscore.timeutil import iso

    return iso(us)[:10]


def _comments(
    card: Scorecard,
    training: dict[str, Any],
    validation: Validation | None,
    options: ScorecardOptions,
    notes: list[str],
) -> list[str]:
    from leadscore.timeutil import iso, now_us

    horizon = training["horizon_days"]
    label = (
        f"converted within {horizon} days after the snapshot" if horizon else "the outcome column"
    )
    when = ""
    if training["snapshots"]:
        when = (
            f" at {training['snapshots']} snapshot(s) from {training['first_snapshot']} to "
            f"{training['last_snapshot']}"
        )
    rules = len(card.rules) + (1 if card.base_points else 0)
    paragraphs = [
        f"Suggested by leadscore suggest on {iso(now_us())[:16].replace('T', ' ')} UTC: a "
        "learned point table (scorecard). Edit it freely (points, rules, grades), then check "
        "the edit on history with leadscore evaluate.",
        f"Data: {training['source']}: {training['examples']:,} examples of "
        f"{training['contacts']:,} contacts{when}; label: {label} "
        f"({training['positives']:,} converted, {training['base_rate']:.1%}).",
        "How: monotone bins of each feature (grouped categories), stepwise choice of bin "
        f"thresholds by likelihood gain ({rules} {'rule' if rules == 1 else 'rules'} kept of "
        f"at most {options.max_rules}, "
        "the base included), logistic regression, weights scaled to whole points. "
        f"Scale: {card.scale.describe()}.",
    ]
    if validation is not None:
        m = validation.metrics
        paragraphs.append(
            f"Validation ({validation.protocol}): ROC AUC {m['roc_auc']:.3f} of the points "
            f"({m['roc_auc_fitted']:.3f} before rounding), PR AUC {m['pr_auc']:.3f}; the fitted "
            f"probability: Brier {m['brier']:.4f}, calibration error {m['ece']:.3f}."
        )
    else:
        paragraphs.append("Validation: none (too few examples to hold any out).")
    bands = []
    for band in card.bands:
        at = f" (total >= {band.min})" if band.min is not None else ""
        bands.append(f"{band.grade}{at}: {band.share:.1%} of the leads, {band.rate:.1%} converted")
    latest = "at the latest snapshot" if training["snapshots"] else "of the training set"
    paragraphs.append(f"Grades, from the leads {latest}: " + "; ".join(bands) + ".")
    paragraphs.append(
        "Each rule's description gives its evidence on the training examples: how many it "
        "selects, how many of them converted, and the lift over the base rate."
    )
    if notes:
        paragraphs.append("Notes: " + "; ".join(notes) + ".")
    lines: list[str] = []
    for i, text in enumerate(paragraphs):
        if i:
            lines.append("")
        lines += textwrap.wrap(text, COMMENT_WIDTH - 2) or [""]
    return lines
