"""What every page shares: headers, error pages (the API keeps its JSON errors), static files
and plotly.js from the installed package, the navigation, and the docs naming every page."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.web.conftest import Site

DOCS = Path(__file__).resolve().parents[2] / "docs" / "web.md"


def test_pages_carry_security_headers_and_the_api_does_not(duck_site: Site) -> None:
    client = duck_site.client()
    page = client.get("/login")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "script-src 'self';" in page.headers["content-security-policy"]  # no inline scripts
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    api = client.get("/api/v1/health")
    assert "content-security-policy" not in api.headers


def test_errors_are_pages_for_people_and_json_for_the_api(duck_site: Site) -> None:
    client = duck_site.signed_in()
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "There is no page here." in page.text
    assert client.get("/no/such/page.json").json()["error"]["code"] == "not_found"
    api = client.get("/api/v1/no-such-route")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"
    unauthorized = client.get("/api/v1/contacts")  # the session cookie does not open the API
    assert unauthorized.status_code == 401
    assert unauthorized.json()["error"]["code"] == "unauthorized"


def test_home_goes_to_the_leads(duck_site: Site) -> None:
    response = duck_site.client().get("/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/leads")


def test_static_files_come_with_the_package(duck_site: Site) -> None:
    client = duck_site.signed_in()
    html = client.get("/leads").text
    for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        response = client.get(url)
        assert response.status_code == 200, url
    htmx = client.get("/static/vendor/htmx-2.0.11.min.js")
    assert htmx.headers["content-type"].startswith("text/javascript")
    lead = client.get("/leads/c000").text
    [plotly] = re.findall(r'src="(/static/vendor/plotly-[^"]+)"', lead)
    script = client.get(plotly)
    assert script.status_code == 200
    assert "plotly.js" in script.text[:300]
    assert "immutable" in script.headers["cache-control"]
    assert client.get("/static/vendor/plotly-0.0.0.min.js").status_code == 404
    assert "http://" not in html.replace("http://www.w3.org", "")  # nothing from elsewhere


def test_layout_is_usable_by_keyboard(client: TestClient) -> None:
    html = client.get("/leads").text
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert '<a href="/leads" aria-current="page">Leads</a>' in html
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    fields = set(re.findall(r'<(?:input|select)[^>]* id="([^"]+)"', html))
    assert fields <= labelled | {"sort-input"}  # every visible field has a label
    assert '<th scope="col"' in html
    assert 'aria-sort="descending"' in html


def test_the_docs_name_every_page() -> None:
    from leadscore.web.views import routers

    text = DOCS.read_text("utf-8")
    paths = {
        route.path  # type: ignore[attr-defined]
        for router in routers()
        for route in router.routes
    }
    missing = sorted(p for p in paths if p.replace("{contact_id:path}", "{contact_id}") not in text)
    assert not missing, f"docs/web.md does not mention {missing}"
