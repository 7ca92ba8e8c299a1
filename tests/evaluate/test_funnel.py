"""The funnel on a hand-built event log, and its configuration."""

from __future__ import annotations

import pytest

from leadscore.errors import LeadscoreError
from leadscore.evaluate.funnel import funnel
from leadscore.evaluate.funnel_config import default_funnel, parse_funnel
from leadscore.store.duckdb_store import DuckStore
from leadscore.timeutil import to_us
from tests.evaluate.conftest import DAY, add_contact, add_event, add_outcome

START = to_us("2025-01-01")
CONFIG = """
funnel:
  stages:
    - name: aware
      when:
        - event: [page_view, email_open]
    - name: engaged
      when:
        - event: download
    - name: explore
      when:
        - event: page_view
          where: {property: url, starts_with: /pricing}
    - name: customer
      when:
        - outcome: [converted, won]
"""


def day(n: float) -> int:
    return START + int(n * DAY)


def event_log(store: DuckStore) -> None:
    for cid in ("c1", "c2", "c3", "c4", "c5", "c6"):
        add_contact(store, cid, START)
    add_contact(store, "c7", day(110))  # created after T
    add_event(store, "1a", "c1", "page_view", day(1), "/")
    add_event(store, "1b", "c1", "download", day(3))
    add_event(store, "1c", "c1", "page_view", day(10), "/pricing/enterprise")
    add_outcome(store, "1d", "c1", "converted", day(20))
    add_event(store, "2a", "c2", "email_open", day(2))
    add_event(store, "2b", "c2", "download", day(5))
    add_event(store, "3a", "c3", "page_view", day(4), "/pricing")  # aware and explore at once
    add_event(store, "4a", "c4", "page_view", day(40), "/blog")
    add_outcome(store, "5a", "c5", "won", day(50))  # customer without any event
    add_event(store, "6a", "c6", "download", day(120))  # after T
    add_event(store, "7a", "c7", "page_view", day(90), "/")


def test_counts_conversion_and_time_in_stage(store: DuckStore) -> None:
    event_log(store)
    result = funnel(store, parse_funnel(CONFIG), day(100))
    t = result.table.set_index("stage")
    assert t["reached"].tolist() == [5, 4, 3, 2]
    assert t["conversion"].iloc[:3].tolist() == pytest.approx([0.8, 0.75, 2 / 3])
    assert t["stuck"].iloc[:3].tolist() == [1, 1, 1]
    assert t["median_days"].iloc[:3].tolist() == pytest.approx([2.0, 7.0, 10.0])
    assert t["skipped"].iloc[:3].tolist() == [1, 2, 1]
    assert result.largest_drop == 2
    assert result.headline.startswith("largest drop-off: 33% of the leads that reach explore")
    assert "never reach customer" in result.headline


def test_cohorts_by_month(store: DuckStore) -> None:
    event_log(store)
    result = funnel(store, parse_funnel(CONFIG), day(100), by="month")
    p = result.periods
    aware = p[p["stage"] == "aware"].set_index("period")["reached"].to_dict()
    assert aware == {"2025-01": 3, "2025-02": 2}
    feb_customer = p[(p["period"] == "2025-02") & (p["stage"] == "customer")]["reached"]
    assert feb_customer.tolist() == [1]
    assert result.warnings  # so few leads are flagged


def test_as_of_ignores_later_events(store: DuckStore) -> None:
    event_log(store)
    early = funnel(store, parse_funnel(CONFIG), day(4.5))
    # c1, c2 and c3 are aware; c1 downloaded on day 3 (c2 on day 5: not yet); c3 explored
    assert early.table["reached"].tolist() == [3, 2, 1, 0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stages: [{name: a, when: [{event: x}]}]", "at least 2"),
        (
            "stages: [{name: a, when: [{event: x, outcome: [won]}]},"
            " {name: b, when: [{event: y}]}]",
            "either 'event' or 'outcome'",
        ),
        (
            "stages: [{name: a, when: [{outcome: [won], where: {property: u, eq: x}}]},"
            " {name: b, when: [{event: y}]}]",
            "needs 'event'",
        ),
        ("stages: [{name: a, when: [{event: x}]}, {name: a, when: [{event: y}]}]", "repeated: a"),
        (
            "stages: [{name: a, when: [{event: x}], colour: red}, {name: b, when: [{event: y}]}]",
            "colour",
        ),
        (
            "stages: [{name: a, when: [{outcome: [bought]}]}, {name: b, when: [{event: y}]}]",
            "bought",
        ),
        ("- just a list", "expected a mapping"),
    ],
)
def test_config_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(LeadscoreError, match=message):
        parse_funnel(text, "funnel.yaml")


def test_default_funnel_on_the_demo(demo_workspace) -> None:  # type: ignore[no-untyped-def]
    from leadscore.evaluate.population import observed_until

    config = default_funnel()
    assert config.names == ["awareness", "engagement", "exploration", "sql", "customer"]
    with demo_workspace.store() as store:
        types = {r["type"] for r in store.rows("SELECT DISTINCT type FROM events")}
        result = funnel(store, config, observed_until(store) or 0)
    used = {t for stage in config.stages for s in stage.when for t in (s.event or [])}
    assert used <= types  # every event type the default names exists in the demo
    reached = result.table["reached"].tolist()
    assert reached == sorted(reached, reverse=True)
    assert reached[-1] > 0
    assert result.largest_drop is not None
