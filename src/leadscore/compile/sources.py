"""Where a compiled query reads its data: table (or view) names, one per noun."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp


@dataclass(frozen=True)
class Sources:
    contacts: str = "contacts"
    events: str = "events"
    accounts: str = "accounts"
    deals: str = "deals"
    deal_contacts: str = "deal_contacts"

    def table(self, noun: str) -> exp.Table:
        return exp.to_table(getattr(self, noun))
