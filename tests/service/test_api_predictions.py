"""Predictive scores through the API: next to the rule score of a contact and in the list,
and a contact's top factors on demand (``GET /contacts/{id}/prediction``), on both storage
backends with a stored predictions table, and with a model trained on a demo workspace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadscore.timeutil import iso
from tests.service.api_fixtures import Api, api_fixture  # noqa: F401  (fixtures)
from tests.web.harness import Clock, add_key, build_demo, demo_end_us, make_app, start_with_history
from tests.web.screenshots import train_predictions


def _store_predictions(api: Api, rows: list[tuple[str, float]]) -> None:
    with api.runtime.reader() as store:
        store.execute(
            "CREATE TABLE predictions (contact_id VARCHAR NOT NULL, "
            "probability DOUBLE PRECISION NOT NULL, score INTEGER NOT NULL, "
            "model_id VARCHAR NOT NULL, as_of_us BIGINT NOT NULL)"
        )
        for contact, p in rows:
            store.execute(
                "INSERT INTO predictions VALUES (?, ?, ?, ?, ?)",
                [contact, p, round(100 * p), "pm-test", api.clock.now],
            )


def test_without_predictions_the_fields_are_null_and_say_why(api: Api) -> None:
    api.put("/contacts/ann", json={"attributes": {"title": "VP Sales"}})
    api.runtime.flush()
    assert api.get("/contacts/ann").json()["predictive"] is None
    [item] = api.get("/contacts").json()["items"]
    assert item["predictive_score"] is None
    got = api.get("/contacts/ann/prediction")
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["available"], body["predictive"], body["positive"]) == (False, None, [])
    assert "leadscore predict" in body["reason"]
    assert api.get("/contacts/nobody/prediction").status_code == 404
    for query in ("sort=-predictive", "min_predictive=10"):
        refused = api.get(f"/contacts?{query}")
        assert refused.status_code == 400, refused.text
        assert "leadscore predict" in refused.json()["error"]["message"]


def test_stored_predictions_sit_next_to_the_rule_scores(api: Api) -> None:
    for name in ("ann", "bo", "cy"):
        api.put(f"/contacts/{name}", json={"attributes": {"title": "VP Sales"}})
    api.runtime.flush()
    _store_predictions(api, [("ann", 0.374), ("bo", 0.05)])
    body = api.get("/contacts/ann").json()
    assert body["predictive"] == {
        "score": 37,
        "probability": 0.374,
        "model_id": "pm-test",
        "as_of": iso(api.clock.now),
    }
    assert body["score"]["total"] is not None  # the rule score is still there
    listed = {i["contact_id"]: i["predictive_score"] for i in api.get("/contacts").json()["items"]}
    assert listed == {"ann": 37, "bo": 5, "cy": None}
    ranked = [i["contact_id"] for i in api.get("/contacts?sort=-predictive").json()["items"]]
    assert ranked == ["ann", "bo", "cy"]  # no predictive score: last
    ranked = [i["contact_id"] for i in api.get("/contacts?sort=predictive").json()["items"]]
    assert ranked == ["bo", "ann", "cy"]
    page = api.get("/contacts?min_predictive=10&sort=-predictive").json()
    assert ([i["contact_id"] for i in page["items"]], page["total"]) == (["ann"], 1)
    assert api.get("/contacts?min_predictive=101").status_code == 422
    # a prediction without a trained model this server can reach: the score, no factors
    found = api.get("/contacts/ann/prediction").json()
    assert found["available"] is False
    assert found["predictive"]["score"] == 37
    assert "not reachable" in found["reason"]
    none = api.get("/contacts/cy/prediction").json()
    assert (none["available"], none["predictive"]) == (False, None)
    assert "no predictive score" in none["reason"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str, Any]]:
    """A demo workspace with a trained model and its predictions, served with its folder."""
    folder: Path = build_demo(tmp_path_factory.mktemp("api-predict") / "demo-leads", contacts=400)
    end = demo_end_us()
    train_predictions(folder, end)
    runtime = start_with_history(folder, Clock(end), days=30, steps=1)
    try:
        key = add_key(runtime)
        with TestClient(make_app({runtime.name: runtime}, (str(folder),))) as client:
            yield client, key, runtime
    finally:
        runtime.stop()


def test_the_top_factors_of_a_trained_model_explain_the_stored_score(
    trained: tuple[TestClient, str, Any],
) -> None:
    client, key, runtime = trained
    headers = {"Authorization": f"Bearer {key}"}
    with runtime.reader() as store:
        best = store.rows(
            "SELECT contact_id, score, probability FROM predictions "
            "ORDER BY probability DESC, contact_id LIMIT 1"
        )[0]
    got = client.get(f"/api/v1/contacts/{best['contact_id']}/prediction", headers=headers)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["available"] is True, body["reason"]
    assert body["reason"] is None
    assert body["predictive"]["score"] == best["score"]
    assert body["predictive"]["probability"] == pytest.approx(best["probability"])
    assert body["positive"], "the likeliest lead has factors for it"
    for factor in body["positive"]:
        assert factor["contribution"] > 0
        assert factor["label"]
        assert factor["label"] in factor["text"]
    assert all(f["contribution"] < 0 for f in body["negative"])
    contributions = [f["contribution"] for f in body["positive"]]
    assert contributions == sorted(contributions, reverse=True)  # strongest first
    detail = client.get(f"/api/v1/contacts/{best['contact_id']}", headers=headers).json()
    assert detail["predictive"] == body["predictive"]
