"""One local Spark session for the whole test run (the JVM takes half a minute to start)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from leadscore.spark.session import local_session

    session = local_session(cores=2, driver_memory="1g", shuffle_partitions=1)
    # tiny data: generating and compiling code for each stage costs more than it saves
    session.conf.set("spark.sql.codegen.wholeStage", "false")
    session.conf.set("spark.sql.adaptive.enabled", "false")
    yield session
    session.stop()
