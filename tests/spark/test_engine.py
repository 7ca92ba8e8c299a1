"""Scoring on Spark (local mode) from files: the library call and ``leadscore score --engine
spark`` give what the embedded engine gives, for contacts, accounts and deals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from leadscore.demo import generate
from leadscore.errors import LeadscoreError
from leadscore.model import load_model
from leadscore.scoring.frames import score_frames
from leadscore.scoring.run import score_store
from leadscore.spark import score_spark, write_scores
from leadscore.store.duckdb_store import DuckStore
from leadscore.store.workspace import example_model_path
from tests.cli.test_data_commands import leadscore
from tests.compare import assert_same_rows

KEYS = {"contacts": "contact_id", "accounts": "account_id", "deals": "deal_id"}
TABLES = {"contacts": "scores", "accounts": "account_scores", "deals": "deal_scores"}


def _records(path: Path) -> list[dict[str, Any]]:
    return pq.read_table(path).to_pylist()


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """A small demo data set as Parquet in the stored layout (deals carry their contact ids)."""
    folder = tmp_path_factory.mktemp("demo-parquet")
    data = generate(contacts=300, seed=3)
    for name in ("contacts", "events", "accounts"):
        pq.write_table(data.tables()[name], folder / f"{name}.parquet")
    links: dict[str, list[str]] = {}
    for row in data.deal_contacts.to_pylist():
        links.setdefault(row["deal_id"], []).append(row["contact_id"])
    ids = [links.get(d, []) for d in data.deals.column("deal_id").to_pylist()]
    deals = data.deals.append_column("contact_ids", pa.array(ids, pa.list_(pa.string())))
    pq.write_table(deals, folder / "deals.parquet")
    return folder, data


def test_example_model_matches_duckdb_for_every_entity(
    spark: Any, demo_files: tuple[Path, Any], tmp_path: Path
) -> None:
    folder, data = demo_files
    model = load_model(example_model_path())
    as_of = data.spec.end_us
    with DuckStore() as store:
        store.init_schema()
        for name, table in data.tables().items():
            store.append_arrow(name, table)
        score_store(store, model, as_of)
        expected = {e: store.rows(f"SELECT * FROM {t}") for e, t in TABLES.items()}
    scores = score_spark(
        spark,
        model,
        str(folder / "contacts.parquet"),
        str(folder / "events.parquet"),
        as_of,
        accounts=str(folder / "accounts.parquet"),
        deals=str(folder / "deals.parquet"),
    )
    written = write_scores(scores, tmp_path / "out")
    assert set(written) == {"contacts", "accounts", "deals"}
    for entity, key in KEYS.items():
        got = _records(Path(written[entity]))
        assert len(expected[entity]) > 0
        # the stores add run_id; everything else (scores, grades, breakdown, as_of) must agree
        wanted = [{k: v for k, v in row.items() if k != "run_id"} for row in expected[entity]]
        assert_same_rows(got, wanted, key)


CONTACTS = pd.DataFrame(
    {
        "contact_id": ["ada@acme.com", "ben@acme.com", "cy@gmail.com", "dee@later.io"],
        "job_title": ["VP Marketing", "Engineer", "Student", "Head of Growth"],
        "company_size": [250, 40, None, 1200],
        "country": ["US", "DE", "BR", "GB"],
        "email": ["ada@acme.com", "ben@acme.com", "cy@gmail.com", "dee@later.io"],
        "created_at": pd.to_datetime(
            ["2024-01-05", "2024-02-01", "2024-03-01", "2025-07-15"], utc=True
        ),
    }
)
EVENTS = pd.DataFrame(
    {
        "contact_id": ["ada@acme.com", "ada@acme.com", "ben@acme.com", "ada@acme.com"],
        "type": ["demo_request", "page_view", "email_click", "page_view"],
        "ts": pd.to_datetime(
            ["2025-06-27T10:00", "2025-06-28T10:00", "2025-06-20T00:00", "2025-07-02T00:00"],
            utc=True,
        ),
        "url": [None, "/pricing", None, "/pricing"],
    }
)


def test_cli_scores_import_style_parquet_as_the_embedded_engine_does(
    spark: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    CONTACTS.to_parquet(tmp_path / "contacts.parquet")
    EVENTS.to_parquet(tmp_path / "events.parquet")
    out = tmp_path / "scores"
    args = ["score", "--engine", "spark", "--model", str(example_model_path())]
    args += ["--contacts", str(tmp_path / "contacts.parquet")]
    args += ["--events", str(tmp_path / "events.parquet"), "--out", str(out)]
    code, stdout, err = leadscore([*args, "--as-of", "2025-06-30"], capsys, monkeypatch)
    assert code == 0, err
    assert "contacts" in stdout
    got = _records(out / "contacts")
    expected = score_frames(example_model_path(), CONTACTS, EVENTS, as_of="2025-06-30")
    # dee is created after T and the event of 2025-07-02 is after T: neither counts
    assert sorted(r["contact_id"] for r in got) == ["ada@acme.com", "ben@acme.com", "cy@gmail.com"]
    wanted = [
        {k: (None if pd.isna(v) else v) for k, v in row.items()}
        for row in expected.to_dict("records")
    ]
    assert_same_rows(got, wanted, "contact_id")


def test_missing_column_names_the_file_and_the_columns(spark: Any, tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    EVENTS.drop(columns=["type"]).to_parquet(path)
    with pytest.raises(LeadscoreError) as caught:
        score_spark(spark, example_model_path(), _contacts_file(tmp_path), str(path), 0)
    message = str(caught.value)
    assert str(path) in message
    assert "no column 'type'" in message
    assert "contact_id, ts, url" in message


def _contacts_file(folder: Path) -> str:
    path = folder / "contacts.parquet"
    CONTACTS.to_parquet(path)
    return str(path)


def test_cli_spark_needs_contacts_and_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["score", "--engine", "spark", "--model", str(example_model_path())]
    code, _, err = leadscore(args, capsys, monkeypatch)
    assert code == 1
    assert "--engine spark needs --contacts and --out" in err
    code, _, err = leadscore(["score", "--contacts", "x.parquet"], capsys, monkeypatch)
    assert code == 1
    assert "--contacts apply to --engine spark" in err
