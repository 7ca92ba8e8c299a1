"""The model registry (save, list, show, activate, load) and scoring a store with a model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from leadscore.demo import load
from leadscore.errors import LeadscoreError
from leadscore.model.spec import Model
from leadscore.predict import registry
from leadscore.predict.reasons import (
    explain_contact,
    explain_table,
    explain_top,
    leads_with_reasons,
    top_factors,
)
from leadscore.predict.scoring import (
    PREDICTIONS_INDEX,
    leads_with_predictions,
    predict_store,
    read_predictions,
)
from leadscore.predict.trained import TrainedModel
from leadscore.scoring.run import score_store
from leadscore.store.duckdb_store import DuckStore
from tests.predict.conftest import Demo


def test_registry_round_trip(tmp_path: Path, demo: Demo, trained: dict[str, TrainedModel]) -> None:
    assert registry.list_models(tmp_path) == []
    assert registry.active_model_id(tmp_path) is None
    first = registry.save_model(tmp_path, trained["logistic"])
    second = registry.save_model(tmp_path, trained["lightgbm"], activate=False)
    assert first.active
    assert not second.active
    assert first.model_id.startswith("pm-")
    assert first.model_id != second.model_id
    listed = registry.list_models(tmp_path)
    assert [r.model_id for r in listed] == [first.model_id, second.model_id]
    assert [r.active for r in listed] == [True, False]
    assert listed[1].kind == "lightgbm"
    assert listed[1].horizon_days == 90

    meta = registry.show_model(tmp_path, second.model_id)
    saved = json.loads((tmp_path / "models" / second.model_id / "meta.json").read_text())
    assert meta["fingerprint"] == saved["fingerprint"] == trained["lightgbm"].fingerprint
    assert meta["active"] is False
    assert len(meta["plan"]["features"]) == len(trained["lightgbm"].features)
    assert meta["plan"]["features"][0]["label"]
    assert set(meta["libraries"]) >= {"scikit-learn", "lightgbm", "python"}
    assert meta["training_window"]["from"] < meta["training_window"]["to"]
    assert meta["metrics"]["roc_auc"] == trained["lightgbm"].report.metrics["roc_auc"]
    assert len(meta["snapshots"]) == len(trained["lightgbm"].snapshots_us)

    registry.activate_model(tmp_path, second.model_id)
    assert registry.active_model_id(tmp_path) == second.model_id
    loaded = registry.load_model(tmp_path)
    assert loaded.model_id == second.model_id
    table = loaded.features_for(demo.store, demo.end_us, ["ct-0000001", "ct-0000002"])
    np.testing.assert_array_equal(
        loaded.predict_proba(table), trained["lightgbm"].predict_proba(table)
    )
    assert registry.version_warnings(tmp_path, second.model_id) == []

    with pytest.raises(LeadscoreError, match="no model 'pm-nope'"):
        registry.activate_model(tmp_path, "pm-nope")
    assert not list((tmp_path / "models").glob(".tmp-*"))


def test_a_loaded_model_keeps_its_compiled_trees_in_its_folder(
    tmp_path: Path, demo: Demo, trained: dict[str, TrainedModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadscore.predict import compiled

    record = registry.save_model(tmp_path, trained["lightgbm"], activate=False)
    folder = tmp_path / "models" / record.model_id
    table = trained["lightgbm"].features_for(demo.store, demo.end_us)
    expected = trained["lightgbm"].predict_proba(table)
    monkeypatch.setattr(compiled, "MIN_ROWS", 1)  # as for a million leads
    monkeypatch.setattr(compiled, "ROWS_PER_LEAF", 0)
    got = registry.load_model(tmp_path, record.model_id).predict_proba(table)
    assert len(list(folder.glob(f"{compiled.PREFIX}*.o"))) == 1
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    monkeypatch.setattr(compiled, "MIN_ROWS", 10**9)  # few leads: the kept code is used
    again = registry.load_model(tmp_path, record.model_id)
    np.testing.assert_array_equal(again.predict_proba(table), got)
    assert isinstance(again.estimator.model_._compiled, compiled.CompiledTrees)


def test_no_active_model(tmp_path: Path) -> None:
    with pytest.raises(LeadscoreError, match="leadscore train"):
        registry.load_model(tmp_path)


@pytest.fixture(scope="module")
def scored(demo: Demo, trained: dict[str, TrainedModel], rule_model: Model) -> DuckStore:
    """A fresh store with the demo data, the rule scores and the predictions at the end."""
    store = DuckStore(threads=2)
    load(store, demo.data)
    model = trained["logistic"]
    model.model_id = "pm-test"
    score_store(store, rule_model, demo.end_us, entities=("contacts",))
    run = predict_store(store, model, demo.end_us)
    assert run.rows == store.count("contacts") == len(demo.data.contacts)
    assert sum(run.bands.values()) == run.rows
    assert run.model_id == "pm-test"
    return store


def test_predictions_table(scored: DuckStore, demo: Demo, trained: dict[str, TrainedModel]) -> None:
    rows = read_predictions(scored)
    assert len(rows) == len(demo.data.contacts)
    assert rows[0]["probability"] >= rows[-1]["probability"]
    assert all(r["score"] == round(100 * r["probability"]) for r in rows)
    assert {r["model_id"] for r in rows} == {"pm-test"}
    assert {r["as_of_us"] for r in rows} == {demo.end_us}
    some = [r["contact_id"] for r in rows[:5]]
    table = trained["logistic"].features_for(scored, demo.end_us, some)
    by_id = dict(zip(table.contact_id, trained["logistic"].predict_proba(table), strict=True))
    for r in rows[:5]:
        assert r["probability"] == pytest.approx(by_id[r["contact_id"]], rel=1e-12)


def test_predictions_are_indexed_by_contact_on_every_run(
    scored: DuckStore, demo: Demo, trained: dict[str, TrainedModel]
) -> None:
    def indexes() -> list[tuple[str, str]]:
        return scored.con.execute(
            "SELECT index_name, sql FROM duckdb_indexes() WHERE table_name = 'predictions'"
        ).fetchall()

    [(name, sql)] = indexes()
    assert name == PREDICTIONS_INDEX
    assert "(contact_id)" in sql
    before = read_predictions(scored)
    predict_store(scored, trained["logistic"], demo.end_us)  # the table is replaced: same rows
    assert [name for name, _ in indexes()] == [PREDICTIONS_INDEX]
    assert read_predictions(scored) == before


def test_leads_with_predictions(scored: DuckStore) -> None:
    top = leads_with_predictions(scored, limit=3)
    assert len(top) == 3
    assert top[0]["predictive_score"] >= top[1]["predictive_score"]
    for row in top:
        assert {"total", "grade", "stage", "score_fit", "score_engagement"} <= set(row)
        assert row["scored_as_of_us"] == row["predicted_as_of_us"]
    picked = leads_with_predictions(scored, ["ct-0000002", "nobody", "ct-0000001"])
    assert [r["contact_id"] for r in picked] == ["ct-0000002", "nobody", "ct-0000001"]
    assert picked[1]["probability"] is None
    assert "total" not in picked[1]
    assert picked[0]["probability"] is not None
    assert picked[0]["grade"] is not None


def test_rule_side_alone_before_any_prediction(demo: Demo, rule_model: Model) -> None:
    store = DuckStore(threads=2)
    load(store, demo.data)
    score_store(store, rule_model, demo.end_us, entities=("contacts",))
    rows = leads_with_predictions(store, ["ct-0000001"])
    assert rows[0]["probability"] is None
    assert rows[0]["grade"] is not None
    with pytest.raises(LeadscoreError, match="leadscore predict"):
        read_predictions(store)


def test_explain_one_lead_and_the_top(scored: DuckStore, trained: dict[str, TrainedModel]) -> None:
    model = trained["logistic"]
    best = read_predictions(scored, limit=1)[0]
    e = explain_contact(scored, model, best["contact_id"], best["as_of_us"])
    assert e.probability == pytest.approx(best["probability"], rel=1e-12)
    assert e.score == best["score"]
    assert e.positive
    assert e.lines()[0].startswith(f"{best['contact_id']}: predictive score")
    top = explain_top(scored, model, n=3)
    assert [x.contact_id for x in top] == [
        r["contact_id"] for r in read_predictions(scored, limit=3)
    ]
    with pytest.raises(LeadscoreError, match="no contact 'nobody'"):
        explain_contact(scored, model, "nobody", best["as_of_us"])


def test_many_contact_ids_go_through_a_table(demo: Demo, trained: dict[str, TrainedModel]) -> None:
    model = trained["logistic"]
    everyone = model.features_for(demo.store, demo.end_us)
    ids = [*[str(c) for c in everyone.contact_id[::3]][:700], "nobody"]
    some = model.features_for(demo.store, demo.end_us, ids)
    assert len(some) == 700
    rows = [i for i, c in enumerate(everyone.contact_id) if c in set(ids)]
    assert some.X.equals(everyone.X.iloc[rows].reset_index(drop=True))


def test_top_factors_for_every_lead(demo: Demo, trained: dict[str, TrainedModel]) -> None:
    model = trained["logistic"]
    table = model.features_for(demo.store, demo.end_us)
    found = top_factors(model, table, top=2)
    assert found.positive.shape == (len(table), 2)
    one = explain_table(model, table, top=2, rows=[5])[0]
    names = [model.features[i].name for i in found.positive[5] if i >= 0]
    assert [f.feature for f in one.positive] == names
    np.testing.assert_allclose(found.logit, model.estimator.decision_function(table.X))


def test_leads_with_reasons(scored: DuckStore, trained: dict[str, TrainedModel]) -> None:
    model = trained["logistic"]
    rows = leads_with_reasons(scored, model, limit=4, top=2)
    assert [r["contact_id"] for r in rows] == [
        r["contact_id"] for r in read_predictions(scored, limit=4)
    ]
    for row in rows:
        e = explain_contact(scored, model, row["contact_id"], row["predicted_as_of_us"], top=2)
        for side, factors in (("positive", e.positive), ("negative", e.negative)):
            shown = row[side]
            assert [(f["feature"], f["value"]) for f in shown] == [
                (f.feature, f.value) for f in factors
            ]
            assert [f["contribution"] for f in shown] == pytest.approx(
                [f.contribution for f in factors], rel=1e-9
            )
        assert row["grade"] is not None
    assert leads_with_reasons(scored, model, ["nobody"])[0]["positive"] == []
    other = trained["lightgbm"]
    other.model_id, kept = "pm-other", other.model_id
    try:
        with pytest.raises(LeadscoreError, match="come from model pm-test"):
            leads_with_reasons(scored, other, limit=1)
    finally:
        other.model_id = kept


def test_strongest_factors_by_partial_sort() -> None:
    from leadscore.predict.reasons import _strongest

    rng = np.random.default_rng(1)
    values = rng.standard_normal((500, 9))
    for k in (1, 3, 9):
        full = np.argsort(-values, axis=1)[:, :k]
        np.testing.assert_array_equal(_strongest(values, k), full)
    ties = rng.integers(-2, 3, (500, 6)).astype(float)
    picked = np.take_along_axis(ties, _strongest(ties, 3), axis=1)
    np.testing.assert_array_equal(picked, -np.sort(-ties, axis=1)[:, :3])


@pytest.mark.parametrize("k", [1, 3, 8, 9, 12])
def test_the_strongest_factors_come_largest_first_and_equal_ones_by_index(k: int) -> None:
    """Both ways of finding a row's strongest factors (passes of argmax for a few, a partial
    sort for more) give the same order: largest first, equal values by their index."""
    from leadscore.predict.reasons import _strongest

    rng = np.random.default_rng(k)
    values = np.round(rng.normal(size=(400, 14)), 1)  # many equal values
    expected = np.array([sorted(range(14), key=lambda j: (-row[j], j))[:k] for row in values])
    np.testing.assert_array_equal(_strongest(values, k), expected)
