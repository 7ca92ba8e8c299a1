"""The single-event fast path (service/api/fast_events.py): it answers the common request as the
route would, and hands everything else to the route with the body intact."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadscore.service.api.fast_events import FastEvents
from leadscore.service.app import create_app
from leadscore.service.runtime import Runtime
from leadscore.timeutil import UNIT_US, iso
from tests.service.api_fixtures import MAX_BODY, new_key, settings
from tests.service.conftest import Clock

PATH = "/api/v1/events"
DAY = UNIT_US["d"]


@pytest.fixture(name="ann_runtime")
def ann_runtime_fixture(runtime: Runtime) -> Runtime:
    """The ``runtime`` fixture (DuckDB and PostgreSQL) with the contact ann."""
    from leadscore.records import Contact

    runtime.upsert_contacts([Contact("ann", {"title": "VP"})])
    return runtime


class Route:
    """Stands for the FastAPI app below the middleware: records each body it is given."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        self.bodies.append(b"".join(chunks))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"route"})


def call(
    app: Any,
    body: bytes,
    headers: dict[str, str],
    *,
    method: str = "POST",
    path: str = PATH,
    parts: int = 1,
    length: bool = True,
    gone: bool = False,
) -> tuple[Route, int, bytes]:
    """Send one request through ``FastEvents`` over a recording route; ``parts`` splits the
    body into that many messages; ``gone``: the client goes away before the last one."""
    route = Route()
    middleware = FastEvents(route, PATH, MAX_BODY)
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if length:
        raw.append((b"content-length", str(len(body)).encode()))
    size = max(1, -(-len(body) // parts))
    pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [
        {"type": "http.request", "body": piece, "more_body": i < len(pieces) - 1}
        for i, piece in enumerate(pieces)
    ]
    if gone:
        messages.pop()
    scope = {"type": "http", "method": method, "path": path, "headers": raw, "app": app}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(middleware(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return route, status, content


def _event(clock: Clock, **fields: Any) -> dict[str, Any]:
    body = {"contact_id": "ann", "type": "demo_request", "ts": iso(clock.now - DAY)}
    body.update(fields)
    return body


def app_over(runtime: Runtime, fast: bool = True) -> Any:
    """The service's app over ``runtime``, with the fast path or without it (then the route
    answers everything)."""
    return create_app(replace(settings(), fast_events=fast), {runtime.name: runtime})


def keyed_app(runtime: Runtime) -> tuple[Any, str, dict[str, str]]:
    """The app over ``runtime`` with the fast path, a new key of its workspace, and the
    headers of a JSON body sent with that key."""
    _, key = new_key(runtime)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return app_over(runtime), key, headers


def test_the_common_request_is_answered_without_the_route(
    ann_runtime: Runtime, clock: Clock
) -> None:
    app, key, bearer = keyed_app(ann_runtime)
    body = json.dumps(_event(clock, event_id="e1")).encode()
    for headers, parts, expected in [
        (bearer, 1, "accepted"),  # a key never used yet is read (then remembered on DuckDB)
        (bearer, 3, "duplicate"),  # a body in several messages, read whole
        ({"X-API-Key": key, "Content-Type": "application/json"}, 1, "duplicate"),
        (
            {"authorization": f"bearer  {key} ", "content-type": "Application/JSON; charset=utf-8"},
            1,
            "duplicate",
        ),
    ]:
        route, status, content = call(app, body, headers, parts=parts)
        assert route.bodies == [], headers
        assert (status, json.loads(content)) == (200, {"status": expected, "event_id": "e1"})
    with ann_runtime.reader() as store:
        assert store.rows("SELECT event_id, contact_id FROM events") == [
            {"event_id": "e1", "contact_id": "ann"}
        ]

    # an event the writer refuses gets the route's own error, and nothing is written
    unknown = json.dumps(_event(clock, event_id="e2", contact_id="nobody")).encode()
    route, status, content = call(app, unknown, bearer)
    assert route.bodies == []
    expected = TestClient(app_over(ann_runtime, fast=False)).post(
        PATH, content=unknown, headers=bearer
    )
    assert (status, json.loads(content)) == (422, expected.json())
    assert expected.json()["error"]["code"] == "rejected"
    with ann_runtime.reader() as store:
        assert store.scalar("SELECT count(*) FROM events") == 1


def test_everything_unusual_goes_to_the_route_with_its_body(
    ann_runtime: Runtime, clock: Clock
) -> None:
    app, key, good = keyed_app(ann_runtime)
    event = json.dumps(_event(clock, event_id="x1")).encode()
    future = json.dumps(_event(clock, ts=iso(clock.now + 2 * DAY))).encode()
    cases: list[tuple[str, bytes, dict[str, str], dict[str, Any]]] = [
        ("no key", event, {}, {}),
        ("a wrong key", event, {"Authorization": f"Bearer {key}x"}, {}),
        ("another scheme", event, {"Authorization": f"Basic {key}"}, {}),
        ("no content type", event, {"Authorization": f"Bearer {key}"}, {}),
        ("another content type", event, {**good, "Content-Type": "text/plain"}, {}),
        ("a JSON subtype", event, {**good, "Content-Type": "application/merge+json"}, {}),
        ("no declared length", event, good, {"length": False}),
        ("a body over the limit", b" " * (MAX_BODY + 1), good, {}),
        ("malformed JSON", b'{"contact_id": ', good, {}),
        ("a list", b"[]", good, {}),
        ("JSON nested too deeply to parse", b"[" * 30_000 + b"]" * 30_000, good, {}),
        ("an unknown field", json.dumps(_event(clock, colour="red")).encode(), good, {}),
        ("a refused value", json.dumps(_event(clock, ts="last tuesday")).encode(), good, {}),
        ("a future time", future, good, {}),
        ("another method", event, good, {"method": "PUT"}),
        ("the batch route", event, good, {"path": PATH + "/batch"}),
    ]
    for what, body, headers, options in cases:
        route, status, content = call(app, body, headers, parts=2, **options)
        assert (status, content, route.bodies) == (299, b"route", [body]), what
    # a client that goes away mid-body: the route gets what came, and the disconnect
    route, status, _ = call(app, event, good, parts=2, gone=True)
    assert (status, route.bodies) == (299, [event[: -(-len(event) // 2)]])
    with ann_runtime.reader() as store:
        assert store.scalar("SELECT count(*) FROM events") == 0


def test_answers_match_the_route_alone(ann_runtime: Runtime, clock: Clock) -> None:
    """The same requests through the app with and without the fast path: same statuses,
    bodies and headers (each app sends its own ids, of the same length)."""
    _, key = new_key(ann_runtime)
    headers = {"Authorization": f"Bearer {key}"}
    apps = {
        "fast": app_over(ann_runtime),
        "slow": app_over(ann_runtime, fast=False),
    }
    wrong = {"Authorization": f"Bearer {key[:-2]}xx"}
    # (event, headers, sent as JSON with its content type)
    requests: list[tuple[dict[str, Any], dict[str, str], bool]] = [
        (_event(clock, event_id="{}-1"), headers, True),
        (_event(clock, event_id="{}-1", type="page_view"), headers, True),
        (_event(clock, event_id="{}-2", properties={"url": "/pricing", "n": 1.5}), headers, True),
        (_event(clock, event_id="{}-3", contact_id="nobody"), headers, True),
        (_event(clock, event_id="{}-4", ts=iso(clock.now + 2 * DAY)), headers, True),
        (_event(clock, event_id="{}-5", colour="red"), headers, True),
        (_event(clock, event_id="{}-" + "x" * 200), headers, True),
        (_event(clock, event_id="{}-6"), headers, False),  # no content type: not read as JSON
        (_event(clock, event_id="{}-7"), wrong, True),
        (_event(clock, event_id="{}-8"), {"X-API-Key": key}, True),
    ]
    answers: dict[str, list[tuple[int, str, str | None, Any]]] = {}
    for name, app in apps.items():
        with TestClient(app) as client:
            answers[name] = []
            for request, sent_headers, as_json in requests:
                body = json.loads(json.dumps(request).replace("{}", name))
                if as_json:
                    response = client.post(PATH, json=body, headers=sent_headers)
                else:
                    raw = json.dumps(body).encode()
                    response = client.post(PATH, content=raw, headers=sent_headers)
                text = response.text.replace(name, "{}")
                answers[name].append(
                    (
                        response.status_code,
                        response.headers["content-type"],
                        response.headers.get("www-authenticate"),
                        json.loads(text),
                    )
                )
    assert answers["fast"] == answers["slow"]
    statuses = [a[0] for a in answers["fast"]]
    assert statuses == [200, 200, 200, 422, 422, 422, 422, 422, 401, 200]
