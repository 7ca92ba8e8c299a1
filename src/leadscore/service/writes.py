"""The writer's storage side: events, contacts and outcomes checked against the store and
written, one result per item, in the writer's transaction of the moment.

:class:`Writes` is what the runtime's writer thread (:mod:`leadscore.service.runtime`) runs for
each group commit. It reports the contacts it changed to ``touch`` (the scorer's queue) with
their cause (``event`` or ``attributes``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from leadscore.scoring.pending import TABLE as PENDING
from leadscore.service.records import ItemResult
from leadscore.store.base import IN_LIST, exclusive

if TYPE_CHECKING:
    from leadscore.records import Contact, Event, Outcome
    from leadscore.store.base import Store

# contact ids the writer remembers as existing (DuckDB only; about 100 MB at most)
KNOWN_CONTACTS_MAX = 1_000_000


class Writes:
    """Checks and writes items; one instance per runtime (it remembers known contacts)."""

    def __init__(self, clock: Callable[[], int], touch: Callable[[dict[str, str]], None]):
        self.clock = clock
        self.touch = touch
        # contact ids found or written, on a DuckDB workspace only (see known)
        self.known_contacts: set[str] = set()

    def existing(self, store: Store, table: str, key: str, ids: Sequence[str]) -> set[str]:
        from leadscore.scoring.slices import id_filter

        wanted = sorted(set(ids))
        if exclusive(store):
            # DuckDB scans the whole table for a semi-join with a bound list, but looks a few
            # hundred literals up in the key's index
            test, params = id_filter(key, wanted, store.dialect)
        else:
            test, params = f"{key} IN {IN_LIST}", [wanted]
        return {str(r[key]) for r in store.rows(f"SELECT {key} FROM {table} WHERE {test}", params)}

    def warm(self, store: Store) -> None:
        """Remember every contact id of an exclusive store that holds at most
        ``KNOWN_CONTACTS_MAX`` contacts (one read at the writer's start), so that ingest never
        looks one up; larger stores are looked up as events name them."""
        from leadscore.store.duckdb_store import DuckStore

        if not isinstance(store, DuckStore) or not store.has_table("contacts"):
            return
        if int(store.scalar("SELECT count(*) FROM contacts")) > KNOWN_CONTACTS_MAX:
            return
        ids = store.query("SELECT contact_id FROM contacts").column("contact_id").to_pylist()
        self.remember(store, (str(i) for i in ids))

    def known(self, store: Store, contact_ids: Sequence[str]) -> set[str]:
        """Which of ``contact_ids`` exist. Contacts are never deleted, and a DuckDB workspace
        is this process's alone while it runs (its file is locked), so there the ids found or
        written are remembered (up to ``KNOWN_CONTACTS_MAX``; :meth:`warm` reads them all at
        the start) and only new ones are read. PostgreSQL, which other processes may change, is
        read every time."""
        if not exclusive(store):
            return self.existing(store, "contacts", "contact_id", contact_ids)
        wanted = set(contact_ids)
        unknown = wanted - self.known_contacts
        found = wanted - unknown
        if unknown:
            found |= self.existing(store, "contacts", "contact_id", list(unknown))
        self.remember(store, found)
        return found

    def remember(self, store: Store, contact_ids: Iterable[str]) -> None:
        if exclusive(store):
            if len(self.known_contacts) > KNOWN_CONTACTS_MAX:
                self.known_contacts.clear()
            self.known_contacts.update(contact_ids)

    def events(self, store: Store, events: list[Event]) -> list[ItemResult]:
        from leadscore.records import events_table

        now = self.clock()
        known = self.known(store, [e.contact_id for e in events])
        results: list[ItemResult | None] = [None] * len(events)
        first: dict[str, int] = {}
        candidates: list[int] = []
        for i, event in enumerate(events):
            if event.contact_id not in known:
                results[i] = ItemResult(
                    "rejected",
                    event.event_id,
                    f"unknown contact_id '{event.contact_id}'; create the contact first",
                )
            elif event.event_id in first:
                results[i] = ItemResult("duplicate", event.event_id)
            else:
                first[event.event_id] = i
                candidates.append(i)
        inserted: set[str] = set()
        if candidates:
            table = events_table([events[i] for i in candidates], now_us=now)
            # on DuckDB the scorer adds new events to stored scores (leadscore.scoring.pending)
            copy_to = PENDING if exclusive(store) else None
            inserted = store.insert_new("events", "event_id", table, copy_to=copy_to)
        touched: dict[str, str] = {}
        for i in candidates:
            event = events[i]
            if event.event_id in inserted:
                results[i] = ItemResult("accepted", event.event_id)
                touched[event.contact_id] = "event"
            else:
                results[i] = ItemResult("duplicate", event.event_id)
        self.touch(touched)
        return [r for r in results if r is not None]

    def outcomes(self, store: Store, outcomes: list[Outcome]) -> list[ItemResult]:
        import pyarrow as pa

        from leadscore.values import to_json

        now = self.clock()
        known = self.known(store, [o.contact_id for o in outcomes])
        results: list[ItemResult | None] = [None] * len(outcomes)
        seen: set[str] = set()
        keep: list[int] = []
        for i, o in enumerate(outcomes):
            if o.contact_id not in known:
                reason = f"unknown contact_id '{o.contact_id}'"
                results[i] = ItemResult("rejected", o.outcome_id, reason)
            elif o.outcome_id in seen:
                results[i] = ItemResult("duplicate", o.outcome_id)
            else:
                seen.add(o.outcome_id)
                keep.append(i)
        inserted: set[str] = set()
        if keep:
            picked = [outcomes[i] for i in keep]
            table = pa.table(
                {
                    "outcome_id": [o.outcome_id for o in picked],
                    "contact_id": [o.contact_id for o in picked],
                    "type": [o.type for o in picked],
                    "ts_us": pa.array([o.ts_us for o in picked], pa.int64()),
                    "value": pa.array([o.value for o in picked], pa.float64()),
                    "properties": [to_json(getattr(o, "properties", {}) or {}) for o in picked],
                    "received_at_us": pa.array([now] * len(picked), pa.int64()),
                }
            )
            inserted = store.insert_new("outcomes", "outcome_id", table)
        for i in keep:
            status = "accepted" if outcomes[i].outcome_id in inserted else "duplicate"
            results[i] = ItemResult(status, outcomes[i].outcome_id)  # type: ignore[arg-type]
        return [r for r in results if r is not None]

    def contacts(self, store: Store, contacts: list[Contact]) -> list[ItemResult]:
        from leadscore.records import contacts_table
        from leadscore.values import from_json

        now = self.clock()
        ids = [c.contact_id for c in contacts]
        current: dict[str, dict[str, Any]] = {}
        for row in store.rows(
            "SELECT contact_id, account_id, created_at_us, attributes FROM contacts "
            f"WHERE contact_id IN {IN_LIST}",
            [sorted(set(ids))],
        ):
            row["attributes"] = from_json(row["attributes"])
            current[row["contact_id"]] = row
        results: list[ItemResult] = []
        final: dict[str, Contact] = {}
        from leadscore.records import Contact as ContactRecord

        for contact in contacts:
            before = current.get(contact.contact_id)
            if before is None:
                merged = contact
                status = "inserted"
            else:
                attributes = {**before["attributes"], **dict(contact.attributes)}
                merged = ContactRecord(
                    contact.contact_id,
                    attributes,
                    contact.created_at_us
                    if contact.created_at_us is not None
                    else before["created_at_us"],
                    contact.account_id if contact.account_id is not None else before["account_id"],
                )
                same = (
                    attributes == before["attributes"]
                    and merged.created_at_us == before["created_at_us"]
                    and merged.account_id == before["account_id"]
                )
                status = "unchanged" if same else "updated"
            if status != "unchanged":
                final[contact.contact_id] = merged
                current[contact.contact_id] = {
                    "contact_id": merged.contact_id,
                    "account_id": merged.account_id,
                    "created_at_us": merged.created_at_us,
                    "attributes": dict(merged.attributes),
                }
            results.append(ItemResult(status, contact.contact_id))  # type: ignore[arg-type]
        if final:
            changed = list(final)
            with store.transaction():
                store.execute(f"DELETE FROM contacts WHERE contact_id IN {IN_LIST}", [changed])
                store.append_arrow("contacts", contacts_table(final.values(), now_us=now))
            self.remember(store, changed)
            self.touch(dict.fromkeys(changed, "attributes"))
        return results
