"""Score contacts (and accounts and deals) on Spark as of a time T, and write the scores.

The model is compiled once per entity to Spark SQL (the ``spark`` dialect of
:mod:`leadscore.compile`) and run over temporary views of the inputs, so Spark returns exactly the
columns the other engines return: every named score, ``total``, the grades, ``grade``, ``stage``,
``matrix``, the per-rule breakdown and ``next_change_us``, plus ``as_of_us``, ``model_name`` and
``model_hash`` (as in the stores' score tables).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from leadscore.model.spec import Model

ENTITIES = ("contacts", "accounts", "deals")
STORED_EVENTS = (
    "event_id string, contact_id string, type string, ts_us bigint, properties string, "
    "received_at_us bigint"
)


@dataclass
class SparkScores:
    """The scores of one run: a (lazy) DataFrame per entity the model scores."""

    model_name: str
    model_hash: str
    as_of_us: int
    frames: dict[str, DataFrame] = field(default_factory=dict)

    def __getitem__(self, entity: str) -> DataFrame:
        return self.frames[entity]


def _load_model(model: Model | str | Path) -> Model:
    from leadscore.model import load_model
    from leadscore.model.spec import Model

    return model if isinstance(model, Model) else load_model(model)


def score_spark(
    spark: SparkSession,
    model: Model | str | Path,
    contacts: Any,
    events: Any = None,
    as_of: Any = None,
    *,
    accounts: Any = None,
    deals: Any = None,
    breakdown: bool = True,
    dedupe_events: bool = False,
) -> SparkScores:
    """Score ``contacts`` with their ``events`` as of ``as_of`` (default: now) on ``spark``.

    Inputs are paths or URIs (Parquet, ORC, CSV, JSON), ``table:NAME`` catalog tables, or
    DataFrames, in the stored or the import layout (:mod:`leadscore.spark.inputs`). Accounts and
    deals are scored when given and the model has their section. ``dedupe_events`` keeps one
    event per ``event_id`` (the stores' rule; costs a shuffle, so it is off for data that is
    already unique). Nothing runs until the frames are written or collected.
    """
    from leadscore.compile.contacts import compile_contacts
    from leadscore.compile.entities import compile_entity
    from leadscore.compile.sources import Sources
    from leadscore.scoring.frames import _as_of_us
    from leadscore.scoring.run import model_hash
    from leadscore.spark.inputs import read_table

    loaded = _load_model(model)
    as_of_us = _as_of_us(as_of)
    sections = loaded.sections()
    for entity, given in (("accounts", accounts), ("deals", deals)):
        if given is not None and entity not in sections:
            raise LeadscoreError(f"the model '{loaded.name}' has no {entity} section")
    prefix = f"leadscore_{uuid.uuid4().hex[:10]}"
    names = {noun: f"{prefix}_{noun}" for noun in (*ENTITIES, "events", "deal_contacts")}
    sources = Sources(**names)

    read_table(spark, contacts, "contacts").createOrReplaceTempView(names["contacts"])
    if events is None:
        event_frame = spark.createDataFrame([], STORED_EVENTS)
    else:
        event_frame = read_table(spark, events, "events")
        if dedupe_events:
            event_frame = event_frame.dropDuplicates(["event_id"])
    event_frame.createOrReplaceTempView(names["events"])
    if accounts is not None:
        read_table(spark, accounts, "accounts").createOrReplaceTempView(names["accounts"])
    if deals is not None:
        from pyspark.sql import functions as F

        deal_frame = read_table(spark, deals, "deals")
        deal_frame.drop("contact_ids").createOrReplaceTempView(names["deals"])
        links = deal_frame.select("deal_id", F.explode("contact_ids").alias("contact_id"))
        links.createOrReplaceTempView(names["deal_contacts"])

    result = SparkScores(loaded.name, model_hash(loaded), as_of_us)
    compiled = compile_contacts(loaded, as_of_us, "spark", sources, breakdown=breakdown)
    scored = spark.sql(compiled.sql("spark", pretty=False))
    wanted = [e for e, given in (("accounts", accounts), ("deals", deals)) if given is not None]
    if wanted:
        # computed once, read by the contact output and every roll-up
        scored = scored.persist()
        scores_view = f"{prefix}_scores"
        scored.createOrReplaceTempView(scores_view)
    result.frames["contacts"] = _with_run(scored, result)
    for entity in wanted:
        query = compile_entity(loaded, entity, as_of_us, "spark", sources, scores_view)
        result.frames[entity] = _with_run(spark.sql(query.sql("spark", pretty=False)), result)
    return result


def _with_run(frame: DataFrame, run: SparkScores) -> DataFrame:
    from pyspark.sql import functions as F

    return frame.select(
        "*",
        F.lit(run.as_of_us).cast("bigint").alias("as_of_us"),
        F.lit(run.model_name).alias("model_name"),
        F.lit(run.model_hash).alias("model_hash"),
    )


def write_scores(
    scores: SparkScores, out: str | Path, fmt: str = "parquet", mode: str = "overwrite"
) -> dict[str, str]:
    """Write each entity's scores under ``out`` (``out/contacts``, ``out/accounts``...), or as
    catalog tables ``NAME_contacts``... when ``out`` is ``table:NAME``. Returns where each went."""
    written: dict[str, str] = {}
    target = str(out)
    for entity, frame in scores.frames.items():
        if target.startswith("table:"):
            name = f"{target[len('table:') :]}_{entity}"
            frame.write.mode(mode).format(fmt).saveAsTable(name)
            written[entity] = name
        else:
            path = f"{target.rstrip('/')}/{entity}"
            frame.write.mode(mode).format(fmt).save(path)
            written[entity] = path
    return written


@dataclass
class SparkRun:
    """What :func:`score_to` wrote, per entity: where, how many rows, how many of each grade."""

    entity: str
    target: str
    rows: int
    grades: dict[str, int]
    seconds: float


def score_to(
    spark: SparkSession,
    model: Model | str | Path,
    contacts: Any,
    events: Any,
    out: str | Path,
    as_of: Any = None,
    *,
    accounts: Any = None,
    deals: Any = None,
    dedupe_events: bool = False,
    fmt: str = "parquet",
) -> list[SparkRun]:
    """Score and write (:func:`score_spark` then :func:`write_scores`); count what was written."""
    import time

    started = time.perf_counter()
    scores = score_spark(
        spark,
        model,
        contacts,
        events,
        as_of,
        accounts=accounts,
        deals=deals,
        dedupe_events=dedupe_events,
    )
    written = write_scores(scores, out, fmt=fmt)
    runs = []
    for entity, target in written.items():
        if str(out).startswith("table:"):
            frame = spark.table(target)
        else:
            frame = spark.read.format(fmt).load(target)
        grades = {
            str(row["grade"]): int(row["count"]) for row in frame.groupBy("grade").count().collect()
        }
        runs.append(
            SparkRun(entity, target, sum(grades.values()), grades, time.perf_counter() - started)
        )
    return runs
