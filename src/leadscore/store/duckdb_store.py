"""The embedded default engine: one DuckDB database file in the workspace folder."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.store.schema import create_statements

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from leadscore.compile.assemble import Compiled


class DuckStore:
    """A DuckDB database holding one workspace's data and scores."""

    dialect = "duckdb"

    def __init__(
        self,
        path: str | Path | None = None,
        read_only: bool = False,
        threads: int | None = None,
        memory_limit: str | None = None,
    ):
        import duckdb

        self.path = None if path is None else Path(path)
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        try:
            self.con: duckdb.DuckDBPyConnection = duckdb.connect(
                str(self.path) if self.path else ":memory:", read_only=read_only, config=config
            )
        except duckdb.IOException as exc:
            raise LeadscoreError(f"cannot open the workspace database {self.path}: {exc}") from None
        self.con.execute("SET preserve_insertion_order = false")
        if not read_only:
            # fewer, larger checkpoints: small frequent commits stay fast with big indexes
            self.con.execute("SET checkpoint_threshold = '256MB'")

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> DuckStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def init_schema(self) -> None:
        for statement in create_statements():
            self.con.execute(statement)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: commit at the end, roll back on any error."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def query(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        table: pa.Table = self.con.sql(sql, params=list(params or [])).to_arrow_table()
        return table

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, list(params or []))
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def columns(self, table: str) -> list[str]:
        cursor = self.con.execute(f"SELECT * FROM {table} LIMIT 0")
        names = [str(d[0]) for d in cursor.description or []]
        cursor.fetchall()
        return names

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        # fetchall closes the result (fetchone would keep it open and block later calls)
        rows = self.con.execute(sql, list(params or [])).fetchall()
        return rows[0][0] if rows else None

    def count(self, table: str) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {table}"))

    def has_table(self, name: str) -> bool:
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
            )
        )

    def run(self, compiled: Compiled) -> pa.Table:
        return self.query(compiled.sql(self.dialect, pretty=False))

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.con.execute(sql, list(params or []))

    def create_table_as(self, name: str, select_sql: str, temp: bool = False) -> None:
        kind = "TEMP TABLE" if temp else "TABLE"
        self.con.execute(f"CREATE OR REPLACE {kind} {name} AS {select_sql}")

    def insert_select(self, table: str, columns: Sequence[str], select_sql: str) -> None:
        self.con.execute(f"INSERT INTO {table} BY NAME {select_sql}")

    def drop_table(self, name: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def rename_table(self, old: str, new: str) -> None:
        self.con.execute(f"ALTER TABLE {old} RENAME TO {new}")

    def insert_new(
        self, table: str, key: str, data: pa.Table, copy_to: str | None = None
    ) -> set[str]:
        """Insert the rows of ``data`` whose ``key`` is not in ``table`` yet (and into
        ``copy_to``), in a transaction of their own; return the keys inserted. (Plain INSERT
        against the unique index is fast; only when it finds duplicates are the existing keys
        looked up one by one.)"""
        import duckdb

        keys = [str(k) for k in data.column(key).to_pylist()]
        try:
            with self.transaction():
                self.append_arrow(table, data)
                if copy_to is not None:
                    self.append_arrow(copy_to, data)
            return set(keys)
        except duckdb.ConstraintException:
            pass
        existing = {
            k for k in keys if self.scalar(f"SELECT count(*) FROM {table} WHERE {key} = ?", [k])
        }
        keep = [i for i, k in enumerate(keys) if k not in existing]
        if keep:
            import pyarrow as pa

            kept = data.take(pa.array(keep, pa.int64()))
            with self.transaction():
                self.append_arrow(table, kept)
                if copy_to is not None:
                    self.append_arrow(copy_to, kept)
        return {keys[i] for i in keep}

    def append_arrow(self, table: str, data: pa.Table) -> None:
        """Insert an Arrow table whose columns are a subset of ``table``'s, by name."""
        incoming = self.con.from_arrow(data)  # noqa: F841  (read by name in the SQL below)
        cols = ", ".join(data.column_names)
        self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM incoming")
