"""Webhooks: endpoints, signatures, the outbox's filters and cooldown, delivery with retries,
backoff, dead-letter and timeouts, the delivery log, against a real HTTP receiver, on both
engines."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from leadscore.records import Contact, Event
from leadscore.service.runtime import Runtime
from leadscore.service.webhooks import (
    DeliveryWorker,
    InvalidWebhook,
    WebhookError,
    WebhookNotFound,
    backoff_s,
    create_endpoint,
    delete_endpoint,
    deliver_due,
    delivery_log,
    get_endpoint,
    http_post,
    list_endpoints,
    retry,
    rotate_secret,
    send_test,
    sign,
    update_endpoint,
    validate_url,
    verify,
)
from leadscore.store.base import Store
from leadscore.timeutil import UNIT_US
from tests.service.conftest import Clock

DAY = UNIT_US["d"]
SECOND = UNIT_US["s"]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


# ---------------------------------------------------------------------------------- a receiver
@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signed: bool

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


class Receiver:
    """A real HTTP server on 127.0.0.1 that checks each request's signature with ``verify``
    at the test clock's time and answers the scripted status codes (then ``default``)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.secret = ""
        self.answers: list[int] = []
        self.default = 200
        self.delay_s = 0.0
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signed = verify(
                    receiver.secret,
                    body,
                    self.headers.get("X-Leadscore-Signature", ""),
                    now=receiver.clock.now / SECOND,
                )
                with receiver.lock:
                    receiver.requests.append(
                        Received(
                            self.path, {k.lower(): v for k, v in self.headers.items()}, body, signed
                        )
                    )
                    status = receiver.answers.pop(0) if receiver.answers else receiver.default
                time.sleep(receiver.delay_s)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the client gave up (timeout tests)
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/leadscore?src=test"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(clock: Clock) -> Iterator[Receiver]:
    r = Receiver(clock)
    yield r
    r.close()


@pytest.fixture
def store(engine: Callable[[], Store]) -> Iterator[Store]:
    s = engine()
    s.init_schema()
    yield s
    s.close()


def _endpoint(rt: Runtime, receiver: Receiver, **options: Any) -> str:
    with rt.reader() as store:
        endpoint, secret = create_endpoint(store, receiver.url, **options)
    receiver.secret = secret
    return endpoint.endpoint_id


def _contact(rt: Runtime, contact_id: str, title: str = "VP Sales") -> None:
    """A new lead: a VP scores 30 (warm); a new lead alerts nothing."""
    rt.upsert_contacts([Contact(contact_id, {"title": title})])
    rt.flush()


def _event(
    rt: Runtime, clock: Clock, contact_id: str, kind: str = "demo_request", **p: str
) -> None:
    rt.ingest_events([Event(f"{contact_id}-{kind}-{clock.now}", contact_id, kind, clock.now, p)])
    rt.flush()


def _heat(rt: Runtime, clock: Clock, contact_id: str = "ann") -> None:
    """warm (30) -> hot (80): one alert."""
    _contact(rt, contact_id)
    _event(rt, clock, contact_id)


def _deliveries(rt: Runtime, endpoint_id: str | None = None) -> list[dict[str, Any]]:
    with rt.reader() as store:
        sql = "SELECT * FROM deliveries"
        params: list[Any] = []
        if endpoint_id is not None:
            sql += " WHERE endpoint_id = ?"
            params.append(endpoint_id)
        return store.rows(sql + " ORDER BY created_at_us, delivery_id", params)


def _deliver(rt: Runtime, clock: Clock, post: Any = None, **options: Any) -> int:
    with rt.reader() as store:
        return deliver_due(store, clock.now, post or http_post(2.0), **options)


