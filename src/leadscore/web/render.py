"""One view, two answers: every page builds a plain context dict, and :func:`respond` turns it
into HTML (the page's template, or one of its fragments for htmx) or into JSON (the same dict)
when the path ends in ``.json`` or the request prefers ``application/json``.

Templates get the context's keys, plus ``layout`` (title, navigation, who is signed in, the
CSRF token, the JSON twin's address) and the filters defined here.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from leadscore.web.state import HERE

if TYPE_CHECKING:
    from fastapi import APIRouter, Request
    from starlette.responses import Response
    from starlette.templating import Jinja2Templates

    from leadscore.web.deps import Viewer

JSON_SUFFIX = ".json"
NO_STORE = {"Cache-Control": "no-store"}


def wants_json(request: Request) -> bool:
    """The JSON twin: a ``.json`` path, or an Accept header that ranks JSON above HTML."""
    if request.url.path.endswith(JSON_SUFFIX):
        return True
    accept = request.headers.get("accept", "")
    best: dict[str, float] = {}
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best[media.strip().lower()] = max(quality, best.get(media.strip().lower(), 0.0))
    json_q = best.get("application/json", 0.0)
    html_q = max(best.get("text/html", 0.0), best.get("*/*", 0.0) * 0.99)
    return json_q > 0 and json_q >= html_q


def json_safe(value: Any) -> Any:
    """``value`` as strict JSON carries it (non-finite numbers become text)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return str(value)


def json_url(request: Request) -> str:
    """This page's JSON twin (the same query)."""
    raw = request.scope.get("raw_path") or request.url.path.encode("utf-8")
    path = raw.decode("latin-1")
    path = path if path.endswith(JSON_SUFFIX) else path + JSON_SUFFIX
    query = request.url.query
    return f"{path}?{query}" if query else path


def respond(
    viewer: Viewer | None,
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    title: str,
    section: str | None = None,
    fragments: Mapping[str, str] | None = None,
    status: int = 200,
    twin: bool = True,
) -> Response:
    """The page: JSON of ``context``, or ``template`` (or the fragment htmx asked for by its
    target id, from ``fragments``) rendered with it. ``twin=False``: a page without a JSON
    twin (the sign-in form)."""
    from fastapi.responses import JSONResponse

    if twin and wants_json(request):
        return JSONResponse(json_safe(context), status_code=status, headers=NO_STORE)
    name = template
    target = request.headers.get("hx-target")
    if request.headers.get("hx-request") and fragments and target and target in fragments:
        name = fragments[target]
    layout = layout_context(viewer, request, title, section)
    layout["fragment"] = name != template
    if not twin:
        layout["json_url"] = None
    templates = request.app.state.web.templates
    response: Response = templates.TemplateResponse(
        request, name, {**context, "layout": layout}, status_code=status, headers=NO_STORE
    )
    response.headers["Vary"] = "Accept, HX-Request, HX-Target"
    return response


def layout_context(
    viewer: Viewer | None, request: Request, title: str, section: str | None
) -> dict[str, Any]:
    from leadscore.web.views import navigation

    return {
        "title": title,
        "section": section,
        "nav": list(navigation()) if viewer is not None else [],
        "user": viewer.session.as_dict() if viewer and viewer.session else None,
        "workspace": viewer.ws.name if viewer else None,
        "csrf_token": viewer.csrf_token if viewer else None,
        "json_url": json_url(request),
    }


# ------------------------------------------------------------------------- templates
def number(value: Any, digits: int = 1) -> str:
    """``1234.5`` -> ``1,234.5``; whole numbers without decimals; ``None`` -> an en dash."""
    if value is None:
        return "–"
    number_ = float(value)
    if not math.isfinite(number_):
        return str(value)
    rounded = round(number_, digits)
    if rounded == int(rounded):
        return f"{int(rounded):,}"
    return f"{rounded:,.{digits}f}".rstrip("0").rstrip(".")


def points(value: Any) -> str:
    text = number(value, 2)
    return f"+{text}" if value is not None and float(value) > 0 else text.replace("-", "−")


def when(value: str | None) -> str:
    """An ISO time as ``2025-06-29 14:03 UTC``."""
    if not value:
        return "–"
    return value[:16].replace("T", " ") + " UTC"


def percent(value: Any) -> str:
    return "–" if value is None else f"{100 * float(value):.1f}%"


def lead_url(contact_id: str, suffix: str = "") -> str:
    return f"/leads/{quote(contact_id, safe='')}{suffix}"


def query(params: Mapping[str, Any], **changes: Any) -> str:
    """A query string from ``params`` with ``changes`` (``None`` drops a key)."""
    merged: dict[str, Any] = dict(params)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item is not None and item != "":
                pairs.append((key, str(item)))
    return ("?" + urlencode(pairs)) if pairs else ""


@cache
def _static_version(path: str) -> str:
    target = HERE / "static" / path
    try:
        return hashlib.sha256(target.read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static(path: str) -> str:
    """The address of a static file, with a content hash so browsers may cache it for good."""
    if path == "plotly.min.js":
        from leadscore.web.views.assets import plotly_version

        return f"/static/vendor/plotly-{plotly_version()}.min.js"
    return f"/static/{path}?v={_static_version(path)}"


FILTERS: dict[str, Callable[..., Any]] = {
    "number": number,
    "points": points,
    "when": when,
    "percent": percent,
    "lead_url": lead_url,
}


def make_templates() -> Jinja2Templates:
    from starlette.templating import Jinja2Templates

    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters.update(FILTERS)
    env.globals.update({"static": static, "query": query, "lead_url": lead_url})
    return templates


def add_page(router: APIRouter, path: str, endpoint: Callable[..., Any], *, name: str) -> None:
    """Serve ``endpoint`` at ``path`` and at its JSON twin ``path.json`` (GET)."""
    router.add_api_route(path + JSON_SUFFIX, endpoint, methods=["GET"], name=f"{name}.json")
    router.add_api_route(path, endpoint, methods=["GET"], name=name)
