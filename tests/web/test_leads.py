"""The leads list: filters, search, every sort order, keyset paging both ways, the JSON twin,
the CSV export and saved segments (on DuckDB and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Site
from tests.web.harness import form_token


def everyone(site: Site) -> list[dict[str, Any]]:
    return site.rows("SELECT * FROM scores")


def expected_order(site: Site, key: str, descending: bool) -> list[str]:
    rank = {"hot": 3, "warm": 2, "cold": 1}
    stage = {"SQL": 3, "MQL": 2, "lead": 1}
    value = {
        "total": lambda r: r["total"],
        "fit": lambda r: r["score_fit"],
        "engagement": lambda r: r["score_engagement"],
        "grade": lambda r: rank[r["grade"]],
        "stage": lambda r: stage[r["stage"]],
    }[key]
    rows = sorted(everyone(site), key=lambda r: r["contact_id"])
    rows.sort(key=value, reverse=descending)  # stable: ties stay by id
    return [r["contact_id"] for r in rows]


def walk(client: TestClient, url: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Every id of the list, following the next links; and each page's paging block."""
    ids: list[str] = []
    pages = []
    while url:
        body = client.get(url).json()
        ids += [item["contact_id"] for item in body["items"]]
        pages.append(body["page"])
        url = body["page"]["next"]
    return ids, pages


@pytest.mark.parametrize("sort", ["-total", "total", "-fit", "engagement", "-grade", "stage"])
def test_paging_forward_visits_every_lead_once_in_order(
    client: TestClient, site: Site, sort: str
) -> None:
    ids, pages = walk(client, f"/leads.json?sort={sort}&size=25")
    assert ids == expected_order(site, sort.lstrip("-"), sort.startswith("-"))
    assert [p["start"] for p in pages] == [1, 26]
    assert pages[-1]["end"] == 40
    assert pages[0]["count"] == 40


def test_paging_by_contact_id_and_back(client: TestClient, site: Site) -> None:
    ids, _ = walk(client, "/leads.json?sort=-contact_id&size=25")
    assert ids == sorted((r["contact_id"] for r in everyone(site)), reverse=True)
    order = expected_order(site, "total", True)
    last = client.get("/leads.json?sort=-total&size=25&last=1").json()  # the last 25 leads
    assert (last["page"]["start"], last["page"]["end"], last["page"]["next"]) == (16, 40, None)
    assert [i["contact_id"] for i in last["items"]] == order[15:]
    back = client.get(last["page"]["prev"]).json()
    assert back["page"]["start"] == 1
    assert back["page"]["prev"] is None
    assert [i["contact_id"] for i in back["items"]] == order[:15]
    first = client.get("/leads.json?sort=-total&size=25").json()
    second = client.get(first["page"]["next"]).json()
    again = client.get(second["page"]["prev"]).json()
    assert again["items"] == first["items"]


def test_filters_match_the_scores(client: TestClient, site: Site) -> None:
    rows = everyone(site)
    body = client.get("/leads.json?grade=hot&grade=warm&size=100").json()
    assert {i["contact_id"] for i in body["items"]} == {
        r["contact_id"] for r in rows if r["grade"] in ("hot", "warm")
    }
    assert body["filter"] == {"grade": ["hot", "warm"]}
    assert body["filter_text"] == ["grade is hot or warm"]
    body = client.get("/leads.json?stage=MQL&min=35&max=70&account=acct-1&size=100").json()
    want = {
        r["contact_id"]
        for r in rows
        if r["stage"] == "MQL" and 35 <= r["total"] <= 70 and r["account_id"] == "acct-1"
    }
    assert {i["contact_id"] for i in body["items"]} == want
    assert body["page"]["count"] == len(want)
    assert body["filter_text"] == [
        "stage is MQL",
        "total between 35 and 70",
        "account is acct-1",
    ]


def test_search_finds_names_emails_and_ids(client: TestClient) -> None:
    def found(q: str) -> list[str]:
        return sorted(
            i["contact_id"] for i in client.get(f"/leads.json?q={q}&size=100").json()["items"]
        )

    assert found("novak") == [f"c{i:03d}" for i in range(4, 40, 5)]
    assert found("ada novak") == []  # every word must match
    assert found("ADA LOVELACE") == ["c000", "c010", "c020", "c030"]
    assert found("lovelace20@") == ["c020"]
    assert found("c03") == [f"c03{i}" for i in range(10)]
    item = client.get("/leads.json?q=c007").json()["items"][0]
    assert (item["name"], item["company"]) == ("Hugo Marsh", "Acme 3")
    assert item["email"] == "hugo.marsh7@gmail.com"


def test_search_follows_new_contacts(site: Site) -> None:
    from leadscore.records import Contact

    client = site.signed_in()
    assert client.get("/leads.json?q=zebedee").json()["page"]["count"] == 0
    site.runtime.upsert_contacts([Contact("z1", {"first_name": "Zebedee", "last_name": "Q"})])
    site.runtime.flush()
    assert [i["contact_id"] for i in client.get("/leads.json?q=zebedee").json()["items"]] == ["z1"]
    site.clock.now += 1  # writes carry the time they were received
    site.runtime.upsert_contacts([Contact("z1", {"first_name": "Zachary"})])
    site.runtime.flush()
    assert client.get("/leads.json?q=zebedee").json()["page"]["count"] == 0
    assert client.get("/leads.json?q=zachary").json()["page"]["count"] == 1