# ---------------------------------------------------------------------------------- signatures
def test_signature_is_hmac_sha256_of_timestamp_and_body() -> None:
    body = b'{"alert_id": "a1"}'
    header = sign("whsec_test", body, 1_700_000_000)
    expected = hmac.new(b"whsec_test", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert verify("whsec_test", body, header, now=1_700_000_100)
    assert not verify("whsec_test", body + b" ", header, now=1_700_000_100)  # body changed
    assert not verify("whsec_other", body, header, now=1_700_000_100)  # wrong secret
    assert not verify("whsec_test", body, header, now=1_700_000_301)  # too old: replay
    assert verify("whsec_test", body, header, now=1_700_000_400, tolerance_s=400)
    # during a secret rotation a header may carry several signatures; one match is enough
    rotated = f"{header},v1={'0' * 64}"
    assert verify("whsec_test", body, rotated, now=1_700_000_000)
    for malformed in ["", "t=1700000000", f"v1={expected}", "t=abc,v1=00", "garbage", "t=²,v1=0"]:
        assert not verify("whsec_test", body, malformed, now=1_700_000_000)


def test_backoff_doubles_from_five_seconds_with_jitter_and_stops_at_an_hour() -> None:
    rng = random.Random(7)
    for attempt in range(1, 15):
        nominal = 5.0 * 2 ** (attempt - 1)
        waits = [backoff_s(attempt, rng) for _ in range(50)]
        assert all(min(3600.0, 0.8 * nominal) <= w <= min(3600.0, 1.2 * nominal) for w in waits)
        if nominal * 1.2 < 3600:
            assert len(set(waits)) > 1  # jittered, so retries of many endpoints spread out
    assert backoff_s(40, rng) == 3600.0


# ---------------------------------------------------------------------------------- endpoints
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "scheme 'http' or 'https'; got 'ftp'"),
        ("htps://example.com/hook", "Did you mean 'https'?"),
        ("example.com/hook", "got none"),
        ("https:///hook", "has no host"),
        ("https://example.com:99999/hook", "invalid port"),
        ("https://example.com/hook#part", "#fragment"),
        ("https://example.com/a hook", "spaces"),
        ("https://exämple.com/hook", "ASCII"),
        ("", "empty"),
    ],
)
def test_invalid_urls_are_refused_with_the_reason(url: str, message: str) -> None:
    with pytest.raises(InvalidWebhook, match=re.escape(message)):
        validate_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://alice:hunter2-Pa55@example.com/hook",
        "http://:hunter2-Pa55@example.com/hook",
        "ftp://alice:hunter2-Pa55@example.com/hook",  # credentials are reported before the scheme
    ],
)
def test_credentials_in_urls_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(InvalidWebhook, match="user name or password") as caught:
        validate_url(url)
    assert "hunter2" not in str(caught.value)
    assert "alice" not in str(caught.value)


def test_valid_urls_are_kept() -> None:
    for url in ["https://hooks.example.com/x?y=1", "http://127.0.0.1:8080/", "http://[::1]:9/a"]:
        assert validate_url(f"  {url} ") == url


def test_endpoints_are_created_listed_updated_and_deleted(store: Store) -> None:
    endpoint, secret = create_endpoint(
        store, "https://crm.example.com/hook", grades=["hot", "hot"], directions=["up"], now_us=5
    )
    assert secret.startswith("whsec_")
    assert len(secret) > 40
    assert endpoint.filter.grades == ("hot",)  # duplicates dropped
    shown = endpoint.as_dict()
    assert secret not in json.dumps(shown)
    assert "secret" not in shown
    assert shown["filter"] == {"grades": ["hot"], "stages": [], "directions": ["up"]}
    assert shown["created_at"] == "1970-01-01T00:00:00.000005Z"
    other, other_secret = create_endpoint(store, "http://127.0.0.1:9/x", secret="x" * 20, now_us=6)
    assert other_secret == "x" * 20
    assert [e.endpoint_id for e in list_endpoints(store)] == [
        endpoint.endpoint_id,
        other.endpoint_id,
    ]
    assert get_endpoint(store, endpoint.endpoint_id) == endpoint

    changed = update_endpoint(store, endpoint.endpoint_id, stages=["SQL"], cooldown_s=3600)
    assert (changed.filter.grades, changed.filter.stages, changed.cooldown_s) == (
        ("hot",),
        ("SQL",),
        3600,
    )
    cleared = update_endpoint(store, endpoint.endpoint_id, grades=[])
    assert cleared.filter.grades == ()
    assert get_endpoint(store, endpoint.endpoint_id) == cleared

    new_secret = rotate_secret(store, endpoint.endpoint_id)
    assert new_secret != secret
    assert new_secret.startswith("whsec_")

    deleted = delete_endpoint(store, endpoint.endpoint_id, now_us=7)
    assert not deleted.active
    assert [e.endpoint_id for e in list_endpoints(store)] == [other.endpoint_id]
    assert len(list_endpoints(store, include_deleted=True)) == 2
    assert update_endpoint(store, endpoint.endpoint_id, active=True).active

    with pytest.raises(WebhookNotFound, match="no webhook endpoint 'nope'"):
        get_endpoint(store, "nope")
    with pytest.raises(WebhookNotFound):
        update_endpoint(store, "nope", cooldown_s=1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"directions": ["dwon"]}, "among 'down', 'new' or 'up'; got 'dwon' Did you mean 'down'?"),
        ({"grades": "hot"}, "grades must be a list"),
        ({"stages": [""]}, "non-empty strings"),
        ({"cooldown_s": -1}, "cooldown_s must be between 0 and"),
        ({"max_attempts": 0}, "max_attempts must be between 1 and 50; got 0"),
        ({"max_attempts": 51}, "between 1 and 50; got 51"),
        ({"max_attempts": True}, "whole number"),
        ({"secret": "short-Pa55"}, "16 to 256 characters"),
        ({"secret": "with a space Pa55 inside"}, "printable ASCII"),
    ],
)
def test_invalid_endpoint_options_are_refused_and_nothing_is_stored(
    store: Store, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidWebhook, match=re.escape(message)) as caught:
        create_endpoint(store, "https://example.com/hook", **options)
    assert "Pa55" not in str(caught.value)
    assert store.scalar("SELECT count(*) FROM webhooks") == 0


