"""Model versions: validation results, impact previews, diffs, publish and roll back."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest

from leadscore.errors import LeadscoreError
from leadscore.model import ModelError, load_model_text
from leadscore.model.spec import Model
from leadscore.records import Contact, Event
from leadscore.reference import evaluate_contacts
from leadscore.service import model_ops, versions
from leadscore.service.runtime import Runtime
from leadscore.store.base import Store
from leadscore.timeutil import UNIT_US
from tests.service.conftest import MODEL, Clock

DAY = UNIT_US["d"]

# MODEL with: vp worth 45 (was 30), the pricing rule removed, a webinar rule added, the demo
# rule's window widened, and the hot band lowered from 60 to 50.
DRAFT = """
leadscore: 1
name: service-test
scores:
  fit:
    rules:
      - {id: vp, points: 45, when: {attribute: title, matches: '\\bvp\\b', ignore_case: true}}
  engagement:
    rules:
      - {id: demo, points: 50, event: demo_request, within: 60d}
      - {id: webinar, points: 15, event: webinar_attended, count: each, max_times: 2}
grades:
  lead:
    score: total
    bands:
      - {grade: hot, min: 50, stage: SQL}
      - {grade: warm, min: 30, stage: MQL}
      - {grade: cold}
"""

TITLES = ["VP Sales", "Engineer", "vp marketing", "Student", "Head of Growth", "CTO"]


def _data(now: int) -> tuple[list[Contact], list[Event]]:
    """Twenty-one contacts: titles that do and do not match, demo requests in and out of 30 and 60
    days, pricing views and webinars, so that the draft moves some leads up and some down."""
    contacts = [Contact(f"c{i:02d}", {"title": TITLES[i % len(TITLES)]}) for i in range(20)]
    events: list[Event] = []
    for i in range(20):
        cid = f"c{i:02d}"
        if i % 3 == 0:
            events.append(Event(f"d{i}", cid, "demo_request", now - (i * 4 + 1) * DAY))
        if i % 4 == 1:
            for k in range(i % 5 + 1):
                events.append(
                    Event(f"p{i}_{k}", cid, "page_view", now - k * DAY, {"url": "/pricing/x"})
                )
        if i % 5 == 2:
            events.append(Event(f"w{i}", cid, "webinar_attended", now - 2 * DAY))
            events.append(Event(f"w{i}b", cid, "webinar_attended", now - 9 * DAY))
    # warm only from pricing views, which the draft drops: a lead that goes down a grade
    contacts.append(Contact("c20", {"title": "Engineer"}))
    events += [Event(f"p20_{k}", "c20", "page_view", now, {"url": "/pricing"}) for k in range(3)]
    return contacts, events


def _load(runtime: Runtime, clock: Clock) -> tuple[list[Contact], list[Event]]:
    contacts, events = _data(clock.now)
    runtime.upsert_contacts(contacts)
    runtime.flush()
    assert {r.status for r in runtime.ingest_events(events)} == {"accepted"}
    runtime.flush()
    return contacts, events


def _stored(store: Store) -> list[tuple[Any, ...]]:
    rows = store.rows("SELECT contact_id, total, grade, stage FROM scores ORDER BY contact_id")
    return [(r["contact_id"], r["total"], r["grade"], r["stage"]) for r in rows]


def _versions(store: Store) -> list[tuple[Any, ...]]:
    return [(v.version, v.status, v.note, v.yaml) for v in versions.list_versions(store)]


def _tables(store: Store) -> set[str]:
    return {
        str(r["table_name"]) for r in store.rows("SELECT table_name FROM information_schema.tables")
    }


# ---------------------------------------------------------------------------- validate
def test_validate_reports_each_problem_at_its_line() -> None:
    text = MODEL.replace("points: 50, event", "pointz: 50, event").replace(
        "{grade: warm, min: 30", "{grade: warm, min: 90"
    )
    result = model_ops.validate_yaml(text)
    assert result["valid"] is False
    by_path = {p["path"]: p for p in result["problems"]}
    lines = text.splitlines()
    unknown = by_path["scores.engagement.rules[0].pointz"]
    assert "pointz" in lines[unknown["line"] - 1]
    assert unknown["message"] == "unknown key 'pointz'"
    assert unknown["suggestion"] == "points"
    assert "points" in unknown["allowed"]
    bands = by_path["grades.lead.bands"]
    assert "bands:" in lines[bands["line"] - 1]
    assert "'warm' (min 90) follows 'hot' (min 60)" in bands["message"]
    assert result["summary"] == {
        "problems": len(result["problems"]),
        "lines": sorted({p["line"] for p in result["problems"]}),
    }
    assert set(unknown) == {"line", "column", "path", "message", "value", "allowed", "suggestion"}


def test_validate_never_raises_for_bad_yaml() -> None:
    broken = model_ops.validate_yaml("leadscore: 1\nname: x\nscores: {fit: [\n")
    assert broken["valid"] is False
    assert broken["problems"][0]["message"].startswith("invalid YAML")
    assert broken["problems"][0]["line"] == 4
    for text in ("", "- a list", "[" * 3000 + "]" * 3000, "\x00"):
        assert model_ops.validate_yaml(text)["valid"] is False
    dated = model_ops.validate_yaml(MODEL.replace("starts_with: /pricing", "eq: 2024-01-01"))
    assert dated["valid"] is False
    assert [p["value"] for p in dated["problems"]] == ["2024-01-01"]  # JSON-safe text


def test_validate_summarises_a_valid_model() -> None:
    result = model_ops.validate_yaml(DRAFT)
    assert (result["valid"], result["problems"]) == (True, [])
    summary = result["summary"]
    assert summary["name"] == "service-test"
    assert [(r["score"], r["id"]) for r in summary["rules"]] == [
        ("fit", "vp"),
        ("engagement", "demo"),
        ("engagement", "webinar"),
    ]
    assert summary["rules"][2]["sentence"] == (
        "+15 points for each webinar attended (at most twice)"
    )
    assert summary["grades"][0]["bands"][0] == {"grade": "hot", "min": 50.0, "stage": "SQL"}


# ---------------------------------------------------------------------------- preview
def _expected(
    current: Model, draft: Model, contacts: list[Contact], events: list[Event], t: int
) -> dict[str, Any]:
    """The preview's figures computed independently, with the reference evaluator."""
    old = {r["contact_id"]: r for r in evaluate_contacts(current, contacts, events, t)}
    new = {r["contact_id"]: r for r in evaluate_contacts(draft, contacts, events, t)}
    both = sorted(old.keys() & new.keys())

    def moved(cid: str) -> float:
        return float(new[cid]["total"] - old[cid]["total"])

    up = sorted((c for c in both if moved(c) > 1e-9), key=lambda c: (-moved(c), c))
    down = sorted((c for c in both if moved(c) < -1e-9), key=lambda c: (moved(c), c))
    bins: Counter[tuple[str, int]] = Counter()
    for side, rows in (("before", old), ("after", new)):
        for r in rows.values():
            bins[(side, math.floor(r["total"] / 10))] += 1
    rank = {"hot": 0, "warm": 1, "cold": 2}
    return {
        "grade_up": sum(rank[new[c]["grade"]] < rank[old[c]["grade"]] for c in both),
        "grade_down": sum(rank[new[c]["grade"]] > rank[old[c]["grade"]] for c in both),
        "changed_grade": sum(old[c]["grade"] != new[c]["grade"] for c in both),
        "changed_stage": sum(old[c]["stage"] != new[c]["stage"] for c in both),
        "changed_total": sum(abs(moved(c)) > 1e-9 for c in both),
        "cells": Counter((old[c]["grade"], new[c]["grade"]) for c in both),
        "before": Counter(r["grade"] for r in old.values()),
        "after": Counter(r["grade"] for r in new.values()),
        "bins": bins,
        "mean": (
            sum(r["total"] for r in old.values()) / len(old),
            sum(r["total"] for r in new.values()) / len(new),
        ),
        "up": up,
        "down": down,
        "old": old,
        "new": new,
    }


