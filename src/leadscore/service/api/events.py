"""/events: ingest one event or a batch; stored durably before the response, idempotent by id."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from leadscore.service.api.deps import WorkspaceDep, check_batch, counts, per_item
from leadscore.service.api.errors import rejected
from leadscore.service.schemas.common import BatchResultOut, error_responses
from leadscore.service.schemas.events import EventBatchIn, EventIn, EventOut

router = APIRouter(prefix="/events", tags=["events"])

_RULES = (
    "Values follow the same rules as file imports: ids of 1 to 200 characters, `ts` in ISO 8601 "
    "from 1970 to at most one day after now, the contact must exist. "
)


@router.post(
    "",
    summary="Ingest an event",
    description="Stores the event durably before answering; the contact is rescored by the "
    "scorer's next micro-batch. Idempotent: the same `event_id` sent again answers "
    "`duplicate` and changes nothing. "
    + _RULES
    + "A refused event is a 422 with the reason and writes nothing.",
    response_model=EventOut,
    responses=error_responses(400, 401, 413, 422, 503),
)
async def ingest_event(body: EventIn, ws: WorkspaceDep) -> JSONResponse:
    # on the event loop: checking one event is quick, and the durable commit is awaited
    # without holding a worker thread (single events come many at a time); the answer is
    # EventOut's body written directly, as for batches
    from leadscore.store.imports.rows import event_from_fields

    event = event_from_fields(body.as_fields(), ws.now())
    [result] = await ws.runtime.ingest_events_async([event])
    if result.status == "rejected":
        raise rejected(result, "event")
    return JSONResponse({"status": result.status, "event_id": result.id})


@router.post(
    "/batch",
    summary="Ingest a batch of events",
    description="One durable commit for the whole batch; one result per event, in order: "
    "`accepted`, `duplicate` (same id already stored, or earlier in the batch) or `rejected` "
    "with the reason (a rejected event is not written; the others are). " + _RULES + "At most "
    "`max_batch_items` events (10,000 by default): a larger batch is refused with 413 and "
    "nothing is written. A body that does not match the schema (wrong types, unknown fields) "
    "is a 422 and nothing is written.",
    response_model=BatchResultOut,
    responses=error_responses(400, 401, 413, 422, 503),
)
def ingest_events(body: EventBatchIn, ws: WorkspaceDep) -> JSONResponse:
    from leadscore.store.imports.rows import event_from_fields

    check_batch(ws, len(body.events), "events")
    items = [item.as_fields() for item in body.events]
    results = per_item(items, "event_id", event_from_fields, ws.runtime.ingest_events, ws.now())
    # the body of BatchResultOut, written directly: validating and serializing thousands of
    # results through the response model cost more than the rest of the route
    listed = [{"status": r["status"], "id": r["id"], "reason": r.get("reason")} for r in results]
    return JSONResponse({"results": listed, "counts": counts(results)})
