"""The import rules of one event, as the API's ingest routes run them for every event.

    python benchmarks/bench_rows.py [--events 1000] [--rounds 30]

Builds ``--events`` events shaped like the service benchmark's (an id, a contact, a type, an ISO
time and two text properties), validates them with the batch route's schema once, then times
reading each one's fields and passing them through the import rules
(``event_from_fields(item.as_fields(), now)``), ``--rounds`` times; prints the median and the
fastest round in microseconds per event. To compare with other code, put its ``src`` first on
``PYTHONPATH``. Results: docs/benchmarks.md ("Service").
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def measure(events: int, rounds: int) -> dict[str, float]:
    from leadscore.service.schemas.events import EventBatchIn
    from leadscore.store.imports.rows import event_from_fields

    now = 1_800_000_000_000_000
    items = [
        {
            "event_id": f"bench-{i}",
            "contact_id": f"contact-{i % 997}",
            "type": "page_view",
            "ts": "2026-06-30T14:05:00Z",
            "properties": {"url": f"/pricing/{i % 7}", "campaign": "spring"},
        }
        for i in range(events)
    ]
    batch = EventBatchIn.model_validate_json(json.dumps({"events": items})).events
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for item in batch:
            event_from_fields(item.as_fields(), now)
        times.append((time.perf_counter() - started) / events * 1e6)
    return {"median_us": round(statistics.median(times), 2), "fastest_us": round(min(times), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    print(json.dumps(measure(args.events, args.rounds)))


if __name__ == "__main__":
    main()
