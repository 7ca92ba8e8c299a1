"""Shared data for the predictive tests: a small hand-built store, the demo data and models
trained on it (once per package)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from leadscore.demo import DemoData, generate, load
from leadscore.model import load_model
from leadscore.model.spec import Model
from leadscore.predict.trained import TrainedModel
from leadscore.store.duckdb_store import DuckStore
from leadscore.store.workspace import example_model_path

DAY = 86_400_000_000
HORIZON = 90


def new_store() -> DuckStore:
    store = DuckStore(threads=2)
    store.init_schema()
    return store


def add_contact(
    store: DuckStore, contact_id: str, created_at_us: int | None, **attributes: str
) -> None:
    store.execute(
        "INSERT INTO contacts VALUES (?, NULL, ?, ?, 0)",
        [contact_id, created_at_us, json.dumps(attributes, sort_keys=True)],
    )


def add_event(
    store: DuckStore, event_id: str, contact_id: str, kind: str, ts_us: int, **props: str
) -> None:
    store.execute(
        "INSERT INTO events VALUES (?, ?, ?, ?, ?, 0)",
        [event_id, contact_id, kind, ts_us, json.dumps(props, sort_keys=True)],
    )


def add_outcome(store: DuckStore, outcome_id: str, contact_id: str, kind: str, ts_us: int) -> None:
    store.execute(
        "INSERT INTO outcomes VALUES (?, ?, ?, ?, NULL, '{}', 0)",
        [outcome_id, contact_id, kind, ts_us],
    )


@pytest.fixture(scope="package")
def rule_model() -> Model:
    return load_model(example_model_path())


@dataclass
class Demo:
    data: DemoData
    store: DuckStore
    end_us: int

    @property
    def cutoff_us(self) -> int:
        """Train on data up to here; judge the model at this time against the last 90 days."""
        return self.end_us - HORIZON * DAY


@pytest.fixture(scope="package")
def demo() -> Iterator[Demo]:
    data = generate(4000, seed=5)
    store = DuckStore(threads=2)
    load(store, data)
    yield Demo(data, store, data.spec.end_us)
    store.close()


@pytest.fixture(scope="package")
def trained(demo: Demo, rule_model: Model) -> dict[str, TrainedModel]:
    """One model of each kind, trained on the demo data known 90 days before its end."""
    from leadscore.predict.train import train

    common: dict[str, Any] = {
        "rule_model": rule_model,
        "observed_until_us": demo.cutoff_us,
        "n_jobs": 2,
        "seed": 3,
    }
    return {
        "logistic": train(demo.store, HORIZON, kind="logistic", **common),
        "lightgbm": train(demo.store, HORIZON, kind="lightgbm", n_estimators=150, **common),
    }
