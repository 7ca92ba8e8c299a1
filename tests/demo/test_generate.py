"""The demo data: deterministic, in the store's schema, internally consistent."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from leadscore.demo import DemoData, DemoSpec, generate, make_spec
from leadscore.store.schema import DATA_TABLES, TABLES
from leadscore.values import flatten, parse_number, to_json

DAY_US = 86_400_000_000
SQL_TO_ARROW = {"VARCHAR": pa.string(), "BIGINT": pa.int64(), "DOUBLE": pa.float64()}


def test_same_seed_same_tables() -> None:
    first, second = generate(600, seed=3), generate(600, seed=3)
    for name, table in first.tables().items():
        assert table.equals(second.tables()[name]), name
    assert first.truth.equals(second.truth)


def test_another_seed_other_data() -> None:
    first, second = generate(600, seed=3), generate(600, seed=4)
    assert first.contacts["attributes"] != second.contacts["attributes"]
    assert first.events["ts_us"] != second.events["ts_us"]
    assert first.truth["intent"] != second.truth["intent"]


def test_tables_have_exactly_the_store_columns(data: DemoData) -> None:
    tables = data.tables()
    assert set(tables) == set(DATA_TABLES)
    for name in DATA_TABLES:
        columns, _key = TABLES[name]
        table = tables[name]
        assert table.column_names == [c for c, _ in columns], name
        for column, sql_type in columns:
            assert table.schema.field(column).type == SQL_TO_ARROW[sql_type.split()[0]]
            if "NOT NULL" in sql_type:
                assert table[column].null_count == 0, f"{name}.{column}"
        assert table.num_rows > 0, name


def test_keys_are_unique_and_references_resolve(data: DemoData) -> None:
    for name in DATA_TABLES:
        key = TABLES[name][1]
        rows = data.tables()[name].select(list(key)).to_pylist()
        assert len({tuple(r.values()) for r in rows}) == len(rows), name
    contacts = set(data.contacts["contact_id"].to_pylist())
    accounts = set(data.accounts["account_id"].to_pylist())
    deals = set(data.deals["deal_id"].to_pylist())
    assert set(data.events["contact_id"].to_pylist()) <= contacts
    assert set(data.outcomes["contact_id"].to_pylist()) <= contacts
    assert set(pc.drop_null(data.contacts["account_id"]).to_pylist()) <= accounts
    assert set(data.deals["account_id"].to_pylist()) <= accounts
    assert set(data.deal_contacts["deal_id"].to_pylist()) == deals
    assert set(data.deal_contacts["contact_id"].to_pylist()) <= contacts
    assert data.truth["contact_id"].to_pylist() == data.contacts["contact_id"].to_pylist()


def test_times_fall_in_the_window(data: DemoData) -> None:
    end = data.spec.end_us
    assert end == int(datetime(2025, 6, 30, tzinfo=UTC).timestamp()) * 1_000_000
    assert DemoSpec() == make_spec()  # the defaults agree
    start = end - data.spec.days * DAY_US
    ts = data.events["ts_us"]
    assert pc.min(ts).as_py() >= start
    assert pc.max(ts).as_py() <= end
    received = data.events["received_at_us"]
    assert pc.all(pc.greater_equal(received, ts)).as_py()
    assert pc.max(received).as_py() <= end
    assert pc.max(data.contacts["created_at_us"]).as_py() <= end
    assert pc.min(data.contacts["created_at_us"]).as_py() < start  # some existed before
    assert pc.max(data.outcomes["ts_us"]).as_py() <= end
    assert pc.max(data.deals["created_at_us"]).as_py() <= end


def test_events_start_at_creation_and_stop_at_conversion(data: DemoData) -> None:
    created = {r["contact_id"]: r["created_at_us"] for r in data.contacts.to_pylist()}
    converted = {
        r["contact_id"]: r["converted_at_us"]
        for r in data.truth.to_pylist()
        if r["converted_at_us"] is not None
    }
    assert converted
    for event in data.events.select(["contact_id", "ts_us"]).to_pylist():
        assert event["ts_us"] >= created[event["contact_id"]]
        assert event["ts_us"] <= converted.get(event["contact_id"], data.spec.end_us)
    outcomes = {
        r["contact_id"]: r["ts_us"] for r in data.outcomes.to_pylist() if r["type"] == "converted"
    }
    assert outcomes == converted


def test_won_and_lost_follow_conversion(data: DemoData) -> None:
    converted = {
        r["contact_id"]: r["ts_us"] for r in data.outcomes.to_pylist() if r["type"] == "converted"
    }
    closed = [r for r in data.outcomes.to_pylist() if r["type"] in ("won", "lost")]
    assert {r["type"] for r in closed} == {"won", "lost"}
    for row in closed:
        assert row["ts_us"] >= converted[row["contact_id"]]
        assert (row["value"] is not None) == (row["type"] == "won")


def _objects(column: pa.ChunkedArray) -> list[dict[str, object]]:
    return [json.loads(text) for text in column.to_pylist()]


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("contacts", "attributes"),
        ("events", "properties"),
        ("accounts", "attributes"),
        ("deals", "attributes"),
        ("outcomes", "properties"),
    ],
)
def test_json_is_flat_text_in_stored_form(data: DemoData, table: str, column: str) -> None:
    texts = data.tables()[table][column].to_pylist()
    for text in texts:
        value = json.loads(text)
        assert isinstance(value, dict)
        assert all(isinstance(v, str) for v in value.values()), text
        assert to_json(flatten(value)) == text  # keys sorted, compact, as leadscore writes it


def test_attributes_the_example_model_reads(data: DemoData) -> None:
    contacts = _objects(data.contacts["attributes"])
    for key in ("job_title", "department", "company_size", "industry", "country", "email"):
        share = sum(key in c for c in contacts) / len(contacts)
        assert share > 0.8, key
    assert any(c.get("company_type") == "competitor" for c in contacts)
    assert all(parse_number(c["company_size"]) is not None for c in contacts if "company_size" in c)
    titles = {str(c.get("job_title", "")).lower() for c in contacts}
    for word in ("vp", "head of", "director", "manager", "student", "intern"):
        assert any(word in t for t in titles), word
    assert all(parse_number(str(a["employees"])) for a in _objects(data.accounts["attributes"]))
    assert all(parse_number(str(d["amount"])) for d in _objects(data.deals["attributes"]))


def test_emails_use_the_company_domain_or_free_mail(data: DemoData) -> None:
    domains = {
        a["account_id"]: json.loads(a["attributes"])["domain"] for a in data.accounts.to_pylist()
    }
    free = 0
    for row in data.contacts.to_pylist():
        email = json.loads(row["attributes"])["email"]
        domain = email.split("@")[1]
        if domain in ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com"):
            free += 1
        else:
            assert domain == domains[row["account_id"]]
    assert 0.03 < free / data.contacts.num_rows < 0.4


def test_event_types_and_their_properties(data: DemoData) -> None:
    expected = {
        "newsletter_signup": {"form"},
        "email_open": {"campaign", "email_id"},
        "email_click": {"campaign", "email_id", "url"},
        "page_view": {"url"},
        "content_download": {"asset", "asset_type", "form"},
        "webinar_registered": {"webinar", "date"},
        "webinar_attended": {"webinar", "date"},
        "demo_request": {"form", "page"},
        "trial_signup": {"form", "plan"},
        "contact_sales": {"form", "topic"},
        "unsubscribe": {"campaign", "email_id"},
        "email_bounce": {"bounce_type", "campaign", "email_id"},
    }
    seen: dict[str, set[str]] = {}
    for row in data.events.select(["type", "properties"]).to_pylist():
        keys = set(json.loads(row["properties"])) - {"utm.source"}
        assert keys == expected[row["type"]], row
        seen.setdefault(row["type"], set()).update(keys)
    assert set(seen) == set(expected)
    urls = {json.loads(p).get("url") for p in data.events["properties"].to_pylist()}
    for prefix in ("/blog/", "/pricing", "/pricing/enterprise", "/product/", "/docs/", "/careers"):
        assert any(u and u.startswith(prefix) for u in urls), prefix


def test_event_ids_are_numbered_by_seed(data: DemoData) -> None:
    ids = data.events["event_id"].to_pylist()
    assert all(i.startswith(f"ev-{data.spec.seed}-") for i in ids)
    assert sorted(int(i.rsplit("-", 1)[1]) for i in ids) == list(range(1, len(ids) + 1))


def test_events_per_contact_is_met_roughly() -> None:
    data = generate(3000, seed=5, events_per_contact=15)
    assert data.events.num_rows / 3000 == pytest.approx(15, rel=0.1)
    with pytest.raises(ValueError, match="too low"):
        generate(200, events_per_contact=0.05)


@pytest.mark.parametrize(
    "kwargs",
    [{"contacts": 0}, {"days": 0}, {"accounts": 0}, {"seed": -1}, {"events_per_contact": -2}],
)
def test_bad_parameters_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        generate(**kwargs)  # type: ignore[arg-type]


def test_end_and_days_move_the_window() -> None:
    end = datetime(2024, 1, 1, tzinfo=UTC)
    data = generate(300, seed=2, end=end, days=30)
    end_us = int(end.timestamp()) * 1_000_000
    assert data.spec.end_us == end_us
    assert pc.min(data.events["ts_us"]).as_py() >= end_us - 30 * DAY_US
    assert pc.max(data.events["ts_us"]).as_py() <= end_us
    assert generate(300, seed=2, end=end_us, days=30).events.equals(data.events)