# ---------------------------------------------------------------------------------- end to end
def test_a_lead_turning_hot_reaches_the_receiver_signed(
    runtime: Runtime, clock: Clock, receiver: Receiver
) -> None:
    endpoint_id = _endpoint(runtime, receiver)
    _heat(runtime, clock)
    [pending] = _deliveries(runtime)
    assert (pending["status"], pending["attempts"]) == ("pending", 0)

    assert _deliver(runtime, clock) == 1
    [got] = receiver.requests
    assert got.signed
    assert got.path == "/hooks/leadscore?src=test"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-leadscore-delivery"] == pending["delivery_id"]
    assert got.headers["x-leadscore-attempt"] == "1"
    with runtime.reader() as store:
        [alert] = store.rows("SELECT * FROM alerts")
    assert got.body == alert["payload"].encode("utf-8")  # exactly the stored payload
    payload = got.payload
    assert payload["alert_id"] == alert["alert_id"] == pending["alert_id"]
    assert payload["type"] == "lead.grade_changed"
    assert (payload["workspace"], payload["contact_id"], payload["cause"]) == (
        "test",
        "ann",
        "event",
    )
    assert payload["direction"] == "up"
    assert payload["old"] == {"grade": "warm", "stage": "MQL", "total": 30.0}
    assert payload["new"] == {"grade": "hot", "stage": "SQL", "total": 80.0}
    assert {"rule": "demo", "points": 50.0} in [
        {"rule": r["rule"], "points": r["points"]} for r in payload["reasons"]
    ]

    with runtime.reader() as store:
        [entry] = delivery_log(store)
        assert delivery_log(store, endpoint_id=endpoint_id, status="delivered") == [entry]
        assert delivery_log(store, status="dead") == []
        assert delivery_log(store, contact_id="ann") == [entry]
    assert entry["status"] == "delivered"
    assert (entry["attempts"], entry["last_status_code"], entry["last_error"]) == (1, 200, None)
    assert (entry["contact_id"], entry["old_grade"], entry["new_grade"]) == ("ann", "warm", "hot")
    assert entry["next_attempt_at"] is None
    assert entry["created_at"] == "2024-06-01T00:00:00Z"
    # nothing is due any more
    assert _deliver(runtime, clock) == 0
    assert len(receiver.requests) == 1


