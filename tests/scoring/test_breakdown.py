"""The breakdown of a scored row (leadscore.scoring.breakdown)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from leadscore.compile.naming import adj_col, grade_col, raw_col, rule_col, score_col
from leadscore.model.loader import load_model
from leadscore.scoring.breakdown import RowReasons, from_row, reasons_text
from leadscore.store.workspace import example_model_path

MODEL = load_model(example_model_path())
RULES = [rule for score in MODEL.scores.values() for rule in score.rules]
# few distinct values, so that ties between rules are common
POINTS = st.sampled_from([-20.0, -5.0, 0.0, 2.5, 5.0, 5.0, 12.0, 40.0])


def _row(points: list[float], counts: list[int]) -> dict[str, Any]:
    row: dict[str, Any] = {"contact_id": "c1", "total": 50.0, "total_raw": 50.0}
    for rule, p, n in zip(RULES, points, counts, strict=True):
        row[rule_col(rule.id, "points")] = p
        row[rule_col(rule.id, "matched")] = n + 1
        row[rule_col(rule.id, "counted")] = n
        row[rule_col(rule.id, "weight")] = n / 2
    for name, score in MODEL.scores.items():
        row[score_col(name)] = row[raw_col(name)] = 10.0
        for group in score.groups:
            row[adj_col(group)] = 0.0
    for grade in MODEL.grades:
        row[grade_col(grade)] = "warm"
    return row


@given(
    points=st.lists(POINTS, min_size=len(RULES), max_size=len(RULES)),
    counts=st.lists(st.integers(0, 5), min_size=len(RULES), max_size=len(RULES)),
    n=st.integers(1, 6),
)
def test_row_reasons_are_the_breakdowns_reasons(
    points: list[float], counts: list[int], n: int
) -> None:
    """RowReasons builds only the top rules' lines, and they are the breakdown's own: the same
    rules in the same order (ties keep the rules' order), with the same values."""
    row = _row(points, counts)
    fast = RowReasons(MODEL)(row, n)
    slow = from_row(MODEL, row).reasons(n)
    assert [[line.as_dict() for line in side] for side in fast] == [
        [line.as_dict() for line in side] for side in slow
    ]
    assert reasons_text(fast) == reasons_text(from_row(MODEL, row), n)
