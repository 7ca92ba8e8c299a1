"""Search over leads' names, emails and ids, through a narrow side table.

Scanning every contact's attributes (JSON text) takes about half a second per search on a
million contacts; ``web_search`` keeps one short lower-case line per contact instead (its id
and the attributes in :data:`FIELDS`), which searches in well under 100 ms. The index follows
the contacts: before each search, contacts written since the last sync (by ``updated_at_us``,
with a margin for writes that committed late) are re-indexed. Built on the first search.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadscore.store.base import Store

TABLE = "web_search"
FIELDS = ("first_name", "last_name", "name", "full_name", "email", "company")
MARGIN_US = 60_000_000  # writes carry the clock read before their commit (see Runtime)
SYNCED_KEY = "search_synced_us"


def _field(dialect: str, name: str) -> str:
    if dialect == "postgres":
        return f"(c.attributes ->> '{name}')"
    return f"json_extract_string(c.attributes, '$.{name}')"


def text_expression(dialect: str) -> str:
    """SQL for a contact's search line (from ``contacts c``)."""
    parts = ", ".join(["c.contact_id", *(_field(dialect, f) for f in FIELDS)])
    return f"lower(concat_ws(' ', {parts}))"


def token_clause(alias: str = "w") -> str:
    """The condition that one search word appears in the line."""
    return f"strpos({alias}.text, ?) > 0"


class SearchIndex:
    """The search table of one workspace; :meth:`sync` before reading it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def sync(self, store: Store) -> None:
        with self._lock:
            self._sync(store)

    def _sync(self, store: Store) -> None:
        from leadscore.web.tables import meta_value

        if not store.has_table(TABLE):
            store.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (contact_id VARCHAR NOT NULL, "
                "updated_at_us BIGINT NOT NULL, text VARCHAR NOT NULL)"
            )
        latest = store.scalar("SELECT max(updated_at_us) FROM contacts")
        if latest is None:
            return
        synced_text = meta_value(store, SYNCED_KEY)
        since = -1 if synced_text is None else int(synced_text) - MARGIN_US
        expression = text_expression(store.dialect)
        params: list[Any] = [since]
        if synced_text is not None:
            # the same contacts at the same times on both sides: nothing to do (an update
            # moves a contact's time forward, so it changes the sum)
            window = "count(*) AS n, coalesce(sum(updated_at_us), 0) AS t"
            have = store.rows(f"SELECT {window} FROM contacts WHERE updated_at_us > ?", params)
            done = store.rows(f"SELECT {window} FROM {TABLE} WHERE updated_at_us > ?", params)
            if have == done:
                if int(latest) > int(synced_text):
                    self._mark(store, int(latest), synced_text)
                return
        stale = (
            "SELECT c.contact_id FROM contacts c LEFT JOIN web_search w "
            "ON w.contact_id = c.contact_id AND w.updated_at_us = c.updated_at_us "
            "WHERE c.updated_at_us > ? AND w.contact_id IS NULL"
        )
        with store.transaction():
            if synced_text is None:
                store.execute(f"DELETE FROM {TABLE}")
                store.execute(
                    f"INSERT INTO {TABLE} SELECT c.contact_id, c.updated_at_us, {expression} "
                    "FROM contacts c"
                )
            else:
                store.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS _web_stale (contact_id VARCHAR NOT NULL)"
                )
                store.execute("DELETE FROM _web_stale")
                store.execute(f"INSERT INTO _web_stale {stale}", params)
                store.execute(
                    f"DELETE FROM {TABLE} WHERE contact_id IN (SELECT contact_id FROM _web_stale)"
                )
                store.execute(
                    f"INSERT INTO {TABLE} SELECT c.contact_id, c.updated_at_us, {expression} "
                    "FROM contacts c WHERE c.contact_id IN (SELECT contact_id FROM _web_stale)"
                )
            self._mark(store, int(latest), synced_text)

    @staticmethod
    def _mark(store: Store, latest: int, before: str | None) -> None:
        if before is None:
            store.execute("INSERT INTO web_meta VALUES (?, ?)", [SYNCED_KEY, str(latest)])
        else:
            store.execute("UPDATE web_meta SET value = ? WHERE key = ?", [str(latest), SYNCED_KEY])
