"""Render the backtest report of the demo workspace and save a screenshot for the docs.

    .venv/bin/python scripts/screenshot_report.py [--out docs/images/report.png] [--keep DIR]

Builds a demo workspace (5,000 contacts, seed 7) in a temporary folder, backtests its model as
`leadscore evaluate active --rolling 3 --report ...` does, writes the HTML report and takes a
screenshot of its top with Playwright and Debian's Chromium (no browser download, no network).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DAY_US = 86_400_000_000


def build_report(folder: Path) -> Path:
    from leadscore.demo import build_workspace
    from leadscore.evaluate.backtest import backtest
    from leadscore.evaluate.population import latest_as_of, rolling_dates
    from leadscore.evaluate.report import backtest_section, write_report
    from leadscore.evaluate.scorers import resolve_scorers

    workspace = build_workspace(folder / "demo-workspace", contacts=5000, seed=7)
    with workspace.store() as store:
        scorers = resolve_scorers(["active"], workspace, store)
        last = latest_as_of(store, 90 * DAY_US)
        result = backtest(store, scorers, rolling_dates(last, 3, 30 * DAY_US), 90)
    return write_report(
        folder / "report.html",
        "Backtest report",
        [backtest_section(result)],
        ["workspace demo-workspace", "horizon 90d", "models: b2b-saas"],
    )


def screenshot(report: Path, out: Path, width: int = 1280, height: int = 1450) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(report.resolve().as_uri())
            page.wait_for_selector(".plotly-graph-div .main-svg")
            page.wait_for_timeout(500)  # let the charts settle at their final size
            page.screenshot(path=str(out), clip={"x": 0, "y": 0, "width": width, "height": height})
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images/report.png"))
    parser.add_argument("--keep", type=Path, help="keep the workspace and report in this folder")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        report = build_report(args.keep)
        screenshot(report, args.out)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            report = build_report(Path(tmp))
            screenshot(report, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
