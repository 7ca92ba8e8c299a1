"""Alerts: a lead's grade or stage changed (the payload webhooks receive)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from leadscore.service.schemas.contacts import ReasonOut


class AlertStateOut(BaseModel):
    grade: str | None
    stage: str | None
    total: float | None


class AlertOut(BaseModel):
    alert_id: str
    type: str = Field(description="`lead.grade_changed`.")
    workspace: str
    contact_id: str
    at: str
    cause: str = Field(description="`event`, `attributes`, `time` or `model`.")
    direction: str = Field(description="`up`, `down` or `new`.")
    old: AlertStateOut
    new: AlertStateOut
    reasons: list[ReasonOut] = Field(description="The lead's top reasons at the time.")


class AlertPageOut(BaseModel):
    items: list[AlertOut] = Field(description="Newest first.")
    total: int
    page: int
    page_size: int
