"""Event features (counts, recency, distinct values) of every (contact, snapshot) pair.

SQL joins each pair with its events of the lookback window (``ts <= snapshot`` only: nothing
after the snapshot is ever read), reads the properties and codes each event in a few small
columns: the pair, the type, which ``where`` conditions hold (bit masks), the age and, for the
distinct-values features, the property value when the event counts for one. It does not group:
numpy turns those per-event rows into every column with a handful of ``bincount`` and
``minimum.at`` calls per event selection.

Why not group in SQL: on 1M contacts with ten events each (87 event features), one GROUP BY of
the pairs with a conditional aggregate per feature took DuckDB 31 to 44 CPU s and a narrow GROUP
BY (pair, type, masks, window bucket) 9 CPU s plus 5 of numpy to spread its groups, against
about 4 CPU s for the per-event rows plus 3.5 to 4 of numpy (docs/benchmarks.md, "Predictive
scoring speed").

Windows follow the model spec: an event is within ``W`` days of the snapshot ``s`` when
``s - ts < W`` days (and ``ts <= s``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from leadscore.compile.dialects import Dialect, get_dialect
from leadscore.compile.sqlutil import and_all, case, col, integer
from leadscore.predict.snapshots import DAY_US

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from leadscore.predict.featureinfo import FeatureInfo
    from leadscore.store.base import Store

EVENT_KINDS = ("event_count", "event_recency", "distinct_values")
MASK_BITS = 62  # conditions per BIGINT mask column
NO_AGE = 2**63 - 1  # "no event" while taking the youngest age


def _in(column: exp.Expr, values: Sequence[str]) -> exp.Expr:
    return exp.In(this=column, expressions=[exp.Literal.string(v) for v in values])


def _predicate(where: dict[str, Any]) -> Any:
    from pydantic import TypeAdapter

    from leadscore.model.predicates import Predicate

    return TypeAdapter(Predicate).validate_python(where)


def _where_key(where: dict[str, Any] | None) -> str:
    return json.dumps(where, sort_keys=True)


def _fields(where: dict[str, Any]) -> list[str]:
    from leadscore.model.predicates import leaves

    return [leaf.field for leaf in leaves(_predicate(where))]


@dataclass
class EventLayout:
    """How the event features of a plan map onto the per-event columns."""

    infos: list[FeatureInfo]
    types: list[str]  # type code -> event type
    conditions: list[tuple[tuple[str, ...], dict[str, Any]]]  # bit -> (types, where)
    windows: list[int]  # bucket -> window in days (ascending)
    properties: list[str]  # properties read by conditions or distinct values
    distinct: list[FeatureInfo]  # value column k -> its distinct-values feature

    @classmethod
    def of(cls, infos: Sequence[FeatureInfo]) -> EventLayout:
        chosen = [i for i in infos if i.kind in EVENT_KINDS]
        conditions: dict[str, tuple[set[str], dict[str, Any]]] = {}
        properties: set[str] = set()
        distinct = [i for i in chosen if i.kind == "distinct_values"]
        for info in chosen:
            if info.where:
                properties.update(_fields(info.where))
                if info.kind != "distinct_values":
                    entry = conditions.setdefault(_where_key(info.where), (set(), info.where))
                    entry[0].update(info.event_types)
            if info.property is not None:
                properties.add(info.property)
        return cls(
            infos=chosen,
            types=sorted({t for i in chosen for t in i.event_types}),
            conditions=[(tuple(sorted(t)), w) for t, w in conditions.values()],
            windows=sorted({int(i.window_days or 0) for i in chosen}),
            properties=sorted(properties),
            distinct=distinct,
        )

    def bit(self, where: dict[str, Any]) -> int:
        key = _where_key(where)
        return next(k for k, (_, w) in enumerate(self.conditions) if _where_key(w) == key)

    def bucket(self, days: int) -> int:
        return self.windows.index(days)

    @property
    def lookback_days(self) -> int:
        return self.windows[-1]

    @property
    def mask_columns(self) -> int:
        return max(1, -(-len(self.conditions) // MASK_BITS))

    def readers(self, name: str) -> list[str]:
        """The event types whose ``name`` property some condition or distinct count reads."""
        found: set[str] = set()
        for types, where in self.conditions:
            if name in _fields(where):
                found.update(types)
        for info in self.distinct:
            if name == info.property or (info.where and name in _fields(info.where)):
                found.update(info.event_types)
        return sorted(found)


def _joined(
    d: Dialect, examples: str, lookback_days: int, types: Sequence[str], extra: list[exp.Expr]
) -> exp.Select:
    """Each pair's events of the lookback window: ``row_id``, ``type``, ``age_us`` + extra."""
    ts, snapshot = col("ts_us", "e"), col("snapshot_us", "x")
    lookback = exp.Sub(this=snapshot.copy(), expression=integer(lookback_days * DAY_US))
    return (
        exp.select(
            col("row_id", "x"),
            exp.alias_(col("type", "e"), "type"),
            exp.alias_(exp.Sub(this=snapshot, expression=ts), "age_us"),
            *extra,
        )
        .from_(exp.alias_(exp.to_table(examples), "x", table=True))
        .join(
            exp.alias_(exp.to_table("events"), "e", table=True),
            on=exp.EQ(this=col("contact_id", "e"), expression=col("contact_id", "x")),
        )
        .where(
            and_all(
                [
                    exp.LTE(this=ts.copy(), expression=col("snapshot_us", "x")),
                    exp.GT(this=ts.copy(), expression=lookback),
                    _in(col("type", "e"), types),
                ]
            )
        )
    )


