"""Alerts: the webhook endpoints that receive grade and stage changes (``/alerts``, ``.json``;
``POST /alerts/endpoints`` creates one and shows its signing secret once), one endpoint with
its delivery log (``/alerts/endpoints/{id}``; ``POST`` to change it, ``.../delete``,
``.../restore``, ``.../test`` for a test-send) and retries (``POST
/alerts/deliveries/{id}/retry``). The work is done by :mod:`leadscore.web.queries.alerts`,
over the webhook library."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from leadscore.web.deps import FormDep, Viewer, ViewerDep, WebError
from leadscore.web.render import NO_STORE, add_page, json_safe, respond, wants_json
from leadscore.web.views import NavItem
from leadscore.web.views.model import answer_or_redirect

if TYPE_CHECKING:
    from starlette.responses import Response

router = APIRouter()
NAV = NavItem("Alerts", "/alerts", "alerts")
TEST_TARGET = "test-result"
NOTICES = {
    "deleted": "Deleted the endpoint: it receives nothing more; its log stays.",
    "restored": "Restored the endpoint: it receives alerts again.",
    "saved": "Saved the endpoint.",
    "retried": "Queued the delivery again, for now.",
}


@contextmanager
def _mapped() -> Iterator[None]:
    """The webhook library's refusals as pages: 404, 422 (a bad value) or 409."""
    from leadscore.service.webhooks import InvalidWebhook, WebhookError, WebhookNotFound

    try:
        yield
    except WebhookNotFound as exc:
        raise WebError(404, _sentence(exc)) from None
    except InvalidWebhook as exc:
        raise WebError(422, _sentence(exc)) from None
    except WebhookError as exc:
        raise WebError(409, _sentence(exc)) from None


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _labels(viewer: Viewer) -> dict[str, list[str]]:
    from leadscore.web.queries.alerts import DIRECTIONS
    from leadscore.web.queries.leads import grade_labels, stage_labels

    model = viewer.ws.runtime.active.model
    return {
        "grades": grade_labels(model),
        "stages": stage_labels(model),
        "directions": list(DIRECTIONS),
    }


def _notice(viewer: Viewer) -> str | None:
    return next((text for key, text in NOTICES.items() if viewer.param(key)), None)


def _url(endpoint_id: str) -> str:
    from urllib.parse import quote

    return f"/alerts/endpoints/{quote(endpoint_id, safe='')}"


def _alerts_context(
    viewer: Viewer, created: dict[str, Any] | None = None, problem: str | None = None
) -> dict[str, Any]:
    from leadscore.web.queries.alerts import overview

    deleted = viewer.param("deleted_too") == "1"
    with viewer.reader() as store:
        found = overview(store, include_deleted=deleted)
    return {
        **found,
        "include_deleted": deleted,
        "labels": _labels(viewer),
        "created": created,
        "problem": problem,
        "notice": _notice(viewer),
    }


def alerts_page(request: Request, viewer: ViewerDep) -> Response:
    context = _alerts_context(viewer)
    return respond(viewer, request, "alerts.html", context, title="Alerts", section="alerts")


@router.post("/alerts/endpoints", include_in_schema=False)
def create_endpoint(viewer: ViewerDep, form: FormDep) -> Response:
    from leadscore.web.queries import alerts

    try:
        with _mapped():
            created = alerts.create(
                viewer.ws.runtime, alerts.endpoint_fields(form), viewer.ws.now()
            )
    except WebError as exc:
        if exc.status != 422 or wants_json(viewer.request):
            raise
        # the form again, with what was typed and what is wrong with it
        context = _alerts_context(viewer, problem=exc.message)
        context["typed"] = {k: form.get(k, []) for k in ("url", "cooldown_s", "max_attempts")}
        return respond(
            viewer,
            viewer.request,
            "alerts.html",
            context,
            title="Alerts",
            section="alerts",
            status=422,
        )
    if wants_json(viewer.request):
        return JSONResponse(json_safe(created), status_code=201, headers=NO_STORE)
    # the secret is shown on this answer only: no redirect that would lose it
    context = _alerts_context(viewer, created)
    return respond(
        viewer, viewer.request, "alerts.html", context, title="Alerts", section="alerts", status=201
    )


