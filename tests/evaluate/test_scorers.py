"""Finding scorers from what the user typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadscore.errors import LeadscoreError
from leadscore.evaluate.scorers import RuleScorer, grade_order, resolve_scorer, resolve_scorers
from leadscore.model import load_model_text
from leadscore.store.duckdb_store import DuckStore
from leadscore.store.workspace import example_model_path
from tests.evaluate.conftest import SMALL_MODEL, write


def test_yaml_file_and_unknown(tmp_path: Path) -> None:
    path = write(tmp_path / "draft.yaml", SMALL_MODEL)
    scorer = resolve_scorer(str(path))
    assert isinstance(scorer, RuleScorer)
    assert scorer.info.name == "small"
    assert scorer.info.grades == ("hot", "warm", "cold")
    assert scorer.info.thresholds == {"hot": 40.0, "warm": 15.0}
    with pytest.raises(LeadscoreError, match="not found"):
        resolve_scorer(str(tmp_path / "missing.yaml"))
    with pytest.raises(LeadscoreError, match="is not a model"):
        resolve_scorer("no-such-model")


def test_same_model_twice_gets_two_names(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", SMALL_MODEL)
    b = write(tmp_path / "b.yaml", SMALL_MODEL)
    names = [s.info.name for s in resolve_scorers([str(a), str(b)])]
    assert names == ["small (a.yaml)", "small (b.yaml)"]


def test_stored_versions_and_active(store: DuckStore) -> None:
    store.execute(
        "INSERT INTO model_versions VALUES (3, 'small', ?, 'h', 'draft', NULL, 0, NULL)",
        [SMALL_MODEL],
    )
    scorer = resolve_scorer("version:3", store=store)
    assert scorer.info.name == "small v3"
    assert "draft" in scorer.info.source
    with pytest.raises(LeadscoreError, match="no model version 4"):
        resolve_scorer("version:4", store=store)
    with pytest.raises(LeadscoreError, match="version number"):
        resolve_scorer("version:x", store=store)
    with pytest.raises(LeadscoreError, match="workspace"):
        resolve_scorer("active")


def test_matrix_grade_order() -> None:
    text = example_model_path().read_text().replace("primary_grade: lead", "primary_grade: matrix")
    model = load_model_text(text)
    order = grade_order(model)
    assert order[:3] == ["A1", "A2", "A3"]
    assert order[-1] == "D4"
    assert grade_order(load_model_text(SMALL_MODEL)) == ["hot", "warm", "cold"]
