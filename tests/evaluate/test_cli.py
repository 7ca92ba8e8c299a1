"""`leadscore evaluate / compare / thresholds / funnel / drift` on a small demo workspace."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import leadscore.cli.evaluate_commands  # noqa: F401  (registers the commands)
from leadscore.cli.app import main
from leadscore.cli.evaluate_commands import parse_capacity

AS_OF = "2025-02-01"


def run(
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


@pytest.fixture
def ws(demo_workspace) -> list[str]:  # type: ignore[no-untyped-def]
    return ["-w", str(demo_workspace.root)]


@pytest.fixture
def challenger(demo_workspace, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    text = demo_workspace.model_path.read_text()
    path = tmp_path / "challenger.yaml"
    path.write_text(text.replace("points: 12\n", "points: 25\n"))
    return str(path)


def test_evaluate_table_json_csv_and_report(capsys, monkeypatch, ws, challenger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(["evaluate", "active", "--as-of", AS_OF, *ws], capsys, monkeypatch)
    assert code == 0
    assert "ROC AUC" in out
    assert "gains and lift by decile" in out
    assert "conversion by grade" in out

    args = ["evaluate", "active", challenger, "--as-of", AS_OF, "--rolling", "2", "--every", "30d"]
    report = tmp_path / "out" / "backtest.html"
    code, out, err = run(
        [*args, *ws, "--format", "json", "--report", str(report)], capsys, monkeypatch
    )
    assert code == 0, err
    payload = json.loads(out)
    assert payload["as_of"] == ["2025-01-02T00:00:00Z", "2025-02-01T00:00:00Z"]
    assert len(payload["evaluations"]) == 4
    first = payload["evaluations"][0]
    assert 0 <= first["roc_auc"] <= 1
    assert first["gains"]
    assert first["by_grade"]
    html = report.read_text()
    assert "Rolling backtest" in html
    assert "Cumulative gains" in html
    assert "wrote report" in err

    code, out, _ = run(
        ["evaluate", "active", "--as-of", AS_OF, "--format", "csv", *ws], capsys, monkeypatch
    )
    lines = out.strip().splitlines()
    assert lines[0].startswith("scorer,as_of,leads,conversions,base_rate,roc_auc")
    assert len(lines) == 2


def test_evaluate_defaults_to_the_latest_observed_date(capsys, monkeypatch, ws) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(
        ["evaluate", "active", "--horizon", "60d", "--format", "json", *ws], capsys, monkeypatch
    )
    assert code == 0
    (as_of,) = json.loads(out)["as_of"]
    assert as_of.startswith("2025-04-")  # the demo data ends 2025-06-30: 60 days before


def test_compare(capsys, monkeypatch, ws, challenger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = tmp_path / "compare.html"
    args = ["compare", "active", challenger, "--as-of", AS_OF, "--bootstrap", "50", *ws]
    code, out, _ = run([*args, "--report", str(report)], capsys, monkeypatch)
    assert code == 0
    assert "challenger minus champion" in out
    assert "Grade changes" in out
    assert "Champion vs challenger" in report.read_text()
    code, out, _ = run([*args, "--format", "json"], capsys, monkeypatch)
    (comparison,) = json.loads(out)["comparisons"]
    assert comparison["bootstrap"] == {"replicates": 50, "seed": 0, "level": 0.95}
    diff = comparison["comparisons"][0]["auc_difference"]
    assert diff["low"] <= diff["estimate"] <= diff["high"]


def test_thresholds(capsys, monkeypatch, ws) -> None:  # type: ignore[no-untyped-def]
    args = ["thresholds", "active", "--as-of", AS_OF, "--weeks", "3", *ws]
    code, out, _ = run([*args, "--capacity", "20/month", "--format", "json"], capsys, monkeypatch)
    assert code == 0
    payload = json.loads(out)
    assert payload["goal"] == "capacity"
    assert payload["advice"]["per_week"] <= 20 * 7 / (365.25 / 12) + 1e-9
    code, out, _ = run([*args, "--precision", "0.2"], capsys, monkeypatch)
    assert code == 0
    assert "Thresholds over 3 weeks" in out


def test_funnel(capsys, monkeypatch, ws, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(["funnel", "--by", "quarter", "--format", "csv", *ws], capsys, monkeypatch)
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("stage,reached,share_of_first,next_stage,conversion,drop_off")
    assert [line.split(",")[0] for line in lines[1:]] == [
        "awareness",
        "engagement",
        "exploration",
        "sql",
        "customer",
    ]
    config = tmp_path / "f.yaml"
    config.write_text(
        "stages:\n"
        "  - {name: a, when: [{event: page_view}]}\n"
        "  - {name: b, when: [{outcome: won}]}\n"
    )
    report = tmp_path / "funnel.html"
    code, out, _ = run(
        ["funnel", "--config", str(config), "--report", str(report), *ws], capsys, monkeypatch
    )
    assert code == 0
    assert "largest drop-off" in out
    assert "Funnel by cohort" in report.read_text()


def test_drift(capsys, monkeypatch, ws) -> None:  # type: ignore[no-untyped-def]
    periods = ["--period", "2024-10-01..2024-12-31", "--period", "2025-04-01..2025-06-30"]
    code, out, _ = run(["drift", "active", *periods, "--format", "json", *ws], capsys, monkeypatch)
    assert code == 0
    features = json.loads(out)["features"]
    assert features[0]["feature"] == "score"
    assert {f["level"] for f in features} <= {"stable", "moderate", "large"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "no-such-model"], "is not a model"),
        (["evaluate", "active", "--horizon", "90x"], "--horizon"),
        (["evaluate", "active", "--as-of", "2025-06-01"], "not fully observed"),
        (["evaluate", "active", "--as-of", "someday"], "--as-of"),
        (["thresholds", "active", "--capacity", "5", "--precision", "0.2"], "not both"),
        (["thresholds", "active", "--capacity", "lots/week"], "--capacity"),
        (["drift", "active", "--period", "2025-01-01..2025-02-01"], "twice"),
        (["drift", "active", "--period", "2025-01-01", "--period", "x..y"], "START..END"),
        (["funnel", "--config", "missing.yaml"], "not found"),
        (["funnel", "--by", "decade"], "--by must be"),
    ],
)
def test_user_errors_are_one_line(args, message, capsys, monkeypatch, ws) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run([*args, *ws], capsys, monkeypatch)
    assert code == 1
    assert err.startswith("error: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_parse_capacity() -> None:
    assert parse_capacity("50/week") == 50
    assert parse_capacity("50") == 50
    assert parse_capacity("10/day") == 70
    assert parse_capacity("10/days") == 70
    assert parse_capacity("365.25/month") == pytest.approx(7 * 12)
