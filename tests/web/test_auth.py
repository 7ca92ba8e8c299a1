"""Sign-in: passwords, users, sessions behind signed cookies, CSRF, the brake on guessing."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from leadscore.errors import LeadscoreError
from leadscore.web.auth import passwords, sessions
from leadscore.web.auth.throttle import LoginThrottle
from leadscore.web.auth.users import authenticate, create_user, delete_user, list_users
from tests.web.conftest import Site
from tests.web.harness import PASSWORD, USERNAME, form_token, sign_in

HOUR = 3_600_000_000


def test_passwords_are_salted_scrypt_hashes() -> None:
    one, two = passwords.hash_password("open sesame"), passwords.hash_password("open sesame")
    assert one != two  # a new salt each time
    assert one.startswith("scrypt$16384$8$1$")
    assert "open sesame" not in one
    assert passwords.verify_password("open sesame", one)
    assert not passwords.verify_password("open sesamE", one)
    assert not passwords.verify_password("open sesame", None)  # no such user: still false
    assert not passwords.verify_password("x", "md5$whatever")
    with pytest.raises(LeadscoreError, match="at least 8 characters"):
        passwords.hash_password("short")


def test_users_on_each_engine(site: Site) -> None:
    with site.runtime.reader() as store:
        create_user(store, "Lee@Example.com", "a long password", 5)
        assert "lee@example.com" in [u.username for u in list_users(store)]
        with pytest.raises(LeadscoreError, match="exists already"):
            create_user(store, "LEE@example.com", "another password", 6)
        with pytest.raises(LeadscoreError, match="1 to 64 characters"):
            create_user(store, "no spaces please", "a long password", 6)
        assert authenticate(store, " lee@EXAMPLE.com ", "a long password", 7) == "lee@example.com"
        assert authenticate(store, "lee@example.com", "a wrong password", 8) is None
        assert authenticate(store, "nobody", "a long password", 8) is None
        delete_user(store, "lee@example.com")
        assert authenticate(store, "lee@example.com", "a long password", 9) is None
        with pytest.raises(LeadscoreError, match="no user"):
            delete_user(store, "lee@example.com")


def test_cookies_are_signed_per_workspace() -> None:
    secret = b"k" * 32
    value = sessions.cookie_value(secret, "acme leads", "tok")
    assert sessions.cookie_workspace(value) == "acme leads"
    assert sessions.cookie_token(secret, value) == "tok"
    assert sessions.cookie_token(b"x" * 32, value) is None  # another workspace's secret
    encoded, token, signature = value.split(".")
    assert sessions.cookie_token(secret, f"{encoded}.tok2.{signature}") is None
    other = sessions.cookie_value(secret, "other", "tok").split(".")[0]
    assert sessions.cookie_token(secret, f"{other}.{token}.{signature}") is None
    assert sessions.cookie_workspace("garbage") is None


def test_sessions_end_on_idle_lifetime_and_revocation(site: Site) -> None:
    from leadscore.service.auth import create_key, revoke_key

    with site.runtime.reader() as store:
        token, session = sessions.start_session(store, "w", "user", USERNAME, 0, 10 * HOUR)
        assert session.csrf_token
        assert session.session_hash == sessions.token_hash(token)
        stored = site.rows(
            "SELECT * FROM web_sessions WHERE session_hash = ?", [session.session_hash]
        )
        assert token not in str(stored)  # only the hash is kept
        assert sessions.load_session(store, "w", token, HOUR, 2 * HOUR) is not None
        assert sessions.load_session(store, "w", token, 4 * HOUR, 2 * HOUR) is None  # idle
        assert sessions.load_session(store, "w", token, 5 * HOUR, 20 * HOUR) is None  # gone
        token, _ = sessions.start_session(store, "w", "user", USERNAME, 0, 10 * HOUR)
        assert sessions.load_session(store, "w", token, 11 * HOUR, 20 * HOUR) is None  # lifetime
        key_id, _ = create_key(store, "browser")
        token, _ = sessions.start_session(store, "w", "key", key_id, 0, 10 * HOUR)
        assert sessions.load_session(store, "w", token, 1, HOUR) is not None
        revoke_key(store, key_id)
        assert sessions.load_session(store, "w", token, 2, HOUR) is None


def test_the_throttle_brakes_after_repeated_failures() -> None:
    now = [0.0]
    throttle = LoginThrottle(per_account=3, per_address=5, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.retry_after("1.2.3.4", "ws:ann") == 0
        throttle.failed("1.2.3.4", "ws:ann")
    assert throttle.retry_after("1.2.3.4", "ws:ann") == pytest.approx(60)
    assert throttle.retry_after("1.2.3.4", "ws:bob") == 0  # another account
    throttle.failed("1.2.3.4", "ws:bob")
    throttle.failed("1.2.3.4", "ws:bob")
    assert throttle.retry_after("1.2.3.4", "ws:carl") > 0  # the address is braked too
    now[0] = 61
    assert throttle.retry_after("1.2.3.4", "ws:ann") == 0
    throttle.failed("9.9.9.9", "ws:dan")
    throttle.succeeded("ws:dan")
    assert throttle.retry_after("9.9.9.9", "ws:dan") == 0


# ----------------------------------------------------------------------------- over HTTP
def test_pages_need_a_session(site: Site) -> None:
    client = site.client()
    page = client.get("/leads?grade=hot", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fleads%3Fgrade%3Dhot"
    twin = client.get("/leads.json")
    assert twin.status_code == 401
    assert twin.json()["error"]["code"] == "unauthorized"
    accept = client.get("/leads", headers={"Accept": "application/json"})
    assert accept.status_code == 401
    fragment = client.get("/leads", headers={"HX-Request": "true"}, follow_redirects=False)
    assert fragment.headers["HX-Redirect"].startswith("/login")


def test_sign_in_sets_a_safe_cookie_and_goes_back(site: Site) -> None:
    client = site.client()
    response = sign_in(client, next="/leads?grade=hot")
    assert response.status_code == 303
    assert response.headers["location"] == "/leads?grade=hot"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("ls_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here
    assert client.get("/leads").status_code == 200
    assert sign_in(site.client(), next="https://evil.example/").headers["location"] == "/leads"
    assert sign_in(site.client(), next="//evil.example").headers["location"] == "/leads"


def test_cookies_are_secure_over_https(site: Site) -> None:
    client = site.client(base_url="https://testserver")
    response = sign_in(client)
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("ls_session="))
    assert "Secure" in cookie


def test_a_wrong_password_is_refused_without_saying_which_part(site: Site) -> None:
    client = site.client()
    response = sign_in(client, password="not the password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert "ls_session" not in response.headers.get("set-cookie", "")
    assert sign_in(site.client(), username="nobody").status_code == 401


def test_sign_in_needs_its_form_token(site: Site) -> None:
    client = site.client()
    client.get("/login")
    data = {"csrf_token": "forged", "username": USERNAME, "password": PASSWORD}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 403
    fresh = site.client()  # no sign-in cookie at all
    token = form_token(site.client().get("/login").text)
    data["csrf_token"] = token
    assert fresh.post("/login", data=data, follow_redirects=False).status_code == 403


def test_repeated_failures_are_braked(site: Site) -> None:
    from leadscore.web.state import web_state

    client = site.client()
    for _ in range(5):
        assert sign_in(client, username="mallory", password="guess guess").status_code == 401
    braked = sign_in(client, username="mallory", password="guess guess")
    assert braked.status_code == 429
    assert "Too many failed attempts" in braked.text
    web_state(site.app.state).throttle.succeeded(":mallory")  # leave the others alone


def test_sign_in_with_an_api_key(site: Site) -> None:
    client = site.client()
    page = client.get("/login")
    data = {"csrf_token": form_token(page.text), "api_key": site.key}
    response = client.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 303
    body = client.get("/leads").text
    assert "API key " + site.key.split("_")[1] in body
    bad = {"csrf_token": form_token(client.get("/login").text), "api_key": site.key + "x"}
    assert site.client().post("/login", data=bad).status_code in (401, 403)


def test_json_twins_take_an_api_key_header(site: Site) -> None:
    client = site.client()
    ok = client.get("/leads.json", headers={"Authorization": f"Bearer {site.key}"})
    assert ok.status_code == 200
    assert client.get("/leads.json", headers={"X-API-Key": site.key}).status_code == 200
    assert (
        client.get("/leads.json", headers={"X-API-Key": "lsk_000000000000_nope"}).status_code == 401
    )


def test_posts_need_the_sessions_csrf_token(client: TestClient) -> None:
    page = client.get("/leads").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    data = {"name": "hot ones", "grade": "hot"}
    refused = client.post("/segments", data=data, follow_redirects=False)
    assert refused.status_code == 403
    refused = client.post("/segments", data={**data, "csrf_token": "x" * 43})
    assert refused.status_code == 403
    cross = client.post(
        "/segments",
        data={**data, "csrf_token": token.group(1)},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert cross.status_code == 403
    header = client.post(
        "/segments", data=data, headers={"X-CSRF-Token": token.group(1)}, follow_redirects=False
    )
    assert header.status_code == 303


def test_sign_out_ends_the_session(site: Site) -> None:
    client = site.signed_in()
    page = client.get("/leads").text
    token = form_token(page)
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    cookie = client.cookies.get("ls_session")
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert client.get("/leads", follow_redirects=False).status_code == 303
    replay = site.client()
    replay.cookies.set("ls_session", cookie)
    assert replay.get("/leads.json").status_code == 401  # the old cookie is dead


def test_a_deleted_user_is_signed_out(site: Site) -> None:
    with site.runtime.reader() as store:
        create_user(store, "temp", "temporary password", 1)
    client = site.client()
    assert sign_in(client, "temp", "temporary password").status_code == 303
    assert client.get("/leads.json").status_code == 200
    with site.runtime.reader() as store:
        delete_user(store, "temp")
    assert client.get("/leads.json").status_code == 401
