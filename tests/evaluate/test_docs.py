"""docs/backtesting.md documents every option of the commands and every funnel key."""

from __future__ import annotations

from pathlib import Path

import pytest

import leadscore.cli.evaluate_commands  # noqa: F401  (registers the commands)
from leadscore.evaluate.funnel_config import FunnelConfig, Selector, Stage

DOCS = Path(__file__).resolve().parents[2] / "docs" / "backtesting.md"
COMMANDS = ("evaluate", "compare", "thresholds", "funnel", "drift")


def options(command: str) -> list[str]:
    import typer.main

    from leadscore.cli.app import app

    group = typer.main.get_command(app)
    found = group.commands[command]  # type: ignore[attr-defined]
    return [o for p in found.params for o in p.opts if o.startswith("--")]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_is_documented(command: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert f"leadscore {command}" in text
    missing = [o for o in options(command) if f"`{o}" not in text and f" {o}" not in text]
    assert not missing, f"{command}: document {missing} in {DOCS.name}"


def test_every_funnel_key_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    keys = {*FunnelConfig.model_fields, *Stage.model_fields, *Selector.model_fields}
    missing = sorted(k for k in keys if f"`{k}`" not in text)
    assert not missing, f"document the funnel keys {missing} in {DOCS.name}"
