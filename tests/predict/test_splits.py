"""Hold-out splits: the latest whole snapshots held out, and a gap of one horizon before them
so that no fitting label covers the held-out outcome windows; the folds that roll back in time
from there."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from leadscore.predict.splits import holdout, time_folds, time_split

DAY = 86_400_000_000


def snapshots(count: int = 8, per: int = 50) -> tuple[np.ndarray, np.ndarray]:
    times = np.repeat(np.arange(count) * 30 * DAY, per)
    y = np.tile((np.arange(per) % 5 == 0).astype(np.int8), count)
    return times, y


def test_the_latest_whole_snapshots_are_held_out() -> None:
    times, y = snapshots()
    split = time_split(times, y, 0.25)
    assert split is not None
    cut = times[split.held].min()
    assert cut == 6 * 30 * DAY  # the last two of eight snapshots: 25 %
    assert set(times[split.train]) == {k * 30 * DAY for k in range(6)}
    assert len(split.train) + len(split.held) == len(y)
    assert "horizon" not in split.description


def test_a_gap_leaves_out_the_examples_whose_outcome_window_reaches_the_held_out_part() -> None:
    times, y = snapshots()
    split = time_split(times, y, 0.25, gap=90 * DAY)
    assert split is not None
    cut = times[split.held].min()
    assert cut == 6 * 30 * DAY
    # snapshots at 90 and 150 days: their 90-day windows end after the cut at 180
    assert set(times[split.train]) == {0, 30 * DAY, 60 * DAY, 90 * DAY}
    assert (times[split.train] + 90 * DAY <= cut).all()
    assert len(split.train) + len(split.held) == len(y) - 2 * 50
    assert split.description.endswith("fitted on those at least the horizon earlier")


def test_a_gap_longer_than_the_history_falls_back_to_a_stratified_split() -> None:
    times, y = snapshots(count=3)
    assert time_split(times, y, 0.25, gap=400 * DAY) is None
    split = holdout(y, times, 0.25, seed=1, gap=400 * DAY)
    assert split is not None
    assert split.description.startswith("stratified")


def test_folds_roll_back_from_the_latest_hold_out() -> None:
    times, y = snapshots()
    folds = time_folds(times, y, 0.25, folds=3)
    latest = time_split(times, y, 0.25)
    assert latest is not None
    assert len(folds) == 3
    assert np.array_equal(folds[0].held, latest.held)  # the first fold is the usual hold-out
    held = [sorted({int(t) // (30 * DAY) for t in times[f.held]}) for f in folds]
    assert held == [[6, 7], [4, 5], [2, 3]]
    for fold in folds:
        assert times[fold.train].max() < times[fold.held].min()
        assert len(fold.train) >= len(fold.held)
        assert set(fold.train.tolist()).isdisjoint(fold.held.tolist())
    (only,) = time_folds(times, y, 0.25, folds=1)
    assert np.array_equal(only.held, latest.held)


def test_every_fold_keeps_the_gap_and_stops_when_too_little_is_left_to_fit() -> None:
    times, y = snapshots()
    folds = time_folds(times, y, 0.25, gap=90 * DAY, folds=3)
    # the fold before the latest holds out days 120 and 150 and fits on days 0 and 30; one
    # more would hold out days 60 and 90 with nothing 90 days before them
    assert len(folds) == 2
    for fold in folds:
        assert (times[fold.train] + 90 * DAY <= times[fold.held].min()).all()
    assert sorted(set(times[folds[1].train] // DAY)) == [0, 30]


def test_no_times_no_folds() -> None:
    _, y = snapshots()
    assert time_folds(None, y, 0.25) == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 20), min_size=4, max_size=120),
    st.integers(0, 2**31),
    st.sampled_from([0.1, 0.25, 0.4]),
    st.integers(0, 3),
    st.integers(1, 4),
)
def test_folds_hold_out_disjoint_earlier_periods_fitted_on_their_past(
    times_list: list[int], seed: int, fraction: float, gap: int, folds: int
) -> None:
    """Whatever the times and labels: the first fold is time_split's; each fold holds out
    whole times, later folds none of an earlier fold's times and all before them; its fitting
    part ends ``gap`` before its hold-out; both parts hold both classes."""
    times = np.array(times_list)
    y = np.random.default_rng(seed).integers(0, 2, len(times)).astype(np.int8)
    found = time_folds(times, y, fraction, gap=gap, folds=folds)
    latest = time_split(times, y, fraction, gap=gap)
    assert (latest is None) == (found == [])
    if latest is None:
        return
    assert len(found) <= folds
    assert np.array_equal(found[0].held, latest.held)
    assert np.array_equal(found[0].train, latest.train)
    for before, after in itertools.pairwise(found):
        # the next fold's hold-out is every example of the times just before the previous one's
        end = times[before.held].min()
        expected = np.flatnonzero((times >= times[after.held].min()) & (times < end))
        assert np.array_equal(after.held, expected)
    for fold in found:
        start = times[fold.held].min()
        assert set(np.flatnonzero(times == start)) <= set(fold.held)  # whole times
        fitted = times[fold.train]
        assert (fitted <= start - gap).all() if gap else (fitted < start).all()
        for part in (fold.train, fold.held):
            assert 0 < y[part].sum() < len(part)
    for fold in found[1:]:
        assert len(fold.train) >= len(fold.held)
