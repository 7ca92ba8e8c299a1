"""The analytics pages over a small demo workspace (with conversions): the grade distribution,
the backtest of the active model, the funnel and threshold advice, as HTML, htmx parts and
JSON twins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadscore.errors import LeadscoreError
from leadscore.web.queries.analytics import Settings, grade_distribution
from tests.web.harness import (
    Clock,
    add_user,
    build_demo,
    demo_end_us,
    make_app,
    sign_in,
    start_with_history,
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, TestClient]]:
    folder = build_demo(tmp_path_factory.mktemp("analytics") / "demo-leads", contacts=250)
    runtime = start_with_history(folder, Clock(demo_end_us()), days=30, steps=1)
    try:
        add_user(runtime)
        app = make_app({runtime.name: runtime}, (str(folder),))
        with TestClient(app) as client:
            assert sign_in(client).status_code == 303
            yield runtime, client
    finally:
        runtime.stop()


def test_settings_are_checked() -> None:
    assert Settings.parse(None, None) == Settings(90, None)
    assert Settings.parse("30", "25").params() == {"horizon": 30, "capacity": 25}
    with pytest.raises(
        LeadscoreError, match="horizon must be one of 30, 60, 90, 180 days; got '7'"
    ):
        Settings.parse("7", None)
    with pytest.raises(LeadscoreError, match=r"capacity must be a whole number.*got 'lots'"):
        Settings.parse(None, "lots")


def test_grade_distribution_counts_every_lead_in_grade_order(demo: tuple[Any, TestClient]) -> None:
    runtime, _ = demo
    with runtime.reader() as store:
        found = grade_distribution(store, runtime.active.model)
        rows = store.rows("SELECT grade, count(*) AS n FROM scores GROUP BY grade")
    expected = {r["grade"]: int(r["n"]) for r in rows}
    assert {g["grade"]: g["leads"] for g in found["grades"]} == expected
    assert found["leads"] == sum(expected.values())
    order = runtime.active.model.grades["lead"].labels()
    listed = [g["grade"] for g in found["grades"] if g["grade"] in order]
    assert listed == [g for g in order if g in expected]
    assert abs(sum(g["share"] for g in found["grades"]) - 1) < 1e-9
    assert found["figure"]["data"][0]["type"] == "bar"


def test_analytics_page_and_its_twin(demo: tuple[Any, TestClient]) -> None:
    _, client = demo
    page = client.get("/analytics?horizon=60")
    assert page.status_code == 200
    assert 'hx-get="/analytics/performance?horizon=60"' in page.text
    assert "/static/vendor/plotly-" in page.text  # plotly.js from the plotly package
    assert 'class="plotly-figure"' in page.text
    twin = client.get("/analytics.json?horizon=60").json()
    assert twin["settings"]["horizon"] == 60
    assert twin["parts"]["funnel"] == "/analytics/funnel?horizon=60"
    assert sum(g["leads"] for g in twin["distribution"]["grades"]) == twin["distribution"]["leads"]
    bad = client.get("/analytics?horizon=7")
    assert bad.status_code == 400
    assert "horizon must be one of" in bad.text


def test_performance_backtests_the_active_model(demo: tuple[Any, TestClient]) -> None:
    runtime, client = demo
    found = client.get("/analytics/performance.json").json()
    assert found["error"] is None
    summary = found["summary"]
    assert summary["leads"] > 0
    assert summary["conversions"] > 0
    assert sum(g["leads"] for g in found["by_grade"]) == summary["leads"]
    assert sum(g["conversions"] for g in found["by_grade"]) == summary["conversions"]
    assert {g["group"] for g in found["by_grade"]} <= set(
        runtime.active.model.grades["lead"].labels()
    )
    assert 0 <= summary["roc_auc"] <= 1
    gains = found["gains"]
    assert sum(row["leads"] for row in gains) == summary["leads"]
    assert gains[-1]["cum_gain"] == pytest.approx(1.0)  # every conversion among all the leads
    assert found["charts"]["gains"]["data"][0]["type"] == "scatter"
    assert set(found["charts"]) == {"grades", "gains", "lift", "calibration"}
    # the htmx part is a fragment with the figures for charts.js
    part = client.get(
        "/analytics/performance", headers={"HX-Request": "true", "HX-Target": "performance"}
    )
    assert "<html" not in part.text
    assert part.text.count('class="plotly-figure"') == 4


def test_funnel_names_the_largest_drop_off(demo: tuple[Any, TestClient]) -> None:
    _, client = demo
    found = client.get("/analytics/funnel.json").json()
    assert found["error"] is None
    largest = found["largest_drop_off"]
    flagged = [r["stage"] for r in found["table"] if r["largest"]]
    assert flagged == [largest["from"]]
    drops = {r["stage"]: r["drop_off"] for r in found["table"] if r["drop_off"] is not None}
    assert drops[largest["from"]] == max(drops.values())
    assert found["figure"]["data"][0]["type"] == "funnel"
    page = client.get("/analytics/funnel")
    assert "largest drop-off" in page.text


def test_threshold_advice_fits_the_capacity(demo: tuple[Any, TestClient]) -> None:
    _, client = demo
    found = client.get("/analytics/thresholds.json?capacity=5").json()
    assert found["error"] is None
    assert found["goal"] == "capacity"
    advice = found["advice"]
    assert advice["per_week"] <= 5
    lower = [r for r in found["table"] if r["threshold"] < advice["threshold"]]
    assert all(r["per_week"] > 5 for r in lower)  # the lowest threshold that fits
    page = client.get("/analytics/thresholds?capacity=5")
    assert "Pass leads to sales at a total of" in page.text
