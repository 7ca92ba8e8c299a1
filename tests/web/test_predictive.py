"""Predictive scores in the list and on the lead page, when the workspace has them: the
column, sorting by it (windows over the predictions, then the leads without one), and why
the top factors are missing when they are (the factors of a trained model, through the predict
package's public API, are read in the browser test, test_e2e.py)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.conftest import Site


@pytest.fixture(scope="module")
def predicted(site: Site) -> Iterator[Site]:
    """The site with a predictions table for all contacts but five (c035..c039)."""
    with site.runtime.reader() as store:
        store.execute(
            "CREATE TABLE predictions (contact_id VARCHAR NOT NULL, "
            "probability DOUBLE PRECISION NOT NULL, score INTEGER NOT NULL, "
            "model_id VARCHAR NOT NULL, as_of_us BIGINT NOT NULL)"
        )
        for i in range(35):
            probability = ((i * 37) % 23) / 22  # a few ties
            store.execute(
                "INSERT INTO predictions VALUES (?, ?, ?, ?, ?)",
                [f"c{i:03d}", probability, round(100 * probability), "pm-test", site.clock.now],
            )
    yield site
    with site.runtime.reader() as store:
        store.execute("DROP TABLE predictions")


def order(site: Site, descending: bool, where: str = "") -> list[str]:
    rows = site.rows(
        "SELECT s.contact_id, p.score FROM scores s LEFT JOIN predictions p "
        f"ON p.contact_id = s.contact_id {where}"
    )
    scored = sorted((r for r in rows if r["score"] is not None), key=lambda r: r["contact_id"])
    scored.sort(key=lambda r: r["score"], reverse=descending)
    unscored = sorted(r["contact_id"] for r in rows if r["score"] is None)
    return [r["contact_id"] for r in scored] + unscored


def walk(client: Any, url: str) -> list[str]:
    ids: list[str] = []
    while url:
        body = client.get(url).json()
        ids += [i["contact_id"] for i in body["items"]]
        url = body["page"]["next"]
    return ids


def test_predictions_of_another_shape_are_left_out(site: Site) -> None:
    """A ``predictions`` table without the columns the app reads (another version of the
    predict package) shows as no predictive scores, and every page still works."""
    with site.runtime.reader() as store:
        store.execute("CREATE TABLE predictions (contact_id VARCHAR NOT NULL, p DOUBLE PRECISION)")
        store.execute("INSERT INTO predictions VALUES ('c001', 0.5)")
    try:
        client = site.signed_in()
        body = client.get("/leads.json").json()
        assert body["predictive"] is False
        assert "predictive" not in body["sorts"]
        assert all(item["predictive"] is None for item in body["items"])
        assert client.get("/leads.json?sort=-predictive").status_code == 400
        lead = client.get("/leads/c001.json").json()
        assert lead["predictive"] is None
        assert lead["factors_url"] is None
        assert client.get("/leads/c001/factors.json").json()["available"] is False
        assert client.get("/leads.csv").text.splitlines()[0].endswith("top_reasons,scored_at")
        assert "Predictive" not in client.get("/leads").text
    finally:
        with site.runtime.reader() as store:
            store.execute("DROP TABLE predictions")


def test_the_list_shows_and_sorts_by_the_predictive_score(
    predicted: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadscore.web.queries import leads

    monkeypatch.setattr(leads, "WINDOW", 4)  # so that the windows have to grow
    client = predicted.signed_in()
    body = client.get("/leads.json?sort=-predictive").json()
    assert body["predictive"] is True
    assert "predictive" in body["sorts"]
    first = body["items"][0]
    assert first["predictive"]["model_id"] == "pm-test"
    assert math.isclose(
        first["predictive"]["probability"] * 100, first["predictive"]["score"], abs_tol=0.5
    )
    assert walk(client, "/leads.json?sort=-predictive&size=25") == order(predicted, True)
    assert walk(client, "/leads.json?sort=predictive&size=25") == order(predicted, False)
    filtered = walk(client, "/leads.json?sort=-predictive&grade=cold&size=25")
    assert filtered == order(predicted, True, "WHERE s.grade = 'cold'")
    last = client.get("/leads.json?sort=-predictive&size=25&last=1").json()
    assert [i["contact_id"] for i in last["items"]] == order(predicted, True)[-25:]
    html = client.get("/leads").text
    assert "Predictive" in html


def test_the_first_page_indexes_the_predictions_by_contact(predicted: Site) -> None:
    from leadscore.service.predictions import INDEX, has_index

    with predicted.runtime.reader() as store:  # as after a new prediction run
        store.execute(f"DROP INDEX IF EXISTS {INDEX}")
        assert not has_index(store)
    body = predicted.signed_in().get("/leads.json").json()
    assert body["items"][0]["predictive"] is not None
    with predicted.runtime.reader() as store:
        assert has_index(store)


def test_the_csv_has_the_predictive_columns(predicted: Site) -> None:
    client = predicted.signed_in()
    lines = client.get("/leads.csv?sort=-predictive").text.splitlines()
    assert lines[0].split(",")[-6:] == [
        "predictive_score",
        "probability",
        "grade",
        "stage",
        "top_reasons",
        "scored_at",
    ]
    assert [line.split(",")[0] for line in lines[1:]] == order(predicted, True)


def test_factors_need_the_trained_model(predicted: Site) -> None:
    client = predicted.signed_in()
    lead = client.get("/leads/c001.json").json()
    assert lead["predictive"]["score"] == round(100 * ((37 % 23) / 22))
    assert lead["factors_url"] == "/leads/c001/factors"
    body = client.get("/leads/c001/factors.json").json()
    assert body["available"] is False
    assert body["reason"] == "the trained model is not reachable from this server"
    none = client.get("/leads/c036/factors.json").json()
    assert none["reason"] == "this lead has no predictive score yet"
    assert "open them on their own page" in client.get("/leads/c001").text
