"""Rescoring from stored scores plus pending events equals a full recompute from raw events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadscore.model import load_model_text
from leadscore.records import Contact, Event, contacts_table, events_table
from leadscore.reference import evaluate_contacts
from leadscore.scoring.incremental import refresh, rescore_contacts
from leadscore.scoring.pending import TABLE as PENDING
from leadscore.scoring.run import score_store
from leadscore.timeutil import UNIT_US
from tests.compare import assert_same_rows
from tests.scoring.conftest import stored
from tests.strategies import (
    ATTRIBUTES,
    EVENT_TYPES,
    PROPERTIES,
    T,
    dataset,
    model_dict,
    to_model,
    value_text,
)

DAY = UNIT_US["d"]
STEPS = st.lists(st.integers(1, 40 * DAY), min_size=1, max_size=3)
# (contact, type, properties, offset from T): offsets before the step's time arrive late
LATER = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.sampled_from(EVENT_TYPES),
        st.dictionaries(st.sampled_from(PROPERTIES), value_text(), max_size=2),
        st.integers(-30 * DAY, 80 * DAY),
    ),
    max_size=10,
)
# (contact, new attributes) at each step
EDITS = st.lists(
    st.tuples(st.integers(0, 5), st.dictionaries(st.sampled_from(ATTRIBUTES), value_text())),
    max_size=2,
)


def _arrive(store: Any, events: list[Event]) -> None:
    """Store events as the service's writer does on DuckDB: with a pending copy."""
    store.insert_new("events", "event_id", events_table(events), copy_to=PENDING)


def _edit(store: Any, contact: Contact) -> None:
    store.execute("DELETE FROM contacts WHERE contact_id = ?", [contact.contact_id])
    store.append_arrow("contacts", contacts_table([contact]))


def _pending(store: Any) -> int:
    return int(store.scalar(f"SELECT count(*) FROM {PENDING}"))


