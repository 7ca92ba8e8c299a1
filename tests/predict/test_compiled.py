"""The compiled trees: the same raw scores as LightGBM's own predict (categories, missing
values and zeros included), kept next to the model and loaded instead of compiled again, and a
fall-back to LightGBM when compiling fails."""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from leadscore.predict import compiled
from leadscore.predict.boosting import BoostedModel, BoostParams

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _rows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two numbers with missing values and exact zeros, a category coded 0..5 with missing
    codes, and a conversion that depends on all three."""
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [
            rng.normal(size=n),
            np.where(rng.uniform(size=n) < 0.3, 0.0, rng.exponential(2.0, size=n)),
            rng.integers(0, 6, size=n).astype(np.float64),
        ]
    ).astype(np.float32)
    X[rng.uniform(size=n) < 0.1, 0] = np.nan
    X[rng.uniform(size=n) < 0.1, 2] = np.nan
    logit = 1.2 * np.nan_to_num(X[:, 0]) - 0.4 * X[:, 1] + np.isin(X[:, 2], [1, 4]) * 1.5 - 1
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    return X, y


@pytest.fixture(scope="module")
def model() -> BoostedModel:
    X, y = _rows(4000, seed=3)
    params = BoostParams(n_estimators=60, num_leaves=7, min_child_samples=20, n_jobs=1, seed=1)
    return BoostedModel(params).fit(X, y, [False, False, True], None)


def test_the_compiled_trees_give_lightgbms_raw_scores(
    model: BoostedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiled, "CHUNK", 700)  # several chunks, the last one partial
    X, _ = _rows(3000, seed=4)
    X[:50] = np.nan  # rows with nothing known
    X[50:100, 2] = 17  # a category never seen in training
    trees = compiled.CompiledTrees(model.booster, model.best_iteration)
    expected = model.raw(X)
    for jobs in (1, 2):
        got = trees.raw(X, jobs)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    assert np.std(expected) > 0.3  # the trees do separate the rows


def test_only_the_first_iterations_are_compiled(model: BoostedModel) -> None:
    X, _ = _rows(500, seed=5)
    first = compiled.CompiledTrees(model.booster, 10).raw(X)
    expected = model.booster.predict(X, num_iteration=10, raw_score=True)
    np.testing.assert_allclose(first, expected, rtol=0, atol=1e-9)
    assert not np.allclose(first, model.raw(X))


def test_the_compiled_code_is_kept_and_loaded_again(
    model: BoostedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, _ = _rows(500, seed=6)
    compiled.CompiledTrees(model.booster, model.best_iteration, tmp_path)
    kept = list(tmp_path.iterdir())
    assert [p.name for p in kept] == [
        compiled.cache_file(
            tmp_path, model.booster.model_to_string(num_iteration=model.best_iteration)
        ).name
    ]
    assert compiled.is_cached(model.booster, model.best_iteration, tmp_path)
    assert not compiled.is_cached(model.booster, 10, tmp_path)  # other trees, other code

    import lleaves.compiler  # type: ignore[import-untyped]

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled again although the code was kept")

    monkeypatch.setattr(lleaves.compiler, "compile_to_module", refuse)
    again = compiled.CompiledTrees(model.booster, model.best_iteration, tmp_path)
    np.testing.assert_allclose(again.raw(X), model.raw(X), rtol=0, atol=1e-9)


def test_scoring_compiles_only_where_it_pays_and_keeps_the_code(
    model: BoostedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, _ = _rows(2000, seed=7)
    fresh = pickle.loads(pickle.dumps(model))
    fresh.cache_dir = tmp_path
    monkeypatch.setattr(compiled, "MIN_ROWS", 1000)
    monkeypatch.setattr(compiled, "ROWS_PER_LEAF", 100)  # trees of at most 7 leaves: 700 rows
    small = fresh.scoring_raw(X[:999])  # fewer rows than pay for compiling: LightGBM
    assert not isinstance(fresh._compiled, compiled.CompiledTrees)
    assert list(tmp_path.iterdir()) == []
    large = fresh.scoring_raw(X)
    assert isinstance(fresh._compiled, compiled.CompiledTrees)
    assert len(list(tmp_path.iterdir())) == 1
    np.testing.assert_allclose(large, model.raw(X), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(small, model.raw(X[:999]))
    # pickled without the compiled code or the folder; loaded, it finds the kept code
    loaded = pickle.loads(pickle.dumps(fresh))
    assert loaded._compiled is None
    assert loaded.cache_dir is None
    loaded.cache_dir = tmp_path
    loaded.scoring_raw(X[:10])
    assert isinstance(loaded._compiled, compiled.CompiledTrees)


def test_a_failed_compile_falls_back_to_lightgbm(
    model: BoostedModel, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    X, _ = _rows(300, seed=8)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no LLVM here")

    monkeypatch.setattr(compiled.CompiledTrees, "__init__", broken)
    monkeypatch.setattr(compiled, "MIN_ROWS", 1)
    monkeypatch.setattr(compiled, "ROWS_PER_LEAF", 0)
    fresh = pickle.loads(pickle.dumps(model))
    with caplog.at_level(logging.WARNING, logger="leadscore.predict.compiled"):
        got = fresh.logit(X)
    assert "no LLVM here" in caplog.text
    assert fresh._compiled is False  # not tried again for every batch
    np.testing.assert_array_equal(got, model.a * model.raw(X) + model.b)


def test_compiling_pays_from_rows_in_proportion_to_the_trees_leaves(
    model: BoostedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    trees = model.booster.dump_model(num_iteration=model.best_iteration)["tree_info"]
    per_tree = sum(t["num_leaves"] for t in trees) / len(trees)
    assert 2 < per_tree <= 7
    monkeypatch.setattr(compiled, "MIN_ROWS", 10)
    monkeypatch.setattr(compiled, "ROWS_PER_LEAF", 1000)
    enough = int(np.ceil(1000 * per_tree))
    assert compiled.pays(model.booster, model.best_iteration, enough)
    assert not compiled.pays(model.booster, model.best_iteration, enough - 1)
    monkeypatch.setattr(compiled, "MIN_ROWS", enough + 1)  # never below MIN_ROWS
    assert not compiled.pays(model.booster, model.best_iteration, enough)
