"""HTML reports are self-contained and hold the charts; views and terminal output agree."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from leadscore.evaluate import report, views

DAY = 86_400_000_000


@pytest.fixture(scope="module")
def sections(demo_workspace) -> list[report.Section]:  # type: ignore[no-untyped-def]
    from leadscore.evaluate.backtest import backtest
    from leadscore.evaluate.compare import compare
    from leadscore.evaluate.drift import drift
    from leadscore.evaluate.funnel import funnel
    from leadscore.evaluate.funnel_config import default_funnel
    from leadscore.evaluate.population import latest_as_of, observed_until
    from leadscore.evaluate.scorers import resolve_scorers
    from leadscore.evaluate.thresholds import threshold_advice

    with demo_workspace.store() as store:
        scorers = resolve_scorers(["active", str(demo_workspace.model_path)], demo_workspace, store)
        last = latest_as_of(store, 60 * DAY)
        result = backtest(store, scorers, [last - 30 * DAY, last], 60)
        advice = threshold_advice(store, scorers[0], last, 60, weeks=3, capacity_per_week=5)
        counted = funnel(store, default_funnel(), observed_until(store) or 0)
        drifted = drift(
            store, scorers[0], (last - 120 * DAY, last - 60 * DAY), (last - 60 * DAY, last)
        )
    return [
        report.backtest_section(result),
        report.compare_section(compare(result, n_boot=50)),
        report.threshold_section(advice),
        report.funnel_section(counted),
        report.drift_section(drifted),
    ]


def test_report_is_self_contained(sections: list[report.Section], tmp_path: Path) -> None:
    from plotly.offline import get_plotlyjs

    path = report.write_report(tmp_path / "sub" / "report.html", "Test report", sections)
    html = path.read_text(encoding="utf-8")
    for tag in re.findall(r"<(?:script|link|img|iframe|source)\b[^>]*>", html, flags=re.I):
        assert not re.search(r"(src|href)\s*=", tag, flags=re.I), tag
    assert "<link" not in html.lower()
    assert "@import" not in html
    assert "url(http" not in html
    assert html.count(get_plotlyjs()[:200]) == 1  # plotly.js inline, exactly once


def test_report_holds_every_chart_and_table(sections: list[report.Section]) -> None:
    html = report.render_report("Test report", sections)
    figures = sum(len(s.figures) for s in sections)
    assert figures >= 12
    assert html.count('class="plotly-graph-div"') == figures
    for title in (
        "Cumulative gains",
        "Lift by decile",
        "Conversion by grade",
        "Conversion per score band",
        "Rolling backtest",
        "Champion vs challenger",
        "Threshold curve",
        "Funnel",
        "Drift by feature",
    ):
        assert title in html, title
    for section in sections:
        assert f'id="{section.anchor}"' in html
        for view in section.views:
            assert view.columns[-1] in html
    assert "nan" not in re.sub(r"<script.*?</script>", "", html, flags=re.S).lower().split()


def test_largest_drop_off_stands_out(sections: list[report.Section]) -> None:
    funnel_section = sections[3]
    table = funnel_section.views[0]
    assert len(table.highlight) == 1
    assert "largest drop-off" in table.title
    assert 'class="hi"' in report.render_report("x", [funnel_section])


def test_terminal_prints_the_same_tables(sections: list[report.Section]) -> None:
    from rich.console import Console

    from leadscore.evaluate.terminal import print_views

    console = Console(record=True, width=200, emoji=False)
    print_views(sections[0].views, ["a warning"], ["a note"], console)
    text = console.export_text()
    assert "gains and lift by decile" in text
    assert "warning: a warning" in text
    assert "note: a note" in text


def test_views_escape_nothing_and_round(sections: list[report.Section]) -> None:
    summary = sections[0].views[0]
    auc_cell = summary.rows[0][summary.columns.index("ROC AUC (95% CI)")]
    assert re.fullmatch(r"0\.\d{2,3} \(0\.\d{2,3}-[01]\.\d{2,3}\)", auc_cell), auc_cell
    assert views.day(0) == "1970-01-01"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_report_draws_offline_in_a_browser(sections: list[report.Section], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    path = report.write_report(tmp_path / "report.html", "Test report", sections[:1])
    fetched: list[str] = []
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=args)
        try:
            page = browser.new_page()
            page.on(
                "request",
                lambda r: (
                    fetched.append(r.url) if not r.url.startswith(("file:", "data:")) else None
                ),
            )
            page.goto(path.as_uri())
            page.wait_for_selector(".plotly-graph-div .main-svg")
            drawn = page.locator(".plotly-graph-div .main-svg").count()
        finally:
            browser.close()
    assert fetched == []
    assert drawn >= len(sections[0].figures)
