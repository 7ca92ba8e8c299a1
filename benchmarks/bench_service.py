"""Service benchmark: `leadscore serve` in its own process, driven by a bounded load generator on
127.0.0.1.

    python benchmarks/bench_service.py [--contacts 100000] [--data-dir bench-data]
        [--db postgresql://...] [--phases ingest,single,visible,refresh] [--repeat 3]
        [--batch-sizes 500,1000] [--batch-clients 4] [--connections 16] [--client-procs 2]
        [--duration 10] [--samples 200] [--refresh-contacts 1000000]
        [--refresh-steps 1h,1h,1h,1d,1d,1d,7d]

Phases (each repeated ``--repeat`` times, on a fresh copy of the workspace):

- ingest: POST /api/v1/events/batch with durable commit, ``--batch-clients`` client processes
  with one connection each, for every batch size; counts only events acknowledged ``accepted``.
- single: POST /api/v1/events, one event per request, ``--connections`` connections spread over
  ``--client-procs`` processes (one thread per connection); requests/s and latency percentiles.
- visible: the delay from the acknowledgement of an event to its score being readable: post a
  demo request for a contact, poll GET /api/v1/contacts/{id} until the score is computed after
  it and moved; idle, then under a background batched load of ``--visible-load`` events/s.
- refresh: a demo workspace of ``--refresh-contacts`` contacts, scored as of the demo's end by
  the runtime (a full recompute, timed as well), then brought forward in time by the runtime's
  refresh (the timer's and POST /api/v1/rescore's work), step after step: by default 1 hour
  three times, 1 day three times, then 7 days (``--refresh-steps``; ``m``, ``h`` and ``d``).

Before each measurement the script waits until the scorer has worked through what the previous
one touched (an event on a fresh contact, waited for until its score moves: contacts are
rescored in the order they were touched) and reports that wait as ``settle_before_s``.

The served workspace is a demo workspace (``leadscore.demo.build_workspace``) of ``--contacts``
contacts, built once per size and copied for every run; with ``--db`` its data is copied into
the workspace's PostgreSQL schema and the server runs with ``--db``. The generator sends request
bodies built before the clock starts over plain keep-alive sockets (:class:`RawHttp`: about
0.1 ms of CPU per request, against about 1 ms with httpx, which left the server less than half
the machine at 600 requests/s), and reports its own CPU next to the server's, so that it can be
seen not to be the bottleneck. Results: docs/benchmarks.md ("Service").
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

API = "/api/v1"
HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
STEP_UNITS_US = {"m": 60_000_000, "h": HOUR_US, "d": DAY_US}

TICKS = os.sysconf("SC_CLK_TCK")
# the visibility probes read the lead this often; how many run at once (their reads load the
# server too: 4 probes every 10 ms took enough of its CPU to slow the scorer they measure)
POLL_S = 0.05
PROBERS = 2
# the longest wait for the scorer to catch up before a measurement
SETTLE_S = 900.0
# fresh contacts per run for those waits
PROBES = 8
URLS = ("/pricing", "/blog/how-to-score-leads", "/docs/start", "/blog/ai", "/customers")
# what the clients send, roughly as often as the demo data has it
KINDS = (
    ("page_view", 50),
    ("email_open", 34),
    ("email_click", 6),
    ("content_download", 3),
    ("webinar_attended", 1),
    ("trial_signup", 1),
)


# ------------------------------------------------------------------------------ measurements
def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _as_of_us(text: str) -> int:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _now_us() -> int:
    return time.time_ns() // 1000


# ------------------------------------------------------------------------------ the server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _leadscore() -> str:
    return str(Path(sys.executable).with_name("leadscore"))


@dataclass
class Served:
    folder: Path
    db: str | None
    key: str
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    extra: tuple[str, ...] = ()  # more `leadscore serve` options

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def db_args(self) -> list[str]:
        return [] if self.db is None else ["--db", self.db]

    def start(self) -> Served:
        self.port = _free_port()
        log = (self.folder / "serve.log").open("ab")
        command = [_leadscore(), "serve", "-w", str(self.folder), "--port", str(self.port)]
        command += [*self.db_args, "--refresh-interval", "0", *self.extra]
        self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        import httpx

        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"the server failed; see {self.folder / 'serve.log'}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        sys.exit("the server did not start in time")

    def cpu(self) -> float:
        assert self.proc is not None
        return process_cpu(self.proc.pid)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # as Ctrl-C: the runtimes stop cleanly
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def demo_workspace(data_dir: Path, contacts: int, per_contact: float | None) -> Path:
    """A demo workspace of that size, built unless one with the same parameters exists."""
    from leadscore.demo import build_workspace, loaded_spec, make_spec
    from leadscore.store.duckdb_store import DuckStore
    from leadscore.store.workspace import Workspace

    root = data_dir / f"service-{contacts}-{per_contact or 'natural'}"
    spec = make_spec(contacts, events_per_contact=per_contact)
    if (root / "leadscore.toml").is_file():
        database = Workspace.open(root).database_path
        if database.is_file():
            with DuckStore(database, read_only=True) as store:
                if loaded_spec(store) == spec:
                    return root
    started = time.perf_counter()
    build_workspace(root, contacts, events_per_contact=per_contact)
    print(f"built {root} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return root


def fresh_copy(source: Path, target: Path, name: str) -> Path:
    """A copy of a demo workspace under another name (its own PostgreSQL schema)."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    config = target / "leadscore.toml"
    lines = [
        f'name = "{name}"' if line.startswith("name = ") else line
        for line in config.read_text("utf-8").splitlines()
    ]
    config.write_text("\n".join(lines) + "\n", "utf-8")
    return target


