"""Sign in (a workspace user, or an API key), sign out, and ``/`` (to the leads).

The sign-in form has its own CSRF token before any session exists: a random value in a
short-lived cookie, signed with the app's key, that the form must repeat. A new session (a new
cookie) starts at every sign-in; failed attempts are braked per account and per address.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from leadscore.web.deps import (
    FormDep,
    ViewerDep,
    WebError,
    current_viewer,
    field,
    read_form,
    same_origin,
)
from leadscore.web.state import web_state

if TYPE_CHECKING:
    from starlette.responses import Response

    from leadscore.service.runtime import Runtime

log = logging.getLogger("leadscore.web")
router = APIRouter()

LOGIN_COOKIE = "ls_login"
LOGIN_COOKIE_AGE_S = 3600
FAILED = "Wrong username or password (or API key)."
HOME = "/leads"


def _sign(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode("ascii"), hashlib.sha256).hexdigest()


def _login_token(request: Request) -> str | None:
    """The sign-in form token of this browser (from its signed cookie), if valid."""
    value = request.cookies.get(LOGIN_COOKIE, "")
    token, _, signature = value.partition(".")
    key = web_state(request.app.state).login_key
    if token and hmac.compare_digest(_sign(key, token), signature):
        return token
    return None


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    if any(ord(c) < 32 for c in target) or target.startswith(("/login", "/logout")):
        return HOME
    return target


def _secure(request: Request) -> bool:
    chosen = web_state(request.app.state).options.secure_cookies
    return request.url.scheme == "https" if chosen is None else chosen


def _form_page(
    request: Request, status: int = 200, error: str | None = None, username: str = ""
) -> Response:
    from leadscore.web.render import respond

    token = _login_token(request) or secrets.token_urlsafe(24)
    runtimes: dict[str, Runtime] = request.app.state.runtimes
    context: dict[str, Any] = {
        "error": error,
        "next": safe_next(request.query_params.get("next")),
        "several_workspaces": len(runtimes) > 1,
        "username": username,
        "login_token": token,
    }
    response = respond(
        None, request, "login.html", context, title="Sign in", status=status, twin=False
    )
    key = web_state(request.app.state).login_key
    response.set_cookie(
        LOGIN_COOKIE,
        f"{token}.{_sign(key, token)}",
        max_age=LOGIN_COOKIE_AGE_S,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/login",
    )
    return response


def _signed_in(request: Request) -> bool:
    from leadscore.web.deps import NeedsSignIn

    try:
        current_viewer(request)
    except NeedsSignIn:
        return False
    return True


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse(HOME, status_code=303)


@router.get("/login", include_in_schema=False)
def login_page(request: Request) -> Response:
    if _signed_in(request):
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _form_page(request)


def _check_credentials(
    request: Request, form: dict[str, list[str]], now_us: int
) -> tuple[Runtime, str, str] | None:
    """``(runtime, kind, principal)`` for right credentials, else ``None``."""
    from leadscore.service.auth import parse_key
    from leadscore.web.auth.users import authenticate

    state: Any = request.app.state
    runtimes: dict[str, Runtime] = state.runtimes
    key = field(form, "api_key").strip()
    if key:
        name = state.keyring.workspace_of(key)
        key_id = parse_key(key)
        if name is None or key_id is None:
            return None
        return runtimes[name], "key", key_id
    wanted = field(form, "workspace").strip()
    if len(runtimes) == 1:
        runtime = next(iter(runtimes.values()))
    elif wanted in runtimes:
        runtime = runtimes[wanted]
    else:
        return None
    web_state(state).prepare(runtime)
    with runtime.reader() as store:
        found = authenticate(store, field(form, "username"), field(form, "password"), now_us)
    return (runtime, "user", found) if found else None


@router.post("/login", include_in_schema=False)
def login(request: Request, form: Annotated[dict[str, list[str]], Depends(read_form)]) -> Response:
    from leadscore.timeutil import now_us
    from leadscore.web.auth.sessions import (
        COOKIE,
        cookie_value,
        purge_sessions,
        start_session,
    )

    state = web_state(request.app.state)
    token = _login_token(request)
    sent = field(form, "csrf_token")
    if token is None or not same_origin(request) or not hmac.compare_digest(token, sent):
        return _form_page(request, 403, "The sign-in form had expired. Please try again.")
    address = request.client.host if request.client else "unknown"
    username = field(form, "username").strip().lower()
    account = field(form, "workspace").strip() + ":" + (username or "(api key)")
    wait = state.throttle.retry_after(address, account)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        message = f"Too many failed attempts. Try again in about {minutes} minute(s)."
        return _form_page(request, 429, message, username)
    found = _check_credentials(request, form, now_us())
    if found is None:
        state.throttle.failed(address, account)
        log.info("failed sign-in from %s", address)
        return _form_page(request, 401, FAILED, username)
    runtime, kind, principal = found
    state.throttle.succeeded(account)
    clock = runtime.settings.clock
    options = state.options
    with runtime.reader() as store:
        purge_sessions(store, clock(), int(options.session_idle_s * 1_000_000))
        new_token, _ = start_session(
            store,
            runtime.name,
            kind,
            principal,
            clock(),
            int(options.session_lifetime_s * 1_000_000),
        )
    target = safe_next(field(form, "next"))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        cookie_value(state.secret(runtime), runtime.name, new_token),
        max_age=int(options.session_lifetime_s),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    log.info("signed in to '%s' (%s %s)", runtime.name, kind, principal)
    return response


@router.post("/logout", include_in_schema=False)
def logout(viewer: ViewerDep, form: FormDep) -> Response:
    from leadscore.web.auth.sessions import COOKIE, end_session

    if viewer.session is None:
        raise WebError(400, "sign out ends a browser session; this request has none")
    with viewer.reader() as store:
        end_session(store, viewer.session.session_hash)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response
