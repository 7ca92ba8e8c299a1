"""Analytics (``/analytics``, ``.json``): the grade distribution now, and three parts loaded
after the page because they score the past: how well the active model ranks
(``/analytics/performance``: conversion by grade, gains, lift, calibration), the funnel with its
drop-off (``/analytics/funnel``) and threshold advice for a sales capacity
(``/analytics/thresholds``). Each part is a page with its JSON twin; its figures are kept for
:data:`PART_TTL_S` seconds. Query: ``horizon`` (days) and ``capacity`` (leads a week)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request

from leadscore.errors import LeadscoreError
from leadscore.web.deps import Viewer, ViewerDep, WebError
from leadscore.web.render import add_page, query, respond
from leadscore.web.views import NavItem

if TYPE_CHECKING:
    from starlette.responses import Response

    from leadscore.web.queries.analytics import Settings

router = APIRouter()
NAV = NavItem("Analytics", "/analytics", "analytics")
PART_TTL_S = 300.0  # backtests are remembered this long
COUNTS_TTL_S = 10.0
PARTS = {
    "performance": "How well the model ranks",
    "funnel": "Funnel",
    "thresholds": "Threshold advice",
}


def _settings(viewer: Viewer) -> Settings:
    from leadscore.web.queries.analytics import Settings

    try:
        return Settings.parse(viewer.param("horizon"), viewer.param("capacity"))
    except LeadscoreError as exc:
        raise WebError(400, str(exc)) from None


def analytics_page(request: Request, viewer: ViewerDep) -> Response:
    from leadscore.web.queries.analytics import HORIZONS, grade_distribution

    settings = _settings(viewer)
    active = viewer.ws.runtime.active
    with viewer.reader() as store:
        distribution = viewer.state.memo(
            ("analytics-grades", viewer.ws.name, active.model_hash),
            COUNTS_TTL_S,
            lambda: grade_distribution(store, active.model),
        )
    params = query(settings.params())
    context = {
        "model": {"name": active.model.name, "version": active.version},
        "settings": {**settings.params(), "horizons": list(HORIZONS)},
        "distribution": distribution,
        "parts": {name: f"/analytics/{name}{params}" for name in PARTS},
    }
    return respond(
        viewer, request, "analytics.html", context, title="Analytics", section="analytics"
    )


def _part(viewer: Viewer, name: str, compute: Callable[[Settings], dict[str, Any]]) -> Response:
    """One part: its figures (remembered per model and settings) or why there are none."""
    settings = _settings(viewer)
    active = viewer.ws.runtime.active
    key = (f"analytics-{name}", viewer.ws.name, active.model_hash, str(settings))

    def run() -> dict[str, Any]:
        try:
            return {"error": None, **compute(settings)}
        except LeadscoreError as exc:
            return {"error": str(exc)}

    found = viewer.state.memo(key, PART_TTL_S, run)
    context = {"part": name, "settings": settings.params(), "model_version": active.version}
    context.update(found)
    return respond(
        viewer,
        viewer.request,
        "analytics_part.html",
        context,
        title=PARTS[name],
        section="analytics",
        fragments={name: f"_analytics_{name}.html"},
    )


def _active_model_part(
    viewer: Viewer, name: str, measure: Callable[..., dict[str, Any]]
) -> Response:
    """A part that scores the past with the active model: ``measure(store, scorer, settings)``."""
    from leadscore.web.queries.analytics import active_scorer

    active = viewer.ws.runtime.active

    def compute(settings: Settings) -> dict[str, Any]:
        scorer = active_scorer(active.model, active.version)
        with viewer.reader() as store:
            return measure(store, scorer, settings)

    return _part(viewer, name, compute)


def performance_page(request: Request, viewer: ViewerDep) -> Response:
    from leadscore.web.queries.analytics import performance

    return _active_model_part(viewer, "performance", performance)


def thresholds_page(request: Request, viewer: ViewerDep) -> Response:
    from leadscore.web.queries.analytics import thresholds

    return _active_model_part(viewer, "thresholds", thresholds)


def funnel_page(request: Request, viewer: ViewerDep) -> Response:
    from leadscore.web.queries import analytics

    folder = viewer.ws.explainer.folder

    def compute(settings: Settings) -> dict[str, Any]:
        with viewer.reader() as store:
            return analytics.funnel(store, folder)

    return _part(viewer, "funnel", compute)


add_page(router, "/analytics", analytics_page, name="analytics")
add_page(router, "/analytics/performance", performance_page, name="analytics-performance")
add_page(router, "/analytics/funnel", funnel_page, name="analytics-funnel")
add_page(router, "/analytics/thresholds", thresholds_page, name="analytics-thresholds")
