"""Faults against a real `leadscore serve` process, on DuckDB and on PostgreSQL.

- **kill -9 during a sustained ingest**: client threads post event batches and single events
  with unique ids; the server is killed with SIGKILL in the middle and started again on the same
  workspace. Every event it acknowledged as `accepted` is stored exactly once, ids that got no
  answer can be sent again and are stored once, and the scores are what a full recompute from
  the raw events gives.
- **an ingest racing a model publish**: a new model version is published while events stream
  in; nothing acknowledged is lost and every lead ends up scored by the new version, equal to a
  full recompute with it.

The server uses the real clock. The checks read the workspace database directly once the server
has stopped (a DuckDB file is locked while it is served).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadscore.model import load_model_text
from leadscore.model.spec import Model
from leadscore.scoring.run import model_hash
from leadscore.store.base import Store

CONTACTS = 40
CLIENT_THREADS = 4
START_TIMEOUT_S = 60.0
CATCH_UP_TIMEOUT_S = 30.0
DAY_S = 86_400

MODEL_V1 = """
leadscore: 1
name: faults
scores:
  fit:
    rules:
      - {id: vp, points: 30, when: {attribute: title, matches: '\\bvp\\b', ignore_case: true}}
  engagement:
    rules:
      - {id: visits, points: 1, event: page_view, count: each, half_life: 7d}
      - {id: demo, points: 40, event: demo_request, within: 30d}
grades:
  lead:
    score: total
    bands:
      - {grade: hot, min: 60, stage: SQL}
      - {grade: warm, min: 30, stage: MQL}
      - {grade: cold}
"""

# every event changes a score under both versions (no cap on visits), and differently
MODEL_V2 = """
leadscore: 1
name: faults
scores:
  fit:
    rules:
      - {id: vp, points: 20, when: {attribute: title, matches: '\\bvp\\b', ignore_case: true}}
  engagement:
    rules:
      - {id: visits, points: 2, event: page_view, count: each, half_life: 3d}
      - {id: pricing, points: 5, event: page_view, where: {property: url, starts_with: /pricing},
         count: each, within: 14d}
      - {id: demo, points: 45, event: demo_request, within: 30d}
grades:
  lead:
    score: total
    bands:
      - {grade: hot, min: 70, stage: SQL}
      - {grade: warm, min: 35, stage: MQL}
      - {grade: cold}
"""


# ---------------------------------------------------------------------------------- the server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _script() -> str:
    return str(Path(sys.executable).with_name("leadscore"))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("LEADSCORE_DATABASE_URL", None)  # --db is given explicitly when wanted
    env.pop("LEADSCORE_WORKSPACE", None)
    return env


@dataclass
class Site:
    """A workspace folder and where its data lives (its DuckDB file, or a PostgreSQL schema)."""

    folder: Path
    name: str
    database_url: str | None

    @property
    def db_args(self) -> list[str]:
        return [] if self.database_url is None else ["--db", self.database_url]

    def open_store(self) -> Store:
        from leadscore.service.stores import workspace_target

        return workspace_target(self.folder, self.database_url).open_store()

    def create_key(self) -> str:
        result = subprocess.run(
            [_script(), "keys", "create", "faults", "-w", str(self.folder), *self.db_args],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()


class Server:
    """`leadscore serve` in a subprocess on 127.0.0.1 and a free port; output to a log file."""

    def __init__(self, site: Site, log: Path, extra: tuple[str, ...] = ()) -> None:
        self.site = site
        self.log = log
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def log_tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text("utf-8", errors="replace").splitlines()[-lines:])

    def start(self) -> Server:
        for _ in range(3):  # another process may take the free port before the server binds it
            self.port = _free_port()
            with self.log.open("ab") as out:
                self.proc = subprocess.Popen(
                    [
                        _script(),
                        "serve",
                        "-w",
                        str(self.site.folder),
                        *self.site.db_args,
                        "--port",
                        str(self.port),
                        "--refresh-interval",
                        "0",
                        *self.extra,
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=_env(),
                )
            if self._wait_healthy():
                return self
        raise AssertionError(f"the server did not start:\n{self.log_tail()}")

    def _wait_healthy(self) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"the server did not answer in time:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        """A graceful stop by SIGTERM, as service managers send it: uvicorn returns, the
        runtimes stop (their writers finish, their scorers score what waits) and the process
        exits 0; SIGKILL if it does not end in time."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"the server did not stop:\n{self.log_tail()}") from None
            assert code == 0, f"the server exited with {code}:\n{self.log_tail()}"
        self.proc = None


