"""`leadscore users`: create (password asked twice or read from stdin), list, delete."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from leadscore.cli import web_commands  # noqa: F401  (registers the commands)
from leadscore.cli.app import main
from leadscore.store.workspace import Workspace
from leadscore.web.auth.users import authenticate


def leadscore(
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["leadscore", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_users_create_list_delete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace.init(tmp_path / "ws")
    where = ["-w", str(ws.root)]
    code, out, err = leadscore(
        ["users", "create", "Sam@Acme.example", *where, "--password-stdin"],
        capsys,
        monkeypatch,
        "a good password\n",
    )
    assert (code, out.strip()) == (0, "created user 'sam@acme.example' in workspace 'ws'"), err
    with ws.store() as store:
        assert authenticate(store, "sam@acme.example", "a good password", 1) == "sam@acme.example"
    code, _, err = leadscore(
        ["users", "create", "sam@acme.example", *where, "--password-stdin"],
        capsys,
        monkeypatch,
        "another password\n",
    )
    assert code == 1
    assert err.strip() == "error: user 'sam@acme.example' exists already in this workspace"
    code, _, err = leadscore(
        ["users", "create", "lee", *where, "--password-stdin"], capsys, monkeypatch, "short\n"
    )
    assert code == 1
    assert "at least 8 characters" in err
    code, out, _ = leadscore(["users", "list", *where, "-f", "json"], capsys, monkeypatch)
    assert code == 0
    assert '"username": "sam@acme.example"' in out
    assert "password" not in out
    code, out, _ = leadscore(["users", "delete", "SAM@acme.example", *where], capsys, monkeypatch)
    assert (code, out.strip()) == (0, "deleted user 'sam@acme.example' of workspace 'ws'")
    code, _, err = leadscore(["users", "delete", "sam@acme.example", *where], capsys, monkeypatch)
    assert code == 1
    assert "no user 'sam@acme.example'" in err


def test_the_password_prompt_asks_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from leadscore.cli.app import app

    ws = Workspace.init(tmp_path / "ws")
    runner = CliRunner()
    result = runner.invoke(
        app, ["users", "create", "kim", "-w", str(ws.root)], input="pw one!!\npw two!!\n"
    )
    assert result.exit_code != 0
    assert "the two passwords differ" in result.output
    result = runner.invoke(
        app, ["users", "create", "kim", "-w", str(ws.root)], input="pw one!!\npw one!!\n"
    )
    assert result.exit_code == 0, result.output
    assert "pw one!!" not in result.output


def test_help_does_not_import_the_web_framework() -> None:
    code = (
        "import sys\n"
        "from leadscore.cli import web_commands\n"
        "from leadscore.cli.app import app\n"
        "assert 'fastapi' not in sys.modules and 'jinja2' not in sys.modules, sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
