"""Events stored but not yet counted in their contacts' stored scores.

The service's writer, on a DuckDB workspace, copies every event it accepts into
``pending_events`` in the transaction that stores it. The scorer then rescores a contact by
adding the results of its pending events to its stored score (:mod:`leadscore.scoring.rescorer`)
instead of reading all its events again, and deletes those rows in the transaction that writes
the new score. Every other way of writing scores reads the events themselves, so it deletes the
pending rows of the contacts it scores in its own transaction (:func:`clear`): an event is
either in a contact's stored score or pending, never both.

Only the service's scorer adds pending events to scores; in a DuckDB workspace it is the only
process that writes (the file is locked). A PostgreSQL workspace may have several writers, so
there events are not copied and contacts are recomputed from all their events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from leadscore.store.base import IN_LIST

if TYPE_CHECKING:
    from leadscore.store.base import Store

TABLE = "pending_events"
# the pending events of the contacts being rescored, which the merge query reads
DELTA_EVENTS = "_delta_events"


def clear(store: Store, ids: Sequence[str] | None = None, known: bool = False) -> None:
    """Forget the pending events of the contacts ``ids`` (None: every contact), whose scores
    are being recomputed from all their events. Call it in the transaction that writes those
    scores. ``known``: the table is known to exist (else a workspace created before pending
    events may lack it)."""
    if not known and not store.has_table(TABLE):
        return
    if ids is None:
        store.execute(f"DELETE FROM {TABLE}")
    elif ids:
        store.execute(f"DELETE FROM {TABLE} WHERE contact_id IN {IN_LIST}", [list(ids)])


def fill_delta(store: Store, ids: Sequence[str]) -> None:
    """Copy the pending events of ``ids`` into :data:`DELTA_EVENTS` (emptied first)."""
    store.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {DELTA_EVENTS} AS SELECT * FROM {TABLE} WHERE 1 = 0"
    )
    store.execute(f"DELETE FROM {DELTA_EVENTS}")
    store.execute(
        f"INSERT INTO {DELTA_EVENTS} SELECT * FROM {TABLE} WHERE contact_id IN {IN_LIST}",
        [list(ids)],
    )
