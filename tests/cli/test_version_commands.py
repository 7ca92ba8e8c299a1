"""`leadscore versions`: list, show, diff, preview, publish and roll back on a workspace."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import leadscore.cli.version_commands  # registers the commands
from leadscore.cli.app import main
from leadscore.model import load_model_text
from leadscore.records import Contact, Event, contacts_table, events_table
from leadscore.reference import evaluate_contacts
from leadscore.store.workspace import Workspace
from leadscore.timeutil import UNIT_US, now_us
from tests.service.conftest import MODEL
from tests.service.test_model_ops import DRAFT

DAY = UNIT_US["d"]


def leadscore(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """Run the command line in this process, as the ``leadscore`` script does."""
    monkeypatch.setattr(sys, "argv", ["leadscore", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


CONTACTS = [
    Contact("ann", {"title": "VP Sales"}),
    Contact("bob", {"title": "Engineer"}),
    Contact("cy", {"title": "vp of things"}),
    Contact("dee", {"title": "Student"}),
]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace whose model file is the service tests' model, with a few leads."""
    model = tmp_path / "model.yaml"
    model.write_text(MODEL, encoding="utf-8")
    (tmp_path / "draft.yaml").write_text(DRAFT, encoding="utf-8")
    root = tmp_path / "ws"
    workspace = Workspace.init(root, model=model)
    now = now_us()
    events = [
        Event("e1", "bob", "demo_request", now - 40 * DAY),  # counts with the draft's 60 days
        Event("e2", "cy", "demo_request", now - 2 * DAY),
        Event("e3", "dee", "page_view", now - DAY, {"url": "/pricing"}),
    ]
    with workspace.store() as store:
        store.append_arrow("contacts", contacts_table(CONTACTS, now_us=now))
        store.append_arrow("events", events_table(events, now_us=now))
    return root


def _stored(root: Path) -> tuple[list[tuple[str, float, str]], int]:
    with Workspace.open(root).store(read_only=True) as store:
        rows = store.rows("SELECT contact_id, total, grade, as_of_us FROM scores ORDER BY 1")
    return [(r["contact_id"], r["total"], r["grade"]) for r in rows], int(rows[0]["as_of_us"])


