"""Champion vs challenger on the same leads."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from leadscore.errors import LeadscoreError
from leadscore.evaluate.compare import compare, compare_frames
from leadscore.evaluate.scorers import ScorerInfo

GRADES = ("A", "B", "C")


def frames(seed: int, n: int = 1500) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two scorers on the same leads; the challenger separates converters twice as well."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(int)
    ids = [f"c{i}" for i in range(n)]
    out = []
    for shift in (0.5, 1.0):
        s = rng.normal(0, 1, n) + shift * y
        grade = np.select([s > 1.2, s > 0.2], ["A", "B"], "C")
        out.append(pd.DataFrame({"contact_id": ids, "score": s, "grade": grade, "label": y}))
    return out[0], out[1]


def info(name: str) -> ScorerInfo:
    return ScorerInfo(name=name, kind="rule", source=name, probabilities=False, grades=GRADES)


def test_difference_interval_and_transitions() -> None:
    a, b = frames(1)
    pair = compare_frames(a, b, info("champ"), info("chall"), n_boot=400, seed=3)
    phi = NormalDist().cdf
    truth = phi(1.0 / math.sqrt(2)) - phi(0.5 / math.sqrt(2))
    assert pair.auc_diff.low <= truth <= pair.auc_diff.high
    assert pair.auc_diff.low > 0  # the data tells the two apart
    assert pair.top_grade_diff is not None
    assert pair.champion.top_grade == pair.challenger.top_grade == "A"
    # transitions partition the leads, and the counts of changes agree
    assert pair.transitions["leads"].sum() == len(a)
    same = pair.transitions[pair.transitions["from"] == pair.transitions["to"]]["leads"].sum()
    assert pair.changed == len(a) - same
    assert pair.moved_up is not None
    assert pair.moved_down is not None
    assert pair.moved_up + pair.moved_down == pair.changed
    # the sample lists changed leads only, the largest moves first
    assert len(pair.sample) == 20
    assert (pair.sample["grade_a"] != pair.sample["grade_b"]).all()
    moves = pair.sample["rank_move"].abs().to_numpy()
    assert (np.diff(moves) <= 1e-12).all()


def test_same_seed_same_intervals() -> None:
    a, b = frames(2, n=600)
    one = compare_frames(a, b, info("x"), info("y"), n_boot=200, seed=9)
    two = compare_frames(a, b, info("x"), info("y"), n_boot=200, seed=9)
    assert one.auc_diff == two.auc_diff
    assert one.top_decile_diff == two.top_decile_diff


def test_identical_models_show_no_difference() -> None:
    a, _ = frames(4, n=500)
    pair = compare_frames(a, a.copy(), info("x"), info("y"), n_boot=100, seed=0)
    assert pair.auc_diff.estimate == 0
    assert pair.auc_diff.low == 0
    assert pair.auc_diff.high == 0
    assert pair.changed == 0
    assert len(pair.sample) == 0


def test_leads_must_match() -> None:
    a, b = frames(5, n=100)
    with pytest.raises(LeadscoreError, match="same leads"):
        compare_frames(a, b.iloc[:50], info("x"), info("y"), n_boot=20)


def test_compare_a_backtest(demo_workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from leadscore.evaluate.backtest import backtest
    from leadscore.evaluate.population import latest_as_of
    from leadscore.evaluate.scorers import resolve_scorers

    text = demo_workspace.model_path.read_text()
    challenger = tmp_path / "challenger.yaml"
    challenger.write_text(text.replace("min: 60, stage: SQL", "min: 45, stage: SQL"))
    with demo_workspace.store() as store:
        scorers = resolve_scorers(["active", str(challenger)], demo_workspace, store)
        t = latest_as_of(store, 90 * 86_400_000_000)
        result = backtest(store, scorers, [t], 90)
    comparison = compare(result, n_boot=100, seed=1)
    (pair,) = comparison.pairs
    # only the hot threshold moved down: leads can only move up, from warm to hot
    assert pair.moved_down == 0
    assert set(pair.transitions.query("`from` != `to`")["to"]) <= {"hot"}
    assert pair.auc_diff.estimate == pytest.approx(0.0, abs=1e-12)  # same totals, same ranking
    assert comparison.as_dict()["comparisons"][0]["grade_changes"] == pair.changed
