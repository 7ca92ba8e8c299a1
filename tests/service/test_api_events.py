"""/events and /outcomes: durable ingest, idempotency, per-item results, refused input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from leadscore.timeutil import UNIT_US, iso
from tests.service.api_fixtures import MAX_BATCH, MAX_BODY, Api, api_fixture  # noqa: F401  (fixtures)

DAY = UNIT_US["d"]


def _ann(api: Api) -> None:
    assert api.put("/contacts/ann", json={"attributes": {"title": "VP"}}).status_code == 200


def _ev(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"contact_id": "ann", "type": "demo_request", "ts": iso(api.clock.now - DAY)}
    body.update(fields)
    return body


def test_single_event_is_stored_once_and_scored(api: Api) -> None:
    _ann(api)
    first = api.post("/events", json=_ev(api, event_id="e1"))
    assert first.status_code == 200, first.text
    assert first.json() == {"status": "accepted", "event_id": "e1"}
    # durable before the response: the row is there without waiting for the scorer
    assert api.rows("SELECT event_id, type FROM events") == [
        {"event_id": "e1", "type": "demo_request"}
    ]
    again = api.post("/events", json=_ev(api, event_id="e1", type="other"))
    assert again.json() == {"status": "duplicate", "event_id": "e1"}
    assert api.count("events") == 1
    api.runtime.flush()
    assert api.get("/contacts/ann").json()["score"]["total"] == 80


def test_events_without_id_are_identified_by_content(api: Api) -> None:
    _ann(api)
    body = _ev(api, properties={"url": "/pricing", "utm": {"source": "ads"}})
    first = api.post("/events", json=body).json()
    assert first["status"] == "accepted"
    assert first["event_id"].startswith("h:")
    assert api.post("/events", json=body).json() == {
        "status": "duplicate",
        "event_id": first["event_id"],
    }
    stored = api.rows("SELECT properties FROM events")[0]["properties"]
    loaded = stored if isinstance(stored, dict) else json.loads(stored)
    assert loaded == {"url": "/pricing", "utm.source": "ads"}


def test_refused_events_are_4xx_and_write_nothing(api: Api) -> None:
    _ann(api)
    now = api.clock.now
    cases = [
        (_ev(api, contact_id="nobody"), 422, "rejected", "unknown contact_id 'nobody'"),
        (_ev(api, ts=iso(now + 2 * DAY)), 422, "invalid_value", "more than 1 day after now"),
        (_ev(api, ts="1969-12-31T23:59:59Z"), 422, "invalid_value", "before 1970-01-01"),
        (_ev(api, ts="last tuesday"), 422, "invalid_value", "not an ISO 8601"),
        (_ev(api, ts=1717200000), 422, "invalid_request", "valid string"),
        (_ev(api, type=""), 422, "invalid_value", "type: is required"),
        (_ev(api, contact_id=None), 422, "invalid_request", "contact_id"),
        (_ev(api, colour="red"), 422, "invalid_request", "Extra inputs are not permitted"),
        (_ev(api, properties="url=/x"), 422, "invalid_request", "valid dictionary"),
        (_ev(api, event_id="x" * 201), 422, "invalid_value", "at most 200"),
        ([_ev(api)], 422, "invalid_request", "valid dictionary"),
    ]
    for body, status, code, words in cases:
        response = api.post("/events", json=body)
        assert response.status_code == status, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == code, (body, error)
        assert words in error["message"], (body, error)
    # exactly one day ahead is tolerated (clock skew)
    assert api.post("/events", json=_ev(api, ts=iso(now + DAY))).json()["status"] == "accepted"
    assert api.count("events") == 1


def test_malformed_json_is_400(api: Api) -> None:
    for raw in (b"{", b'{"contact_id": "ann",}', b"\xff\xfe", b""):
        response = api.client.post(
            "/api/v1/events",
            content=raw,
            headers={**api.headers, "Content-Type": "application/json"},
        )
        assert response.status_code in (400, 422), raw
        assert response.json()["error"]["code"] in ("malformed_json", "invalid_request")
    response = api.client.post(
        "/api/v1/events", content=b"{", headers={**api.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("the request body is not valid JSON")
    assert api.count("events") == 0


def test_batch_reports_each_event_and_writes_only_the_accepted(api: Api) -> None:
    _ann(api)
    api.post("/events", json=_ev(api, event_id="old"))
    now = api.clock.now
    batch = [
        _ev(api, event_id="b1"),
        _ev(api, event_id="old"),
        _ev(api, event_id="b1"),
        _ev(api, event_id="b2", contact_id="nobody"),
        _ev(api, event_id="b3", ts=iso(now + 3 * DAY)),
        _ev(api, event_id="b4", type="page_view", properties={"url": "/pricing"}),
    ]
    response = api.post("/events/batch", json={"events": batch})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(r["status"], r["id"]) for r in body["results"]] == [
        ("accepted", "b1"),
        ("duplicate", "old"),
        ("duplicate", "b1"),
        ("rejected", "b2"),
        ("rejected", "b3"),
        ("accepted", "b4"),
    ]
    assert "unknown contact_id 'nobody'" in body["results"][3]["reason"]
    assert "more than 1 day after now" in body["results"][4]["reason"]
    assert body["counts"] == {"accepted": 2, "duplicate": 2, "rejected": 2}
    stored = [r["event_id"] for r in api.rows("SELECT event_id FROM events ORDER BY 1")]
    assert stored == ["b1", "b4", "old"]


def test_properties_nested_too_deeply_are_refused_as_their_item(api: Api) -> None:
    """However deep (past the interpreter's recursion limit too), a single event is a 422
    naming the field, and a batch rejects that item alone."""
    from leadscore.values import MAX_DEPTH

    _ann(api)

    def nested(depth: int) -> Any:
        value: Any = "x"
        for _ in range(depth):
            value = {"k": value}
        return value

    for depth in (MAX_DEPTH + 1, 900):
        body = json.dumps(_ev(api, event_id=f"deep{depth}", properties=nested(depth)))
        response = api.client.post(
            "/api/v1/events",
            content=body,
            headers={**api.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert f"at most {MAX_DEPTH} levels" in response.json()["error"]["message"]
    batch = [_ev(api, event_id="flat"), _ev(api, event_id="deep", properties=nested(MAX_DEPTH + 1))]
    results = api.post("/events/batch", json={"events": batch}).json()["results"]
    assert [(r["id"], r["status"]) for r in results] == [("flat", "accepted"), ("deep", "rejected")]
    assert f"at most {MAX_DEPTH} levels" in results[1]["reason"]
    assert api.rows("SELECT event_id FROM events") == [{"event_id": "flat"}]


def test_batch_that_breaks_the_schema_writes_nothing(api: Api) -> None:
    _ann(api)
    batch = [_ev(api, event_id="ok"), _ev(api, event_id="bad", ts=12)]
    response = api.post("/events/batch", json={"events": batch})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "events", 1, "ts"]
    assert api.post("/events/batch", json={"events": []}).status_code == 422
    assert api.post("/events/batch", json=batch).status_code == 422
    assert api.count("events") == 0


def test_oversized_batch_is_413_and_writes_nothing(api: Api) -> None:
    _ann(api)
    batch = [_ev(api, event_id=f"e{i}") for i in range(MAX_BATCH + 1)]
    response = api.post("/events/batch", json={"events": batch})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "batch_too_large"
    assert f"at most {MAX_BATCH} events" in error["message"]
    assert api.count("events") == 0
    full = api.post("/events/batch", json={"events": batch[:MAX_BATCH]})
    assert full.json()["counts"] == {"accepted": MAX_BATCH}
    contacts = [{"contact_id": f"c{i}"} for i in range(MAX_BATCH + 1)]
    assert api.post("/contacts/batch", json={"contacts": contacts}).status_code == 413
    assert api.count("contacts") == 1


def test_body_larger_than_the_limit_is_413(api: Api) -> None:
    _ann(api)
    big = _ev(api, properties={"blob": "x" * MAX_BODY})
    response = api.post("/events", json=big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert str(MAX_BODY) in response.json()["error"]["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts what arrives
        text = json.dumps(big).encode()
        for start in range(0, len(text), 4096):
            yield text[start : start + 4096]

    streamed = api.client.post(
        "/api/v1/events",
        content=chunks(),
        headers={**api.headers, "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    assert streamed.json()["error"]["code"] == "too_large"
    assert api.count("events") == 0


def test_outcomes_single_and_batch(api: Api) -> None:
    _ann(api)
    ts = iso(api.clock.now - DAY)
    won = api.post("/outcomes", json={"contact_id": "ann", "type": "Won", "ts": ts, "value": 1200})
    assert won.status_code == 200, won.text
    assert won.json()["status"] == "accepted"
    outcome_id = won.json()["outcome_id"]
    again = api.post(
        "/outcomes", json={"contact_id": "ann", "type": "won", "ts": ts, "value": 1200}
    )
    assert again.json() == {"status": "duplicate", "outcome_id": outcome_id}
    typo = api.post("/outcomes", json={"contact_id": "ann", "type": "wonn", "ts": ts})
    assert typo.status_code == 422
    assert "Did you mean 'won'?" in typo.json()["error"]["message"]
    unknown = api.post("/outcomes", json={"contact_id": "zz", "type": "lost", "ts": ts})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "rejected"
    batch = [
        {"outcome_id": "o1", "contact_id": "ann", "type": "converted", "ts": ts},
        {
            "outcome_id": "o2",
            "contact_id": "ann",
            "type": "lost",
            "ts": iso(api.clock.now + 9 * DAY),
        },
        {"outcome_id": "o3", "contact_id": "zz", "type": "lost", "ts": ts},
    ]
    response = api.post("/outcomes/batch", json={"outcomes": batch})
    assert [r["status"] for r in response.json()["results"]] == ["accepted", "rejected", "rejected"]
    rows = api.rows("SELECT outcome_id, type, value FROM outcomes ORDER BY type")
    assert [(r["type"], r["value"]) for r in rows] == [("converted", None), ("won", 1200.0)]
