"""PostgreSQL, for a shared server: the same schema and the same compiled scoring SQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.store.schema import INDEXES, TABLES, index_statement

if TYPE_CHECKING:
    import psycopg
    import pyarrow as pa

    from leadscore.compile.assemble import Compiled

JSON_COLUMNS = {"attributes", "properties"}


def _pg_type(column: str, duck_type: str) -> str:
    nullable = duck_type.replace("VARCHAR", "TEXT").replace("DOUBLE", "DOUBLE PRECISION")
    if column in JSON_COLUMNS:
        return nullable.replace("TEXT", "JSONB")
    return nullable


def create_statements() -> list[str]:
    out = []
    for name, (columns, key) in TABLES.items():
        cols = ", ".join(f"{c} {_pg_type(c, t)}" for c, t in columns)
        out.append(f"CREATE TABLE IF NOT EXISTS {name} ({cols}, PRIMARY KEY ({', '.join(key)}))")
    for index, table, indexed in INDEXES:
        out.append(index_statement(index, table, indexed))
    return out


class PgStore:
    """A connection to a PostgreSQL database holding a workspace's data and scores."""

    dialect = "postgres"

    def __init__(self, url: str, schema: str | None = None):
        """``schema``: the PostgreSQL schema holding this workspace (one schema per workspace)."""
        import re

        import psycopg

        if schema is not None and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
            raise LeadscoreError(f"invalid workspace schema name {schema!r}")
        self.schema = schema

        try:
            self.con: psycopg.Connection[Any] = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise LeadscoreError(f"cannot connect to PostgreSQL: {exc}".strip()) from None
        # score tables are rebuilt with other columns when models change: no cached plans
        self.con.prepare_threshold = None
        if schema is not None:
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            self.con.execute(f"SET search_path TO {schema}")

    def close(self) -> None:
        self.con.close()

    def alive(self) -> bool:
        """False once the connection is closed or broken (then open a new store)."""
        return not (self.con.closed or self.con.broken)

    def __enter__(self) -> PgStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def init_schema(self) -> None:
        for statement in create_statements():
            self.con.execute(statement)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self.con.transaction():
            yield

    @staticmethod
    def _sql(sql: str, params: Sequence[Any] | None) -> Any:
        # '?' placeholders (shared with DuckDB) -> psycopg's '%s'; literal '%' are doubled
        if not params:
            return sql
        return sql.replace("%", "%%").replace("?", "%s")

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        from psycopg.rows import dict_row

        with self.con.cursor(row_factory=dict_row) as cur:
            cur.execute(self._sql(sql, params), list(params) if params else None)
            return list(cur.fetchall())

    def columns(self, table: str) -> list[str]:
        with self.con.cursor() as cur:
            cur.execute(f"SELECT * FROM {table} LIMIT 0")
            return [str(d.name) for d in cur.description or []]

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        row = self.con.execute(self._sql(sql, params), list(params) if params else None).fetchone()
        return None if row is None else row[0]

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.con.execute(self._sql(sql, params), list(params) if params else None)

    def has_table(self, name: str) -> bool:
        qualified = f"{self.schema}.{name}" if self.schema else name
        found = self.scalar("SELECT to_regclass(?) IS NOT NULL", [qualified])
        return bool(found)

    def count(self, table: str) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {table}"))

    def create_table_as(self, name: str, select_sql: str, temp: bool = False) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {name}")
        kind = "TEMP TABLE" if temp else "TABLE"
        self.con.execute(f"CREATE {kind} {name} AS {select_sql}")

    def insert_select(self, table: str, columns: Sequence[str], select_sql: str) -> None:
        cols = ", ".join(columns)
        self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM ({select_sql}) AS q")

    def drop_table(self, name: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def rename_table(self, old: str, new: str) -> None:
        self.con.execute(f"ALTER TABLE {old} RENAME TO {new}")

    def run(self, compiled: Compiled) -> list[dict[str, Any]]:
        return self.rows(compiled.sql(self.dialect, pretty=False))

    def insert_new(
        self, table: str, key: str, data: pa.Table, copy_to: str | None = None
    ) -> set[str]:
        """Insert the rows whose ``key`` is new (and into ``copy_to``); return the keys
        inserted."""
        cols = data.column_names
        with self.con.transaction(), self.con.cursor() as cur:
            cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS _incoming_{table} (LIKE {table})")
            cur.execute(f"TRUNCATE _incoming_{table}")
            with cur.copy(f"COPY _incoming_{table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in data.to_pylist():
                    copy.write_row([row[c] for c in cols])
            names = ", ".join(cols)
            insert = (
                f"INSERT INTO {table} ({names}) SELECT {names} "
                f"FROM _incoming_{table} ON CONFLICT DO NOTHING RETURNING {names}"
            )
            if copy_to is None:
                cur.execute(f"WITH ins AS ({insert}) SELECT {key} FROM ins")
            else:
                cur.execute(
                    f"WITH ins AS ({insert}), copied AS (INSERT INTO {copy_to} ({names}) "
                    f"SELECT {names} FROM ins) SELECT {key} FROM ins"
                )
            return {str(r[0]) for r in cur.fetchall()}

    def append_arrow(self, table: str, data: pa.Table) -> None:
        """COPY an Arrow table (columns a subset of ``table``'s) into ``table``."""
        cols = data.column_names
        with (
            self.con.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy,
        ):
            for row in data.to_pylist():
                copy.write_row([row[c] for c in cols])
