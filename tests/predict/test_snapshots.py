"""Which snapshots a training set uses, and which it leaves out."""

from __future__ import annotations

import pytest

from leadscore.errors import LeadscoreError
from leadscore.predict.snapshots import DataSpan, plan_snapshots

DAY = 86_400_000_000
START, END = 1_000 * DAY, 1_365 * DAY


def test_default_snapshots_step_back_from_the_last_observed_horizon() -> None:
    plan = plan_snapshots(DataSpan(START, END), 90, every_days=30, max_snapshots=50)
    assert plan.used[-1] == END - 90 * DAY
    assert all(b - a == 30 * DAY for a, b in zip(plan.used, plan.used[1:], strict=False))
    assert plan.used[0] >= START + 30 * DAY
    assert plan.used[0] - 30 * DAY < START + 30 * DAY
    assert plan.dropped == []
    assert len(plan_snapshots(DataSpan(START, END), 90, max_snapshots=3).used) == 3


def test_given_snapshots_without_a_full_horizon_are_left_out_and_named() -> None:
    given = [END - 200 * DAY, END - 90 * DAY, END - 89 * DAY, END - 10 * DAY]
    plan = plan_snapshots(DataSpan(START, END), 90, given)
    assert plan.used == given[:2]
    assert plan.dropped == given[2:]
    assert "left out 2 snapshot(s)" in plan.notes[0]
    assert "90-day horizon" in plan.notes[0]


def test_observed_until_moves_the_end() -> None:
    plan = plan_snapshots(DataSpan(START, END), 30, observed_until_us=END - 100 * DAY)
    assert plan.used[-1] == END - 130 * DAY


def test_nothing_to_learn_from() -> None:
    with pytest.raises(LeadscoreError, match="shorter horizon"):
        plan_snapshots(DataSpan(START, START + 50 * DAY), 90)
    with pytest.raises(LeadscoreError, match="no events or outcomes"):
        plan_snapshots(DataSpan(None, None), 90)
    with pytest.raises(LeadscoreError, match="at least 1 day"):
        plan_snapshots(DataSpan(START, END), 0)
