"""Bins of one feature for a learned point table (scorecard).

A feature's values are cut into a few ordered bins whose conversion rates are monotone:

- numbers start from equal-frequency bins on the distinct values (``max_prebins`` of them);
  event counts and days since an event (on the days of :data:`DAY_GRID`: 7, 14, 30, 90...)
  from one bin per value that holds enough examples. Adjacent bins that break the trend are
  pooled (pool adjacent violators, in the direction that fits the rates best); then adjacent
  bins whose rates do not differ (chi-square below ``merge_chi2``), or that are too small, are
  merged until at most ``max_bins`` remain. Cut points are chosen to read well: a count
  threshold is the smallest count of its bin, a number the roundest value that separates the
  same training values (50 rather than 47), a number of days a day of the grid;
- missing numbers have a bin of their own when there are enough of them, otherwise they share
  the lowest bin;
- categories (the kept values, ``(other)`` and ``(missing)``) are ordered by their smoothed
  conversion rate and merged the same way into groups.

Each bin boundary is a candidate rule of the scorecard (:meth:`Binning.thresholds`); which of
them are kept is decided by :mod:`leadscore.predict.scorecard_select`.

Kinds: ``count`` (bin ``j`` holds ``cuts[j-1] <= x < cuts[j]``; a threshold is "at least
``c`` events"), ``recency`` (whole days since the last event, none within the cap counts as
infinitely long ago; a threshold is "an event in the last ``c`` days"), ``number`` (an attribute
read as a number) and ``category``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from leadscore.predict.featureinfo import OTHER

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    IntArray = npt.NDArray[np.int64]

MISSING = "(missing)"  # the level of a category value that is absent
BinKind = Literal["count", "recency", "number", "category", "flag"]
# The windows "an event in the last N days" may use: days people think in.
DAY_GRID = (1, 2, 3, 5, 7, 10, 14, 21, 30, 45, 60, 90, 120, 150, 180, 270, 365, 730)
BIN_KINDS: dict[str, BinKind] = {
    "event_count": "count",
    "event_recency": "recency",
    "attribute_number": "number",
    "attribute_category": "category",
    "attribute_flag": "flag",  # 0 / 1: binned as a count, turned into its condition
}


@dataclass(frozen=True)
class BinOptions:
    max_prebins: int = 20  # equal-frequency bins to start from
    max_bins: int = 6  # bins (or category groups) kept at most
    min_bin_share: float = 0.005  # a bin holds at least this share of the examples...
    min_bin_count: int = 30  # ...and at least this many
    merge_chi2: float = 6.63  # adjacent bins less different than this are merged (p = 0.01)
    prior: float = 20.0  # weight of the base rate when ordering categories by rate


@dataclass(frozen=True)
class Threshold:
    """A candidate rule: the examples whose bin is in ``bins`` get its points."""

    feature: str
    bins: frozenset[int]
    sign: int  # +1 / -1: the sign its log-odds weight must have to follow the trend; 0: any


@dataclass(frozen=True)
class Binning:
    """The bins of one feature and their training counts (``counts[j]``, ``positives[j]``)."""

    feature: str
    kind: BinKind
    cuts: tuple[float, ...] = ()  # count / recency / number
    groups: tuple[tuple[str, ...], ...] = ()  # category: levels per group, lowest rate first
    missing_bin: bool = False  # number: the last bin holds the missing values
    missing_in_first: bool = False  # number: too few missing values for a bin: in the first
    integer: bool = False  # number: every training value was a whole number
    trend: int = 1  # +1: the rate rises from the first bin to the last; -1: it falls
    counts: tuple[int, ...] = ()
    positives: tuple[int, ...] = ()

    @property
    def n_bins(self) -> int:
        return len(self.counts)

    @property
    def value_bins(self) -> int:
        """Bins of values (without the missing bin of a number)."""
        return self.n_bins - (1 if self.missing_bin else 0)

    def index(self, column: Any) -> IntArray:
        """The bin of every value of ``column`` (-1: a category level, or a missing number,
        never seen in training, which no rule selects)."""
        import numpy as np

        if self.kind == "category":
            lookup = {level: g for g, group in enumerate(self.groups) for level in group}
            names, codes = _level_codes(column)
            groups = np.array([lookup.get(name, -1) for name in names], dtype=np.int64)
            return np.asarray(groups[codes], dtype=np.int64)
        values = np.asarray(column, dtype=np.float64)
        cuts = np.asarray(self.cuts, dtype=np.float64)
        if self.kind == "count":
            found = np.searchsorted(cuts, np.nan_to_num(values, nan=0.0), side="right")
        elif self.kind == "recency":
            days = np.where(np.isnan(values), np.inf, np.floor(values))
            found = np.searchsorted(cuts, days, side="right")
        else:
            found = np.searchsorted(cuts, np.nan_to_num(values, nan=-np.inf), side="right")
            if self.missing_bin:
                found = np.where(np.isnan(values), self.n_bins - 1, found)
            elif not self.missing_in_first:  # never seen missing in training: no bin, no rule
                found = np.where(np.isnan(values), -1, found)
        return np.asarray(found, dtype=np.int64)

    def thresholds(self) -> list[Threshold]:
        """The candidate rules: one per boundary between bins (nested: "at least c events",
        "an event in the last c days", "value at least c", "a category of the better groups"),
        and the missing values of a number."""
        out = []
        m = self.value_bins
        for j in range(1, m):
            if self.kind == "recency":  # an event in the last cuts[j-1] days: bins below j
                out.append(Threshold(self.feature, frozenset(range(j)), -self.trend))
            else:
                out.append(Threshold(self.feature, frozenset(range(j, m)), self.trend))
        if self.missing_bin:
            out.append(Threshold(self.feature, frozenset({m}), 0))
        return out


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# --- merging ordered bins -----------------------------------------------------------------


@dataclass
class _Bin:
    n: int
    pos: int
    lo: Any  # number kinds: the smallest value; categories: the levels
    hi: Any

    @property
    def rate(self) -> float:
        return self.pos / self.n if self.n else 0.0


def _join(a: _Bin, b: _Bin) -> _Bin:
    if isinstance(a.lo, tuple):
        return _Bin(a.n + b.n, a.pos + b.pos, a.lo + b.lo, None)
    return _Bin(a.n + b.n, a.pos + b.pos, a.lo, b.hi)


def chi2(a_n: int, a_pos: int, b_n: int, b_pos: int) -> float:
    """Pearson's chi-square of the 2 x 2 table (bin x converted), 0 when it is degenerate."""
    n = a_n + b_n
    pos = a_pos + b_pos
    neg = n - pos
    if n == 0 or pos == 0 or neg == 0 or a_n == 0 or b_n == 0:
        return 0.0
    total = 0.0
    for size, observed in ((a_n, a_pos), (b_n, b_pos)):
        for expected_share, seen in ((pos / n, observed), (neg / n, size - observed)):
            expected = size * expected_share
            total += (seen - expected) ** 2 / expected
    return total


