"""Gradient-boosted trees (LightGBM) with probabilities calibrated on a held-out split.

The examples are split once: the later snapshots (or a stratified, seeded share without times)
are held out. The trees are fitted on the rest, with early stopping on the held-out part:

- with ``tune``, two less conservative tree shapes (more leaves, smaller leaves, less L2) are
  fitted too and the shape with the best held-out log loss is kept (on large data the shapes
  are compared on a sample of at most ``search_max_samples`` examples on each side, then the
  chosen one is fitted on the whole earlier part);
- with ``refit`` (up to ``refit_max_samples`` examples), the chosen shape is fitted once more on
  every example, held-out ones included, with the number of trees early stopping picked scaled
  to the larger data (at most ``n_estimators``): the held-out part is the most recent one, the
  most telling for the future. The calibration slope of the held-out fit is kept and its
  intercept is centred anew so that the refitted model's mean probability on the held-out
  part is that part's conversion rate: the held-out intercept corrected the earlier fit for
  that rate, which the refit has partly learnt (kept as is with isotonic calibration).

A calibration map is fitted on the held-out part's raw scores of the held-out fit:

- ``sigmoid`` (default, Platt scaling): ``logit = a x raw + b``. Linear in the raw log-odds, so
  LightGBM's per-feature contributions (``pred_contrib``) scaled by ``a`` still add up exactly
  to the calibrated logit;
- ``isotonic``: a monotone step map (needs more held-out conversions; contributions then
  explain the raw log-odds, not the calibrated one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

Calibration = Literal["sigmoid", "isotonic"]
EPS = 1e-6
# (num_leaves, min_child_samples, reg_lambda) tried next to the configured shape with ``tune``
LOOSER_SHAPES = ((15, 50, 1.0), (31, 20, 0.0))


@dataclass
class BoostParams:
    n_estimators: int = 300
    learning_rate: float = 0.1
    num_leaves: int = 5
    min_child_samples: int = 200
    subsample: float = 1.0
    colsample_bytree: float = 1.0
    colsample_bynode: float = 1.0
    reg_lambda: float = 10.0
    max_bin: int = 255
    early_stopping_rounds: int = 30
    calibration: Calibration = "sigmoid"
    calibration_fraction: float = 0.2
    tune: bool = True
    refit: bool = True
    search_max_samples: int | None = 100_000
    refit_max_samples: int | None = 300_000
    time_gap: float = 0  # see leadscore.predict.splits
    n_jobs: int = 1
    seed: int = 0

    def shapes(self) -> list[tuple[int, int, float]]:
        own = (self.num_leaves, self.min_child_samples, self.reg_lambda)
        if not self.tune:
            return [own]
        return [own, *(s for s in LOOSER_SHAPES if s != own)]


def platt(raw: Any, y: Any, ridge: float = 1e-6, steps: int = 50) -> tuple[float, float]:
    """``(a, b)`` minimising the log loss of ``sigmoid(a * raw + b)`` (Newton's method)."""
    import numpy as np

    a, b = 1.0, 0.0
    x = np.asarray(raw, dtype=np.float64)
    t = np.asarray(y, dtype=np.float64)
    for _ in range(steps):
        z = np.clip(a * x + b, -35, 35)
        p = 1.0 / (1.0 + np.exp(-z))
        w = p * (1 - p)
        g = np.array([np.dot(p - t, x) + ridge * a, np.sum(p - t) + ridge * b])
        h = np.array([[np.dot(w, x * x) + ridge, np.dot(w, x)], [np.dot(w, x), np.sum(w) + ridge]])
        try:
            step = np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            break
        a, b = a - float(step[0]), b - float(step[1])
        if abs(step[0]) + abs(step[1]) < 1e-10:
            break
    return a, b


def intercept_for_mean(z: Any, rate: float) -> float:
    """The ``b`` whose ``mean(sigmoid(z + b))`` equals ``rate`` (0 < rate < 1; bisection)."""
    import numpy as np

    low, high = -40.0, 40.0
    for _ in range(80):
        middle = (low + high) / 2
        if float(np.mean(_sigmoid(z + middle))) < rate:
            low = middle
        else:
            high = middle
    return (low + high) / 2


@dataclass
class BoostedModel:
    params: BoostParams
    booster: Any = None
    best_iteration: int = 0
    a: float = 1.0
    b: float = 0.0
    isotonic: Any = None
    shape: tuple[int, int, float] | None = None  # (num_leaves, min_child_samples, reg_lambda)
    note: str = ""
    # where the compiled trees are kept (the registry sets the model's folder); not pickled
    cache_dir: Path | None = field(default=None, repr=False, compare=False)
    # the compiled trees; None: not looked for, "kept" / "not kept": in cache_dir or not,
    # False: compiling failed (LightGBM predicts)
    _compiled: Any = field(default=None, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["cache_dir"] = state["_compiled"] = None
        return state

    def _settings(self, shape: tuple[int, int, float], rows: int) -> dict[str, Any]:
        p = self.params
        leaves, min_child, reg_lambda = shape
        return {
            "objective": "binary",
            "learning_rate": p.learning_rate,
            "num_leaves": leaves,
            "min_child_samples": max(2, min(min_child, rows // 50)),
            "bagging_fraction": p.subsample,
            "bagging_freq": 1 if p.subsample < 1 else 0,
            "feature_fraction": p.colsample_bytree,
            "feature_fraction_bynode": p.colsample_bynode,
            "lambda_l2": reg_lambda,
            "max_bin": p.max_bin,
            "num_threads": p.n_jobs,
            "seed": p.seed,
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
            "max_cat_to_onehot": 8,
            "min_data_per_group": 20,
            "cat_smooth": 10.0,
        }

    def _train(
        self,
        X: Any,
        y: Any,
        cats: list[int],
        shape: tuple[int, int, float],
        rounds: int,
        held: Any = None,
    ) -> Any:
        """One booster on rows ``X``; with ``held`` (rows, labels) early stopping on them."""
        settings = self._settings(shape, len(X))
        data, valid = self._datasets(X, y, cats, held, settings)
        return self._boost(settings, data, valid, rounds)

    @staticmethod
    def _datasets(
        X: Any, y: Any, cats: list[int], held: Any, settings: dict[str, Any]
    ) -> tuple[Any, Any]:
        """The binned training rows and (with ``held``) held-out rows, on the same bins."""
        import lightgbm as lgb

        data = lgb.Dataset(
            X, label=y, categorical_feature=cats, free_raw_data=True, params=settings
        )
        if held is None:
            return data, None
        return data, lgb.Dataset(held[0], label=held[1], reference=data, params=settings)

    def _boost(self, settings: dict[str, Any], data: Any, valid: Any, rounds: int) -> Any:
        import lightgbm as lgb

        valid_sets: list[Any] = []
        callbacks: list[Any] = []
        if valid is not None:
            valid_sets = [valid]
            callbacks.append(lgb.early_stopping(self.params.early_stopping_rounds, verbose=False))
        return lgb.train(
            settings, data, num_boost_round=rounds, valid_sets=valid_sets, callbacks=callbacks
        )

    def _search(self, X: Any, y: Any, cats: list[int], train: Any, held: Any) -> tuple[Any, Any]:
        """The shape with the best held-out log loss, and its early-stopped booster on every
        row of ``train`` (fitted again when the shapes were compared on samples).

        The shapes share one binning of the rows (building a LightGBM dataset costs about as
        much as a shape's boosting on 100,000 rows): LightGBM's pre-filter of features that
        no split of ``min_child_samples`` rows could use, which would tie the binning to one
        shape, is off; such features are never split either way."""
        from leadscore.predict.splits import subsample

        p = self.params
        shapes = p.shapes()
        sampled = len(shapes) > 1 and (
            p.search_max_samples is not None and max(len(train), len(held)) > p.search_max_samples
        )
        fit_rows = subsample(train, p.search_max_samples, p.seed) if sampled else train
        check_rows = subsample(held, p.search_max_samples, p.seed + 1) if sampled else held
        settings = {shape: self._settings(shape, len(fit_rows)) for shape in shapes}
        if len(shapes) > 1:
            for each in settings.values():
                each["feature_pre_filter"] = False
        data, valid = self._datasets(
            X[fit_rows], y[fit_rows], cats, (X[check_rows], y[check_rows]), settings[shapes[0]]
        )
        best: tuple[float, tuple[int, int, float], Any] | None = None
        for shape in shapes:
            booster = self._boost(settings[shape], data, valid, p.n_estimators)
            loss = float(booster.best_score["valid_0"]["binary_logloss"])
            if best is None or loss < best[0] - 1e-12:
                best = (loss, shape, booster)
        assert best is not None
        _, shape, booster = best
        if sampled:
            booster = self._train(
                X[train], y[train], cats, shape, p.n_estimators, (X[held], y[held])
            )
        return shape, booster

    def fit(self, X: Any, y: Any, categorical: list[bool], times: Any = None) -> BoostedModel:
        import numpy as np

        from leadscore.predict.splits import holdout

        self._compiled = None

        p = self.params
        split = holdout(y, times, p.calibration_fraction, p.seed, p.time_gap)
        if split is not None and not _enough(y[split.held]):
            split = None
        cats = [j for j, c in enumerate(categorical) if c]
        own = (p.num_leaves, p.min_child_samples, p.reg_lambda)
        if split is None:
            self.shape = own
            self.booster = self._train(X, y, cats, own, p.n_estimators)
            self.best_iteration = int(self.booster.current_iteration())
            self.note = "too few examples to hold out a calibration set: probabilities uncalibrated"
            return self
        self.shape, self.booster = self._search(X, y, cats, split.train, split.held)
        self.best_iteration = int(self.booster.best_iteration or self.booster.current_iteration())
        raw = self.raw(X[split.held])
        if p.calibration == "isotonic":
            from sklearn.isotonic import IsotonicRegression  # type: ignore[import-untyped,unused-ignore]

            self.isotonic = IsotonicRegression(y_min=EPS, y_max=1 - EPS, out_of_bounds="clip")
            self.isotonic.fit(_sigmoid(raw), y[split.held])
        else:
            self.a, self.b = platt(raw, y[split.held])
        leaves, min_child, reg_lambda = self.shape
        shape = f"{leaves} leaves, at least {min_child} examples per leaf, L2 {reg_lambda:g}"
        self.note = (
            f"{self.best_iteration} trees ({shape}); {p.calibration} calibration on "
            f"{len(split.held):,} held-out examples ({split.description})"
        )
        if p.refit and (p.refit_max_samples is None or len(X) <= p.refit_max_samples):
            trees = min(p.n_estimators, round(self.best_iteration * len(X) / len(split.train)))
            self.booster = self._train(X, y, cats, self.shape, max(1, trees))
            self.best_iteration = int(self.booster.current_iteration())
            self.note += (
                f"; then refitted on all {len(X):,} examples with {self.best_iteration} trees"
            )
            if self.isotonic is None:
                # the held-out intercept corrected the earlier fit for the held-out part's rate,
                # which the refit has partly learnt: centre it anew on that part
                held = split.held
                self.b = intercept_for_mean(self.a * self.raw(X[held]), float(np.mean(y[held])))
                self.note += ", the calibration's intercept centred on the held-out part again"
        return self

    def raw(self, X: Any) -> FloatArray:
        """The trees' own log-odds."""
        import numpy as np

        out = self.booster.predict(X, num_iteration=self.best_iteration, raw_score=True)
        return np.asarray(out, dtype=np.float64)

    def scoring_raw(self, X: Any) -> FloatArray:
        """:meth:`raw` for scoring: by the compiled trees when they are kept or ``X`` is large
        enough to pay for compiling them (:mod:`leadscore.predict.compiled`)."""
        from leadscore.predict import compiled

        if self._compiled is None:  # not looked for yet: is it kept?
            kept = compiled.is_cached(self.booster, self.best_iteration, self.cache_dir)
            self._compiled = "kept" if kept else "not kept"
        if isinstance(self._compiled, str) and (
            self._compiled == "kept" or compiled.pays(self.booster, self.best_iteration, len(X))
        ):
            found = compiled.compiled(self.booster, self.best_iteration, self.cache_dir)
            self._compiled = False if found is None else found  # False: failed, not again
        if isinstance(self._compiled, compiled.CompiledTrees):
            return self._compiled.raw(X, self.params.n_jobs)
        return self.raw(X)

    def logit(self, X: Any) -> FloatArray:
        """Calibrated log-odds."""
        import numpy as np

        raw = self.scoring_raw(X)
        if self.isotonic is not None:
            p = np.clip(self.isotonic.predict(_sigmoid(raw)), EPS, 1 - EPS)
            return np.asarray(np.log(p / (1 - p)), dtype=np.float64)
        return self.a * raw + self.b

    def contributions(self, X: Any) -> tuple[FloatArray, FloatArray]:
        """Per-feature contributions (rows x features, TreeSHAP) and each row's base, on the
        calibrated log-odds scale with sigmoid calibration (then they add up exactly), on the
        raw scale with isotonic."""
        import numpy as np

        out = np.asarray(
            self.booster.predict(X, num_iteration=self.best_iteration, pred_contrib=True),
            dtype=np.float64,
        )
        contrib, base = out[:, :-1], out[:, -1]
        if self.isotonic is not None:
            return contrib, base
        return contrib * self.a, base * self.a + self.b


def _enough(y: Any) -> bool:
    import numpy as np

    positives = int(np.count_nonzero(y))
    return positives >= 5 and len(y) - positives >= 5


def _sigmoid(x: Any) -> Any:
    import numpy as np

    return 1.0 / (1.0 + np.exp(-np.clip(x, -35, 35)))
