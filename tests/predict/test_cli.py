"""``leadscore train``, ``predict`` and ``models``: thin adapters over the library."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from leadscore.cli.app import app


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from leadscore.demo import build_workspace

    path = tmp_path_factory.mktemp("ws") / "demo"
    build_workspace(path, contacts=1000, seed=4)
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The command line in this process (the predictive commands registered)."""
    import typer.main

    from leadscore.cli import predict_commands  # noqa: F401
    from leadscore.errors import LeadscoreError

    command = typer.main.get_command(app)
    code = 0
    try:
        returned = command.main(args=args, prog_name="leadscore", standalone_mode=False)
        code = returned if isinstance(returned, int) else 0  # typer.Exit(n) returns n
    except LeadscoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    except SystemExit as exc:
        code = int(exc.code or 0)
    except Exception as exc:  # click's usage and exit exceptions
        code = int(getattr(exc, "exit_code", 1))
        print(str(exc), file=sys.stderr)
    out, err = capsys.readouterr()
    return code, out, err


def test_train_predict_and_models(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = ["-w", str(workspace)]
    code, out, err = run(["models", "list", *w], capsys)
    assert code == 0
    assert "no trained models yet" in out
    code, out, err = run(
        ["train", *w, "--horizon", "60d", "--kind", "logistic", "--seed", "2", "--jobs", "1"],
        capsys,
    )
    assert code == 0, err
    assert "model: logistic" in out
    assert "ROC AUC" in out
    first = out.strip().splitlines()[-1].split()[2]
    assert first.startswith("pm-")
    args = ["train", *w, "--horizon", "30d", "--no-rules", "--no-activate", "-f", "json"]
    code, out, err = run(args, capsys)
    assert code == 0, err
    second = json.loads(out)
    assert second["kind"] == "logistic"  # auto, with few conversions
    assert any("too few" in m for m in second["messages"])
    assert second["active"] is False
    code, out, err = run(["models", "list", *w, "-f", "json"], capsys)
    listed = json.loads(out)
    assert [(r["model_id"], r["active"]) for r in listed] == [
        (first, "*"),
        (second["model_id"], ""),
    ]
    code, out, err = run(["models", "show", first, *w], capsys)
    assert code == 0
    assert f"{first} (active)" in out
    assert "horizon 60 days" in out
    assert "pricing page views, last 30 days" in out
    code, out, err = run(["models", "activate", second["model_id"], *w], capsys)
    assert code == 0
    code, out, err = run(["predict", *w, "--as-of", "2025-06-30", "-f", "json"], capsys)
    assert code == 0, err
    row = json.loads(out)[0]
    assert row["model"] == second["model_id"]
    assert row["scored"] == 1000
    assert row["as_of"] == "2025-06-30T00:00:00Z"
    from leadscore.scoring.run import score_workspace
    from leadscore.store.workspace import Workspace
    from leadscore.timeutil import to_us

    score_workspace(Workspace.open(workspace), as_of_us=to_us("2025-06-30"))
    code, out, err = run(["predictions", *w, "-n", "3", "--top", "2", "-f", "json"], capsys)
    assert code == 0, err
    shown = json.loads(out)
    assert len(shown) == 3
    assert shown[0]["probability"] >= shown[1]["probability"] >= shown[2]["probability"]
    assert shown[0]["grade"] is not None  # the rule side, next to the predictive score
    assert 1 <= len(shown[0]["positive"]) <= 2
    assert all(f["contribution"] > 0 for f in shown[0]["positive"])
    code, out, err = run(["predictions", shown[2]["contact_id"], *w, "-f", "csv"], capsys)
    assert code == 0, err
    header, line = out.strip().splitlines()
    assert header.split(",")[:2] == ["contact_id", "predictive_score"]
    assert line.startswith(f"{shown[2]['contact_id']},{shown[2]['predictive_score']},")


def test_user_errors_are_one_line(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = ["-w", str(workspace)]
    code, _, err = run(["models", "activate", "pm-nope", *w], capsys)
    assert code == 1
    assert "no model 'pm-nope'" in err
    code, _, err = run(["train", *w, "--horizon", "36h"], capsys)
    assert code == 1
    assert "whole days" in err
