"""/rescore, /health, /ready."""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, Query

from leadscore.service.api.deps import WorkspaceDep
from leadscore.service.api.errors import ApiError
from leadscore.service.schemas.common import error_responses
from leadscore.service.schemas.ops import HealthOut, ReadyOut, RescoreOut

router = APIRouter(tags=["operations"])


@router.post(
    "/rescore",
    summary="Rescore now",
    description="Brings every score to now for the passage of time (decay, expiry, inactivity), "
    "as the service's timer does; with `full=true`, recomputes everyone from raw events with the "
    "active model version. Grade changes are recorded and alert as usual.",
    response_model=RescoreOut,
    responses=error_responses(401, 422, 503),
)
def rescore_now(
    ws: WorkspaceDep,
    full: Annotated[bool, Query(description="Recompute everyone from raw events.")] = False,
) -> RescoreOut:
    from leadscore.service.rescore import rescore

    return RescoreOut.model_validate(rescore(ws.runtime, full))


@router.get(
    "/health",
    summary="Liveness",
    description="Answers while the process serves requests. No API key needed.",
    response_model=HealthOut,
)
def health() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/ready",
    summary="Readiness of the key's workspace",
    description="Ready when the workspace database answers, the scorer is running and a model is "
    "loaded; otherwise 503 with the failed checks in `details`.",
    response_model=ReadyOut,
    responses=error_responses(401, 503),
)
def ready(ws: WorkspaceDep) -> ReadyOut:
    from leadscore.errors import LeadscoreError

    checks = {"database": False, "scorer": ws.runtime.healthy(), "model": False}
    version: int | None = None
    with contextlib.suppress(LeadscoreError):
        version = ws.runtime.active.version
        checks["model"] = True
    try:
        with ws.reader() as store:
            checks["database"] = store.scalar("SELECT 1") == 1
    except Exception:  # any driver error means the database is not reachable
        checks["database"] = False
    if not all(checks.values()):
        failed = ", ".join(name for name, ok in checks.items() if not ok)
        raise ApiError(503, "not_ready", f"workspace '{ws.name}' is not ready: {failed}", checks)
    return ReadyOut(ready=True, workspace=ws.name, model_version=version, checks=checks)
