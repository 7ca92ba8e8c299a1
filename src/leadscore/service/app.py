"""The HTTP application: :func:`create_app` builds it from settings (nothing at import time).

Given running ``runtimes`` (tests, embedding), the app serves them and leaves starting and
stopping them to the caller. Without, its lifespan opens every workspace of the settings, starts
their runtimes and webhook delivery workers, and stops them at shutdown.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from leadscore.service.runtime import Runtime
    from leadscore.service.settings import ServiceSettings
    from leadscore.service.webhooks import DeliveryWorker, Post

log = logging.getLogger("leadscore.service")

API_PREFIX = "/api/v1"
# the batch bodies whose item count is limited by settings.max_batch_items
BATCH_SCHEMAS = {
    "ContactBatchIn": "contacts",
    "EventBatchIn": "events",
    "OutcomeBatchIn": "outcomes",
}

DESCRIPTION = """\
Real-time lead scoring: send contacts, events and outcomes; read each lead's score, grade,
stage and the reasons behind them; manage model versions and webhooks for alerts.

**Authentication**: every route but `/api/v1/health` needs an API key of the workspace
(`leadscore keys create NAME`), as `Authorization: Bearer <key>` or `X-API-Key: <key>`.
A key opens exactly one workspace.

**Errors** always have the body `{"error": {"code", "message", "details"}}`.

**Limits**: request bodies of at most `max_body_bytes` (413); batches of at most
`max_batch_items` items (413, nothing written).
"""

TAGS = [
    {"name": "contacts", "description": "Leads: upserts, scores with their reasons, history."},
    {
        "name": "events",
        "description": "What leads do; stored durably, scored by the next micro-batch.",
    },
    {"name": "outcomes", "description": "Conversions: converted, won, lost."},
    {"name": "models", "description": "Model versions: drafts, preview, publish, rollback."},
    {"name": "alerts", "description": "Grade and stage transitions."},
    {"name": "webhooks", "description": "Alert delivery to your systems, and its log."},
    {"name": "operations", "description": "Rescoring, health and readiness."},
]


def _serve(app: FastAPI, runtimes: Mapping[str, Runtime]) -> None:
    from leadscore.service.auth import KeyRing
    from leadscore.service.predictions import Explainer, folder_of
    from leadscore.service.reads import ScoredModels

    app.state.runtimes = dict(runtimes)
    app.state.models = {name: ScoredModels(rt) for name, rt in runtimes.items()}
    folders = app.state.settings.workspaces
    app.state.explainers = {name: Explainer(folder_of(name, folders)) for name in runtimes}
    app.state.keyring = KeyRing({name: rt.reader for name, rt in runtimes.items()})


def _openapi(app: FastAPI, settings: ServiceSettings) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document, with the batch limits of these settings written in."""
    from fastapi.openapi.utils import get_openapi

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            components = schema.get("components", {}).get("schemas", {})
            for name, field in BATCH_SCHEMAS.items():
                if name in components:
                    components[name]["properties"][field]["maxItems"] = settings.max_batch_items
            app.openapi_schema = schema
        return app.openapi_schema

    return build


def create_app(
    settings: ServiceSettings,
    runtimes: Mapping[str, Runtime] | None = None,
    *,
    webhook_post: Post | None = None,
) -> FastAPI:
    """The API for ``settings``; serving ``runtimes`` (started, keyed by workspace name) when
    given, else its own, started and stopped with the app. ``webhook_post`` replaces the HTTP
    POST of webhook deliveries and test sends (tests)."""
    from fastapi import FastAPI

    from leadscore import __version__
    from leadscore.service.api import errors, routers
    from leadscore.service.api.limits import BodyLimit

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runtimes is not None:
            yield
            return
        from leadscore.service import server

        owned = server.start_runtimes(settings)
        workers: list[DeliveryWorker] = []
        try:
            workers = server.start_workers(owned, settings.runtime.clock, webhook_post)
            _serve(app, owned)
            yield
        finally:
            server.stop_workers(workers)
            server.stop_runtimes(owned)

    app = FastAPI(
        title="leadscore",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.webhook_post = webhook_post
    if runtimes is not None:
        _serve(app, runtimes)
    errors.install(app)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    for router in routers():
        app.include_router(router, prefix=API_PREFIX)
    from leadscore import web  # the web app for people: /leads, /login, /static (docs/web.md)

    web.install(app)
    if settings.fast_events:  # outermost: the common single event skips the stack below
        from leadscore.service.api.fast_events import FastEvents

        app.add_middleware(FastEvents, path=f"{API_PREFIX}/events", limit=settings.max_body_bytes)
    app.openapi = _openapi(app, settings)  # type: ignore[method-assign]
    return app
