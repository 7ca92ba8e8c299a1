"""Saved segments: a named filter of the leads list, kept per workspace (``web_segments``).
Saving under an existing name replaces that segment's filter."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.timeutil import iso
from leadscore.web.queries.filters import LeadFilter

if TYPE_CHECKING:
    from leadscore.store.base import Store

MAX_NAME = 80


def _name(name: str) -> str:
    text = " ".join(name.split())
    if not text or len(text) > MAX_NAME:
        raise LeadscoreError(f"a segment name has 1 to {MAX_NAME} characters")
    return text


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "segment_id": row["segment_id"],
        "name": row["name"],
        "filter": json.loads(row["filter"]),
        "created_by": row["created_by"],
        "created_at": iso(int(row["created_at_us"])),
    }


def list_segments(store: Store) -> list[dict[str, Any]]:
    rows = store.rows("SELECT * FROM web_segments ORDER BY lower(name), segment_id")
    return [_view(r) for r in rows]


def get_segment(store: Store, segment_id: str) -> dict[str, Any] | None:
    rows = store.rows("SELECT * FROM web_segments WHERE segment_id = ?", [segment_id])
    return _view(rows[0]) if rows else None


def segment_filter(segment: dict[str, Any]) -> LeadFilter:
    return LeadFilter.from_dict({k: list(v) for k, v in segment["filter"].items()})


def save_segment(store: Store, name: str, filt: LeadFilter, by: str, at_us: int) -> str:
    """Save ``filt`` as ``name``; return the segment id."""
    label = _name(name)
    if filt.empty:
        raise LeadscoreError("choose a filter first: a segment of every lead is the whole list")
    text = json.dumps(filt.params(), sort_keys=True)
    existing = store.scalar(
        "SELECT segment_id FROM web_segments WHERE lower(name) = lower(?)", [label]
    )
    if existing is not None:
        store.execute(
            "UPDATE web_segments SET filter = ?, created_by = ?, created_at_us = ? "
            "WHERE segment_id = ?",
            [text, by, at_us, existing],
        )
        return str(existing)
    segment_id = secrets.token_hex(6)
    store.execute(
        "INSERT INTO web_segments VALUES (?, ?, ?, ?, ?)", [segment_id, label, text, by, at_us]
    )
    return segment_id


def delete_segment(store: Store, segment_id: str) -> bool:
    found = get_segment(store, segment_id) is not None
    store.execute("DELETE FROM web_segments WHERE segment_id = ?", [segment_id])
    return found
