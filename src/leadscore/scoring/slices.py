"""A few contacts' rows, read through the ``contact_id`` indexes into temporary tables.

Rescoring a handful of contacts must not read the whole history. Handed a semi-join
(``contact_id IN (SELECT ...)``), DuckDB scans every event and filters afterwards; handed a list
of literal ids, it looks them up in the ``events_contact`` index (measured on 1.8M events: 7 ms
for 10 contacts, against a scan of every event of the rule types). So the contacts' rows are
copied into two temporary tables by literal lists of ids, in chunks, and the compiled scoring
query reads those (:data:`SOURCES`): its cost follows the contacts' own events. A slice of
many contacts is read by one scan instead (:data:`SCAN_SHARE`). Of the events, only the
columns that scoring reads are copied (:data:`EVENT_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from leadscore.compile.sources import Sources
from leadscore.store.base import IN_LIST

if TYPE_CHECKING:
    from leadscore.store.base import Store

EVENTS = "_slice_events"
CONTACTS = "_slice_contacts"
SOURCES = Sources(contacts=CONTACTS, events=EVENTS)
# the columns of an event that compiled scoring queries read (compile/assemble.py, the event
# CTEs): the slice leaves out the rest (the event id, the time received), which a scan for
# many contacts would otherwise copy for nothing (docs/benchmarks.md, run S)
EVENT_COLUMNS = ("contact_id", "type", "ts_us", "properties")
# ids per lookup statement: past a few hundred literals an index lookup per id stops paying
CHUNK = 500
# a slice of more than this share of the contacts (and more than MIN_SCAN of them) is read by
# one scan instead: measured (benchmarks/bench_rescore.py), lookups cost about 0.3 ms a contact
# and beat a scan up to about 0.5 % of the contacts, on 100,000 and on 1,000,000 contacts
SCAN_SHARE = 0.004
MIN_SCAN = 200
# refresh: beyond this many contacts to recompute, the compiled query reads the events itself
LOOKUP_MAX = 5_000


def id_list(column: str, ids: Sequence[str], dialect: str) -> str:
    """``column IN ('a', 'b', ...)`` with each id rendered (and quoted) as a SQL string."""
    from leadscore.compile.dialects import get_dialect

    test = exp.In(this=exp.column(column), expressions=[exp.Literal.string(i) for i in ids])
    return get_dialect(dialect).sql(test, pretty=False)


def id_filter(column: str, ids: Sequence[str], dialect: str) -> tuple[str, list[Any]]:
    """A test of ``column`` against ``ids``, and its parameters: up to :data:`CHUNK` ids as a
    list of literals (which DuckDB looks up in the column's index), more as one bound list
    (one scan, which then costs less than the lookups)."""
    if len(ids) <= CHUNK:
        return id_list(column, ids, dialect), []
    return f"{column} IN {IN_LIST}", [list(ids)]


def fill(store: Store, ids: Sequence[str], events: bool = True) -> Sources:
    """Copy the contacts ``ids`` and (with ``events``) their events into the slice tables
    (created on first use for the connection; emptied first) and return the sources that read
    them. Run it inside the transaction that uses the slice, so that both see the same data."""
    by_scan = len(ids) > MIN_SCAN and len(ids) > SCAN_SHARE * float(
        store.scalar("SELECT count(*) FROM contacts")
    )
    tables = [(CONTACTS, "contacts", "*")]
    if events:
        tables.insert(0, (EVENTS, "events", ", ".join(EVENT_COLUMNS)))
    for table, source, columns in tables:
        store.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {table} AS SELECT {columns} FROM {source} WHERE 1 = 0"
        )
        store.execute(f"DELETE FROM {table}")
        if by_scan:
            store.execute(
                f"INSERT INTO {table} SELECT {columns} FROM {source} WHERE contact_id IN {IN_LIST}",
                [list(ids)],
            )
            continue
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            store.execute(
                f"INSERT INTO {table} SELECT {columns} FROM {source} "
                f"WHERE {id_list('contact_id', chunk, store.dialect)}"
            )
    return SOURCES
