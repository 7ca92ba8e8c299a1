"""File imports: formats, mapping, rejected rows, reconciliation, idempotency, broken files."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from leadscore.errors import LeadscoreError
from leadscore.store.duckdb_store import DuckStore
from leadscore.store.imports import (
    DelimiterError,
    EmptyFileError,
    FileEncodingError,
    ImportReport,
    MalformedFileError,
    MissingColumnsError,
    RowProblem,
    TruncatedFileError,
    import_file,
    merge,
)
from leadscore.store.schema import DATA_TABLES
from leadscore.timeutil import to_us
from leadscore.values import from_json

NOW = to_us("2025-07-01T12:00:00Z")

CONTACTS_CSV = """\
contact_id,account_id,created_at,job_title,company_size,country
jane@acme.com,acme,2024-01-05,VP Marketing,250,US
omar@globex.io,globex,2024-02-11T09:30:00Z,Marketing Manager,1200,DE
li@initech.com,initech,2024-03-02,Student,,CN
"""

EVENTS_CSV = """\
event_id,contact_id,type,ts,url
e1,jane@acme.com,page_view,2025-06-01T10:00:00Z,/pricing
e2,jane@acme.com,demo_request,2025-06-02T10:00:00Z,
e3,omar@globex.io,email_open,2025-06-03,
"""


@pytest.fixture
def store() -> Iterator[DuckStore]:
    with DuckStore() as s:
        s.init_schema()
        yield s


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def run(store: DuckStore, kind: str, path: Path, **options: Any) -> ImportReport:
    options.setdefault("now_us", NOW)
    report = import_file(store, kind, path, **options)
    assert report.reconciles(), report.summary()
    return report


def snapshot(store: DuckStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every data table, in a stable order."""
    out = {}
    for table in DATA_TABLES:
        rows = store.con.execute(f"SELECT * FROM {table}").fetchall()
        out[table] = sorted(rows, key=repr)
    return out


def attributes(store: DuckStore, contact_id: str) -> dict[str, str]:
    text = store.scalar("SELECT attributes FROM contacts WHERE contact_id = ?", [contact_id])
    return from_json(text)


# formats --------------------------------------------------------------------------------------


def test_csv_contacts(store: DuckStore, tmp_path: Path) -> None:
    report = run(store, "contacts", write(tmp_path, "contacts.csv", CONTACTS_CSV))
    assert (report.read, report.inserted, report.updated, report.rejected) == (3, 3, 0, 0)
    assert store.count("contacts") == 3
    assert attributes(store, "li@initech.com") == {"job_title": "Student", "country": "CN"}
    row = store.rows("SELECT * FROM contacts WHERE contact_id = 'omar@globex.io'")[0]
    assert row["account_id"] == "globex"
    assert row["created_at_us"] == to_us("2024-02-11T09:30:00Z")
    assert row["updated_at_us"] == NOW


def test_tsv_gzip_bom_and_crlf(store: DuckStore, tmp_path: Path) -> None:
    text = "\ufeff" + CONTACTS_CSV.replace(",", "\t").replace("\n", "\r\n")
    path = tmp_path / "contacts.tsv.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    report = run(store, "contacts", path)
    assert report.format == "tsv"
    assert report.inserted == 3
    assert attributes(store, "jane@acme.com")["country"] == "US"  # no stray \r


def test_explicit_format_and_delimiter(store: DuckStore, tmp_path: Path) -> None:
    path = write(tmp_path, "export.txt", CONTACTS_CSV.replace(",", ";"))
    with pytest.raises(LeadscoreError, match="cannot tell the format"):
        import_file(store, "contacts", path)
    report = run(store, "contacts", path, fmt="csv", delimiter=";")
    assert report.inserted == 3


