"""The HTTP stack's own floor: how many single-event requests/s can one uvicorn + FastAPI process
answer on this machine when it does nothing with them?

    python benchmarks/bench_http_floor.py [--duration 10] [--connections 16] [--client-procs 2]
        [--repeat 2]

The server is a FastAPI app in its own process, run by uvicorn as ``leadscore serve`` runs its
app. Its one route, ``POST /api/v1/events``, takes the same bearer header and JSON event as the
real route, validates the body with a small pydantic model on the event loop (as the real
route does since it awaits its commit) and answers ``{"status":
"accepted"}``: no key check, no storage, no scoring. Two variants: with uvicorn's access log
(as ``leadscore serve`` runs) and without. The load generator, its request bodies and its
percentiles are those of ``bench_service.py``'s ``single`` phase. Whatever the real service
reaches is at most what this floor reaches. Results: docs/benchmarks.md ("Service").
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_service import API, _free_port, process_cpu, single_load

APP = """
import logging, sys
from datetime import datetime
from typing import Any
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_id: str | None = None
    contact_id: str
    type: str
    ts: datetime
    properties: dict[str, Any] = {}

app = FastAPI()

@app.post("/api/v1/events")
async def ingest(event: Event) -> dict[str, str]:
    return {"status": "accepted", "event_id": event.event_id or ""}

@app.get("/api/v1/health")
def health() -> dict[str, str]:
    return {"status": "ok"}

logging.basicConfig(level=logging.INFO)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="info",
            access_log=sys.argv[2] == "on")
"""


class Floor:
    """The bare app in its own process (what ``drive`` needs of a served workspace)."""

    key = "unused"

    def __init__(self, access_log: bool) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", APP, str(self.port), "on" if access_log else "off"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        sys.exit("the bare app did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    def cpu(self) -> float:
        return process_cpu(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    contacts = [f"ct-{n:07d}" for n in range(1, 100_001)]
    for run in range(args.repeat):
        for access_log in (True, False):  # side by side, alternated
            floor = Floor(access_log)
            try:
                result = single_load(floor, contacts, args, f"f{run}{int(access_log)}-")  # type: ignore[arg-type]
            finally:
                floor.stop()
            result.update(run=run, access_log=access_log)
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