def _property_columns(d: Dialect, layout: EventLayout) -> list[exp.Expr]:
    """``p<k>``: property ``k`` of the events of the types that read it (else NULL, unread)."""
    return [
        exp.alias_(
            case(
                [(_in(col("type", "e"), layout.readers(p)), d.prop(col("properties", "e"), p))],
                None,
            ),
            f"p{k}",
        )
        for k, p in enumerate(layout.properties)
    ]


def events_query(layout: EventLayout, dialect: str | Dialect, examples: str) -> exp.Select:
    """``row_id, t, m0.., age_us, v0..``: one row per event of a pair's lookback window with
    its type code, condition masks, age (microseconds) and, per distinct-values feature, the
    property value when the event counts for it (else NULL)."""
    from leadscore.compile.predicates import PredicateCompiler

    d = get_dialect(dialect)
    inner = _joined(d, examples, layout.lookback_days, layout.types, _property_columns(d, layout))
    value_of: Callable[[str], exp.Expr] = lambda name: col(  # noqa: E731
        f"p{layout.properties.index(name)}"
    )
    compiler = PredicateCompiler(d, value_of, lambda name: d.parse_number(value_of(name)))
    codes: list[exp.Expr] = [
        exp.alias_(
            case(
                [
                    (
                        exp.EQ(this=col("type"), expression=exp.Literal.string(t)),
                        exp.Literal.number(k),
                    )
                    for k, t in enumerate(layout.types)
                ],
                None,
            ),
            "t",
        )
    ]
    for chunk in range(0, max(1, len(layout.conditions)), MASK_BITS):
        part = layout.conditions[chunk : chunk + MASK_BITS]
        readers = sorted({t for types, _ in part for t in types})
        mask: exp.Expr = integer(0)
        for bit, (types, where) in enumerate(part):
            checks = [compiler.compile(_predicate(where))]
            if list(types) != readers:  # else the CASE around the sum checked the type
                checks.insert(0, _in(col("type"), types))
            term = case([(and_all(checks), integer(1 << bit))], integer(0))
            mask = exp.Add(this=mask, expression=term)
        if readers:  # conditions are tested only on the events of their types
            mask = case([(_in(col("type"), readers), mask)], integer(0))
        codes.append(exp.alias_(mask, f"m{chunk // MASK_BITS}"))
    for k, info in enumerate(layout.distinct):
        assert info.property is not None
        counts = [
            _in(col("type"), info.event_types),
            exp.LT(this=col("age_us"), expression=integer(int(info.window_days or 0) * DAY_US)),
        ]
        if info.where:
            counts.append(compiler.compile(_predicate(info.where)))
        codes.append(exp.alias_(case([(and_all(counts), value_of(info.property))], None), f"v{k}"))
    return exp.select(col("row_id"), col("age_us"), *codes).from_(inner.subquery("ev"))


# --- numpy: per-event rows -> columns --------------------------------------------------------


