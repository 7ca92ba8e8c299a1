"""The HTTP API under /api/v1: one router per resource (see :func:`routers`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """Every router of the API, in the order the documentation lists them."""
    from leadscore.service.api import (
        alerts,
        contacts,
        events,
        models,
        ops,
        outcomes,
        webhooks,
    )

    return [
        contacts.router,
        events.router,
        outcomes.router,
        models.router,
        alerts.router,
        webhooks.router,
        webhooks.deliveries,
        ops.router,
    ]
