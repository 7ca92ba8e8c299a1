"""Plain records of the nouns (contact, event, outcome, account, deal), as Python objects.

Attribute and property values are already in stored form: flat ``{key: text}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from leadscore.values import to_json

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Contact:
    contact_id: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    created_at_us: int | None = None
    account_id: str | None = None


@dataclass(frozen=True)
class Event:
    event_id: str
    contact_id: str
    type: str
    ts_us: int
    properties: Mapping[str, str] = field(default_factory=dict)
    # the stored JSON text of ``properties`` when already built (by the import rules, which
    # need it for content ids), so that storing the event does not build it again
    properties_json: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Outcome:
    outcome_id: str
    contact_id: str
    type: str
    ts_us: int
    value: float | None = None
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Account:
    account_id: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    created_at_us: int | None = None


@dataclass(frozen=True)
class Deal:
    deal_id: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    created_at_us: int | None = None
    account_id: str | None = None
    contact_ids: tuple[str, ...] = ()


def contacts_table(contacts: Iterable[Contact], now_us: int = 0) -> pa.Table:
    import pyarrow as pa

    items = list(contacts)
    return pa.table(
        {
            "contact_id": pa.array([c.contact_id for c in items], pa.string()),
            "account_id": pa.array([c.account_id for c in items], pa.string()),
            "created_at_us": pa.array([c.created_at_us for c in items], pa.int64()),
            "attributes": pa.array([to_json(c.attributes) for c in items], pa.string()),
            "updated_at_us": pa.array([now_us] * len(items), pa.int64()),
        }
    )


def events_table(events: Iterable[Event], now_us: int = 0) -> pa.Table:
    import pyarrow as pa

    items = list(events)
    return pa.table(
        {
            "event_id": pa.array([e.event_id for e in items], pa.string()),
            "contact_id": pa.array([e.contact_id for e in items], pa.string()),
            "type": pa.array([e.type for e in items], pa.string()),
            "ts_us": pa.array([e.ts_us for e in items], pa.int64()),
            "properties": pa.array(
                [
                    to_json(e.properties) if e.properties_json is None else e.properties_json
                    for e in items
                ],
                pa.string(),
            ),
            "received_at_us": pa.array([now_us] * len(items), pa.int64()),
        }
    )


def accounts_table(accounts: Iterable[Account], now_us: int = 0) -> pa.Table:
    import pyarrow as pa

    items = list(accounts)
    return pa.table(
        {
            "account_id": pa.array([a.account_id for a in items], pa.string()),
            "created_at_us": pa.array([a.created_at_us for a in items], pa.int64()),
            "attributes": pa.array([to_json(a.attributes) for a in items], pa.string()),
            "updated_at_us": pa.array([now_us] * len(items), pa.int64()),
        }
    )


def deals_tables(deals: Iterable[Deal], now_us: int = 0) -> tuple[pa.Table, pa.Table]:
    import pyarrow as pa

    items = list(deals)
    deals_t = pa.table(
        {
            "deal_id": pa.array([d.deal_id for d in items], pa.string()),
            "account_id": pa.array([d.account_id for d in items], pa.string()),
            "created_at_us": pa.array([d.created_at_us for d in items], pa.int64()),
            "attributes": pa.array([to_json(d.attributes) for d in items], pa.string()),
            "updated_at_us": pa.array([now_us] * len(items), pa.int64()),
        }
    )
    links = sorted({(d.deal_id, c) for d in items for c in d.contact_ids})
    links_t = pa.table(
        {
            "deal_id": pa.array([d for d, _ in links], pa.string()),
            "contact_id": pa.array([c for _, c in links], pa.string()),
        }
    )
    return deals_t, links_t
