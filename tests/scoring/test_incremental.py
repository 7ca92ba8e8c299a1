"""Incremental scoring (event-driven rescoring + re-basing for time) equals a full recompute."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadscore.records import Event, events_table
from leadscore.reference import evaluate_contacts
from leadscore.scoring import incremental
from leadscore.scoring.incremental import refresh, rescore_contacts
from leadscore.scoring.run import model_hash, score_store
from leadscore.store.duckdb_store import DuckStore
from leadscore.timeutil import UNIT_US
from tests.compare import assert_same_rows
from tests.scoring.conftest import stored as _stored
from tests.strategies import (
    EVENT_TYPES,
    PROPERTIES,
    T,
    dataset,
    model_dict,
    to_model,
    value_text,
)

STEPS = st.lists(st.integers(1, 40 * UNIT_US["d"]), min_size=1, max_size=3)


LATER = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.sampled_from(EVENT_TYPES),
        st.dictionaries(st.sampled_from(PROPERTIES), value_text(), max_size=2),
        st.integers(0, 80 * UNIT_US["d"]),
    ),
    max_size=8,
)


@settings(max_examples=60)
@given(data=model_dict(), ds=dataset(), later=LATER, steps=STEPS)
def test_events_then_time_match_full_recompute(
    fresh_store: Callable[[Any, Any], Any],
    data: dict[str, Any],
    ds: Any,
    later: list[Any],
    steps: list[int],
) -> None:
    """Score at T; later events arrive (up to a day early, as clocks skew) and their contacts
    are rescored; time passes in steps; at every step the stored scores equal the reference
    evaluated from scratch."""
    model = to_model(data)
    contacts, events, _, _ = ds
    start = T
    old = list(events)  # includes some dated after T, which come due later
    new = [
        Event(f"n{i}", contacts[c % len(contacts)].contact_id, kind, start + offset, props)
        for i, (c, kind, props, offset) in enumerate(later)
        if contacts
    ]
    store = fresh_store(contacts, old)
    score_store(store, model, start, entities=("contacts",))
    assert_same_rows(_stored(store), evaluate_contacts(model, contacts, old, start), "contact_id")
    with pytest.MonkeyPatch.context() as patch:  # DuckDB re-bases in place (else writes anew)
        patch.setattr(incremental, "IN_PLACE_SHARE", 1.0)
        _steps(store, model, contacts, old, new, steps)


def _steps(
    store: Any,
    model: Any,
    contacts: list[Any],
    old: list[Event],
    new: list[Event],
    steps: list[int],
) -> None:
    """New events arrive and time passes in steps; the stored scores equal the reference's."""
    now = T
    pending = sorted(new, key=lambda e: e.ts_us)
    for step in steps:
        now += step
        arrived = [e for e in pending if e.ts_us <= now + UNIT_US["d"]]  # a day of skew
        pending = [e for e in pending if e not in arrived]
        if arrived:
            store.append_arrow("events", events_table(arrived))
            rescore_contacts(store, model, [e.contact_id for e in arrived], now)
        refresh(store, model, now)
        seen: list[Event] = old + [e for e in new if e not in pending]
        expected = evaluate_contacts(model, contacts, seen, now)
        assert_same_rows(_stored(store), expected, "contact_id")


def test_refresh_reports_grade_changes(fresh_store: Callable[[Any, Any], Any]) -> None:
    """A lead whose only activity expires drops a grade, and refresh says so."""
    from leadscore.model import load_model_text
    from leadscore.records import Contact

    model = load_model_text(
        """
leadscore: 1
name: t
scores:
  engagement:
    rules:
      - {id: demo, points: 50, event: demo_request, within: 7d}
grades:
  lead:
    score: total
    bands:
      - {grade: hot, min: 40, stage: SQL}
      - {grade: cold}
"""
    )
    day = UNIT_US["d"]
    contacts = [Contact("a"), Contact("b")]
    events = [Event("e1", "a", "demo_request", T - 6 * day), Event("e2", "b", "demo_request", T)]
    store = fresh_store(contacts, events)
    score_store(store, model, T, entities=("contacts",))
    update = refresh(store, model, T + 2 * day)
    assert [(c.contact_id, c.old_grade, c.new_grade) for c in update.changes] == [
        ("a", "hot", "cold")
    ]
    assert update.rescored == 1  # only 'a' had an event leaving its window
    assert update.rebased == 1


