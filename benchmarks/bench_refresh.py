"""Refresh benchmark: bring every stored score forward for time passing, step after step.

    python benchmarks/bench_refresh.py [--contacts 1000000] [--steps 1h,1h,1d,1d,7d]
                                       [--rounds 1] [--checkpoint] [--data-dir bench-data]
                                       [--in-place-shares 0.01,0.9]

On a copy of the service benchmark's demo workspace (``bench-data/service-<contacts>-10``,
10 events per contact, built once if missing), scored once as of the data's end and kept
aside: each round starts from that scored copy and runs the library call
``leadscore.scoring.incremental.refresh`` for each step in turn (``1h``: one hour after the
previous one), without the service's history rows, alerts and account scores. Prints, per
step, wall and CPU seconds of this process and how many contacts were re-based and
recomputed exactly. With ``--checkpoint`` each step ends with a ``CHECKPOINT``, timed on its
own: DuckDB writes committed changes from its write-ahead log into the database file when
the log passes 16 MB, so part of a step's cost can fall on a later step; checkpointing after
each one charges every step its own. With ``--in-place-shares`` each round runs once per share
given, in turn, with ``IN_PLACE_SHARE`` set to it (the share of contacts to recompute up to
which a refresh re-bases the stored rows in place instead of writing a new table): 0.01 and
0.9 compare a new table with an update in place for the same steps.

To compare two versions of the code side by side, alternate rounds of each with the other
version's ``src`` first on ``PYTHONPATH``. Results: docs/benchmarks.md ("Refresh in place").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

UNITS_US = {"h": 3_600_000_000, "d": 86_400_000_000}


def _step_us(text: str) -> int:
    return int(float(text[:-1]) * UNITS_US[text[-1]])


def scored_copy(data_dir: Path, contacts: int) -> tuple[Path, Path, int]:
    """The run's workspace folder, the scored database kept aside, and the data's end."""
    from leadscore.demo import reuse_or_build
    from leadscore.scoring.run import score_store
    from leadscore.store.workspace import Workspace

    source = data_dir / f"service-{contacts}-10"
    reuse_or_build(source, contacts, events_per_contact=10.0)
    folder = data_dir / "refresh-bench"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(source, folder)
    ws = Workspace.open(folder)
    model = ws.load_model()
    with ws.store() as store:
        end = int(store.scalar("SELECT max(ts_us) FROM events"))
        score_store(store, model, end, entities=("contacts",))
        store.execute("CHECKPOINT")
    kept = folder / "scored.duckdb"
    shutil.copy(ws.database_path, kept)
    return folder, kept, end


def one_round(
    folder: Path, kept: Path, end: int, steps: list[str], checkpoint: bool, share: float | None
) -> list[dict[str, Any]]:
    from leadscore.scoring import incremental
    from leadscore.scoring.incremental import refresh
    from leadscore.store.workspace import Workspace

    if share is not None:
        incremental.IN_PLACE_SHARE = share

    ws = Workspace.open(folder)
    shutil.copy(kept, ws.database_path)
    model = ws.load_model()
    out = []
    at = end
    with ws.store() as store:
        for step in steps:
            at += _step_us(step)
            started, cpu = time.perf_counter(), time.process_time()
            update = refresh(store, model, at)
            out.append(
                {
                    "step": step,
                    "seconds": round(time.perf_counter() - started, 2),
                    "cpu_s": round(time.process_time() - cpu, 2),
                    "rebased": update.rebased,
                    "rescored": update.rescored,
                    "in_place_share": incremental.IN_PLACE_SHARE,
                }
            )
            if checkpoint:
                started = time.perf_counter()
                store.execute("CHECKPOINT")
                out[-1]["checkpoint_s"] = round(time.perf_counter() - started, 2)
            print(f"  +{step}: {json.dumps(out[-1])}", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--steps", default="1h,1h,1d,1d,7d")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--checkpoint", action="store_true", help="CHECKPOINT after each step")
    parser.add_argument("--data-dir", type=Path, default=Path("bench-data"))
    parser.add_argument(
        "--in-place-shares", help="comma-separated shares to run each round with, in turn"
    )
    args = parser.parse_args()
    steps = args.steps.split(",")
    try:
        shares = (
            [float(s) for s in args.in_place_shares.split(",")] if args.in_place_shares else [None]
        )
    except ValueError:
        parser.error(f"--in-place-shares: '{args.in_place_shares}' is not a list of numbers")
    for step in steps:
        if step[-1:] not in UNITS_US:
            parser.error(f"--steps: '{step}' is not a number of hours or days (say 1h or 7d)")
    folder, kept, end = scored_copy(args.data_dir, args.contacts)
    results: dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_at_start": round(os.getloadavg()[0], 2),
        "rounds": [
            one_round(folder, kept, end, steps, args.checkpoint, share)
            for _ in range(args.rounds)
            for share in shares
        ],
        "load_at_end": round(os.getloadavg()[0], 2),
    }
    shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