def test_jsonl_with_nested_properties_and_physical_line_numbers(
    store: DuckStore, tmp_path: Path
) -> None:
    lines = [
        {
            "contact_id": "jane@acme.com",
            "type": "page_view",
            "ts": "2025-06-01T10:00:00Z",
            "properties": {"url": "/pricing", "utm": {"source": "google"}},
        },
        None,  # a blank line
        {
            "contact_id": "jane@acme.com",
            "type": "form_submit",
            "ts": "2025-06-02T10:00:00Z",
            "form": "contact-sales",
            "fields": 4,
        },
        "{not json",
        [1, 2, 3],
        {"contact_id": "omar@globex.io", "type": "page_view", "ts": "in a while"},
    ]
    text = "".join(
        "\n" if item is None else (item if isinstance(item, str) else json.dumps(item)) + "\n"
        for item in lines
    )
    report = run(store, "events", write(tmp_path, "events.jsonl", text))
    assert (report.read, report.inserted, report.rejected) == (5, 2, 3)
    assert [(p.line, p.field) for p in report.problems] == [(4, "(line)"), (5, "(line)"), (6, "ts")]
    assert "not valid JSON" in report.problems[0].reason
    stored = {r["type"]: from_json(r["properties"]) for r in store.rows("SELECT * FROM events")}
    assert stored == {
        "page_view": {"url": "/pricing", "utm.source": "google"},
        "form_submit": {"form": "contact-sales", "fields": "4"},
    }


