"""Tables of a score against what happened: gains and lift by decile, conversion per group
(grade, stage), calibration bins (probabilities) and score bands (rule totals).

Pure functions: arrays in, pandas DataFrames out. Rates carry Wilson 95% intervals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from leadscore.evaluate.metrics import as_labels, as_scores, captured
from leadscore.evaluate.stats import wilson_interval

if TYPE_CHECKING:
    import numpy.typing as npt

NO_GROUP = "(none)"


def gains_table(y: npt.ArrayLike, s: npt.ArrayLike, buckets: int = 10) -> pd.DataFrame:
    """Leads ranked best first and cut into ``buckets`` equal parts (deciles by default).

    Per part: leads, conversions (fractional when a tie straddles a cut: the tie is shared in
    proportion), conversion rate, lift over the overall rate, and the cumulative gain (share of
    all conversions caught so far). ``score_min``/``score_max``: the scores in the part.
    """
    labels, scores = as_labels(y), as_scores(s)
    n = len(labels)
    positives = float(labels.sum())
    base = positives / n if n else float("nan")
    cuts = np.round(np.arange(buckets + 1) * n / buckets).astype(np.int64)
    caught = captured(labels, scores, cuts)
    ordered = np.sort(scores)[::-1]
    rows = []
    for i in range(buckets):
        lo, hi = int(cuts[i]), int(cuts[i + 1])
        if hi <= lo:
            continue
        conversions = float(caught[i + 1] - caught[i])
        rate = conversions / (hi - lo)
        rows.append(
            {
                "bucket": i + 1,
                "leads": hi - lo,
                "conversions": conversions,
                "rate": rate,
                "lift": rate / base if base > 0 else float("nan"),
                "cum_leads_share": hi / n,
                "cum_gain": float(caught[i + 1]) / positives if positives else float("nan"),
                "cum_lift": (float(caught[i + 1]) / hi) / base if base > 0 else float("nan"),
                "score_max": float(ordered[lo]),
                "score_min": float(ordered[hi - 1]),
            }
        )
    return pd.DataFrame(rows, columns=_GAINS_COLUMNS)


_GAINS_COLUMNS = [
    "bucket",
    "leads",
    "conversions",
    "rate",
    "lift",
    "cum_leads_share",
    "cum_gain",
    "cum_lift",
    "score_max",
    "score_min",
]


def gains_curve(y: npt.ArrayLike, s: npt.ArrayLike, points: int = 100) -> pd.DataFrame:
    """The cumulative gains curve: share of leads contacted (best first) -> share of
    conversions caught, and the cumulative lift, at ``points`` + 1 evenly spaced shares."""
    labels, scores = as_labels(y), as_scores(s)
    n, positives = len(labels), float(labels.sum())
    share = np.linspace(0.0, 1.0, points + 1)
    caught = captured(labels, scores, share * n)
    gain = caught / positives if positives else np.full_like(share, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        lift = np.where(share > 0, gain / share, np.nan)
    return pd.DataFrame({"share": share, "gain": gain, "lift": lift})


def _with_interval(frame: pd.DataFrame) -> pd.DataFrame:
    pairs = zip(frame["conversions"], frame["leads"], strict=True)
    intervals = [wilson_interval(c, n) for c, n in pairs]
    frame["rate_low"] = [i.low for i in intervals]
    frame["rate_high"] = [i.high for i in intervals]
    return frame


def group_table(
    groups: Sequence[str | None] | pd.Series,
    y: npt.ArrayLike,
    order: Sequence[str] = (),
) -> pd.DataFrame:
    """Volume and conversion per group (grade, stage...), in ``order`` first, then others
    alphabetically, then leads without a group (shown as ``(none)``)."""
    labels = as_labels(y)
    keys = pd.Series(list(groups), dtype=object).fillna(NO_GROUP).astype(str)
    frame = pd.DataFrame({"group": keys.to_numpy(), "y": labels.astype(np.int64)})
    agg = frame.groupby("group", sort=False)["y"].agg(["size", "sum"])
    present = [str(g) for g in agg.index]
    ranked = [g for g in order if g in present]
    ranked += sorted(g for g in present if g not in ranked and g != NO_GROUP)
    ranked += [NO_GROUP] if NO_GROUP in present else []
    agg = agg.loc[ranked]
    n, positives = len(labels), int(labels.sum())
    base = positives / n if n else float("nan")
    out = pd.DataFrame(
        {
            "group": ranked,
            "leads": agg["size"].to_numpy(dtype=np.int64),
            "conversions": agg["sum"].to_numpy(dtype=np.int64),
        }
    )
    out["rate"] = out["conversions"] / out["leads"]
    out = _with_interval(out)
    out["lift"] = out["rate"] / base if base > 0 else float("nan")
    out["share_of_leads"] = out["leads"] / n if n else float("nan")
    out["share_of_conversions"] = out["conversions"] / positives if positives else float("nan")
    return out


def calibration_table(
    y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10, strategy: str = "quantile"
) -> pd.DataFrame:
    """Predicted probability against the observed rate, per bin (empty bins left out).

    ``strategy``: ``quantile`` (bins of about equal size: readable when most probabilities are
    small) or ``uniform`` (equal-width bins over [0, 1]).
    """
    labels, probs = as_labels(y), as_scores(p)
    edges: npt.NDArray[np.float64]
    if strategy == "quantile":
        edges = np.unique(np.quantile(probs, np.linspace(0, 1, bins + 1))) if len(probs) else probs
        index = np.clip(
            np.searchsorted(edges[1:-1], probs, side="right"), 0, max(len(edges) - 2, 0)
        )
    elif strategy == "uniform":
        edges = np.linspace(0.0, 1.0, bins + 1)
        index = np.clip(np.searchsorted(edges[1:-1], probs, side="right"), 0, bins - 1)
    else:
        raise ValueError(f"strategy must be 'quantile' or 'uniform', got {strategy!r}")
    rows = []
    for b in np.unique(index) if len(probs) else []:
        mask = index == b
        count = int(mask.sum())
        hits = int(labels[mask].sum())
        interval = wilson_interval(hits, count)
        rows.append(
            {
                "bin": int(b) + 1,
                "p_low": float(edges[b]),
                "p_high": float(edges[b + 1]) if b + 1 < len(edges) else float(edges[-1]),
                "leads": count,
                "conversions": hits,
                "predicted": float(probs[mask].mean()),
                "observed": hits / count,
                "observed_low": interval.low,
                "observed_high": interval.high,
            }
        )
    columns = ["bin", "p_low", "p_high", "leads", "conversions", "predicted", "observed"]
    return pd.DataFrame(rows, columns=[*columns, "observed_low", "observed_high"])


def nice_step(span: float, parts: int = 10) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) cutting ``span`` into about
    ``parts`` pieces."""
    if not span > 0 or not math.isfinite(span):
        return 1.0
    raw = span / parts
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * power:
            return factor * power
    return 10.0 * power  # pragma: no cover - the loop always returns


