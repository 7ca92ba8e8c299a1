"""At-least-once delivery from the durable outbox (the ``deliveries`` table).

A delivery is **claimed** before it is sent: one small transaction counts the attempt and moves
its next attempt a lease ahead (``lease_s``), so a crash while sending leaves it pending and it
is sent again when the lease runs out, and another worker on the same database does not send it
at the same time. After the POST a second small update records the result: ``delivered`` on a
2xx; otherwise the status code or error and the next attempt after an exponential backoff, or
``dead`` once the endpoint's ``max_attempts`` are used. A delivery may thus arrive more than
once (never zero times): receivers dedupe by ``X-Leadscore-Delivery`` or the payload's
``alert_id``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadscore import timeutil
from leadscore.errors import one_of
from leadscore.service.webhooks.endpoints import (
    InvalidWebhook,
    WebhookError,
    WebhookNotFound,
    endpoint_secret,
    get_endpoint,
)
from leadscore.service.webhooks.signing import HEADER, sign
from leadscore.service.webhooks.transport import (
    Post,
    describe_failure,
    describe_status,
    http_post,
)

if TYPE_CHECKING:
    from leadscore.store.base import Store

log = logging.getLogger("leadscore.webhooks")

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
STATUSES = (PENDING, DELIVERED, DEAD)
BASE_BACKOFF_S = 5.0
MAX_BACKOFF_S = 3600.0
JITTER = 0.2  # each wait is the nominal one times a random factor in [0.8, 1.2]
LEASE_S = 300.0
MAX_LOG_ROWS = 1000
US = 1_000_000


def backoff_s(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1, 2, ...):
    5 s x 2^(attempt-1) with +-20 % jitter, never more than an hour."""
    nominal = BASE_BACKOFF_S * 2.0 ** min(max(attempt, 1) - 1, 30)
    draw = rng.random() if rng is not None else random.random()
    factor = 1.0 + JITTER * (2.0 * draw - 1.0)
    return min(MAX_BACKOFF_S, nominal * factor)


def request_headers(
    secret: str, body: bytes, delivery_id: str, attempt: int, timestamp: int
) -> dict[str, str]:
    """The headers of a webhook request."""
    return {
        "Content-Type": "application/json",
        HEADER: sign(secret, body, timestamp),
        "X-Leadscore-Delivery": delivery_id,
        "X-Leadscore-Attempt": str(attempt),
    }


@dataclass(frozen=True)
class _Job:
    delivery_id: str
    url: str
    secret: str
    body: bytes
    attempt: int
    max_attempts: int
    lease_until_us: int


def _claim(store: Store, row: dict[str, Any], now_us: int, lease_us: int) -> _Job | None:
    """Count the attempt and take a lease on the delivery; None if someone else has it."""
    delivery_id, attempts = str(row["delivery_id"]), int(row["attempts"])
    seen = [delivery_id, attempts, row["next_attempt_at_us"]]
    unchanged = (
        "WHERE delivery_id = ? AND status = 'pending' AND attempts = ? AND next_attempt_at_us = ?"
    )
    if attempts >= int(row["max_attempts"]):  # the last attempt was interrupted (a crash)
        store.execute(
            "UPDATE deliveries SET status = 'dead', next_attempt_at_us = NULL, last_error = ?, "
            f"updated_at_us = ? {unchanged}",
            [f"gave up after {attempts} attempts (the last one was interrupted)", now_us, *seen],
        )
        return None
    # the random microseconds make the lease ours alone: reading it back proves the claim
    lease = now_us + lease_us + random.randrange(1, US)
    with store.transaction():
        store.execute(
            "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at_us = ?, "
            f"updated_at_us = ? {unchanged}",
            [lease, now_us, *seen],
        )
        now = store.rows(
            "SELECT attempts, next_attempt_at_us FROM deliveries WHERE delivery_id = ?",
            [delivery_id],
        )
    if not now or (int(now[0]["attempts"]), now[0]["next_attempt_at_us"]) != (attempts + 1, lease):
        return None
    return _Job(
        delivery_id,
        str(row["url"]),
        str(row["secret"]),
        str(row["payload"]).encode("utf-8"),
        attempts + 1,
        int(row["max_attempts"]),
        lease,
    )


