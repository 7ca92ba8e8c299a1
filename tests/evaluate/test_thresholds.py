"""Threshold advice on a hand-built case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.errors import LeadscoreError
from leadscore.evaluate.thresholds import advise, snapshot_dates, threshold_grid, threshold_table

D = 86_400_000_000
W = 7 * D
NAN = float("nan")


def panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    scores = {
        "p": [10, 50, NAN],  # crosses at week 1, converts 3 days later (then leaves)
        "q": [60, 60, 70],  # above from the start: backlog
        "r": [NAN, 30, 80],  # created during week 1, crosses 40 at week 2, converts
        "s": [20, 20, 20],  # converts during the period without ever being flagged
        "u": [45, 35, 45],  # dips below 40 and crosses again
    }
    rows = [
        {"as_of_us": k * W, "contact_id": cid, "score": v}
        for cid, values in scores.items()
        for k, v in enumerate(values)
        if not np.isnan(v)
    ]
    conversions = pd.DataFrame(
        {"contact_id": ["p", "r", "s"], "converted_at_us": [W + 3 * D, 2 * W + 5 * D, 2 * W - D]}
    )
    return pd.DataFrame(rows), conversions


def test_threshold_table_by_hand() -> None:
    frame, conversions = panel()
    t = threshold_table(frame, conversions, 10 * D, [25, 40, 75]).set_index("threshold")
    # 40: new p (week 1), r and u (week 2); p and r convert within 10 days of crossing
    assert t.loc[40, "leads"] == 3
    assert t.loc[40, "per_week"] == pytest.approx(1.5)
    assert t.loc[40, "converted"] == 2
    assert t.loc[40, "precision"] == pytest.approx(2 / 3)
    assert t.loc[40, "backlog"] == 2  # q and u at the first snapshot
    # conversions in the period: p (flagged at the snapshot before) and s (not)
    assert t.loc[40, "recall"] == pytest.approx(0.5)
    # 25: p and r cross at week 1; r converts 12 days later: outside the horizon
    assert (t.loc[25, "leads"], t.loc[25, "converted"]) == (2, 1)
    assert t.loc[25, "per_week"] == pytest.approx(1.0)
    # 75: only r, at week 2
    assert (t.loc[75, "leads"], t.loc[75, "converted"], t.loc[75, "recall"]) == (1, 1, 0.0)
    assert t.loc[40, "precision_low"] < 2 / 3 < t.loc[40, "precision_high"]


def test_advice_for_a_capacity_and_a_precision() -> None:
    table = pd.DataFrame(
        {
            "threshold": [10.0, 20.0, 30.0, 40.0],
            "per_week": [80.0, 50.0, 20.0, 5.0],
            "leads": [1040, 650, 260, 65],
            "precision": [0.05, 0.1, 0.2, 0.35],
        }
    )
    row, reason = advise(table, capacity_per_week=50)
    assert row is not None
    assert row["threshold"] == 20.0
    assert "50" in reason
    row, _ = advise(table, target_precision=0.2)
    assert row is not None
    assert row["threshold"] == 30.0
    row, reason = advise(table, capacity_per_week=1)
    assert row is None
    assert "no threshold" in reason
    with pytest.raises(LeadscoreError, match="either"):
        advise(table)
    with pytest.raises(LeadscoreError, match="between 0 and 1"):
        advise(table, target_precision=30)


def test_precision_needs_enough_leads() -> None:
    table = pd.DataFrame(
        {
            "threshold": [50.0, 90.0],
            "per_week": [3.0, 0.1],
            "leads": [40, 2],
            "precision": [0.2, 1.0],
        }
    )
    row, _ = advise(table, target_precision=0.5)
    assert row is None  # 2 leads at 100% prove nothing


def test_grid_and_snapshots() -> None:
    grid = threshold_grid(np.array([0.0, 37.2, 100.0]))
    assert grid[0] == 0
    assert grid[-1] == 100
    assert grid[1] == 0.5
    assert threshold_grid(np.array([0.01, 0.42]))[:2].tolist() == [0.01, 0.0125]
    dates = snapshot_dates(100 * W, 4)
    assert dates == [96 * W, 97 * W, 98 * W, 99 * W, 100 * W]


def test_threshold_advice_on_the_demo(demo_workspace) -> None:  # type: ignore[no-untyped-def]
    from leadscore.evaluate.population import latest_as_of
    from leadscore.evaluate.scorers import resolve_scorer
    from leadscore.evaluate.thresholds import threshold_advice

    with demo_workspace.store() as store:
        scorer = resolve_scorer("active", demo_workspace, store)
        end = latest_as_of(store, 60 * D)
        advice = threshold_advice(store, scorer, end, 60, weeks=4, capacity_per_week=3)
    assert advice.choice is not None
    assert advice.choice["per_week"] <= 3
    assert advice.current["grade"].tolist() == ["hot", "warm"]
    assert advice.weeks == pytest.approx(4)
    assert any("rough" in w for w in advice.warnings)  # a few hundred contacts: small numbers
