"""Scoring DataFrames agrees with the reference evaluator and reads rows by the import rules."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from leadscore.errors import LeadscoreError
from leadscore.model import load_model, load_model_text
from leadscore.model.spec import Model
from leadscore.records import Account, Contact, Deal, Event
from leadscore.reference import evaluate
from leadscore.scoring.frames import FrameRowsError, breakdowns, score_frames
from leadscore.store.imports.rows import is_missing
from leadscore.store.workspace import example_model_path
from leadscore.timeutil import iso, to_us
from tests.compare import assert_same_rows

T = to_us("2025-06-30T00:00:00Z")
DAY = 86_400_000_000

SMALL_MODEL = """
leadscore: 1
name: small
scores:
  main:
    rules:
      - {id: vp, points: 10, when: {attribute: title, eq: VP}}
      - {id: visits, points: 3, event: page_view, count: each, max_times: 2, half_life: 10d}
      - {id: demo, points: 20, event: demo_request, within: 30d}
grades:
  lead:
    score: total
    bands:
      - {grade: hot, min: 25, stage: SQL}
      - {grade: cold}
"""

CONTACTS = [
    Contact(
        "ada@acme.com",
        {
            "job_title": "VP Marketing",
            "department": "marketing",
            "company_size": "200",
            "industry": "Software",
            "country": "US",
            "email": "ada@acme.com",
        },
        T - 400 * DAY,
        "acme",
    ),
    Contact(
        "ben@acme.com", {"job_title": "Marketing Manager", "company_size": "1500"}, None, "acme"
    ),
    Contact("dee@gmail.com", {"job_title": "Student", "email": "dee@gmail.com"}),
    Contact("eve@initech.com", {"job_title": "Engineer", "country": "BR"}, T - 10 * DAY, "initech"),
    Contact("zed@later.com", {"job_title": "CEO"}, T + DAY, "acme"),  # not there yet at T
]

EVENTS = [
    ("ada@acme.com", "demo_request", 3.5, {}),
    ("ada@acme.com", "trial_signup", 10, {}),
    ("ada@acme.com", "page_view", 2, {"url": "/pricing"}),
    ("ada@acme.com", "page_view", 2.5, {"url": "/pricing/enterprise"}),
    ("ada@acme.com", "page_view", 9, {"url": "/blog/scoring"}),
    ("ada@acme.com", "email_open", 1, {}),
    ("ada@acme.com", "email_open", 1.2, {}),
    ("ben@acme.com", "content_download", 15, {"asset": "guide.pdf"}),
    ("ben@acme.com", "email_click", 5, {}),
    ("ben@acme.com", "webinar_attended", 70, {}),
    ("dee@gmail.com", "newsletter_signup", 100, {}),
    ("dee@gmail.com", "unsubscribe", 30, {}),
    ("ada@acme.com", "demo_request", -2, {}),  # after T: does not count
]

ACCOUNTS = [Account("acme", {"employees": "1500"}), Account("initech", {"employees": "40"})]
DEALS = [
    Deal("d1", {"amount": "30000"}, None, "acme", ("ada@acme.com", "ben@acme.com")),
    Deal("d2", {"amount": "5000"}, None, "initech", ("eve@initech.com", "nobody@x.com")),
]


def _ts(days_ago: float) -> int:
    return T - int(days_ago * DAY)


def reference_events() -> list[Event]:
    return [
        Event(f"e{i}", contact, kind, _ts(days), props)
        for i, (contact, kind, days, props) in enumerate(EVENTS)
    ]


def contacts_frame() -> pd.DataFrame:
    """The contacts as a notebook user has them: one column per attribute, times as text."""
    rows = []
    for c in CONTACTS:
        row: dict[str, Any] = {"contact_id": c.contact_id, "account_id": c.account_id}
        row["created_at"] = iso(c.created_at_us) if c.created_at_us is not None else None
        row.update(c.attributes)
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["company_size"] = pd.to_numeric(frame["company_size"])  # numbers, with NaN gaps
    return frame


def events_frame() -> pd.DataFrame:
    rows = []
    for i, (contact, kind, days, props) in enumerate(EVENTS):
        ts = pd.Timestamp(_ts(days), unit="us", tz="UTC")
        row = {"contact_id": contact, "type": kind, "ts": ts, **props}
        if i % 2:
            row["event_id"] = f"e{i}"
        rows.append(row)
    assert "event_id" not in rows[4]
    rows.append(dict(rows[4]))  # the same blog visit twice, without an id: counts once
    return pd.DataFrame(rows)


def plain_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): (None if is_missing(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model(example_model_path())


def test_contacts_match_the_reference_evaluator(model: Model) -> None:
    scored = score_frames(model, contacts_frame(), events_frame(), as_of=iso(T))
    assert isinstance(scored, pd.DataFrame)
    expected = evaluate(model, CONTACTS, reference_events(), T)["contacts"]
    assert_same_rows(plain_rows(scored), expected, "contact_id")
    # input order, minus the contact created after T; as_of kept for breakdowns
    assert list(scored["contact_id"]) == [c.contact_id for c in CONTACTS[:4]]
    assert set(scored["as_of_us"]) == {T}
    assert len({row["grade"] for row in expected}) > 1


def test_small_model_by_hand() -> None:
    model = load_model_text(SMALL_MODEL)
    contacts = pd.DataFrame([{"contact_id": "a", "title": "VP"}, {"contact_id": "b"}])
    events = pd.DataFrame(
        [
            {"contact_id": "a", "type": "page_view", "ts": "2025-06-30"},
            {"contact_id": "a", "type": "page_view", "ts": "2025-06-20"},
            {"contact_id": "a", "type": "page_view", "ts": "2025-06-10"},
            {"contact_id": "b", "type": "demo_request", "ts": "2025-05-01"},
        ]
    )
    scored = score_frames(model, contacts, events, as_of="2025-06-30")
    assert isinstance(scored, pd.DataFrame)
    a, b = scored.to_dict("records")
    # a: VP 10 + visits 3 * (1 + 0.5) (the two most recent, 0 and 10 days old) = 14.5
    assert a["total"] == pytest.approx(14.5, rel=1e-12)
    assert a["grade"] == "cold"
    # b: the demo request is 60 days old, outside its 30-day window
    assert b["total"] == 0
    assert b["r_demo__matched"] == 0


def test_accounts_and_deals_match_the_reference(model: Model) -> None:
    frames = score_frames(
        model,
        contacts_frame(),
        events_frame(),
        as_of=pd.Timestamp(T, unit="us", tz="UTC"),
        accounts=pd.DataFrame([{"account_id": a.account_id, **a.attributes} for a in ACCOUNTS]),
        deals=pd.DataFrame(
            [
                {
                    "deal_id": d.deal_id,
                    "account_id": d.account_id,
                    "contact_ids": ";".join(d.contact_ids),
                    **d.attributes,
                }
                for d in DEALS
            ]
        ),
    )
    assert isinstance(frames, dict)
    expected = evaluate(model, CONTACTS, reference_events(), T, ACCOUNTS, DEALS)
    for entity, key in (
        ("contacts", "contact_id"),
        ("accounts", "account_id"),
        ("deals", "deal_id"),
    ):
        assert_same_rows(plain_rows(frames[entity]), expected[entity], key)


def test_breakdowns_add_up_and_name_the_rows(model: Model) -> None:
    scored = score_frames(model, contacts_frame(), events_frame(), as_of=T)
    assert isinstance(scored, pd.DataFrame)
    found = breakdowns(model, scored)
    assert [b.id for b in found] == list(scored["contact_id"])
    for b, total in zip(found, scored["total"], strict=True):
        assert b.total == total
        assert b.as_of_us == T
        assert all(s.adds_up() for s in b.scores)
    ada = found[0]
    assert ada.grade == scored.loc[0, "grade"]
    assert any(r.rule_id == "demo_request" and r.points > 0 for r in ada.rules())


def test_model_from_a_path_and_default_time(model: Model) -> None:
    scored = score_frames(str(example_model_path()), contacts_frame())
    assert isinstance(scored, pd.DataFrame)
    assert list(scored["contact_id"]) == [c.contact_id for c in CONTACTS]  # all exist by now


def test_bad_rows_are_listed_in_one_error(model: Model) -> None:
    contacts = pd.DataFrame(
        [{"contact_id": "ok"}, {"contact_id": None}, {"contact_id": "x", "created_at": "soon"}],
        index=["r1", "r2", "r3"],
    )
    events = pd.DataFrame([{"contact_id": "ok", "type": "page_view", "ts": 1719700000}])
    with pytest.raises(FrameRowsError) as info:
        score_frames(model, contacts, events, as_of=T)
    problems = [(p.frame, p.index, p.field) for p in info.value.problems]
    assert problems == [
        ("contacts", "r2", "contact_id"),
        ("contacts", "r3", "created_at"),
        ("events", 0, "ts"),
    ]
    message = str(info.value)
    assert message.startswith("3 rows cannot be scored")
    assert "contacts row 'r3': created_at: is not an ISO 8601" in message
    assert "(got 'soon')" in message


def test_repeated_contact_ids_are_refused(model: Model) -> None:
    contacts = pd.DataFrame([{"contact_id": "a"}, {"contact_id": " a "}])
    with pytest.raises(FrameRowsError, match="repeats the id of row 0"):
        score_frames(model, contacts, as_of=T)


def test_entities_the_model_lacks_and_bad_times() -> None:
    small = load_model_text(SMALL_MODEL)
    contacts = pd.DataFrame([{"contact_id": "a"}])
    with pytest.raises(LeadscoreError, match="has no accounts section"):
        score_frames(small, contacts, accounts=pd.DataFrame([{"account_id": "x"}]))
    with pytest.raises(LeadscoreError, match="as_of: is not an ISO 8601"):
        score_frames(small, contacts, as_of="end of June")