@pytest.fixture(params=["duckdb", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Site:
    """An empty workspace with the fault model, on DuckDB or in its own PostgreSQL schema."""
    from leadscore.store.workspace import Workspace

    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    name = f"faults-{uuid.uuid4().hex[:8]}"  # its own schema on the shared test server
    model = tmp_path / "model.yaml"
    model.write_text(MODEL_V1, "utf-8")
    Workspace.init(tmp_path / "ws", model=model, name=name)
    return Site(tmp_path / "ws", name, url)


@pytest.fixture
def server_factory(site: Site, tmp_path: Path) -> Iterator[Callable[[], Server]]:
    """Start servers on the site's workspace; every one of them is stopped at the end."""
    started: list[Server] = []

    def start() -> Server:
        server = Server(site, tmp_path / "serve.log")
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.kill()


# ---------------------------------------------------------------------------------- the clients
def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Ledger:
    """What the clients sent, and what the server acknowledged."""

    sent: dict[str, dict[str, Any]] = field(default_factory=dict)  # event_id -> event
    accepted: set[str] = field(default_factory=set)
    duplicate: set[str] = field(default_factory=set)
    unanswered: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, events: list[dict[str, Any]], statuses: list[str]) -> None:
        with self.lock:
            for event, status in zip(events, statuses, strict=True):
                event_id = event["event_id"]
                self.unanswered.discard(event_id)
                if status == "accepted":
                    if event_id in self.accepted:
                        self.problems.append(f"{event_id} accepted twice")
                    self.accepted.add(event_id)
                elif status == "duplicate":
                    self.duplicate.add(event_id)
                else:
                    self.problems.append(f"{event_id}: {status}")


class Ingest:
    """Client threads posting batches (10 to 60 events) and single events with unique ids, until
    stopped or until the server goes away."""

    def __init__(self, url: str, key: str, contacts: list[str], ledger: Ledger, tag: str) -> None:
        self.url = url
        self.key = key
        self.contacts = contacts
        self.ledger = ledger
        self.tag = tag
        self.stop = threading.Event()
        self.server_gone = threading.Event()  # set just before the server is killed
        self.threads: list[threading.Thread] = []

    def start(self, threads: int = CLIENT_THREADS) -> Ingest:
        for n in range(threads):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), "a client thread did not end"

    def _event(self, rng: random.Random, thread: int, n: int) -> dict[str, Any]:
        now = time.time()
        kind = "demo_request" if rng.random() < 0.05 else "page_view"
        event: dict[str, Any] = {
            "event_id": f"{self.tag}-{thread}-{n}",
            "contact_id": rng.choice(self.contacts),
            "type": kind,
            # in the past (a future-dated event would only count later), over three weeks
            "ts": _iso(now - 1 - rng.random() * 21 * DAY_S),
        }
        if kind == "page_view":
            event["properties"] = {"url": rng.choice(["/pricing", "/blog/a", "/docs"])}
        return event

    def _run(self, thread: int) -> None:
        rng = random.Random(f"{self.tag}-{thread}")
        headers = {"Authorization": f"Bearer {self.key}"}
        n = 0
        with httpx.Client(base_url=self.url, headers=headers, timeout=30.0) as client:
            while not self.stop.is_set():
                single = rng.random() < 0.3
                events = [self._event(rng, thread, n + i) for i in range(rng.randint(10, 60))]
                events = events[:1] if single else events
                n += len(events)
                with self.ledger.lock:
                    for event in events:
                        self.ledger.sent[event["event_id"]] = event
                        self.ledger.unanswered.add(event["event_id"])
                try:
                    if single:
                        response = client.post("/events", json=events[0])
                    else:
                        response = client.post("/events/batch", json={"events": events})
                except httpx.TransportError as exc:
                    if not self.server_gone.is_set():
                        with self.ledger.lock:
                            self.ledger.problems.append(f"transport error while up: {exc!r}")
                    return
                if response.status_code != 200:
                    with self.ledger.lock:
                        self.ledger.problems.append(
                            f"HTTP {response.status_code}: {response.text[:300]}"
                        )
                    return
                body = response.json()
                statuses = [body["status"]] if single else [r["status"] for r in body["results"]]
                self.ledger.answered(events, statuses)


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise TimeoutError(f"timed out waiting for {what}")


