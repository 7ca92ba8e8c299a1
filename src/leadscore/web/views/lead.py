"""One lead (``/leads/{contact_id}``, ``.json``): scores and grade, why (every rule in a
sentence, adding up), the score history chart, the event timeline (paged: ``events_before``),
and its predictive factors (``/leads/{contact_id}/factors``, loaded after the page, since
they cost a feature rebuild)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request

from leadscore.web.deps import Viewer, ViewerDep, WebError
from leadscore.web.render import add_page, lead_url, respond

if TYPE_CHECKING:
    from starlette.responses import Response

    from leadscore.model.spec import Model
    from leadscore.store.base import Store

router = APIRouter()
EVENTS_TARGET = "timeline-more"


def _find(store: Store, contact_id: str, json_suffix: bool) -> str:
    """The contact id a path names: ``/leads/x.json`` is the JSON of ``x``, unless only a
    contact ``x.json`` exists."""
    from leadscore.service.reads import contact_exists

    if contact_exists(store, contact_id):
        return contact_id
    if json_suffix and contact_exists(store, contact_id + ".json"):
        return contact_id + ".json"
    raise WebError(404, f"There is no lead '{contact_id}' in this workspace.")


def thresholds(model: Model) -> list[dict[str, Any]]:
    """The primary grade's bands on the total (for the chart), lowest first."""
    primary = model.primary()
    if not primary or primary not in model.grades or model.grades[primary].score != "total":
        return []
    bands = model.grades[primary].bands
    return [{"grade": b.grade, "min": b.min} for b in reversed(bands) if b.min is not None]


def lead_context(viewer: Viewer, contact_id: str, json_suffix: bool) -> dict[str, Any]:
    from leadscore.service import predictions as predictive
    from leadscore.web.queries import lead as lead_queries

    before = viewer.param("events_before")
    only_events = viewer.request.headers.get("hx-target") == EVENTS_TARGET
    with viewer.reader() as store:
        wanted = _find(store, contact_id, json_suffix)
        events = lead_queries.events(store, wanted, before)
        url = lead_url(wanted)
        next_events = f"{url}?events_before={events['next']}" if events["next"] else None
        events_part = {"items": events["items"], "next": next_events}
        if only_events:  # htmx asks for the next events only
            return {"contact_id": wanted, "events": events_part}
        found = lead_queries.lead(store, viewer.ws.models, wanted)
        assert found is not None
        history = lead_queries.history(store, wanted)
        has_predictive = predictive.ready(store)
        scores = predictive.for_contacts(store, [wanted]) if has_predictive else {}
    model = viewer.ws.runtime.active.model
    return {
        "contact_id": wanted,
        "lead": found,
        "predictive": scores.get(wanted),
        "predictive_available": has_predictive,
        "factors_url": f"{url}/factors" if wanted in scores else None,
        "history": history,
        "thresholds": thresholds(model),
        "events": events_part,
        "list_url": "/leads",
    }


def lead_page(request: Request, contact_id: str, viewer: ViewerDep) -> Response:
    json_suffix = request.url.path.endswith(".json")
    context = lead_context(viewer, contact_id, json_suffix)
    lead = context.get("lead") or {}
    title = lead.get("name") or lead.get("email") or context["contact_id"]
    return respond(
        viewer,
        request,
        "lead.html",
        context,
        title=str(title),
        section="leads",
        fragments={EVENTS_TARGET: "_events.html"},
    )


def factors_page(request: Request, contact_id: str, viewer: ViewerDep) -> Response:
    from leadscore.service import predictions as predictive

    json_suffix = request.url.path.endswith(".json")
    with viewer.reader() as store:
        wanted = _find(store, contact_id, json_suffix)
        factors = viewer.ws.explainer.explain(store, wanted)
        scores = predictive.for_contacts(store, [wanted]) if predictive.ready(store) else {}
    context = {
        "contact_id": wanted,
        "lead_url": lead_url(wanted),
        "predictive": scores.get(wanted),
        **factors,
    }
    return respond(
        viewer,
        request,
        "factors.html",
        context,
        title=f"Predictive factors of {wanted}",
        section="leads",
        fragments={"factors": "_factors.html"},
    )


add_page(router, "/leads/{contact_id:path}/factors", factors_page, name="factors")
add_page(router, "/leads/{contact_id:path}", lead_page, name="lead")
