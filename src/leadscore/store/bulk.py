"""Bulk loads into DuckDB: many Arrow batches, one transaction.

Appending batch by batch in autocommit mode updates each table's unique index (an ART) once per
batch, which gets slow as the index grows: ten million events in batches of 500,000 take about
three times as long as they need to. Inside one transaction DuckDB keeps the new rows
transaction-local and builds their index entries at commit, in bulk; measured on 10M events
(docs/benchmarks.md), that is as fast as dropping the index, inserting and recreating it, while
the unique keys stay checked and the load stays all or nothing. (Dropping the index inside the
transaction is slower still: DuckDB keeps checking the key until commit.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from leadscore.errors import LeadscoreError
from leadscore.store.schema import TABLES

if TYPE_CHECKING:
    import duckdb
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
            con.register(_VIEW, rows)
            con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {_VIEW}")
            con.unregister(_VIEW)
            loaded[table] = loaded.get(table, 0) + rows.num_rows
        table = ", ".join(loaded)  # a duplicate found at commit is in one of these
        con.execute("COMMIT")
    except duckdb.ConstraintException as exc:
        _abort(con)
        raise LeadscoreError(f"nothing loaded: duplicate keys in {table} ({exc})") from None
    except BaseException:
        _abort(con)
        raise
    return loaded


_VIEW = "_bulk_incoming"


def _abort(con: duckdb.DuckDBPyConnection) -> None:
    import duckdb

    con.execute("ROLLBACK")
    with contextlib.suppress(duckdb.Error):
        con.unregister(_VIEW)
