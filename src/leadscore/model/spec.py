"""The scoring model, version 1: typed, strict and immutable.

The YAML format is documented in docs/model-spec.md; these classes are its single source of truth
(a test checks that every key here is documented there).
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from leadscore.model.predicates import Predicate
from leadscore.model.strict import Strict
from leadscore.timeutil import TimeFormatError, parse_duration
from leadscore.values import fmt_number

SPEC_VERSION = 1
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
LABEL_PATTERN = r"^[^\x00-\x1f]+$"
MODEL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
Label = Annotated[str, Field(min_length=1, max_length=40, pattern=LABEL_PATTERN)]
# Numbers are floats (YAML integers are accepted), finite and within +-1e15.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-1e15, le=1e15)]
EventTypes = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]], Field(min_length=1)
]
RESERVED_SCORE_NAMES = ("total",)
CAP_PERIODS = ("hour", "day", "week")
ROLLUP_AGGREGATES = ("sum", "max", "min", "mean", "top_k_mean", "count")
ENTITIES = ("contacts", "accounts", "deals")
# What each pattern means, for error messages (the loader shows this instead of the pattern).
PATTERN_HELP = {
    NAME_PATTERN: "a name starts with a lower-case letter and has at most 40 lower-case letters, "
    "digits and _ (like fit or pricing_page)",
    LABEL_PATTERN: "a label has no control characters (tabs, line breaks)",
    MODEL_NAME_PATTERN: "a model name starts with a letter or digit and has at most 80 letters, "
    "digits and _ . - (like b2b-saas)",
}


def _duration(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a duration is text: a whole number and a unit, like '90d' or '12h'")
    try:
        parse_duration(value)
    except TimeFormatError as exc:
        raise ValueError(str(exc)) from None
    return value.strip()


def us(duration: str | None) -> int | None:
    """A validated duration text -> microseconds (``None`` stays ``None``)."""
    return None if duration is None else parse_duration(duration)


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class RuleBase(Strict):
    id: Name
    description: str | None = Field(default=None, max_length=500)
    group: Name | None = None


class AttributeRule(RuleBase):
    """Points when the entity's own attributes satisfy ``when``."""

    kind: Literal["attribute"] = Field(default="attribute", exclude=True)
    points: Number
    when: Predicate


class PeriodCap(Strict):
    max: Annotated[int, Field(ge=1, strict=True)]
    per: Literal["hour", "day", "week"]


class EventRule(RuleBase):
    """Points for selected events: ``once`` or ``each``, with caps, expiry and decay."""

    kind: Literal["event"] = Field(default="event", exclude=True)
    points: Number
    event: EventTypes
    where: Predicate | None = None
    count: Literal["once", "each"] = "once"
    min_count: Annotated[int, Field(ge=1, le=1_000_000, strict=True)] = 1
    max_times: Annotated[int, Field(ge=1, strict=True)] | None = None
    cap: PeriodCap | None = None
    within: str | None = None
    half_life: str | None = None

    _event = field_validator("event", mode="before")(_as_list)
    _durations = field_validator("within", "half_life", mode="before")(_duration)

    @model_validator(mode="after")
    def _caps_need_each(self) -> EventRule:
        if self.count == "once" and (self.max_times is not None or self.cap is not None):
            raise ValueError(
                "max_times and cap limit how often a rule counts, so they need count: each "
                "(a count: once rule counts at most once already)"
            )
        return self


class InactivityRule(RuleBase):
    """Points (usually negative) when no selected event happened in the last ``inactive``."""

    kind: Literal["inactivity"] = Field(default="inactivity", exclude=True)
    points: Number
    inactive: str
    event: EventTypes | None = None
    where: Predicate | None = None

    _event = field_validator("event", mode="before")(_as_list)
    _durations = field_validator("inactive", mode="before")(_duration)


class GradeFilter(Strict):
    grading: Name
    at_least: Label


class Rollup(Strict):
    of: Name
    agg: Literal["sum", "max", "min", "mean", "top_k_mean", "count"]
    k: Annotated[int, Field(ge=1, strict=True)] | None = None
    grade: GradeFilter | None = None

    @model_validator(mode="after")
    def _k_for_top(self) -> Rollup:
        if self.agg == "top_k_mean" and self.k is None:
            raise ValueError("agg: top_k_mean needs k (how many of the best contacts to average)")
        if self.agg != "top_k_mean" and self.k is not None:
            raise ValueError(f"k applies to agg: top_k_mean, not to agg: {self.agg}")
        return self


class RollupRule(RuleBase):
    """Points from the contacts of an account or deal: ``points`` x an aggregate of their scores."""

    kind: Literal["rollup"] = Field(default="rollup", exclude=True)
    points: Number = 1
    rollup: Rollup


