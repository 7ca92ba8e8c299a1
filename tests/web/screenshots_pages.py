"""Screenshots of the model and analytics pages for the docs (docs/images/web-model.png,
web-model-edit.png, web-analytics.png).

    .venv/bin/python -m tests.web.screenshots_pages [--out docs/images] [--contacts 1500]

Builds a demo workspace in a temporary folder, serves it on 127.0.0.1, signs in with headless
Chromium, opens the draft editor with a broken rule and then a preview, and the analytics page
with every part loaded.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests.web.harness import (
    Clock,
    add_user,
    browser_page,
    build_demo,
    chromium,
    demo_end_us,
    live_server,
    make_app,
    sign_in_page,
    start_with_history,
)

HOT_BAND = "{grade: hot, min: 60"


def take(out: Path, contacts: int) -> list[Path]:
    with tempfile.TemporaryDirectory(prefix="leadscore-shots-") as tmp:
        folder = build_demo(Path(tmp) / "acme-leads", contacts=contacts)
        runtime = start_with_history(folder, Clock(demo_end_us()), days=60, steps=2)
        try:
            add_user(runtime)
            app = make_app({runtime.name: runtime}, (str(folder),))
            with (
                live_server(app) as server,
                chromium() as browser,
                browser_page(browser, 1440, 900, timeout_ms=120_000) as (page, console),
            ):
                sign_in_page(page, server.url)
                out.mkdir(parents=True, exist_ok=True)
                shots = [
                    out / "web-model.png",
                    out / "web-model-edit.png",
                    out / "web-analytics.png",
                ]
                page.goto(server.url + "/model")
                page.screenshot(path=str(shots[0]), full_page=False)

                page.goto(server.url + "/model/edit")
                text = page.locator("#yaml").input_value()
                page.locator("#yaml").fill(text.replace(HOT_BAND, "{grade: hot, min: 45"))
                page.click("#preview-button")
                page.wait_for_selector("#draft-result .impact")
                line = next(i for i, t in enumerate(text.splitlines(), 1) if HOT_BAND in t)
                page.locator("#yaml").fill(text.replace(HOT_BAND, "{grade: hot, min: sixty"))
                page.wait_for_selector("#draft-result .problem")
                page.click("#draft-result a.goto-line")
                page.evaluate(
                    f"document.getElementById('yaml').scrollTop = {max(0, line - 12)} * 18"
                )
                page.screenshot(path=str(shots[1]), full_page=False)

                page.goto(server.url + "/analytics?capacity=25")
                for part in ("performance", "funnel", "thresholds"):
                    page.wait_for_selector(f"#{part} .plot .main-svg")
                page.screenshot(path=str(shots[2]), full_page=True)
                if console.errors:
                    raise SystemExit(f"console errors: {console.errors}")
        finally:
            runtime.stop()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--contacts", type=int, default=1500)
    args = parser.parse_args()
    for path in take(args.out, args.contacts):
        print(path)


if __name__ == "__main__":
    main()
