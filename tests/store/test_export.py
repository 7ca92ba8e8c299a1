"""Exports of stored scores: formats, columns, filters, errors, and all-or-nothing files."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from leadscore.errors import LeadscoreError
from leadscore.model import load_model, load_model_text
from leadscore.model.spec import Model
from leadscore.records import (
    Account,
    Contact,
    Event,
    accounts_table,
    contacts_table,
    events_table,
)
from leadscore.scoring.leads import scored_rows, top_leads
from leadscore.scoring.run import score_store
from leadscore.store import export as export_module
from leadscore.store.duckdb_store import DuckStore
from leadscore.store.export import export_scores
from leadscore.store.workspace import example_model_path
from leadscore.timeutil import iso, to_us

T = to_us("2025-06-30T00:00:00Z")
DAY = 86_400_000_000


def _contacts() -> list[Contact]:
    vp = {
        "job_title": "VP Marketing",
        "department": "marketing",
        "company_size": "200",
        "industry": "Software",
        "country": "US",
    }
    return [
        Contact("ada@acme.com", {**vp, "email": "ada@acme.com"}, T - 300 * DAY, "acme"),
        Contact("ben@acme.com", {**vp, "job_title": "Marketing Manager"}, None, "acme"),
        Contact("cy@globex.io", {**vp, "email": "cy@globex.io"}, None, "globex"),
        Contact("dee@gmail.com", {"job_title": "Student", "email": "dee@gmail.com"}),
        Contact("eve@initech.com", {"job_title": "Engineer", "country": "BR"}, None, "initech"),
        Contact("fay@acme.com", {"job_title": "CEO", "company_size": "5000"}, None, "acme"),
    ]


def _events() -> list[Event]:
    out = []
    for i, (contact, kind, days_ago, url) in enumerate(
        [
            ("ada@acme.com", "demo_request", 3, None),
            ("ada@acme.com", "trial_signup", 10, None),
            ("ada@acme.com", "page_view", 2, "/pricing"),
            ("ada@acme.com", "webinar_attended", 20, None),
            ("ben@acme.com", "content_download", 15, None),
            ("ben@acme.com", "email_click", 5, None),
            ("cy@globex.io", "page_view", 1, "/pricing/enterprise"),
            ("cy@globex.io", "demo_request", 40, None),
            ("dee@gmail.com", "newsletter_signup", 100, None),
            ("fay@acme.com", "unsubscribe", 30, None),
        ]
    ):
        props = {"url": url} if url else {}
        out.append(Event(f"ev{i}", contact, kind, T - days_ago * DAY, props))
    return out


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model(example_model_path())


def scored_store(model: Model) -> DuckStore:
    s = DuckStore()
    s.init_schema()
    s.append_arrow("contacts", contacts_table(_contacts()))
    s.append_arrow("events", events_table(_events()))
    s.append_arrow("accounts", accounts_table([Account("acme", {"employees": "1500"})]))
    score_store(s, model, T)
    return s


@pytest.fixture(scope="module")
def store(model: Model) -> Iterator[DuckStore]:
    """Scored once for the module; tests only read it."""
    with scored_store(model) as s:
        yield s


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_csv_has_every_column_and_matches_the_stored_scores(
    store: DuckStore, model: Model, tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    assert export_scores(store, model, path) == 6
    rows = read_csv(path)
    with path.open(encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    assert header == [
        "contact_id",
        "account_id",
        "email",
        "total",
        "fit",
        "engagement",
        "grade",
        "stage",
        "matrix",
        "reasons",
        "as_of",
        "model",
    ]
    expected = top_leads(store, model, n=100)
    assert [r["contact_id"] for r in rows] == [e["contact_id"] for e in expected]
    for got, want in zip(rows, expected, strict=True):
        assert float(got["total"]) == pytest.approx(want["total"], rel=1e-12)
        assert float(got["fit"]) == pytest.approx(want["fit"], rel=1e-12)
        assert (got["grade"], got["stage"], got["matrix"]) == (
            want["grade"],
            want["stage"],
            want["matrix"],
        )
        assert got["reasons"] == want["reasons"]
        assert got["as_of"] == iso(T) == "2025-06-30T00:00:00Z"
        assert got["model"] == "b2b-saas"
    emails = {r["contact_id"]: r["email"] for r in rows}
    assert emails["ada@acme.com"] == "ada@acme.com"
    assert emails["ben@acme.com"] == ""  # no email attribute
    totals = [float(r["total"]) for r in rows]
    assert totals == sorted(totals, reverse=True)
    # the data spans the grades, so the filters below select something and leave something out
    assert {r["grade"] for r in rows} == {"hot", "warm", "cold"}


@pytest.mark.parametrize(
    "filters",
    [
        {"grade": ["hot"]},
        {"grade": ["warm", "cold"]},
        {"stage": ["MQL", "SQL"]},
        {"min_score": 30.0},
        {"limit": 2},
        {"grade": ["cold"], "limit": 1},
        {"min_score": 1000.0},
    ],
)
def test_filters(store: DuckStore, model: Model, tmp_path: Path, filters: dict[str, Any]) -> None:
    path = tmp_path / "leads.csv"
    n = export_scores(store, model, path, **filters)
    got = [r["contact_id"] for r in read_csv(path)]
    want = [r["contact_id"] for r in scored_rows(store, **filters)]
    assert got == want
    assert n == len(want)
    everyone = scored_rows(store)
    kept = [
        r["contact_id"]
        for r in everyone
        if r["grade"] in filters.get("grade", [r["grade"]])
        and r["stage"] in filters.get("stage", [r["stage"]])
        and r["total"] >= filters.get("min_score", -1.0)
    ][: filters.get("limit")]
    assert got == kept


def test_jsonl_parquet_and_gzip_read_back_the_same(
    store: DuckStore, model: Model, tmp_path: Path
) -> None:
    export_scores(store, model, tmp_path / "leads.csv")
    reference = read_csv(tmp_path / "leads.csv")
    export_scores(store, model, tmp_path / "leads.jsonl")
    lines = (tmp_path / "leads.jsonl").read_text(encoding="utf-8").splitlines()
    from_jsonl = [json.loads(line) for line in lines]
    export_scores(store, model, tmp_path / "leads.parquet")
    table = pq.read_table(tmp_path / "leads.parquet")
    assert str(table.schema.field("total").type) == "double"
    from_parquet = table.to_pylist()
    export_scores(store, model, tmp_path / "leads.csv.gz")
    with gzip.open(tmp_path / "leads.csv.gz", "rt", encoding="utf-8", newline="") as f:
        from_gzip = list(csv.DictReader(f))
    assert from_gzip == reference
    for rows in (from_jsonl, from_parquet):
        assert [r["contact_id"] for r in rows] == [r["contact_id"] for r in reference]
        assert [r["total"] for r in rows] == [float(r["total"]) for r in reference]
        assert [r["reasons"] for r in rows] == [r["reasons"] for r in reference]
        no_email = next(r for r in rows if r["contact_id"] == "ben@acme.com")
        assert no_email["email"] is None


def test_format_option_overrides_the_extension(
    store: DuckStore, model: Model, tmp_path: Path
) -> None:
    path = tmp_path / "leads.out"
    with pytest.raises(LeadscoreError, match="cannot tell the format"):
        export_scores(store, model, path)
    export_scores(store, model, path, fmt="jsonl")
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[0])["contact_id"]


def test_accounts_export(store: DuckStore, model: Model, tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    assert export_scores(store, model, path, entity="accounts") == 1
    (row,) = read_csv(path)
    assert row["account_id"] == "acme"
    assert set(row) == {
        "account_id",
        "total",
        "account",
        "grade",
        "stage",
        "reasons",
        "as_of",
        "model",
    }
    assert row["grade"] in {"target", "nurture", "monitor"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"grade": ["hott"]}, "unknown grade 'hott'; the grades are: 'hot', 'warm', 'cold'"),
        ({"stage": ["mql"]}, "Did you mean 'MQL'?"),
        ({"fmt": "xlsx"}, "unknown export format 'xlsx'"),
        ({"entity": "people"}, "cannot export people"),
        ({"limit": -1}, "limit must be 0 or more"),
    ],
)
def test_user_errors_leave_no_file(
    store: DuckStore, model: Model, tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    path = tmp_path / "leads.csv"
    with pytest.raises(LeadscoreError, match=message.replace("?", r"\?")):
        export_scores(store, model, path, **options)
    assert list(tmp_path.iterdir()) == []


def test_no_scores_yet(model: Model, tmp_path: Path) -> None:
    with DuckStore() as empty:
        empty.init_schema()
        with pytest.raises(LeadscoreError, match="no contacts have been scored yet"):
            export_scores(empty, model, tmp_path / "leads.csv")
    with scored_store(model) as scored:
        scored.con.execute("DROP TABLE deal_scores")
        with pytest.raises(LeadscoreError, match="no deals have been scored yet"):
            export_scores(scored, model, tmp_path / "deals.csv", entity="deals")
    assert list(tmp_path.iterdir()) == []


def test_scores_of_another_model(store: DuckStore, tmp_path: Path) -> None:
    text = example_model_path().read_text(encoding="utf-8").replace("name: b2b-saas", "name: v2")
    with pytest.raises(LeadscoreError, match="come from model 'b2b-saas', not 'v2'"):
        export_scores(store, load_model_text(text), tmp_path / "leads.csv")


def test_a_failure_midway_leaves_no_file_and_keeps_the_old_one(
    store: DuckStore, tmp_path: Path
) -> None:
    # same name, one rule more: the stored scores lack its columns, found before any row
    text = example_model_path().read_text(encoding="utf-8")
    changed = load_model_text(
        text.replace(
            "      - id: newsletter\n",
            "      - id: podcast\n        points: 3\n        event: podcast_listen\n"
            "      - id: newsletter\n",
        )
    )
    path = tmp_path / "leads.parquet"
    with pytest.raises(LeadscoreError, match=r"lack the column 'r_podcast__points'.*score again"):
        export_scores(store, changed, path)
    assert list(tmp_path.iterdir()) == []
    path = tmp_path / "leads.csv"
    path.write_text("old export\n", encoding="utf-8")
    with pytest.raises(LeadscoreError):
        export_scores(store, changed, path)
    assert path.read_text(encoding="utf-8") == "old export\n"
    assert list(tmp_path.iterdir()) == [path]


def test_an_unexpected_error_while_writing_leaves_no_file(
    store: DuckStore, model: Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(handle: Any, columns: list[str], rows: Iterator[dict[str, Any]]) -> int:
        handle.write("contact_id\n" + next(rows)["contact_id"] + "\n")
        raise OSError("disk full")

    monkeypatch.setattr(export_module, "_write_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        export_scores(store, model, tmp_path / "leads.csv")
    assert list(tmp_path.iterdir()) == []
