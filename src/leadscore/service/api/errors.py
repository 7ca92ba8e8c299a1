"""Every error leaves the API as ``{"error": {"code", "message", "details"}}``.

:class:`ApiError` is what routes raise; the handlers installed by :func:`install` turn it, the
framework's own errors (malformed JSON, schema violations, unknown routes, oversized bodies) and
the library's errors (a refused value, an invalid model) into that body. Unexpected exceptions
become a 500 that says nothing of the internals (and are logged, without request bodies).
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

log = logging.getLogger("leadscore.service.api")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    503: "unavailable",
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def not_found(what: str, key: object) -> ApiError:
    return ApiError(404, "not_found", f"no {what} '{key}' in this workspace")


def rejected(item: Any, what: str) -> ApiError:
    """422 for a single item the runtime refused (``item`` has ``id`` and ``reason``)."""
    message = item.reason or f"the {what} was refused"
    return ApiError(422, "rejected", message, {"id": item.id, "reason": item.reason})


def json_safe(value: Any) -> Any:
    """``value`` as strict JSON can carry it: non-finite numbers, dates and other objects become
    text (a model's problem may hold any YAML scalar)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return str(value)


def invalid_model(problems: list[dict[str, Any]]) -> ApiError:
    """422 listing every problem of a model, each with its line."""
    count = len(problems)
    message = f"the model has {count} problem{'s' if count != 1 else ''}"
    if problems:
        first = problems[0]
        where = f"line {first['line']}" if first.get("line") is not None else "the document"
        message += f"; the first, {where}: {first['message']}"
    return ApiError(422, "invalid_model", message, {"problems": problems})


def body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": json_safe(details)}}


def _respond(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    from fastapi.responses import JSONResponse

    return JSONResponse(body(code, message, details), status_code=status, headers=headers)


def response(error: ApiError) -> JSONResponse:
    """The response for ``error`` (a 401 names the scheme to use)."""
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return _respond(error.status, error.code, error.message, error.details, headers)


def _where(loc: Any) -> str:
    out = ""
    for part in loc or ():
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _validation_details(errors: Any) -> list[dict[str, Any]]:
    # the value sent is not echoed: it may be large, or a secret
    return [
        {"loc": list(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type", "")}
        for e in errors
    ]


def install(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    from leadscore.model.problems import ModelError
    from leadscore.service.runtime import RuntimeStopped
    from leadscore.store.imports.fields import RowError, show

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return response(exc)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = list(exc.errors())
        broken = [e for e in errors if e.get("type") == "json_invalid"]
        if broken:
            reason = (broken[0].get("ctx") or {}).get("error", "invalid JSON")
            return _respond(400, "malformed_json", f"the request body is not valid JSON: {reason}")
        first = errors[0] if errors else {}
        message = f"{_where(first.get('loc'))}: {first.get('msg', 'invalid')}"
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more)"
        return _respond(422, "invalid_request", message, _validation_details(errors))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        code = CODES.get(exc.status_code, "error")
        message = str(exc.detail) if exc.detail else code.replace("_", " ")
        if exc.status_code == 413:
            limit = request.app.state.settings.max_body_bytes
            message = f"the request body is larger than the limit of {limit} bytes"
        return _respond(exc.status_code, code, message, None, getattr(exc, "headers", None))

    async def row_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RowError)
        details = {"field": exc.field, "value": show(exc.value), "reason": exc.reason}
        return _respond(422, "invalid_value", str(exc), details)

    async def model_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ModelError)
        error = invalid_model([p.as_dict() for p in exc.problems])
        return _respond(error.status, error.code, error.message, error.details)

    async def stopped(request: Request, exc: Exception) -> JSONResponse:
        return _respond(503, "unavailable", str(exc), None, {"Retry-After": "5"})

    async def library_error(request: Request, exc: Exception) -> JSONResponse:
        return _respond(400, "bad_request", str(exc))

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
        return _respond(500, "internal_error", "an unexpected error occurred; it has been logged")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RowError, row_error)
    app.add_exception_handler(ModelError, model_error)
    app.add_exception_handler(RuntimeStopped, stopped)
    app.add_exception_handler(LeadscoreError, library_error)
    app.add_exception_handler(Exception, unexpected)