def _pool_violators(bins: list[_Bin], increasing: bool) -> list[_Bin]:
    """Pool adjacent bins until their rates are monotone in the given direction."""
    out: list[_Bin] = []
    for b in bins:
        out.append(b)
        while len(out) > 1 and (
            (out[-2].rate > out[-1].rate) if increasing else (out[-2].rate < out[-1].rate)
        ):
            last = out.pop()
            out[-1] = _join(out[-1], last)
    return out


def _sse(pooled: list[_Bin]) -> float:
    """How far the pooled rates are from the per-example outcomes (a Brier sum)."""
    return sum(b.pos * (1 - b.rate) ** 2 + (b.n - b.pos) * b.rate**2 for b in pooled)


def _merge(bins: list[_Bin], min_size: int, options: BinOptions) -> list[_Bin]:
    """Merge adjacent bins: small ones first, then the least different pairs while they do not
    differ significantly or there are too many bins."""
    bins = list(bins)
    while len(bins) > 1:
        scores = [chi2(a.n, a.pos, b.n, b.pos) for a, b in itertools.pairwise(bins)]
        small = [i for i, b in enumerate(bins) if b.n < min_size]
        if small:
            i = small[0]
            # merge with the neighbour it differs least from
            left = scores[i - 1] if i > 0 else math.inf
            right = scores[i] if i < len(scores) else math.inf
            pair = i - 1 if left <= right else i
        else:
            pair = min(range(len(scores)), key=lambda k: scores[k])
            if scores[pair] >= options.merge_chi2 and len(bins) <= options.max_bins:
                break
        bins[pair : pair + 2] = [_join(bins[pair], bins[pair + 1])]
    return bins


