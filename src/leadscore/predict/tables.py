"""Features of a plain table: one row per contact with attributes and an outcome column (the
usual CRM export), with no events.

Columns are read the way the store reads attributes: a column is a number when at least 95 % of
its present values are numbers (numeric dtype, or text in the strict number syntax of
:func:`leadscore.values.parse_number`), otherwise a category with rare values grouped as
``(other)``; job titles and emails also give flags (:mod:`leadscore.predict.flags`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.predict.featureinfo import OTHER
from leadscore.predict.flags import flags_for, holds_all
from leadscore.predict.naming import Names
from leadscore.predict.plan import AttributeStats, FeatureOptions, FeaturePlan, attribute_infos

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

POSITIVE_TEXT = ("1", "true", "yes", "y", "converted", "won")
NEGATIVE_TEXT = ("0", "false", "no", "n", "lost", "")


def _is_numeric(series: pd.Series) -> bool:
    import pandas as pd

    return bool(
        pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series)
    )


def _as_text(series: pd.Series) -> pd.Series:
    """Values as stored text (booleans as ``true``/``false``), missing stays missing."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(series.dtype):
        return series.map({True: "true", False: "false"}).astype("string")
    return series.astype("string")


def _number_mask(text: pd.Series) -> pd.Series:
    from leadscore.values import NUMBER_BODY

    return text.str.fullmatch(NUMBER_BODY).fillna(False).astype(bool)


def column_stats(series: pd.Series, top: int, flag_sample: int = 0) -> AttributeStats:
    """Value statistics of a column; with ``flag_sample``, up to that many of its present
    values (evenly spaced) when flags are read from it (:mod:`leadscore.predict.flags`)."""
    present = int(series.notna().sum())
    if _is_numeric(series):
        counts = series.dropna().value_counts().head(top + 1)
        values = [(repr(float(v)), int(n)) for v, n in counts.items()]  # type: ignore[arg-type]
        return AttributeStats(str(series.name), present, present, values)
    text = _as_text(series)
    numbers = int(_number_mask(text.dropna()).sum())
    counts = text.dropna().value_counts()
    ranked = sorted(counts.items(), key=lambda item: (-int(item[1]), str(item[0])))[: top + 1]
    sample: tuple[str, ...] = ()
    if flag_sample and flags_for(str(series.name)):
        values = text.dropna().tolist()
        step = max(1, -(-len(values) // flag_sample))
        sample = tuple(str(v) for v in values[::step])
    ranked_values = [(str(v), int(n)) for v, n in ranked]
    return AttributeStats(str(series.name), present, numbers, ranked_values, sample)


def plan_table(
    frame: pd.DataFrame, exclude: Sequence[str] = (), options: FeatureOptions | None = None
) -> FeaturePlan:
    """Attribute features of a table's columns (minus ``exclude``)."""
    options = options or FeatureOptions()
    skip = set(exclude)
    sample = options.flag_sample if options.attribute_flags else 0
    stats = [
        column_stats(frame[c], options.max_categories, sample)
        for c in frame.columns
        if str(c) not in skip
    ]
    infos, notes = attribute_infos(stats, len(frame), options, Names())
    if not infos:
        raise LeadscoreError(
            "no usable feature columns in the table (each column was left out: "
            + "; ".join(notes)
            + ")"
        )
    return FeaturePlan(infos=tuple(infos), source="table", options=options, notes=notes)


def table_features(frame: pd.DataFrame, plan: FeaturePlan) -> pd.DataFrame:
    """The plan's features for the rows of ``frame`` (same order, a fresh index)."""
    import numpy as np
    import pandas as pd

    missing = [i.attribute for i in plan.infos if i.attribute not in frame.columns]
    if missing:
        raise LeadscoreError(f"the table lacks the model's columns: {missing}")
    out: dict[str, Any] = {}
    for info in plan.infos:
        series = frame[info.attribute].reset_index(drop=True)
        if info.kind == "attribute_flag":
            out[info.name] = holds_all(info, _as_text(series).astype(object).tolist())
        elif info.kind == "attribute_number":
            if _is_numeric(series):
                out[info.name] = series.astype(np.float64).to_numpy()
            else:
                text = _as_text(series)
                ok = _number_mask(text)
                values = np.full(len(text), np.nan)
                values[ok.to_numpy()] = text[ok].astype(np.float64).to_numpy()
                out[info.name] = values
        else:
            text = (
                series.map(lambda v: repr(float(v)), na_action="ignore").astype("string")
                if _is_numeric(series)
                else _as_text(series)
            )
            codes = pd.Index(info.categories).get_indexer(pd.Index(text.astype(object)))
            codes = codes.astype(np.int32)
            codes[(codes == -1) & text.notna().to_numpy()] = len(info.categories)
            out[info.name] = pd.Categorical.from_codes(
                codes, categories=pd.Index([*info.categories, OTHER])
            )
    return pd.DataFrame(out)


def outcome_labels(series: pd.Series, positive: Any = None) -> npt.NDArray[np.int8]:
    """0/1 labels from an outcome column: equal to ``positive`` when given; otherwise booleans,
    numbers (non-zero is 1) or text (yes/true/1/converted/won vs no/false/0/lost)."""
    import numpy as np
    import pandas as pd

    if series.isna().any():
        raise LeadscoreError(
            f"the outcome column {series.name!r} has {int(series.isna().sum())} missing values"
        )
    if positive is not None:
        labels: npt.NDArray[np.int8] = (series == positive).to_numpy().astype(np.int8)
        return labels
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        return (series.astype(np.float64) != 0).to_numpy().astype(np.int8)
    text = series.astype("string").str.strip().str.lower()
    known = text.isin([*POSITIVE_TEXT, *NEGATIVE_TEXT])
    if not bool(known.all()):
        odd = sorted(set(series[~known.to_numpy()].astype(str)))[:5]
        raise LeadscoreError(
            f"the outcome column {series.name!r} has values that are neither a conversion "
            f"({', '.join(POSITIVE_TEXT)}) nor not ({', '.join(NEGATIVE_TEXT[:-1])}): {odd}; "
            "say which value means converted with positive=..."
        )
    return text.isin(POSITIVE_TEXT).to_numpy().astype(np.int8)
