"""A lead's page: scores, why (every rule in a sentence, adding up, with caps and bounds),
history, events paged by keyset, predictive factors when there are none (both engines)."""

from __future__ import annotations

import math
from typing import Any

from fastapi.testclient import TestClient

from tests.web.conftest import Site


def why(client: TestClient, contact_id: str) -> dict[str, Any]:
    body = client.get(f"/leads/{contact_id}.json").json()
    score: dict[str, Any] = body["lead"]["score"]
    return score


def test_why_adds_up_to_every_score(client: TestClient, site: Site) -> None:
    for row in site.rows("SELECT contact_id, total FROM scores"):
        score = why(client, row["contact_id"])
        assert score["total"] == row["total"]
        for line in score["why"]["scores"]:
            parts = [r["points"] for r in line["fired"]] + [
                a["points"] for a in line["adjustments"]
            ]
            assert math.isclose(math.fsum(parts), line["raw"], abs_tol=1e-9)
            assert math.isclose(line["raw"] + line["bounding"], line["value"], abs_tol=1e-9)
            assert all(r["points"] == 0 for r in line["idle"])
        total = score["why"]["total"]
        assert math.isclose(sum(p["points"] for p in total["parts"]), total["raw"], abs_tol=1e-9)


def test_why_in_sentences_with_caps_and_bounds(client: TestClient) -> None:
    # c000: VP Sales in sales (the role group is capped at 35), a gmail address, a demo
    # request and three pricing visits (engagement over its maximum of 100)
    score = why(client, "c000")
    fit, engagement = score["why"]["scores"]
    assert {r["rule"] for r in fit["fired"]} == {"vp", "sales", "free_email"}
    assert fit["adjustments"] == [
        {"group": "role", "points": -5.0, "text": "the role rules together are capped: -5"}
    ]
    assert fit["description"] == "Who the lead is."
    vp = next(r for r in fit["fired"] if r["rule"] == "vp")
    assert vp["found"] == "the condition holds -> +30 points"
    assert vp["rule_text"].startswith("+30 points when title matches")
    demo = next(r for r in engagement["fired"] if r["rule"] == "demo")
    assert (demo["counts"], demo["counted"], demo["weight"]) == ("once", 1, None)
    pricing = next(r for r in engagement["fired"] if r["rule"] == "pricing")
    assert pricing["counts"] == "each"
    assert 0 < pricing["weight"] < 3  # decayed
    assert engagement["raw"] > 100
    assert engagement["value"] == 100
    assert engagement["bounding_text"].startswith("capped at the maximum of 100")
    grade = score["why"]["grade"]
    assert grade["sentence"] == f"hot: total {_fmt(score['total'])} is at least 60"
    assert score["why"]["total"]["formula"] == "fit + engagement"


def _fmt(value: float) -> str:
    from leadscore.values import fmt_number

    return fmt_number(value)


def test_the_page_shows_the_reasons(client: TestClient) -> None:
    page = client.get("/leads/c000")
    assert page.status_code == 200
    html = page.text
    assert "Why this score" in html
    assert "the condition holds → +30 points" in html
    assert "role cap" in html
    assert "capped at the maximum of 100" in html
    assert 'id="history-chart"' in html  # time passed: there is a history
    assert "/static/vendor/plotly-" in html
    assert "Predictive factors" not in html  # no predictions in this workspace


def test_history_and_events(client: TestClient, site: Site) -> None:
    body = client.get("/leads/c003.json").json()
    assert body["history"], "the refresh after three days recorded changes"
    assert [h["cause"] for h in body["history"]][-1] == "time"
    events = body["events"]
    stored = site.rows(
        "SELECT event_id FROM events WHERE contact_id = 'c003' ORDER BY ts_us DESC, event_id DESC"
    )
    assert [e["event_id"] for e in events["items"]] == [r["event_id"] for r in stored][:20]
    assert events["items"][0]["label"] in ("Page view", "Demo request")


def test_events_are_paged(site: Site) -> None:
    from leadscore.records import Event

    client = site.signed_in()
    many = [
        Event(f"many-{i}", "c039", "page_view", site.clock.now - i * 60_000_000, {"url": f"/p{i}"})
        for i in range(45)
    ]
    site.runtime.ingest_events(many)
    site.runtime.flush()
    seen: list[str] = []
    url: str | None = "/leads/c039.json"
    while url:
        events = client.get(url).json()["events"]
        seen += [e["event_id"] for e in events["items"]]
        url = events["next"] and events["next"].replace("/leads/c039?", "/leads/c039.json?")
    stored = site.rows(
        "SELECT event_id FROM events WHERE contact_id = 'c039' ORDER BY ts_us DESC, event_id DESC"
    )
    assert seen == [r["event_id"] for r in stored]
    fragment = client.get(
        "/leads/c039?events_before="
        + client.get("/leads/c039.json").json()["events"]["next"].split("=")[1],
        headers={"HX-Request": "true", "HX-Target": "timeline-more"},
    )
    assert "<html" not in fragment.text
    assert fragment.text.count('class="event"') == 20


def test_unknown_leads_and_odd_ids(client: TestClient, site: Site) -> None:
    from leadscore.records import Contact

    missing = client.get("/leads/nobody")
    assert missing.status_code == 404
    assert "There is no lead &#39;nobody&#39;" in missing.text
    assert client.get("/leads/nobody.json").json()["error"]["code"] == "not_found"
    site.runtime.upsert_contacts(
        [Contact("a/b c?d", {"first_name": "Slash"}), Contact("x.json", {"first_name": "Jay"})]
    )
    site.runtime.flush()
    assert client.get("/leads/a%2Fb%20c%3Fd.json").json()["contact_id"] == "a/b c?d"
    assert client.get("/leads/a%2Fb%20c%3Fd").status_code == 200
    assert client.get("/leads/x.json").json()["contact_id"] == "x.json"  # only x.json exists
    html = client.get("/leads.json?q=slash").json()
    assert html["items"][0]["contact_id"] == "a/b c?d"
    assert 'href="/leads/a%2Fb%20c%3Fd"' in client.get("/leads?q=slash").text


def test_factors_say_why_they_are_missing(client: TestClient) -> None:
    body = client.get("/leads/c000/factors.json").json()
    assert body["available"] is False
    assert "no predictive scores yet" in body["reason"]
    assert client.get("/leads/c000/factors").status_code == 200
