"""Webhook endpoints and their delivery log."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from leadscore.service.schemas.common import RequestModel, SafeText

Direction = Literal["up", "down", "new"]
_URL = (
    "Where alerts are POSTed: http or https, with a host; no user name or password in it "
    "(requests are authenticated by their HMAC-SHA256 signature)."
)


class WebhookIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://crm.example/hooks/leadscore",
                    "grades": ["hot"],
                    "directions": ["up"],
                    "cooldown_s": 86400,
                }
            ]
        }
    )

    url: str = Field(description=_URL)
    grades: list[SafeText] | None = Field(
        default=None, description="Only alerts whose new grade is one of these (default: all)."
    )
    stages: list[SafeText] | None = Field(
        default=None, description="Only alerts whose new stage is one of these (default: all)."
    )
    directions: list[Direction] | None = Field(
        default=None, description="Only alerts moving this way (default: all)."
    )
    cooldown_s: int = Field(
        default=0,
        ge=0,
        le=366 * 86400,
        description="At most one alert per lead to this endpoint within this many seconds.",
    )
    max_attempts: int = Field(
        default=8, ge=1, le=50, description="Attempts before a delivery is given up (`dead`)."
    )
    secret: str | None = Field(
        default=None,
        description="The signing secret (16 to 256 printable ASCII characters); leave it out to "
        "have a strong one generated. It is returned once, in this response.",
    )


class WebhookPatch(RequestModel):
    """Fields to change; those left out stay (an empty list clears a filter)."""

    url: str | None = Field(default=None, description=_URL)
    grades: list[SafeText] | None = None
    stages: list[SafeText] | None = None
    directions: list[Direction] | None = None
    cooldown_s: int | None = Field(default=None, ge=0, le=366 * 86400)
    max_attempts: int | None = Field(default=None, ge=1, le=50)
    active: bool | None = Field(default=None, description="`true` undoes a delete.")


class FilterOut(BaseModel):
    grades: list[str]
    stages: list[str]
    directions: list[str]


class WebhookOut(BaseModel):
    """An endpoint (its secret is never shown again after creation)."""

    endpoint_id: str
    url: str
    filter: FilterOut
    cooldown_s: int
    max_attempts: int
    active: bool = Field(description="`false` once deleted (its log stays readable).")
    created_at: str


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(
        description="The signing secret: shown this once; verify each request's "
        "`X-Leadscore-Signature` with it."
    )


class WebhookListOut(BaseModel):
    items: list[WebhookOut]


class DeliveryOut(BaseModel):
    """One delivery of one alert to one endpoint (never a secret or a URL)."""

    delivery_id: str
    endpoint_id: str
    alert_id: str
    contact_id: str | None
    old_grade: str | None
    new_grade: str | None
    status: str = Field(description="`pending`, `delivered` or `dead`.")
    attempts: int
    max_attempts: int | None
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: str | None
    created_at: str | None
    updated_at: str | None


class DeliveryPageOut(BaseModel):
    items: list[DeliveryOut] = Field(description="Newest first.")
    page: int
    page_size: int


class TestSendOut(BaseModel):
    ok: bool = Field(description="Whether the endpoint answered 2xx.")
    status_code: int | None
    error: str | None
    latency_ms: float
    delivery_id: str = Field(description="The `X-Leadscore-Delivery` header that was sent.")
