"""Stored JSON text (see :func:`leadscore.values.to_json`) built column-wise with Arrow.

Millions of contacts or events cannot go through ``json.dumps`` one by one in the time budget, so
the demo builds the same text with Arrow string kernels: keys sorted, ``","`` and ``":"`` as
separators, nulls left out, non-ASCII kept. Events draw their properties from a small vocabulary
of objects that :func:`leadscore.values.to_json` writes once each (see :class:`Vocabulary`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from leadscore.values import flatten, to_json

if TYPE_CHECKING:
    import numpy as np

    from leadscore.demo.columns import Column


def _quoted(values: Column) -> Column:
    """JSON string literals of text values (backslashes and quotes escaped; nulls stay null)."""
    from leadscore.demo.columns import compute, join

    pc = compute()
    escaped = pc.replace_substring(values, "\\", "\\\\")
    escaped = pc.replace_substring(escaped, '"', '\\"')
    return join('"', escaped, '"')


def json_objects(columns: Mapping[str, Column]) -> Column:
    """One flat JSON object per row from text columns named by key; null values are left out.

    Values must be free of control characters (the demo's words are).
    """
    import pyarrow as pa

    from leadscore.demo.columns import compute, join

    pc = compute()
    pieces = []
    for key in sorted(columns):
        values = columns[key]
        if not pa.types.is_string(values.type):
            values = values.cast(pa.string())
        member = join(json.dumps(key) + ":", _quoted(values), ",")
        pieces.append(pc.fill_null(member, ""))
    if not pieces:
        raise ValueError("json_objects needs at least one column")
    body = join(*pieces)
    return join("{", pc.utf8_rtrim(body, characters=","), "}")


class Vocabulary:
    """Property objects written once each; events refer to them by code."""

    def __init__(self) -> None:
        self._texts: list[str] = []
        self._blocks: dict[str, tuple[int, int]] = {}

    def add(self, name: str, objects: list[dict[str, Any]]) -> None:
        """Register a block of objects; event codes are ``offset(name) + index``."""
        self._blocks[name] = (len(self._texts), len(objects))
        self._texts.extend(to_json(flatten(o)) for o in objects)

    def offset(self, name: str) -> int:
        return self._blocks[name][0]

    def size(self, name: str) -> int:
        return self._blocks[name][1]

    def codes(self, name: str, index: np.ndarray) -> np.ndarray:
        import numpy as np

        return (self.offset(name) + index).astype(np.int32)

    def texts(self, codes: np.ndarray) -> Column:
        import pyarrow as pa

        return pa.array(self._texts, pa.string()).take(codes)

    def __len__(self) -> int:
        return len(self._texts)
