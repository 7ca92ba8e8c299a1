"""The single-event route's fast path: ``POST /api/v1/events`` answered by a plain ASGI
middleware when nothing about the request is unusual, without FastAPI's routing, dependency
solving and inner middleware (most of the event loop's time per single event).

It answers exactly the common case: a body declared ``application/json``, of a declared length
within the size limit, a
valid API key (remembered by the key ring, or read as the route reads it), an event that passes
the route's schema (:class:`~leadscore.service.schemas.events.EventIn`, validated
from ``json.loads`` as FastAPI does) and the import rules. It then does what the route does: the
durable commit, awaited on the event loop, and the route's answer (``{"status", "event_id"}``, or
the route's own 422 when the writer refuses the event).

Everything else goes on to the FastAPI route with the body replayed, untouched: a missing or
invalid key, another content type or none, a chunked or oversized body, a body the
schema or the import rules refuse, and a write that failed (a stop, a database fault). The route
is what the OpenAPI document describes and what answers every error; a write the fast path
submitted and that failed wrote nothing, and the route submits it again (events are idempotent
by ``event_id``). A well-formed key that is not valid is read twice, here and by the route.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send


class FastEvents:
    """ASGI middleware answering the common single-event request at ``path`` itself."""

    def __init__(self, app: ASGIApp, path: str, limit: int):
        self.app = app
        self.path = path
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        length = _length(headers.get(b"content-length"))
        if length is None or length > self.limit or not _is_json(headers.get(b"content-type")):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        received = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break  # the client went away: the route sees the same messages
            received += len(message.get("body", b""))
            if not message.get("more_body", False) or received > self.limit:
                break
        replay = _replay(messages, receive)
        answer = None
        if messages[-1]["type"] == "http.request" and received <= self.limit:
            body = b"".join(m.get("body", b"") for m in messages)
            answer = await _answer(scope, headers, body)
        if answer is None:
            await self.app(scope, replay, send)
        else:
            await answer(scope, replay, send)


async def _answer(scope: Scope, headers: dict[bytes, bytes], body: bytes) -> Response | None:
    """The route's response to this request, or ``None`` when the route must answer it."""
    from starlette.responses import JSONResponse

    from leadscore.service.api.errors import rejected, response
    from leadscore.service.schemas.events import EventIn
    from leadscore.store.imports.rows import event_from_fields

    state: Any = scope["app"].state
    key = _key(headers)
    name = state.keyring.remembered(key)
    if name is None and key:  # a key to read: as the route does, on a worker thread
        from starlette.concurrency import run_in_threadpool

        name = await run_in_threadpool(state.keyring.workspace_of, key)
    if name is None:
        return None  # the route answers 401 (and logs the refusal)
    runtime = state.runtimes[name]
    try:
        fields = EventIn.model_validate(json.loads(body)).as_fields()
        event = event_from_fields(fields, runtime.settings.clock())
    except Exception:  # malformed or too deeply nested JSON, a schema or value error
        return None  # the route answers with the error
    try:
        [result] = await runtime.ingest_events_async([event])
    except Exception:
        return None  # nothing was written; the route tries again and answers the failure
    if result.status == "rejected":
        return response(rejected(result, "event"))
    return JSONResponse({"status": result.status, "event_id": result.id})


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The first value of each header (names are lower case in ASGI), as Starlette reads."""
    out: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        out.setdefault(name, value)
    return out


def _length(value: bytes | None) -> int | None:
    if value is None or not value.isdigit():
        return None
    return int(value)


def _is_json(value: bytes | None) -> bool:
    """A body declared ``application/json`` (parameters such as the charset allowed). Other
    JSON types go to the route, and so does a body without a content type, which the route
    does not read as JSON (FastAPI's strict content type, against cross-site requests)."""
    if value is None:
        return False
    return value.split(b";", 1)[0].strip().lower() == b"application/json"


def _key(headers: dict[bytes, bytes]) -> str | None:
    """The API key as the route's security schemes read it: the credentials of an
    ``Authorization: Bearer`` header, else ``X-API-Key``."""
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, credentials = authorization.partition(" ")
    if scheme and credentials.strip() and scheme.lower() == "bearer":
        return credentials.strip()
    key = headers.get(b"x-api-key", b"").decode("latin-1").strip()
    return key or None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` that first gives back the messages already read."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
