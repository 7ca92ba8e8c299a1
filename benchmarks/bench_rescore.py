"""Rescoring benchmark: does rescoring a few contacts cost the same however much history the
store holds?

    python benchmarks/bench_rescore.py [--sizes 100000,1000000] [--batches 10,100,1000]
        [--repeat 5] [--data-dir bench-data]

For each demo workspace size (the 100,000-contact workspace with the demo's natural event
counts, and 1,000,000 contacts with 10 events each: the service benchmark's two workspaces,
shared through ``--data-dir``), on a fresh copy scored once as of the data's end:

- ``slice``: the rescoring read of ``n`` random contacts as the service's scorer makes it for
  a micro-batch: their rows and events read through the ``contact_id`` indexes into the slice
  tables, and the compiled model (compiled beforehand, as the scorer keeps it) run on those;
- ``semi-join``: the same compiled model for the same contacts given as a sub-query
  (``contact_id IN (SELECT ...)``): the way rescoring read events before, which DuckDB
  answers with a scan of every event;
- ``rescore``: the library call ``rescore_contacts`` for the same contacts, all in: compiling
  the model, the slice, replacing the scores in one transaction;
- ``full``: scoring every contact (``score_store``), for scale;
- ``refresh 1h``: ``leadscore.scoring.incremental.refresh`` one hour later, then another hour,
  ``--repeat`` times: every score brought forward for time passing (re-based, or recomputed
  where a window closed), the library call alone, without the service's history rows, alerts
  and account and deal scores.

Medians of ``--repeat`` rounds (new random contacts each round), wall and CPU seconds of this
process. Results: docs/benchmarks.md ("Service").
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HOUR_US = 3_600_000_000


def _timed(action: Any) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - started, time.process_time() - cpu


def _sliced(store: Any, ids: list[str], query: str) -> None:
    from leadscore.scoring import slices

    with store.transaction():
        slices.fill(store, ids)
        store.rows(query)


def _workspace(data_dir: Path, contacts: int) -> Path:
    from leadscore.demo import reuse_or_build

    per_contact = None if contacts <= 100_000 else 10.0
    folder = data_dir / f"service-{contacts}-{'natural' if per_contact is None else 10}"
    reuse_or_build(folder, contacts, events_per_contact=per_contact)
    copy = data_dir / "rescore-run"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(folder, copy)
    return copy


def measure(data_dir: Path, contacts: int, batches: list[int], repeat: int) -> dict[str, Any]:
    from sqlglot import exp

    from leadscore.compile.contacts import compile_contacts
    from leadscore.compile.dialects import get_dialect
    from leadscore.scoring import slices
    from leadscore.scoring.incremental import refresh, rescore_contacts
    from leadscore.scoring.run import score_store
    from leadscore.store.workspace import Workspace

    listed = exp.select("contact_id").from_("bench_ids")
    workspace = Workspace.open(_workspace(data_dir, contacts))
    model = workspace.load_model()
    with workspace.store() as store:
        events = int(store.scalar("SELECT count(*) FROM events"))
        as_of = int(store.scalar("SELECT max(ts_us) FROM events"))
        ids = [str(r["contact_id"]) for r in store.rows("SELECT contact_id FROM contacts")]
        wall, cpu = _timed(lambda: score_store(store, model, as_of, entities=("contacts",)))
        out: dict[str, Any] = {
            "contacts": len(ids),
            "events": events,
            "full": {"seconds": round(wall, 3), "cpu_s": round(cpu, 3)},
        }
        store.execute("CREATE TEMP TABLE bench_ids (contact_id VARCHAR)")
        queries = {
            how: get_dialect(store.dialect).sql(compiled.query, pretty=False)
            for how, compiled in (
                ("semi-join", compile_contacts(model, as_of, store.dialect, contact_ids=listed)),
                ("slice", compile_contacts(model, as_of, store.dialect, sources=slices.SOURCES)),
            )
        }
        rng = random.Random(7)
        for n in batches:
            rounds: dict[str, list[tuple[float, float]]] = {h: [] for h in (*queries, "rescore")}
            for _ in range(repeat):
                picked = rng.sample(ids, n)
                store.execute("DELETE FROM bench_ids")
                store.execute("INSERT INTO bench_ids SELECT unnest(?)", [picked])
                rounds["semi-join"].append(_timed(lambda: store.rows(queries["semi-join"])))
                sliced = functools.partial(_sliced, store, picked, queries["slice"])
                rounds["slice"].append(_timed(sliced))
                rescore = functools.partial(rescore_contacts, store, model, picked, as_of)
                rounds["rescore"].append(_timed(rescore))
            for how, times in rounds.items():
                out[f"{how} {n}"] = {
                    "seconds": round(statistics.median(t[0] for t in times), 4),
                    "cpu_s": round(statistics.median(t[1] for t in times), 4),
                }
            print(f"  {contacts:,} contacts, {n}: {json.dumps(out)}", file=sys.stderr)
        # time passing: the library's refresh alone (no history, alerts, accounts or deals)
        steps = []
        for step in range(1, repeat + 1):
            later = as_of + step * HOUR_US
            wall, cpu = _timed(functools.partial(refresh, store, model, later))
            steps.append((wall, cpu))
        out["refresh 1h"] = {
            "seconds": round(statistics.median(t[0] for t in steps), 3),
            "cpu_s": round(statistics.median(t[1] for t in steps), 3),
        }
        print(f"  {contacts:,} contacts, refresh: {out['refresh 1h']}", file=sys.stderr)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--batches", default="10,100,1000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=Path("bench-data"))
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    batches = [int(x) for x in args.batches.split(",")]
    results: dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "load_at_start": round(os.getloadavg()[0], 2),
        "sizes": {},
    }
    for size in (int(x) for x in args.sizes.split(",")):
        results["sizes"][str(size)] = measure(args.data_dir, size, batches, args.repeat)
    results["load_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
