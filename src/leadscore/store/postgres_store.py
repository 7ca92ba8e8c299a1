"""PostgreSQL, for a shared server: the same schema and the same compiled scoring SQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.store.schema import TABLES

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
    return out


class PgStore:
    """A connection to a PostgreSQL database holding a workspace's data and scores."""

    dialect = "postgres"

    def __init__(self, url: str):
        import psycopg

        try:
            self.con: psycopg.Connection[Any] = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise LeadscoreError(f"cannot connect to PostgreSQL: {exc}".strip()) from None

    def close(self) -> None:
        self.con.close()

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

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        from psycopg.rows import dict_row

        with self.con.cursor(row_factory=dict_row) as cur:
            cur.execute(sql.replace("?", "%s") if params else sql, params or None)
            return list(cur.fetchall())

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        row = self.con.execute(sql.replace("?", "%s") if params else sql, params or None).fetchone()
        return None if row is None else row[0]

    def execute(self, sql: str, params: list[Any] | None = None) -> None:
        self.con.execute(sql.replace("?", "%s") if params else sql, params or None)

    def run(self, compiled: Compiled) -> list[dict[str, Any]]:
        return self.rows(compiled.sql(self.dialect, pretty=False))

    def append_arrow(self, table: str, data: pa.Table) -> None:
        """COPY an Arrow table (columns a subset of ``table``'s) into ``table``."""
        cols = data.column_names
        with (
            self.con.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy,
        ):
            for row in data.to_pylist():
                copy.write_row([row[c] for c in cols])
