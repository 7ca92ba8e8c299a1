"""Running independent numpy work on a few threads (numpy lets go of the GIL in its loops)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
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


@contextlib.contextmanager
def in_background(action: Callable[[T], R], item: T) -> Iterator[Callable[[], R]]:
    """Start ``action(item)`` on a thread of its own and hand over a call that waits for its
    result (and raises its error). Leaving the block waits for the thread too, so that it
    never outlives the work it overlaps."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(action, item)
        yield future.result