def test_publish_diff_show_and_rollback(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    w = ["-w", str(ws)]
    code, out, _ = leadscore(["versions", "list", *w], capsys, monkeypatch)
    assert (code, out.strip()) == (
        0,
        "no model versions yet: `leadscore versions publish FILE` creates them",
    )
    draft = str(tmp_path / "draft.yaml")
    code, out, err = leadscore(
        ["versions", "publish", draft, "--note", "wider demo window", *w], capsys, monkeypatch
    )
    assert code == 0, err
    assert out.startswith("published version 2 (wider demo window): scored 4 contacts")
    code, out, _ = leadscore(["versions", "list", "-f", "json", *w], capsys, monkeypatch)
    listed = [(v["version"], v["status"], v["note"]) for v in json.loads(out)]
    assert listed == [(1, "retired", "initial model"), (2, "published", "wider demo window")]

    code, out, _ = leadscore(["versions", "show", "2", *w], capsys, monkeypatch)
    assert "# status: published" in out
    assert DRAFT.strip() in out
    assert load_model_text(out) == load_model_text(DRAFT)  # usable as a model file
    code, out, _ = leadscore(["versions", "show", "1", "-f", "json", *w], capsys, monkeypatch)
    assert json.loads(out)["yaml"] == MODEL

    code, out, _ = leadscore(["versions", "diff", "1", "2", *w], capsys, monkeypatch)
    assert code == 0
    assert "+      - {grade: hot, min: 50, stage: SQL}" in out
    assert "+ rule webinar (contacts.engagement): +15 points for each webinar attended" in out
    assert "- rule pricing (contacts.engagement)" in out
    assert "    within: 30d -> 60d" in out
    assert "    moved band hot: min 60 -> 50" in out
    code, out, _ = leadscore(["versions", "diff", "1", "2", "-f", "json", *w], capsys, monkeypatch)
    assert json.loads(out)["summary"]["rules_added"] == 1

    code, out, err = leadscore(["versions", "rollback", "2", *w], capsys, monkeypatch)
    assert (code, out) == (1, "")
    assert err == "error: version 2 is the published version already\n"
    code, out, err = leadscore(
        ["versions", "rollback", "1", "--note", "back", "-f", "json", *w], capsys, monkeypatch
    )
    assert code == 0, err
    result = json.loads(out)
    assert (result["version"], result["rolled_back_to"], result["note"]) == (
        3,
        1,
        "rollback to v1: back",
    )
    stored, as_of = _stored(ws)
    with Workspace.open(ws).store(read_only=True) as store:
        events = [
            Event(
                r["event_id"], r["contact_id"], r["type"], r["ts_us"], json.loads(r["properties"])
            )
            for r in store.rows("SELECT * FROM events")
        ]
    want = evaluate_contacts(load_model_text(MODEL), CONTACTS, events, as_of)
    assert stored == [
        (r["contact_id"], pytest.approx(r["total"]), r["grade"])
        for r in sorted(want, key=lambda r: r["contact_id"])
    ]


def test_preview_before_anything_is_published(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["versions", "preview", str(tmp_path / "draft.yaml"), "-w", str(ws)]
    code, out, err = leadscore([*args, "-f", "json"], capsys, monkeypatch)
    assert code == 0, err
    result = json.loads(out)
    assert result["baseline"]["source"] == "computed"  # nothing stored: the model file, now
    # bob's 40-day-old demo counts with the draft (0, cold -> 50, hot); ann and cy gain 15
    # each (vp 30 -> 45: ties, by id); dee's pricing view no longer counts
    assert result["changed"]["grade"] == 1
    assert [m["contact_id"] for m in result["movers"]["up"]] == ["bob", "ann", "cy"]
    assert [m["contact_id"] for m in result["movers"]["down"]] == ["dee"]
    code, out, err = leadscore(args, capsys, monkeypatch)
    assert code == 0, err
    assert "changed: total 4, grade 1 (up 1, down 0), stage 1" in out
    assert "Top movers up" in out
    with Workspace.open(ws).store(read_only=True) as store:
        assert not store.has_table("scores")
        assert store.scalar("SELECT count(*) FROM model_versions") == 0


def test_user_errors_are_one_line(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    w = ["-w", str(ws)]
    bad = tmp_path / "bad.yaml"
    bad.write_text(MODEL.replace("points: 50, event", "pointz: 50, event"), encoding="utf-8")
    line = MODEL.splitlines().index(next(x for x in MODEL.splitlines() if "id: demo" in x)) + 1
    for command in ("preview", "publish"):
        code, out, err = leadscore(["versions", command, str(bad), *w], capsys, monkeypatch)
        assert (code, out) == (1, "")
        assert f"{bad}:{line}: scores.engagement.rules[0].pointz: unknown key 'pointz'" in err
        assert f"{bad}:{line}: scores.engagement.rules[0].points: missing required key" in err
        assert err.strip().endswith(f"error: {bad}: the model has 2 problems")
    code, _, err = leadscore(["versions", "show", "9", *w], capsys, monkeypatch)
    assert (code, err) == (1, "error: no model version 9\n")
    code, _, err = leadscore(["versions", "rollback", "1", *w], capsys, monkeypatch)
    assert (code, err) == (1, "error: no model version 1\n")
    code, _, err = leadscore(["versions", "publish", "missing.yaml", *w], capsys, monkeypatch)
    assert (code, err) == (1, "error: model file not found: missing.yaml\n")
    with Workspace.open(ws).store(read_only=True) as store:  # nothing was seeded or published
        assert store.scalar("SELECT count(*) FROM model_versions") == 0
