"""What the web app keeps per app (``app.state.web``): its options, templates, the sign-in
brake, and per workspace the session secret and the search index.
Workspace tables are created on a workspace's first web request."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadscore.web.auth.throttle import LoginThrottle

if TYPE_CHECKING:
    from starlette.templating import Jinja2Templates

    from leadscore.service.runtime import Runtime
    from leadscore.web.queries.search import SearchIndex

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class WebOptions:
    """How the web app behaves; the defaults suit a team server."""

    # signs session cookies; None: a random secret generated once per workspace and stored in
    # its database (sessions then survive restarts and are valid in that workspace only)
    session_secret: str | None = None
    session_idle_s: float = 12 * 3600  # a session ends after this long without a request
    session_lifetime_s: float = 7 * 24 * 3600  # and after this long in any case
    secure_cookies: bool | None = None  # None: Secure when the request came over https
    login_failures_per_account: int = 5  # within login_window_s, then wait
    login_failures_per_address: int = 20
    login_window_s: float = 300.0

    @classmethod
    def from_settings(cls, settings: Any) -> WebOptions:
        """Options from the service settings: ``session_secret`` and ``secure_cookies`` when
        they have them (read from the environment by the CLI, like every setting)."""
        return cls(
            session_secret=getattr(settings, "session_secret", None),
            secure_cookies=getattr(settings, "secure_cookies", None),
        )


@dataclass
class WebState:
    options: WebOptions
    templates: Jinja2Templates
    throttle: LoginThrottle
    login_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _ready: set[str] = field(default_factory=set)
    _secrets: dict[str, bytes] = field(default_factory=dict)
    _search: dict[str, SearchIndex] = field(default_factory=dict)
    _memo: dict[tuple[str, ...], tuple[float, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def create(cls, options: WebOptions | None = None) -> WebState:
        from leadscore.web.render import make_templates

        chosen = options or WebOptions()
        throttle = LoginThrottle(
            chosen.login_failures_per_account,
            chosen.login_failures_per_address,
            chosen.login_window_s,
        )
        return cls(chosen, make_templates(), throttle)

    def prepare(self, runtime: Runtime) -> None:
        """Create the workspace's web tables on its first web request."""
        if runtime.name in self._ready:
            return
        from leadscore.web.tables import ensure_tables

        with self._lock:
            if runtime.name in self._ready:
                return
            with runtime.reader() as store:
                ensure_tables(store)
            self._ready.add(runtime.name)

    def secret(self, runtime: Runtime) -> bytes:
        """The key that signs this workspace's session cookies."""
        found = self._secrets.get(runtime.name)
        if found is None:
            from leadscore.web.auth.sessions import workspace_secret

            self.prepare(runtime)
            with runtime.reader() as store:
                found = workspace_secret(store, self.options.session_secret)
            with self._lock:
                self._secrets[runtime.name] = found
        return found

    def memo(self, key: tuple[str, ...], ttl_s: float, compute: Callable[[], Any]) -> Any:
        """``compute()``, remembered for ``ttl_s`` seconds under ``key`` (for figures that may
        lag a little, such as the grade counts beside the filters)."""
        now = time.monotonic()
        with self._lock:
            found = self._memo.get(key)
        if found is not None and now - found[0] < ttl_s:
            return found[1]
        value = compute()
        with self._lock:
            self._memo[key] = (now, value)
        return value

    def search(self, name: str) -> SearchIndex:
        from leadscore.web.queries.search import SearchIndex

        with self._lock:
            return self._search.setdefault(name, SearchIndex())


def web_state(app_state: Any) -> WebState:
    state: WebState = app_state.web
    return state