# --- numbers ------------------------------------------------------------------------------


def nice_cut(low: float, high: float, integer: bool) -> float:
    """The roundest number ``c`` with ``low < c <= high``: 50 between 47 and 52, 0.25 between
    0.21 and 0.3; a whole number when ``integer``."""
    if not high > low:
        raise ValueError(f"nice_cut needs low < high, got {low} and {high}")
    if math.isinf(high):
        return math.floor(low) + 1.0 if integer else low + 1.0
    span = max(abs(low), abs(high), high - low)
    power = 10.0 ** math.floor(math.log10(span)) if span > 0 else 1.0
    while True:
        for step in (power * 5, power * 2, power):
            raw = (math.floor(low / step) + 1) * step
            for c in (round(raw, 12), raw):
                if low < c <= high and (not integer or c == int(c)):
                    return float(c)
        if integer and power < 1:
            return float(math.floor(low) + 1)
        if power <= high - low:  # finer steps cannot read better
            return float(high)
        power /= 10.0


def _number_prebins(values: Any, y: Any, min_size: int, target: int) -> list[_Bin]:
    """Bins of about ``target`` examples (at least ``min_size``) over the sorted distinct
    values (a value never straddles bins)."""
    import numpy as np

    distinct, inverse = np.unique(values, return_inverse=True)
    counts = np.bincount(inverse, minlength=len(distinct))
    positives = np.bincount(inverse, weights=y, minlength=len(distinct)).astype(np.int64)
    target = max(min_size, target)
    bins: list[_Bin] = []
    current: _Bin | None = None
    for value, n, pos in zip(distinct.tolist(), counts.tolist(), positives.tolist(), strict=True):
        piece = _Bin(int(n), int(pos), value, value)
        current = piece if current is None else _join(current, piece)
        if current.n >= target:
            bins.append(current)
            current = None
    if current is not None:
        if bins and current.n < min_size:
            bins[-1] = _join(bins[-1], current)
        else:
            bins.append(current)
    return bins


def _monotone(bins: list[_Bin]) -> tuple[list[_Bin], int]:
    up, down = _pool_violators(bins, True), _pool_violators(bins, False)
    if _sse(up) <= _sse(down):
        return up, 1
    return down, -1


def _day_grid(cap: float) -> Any:
    import numpy as np

    return np.asarray([d for d in (0, *DAY_GRID) if d < cap], dtype=np.float64)


def _number_cut(kind: BinKind, low: float, high: float, integer: bool, cap: float) -> float:
    if kind == "count":
        return float(math.floor(low) + 1)
    if kind == "recency":  # values are grid days: the cut is the next grid day
        if math.isfinite(high):
            return high
        later = [d for d in DAY_GRID if d > low]
        return float(min(later[0], cap)) if later else cap
    return nice_cut(low, high, integer)


