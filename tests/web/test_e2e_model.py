"""The model editor in a real browser: headless Chromium (Debian's, driven by Playwright)
against the app served by uvicorn on 127.0.0.1, over a small demo workspace. Signs in, reads
the model in sentences, breaks a rule in the draft and sees the problem at its line, fixes it,
previews the impact, publishes, and sees the leads list change; the console stays clean."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.harness import (
    PASSWORD,
    USERNAME,
    Clock,
    Console,
    LiveServer,
    add_user,
    build_demo,
    chromium,
    demo_end_us,
    live_server,
    make_app,
    start_with_history,
)

HOT_BAND = "{grade: hot, min: 60"


@dataclass
class Browser:
    server: LiveServer
    page: Any
    console: Console


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    folder = build_demo(tmp_path_factory.mktemp("e2e-model") / "demo-leads", contacts=250)
    runtime = start_with_history(folder, Clock(demo_end_us()), days=30, steps=1)
    try:
        add_user(runtime)
        app = make_app({runtime.name: runtime}, (str(folder),))
        with live_server(app) as server, chromium() as chrome:
            context = chrome.new_context(viewport={"width": 1366, "height": 850})
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield Browser(server, page, Console().attach(page))
            context.close()
    finally:
        runtime.stop()


def _retype(page: Any, line: int, old: str, new: str) -> None:
    """Select ``old`` on ``line`` of the editor and type ``new`` over it, key by key."""
    page.evaluate(
        """([line, old]) => {
          const area = document.getElementById('yaml');
          const lines = area.value.split('\\n');
          let start = 0;
          for (let i = 0; i < line - 1; i++) start += lines[i].length + 1;
          start += lines[line - 1].indexOf(old);
          area.focus();
          area.setSelectionRange(start, start + old.length);
        }""",
        [line, old],
    )
    page.keyboard.type(new)


def _open(page: Any, address: str) -> None:
    """Go to ``address``, signing in first when the session is not there yet."""
    page.goto(address)
    if "/login" in page.url:
        page.get_by_label("Username").fill(USERNAME)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url(address)


def _hot_count(page: Any, url: str) -> int:
    page.goto(url + "/leads?grade=hot")
    summary = page.locator(".summary").inner_text()
    found = re.search(r"of ([\d,]+) leads?", summary)
    assert found, summary
    return int(found.group(1).replace(",", ""))


def test_break_fix_preview_and_publish_a_draft(browser: Browser) -> None:
    page, url = browser.page, browser.server.url
    page.goto(url + "/model")
    assert "/login?next=" in page.url
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r".*/model$"))
    expect(page.locator(".rule-sentence").first).to_be_visible()
    assert page.locator(".rule-sentence").count() > 5
    hot_before = _hot_count(page, url)

    page.goto(url + "/model")
    page.get_by_role("link", name="Edit a draft").click()
    page.wait_for_url(re.compile(r".*/model/edit$"))
    editor = page.locator("#yaml")
    original = editor.input_value()
    line = next(i for i, text in enumerate(original.splitlines(), 1) if HOT_BAND in text)

    # break the hot band: the problem shows at its line, in the list and in the gutter
    _retype(page, line, "min: 60", "min: sixty")
    problem = page.locator("#draft-result .problem").first
    expect(problem).to_contain_text(f"Line {line}, column")
    expect(problem.locator(".excerpt .mark")).to_contain_text("min: sixty")
    expect(page.locator("#gutter .bad")).to_have_text(str(line))
    problem.locator("a.goto-line").click()
    caret_line = page.evaluate(
        "(() => { const a = document.getElementById('yaml');"
        " return a.value.slice(0, a.selectionStart).split('\\n').length; })()"
    )
    assert caret_line == line

    # fix it (a lower bar for hot leads), preview, publish
    _retype(page, line, "min: sixty", "min: 45")
    expect(page.locator("#draft-result .check-ok")).to_be_visible()
    expect(page.locator("#gutter .bad")).to_have_count(0)
    page.get_by_role("button", name="Preview impact").click()
    impact = page.locator("#draft-result .impact")
    expect(impact).to_contain_text("change grade")
    hot_row = impact.locator("tr[data-grade=hot]")
    assert int(hot_row.locator(".before").inner_text().replace(",", "")) == hot_before
    hot_after = int(hot_row.locator(".after").inner_text().replace(",", ""))
    assert hot_after > hot_before
    page.get_by_label("Note (why this change)").fill("hot from 45")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(r".*/model\?published=\d+$"))
    expect(page.locator(".notice-ok")).to_contain_text("Published version")
    expect(page.locator(".versions tbody tr").first).to_contain_text("hot from 45")

    # the leads list follows the published model
    assert _hot_count(page, url) == hot_after
    assert not browser.console.errors, browser.console.errors


def test_history_diff_and_roll_back(browser: Browser) -> None:
    page, url = browser.page, browser.server.url
    _open(page, url + "/model")
    hot_now = _hot_count(page, url)
    page.goto(url + "/model")
    page.locator(".versions tbody tr").first.get_by_role("link", name="diff").click()
    expect(page.locator(".changes")).to_contain_text("grade hot")
    expect(page.locator(".diff .d-add")).to_contain_text("min: 45")
    page.goto(url + "/model")
    page.get_by_role("button", name=re.compile(r"Roll back to version \d+")).first.click()
    page.wait_for_url(re.compile(r".*/model\?rolled_back=\d+$"))
    expect(page.locator(".versions tbody tr").first).to_contain_text("rollback to v")
    assert _hot_count(page, url) < hot_now
    assert not browser.console.errors, browser.console.errors


def test_analytics_charts_and_an_alert_endpoint(browser: Browser) -> None:
    page, url = browser.page, browser.server.url
    _open(page, url + "/analytics?capacity=10")
    for part in ("funnel", "performance", "thresholds"):
        page.wait_for_selector(f"#{part} .plot .main-svg", timeout=60_000)
    drawn = page.locator(".plot:has(.main-svg)").count()
    assert drawn == page.locator("script.plotly-figure").count() == 7
    expect(page.locator("#thresholds .advice")).to_contain_text("new leads a week")
    expect(page.locator("#funnel .largest-drop")).to_have_count(1)

    page.get_by_role("link", name="Alerts").click()
    page.get_by_label("URL").fill("http://127.0.0.1:9/leadscore-hook")  # nobody listens
    page.locator(".endpoint-form input[name=grades][value=hot]").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#secret")).to_contain_text("whsec_")
    page.get_by_role("link", name="Open the endpoint").click()
    expect(page.locator("h1")).to_contain_text("127.0.0.1:9")
    page.get_by_role("button", name="Send a test alert").click()
    expect(page.locator("#test-result .test-outcome")).to_contain_text("not delivered")
    assert not browser.console.errors, browser.console.errors
