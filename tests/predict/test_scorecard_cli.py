"""``leadscore suggest``: on a demo workspace and on a plain CSV table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from leadscore.cli import evaluate_commands, suggest_commands  # noqa: F401  (registers them)
from leadscore.cli.app import app
from leadscore.demo import build_workspace
from leadscore.model import load_model, load_model_text

runner = CliRunner()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("suggest") / "ws"
    build_workspace(root, contacts=1500, seed=2, threads=2)
    return root


def test_suggest_writes_a_model_that_loads(workspace: Path) -> None:
    out = workspace / "suggested.yaml"
    args = ["suggest", "-w", str(workspace), "--max-rules", "8", "--horizon", "90d"]
    result = runner.invoke(app, [*args, "--scale", "minmax", "--out", str(out)])
    assert result.exit_code == 0, result.output
    model = load_model(out)
    assert 2 <= len(model.rules) <= 8
    assert model.total is not None
    assert (model.total.min, model.total.max) == (0, 100)
    assert "validation (time-ordered" in result.output
    assert f"wrote {out}" in result.output
    # the written file backtests next to the hand-written model, like any model file
    backtest = runner.invoke(
        app, ["evaluate", "active", str(out), "-w", str(workspace), "-f", "json"]
    )
    assert backtest.exit_code == 0, backtest.output
    found = {e["scorer"]: e for e in json.loads(backtest.stdout)["evaluations"]}
    assert set(found) == {"b2b-saas", "suggested"}
    assert found["suggested"]["leads"] == found["b2b-saas"]["leads"] > 500
    assert found["suggested"]["roc_auc"] > 0.6
    # an existing file is kept unless --force
    again = runner.invoke(app, [*args, "--out", str(out)])
    assert again.exit_code == 1
    assert "--force" in again.output
    forced = runner.invoke(app, [*args, "--out", str(out), "--force", "--format", "json"])
    assert forced.exit_code == 0, forced.output
    assert '"rules"' in forced.output


def test_suggest_from_a_csv_table_prints_the_model(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame(
        {
            "seats": rng.integers(1, 500, n),
            "plan": rng.choice(["free", "team", "business"], n),
        }
    )
    logit = -2 + 1.5 * (frame.plan == "business") + 0.8 * (frame.seats > 100)
    frame["y"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    path = tmp_path / "leads.csv"
    frame.to_csv(path, sep=";", index=False)
    result = runner.invoke(app, ["suggest", "--table", str(path), "--outcome", "y"])
    assert result.exit_code == 0, result.output
    model = load_model_text(result.stdout)  # the model on stdout, the summary on stderr
    assert "training set: 3,000 examples" in result.stderr
    ids = [rule.id for _, rule in model.rules]
    assert any(i.startswith("plan_") for i in ids)
    missing = runner.invoke(app, ["suggest", "--table", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1
    assert "table not found" in missing.output


def test_every_option_is_documented() -> None:
    import typer.main

    docs = Path(__file__).resolve().parents[2] / "docs" / "scorecards.md"
    text = docs.read_text(encoding="utf-8")
    command = typer.main.get_command(app).commands["suggest"]  # type: ignore[attr-defined]
    options = [o for p in command.params for o in p.opts if o.startswith("--")]
    assert "--table" in options
    missing = [o for o in options if f"`{o}" not in text and f" {o}" not in text]
    assert not missing, f"document {missing} in {docs.name}"
