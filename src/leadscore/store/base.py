"""What every storage engine offers the scoring layer (DuckDB and PostgreSQL implement it).

SQL passed in uses ``?`` placeholders; each engine adapts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlglot import exp

# ``x IN`` this, with one parameter: a list of text (one array parameter binds far faster than
# one parameter per value: 12 against 54 ms for 1,000 ids on DuckDB, 8 against 27 on PostgreSQL)
IN_LIST = "(SELECT unnest(CAST(? AS VARCHAR[])))"


class Store(Protocol):
    dialect: str

    def init_schema(self) -> None: ...

    def transaction(self) -> AbstractContextManager[None]: ...

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]: ...

    def columns(self, table: str) -> list[str]:
        """The column names of ``table``, in order."""
        ...

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any: ...

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None: ...

    def has_table(self, name: str) -> bool: ...

    def append_arrow(self, table: str, data: pa.Table) -> None: ...

    def insert_new(
        self, table: str, key: str, data: pa.Table, copy_to: str | None = None
    ) -> set[str]:
        """Insert the rows whose ``key`` is not in ``table`` yet (own transaction); return the
        keys inserted. ``copy_to``: also insert those rows into that table (same columns), in
        the same transaction."""
        ...

    def create_table_as(self, name: str, select_sql: str, temp: bool = False) -> None:
        """Replace table ``name`` by the result of ``select_sql``."""
        ...

    def insert_select(self, table: str, columns: Sequence[str], select_sql: str) -> None: ...

    def drop_table(self, name: str) -> None: ...

    def rename_table(self, old: str, new: str) -> None: ...

    def close(self) -> None: ...


def with_constants(query: exp.Expr, constants: dict[str, Any], dialect: str) -> str:
    """``query`` (a SELECT) with constant columns appended, as SQL text."""
    from sqlglot import exp

    select = query.copy()
    assert isinstance(select, exp.Select)
    for name, value in constants.items():
        literal = (
            exp.Literal.string(value)
            if isinstance(value, str)
            else exp.cast(exp.Literal.number(value), "bigint")
        )
        select = select.select(exp.alias_(literal, name), copy=False)
    return str(select.sql(dialect=dialect))


def count(store: Store, table: str) -> int:
    return int(store.scalar(f"SELECT count(*) FROM {table}"))


def exclusive(store: Store) -> bool:
    """Whether no other process can change ``store`` while this one has it open: a DuckDB
    file is locked by the process that opened it; a PostgreSQL database is shared. What this
    process found in an exclusive store stays true until this process changes it."""
    return store.dialect == "duckdb"