def _send(post: Post, job: _Job, timestamp: int) -> tuple[int | None, str | None, float]:
    """POST one job; return (status code, error or None, latency in ms). Never raises."""
    body = job.body
    headers = request_headers(job.secret, body, job.delivery_id, job.attempt, timestamp)
    started = time.perf_counter()
    try:
        status = int(post(job.url, body, headers))
    except Exception as exc:
        error = describe_failure(exc, job.secret, job.url)
        return None, error, (time.perf_counter() - started) * 1000.0
    return status, describe_status(status), (time.perf_counter() - started) * 1000.0


def _finish(
    store: Store, job: _Job, code: int | None, error: str | None, now_us: int, rng: random.Random
) -> None:
    if error is None:
        # delivered is a fact: record it even if the delivery was requeued meanwhile
        store.execute(
            "UPDATE deliveries SET status = 'delivered', next_attempt_at_us = NULL, "
            "last_status_code = ?, last_error = NULL, updated_at_us = ? WHERE delivery_id = ?",
            [code, now_us, job.delivery_id],
        )
        return
    if job.attempt >= job.max_attempts:
        status, next_at = DEAD, None
        error = f"{error} (gave up after {job.attempt} attempts)"
    else:
        status, next_at = PENDING, now_us + int(backoff_s(job.attempt, rng) * US)
    # only while the lease is still ours (a retry or a delete in between wins)
    store.execute(
        "UPDATE deliveries SET status = ?, next_attempt_at_us = ?, last_status_code = ?, "
        "last_error = ?, updated_at_us = ? "
        "WHERE delivery_id = ? AND status = 'pending' AND attempts = ? AND next_attempt_at_us = ?",
        [status, next_at, code, error, now_us, job.delivery_id, job.attempt, job.lease_until_us],
    )


def deliver_due(
    store: Store,
    now_us: int,
    post: Post | None = None,
    limit: int = 100,
    *,
    lease_s: float = LEASE_S,
    concurrency: int = 4,
    rng: random.Random | None = None,
) -> int:
    """Send every pending delivery due at ``now_us`` (at most ``limit``, oldest due first) to
    its active endpoint; return how many were attempted.

    ``post`` does the HTTP POST (default: :func:`http_post` with a 5 s timeout). Up to
    ``concurrency`` requests are in flight at once; the database is used from this thread only.
    ``lease_s`` must exceed the time this call may take: a delivery claimed longer ago than that
    is considered lost with its worker and sent again.
    """
    send = post or http_post()
    chance = rng or random.Random()
    due = store.rows(
        "SELECT d.delivery_id, d.attempts, d.next_attempt_at_us, w.url, w.secret, "
        "w.max_attempts, a.payload FROM deliveries d "
        "JOIN webhooks w ON w.endpoint_id = d.endpoint_id "
        "JOIN alerts a ON a.alert_id = d.alert_id "
        "WHERE d.status = 'pending' AND d.next_attempt_at_us <= ? AND w.active "
        "ORDER BY d.next_attempt_at_us, d.created_at_us, d.delivery_id LIMIT ?",
        [now_us, limit],
    )
    jobs: list[_Job] = []
    for row in due:
        try:
            job = _claim(store, row, now_us, int(lease_s * US))
        except Exception as exc:  # a concurrent update of the same row: leave it to the other
            log.warning("could not claim delivery %s: %s", row["delivery_id"], type(exc).__name__)
            continue
        if job is not None:
            jobs.append(job)
    timestamp = now_us // US
    for job, (code, error, _) in _sent(send, jobs, timestamp, concurrency):
        try:
            _finish(store, job, code, error, now_us, chance)
        except Exception:  # the lease runs out and the delivery is sent again
            log.exception("could not record the result of delivery %s", job.delivery_id)
    return len(jobs)


