"""The web app's test harness, shared by the unit tests, the browser tests and the screenshot
script: a small demo workspace with score history, the app over it (TestClient or a real
uvicorn server on 127.0.0.1), a signed-in client, and headless Chromium.

Everything started here is stopped by the context managers that start it, on failure too.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadscore.service.runtime import Runtime
from leadscore.service.settings import RuntimeSettings, ServiceSettings

DAY_US = 86_400_000_000
USERNAME, PASSWORD = "sam", "correct horse battery"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Clock:
    """A clock the tests move by hand (epoch microseconds)."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def demo_end_us() -> int:
    from leadscore.demo import make_spec

    return int(make_spec(10).end_us)


def build_demo(folder: Path, contacts: int = 300, seed: int = 7) -> Path:
    """A demo workspace (DuckDB) in ``folder``."""
    from leadscore.demo import build_workspace

    build_workspace(folder, contacts=contacts, seed=seed)
    return folder


def start_with_history(
    folder: Path, clock: Clock, days: int = 60, steps: int = 4, open_store: Any = None
) -> Runtime:
    """The workspace's runtime, scored ``days`` before the demo's end and then brought
    forward in ``steps`` (so that leads have a score history), ending at the demo's end."""
    from leadscore.service.stores import workspace_target

    end = demo_end_us()
    target = workspace_target(folder)
    clock.now = end - days * DAY_US
    settings = RuntimeSettings(score_delay_s=0.01, refresh_interval_s=0, clock=clock)
    opener = open_store or target.open_store
    runtime = Runtime(target.name, opener, settings, seed_model=target.seed_model).start()
    try:  # start() scored everyone at the start of the history
        for i in range(1, steps + 1):
            clock.now = end - days * DAY_US + (days * DAY_US * i) // steps
            runtime.refresh()
    except BaseException:
        runtime.stop()
        raise
    return runtime


def add_user(runtime: Runtime, username: str = USERNAME, password: str = PASSWORD) -> None:
    from leadscore.web.auth.users import create_user

    with runtime.reader() as store:
        create_user(store, username, password, runtime.settings.clock())


def add_key(runtime: Runtime, name: str = "web tests") -> str:
    from leadscore.service.auth import create_key

    with runtime.reader() as store:
        return create_key(store, name)[1]


def make_app(runtimes: dict[str, Runtime], folders: tuple[str, ...] = ()) -> Any:
    from leadscore.service.app import create_app

    settings = ServiceSettings(workspaces=folders or (".",))
    return create_app(settings, runtimes)


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: Any, username: str = USERNAME, password: str = PASSWORD, **extra: str) -> Any:
    """Sign ``client`` (a TestClient) in through the form; returns the POST's response."""
    page = client.get("/login")
    data = {"csrf_token": form_token(page.text), "username": username, "password": password}
    return client.post("/login", data={**data, **extra}, follow_redirects=False)


# ----------------------------------------------------------------------------- live server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    server: Any
    thread: threading.Thread
    log: list[str] = field(default_factory=list)


@contextlib.contextmanager
def live_server(app: Any, timeout_s: float = 15.0) -> Iterator[LiveServer]:
    """``app`` served by uvicorn in a thread on 127.0.0.1 and a free port."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="web-test-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        yield LiveServer(f"http://127.0.0.1:{port}", server, thread)
    finally:
        server.should_exit = True
        thread.join(timeout_s)


_RUNNING: list[Any] = []  # the browser of the outermost chromium() while it runs


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (never ``playwright install``).

    One browser per process: inside another ``chromium()`` (such as the test session's
    ``chrome`` fixture) this yields the running browser instead of starting a second one,
    which Playwright's sync API could not do anyway. Open a context per use
    (:func:`browser_page`) so that cookies do not leak between tests."""
    if _RUNNING:
        yield _RUNNING[-1]
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        _RUNNING.append(browser)
        try:
            yield browser
        finally:
            _RUNNING.remove(browser)
            browser.close()


@dataclass
class Console:
    """What a page reported: console errors and uncaught exceptions."""

    errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> Console:
        def on_console(message: Any) -> None:
            if message.type == "error":
                self.errors.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        return self


@contextlib.contextmanager
def browser_page(
    browser: Any, width: int = 1366, height: int = 800, timeout_ms: float = 10_000
) -> Iterator[tuple[Any, Console]]:
    """A page in a new context of ``browser`` (its own cookies) with a laptop-sized window,
    and the :class:`Console` watching it; the context closes afterwards."""
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        yield page, Console().attach(page)
    finally:
        context.close()


@dataclass
class BrowserSite:
    """An app served on 127.0.0.1 and a browser page on it, for a module of browser tests."""

    server: LiveServer
    page: Any
    console: Console


def sign_in_page(page: Any, url: str, username: str = USERNAME, password: str = PASSWORD) -> None:
    """Sign in through the form in a browser ``page`` of the app served at ``url``."""
    page.goto(url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r".*/leads$"))


def wait_for(predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached in time")
        time.sleep(0.02)
