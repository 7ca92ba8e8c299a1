"""A trained predictive model applied on Spark, group by group, gives every contact the
probability it gets locally."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from leadscore.demo import generate
from leadscore.predict.train import train
from leadscore.predict.trained import to_score
from leadscore.spark import predict_spark
from leadscore.store.duckdb_store import DuckStore


def test_predictions_on_spark_equal_local(spark: Any, tmp_path: Path) -> None:
    data = generate(contacts=600, seed=5)
    as_of = data.spec.end_us
    with DuckStore() as store:
        store.init_schema()
        for name, table in data.tables().items():
            store.append_arrow(name, table)
        model = train(store, horizon_days=60, seed=0, n_jobs=1)
        features = model.features_for(store, as_of)
        local = dict(zip(features.contact_id, model.predict_proba(features).tolist(), strict=True))
    for name in ("contacts", "events"):
        pq.write_table(data.tables()[name], tmp_path / f"{name}.parquet")
    outcomes = spark.createDataFrame(data.outcomes)
    frame = predict_spark(
        spark,
        model,
        str(tmp_path / "contacts.parquet"),
        str(tmp_path / "events.parquet"),
        as_of,
        outcomes=outcomes,
        groups=3,
    )
    rows = frame.collect()
    assert len(local) > 500
    got = {r["contact_id"]: r["probability"] for r in rows}
    assert sorted(got) == sorted(local)
    spread = max(local.values()) - min(local.values())
    assert spread > 0.01, "every probability is the same: the comparison would prove little"
    for contact_id, probability in local.items():
        assert math.isclose(got[contact_id], probability, rel_tol=1e-9, abs_tol=1e-12), contact_id
    scores = to_score(np.array([local[r["contact_id"]] for r in rows]))
    assert [r["score"] for r in rows] == scores.tolist()
