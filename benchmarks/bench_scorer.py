"""The service's two threads in process: what the scorer's micro-batch of n touched contacts
costs, and (``--writer``) what the writer's durable group commit of n events costs.

    python benchmarks/bench_scorer.py [--workspace bench-data/service-100000-natural]
        [--batches 100,1000] [--rounds 6] [--merge-from N] [--writer]

A copy of the workspace (a demo workspace built by ``bench_service.py`` or ``bench_rescore.py``)
is opened by a service :class:`~leadscore.service.runtime.Runtime` (its scorer's own timer
switched off, and its start on a backlog; the start rescores everyone when the stored scores
are of an older layout). Each round stores one new pricing-page view for each of n random
contacts through the runtime's writer (durable, with its pending copy on DuckDB), then times
the scorer's micro-batch for exactly those contacts (``Runtime._rescore``: the rescoring,
history rows, alerts and webhook outbox in one transaction). The clock moves a minute per
round. Medians of the rounds after the first (which renders the queries), wall and CPU seconds
of this process.

``--writer`` times the storing instead: ``Runtime.ingest_events`` of the n events, from the
call to its answer (the writer's group commit, which first waits ``commit_wait_s`` for other
requests to join it; none come here), the scorer left idle.

``--merge-from 0`` merges every contact with a stored score (where exact); the default is the
service's. To compare with other code, put its ``src`` first on ``PYTHONPATH``. Results:
docs/benchmarks.md ("Service").
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def measure(
    source: Path, batches: list[int], rounds: int, merge_from: int | None, writer: bool
) -> Any:
    from leadscore.records import Event
    from leadscore.service.runtime import Runtime
    from leadscore.service.settings import RuntimeSettings
    from leadscore.service.stores import workspace_target

    copy = source.parent / "scorer-run"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(source, copy)
    target = workspace_target(copy, None)
    store = target.open_store()
    now = [int(store.scalar("SELECT max(ts_us) FROM events")) + 3_600_000_000]
    ids = [str(r["contact_id"]) for r in store.rows("SELECT contact_id FROM contacts")]
    store.close()
    options: dict[str, Any] = {} if merge_from is None else {"merge_from": merge_from}
    if "pace_until" in RuntimeSettings.__dataclass_fields__:  # (code before pacing has none)
        options["pace_until"] = 10**9  # the runtime's scorer must not start on a backlog
    settings = RuntimeSettings(
        refresh_interval_s=0, score_delay_s=3600, clock=lambda: now[0], **options
    )
    runtime = Runtime("bench", target.open_store, settings, seed_model=target.seed_model)
    started = time.perf_counter()
    runtime.start()
    out: dict[str, Any] = {"start_s": round(time.perf_counter() - started, 1)}
    rng = random.Random(5)
    store = target.open_store()
    try:
        for n in batches:
            times = []
            for round_ in range(rounds):
                picked = rng.sample(ids, n)
                events = [
                    Event(f"bench-{n}-{round_}-{i}", c, "page_view", now[0], {"url": "/pricing"})
                    for i, c in enumerate(picked)
                ]
                wall, cpu = time.perf_counter(), time.process_time()
                runtime.ingest_events(events)
                stored = (time.perf_counter() - wall, time.process_time() - cpu)
                with runtime._touched_lock:  # take the batch from the scorer's queue
                    touched = dict(runtime._touched)
                    runtime._touched.clear()
                if writer:
                    times.append((*stored, 0))
                else:
                    wall, cpu = time.perf_counter(), time.process_time()
                    update = runtime._rescore(store, touched)
                    merged = getattr(update, "merged", 0)  # (code before merging has none)
                    times.append((time.perf_counter() - wall, time.process_time() - cpu, merged))
                now[0] += 60_000_000
            kept = times[1:]
            out[str(n)] = {
                "seconds": round(statistics.median(t[0] for t in kept), 4),
                "cpu_s": round(statistics.median(t[1] for t in kept), 4),
                "merged": statistics.median(t[2] for t in kept),
            }
            print(f"  {n}: {json.dumps(out[str(n)])}", file=sys.stderr)
    finally:
        store.close()
        runtime.stop(timeout=1)
        shutil.rmtree(copy, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", type=Path, default=Path("bench-data/service-100000-natural"))
    parser.add_argument("--batches", default="100,1000")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--merge-from", type=int, default=None)
    parser.add_argument("--writer", action="store_true", help="time the writer's group commit")
    args = parser.parse_args()
    batches = [int(x) for x in args.batches.split(",")]
    result = measure(args.workspace, batches, args.rounds, args.merge_from, args.writer)
    print(json.dumps({"command": " ".join(sys.argv), **result}, indent=2))


if __name__ == "__main__":
    main()
