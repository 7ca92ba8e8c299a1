"""Screenshots of the web app for the docs (docs/images/web-leads.png, web-lead.png).

    .venv/bin/python -m tests.web.screenshots [--out docs/images] [--contacts 2000]

Builds a demo workspace in a temporary folder (with a trained predictive model, so that the
predictive column and factors show), serves it on 127.0.0.1, signs in with headless Chromium
and saves the leads list (filtered to hot and warm leads) and one hot lead's page.
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


def train_predictions(folder: Path, end_us: int) -> None:
    """A small logistic model of the demo's conversions, saved in the workspace, and its
    predictions for every lead as of the demo's end."""
    from leadscore.predict import predict_store
    from leadscore.predict.registry import save_model
    from leadscore.predict.train import train
    from leadscore.store.duckdb_store import DuckStore
    from leadscore.store.workspace import Workspace

    workspace = Workspace.open(folder)
    with DuckStore(workspace.database_path) as store:
        model = train(store, kind="logistic", observed_until_us=end_us)
        save_model(workspace, model)
        predict_store(store, model, end_us)


def take(out: Path, contacts: int) -> list[Path]:
    with tempfile.TemporaryDirectory(prefix="leadscore-shots-") as tmp:
        folder = build_demo(Path(tmp) / "acme-leads", contacts=contacts)
        end = demo_end_us()
        train_predictions(folder, end)
        runtime = start_with_history(folder, Clock(end), days=120, steps=8)
        try:
            add_user(runtime)
            app = make_app({runtime.name: runtime}, (str(folder),))
            with (
                live_server(app) as server,
                chromium() as browser,
                browser_page(browser, 1440, 900) as (page, console),
            ):
                sign_in_page(page, server.url)
                page.goto(server.url + "/leads?grade=hot&grade=warm&sort=-total")
                page.wait_for_selector("table.leads tbody tr")
                out.mkdir(parents=True, exist_ok=True)
                shots = [out / "web-leads.png", out / "web-lead.png"]
                page.screenshot(path=str(shots[0]), full_page=False)
                page.click("table.leads tbody tr:first-child th a")
                page.wait_for_selector("#history-chart .main-svg")
                page.wait_for_selector("#factors:not(:has(.loading))")
                page.screenshot(path=str(shots[1]), full_page=True)
                if console.errors:
                    raise SystemExit(f"console errors: {console.errors}")
        finally:
            runtime.stop()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--contacts", type=int, default=2000)
    args = parser.parse_args()
    for path in take(args.out, args.contacts):
        print(path)


if __name__ == "__main__":
    main()
