"""/contacts: upserts, a lead with its breakdown and reasons, the list, history."""

from __future__ import annotations

import math
from typing import Any

from leadscore.timeutil import UNIT_US, iso
from tests.service.api_fixtures import Api, api_fixture  # noqa: F401  (fixtures)

DAY = UNIT_US["d"]


def _event(api: Api, contact: str, kind: str, days_ago: float = 1, **props: Any) -> Any:
    ts = iso(api.clock.now - int(days_ago * DAY))
    body: dict[str, Any] = {"contact_id": contact, "type": kind, "ts": ts}
    if props:
        body["properties"] = props
    return api.post("/events", json=body)


def test_upsert_one_then_read_the_score_and_its_reasons(api: Api) -> None:
    first = api.put("/contacts/ann", json={"attributes": {"title": "VP Sales"}, "account_id": "a1"})
    assert first.status_code == 200, first.text
    assert first.json() == {"status": "inserted", "contact_id": "ann"}
    again = api.put("/contacts/ann", json={"attributes": {"title": "VP Sales"}})
    assert again.json()["status"] == "unchanged"
    assert _event(api, "ann", "demo_request").json()["status"] == "accepted"
    for days in (0, 1, 2):
        _event(api, "ann", "page_view", days, url="/pricing/plans")
    api.runtime.flush()

    got = api.get("/contacts/ann")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["attributes"] == {"title": "VP Sales"}
    assert body["account_id"] == "a1"
    score = body["score"]
    assert score["model_version"] == 1
    assert score["as_of"] == iso(api.clock.now)
    assert (score["grade"], score["stage"]) == ("hot", "SQL")
    # the breakdown adds up: rules to each raw score, scores to the total
    for line in score["breakdown"]:
        assert math.isclose(sum(r["points"] for r in line["rules"]), line["raw"], abs_tol=1e-9)
        assert score["scores"][line["name"]] == line["value"]
    assert math.isclose(sum(score["scores"].values()), score["total"], abs_tol=1e-9)
    rules = {r["rule"]: r for line in score["breakdown"] for r in line["rules"]}
    assert rules["demo"]["points"] == 50
    assert rules["demo"]["rule_text"] == "+50 points once for a demo request in the last 30 days"
    assert rules["pricing"]["counted"] == 3
    assert "fading by half every 7 days" in rules["pricing"]["rule_text"]
    positive = score["reasons"]["positive"]
    assert [r["rule"] for r in positive] == ["demo", "vp", "pricing"]
    assert positive[0]["why"] == "demo: 1 matching event, counted once -> +50 points"
    assert "r_demo__points" not in str(body)  # no storage column leaks


def test_attributes_merge_and_contact_fields_keep(api: Api) -> None:
    api.put("/contacts/bo", json={"attributes": {"title": "Engineer", "country": "FR"}})
    updated = api.put("/contacts/bo", json={"attributes": {"title": "VP Eng", "seats": 12}})
    assert updated.json()["status"] == "updated"
    api.runtime.flush()
    body = api.get("/contacts/bo").json()
    assert body["attributes"] == {"title": "VP Eng", "country": "FR", "seats": "12"}
    assert body["score"]["total"] == 30


def test_batch_upsert_reports_each_contact(api: Api) -> None:
    api.put("/contacts/c0", json={"attributes": {"title": "x"}})
    batch = [
        {"contact_id": "c0", "attributes": {"title": "y"}},
        {"contact_id": "c1"},
        {"contact_id": "c2", "created_at": "yesterday"},
        {"contact_id": "   "},
        {"contact_id": "c0", "attributes": {"title": "y"}},
    ]
    response = api.post("/contacts/batch", json={"contacts": batch})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "updated",
        "inserted",
        "rejected",
        "rejected",
        "unchanged",
    ]
    assert "created_at" in results[2]["reason"]
    assert "contact_id: is required" in results[3]["reason"]
    assert response.json()["counts"] == {"updated": 1, "inserted": 1, "rejected": 2, "unchanged": 1}
    ids = [r["contact_id"] for r in api.rows("SELECT contact_id FROM contacts ORDER BY 1")]
    assert ids == ["c0", "c1"]  # the rejected contact was not written