def score_band_table(
    y: npt.ArrayLike, s: npt.ArrayLike, width: float | None = None
) -> pd.DataFrame:
    """Observed conversion per band of score (``[low, high)``, the last band closed), the
    counterpart of a calibration table for scores that are not probabilities."""
    labels, scores = as_labels(y), as_scores(s)
    columns = ["band", "low", "high", "leads", "conversions", "rate", "rate_low", "rate_high"]
    if not len(scores):
        return pd.DataFrame(columns=columns)
    lo, hi = float(scores.min()), float(scores.max())
    step = width if width is not None else nice_step(hi - lo)
    start = math.floor(lo / step) * step
    bands = max(1, math.ceil((hi - start) / step))
    index = np.clip(np.floor((scores - start) / step).astype(np.int64), 0, bands - 1)
    rows = []
    for b in np.unique(index):
        mask = index == b
        low = start + b * step
        rows.append(
            {
                "band": f"{_short(low)}-{_short(low + step)}",
                "low": low,
                "high": low + step,
                "leads": int(mask.sum()),
                "conversions": int(labels[mask].sum()),
            }
        )
    out = pd.DataFrame(rows)
    out["rate"] = out["conversions"] / out["leads"]
    return _with_interval(out)[columns]


def _short(value: float) -> str:
    text = f"{value:.6g}"
    return "0" if text == "-0" else text