def _client(server: Server, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60.0
    )


def _add_contacts(client: httpx.Client) -> list[str]:
    ids = [f"lead-{i:03d}" for i in range(CONTACTS)]
    contacts = [
        {"contact_id": c, "attributes": {"title": "VP Sales" if i % 3 == 0 else "Engineer"}}
        for i, c in enumerate(ids)
    ]
    response = client.post("/contacts/batch", json={"contacts": contacts})
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {"inserted": CONTACTS}
    return ids


def _resend(client: httpx.Client, ledger: Ledger, ids: list[str]) -> None:
    for start in range(0, len(ids), 500):
        events = [ledger.sent[i] for i in ids[start : start + 500]]
        response = client.post("/events/batch", json={"events": events})
        assert response.status_code == 200, response.text
        ledger.answered(events, [r["status"] for r in response.json()["results"]])


# ---------------------------------------------------------------------------------- the checks
def _check_events(store: Store, ledger: Ledger) -> None:
    rows = store.rows("SELECT event_id, contact_id, type FROM events")
    ids = [r["event_id"] for r in rows]
    assert len(ids) == len(set(ids)), "an event is stored twice"
    stored = set(ids)
    lost = ledger.accepted - stored
    assert not lost, f"{len(lost)} acknowledged events are missing, e.g. {sorted(lost)[:5]}"
    assert stored <= set(ledger.sent), "an event nobody sent is stored"
    for row in rows:
        sent = ledger.sent[row["event_id"]]
        assert (row["contact_id"], row["type"]) == (sent["contact_id"], sent["type"])


def _ts_us(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()) * 1_000_000


def _check_scores(store: Store, model: Model, ledger: Ledger) -> list[dict[str, Any]]:
    """Every contact is scored by ``model`` after its last acknowledged event, exactly as a
    full recompute from the raw events as of the score's own time; returns the rows."""
    from leadscore.compile.contacts import compile_contacts

    stored = store.rows("SELECT * FROM scores")
    assert len(stored) == CONTACTS
    assert {r["model_hash"] for r in stored} == {model_hash(model)}
    latest: dict[str, int] = {}
    for event_id in ledger.accepted:
        event = ledger.sent[event_id]
        latest[event["contact_id"]] = max(latest.get(event["contact_id"], 0), _ts_us(event["ts"]))
    by_time: dict[int, list[dict[str, Any]]] = {}
    for row in stored:
        # scored after its last event happened, so the recompute below counts every event
        assert row["as_of_us"] >= latest.get(row["contact_id"], 0), row["contact_id"]
        by_time.setdefault(int(row["as_of_us"]), []).append(row)
    for as_of_us, rows in by_time.items():
        ids = [r["contact_id"] for r in rows]
        compiled = compile_contacts(model, as_of_us, store.dialect, contact_ids=ids)
        full = {r["contact_id"]: r for r in store.rows(compiled.sql(store.dialect, pretty=False))}
        for row in rows:
            expected = full[row["contact_id"]]
            for column in ("total", "score_fit", "score_engagement"):
                assert row[column] == pytest.approx(expected[column], rel=1e-9, abs=1e-9), (
                    f"{row['contact_id']} {column}: stored {row[column]}, "
                    f"full recompute {expected[column]}"
                )
            assert (row["grade"], row["stage"]) == (expected["grade"], expected["stage"])
    return stored


