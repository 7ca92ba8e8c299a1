"""The alerts pages: webhook endpoints (create, change, delete, restore), the delivery log with
retries, and test-sends, against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadscore.web.queries.alerts import endpoint_fields, filter_text
from tests.web.conftest import MODEL, Site
from tests.web.harness import form_token

JSON = {"Accept": "application/json"}


@dataclass
class Receiver:
    """An HTTP server that answers every POST with ``status`` and keeps what it got."""

    url: str
    status: int = 200
    got: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            found.got.append({"headers": dict(self.headers), "body": json.loads(body)})
            self.send_response(found.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def _token(client: TestClient) -> str:
    return form_token(client.get("/alerts").text)


def _create(client: TestClient, url: str, **extra: Any) -> Any:
    data = {"csrf_token": _token(client), "url": url, **extra}
    return client.post("/alerts/endpoints", data=data)


def test_form_fields_and_filter_text() -> None:
    form = {"url": ["https://x.example/h"], "grades": ["hot", " "], "cooldown_s": ["60"]}
    fields = endpoint_fields(form)
    assert fields == {
        "url": "https://x.example/h",
        "grades": ["hot"],
        "stages": [],
        "directions": [],
        "cooldown_s": 60,
        "max_attempts": 8,
    }
    assert filter_text({"grades": ["hot", "warm"], "directions": ["up"]}) == (
        "every grade change: to grade hot or warm, moving up"
    )
    assert filter_text({}) == "every grade change"
    from leadscore.service.webhooks import InvalidWebhook

    with pytest.raises(InvalidWebhook, match="cooldown_s must be a whole number; got 'soon'"):
        endpoint_fields({"cooldown_s": ["soon"]})


def test_create_shows_the_secret_once_and_refuses_bad_urls(
    duck_site: Site, receiver: Receiver
) -> None:
    client = duck_site.signed_in()
    created = _create(client, receiver.url, grades=["hot"])
    assert created.status_code == 201
    endpoint = client.get("/alerts.json").json()["endpoints"][-1]
    assert endpoint["url"] == receiver.url
    assert endpoint["filter"]["grades"] == ["hot"]
    secret = duck_site.rows(
        "SELECT secret FROM webhooks WHERE endpoint_id = ?", [endpoint["endpoint_id"]]
    )[0]["secret"]
    assert secret in created.text
    assert secret not in client.get("/alerts").text  # shown on creation only
    assert secret not in client.get(f"/alerts/endpoints/{endpoint['endpoint_id']}").text

    refused = _create(client, "ftp://files.example/in")
    assert refused.status_code == 422
    assert "scheme" in refused.text
    assert 'value="ftp://files.example/in"' in refused.text  # what was typed stays
    assert len(client.get("/alerts.json").json()["endpoints"]) == 1


def test_forms_need_the_csrf_token(duck_site: Site, receiver: Receiver) -> None:
    client = duck_site.signed_in()
    answer = client.post("/alerts/endpoints", data={"url": receiver.url})
    assert answer.status_code == 403


def test_test_send_reaches_the_receiver(duck_site: Site, receiver: Receiver) -> None:
    client = duck_site.signed_in()
    endpoint = client.get("/alerts.json").json()["endpoints"][0]
    url = f"/alerts/endpoints/{endpoint['endpoint_id']}"
    receiver.got.clear()
    htmx = {"HX-Request": "true", "HX-Target": "test-result"}
    answer = client.post(f"{url}/test", data={"csrf_token": _token(client)}, headers=htmx)
    assert answer.status_code == 200
    assert "Test alert delivered: the endpoint answered HTTP 200" in answer.text
    assert "<html" not in answer.text
    assert len(receiver.got) == 1
    assert receiver.got[0]["body"]["test"] is True
    assert "X-Leadscore-Signature" in receiver.got[0]["headers"]
    receiver.status = 503
    try:
        failed = client.post(f"{url}/test", data={"csrf_token": _token(client)}, headers=JSON)
    finally:
        receiver.status = 200
    assert failed.json()["test"]["ok"] is False
    assert failed.json()["test"]["status_code"] == 503


def test_deliveries_are_logged_and_retried(duck_site: Site, receiver: Receiver) -> None:
    from leadscore.service.model_ops import publish_yaml
    from leadscore.service.webhooks import deliver_due

    client = duck_site.signed_in()
    endpoint = client.get("/alerts.json").json()["endpoints"][0]
    url = f"/alerts/endpoints/{endpoint['endpoint_id']}"
    runtime = duck_site.runtime
    with runtime.reader() as store:  # more hot leads: alerts to the endpoint
        publish_yaml(store, runtime, MODEL.replace("{grade: hot, min: 60", "{grade: hot, min: 40"))
    log = client.get(f"{url}.json").json()["log"]["items"]
    assert log
    assert {d["new_grade"] for d in log} == {"hot"}  # the endpoint's filter
    assert {d["status"] for d in log} == {"pending"}

    receiver.status = 500
    runtime.command(lambda s: deliver_due(s, duck_site.clock.now))
    failed = client.get(f"{url}.json?status=pending").json()["log"]["items"]
    assert failed[0]["attempts"] == 1
    assert failed[0]["last_status_code"] == 500
    page = client.get(url)
    assert "HTTP 500" in page.text

    token = form_token(page.text)
    retried = client.post(
        f"/alerts/deliveries/{failed[0]['delivery_id']}/retry", data={"csrf_token": token}
    )
    assert retried.status_code == 200
    assert "Queued the delivery again" in retried.text
    receiver.status = 200
    runtime.command(lambda s: deliver_due(s, duck_site.clock.now))
    entry = client.get(f"{url}.json?status=delivered").json()["log"]["items"]
    assert failed[0]["delivery_id"] in {d["delivery_id"] for d in entry}
    counts = next(
        e for e in client.get("/alerts.json").json()["endpoints"] if e["endpoint_id"] in url
    )["deliveries"]
    assert counts["delivered"] >= 1
    again = client.post(
        f"/alerts/deliveries/{failed[0]['delivery_id']}/retry", data={"csrf_token": token}
    )
    assert again.status_code == 409  # delivered already


def test_change_delete_and_restore(duck_site: Site, receiver: Receiver) -> None:
    client = duck_site.signed_in()
    endpoint = client.get("/alerts.json").json()["endpoints"][0]
    url = f"/alerts/endpoints/{endpoint['endpoint_id']}"
    token = _token(client)
    data = {"csrf_token": token, "url": receiver.url, "grades": ["hot", "warm"], "cooldown_s": "30"}
    assert client.post(url, data=data).status_code == 200
    changed = client.get(f"{url}.json").json()["endpoint"]
    assert changed["filter"]["grades"] == ["hot", "warm"]
    assert changed["cooldown_s"] == 30
    assert client.post(f"{url}/delete", data={"csrf_token": token}).status_code == 200
    assert client.get("/alerts.json").json()["endpoints"] == []
    assert client.get("/alerts.json?deleted_too=1").json()["endpoints"][0]["active"] is False
    refused = client.post(f"{url}/test", data={"csrf_token": token})
    assert refused.status_code == 409
    assert client.post(f"{url}/restore", data={"csrf_token": token}).status_code == 200
    assert client.get(f"{url}.json").json()["endpoint"]["active"] is True
    assert client.get("/alerts/endpoints/nope").status_code == 404
    assert client.get(f"{url}?status=lost").status_code == 400
