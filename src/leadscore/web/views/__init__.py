"""The pages of the web app: one module per page family, each with a ``router`` and, when it
belongs in the top navigation, a ``NAV`` item. :data:`PAGES` lists them; adding a page is
adding a module here (docs/web.md, "Adding a page")."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import APIRouter

# modules of leadscore.web.views, in the order of the navigation
PAGES = ("signin", "assets", "leads", "lead", "model", "analytics", "alerts")


@dataclass(frozen=True)
class NavItem:
    """An entry of the top navigation; ``section`` marks it current on its pages."""

    label: str
    href: str
    section: str


def _modules() -> list[Any]:
    return [importlib.import_module(f"leadscore.web.views.{name}") for name in PAGES]


def routers() -> list[APIRouter]:
    return [module.router for module in _modules()]


def navigation() -> list[NavItem]:
    return [module.NAV for module in _modules() if hasattr(module, "NAV")]
