"""Compare engine rows with reference rows: ints and text exactly, floats to 1e-9."""

from __future__ import annotations

import math
from typing import Any

REL_TOL = 1e-9
ABS_TOL = 1e-9


def same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return bool(a == b)


def assert_same_rows(
    engine: list[dict[str, Any]], reference: list[dict[str, Any]], key: str
) -> None:
    by_key = {row[key]: row for row in engine}
    ref_keys = sorted(row[key] for row in reference)
    assert sorted(by_key) == ref_keys, f"different {key}s: {sorted(by_key)} vs {ref_keys}"
    for ref in reference:
        row = by_key[ref[key]]
        for column, expected in ref.items():
            assert column in row, f"engine lacks column {column}"
            got = row[column]
            assert same_value(got, expected), (
                f"{key}={ref[key]} column {column}: engine {got!r} != reference {expected!r}"
            )
