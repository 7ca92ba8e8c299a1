"""Gradient-boosted trees (LightGBM) with probabilities calibrated on a held-out split.

The examples are split once: the later snapshots (or a stratified, seeded share without times)
are held out. The trees are fitted on the rest, with early stopping on the held-out part, and a
calibration map is fitted on the held-out part's raw scores:

- ``sigmoid`` (default, Platt scaling): ``logit = a x raw + b``. Linear in the raw log-odds, so
  LightGBM's per-feature contributions (``pred_contrib``) scaled by ``a`` still add up exactly
  to the calibrated logit;
- ``isotonic``: a monotone step map (needs more held-out conversions; contributions then
  explain the raw log-odds, not the calibrated one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

Calibration = Literal["sigmoid", "isotonic"]
EPS = 1e-6


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
    max_bin: int = 63
    early_stopping_rounds: int = 30
    calibration: Calibration = "sigmoid"
    calibration_fraction: float = 0.2
    n_jobs: int = 1
    seed: int = 0


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


@dataclass
class BoostedModel:
    params: BoostParams
    booster: Any = None
    best_iteration: int = 0
    a: float = 1.0
    b: float = 0.0
    isotonic: Any = None
    note: str = ""

    def fit(self, X: Any, y: Any, categorical: list[bool], times: Any = None) -> BoostedModel:
        import lightgbm as lgb
        import numpy as np

        from leadscore.predict.splits import holdout

        p = self.params
        split = holdout(y, times, p.calibration_fraction, p.seed)
        if split is not None and not _enough(y[split.held]):
            split = None
        train = split.train if split is not None else np.arange(len(X))
        cats = [j for j, c in enumerate(categorical) if c]
        settings = {
            "objective": "binary",
            "learning_rate": p.learning_rate,
            "num_leaves": p.num_leaves,
            "min_child_samples": max(2, min(p.min_child_samples, len(train) // 50)),
            "bagging_fraction": p.subsample,
            "bagging_freq": 1 if p.subsample < 1 else 0,
            "feature_fraction": p.colsample_bytree,
            "feature_fraction_bynode": p.colsample_bynode,
            "lambda_l2": p.reg_lambda,
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
        data = lgb.Dataset(
            X[train], label=y[train], categorical_feature=cats, free_raw_data=True, params=settings
        )
        callbacks: list[Any] = []
        valid_sets: list[Any] = []
        if split is not None:
            valid_sets = [
                lgb.Dataset(X[split.held], label=y[split.held], reference=data, params=settings)
            ]
            callbacks.append(lgb.early_stopping(p.early_stopping_rounds, verbose=False))
        self.booster = lgb.train(
            settings,
            data,
            num_boost_round=p.n_estimators,
            valid_sets=valid_sets,
            callbacks=callbacks,
        )
        self.best_iteration = int(self.booster.best_iteration or self.booster.current_iteration())
        if split is None:
            self.note = "too few examples to hold out a calibration set: probabilities uncalibrated"
            return self
        raw = self.raw(X[split.held])
        if p.calibration == "isotonic":
            from sklearn.isotonic import IsotonicRegression  # type: ignore[import-untyped,unused-ignore]

            self.isotonic = IsotonicRegression(y_min=EPS, y_max=1 - EPS, out_of_bounds="clip")
            self.isotonic.fit(_sigmoid(raw), y[split.held])
        else:
            self.a, self.b = platt(raw, y[split.held])
        self.note = (
            f"{self.best_iteration} trees; {p.calibration} calibration on "
            f"{len(split.held):,} held-out examples ({split.description})"
        )
        return self

    def raw(self, X: Any) -> FloatArray:
        """The trees' own log-odds."""
        import numpy as np

        out = self.booster.predict(X, num_iteration=self.best_iteration, raw_score=True)
        return np.asarray(out, dtype=np.float64)

    def logit(self, X: Any) -> FloatArray:
        """Calibrated log-odds."""
        import numpy as np

        raw = self.raw(X)
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
