"""Web app benchmark: server time of the leads list and lead pages on a large workspace.

    python benchmarks/bench_web.py [--contacts 1000000] [--events-per-contact 10]
                                   [--data-dir bench-data] [--repeat 7]

Builds (or reuses) a demo workspace of that size, scores it as of the demo's end with the
service runtime, adds a ``predictions`` table (filled from the demo's hidden truth: a stand-in
for ``leadscore predict`` with the same columns, to measure the predictive column and sort),
then asks the app in-process (FastAPI TestClient, signed in with a session cookie) for each
page ``--repeat`` times and reports the median and worst server time, and the median CPU time
of the process (all threads; steadier than wall time on a shared machine). Before timing, a
first page indexes the new predictions by contact (once per prediction run) and a first search
builds the search index (once per workspace); both are reported.

Results and how to read them: docs/benchmarks.md ("Web app").
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.web.harness

PREDICTIONS_SQL = (
    "CREATE OR REPLACE TABLE predictions AS SELECT contact_id, p_convert_90d AS probability, "
    "CAST(round(100 * p_convert_90d) AS INTEGER) AS score, 'demo-truth' AS model_id, "
    "{as_of}::BIGINT AS as_of_us FROM demo_truth"
)


def prepare(contacts: int, per_contact: float, seed: int, data_dir: Path) -> Path:
    """The benchmark workspace, built unless one with the same parameters exists."""
    from leadscore.demo import reuse_or_build

    root = data_dir / f"web-{contacts}-{per_contact:g}-{seed}"
    started = time.perf_counter()
    _, reused = reuse_or_build(root, contacts, seed, events_per_contact=per_contact, threads=2)
    done = "reusing" if reused else f"built in {time.perf_counter() - started:.0f} s:"
    print(f"{done} {root}", file=sys.stderr)
    return root


def timed(client: Any, url: str, repeat: int) -> dict[str, Any]:
    times, cpu = [], []
    status = 0
    size = 0
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        status, size = response.status_code, len(response.content)
        if status != 200:
            raise SystemExit(f"{url}: HTTP {status}: {response.text[:300]}")
    return {
        "median_ms": 1000 * statistics.median(times),
        "worst_ms": 1000 * max(times),
        "cpu_ms": 1000 * statistics.median(cpu),
        "bytes": size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--events-per-contact", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, default=Path("bench-data"))
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--csv-rows", type=int, default=100_000, help="rows of the CSV timing")
    args = parser.parse_args()

    from fastapi.testclient import TestClient
    from tests.web.harness import add_user, make_app, sign_in

    from leadscore.demo import make_spec
    from leadscore.errors import LeadscoreError
    from leadscore.service.runtime import Runtime
    from leadscore.service.settings import RuntimeSettings
    from leadscore.service.stores import workspace_target
    from leadscore.store.duckdb_store import DuckStore
    from leadscore.store.workspace import Workspace

    root = prepare(args.contacts, args.events_per_contact, args.seed, args.data_dir)
    end = make_spec(args.contacts, args.seed).end_us
    with DuckStore(Workspace.open(root).database_path, threads=2) as store:
        store.execute(PREDICTIONS_SQL.format(as_of=int(end)))
    target = workspace_target(root)

    def open_store() -> Any:
        from leadscore.store.duckdb_store import DuckStore

        return DuckStore(Workspace.open(root).database_path, threads=2)

    settings = RuntimeSettings(refresh_interval_s=0, clock=lambda: end)
    started = time.perf_counter()
    runtime = Runtime(target.name, open_store, settings, seed_model=target.seed_model).start()
    print(f"runtime ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    try:
        with runtime.reader() as store:
            n_contacts = int(store.scalar("SELECT count(*) FROM scores"))
            n_events = int(store.scalar("SELECT count(*) FROM events"))
            deep = store.rows(
                "SELECT contact_id, total FROM scores ORDER BY total DESC, contact_id "
                "LIMIT 1 OFFSET ?",
                [n_contacts // 2],
            )[0]
            someone = store.rows(
                "SELECT contact_id, account_id FROM scores WHERE grade = 'hot' LIMIT 1"
            )[0]
            name = store.rows(
                "SELECT json_extract_string(attributes, '$.last_name') AS n FROM contacts "
                "WHERE contact_id = ?",
                [someone["contact_id"]],
            )[0]["n"]
        with contextlib.suppress(LeadscoreError):  # the user exists from an earlier run
            add_user(runtime, "bench", "bench password")
        from leadscore.web.queries.filters import Cursor

        cursor = Cursor(deep["total"], deep["contact_id"]).encode()
        lead = someone["contact_id"]
        app = make_app({runtime.name: runtime})
        with TestClient(app) as client:
            assert sign_in(client, "bench", "bench password").status_code == 303
            started = time.perf_counter()
            client.get("/leads.json")  # indexes the new predictions by contact
            predictions_s = time.perf_counter() - started
            started = time.perf_counter()
            client.get(f"/leads.json?q={name}")  # builds the search index
            index_s = time.perf_counter() - started
            pages = {
                "first page (sort -total)": "/leads",
                "first page, JSON twin": "/leads.json",
                "grade=hot": "/leads?grade=hot",
                "grade=cold, 100 a page": "/leads?grade=cold&size=100",
                f"page at row {n_contacts // 2:,} (keyset)": f"/leads?after={cursor}&at=500001",
                "last page": "/leads?last=1",
                "sort by fit": "/leads?sort=-fit",
                "sort by grade, stage=MQL": "/leads?sort=-grade&stage=MQL",
                "total 40 to 60": "/leads?min=40&max=60",
                "sort by predictive": "/leads?sort=-predictive",
                "sort by predictive, grade=cold": "/leads?sort=-predictive&grade=cold",
                "sort by predictive, grade=hot": "/leads?sort=-predictive&grade=hot",
                f"search '{name}'": f"/leads?q={name}",
                "account filter": f"/leads?account={someone['account_id']}",
                "lead page": f"/leads/{lead}",
                "lead JSON twin": f"/leads/{lead}.json",
            }
            print(f"{n_contacts:,} scored contacts, {n_events:,} events")
            print(
                f"{platform.machine()}, {os.cpu_count()} CPUs, DuckDB threads=2, "
                f"load average {os.getloadavg()[0]:.2f} at start"
            )
            print(f"first page, indexing the predictions: {predictions_s:.1f} s (once per run)")
            print(f"search index built in {index_s:.1f} s (once per workspace)")
            print(f"{'page':42s} {'median':>9s} {'worst':>9s} {'CPU':>9s} {'size':>9s}")
            for label, url in pages.items():
                result = timed(client, url, args.repeat)
                print(
                    f"{label:42s} {result['median_ms']:7.0f}ms {result['worst_ms']:7.0f}ms "
                    f"{result['cpu_ms']:7.0f}ms {result['bytes'] / 1024:7.0f}KB"
                )
            started = time.perf_counter()
            rows = 0
            with client.stream("GET", "/leads.csv?grade=cold") as response:
                for _line in response.iter_lines():
                    rows += 1
                    if rows > args.csv_rows:
                        break
            took = time.perf_counter() - started
            rate = (rows - 1) / took
            print(f"CSV export: first {rows - 1:,} rows in {took:.1f} s ({rate:,.0f} rows/s)")
            print(f"load average {os.getloadavg()[0]:.2f} at the end")
    finally:
        runtime.stop()


if __name__ == "__main__":
    main()
