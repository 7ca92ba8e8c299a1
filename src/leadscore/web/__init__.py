"""The web app for sales and marketing: server-rendered pages (Jinja2 + htmx) over the same
library calls as the HTTP API, each with a JSON twin.

:func:`install` adds it to the service's FastAPI app; nothing happens at import time. How the
pieces fit and how to add a page: docs/web.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from leadscore.web.state import WebOptions


def install(app: FastAPI, options: WebOptions | None = None) -> None:
    """Serve the web app from ``app``: its pages, static files, error pages and headers."""
    from leadscore.web.mount import install as mount

    mount(app, options)


__all__ = ["install"]