def bin_number(
    feature: str,
    kind: BinKind,
    column: Any,
    y: Any,
    options: BinOptions,
    cap_days: int | None = None,
) -> Binning | None:
    """Monotone bins of a count, a recency (days, capped at ``cap_days``) or a number; None
    when one bin is all there is."""
    import numpy as np

    values = np.asarray(column, dtype=np.float64)
    labels = np.asarray(y, dtype=np.float64)
    min_size = max(options.min_bin_count, math.ceil(options.min_bin_share * len(values)))
    missing = np.isnan(values)
    if kind == "count":
        values = np.where(missing, 0.0, np.round(values))
        missing = np.zeros(len(values), dtype=bool)
    elif kind == "recency":  # whole days, down to the grid day below
        days = np.floor(np.where(missing, 0.0, values))
        grid = _day_grid(float(cap_days) if cap_days is not None else math.inf)
        snapped = grid[np.maximum(np.searchsorted(grid, days, side="right") - 1, 0)]
        values = np.where(missing, np.inf, snapped)
        missing = np.zeros(len(values), dtype=bool)
    present = values[~missing]
    if len(present) == 0:
        return None
    integer = kind != "number" or bool(np.all(present == np.round(present)))
    # counts and grid days have few distinct values, and the rare ones (many views, a very
    # recent visit) are often the telling ones: each value is a bin when it is large enough
    target = min_size if kind != "number" else math.ceil(len(present) / options.max_prebins)
    bins = _number_prebins(present, labels[~missing], min_size, target)
    bins, trend = _monotone(bins)
    bins = _merge(bins, min_size, options)
    if len(bins) > 1:  # the trend of the final bins (pooling keeps it; merging may flatten)
        trend = 1 if bins[-1].rate >= bins[0].rate else -1
    cap = float(cap_days) if cap_days is not None else math.inf
    cuts = [
        _number_cut(kind, float(a.hi), float(b.lo), integer, cap)
        for a, b in itertools.pairwise(bins)
    ]
    counts = [b.n for b in bins]
    positives = [b.pos for b in bins]
    missing_n = int(missing.sum())
    has_missing_bin = missing_n >= min_size
    if has_missing_bin:
        counts.append(missing_n)
        positives.append(int(labels[missing].sum()))
    elif missing_n:  # too few to stand alone: they share the lowest bin
        counts[0] += missing_n
        positives[0] += int(labels[missing].sum())
    if len(counts) < 2:
        return None
    return Binning(
        feature=feature,
        kind=kind,
        cuts=tuple(cuts),
        missing_bin=has_missing_bin,
        missing_in_first=bool(missing_n) and not has_missing_bin,
        integer=integer,
        trend=trend,
        counts=tuple(counts),
        positives=tuple(positives),
    )


# --- categories ---------------------------------------------------------------------------


def _level_codes(column: Any) -> tuple[list[str], IntArray]:
    """The distinct levels of a column (its text values, then ``(missing)``) and every
    value's position among them; categoricals are read by their codes."""
    import numpy as np
    import pandas as pd

    series = pd.Series(column)
    if not isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype("string").astype("category")
    names = [str(c) for c in series.cat.categories]
    codes = series.cat.codes.to_numpy().astype(np.int64)
    codes[codes < 0] = len(names)
    return [*names, MISSING], codes


def bin_category(feature: str, column: Any, y: Any, options: BinOptions) -> Binning | None:
    """Groups of category levels, ordered by conversion rate; None when one group is all
    there is."""
    import numpy as np

    names, inverse = _level_codes(column)
    labels = np.asarray(y, dtype=np.float64)
    min_size = max(options.min_bin_count, math.ceil(options.min_bin_share * len(inverse)))
    counts = np.bincount(inverse, minlength=len(names))
    positives = np.bincount(inverse, weights=labels, minlength=len(names)).astype(np.int64)
    base = float(labels.mean()) if len(labels) else 0.0
    smoothed = (positives + options.prior * base) / (counts + options.prior)
    seen = [i for i in range(len(names)) if counts[i] > 0]
    order = sorted(seen, key=lambda i: (smoothed[i], str(names[i])))
    bins = [_Bin(int(counts[i]), int(positives[i]), (str(names[i]),), None) for i in order]
    bins = _merge(bins, min_size, options)
    if len(bins) < 2:
        return None
    return Binning(
        feature=feature,
        kind="category",
        groups=tuple(tuple(sorted(b.lo, key=level_order)) for b in bins),
        trend=1,
        counts=tuple(b.n for b in bins),
        positives=tuple(b.pos for b in bins),
    )


def level_order(level: str) -> tuple[int, str]:
    """Values first (alphabetically), then ``(other)``, then ``(missing)``."""
    return ({OTHER: 1, MISSING: 2}.get(level, 0), level)


def bin_feature(
    feature: str, kind: str, column: Any, y: Any, options: BinOptions, cap_days: int | None
) -> Binning | None:
    """The bins of a feature of a :class:`~leadscore.predict.featureinfo.FeatureInfo` kind
    (see :data:`BIN_KINDS`), or None when it cannot be binned usefully."""
    bin_kind = BIN_KINDS.get(kind)
    if bin_kind is None:
        raise ValueError(f"kind must be one of {sorted(BIN_KINDS)}, got {kind!r}")
    if bin_kind == "category":
        return bin_category(feature, column, y, options)
    if bin_kind == "flag":
        found = bin_number(feature, "count", column, y, options)
        return None if found is None else dataclasses.replace(found, kind="flag")
    return bin_number(feature, bin_kind, column, y, options, cap_days)
