"""Running independent numpy work on a few threads (numpy lets go of the GIL in its loops)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def each(action: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """``[action(item) for item in items]``, in order; on ``workers`` threads when there are
    more than one of both."""
    if workers > 1 and len(items) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(action, items))
    return [action(item) for item in items]
