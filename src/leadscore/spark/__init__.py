"""Scoring on Apache Spark: the same compiled model (spark dialect) over Spark-readable data.

    from leadscore.spark import local_session, score_spark, write_scores
    spark = local_session()                      # or an existing (cluster) SparkSession
    scores = score_spark(spark, "model.yaml", "contacts.parquet", "events.parquet",
                         as_of="2025-06-30")
    write_scores(scores, "scores/")              # scores/contacts, scores/accounts, ...

pyspark is imported only when one of these is called (``pip install 'leadscore[spark]'``).
See docs/scaling.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "local_session": "session",
    "SparkScores": "score",
    "score_spark": "score",
    "write_scores": "score",
    "score_to": "score",
    "SparkRun": "score",
    "read_table": "inputs",
    "refresh_spark": "incremental",
    "predict_spark": "predict",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'leadscore.spark' has no attribute {name!r}")
    return getattr(importlib.import_module(f"leadscore.spark.{module}"), name)
