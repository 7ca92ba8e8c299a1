"""/webhooks: endpoints that receive alerts, their delivery log, test sends; /deliveries: retry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request

from leadscore.service.api.deps import PageQuery, WorkspaceDep, offset
from leadscore.service.api.errors import ApiError
from leadscore.service.schemas.common import SafeText, error_responses
from leadscore.service.schemas.webhooks import (
    DeliveryOut,
    DeliveryPageOut,
    TestSendOut,
    WebhookCreatedOut,
    WebhookIn,
    WebhookListOut,
    WebhookOut,
    WebhookPatch,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
deliveries = APIRouter(prefix="/deliveries", tags=["webhooks"])

EndpointId = Annotated[SafeText, Path(max_length=200, description="The endpoint's id.")]
DeliveryId = Annotated[SafeText, Path(max_length=200, description="The delivery's id.")]
DeliveryStatus = Literal["pending", "delivered", "dead"]


@contextmanager
def _mapped() -> Iterator[None]:
    """The webhook library's errors as API errors."""
    from leadscore.service.webhooks import InvalidWebhook, WebhookError, WebhookNotFound

    try:
        yield
    except WebhookNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except InvalidWebhook as exc:
        raise ApiError(422, "invalid_webhook", str(exc)) from None
    except WebhookError as exc:
        raise ApiError(409, "conflict", str(exc)) from None


@router.get(
    "",
    summary="List webhook endpoints",
    description="Active endpoints, oldest first; with `include_deleted=true` deleted ones too.",
    response_model=WebhookListOut,
    responses=error_responses(401, 422),
)
def list_webhooks(
    ws: WorkspaceDep,
    include_deleted: Annotated[bool, Query(description="Also deleted endpoints.")] = False,
) -> WebhookListOut:
    from leadscore.service.webhooks import list_endpoints

    with ws.reader() as store:
        found = list_endpoints(store, include_deleted=include_deleted)
    return WebhookListOut.model_validate({"items": [e.as_dict() for e in found]})


@router.post(
    "",
    status_code=201,
    summary="Create a webhook endpoint",
    description="Alerts (grade and stage changes) matching the filter are POSTed to the URL as "
    "JSON, signed with HMAC-SHA256 (`X-Leadscore-Signature`), at least once, with retries and "
    "exponential backoff. The response holds the signing secret: it is shown this once.",
    response_model=WebhookCreatedOut,
    responses=error_responses(400, 401, 413, 422),
)
def create_webhook(body: WebhookIn, ws: WorkspaceDep) -> WebhookCreatedOut:
    from leadscore.service.webhooks import create_endpoint

    now = ws.now()
    with _mapped():
        endpoint, secret = ws.runtime.command(
            lambda store: create_endpoint(
                store,
                body.url,
                grades=body.grades,
                stages=body.stages,
                directions=body.directions,
                cooldown_s=body.cooldown_s,
                max_attempts=body.max_attempts,
                secret=body.secret,
                now_us=now,
            )
        )
    return WebhookCreatedOut.model_validate({**endpoint.as_dict(), "secret": secret})


@router.get(
    "/{endpoint_id}",
    summary="Get a webhook endpoint",
    description="The endpoint's URL, filter, cooldown and attempts (never its secret).",
    response_model=WebhookOut,
    responses=error_responses(401, 404, 422),
)
def get_webhook(endpoint_id: EndpointId, ws: WorkspaceDep) -> WebhookOut:
    from leadscore.service.webhooks import get_endpoint

    with ws.reader() as store, _mapped():
        found = get_endpoint(store, endpoint_id)
    return WebhookOut.model_validate(found.as_dict())


@router.patch(
    "/{endpoint_id}",
    summary="Change a webhook endpoint",
    description="Changes the fields given; the others stay. A new `max_attempts` applies to "
    "pending deliveries too; `active: true` undoes a delete.",
    response_model=WebhookOut,
    responses=error_responses(400, 401, 404, 422),
)
def update_webhook(endpoint_id: EndpointId, body: WebhookPatch, ws: WorkspaceDep) -> WebhookOut:
    from leadscore.service.webhooks import update_endpoint

    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    with _mapped():
        updated = ws.runtime.command(lambda store: update_endpoint(store, endpoint_id, **changes))
    return WebhookOut.model_validate(updated.as_dict())


@router.delete(
    "/{endpoint_id}",
    summary="Delete a webhook endpoint",
    description="Deactivates the endpoint: no new deliveries, pending ones are given up (`dead`). "
    "The endpoint and its delivery log stay readable.",
    response_model=WebhookOut,
    responses=error_responses(401, 404, 422),
)
def delete_webhook(endpoint_id: EndpointId, ws: WorkspaceDep) -> WebhookOut:
    from leadscore.service.webhooks import delete_endpoint

    now = ws.now()
    with _mapped():
        deleted = ws.runtime.command(lambda store: delete_endpoint(store, endpoint_id, now))
    return WebhookOut.model_validate(deleted.as_dict())


@router.get(
    "/{endpoint_id}/deliveries",
    summary="Delivery log of an endpoint",
    description="Deliveries to this endpoint, newest first: status (`pending`, `delivered`, "
    "`dead`), attempts, the last status code or error, the next attempt.",
    response_model=DeliveryPageOut,
    responses=error_responses(401, 404, 422),
)
def webhook_deliveries(
    endpoint_id: EndpointId,
    ws: WorkspaceDep,
    status: Annotated[DeliveryStatus | None, Query(description="Only this status.")] = None,
    page: PageQuery = 1,
    page_size: Annotated[int, Query(ge=1, le=1000, description="Items per page.")] = 100,
) -> DeliveryPageOut:
    from leadscore.service.webhooks import delivery_log, get_endpoint

    with ws.reader() as store, _mapped():
        get_endpoint(store, endpoint_id)
        items = delivery_log(store, endpoint_id, status, page_size, offset=offset(page, page_size))
    return DeliveryPageOut.model_validate({"items": items, "page": page, "page_size": page_size})


@router.post(
    "/{endpoint_id}/test",
    summary="Send a test alert",
    description='POSTs a signed sample alert (marked `"test": true`) to the endpoint now and '
    "reports the answer; nothing is recorded.",
    response_model=TestSendOut,
    responses=error_responses(401, 404, 409, 422),
)
def test_webhook(endpoint_id: EndpointId, request: Request, ws: WorkspaceDep) -> TestSendOut:
    from leadscore.service.webhooks import send_test

    post = request.app.state.webhook_post
    with ws.reader() as store, _mapped():
        result = send_test(store, endpoint_id, post, ws.now(), workspace=ws.name)
    return TestSendOut.model_validate(result)


@deliveries.post(
    "/{delivery_id}/retry",
    summary="Retry a delivery",
    description="Queues a `dead` or `pending` delivery for now with a fresh series of attempts. "
    "A delivered one is refused (409), as is one whose endpoint was deleted.",
    response_model=DeliveryOut,
    responses=error_responses(401, 404, 409, 422),
)
def retry_delivery(delivery_id: DeliveryId, ws: WorkspaceDep) -> DeliveryOut:
    from leadscore.service.webhooks import retry

    now = ws.now()
    with _mapped():
        entry = ws.runtime.command(lambda store: retry(store, delivery_id, now))
    return DeliveryOut.model_validate(entry)
