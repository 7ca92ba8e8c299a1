"""What web views depend on, as typed aliases (like the API's ``deps``):

- :data:`ViewerDep`: the signed-in viewer (a session cookie, or an API key header for scripts
  reading JSON twins) and their workspace; without one, HTML pages redirect to the sign-in page
  and JSON twins answer 401.
- :data:`FormDep`: a POSTed form (URL-encoded), its CSRF token checked against the session's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import Depends, Request

from leadscore.web.state import WebState, web_state

if TYPE_CHECKING:
    from leadscore.service.api.deps import WorkspaceContext
    from leadscore.store.base import Store
    from leadscore.web.auth.sessions import Session

log = logging.getLogger("leadscore.web")

MAX_FORM_BYTES = 64 * 1024
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class WebError(Exception):
    """An error page (or the JSON error body of a twin) with this status and message."""

    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


class NeedsSignIn(Exception):
    """No valid session: HTML pages redirect to the sign-in page, JSON twins answer 401."""


@dataclass
class Viewer:
    """Who is asking, for which workspace, through which request."""

    request: Request
    ws: WorkspaceContext
    session: Session | None  # None: an API key in a header (scripts reading JSON twins)

    @property
    def state(self) -> WebState:
        return web_state(self.request.app.state)

    @property
    def csrf_token(self) -> str | None:
        return self.session.csrf_token if self.session else None

    @property
    def who(self) -> str:
        return self.session.label if self.session else "API key"

    @contextmanager
    def reader(self) -> Iterator[Store]:
        with self.ws.reader() as store:
            yield store

    def params(self, name: str) -> list[str]:
        return self.request.query_params.getlist(name)

    def param(self, name: str) -> str | None:
        values = [v for v in self.params(name) if v.strip()]
        return values[-1].strip() if values else None


def _workspace(request: Request, name: str) -> WorkspaceContext:
    from leadscore.service.api.deps import context_of

    return context_of(request.app.state, name)


def _header_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return (request.headers.get("x-api-key") or "").strip() or None


def current_viewer(request: Request) -> Viewer:
    """The viewer of a request (see the module's docstring)."""
    from leadscore.web.auth.sessions import COOKIE, cookie_token, cookie_workspace, load_session

    app_state: Any = request.app.state
    state = web_state(app_state)
    key = _header_key(request)
    if key is not None:
        name = app_state.keyring.workspace_of(key)
        if name is None:
            log.info("refused %s %s: no valid API key", request.method, request.url.path)
            raise NeedsSignIn()
        state.prepare(app_state.runtimes[name])
        return Viewer(request, _workspace(request, name), None)
    cookie = request.cookies.get(COOKIE)
    name = cookie_workspace(cookie)
    if cookie is None or name is None or name not in app_state.runtimes:
        raise NeedsSignIn()
    runtime = app_state.runtimes[name]
    token = cookie_token(state.secret(runtime), cookie)
    if token is None:
        raise NeedsSignIn()
    ws = _workspace(request, name)
    idle_us = int(state.options.session_idle_s * 1_000_000)
    with ws.reader() as store:
        session = load_session(store, name, token, ws.now(), idle_us)
    if session is None:
        raise NeedsSignIn()
    return Viewer(request, ws, session)


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


async def read_form(request: Request) -> dict[str, list[str]]:
    """A URL-encoded form body (what HTML forms and htmx send)."""
    body = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body and kind != "application/x-www-form-urlencoded":
        raise WebError(415, "send the form as application/x-www-form-urlencoded")
    if len(body) > MAX_FORM_BYTES:
        raise WebError(413, f"a form is at most {MAX_FORM_BYTES // 1024} KiB")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebError(400, "the form is not UTF-8") from None
    return parse_qs(text, keep_blank_values=True, max_num_fields=200)


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site (Origin header)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


def check_csrf(viewer: Viewer, form: dict[str, list[str]]) -> None:
    """Refuse (403) a cookie-authenticated POST without this session's CSRF token."""
    from leadscore.web.auth.sessions import csrf_ok

    if viewer.session is None:  # an API key header: no ambient credentials to abuse
        return
    sent = field(form, CSRF_FIELD) or viewer.request.headers.get(CSRF_HEADER)
    if not same_origin(viewer.request) or not csrf_ok(viewer.session, sent):
        log.info("refused %s %s: bad CSRF token", viewer.request.method, viewer.request.url.path)
        raise WebError(
            403,
            "the form has expired or did not come from this site; reload the page and try again",
        )


async def checked_form(
    viewer: ViewerDep, form: Annotated[dict[str, list[str]], Depends(read_form)]
) -> dict[str, list[str]]:
    check_csrf(viewer, form)
    return form


FormDep = Annotated[dict[str, list[str]], Depends(checked_form)]


def field(form: dict[str, list[str]], name: str) -> str:
    """The last value of a form field ('' when absent)."""
    values = form.get(name) or [""]
    return values[-1]
