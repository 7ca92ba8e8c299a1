"""The regularised logistic model, with exact per-feature contributions.

Each feature becomes one or more design columns: a number is log-transformed when it is
non-negative and skewed (counts), imputed with its mean when missing (plus a 0/1 "missing"
column when it was missing in training), standardised and clipped to +-8; a category becomes
one 0/1 column per level seen in training (missing is a level of its own). An L2-penalised
logistic regression (scikit-learn, Newton-Cholesky) is fitted on the standardised design, on
at most ``max_samples`` examples (a few hundred coefficients gain nothing from more). The
penalty is chosen from a grid by hold-out log loss (the latest examples when there are times)
unless ``C`` is given.

The logit is exactly ``base + sum of contributions``: a feature's contribution is
``sum over its design columns of coef x (value - training mean)`` and ``base`` is the logit of
the average training row. Predicting and explaining read each feature's column once (a
category's coefficients from a table of its levels); the design itself is built only to fit,
so every lead can have its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

CHUNK = 100_000  # rows per design block when predicting
CLIP = 8.0
C_GRID = (0.0005, 0.002, 0.008, 0.03, 0.1, 0.4)  # inverse penalty on standardised columns
C_SEARCH_SAMPLES = 50_000
DEFAULT_C = 0.1


@dataclass
class _Numeric:
    index: int
    log: bool
    mean: float
    std: float
    indicator: bool


@dataclass
class _Category:
    index: int
    levels: list[int]  # category codes; -1 is "missing"


@dataclass
class LinearModel:
    """Fitted by :meth:`fit`; ``coef`` and ``means`` follow the design columns."""

    C: float | None = None  # None: chosen on a hold-out from C_GRID
    max_samples: int | None = 200_000
    seed: int = 0
    solver: str = "newton-cholesky"
    threads: int = 1
    time_gap: float = 0  # see leadscore.predict.splits
    numeric: list[_Numeric] = field(default_factory=list)
    categories: list[_Category] = field(default_factory=list)
    C_: float | None = None  # the penalty used
    coef: Any = None
    intercept: float = 0.0
    means: Any = None  # training mean of every design column
    n_features: int = 0

    def fit(self, X: Any, y: Any, categorical: list[bool], times: Any = None) -> LinearModel:
        """Fit on rows of ``X`` (float32, NaN missing; ``categorical`` flags the columns that
        hold category codes). With ``C=None`` the penalty is chosen on a hold-out (the latest
        ``times`` when given)."""
        import numpy as np
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped,unused-ignore]

        from leadscore.predict.splits import subsample

        rows = subsample(np.arange(len(X)), self.max_samples, self.seed)
        sample = X[rows]
        self.n_features = X.shape[1]
        self.numeric, self.categories = [], []
        for j in range(X.shape[1]):
            column = sample[:, j].astype(np.float64)
            if categorical[j]:
                codes = np.where(np.isnan(column), -1, column).astype(np.int64)
                self.categories.append(_Category(j, sorted(set(codes.tolist()))))
                continue
            observed = column[~np.isnan(column)]
            if observed.size == 0:
                continue
            log = bool(observed.min() >= 0 and _skew(observed) > 1.0)
            values = np.log1p(observed) if log else observed
            std = float(values.std())
            if std == 0.0 or not np.isfinite(std):
                continue
            indicator = bool(observed.size < column.size)
            self.numeric.append(_Numeric(j, log, float(values.mean()), std, indicator))
        design = self.design(sample)
        self.means = design.mean(axis=0)
        # fit on standardised columns (well conditioned: few iterations), then map back
        scale = design.std(axis=0)
        scale[scale == 0] = 1.0
        design -= self.means
        design /= scale
        target = y[rows]
        with threadpool_limits(limits=self.threads, user_api="blas"):
            self.C_ = self.C
            if self.C_ is None:
                self.C_ = self._choose_c(design, target, None if times is None else times[rows])
            w, b = self._solve(design, target, self.C_)
        self.coef = w / scale
        self.intercept = b - float(self.coef @ self.means)
        return self

    def _solve(self, design: Any, y: Any, c: float, warm: Any = None) -> tuple[Any, float]:
        import numpy as np
        from sklearn.linear_model import (  # type: ignore[import-untyped,unused-ignore]
            LogisticRegression,
        )

        model = LogisticRegression(
            C=c, solver=self.solver, max_iter=500, tol=1e-5, warm_start=warm is not None
        )
        if warm is not None:  # start from the solution of a nearby penalty
            model.coef_, model.intercept_ = warm
        model.fit(design, y)
        return model.coef_[0].astype(np.float64), float(model.intercept_[0])

    def _choose_c(self, design: Any, y: Any, times: Any) -> float:
        """The penalty with the best hold-out log loss (on at most 50,000 examples); the
        smallest penalty that data can support grows with the data."""
        import numpy as np

        from leadscore.predict.metrics import log_loss
        from leadscore.predict.splits import holdout, subsample

        rows = subsample(np.arange(len(y)), C_SEARCH_SAMPLES, self.seed)
        split = holdout(
            y[rows], None if times is None else times[rows], 0.25, self.seed, self.time_gap
        )
        if split is None:
            return DEFAULT_C
        fit_rows, check_rows = rows[split.train], rows[split.held]
        best, best_loss = DEFAULT_C, float("inf")
        warm = None
        fit_design, fit_y = design[fit_rows], y[fit_rows]
        for c in C_GRID:
            w, b = self._solve(fit_design, fit_y, c, warm)
            warm = (w.reshape(1, -1).copy(), np.array([b]))
            z = np.clip(design[check_rows] @ w + b, -35, 35)
            loss = log_loss(y[check_rows], 1.0 / (1.0 + np.exp(-z)))
            if loss < best_loss - 1e-9:
                best, best_loss = c, loss
            elif loss > best_loss * 1.01:  # past the best: weaker penalties only overfit more
                break
        return best

    def design(self, X: Any) -> FloatArray:
        """The design columns of rows of ``X`` (float32 features, NaN for missing), in column
        order (Fortran): each column is written, and each feature read, contiguously."""
        import numpy as np

        columns = np.ascontiguousarray(X.T)  # one transposition instead of strided reads
        width = sum(2 if n.indicator else 1 for n in self.numeric)
        width += sum(len(c.levels) for c in self.categories)
        out = np.zeros((len(X), width), dtype=np.float64, order="F")
        k = 0
        for num in self.numeric:
            out[:, k], missing = _scaled(num, columns[num.index])
            k += 1
            if num.indicator:
                out[:, k] = missing
                k += 1
        for cat in self.categories:
            codes = _codes(columns[cat.index])
            for level in cat.levels:
                out[:, k] = codes == level
                k += 1
        return out

    @property
    def base(self) -> float:
        """The logit of the average training row (``intercept + coef . means``)."""
        return float(self.intercept + self.coef @ self.means)

    def _terms(self) -> tuple[list[tuple[_Numeric, int, bool]], list[tuple[_Category, int, Any]]]:
        """Where each feature's design columns start: numbers (with whether a missing
        indicator follows), and categories with a table of their coefficients by code:
        0 .. top, then 0 for codes the training never saw (clipped to top + 1), and last the
        missing level's (code -1)."""
        import numpy as np

        numbers: list[tuple[_Numeric, int, bool]] = []
        k = 0
        for num in self.numeric:
            numbers.append((num, k, num.indicator))
            k += 2 if num.indicator else 1
        tables: list[tuple[_Category, int, Any]] = []
        for cat in self.categories:
            table = np.zeros(max(cat.levels, default=-1) + 3, dtype=np.float64)
            table[cat.levels] = self.coef[k : k + len(cat.levels)]
            tables.append((cat, k, table))
            k += len(cat.levels)
        return numbers, tables

    def _by_blocks(self, X: Any, work: Any) -> None:
        """``work(start, columns)`` for each block of rows of ``X`` (a matrix, rows x
        features, or a list of its columns), with the block's feature columns, on
        ``threads`` threads when there are several blocks."""
        import numpy as np

        from leadscore.predict.parallel import each

        def block(start: int) -> None:
            columns: Any
            if isinstance(X, list):
                columns = [column[start : start + CHUNK] for column in X]
            else:  # one transposition instead of strided reads
                columns = np.ascontiguousarray(X[start : start + CHUNK].T)
            work(start, columns)

        each(block, range(0, _rows(X), CHUNK), self.threads)

    def logit(self, X: Any) -> FloatArray:
        """``design(X) @ coef + intercept`` without the design: each feature's column times
        its coefficients is added in place (a category's from a table of its levels), by
        blocks of rows. ``X`` is a matrix (rows x features) or a list of its columns."""
        import numpy as np

        numbers, tables = self._terms()
        out = np.empty(_rows(X), dtype=np.float64)

        def work(start: int, columns: Any) -> None:
            total = np.full(len(columns[0]), self.intercept)
            for num, k, indicator in numbers:
                scaled, missing = _scaled(num, columns[num.index])
                scaled *= self.coef[k]
                total += scaled
                if indicator:
                    total += missing * self.coef[k + 1]
            for cat, _k, table in tables:
                total += table[np.minimum(_codes(columns[cat.index]), len(table) - 2)]
            out[start : start + CHUNK] = total

        self._by_blocks(X, work)
        return out

    def contributions(self, X: Any) -> tuple[FloatArray, float]:
        """Per-feature contributions (rows x features) and the base logit; each row sums to
        its logit. A feature's contribution, ``sum over its design columns of coef x (value -
        training mean)``, is computed from its column alone (a category's from a table of its
        levels less their mean share), without the design."""
        import numpy as np

        numbers, tables = self._terms()
        out = np.zeros((_rows(X), self.n_features), dtype=np.float64)
        shares = [
            float(self.coef[k : k + len(c.levels)] @ self.means[k : k + len(c.levels)])
            for c, k, _t in tables
        ]

        def work(start: int, columns: Any) -> None:
            rows = len(columns[0])
            by_feature = np.zeros((self.n_features, rows), dtype=np.float64)
            for num, k, indicator in numbers:
                scaled, missing = _scaled(num, columns[num.index])
                scaled -= self.means[k]
                scaled *= self.coef[k]
                if indicator:
                    scaled += (missing - self.means[k + 1]) * self.coef[k + 1]
                by_feature[num.index] = scaled
            for (cat, _k, table), share in zip(tables, shares, strict=True):
                codes = np.minimum(_codes(columns[cat.index]), len(table) - 2)
                by_feature[cat.index] = table[codes] - share
            out[start : start + rows] = by_feature.T

        self._by_blocks(X, work)
        return out, self.base


def _rows(X: Any) -> int:
    """How many rows ``X`` has: a matrix, or a list of its columns."""
    return len(X[0]) if isinstance(X, list) else len(X)


def _scaled(num: _Numeric, column: Any) -> tuple[FloatArray, Any]:
    """A number's design column (log, standardised, clipped; 0 where missing) and where it
    is missing."""
    import numpy as np

    values = column.astype(np.float64)
    missing = np.isnan(values)
    if num.log:
        np.clip(values, 0, None, out=values)
        np.log1p(values, out=values)
    values -= num.mean
    values /= num.std
    np.clip(values, -CLIP, CLIP, out=values)
    values[missing] = 0.0
    return values, missing


def _codes(column: Any) -> Any:
    """Category codes of a float column (NaN, missing, is -1)."""
    import numpy as np

    return np.where(np.isnan(column), -1, column).astype(np.int64)


def _skew(values: Any) -> float:
    import numpy as np

    centred = values - values.mean()
    spread = float(np.sqrt((centred**2).mean()))
    if spread == 0.0:
        return 0.0
    return float((centred**3).mean() / spread**3)
