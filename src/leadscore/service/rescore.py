"""Rescore on demand: bring every score to now (time passing: decay, expiry, inactivity), or
recompute everyone from raw events by publishing the active model version again.

The service does the first on a timer; ``POST /api/v1/rescore`` and ``leadscore rescore`` (for
cron, when the service is not running) call the same functions, so history, alerts and webhook
deliveries are written the same way whichever triggers it.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

from leadscore.timeutil import iso

if TYPE_CHECKING:
    from leadscore.service.runtime import Runtime
    from leadscore.service.settings import RuntimeSettings
    from leadscore.service.stores import WorkspaceTarget


def rescore(runtime: Runtime, full: bool = False) -> dict[str, Any]:
    """Refresh every score for the passage of time, or (``full``) recompute everyone with the
    active model version. Returns what was done."""
    started = time.perf_counter()
    if full:
        version = runtime.active.version
        published = runtime.publish(version)
        return {
            "mode": "full",
            "workspace": runtime.name,
            "model_version": version,
            "as_of": iso(runtime.settings.clock()),
            "rescored": int(published["scored"]),
            "rebased": 0,
            "changed_grade": int(published["changed_grade"]),
            "seconds": round(time.perf_counter() - started, 3),
        }
    update = runtime.refresh()
    return {
        "mode": "time",
        "workspace": runtime.name,
        "model_version": runtime.active.version,
        "as_of": iso(update.as_of_us),
        "rescored": update.rescored,
        "rebased": update.rebased,
        "changed_grade": len(update.changes),
        "seconds": round(time.perf_counter() - started, 3),
    }


def rescore_workspace(
    target: WorkspaceTarget, full: bool = False, settings: RuntimeSettings | None = None
) -> dict[str, Any]:
    """:func:`rescore` on a workspace database directly (no service running): start its
    runtime, rescore, stop."""
    from leadscore.service.runtime import Runtime
    from leadscore.service.settings import RuntimeSettings

    chosen = dataclasses.replace(settings or RuntimeSettings(), refresh_interval_s=0)
    runtime = Runtime(target.name, target.open_store, chosen, seed_model=target.seed_model)
    runtime.start()
    try:
        return rescore(runtime, full)
    finally:
        runtime.stop()
