"""The gradient-boosted trees: the tree shape chosen on the held-out part, the refit on every
example with its calibration, and calibrated contributions that still add up."""

from __future__ import annotations

import os

import numpy as np
import pytest

from leadscore.predict import metrics
from leadscore.predict.boosting import BoostedModel, BoostParams, intercept_for_mean

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

OWN_SHAPE = (5, 200, 10.0)


def checkerboard(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows whose conversion follows a 4 x 4 checkerboard of two features (an interaction that
    5-leaf trees learn slowly), three noise columns and a time order (one value per row)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 4, size=(n, 5)).astype(np.float32)
    cell = (np.floor(X[:, 0]) + np.floor(X[:, 1])) % 2
    p = np.where(cell == 1, 0.45, 0.05)
    y = (rng.uniform(size=n) < p).astype(np.int8)
    return X, y, np.arange(n)


def fit(X: np.ndarray, y: np.ndarray, times: np.ndarray | None, **params: object) -> BoostedModel:
    settings = BoostParams(n_estimators=120, n_jobs=1, seed=1, **params)  # type: ignore[arg-type]
    return BoostedModel(settings).fit(X, y, [False] * X.shape[1], times)


def fit_alone(
    X: np.ndarray, y: np.ndarray, times: np.ndarray, shape: tuple[int, int, float]
) -> BoostedModel:
    """One shape, no search, no refit."""
    leaves, min_child, reg_lambda = shape
    return fit(
        X,
        y,
        times,
        tune=False,
        refit=False,
        num_leaves=leaves,
        min_child_samples=min_child,
        reg_lambda=reg_lambda,
    )


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return checkerboard(6000, seed=2)


def test_tuning_keeps_the_shape_with_the_better_held_out_loss(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    X, y, times = data
    fixed = fit(X, y, times, tune=False, refit=False)
    tuned = fit(X, y, times, tune=True, refit=False)
    assert fixed.shape == OWN_SHAPE
    assert tuned.shape != OWN_SHAPE  # the interaction needs more leaves
    assert f"{tuned.shape[0]} leaves" in tuned.note
    held = slice(int(0.8 * len(y)), None)  # the latest 20 %: the calibration part
    loss = {
        name: metrics.log_loss(y[held], 1 / (1 + np.exp(-m.raw(X[held]))))
        for name, m in (("fixed", fixed), ("tuned", tuned))
    }
    assert loss["tuned"] < loss["fixed"], loss
    test_X, test_y, _ = checkerboard(4000, seed=3)
    auc = {
        name: metrics.roc_auc_score(test_y, m.logit(test_X))
        for name, m in (("fixed", fixed), ("tuned", tuned))
    }
    assert auc["tuned"] > auc["fixed"], auc


def test_shapes_compared_on_samples_then_fitted_on_the_whole_earlier_part(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    X, y, times = data
    sampled = fit(X, y, times, refit=False, search_max_samples=2500)
    assert sampled.shape != OWN_SHAPE
    # the chosen shape was fitted again on every earlier example: the same booster as a fit
    # of that shape alone
    alone = fit_alone(X, y, times, sampled.shape)
    np.testing.assert_array_equal(sampled.logit(X[:500]), alone.logit(X[:500]))


def test_the_shapes_share_one_binning_without_changing_the_trees(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """The shapes are compared on one binning of the rows (LightGBM's pre-filter of features
    off): the chosen shape's trees are those of that shape fitted alone, on a binning of its
    own; a feature no split can use (a constant one here) changes nothing."""
    X, y, times = data
    X = np.column_stack([X, np.ones(len(X), dtype=np.float32)])
    tuned = fit(X, y, times, refit=False)
    alone = fit_alone(X, y, times, tuned.shape)
    assert tuned.shape != OWN_SHAPE

    def trees(model: BoostedModel) -> str:
        text = str(model.booster.model_to_string())
        return text[text.index("Tree=0") : text.index("end of trees")]

    assert trees(tuned) == trees(alone)


def test_refit_keeps_the_held_out_slope_and_centres_the_intercept_on_the_held_out_part(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    X, y, times = data
    held_out = fit(X, y, times, refit=False)
    refitted = fit(X, y, times, refit=True)
    assert refitted.a == held_out.a
    assert refitted.b != held_out.b
    held = slice(int(0.8 * len(y)), None)  # the latest 20 %
    p = 1 / (1 + np.exp(-refitted.logit(X[held])))
    assert abs(p.mean() - y[held].mean()) < 1e-9  # there, the mean probability is the rate
    assert refitted.note.endswith("intercept centred on the held-out part again")
    expected = min(120, round(held_out.best_iteration * len(y) / (0.8 * len(y))))
    assert refitted.best_iteration == refitted.booster.num_trees() == expected
    assert f"refitted on all 6,000 examples with {expected} trees" in refitted.note
    assert not np.array_equal(refitted.raw(X[:200]), held_out.raw(X[:200]))
    contrib, base = refitted.contributions(X[:200])
    np.testing.assert_allclose(base + contrib.sum(axis=1), refitted.logit(X[:200]), atol=1e-9)
    # above the size limit the held-out fit and its calibration are kept
    kept = fit(X, y, times, refit=True, refit_max_samples=5000)
    np.testing.assert_array_equal(kept.logit(X[:200]), held_out.logit(X[:200]))
    assert "refitted" not in kept.note
    assert (kept.a, kept.b) == (held_out.a, held_out.b)


def test_intercept_for_a_mean_probability() -> None:
    z = np.random.default_rng(0).normal(0, 2, 1000)
    for rate in (0.01, 0.3, 0.9):
        b = intercept_for_mean(z, rate)
        assert abs(np.mean(1 / (1 + np.exp(-(z + b)))) - rate) < 1e-12


def test_too_few_examples_to_hold_out_fit_every_example_uncalibrated() -> None:
    X, y, _ = checkerboard(60, seed=4)
    y[:] = 0
    y[:6] = 1  # one conversion in the held-out 20 %: too few to calibrate on
    model = fit(X, y, None, min_child_samples=2)
    assert model.shape == (5, 2, 10.0)  # the configured shape: nothing to compare shapes on
    assert model.booster.num_trees() == 120
    assert "uncalibrated" in model.note