def _sent(
    post: Post, jobs: list[_Job], timestamp: int, concurrency: int
) -> Iterator[tuple[_Job, tuple[int | None, str | None, float]]]:
    if concurrency <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield job, _send(post, job, timestamp)
        return
    with ThreadPoolExecutor(max_workers=min(concurrency, len(jobs))) as pool:
        futures = {pool.submit(_send, post, job, timestamp): job for job in jobs}
        for future in as_completed(futures):
            yield futures[future], future.result()


# ---------------------------------------------------------------------------------- the log
def _iso(us: int | None) -> str | None:
    return None if us is None else timeutil.iso(int(us))


def _entry(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "delivery_id": row["delivery_id"],
        "endpoint_id": row["endpoint_id"],
        "alert_id": row["alert_id"],
        "contact_id": row["contact_id"],
        "old_grade": row["old_grade"],
        "new_grade": row["new_grade"],
        "status": row["status"],
        "attempts": int(row["attempts"]),
        "max_attempts": None if row["max_attempts"] is None else int(row["max_attempts"]),
        "last_status_code": None
        if row["last_status_code"] is None
        else int(row["last_status_code"]),
        "last_error": row["last_error"],
        "next_attempt_at": _iso(row["next_attempt_at_us"]),
        "created_at": _iso(row["created_at_us"]),
        "updated_at": _iso(row["updated_at_us"]),
    }


_LOG_SELECT = (
    "SELECT d.delivery_id, d.endpoint_id, d.alert_id, a.contact_id, a.old_grade, a.new_grade, "
    "d.status, d.attempts, w.max_attempts, d.last_status_code, d.last_error, "
    "d.next_attempt_at_us, d.created_at_us, d.updated_at_us FROM deliveries d "
    "LEFT JOIN alerts a ON a.alert_id = d.alert_id "
    "LEFT JOIN webhooks w ON w.endpoint_id = d.endpoint_id"
)


