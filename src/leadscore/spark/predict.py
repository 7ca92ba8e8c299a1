"""Apply a trained predictive model on Spark, one group of contacts at a time.

Contacts are split into groups by a hash of their account (or, without one, of their own id),
so that each group holds whole accounts with all their events. Each group is scored in a Python
worker exactly as locally: its contacts and events (and outcomes, when given) are loaded into an
in-memory DuckDB store and the model's own feature query and estimator run there
(:meth:`leadscore.predict.TrainedModel.features_for` and ``predict_proba``), so every contact gets
the probability it gets from ``leadscore predict`` on one machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from leadscore.predict.trained import TrainedModel

RESULT = "contact_id string, probability double, score int, model_id string, as_of_us bigint"
CONTACT_COLUMNS = ("contact_id", "account_id", "created_at_us", "attributes", "updated_at_us")
EVENT_COLUMNS = ("event_id", "contact_id", "type", "ts_us", "properties", "received_at_us")
OUTCOME_COLUMNS = (
    "outcome_id",
    "contact_id",
    "type",
    "ts_us",
    "value",
    "properties",
    "received_at_us",
)


def score_group(model: TrainedModel, as_of_us: int, tables: dict[str, pa.Table]) -> pa.Table:
    """Predictions for one group's tables (by store table name)."""
    import numpy as np

    from leadscore.predict.scoring import UNSAVED, _arrow
    from leadscore.predict.trained import to_score
    from leadscore.store.duckdb_store import DuckStore

    with DuckStore(threads=1) as store:
        store.init_schema()
        for name, table in tables.items():
            if table.num_rows:
                store.append_arrow(name, table)
        features = model.features_for(store, as_of_us)
        probability = np.asarray(model.predict_proba(features), dtype=np.float64)
    scores = to_score(probability)
    result: pa.Table = _arrow(
        features.contact_id, probability, scores, model.model_id or UNSAVED, as_of_us
    )
    return result


def _split(facts: pa.Table) -> dict[str, pa.Table]:
    """Events and outcomes of a group (they travel in one table: Spark cogroups two sides)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = {}
    for kind, columns in (("events", EVENT_COLUMNS), ("outcomes", OUTCOME_COLUMNS)):
        rows = facts.filter(pc.equal(facts.column("_kind"), pa.scalar(kind)))
        names = [("id" if c in ("event_id", "outcome_id") else c) for c in columns]
        out[kind] = rows.select(names).rename_columns(list(columns))
    return out


def predict_spark(
    spark: SparkSession,
    model: TrainedModel,
    contacts: Any,
    events: Any,
    as_of: Any,
    *,
    outcomes: DataFrame | None = None,
    groups: int | None = None,
) -> DataFrame:
    """A DataFrame of ``contact_id, probability, score, model_id, as_of_us`` for every contact
    that exists at ``as_of``, from a model trained on a store (``leadscore train``).

    ``contacts`` and ``events`` are read as by :func:`leadscore.spark.score_spark`; ``outcomes``
    (a DataFrame in the stored layout) when the model's features read them. ``groups`` (default:
    twice the default parallelism) sets how many groups the contacts are split into.
    """
    from pyspark.sql import functions as F

    from leadscore.errors import LeadscoreError
    from leadscore.scoring.frames import _as_of_us
    from leadscore.spark.inputs import read_table

    if model.plan.source != "store":
        raise LeadscoreError(
            "this model was trained on a plain table; apply model.predict_proba to the table "
            "(mapInPandas) instead"
        )
    as_of_us = _as_of_us(as_of)
    n = groups or max(2 * spark.sparkContext.defaultParallelism, 1)
    contact_frame = read_table(spark, contacts, "contacts")

    def group(account: Any, contact: Any) -> Any:
        owner = F.coalesce(account, F.concat(F.lit("contact:"), contact))
        return F.pmod(F.xxhash64(owner), F.lit(n)).alias("_group")

    people = contact_frame.select(
        group(F.col("account_id"), F.col("contact_id")),
        *[c for c in CONTACT_COLUMNS if c != "updated_at_us"],
        F.lit(0).cast("bigint").alias("updated_at_us"),
    )
    # each side computes its own group column (a shared one would be an ambiguous self-join)
    owners = contact_frame.select("contact_id", F.col("account_id").alias("_account"))
    event_rows = read_table(spark, events, "events").join(owners, "contact_id")
    event_rows = event_rows.withColumn("_group", group(F.col("_account"), F.col("contact_id")))
    facts = event_rows.select(
        "_group",
        F.lit("events").alias("_kind"),
        F.col("event_id").alias("id"),
        "contact_id",
        "type",
        "ts_us",
        F.lit(None).cast("double").alias("value"),
        "properties",
        "received_at_us",
    )
    if outcomes is not None:
        outcome_rows = outcomes.join(owners, "contact_id").select(
            group(F.col("_account"), F.col("contact_id")),
            F.lit("outcomes").alias("_kind"),
            F.col("outcome_id").alias("id"),
            "contact_id",
            "type",
            F.col("ts_us").cast("bigint"),
            F.col("value").cast("double"),
            "properties",
            F.col("received_at_us").cast("bigint"),
        )
        facts = facts.unionByName(outcome_rows)

    def apply(left: pa.Table, right: pa.Table) -> pa.Table:
        tables = {"contacts": left.select(list(CONTACT_COLUMNS)), **_split(right)}
        return score_group(model, as_of_us, tables)

    return people.groupBy("_group").cogroup(facts.groupBy("_group")).applyInArrow(apply, RESULT)
