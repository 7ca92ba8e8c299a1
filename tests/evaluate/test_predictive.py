"""Trained predictive models plug into backtests through leadscore.predict's registry."""

from __future__ import annotations

import hashlib
import json
import sys
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from leadscore.errors import LeadscoreError
from leadscore.evaluate.scorers import resolve_scorer
from leadscore.store.workspace import Workspace
from leadscore.timeutil import to_us

T = to_us("2025-02-01")
DAY = 86_400_000_000


class FakeTrained:
    """Has what the registry saves and what scoring needs of a TrainedModel; its probability
    is a fixed function of the contact id, so every run gives the same numbers."""

    def __init__(self, horizon_days: int = 60, trained_until_us: int = T - 90 * DAY) -> None:
        self.model_id: str | None = None
        self.horizon_days = horizon_days
        self.snapshots_us = [trained_until_us - horizon_days * DAY]
        self.created_at_us = to_us("2025-01-15")
        self.fingerprint = "0123456789abcdef"
        self.calls: list[int] = []

    def keep_compiled_in(self, folder: Any) -> None:
        """Nothing is compiled for this model."""

    def meta(self) -> dict[str, Any]:
        return {
            "created_at": "2025-01-15T00:00:00Z",
            "kind": "fake",
            "horizon_days": self.horizon_days,
            "fingerprint": self.fingerprint,
            "metrics": {},
            "report": {"counts": {"examples": 0}},
        }

    def features_for(
        self,
        source: Any,
        as_of_us: int | None = None,
        contact_ids: Any = None,
        id_column: Any = None,
    ) -> Any:
        assert as_of_us is not None
        self.calls.append(as_of_us)
        return SimpleNamespace(contact_id=np.asarray(contact_ids, dtype=object))

    def predict_proba(self, data: Any) -> np.ndarray:
        digest = [hashlib.sha256(str(c).encode()).digest()[0] for c in data.contact_id]
        return np.asarray(digest, dtype=np.float64) / 255.0


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    from leadscore.demo import build_workspace

    return build_workspace(tmp_path_factory.mktemp("pred") / "ws", contacts=300, seed=5)


def test_no_trained_model_yet(workspace: Workspace) -> None:
    with workspace.store() as store, pytest.raises(LeadscoreError, match="no active predictive"):
        resolve_scorer("predictive", workspace, store)


def test_saved_models_are_scorers(workspace: Workspace) -> None:
    from leadscore.evaluate.backtest import backtest
    from leadscore.predict.registry import save_model

    record = save_model(workspace, FakeTrained())  # type: ignore[arg-type]
    with workspace.store() as store:
        active = resolve_scorer("predictive", workspace, store)
        by_id = resolve_scorer(record.model_id, workspace, store)
        with pytest.raises(LeadscoreError, match="no model 'pm-nope'"):
            resolve_scorer("pm-nope", workspace, store)
        result = backtest(store, [active], [T], 60)
    assert active.info.name == by_id.info.name == record.model_id
    assert active.info.kind == "predictive"
    assert active.info.probabilities
    assert active.info.grades[0] == "75-100"  # the predictive score bands, best first
    (evaluation,) = result.evaluations
    assert evaluation.probabilities
    assert evaluation.brier is not None
    assert evaluation.calibration is not None
    assert set(evaluation.by_grade["group"]) <= set(active.info.grades)
    assert not any("in-sample" in w for w in evaluation.warnings)  # trained before T


def test_evaluate_command_takes_a_model_id(workspace: Workspace, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import leadscore.cli.evaluate_commands  # noqa: F401
    from leadscore.cli.app import main

    args = ["evaluate", "active", "predictive", "--as-of", "2025-02-01", "--horizon", "60d"]
    monkeypatch.setattr(
        sys, "argv", ["leadscore", *args, "-w", str(workspace.root), "--format", "json"]
    )
    with pytest.raises(SystemExit) as exit_info:
        main()
    out = capsys.readouterr().out
    assert exit_info.value.code in (0, None)
    rule, predictive = json.loads(out)["evaluations"]
    assert rule["brier"] is None
    assert predictive["brier"] is not None
    assert predictive["scorer"].startswith("pm-")
