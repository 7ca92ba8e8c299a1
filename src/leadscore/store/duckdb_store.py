"""The embedded default engine: one DuckDB database file in the workspace folder."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.store.schema import TABLES, create_statements

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
        table = self.con.execute(sql, params or []).to_arrow_table()
        assert table is not None
        return table

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        row = self.con.execute(sql, params or []).fetchone()
        return None if row is None else row[0]

    def count(self, table: str) -> int:
        if table not in TABLES and not table.endswith("scores"):
            raise ValueError(table)
        return int(self.scalar(f"SELECT count(*) FROM {table}"))

    def has_table(self, name: str) -> bool:
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
            )
        )

    def run(self, compiled: Compiled) -> pa.Table:
        return self.query(compiled.sql(self.dialect, pretty=False))

    def materialize(self, table: str, compiled: Compiled, extra: dict[str, Any]) -> int:
        """Replace ``table`` with the result of ``compiled`` plus constant columns."""
        from sqlglot import exp

        query = compiled.query.copy()
        assert isinstance(query, exp.Select)
        for name, value in extra.items():
            literal = (
                exp.Literal.string(value)
                if isinstance(value, str)
                else exp.cast(exp.Literal.number(value), "bigint")
            )
            query = query.select(exp.alias_(literal, name), copy=False)
        sql = f"CREATE OR REPLACE TABLE {table} AS {query.sql(dialect='duckdb')}"
        self.con.execute(sql)
        return int(self.scalar(f"SELECT count(*) FROM {table}"))

    def append_arrow(self, table: str, data: pa.Table) -> None:
        """Insert an Arrow table whose columns are a subset of ``table``'s, by name."""
        self.con.register("_incoming", data)
        try:
            cols = ", ".join(data.column_names)
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _incoming")
        finally:
            self.con.unregister("_incoming")
