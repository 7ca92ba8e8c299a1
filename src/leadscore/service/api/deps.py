"""What routes depend on, as typed aliases: the caller's workspace (from its API key), paging.

Routes open the workspace's reader connection inside their own body (``with ws.reader() as
store``): a connection belongs to one thread, and a route body runs on one thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Query, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from leadscore.service.api.errors import ApiError

if TYPE_CHECKING:
    from leadscore.service.predictions import Explainer
    from leadscore.service.reads import ScoredModels
    from leadscore.service.records import ItemResult
    from leadscore.service.runtime import Runtime
    from leadscore.service.settings import ServiceSettings
    from leadscore.store.base import Store

log = logging.getLogger("leadscore.service.api")

_KEY_TEXT = "An API key of the workspace (`leadscore keys create NAME`): `lsk_<key_id>_<secret>`."
bearer_scheme = HTTPBearer(
    auto_error=False, scheme_name="bearer", description=f"{_KEY_TEXT} As `Bearer <key>`."
)
header_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="apiKey", description=_KEY_TEXT
)
UNAUTHORIZED = (
    "missing or invalid API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>' "
    "with a key of this workspace that is not revoked"
)


@dataclass(frozen=True)
class WorkspaceContext:
    """The workspace a request works on, and the service settings."""

    runtime: Runtime
    models: ScoredModels
    settings: ServiceSettings
    explainer: Explainer  # the workspace's predictive factors, with its trained models

    @property
    def name(self) -> str:
        return self.runtime.name

    def now(self) -> int:
        return self.runtime.settings.clock()

    @contextmanager
    def reader(self) -> Iterator[Store]:
        with self.runtime.reader() as store:
            yield store


async def current_workspace(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    header: Annotated[str | None, Security(header_scheme)],
) -> WorkspaceContext:
    """The workspace of the presented API key; 401 when there is no valid key. A key the key
    ring remembers is answered on the event loop; one it must read goes to a worker thread
    (a read blocks)."""
    from starlette.concurrency import run_in_threadpool

    state: Any = request.app.state
    key = bearer.credentials if bearer is not None else header
    key = key.strip() if key else None
    name = state.keyring.remembered(key)
    if name is None:
        name = await run_in_threadpool(state.keyring.workspace_of, key)
    if name is None:
        # nothing of the key is logged: not even whether it was well formed
        log.info("refused %s %s: no valid API key", request.method, request.url.path)
        raise ApiError(401, "unauthorized", UNAUTHORIZED)
    request.state.workspace = name
    return context_of(state, name)


def context_of(state: Any, name: str) -> WorkspaceContext:
    """The context of served workspace ``name`` (``state``: the app's state)."""
    return WorkspaceContext(
        state.runtimes[name], state.models[name], state.settings, state.explainers[name]
    )


WorkspaceDep = Annotated[WorkspaceContext, Depends(current_workspace)]
PageQuery = Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1.")]
PageSizeQuery = Annotated[int, Query(ge=1, le=500, description="Items per page (1 to 500).")]


def offset(page: int, page_size: int) -> int:
    return (page - 1) * page_size


def counts(results: list[dict[str, Any]]) -> dict[str, int]:
    """How many per-item results ended in each status."""
    out: dict[str, int] = {}
    for result in results:
        out[result["status"]] = out.get(result["status"], 0) + 1
    return out


def check_batch(ws: WorkspaceContext, size: int, what: str) -> None:
    """413 (nothing written) when a batch has more items than the limit."""
    limit = ws.settings.max_batch_items
    if size > limit:
        raise ApiError(
            413,
            "batch_too_large",
            f"a batch holds at most {limit} {what}; this one has {size} (nothing was written)",
            {"limit": limit, "items": size},
        )


def per_item(
    items: list[dict[str, Any]],
    id_field: str,
    build: Callable[[dict[str, Any], int], Any],
    write: Callable[[list[Any]], list[ItemResult]],
    now_us: int,
) -> list[dict[str, Any]]:
    """Validate each item with the shared row rules (a refused item is ``rejected`` with the
    reason and never written), write the others in one request, return results in order."""
    from leadscore.store.imports.rows import RowError

    results: list[dict[str, Any] | None] = [None] * len(items)
    records: list[Any] = []
    positions: list[int] = []
    for i, item in enumerate(items):
        try:
            records.append(build(item, now_us))
        except RowError as exc:
            raw = item.get(id_field)
            results[i] = {"status": "rejected", "id": raw, "reason": str(exc)}
            continue
        positions.append(i)
    if records:
        for i, written in zip(positions, write(records), strict=True):
            results[i] = written.as_dict()
    return [r for r in results if r is not None]
