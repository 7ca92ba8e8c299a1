"""Scorecard bins: monotone numeric bins, grouped categories, readable cut points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.predict.featureinfo import OTHER
from leadscore.predict.scorecard_bins import (
    DAY_GRID,
    MISSING,
    BinOptions,
    bin_category,
    bin_number,
    chi2,
    nice_cut,
)

OPTIONS = BinOptions()


def rates(counts: tuple[int, ...], positives: tuple[int, ...]) -> list[float]:
    return [p / n for n, p in zip(counts, positives, strict=True)]


def draw(p: np.ndarray, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).random(len(p)) < p).astype(int)


@pytest.mark.parametrize("direction", [1, -1])
def test_numeric_bins_are_monotone_even_when_the_raw_rates_wiggle(direction: int) -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 100, 20_000)
    # a rising (or falling) rate with a bump the bins must smooth away
    p = 1 / (1 + np.exp(-direction * (x - 50) / 12)) * 0.4 + 0.05 * (np.abs(x - 30) < 3)
    binning = bin_number("x", "number", x, draw(p, 2), OPTIONS)
    assert binning is not None
    assert binning.trend == direction
    assert 3 <= binning.n_bins <= OPTIONS.max_bins
    r = rates(binning.counts, binning.positives)
    steps = np.diff(r) * direction
    assert (steps > 0).all(), r
    assert sum(binning.counts) == len(x)
    # each bin holds the values between its cuts
    index = binning.index(x)
    for j in range(binning.n_bins):
        inside = x[index == j]
        if j > 0:
            assert inside.min() >= binning.cuts[j - 1]
        if j < binning.n_bins - 1:
            assert inside.max() < binning.cuts[j]
        assert len(inside) == binning.counts[j]


def test_noise_rarely_gives_bins_and_a_signal_always_does() -> None:
    noise = signal = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        x = rng.uniform(0, 1, 5000)
        noise += bin_number("x", "number", x, draw(np.full(5000, 0.1), seed + 99), OPTIONS) is None
        p = np.where(x > 0.7, 0.16, 0.1)
        signal += bin_number("x", "number", x, draw(p, seed + 99), OPTIONS) is not None
    assert noise >= 30  # adjacent bins must differ at p = 0.01 (a few chance splits remain)
    assert signal == 40


def test_counts_cut_at_whole_numbers_into_nested_thresholds() -> None:
    rng = np.random.default_rng(5)
    n = rng.poisson(0.8, 30_000).astype(float)
    p = np.select([n == 0, n <= 2], [0.02, 0.10], 0.40)
    binning = bin_number("views", "count", n, draw(p, 6), OPTIONS)
    assert binning is not None
    assert binning.cuts == (1.0, 3.0)
    assert binning.trend == 1
    thresholds = binning.thresholds()
    assert [sorted(t.bins) for t in thresholds] == [[1, 2], [2]]  # at least 1, at least 3
    assert all(t.sign == 1 for t in thresholds)
    assert list(binning.index(np.array([0.0, 1.0, 2.0, 3.0, 9.0, np.nan]))) == [0, 1, 1, 2, 2, 0]


def test_recency_cuts_are_days_people_use_and_none_is_the_last_bin() -> None:
    rng = np.random.default_rng(7)
    days = rng.uniform(0, 200, 30_000)
    days[rng.random(30_000) < 0.5] = np.nan  # no event within the cap
    p = np.where(np.isnan(days), 0.02, np.where(days < 14, 0.30, np.where(days < 60, 0.12, 0.05)))
    binning = bin_number("since", "recency", days, draw(p, 8), OPTIONS, cap_days=365)
    assert binning is not None
    assert binning.trend == -1  # the longer ago, the lower the rate
    assert set(binning.cuts) <= set(DAY_GRID)
    assert binning.index(np.array([np.nan]))[0] == binning.n_bins - 1
    # "an event in the last c days" selects the bins below c; it must raise the odds
    assert all(t.sign == 1 for t in binning.thresholds())
    first = binning.thresholds()[0]
    assert first.bins == frozenset({0})
    assert binning.index(np.array([binning.cuts[0] - 0.01]))[0] == 0
    assert binning.index(np.array([binning.cuts[0]]))[0] == 1


def test_missing_numbers_get_their_own_bin_when_there_are_enough() -> None:
    rng = np.random.default_rng(9)
    size = rng.lognormal(4, 1.5, 20_000)
    size[:4000] = np.nan
    p = np.where(np.isnan(size), 0.01, np.where(size > 100, 0.2, 0.08))
    binning = bin_number("size", "number", size, draw(p, 10), OPTIONS)
    assert binning is not None
    assert binning.missing_bin
    assert not binning.missing_in_first
    assert binning.n_bins == binning.value_bins + 1
    assert binning.counts[-1] == 4000
    assert binning.index(np.array([np.nan]))[0] == binning.n_bins - 1
    assert binning.thresholds()[-1].bins == frozenset({binning.value_bins})
    assert binning.thresholds()[-1].sign == 0


def test_a_few_missing_numbers_share_the_lowest_bin_and_unseen_missing_gets_none() -> None:
    rng = np.random.default_rng(11)
    size = rng.choice([5.0, 12, 40, 80, 150, 300, 700, 1500, 4000], 20_000)
    p = np.where(size > 100, 0.2, 0.05)
    y = draw(p, 12)
    few = size.copy()
    few[:10] = np.nan
    binning = bin_number("size", "number", few, y, OPTIONS)
    assert binning is not None
    assert not binning.missing_bin
    assert binning.missing_in_first
    assert binning.index(np.array([np.nan]))[0] == 0
    assert binning.cuts == (100.0,)  # the roundest cut between 80 and 150
    complete = bin_number("size", "number", size, y, OPTIONS)
    assert complete is not None
    assert not complete.missing_in_first
    assert complete.index(np.array([np.nan]))[0] == -1


def test_categories_with_the_same_rate_are_grouped_and_small_ones_merged() -> None:
    rng = np.random.default_rng(13)
    levels = np.array(["A", "B", "C", "D", "E", OTHER])
    share = np.array([0.25, 0.25, 0.2, 0.2, 0.002, 0.098])
    rate = {"A": 0.3, "B": 0.3, "C": 0.05, "D": 0.05, "E": 0.05, OTHER: 0.15}
    values = rng.choice(levels, 20_000, p=share).astype(object)
    values[rng.random(20_000) < 0.05] = None
    p = np.array([0.15 if v is None else rate[v] for v in values])
    column = pd.Categorical(values, categories=[*levels[:5], OTHER])
    binning = bin_category("kind", column, draw(p, 14), OPTIONS)
    assert binning is not None
    groups = [set(g) for g in binning.groups]
    assert {"A", "B"} in groups
    assert any({"C", "D"} <= g for g in groups)
    assert any("E" in g and len(g) > 1 for g in groups)  # too small to stand alone
    assert any(MISSING in g for g in groups)
    r = rates(binning.counts, binning.positives)
    assert r == sorted(r)  # groups from the lowest rate to the highest
    index = binning.index(pd.Series(["A", "B", "Z", None], dtype=object))
    assert index[0] == index[1] == len(groups) - 1
    assert index[2] == -1  # never seen: no rule selects it
    assert index[3] == next(i for i, g in enumerate(groups) if MISSING in g)


def test_nice_cuts_read_well() -> None:
    assert nice_cut(47, 52, True) == 50
    assert nice_cut(999, 1001, True) == 1000
    assert nice_cut(3, 4, True) == 4
    assert nice_cut(0.21, 0.3, False) == pytest.approx(0.3)
    assert nice_cut(-5, -2, True) == -4
    tiny = nice_cut(0.0123456, 0.0123457, False)
    assert 0.0123456 < tiny <= 0.0123457
    with pytest.raises(ValueError, match="low < high"):
        nice_cut(2, 2, True)


def test_chi_square_by_hand() -> None:
    # 100 examples with 30 converted against 100 with 10: expected 20 and 80 on each side
    # (30-20)^2/20 + (70-80)^2/80 + (10-20)^2/20 + (90-80)^2/80 = 5 + 1.25 + 5 + 1.25
    assert chi2(100, 30, 100, 10) == pytest.approx(12.5)
    assert chi2(100, 0, 100, 0) == 0.0
