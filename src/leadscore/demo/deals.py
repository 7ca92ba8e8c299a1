"""Deals: an account's first conversion opens one; it closes won or lost some weeks later.

The deal's contacts are the account's contacts who converted before it closed. A closed deal
gives each of them a ``won`` or ``lost`` outcome at the close (``value``: the amount when won).
The chance of winning rises with the first contact's fit. Deals still open at the end have no
outcome yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadscore.demo import vocab as v
from leadscore.demo.people import DAY_US, Accounts, Window

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from leadscore.demo.columns import Column


@dataclass(frozen=True)
class Converted:
    """Contacts that converted by the end of the window."""

    contact_ids: Column
    account: np.ndarray  # -1: no company, no deal
    ts_us: np.ndarray
    fit: np.ndarray

    @staticmethod
    def concat(parts: list[Converted]) -> Converted:
        import numpy as np
        import pyarrow as pa

        return Converted(
            contact_ids=pa.concat_arrays(
                [p.contact_ids for p in parts] or [pa.array([], pa.string())]
            ),
            account=np.concatenate([p.account for p in parts] or [np.zeros(0, np.int64)]),
            ts_us=np.concatenate([p.ts_us for p in parts] or [np.zeros(0, np.int64)]),
            fit=np.concatenate([p.fit for p in parts] or [np.zeros(0)]),
        )


def make_deals(
    rng: np.random.Generator, converted: Converted, accounts: Accounts, window: Window
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(deals, deal_contacts, won/lost outcomes)."""
    import numpy as np
    import pyarrow as pa

    from leadscore.demo.behaviour import FIT0, sigmoid
    from leadscore.demo.columns import const, int64, join, numbered, table, text
    from leadscore.demo.jsontext import json_objects

    with_company = np.flatnonzero(converted.account >= 0)
    order = with_company[
        np.lexsort((converted.ts_us[with_company], converted.account[with_company]))
    ]
    account = converted.account[order]
    ts = converted.ts_us[order]
    deal_accounts, first = np.unique(account, return_index=True)
    n = len(deal_accounts)
    created = ts[first]
    close = created + ((14 + rng.exponential(40.0, n)) * DAY_US).astype(np.int64)
    won = rng.random(n) < sigmoid(-0.4 + 0.9 * (converted.fit[order][first] - FIT0))
    employees = accounts.employees[deal_accounts]
    amount = np.maximum(
        np.round(3000 * employees**0.45 * rng.lognormal(0.0, 0.4, n) / 500) * 500, 1500
    )
    plan = np.select([employees < 200, employees < 2000], [0, 1], 2)
    ids = numbered("deal-", 1, n, 6)
    names = accounts.name.take(deal_accounts)
    plan_text = pa.array(v.DEAL_PLANS, pa.string()).take(plan)
    deals = table(
        "deals",
        {
            "deal_id": ids,
            "account_id": accounts.ids.take(deal_accounts),
            "created_at_us": int64(created),
            "attributes": json_objects(
                {
                    "name": join(names, plan_text, sep=" - "),
                    "amount": text(amount.astype(np.int64)),
                    "plan": plan_text,
                }
            ),
            "updated_at_us": const(n, window.end_us),
        },
    )
    deal = np.searchsorted(deal_accounts, account)
    member = ts <= np.minimum(close, window.end_us)[deal]
    deal, rows = deal[member], order[member]
    link_deal = ids.take(deal)
    link_contact = converted.contact_ids.take(rows)
    links = table("deal_contacts", {"deal_id": link_deal, "contact_id": link_contact})

    closed = close[deal] <= window.end_us
    c_deal, c_contact = link_deal.filter(pa.array(closed)), link_contact.filter(pa.array(closed))
    c_won, at = won[deal][closed], close[deal][closed]
    kind = pa.array(np.where(c_won, "won", "lost"), pa.string())
    outcomes = table(
        "outcomes",
        {
            "outcome_id": join(kind, c_deal, c_contact, sep="-"),
            "contact_id": c_contact,
            "type": kind,
            "ts_us": int64(at),
            "value": pa.array(
                np.where(c_won, amount[deal][closed], np.nan), pa.float64(), from_pandas=True
            ),
            "properties": json_objects({"deal_id": c_deal}),
            "received_at_us": int64(at),
        },
    )
    return deals, links, outcomes