def test_preview_matches_an_independent_computation(runtime: Runtime, clock: Clock) -> None:
    contacts, events = _load(runtime, clock)
    current, draft = load_model_text(MODEL), load_model_text(DRAFT)
    want = _expected(current, draft, contacts, events, clock.now)
    with runtime.reader() as store:
        stored = _stored(store)
        result = model_ops.preview(store, current, draft, clock.now, top=3)
        every = model_ops.preview(store, current, draft, clock.now, top=100)["movers"]
    # the stored scores are the current model's, as the reference computes them
    assert [(cid, total, grade) for cid, total, grade, _ in stored] == [
        (c, pytest.approx(want["old"][c]["total"]), want["old"][c]["grade"]) for c in want["old"]
    ]
    assert result["baseline"]["source"] == "stored"
    assert result["contacts"] == {"before": 21, "after": 21, "compared": 21, "new": 0, "gone": 0}
    assert want["changed_grade"] > 0  # the data moves leads, both ways
    assert want["up"]
    assert want["down"]
    assert (result["changed"]["grade_up"], result["changed"]["grade_down"]) == (
        want["grade_up"],
        want["grade_down"],
    )
    assert want["grade_up"] > 0
    assert want["grade_down"] > 0
    assert result["changed"]["grade"] == want["changed_grade"]
    assert result["changed"]["stage"] == want["changed_stage"]
    assert result["changed"]["total"] == want["changed_total"]
    moves = result["transitions"]
    assert moves["from"] == ["hot", "warm", "cold"]
    assert moves["to"] == ["hot", "warm", "cold"]
    cells = {
        (a, b): n
        for a, row in zip(moves["from"], moves["counts"], strict=True)
        for b, n in zip(moves["to"], row, strict=True)
        if n
    }
    assert cells == dict(want["cells"])
    assert {g["grade"]: (g["before"], g["after"]) for g in result["grades"]} == {
        g: (want["before"][g], want["after"][g]) for g in ("hot", "warm", "cold")
    }
    histogram = result["histogram"]
    assert histogram["bin_width"] == 10
    for b in histogram["bins"]:
        index = int(b["from"] // 10)
        assert (b["before"], b["after"]) == (
            want["bins"][("before", index)],
            want["bins"][("after", index)],
        )
    assert sum(b["after"] for b in histogram["bins"]) == 21
    assert result["mean"]["before"] == pytest.approx(want["mean"][0])
    assert result["mean"]["after"] == pytest.approx(want["mean"][1])
    assert [m["contact_id"] for m in result["movers"]["up"]] == want["up"][:3]
    assert [m["contact_id"] for m in result["movers"]["down"]] == want["down"][:3]
    assert [m["contact_id"] for m in every["up"]] == want["up"]
    assert [m["contact_id"] for m in every["down"]] == want["down"]
    moves_by = Counter(round(m["change"], 6) for m in every["up"] + every["down"])
    assert max(moves_by.values()) > 1  # ties, ordered by contact id
    first = result["movers"]["up"][0]
    cid = first["contact_id"]
    assert first["old_total"] == pytest.approx(want["old"][cid]["total"])
    assert first["new_total"] == pytest.approx(want["new"][cid]["total"])
    assert (first["old_grade"], first["new_grade"]) == (
        want["old"][cid]["grade"],
        want["new"][cid]["grade"],
    )
    assert result["warnings"] == []


def test_preview_changes_nothing_stored(runtime: Runtime, clock: Clock) -> None:
    _load(runtime, clock)
    with runtime.reader() as store:
        scores, kept, tables = _stored(store), _versions(store), _tables(store)
        model_ops.preview(store, runtime.active.model, load_model_text(DRAFT), clock.now)
        model_ops.preview(
            store, runtime.active.model, load_model_text(DRAFT), clock.now, recompute=True
        )
        assert (_stored(store), _versions(store), _tables(store)) == (scores, kept, tables)


def test_preview_counts_unscored_contacts_and_compares_models(
    runtime: Runtime, clock: Clock
) -> None:
    _load(runtime, clock)
    current = runtime.active.model
    with runtime.reader() as store:
        # a contact the runtime never scored (written behind its back): new in the preview
        store.execute(
            "INSERT INTO contacts VALUES (?, ?, ?, ?, ?)", ["zz", None, None, "{}", clock.now]
        )
        same = model_ops.preview(store, current, current, clock.now)
        recomputed = model_ops.preview(store, current, current, clock.now, recompute=True)
    assert same["contacts"] == {"before": 21, "after": 22, "compared": 21, "new": 1, "gone": 0}
    assert same["changed"] == {"total": 0, "grade": 0, "stage": 0, "grade_up": 0, "grade_down": 0}
    assert same["movers"] == {"up": [], "down": []}
    assert same["transitions"]["from"][-1] is None  # the row of contacts not scored before
    assert same["transitions"]["counts"][-1] == [0, 0, 1]  # ... who come in cold
    assert recomputed["baseline"]["source"] == "computed"
    assert recomputed["contacts"]["new"] == 0
    assert recomputed["changed"]["total"] == 0


# ---------------------------------------------------------------------------- diff
def _version(number: int, text: str, status: str = versions.PUBLISHED) -> versions.Version:
    return versions.Version(number, "service-test", text, "h", status, None, 0, None)


def test_diff_finds_rules_bands_and_text() -> None:
    result = model_ops.diff(_version(1, MODEL), _version(2, DRAFT))
    assert result["identical"] is False
    assert "-      - {grade: hot, min: 60, stage: SQL}" in result["text"].splitlines()
    assert "+      - {grade: hot, min: 50, stage: SQL}" in result["text"].splitlines()
    assert result["text"].startswith("--- v1\n+++ v2\n")
    rules = result["rules"]
    assert [(r["id"], r["score"]) for r in rules["added"]] == [("webinar", "engagement")]
    assert [r["id"] for r in rules["removed"]] == ["pricing"]
    assert rules["removed"][0]["sentence"].startswith("+10 points for each page view whose url")
    changed = {r["id"]: r for r in rules["changed"]}
    assert list(changed) == ["vp", "demo"]
    assert changed["vp"]["changes"] == [{"field": "points", "old": 30.0, "new": 45.0}]
    assert changed["vp"]["old_sentence"].startswith("+30 points when title matches")
    assert changed["vp"]["new_sentence"].startswith("+45 points when title matches")
    assert changed["demo"]["changes"] == [{"field": "within", "old": "30d", "new": "60d"}]
    assert changed["demo"]["new_sentence"].endswith("in the last 60 days")
    [grading] = result["grades"]
    assert grading["grading"] == "lead"
    assert grading["bands"] == [
        {
            "change": "moved",
            "grade": "hot",
            "old_min": 60.0,
            "new_min": 50.0,
            "old_stage": "SQL",
            "new_stage": "SQL",
        }
    ]
    assert result["summary"]["bands_moved"] == 1
    assert (result["scores"], result["matrix"], result["totals"]) == ([], [], [])
    assert model_ops.diff(_version(1, MODEL), _version(2, DRAFT)) == result  # stable


def test_diff_of_scores_totals_and_grades() -> None:
    bounded = MODEL.replace("  fit:\n    rules:", "  fit:\n    max: 25\n    rules:").replace(
        "grades:", "total: {weights: {fit: 2, engagement: 1}}\ngrades:"
    )
    bounded = bounded.replace(
        "- {grade: cold}", "- {grade: lukewarm, min: 10}\n      - {grade: cold}"
    )
    result = model_ops.diff(_version(1, MODEL), _version(3, bounded))
    assert result["scores"] == [
        {
            "entity": "contacts",
            "score": "fit",
            "change": "changed",
            "changes": [{"field": "max", "old": None, "new": 25.0}],
        }
    ]
    assert result["totals"] == [
        {
            "entity": "contacts",
            "changes": [
                {"field": "total.weights", "old": None, "new": {"fit": 2.0, "engagement": 1.0}}
            ],
        }
    ]
    assert [(b["grade"], b["change"]) for b in result["grades"][0]["bands"]] == [
        ("lukewarm", "added")
    ]
    assert result["rules"] == {"added": [], "removed": [], "changed": []}
    same = model_ops.diff(_version(1, MODEL), _version(4, MODEL + "\n# a comment\n"))
    assert same["identical"] is True
    assert same["text"].endswith("+# a comment")
    assert same["summary"]["rules_changed"] == 0


# ---------------------------------------------------------------------------- publish, rollback
def test_publish_then_rollback_creates_a_new_version(runtime: Runtime, clock: Clock) -> None:
    contacts, events = _load(runtime, clock)
    with runtime.reader() as store:
        published = model_ops.publish_yaml(store, runtime, DRAFT, note="wider demo window")
    assert (published["version"], published["note"]) == (2, "wider demo window")
    draft = load_model_text(DRAFT)
    want_draft = {r["contact_id"]: r for r in evaluate_contacts(draft, contacts, events, clock.now)}
    with runtime.reader() as store:
        assert [(c, t, g) for c, t, g, _ in _stored(store)] == [
            (c, pytest.approx(r["total"]), r["grade"]) for c, r in sorted(want_draft.items())
        ]
    clock.now += DAY
    with runtime.reader() as store:
        result = model_ops.rollback(store, runtime, 1, note="too many hot leads")
    assert (result["version"], result["rolled_back_to"], result["previous"]) == (3, 1, 2)
    assert result["note"] == "rollback to v1: too many hot leads"
    old = load_model_text(MODEL)
    want = {r["contact_id"]: r for r in evaluate_contacts(old, contacts, events, clock.now)}
    with runtime.reader() as store:
        listed = versions.list_versions(store)
        assert [(v.version, v.status) for v in listed] == [
            (1, "retired"),
            (2, "retired"),
            (3, "published"),
        ]
        assert listed[2].yaml == listed[0].yaml
        assert [(c, t, g, s) for c, t, g, s in _stored(store)] == [
            (c, pytest.approx(r["total"]), r["grade"], r["stage"]) for c, r in sorted(want.items())
        ]
        causes = store.rows(
            "SELECT DISTINCT model_version FROM score_history WHERE cause = 'model' "
            "ORDER BY model_version"
        )
    assert [r["model_version"] for r in causes] == [2, 3]
    assert runtime.active.version == 3
    assert result["changed_grade"] > 0


def test_rollback_refusals_change_nothing(runtime: Runtime, clock: Clock) -> None:
    _load(runtime, clock)
    with runtime.reader() as store:
        model_ops.publish_yaml(store, runtime, DRAFT)  # v2
        model_ops.rollback(store, runtime, 1)  # v3: the model of v1
        draft = versions.create_version(store, DRAFT.replace("points: 45", "points: 5"))  # v4
        store.execute(  # a version stored under an older spec, which no longer loads
            "INSERT INTO model_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [5, "old", "leadscore: 1\nname: old\nscores: {}\n", "x", "retired", None, 0, 0],
        )
        before = (_versions(store), _stored(store))
        cases = {
            3: "version 3 is the published version already",
            1: "version 1 has the same model as the published version 3",
            draft.version: "version 4 is a draft that was never published",
            5: "version 5 no longer loads",
            99: "no model version 99",
        }
        for number, message in cases.items():
            with pytest.raises(LeadscoreError, match=message):
                model_ops.rollback(store, runtime, number)
        assert (_versions(store), _stored(store)) == before
        with pytest.raises(ModelError):
            model_ops.publish_yaml(store, runtime, DRAFT.replace("points: 45", "points: many"))
        assert (_versions(store), _stored(store)) == before
        assert model_ops.rollback(store, runtime, 2)["version"] == 6


def test_diff_lists_changes_in_the_new_models_order() -> None:
    reordered = MODEL.replace(
        "      - {id: demo, points: 50, event: demo_request, within: 30d}\n", ""
    ).replace(
        "half_life: 7d}", "half_life: 7d}\n      - {id: demo, points: 55, event: demo_request}"
    )
    reordered = reordered.replace("points: 10, event: page_view", "points: 12, event: page_view")
    result = model_ops.diff(_version(1, MODEL), _version(2, reordered))
    changed = result["rules"]["changed"]
    assert [r["id"] for r in changed] == ["pricing", "demo"]
    assert changed[1]["changes"] == [
        {"field": "points", "old": 50.0, "new": 55.0},
        {"field": "within", "old": "30d", "new": None},
    ]


def test_diff_of_a_version_that_no_longer_loads_keeps_its_text() -> None:
    broken = "leadscore: 1\nname: old\nscores: {}\n"
    result = model_ops.diff(_version(1, broken), _version(2, MODEL))
    assert result["text"].startswith("--- v1\n+++ v2\n")
    assert result["error"].startswith("the model has 1 problem")
    assert result["rules"] == {"added": [], "removed": [], "changed": []}
    assert (result["identical"], set(result["summary"].values())) == (False, {0})
