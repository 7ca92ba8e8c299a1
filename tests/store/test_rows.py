"""Row normalisation: the rules every way into the store shares."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadscore.store.imports import rows
from leadscore.store.imports.rows import (
    RowError,
    account_from_fields,
    contact_from_fields,
    deal_from_fields,
    event_from_fields,
    outcome_from_fields,
)
from leadscore.timeutil import MAX_TS_US, to_us
from leadscore.values import to_json

NOW = to_us("2025-07-01T12:00:00Z")
DAY_US = 86_400_000_000


def event(**fields: Any) -> dict[str, Any]:
    base = {"contact_id": "jane@acme.com", "type": "page_view", "ts": "2025-06-30T09:15:00Z"}
    base.update(fields)
    return base


def refused(fn: Any, fields: dict[str, Any]) -> RowError:
    with pytest.raises(RowError) as info:
        fn(fields, NOW)
    return info.value


# contacts -------------------------------------------------------------------------------------


def test_contact_reads_own_fields_and_keeps_the_rest_as_attributes() -> None:
    contact = contact_from_fields(
        {
            "contact_id": "  jane@acme.com ",
            "account_id": "acme",
            "created_at": "2024-01-05",
            "job_title": "VP Marketing",
            "company_size": 250,
            "newsletter": True,
            "phone": "",
            "fax": None,
        },
        NOW,
    )
    assert contact.contact_id == "jane@acme.com"
    assert contact.account_id == "acme"
    assert contact.created_at_us == to_us("2024-01-05T00:00:00Z")
    assert dict(contact.attributes) == {
        "job_title": "VP Marketing",
        "company_size": "250",
        "newsletter": "true",
    }


def test_nested_attributes_merge_with_other_fields_which_win() -> None:
    contact = contact_from_fields(
        {
            "contact_id": "c1",
            "attributes": json.dumps({"country": "DE", "utm": {"source": "ads"}, "tier": "old"}),
            "tier": "new",
        },
        NOW,
    )
    assert dict(contact.attributes) == {"country": "DE", "utm.source": "ads", "tier": "new"}
    as_mapping = contact_from_fields({"contact_id": "c1", "attributes": {"a": 1.5}}, NOW)
    assert dict(as_mapping.attributes) == {"a": "1.5"}


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [("{not json", "not valid JSON"), ("[1, 2]", "object of keys and values")],
)
def test_bad_nested_attributes_are_refused(attributes: str, reason: str) -> None:
    error = refused(contact_from_fields, {"contact_id": "c1", "attributes": attributes})
    assert error.field == "attributes"
    assert reason in error.reason


def test_numpy_and_pandas_values_are_stored_like_python_values() -> None:
    contact = contact_from_fields(
        {
            "contact_id": np.int64(42),
            "size": np.int64(5),
            "score": np.float64(1.5),
            "active": np.bool_(True),
            "missing": np.float64("nan"),
            "nat": pd.NaT,
            "na": pd.NA,
            "seen": pd.Timestamp("2025-01-02T03:04:05Z"),
        },
        NOW,
    )
    assert contact.contact_id == "42"
    assert dict(contact.attributes) == {
        "size": "5",
        "score": "1.5",
        "active": "true",
        "seen": "2025-01-02T03:04:05+00:00",
    }


def test_infinite_attribute_is_refused_with_its_field() -> None:
    error = refused(contact_from_fields, {"contact_id": "c1", "revenue": math.inf})
    assert error.field == "revenue"


@pytest.mark.parametrize(
    ("value", "reason"),
    [("a\x00b", "NUL character"), ("\ud800", "not valid Unicode")],
)
def test_text_that_cannot_be_stored_is_refused_as_a_field_or_nested(
    value: str, reason: str
) -> None:
    """A CSV column and a key of the nested object are held to the same rules."""
    for fields, field in [
        ({"contact_id": "c1", "note": value}, "note"),
        ({"contact_id": "c1", "attributes": {"note": value}}, "attributes"),
    ]:
        error = refused(contact_from_fields, fields)
        assert (error.field, reason in error.reason) == (field, True), error


# ids ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "is required"),
        ("   ", "is required"),
        ("x" * 201, "201 characters; at most 200"),
        ("jane\x00@acme.com", "control character"),
        ("line\nbreak", "control character"),
        (3.5, "must be text"),
        (True, "must be text"),
    ],
)
def test_bad_ids_are_refused_naming_field_and_value(value: Any, reason: str) -> None:
    error = refused(contact_from_fields, {"contact_id": value})
    assert error.field == "contact_id"
    assert reason in error.reason
    assert "contact_id" in str(error)


def test_id_of_200_characters_and_whole_numbers_are_accepted() -> None:
    assert contact_from_fields({"contact_id": "x" * 200}, NOW).contact_id == "x" * 200
    assert contact_from_fields({"contact_id": 1234}, NOW).contact_id == "1234"


# timestamps -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2025-06-30T09:15:00Z",
        "2025-06-30T09:15:00z",
        "2025-06-30T09:15:00+00:00",
        "2025-06-30 11:15:00+02:00",
        "2025-06-30T09:15:00",
        " 2025-06-30T09:15:00Z ",
        datetime(2025, 6, 30, 9, 15),
        datetime(2025, 6, 30, 11, 15, tzinfo=timezone(timedelta(hours=2))),
        pd.Timestamp("2025-06-30T09:15:00Z"),
        pd.Timestamp("2025-06-30T09:15:00"),
    ],
)
def test_timestamp_forms_give_the_same_instant(value: Any) -> None:
    expected = int(datetime(2025, 6, 30, 9, 15, tzinfo=UTC).timestamp()) * 1_000_000
    assert event_from_fields(event(ts=value), NOW).ts_us == expected


def test_dates_mean_midnight_utc_and_match_timeutil() -> None:
    assert event_from_fields(event(ts="2025-06-30"), NOW).ts_us == to_us("2025-06-30")
    assert event_from_fields(event(ts=date(2025, 6, 30)), NOW).ts_us == to_us("2025-06-30")
    micro = "2025-06-30T09:15:00.123456+05:30"
    assert event_from_fields(event(ts=micro), NOW).ts_us == to_us(micro)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("30/06/2025", "not an ISO 8601"),
        ("yesterday", "not an ISO 8601"),
        (1719740100, "is a number"),
        ("1969-12-31T23:59:59Z", "before 1970-01-01"),
        ("2200-01-01T00:00:01Z", "is after 2200-01-01"),
        ("2025-07-02T12:00:01Z", "clock-skew"),
        (None, "is required"),
    ],
)
def test_bad_event_times_are_refused(value: Any, reason: str) -> None:
    error = refused(event_from_fields, event(ts=value))
    assert error.field == "ts"
    assert reason in error.reason


def test_clock_skew_tolerance_is_one_day() -> None:
    almost = datetime.fromtimestamp((NOW + DAY_US) / 1e6, tz=UTC)
    assert event_from_fields(event(ts=almost), NOW).ts_us == NOW + DAY_US


def test_contact_creation_time_may_be_in_the_future_but_within_range() -> None:
    later = contact_from_fields({"contact_id": "c", "created_at": "2030-01-01"}, NOW)
    assert later.created_at_us == to_us("2030-01-01")
    assert to_us("2200-01-01") == MAX_TS_US
    error = refused(contact_from_fields, {"contact_id": "c", "created_at": "2201-01-01"})
    assert error.field == "created_at"


# events ---------------------------------------------------------------------------------------


def test_event_without_id_gets_the_hash_of_its_canonical_content() -> None:
    fields = event(url="/pricing", properties={"utm": {"campaign": "spring"}})
    got = event_from_fields(fields, NOW)
    assert dict(got.properties) == {"url": "/pricing", "utm.campaign": "spring"}
    canonical = json.dumps(
        {
            "contact_id": "jane@acme.com",
            "type": "page_view",
            "ts_us": to_us("2025-06-30T09:15:00Z"),
            "properties": {"url": "/pricing", "utm.campaign": "spring"},
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert got.event_id == "h:" + hashlib.sha256(canonical.encode()).hexdigest()[:32]
    # same content, same id; any change, another id
    assert event_from_fields(dict(fields), NOW).event_id == got.event_id
    assert event_from_fields(event(url="/pricing/"), NOW).event_id != got.event_id


def test_explicit_event_id_is_kept() -> None:
    assert event_from_fields(event(event_id=" evt-1 "), NOW).event_id == "evt-1"


@pytest.mark.parametrize(("value", "reason"), [("", "is required"), ("t" * 101, "at most 100")])
def test_bad_event_type(value: str, reason: str) -> None:
    error = refused(event_from_fields, event(type=value))
    assert (error.field, reason in error.reason) == ("type", True)


def test_stored_json_is_the_canonical_form() -> None:
    samples: list[dict[str, str]] = [
        {},
        {"b": "1", "a": "2"},
        {"é": 'quote " and \\ backslash', "tab": "\t", "emoji": "🚀", "nl": "a\nb"},
    ]
    for values in samples:
        plain = json.dumps(dict(sorted(values.items())), ensure_ascii=False, separators=(",", ":"))
        assert rows.stored_json(values) == to_json(values) == plain
    mixed: dict[str, Any] = {"n": 1, "a": "x"}  # not all text: written by json.dumps
    assert to_json(mixed) == '{"a":"x","n":1}'
    props = {"z": "1", "a": "ü"}
    assert rows.event_content_id("c", "t", 7, props) == rows.content_id(
        {"contact_id": "c", "type": "t", "ts_us": 7, "properties": props}
    )


def test_objects_nested_too_deeply_are_refused_before_anything_recurses() -> None:
    """Properties (or a field) nesting objects or lists past the limit are refused as their
    field, however deep (no recursion error), and the limit itself is accepted."""
    from leadscore.values import MAX_DEPTH

    def nested(depth: int) -> Any:
        value: Any = "x"
        for _ in range(depth):
            value = {"k": value}
        return value

    kept = event_from_fields(event(properties=nested(MAX_DEPTH)), NOW)
    assert list(kept.properties) == [".".join(["k"] * MAX_DEPTH)]
    for depth in (MAX_DEPTH + 1, 5_000):
        error = refused(event_from_fields, event(properties=nested(depth)))
        assert (error.field, f"at most {MAX_DEPTH} levels" in error.reason) == ("properties", True)
    error = refused(contact_from_fields, {"contact_id": "c", "prefs": nested(MAX_DEPTH)})
    assert error.field == "prefs"
    deep_list: Any = "x"
    for _ in range(MAX_DEPTH + 1):
        deep_list = [deep_list]
    error = refused(event_from_fields, event(tags=deep_list))
    assert (error.field, "lists may nest" in error.reason) == ("tags", True)


# outcomes, accounts, deals --------------------------------------------------------------------


def test_outcome_type_is_read_case_insensitively_and_value_as_number() -> None:
    got = outcome_from_fields(
        {
            "contact_id": "c1",
            "type": " Won ",
            "ts": "2025-06-01",
            "value": "1250.50",
            "plan": "pro",
        },
        NOW,
    )
    assert (got.type, got.value, dict(got.properties)) == ("won", 1250.5, {"plan": "pro"})
    assert got.outcome_id.startswith("h:")
    again = outcome_from_fields(
        {"contact_id": "c1", "type": "won", "ts": "2025-06-01", "value": 1250.5, "plan": "pro"},
        NOW,
    )
    assert again.outcome_id == got.outcome_id


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"type": "wonn"}, "type", "Did you mean 'won'?"),
        ({"type": "closed"}, "type", "'converted', 'lost' or 'won'"),
        ({"value": "1,250"}, "value", "is not a number"),
        ({"value": math.inf}, "value", "finite"),
        ({"value": True}, "value", "must be a number"),
    ],
)
def test_bad_outcomes(fields: dict[str, Any], field: str, reason: str) -> None:
    base = {"contact_id": "c1", "type": "converted", "ts": "2025-06-01"}
    error = refused(outcome_from_fields, {**base, **fields})
    assert error.field == field
    assert reason in error.reason


def test_missing_outcome_value_is_none() -> None:
    base = {"contact_id": "c1", "type": "lost", "ts": "2025-06-01"}
    assert outcome_from_fields({**base, "value": ""}, NOW).value is None
    assert outcome_from_fields({**base, "value": math.nan}, NOW).value is None


def test_account() -> None:
    got = account_from_fields({"account_id": "acme", "employees": "1200"}, NOW)
    assert (got.account_id, dict(got.attributes)) == ("acme", {"employees": "1200"})


@pytest.mark.parametrize(
    "value",
    ["c1;c2; c3;c1", '["c1", "c2", "c3"]', ["c1", "c2", "c3", "c2"], np.array(["c1", "c2", "c3"])],
)
def test_deal_contact_ids_forms(value: Any) -> None:
    got = deal_from_fields({"deal_id": "d1", "contact_ids": value, "amount": 30000}, NOW)
    assert got.contact_ids == ("c1", "c2", "c3")
    assert dict(got.attributes) == {"amount": "30000"}


@pytest.mark.parametrize("value", ['["c1",', '[["c1"]]', "c1;" + "x" * 201])
def test_bad_deal_contact_ids(value: str) -> None:
    error = refused(deal_from_fields, {"deal_id": "d1", "contact_ids": value})
    assert error.field == "contact_ids"


def test_missing_values() -> None:
    missing: list[Any] = [None, "", "  ", math.nan, np.float32("nan"), pd.NaT, pd.NA]
    present: list[Any] = [0, "0", False, [], {}]
    assert [rows.is_missing(v) for v in missing] == [True] * len(missing)
    assert [rows.is_missing(v) for v in present] == [False] * len(present)


_TEXT = st.text(
    alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=6
) | st.sampled_from(["", " ", "\x00", "\ud800", "x" * 200, "y" * 201, "a.b"])
_SCALARS = _TEXT | st.none() | st.integers() | st.floats() | st.booleans()


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(
        _TEXT,
        _SCALARS | st.dictionaries(_TEXT, _SCALARS, max_size=2) | st.lists(_TEXT, max_size=2),
        max_size=4,
    )
)
def test_flat_properties_take_the_short_way_only_when_it_gives_the_same(
    values: dict[str, Any],
) -> None:
    """Plain text properties are kept as they are; anything else is flattened and checked:
    the result (or the refusal) is the same either way."""
    from leadscore.store.imports import fields
    from leadscore.values import ValueFormatError, flatten

    try:
        expected: Any = flatten(fields._clean(values))
    except ValueFormatError as exc:
        expected = ("refused", str(exc))
    try:
        got: Any = fields._flat("properties", values)
    except RowError as exc:
        got = ("refused", exc.reason)
    assert got == expected
    if fields._plain_texts(values):
        assert got == values
        assert list(got) == list(values)
