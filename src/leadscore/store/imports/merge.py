"""Merge staged rows into the store, set-wise, inside the caller's transaction.

Facts (events, outcomes) are kept once per id: the first row of an id in the file is inserted
unless the id is already stored; every other row is a duplicate.

Entities (contacts, accounts, deals) are applied in file order, as if one row at a time: a new id
is inserted; a row that changes nothing is a duplicate; a row that changes something updates the
entity. Updates merge: a missing value keeps the stored one, attributes merge key by key (new keys
overwrite, absent keys stay), a deal's contacts are the union of the old and new ones.
The common cases (a new id seen once, a stored id seen once with nothing new) are handled by
anti-joins; only ids that repeat in the file or change a stored entity go through Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadscore.store.imports.kinds import Kind
from leadscore.store.imports.stage import load_temp, temp_name
from leadscore.values import from_json, to_json

if TYPE_CHECKING:
    from leadscore.store.duckdb_store import DuckStore

SLICE_ROWS = 50_000


@dataclass
class MergeCounts:
    inserted: int = 0
    updated: int = 0
    duplicates: int = 0


def _count(store: DuckStore, sql: str, params: list[Any] | None = None) -> int:
    row = store.con.execute(sql, params or []).fetchone()
    return int(row[0]) if row else 0


def merge_facts(store: DuckStore, kind: Kind, stage: str, staged: int, now_us: int) -> MergeCounts:
    table, key = kind.table, kind.key
    cols = ", ".join(kind.column_names)
    inserted = _count(
        store,
        f"INSERT INTO {table} ({cols}, received_at_us) "
        f"SELECT {cols}, ? FROM {stage} s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{key} = s.{key}) "
        f"QUALIFY row_number() OVER (PARTITION BY s.{key} ORDER BY s.seq) = 1",
        [now_us],
    )
    return MergeCounts(inserted=inserted, duplicates=staged - inserted)


@dataclass
class _State:
    account_id: str | None
    created_at_us: int | None
    attributes: dict[str, str]
    links: frozenset[str]

    def merged(self, row: _State) -> _State:
        return _State(
            account_id=row.account_id if row.account_id is not None else self.account_id,
            created_at_us=(
                row.created_at_us if row.created_at_us is not None else self.created_at_us
            ),
            attributes={**self.attributes, **row.attributes},
            links=self.links | row.links,
        )


def merge_entities(
    store: DuckStore, kind: Kind, stage: str, staged: int, now_us: int
) -> MergeCounts:
    table, key = kind.table, kind.key
    names = kind.column_names
    has_account = "account_id" in names
    has_links = "contact_ids" in names
    stored = [c for c in names if c != "contact_ids"]  # the target table's own columns
    counts = MergeCounts()
    complex_ids = temp_name("ids")
    same = [
        "(s.created_at_us IS NULL OR s.created_at_us = t.created_at_us)",
        "(s.attributes = '{}' OR s.attributes = t.attributes)",
    ]
    if has_account:
        same.append("(s.account_id IS NULL OR s.account_id = t.account_id)")
    if has_links:
        same.append("len(s.contact_ids) = 0")
    # temporary tables made here belong to the caller's transaction: dropped at the end, or
    # gone with a rollback
    store.con.execute(
        f"CREATE TEMP TABLE {complex_ids} AS "
        f"SELECT {key} FROM {stage} GROUP BY {key} HAVING count(*) > 1 "
        f"UNION SELECT s.{key} FROM {stage} s JOIN {table} t ON t.{key} = s.{key} "
        f"WHERE NOT ({' AND '.join(same)})"
    )
    simple = f"NOT EXISTS (SELECT 1 FROM {complex_ids} x WHERE x.{key} = s.{key})"
    is_new = f"NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{key} = s.{key})"
    counts.duplicates = _count(
        store, f"SELECT count(*) FROM {stage} s WHERE {simple} AND NOT {is_new}"
    )
    # links first: the new-id test below must run before the new deals exist
    if has_links:
        store.con.execute(
            "INSERT INTO deal_contacts (deal_id, contact_id) "
            "SELECT DISTINCT l.deal_id, l.contact_id FROM ("
            f"  SELECT s.deal_id, unnest(s.contact_ids) AS contact_id FROM {stage} s "
            f"  WHERE {simple} AND {is_new}) l "
            "WHERE NOT EXISTS (SELECT 1 FROM deal_contacts d "
            "  WHERE d.deal_id = l.deal_id AND d.contact_id = l.contact_id)"
        )
    col_list = ", ".join(stored)
    counts.inserted = _count(
        store,
        f"INSERT INTO {table} ({col_list}, updated_at_us) "
        f"SELECT {', '.join('s.' + c for c in stored)}, ? FROM {stage} s "
        f"WHERE {simple} AND {is_new}",
        [now_us],
    )
    _merge_complex(store, kind, stage, complex_ids, now_us, counts)
    store.con.execute(f"DROP TABLE IF EXISTS {complex_ids}")
    assert counts.inserted + counts.updated + counts.duplicates == staged
    return counts


def _merge_complex(
    store: DuckStore, kind: Kind, stage: str, ids: str, now_us: int, counts: MergeCounts
) -> None:
    """Ids that repeat in the file or change a stored entity: replay their rows in order."""
    import pyarrow as pa

    table, key = kind.table, kind.key
    names = kind.column_names
    has_account = "account_id" in names
    has_links = "contact_ids" in names
    stored_links = (
        f", (SELECT list(d.contact_id) FROM deal_contacts d WHERE d.deal_id = s.{key}) AS t_links"
        if has_links
        else ""
    )
    data = store.con.sql(
        f"SELECT s.*, t.{key} IS NOT NULL AS existed, "
        f"{'t.account_id' if has_account else 'NULL'} AS t_account_id, "
        f"t.created_at_us AS t_created_at_us, t.attributes AS t_attributes{stored_links} "
        f"FROM {stage} s JOIN {ids} x ON x.{key} = s.{key} "
        f"LEFT JOIN {table} t ON t.{key} = s.{key} ORDER BY s.{key}, s.seq"
    ).to_arrow_table()
    if data.num_rows == 0:
        return
    final: list[tuple[Any, ...]] = []
    current: str | None = None
    original: _State | None = None
    state: _State | None = None

    def finish() -> None:
        if state is not None and state != original:
            links = sorted(state.links - (original.links if original else frozenset()))
            final.append(
                (
                    current,
                    state.account_id,
                    state.created_at_us,
                    to_json(state.attributes),
                    original is not None,
                    links,
                )
            )

    for start in range(0, data.num_rows, SLICE_ROWS):
        for row in data.slice(start, SLICE_ROWS).to_pylist():
            if row[key] != current:
                finish()
                current = row[key]
                original = None
                if row["existed"]:
                    original = _State(
                        row["t_account_id"],
                        row["t_created_at_us"],
                        from_json(row["t_attributes"]),
                        frozenset(row.get("t_links") or ()),
                    )
                state = original
            incoming = _State(
                row.get("account_id"),
                row["created_at_us"],
                json.loads(row["attributes"]),
                frozenset(row.get("contact_ids") or ()),
            )
            if state is None:
                state = incoming
                counts.inserted += 1
                continue
            merged = state.merged(incoming)
            if merged == state:
                counts.duplicates += 1
            else:
                counts.updated += 1
                state = merged
    finish()
    if not final:
        return
    changes = temp_name("changes")
    store.con.execute(
        f"CREATE TEMP TABLE {changes} ({key} VARCHAR, account_id VARCHAR, created_at_us BIGINT, "
        "attributes VARCHAR, existed BOOLEAN, new_links VARCHAR[])"
    )
    columns = list(zip(*final, strict=True))
    types = [
        pa.string(),
        pa.string(),
        pa.int64(),
        pa.string(),
        pa.bool_(),
        pa.list_(pa.string()),
    ]
    load_temp(
        store,
        changes,
        pa.Table.from_arrays(
            [pa.array(list(c), t) for c, t in zip(columns, types, strict=True)],
            names=[key, "account_id", "created_at_us", "attributes", "existed", "new_links"],
        ),
    )
    own = [c for c in names if c not in (key, "contact_ids")]
    store.con.execute(
        f"INSERT INTO {table} ({key}, {', '.join(own)}, updated_at_us) "
        f"SELECT {key}, {', '.join(own)}, ? FROM {changes} WHERE NOT existed",
        [now_us],
    )
    assignments = ", ".join(f"{c} = c.{c}" for c in own)
    store.con.execute(
        f"UPDATE {table} SET {assignments}, updated_at_us = ? FROM {changes} c "
        f"WHERE {table}.{key} = c.{key} AND c.existed",
        [now_us],
    )
    if has_links:
        store.con.execute(
            "INSERT INTO deal_contacts (deal_id, contact_id) "
            f"SELECT DISTINCT {key}, unnest(new_links) FROM {changes}"
        )
    store.con.execute(f"DROP TABLE IF EXISTS {changes}")
