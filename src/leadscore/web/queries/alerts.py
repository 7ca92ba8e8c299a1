"""The alerts pages' reads and actions, over the webhook library
(:mod:`leadscore.service.webhooks`): endpoints with their delivery counts, an endpoint's
delivery log, and the form of an endpoint read into the library's arguments. Writes go
through the runtime's scorer connection (``runtime.command``), as the API's do."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadscore.service.runtime import Runtime
    from leadscore.service.webhooks import Endpoint
    from leadscore.store.base import Store

LOG_PAGE = 25
RECENT = 10
STATUSES = ("pending", "delivered", "dead")
DIRECTIONS = ("up", "down")


def _counts(store: Store) -> dict[str, dict[str, int]]:
    rows = store.rows(
        "SELECT endpoint_id, status, count(*) AS n FROM deliveries GROUP BY endpoint_id, status"
    )
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        out.setdefault(str(row["endpoint_id"]), {})[str(row["status"])] = int(row["n"])
    return out


def _with_counts(endpoint: Endpoint, counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    mine = counts.get(endpoint.endpoint_id, {})
    return {
        **endpoint.as_dict(),
        "deliveries": {status: mine.get(status, 0) for status in STATUSES},
        "filter_text": filter_text(endpoint.as_dict()["filter"]),
    }


def filter_text(accepts: dict[str, list[str]]) -> str:
    """An endpoint's filter in words: ``grade changes to hot or warm, moving up``."""
    parts = []
    if accepts.get("grades"):
        parts.append("to grade " + " or ".join(accepts["grades"]))
    if accepts.get("stages"):
        parts.append("to stage " + " or ".join(accepts["stages"]))
    if accepts.get("directions"):
        parts.append("moving " + " or ".join(accepts["directions"]))
    return "every grade change" + (": " + ", ".join(parts) if parts else "")


def overview(store: Store, include_deleted: bool = False) -> dict[str, Any]:
    """Every endpoint (oldest first) with its deliveries per status, and the latest
    deliveries to any endpoint."""
    from leadscore.service.webhooks import delivery_log, list_endpoints

    counts = _counts(store)
    endpoints = list_endpoints(store, include_deleted=include_deleted)
    return {
        "endpoints": [_with_counts(e, counts) for e in endpoints],
        "recent": delivery_log(store, limit=RECENT),
    }


def endpoint_page(
    store: Store, endpoint_id: str, status: str | None = None, page: int = 1
) -> dict[str, Any]:
    """One endpoint with its counts and one page of its delivery log, newest first."""
    from leadscore.service.webhooks import delivery_log, get_endpoint

    endpoint = get_endpoint(store, endpoint_id)
    items = delivery_log(
        store, endpoint_id, status, LOG_PAGE + 1, offset=(max(1, page) - 1) * LOG_PAGE
    )
    return {
        "endpoint": _with_counts(endpoint, _counts(store)),
        "log": {
            "status": status,
            "page": page,
            "items": items[:LOG_PAGE],
            "more": len(items) > LOG_PAGE,
        },
    }


def _whole(form: dict[str, list[str]], name: str, default: int) -> int:
    from leadscore.service.webhooks import InvalidWebhook

    text = (form.get(name) or [""])[-1].strip()
    if not text:
        return default
    if not text.isdigit():
        raise InvalidWebhook(f"{name} must be a whole number; got '{text}'")
    return int(text)


def endpoint_fields(form: dict[str, list[str]]) -> dict[str, Any]:
    """The endpoint's fields from its form: ``url``, the ``grades``, ``stages`` and
    ``directions`` ticked (none ticked: every value), ``cooldown_s``, ``max_attempts``."""

    def ticked(name: str) -> list[str]:
        return [v for v in form.get(name, []) if v.strip()]

    return {
        "url": (form.get("url") or [""])[-1],
        "grades": ticked("grades"),
        "stages": ticked("stages"),
        "directions": ticked("directions"),
        "cooldown_s": _whole(form, "cooldown_s", 0),
        "max_attempts": _whole(form, "max_attempts", 8),
    }


def create(runtime: Runtime, fields: dict[str, Any], now_us: int) -> dict[str, Any]:
    """A new endpoint; the result holds its signing ``secret``, shown this once."""
    from leadscore.service.webhooks import create_endpoint

    endpoint, secret = runtime.command(lambda s: create_endpoint(s, now_us=now_us, **fields))
    return {**endpoint.as_dict(), "secret": secret}


def update(runtime: Runtime, endpoint_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    from leadscore.service.webhooks import update_endpoint

    updated: Endpoint = runtime.command(lambda s: update_endpoint(s, endpoint_id, **fields))
    return updated.as_dict()


def delete(runtime: Runtime, endpoint_id: str, now_us: int) -> dict[str, Any]:
    """Deactivate an endpoint (its pending deliveries are given up; its log stays)."""
    from leadscore.service.webhooks import delete_endpoint

    deleted: Endpoint = runtime.command(lambda s: delete_endpoint(s, endpoint_id, now_us))
    return deleted.as_dict()


def retry(runtime: Runtime, delivery_id: str, now_us: int) -> dict[str, Any]:
    """Queue a dead or pending delivery again, for now, with a fresh series of attempts."""
    from leadscore.service.webhooks import retry as retry_delivery

    entry: dict[str, Any] = runtime.command(lambda s: retry_delivery(s, delivery_id, now_us))
    return entry


def send_test_alert(
    store: Store, endpoint_id: str, post: Any, now_us: int, workspace: str
) -> dict[str, Any]:
    """POST a signed sample alert to the endpoint now and report the answer (nothing is
    recorded)."""
    from leadscore.service.webhooks import send_test

    return send_test(store, endpoint_id, post, now_us, workspace=workspace)