def _rule_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key, tag in (("rollup", "rollup"), ("inactive", "inactivity"), ("event", "event")):
            if key in value:
                return "§" + tag
        return "§attribute" if "when" in value else None
    kind = getattr(value, "kind", None)
    return None if kind is None else "§" + kind


Rule = Annotated[
    Annotated[AttributeRule, Tag("§attribute")]
    | Annotated[EventRule, Tag("§event")]
    | Annotated[InactivityRule, Tag("§inactivity")]
    | Annotated[RollupRule, Tag("§rollup")],
    Discriminator(
        _rule_tag,
        custom_error_type="rule_shape",
        custom_error_message=(
            "a rule needs one of the keys 'when' (attribute rule), 'event' (event rule), "
            "'inactive' (inactivity rule) or 'rollup' (roll-up rule)"
        ),
    ),
]


class Bounds(Strict):
    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class Score(Bounds):
    """A named score: the sum of its rules, group caps applied, then bounded by min/max."""

    description: str | None = Field(default=None, max_length=500)
    groups: dict[Name, Bounds] = Field(default_factory=dict)
    rules: list[Rule] = Field(min_length=1)


class Total(Bounds):
    """The total: the sum of ``scores`` (default: every named score) or a weighted sum."""

    scores: list[Name] | None = Field(default=None, min_length=1)
    weights: dict[Name, Number] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_form(self) -> Total:
        if self.scores is not None and self.weights is not None:
            raise ValueError("give either scores (a plain sum) or weights, not both")
        return self


class Band(Strict):
    grade: Label
    min: Number | None = None
    stage: Label | None = None


class Grading(Strict):
    """Ordered bands over one score: the first band whose ``min`` the score reaches."""

    score: Name
    bands: list[Band] = Field(min_length=1)

    @field_validator("bands")
    @classmethod
    def _ordered(cls, bands: list[Band]) -> list[Band]:
        *upper, last = bands
        if last.min is not None:
            raise ValueError(
                f"the last band ('{last.grade}') catches everything below the others, "
                "so it has no min"
            )
        for i, band in enumerate(upper):
            if band.min is None:
                raise ValueError(f"band '{band.grade}' needs a min (only the last band has none)")
            if i and upper[i - 1].min is not None and band.min >= upper[i - 1].min:  # type: ignore[operator]
                raise ValueError(
                    "bands go from the highest min to the lowest: "
                    f"'{band.grade}' (min {fmt_number(band.min)}) follows '{upper[i - 1].grade}' "
                    f"(min {fmt_number(upper[i - 1].min or 0)})"
                )
        labels = [b.grade for b in bands]
        duplicates = sorted({g for g in labels if labels.count(g) > 1})
        if duplicates:
            raise ValueError(f"grade labels must be unique, repeated: {', '.join(duplicates)}")
        return bands

    def labels(self) -> list[str]:
        return [b.grade for b in self.bands]

    def at_least(self, label: str) -> list[str]:
        """The labels at or above ``label`` (bands are ordered best first)."""
        names = self.labels()
        return names[: names.index(label) + 1]


class Matrix(Strict):
    """A combined grade: a row band (e.g. fit A..D) next to a column band (engagement 1..4)."""

    rows: Name
    columns: Name
    stages: dict[Label, list[Label]] = Field(default_factory=dict)


class EntitySection(Strict):
    """Scores, total and grades of one kind of entity (contacts, accounts or deals)."""

    scores: dict[Name, Score] = Field(min_length=1)
    total: Total | None = None
    grades: dict[Name, Grading] = Field(default_factory=dict)
    primary_grade: Name | None = None
    matrix: Matrix | None = None

    @cached_property
    def rules(self) -> list[tuple[str, Any]]:
        """``(score name, rule)`` for every rule, in model order."""
        return [(name, rule) for name, score in self.scores.items() for rule in score.rules]

    def total_weights(self) -> dict[str, float]:
        if self.total is None or (self.total.scores is None and self.total.weights is None):
            return dict.fromkeys(self.scores, 1.0)
        if self.total.weights is not None:
            return {k: float(v) for k, v in self.total.weights.items()}
        return dict.fromkeys(self.total.scores or [], 1.0)

    def primary(self) -> str | None:
        """The grading that gives the entity its grade and stage (``matrix`` or a grading)."""
        if self.primary_grade:
            return self.primary_grade
        if self.grades:
            return next(iter(self.grades))
        return None


class Model(EntitySection):
    """A whole scoring model: contact scores at the top level, optional accounts and deals."""

    leadscore: Literal[1]
    name: Annotated[str, Field(pattern=MODEL_NAME_PATTERN)]
    description: str | None = Field(default=None, max_length=2000)
    accounts: EntitySection | None = None
    deals: EntitySection | None = None

    def sections(self) -> dict[str, EntitySection]:
        out: dict[str, EntitySection] = {"contacts": self}
        if self.accounts is not None:
            out["accounts"] = self.accounts
        if self.deals is not None:
            out["deals"] = self.deals
        return out
