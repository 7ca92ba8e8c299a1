"""Operations: rescoring, health, readiness."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class RescoreOut(BaseModel):
    mode: Literal["time", "full"] = Field(
        description="`time`: every score brought to now (decay, expiry, inactivity); `full`: "
        "everyone recomputed from raw events with the active model version."
    )
    workspace: str
    model_version: int
    as_of: str
    rescored: int = Field(description="Contacts recomputed exactly.")
    rebased: int = Field(description="Contacts brought to now in closed form.")
    changed_grade: int = Field(description="Contacts whose grade or stage changed.")
    seconds: float


class HealthOut(BaseModel):
    status: Literal["ok"]


class ReadyOut(BaseModel):
    ready: bool
    workspace: str
    model_version: int | None
    checks: dict[str, bool] = Field(
        description="`database` reachable, `scorer` running, `model` loaded."
    )
