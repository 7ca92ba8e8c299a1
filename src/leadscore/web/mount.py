"""Adds the web app to the service's FastAPI app (see :func:`install`): the pages' routers,
static files, error pages for browser paths, and security headers on every page.

The API under ``/api/v1`` is untouched: its errors keep their JSON body, its headers their
values. Everything else the app serves is the web app's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from leadscore.web.state import HERE, WebOptions, WebState

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("leadscore.web")

API_PREFIX = "/api/"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]

Handler = Callable[["Request", Exception], Awaitable["Response"]]


def is_web(request: Request) -> bool:
    return not request.url.path.startswith(API_PREFIX)


class SecurityHeaders:
    """ASGI middleware: the headers of :data:`HEADERS` on every response outside the API."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in HEADERS if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def _web_handlers(app: FastAPI) -> None:
    """Error pages for browser paths; the API's handlers keep the rest."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    from leadscore.errors import LeadscoreError
    from leadscore.web.deps import NeedsSignIn, WebError
    from leadscore.web.views.errors import error_page, sign_in_needed

    async def web_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WebError)
        return error_page(request, exc.status, exc.message, exc.code)

    async def needs_sign_in(request: Request, exc: Exception) -> Response:
        return sign_in_needed(request)

    def wrap(previous: Handler | None, page: Callable[[Request, Exception], Response]) -> Handler:
        async def handler(request: Request, exc: Exception) -> Response:
            if is_web(request) or previous is None:
                return page(request, exc)
            return await previous(request, exc)

        return handler

    def http_page(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        messages = {404: "There is no page here.", 405: "This page does not take that method."}
        text = messages.get(exc.status_code, str(exc.detail or "The request failed."))
        return error_page(request, exc.status_code, text)

    def library_page(request: Request, exc: Exception) -> Response:
        return error_page(request, 400, str(exc))

    def invalid_page(request: Request, exc: Exception) -> Response:
        return error_page(request, 400, "The address has a value this page does not accept.")

    handlers: dict[Any, Any] = app.exception_handlers
    app.add_exception_handler(WebError, web_error)
    app.add_exception_handler(NeedsSignIn, needs_sign_in)
    for kind, page in (
        (HTTPException, http_page),
        (LeadscoreError, library_page),
        (RequestValidationError, invalid_page),
    ):
        app.add_exception_handler(kind, wrap(handlers.get(kind), page))


def install(app: FastAPI, options: WebOptions | None = None) -> None:
    """Serve the web app from ``app`` (its pages, ``/static``, error pages and headers)."""
    from starlette.staticfiles import StaticFiles

    from leadscore.web.views import routers

    chosen = options or WebOptions.from_settings(getattr(app.state, "settings", None))
    app.state.web = WebState.create(chosen)
    for router in routers():
        app.include_router(router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    _web_handlers(app)
    app.add_middleware(SecurityHeaders)
