"""How examples are split for calibration and validation.

With times (snapshots), the later examples are held out: train on the past, check on the
future, as the model will be used. Without them, splits are stratified and seeded.

A ``gap`` (in the unit of the times) leaves out of the fitting part the examples less than
``gap`` before the first held-out time. With point-in-time examples the gap is the horizon:
an example at ``s`` is labelled by what happens in ``(s, s + horizon]``, so an earlier snapshot
of a held-out contact whose outcome window reaches into the held-out windows would hand the
fit the very conversions it is judged on (a model that memorises contacts would look better
than it is). With the gap every fitting label is known before the held-out part begins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    IntArray = npt.NDArray[np.intp]


@dataclass
class Split:
    train: IntArray
    held: IntArray
    description: str


def _both_classes(y: Any, index: Any, least: int = 1) -> bool:
    import numpy as np

    picked = y[index]
    positives = int(np.count_nonzero(picked))
    return positives >= least and len(picked) - positives >= least


def time_split(times: Any, y: Any, fraction: float, gap: float = 0) -> Split | None:
    """Hold out the latest whole snapshot times holding about ``fraction`` of the examples
    (at least one time on each side and both classes in each part), or None. The fitting part
    ends ``gap`` before the held-out part (see the module docstring)."""
    import numpy as np

    if times is None:
        return None
    distinct, later = _timeline(times)
    if len(distinct) < 2:
        return None
    cut = distinct[_earliest_cut(later, len(distinct), fraction * len(times))]
    held = np.flatnonzero(times >= cut)
    train = _fitting(times, cut, gap)
    if not (_both_classes(y, held) and _both_classes(y, train)):
        return None
    description = f"time-ordered: held out the examples from {_when(cut)} on"
    if gap > 0:
        description += ", fitted on those at least the horizon earlier"
    return Split(train, held, description)


def time_folds(times: Any, y: Any, fraction: float, gap: float = 0, folds: int = 3) -> list[Split]:
    """Rolling-origin folds, latest first: :func:`time_split`'s hold-out, then up to
    ``folds - 1`` earlier ones, each holding out the whole snapshot times just before the
    previous fold's (about ``fraction`` of the examples) and fitted on those before it (``gap``
    earlier). An earlier fold is kept while its fitting part is at least as large as its
    held-out part and both hold both classes. Empty when :func:`time_split` gives None."""
    import numpy as np

    latest = time_split(times, y, fraction, gap)
    if latest is None:
        return []
    out = [latest]
    distinct, later = _timeline(times)
    end = int(np.searchsorted(distinct, times[latest.held].min()))
    while len(out) < folds and end > 1:
        first = _earliest_cut(later, end, fraction * len(times))
        cut = distinct[first]
        held = np.flatnonzero((times >= cut) & (times < distinct[end]))
        train = _fitting(times, cut, gap)
        if len(train) < len(held) or not (_both_classes(y, held) and _both_classes(y, train)):
            break
        out.append(Split(train, held, f"held out {_when(cut)} to {_when(distinct[end])}"))
        end = first
    return out


def _timeline(times: Any) -> tuple[Any, Any]:
    """The distinct times in order, and how many examples are at or after each of them (with
    a last 0: none after the end)."""
    import numpy as np

    distinct, counts = np.unique(times, return_counts=True)
    later = np.append(np.cumsum(counts[::-1])[::-1], 0)
    return distinct, later


def _earliest_cut(later: Any, end: int, wanted: float) -> int:
    """The index of the earliest time (not the first) from which to the time at ``end``
    (excluded) at most ``wanted`` examples lie; at least the one time before ``end``."""
    import numpy as np

    fits = np.flatnonzero(later[1:end] - later[end] <= wanted)
    return int(fits[0]) + 1 if len(fits) else end - 1


def _fitting(times: Any, cut: Any, gap: float) -> Any:
    """The examples a part held out from ``cut`` on is fitted on: those ``gap`` earlier."""
    import numpy as np

    return np.flatnonzero(times <= cut - gap) if gap > 0 else np.flatnonzero(times < cut)


def _when(t: Any) -> str:
    from leadscore.timeutil import iso

    return iso(int(t)) if int(t) > 10**14 else str(int(t))  # epoch microseconds, or plain order


def stratified_split(y: Any, fraction: float, seed: int) -> Split | None:
    """A seeded split keeping the class balance, or None when a class is too small."""
    import numpy as np

    rng = np.random.default_rng(seed)
    held_parts, train_parts = [], []
    for label in (0, 1):
        members = np.flatnonzero(y == label)
        if len(members) < 2:
            return None
        rng.shuffle(members)
        k = max(1, round(fraction * len(members)))
        held_parts.append(members[:k])
        train_parts.append(members[k:])
    held = np.sort(np.concatenate(held_parts))
    train = np.sort(np.concatenate(train_parts))
    return Split(train, held, f"stratified random hold-out of {fraction:.0%} (seed {seed})")


def holdout(y: Any, times: Any, fraction: float, seed: int, gap: float = 0) -> Split | None:
    """Time-ordered when possible, else stratified; None when the data are too small."""
    return time_split(times, y, fraction, gap) or stratified_split(y, fraction, seed)


def subsample(index: Any, limit: int | None, seed: int) -> Any:
    """At most ``limit`` of ``index`` (a seeded uniform sample, kept in order)."""
    import numpy as np

    if limit is None or len(index) <= limit:
        return index
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(index, size=limit, replace=False))
