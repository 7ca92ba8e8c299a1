"""`leadscore keys` and `leadscore rescore` on a workspace database; `serve` help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from leadscore.cli import service_commands  # noqa: F401  (registers the commands)
from leadscore.cli.app import main
from leadscore.service.auth import check_key
from leadscore.store.workspace import Workspace


def leadscore(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["leadscore", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_keys_create_list_revoke(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace.init(tmp_path / "ws")
    code, out, err = leadscore(
        ["keys", "create", "crm sync", "-w", str(ws.root)], capsys, monkeypatch
    )
    assert code == 0, err
    key = out.strip()
    assert key.startswith("lsk_")
    assert "shown only now" in err
    with ws.store() as store:
        assert check_key(store, key)
    code, out, _ = leadscore(
        ["keys", "list", "-w", str(ws.root), "-f", "json"], capsys, monkeypatch
    )
    assert code == 0
    assert '"name": "crm sync"' in out
    assert key not in out
    key_id = key.split("_")[1]
    code, out, _ = leadscore(["keys", "revoke", key_id, "-w", str(ws.root)], capsys, monkeypatch)
    assert (code, out.strip()) == (0, f"revoked key {key_id} ('crm sync') of workspace 'ws'")
    with ws.store() as store:
        assert not check_key(store, key)
    code, _, err = leadscore(["keys", "revoke", "0" * 12, "-w", str(ws.root)], capsys, monkeypatch)
    assert code == 1
    assert err.strip() == f"error: no API key with id '{'0' * 12}' in this workspace"
    code, _, err = leadscore(["keys", "create", " ", "-w", str(ws.root)], capsys, monkeypatch)
    assert code == 1
    assert err.startswith("error: a key name has 1 to 100 characters")


def test_rescore_works_on_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace.init(tmp_path / "ws")
    code, out, err = leadscore(["rescore", "-w", str(ws.root), "-f", "json"], capsys, monkeypatch)
    assert code == 0, err
    assert '"mode": "time"' in out
    code, out, err = leadscore(
        ["rescore", "-w", str(ws.root), "--full", "-f", "json"], capsys, monkeypatch
    )
    assert code == 0, err
    assert '"mode": "full"' in out
    with ws.store() as store:
        assert store.scalar("SELECT count(*) FROM model_versions WHERE status = 'published'") == 1
    code, _, err = leadscore(["rescore", "-w", str(tmp_path / "none")], capsys, monkeypatch)
    assert code == 1
    assert "is not a leadscore workspace" in err


def test_serve_refuses_a_missing_workspace_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = leadscore(["serve", "-w", str(tmp_path / "none")], capsys, monkeypatch)
    assert code == 1
    assert err.startswith("error: ")
    assert "\n" not in err.strip()


def test_help_does_not_import_the_web_stack() -> None:
    code = (
        "import sys; import leadscore.cli.service_commands; "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_serve_passes_its_options_to_the_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scorer's wait and the refresh interval reach the runtime's settings; a negative
    wait is refused."""
    from leadscore.service import server
    from leadscore.service.settings import ServiceSettings

    seen: list[ServiceSettings] = []
    monkeypatch.setattr(server, "serve", seen.append)
    args = ["serve", "-w", str(tmp_path), "--score-delay", "0.25", "--refresh-interval", "60"]
    code, _, _ = leadscore(args, capsys, monkeypatch)
    assert code == 0
    assert (seen[0].runtime.score_delay_s, seen[0].runtime.refresh_interval_s) == (0.25, 60.0)
    code, _, err = leadscore(["serve", "--score-delay", "-1"], capsys, monkeypatch)
    assert code != 0
    assert "score-delay" in err
