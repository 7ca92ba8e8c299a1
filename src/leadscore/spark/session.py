"""A local Spark session for laptops, tests and benchmarks (clusters bring their own)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from leadscore.errors import LeadscoreError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def require_pyspark() -> None:
    """Raise a clear error when pyspark (or Java) is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise LeadscoreError(
            "the Spark engine needs pyspark: pip install 'leadscore[spark]' (and Java 17 or later)"
        ) from None


def local_session(
    cores: int = 2,
    driver_memory: str = "2g",
    shuffle_partitions: int = 4,
    app_name: str = "leadscore",
) -> SparkSession:
    """A Spark session in local mode (``local[cores]``), UTC, without the web UI.

    An existing active session is returned as it is (Spark allows one per process). Python
    workers run this interpreter unless ``PYSPARK_PYTHON`` says otherwise.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    # Python workers (predictive scoring) must run an interpreter that has leadscore; in local
    # mode pyspark takes it from this variable only
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: Java missing or too old
        raise LeadscoreError(f"cannot start Spark in local mode: {exc}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session
