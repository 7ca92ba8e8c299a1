"""Settings of the service (read from the command line and the environment by the CLI)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from leadscore.timeutil import now_us


@dataclass(frozen=True)
class RuntimeSettings:
    """How one workspace's ingest and scoring behave."""

    # group commit: requests arriving within this window share one durable commit
    commit_wait_s: float = 0.002
    max_commit_items: int = 20_000
    # scoring: contacts touched within this window are rescored together
    score_delay_s: float = 0.05
    # pacing under sustained writes: after a micro-batch that took T seconds, the next starts
    # no sooner than T x (1 - share) / share after it ended, and that wait is at most
    # max_score_wait_s; so the scorer takes at most about this share of a core while
    # batches are small, and the HTTP threads and the writer keep the rest (0: no pacing).
    # Once pace_until contacts wait, the scorer does not wait: it must not fall behind
    score_share: float = 0.5
    max_score_wait_s: float = 0.4
    pace_until: int = 1_000
    max_score_batch: int = 5_000
    # on DuckDB, contacts whose stored score counts at least this many selected events are
    # rescored from that score plus their new events alone (see leadscore.scoring.rescorer)
    merge_from: int = 20_000
    # time passing: every stored score is brought to now this often (0 disables)
    refresh_interval_s: float = 300.0
    # the clock (tests move it by hand)
    clock: Callable[[], int] = field(default=now_us)


@dataclass(frozen=True)
class ServiceSettings:
    """The HTTP service: which workspaces, where it listens, limits."""

    workspaces: tuple[str, ...] = (".",)
    database_url: str | None = None  # postgresql://... for a shared server; None = DuckDB
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 10 * 1024 * 1024
    max_batch_items: int = 10_000
    access_log: bool = True  # one log line per request (uvicorn's access log)
    # the common single event answered without FastAPI's routing (api/fast_events.py)
    fast_events: bool = True
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings)
