"""Events and outcomes: what a lead did, and how it ended (converted, won, lost)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from leadscore.service.schemas.common import JsonObject, RequestModel

_TS = (
    "When it happened: ISO 8601 (`2025-06-30T14:05:00Z`; no offset means UTC), from 1970 to at "
    "most one day after now."
)
_PROPS = (
    "Free-form details (url, form, campaign...): text, numbers, booleans, lists or nested objects "
    "(flattened to dotted keys)."
)


class EventIn(RequestModel):
    """One thing a contact did."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "evt-1001",
                    "contact_id": "jane@acme.example",
                    "type": "page_view",
                    "ts": "2025-06-30T14:05:00Z",
                    "properties": {"url": "/pricing"},
                }
            ]
        }
    )

    event_id: str | None = Field(
        default=None,
        description="Your idempotency key: an event sent again with the same id is stored once. "
        "Without it the id is a hash of the content (contact, type, ts, properties).",
    )
    contact_id: str = Field(description="The contact (it must exist: create it first).")
    type: str = Field(description="The event type the model's rules select (page_view...).")
    ts: str = Field(description=_TS, json_schema_extra={"format": "date-time"})
    properties: JsonObject = Field(default_factory=dict, description=_PROPS)


class EventBatchIn(RequestModel):
    events: list[EventIn] = Field(min_length=1, description="The events (see the limit above).")


class EventOut(BaseModel):
    status: Literal["accepted", "duplicate"] = Field(
        description="`accepted`: stored now (durably, before this response); `duplicate`: "
        "already stored under this id, nothing changed."
    )
    event_id: str


class OutcomeIn(RequestModel):
    """How a lead ended: what predictive models learn from and backtests measure against."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "outcome_id": "deal-77-won",
                    "contact_id": "jane@acme.example",
                    "type": "won",
                    "ts": "2025-07-14T10:00:00Z",
                    "value": 12000,
                }
            ]
        }
    )

    outcome_id: str | None = Field(
        default=None, description="Your idempotency key (default: a hash of the content)."
    )
    contact_id: str
    type: str = Field(description="`converted`, `won` or `lost` (any case).")
    ts: str = Field(description=_TS, json_schema_extra={"format": "date-time"})
    value: float | None = Field(default=None, description="The deal value, if any.")
    properties: JsonObject = Field(default_factory=dict, description=_PROPS)


class OutcomeBatchIn(RequestModel):
    outcomes: list[OutcomeIn] = Field(min_length=1, description="The outcomes (see the limit).")


class OutcomeOut(BaseModel):
    status: Literal["accepted", "duplicate"]
    outcome_id: str
