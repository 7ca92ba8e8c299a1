"""A temporary table that holds the accepted rows of one import until they are merged.

Temporary tables live with the connection, not in the database file: if the import stops, the
workspace has not changed.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from leadscore.store.imports.kinds import Kind

if TYPE_CHECKING:
    import pyarrow as pa

    from leadscore.store.duckdb_store import DuckStore

BATCH_ROWS = 20_000


def arrow_type(duckdb_type: str) -> pa.DataType:
    import pyarrow as pa

    base = duckdb_type.replace(" NOT NULL", "")
    types: dict[str, pa.DataType] = {
        "VARCHAR": pa.string(),
        "BIGINT": pa.int64(),
        "DOUBLE": pa.float64(),
        "BOOLEAN": pa.bool_(),
        "VARCHAR[]": pa.list_(pa.string()),
    }
    return types[base]


def temp_name(prefix: str) -> str:
    return f"_leadscore_{prefix}_{uuid.uuid4().hex[:10]}"


def load_temp(store: DuckStore, table: str, data: pa.Table) -> None:
    """Append an Arrow table to a temporary table (same columns, same order)."""
    store.con.from_arrow(data).insert_into(table)


class Stage:
    """Accepted rows in arrival order (``seq``), added in batches through Arrow."""

    def __init__(self, store: DuckStore, kind: Kind):
        self.store = store
        self.kind = kind
        self.name = temp_name("stage")
        self.rows = 0
        self._buffer: list[tuple[Any, ...]] = []
        columns = ", ".join(f"{c} {t}" for c, t in (("seq", "BIGINT"), *kind.columns))
        store.con.execute(f"CREATE TEMP TABLE {self.name} ({columns})")

    def add(self, values: tuple[Any, ...]) -> bool:
        """Keep one row's staged values; ``True`` when a batch is ready to flush."""
        self._buffer.append(values)
        return len(self._buffer) >= BATCH_ROWS

    def flush(self) -> None:
        import numpy as np
        import pyarrow as pa

        if not self._buffer:
            return
        n = len(self._buffer)
        arrays: list[pa.Array[Any]] = [
            pa.array(np.arange(self.rows, self.rows + n, dtype=np.int64))
        ]
        for (_name, sql_type), values in zip(
            self.kind.columns, zip(*self._buffer, strict=True), strict=True
        ):
            # from a list, not the tuple zip gives: pyarrow converts lists of text many times faster
            arrays.append(pa.array(list(values), arrow_type(sql_type)))
        names = ["seq", *self.kind.column_names]
        load_temp(self.store, self.name, pa.Table.from_arrays(arrays, names=names))
        self.rows += n
        self._buffer.clear()

    def drop(self) -> None:
        self._buffer.clear()
        self.store.con.execute(f"DROP TABLE IF EXISTS {self.name}")
