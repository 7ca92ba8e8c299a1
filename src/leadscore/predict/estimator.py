"""``LeadScoreClassifier``: a scikit-learn compatible binary classifier with calibrated
probabilities, for the CLI and for notebooks.

- ``kind="lightgbm"``: gradient-boosted trees, calibrated on a held-out split, with the tree
  shape chosen there (``tune``) and refitted on every example (``refit``)
  (:mod:`leadscore.predict.boosting`);
- ``kind="logistic"``: an L2-regularised logistic regression on scaled numbers and one-hot
  categories (:mod:`leadscore.predict.linear`);
- ``kind="auto"``: chooses by validation (:mod:`leadscore.predict.selection`): time-ordered
  when ``fit`` is given ``sample_time``, stratified folds otherwise; falls back to the logistic
  model when conversions are few, and says so in ``selection_``. With ``validate=True`` an
  explicit kind is validated the same way (``selection_`` then holds its metrics).

``X`` is a numeric array or a DataFrame whose categorical (or text) columns become categories.
Missing values are allowed. Deterministic for a given ``random_state`` and ``n_jobs``.

``time_gap`` (in the unit of ``sample_time``): every split that holds out the latest examples
fits on those at least ``time_gap`` earlier. Give the horizon for point-in-time examples
(:func:`leadscore.predict.train.train` does): their outcome windows overlap otherwise, and the
validation would reward memorising contacts.
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, Any

from sklearn.base import BaseEstimator, ClassifierMixin  # type: ignore[import-untyped,unused-ignore]

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from sklearn.utils._tags import Tags  # type: ignore[import-untyped,unused-ignore]

log = logging.getLogger(__name__)
KINDS = ("auto", "lightgbm", "logistic")
CALIBRATIONS = ("sigmoid", "isotonic")
ENCODE_BLOCK = 16_384  # rows of the float32 matrix filled at a time (8 MB for 122 features)


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        listed = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be a str among {{{listed}}}. Got {value!r} instead.")


class LeadScoreClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Calibrated probability of the positive class (the larger of ``classes_``)."""

    def __init__(
        self,
        kind: str = "auto",
        *,
        calibration: str = "sigmoid",
        n_estimators: int = 300,
        learning_rate: float = 0.1,
        num_leaves: int = 5,
        min_child_samples: int = 200,
        subsample: float = 1.0,
        colsample_bytree: float = 1.0,
        reg_lambda: float = 10.0,
        max_bin: int = 255,
        early_stopping_rounds: int = 30,
        calibration_fraction: float = 0.2,
        tune: bool = True,
        refit: bool = True,
        C: float | None = None,
        max_linear_samples: int | None = 200_000,
        min_positives: int = 200,
        validation_fraction: float = 0.25,
        cv: int = 3,
        max_validation_examples: int | None = 200_000,
        time_gap: float = 0,
        validate: bool = False,
        random_state: int = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.kind = kind
        self.calibration = calibration
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.max_bin = max_bin
        self.early_stopping_rounds = early_stopping_rounds
        self.calibration_fraction = calibration_fraction
        self.tune = tune
        self.refit = refit
        self.C = C
        self.max_linear_samples = max_linear_samples
        self.min_positives = min_positives
        self.validation_fraction = validation_fraction
        self.cv = cv
        self.max_validation_examples = max_validation_examples
        self.time_gap = time_gap
        self.validate = validate
        self.random_state = random_state
        self.n_jobs = n_jobs

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    # --- input ------------------------------------------------------------------------------

    def _matrix(
        self, X: Any, reset: bool, y: Any = None, by_columns: bool = False
    ) -> tuple[Any, Any]:
        """``X`` as a float32 matrix (categories as codes, NaN for missing) and ``y``; with
        ``by_columns``, a data frame's columns are given as a list of float32 arrays instead
        of a matrix (a model that reads features by columns saves building it)."""
        import numpy as np
        import pandas as pd
        from sklearn.utils.validation import check_array, column_or_1d, validate_data  # type: ignore[import-untyped,unused-ignore]

        if isinstance(X, pd.DataFrame) and not all(
            pd.api.types.is_numeric_dtype(t) and not isinstance(t, pd.CategoricalDtype)
            for t in X.dtypes
        ):
            if reset:
                X, _ = validate_data(self, X, y, skip_check_array=True)
                y = column_or_1d(check_array(y, ensure_2d=False, dtype=None), warn=True)
                if len(y) != len(X):
                    raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
                self.categories_: dict[int, list[Any]] = {}
            else:
                validate_data(self, X, reset=False, skip_check_array=True)
            if len(X) == 0:
                raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
            columns = self._encode_frame(X, reset)
            return (columns if by_columns else _stacked(columns, X.shape)), y
        if reset:
            self.categories_ = {}
            out, y = validate_data(
                self, X, y, dtype=[np.float64, np.float32], ensure_all_finite="allow-nan"
            )
        else:
            out = validate_data(
                self, X, reset=False, dtype=[np.float64, np.float32], ensure_all_finite="allow-nan"
            )
        return np.asarray(out, dtype=np.float32), y

    def _encode_frame(self, X: Any, reset: bool) -> list[Any]:
        """The frame's columns as float32 arrays (categories as codes, NaN for missing)."""
        import numpy as np
        import pandas as pd

        columns = []
        for j, name in enumerate(X.columns):
            column = X[name]
            categorical = isinstance(column.dtype, pd.CategoricalDtype)
            if reset and (categorical or not pd.api.types.is_numeric_dtype(column.dtype)):
                if categorical:
                    self.categories_[j] = list(column.cat.categories)
                else:
                    self.categories_[j] = sorted(set(column.dropna().astype(str)))
            if j in self.categories_:
                levels = self.categories_[j]
                if categorical and list(column.cat.categories) == levels:
                    codes = column.cat.codes.to_numpy()
                else:  # other categories or text: match by value
                    values = column.astype(object) if categorical else column.astype("string")
                    codes = pd.Index(levels).get_indexer(pd.Index(values.astype(object)))
                columns.append(np.where(codes < 0, np.float32(np.nan), codes.astype(np.float32)))
            elif column.dtype == np.float32:  # the usual case: the frame's own values
                columns.append(column.to_numpy())
            else:
                columns.append(column.to_numpy(dtype=np.float32, na_value=np.nan))
        for values in columns:
            if np.isinf(values).any():
                raise ValueError("Input X contains infinity or a value too large for float32.")
        return columns

    @property
    def categorical_(self) -> list[bool]:
        return [j in self.categories_ for j in range(self.n_features_in_)]

    # --- fitting ----------------------------------------------------------------------------

    def fit(self, X: Any, y: Any, sample_time: Any = None) -> LeadScoreClassifier:
        """Fit on ``X``, ``y`` (two classes). ``sample_time`` (one number per row, such as the
        snapshot time) makes validation and calibration hold out the latest examples."""
        import numpy as np
        from sklearn.utils.multiclass import check_classification_targets  # type: ignore[import-untyped,unused-ignore]

        _choice("kind", self.kind, KINDS)
        _choice("calibration", self.calibration, CALIBRATIONS)
        matrix, y = self._matrix(X, reset=True, y=y)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) > 2:
            raise ValueError(
                "Only binary classification is supported. y has "
                f"{len(self.classes_)} classes: {list(self.classes_)[:5]}"
            )
        if len(self.classes_) < 2:
            raise ValueError(
                "LeadScoreClassifier needs examples of 2 classes (converted and not), "
                f"y has only one class: {list(self.classes_)}"
            )
        target = (y == self.classes_[1]).astype(np.int8)
        times = None if sample_time is None else np.asarray(sample_time)
        if times is not None and len(times) != len(target):
            raise ValueError(f"sample_time has {len(times)} values for {len(target)} rows")
        self.selection_ = None
        kind = self.kind
        if kind == "auto" or self.validate:
            from leadscore.predict.selection import KINDS as CANDIDATES
            from leadscore.predict.selection import select_kind

            self.selection_ = select_kind(
                matrix,
                target,
                times,
                CANDIDATES if kind == "auto" else (kind,),
                self._fit_kind,
                seed=self.random_state,
                fraction=self.validation_fraction,
                folds=self.cv,
                max_examples=self.max_validation_examples,
                min_positives=self.min_positives,
                gap=self.time_gap,
            )
            kind = self.selection_.kind
        self.kind_ = kind
        penalty = self.C
        chosen = None if self.selection_ is None else self.selection_.chosen
        if kind == "logistic" and penalty is None and chosen is not None and chosen.model:
            penalty = chosen.model.C_  # chosen once, on the validation fit
        started = time.perf_counter()
        self.model_ = self._fit_kind(kind, matrix, target, times, penalty)
        log.info(
            "fitted %s on %d examples in %.1fs", kind, len(target), time.perf_counter() - started
        )
        if self.selection_ is not None:
            for candidate in self.selection_.candidates:
                candidate.model = None  # validation fits are not kept
        return self

    def _threads(self) -> int:
        if self.n_jobs is None or self.n_jobs < 1:
            return os.cpu_count() or 1
        return int(self.n_jobs)

    def _fit_kind(self, kind: str, X: Any, y: Any, times: Any, penalty: float | None = None) -> Any:
        if kind == "logistic":
            from leadscore.predict.linear import LinearModel

            return LinearModel(
                C=self.C if penalty is None else penalty,
                max_samples=self.max_linear_samples,
                seed=self.random_state,
                threads=self._threads(),
                time_gap=self.time_gap,
            ).fit(X, y, self.categorical_, times)
        from leadscore.predict.boosting import BoostedModel, BoostParams

        params = BoostParams(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=self.subsample,
            colsample_bytree=self.colsample_bytree,
            reg_lambda=self.reg_lambda,
            max_bin=self.max_bin,
            early_stopping_rounds=self.early_stopping_rounds,
            calibration=self.calibration,  # type: ignore[arg-type]
            calibration_fraction=self.calibration_fraction,
            tune=self.tune,
            refit=self.refit,
            time_gap=self.time_gap,
            n_jobs=self._threads(),
            seed=self.random_state,
        )
        return BoostedModel(params).fit(X, y, self.categorical_, times)

    # --- predicting -------------------------------------------------------------------------

    def decision_function(self, X: Any) -> npt.NDArray[np.float64]:
        """Calibrated log-odds of the positive class."""
        from sklearn.utils.validation import check_is_fitted  # type: ignore[import-untyped,unused-ignore]

        check_is_fitted(self)
        matrix, _ = self._matrix(X, reset=False, by_columns=self._by_columns)
        return self.model_.logit(matrix)  # type: ignore[no-any-return]

    @property
    def _by_columns(self) -> bool:
        """Whether the fitted model reads a data frame's columns as they are (the logistic
        model does; the trees take a row-ordered matrix)."""
        from leadscore.predict.linear import LinearModel

        return isinstance(self.model_, LinearModel)

    def predict_proba(self, X: Any) -> npt.NDArray[np.float64]:
        import numpy as np

        z = np.clip(self.decision_function(X), -35, 35)
        p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> Any:
        import numpy as np
        from sklearn.utils.validation import check_is_fitted  # type: ignore[import-untyped,unused-ignore]

        check_is_fitted(self)
        return self.classes_[(self.decision_function(X) > 0).astype(np.intp)]

    def contributions(self, X: Any) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Per-feature contributions to the calibrated log-odds (rows x features) and each
        row's base value: ``base + contributions.sum(axis=1) == decision_function(X)``
        (exactly for the logistic model and sigmoid-calibrated trees)."""
        import numpy as np
        from sklearn.utils.validation import check_is_fitted  # type: ignore[import-untyped,unused-ignore]

        check_is_fitted(self)
        matrix, _ = self._matrix(X, reset=False, by_columns=self._by_columns)
        contrib, base = self.model_.contributions(matrix)
        return contrib, np.broadcast_to(np.asarray(base, dtype=np.float64), (len(contrib),)).copy()


def _stacked(columns: list[Any], shape: tuple[int, int]) -> Any:
    """Columns as one row-ordered float32 matrix."""
    import numpy as np

    out = np.empty(shape, dtype=np.float32)
    # by blocks of rows: filled column by column over all rows at once, nearly every value
    # written missed the cache (3.5x as slow on a million rows x 122 features)
    for start in range(0, len(out), ENCODE_BLOCK):
        block = out[start : start + ENCODE_BLOCK]
        for j, values in enumerate(columns):
            block[:, j] = values[start : start + ENCODE_BLOCK]
    return out
