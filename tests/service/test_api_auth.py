"""API keys: every route but /health needs one; revoked keys fail; workspaces are isolated;
no key or webhook secret reaches the logs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from leadscore.errors import LeadscoreError
from leadscore.service.auth import check_key, key_hash, list_keys, parse_key, revoke_key
from leadscore.timeutil import UNIT_US, iso
from tests.service.api_fixtures import (  # noqa: F401  (fixtures)
    Api,
    api_fixture,
    new_key,
    two_workspaces_fixture,
)

DAY = UNIT_US["d"]


def _routes(api: Api) -> list[tuple[str, str]]:
    """Every (method, path) of the API, with sample path parameters."""
    schema = api.client.get("/api/v1/openapi.json").json()
    out = []
    for path, item in schema["paths"].items():
        concrete = (
            path.replace("{contact_id}", "ann")
            .replace("{version}", "1")
            .replace("{endpoint_id}", "x")
            .replace("{delivery_id}", "x")
        )
        out += [(method.upper(), concrete) for method in item if method != "parameters"]
    return out


def test_every_route_but_health_needs_a_key(api: Api) -> None:
    routes = _routes(api)
    assert len(routes) >= 25
    for method, path in routes:
        response = api.client.request(method, path)
        if path == "/api/v1/health":
            assert response.status_code == 200
            continue
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]["code"] == "unauthorized"


def test_wrong_malformed_and_revoked_keys_fail_alike(api: Api) -> None:
    assert api.get("/contacts").status_code == 200
    key_id, secret = api.key.split("_", 2)[1:]
    other_id, other = new_key(api.runtime, "other")
    variants = [
        {"Authorization": f"Bearer lsk_{key_id}_{secret[:-1]}x"},  # wrong secret
        {"Authorization": f"Bearer lsk_{'0' * 12}_{secret}"},  # unknown key id
        {"Authorization": f"Bearer {api.key[:-5]}"},  # malformed
        {"Authorization": f"Basic {api.key}"},  # wrong scheme
        {"Authorization": "Bearer "},
        {"X-API-Key": "nonsense"},
        {"Authorization": f"Bearer {other.upper()}"},
    ]
    bodies = set()
    for headers in variants:
        response = api.client.get("/api/v1/contacts", headers=headers)
        assert response.status_code == 401, headers
        bodies.add(response.text)
    assert len(bodies) == 1  # the answer never says which part was wrong
    # X-API-Key works as well as the bearer header
    assert api.client.get("/api/v1/contacts", headers={"X-API-Key": other}).status_code == 200
    with api.runtime.reader() as store:
        revoked = revoke_key(store, other_id)
    assert revoked.revoked_at_us is not None
    assert api.client.get("/api/v1/contacts", headers={"X-API-Key": other}).status_code == 401
    assert api.get("/contacts").status_code == 200  # the first key still works


def test_keys_are_stored_hashed(api: Api) -> None:
    rows = api.rows("SELECT key_id, key_hash FROM api_keys WHERE key_id = ?", [api.key_id])
    assert rows == [{"key_id": api.key_id, "key_hash": key_hash(api.key)}]
    assert parse_key(api.key) == api.key_id
    with api.runtime.reader() as store:
        assert check_key(store, api.key)
        assert not check_key(store, api.key + "x")
        names = [(k.key_id, k.name, k.active) for k in list_keys(store)]
        assert names == [(api.key_id, "tests", True)]
        with pytest.raises(LeadscoreError, match="no API key with id 'aaaaaaaaaaaa'"):
            revoke_key(store, "aaaaaaaaaaaa")
        with pytest.raises(LeadscoreError, match="not a key id"):
            revoke_key(store, "lsk_x")
    assert api.key not in str(api.rows("SELECT * FROM api_keys"))


def test_workspaces_are_isolated(two_workspaces: tuple[Api, Api]) -> None:
    alpha, beta = two_workspaces
    ts = iso(alpha.clock.now - DAY)
    assert alpha.put("/contacts/ann", json={"attributes": {"title": "VP"}}).status_code == 200
    alpha.runtime.flush()
    assert alpha.post("/events", json={"contact_id": "ann", "type": "demo_request", "ts": ts})
    alpha.runtime.flush()
    # beta's key sees nothing of alpha, and cannot write to alpha's contact
    assert beta.get("/contacts/ann").status_code == 404
    assert beta.get("/contacts").json()["total"] == 0
    assert beta.get("/contacts/ann/history").status_code == 404
    refused = beta.post("/events", json={"contact_id": "ann", "type": "demo_request", "ts": ts})
    assert refused.status_code == 422
    assert beta.put("/contacts/ann", json={"attributes": {"title": "Intern"}}).json() == {
        "status": "inserted",
        "contact_id": "ann",
    }
    beta.runtime.flush()
    assert alpha.get("/contacts/ann").json()["attributes"] == {"title": "VP"}
    assert alpha.get("/contacts/ann").json()["score"]["total"] == 80
    assert beta.get("/contacts/ann").json()["score"]["total"] == 0
    assert alpha.count("events") == 1
    assert beta.count("events") == 0
    # a key opens its own workspace only
    assert alpha.rows("SELECT key_id FROM api_keys") == [{"key_id": alpha.key_id}]
    crossed = alpha.client.get("/api/v1/alerts", headers={"X-API-Key": beta.key})
    assert crossed.status_code == 200
    assert crossed.json()["total"] == 0
    assert alpha.get("/alerts").json()["total"] == 1


def test_no_secret_in_logs(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _, key = new_key(api.runtime, "logged?")
    api.put("/contacts/ann", json={})
    api.client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {key}"})
    api.client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {key}x"})
    api.client.get("/api/v1/contacts", headers={"X-API-Key": key[:-3]})
    secret = "a-webhook-secret-of-ours-123"
    created = api.post(
        "/webhooks",
        json={"url": "https://user:pw@hooks.example/x", "secret": secret},
    )
    assert created.status_code == 422
    created = api.post("/webhooks", json={"url": "https://hooks.example/x", "secret": secret})
    assert created.status_code == 201, created.text
    assert created.json()["secret"] == secret
    api.post(f"/webhooks/{created.json()['endpoint_id']}/test")
    assert api.get(f"/webhooks/{created.json()['endpoint_id']}").json().get("secret") is None
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "refused GET /api/v1/contacts: no valid API key" in text  # the logs were captured
    for leaked in (key, key[:-3], key.split("_", 2)[2], api.key, secret, "user:pw"):
        assert leaked not in text


def test_the_key_ring_reads_a_key_once_on_duckdb_and_every_time_on_postgres(
    engine: Callable[[], Any],
) -> None:
    """A DuckDB file is this process's alone while it is open: a key found valid is
    remembered until this process revokes one. PostgreSQL may be changed by another process
    at any time (``leadscore keys revoke``): every check reads the key's row."""
    from leadscore.service.auth import KeyRing, create_key

    store = engine()
    store.init_schema()
    key_id, key = create_key(store, "ring")
    reads = []

    @contextmanager
    def reader() -> Iterator[Any]:
        reads.append(1)
        yield store

    ring = KeyRing({"w": reader})
    exclusive = store.dialect == "duckdb"
    assert ring.workspace_of(key) == "w"
    assert ring.workspace_of(key) == "w"
    assert len(reads) == (1 if exclusive else 2)
    assert (ring.remembered(key) == "w") is exclusive
    assert ring.workspace_of(key + "x") is None  # a wrong key is never remembered
    if not exclusive:  # revoked by "another process": plain SQL, not this process's revoke_key
        store.execute("UPDATE api_keys SET revoked_at_us = 1 WHERE key_id = ?", [key_id])
        assert ring.workspace_of(key) is None
    else:
        revoke_key(store, key_id)
        assert ring.remembered(key) is None
        assert ring.workspace_of(key) is None
    store.close()