def test_the_documented_payload_and_receiver_match_the_real_ones(
    runtime: Runtime, clock: Clock, receiver: Receiver
) -> None:
    _endpoint(runtime, receiver)
    _heat(runtime, clock)
    _deliver(runtime, clock)
    [got] = receiver.requests
    text = DOCS.read_text(encoding="utf-8")
    documented = json.loads(re.findall(r"```json\n(.*?)```", text, re.S)[0])

    def shape(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        if isinstance(value, list):
            return [shape(v) for v in value[:1]]
        return type(value).__name__ if value is not None else "NoneType"

    assert shape(documented) == shape(got.payload)
    # the receiver example in the docs accepts a real request and refuses a tampered one
    namespace: dict[str, Any] = {}
    exec(re.findall(r"```python\n(.*?)```", text, re.S)[0], namespace)
    check = namespace["signature_is_valid"]
    header = got.headers["x-leadscore-signature"]
    now = clock.now / SECOND
    assert check(receiver.secret, got.body, header, now=now)
    assert not check(receiver.secret, got.body + b"x", header, now=now)
    assert not check(receiver.secret, got.body, header, now=now + 3600)


# ---------------------------------------------------------------------------------- the outbox
def test_filters_pick_grades_stages_and_directions(runtime: Runtime, clock: Clock) -> None:
    def add(**options: Any) -> str:
        with runtime.reader() as store:
            return create_endpoint(store, "http://127.0.0.1:9/hook", **options)[0].endpoint_id

    hot, mql, down, everything = (
        add(grades=["hot"]),
        add(stages=["MQL"]),
        add(directions=["down"]),
        add(),
    )
    cold_and_down = add(grades=["cold"], directions=["down"])
    _contact(runtime, "bob", title="Engineer")  # 0: cold
    _event(runtime, clock, "bob")  # +50 -> warm (MQL), up
    for i in range(3):  # +30 -> hot (SQL), up
        clock.now += 1000
        _event(runtime, clock, "bob", "page_view", url=f"/pricing/{i}")
    clock.now += 31 * DAY  # the demo expires, the visits decay: cold, down
    runtime.refresh()

    def got(endpoint_id: str) -> list[tuple[str, str]]:
        with runtime.reader() as store:
            rows = delivery_log(store, endpoint_id=endpoint_id)
        return sorted((r["old_grade"], r["new_grade"]) for r in rows)

    assert got(everything) == [("cold", "warm"), ("hot", "cold"), ("warm", "hot")]
    assert got(hot) == [("warm", "hot")]
    assert got(mql) == [("cold", "warm")]
    assert got(down) == [("hot", "cold")]
    assert got(cold_and_down) == [("hot", "cold")]


def test_a_lead_that_cools_and_heats_again_alerts_again_except_within_the_cooldown(
    runtime: Runtime, clock: Clock
) -> None:
    with runtime.reader() as store:
        always = create_endpoint(store, "http://127.0.0.1:9/a")[0].endpoint_id
        calm = create_endpoint(store, "http://127.0.0.1:9/b", cooldown_s=2 * 86400)[0]
    _heat(runtime, clock)  # warm -> hot
    clock.now += 31 * DAY
    runtime.refresh()  # the demo expired: hot -> warm, 31 days after the last alert
    clock.now += 3600
    _event(runtime, clock, "ann")  # warm -> hot again, an hour later: within the cooldown
    clock.now += 3 * DAY
    _event(runtime, clock, "ann", "page_view", url="/pricing")  # 90: still hot, no transition
    clock.now += 28 * DAY
    runtime.refresh()  # hot -> warm, long after the cooldown

    def transitions(endpoint_id: str) -> list[tuple[str, str]]:
        with runtime.reader() as store:
            rows = delivery_log(store, endpoint_id=endpoint_id)
        return [(r["old_grade"], r["new_grade"]) for r in reversed(rows)]

    with runtime.reader() as store:
        alerts = store.rows("SELECT old_grade, new_grade FROM alerts ORDER BY at_us")
    assert [(a["old_grade"], a["new_grade"]) for a in alerts] == [
        ("warm", "hot"),
        ("hot", "warm"),
        ("warm", "hot"),
        ("hot", "warm"),
    ]
    assert transitions(always) == [
        ("warm", "hot"),
        ("hot", "warm"),
        ("warm", "hot"),
        ("hot", "warm"),
    ]
    assert transitions(calm.endpoint_id) == [("warm", "hot"), ("hot", "warm"), ("hot", "warm")]


# ---------------------------------------------------------------------------------- retries
def test_failures_are_retried_with_backoff_until_the_receiver_accepts(
    runtime: Runtime, clock: Clock, receiver: Receiver
) -> None:
    receiver.answers = [500, 503]
    _endpoint(runtime, receiver)
    _heat(runtime, clock)
    start = clock.now
    assert _deliver(runtime, clock) == 1
    [row] = _deliveries(runtime)
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("pending", 1, 500)
    assert "HTTP 500" in row["last_error"]
    assert start + 4 * SECOND <= row["next_attempt_at_us"] <= start + 6 * SECOND

    clock.now += SECOND  # not due yet
    assert _deliver(runtime, clock) == 0
    clock.now = row["next_attempt_at_us"]
    assert _deliver(runtime, clock) == 1
    [row] = _deliveries(runtime)
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("pending", 2, 503)
    assert clock.now + 8 * SECOND <= row["next_attempt_at_us"] <= clock.now + 12 * SECOND

    clock.now = row["next_attempt_at_us"]
    assert _deliver(runtime, clock) == 1
    [row] = _deliveries(runtime)
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("delivered", 3, 200)
    assert row["last_error"] is None
    assert [r.headers["x-leadscore-attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert {r.headers["x-leadscore-delivery"] for r in receiver.requests} == {row["delivery_id"]}
    assert all(r.signed for r in receiver.requests)


def test_a_delivery_goes_dead_after_max_attempts_and_can_be_retried(
    runtime: Runtime, clock: Clock, receiver: Receiver
) -> None:
    receiver.default = 500
    _endpoint(runtime, receiver, max_attempts=3)
    _heat(runtime, clock)
    for _ in range(10):
        [row] = _deliveries(runtime)
        if row["status"] != "pending":
            break
        clock.now = max(clock.now, row["next_attempt_at_us"])
        _deliver(runtime, clock)
    assert (row["status"], row["attempts"], row["next_attempt_at_us"]) == ("dead", 3, None)
    assert (
        row["last_error"] == "HTTP 500: the endpoint did not answer 2xx (gave up after 3 attempts)"
    )
    assert row["last_status_code"] == 500
    assert len(receiver.requests) == 3
    clock.now += 30 * DAY
    assert _deliver(runtime, clock) == 0  # the dead stay dead

    receiver.default = 200
    with runtime.reader() as store:
        entry = retry(store, row["delivery_id"], clock.now)
    assert (entry["status"], entry["attempts"]) == ("pending", 0)
    assert _deliver(runtime, clock) == 1
    [row] = _deliveries(runtime)
    assert (row["status"], row["attempts"]) == ("delivered", 1)
    assert receiver.requests[-1].headers["x-leadscore-attempt"] == "1"
    with runtime.reader() as store, pytest.raises(WebhookError, match="delivered already"):
        retry(store, row["delivery_id"], clock.now)
    with runtime.reader() as store, pytest.raises(WebhookNotFound):
        retry(store, "nope", clock.now)


def test_timeouts_and_refused_connections_count_as_failed_attempts(
    runtime: Runtime, clock: Clock, receiver: Receiver
) -> None:
    receiver.delay_s = 1.0
    slow = _endpoint(runtime, receiver)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with runtime.reader() as store:
        closed = create_endpoint(store, f"http://127.0.0.1:{port}/hook")[0].endpoint_id
    _heat(runtime, clock)
    assert _deliver(runtime, clock, post=http_post(timeout_s=0.2)) == 2
    [timed_out] = _deliveries(runtime, slow)
    assert (timed_out["status"], timed_out["attempts"]) == ("pending", 1)
    assert timed_out["last_status_code"] is None
    assert timed_out["last_error"] == "timed out waiting for the endpoint"
    [refused] = _deliveries(runtime, closed)
    assert (refused["status"], refused["attempts"]) == ("pending", 1)
    assert refused["last_error"].startswith("ConnectionRefusedError")
    assert refused["next_attempt_at_us"] > clock.now


class Crash(BaseException):
    """The process dying in the middle of a request."""


def test_a_crash_while_sending_loses_nothing(
    runtime: Runtime, clock: Clock, receiver: Receiver
) -> None:
    patient = _endpoint(runtime, receiver)
    with runtime.reader() as store:
        once = create_endpoint(store, receiver.url, max_attempts=1, secret=receiver.secret)[0]
    _heat(runtime, clock)

    def crash(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        raise Crash

    with pytest.raises(Crash):
        _deliver(runtime, clock, post=crash, concurrency=1)
    rows = _deliveries(runtime)
    assert [(r["status"], r["attempts"]) for r in rows] == [("pending", 1), ("pending", 1)]
    clock.now += 60 * SECOND  # claimed by the dead worker: not sent twice at once
    assert _deliver(runtime, clock) == 0
    clock.now = max(r["next_attempt_at_us"] for r in rows)  # the lease ran out
    assert _deliver(runtime, clock) == 1
    [sent] = _deliveries(runtime, patient)
    assert (sent["status"], sent["attempts"]) == ("delivered", 2)
    assert [r.headers["x-leadscore-attempt"] for r in receiver.requests] == ["2"]
    [spent] = _deliveries(runtime, once.endpoint_id)
    assert spent["status"] == "dead"
    assert "interrupted" in spent["last_error"]


def test_no_secret_reaches_the_log_or_an_error(
    runtime: Runtime, clock: Clock, receiver: Receiver
) -> None:
    secret = "whsec_Do-Not-Leak-0123456789"
    with runtime.reader() as store:
        endpoint, _ = create_endpoint(store, receiver.url, secret=secret)
    _heat(runtime, clock)

    def leaky(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        raise OSError(f"transport broke while sending to {url} with {secret}")

    _deliver(runtime, clock, post=leaky)
    with runtime.reader() as store:
        log = delivery_log(store)
        shown = [e.as_dict() for e in list_endpoints(store)]
    assert "[hidden]" in log[0]["last_error"]
    assert secret not in json.dumps([log, shown, _deliveries(runtime)])
    assert receiver.url not in json.dumps([log, _deliveries(runtime)])
    assert "secret" not in shown[0]
    assert endpoint.url == receiver.url


# ---------------------------------------------------------------------------------- operations
def test_deleting_an_endpoint_stops_deliveries_and_keeps_the_log(
    runtime: Runtime, clock: Clock, receiver: Receiver
) -> None:
    receiver.answers = [500]
    endpoint_id = _endpoint(runtime, receiver)
    _heat(runtime, clock, "ann")
    _deliver(runtime, clock)
    with runtime.reader() as store:
        delete_endpoint(store, endpoint_id, now_us=clock.now)
        [entry] = delivery_log(store, endpoint_id=endpoint_id)
        assert (entry["status"], entry["last_error"]) == ("dead", "endpoint deleted")
        with pytest.raises(WebhookError, match="reactivate it"):
            retry(store, entry["delivery_id"], clock.now)
        with pytest.raises(WebhookError, match="reactivate it"):
            send_test(store, endpoint_id, http_post(1.0), clock.now)
    _heat(runtime, clock, "bea")  # a new alert: nothing for a deleted endpoint
    clock.now += DAY
    assert _deliver(runtime, clock) == 0
    assert len(_deliveries(runtime)) == 1
    with runtime.reader() as store:
        update_endpoint(store, endpoint_id, active=True)
        retry(store, entry["delivery_id"], clock.now)
    assert _deliver(runtime, clock) == 1
    assert [r["status"] for r in _deliveries(runtime)] == ["delivered"]
    # deactivating by an update is a delete too
    receiver.answers = [500]
    _heat(runtime, clock, "cid")
    _deliver(runtime, clock)
    with runtime.reader() as store:
        assert not update_endpoint(store, endpoint_id, active=False, now_us=clock.now).active
        [entry] = delivery_log(store, contact_id="cid")
    assert (entry["status"], entry["last_error"]) == ("dead", "endpoint deleted")


def test_send_test_posts_a_signed_sample_and_records_nothing(
    store: Store, clock: Clock, receiver: Receiver
) -> None:
    endpoint, receiver.secret = create_endpoint(store, receiver.url, now_us=clock.now)
    result = send_test(store, endpoint.endpoint_id, http_post(2.0), clock.now)
    assert (result["ok"], result["status_code"], result["error"]) == (True, 200, None)
    assert result["latency_ms"] > 0
    [got] = receiver.requests
    assert got.signed
    assert got.headers["x-leadscore-delivery"] == result["delivery_id"]
    assert got.payload["test"] is True
    assert got.payload["type"] == "lead.grade_changed"
    assert store.scalar("SELECT count(*) FROM deliveries") == 0

    receiver.answers = [404]
    failed = send_test(store, endpoint.endpoint_id, http_post(2.0), clock.now)
    assert (failed["ok"], failed["status_code"]) == (False, 404)
    assert "HTTP 404" in failed["error"]


def test_the_worker_delivers_in_the_background(
    engine: Callable[[], Store], runtime: Runtime, clock: Clock, receiver: Receiver
) -> None:
    _endpoint(runtime, receiver)
    worker = DeliveryWorker(engine, clock=clock, interval_s=0.05, timeout_s=2.0).start()
    try:
        _heat(runtime, clock)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not receiver.requests:
            time.sleep(0.02)
        alive = worker.running
    finally:
        worker.stop()
    assert alive
    assert not worker.running
    assert len(receiver.requests) == 1
    assert receiver.requests[0].signed
    assert [r["status"] for r in _deliveries(runtime)] == ["delivered"]
    assert worker.errors == []
