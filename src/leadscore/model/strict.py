"""The base of every spec type: unknown keys are errors, values are not coerced silently."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        strict=False,
        str_strip_whitespace=False,
    )