@pytest.mark.parametrize("lookup_max", [0, 5_000])
@pytest.mark.parametrize("in_place_share", [0.0, 1.0])
def test_refresh_reads_the_exact_part_by_lookup_or_by_scan_alike(
    lookup_max: int, in_place_share: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh recomputes its exact contacts from slice tables filled by index lookups while
    they are few, else with a sub-query (one scan); it re-bases the other rows in place or
    writes a new table; every way equals a full recompute at T."""
    from leadscore.demo import generate, load
    from leadscore.demo.generate import DEFAULT_END_US
    from leadscore.model import load_model
    from leadscore.scoring import incremental, slices
    from leadscore.store.workspace import example_model_path

    monkeypatch.setattr(slices, "LOOKUP_MAX", lookup_max)
    monkeypatch.setattr(incremental, "IN_PLACE_SHARE", in_place_share)
    model = load_model(example_model_path())
    day = UNIT_US["d"]
    start, later = DEFAULT_END_US - 120 * day, DEFAULT_END_US - 30 * day
    with DuckStore() as store:
        store.init_schema()
        load(store, generate(400, seed=3))
        score_store(store, model, start, entities=("contacts",))
        for at in (start + 2 * day, later):
            update = refresh(store, model, at)
            assert not store.has_table(incremental.BEFORE)
            assert not store.has_table(incremental.EXACT)
            refreshed = _stored(store)
            # the run's own columns are written in every row, whichever way (the full
            # recompute below gives another run id)
            runs = store.rows("SELECT DISTINCT run_id, model_hash, as_of_us FROM scores")
            assert runs == [{"run_id": "refresh", "model_hash": model_hash(model), "as_of_us": at}]
            score_store(store, model, at, entities=("contacts",))
            recomputed = [
                {k: v for k, v in row.items() if k not in ("run_id", "next_change_us")}
                for row in _stored(store)
            ]
            assert_same_rows(refreshed, recomputed, "contact_id")
        # two days on most scores were re-based (decayed); 90 days on, windows closed,
        # future-dated events came due, new contacts appeared: many exact ones
        assert update.rescored > 100


def test_refresh_takes_underflowing_weights_to_zero(fresh_store: Callable[[Any, Any], Any]) -> None:
    """A decayed weight already near the smallest double, re-based further: PostgreSQL raises
    an error where a product underflows, so the rebase must reach 0 without one."""
    from leadscore.model import load_model_text
    from leadscore.records import Contact

    model = load_model_text(
        """
leadscore: 1
name: t
scores:
  engagement:
    rules:
      - {id: visit, points: 10, event: page_view, count: each, half_life: 1h}
"""
    )
    hour = UNIT_US["h"]
    contacts = [Contact("a"), Contact("b")]
    events = [
        Event("e1", "a", "page_view", T - 1_000 * hour),  # weight 0.5 ** 1000 at T
        Event("e2", "b", "page_view", T - hour),
    ]
    store = fresh_store(contacts, events)
    score_store(store, model, T, entities=("contacts",))
    later = T + 100 * hour  # 0.5 ** 1100: below the smallest double
    update = refresh(store, model, later)
    assert update.rebased == 2
    assert_same_rows(
        _stored(store), evaluate_contacts(model, contacts, events, later), "contact_id"
    )


def test_scores_of_an_older_layout_are_scored_in_full(
    fresh_store: Callable[[Any, Any], Any],
) -> None:
    """A workspace scored before the per-period columns existed: refreshing or rescoring it
    scores it in full instead of failing on (or guessing) the missing columns."""
    from leadscore.model import load_model_text
    from leadscore.records import Contact

    model = load_model_text(
        """
leadscore: 1
name: t
scores:
  s:
    rules:
      - {id: r, points: 1, event: page_view, count: each, cap: {max: 1, per: day}}
"""
    )
    contacts = [Contact("a")]
    events = [Event("e1", "a", "page_view", T - UNIT_US["d"])]
    store = fresh_store(contacts, events)
    score_store(store, model, T, entities=("contacts",))
    store.execute("ALTER TABLE scores DROP COLUMN r_r__last_period")
    later = T + UNIT_US["h"]
    for action in (refresh, lambda *a: rescore_contacts(*a[:2], ["a"], a[2])):
        action(store, model, later)
        assert "r_r__last_period" in store.columns("scores")
        assert_same_rows(
            _stored(store), evaluate_contacts(model, contacts, events, later), "contact_id"
        )
        store.execute("ALTER TABLE scores DROP COLUMN r_r__last_period")


def test_changes_are_the_new_rows_that_moved_in_total_grade_or_stage(
    fresh_store: Callable[[Any, Any], Any],
) -> None:
    """A contact whose total, grade or stage moved, or that is new, is a change (by contact id,
    with old and new values); a row equal to its old one is not."""
    store = fresh_store([], [])
    for table in ("_t_old", "_t_new"):
        store.execute(f"DROP TABLE IF EXISTS {table}")
        store.execute(
            f"CREATE TABLE {table} "
            "(contact_id VARCHAR, total DOUBLE PRECISION, grade VARCHAR, stage VARCHAR)"
        )
    store.execute(
        "INSERT INTO _t_old VALUES ('same', 5, 'cold', NULL), ('total', 5, 'cold', NULL), "
        "('grade', 50, 'warm', 'MQL'), ('stage', 50, 'warm', NULL), ('gone', 1, 'cold', NULL)"
    )
    store.execute(
        "INSERT INTO _t_new VALUES ('total', 6.5, 'cold', NULL), ('same', 5, 'cold', NULL), "
        "('new', 3, 'cold', NULL), ('stage', 50, 'warm', 'MQL'), ('grade', 50, 'hot', 'MQL')"
    )
    got = [
        (c.contact_id, c.old_total, c.new_total, c.old_grade, c.new_grade, c.old_stage, c.new_stage)
        for c in incremental.changes_from(store, "_t_new", "_t_old")
    ]
    assert got == [
        ("grade", 50, 50, "warm", "hot", "MQL", "MQL"),
        ("new", None, 3, None, "cold", None, None),
        ("stage", 50, 50, "warm", "warm", None, "MQL"),
        ("total", 5, 6.5, "cold", "cold", None, None),
    ]
    unordered = incremental.changes_from(store, "_t_new", "_t_old", ordered=False)
    assert sorted(c.contact_id for c in unordered) == ["grade", "new", "stage", "total"]
    for table in ("_t_old", "_t_new"):
        store.execute(f"DROP TABLE {table}")
