"""Error pages and the sign-in redirect, for pages and their JSON twins alike."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from fastapi import Request
    from starlette.responses import Response

TITLES = {
    400: "That did not work",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    413: "Too large",
    415: "Not understood",
    429: "Too many attempts",
}
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def error_page(request: Request, status: int, message: str, code: str | None = None) -> Response:
    """An error as a page (or as the API's error body for a JSON twin)."""
    from fastapi.responses import JSONResponse

    from leadscore.web.render import NO_STORE, respond, wants_json

    error_code = code or CODES.get(status, "error")
    if wants_json(request):
        body = {"error": {"code": error_code, "message": message, "details": None}}
        return JSONResponse(body, status_code=status, headers=NO_STORE)
    title = TITLES.get(status, "Something went wrong")
    context = {"status": status, "message": message, "code": error_code}
    return respond(None, request, "error.html", context, title=title, status=status, twin=False)


def sign_in_needed(request: Request) -> Response:
    """JSON twins: 401. Pages: to the sign-in page, back here afterwards (htmx: a redirect
    header, since a fragment cannot hold the sign-in page)."""
    from starlette.responses import RedirectResponse, Response

    from leadscore.web.render import wants_json

    if wants_json(request):
        response = error_page(
            request,
            401,
            "sign in first, or send an API key of the workspace as 'Authorization: Bearer <key>'",
        )
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = "/login" + (f"?next={quote(here, safe='')}" if request.method == "GET" else "")
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
