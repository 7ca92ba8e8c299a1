"""The outbox: one pending delivery per (alert, matching endpoint), written in the transaction
that created the alert, so an alert can never be lost between scoring and delivery."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadscore.store.base import Store


def matches(filters: dict[str, Any], alert: dict[str, Any]) -> bool:
    """Whether an endpoint's filter accepts an alert (empty lists accept everything)."""
    grades = filters.get("grades") or []
    stages = filters.get("stages") or []
    directions = filters.get("directions") or []
    new = alert.get("new", {})
    if grades and new.get("grade") not in grades:
        return False
    if stages and new.get("stage") not in stages:
        return False
    return not (directions and alert.get("direction") not in directions)


def enqueue_deliveries(store: Store, alerts: Sequence[dict[str, Any]], at_us: int) -> int:
    """Queue deliveries of ``alerts`` to every active endpoint whose filter matches, unless the
    endpoint already got an alert for that lead within its cooldown. Returns how many."""
    endpoints = store.rows(
        "SELECT endpoint_id, filter, cooldown_s FROM webhooks WHERE active ORDER BY endpoint_id"
    )
    filters = [json.loads(endpoint["filter"] or "{}") for endpoint in endpoints]
    queued = 0
    for alert in alerts:
        for endpoint, accepts in zip(endpoints, filters, strict=True):
            if not matches(accepts, alert):
                continue
            cooldown_us = int(endpoint["cooldown_s"]) * 1_000_000
            if cooldown_us > 0:
                recent = store.scalar(
                    "SELECT count(*) FROM deliveries d JOIN alerts a ON a.alert_id = d.alert_id "
                    "WHERE d.endpoint_id = ? AND a.contact_id = ? AND d.created_at_us > ?",
                    [endpoint["endpoint_id"], alert["contact_id"], at_us - cooldown_us],
                )
                if recent:
                    continue
            store.execute(
                "INSERT INTO deliveries VALUES (?, ?, ?, 'pending', 0, ?, NULL, NULL, ?, ?)",
                [uuid.uuid4().hex, endpoint["endpoint_id"], alert["alert_id"], at_us, at_us, at_us],
            )
            queued += 1
    return queued