@dataclass
class Events:
    """The per-event rows as arrays: ``pos`` (the pair's position), ``t``, ``masks``,
    ``age`` (microseconds), ``bucket`` (the first window the event is within) and ``values``
    (per distinct-values feature: integer codes of the values, -1 where none)."""

    pos: npt.NDArray[np.int64]
    t: npt.NDArray[np.int64]
    masks: list[npt.NDArray[np.int64]]
    age: npt.NDArray[np.int64]
    bucket: npt.NDArray[np.int64]
    values: list[npt.NDArray[np.int64]]


def positions(row_ids: Any, found: Any) -> Any:
    """The positions of ``found`` row ids among ``row_ids`` (ascending, every found one in)."""
    import numpy as np

    n = len(row_ids)
    if n and int(row_ids[-1]) - int(row_ids[0]) == n - 1:  # dense ids: no search
        return np.asarray(found, dtype=np.int64) - int(row_ids[0])
    return np.searchsorted(row_ids, found)


def _value_codes(column: Any) -> Any:
    """Integer codes of a text column (Arrow or pandas), equal values equal codes, -1 for
    NULL."""
    import numpy as np
    import pandas as pd

    if hasattr(column, "combine_chunks"):  # Arrow: a hash table in C, no Python strings
        import pyarrow as pa
        import pyarrow.compute as pc

        array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        encoded: Any = pc.dictionary_encode(array)
        codes = encoded.indices.fill_null(-1)
        return codes.to_numpy(zero_copy_only=False).astype(np.int64)
    codes, _ = pd.factorize(pd.Series(column, dtype=object), use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64)


def events_of(layout: EventLayout, columns: dict[str, Any], row_ids: Any) -> Events:
    """:class:`Events` from the columns of :func:`events_query` (Arrow or pandas columns;
    none at all for no rows)."""
    import numpy as np

    from leadscore.predict.features import numeric_column

    if not columns:  # no events: a DB-API result without rows has no columns either
        names = ["row_id", "t", "age_us", *[f"m{i}" for i in range(layout.mask_columns)]]
        columns = {name: np.zeros(0, dtype=np.int64) for name in names}
        columns.update({f"v{k}": np.zeros(0, dtype=object) for k in range(len(layout.distinct))})
    age = numeric_column(columns["age_us"], np.int64)
    edges = np.array([w * DAY_US for w in layout.windows], dtype=np.int64)
    return Events(
        pos=positions(row_ids, numeric_column(columns["row_id"], np.int64)),
        t=numeric_column(columns["t"], np.int64),
        masks=[numeric_column(columns[f"m{i}"], np.int64) for i in range(layout.mask_columns)],
        age=age,
        bucket=np.searchsorted(edges, age, side="right"),  # windows with age >= them
        values=[_value_codes(columns[f"v{k}"]) for k in range(len(layout.distinct))],
    )


