"""The web app in a real browser: headless Chromium (Debian's, driven by Playwright) against
the app served by uvicorn on 127.0.0.1, over a small demo workspace. Signs in, opens the list,
filters to hot leads, opens a lead and reads its reasons, walks the keyboard path, signs out,
and checks that the console stayed clean throughout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.harness import (
    PASSWORD,
    USERNAME,
    BrowserSite,
    Clock,
    add_user,
    browser_page,
    build_demo,
    demo_end_us,
    live_server,
    make_app,
    start_with_history,
)
from tests.web.screenshots import train_predictions


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, chrome: Any) -> Iterator[BrowserSite]:
    folder = build_demo(tmp_path_factory.mktemp("e2e") / "demo-leads", contacts=400)
    train_predictions(folder, demo_end_us())  # a trained model: predictive scores and factors
    runtime = start_with_history(folder, Clock(demo_end_us()), days=60, steps=3)
    try:
        add_user(runtime)
        app = make_app({runtime.name: runtime}, (str(folder),))
        with live_server(app) as server, browser_page(chrome) as (page, console):
            yield BrowserSite(server, page, console)
    finally:
        runtime.stop()


def test_sign_in_filter_and_read_a_leads_reasons(browser: BrowserSite) -> None:
    page, url = browser.page, browser.server.url
    page.goto(url + "/leads")
    assert "/login?next=" in page.url  # not signed in yet
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r".*/leads$"))
    assert page.locator("table.leads tbody tr").count() == 50
    summary = page.locator(".summary").inner_text()
    assert "Showing 1–50 of 400 leads" in summary

    # filter to hot leads: htmx swaps the results and the address follows
    page.locator("input[name=grade][value=hot]").check()
    expect(page.locator(".summary")).to_contain_text("where grade is hot")
    assert "grade=hot" in page.url
    grades = page.locator("table.leads tbody td .badge").all_inner_texts()
    assert grades
    assert set(grades) == {"hot"}

    # open the first hot lead and read why it has its score
    first = page.locator("table.leads tbody tr").first
    total_text = first.locator("td.total").inner_text()
    first.locator("th a").click()
    page.wait_for_selector("text=Why this score")
    assert page.locator(".card-total .card-value").inner_text() == total_text
    sentence = page.locator(".grade-sentence").inner_text()
    assert sentence.startswith("Grade hot: total")
    reasons = page.locator(".why-table tbody th[scope=row]").all_inner_texts()
    assert reasons, "the rules that gave points are listed"
    explained = page.locator(".why-table tbody td:nth-child(2)").all_inner_texts()
    assert any("→" in text and "points" in text for text in explained)
    page.wait_for_selector("#history-chart .main-svg")  # plotly drew the history
    assert page.locator("ol.timeline li.event").count() > 0
    # the predictive factors arrive after the page (htmx), from the trained model
    factors = page.locator("#factors ul.factors li")
    expect(factors.first).to_be_visible()
    assert all(" it (" in text for text in factors.all_inner_texts())  # raises or lowers it
    assert not browser.console.errors, browser.console.errors


def test_factors_of_the_trained_model(browser: BrowserSite) -> None:
    """The factors' JSON twin agrees with the list: the same predictive score, and the
    factors that raise it add to it."""
    page, url = browser.page, browser.server.url
    top = page.request.get(url + "/leads.json?sort=-predictive&size=25").json()["items"][0]
    body = page.request.get(url + f"/leads/{top['contact_id']}/factors.json").json()
    assert body["available"] is True, body
    explanation = body["explanation"]
    assert explanation["score"] == top["predictive"]["score"]
    assert explanation["positive"], "the top lead has reasons for its score"
    for factor in explanation["positive"]:
        assert factor["contribution"] > 0


def test_keyboard_path(browser: BrowserSite) -> None:
    page, url = browser.page, browser.server.url
    page.goto(url + "/leads")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for _ in range(20):  # tab on to the search field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.type("a")
    page.keyboard.press("Tab")  # on to the first grade chip
    assert page.evaluate("document.activeElement.name") == "grade"
    page.keyboard.press("Space")
    expect(page.locator(".summary")).to_contain_text("grade is")
    assert "q=a" in page.url
    # the lead links are reachable by keyboard and open the lead
    link = page.locator("table.leads tbody th a").first
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Why this score")
    assert not browser.console.errors, browser.console.errors


def test_sign_out(browser: BrowserSite) -> None:
    page, url = browser.page, browser.server.url
    page.goto(url + "/leads")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/login$"))
    page.goto(url + "/leads")
    assert "/login" in page.url
    assert not browser.console.errors, browser.console.errors
