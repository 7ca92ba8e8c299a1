"""/alerts: recent grade and stage transitions of leads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from leadscore.service.api.deps import PageQuery, PageSizeQuery, WorkspaceDep, offset
from leadscore.service.schemas.alerts import AlertPageOut
from leadscore.service.schemas.common import SafeText, error_responses

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get(
    "",
    summary="List recent alerts",
    description="Alerts raised when a lead's grade or stage changed (up or down), newest first, "
    "optionally for one contact: the same payload webhooks receive, with the lead's top reasons.",
    response_model=AlertPageOut,
    responses=error_responses(401, 422),
)
def list_alerts(
    ws: WorkspaceDep,
    contact_id: Annotated[SafeText | None, Query(description="Only this contact's alerts.")] = None,
    page: PageQuery = 1,
    page_size: PageSizeQuery = 50,
) -> AlertPageOut:
    from leadscore.service import reads

    with ws.reader() as store:
        items, total = reads.recent_alerts(store, contact_id, offset(page, page_size), page_size)
    return AlertPageOut.model_validate(
        {"items": items, "total": total, "page": page, "page_size": page_size}
    )
