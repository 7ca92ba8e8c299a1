"""Arrow columns from numpy arrays: vocabulary lookups, numbered ids, store-schema tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    Column: TypeAlias = pa.Array[Any]


def compute() -> Any:
    """``pyarrow.compute``, untyped: its stubs reject the mixed scalar/array calls used here."""
    import pyarrow.compute as pc

    return pc


def join(*parts: Column | str, sep: str = "") -> Column:
    """Element-wise concatenation of string columns and constants (null in, null out)."""
    out: Column = compute().binary_join_element_wise(*parts, sep)
    return out


def take(values: Column, index: np.ndarray, missing: np.ndarray | None = None) -> Column:
    """``values[index]``, null where ``missing``."""
    import pyarrow as pa

    if missing is None:
        return values.take(index)
    return values.take(pa.array(index, mask=missing))


def table(name: str, columns: dict[str, Column]) -> pa.Table:
    """A table of the store table ``name`` (its exact columns and types)."""
    import pyarrow as pa

    from leadscore.store.bulk import arrow_schema

    return pa.table(columns, schema=arrow_schema(name))


def int64(values: np.ndarray, mask: np.ndarray | None = None) -> Column:
    import numpy as np
    import pyarrow as pa

    return pa.array(values.astype(np.int64), pa.int64(), mask=mask)


def const(n: int, value: int) -> Column:
    import numpy as np

    return int64(np.full(n, value, np.int64))


def strings(values: Sequence[str], index: np.ndarray) -> Column:
    """``values[index]`` as an Arrow string array."""
    import pyarrow as pa

    return pa.array(values, pa.string()).take(index)


def text(numbers: np.ndarray) -> Column:
    """Integers as their decimal text (the stored form of a number)."""
    import pyarrow as pa

    out: Column = pa.array(numbers).cast(pa.string())
    return out


def numbered(prefix: str, start: int, n: int, width: int) -> Column:
    """``prefix`` + zero-padded numbers ``start .. start + n - 1``."""
    import numpy as np

    numbers = text(np.arange(start, start + n, dtype=np.int64))
    return join(prefix, compute().utf8_lpad(numbers, width, "0"))
