"""Rescoring against history length: does a new event cost the same whatever the contact's past?

    python benchmarks/bench_history.py [--contacts 1000] [--copies 1,10,100] [--batch 100]
        [--repeat 5] [--seed 3] [--model benchmarks/models/sums.yaml]

A demo workspace of ``--contacts`` contacts (the demo's natural events, about 18 a contact) is
built in memory; each ``--copies`` value repeats every contact's events that many times (new
ids, each copy an hour earlier), so the same contacts have 1x, 10x, 100x the history. Scored
once as of the data's end. Then, ``--repeat`` rounds: ``--batch`` random contacts each get one
new page view, stored as the service's writer stores it (with a pending copy), and are
rescored twice, with the service's rescorer (queries rendered once, as its scorer keeps them):

- ``merge``: each stored score plus the contact's pending events (what the service does on
  DuckDB; contacts that cannot be merged exactly are recomputed, counted in ``merged``);
- ``exact``: the same contacts recomputed from all their events (what it did before, and
  still does on PostgreSQL).

The two results are compared (largest difference of any score). Medians of the rounds, wall
and CPU seconds of this process. Results: docs/benchmarks.md ("Service").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HOUR_US = 3_600_000_000


def _timed(action: Any) -> tuple[float, float, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - started, time.process_time() - cpu, result


def _store(contacts: int, seed: int, copies: int) -> Any:
    from leadscore.demo import generate, load
    from leadscore.store.duckdb_store import DuckStore

    store = DuckStore()
    store.init_schema()
    load(store, generate(contacts, seed=seed))
    if copies > 1:
        store.execute(
            "INSERT INTO events SELECT event_id || '-' || k, contact_id, type, ts_us - k * ?, "
            "properties, received_at_us FROM events, range(1, ?) AS r(k)",
            [HOUR_US, copies],
        )
    return store


def _totals(store: Any, ids: list[str]) -> dict[str, float]:
    rows = store.rows(
        "SELECT contact_id, total FROM scores WHERE contact_id IN (SELECT unnest(?))", [ids]
    )
    return {str(r["contact_id"]): float(r["total"]) for r in rows}


def measure(
    contacts: int, seed: int, copies: int, batch: int, repeat: int, model_path: Path | None
) -> dict[str, Any]:
    from leadscore.model import load_model
    from leadscore.records import Event, events_table
    from leadscore.scoring.pending import TABLE as PENDING
    from leadscore.scoring.rescorer import Rescorer
    from leadscore.scoring.run import score_store
    from leadscore.store.workspace import example_model_path

    model = load_model(model_path or example_model_path())
    store = _store(contacts, seed, copies)
    events = int(store.scalar("SELECT count(*) FROM events"))
    as_of = int(store.scalar("SELECT max(ts_us) FROM events"))
    ids = [str(r["contact_id"]) for r in store.rows("SELECT contact_id FROM contacts")]
    score_store(store, model, as_of, entities=("contacts",))
    merging = Rescorer(model, store.dialect, "bench", merge=True)
    exact = Rescorer(model, store.dialect, "bench")
    rng = random.Random(seed)
    times: dict[str, list[tuple[float, float]]] = {"merge": [], "exact": []}
    merged, largest = [], 0.0
    for round_ in range(repeat):
        picked = rng.sample(ids, batch)
        now = as_of + (round_ + 1) * 60_000_000
        new = [
            Event(f"bench-{round_}-{i}", c, "page_view", now, {"url": "/pricing"})
            for i, c in enumerate(picked)
        ]
        store.insert_new("events", "event_id", events_table(new), copy_to=PENDING)
        wall, cpu, update = _timed(lambda: merging.run(store, picked, now))  # noqa: B023
        times["merge"].append((wall, cpu))
        merged.append(update.merged)
        after_merge = _totals(store, picked)
        wall, cpu, _ = _timed(lambda: exact.run(store, picked, now))  # noqa: B023
        times["exact"].append((wall, cpu))
        after_exact = _totals(store, picked)
        largest = max([largest, *(abs(after_merge[c] - after_exact[c]) for c in picked)])
    store.close()
    out: dict[str, Any] = {
        "contacts": len(ids),
        "events": events,
        "events_per_contact": round(events / len(ids), 1),
        "merged_per_batch": statistics.median(merged),
        "largest_total_difference": largest,
    }
    for how, rounds in times.items():
        out[how] = {
            "seconds": round(statistics.median(t[0] for t in rounds), 4),
            "cpu_s": round(statistics.median(t[1] for t in rounds), 4),
        }
    print(f"  x{copies}: {json.dumps(out)}", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--copies", default="1,10,100")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--model", type=Path, default=None, help="a model file (default: the example model)"
    )
    args = parser.parse_args()
    results: dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "load_at_start": round(os.getloadavg()[0], 2),
        "copies": {},
    }
    for copies in (int(x) for x in args.copies.split(",")):
        results["copies"][str(copies)] = measure(
            args.contacts, args.seed, copies, args.batch, args.repeat, args.model
        )
    results["load_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
