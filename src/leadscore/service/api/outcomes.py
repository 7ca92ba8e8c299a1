"""/outcomes: record conversions (converted / won / lost) for training and backtests."""

from __future__ import annotations

from fastapi import APIRouter

from leadscore.service.api.deps import WorkspaceDep, check_batch, counts, per_item
from leadscore.service.api.errors import rejected
from leadscore.service.schemas.common import BatchResultOut, error_responses
from leadscore.service.schemas.events import OutcomeBatchIn, OutcomeIn, OutcomeOut

router = APIRouter(prefix="/outcomes", tags=["outcomes"])

_RULES = (
    "`type` is `converted`, `won` or `lost`; `ts` in ISO 8601 from 1970 to at most one day after "
    "now; the contact must exist. Idempotent by `outcome_id` (default: a hash of the content). "
)


@router.post(
    "",
    summary="Record an outcome",
    description="Stores how a lead ended, durably, before answering. "
    + _RULES
    + "A refused outcome is a 422 with the reason and writes nothing.",
    response_model=OutcomeOut,
    responses=error_responses(400, 401, 413, 422, 503),
)
def record_outcome(body: OutcomeIn, ws: WorkspaceDep) -> OutcomeOut:
    from leadscore.store.imports.rows import outcome_from_fields

    outcome = outcome_from_fields(body.as_fields(), ws.now())
    [result] = ws.runtime.record_outcomes([outcome])
    if result.status == "rejected":
        raise rejected(result, "outcome")
    return OutcomeOut(status=result.status, outcome_id=result.id)


@router.post(
    "/batch",
    summary="Record a batch of outcomes",
    description="One result per outcome, in order: `accepted`, `duplicate` or `rejected` with the "
    "reason (not written). "
    + _RULES
    + "At most `max_batch_items` outcomes (10,000 by default): a larger batch is refused with "
    "413 and nothing is written.",
    response_model=BatchResultOut,
    responses=error_responses(400, 401, 413, 422, 503),
)
def record_outcomes(body: OutcomeBatchIn, ws: WorkspaceDep) -> BatchResultOut:
    from leadscore.store.imports.rows import outcome_from_fields

    check_batch(ws, len(body.outcomes), "outcomes")
    items = [item.as_fields() for item in body.outcomes]
    results = per_item(
        items, "outcome_id", outcome_from_fields, ws.runtime.record_outcomes, ws.now()
    )
    return BatchResultOut.model_validate({"results": results, "counts": counts(results)})