def test_parquet_with_typed_columns_and_row_numbers(store: DuckStore, tmp_path: Path) -> None:
    table = pa.table(
        {
            "contact_id": ["jane@acme.com", "omar@globex.io", None],
            "type": ["page_view", "webinar_attended", "page_view"],
            "ts": pa.array(
                [to_us("2025-06-01T10:00:00Z"), to_us("2025-06-02T00:00:00Z"), 0],
                pa.timestamp("us", tz="UTC"),
            ),
            "duration_min": pa.array([None, 45, 1], pa.int64()),
            "page": pa.array(
                [{"url": "/pricing", "title": "Pricing"}, None, None],
                pa.struct([("url", pa.string()), ("title", pa.string())]),
            ),
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    report = run(store, "events", path)
    assert (report.inserted, report.rejected) == (2, 1)
    assert report.problems[0].line == 3
    assert report.problems[0].field == "contact_id"
    rows = {r["type"]: r for r in store.rows("SELECT * FROM events")}
    assert rows["page_view"]["ts_us"] == to_us("2025-06-01T10:00:00Z")
    assert from_json(rows["page_view"]["properties"]) == {
        "page.url": "/pricing",
        "page.title": "Pricing",
    }
    assert from_json(rows["webinar_attended"]["properties"]) == {"duration_min": "45"}


# mapping --------------------------------------------------------------------------------------

HUBSPOT_CSV = """\
Record ID,First Name,Email,Company Name,Job Title,Create Date,Lifecycle Stage
101,Jane,jane@acme.com,Acme,VP Marketing,2024-01-05 09:12:00,lead
102,Omar,omar@globex.io,Globex,Director of Sales,2024-02-11 14:03:00,marketingqualifiedlead
"""


def test_crm_export_mapped_by_email(store: DuckStore, tmp_path: Path) -> None:
    path = write(tmp_path, "hubspot.csv", HUBSPOT_CSV)
    mapping = {
        "contact_id": "Email",
        "email": "Email",
        "created_at": "Create Date",
        "job_title": "Job Title",
    }
    report = run(store, "contacts", path, mapping=mapping)
    assert report.inserted == 2
    assert attributes(store, "jane@acme.com") == {
        "Record ID": "101",
        "First Name": "Jane",
        "email": "jane@acme.com",
        "Company Name": "Acme",
        "job_title": "VP Marketing",
        "Lifecycle Stage": "lead",
    }
    created = store.scalar("SELECT created_at_us FROM contacts WHERE contact_id = 'jane@acme.com'")
    assert created == to_us("2024-01-05T09:12:00Z")


def test_mapping_to_a_missing_column_lists_the_columns(store: DuckStore, tmp_path: Path) -> None:
    path = write(tmp_path, "hubspot.csv", HUBSPOT_CSV)
    with pytest.raises(MissingColumnsError) as info:
        import_file(store, "contacts", path, mapping={"contact_id": "Emial"})
    message = str(info.value)
    assert "no column 'Emial'" in message
    assert "Did you mean 'Email'?" in message
    assert "Record ID, First Name, Email" in message


def test_mapping_over_an_existing_column_is_refused(store: DuckStore, tmp_path: Path) -> None:
    path = write(tmp_path, "contacts.csv", CONTACTS_CSV)
    with pytest.raises(LeadscoreError, match="has a column 'contact_id'"):
        import_file(store, "contacts", path, mapping={"contact_id": "job_title"})


def test_mapping_in_jsonl(store: DuckStore, tmp_path: Path) -> None:
    text = '{"Email": "a@x.io", "Stage": "lead"}\n{"Email": "b@x.io"}\n'
    path = write(tmp_path, "c.jsonl", text)
    report = run(store, "contacts", path, mapping={"contact_id": "Email"})
    assert report.inserted == 2
    with pytest.raises(MissingColumnsError, match="no line has a field 'mail'"):
        import_file(store, "contacts", path, mapping={"contact_id": "mail"})


def test_missing_required_columns(store: DuckStore, tmp_path: Path) -> None:
    path = write(tmp_path, "events.csv", "contact,type,timestamp\njane@acme.com,page_view,2025\n")
    with pytest.raises(MissingColumnsError) as info:
        import_file(store, "events", path)
    assert "contact_id, ts" in str(info.value)
    assert "--map contact_id=COLUMN" in str(info.value)


# rejected rows --------------------------------------------------------------------------------

BAD_EVENTS_CSV = (
    "contact_id,type,ts,note\n"  # 1
    "jane@acme.com,page_view,2025-06-01T10:00:00Z,ok\n"  # 2
    ",page_view,2025-06-01T10:00:00Z,no contact\n"  # 3
    "jane@acme.com,page_view,01/06/2025,not iso\n"  # 4
    "jane@acme.com,page_view,2025-07-03T12:00:00Z,future\n"  # 5
    "jane@acme.com,page_view,1969-12-31,too old\n"  # 6
    'jane@acme.com,page_view,2025-06-01T11:00:00Z,"a note\n'  # 7
    'over two lines"\n'  # 8
    "jane@acme.com,,2025-06-01T10:00:00Z,no type\n"  # 9
    "jane@acme.com,page_view\n"  # 10
    "jane@acme.com\x01x,page_view,2025-06-01T10:00:00Z,control\n"  # 11
    "jane@acme.com,page_view,2025-06-01T10:00:00Z,ok\n"  # 12 (same as line 2)
)


def test_every_rejection_has_its_line_field_and_reason(store: DuckStore, tmp_path: Path) -> None:
    seen: list[RowProblem] = []
    report = run(
        store, "events", write(tmp_path, "events.csv", BAD_EVENTS_CSV), on_reject=seen.append
    )
    got = [(p.line, p.field) for p in report.problems]
    assert got == [
        (3, "contact_id"),
        (4, "ts"),
        (5, "ts"),
        (6, "ts"),
        (9, "type"),
        (10, "(line)"),
        (11, "contact_id"),
    ]
    reasons = {p.line: p.reason for p in report.problems}
    assert "is required" in reasons[3]
    assert "ISO 8601" in reasons[4]
    assert "clock-skew" in reasons[5]
    assert "before 1970" in reasons[6]
    assert "has 2 fields but the header has 4" in reasons[10]
    assert "control character" in reasons[11]
    assert report.problems[1].value == "'01/06/2025'"
    assert seen == report.problems
    # read = accepted + rejected + duplicates, and the database holds what was accepted
    assert (report.read, report.inserted, report.rejected, report.duplicates) == (10, 2, 7, 1)
    assert store.count("events") == report.accepted
    note = store.scalar(
        "SELECT properties FROM events WHERE ts_us = ?", [to_us("2025-06-01T11:00Z")]
    )
    assert from_json(note) == {"note": "a note\nover two lines"}


def test_unnamed_columns_and_empty_lines(store: DuckStore, tmp_path: Path) -> None:
    text = "contact_id,title,\na,VP,\n,,\n\nb,CEO,oops\n"
    report = run(store, "contacts", write(tmp_path, "c.csv", text))
    assert (report.read, report.inserted, report.rejected) == (2, 1, 1)
    (problem,) = report.problems
    assert (problem.line, problem.field) == (5, "(unnamed column)")
    assert attributes(store, "a") == {"title": "VP"}


def test_only_the_first_1000_problems_are_detailed(store: DuckStore, tmp_path: Path) -> None:
    body = "".join(f"c{i},page_view,not-a-date\n" for i in range(1500))
    seen: list[RowProblem] = []
    report = run(
        store,
        "events",
        write(tmp_path, "e.csv", "contact_id,type,ts\n" + body),
        on_reject=seen.append,
    )
    assert report.rejected == 1500
    assert len(report.problems) == 1000
    assert len(seen) == 1500
    assert seen[-1].line == 1501


# idempotency, duplicates, updates ------------------------------------------------------------


def test_reimporting_the_same_file_adds_nothing(store: DuckStore, tmp_path: Path) -> None:
    with_ids = write(tmp_path, "events.csv", EVENTS_CSV)
    without_ids = write(tmp_path, "events2.csv", BAD_EVENTS_CSV)
    contacts = write(tmp_path, "contacts.csv", CONTACTS_CSV)
    first = [
        run(store, k, p)
        for k, p in (("contacts", contacts), ("events", with_ids), ("events", without_ids))
    ]
    before = snapshot(store)
    second = [
        run(store, k, p)
        for k, p in (("contacts", contacts), ("events", with_ids), ("events", without_ids))
    ]
    assert snapshot(store) == before
    for a, b in zip(first, second, strict=True):
        assert b.inserted == 0
        assert b.updated == 0
        assert b.duplicates == a.accepted + a.duplicates
        assert b.rejected == a.rejected


def test_duplicates_inside_one_file(store: DuckStore, tmp_path: Path) -> None:
    text = EVENTS_CSV + "e1,jane@acme.com,page_view,2025-06-09T10:00:00Z,/other\n"
    report = run(store, "events", write(tmp_path, "events.csv", text))
    assert (report.read, report.inserted, report.duplicates) == (4, 3, 1)
    # the first row of an id wins
    url = store.scalar("SELECT properties FROM events WHERE event_id = 'e1'")
    assert from_json(url) == {"url": "/pricing"}


def test_contacts_update_and_merge(store: DuckStore, tmp_path: Path) -> None:
    run(store, "contacts", write(tmp_path, "contacts.csv", CONTACTS_CSV))
    changes = (
        "contact_id,account_id,created_at,job_title,company_size,country,phone\n"
        "jane@acme.com,acme,2024-01-05,VP Marketing,250,US,\n"  # identical: duplicate
        "omar@globex.io,,,CMO,,,+49 30 1234\n"  # new title and phone, the rest kept
        "li@initech.com,initech-cn,,,,,\n"  # new account
        "ana@umbrella.com,umbrella,,Founder,40,PT,\n"  # new contact
    )
    report = run(store, "contacts", write(tmp_path, "changes.csv", changes), now_us=NOW + 1)
    assert (report.inserted, report.updated, report.duplicates) == (1, 2, 1)
    assert attributes(store, "omar@globex.io") == {
        "job_title": "CMO",
        "company_size": "1200",
        "country": "DE",
        "phone": "+49 30 1234",
    }
    omar = store.rows("SELECT * FROM contacts WHERE contact_id = 'omar@globex.io'")[0]
    assert omar["account_id"] == "globex"
    assert omar["created_at_us"] == to_us("2024-02-11T09:30:00Z")
    assert omar["updated_at_us"] == NOW + 1
    jane = store.rows("SELECT * FROM contacts WHERE contact_id = 'jane@acme.com'")[0]
    assert jane["updated_at_us"] == NOW  # untouched
    li = store.scalar("SELECT account_id FROM contacts WHERE contact_id = 'li@initech.com'")
    assert li == "initech-cn"
    assert store.count("contacts") == 4


def test_repeated_contact_in_one_file_is_applied_in_order(store: DuckStore, tmp_path: Path) -> None:
    text = (
        "contact_id,job_title,country\n"
        "ana@umbrella.com,Founder,PT\n"
        "ana@umbrella.com,Founder,PT\n"
        "ana@umbrella.com,CEO,\n"
    )
    report = run(store, "contacts", write(tmp_path, "c.csv", text))
    assert (report.inserted, report.duplicates, report.updated) == (1, 1, 1)
    assert attributes(store, "ana@umbrella.com") == {"job_title": "CEO", "country": "PT"}


def test_deals_link_contacts_and_merge_links(store: DuckStore, tmp_path: Path) -> None:
    first = "deal_id,account_id,contact_ids,amount\nd1,acme,jane@acme.com;omar@globex.io,30000\n"
    run(store, "deals", write(tmp_path, "d1.csv", first))
    second = 'deal_id,contact_ids\nd1,"[""li@initech.com"", ""jane@acme.com""]"\nd1,\n'
    report = run(store, "deals", write(tmp_path, "d2.csv", second))
    assert (report.updated, report.duplicates) == (1, 1)
    links = store.con.execute("SELECT contact_id FROM deal_contacts ORDER BY 1").fetchall()
    assert [c for (c,) in links] == ["jane@acme.com", "li@initech.com", "omar@globex.io"]
    deal = store.rows("SELECT * FROM deals")[0]
    assert (deal["account_id"], from_json(deal["attributes"])) == ("acme", {"amount": "30000"})
    repeated = "deal_id,contact_ids,stage\nd2,a;b,open\nd2,b;c,won\n"
    report = run(store, "deals", write(tmp_path, "d3.csv", repeated))
    assert (report.inserted, report.updated) == (1, 1)
    links = store.con.execute(
        "SELECT contact_id FROM deal_contacts WHERE deal_id = 'd2'"
    ).fetchall()
    assert sorted(c for (c,) in links) == ["a", "b", "c"]
    stage = store.scalar("SELECT attributes FROM deals WHERE deal_id = 'd2'")
    assert from_json(stage) == {"stage": "won"}


def test_accounts_and_outcomes(store: DuckStore, tmp_path: Path) -> None:
    accounts = "account_id,created_at,employees,industry\nacme,2020-01-01,1200,Software\n"
    assert run(store, "accounts", write(tmp_path, "a.csv", accounts)).inserted == 1
    outcomes = (
        '{"contact_id": "jane@acme.com", "type": "Won", "ts": "2025-06-20", "value": 42000}\n'
        '{"contact_id": "omar@globex.io", "type": "churned", "ts": "2025-06-20"}\n'
    )
    report = run(store, "outcomes", write(tmp_path, "o.ndjson", outcomes))
    assert (report.inserted, report.rejected) == (1, 1)
    assert "Did you mean" not in report.problems[0].reason
    row = store.rows("SELECT type, value FROM outcomes")[0]
    assert row == {"type": "won", "value": 42000.0}
    again = run(store, "outcomes", write(tmp_path, "o.ndjson", outcomes))
    assert (again.inserted, again.duplicates) == (0, 1)


def test_progress_reports_bytes_up_to_the_file_size(store: DuckStore, tmp_path: Path) -> None:
    path = write(tmp_path, "events.csv", EVENTS_CSV)
    seen: list[int] = []
    run(store, "events", path, progress=seen.append)
    assert seen
    assert seen[-1] == path.stat().st_size


# broken files ---------------------------------------------------------------------------------


def _parquet_cut(folder: Path) -> Path:
    path = folder / "events.parquet"
    pq.write_table(pa.table({"contact_id": ["a"], "type": ["x"], "ts": ["2025-01-01"]}), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _gzip_cut(folder: Path) -> Path:
    path = folder / "events.csv.gz"
    data = gzip.compress((EVENTS_CSV * 50).encode())
    path.write_bytes(data[: len(data) - 20])
    return path


BROKEN: dict[str, tuple[Any, type[Exception], str]] = {
    "latin-1 bytes": (
        lambda d: write(
            d, "events.csv", EVENTS_CSV + "e4,rené@acme.fr,page_view,2025-06-04,\n", "latin-1"
        ),
        FileEncodingError,
        "line 5 is not valid utf-8 (bytes e9 at byte offset",
    ),
    "open quote at the end": (
        lambda d: write(d, "events.csv", EVENTS_CSV + 'e4,x,page_view,2025-06-04,"/unfinished\n'),
        TruncatedFileError,
        "starts on line 5",
    ),
    "cut JSON line": (
        lambda d: write(
            d,
            "events.jsonl",
            '{"contact_id": "a", "type": "x", "ts": "2025-06-01"}\n{"contact_id": "b", "ty',
        ),
        TruncatedFileError,
        "last line (2)",
    ),
    "cut parquet": (_parquet_cut, TruncatedFileError, "cannot read it as Parquet"),
    "cut gzip": (_gzip_cut, TruncatedFileError, "cut short"),
    "semicolons": (
        lambda d: write(d, "events.csv", EVENTS_CSV.replace(",", ";")),
        DelimiterError,
        "is the delimiter ';'? use --delimiter ';'",
    ),
    "tabs": (
        lambda d: write(d, "events.csv", EVENTS_CSV.replace(",", "\t")),
        DelimiterError,
        "use --delimiter '\\t'",
    ),
    "empty": (lambda d: write(d, "events.csv", ""), EmptyFileError, "empty"),
    "only blank lines": (lambda d: write(d, "events.jsonl", "\n\n"), EmptyFileError, "empty"),
    "empty parquet": (lambda d: write(d, "events.parquet", ""), EmptyFileError, "empty"),
    "missing columns": (
        lambda d: write(d, "events.csv", "event_id,contact_id,url\ne1,a,/x\n"),
        MissingColumnsError,
        "missing: type, ts",
    ),
    "stray quote": (
        lambda d: write(d, "events.csv", EVENTS_CSV + 'e5,"a"b,page_view,2025-06-04,\n'),
        MalformedFileError,
        "line 5: malformed CSV",
    ),
    "repeated column": (
        lambda d: write(d, "events.csv", "contact_id,type,ts,url,url\n"),
        MalformedFileError,
        "'url' appears twice",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_files_change_nothing(case: str, store: DuckStore, tmp_path: Path) -> None:
    run(store, "contacts", write(tmp_path, "contacts.csv", CONTACTS_CSV))
    run(store, "events", write(tmp_path, "first.csv", EVENTS_CSV.replace("e", "f", 1)))
    before = snapshot(store)
    make, error, message = BROKEN[case]
    path = make(tmp_path)
    with pytest.raises(error) as info:
        import_file(store, "events", path, now_us=NOW)
    assert message in str(info.value)
    assert isinstance(info.value, LeadscoreError)
    assert "\n" not in str(info.value)
    assert snapshot(store) == before
    temp_tables = store.scalar(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name LIKE '_leadscore%'"
    )
    assert temp_tables == 0


def test_a_failure_while_merging_rolls_everything_back(
    store: DuckStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(store, "contacts", write(tmp_path, "contacts.csv", CONTACTS_CSV))
    before = snapshot(store)
    changes = "contact_id,job_title\nnew@acme.com,CTO\njane@acme.com,CMO\n"
    path = write(tmp_path, "changes.csv", changes)

    def fail(*args: Any) -> None:
        raise RuntimeError("disk full")

    # the new contact is inserted first, then the update of jane fails
    monkeypatch.setattr(merge, "_merge_complex", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(store, "contacts", path, now_us=NOW)
    assert snapshot(store) == before
    monkeypatch.undo()
    report = run(store, "contacts", path)
    assert (report.inserted, report.updated) == (1, 1)


def test_encoding_error_far_into_a_file(store: DuckStore, tmp_path: Path) -> None:
    good = "".join(f"c{i},page_view,2025-06-01\n" for i in range(30_000))
    path = tmp_path / "events.csv"
    path.write_bytes(b"contact_id,type,ts\n" + good.encode() + b"c\xff,page_view,2025-06-01\n")
    with pytest.raises(FileEncodingError, match="line 30002 is not valid utf-8"):
        import_file(store, "events", path, now_us=NOW)
    assert store.count("events") == 0
    report = run(store, "events", path, encoding="latin-1")
    assert report.inserted == 30_001


def test_user_mistakes_are_clear(store: DuckStore, tmp_path: Path) -> None:
    path = write(tmp_path, "events.csv", EVENTS_CSV)
    with pytest.raises(LeadscoreError, match=r"unknown kind 'event'.*Did you mean 'events'"):
        import_file(store, "event", path)
    with pytest.raises(LeadscoreError, match="file not found"):
        import_file(store, "events", tmp_path / "nope.csv")
    with pytest.raises(LeadscoreError, match="unknown format 'xlsx'"):
        import_file(store, "events", path, fmt="xlsx")
    with pytest.raises(LeadscoreError, match="unknown encoding"):
        import_file(store, "events", path, encoding="utf-9")
    with pytest.raises(LeadscoreError, match="one character"):
        import_file(store, "events", path, delimiter=";;")


def test_the_docs_name_every_field_format_and_error() -> None:
    from leadscore.store import imports
    from leadscore.store.imports import rows
    from leadscore.store.imports.source import FORMATS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "importing.md").read_text("utf-8")
    fields = set().union(
        rows.CONTACT_FIELDS,
        rows.EVENT_FIELDS,
        rows.OUTCOME_FIELDS,
        rows.ACCOUNT_FIELDS,
        rows.DEAL_FIELDS,
    )
    errors = [
        name
        for name in imports.__all__
        if isinstance(getattr(imports, name), type) and name.endswith("Error")
    ]
    for name in sorted(fields) + list(FORMATS) + errors:
        assert f"`{name}" in doc, name
