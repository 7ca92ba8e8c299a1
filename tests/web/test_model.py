"""The model pages: the active model in sentences, the draft editor (problems at their lines),
the impact preview, publishing, versions, diffs and roll-backs, as HTML and JSON twins."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from leadscore.web.queries.model import diff_lines, place_problems
from tests.web.conftest import MODEL, Site
from tests.web.harness import form_token

BROKEN = MODEL.replace("points: 50, event: demo_request", "points: fifty, event: demo_request")
LOWER_HOT = MODEL.replace("{grade: hot, min: 60", "{grade: hot, min: 45")
JSON = {"Accept": "application/json"}


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _draft(client: TestClient, path: str, yaml: str, **extra: str) -> dict[str, str]:
    token = form_token(client.get("/model/edit").text)
    return {"csrf_token": token, "yaml": yaml, **extra}


def test_place_problems_marks_the_line_and_keeps_its_neighbours() -> None:
    text = "a: 1\nb: 2\nc: x\nd: 4\ne: 5\nf: 6\n"
    placed = place_problems(text, [{"line": 3, "column": 4, "message": "bad"}, {"line": None}])
    numbers = [(row["number"], row["mark"]) for row in placed[0]["excerpt"]]
    assert numbers == [(1, False), (2, False), (3, True), (4, False), (5, False)]
    assert placed[0]["excerpt"][2]["text"] == "c: x"
    assert placed[1]["excerpt"] == []


def test_diff_lines_are_typed() -> None:
    text = "--- v1\n+++ v2\n@@ -1 +1 @@\n-a: 1\n+a: 2\n b: 3"
    kinds = [line["kind"] for line in diff_lines(text)]
    assert kinds == ["file", "file", "hunk", "remove", "add", "same"]


def test_model_page_shows_every_rule_as_a_sentence(duck_site: Site) -> None:
    from leadscore.compile.explain import rule_sentence

    client = duck_site.signed_in()
    page = client.get("/model")
    assert page.status_code == 200
    model = duck_site.runtime.active.model
    for score in model.scores.values():
        for rule in score.rules:
            assert str(escape(rule_sentence(rule, None))) in page.text
    twin = client.get("/model.json").json()
    assert twin["active_version"] == duck_site.runtime.active.version
    ids = [r["id"] for s in twin["model"]["scores"] for r in s["rules"]]
    assert ids == [r.id for s in model.scores.values() for r in s.rules]
    assert twin["versions"][0]["status"] == "published"
    # the Accept header gives the same twin
    assert client.get("/model", headers=JSON).json() == twin


def test_a_broken_rule_is_reported_at_its_line(duck_site: Site) -> None:
    client = duck_site.signed_in()
    line = _line_of(BROKEN, "points: fifty")
    answer = client.post("/model/check", data=_draft(client, "/model/check", BROKEN), headers=JSON)
    assert answer.status_code == 200
    check = answer.json()["check"]
    assert check["valid"] is False
    assert [p["line"] for p in check["problems"]] == [line]
    assert check["problems"][0]["path"] == "scores.engagement.rules[0].points"
    marked = [r for r in check["problems"][0]["excerpt"] if r["mark"]]
    assert marked
    assert "fifty" in marked[0]["text"]
    # the fragment htmx swaps in names the line
    htmx = {"HX-Request": "true", "HX-Target": "draft-result"}
    fragment = client.post("/model/check", data=_draft(client, "/", BROKEN), headers=htmx)
    assert f"Line {line}, column" in fragment.text
    assert "<html" not in fragment.text
    assert f'data-problem-lines="{line}"' in fragment.text


def test_forms_need_the_csrf_token(duck_site: Site) -> None:
    client = duck_site.signed_in()
    answer = client.post("/model/publish", data={"yaml": LOWER_HOT})
    assert answer.status_code == 403
    assert duck_site.runtime.active.version == 1


def test_preview_publish_diff_and_roll_back(duck_site: Site) -> None:
    client = duck_site.signed_in()
    before = client.get("/leads.json?grade=hot").json()["page"]["count"]
    preview = client.post("/model/preview", data=_draft(client, "/", LOWER_HOT), headers=JSON)
    impact = preview.json()["impact"]
    hot = next(g for g in impact["grades"] if g["grade"] == "hot")
    assert hot["before"] == before
    assert hot["after"] > before
    assert impact["changed"]["grade_up"] == hot["after"] - before
    assert duck_site.runtime.active.version == 1  # a preview changes nothing

    # an invalid draft is not published; the editor shows why
    refused = client.post("/model/publish", data=_draft(client, "/", BROKEN))
    assert refused.status_code == 422
    assert "points: fifty" in refused.text
    assert "problem" in refused.text
    assert duck_site.runtime.active.version == 1

    data = _draft(client, "/", LOWER_HOT, note="hot from 45")
    published = client.post("/model/publish", data=data, follow_redirects=False)
    assert published.status_code == 303
    number = int(re.search(r"published=(\d+)", published.headers["location"]).group(1))
    assert duck_site.runtime.active.version == number
    assert client.get("/leads.json?grade=hot").json()["page"]["count"] == hot["after"]
    page = client.get(published.headers["location"])
    assert f"Published version {number}" in page.text

    diff = client.get(f"/model/diff.json?from=1&to={number}").json()
    bands = diff["grades"][0]["bands"]
    assert bands[0]["grade"] == "hot"
    assert (bands[0]["old_min"], bands[0]["new_min"]) == (60, 45)
    assert "min: 45" in client.get(f"/model/diff?from=1&to={number}").text

    detail = client.get(f"/model/versions/{number}.json").json()
    assert detail["version"]["note"] == "hot from 45"
    assert detail["active"] is True
    assert detail["changes"]["old"]["version"] == 1

    token = form_token(client.get("/model").text)
    rolled = client.post(
        "/model/versions/1/rollback", data={"csrf_token": token}, follow_redirects=False
    )
    assert rolled.status_code == 303
    assert duck_site.runtime.active.version == number + 1
    assert client.get("/leads.json?grade=hot").json()["page"]["count"] == before
    again = client.post("/model/versions/1/rollback", data={"csrf_token": token})
    assert again.status_code == 409  # the same model is live already
    versions = client.get("/model.json").json()["versions"]
    assert versions[0]["note"] == "rollback to v1"


def test_drafts_are_saved_and_published_from_their_page(duck_site: Site) -> None:
    client = duck_site.signed_in()
    saved = client.post(
        "/model/drafts",
        data=_draft(client, "/", LOWER_HOT.replace("min: 45", "min: 50"), note="try 50"),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    number = int(re.search(r"/model/versions/(\d+)", saved.headers["location"]).group(1))
    live = duck_site.runtime.active.version
    assert live != number  # a draft scores nothing
    page = client.get(saved.headers["location"])
    assert "Saved draft version" in page.text
    assert "Publish this draft" in page.text
    edit = client.get(f"/model/edit.json?from={number}").json()
    assert "min: 50" in edit["yaml"]
    assert edit["check"]["valid"] is True
    token = form_token(page.text)
    done = client.post(f"/model/versions/{number}/publish", data={"csrf_token": token})
    assert done.status_code == 200
    assert duck_site.runtime.active.version == number


def test_unknown_versions_are_404(duck_site: Site) -> None:
    client = duck_site.signed_in()
    assert client.get("/model/versions/999").status_code == 404
    assert client.get("/model/diff?from=1&to=999").status_code == 404
    assert client.get("/model/diff?from=x&to=1").status_code == 400
    assert client.get("/model/edit?from=999").status_code == 404


@pytest.mark.parametrize("site", ["postgres"], indirect=True)
def test_preview_publish_and_roll_back_on_postgres(site: Site) -> None:
    client = site.signed_in()
    first = site.runtime.active.version
    before = client.get("/leads.json?grade=hot").json()["page"]["count"]
    preview = client.post("/model/preview", data=_draft(client, "/", LOWER_HOT), headers=JSON)
    hot = next(g for g in preview.json()["impact"]["grades"] if g["grade"] == "hot")
    assert hot["before"] == before
    assert hot["after"] > before
    published = client.post("/model/publish", data=_draft(client, "/", LOWER_HOT), headers=JSON)
    number = published.json()["version"]
    assert client.get("/leads.json?grade=hot").json()["page"]["count"] == hot["after"]
    diff = client.get(f"/model/diff.json?from={first}&to={number}").json()
    assert diff["summary"]["bands_moved"] == 1
    token = form_token(client.get("/model").text)
    rolled = client.post(f"/model/versions/{first}/rollback", data={"csrf_token": token})
    assert rolled.status_code == 200
    assert client.get("/leads.json?grade=hot").json()["page"]["count"] == before


def test_model_analytics_and_alerts_pages_label_every_field(duck_site: Site) -> None:
    client = duck_site.signed_in()
    for path in ("/model", "/model/edit", "/analytics", "/alerts"):
        html = client.get(path).text
        assert '<main id="main"' in html
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        fields = set(re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html))
        assert fields <= labelled, (path, fields - labelled)
        section = path.split("/")[1]
        assert f'href="/{section}" aria-current="page"' in html


def test_analytics_without_conversions_says_why(duck_site: Site) -> None:
    client = duck_site.signed_in()
    found = client.get("/analytics/performance.json")
    assert found.status_code == 200
    assert "converted within 90 days" in found.json()["error"]
    page = client.get("/analytics/performance")
    assert page.status_code == 200
    assert "nothing to measure the model against yet" in page.text