def _selection(layout: EventLayout, ev: Events, by_type: list[Any], info: FeatureInfo) -> Any:
    """Indices of the events of ``info``'s types that meet its condition."""
    import numpy as np

    parts = [by_type[layout.types.index(x)] for x in info.event_types]
    picked = parts[0] if len(parts) == 1 else np.concatenate(parts)
    if info.where:
        bit = layout.bit(info.where)
        mask = ev.masks[bit // MASK_BITS][picked]
        picked = picked[(mask >> (bit % MASK_BITS)) & 1 == 1]
    return picked


def columns_of(layout: EventLayout, ev: Events, n_rows: int, workers: int = 1) -> dict[str, Any]:
    """Every event column of ``layout`` (float32) for ``n_rows`` pairs from their events:
    counts within a window, days since the youngest event within the cap (missing when none),
    distinct values within a window; the features of each event selection on one of
    ``workers`` threads."""
    import numpy as np

    small = ev.t.astype(np.int16 if len(layout.types) < 2**15 else np.int64)
    order = np.argsort(small, kind="stable")  # a radix sort for small integers
    starts = np.searchsorted(small[order], np.arange(len(layout.types) + 1))
    by_type = [order[starts[k] : starts[k + 1]] for k in range(len(layout.types))]
    selections: dict[str, list[FeatureInfo]] = {}
    for info in layout.infos:
        if info.kind != "distinct_values":
            key = json.dumps([info.event_types, _where_key(info.where)])
            selections.setdefault(key, []).append(info)

    def distinct(k: int) -> dict[str, Any]:
        return {layout.distinct[k].name: _distinct(ev.pos, ev.values[k], n_rows)}

    def selected(chosen: list[FeatureInfo]) -> dict[str, Any]:
        return _selection_columns(layout, ev, by_type, chosen, n_rows)

    tasks: list[Callable[[], dict[str, Any]]] = [
        *(partial(distinct, k) for k in range(len(layout.distinct))),
        *(partial(selected, chosen) for chosen in selections.values()),
    ]
    from leadscore.predict.parallel import each

    out: dict[str, Any] = {}
    for part in each(lambda task: task(), tasks, workers):
        out.update(part)
    return out


def _selection_columns(
    layout: EventLayout, ev: Events, by_type: list[Any], chosen: list[FeatureInfo], n_rows: int
) -> dict[str, Any]:
    """The columns of the features that share one event selection (types and condition)."""
    import numpy as np

    out: dict[str, Any] = {}
    n_buckets = len(layout.windows)
    picked = _selection(layout, ev, by_type, chosen[0])
    within: Any = None  # per pair, the events within each window
    for info in chosen:
        last = layout.bucket(int(info.window_days or 0))
        if info.kind == "event_count":
            if within is None:
                cells = ev.bucket[picked] * n_rows + ev.pos[picked]
                counts = np.bincount(cells, minlength=n_buckets * n_rows)
                # bucket k holds the ages in [windows[k-1], windows[k]) days: window k
                # holds the buckets 0..k
                within = counts.reshape(n_buckets, n_rows).cumsum(axis=0)
            out[info.name] = within[last].astype(np.float32)
        else:
            kept = picked[ev.bucket[picked] <= last]
            out[info.name] = _days_since(ev.pos[kept], ev.age[kept], n_rows)
    return out


def _distinct(pos: Any, codes: Any, n_rows: int) -> Any:
    """Per pair, how many distinct codes (>= 0) its events have."""
    import numpy as np

    kept = np.flatnonzero(codes >= 0)
    if kept.size == 0:
        return np.zeros(n_rows, dtype=np.float32)
    width = int(codes[kept].max()) + 1
    pairs = np.sort(pos[kept] * width + codes[kept])
    first = np.r_[True, pairs[1:] != pairs[:-1]]  # each (pair, value) once
    return np.bincount(pairs[first] // width, minlength=n_rows).astype(np.float32)


def _days_since(pos: Any, age: Any, n_rows: int) -> Any:
    """Per pair, the youngest age in days (NaN without events)."""
    import numpy as np

    youngest = np.full(n_rows, NO_AGE, dtype=np.int64)
    np.minimum.at(youngest, pos, age)
    days = np.full(n_rows, np.nan, dtype=np.float64)
    seen = youngest != NO_AGE
    days[seen] = youngest[seen].astype(np.float64) / DAY_US
    return days.astype(np.float32)


@dataclass
class EventRows:
    """The per-event rows of :func:`events_query`, fetched, waiting to become columns."""

    layout: EventLayout
    fetched: dict[str, Any]
    workers: int

    def features(self, row_ids: Any) -> dict[str, Any]:
        """Every event feature for the pairs ``row_ids`` (ascending); the fetched rows are
        let go of once read."""
        if not self.layout.infos:
            return {}
        ev = events_of(self.layout, self.fetched, row_ids)
        self.fetched = {}
        return columns_of(self.layout, ev, len(row_ids), self.workers)


def fetch_event_rows(store: Store, infos: Sequence[FeatureInfo], examples: str) -> EventRows:
    """The per-event rows of the event features of ``infos`` for the pairs in ``examples``
    (nothing is read when there are none)."""
    layout = EventLayout.of(infos)
    if not layout.infos:
        return EventRows(layout, {}, 1)
    from leadscore.predict.features import fetch_columns

    d = get_dialect(store.dialect)
    fetched = fetch_columns(store, d.sql(events_query(layout, d, examples), pretty=False))
    return EventRows(layout, fetched, _workers(store))


def _workers(store: Store) -> int:
    """Threads for numpy: as many as DuckDB's, else as many cores as there are (at most 4)."""
    import os

    from leadscore.store.duckdb_store import DuckStore

    if isinstance(store, DuckStore):
        return max(1, int(store.scalar("SELECT current_setting('threads')")))
    return max(1, min(4, os.cpu_count() or 1))
