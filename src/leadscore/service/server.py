"""Run the service: open every workspace, start its runtime and webhook delivery worker, serve
the API with uvicorn, stop everything on shutdown."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import FrameType

    from leadscore.service.runtime import Runtime
    from leadscore.service.settings import ServiceSettings
    from leadscore.service.webhooks import DeliveryWorker, Post

log = logging.getLogger("leadscore.service")

DELIVERY_INTERVAL_S = 1.0
DELIVERY_TIMEOUT_S = 5.0


def start_runtimes(settings: ServiceSettings) -> dict[str, Runtime]:
    """Open and start every workspace of ``settings`` (DuckDB files, or one PostgreSQL schema
    per workspace), keyed by workspace name. A workspace without a published model is seeded
    with its folder's model file."""
    from leadscore.service.runtime import Runtime
    from leadscore.service.stores import workspace_targets

    targets = workspace_targets(settings.workspaces, settings.database_url)
    started: dict[str, Runtime] = {}
    try:
        for target in targets:
            runtime = Runtime(target.name, target.open_store, settings.runtime, target.seed_model)
            started[target.name] = runtime.start()
            log.info(
                "workspace '%s' ready (%s, model version %d)",
                target.name,
                target.where,
                runtime.active.version,
            )
    except BaseException:
        stop_runtimes(started)
        raise
    return started


def stop_runtimes(runtimes: Mapping[str, Runtime]) -> None:
    for runtime in runtimes.values():
        runtime.stop()


def start_workers(
    runtimes: Mapping[str, Runtime], clock: Callable[[], int], post: Post | None = None
) -> list[DeliveryWorker]:
    """One webhook delivery worker per workspace, each with its own connection."""
    from leadscore.service.webhooks import DeliveryWorker

    return [
        DeliveryWorker(
            runtime.open_store, clock, DELIVERY_INTERVAL_S, DELIVERY_TIMEOUT_S, post=post
        ).start()
        for runtime in runtimes.values()
    ]


def stop_workers(workers: list[DeliveryWorker]) -> None:
    for worker in workers:
        worker.stop()


def serve(settings: ServiceSettings) -> None:
    """Serve until interrupted. Workspaces are opened before the server listens, so that a
    workspace that cannot be opened is reported at once."""
    import uvicorn

    from leadscore.service.app import create_app

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # sqlglot tells at INFO how it renders each query: noise in a service's log
    logging.getLogger("sqlglot").setLevel(logging.WARNING)
    runtimes = start_runtimes(settings)
    workers: list[DeliveryWorker] = []
    # uvicorn shuts down on SIGTERM as on Ctrl-C, then sends the signal again; ending the
    # process then would skip stopping the runtimes: end it by SystemExit, after the finally
    previous = signal.signal(signal.SIGTERM, _exit_quietly)
    try:
        workers = start_workers(runtimes, settings.runtime.clock)
        app = create_app(settings, runtimes)
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level="info",
            access_log=settings.access_log,
        )
    finally:
        stop_workers(workers)
        stop_runtimes(runtimes)
        signal.signal(signal.SIGTERM, previous)


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
