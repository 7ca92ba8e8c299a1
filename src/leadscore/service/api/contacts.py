"""/contacts: upsert one or many, read one with its score and reasons, list, history."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from leadscore.service.api.deps import (
    PageQuery,
    PageSizeQuery,
    WorkspaceContext,
    WorkspaceDep,
    check_batch,
    counts,
    offset,
    per_item,
)
from leadscore.service.api.errors import not_found
from leadscore.service.schemas.common import BatchResultOut, SafeText, error_responses
from leadscore.service.schemas.contacts import (
    ContactBatchIn,
    ContactIn,
    ContactOut,
    ContactPageOut,
    ContactWriteOut,
    HistoryPageOut,
    PredictionOut,
)

if TYPE_CHECKING:
    from leadscore.store.base import Store

router = APIRouter(prefix="/contacts", tags=["contacts"])

ContactId = Annotated[
    str,
    Path(
        description="The contact's id (1 to 200 characters; surrounding spaces are trimmed).",
        examples=["jane@acme.example"],
    ),
]
Sort = Literal["-total", "total", "contact_id", "-contact_id", "-predictive", "predictive"]


def _contact_id(raw: str) -> str:
    from leadscore.store.imports.fields import id_text

    return id_text("contact_id", raw)


def _fields(contact_id: str, body: ContactIn) -> dict[str, Any]:
    return {"contact_id": contact_id, **body.as_fields()}


@router.put(
    "/{contact_id}",
    summary="Create or update a contact",
    description="Creates the contact, or updates it: attributes sent replace the stored value of "
    "those keys, other stored attributes stay; `account_id` and `created_at` change only when "
    "given. A changed contact is rescored by the scorer's next micro-batch. Values follow the "
    "same rules as file imports (a refused value is a 422 naming the field; nothing is "
    "written).",
    response_model=ContactWriteOut,
    responses=error_responses(400, 401, 413, 422),
)
def upsert_contact(contact_id: ContactId, body: ContactIn, ws: WorkspaceDep) -> ContactWriteOut:
    from leadscore.store.imports.rows import contact_from_fields

    contact = contact_from_fields(_fields(_contact_id(contact_id), body), ws.now())
    [result] = ws.runtime.upsert_contacts([contact])
    return ContactWriteOut(status=result.status, contact_id=result.id)


@router.post(
    "/batch",
    summary="Create or update many contacts",
    description="Each contact as in `PUT /contacts/{contact_id}`, with its `contact_id` in the "
    "body. The response lists one result per contact, in order: `inserted`, `updated`, "
    "`unchanged`, or `rejected` with the reason (a rejected contact is not written; the others "
    "are). At most `max_batch_items` contacts (10,000 by default): a larger batch is refused "
    "with 413 and nothing is written.",
    response_model=BatchResultOut,
    responses=error_responses(400, 401, 413, 422),
)
def upsert_contacts(body: ContactBatchIn, ws: WorkspaceDep) -> BatchResultOut:
    from leadscore.store.imports.rows import contact_from_fields

    check_batch(ws, len(body.contacts), "contacts")
    items = [item.as_fields() for item in body.contacts]
    results = per_item(
        items, "contact_id", contact_from_fields, ws.runtime.upsert_contacts, ws.now()
    )
    return BatchResultOut.model_validate({"results": results, "counts": counts(results)})


@router.get(
    "",
    summary="List scored contacts",
    description="Scored contacts, best first by default, with filters: `grade` and `stage` "
    "(repeat for several: `grade=hot&grade=warm`), `min_score` (total at or above), `account`, "
    "`min_predictive` (predictive score at or above). Sort by `-total` (default), `total`, "
    "`contact_id`, `-contact_id`, or by the predictive score, `-predictive` or `predictive` "
    "(leads without one last). The predictive sort and filter need predictive scores (`leadscore "
    "predict`): a 400 says so otherwise. Paged: `total` in the response counts every match.",
    response_model=ContactPageOut,
    responses=error_responses(400, 401, 422),
)
def list_contacts(
    ws: WorkspaceDep,
    grade: Annotated[list[SafeText] | None, Query(description="Only these grades.")] = None,
    stage: Annotated[list[SafeText] | None, Query(description="Only these stages.")] = None,
    min_score: Annotated[
        float | None, Query(allow_inf_nan=False, description="Only totals at or above.")
    ] = None,
    account: Annotated[SafeText | None, Query(description="Only contacts of this account.")] = None,
    min_predictive: Annotated[
        int | None,
        Query(ge=0, le=100, description="Only predictive scores at or above (0 to 100)."),
    ] = None,
    sort: Annotated[Sort, Query(description="Order of the list.")] = "-total",
    page: PageQuery = 1,
    page_size: PageSizeQuery = 50,
) -> ContactPageOut:
    from leadscore.service import reads

    with ws.reader() as store:
        items, total = reads.list_contacts(
            store,
            ws.models,
            grade=grade,
            stage=stage,
            min_score=min_score,
            account=account,
            min_predictive=min_predictive,
            sort=sort,
            offset=offset(page, page_size),
            limit=page_size,
        )
    return ContactPageOut.model_validate(
        {"items": items, "total": total, "page": page, "page_size": page_size}
    )


@router.get(
    "/{contact_id}",
    summary="Get a contact with its score and reasons",
    description="The contact's attributes and current score: each named score, the total, "
    "grade, stage, matrix cell, the per-rule breakdown with a sentence per rule (it adds up to "
    "the raw score), the top reasons for and against, the time the score is for and the model "
    "version that computed it.",
    response_model=ContactOut,
    responses=error_responses(401, 404, 422),
)
def get_contact(contact_id: ContactId, ws: WorkspaceDep) -> ContactOut:
    from leadscore.service import reads

    found = _read_one(
        ws, contact_id, lambda store, wanted: reads.contact_detail(store, ws.models, wanted)
    )
    return ContactOut.model_validate(found)


@router.get(
    "/{contact_id}/prediction",
    summary="A contact's predictive score and its top factors",
    description="The stored predictive score (from `leadscore predict`) with the factors that "
    "raised and lowered it most, in words. The factors are computed on demand from the "
    "contact's features at the prediction's time with the trained model kept in the "
    "workspace folder (up to a second on a large workspace; the last few hundred are kept). "
    "When they cannot be given (no predictions yet, none for this contact, the model is not "
    "in a folder this server serves) `available` is false and `reason` says why.",
    response_model=PredictionOut,
    responses=error_responses(401, 404, 422),
)
def contact_prediction(contact_id: ContactId, ws: WorkspaceDep) -> PredictionOut:
    from leadscore.service import reads

    found = _read_one(
        ws, contact_id, lambda store, wanted: reads.contact_prediction(store, ws.explainer, wanted)
    )
    return PredictionOut.model_validate(found)


def _read_one(
    ws: WorkspaceContext, contact_id: str, read: Callable[[Store, str], dict[str, Any] | None]
) -> dict[str, Any]:
    """What ``read`` finds of the contact (its id checked and trimmed), or a 404."""
    wanted = _contact_id(contact_id)
    with ws.reader() as store:
        found = read(store, wanted)
    if found is None:
        raise not_found("contact", wanted)
    return found


@router.get(
    "/{contact_id}/history",
    summary="Score history of a contact",
    description="Every recorded change of the contact's score, newest first, with its cause "
    "(`event`, `attributes`, `time`, `model`) and the values before and after. Time passing "
    "is recorded when the grade or stage changes or the total crosses a whole point.",
    response_model=HistoryPageOut,
    responses=error_responses(401, 404, 422),
)
def contact_history(
    contact_id: ContactId, ws: WorkspaceDep, page: PageQuery = 1, page_size: PageSizeQuery = 100
) -> HistoryPageOut:
    from leadscore.service import reads

    wanted = _contact_id(contact_id)
    with ws.reader() as store:
        if not reads.contact_exists(store, wanted):
            raise not_found("contact", wanted)
        items, total = reads.contact_history(store, wanted, offset(page, page_size), page_size)
    return HistoryPageOut.model_validate(
        {
            "contact_id": wanted,
            "items": items,
            "total": total,
            "page": page,
            "page_size": page_size,
        }
    )
