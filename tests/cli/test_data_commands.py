"""`leadscore import` and `leadscore export`: thin adapters, one-line errors, exit codes."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from leadscore.cli.app import main
from leadscore.store.workspace import Workspace

CONTACTS_CSV = """\
Email,First Name,Job Title,Company Size,Country,Create Date
ada@acme.com,Ada,VP Marketing,200,US,2024-01-05
ben@acme.com,Ben,Marketing Manager,1500,DE,2024-02-01
dee@gmail.com,Dee,Student,,BR,2024-03-01
"""

EVENTS_CSV = """\
contact_id,type,ts,url
ada@acme.com,demo_request,2025-06-27T10:00:00Z,
ada@acme.com,page_view,2025-06-28T10:00:00Z,/pricing
ben@acme.com,email_click,2025-06-20,
"""

MAP = [
    "--map",
    "contact_id=Email",
    "--map",
    "email=Email",
    "--map",
    "job_title=Job Title",
    "--map",
    "company_size=Company Size",
    "--map",
    "country=Country",
    "--map",
    "created_at=Create Date",
]


def leadscore(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """Run the command line in this process, as the ``leadscore`` script does."""
    monkeypatch.setattr(sys, "argv", ["leadscore", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    Workspace.init(root)
    (tmp_path / "contacts.csv").write_text(CONTACTS_CSV, encoding="utf-8")
    (tmp_path / "events.csv").write_text(EVENTS_CSV, encoding="utf-8")
    return root


def test_import_with_mapping_then_json_summary(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["import", "contacts", str(tmp_path / "contacts.csv"), "-w", str(ws), *MAP]
    code, out, err = leadscore(args, capsys, monkeypatch)
    assert code == 0, err
    assert "Imported contacts" in out
    code, out, _ = leadscore([*args, "-f", "json"], capsys, monkeypatch)
    assert code == 0
    summary = json.loads(out)
    assert summary["read"] == 3
    assert (summary["inserted"], summary["duplicates"], summary["rejected"]) == (0, 3, 0)
    with Workspace.open(ws).store(read_only=True) as store:
        ids = [r["contact_id"] for r in store.rows("SELECT contact_id FROM contacts ORDER BY 1")]
    assert ids == ["ada@acme.com", "ben@acme.com", "dee@gmail.com"]


def test_rejected_rows_table_and_rejects_file(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = "contact_id,type,ts\n" + "".join(f"c{i},page_view,June {i}\n" for i in range(25))
    source = tmp_path / "bad.csv"
    source.write_text(bad + "c99,page_view,2025-06-01\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    args = ["import", "events", str(source), "-w", str(ws), "--rejects", str(rejects)]
    code, out, err = leadscore(args, capsys, monkeypatch)
    assert code == 0
    assert "first 20 of 25" in out
    assert "ISO 8601" in out
    assert str(rejects) in err
    with rejects.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 25
    assert rows[0] == {
        "file": "bad.csv",
        "line": "2",
        "field": "ts",
        "value": "'June 0'",
        "reason": rows[0]["reason"],
    }
    assert [int(r["line"]) for r in rows] == list(range(2, 27))


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (EVENTS_CSV.replace(",", ";"), [], "is the delimiter ';'? use --delimiter ';'"),
        ("", [], "the file is empty"),
        (EVENTS_CSV + 'x,page_view,2025-06-01,"/open', [], "ends inside a quoted field"),
        (EVENTS_CSV, ["--map", "contact_id"], "--map takes target=source"),
        (EVENTS_CSV, ["--map", "contact_id=Emial"], "there is no column 'Emial'"),
    ],
)
def test_broken_input_is_one_line_on_stderr_and_exit_1(
    ws: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    content: str,
    extra: list[str],
    message: str,
) -> None:
    source = tmp_path / "broken.csv"
    source.write_text(content, encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    args = ["import", "events", str(source), "-w", str(ws), "--rejects", str(rejects), *extra]
    code, out, err = leadscore(args, capsys, monkeypatch)
    assert code == 1
    assert out == ""
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert message in err
    assert "Traceback" not in err
    assert not rejects.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "broken.csv",
        "contacts.csv",
        "events.csv",
        "ws",
    ]


def test_export_after_scoring(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    w = ["-w", str(ws)]
    steps = [
        ["import", "contacts", str(tmp_path / "contacts.csv"), *w, *MAP],
        ["import", "events", str(tmp_path / "events.csv"), *w],
        ["score", "--as-of", "2025-06-30", *w],
    ]
    for args in steps:
        code, _, err = leadscore(args, capsys, monkeypatch)
        assert code == 0, err
    out_file = tmp_path / "leads.csv"
    code, out, err = leadscore(["export", str(out_file), *w], capsys, monkeypatch)
    assert code == 0, err
    assert out.strip() == f"wrote 3 contacts to {out_file}"
    with out_file.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["contact_id"] == "ada@acme.com"
    assert rows[0]["email"] == "ada@acme.com"
    assert rows[0]["as_of"] == "2025-06-30T00:00:00Z"
    parquet = tmp_path / "cold.parquet"
    code, out, _ = leadscore(
        ["export", str(parquet), "--grade", "cold", "--limit", "1", *w], capsys, monkeypatch
    )
    assert code == 0
    assert out.startswith("wrote 1 contacts")
    code, out, err = leadscore(
        ["export", str(tmp_path / "x.csv"), "--grade", "Hot", *w], capsys, monkeypatch
    )
    assert code == 1
    assert (
        err == "error: unknown grade 'Hot'; the grades are: 'hot', 'warm', 'cold'. "
        "Did you mean 'hot'?\n"
    )
    assert not (tmp_path / "x.csv").exists()


def test_help_has_examples(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for command in ("import", "export"):
        code, out, _ = leadscore([command, "--help"], capsys, monkeypatch)
        assert code == 0
        assert f"Example: leadscore {command}" in out


def test_the_installed_script(ws: Path, tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("leadscore")
    if not script.exists():
        pytest.skip("the leadscore script is not installed next to this Python")
    broken = tmp_path / "broken.csv"
    broken.write_text(EVENTS_CSV.replace(",", "|"), encoding="utf-8")
    result = subprocess.run(
        [str(script), "import", "events", str(broken), "-w", str(ws)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == (
        "error: broken.csv: the header has a single column 'contact_id|type|ts|url' and no "
        "contact_id, type, ts column; is the delimiter '|'? use --delimiter '|'\n"
    )
    result = subprocess.run(
        [str(script), "import", "events", str(broken), "-w", str(ws), "--delimiter", "|"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Imported events" in result.stdout


def test_rejects_file_in_a_missing_folder(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rejects = tmp_path / "no-such-folder" / "rejects.csv"
    args = ["import", "events", str(tmp_path / "events.csv"), "-w", str(ws)]
    code, out, err = leadscore([*args, "--rejects", str(rejects)], capsys, monkeypatch)
    assert (code, out) == (1, "")
    assert err.startswith("error: --rejects: cannot write")
    assert err.count("\n") == 1
    with Workspace.open(ws).store(read_only=True) as store:
        assert store.count("events") == 0