def copy_to_postgres(folder: Path, url: str) -> None:
    """The demo data of a workspace folder, into its (emptied) PostgreSQL schema."""
    from leadscore.service.stores import workspace_schema
    from leadscore.store.duckdb_store import DuckStore
    from leadscore.store.postgres_store import PgStore
    from leadscore.store.schema import DATA_TABLES
    from leadscore.store.workspace import Workspace

    workspace = Workspace.open(folder)
    schema = workspace_schema(workspace.config.name)
    admin = PgStore(url)
    admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    admin.close()
    with DuckStore(workspace.database_path, read_only=True) as source:
        target = PgStore(url, schema=schema)
        try:
            target.init_schema()
            for table in DATA_TABLES:
                data = source.query(f"SELECT * FROM {table}")
                for start in range(0, data.num_rows, 200_000):
                    target.append_arrow(table, data.slice(start, 200_000))
            target.execute("ANALYZE")
        finally:
            target.close()


def serve_copy(args: argparse.Namespace, source: Path, run: int) -> Served:
    folder = fresh_copy(source, args.data_dir / "service-run", f"bench-{run}")
    if args.db:
        copy_to_postgres(folder, args.db)
    created = subprocess.run(
        [_leadscore(), "keys", "create", "bench", "-w", str(folder)]
        + ([] if args.db is None else ["--db", args.db]),
        capture_output=True,
        text=True,
        check=True,
    )
    extra = ("--score-delay", str(args.score_delay)) if args.score_delay is not None else ()
    return Served(folder, args.db, created.stdout.strip(), extra=extra).start()


def contact_ids(source: Path, limit: int) -> list[str]:
    from leadscore.store.duckdb_store import DuckStore
    from leadscore.store.workspace import Workspace

    with DuckStore(Workspace.open(source).database_path, read_only=True) as store:
        rows = store.rows("SELECT contact_id FROM contacts ORDER BY contact_id LIMIT ?", [limit])
    return [str(r["contact_id"]) for r in rows]


