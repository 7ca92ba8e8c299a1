"""The app factory serving workspace folders itself (DuckDB files, or one PostgreSQL schema per
workspace): runtimes and webhook delivery workers start and stop with the app."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadscore.errors import LeadscoreError
from leadscore.service.app import create_app
from leadscore.service.auth import create_key
from leadscore.service.settings import RuntimeSettings, ServiceSettings
from leadscore.service.stores import workspace_schema, workspace_target, workspace_targets
from leadscore.store.workspace import Workspace
from leadscore.timeutil import UNIT_US, iso
from tests.service.conftest import MODEL, Clock

DAY = UNIT_US["d"]


def _workspace(root: Path, name: str) -> Path:
    model = root / f"{name}.yaml"
    model.write_text(MODEL, encoding="utf-8")
    Workspace.init(root / name, model=model, name=name)
    return root / name


def _key(folder: Path, db: str | None) -> str:
    target = workspace_target(folder, db)
    store = target.open_store()
    try:
        store.init_schema()
        return create_key(store, "app-test")[1]
    finally:
        store.close()


@pytest.fixture(params=["duckdb", "postgres"])
def database(request: pytest.FixtureRequest) -> str | None:
    return None if request.param == "duckdb" else str(request.getfixturevalue("postgres_url"))


def test_the_app_serves_workspace_folders_and_stops_them(
    tmp_path: Path, clock: Clock, database: str | None
) -> None:
    suffix = tmp_path.name[-6:].replace("-", "_")  # PostgreSQL schemas outlive one test
    folders = [_workspace(tmp_path, f"north_{suffix}"), _workspace(tmp_path, f"south_{suffix}")]
    keys = [_key(folder, database) for folder in folders]
    sent: list[tuple[str, bytes, Any]] = []

    def post(url: str, body: bytes, headers: Any) -> int:
        sent.append((url, body, headers))
        return 204

    settings = ServiceSettings(
        workspaces=tuple(str(f) for f in folders),
        database_url=database,
        runtime=RuntimeSettings(score_delay_s=0.01, refresh_interval_s=0, clock=clock),
    )
    app = create_app(settings, webhook_post=post)
    with TestClient(app) as client:
        north = {"Authorization": f"Bearer {keys[0]}"}
        south = {"X-API-Key": keys[1]}
        ready = client.get("/api/v1/ready", headers=north).json()
        assert ready["workspace"] == f"north_{suffix}"
        assert ready["model_version"] == 1  # seeded from the folder's model file
        hook = client.post("/api/v1/webhooks", headers=north, json={"url": "http://h.example/"})
        assert hook.status_code == 201
        client.put("/api/v1/contacts/ann", headers=north, json={"attributes": {"title": "VP"}})
        runtimes = app.state.runtimes
        runtimes[f"north_{suffix}"].flush()
        ts = iso(clock.now - DAY)
        event = {"contact_id": "ann", "type": "demo_request", "ts": ts}
        assert client.post("/api/v1/events", headers=north, json=event).status_code == 200
        runtimes[f"north_{suffix}"].flush()
        assert client.get("/api/v1/contacts/ann", headers=north).json()["score"]["grade"] == "hot"
        assert client.get("/api/v1/contacts/ann", headers=south).status_code == 404
        deadline = time.monotonic() + 10
        while not sent and time.monotonic() < deadline:  # the delivery worker sends the alert
            time.sleep(0.05)
        assert [url for url, _, _ in sent] == ["http://h.example/"]
    assert not any(r.healthy() for r in runtimes.values())  # stopped with the app


def test_workspace_names_map_to_schemas(tmp_path: Path) -> None:
    assert workspace_schema("acme") == "ls_acme"
    assert workspace_schema("Acme Corp").startswith("ls_acme_corp_")
    assert workspace_schema("Acme Corp") != workspace_schema("acme-corp")
    assert workspace_schema("名前").startswith("ls_workspace_")
    assert len(workspace_schema("x" * 300)) <= 63
    twin = tmp_path / "twin"
    _workspace(tmp_path, "same")
    Workspace.init(twin, model=tmp_path / "same.yaml", name="same")
    with pytest.raises(LeadscoreError, match="two workspaces are named 'same'"):
        workspace_targets([tmp_path / "same", twin])
    with pytest.raises(LeadscoreError, match="PostgreSQL URL"):
        workspace_target(twin, "mysql://x")
    with pytest.raises(LeadscoreError, match="not a leadscore workspace"):
        workspace_target(tmp_path / "nowhere")
