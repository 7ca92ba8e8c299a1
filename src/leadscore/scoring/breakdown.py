"""Why a lead has its score: the per-rule breakdown, read from a scored row.

For each named score, the rule lines and group adjustments add up exactly to the raw score; the
raw score is then bounded by the score's min/max. The total combines the bounded scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from leadscore.compile.naming import adj_col, grade_col, raw_col, rule_col, score_col
from leadscore.model.spec import EntitySection, Model
from leadscore.timeutil import iso

KEYS = {"contacts": "contact_id", "accounts": "account_id", "deals": "deal_id"}
# a rule's stored columns that its line reads (RowReasons keeps them in this order)
RULE_PARTS = ("points", "matched", "counted", "weight")


@dataclass
class RuleLine:
    rule_id: str
    score: str
    kind: str
    points: float
    matched: int
    counted: int
    weight: float
    rule: Any = field(repr=False)

    @property
    def sentence(self) -> str:
        """What the rule does, in words."""
        from leadscore.compile.explain import rule_sentence

        return rule_sentence(self.rule)

    @property
    def happened(self) -> str:
        """What the rule found for this lead, in words."""
        from leadscore.compile.explain import contribution_sentence

        return contribution_sentence(
            self.rule, self.matched, self.counted, self.weight, self.points
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "score": self.score,
            "kind": self.kind,
            "points": self.points,
            "matched": self.matched,
            "counted": self.counted,
            "weight": self.weight,
            "explanation": self.happened,
            "rule_text": self.sentence,
        }


@dataclass
class ScoreLine:
    name: str
    value: float
    raw: float
    min: float | None
    max: float | None
    rules: list[RuleLine]
    adjustments: dict[str, float]

    @property
    def bounding(self) -> float:
        """How much the floor/ceiling changed the raw score (0 when within bounds)."""
        return self.value - self.raw

    def adds_up(self, tolerance: float = 1e-9) -> bool:
        parts = [r.points for r in self.rules] + list(self.adjustments.values())
        return math.isclose(math.fsum(parts), self.raw, rel_tol=tolerance, abs_tol=tolerance)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "raw": self.raw,
            "min": self.min,
            "max": self.max,
            "bounding": self.bounding,
            "group_adjustments": self.adjustments,
            "rules": [r.as_dict() for r in self.rules],
        }


@dataclass
class Breakdown:
    entity: str
    id: str
    total: float
    total_raw: float
    grade: str | None
    stage: str | None
    matrix: str | None
    grades: dict[str, str]
    scores: list[ScoreLine]
    as_of_us: int | None = None

    def rules(self) -> list[RuleLine]:
        return [r for s in self.scores for r in s.rules]

    def reasons(self, n: int = 3) -> tuple[list[RuleLine], list[RuleLine]]:
        """The rules that added the most points, and those that took the most away."""
        lines = self.rules()
        positive = sorted((r for r in lines if r.points > 0), key=lambda r: -r.points)[:n]
        negative = sorted((r for r in lines if r.points < 0), key=lambda r: r.points)[:n]
        return positive, negative

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "id": self.id,
            "as_of": iso(self.as_of_us) if self.as_of_us is not None else None,
            "total": self.total,
            "total_raw": self.total_raw,
            "grade": self.grade,
            "stage": self.stage,
            "matrix": self.matrix,
            "grades": self.grades,
            "scores": [s.as_dict() for s in self.scores],
        }


def section_for(model: Model, entity: str) -> EntitySection:
    return model.sections()[entity]


def from_row(model: Model, row: dict[str, Any], entity: str = "contacts") -> Breakdown:
    """Build the breakdown of one scored row (a stored score row or a compiled query's row)."""
    section = section_for(model, entity)
    scores = []
    for name, score in section.scores.items():
        lines = [RuleColumns.of(name, rule).line(row) for rule in score.rules]
        scores.append(
            ScoreLine(
                name=name,
                value=float(row[score_col(name)]),
                raw=float(row[raw_col(name)]),
                min=score.min,
                max=score.max,
                rules=lines,
                adjustments={g: float(row[adj_col(g)]) for g in score.groups},
            )
        )
    as_of = row.get("as_of_us")
    return Breakdown(
        entity=entity,
        id=str(row[KEYS[entity]]),
        total=float(row["total"]),
        total_raw=float(row["total_raw"]),
        grade=row.get("grade"),
        stage=row.get("stage"),
        matrix=row.get("matrix"),
        grades={g: str(row[grade_col(g)]) for g in section.grades},
        scores=scores,
        as_of_us=int(as_of) if as_of is not None else None,
    )


@dataclass(frozen=True)
class RuleColumns:
    """A rule's stored columns that its breakdown line reads, and that line from a row."""

    score: str
    rule: Any
    points: str
    matched: str
    counted: str
    weight: str

    @classmethod
    def of(cls, score: str, rule: Any) -> RuleColumns:
        return cls(score, rule, *(rule_col(rule.id, part) for part in RULE_PARTS))

    @property
    def names(self) -> tuple[str, str, str, str]:
        return self.points, self.matched, self.counted, self.weight

    def line(self, row: dict[str, Any], points: float | None = None) -> RuleLine:
        """The rule's line of ``row`` (``points``: the row's points, when already read)."""
        return RuleLine(
            rule_id=self.rule.id,
            score=self.score,
            kind=self.rule.kind,
            points=float(row[self.points]) if points is None else points,
            matched=int(row[self.matched]),
            counted=int(row[self.counted]),
            weight=float(row[self.weight]),
            rule=self.rule,
        )


class RowReasons:
    """``from_row(model, row, entity).reasons(n)`` for many rows of one model: the rules'
    column names are worked out once, and only the lines of the top rules are built (alerts
    and exports want the reasons of thousands of rows, not their whole breakdowns)."""

    def __init__(self, model: Model, entity: str = "contacts"):
        section = section_for(model, entity)
        self.rules = [
            RuleColumns.of(name, rule)
            for name, score in section.scores.items()
            for rule in score.rules
        ]

    def __call__(self, row: dict[str, Any], n: int = 3) -> tuple[list[RuleLine], list[RuleLine]]:
        points = [float(row[c.points]) for c in self.rules]
        # sorted() is stable: ties keep the rules' order, as Breakdown.reasons does
        positive = sorted((i for i, p in enumerate(points) if p > 0), key=lambda i: -points[i])
        negative = sorted((i for i, p in enumerate(points) if p < 0), key=lambda i: points[i])
        return (
            [self.rules[i].line(row, points[i]) for i in positive[:n]],
            [self.rules[i].line(row, points[i]) for i in negative[:n]],
        )


def reasons_text(breakdown: Breakdown | tuple[list[RuleLine], list[RuleLine]], n: int = 3) -> str:
    """A one-line summary for exports and lists: ``demo request +40; pricing page +24.5``
    (of a breakdown, or of its ``reasons(n)``)."""
    from leadscore.values import fmt_number

    positive, negative = breakdown.reasons(n) if isinstance(breakdown, Breakdown) else breakdown
    parts = [f"{r.rule_id} {'+' if r.points > 0 else ''}{fmt_number(r.points)}" for r in positive]
    parts += [f"{r.rule_id} {fmt_number(r.points)}" for r in negative[:1]]
    return "; ".join(parts)
