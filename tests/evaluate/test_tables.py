"""Gains, group, calibration and score-band tables."""

from __future__ import annotations

import numpy as np
import pytest

from leadscore.evaluate import tables


def test_gains_table_by_hand() -> None:
    # 20 leads, scores 20..1; converters at ranks 1, 2, 3 and 12
    s = np.arange(20, 0, -1, dtype=float)
    y = np.zeros(20, dtype=int)
    y[[0, 1, 2, 11]] = 1
    g = tables.gains_table(y, s)
    assert g["leads"].tolist() == [2] * 10
    assert g["conversions"].tolist() == [2, 1, 0, 0, 0, 1, 0, 0, 0, 0]
    assert g["rate"].iloc[0] == pytest.approx(1.0)
    assert g["lift"].iloc[0] == pytest.approx(1.0 / 0.2)
    assert g["cum_gain"].iloc[1] == pytest.approx(0.75)
    assert g["cum_gain"].iloc[-1] == pytest.approx(1.0)
    assert g["score_max"].iloc[0] == 20
    assert g["score_min"].iloc[0] == 19


def test_gains_curve_ends() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(300) < 0.1).astype(int)
    curve = tables.gains_curve(y, rng.random(300))
    assert curve["gain"].iloc[0] == 0
    assert curve["gain"].iloc[-1] == pytest.approx(1.0)
    assert (np.diff(curve["gain"]) >= -1e-12).all()


def test_group_table_order_and_intervals() -> None:
    groups = ["warm", "hot", "hot", None, "cold", "cold", "cold", "zz"]
    y = [0, 1, 1, 0, 0, 1, 0, 0]
    t = tables.group_table(groups, y, order=["hot", "warm", "cold"])
    assert t["group"].tolist() == ["hot", "warm", "cold", "zz", "(none)"]
    hot = t.iloc[0]
    assert (hot["leads"], hot["conversions"], hot["rate"]) == (2, 2, 1.0)
    assert hot["rate_low"] < 1.0 <= hot["rate_high"]
    assert t["share_of_leads"].sum() == pytest.approx(1.0)
    assert t["share_of_conversions"].sum() == pytest.approx(1.0)


def test_calibration_uniform_matches_sklearn() -> None:
    from sklearn.calibration import calibration_curve

    rng = np.random.default_rng(5)
    p = rng.uniform(0, 1, 2000)
    y = (rng.random(2000) < p).astype(int)
    ours = tables.calibration_table(y, p, bins=10, strategy="uniform")
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="uniform")
    assert np.allclose(ours["observed"], observed)
    assert np.allclose(ours["predicted"], predicted)
    assert ours["leads"].sum() == 2000


def test_calibration_quantile_bins_are_even() -> None:
    rng = np.random.default_rng(6)
    p = rng.beta(1, 12, 1000)
    y = (rng.random(1000) < p).astype(int)
    t = tables.calibration_table(y, p, bins=5)
    assert len(t) == 5
    assert t["leads"].tolist() == [200] * 5


def test_score_bands_by_hand() -> None:
    s = [0, 5, 12, 18, 25, 100]
    y = [0, 0, 1, 0, 1, 1]
    t = tables.score_band_table(y, s, width=10)
    assert t["band"].tolist() == ["0-10", "10-20", "20-30", "90-100"]
    assert t["leads"].tolist() == [2, 2, 1, 1]  # 100 falls in the last, closed band
    assert t["conversions"].tolist() == [0, 1, 1, 1]


@pytest.mark.parametrize(("span", "step"), [(100, 10), (1, 0.1), (0.37, 0.05), (250, 25), (7, 1)])
def test_nice_step(span: float, step: float) -> None:
    assert tables.nice_step(span) == pytest.approx(step)