def test_bad_parameters_say_what_is_wrong(client: TestClient) -> None:
    page = client.get("/leads?sort=-totl")
    assert page.status_code == 400
    assert "sort must be one of total, predictive" in page.text
    assert "Did you mean" in page.text
    twin = client.get("/leads.json?min=abc")
    assert twin.status_code == 400
    assert twin.json()["error"]["message"] == "min must be a number; got 'abc'"
    assert client.get("/leads.json?min=5&max=1").status_code == 400
    assert client.get("/leads.json?size=7").status_code == 400
    assert client.get("/leads.json?after=%%%").status_code == 400
    assert client.get("/leads.json?sort=-predictive").status_code == 400  # none in this site


def test_the_json_twin_is_the_pages_context(client: TestClient) -> None:
    suffix = client.get("/leads.json?grade=hot&sort=-fit").json()
    accept = client.get("/leads?grade=hot&sort=-fit", headers={"Accept": "application/json"})
    assert accept.headers["content-type"].startswith("application/json")
    body = accept.json()
    assert body["items"] == suffix["items"]
    assert body["page"]["count"] == suffix["page"]["count"]
    html = client.get("/leads?grade=hot&sort=-fit").text
    for item in suffix["items"]:
        assert item["contact_id"] in html
    assert 'href="/leads.json?grade=hot&amp;sort=-fit"' in html  # the page links its twin


def test_htmx_gets_the_results_fragment(client: TestClient) -> None:
    headers = {"HX-Request": "true", "HX-Target": "results"}
    fragment = client.get("/leads?grade=hot", headers=headers)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'class="leads"' in fragment.text
    assert 'id="sort-input"' in fragment.text
    assert 'hx-swap-oob="true"' in fragment.text
    assert "<html" in client.get("/leads?grade=hot").text


def test_csv_export_streams_the_current_filter_in_order(client: TestClient, site: Site) -> None:
    response = client.get("/leads.csv?grade=warm&grade=cold&sort=fit")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="leads-web-test.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    by_id = {r["contact_id"]: r for r in everyone(site)}
    want = [i for i in expected_order(site, "fit", False) if by_id[i]["grade"] in ("warm", "cold")]
    assert [r["contact_id"] for r in rows] == want
    first = rows[0]
    assert float(first["total"]) == pytest.approx(by_id[first["contact_id"]]["total"])
    assert set(first) >= {"name", "email", "fit", "engagement", "grade", "stage", "top_reasons"}


def test_csv_export_in_chunks(site: Site) -> None:
    from contextlib import contextmanager

    from leadscore.web.queries.filters import LeadFilter, Sort
    from leadscore.web.queries.leads import LeadReader, Query, export_chunks

    @contextmanager
    def reader() -> Any:
        with site.runtime.reader() as store:
            yield LeadReader(store, site.app.state.models[site.runtime.name])

    model = site.runtime.active.model
    chunks = list(export_chunks(reader, Query(LeadFilter(), Sort("total")), model, size=7))
    n = len(everyone(site))
    assert [len(c) for c in chunks] == [7] * (n // 7) + ([n % 7] if n % 7 else [])
    assert [i["contact_id"] for c in chunks for i in c] == expected_order(site, "total", True)


def test_spreadsheet_formulas_are_defused() -> None:
    from leadscore.web.views.leads import _safe_cell

    assert _safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _safe_cell("-2+3") == "'-2+3"
    assert _safe_cell(-2.5) == -2.5
    assert _safe_cell("Ada") == "Ada"


def test_saved_segments(site: Site) -> None:
    client = site.signed_in()
    token = form_token(client.get("/leads").text)
    data = {"csrf_token": token, "name": "Warm in acct-2", "grade": "warm", "account": "acct-2"}
    saved = client.post("/segments", data=data, follow_redirects=False)
    assert saved.status_code == 303
    segment_id = saved.headers["location"].split("segment=")[1]
    body = client.get(f"/leads.json?segment={segment_id}").json()
    assert body["filter"] == {"grade": ["warm"], "account": ["acct-2"]}
    assert body["segment"]["name"] == "Warm in acct-2"
    assert all(i["grade"] == "warm" and i["account_id"] == "acct-2" for i in body["items"])
    assert (
        client.get("/leads.json?grade=warm&account=acct-2").json()["segment"]["segment_id"]
        == segment_id
    )
    again = client.post("/segments", data={**data, "name": "warm IN acct-2", "grade": "hot"})
    assert again.status_code == 200  # followed: the same segment, new filter
    names = [s["name"] for s in client.get("/leads.json").json()["segments"]]
    assert names.count("Warm in acct-2") == 1
    assert client.get(f"/leads.json?segment={segment_id}").json()["filter"]["grade"] == ["hot"]
    empty = client.post("/segments", data={"csrf_token": token, "name": "all"})
    assert empty.status_code == 400
    assert "choose a filter first" in empty.text
    gone = client.post(f"/segments/{segment_id}/delete", data={"csrf_token": token})
    assert gone.status_code == 200
    assert client.get(f"/leads.json?segment={segment_id}").status_code == 404
    assert (
        client.post(f"/segments/{segment_id}/delete", data={"csrf_token": token}).status_code == 404
    )
