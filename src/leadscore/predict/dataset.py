"""Point-in-time training sets: examples of (contact, snapshot) with features and a label.

A contact is an example at snapshot ``s`` when it exists at ``s`` (``created_at <= s`` or
unknown) and has not converted at or before ``s``. Its features use only events with
``ts <= s``; its label is 1 when it converts (an outcome of type ``converted`` or ``won``) in
``(s, s + H]``. Snapshots whose horizon is not fully observed are left out (see
:mod:`leadscore.predict.snapshots`).

Limitation: attributes are the contact's current values (the store keeps no attribute
history), so an attribute that changed because of a conversion (a job title updated by sales,
say) can leak. Keep such fields out with ``FeatureOptions(exclude_attributes=...)``.

A plain table (a pandas DataFrame with one row per contact, attributes and an outcome column)
works too: its columns become attribute features and there are no snapshots.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.predict.features import EXAMPLES, fetch_frame, store_features
from leadscore.predict.plan import _HASH_MULTIPLIER, _HASH_SPACE
from leadscore.predict.snapshots import DAY_US

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from leadscore.model.spec import Model
    from leadscore.predict.featureinfo import FeatureInfo
    from leadscore.predict.plan import FeatureOptions, FeaturePlan
    from leadscore.store.base import Store

log = logging.getLogger(__name__)
CONVERSION_TYPES = ("converted", "won")
IDS = "_ls_contact_ids"
INLINE_IDS = 500  # more contact ids than this go through a temporary table


@dataclass
class FeatureTable:
    """Features (one column per :class:`FeatureInfo`, in ``plan`` order) for examples
    identified by ``contact_id`` and ``snapshot_us`` (``None`` for a plain table without a
    time column); ``y`` holds the labels of a training set."""

    X: pd.DataFrame
    contact_id: npt.NDArray[Any]
    snapshot_us: npt.NDArray[np.int64] | None
    plan: FeaturePlan
    y: npt.NDArray[np.int8] | None = None
    horizon_days: int | None = None
    snapshots_us: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def infos(self) -> tuple[FeatureInfo, ...]:
        return self.plan.infos

    def info(self, name: str) -> FeatureInfo:
        return self.plan.info(name)

    def __len__(self) -> int:
        return len(self.X)


def _conversions() -> str:
    types = ", ".join(f"'{t}'" for t in CONVERSION_TYPES)
    return (
        f"SELECT contact_id, min(ts_us) AS first_us FROM outcomes WHERE type IN ({types}) "
        "GROUP BY contact_id"
    )


def _id_list(contact_ids: Sequence[str], dialect: str) -> str:
    from sqlglot import exp

    from leadscore.compile.dialects import get_dialect

    items = exp.Tuple(expressions=[exp.Literal.string(str(i)) for i in contact_ids])
    return get_dialect(dialect).sql(items, pretty=False)


def create_training_examples(
    store: Store,
    snapshots: Sequence[int],
    horizon_days: int,
    max_examples: int | None = None,
    seed: int = 0,
) -> dict[str, int]:
    """Fill the examples table with the eligible (contact, snapshot) pairs and their labels;
    when there are more than ``max_examples``, keep a seeded uniform sample of about that many
    (uniform, so the base rate and calibration are kept). Returns counts."""
    horizon_us = horizon_days * DAY_US
    values = ", ".join(f"({int(s)})" for s in sorted(set(snapshots)))
    sql = (
        "SELECT ROW_NUMBER() OVER (ORDER BY s.snapshot_us, c.contact_id) AS row_id, "
        "c.contact_id AS contact_id, s.snapshot_us AS snapshot_us, "
        f"CASE WHEN f.first_us IS NOT NULL AND f.first_us <= s.snapshot_us + {horizon_us} "
        "THEN 1 ELSE 0 END AS label "
        f"FROM contacts c CROSS JOIN (VALUES {values}) AS s(snapshot_us) "
        f"LEFT JOIN ({_conversions()}) f ON f.contact_id = c.contact_id "
        "WHERE (c.created_at_us IS NULL OR c.created_at_us <= s.snapshot_us) "
        "AND (f.first_us IS NULL OR f.first_us > s.snapshot_us)"
    )
    store.create_table_as(EXAMPLES, sql, temp=True)
    eligible = int(store.scalar(f"SELECT count(*) FROM {EXAMPLES}"))
    counts = {"eligible": eligible, "examples": eligible}
    if max_examples is not None and eligible > max_examples:
        keep = int(_HASH_SPACE * max_examples / eligible)
        offset = (seed % 997) * 1_000_003
        sampled = (
            f"SELECT * FROM {EXAMPLES} WHERE "
            f"((row_id + {offset}) * {_HASH_MULTIPLIER}) % {_HASH_SPACE} < {keep}"
        )
        store.create_table_as(EXAMPLES + "_s", sampled, temp=True)
        store.drop_table(EXAMPLES)
        store.rename_table(EXAMPLES + "_s", EXAMPLES)
        counts["examples"] = int(store.scalar(f"SELECT count(*) FROM {EXAMPLES}"))
    return counts


def create_scoring_examples(
    store: Store, as_of_us: int, contact_ids: Sequence[str] | None = None
) -> int:
    """Fill the examples table with every contact that exists at ``as_of_us`` (or only
    ``contact_ids``), all at that one time. Returns how many."""
    where = f"(created_at_us IS NULL OR created_at_us <= {int(as_of_us)})"
    listed = contact_ids is not None and len(contact_ids) > INLINE_IDS
    if contact_ids is not None:
        if not contact_ids:
            where += " AND 1 = 0"
        elif listed:  # many ids: a temporary table rather than a huge IN list
            import pyarrow as pa

            store.drop_table(IDS)
            store.execute(f"CREATE TEMP TABLE {IDS} (contact_id VARCHAR NOT NULL)")
            unique = sorted({str(c) for c in contact_ids})
            store.append_arrow(IDS, pa.table({"contact_id": pa.array(unique, pa.string())}))
            where += f" AND contact_id IN (SELECT contact_id FROM {IDS})"
        else:
            where += f" AND contact_id IN {_id_list(contact_ids, store.dialect)}"
    sql = (
        "SELECT ROW_NUMBER() OVER (ORDER BY contact_id) AS row_id, contact_id, "
        f"CAST({int(as_of_us)} AS BIGINT) AS snapshot_us FROM contacts WHERE {where}"
    )
    try:
        store.create_table_as(EXAMPLES, sql, temp=True)
    finally:
        if listed:
            store.drop_table(IDS)
    return int(store.scalar(f"SELECT count(*) FROM {EXAMPLES}"))


def _store_table(store: Store, plan: FeaturePlan) -> tuple[pd.DataFrame, Any, Any]:
    frame = store_features(store, plan)
    contact_id = frame["contact_id"].to_numpy()
    snapshot = frame["snapshot_us"].to_numpy().astype("int64")
    return frame.drop(columns=["row_id", "contact_id", "snapshot_us"]), contact_id, snapshot


def store_training_set(
    store: Store,
    horizon_days: int = 90,
    snapshots: Sequence[int] | None = None,
    *,
    every_days: int = 30,
    max_snapshots: int = 12,
    observed_until_us: int | None = None,
    rule_model: Model | None = None,
    options: FeatureOptions | None = None,
    max_examples: int | None = 1_000_000,
    seed: int = 0,
) -> FeatureTable:
    """The point-in-time training set of a store (see the module docstring)."""
    import numpy as np

    from leadscore.predict.plan import plan_store
    from leadscore.predict.snapshots import data_span, plan_snapshots

    snap = plan_snapshots(
        data_span(store), horizon_days, snapshots, every_days, max_snapshots, observed_until_us
    )
    started = time.perf_counter()
    plan = plan_store(store, max(snap.used), rule_model, options)
    log.info("planned %d features in %.1fs", len(plan.infos), time.perf_counter() - started)
    try:
        counts = create_training_examples(store, snap.used, horizon_days, max_examples, seed)
        log.info(
            "%d examples of %d eligible at %d snapshots (%.1fs)",
            counts["examples"],
            counts["eligible"],
            len(snap.used),
            time.perf_counter() - started,
        )
        if counts["examples"] == 0:
            raise LeadscoreError(
                "no contact existed without having converted at the training snapshots"
            )
        X, contact_id, snapshot_us = _store_table(store, plan)
        log.info("built the features in %.1fs", time.perf_counter() - started)
        labels = fetch_frame(store, f"SELECT row_id, label FROM {EXAMPLES}")
        order = np.argsort(labels["row_id"].to_numpy(), kind="stable")
        y = labels["label"].to_numpy()[order].astype(np.int8)
    finally:
        store.drop_table(EXAMPLES)
    notes = list(snap.notes)
    if counts["examples"] < counts["eligible"]:
        notes.append(
            f"sampled {counts['examples']:,} of {counts['eligible']:,} examples "
            f"(max_examples={max_examples:,}, seed {seed}; uniform, so rates are kept)"
        )
    return FeatureTable(
        X=X,
        contact_id=contact_id,
        snapshot_us=snapshot_us,
        plan=plan,
        y=y,
        horizon_days=horizon_days,
        snapshots_us=list(snap.used),
        notes=notes,
    )


def store_feature_table(
    store: Store, plan: FeaturePlan, as_of_us: int, contact_ids: Sequence[str] | None = None
) -> FeatureTable:
    """The plan's features of every contact existing at ``as_of_us`` (or of ``contact_ids``),
    for scoring."""
    try:
        create_scoring_examples(store, as_of_us, contact_ids)
        X, contact_id, snapshot_us = _store_table(store, plan)
    finally:
        store.drop_table(EXAMPLES)
    return FeatureTable(X=X, contact_id=contact_id, snapshot_us=snapshot_us, plan=plan)


def table_training_set(
    frame: pd.DataFrame,
    outcome: str = "converted",
    *,
    positive: Any = None,
    id_column: str | None = None,
    time_column: str | None = None,
    exclude: Sequence[str] = (),
    options: FeatureOptions | None = None,
) -> FeatureTable:
    """A training set from a plain table: every column but ``outcome``, ``id_column``,
    ``time_column`` and ``exclude`` is a candidate attribute feature. ``time_column`` (times
    or any ordered values, such as the row order of a campaign log) turns on time-ordered
    validation."""
    from leadscore.predict.tables import outcome_labels, plan_table

    for name in (outcome, id_column, time_column, *exclude):
        if name is not None and name not in frame.columns:
            raise LeadscoreError(f"the table has no column {name!r}")
    skip = [c for c in (outcome, id_column, time_column) if c is not None] + list(exclude)
    plan = plan_table(frame, exclude=skip, options=options)
    y = outcome_labels(frame[outcome], positive)
    table = _plain_table(frame, plan, id_column, time_column)
    table.y = y
    return table


def _plain_table(
    frame: pd.DataFrame, plan: FeaturePlan, id_column: str | None, time_column: str | None
) -> FeatureTable:
    import numpy as np

    from leadscore.predict.tables import table_features

    contact_id = (
        frame[id_column].astype(str).to_numpy()
        if id_column is not None
        else frame.index.astype(str).to_numpy()
    )
    snapshot = None
    if time_column is not None:
        snapshot = _times(frame[time_column])
    return FeatureTable(
        X=table_features(frame, plan),
        contact_id=contact_id,
        snapshot_us=snapshot if snapshot is None else np.asarray(snapshot, dtype=np.int64),
        plan=plan,
    )


def _times(series: pd.Series) -> npt.NDArray[np.int64]:
    import numpy as np
    import pandas as pd

    if series.isna().any():
        raise LeadscoreError(f"the time column {series.name!r} has missing values")
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy().astype(np.int64)
    stamps = pd.to_datetime(series, utc=True)
    return np.asarray(stamps.astype("int64") // 1000, dtype=np.int64)


def table_feature_table(
    frame: pd.DataFrame, plan: FeaturePlan, id_column: str | None = None
) -> FeatureTable:
    """The plan's features for the rows of a plain table, for scoring."""
    return _plain_table(frame, plan, id_column, None)


def training_set(
    source: Store | pd.DataFrame,
    horizon_days: int = 90,
    snapshots: Sequence[int] | None = None,
    **options: Any,
) -> FeatureTable:
    """A training set from a store (point in time, see :func:`store_training_set`) or from a
    plain table (see :func:`table_training_set`; ``horizon_days`` and ``snapshots`` do not
    apply)."""
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return table_training_set(source, **options)
    return store_training_set(source, horizon_days, snapshots, **options)
