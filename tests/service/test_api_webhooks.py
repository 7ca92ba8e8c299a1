"""/webhooks and /deliveries; /alerts; /rescore, /health, /ready."""

from __future__ import annotations

import json
from typing import Any

from leadscore.service.webhooks import deliver_due, verify
from leadscore.timeutil import UNIT_US, iso
from tests.service.api_fixtures import Api, api_fixture  # noqa: F401  (fixtures)

DAY = UNIT_US["d"]


def _heat_up(api: Api, contact: str = "ann") -> None:
    """A contact that goes from warm to hot: one alert."""
    api.put(f"/contacts/{contact}", json={"attributes": {"title": "VP"}})
    api.runtime.flush()
    ts = iso(api.clock.now - DAY)
    api.post("/events", json={"contact_id": contact, "type": "demo_request", "ts": ts})
    api.runtime.flush()


def _deliver(api: Api) -> int:
    def post(url: str, body: bytes, headers: Any) -> int:
        api.posted.append((url, body, dict(headers)))
        return 500 if "fail" in url else 204

    with api.runtime.reader() as store:
        return deliver_due(store, api.clock.now, post)


def test_webhook_crud(api: Api) -> None:
    created = api.post(
        "/webhooks", json={"url": "https://crm.example/hook", "grades": ["hot"], "cooldown_s": 60}
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["filter"] == {"grades": ["hot"], "stages": [], "directions": []}
    endpoint_id = endpoint["endpoint_id"]
    got = api.get(f"/webhooks/{endpoint_id}").json()
    assert "secret" not in got
    assert got["url"] == "https://crm.example/hook"
    changed = api.patch(f"/webhooks/{endpoint_id}", json={"directions": ["up"], "max_attempts": 3})
    assert changed.status_code == 200, changed.text
    assert changed.json()["filter"]["directions"] == ["up"]
    assert changed.json()["filter"]["grades"] == ["hot"]  # fields not sent stay
    assert changed.json()["max_attempts"] == 3
    assert [e["endpoint_id"] for e in api.get("/webhooks").json()["items"]] == [endpoint_id]
    deleted = api.delete(f"/webhooks/{endpoint_id}")
    assert deleted.status_code == 200
    assert deleted.json()["active"] is False
    assert api.get("/webhooks").json()["items"] == []
    assert len(api.get("/webhooks", params={"include_deleted": True}).json()["items"]) == 1
    assert api.get(f"/webhooks/{endpoint_id}").json()["active"] is False


def test_webhook_input_is_checked(api: Api) -> None:
    cases = [
        ({"url": "ftp://crm.example/x"}, "invalid_webhook"),
        ({"url": "https://user:secret@crm.example/x"}, "invalid_webhook"),
        ({"url": "https://crm.example/x", "secret": "short"}, "invalid_webhook"),
        ({"url": "https://crm.example/x", "directions": ["sideways"]}, "invalid_request"),
        ({"url": "https://crm.example/x", "max_attempts": 0}, "invalid_request"),
        ({"url": "https://crm.example/x", "colour": "red"}, "invalid_request"),
    ]
    for body, code in cases:
        response = api.post("/webhooks", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == code
        assert "secret@" not in response.text
    assert api.count("webhooks") == 0
    for method, path in (
        ("GET", "/webhooks/nope"),
        ("PATCH", "/webhooks/nope"),
        ("DELETE", "/webhooks/nope"),
        ("GET", "/webhooks/nope/deliveries"),
        ("POST", "/webhooks/nope/test"),
        ("POST", "/deliveries/nope/retry"),
    ):
        kwargs: dict[str, Any] = {"json": {}} if method == "PATCH" else {}
        response = api.client.request(method, f"/api/v1{path}", headers=api.headers, **kwargs)
        assert response.status_code == 404, (method, path, response.text)


def test_alerts_deliveries_test_send_and_retry(api: Api) -> None:
    good = api.post("/webhooks", json={"url": "https://crm.example/ok"}).json()
    bad = api.post("/webhooks", json={"url": "https://crm.example/fail", "max_attempts": 1}).json()
    _heat_up(api)

    alerts = api.get("/alerts").json()
    assert alerts["total"] == 1
    alert = alerts["items"][0]
    assert (alert["contact_id"], alert["old"]["grade"], alert["new"]["grade"]) == (
        "ann",
        "warm",
        "hot",
    )
    assert alert["direction"] == "up"
    assert [r["rule"] for r in alert["reasons"]] == ["demo", "vp"]
    assert api.get("/alerts", params={"contact_id": "bob"}).json()["total"] == 0
    assert api.get("/alerts", params={"contact_id": "ann"}).json()["total"] == 1

    log = api.get(f"/webhooks/{good['endpoint_id']}/deliveries").json()["items"]
    assert [(d["status"], d["alert_id"]) for d in log] == [("pending", alert["alert_id"])]
    assert _deliver(api) == 2
    sent = {url: (body, headers) for url, body, headers in api.posted}
    body, headers = sent["https://crm.example/ok"]
    assert json.loads(body)["contact_id"] == "ann"
    assert verify(good["secret"], body, headers["X-Leadscore-Signature"], api.clock.now // 10**6)
    delivered = api.get(f"/webhooks/{good['endpoint_id']}/deliveries").json()["items"]
    assert delivered[0]["status"] == "delivered"
    dead = api.get(f"/webhooks/{bad['endpoint_id']}/deliveries", params={"status": "dead"})
    [failed] = dead.json()["items"]
    assert failed["last_status_code"] == 500
    assert (
        api.get(f"/webhooks/{bad['endpoint_id']}/deliveries", params={"status": "x"}).status_code
        == 422
    )

    retried = api.post(f"/deliveries/{failed['delivery_id']}/retry")
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)
    refused = api.post(f"/deliveries/{delivered[0]['delivery_id']}/retry")
    assert refused.status_code == 409
    assert "delivered already" in refused.json()["error"]["message"]

    api.posted.clear()
    test = api.post(f"/webhooks/{good['endpoint_id']}/test")
    assert test.status_code == 200, test.text
    assert test.json()["ok"] is True
    assert test.json()["status_code"] == 204
    assert json.loads(api.posted[0][1])["test"] is True
    api.delete(f"/webhooks/{good['endpoint_id']}")
    assert api.post(f"/webhooks/{good['endpoint_id']}/test").status_code == 409


def test_rescore_time_and_full(api: Api) -> None:
    _heat_up(api)
    api.clock.now += 31 * DAY  # the demo request expires: hot -> warm
    timed = api.post("/rescore")
    assert timed.status_code == 200, timed.text
    assert timed.json()["mode"] == "time"
    assert timed.json()["changed_grade"] == 1
    assert timed.json()["as_of"] == iso(api.clock.now)
    assert api.get("/contacts/ann").json()["score"]["grade"] == "warm"
    assert api.get("/alerts").json()["items"][0]["cause"] == "time"
    full = api.post("/rescore", params={"full": True})
    assert full.status_code == 200
    assert (full.json()["mode"], full.json()["rescored"], full.json()["changed_grade"]) == (
        "full",
        1,
        0,
    )
    assert api.post("/rescore", params={"full": "maybe"}).status_code == 422


def test_health_and_ready(api: Api) -> None:
    assert api.client.get("/api/v1/health").json() == {"status": "ok"}
    ready = api.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {
        "ready": True,
        "workspace": api.runtime.name,
        "model_version": 1,
        "checks": {"database": True, "scorer": True, "model": True},
    }
