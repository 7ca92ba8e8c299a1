"""/models: list, get, drafts, validation, preview, publish, diff, rollback."""

from __future__ import annotations

from leadscore.timeutil import UNIT_US, iso
from tests.service.api_fixtures import Api, api_fixture  # noqa: F401  (fixtures)
from tests.service.conftest import MODEL

DAY = UNIT_US["d"]
RICHER = MODEL.replace("points: 30", "points: 70")
BROKEN = """leadscore: 1
name: broken
scores:
  fit:
    rules:
      - {id: a, points: ten, when: {attribute: title, eq: x}}
      - {id: b, points: 5, evnt: demo}
"""


def _leads(api: Api) -> None:
    api.post(
        "/contacts/batch",
        json={
            "contacts": [
                {"contact_id": "vp", "attributes": {"title": "VP Sales"}},
                {"contact_id": "eng", "attributes": {"title": "Engineer"}},
            ]
        },
    )
    api.runtime.flush()


def test_list_and_get_versions(api: Api) -> None:
    listed = api.get("/models")
    assert listed.status_code == 200
    body = listed.json()
    assert body["active_version"] == 1
    assert [(v["version"], v["status"]) for v in body["items"]] == [(1, "published")]
    assert "yaml" not in body["items"][0]
    one = api.get("/models/1").json()
    assert one["yaml"] == MODEL
    assert one["name"] == "service-test"
    missing = api.get("/models/7")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "no model version '7' in this workspace"
    assert api.get("/models/0").status_code == 422
    assert api.get("/models/abc").status_code == 422


def test_invalid_models_are_422_with_every_problem_and_its_line(api: Api) -> None:
    response = api.post("/models", json={"yaml": BROKEN})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_model"
    problems = error["details"]["problems"]
    assert [p["line"] for p in problems] == [6, 7]
    assert problems[1]["path"] == "scores.fit.rules[1]"
    assert "line 6" in error["message"]
    for text in ("leadscore: 1\nname: [", "", "- a list"):
        bad = api.post("/models", json={"yaml": text})
        assert bad.status_code == 422, text
        assert bad.json()["error"]["details"]["problems"]
    assert api.post("/models", json={"yaml": MODEL, "extra": 1}).status_code == 422
    assert [v["version"] for v in api.get("/models").json()["items"]] == [1]


def test_validate_reports_problems_without_storing(api: Api) -> None:
    bad = api.post("/models/validate", json={"yaml": BROKEN})
    assert bad.status_code == 200
    assert bad.json()["valid"] is False
    assert [p["line"] for p in bad.json()["problems"]] == [6, 7]
    good = api.post("/models/validate", json={"yaml": RICHER}).json()
    assert good["valid"] is True
    assert good["problems"] == []
    assert good["summary"]["name"] == "service-test"
    assert len(api.get("/models").json()["items"]) == 1


def test_draft_preview_publish_diff_rollback(api: Api) -> None:
    _leads(api)
    created = api.post("/models", json={"yaml": RICHER, "note": "vp worth more"})
    assert created.status_code == 201, created.text
    draft = created.json()
    assert (draft["version"], draft["status"], draft["note"]) == (2, "draft", "vp worth more")
    assert api.get("/contacts/vp").json()["score"]["total"] == 30  # a draft scores nothing

    preview = api.post("/models/2/preview", json={"top": 5})
    assert preview.status_code == 200, preview.text
    impact = preview.json()
    assert impact["as_of"] == iso(api.clock.now)
    assert impact["changed"]["grade"] == 1
    assert [m["contact_id"] for m in impact["movers"]["up"]] == ["vp"]
    assert api.post("/models/2/preview").status_code == 200  # the body is optional
    assert api.post("/models/2/preview", json={"as_of": "soon"}).status_code == 422
    assert api.post("/models/2/preview", json={"top": 0}).status_code == 422

    diff = api.get("/models/diff", params={"from": 1, "to": 2})
    assert diff.status_code == 200, diff.text
    assert diff.json()["identical"] is False
    assert [c["id"] for c in diff.json()["rules"]["changed"]] == ["vp"]
    assert api.get("/models/diff", params={"from": 1, "to": 9}).status_code == 404
    assert api.get("/models/diff", params={"from": 1}).status_code == 422

    published = api.post("/models/2/publish")
    assert published.status_code == 200, published.text
    assert published.json() == {"version": 2, "scored": 2, "changed_grade": 1}
    vp = api.get("/contacts/vp").json()["score"]
    assert (vp["total"], vp["grade"], vp["model_version"]) == (70, "hot", 2)
    assert api.get("/models").json()["active_version"] == 2
    assert api.post("/models/9/publish").status_code == 404

    rolled = api.post("/models/1/rollback", json={"note": "too generous"})
    assert rolled.status_code == 200, rolled.text
    assert (rolled.json()["version"], rolled.json()["rolled_back_to"]) == (3, 1)
    assert api.get("/contacts/vp").json()["score"]["total"] == 30
    versions = api.get("/models").json()["items"]
    assert [(v["version"], v["status"]) for v in versions] == [
        (1, "retired"),
        (2, "retired"),
        (3, "published"),
    ]
    assert versions[2]["note"] == "rollback to v1: too generous"
    conflict = api.post("/models/3/rollback")
    assert conflict.status_code == 409
    assert "published version already" in conflict.json()["error"]["message"]
    assert api.post("/models/9/rollback").status_code == 404