def endpoint_page(request: Request, endpoint_id: str, viewer: ViewerDep) -> Response:
    from leadscore.web.queries.alerts import STATUSES
    from leadscore.web.queries.alerts import endpoint_page as page_of

    status = viewer.param("status")
    if status is not None and status not in STATUSES:
        raise WebError(400, f"status must be one of {', '.join(STATUSES)}; got '{status}'.")
    number = viewer.param("page") or "1"
    if not number.isdigit() or int(number) < 1:
        raise WebError(400, f"page must be a whole number from 1; got '{number}'.")
    with viewer.reader() as store, _mapped():
        context = page_of(store, endpoint_id, status, int(number))
    context.update(
        labels=_labels(viewer),
        notice=_notice(viewer),
        statuses=list(STATUSES),
        url=_url(endpoint_id),
    )
    return respond(
        viewer,
        request,
        "alerts_endpoint.html",
        context,
        title="Webhook endpoint",
        section="alerts",
        fragments={TEST_TARGET: "_alerts_test.html"},
    )


def _change(
    viewer: Viewer, endpoint_id: str, action: Callable[[], dict[str, Any]], notice: str
) -> Response:
    with _mapped():
        result = action()
    return answer_or_redirect(viewer, result, f"{_url(endpoint_id)}?{notice}=1")


@router.post("/alerts/endpoints/{endpoint_id}", include_in_schema=False)
def update_endpoint(endpoint_id: str, viewer: ViewerDep, form: FormDep) -> Response:
    from leadscore.web.queries import alerts

    def save() -> dict[str, Any]:
        return alerts.update(viewer.ws.runtime, endpoint_id, alerts.endpoint_fields(form))

    return _change(viewer, endpoint_id, save, "saved")


@router.post("/alerts/endpoints/{endpoint_id}/delete", include_in_schema=False)
def delete_endpoint(endpoint_id: str, viewer: ViewerDep, form: FormDep) -> Response:
    from leadscore.web.queries import alerts

    def delete() -> dict[str, Any]:
        return alerts.delete(viewer.ws.runtime, endpoint_id, viewer.ws.now())

    return _change(viewer, endpoint_id, delete, "deleted")


@router.post("/alerts/endpoints/{endpoint_id}/restore", include_in_schema=False)
def restore_endpoint(endpoint_id: str, viewer: ViewerDep, form: FormDep) -> Response:
    from leadscore.web.queries import alerts

    def restore() -> dict[str, Any]:
        return alerts.update(viewer.ws.runtime, endpoint_id, {"active": True})

    return _change(viewer, endpoint_id, restore, "restored")


@router.post("/alerts/endpoints/{endpoint_id}/test", include_in_schema=False)
def test_endpoint(endpoint_id: str, viewer: ViewerDep, form: FormDep) -> Response:
    from leadscore.web.queries.alerts import endpoint_page as page_of
    from leadscore.web.queries.alerts import send_test_alert

    post = getattr(viewer.request.app.state, "webhook_post", None)
    with viewer.reader() as store, _mapped():
        result = send_test_alert(store, endpoint_id, post, viewer.ws.now(), viewer.ws.name)
        context = page_of(store, endpoint_id)
    context.update(labels=_labels(viewer), notice=None, statuses=[], url=_url(endpoint_id))
    context["test"] = result
    return respond(
        viewer,
        viewer.request,
        "alerts_endpoint.html",
        context,
        title="Webhook endpoint",
        section="alerts",
        fragments={TEST_TARGET: "_alerts_test.html"},
    )


@router.post("/alerts/deliveries/{delivery_id}/retry", include_in_schema=False)
def retry_delivery(delivery_id: str, viewer: ViewerDep, form: FormDep) -> Response:
    from leadscore.web.queries import alerts

    with _mapped():
        entry = alerts.retry(viewer.ws.runtime, delivery_id, viewer.ws.now())
    return answer_or_redirect(viewer, entry, f"{_url(entry['endpoint_id'])}?retried=1")


add_page(router, "/alerts", alerts_page, name="alerts")
add_page(router, "/alerts/endpoints/{endpoint_id}", endpoint_page, name="alerts-endpoint")
