"""Names of the output columns of a compiled query (shared by engines, breakdowns, exports)."""

from __future__ import annotations

# Grades compare with a small tolerance so that sums such as 0.1 + 0.2 reach a threshold of 0.3
# on every engine. The reference evaluator uses the same constant.
GRADE_EPSILON = 1e-9
RULE_PARTS = ("points", "matched", "counted", "weight")
# rules with a per-period cap also keep the first and last period (hour, day or ISO week number)
# of their selected events and how many events each of the two holds (at most the cap's max),
# which incremental merging needs (see compile.incremental)
PERIOD_PARTS = ("first_period", "last_period", "first_count", "last_count")
# decayed rules with max_times (up to this many) also keep the times of the events they count,
# most recent first, so that merging new events can drop the oldest (see compile.incremental)
KEPT_LIMIT = 10


def kept_parts(n: int) -> tuple[str, ...]:
    """The parts naming the times of a rule's ``n`` counted events, most recent first."""
    return tuple(f"kept_{i}" for i in range(1, n + 1))


def rule_col(rule_id: str, part: str) -> str:
    return f"r_{rule_id}__{part}"


def score_col(name: str) -> str:
    return f"score_{name}"


def raw_col(name: str) -> str:
    return f"raw_{name}"


def adj_col(group: str) -> str:
    return f"grp_{group}"


def grade_col(grading: str) -> str:
    return f"grade_{grading}"