# ------------------------------------------------------------------------------ the clients
def _event(rng: random.Random, event_id: str, contact_id: str, now_s: float) -> str:
    kinds, weights = zip(*KINDS, strict=True)
    kind = rng.choices(kinds, weights)[0]
    ts = datetime.fromtimestamp(now_s - 1 - rng.random() * 30 * 86_400, UTC)
    event: dict[str, Any] = {
        "event_id": event_id,
        "contact_id": contact_id,
        "type": kind,
        "ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if kind == "page_view":
        event["properties"] = {"url": rng.choice(URLS)}
    return json.dumps(event, separators=(",", ":"))


def _bodies(
    tag: str, contacts: list[str], batch: int, count: int, seed: int
) -> list[tuple[int, bytes]]:
    """``count`` request bodies of ``batch`` events (0: a single event), built before timing."""
    rng = random.Random(seed)
    now_s = time.time()
    out = []
    for n in range(count):
        events = [
            _event(rng, f"{tag}-{n}-{i}", rng.choice(contacts), now_s) for i in range(batch or 1)
        ]
        body = events[0] if batch == 0 else '{"events":[' + ",".join(events) + "]}"
        out.append((batch or 1, body.encode()))
    return out


class RawHttp:
    """A keep-alive HTTP/1.1 connection that sends prepared requests and reads answers with
    ``Content-Length``: a much lighter client than httpx (about a tenth of its CPU per
    request), so that the load generator, which shares the machine, leaves the cores to the
    server."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self.prefix = parts.path.encode()
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        lines = [f"Host: {parts.hostname}:{parts.port}", *(f"{k}: {v}" for k, v in headers.items())]
        self.headers = ("\r\n".join(lines) + "\r\n").encode()
        self.buffer = b""

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        head = b"POST %s%s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n" % (
            self.prefix,
            path.encode(),
            self.headers,
            len(body),
        )
        self.sock.sendall(head + body)
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        answer, _, rest = self.buffer.partition(b"\r\n\r\n")
        status = int(answer[9:12])
        length = 0
        for line in answer.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        self.buffer = rest
        while len(self.buffer) < length:
            self._read()
        content, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, content

    def _read(self) -> None:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def client_worker(job: dict[str, Any], results: Any, ready: Any, go: Any, start_at: Any) -> None:
    """One client process: builds its request bodies, says it is ready, then ``threads``
    connections send them from the common start for ``duration`` seconds (at ``rate``
    requests/s per connection when given)."""
    path = "/events" if job["batch"] == 0 else "/events/batch"
    headers = {"Authorization": f"Bearer {job['key']}", "Content-Type": "application/json"}
    per_thread = [
        _bodies(f"{job['tag']}-{t}", job["contacts"], job["batch"], job["count"], job["seed"] + t)
        for t in range(job["threads"])
    ]
    outcome: dict[str, Any] = {"accepted": 0, "requests": 0, "errors": [], "latencies": []}
    lock = threading.Lock()
    ready.put(os.getpid())
    go.wait()
    start = start_at.value
    stop = start + job["duration"]

    def run(bodies: list[tuple[int, bytes]]) -> None:
        latencies: list[float] = []
        accepted = requests = 0
        errors: list[str] = []
        interval = 1.0 / job["rate"] if job.get("rate") else 0.0
        client = RawHttp(job["url"], headers)
        try:
            while time.time() < start:
                time.sleep(0.001)
            next_at = time.perf_counter()
            for _size, body in bodies:
                if time.time() >= stop:
                    break
                if interval:
                    next_at += interval
                    pause = next_at - time.perf_counter()
                    if pause > 0:
                        time.sleep(pause)
                sent = time.perf_counter()
                status, content = client.post(path, body)
                latencies.append(time.perf_counter() - sent)
                requests += 1
                if status != 200:
                    errors.append(f"{status} {content[:200]!r}")
                    continue
                answer = json.loads(content)
                if job["batch"] == 0:
                    accepted += answer["status"] == "accepted"
                else:
                    accepted += int(answer["counts"].get("accepted", 0))
            else:
                errors.append("ran out of prepared requests: raise the count")
        finally:
            client.close()
        with lock:
            outcome["accepted"] += accepted
            outcome["requests"] += requests
            outcome["errors"] += errors
            outcome["latencies"] += latencies

    cpu_before = time.process_time()
    threads = [threading.Thread(target=run, args=(b,)) for b in per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome["cpu_s"] = time.process_time() - cpu_before
    outcome["ended"] = time.time()
    results.put(outcome)


def drive(
    served: Served,
    contacts: list[str],
    *,
    batch: int,
    procs: int,
    threads: int,
    duration: float,
    count: int,
    tag: str,
    rate: float | None = None,
    started: threading.Event | None = None,
) -> dict[str, Any]:
    """Run client processes against the server; wait for them; sum up what they saw."""
    context = mp.get_context("spawn")
    results, ready, go = context.Queue(), context.Queue(), context.Event()
    start_at = context.Value("d", 0.0)
    jobs = [
        {
            "url": served.url,
            "key": served.key,
            "batch": batch,
            "threads": threads,
            "count": count,
            "contacts": contacts,
            "tag": f"{tag}{p}",
            "seed": 1000 * p,
            "duration": duration,
            "rate": rate,
        }
        for p in range(procs)
    ]
    workers = [
        context.Process(target=client_worker, args=(job, results, ready, go, start_at))
        for job in jobs
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=600)
    start = time.time() + 0.5
    start_at.value = start
    go.set()
    while time.time() < start:
        time.sleep(0.001)
    if started is not None:
        started.set()
    cpu_before, load = served.cpu(), os.getloadavg()[0]
    outcomes = [results.get(timeout=duration + 600) for _ in workers]
    server_cpu = served.cpu() - cpu_before
    for worker in workers:
        worker.join()
    elapsed = max(o["ended"] for o in outcomes) - start
    latencies = [x for o in outcomes for x in o["latencies"]]
    accepted = sum(o["accepted"] for o in outcomes)
    return {
        "accepted": accepted,
        "requests": sum(o["requests"] for o in outcomes),
        "seconds": round(elapsed, 2),
        "accepted_per_s": round(accepted / elapsed),
        "requests_per_s": round(sum(o["requests"] for o in outcomes) / elapsed),
        "p50_ms": round(1000 * percentile(latencies, 50), 2) if latencies else None,
        "p99_ms": round(1000 * percentile(latencies, 99), 2) if latencies else None,
        "max_ms": round(1000 * max(latencies), 2) if latencies else None,
        "server_cpu_s": round(server_cpu, 2),
        "clients_cpu_s": round(sum(o["cpu_s"] for o in outcomes), 2),
        "load_at_start": round(load, 2),
        "errors": [e for o in outcomes for e in o["errors"]][:5],
    }


# ------------------------------------------------------------------------------ phases
def settle(served: Served, probes: list[str]) -> float:
    """Wait until the scorer has worked through what earlier load touched (contacts are
    rescored in the order they were touched): post an event for a fresh contact and wait for
    its score to move. Returns the seconds it took."""
    started = time.perf_counter()
    if not _visibility(served, [probes.pop()], 1, give_up_s=SETTLE_S):
        sys.exit(f"the scorer did not catch up within {SETTLE_S} s")
    waited = round(time.perf_counter() - started, 1)
    print(f"  scorer caught up in {waited} s", file=sys.stderr)
    return waited


def phase_ingest(
    args: argparse.Namespace, served: Served, contacts: list[str], probes: list[str]
) -> list[Any]:
    out = []
    for size in args.batch_sizes:
        settled = settle(served, probes)
        # enough bodies for 60,000 events/s
        count = int(60_000 * args.duration / size / args.batch_clients) + 2
        result = drive(
            served,
            contacts,
            batch=size,
            procs=args.batch_clients,
            threads=1,
            duration=args.duration,
            count=count,
            tag=f"b{size}-",
        )
        result["batch"] = size
        result["settle_before_s"] = settled
        out.append(result)
        print(f"  batch {size}: {json.dumps(result)}", file=sys.stderr)
    return out


def single_load(
    served: Served, contacts: list[str], args: argparse.Namespace, tag: str
) -> dict[str, Any]:
    """Single-event requests on ``args.connections`` connections over ``args.client_procs``
    processes for ``args.duration`` seconds (also the HTTP floor's load)."""
    threads = max(1, args.connections // args.client_procs)
    count = int(8_000 * args.duration / (threads * args.client_procs)) + 2
    result = drive(
        served,
        contacts,
        batch=0,
        procs=args.client_procs,
        threads=threads,
        duration=args.duration,
        count=count,
        tag=tag,
    )
    result["connections"] = threads * args.client_procs
    return result


def phase_single(
    args: argparse.Namespace, served: Served, contacts: list[str], probes: list[str]
) -> dict[str, Any]:
    settled = settle(served, probes)
    result = single_load(served, contacts, args, "s-")
    result["settle_before_s"] = settled
    print(f"  single: {json.dumps(result)}", file=sys.stderr)
    return result


def _visibility(
    served: Served,
    contacts: list[str],
    samplers: int,
    until: float | None = None,
    give_up_s: float = 10.0,
) -> list[float]:
    """Seconds from each acknowledgement to the first read showing the changed score: post a
    demo request (now) for each of ``contacts`` (never touched before), poll the lead every
    ``POLL_S`` until its score is computed after the event and its total moved (or
    ``give_up_s`` passed). Stops taking samples at ``until``."""
    import httpx

    headers = {"Authorization": f"Bearer {served.key}"}
    delays: list[float] = []
    misses: list[str] = []
    lock = threading.Lock()
    waiting = list(contacts)

    def sampler() -> None:
        with httpx.Client(base_url=served.url, headers=headers, timeout=30.0) as client:
            while until is None or time.time() < until:
                with lock:
                    if not waiting:
                        return
                    contact_id = waiting.pop()
                before = client.get(f"/contacts/{contact_id}").json()["score"]
                event = {
                    "event_id": f"vis-{contact_id}-{_now_us()}",
                    "contact_id": contact_id,
                    "type": "demo_request",
                    "ts": _iso(_now_us() - 1_000_000),
                }
                response = client.post("/events", json=event)
                acked = time.perf_counter()
                acked_us = _now_us()
                assert response.json()["status"] == "accepted", response.text
                while True:
                    score = client.get(f"/contacts/{contact_id}").json()["score"]
                    seen = time.perf_counter()
                    # scored after the event was written (its ts is 1 s before the post), moved
                    if (
                        score is not None
                        and _as_of_us(score["as_of"]) >= acked_us - 1_000_000
                        and (before is None or score["total"] != before["total"])
                    ):
                        with lock:
                            delays.append(seen - acked)
                        break
                    if seen - acked > give_up_s:
                        with lock:
                            misses.append(contact_id)
                        break
                    time.sleep(POLL_S)

    workers = [threading.Thread(target=sampler) for _ in range(samplers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if misses:
        print(
            f"  {len(misses)} scores never moved within {give_up_s} s: {misses[:5]}",
            file=sys.stderr,
        )
    return delays


def phase_visible(
    args: argparse.Namespace,
    served: Served,
    contacts: list[str],
    spare: list[str],
    probes: list[str],
) -> dict[str, Any]:
    out: dict[str, Any] = {"settle_before_s": settle(served, probes)}
    out["idle"] = _summary(_visibility(served, spare[: args.samples], PROBERS))
    print(f"  visible (idle): {json.dumps(out['idle'])}", file=sys.stderr)
    if args.visible_load:
        size, procs, window = 500, 2, args.visible_window
        rate = args.visible_load / size / procs  # requests/s of each client process
        load: dict[str, Any] = {}
        started = threading.Event()

        def background() -> None:
            load.update(
                drive(
                    served,
                    contacts,
                    batch=size,
                    procs=procs,
                    threads=1,
                    duration=window,
                    count=int(rate * window) + 2,
                    tag="bg-",
                    rate=rate,
                    started=started,
                )
            )

        thread = threading.Thread(target=background)
        thread.start()
        started.wait(timeout=600)
        time.sleep(2)  # let the load settle
        until = time.time() + window - 4
        busy = _visibility(served, spare[args.samples : 2 * args.samples], PROBERS, until)
        thread.join()
        out["under_load"] = {"background": load, **_summary(busy)}
        print(f"  visible (loaded): {json.dumps(out['under_load'])}", file=sys.stderr)
    return out


def _summary(delays: list[float]) -> dict[str, Any]:
    if not delays:
        return {"samples": 0}
    return {
        "samples": len(delays),
        "p50_ms": round(1000 * percentile(delays, 50), 1),
        "p99_ms": round(1000 * percentile(delays, 99), 1),
        "max_ms": round(1000 * max(delays), 1),
    }


def step_us(label: str) -> int:
    """A refresh step's length: ``5m``, ``1h``, ``7d``..."""
    unit = STEP_UNITS_US.get(label[-1:])
    if unit is None or not label[:-1].isdigit() or int(label[:-1]) <= 0:
        raise argparse.ArgumentTypeError(f"not a step such as 5m, 1h or 7d: {label!r}")
    return int(label[:-1]) * unit


class _Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def refresh_child(folder: Path, db: str | None, labels: list[str]) -> dict[str, Any]:
    """In its own process: score the workspace as of the demo's end (the runtime's start
    publishes the model: a full recompute), then refresh it later and later."""
    from leadscore.demo.generate import DEFAULT_END_US
    from leadscore.service.runtime import Runtime
    from leadscore.service.settings import RuntimeSettings
    from leadscore.service.stores import workspace_target

    clock = _Clock(DEFAULT_END_US)
    target = workspace_target(folder, db)
    settings = RuntimeSettings(refresh_interval_s=0, clock=clock)
    runtime = Runtime(target.name, target.open_store, settings, target.seed_model)
    started, cpu = time.perf_counter(), time.process_time()
    runtime.start()
    out: dict[str, Any] = {
        "start_with_full_recompute_s": round(time.perf_counter() - started, 2),
        "start_cpu_s": round(time.process_time() - cpu, 2),
        "load_at_start": round(os.getloadavg()[0], 2),
    }
    steps = []
    try:
        for label in labels:
            clock.now += step_us(label)
            started, cpu, load = time.perf_counter(), time.process_time(), os.getloadavg()[0]
            update = runtime.refresh()
            steps.append(
                {
                    "step": label,
                    "seconds": round(time.perf_counter() - started, 2),
                    "cpu_s": round(time.process_time() - cpu, 2),  # every thread's
                    "load_at_start": round(load, 2),
                    "contacts_s": round(update.seconds, 2),
                    "rebased": update.rebased,
                    "rescored": update.rescored,
                    "changed_grade": len(update.changes),
                }
            )
            print(f"  refresh +{label}: {json.dumps(steps[-1])}", file=sys.stderr)
    finally:
        runtime.stop()
    out["steps"] = steps
    return out


def phase_refresh(args: argparse.Namespace) -> dict[str, Any]:
    source = demo_workspace(args.data_dir, args.refresh_contacts, 10)
    folder = fresh_copy(source, args.data_dir / "refresh-run", "bench-refresh")
    if args.db:
        copy_to_postgres(folder, args.db)
    command = [sys.executable, __file__, "--child-refresh", str(folder)]
    command += ["--refresh-steps", ",".join(args.refresh_steps)]
    command += [] if args.db is None else ["--db", args.db]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# ------------------------------------------------------------------------------ main
def _medians(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return round(statistics.median(values), 2) if values else None


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    runs = results["runs"]
    out: dict[str, Any] = {}
    for size in results["args"]["batch_sizes"]:
        picked = [b for r in runs for b in r.get("ingest", []) if b["batch"] == size]
        if picked:
            out[f"batch_{size}_events_per_s"] = _medians(picked, "accepted_per_s")
    singles = [r["single"] for r in runs if "single" in r]
    if singles:
        for key in ("requests_per_s", "p50_ms", "p99_ms"):
            out[f"single_{key}"] = _medians(singles, key)
    for mode in ("idle", "under_load"):
        seen = [r["visible"][mode] for r in runs if mode in r.get("visible", {})]
        if seen:
            out[f"visible_{mode}_p50_ms"] = _medians(seen, "p50_ms")
            out[f"visible_{mode}_p99_ms"] = _medians(seen, "p99_ms")
    if "refresh" in results:
        steps = results["refresh"]["steps"]
        for label in dict.fromkeys(s["step"] for s in steps):
            picked = [s for s in steps if s["step"] == label]
            out[f"refresh_{label}_s"] = _medians(picked, "seconds")
            out[f"refresh_{label}_max_s"] = max(s["seconds"] for s in picked)
            out[f"refresh_{label}_cpu_s"] = _medians(picked, "cpu_s")
    return out


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path, default=Path("bench-data"))
    parser.add_argument("--db", help="a PostgreSQL URL (default: the workspace's DuckDB file)")
    parser.add_argument("--phases", default="ingest,single,visible,refresh")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load run")
    parser.add_argument("--batch-sizes", default="500,1000")
    parser.add_argument("--batch-clients", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument(
        "--score-delay", type=float, default=None, help="the server's --score-delay (seconds)"
    )
    parser.add_argument("--visible-load", type=float, default=5_000, help="events/s; 0: none")
    parser.add_argument("--visible-window", type=float, default=30.0)
    parser.add_argument("--refresh-contacts", type=int, default=1_000_000)
    parser.add_argument("--refresh-steps", default="1h,1h,1h,1d,1d,1d,7d")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--child-refresh", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.batch_sizes = [int(x) for x in str(args.batch_sizes).split(",")]
    args.phases = [p.strip() for p in str(args.phases).split(",") if p.strip()]
    args.refresh_steps = [s.strip() for s in str(args.refresh_steps).split(",") if s.strip()]
    for label in args.refresh_steps:
        try:
            step_us(label)
        except argparse.ArgumentTypeError as exc:
            parser.error(f"--refresh-steps: {exc}")
    return args


def main() -> None:
    args = parse()
    if args.child_refresh:
        print(json.dumps(refresh_child(args.child_refresh, args.db, args.refresh_steps)))
        return
    results: dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "engine": "postgres" if args.db else "duckdb",
        },
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "runs": [],
    }
    args.data_dir.mkdir(parents=True, exist_ok=True)
    serving = [p for p in args.phases if p in ("ingest", "single", "visible")]
    if serving:
        source = demo_workspace(args.data_dir, args.contacts, None)
        everyone = contact_ids(source, args.contacts)
        per_run = 2 * args.samples + PROBES
        spare_count = per_run * args.repeat
        contacts, spare = everyone[:-spare_count], everyone[-spare_count:]
        for run in range(args.repeat):
            print(f"run {run + 1} of {args.repeat}", file=sys.stderr)
            served = serve_copy(args, source, run)
            outcome: dict[str, Any] = {}
            mine = spare[per_run * run : per_run * (run + 1)]
            probes = mine[2 * args.samples :]
            try:
                if "ingest" in serving:
                    outcome["ingest"] = phase_ingest(args, served, contacts, probes)
                if "single" in serving:
                    outcome["single"] = phase_single(args, served, contacts, probes)
                if "visible" in serving:
                    samples = mine[: 2 * args.samples]
                    outcome["visible"] = phase_visible(args, served, contacts, samples, probes)
            finally:
                served.stop()
            results["runs"].append(outcome)
    if "refresh" in args.phases:
        results["refresh"] = phase_refresh(args)
    results["summary"] = summarize(results)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", "utf-8")


if __name__ == "__main__":
    main()
