"""From the generator's arrays to Arrow tables with the store schema's columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadscore.demo.behaviour import FIT0, Events, Latent, make_events, make_latent, sigmoid
from leadscore.demo.catalog import EVENT_TYPES, Catalog
from leadscore.demo.columns import const, int64, join, numbered, table, take
from leadscore.demo.deals import Converted
from leadscore.demo.people import NEVER_US, Accounts, People, Window, make_people

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from leadscore.demo.columns import Column

HORIZON_DAYS = 90
RECEIVE_DELAY_S = 2.0  # mean delay between an event and its arrival


def accounts_table(accounts: Accounts, attributes: Column, window: Window) -> pa.Table:
    n = len(accounts.employees)
    return table(
        "accounts",
        {
            "account_id": accounts.ids,
            "created_at_us": int64(accounts.created_us),
            "attributes": attributes,
            "updated_at_us": const(n, window.end_us),
        },
    )


def contacts_part(
    rng: np.random.Generator,
    seed: int,
    accounts: Accounts,
    window: Window,
    catalog: Catalog,
    intensity: float,
    first: int,
    n: int,
    event_offset: int,
) -> tuple[dict[str, pa.Table], Converted]:
    """Contacts number ``first`` .. ``first + n - 1`` with their events, conversions and truth."""
    import numpy as np
    import pyarrow as pa

    people = make_people(rng, accounts, first, n, window)
    latent = make_latent(rng, people, window)
    events = make_events(rng, people, latent, window, catalog, intensity)
    has = people.account >= 0
    account_ids = take(accounts.ids, np.where(has, people.account, 0), missing=~has)
    contacts = table(
        "contacts",
        {
            "contact_id": people.ids,
            "account_id": account_ids,
            "created_at_us": int64(people.created_us),
            "attributes": people.attributes,
            "updated_at_us": const(n, window.end_us),
        },
    )
    converted = np.flatnonzero(latent.converted_us != NEVER_US)
    conv_ids = people.ids.take(converted)
    conv_ts = latent.converted_us[converted]
    outcomes = table(
        "outcomes",
        {
            "outcome_id": join("converted-", conv_ids),
            "contact_id": conv_ids,
            "type": pa.array(["converted"] * len(converted), pa.string()),
            "ts_us": int64(conv_ts),
            "value": pa.nulls(len(converted), pa.float64()),
            "properties": pa.array(['{"source":"demo"}'] * len(converted), pa.string()),
            "received_at_us": int64(conv_ts),
        },
    )
    tables = {
        "contacts": contacts,
        "events": _events_table(rng, seed, people, events, window, catalog, event_offset),
        "outcomes": outcomes,
        "truth": _truth(people, latent),
    }
    conv = Converted(
        contact_ids=conv_ids,
        account=people.account[converted],
        ts_us=conv_ts,
        fit=people.fit[converted],
    )
    return tables, conv


def _events_table(
    rng: np.random.Generator,
    seed: int,
    people: People,
    events: Events,
    window: Window,
    catalog: Catalog,
    offset: int,
) -> pa.Table:
    import numpy as np
    import pyarrow as pa

    n = len(events.ts_us)
    delay = (rng.exponential(RECEIVE_DELAY_S, n) * 1_000_000).astype(np.int64)
    return table(
        "events",
        {
            "event_id": numbered(f"ev-{seed}-", offset + 1, n, 1),
            "contact_id": people.ids.take(events.contact),
            "type": pa.array(EVENT_TYPES, pa.string()).take(events.type),
            "ts_us": int64(events.ts_us),
            "properties": catalog.vocabulary.texts(events.code),
            "received_at_us": int64(np.minimum(events.ts_us + delay, window.end_us)),
        },
    )


def _truth(people: People, latent: Latent) -> pa.Table:
    import numpy as np
    import pyarrow as pa

    from leadscore.demo.generate import truth_schema

    never = latent.converted_us == NEVER_US
    return pa.table(
        {
            "contact_id": people.ids,
            "intent": pa.array(sigmoid(latent.intent)),
            "fit": pa.array(sigmoid(2.0 * (people.fit - FIT0))),
            "hazard_per_day": pa.array(latent.hazard),
            "p_convert_90d": pa.array(-np.expm1(-latent.hazard * HORIZON_DAYS)),
            "converted_at_us": int64(np.where(never, 0, latent.converted_us), mask=never),
        },
        schema=truth_schema(),
    )
