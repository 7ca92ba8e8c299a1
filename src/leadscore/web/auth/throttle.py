"""A brake on password guessing: too many failed sign-ins from one address, or for one
account, within a window, and further attempts are refused until the window moves on.

Kept in memory (a restart forgets it), per app. Successful sign-ins clear the account's count.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    def __init__(
        self,
        per_account: int = 5,
        per_address: int = 20,
        window_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.per_account = per_account
        self.per_address = per_address
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, address: str, account: str) -> float:
        """Seconds until an attempt is allowed again (0 when it is allowed now)."""
        now = self.clock()
        waits = []
        with self._lock:
            for key, limit in (
                (f"a:{address}", self.per_address),
                (f"u:{account}", self.per_account),
            ):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(times[len(times) - limit] + self.window_s - now)
        return max(waits, default=0.0)

    def failed(self, address: str, account: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (f"a:{address}", f"u:{account}"):
                self._failures.setdefault(key, deque()).append(now)
                if len(self._failures) > 100_000:  # never grow without bound
                    self._failures.pop(next(iter(self._failures)))

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{account}", None)
