"""Bulk-load benchmark: what the ``events(contact_id)`` index costs an import.

    python benchmarks/bench_load.py [--contacts 1000000] [--events-per-contact 10] [--rounds 2]

Generates the demo data once (in memory), then loads its events in batches of 500,000 Arrow
rows in one transaction into fresh DuckDB files, 2 threads, three ways that alternate,
``--rounds`` times each, in one run:

- ``bulk_load``: ``leadscore.store.bulk.bulk_load`` as it is (the ``events_contact`` index, which
  rescoring looks contacts' events up in, dropped first and built after the commit);
- ``index in place``: the same transaction with ``events_contact`` kept during the load;
- ``no events_contact``: without that index at all (the unique index on ``event_id`` only).

Results: docs/benchmarks.md ("Bulk loading").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BATCH = 500_000


def load_once(events: Any, how: str, folder: Path) -> dict[str, float]:
    from leadscore.store import bulk
    from leadscore.store.duckdb_store import DuckStore

    path = folder / "load.duckdb"
    path.unlink(missing_ok=True)
    with DuckStore(path, threads=2) as store:
        store.init_schema()
        if how != "bulk_load":
            store.execute("DROP INDEX events_contact")
        batches = (("events", events.slice(i, BATCH)) for i in range(0, events.num_rows, BATCH))
        started, cpu = time.perf_counter(), time.process_time()
        if how == "index in place":
            store.execute("CREATE INDEX events_contact ON events (contact_id)")
            bulk._load(store, batches, ())
        else:
            bulk.bulk_load(store, batches)
        out = {"seconds": time.perf_counter() - started, "cpu_s": time.process_time() - cpu}
    path.unlink(missing_ok=True)
    return out


def main() -> None:
    from leadscore.demo import generate

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--events-per-contact", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    data = generate(args.contacts, events_per_contact=args.events_per_contact)
    ways = ("bulk_load", "index in place", "no events_contact")
    runs: dict[str, list[dict[str, float]]] = {how: [] for how in ways}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.rounds):
            for how in ways:
                runs[how].append(load_once(data.events, how, Path(folder)))
                print(f"  {how}: {runs[how][-1]}", file=sys.stderr)
    medians = {
        how: {k: round(statistics.median(r[k] for r in done), 2) for k in done[0]}
        for how, done in runs.items()
    }
    base = medians["no events_contact"]
    ratios = {
        how: round(m["seconds"] / base["seconds"], 2) for how, m in medians.items() if m != base
    }
    print(
        json.dumps(
            {
                "events": data.events.num_rows,
                "load_average": round(os.getloadavg()[0], 2),
                "medians": medians,
                "seconds_against_no_events_contact": ratios,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