def test_bad_contacts_are_refused_and_write_nothing(api: Api) -> None:
    cases = [
        ({"attributes": {"x": "1"}, "colour": "red"}, 422, "invalid_request"),
        ({"attributes": ["not", "an", "object"]}, 422, "invalid_request"),
        ({"account_id": 12}, 422, "invalid_request"),
        ({"created_at": "1969-12-31"}, 422, "invalid_value"),
        ({"attributes": {"bad": "nul\x00"}}, 422, "invalid_value"),
    ]
    for body, status, code in cases:
        response = api.put("/contacts/zed", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["code"] == code
        assert response.json()["error"]["message"]
    long_id = "x" * 201
    assert api.put(f"/contacts/{long_id}", json={}).status_code == 422
    assert api.count("contacts") == 0


def test_unknown_contact_is_404(api: Api) -> None:
    for path in ("/contacts/nobody", "/contacts/nobody/history"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == {
            "code": "not_found",
            "message": "no contact 'nobody' in this workspace",
            "details": None,
        }


def test_list_filters_sorts_and_pages(api: Api) -> None:
    people = {
        "p1": ("VP Sales", "acme", True),  # 80: hot
        "p2": ("VP Ops", "acme", False),  # 30: warm
        "p3": ("Engineer", "beta", True),  # 50: warm
        "p4": ("Engineer", None, False),  # 0: cold
        "p5": ("vp growth", "beta", False),  # 30: warm
    }
    batch = []
    for cid, (title, account, _) in people.items():
        item: dict[str, Any] = {"contact_id": cid, "attributes": {"title": title}}
        if account:
            item["account_id"] = account
        batch.append(item)
    api.post("/contacts/batch", json={"contacts": batch})
    for cid, (_, _, demo) in people.items():
        if demo:
            _event(api, cid, "demo_request")
    api.runtime.flush()

    def ids(**params: Any) -> list[str]:
        response = api.get("/contacts", params=params)
        assert response.status_code == 200, response.text
        return [item["contact_id"] for item in response.json()["items"]]

    assert ids() == ["p1", "p3", "p2", "p5", "p4"]  # best first, ties by id
    assert ids(sort="total") == ["p4", "p2", "p5", "p3", "p1"]
    assert ids(sort="contact_id") == ["p1", "p2", "p3", "p4", "p5"]
    assert ids(sort="-contact_id") == ["p5", "p4", "p3", "p2", "p1"]
    assert ids(grade="warm") == ["p3", "p2", "p5"]
    assert ids(grade=["hot", "cold"]) == ["p1", "p4"]
    assert ids(stage="SQL") == ["p1"]
    assert ids(min_score=30) == ["p1", "p3", "p2", "p5"]
    assert ids(account="beta") == ["p3", "p5"]
    assert ids(account="beta", min_score=40) == ["p3"]
    page = api.get("/contacts", params={"page": 2, "page_size": 2}).json()
    assert [i["contact_id"] for i in page["items"]] == ["p2", "p5"]
    assert (page["total"], page["page"], page["page_size"]) == (5, 2, 2)
    assert page["items"][0]["reasons"] == "vp +30"
    assert api.get("/contacts", params={"page": 9}).json()["items"] == []
    for bad in ({"sort": "score"}, {"page": 0}, {"page_size": 501}, {"min_score": "nan"}):
        response = api.get("/contacts", params=bad)
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "invalid_request"


def test_history_lists_every_change_with_its_cause(api: Api) -> None:
    api.put("/contacts/hal", json={"attributes": {"title": "Engineer"}})
    api.runtime.flush()
    _event(api, "hal", "demo_request", days_ago=0)
    api.runtime.flush()
    api.put("/contacts/hal", json={"attributes": {"title": "VP"}})
    api.runtime.flush()
    api.clock.now += 31 * DAY  # the demo request expires
    assert api.post("/rescore").status_code == 200
    draft = api.post("/models", json={"yaml": _model_with_vp_points(70)})
    assert draft.status_code == 201, draft.text
    assert api.post(f"/models/{draft.json()['version']}/publish").status_code == 200

    response = api.get("/contacts/hal/history")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["cause"] for i in items] == ["model", "time", "attributes", "event", "attributes"]
    assert [(i["old"]["total"], i["new"]["total"]) for i in items] == [
        (30, 70),
        (80, 30),
        (50, 80),
        (0, 50),
        (None, 0),
    ]
    assert items[0]["model_version"] == 2
    assert items[1]["new"]["grade"] == "warm"
    assert response.json()["total"] == 5
    paged = api.get("/contacts/hal/history", params={"page": 2, "page_size": 2}).json()
    assert [i["cause"] for i in paged["items"]] == ["attributes", "event"]


def _model_with_vp_points(points: int) -> str:
    from tests.service.conftest import MODEL

    return MODEL.replace("points: 30", f"points: {points}")
