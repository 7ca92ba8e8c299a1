"""The service's documentation keeps up with its command: every option of `leadscore serve` is
in the options tables of docs/service.md and docs/api.md."""

from __future__ import annotations

from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _serve_options() -> list[str]:
    from typer.main import get_command

    from leadscore.cli import service_commands
    from leadscore.cli.app import app

    assert service_commands  # registers the command
    command = get_command(app).commands["serve"]  # type: ignore[attr-defined]
    return sorted(o for p in command.params for o in p.opts if o.startswith("--"))


@pytest.mark.parametrize("page", ["service.md", "api.md"])
def test_every_serve_option_is_documented(page: str) -> None:
    options = _serve_options()
    assert "--db" in options
    assert "--refresh-interval" in options
    lines = (DOCS / page).read_text("utf-8").splitlines()
    rows = [line for line in lines if line.startswith("| `")]
    missing = [o for o in options if not any(f"`{o}" in row or f" {o}" in row for row in rows)]
    assert not missing, f"{page} does not document {missing}"