def delivery_log(
    store: Store,
    endpoint_id: str | None = None,
    status: str | None = None,
    limit: int = 100,
    *,
    contact_id: str | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Deliveries, newest first, optionally of one endpoint, status or contact.

    Each entry: ids (delivery, endpoint, alert, contact), the alert's old and new grade, status,
    attempts and max_attempts, last status code and error, and ISO times (next attempt, created,
    updated). Never a secret or a URL.
    """
    if status is not None and status not in STATUSES:
        raise InvalidWebhook(f"status must be {one_of(STATUSES)}; got {status!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LOG_ROWS:
        raise InvalidWebhook(f"limit must be between 1 and {MAX_LOG_ROWS}; got {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidWebhook(f"offset must be 0 or more; got {offset!r}")
    where: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("d.endpoint_id", endpoint_id),
        ("d.status", status),
        ("a.contact_id", contact_id),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    sql = _LOG_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY d.created_at_us DESC, d.delivery_id LIMIT ? OFFSET ?"
    return [_entry(r) for r in store.rows(sql, [*params, limit, offset])]


def get_delivery(store: Store, delivery_id: str) -> dict[str, Any]:
    """One delivery log entry (see :func:`delivery_log`)."""
    rows = store.rows(_LOG_SELECT + " WHERE d.delivery_id = ?", [delivery_id])
    if not rows:
        raise WebhookNotFound(f"no webhook delivery '{delivery_id}'")
    return _entry(rows[0])


def retry(store: Store, delivery_id: str, now_us: int | None = None) -> dict[str, Any]:
    """Queue a dead or pending delivery for now with a fresh series of attempts; return its
    log entry. A delivered one is refused (the receiver has it), as is one whose endpoint was
    deleted (reactivate the endpoint first)."""
    at = timeutil.now_us() if now_us is None else now_us
    entry = get_delivery(store, delivery_id)
    if entry["status"] == DELIVERED:
        raise WebhookError(f"delivery '{delivery_id}' was delivered already; nothing to retry")
    if not get_endpoint(store, entry["endpoint_id"]).active:
        raise WebhookError(
            f"the endpoint of delivery '{delivery_id}' is deleted; reactivate it to retry"
        )
    store.execute(
        "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at_us = ?, "
        "updated_at_us = ? WHERE delivery_id = ? AND status <> 'delivered'",
        [at, at, delivery_id],
    )
    return get_delivery(store, delivery_id)


# ---------------------------------------------------------------------------------- testing
def sample_payload(at_us: int, workspace: str = "test") -> dict[str, Any]:
    """An alert as real ones look, marked ``"test": true`` (what :func:`send_test` sends)."""
    return {
        "alert_id": f"test_{uuid.uuid4().hex}",
        "type": "lead.grade_changed",
        "test": True,
        "workspace": workspace,
        "contact_id": "example-contact",
        "at": timeutil.iso(at_us),
        "cause": "event",
        "direction": "up",
        "old": {"grade": "warm", "stage": "MQL", "total": 40.0},
        "new": {"grade": "hot", "stage": "SQL", "total": 90.0},
        "reasons": [
            {"rule": "demo_request", "points": 50.0, "why": "requested a demo (example)"},
            {"rule": "senior_title", "points": 30.0, "why": "title is VP Sales (example)"},
        ],
    }


def send_test(
    store: Store,
    endpoint_id: str,
    post: Post | None = None,
    now_us: int | None = None,
    *,
    workspace: str = "test",
) -> dict[str, Any]:
    """POST a signed sample alert to an active endpoint now; record nothing.

    Returns ``ok``, ``status_code``, ``error`` (None when ok), ``latency_ms`` and the
    ``delivery_id`` header that was sent.
    """
    at = timeutil.now_us() if now_us is None else now_us
    endpoint = get_endpoint(store, endpoint_id)
    if not endpoint.active:
        raise WebhookError(f"endpoint '{endpoint_id}' is deleted; reactivate it to test it")
    body = json.dumps(sample_payload(at, workspace), ensure_ascii=False).encode("utf-8")
    job = _Job(
        f"test_{uuid.uuid4().hex}",
        endpoint.url,
        endpoint_secret(store, endpoint_id),
        body,
        1,
        1,
        0,
    )
    code, error, latency = _send(post or http_post(), job, at // US)
    return {
        "ok": error is None,
        "status_code": code,
        "error": error,
        "latency_ms": round(latency, 1),
        "delivery_id": job.delivery_id,
    }


# ---------------------------------------------------------------------------------- the worker
class DeliveryWorker:
    """Runs :func:`deliver_due` in a thread with its own database connection.

    Every ``interval_s`` (at once again when a whole batch was due) it sends what is due by
    ``clock``; ``wake()`` makes it look now. Errors (a database that went away...) are logged and
    kept in ``errors`` (the last few); the connection is reopened at the next round.
    """

    def __init__(
        self,
        open_store: Callable[[], Store],
        clock: Callable[[], int] = timeutil.now_us,
        interval_s: float = 1.0,
        timeout_s: float = 5.0,
        *,
        post: Post | None = None,
        batch: int = 20,
        concurrency: int = 4,
        lease_s: float = LEASE_S,
    ) -> None:
        self.open_store = open_store
        self.clock = clock
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.post = post
        self.batch = batch
        self.concurrency = concurrency
        self.lease_s = lease_s
        self.errors: list[str] = []
        self.attempted = 0
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> DeliveryWorker:
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="webhook-delivery", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the round in progress (requests in flight finish or time out)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Look for due deliveries now instead of at the next interval."""
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        post = self.post or http_post(self.timeout_s)
        store: Store | None = None
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                busy = False
                try:
                    if store is None:
                        store = self.open_store()
                    done = deliver_due(
                        store,
                        self.clock(),
                        post,
                        self.batch,
                        lease_s=self.lease_s,
                        concurrency=self.concurrency,
                    )
                    self.attempted += done
                    busy = done >= self.batch
                except Exception as exc:
                    log.exception("webhook delivery round failed")
                    self.errors = [*self.errors[-9:], f"{type(exc).__name__}: {exc}"]
                    _closed(store)
                    store = None
                if not busy:
                    self._wake.wait(self.interval_s)
        finally:
            _closed(store)


def _closed(store: Store | None) -> None:
    if store is not None:
        with contextlib.suppress(Exception):
            store.close()
