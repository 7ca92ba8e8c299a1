"""Bulk loads into DuckDB: many Arrow batches, one transaction.

Appending batch by batch in autocommit mode updates each table's unique index (an ART) batch by
batch, which gets slower as the index grows. Inside one transaction DuckDB keeps the new rows
transaction-local and builds their index entries at commit, in bulk. Measured on 9.9M events in
batches of 500,000 (docs/benchmarks.md, "Bulk loading"): 35.6 s in autocommit mode, 22.3 s in
one transaction, 22.1 s when dropping the index, inserting and recreating it; so one transaction
is as fast as dropping the index, while the unique keys stay checked and the load stays all or
nothing. (Dropping the index inside the transaction is slower, 30.2 s.)

Secondary indexes (``events_contact``) are another matter: kept in place, they made loading
9.9M events 1.8 times as slow (50.1 s against 28.3 s without it); built after the commit, the
load took 38 s in all. So the secondary indexes of tables that are empty when the load starts
are dropped first and built again after the load (also after a failed one: the schema is the
same whatever happens; a crash in between leaves them to the next ``init_schema``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from leadscore.errors import LeadscoreError
from leadscore.store.schema import INDEXES, TABLES, index_statement

if TYPE_CHECKING:
    import pyarrow as pa

    from leadscore.store.duckdb_store import DuckStore


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a store table (``NOT NULL`` columns are not nullable)."""
    import pyarrow as pa

    types: dict[str, pa.DataType] = {
        "VARCHAR": pa.string(),
        "BIGINT": pa.int64(),
        "DOUBLE": pa.float64(),
        "BOOLEAN": pa.bool_(),
    }
    fields = []
    for name, sql_type in TABLES[table][0]:
        fields.append(pa.field(name, types[sql_type.split()[0]], "NOT NULL" not in sql_type))
    return pa.schema(fields)


def bulk_load(
    store: DuckStore,
    batches: Iterable[tuple[str, pa.Table]],
    extra_tables: Collection[str] = (),
) -> dict[str, int]:
    """Append ``(table, rows)`` batches in one transaction; return the rows added per table.

    Tables are the store's own (:data:`~leadscore.store.schema.TABLES`) plus ``extra_tables``,
    which must exist. ``batches`` may be a generator (nothing needs to be held in memory at
    once). If a batch breaks a unique key, nothing is loaded and a :class:`LeadscoreError`
    names the table.
    """
    con = store.con
    deferred = [index for index in INDEXES if store.count(index[1]) == 0]
    for name, _table, _columns in deferred:
        con.execute(f"DROP INDEX IF EXISTS {name}")
    try:
        return _load(store, batches, extra_tables)
    finally:
        for index in deferred:
            con.execute(index_statement(*index))


def _load(
    store: DuckStore, batches: Iterable[tuple[str, pa.Table]], extra_tables: Collection[str]
) -> dict[str, int]:
    import duckdb

    loaded: dict[str, int] = {}
    con = store.con
    table = ""
    con.execute("BEGIN TRANSACTION")
    try:
        for table, rows in batches:
            if table not in TABLES and table not in extra_tables:
                known = sorted([*TABLES, *extra_tables])
                raise ValueError(f"unknown table {table!r}; expected one of {known}")
            columns = ", ".join(rows.column_names)
            incoming = con.from_arrow(rows)  # noqa: F841  (found by name in the SQL below)
            con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming")
            loaded[table] = loaded.get(table, 0) + rows.num_rows
        table = ", ".join(loaded)  # a duplicate found at commit is in one of these
        con.execute("COMMIT")
    except duckdb.ConstraintException as exc:
        con.execute("ROLLBACK")
        raise LeadscoreError(f"nothing loaded: duplicate keys in {table} ({exc})") from None
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return loaded