@settings(max_examples=60)
@given(data=model_dict(), ds=dataset(), later=LATER, steps=STEPS, edits=EDITS)
def test_pending_events_then_time_match_full_recompute(
    fresh_store: Callable[[Any, Any], Any],
    data: dict[str, Any],
    ds: Any,
    later: list[Any],
    steps: list[int],
    edits: list[Any],
) -> None:
    """Score at T; at each step some events arrive (late, on time or early) and some contacts'
    attributes change; those contacts are rescored from their stored scores and pending
    events; time passes. At every step the stored scores equal the reference evaluated from
    scratch, and nothing stays pending."""
    model = to_model(data)
    contacts, events, _, _ = ds
    if not contacts:
        return
    store = fresh_store(contacts, events)
    score_store(store, model, T, entities=("contacts",))
    new = [
        Event(f"n{i}", contacts[c % len(contacts)].contact_id, kind, T + offset, props)
        for i, (c, kind, props, offset) in enumerate(later)
    ]
    now, seen, current = T, list(events), {c.contact_id: c for c in contacts}
    waiting = list(new)
    for number, step in enumerate(steps):
        now += step
        arrived = [e for e in waiting if e.ts_us <= now + DAY]  # a day of clock skew
        waiting = [e for e in waiting if e not in arrived]
        touched = {e.contact_id for e in arrived}
        if arrived:
            _arrive(store, arrived)
            seen += arrived
        if number == 0:
            for c, attributes in edits:
                old = contacts[c % len(contacts)]
                current[old.contact_id] = Contact(
                    old.contact_id, attributes, old.created_at_us, old.account_id
                )
                _edit(store, current[old.contact_id])
                touched.add(old.contact_id)
        rescore_contacts(store, model, sorted(touched), now, pending=True)
        assert _pending(store) == 0
        expected = evaluate_contacts(model, list(current.values()), seen, now)
        assert_same_rows(
            [r for r in stored(store) if r["contact_id"] in touched],
            [r for r in expected if r["contact_id"] in touched],
            "contact_id",
        )
        refresh(store, model, now + step // 2)
        expected = evaluate_contacts(model, list(current.values()), seen, now + step // 2)
        assert_same_rows(stored(store), expected, "contact_id")


MODEL = """
leadscore: 1
name: t
scores:
  fit:
    rules:
      - {id: vp, points: 20, when: {attribute: title, contains: vp}}
  engagement:
    rules:
      - {id: visits, points: 2, event: page_view, count: each, half_life: 30d}
      - {id: recent, points: 10, event: page_view, half_life: 7d}
      - {id: opens, points: 1, event: email_open, count: each, max_times: 5}
      - {id: clicks, points: 3, event: email_click, count: each, within: 90d}
      - {id: quiet, points: -10, inactive: 60d}
grades:
  lead:
    score: total
    bands:
      - {grade: hot, min: 60}
      - {grade: warm, min: 20}
      - {grade: cold}
"""


def _history(contact_id: str, n: int, kinds: tuple[str, ...]) -> list[Event]:
    return [
        Event(f"{contact_id}-{i}", contact_id, kinds[i % len(kinds)], T - (i % 50) * DAY - i)
        for i in range(n)
    ]


def test_merging_reads_no_old_event(fresh_store: Callable[[Any, Any], Any]) -> None:
    """With long histories scored, then every old event removed from the store, merging the
    new events still gives the full recompute's scores over old and new events: it reads the
    stored scores and the new events only."""
    model = load_model_text(MODEL)
    contacts = [Contact("a", {"title": "VP Sales"}), Contact("b"), Contact("c")]
    old = _history("a", 300, ("page_view", "email_click")) + _history("b", 40, ("page_view",))
    store = fresh_store(contacts, old)
    score_store(store, model, T, entities=("contacts",))
    store.execute("DELETE FROM events")  # only a test removes events: proof nothing reads them
    now = T + 3 * DAY
    new = [
        Event("x1", "a", "page_view", now - DAY),
        Event("x2", "a", "email_click", now - 2 * DAY),
        Event("x3", "b", "page_view", T - 5 * DAY),  # late: before the stored score's time
        Event("x4", "c", "email_open", now),
    ]
    _arrive(store, new)
    update = rescore_contacts(store, model, ["a", "b", "c"], now, pending=True)
    assert update.merged == 3
    expected = evaluate_contacts(model, contacts, old + new, now)
    assert_same_rows(stored(store), expected, "contact_id")


HOUR = UNIT_US["h"]
PAGE_VIEWS = "{id: r, points: 1, event: page_view, count: each"


@pytest.mark.parametrize(
    ("rule", "arriving", "at", "merged"),
    [
        # a per-period cap: exact when the new events begin a later period than the stored
        # ones, or the stored last one (the events it holds are stored, up to the cap)...
        (f"{PAGE_VIEWS}, cap: {{max: 1, per: day}}}}", 1, 2 * DAY, 1),
        (f"{PAGE_VIEWS}, cap: {{max: 1, per: day}}}}", 2, 2 * DAY, 1),
        (f"{PAGE_VIEWS}, cap: {{max: 1, per: day}}}}", 1, -DAY + HOUR, 1),
        (f"{PAGE_VIEWS}, cap: {{max: 2, per: day}}, half_life: 7d}}", 1, -DAY + HOUR, 1),
        (f"{PAGE_VIEWS}, cap: {{max: 1, per: day}}, max_times: 2}}", 2, -DAY + HOUR, 1),
        # ... not before the last stored period (the counts of earlier ones are not stored),
        # nor in it past the cap with decay (the weights of the events pushed out are not)...
        (f"{PAGE_VIEWS}, cap: {{max: 1, per: day}}}}", 1, -3 * DAY, 0),
        (f"{PAGE_VIEWS}, cap: {{max: 1, per: day}}, half_life: 7d}}", 1, -DAY + HOUR, 0),
        # ... nor, without decay, past the cap when the new events alone reach max_times
        (f"{PAGE_VIEWS}, cap: {{max: 2, per: day}}, max_times: 2}}", 2, -DAY + HOUR, 0),
        (f"{PAGE_VIEWS}, cap: {{max: 2, per: week}}, half_life: 7d}}", 2, 7 * DAY, 1),
        (f"{PAGE_VIEWS}, cap: {{max: 2, per: day}}, max_times: 3, half_life: 7d}}", 1, DAY, 1),
        # ... and past max_times with decay: the counted events' times are stored, so the
        # oldest drop out, late events included (up to max_times 10; past that, recomputed)
        (f"{PAGE_VIEWS}, cap: {{max: 2, per: day}}, max_times: 3, half_life: 7d}}", 2, DAY, 1),
        (f"{PAGE_VIEWS}, cap: {{max: 1, per: day}}, max_times: 2}}", 2, DAY, 1),
        (f"{PAGE_VIEWS}, max_times: 3, half_life: 7d}}", 2, 2 * DAY, 1),
        (f"{PAGE_VIEWS}, max_times: 4, half_life: 7d}}", 2, 2 * DAY, 1),
        (f"{PAGE_VIEWS}, max_times: 2, half_life: 7d}}", 1, -3 * DAY, 1),
        (f"{PAGE_VIEWS}, max_times: 2, half_life: 7d}}", 2, -3 * DAY, 1),
        (f"{PAGE_VIEWS}, max_times: 1, half_life: 7d}}", 1, -6 * DAY, 1),
        (f"{PAGE_VIEWS}, max_times: 10, half_life: 7d}}", 9, DAY, 1),
        # ... and, one event a period with decay, new events in the stored last period: the
        # more recent of its stored and its new event counts
        (
            f"{PAGE_VIEWS}, cap: {{max: 1, per: day}}, max_times: 2, half_life: 7d}}",
            1,
            -DAY + HOUR,
            1,
        ),
        (
            f"{PAGE_VIEWS}, cap: {{max: 1, per: day}}, max_times: 2, half_life: 7d}}",
            2,
            -DAY + HOUR,
            1,
        ),
        (
            f"{PAGE_VIEWS}, cap: {{max: 1, per: day}}, max_times: 1, half_life: 7d}}",
            2,
            -DAY + HOUR,
            1,
        ),
        (f"{PAGE_VIEWS}, cap: {{max: 1, per: day}}, max_times: 3, half_life: 7d}}", 3, DAY, 1),
        (f"{PAGE_VIEWS}, max_times: 11, half_life: 7d}}", 10, DAY, 0),
        # a decayed rule reaching min_count only now: its stored weight was held at 0
        ("{id: r, points: 1, event: page_view, half_life: 7d, min_count: 4}", 2, 2 * DAY, 0),
        ("{id: r, points: 1, event: page_view, half_life: 7d, min_count: 3}", 2, 2 * DAY, 0),
        ("{id: r, points: 1, event: page_view, half_life: 7d, min_count: 2}", 2, 2 * DAY, 1),
        ("{id: r, points: 1, event: page_view, half_life: 7d, min_count: 6}", 2, 2 * DAY, 1),
        (f"{PAGE_VIEWS}, cap: {{max: 1, per: day}}, min_count: 3}}", 1, 2 * DAY, 0),
        # the stored score cannot be re-based: an event left its window in between
        (f"{PAGE_VIEWS}, within: 2d}}", 1, 2 * DAY, 0),
        (f"{PAGE_VIEWS}, within: 30d}}", 1, 2 * DAY, 1),
    ],
)
def test_rows_that_cannot_be_merged_exactly_are_recomputed(
    fresh_store: Callable[[Any, Any], Any], rule: str, arriving: int, at: int, merged: int
) -> None:
    """A contact with two old page views (5 and 1 days before T) gets ``arriving`` new ones
    at T + ``at``, rescored two days after T: merged where the stored numbers suffice, else
    recomputed from all its events; the same scores either way."""
    model = load_model_text(f"leadscore: 1\nname: t\nscores:\n  s:\n    rules:\n      - {rule}\n")
    contacts = [Contact("a")]
    old = [Event("o1", "a", "page_view", T - 5 * DAY), Event("o2", "a", "page_view", T - DAY)]
    store = fresh_store(contacts, old)
    score_store(store, model, T, entities=("contacts",))
    now = T + 2 * DAY
    new = [Event(f"n{i}", "a", "page_view", T + at - i) for i in range(arriving)]
    _arrive(store, new)
    update = rescore_contacts(store, model, ["a"], now, pending=True)
    assert update.merged == merged
    expected = evaluate_contacts(model, contacts, old + new, now)
    assert_same_rows(stored(store), expected, "contact_id")


def test_every_exact_score_forgets_its_pending_events(
    fresh_store: Callable[[Any, Any], Any],
) -> None:
    """Scores computed from all events (a full score, a rescore, a refresh's exact part) take
    their contacts' pending events out, in the same transaction: merging them later would
    count them twice."""
    model = load_model_text(MODEL)
    contacts = [Contact("a"), Contact("b"), Contact("c")]
    store = fresh_store(contacts, [])
    score_store(store, model, T, entities=("contacts",))
    _arrive(store, [Event("x1", "a", "page_view", T), Event("x2", "b", "page_view", T)])
    rescore_contacts(store, model, ["a"], T)
    assert [r["contact_id"] for r in store.rows(f"SELECT contact_id FROM {PENDING}")] == ["b"]
    score_store(store, model, T, entities=("contacts",))
    assert _pending(store) == 0
    # a future-dated event comes due: the refresh recomputes its contact from all its events
    _arrive(store, [Event("x3", "c", "page_view", T + DAY)])
    rescore_contacts(store, model, ["c"], T)
    _arrive(store, [Event("x4", "c", "page_view", T)])
    refresh(store, model, T + 2 * DAY)
    assert _pending(store) == 0
    seen = [
        Event("x1", "a", "page_view", T),
        Event("x2", "b", "page_view", T),
        Event("x3", "c", "page_view", T + DAY),
        Event("x4", "c", "page_view", T),
    ]
    assert_same_rows(
        stored(store), evaluate_contacts(model, contacts, seen, T + 2 * DAY), "contact_id"
    )
