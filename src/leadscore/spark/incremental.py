"""Daily rescoring on Spark without reading every event: re-base yesterday's scores, recompute
only the contacts that need it.

A stored score carries ``next_change_us``: the first moment its rule results change without new
events (an event leaves a window, a future-dated event comes due, an inactivity span runs out).
Until then its decayed weights only shrink, and moving them from R to T is one multiplication
(:func:`leadscore.compile.incremental.compile_rebase`). So a refresh to T:

- re-bases the contacts whose ``next_change_us`` is after T and that did not change;
- recomputes exactly, from their own events, the others: contacts that changed since the
  previous run (new events or attributes; ``changed``), whose next change is due, or that have
  no previous score.

The result equals a full recompute at T (tested against one); its cost follows the number of
contacts plus the events of the recomputed contacts.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from leadscore.model.spec import Model
    from leadscore.spark.score import SparkScores


def refresh_spark(
    spark: SparkSession,
    model: Model | str | Path,
    previous: Any,
    contacts: Any,
    events: Any,
    as_of: Any,
    changed: Any = None,
) -> SparkScores:
    """Contact scores at ``as_of`` from ``previous`` scores (a path, ``table:NAME`` or DataFrame
    written by :func:`leadscore.spark.write_scores` for the same model at an earlier T).

    ``changed`` is a DataFrame (or path) with a ``contact_id`` column: the contacts with new
    events or attributes since the previous run (typically the ids in the day's ingest
    partition). Without it, contacts with an event dated after the previous run's T count as
    changed; events that arrive late (dated before that T) must then be passed in ``changed``.
    """
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F
    from sqlglot import exp

    from leadscore.compile.contacts import compile_contacts
    from leadscore.compile.incremental import compile_rebase
    from leadscore.compile.sources import Sources
    from leadscore.errors import LeadscoreError
    from leadscore.scoring.frames import _as_of_us
    from leadscore.scoring.run import model_hash
    from leadscore.spark.inputs import read_table
    from leadscore.spark.score import SparkScores, _load_model, _with_run

    loaded = _load_model(model)
    as_of_us = _as_of_us(as_of)
    digest = model_hash(loaded)
    if isinstance(previous, DataFrame):
        state = previous
    elif str(previous).startswith("table:"):
        state = spark.table(str(previous)[len("table:") :])
    else:
        state = spark.read.parquet(str(previous))
    hashes = [r["model_hash"] for r in state.select("model_hash").distinct().limit(2).collect()]
    if hashes and hashes != [digest]:
        raise LeadscoreError(
            f"the previous scores were made by another model (hash {hashes[0]}, this model "
            f"'{loaded.name}' is {digest}); score in full instead"
        )
    prefix = f"leadscore_{uuid.uuid4().hex[:10]}"
    names = {noun: f"{prefix}_{noun}" for noun in ("contacts", "events", "state", "exact")}
    exact = compile_contacts(
        loaded,
        as_of_us,
        "spark",
        Sources(contacts=names["contacts"], events=names["events"]),
        contact_ids=exp.select("contact_id").from_(names["exact"]),
    )
    missing = sorted(set(exact.columns) - set(state.columns))
    if missing:
        raise LeadscoreError(
            f"the previous scores lack columns this version of leadscore writes "
            f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}): they were "
            f"written by an older version; score in full instead"
        )
    contact_frame = read_table(spark, contacts, "contacts")
    event_frame = read_table(spark, events, "events")
    contact_frame.createOrReplaceTempView(names["contacts"])
    event_frame.createOrReplaceTempView(names["events"])
    state.createOrReplaceTempView(names["state"])

    if changed is None:
        previous_t = state.agg(F.max("as_of_us")).first()
        since = previous_t[0] if previous_t is not None and previous_t[0] is not None else -1
        changed_ids = event_frame.filter(F.col("ts_us") > F.lit(since)).select("contact_id")
    elif isinstance(changed, DataFrame):
        changed_ids = changed.select("contact_id")
    else:
        changed_ids = spark.read.parquet(str(changed)).select("contact_id")
    changed_ids = changed_ids.distinct()

    rebased = spark.sql(compile_rebase(loaded, names["state"], as_of_us, "spark").sql("spark"))
    rebased = rebased.join(changed_ids, "contact_id", "left_anti")
    existing = contact_frame.filter(
        F.col("created_at_us").isNull() | (F.col("created_at_us") <= F.lit(as_of_us))
    ).select("contact_id")
    rebased = rebased.join(existing, "contact_id", "left_semi")
    exact_ids = contact_frame.select("contact_id").join(
        rebased.select("contact_id"), "contact_id", "left_anti"
    )
    exact_ids.createOrReplaceTempView(names["exact"])
    rescored = spark.sql(exact.sql("spark", pretty=False))
    result = SparkScores(loaded.name, digest, as_of_us)
    combined = rebased.select(*exact.columns).unionByName(rescored.select(*exact.columns))
    result.frames["contacts"] = _with_run(combined, result)
    return result