def _check_history(store: Store) -> None:
    """The newest history entry of every contact is its stored score (written together)."""
    for row in store.rows("SELECT contact_id, total, grade, stage FROM scores"):
        [newest] = store.rows(
            "SELECT total, grade, stage FROM score_history WHERE contact_id = ? "
            "ORDER BY at_us DESC, seq DESC LIMIT 1",
            [row["contact_id"]],
        )
        assert (newest["grade"], newest["stage"]) == (row["grade"], row["stage"])
        assert newest["total"] == pytest.approx(row["total"], rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------------------------- the tests
def test_kill_9_during_ingest_loses_and_duplicates_nothing(
    site: Site, server_factory: Callable[[], Server]
) -> None:
    key = site.create_key()  # before serving: a served DuckDB file is locked
    server = server_factory()
    with _client(server, key) as client:
        contacts = _add_contacts(client)
    ledger = Ledger()
    ingest = Ingest(server.url, key, contacts, ledger, tag="k").start()
    try:
        _wait_for(lambda: len(ledger.accepted) >= 2000, 40, "2000 acknowledged events")
        ingest.server_gone.set()
        server.kill()
    finally:
        ingest.join()
    assert not ledger.problems, ledger.problems[:5]
    assert ledger.unanswered, "the kill should catch requests in flight"

    server = server_factory()
    with _client(server, key) as client:
        # what got no answer is sent again: stored now, or found stored already; never twice
        _resend(client, ledger, sorted(ledger.unanswered))
        assert not ledger.unanswered
        # what was acknowledged is a duplicate now
        again = random.Random(3).sample(sorted(ledger.accepted), 200)
        response = client.post("/events/batch", json={"events": [ledger.sent[i] for i in again]})
        assert [r["status"] for r in response.json()["results"]] == ["duplicate"] * len(again)
        assert not ledger.problems, ledger.problems[:5]
    server.stop()  # a stop scores what is waiting; the kill's leftovers were rescored at start

    model = load_model_text(MODEL_V1)
    store = site.open_store()
    try:
        _check_events(store, ledger)
        _check_scores(store, model, ledger)
        _check_history(store)
    finally:
        store.close()

    # time passing, as cron would apply it: the re-based scores equal a full recompute
    result = subprocess.run(
        [_script(), "rescore", "-w", str(site.folder), *site.db_args],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    store = site.open_store()
    try:
        rows = _check_scores(store, model, ledger)
        assert len({r["as_of_us"] for r in rows}) == 1
    finally:
        store.close()


def test_ingest_racing_a_publish_loses_nothing(
    site: Site, server_factory: Callable[[], Server]
) -> None:
    key = site.create_key()
    server = server_factory()
    ledger = Ledger()
    with _client(server, key) as client:
        contacts = _add_contacts(client)
        draft = client.post("/models", json={"yaml": MODEL_V2, "note": "race"})
        assert draft.status_code == 201, draft.text
        version = int(draft.json()["version"])
        ingest = Ingest(server.url, key, contacts, ledger, tag="p").start()
        try:
            _wait_for(lambda: len(ledger.accepted) >= 500, 40, "500 acknowledged events")
            published = client.post(f"/models/{version}/publish")
            at_publish = len(ledger.accepted)
            _wait_for(lambda: len(ledger.accepted) >= at_publish + 500, 40, "500 more events")
        finally:
            ingest.join()
        assert published.status_code == 200, published.text
        assert published.json()["scored"] == CONTACTS
        assert at_publish < len(ledger.accepted)
        assert not ledger.problems, ledger.problems[:5]
        assert not ledger.unanswered
    server.stop()

    store = site.open_store()
    try:
        _check_events(store, ledger)
        assert set(ledger.sent) == ledger.accepted  # nothing failed, nothing was sent twice
        _check_scores(store, load_model_text(MODEL_V2), ledger)
        _check_history(store)
        statuses = store.rows("SELECT version, status FROM model_versions ORDER BY version")
        assert [(r["version"], r["status"]) for r in statuses] == [
            (1, "retired"),
            (version, "published"),
        ]
    finally:
        store.close()


@pytest.mark.parametrize("site", ["duckdb"], indirect=True)
def test_the_access_log_can_be_turned_off(site: Site, tmp_path: Path) -> None:
    """A line per request by default; none with --no-access-log (the service's own log stays)."""
    request_line = '"GET /api/v1/health HTTP/1.1" 200'
    for extra, logged in (((), True), (("--no-access-log",), False)):
        log = tmp_path / f"serve{len(extra)}.log"
        server = Server(site, log, extra).start()
        try:
            assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
        finally:
            server.stop()
        text = log.read_text("utf-8", errors="replace")
        assert (request_line in text) is logged, text[-2000:]
        assert "Uvicorn running" in text or "Application startup complete" in text
