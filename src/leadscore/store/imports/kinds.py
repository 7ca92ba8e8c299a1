"""The five kinds of import: which fields are required, what is staged, where it goes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from leadscore.errors import LeadscoreError, did_you_mean, one_of
from leadscore.store.imports import rows

StageRow = Callable[[Mapping[str, Any], int], tuple[Any, ...]]


@dataclass(frozen=True)
class Kind:
    """One kind of record. ``entity`` kinds (contacts, accounts, deals) are merged by id: a new id
    is inserted, a changed one updated. The others (events, outcomes) are facts: stored once per
    id, never changed."""

    name: str
    key: str
    required: tuple[str, ...]
    # Staged columns after ``seq`` (name, DuckDB type), in the order ``stage_row`` returns them.
    columns: tuple[tuple[str, str], ...]
    # One row's fields -> its staged values (by the rules of leadscore.store.imports.rows; raises
    # RowError).
    stage_row: StageRow
    entity: bool

    @property
    def table(self) -> str:
        return self.name

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]


def _contact(fields: Mapping[str, Any], now_us: int) -> tuple[Any, ...]:
    c = rows.contact_from_fields(fields, now_us)
    return (c.contact_id, c.account_id, c.created_at_us, rows.stored_json(c.attributes))


def _event(fields: Mapping[str, Any], now_us: int) -> tuple[Any, ...]:
    event_id, contact_id, kind, ts_us, _, properties = rows.event_parts(fields, now_us)
    return (event_id, contact_id, kind, ts_us, properties)


def _outcome(fields: Mapping[str, Any], now_us: int) -> tuple[Any, ...]:
    o = rows.outcome_from_fields(fields, now_us)
    return (o.outcome_id, o.contact_id, o.type, o.ts_us, o.value, rows.stored_json(o.properties))


def _account(fields: Mapping[str, Any], now_us: int) -> tuple[Any, ...]:
    a = rows.account_from_fields(fields, now_us)
    return (a.account_id, a.created_at_us, rows.stored_json(a.attributes))


def _deal(fields: Mapping[str, Any], now_us: int) -> tuple[Any, ...]:
    d = rows.deal_from_fields(fields, now_us)
    attributes = rows.stored_json(d.attributes)
    return (d.deal_id, d.account_id, d.created_at_us, attributes, list(d.contact_ids))


_ID = "VARCHAR NOT NULL"
_TS = ("ts_us", "BIGINT")
KINDS: dict[str, Kind] = {
    "contacts": Kind(
        "contacts",
        "contact_id",
        ("contact_id",),
        (
            ("contact_id", _ID),
            ("account_id", "VARCHAR"),
            ("created_at_us", "BIGINT"),
            ("attributes", "VARCHAR"),
        ),
        _contact,
        entity=True,
    ),
    "events": Kind(
        "events",
        "event_id",
        ("contact_id", "type", "ts"),
        (
            ("event_id", _ID),
            ("contact_id", "VARCHAR"),
            ("type", "VARCHAR"),
            _TS,
            ("properties", "VARCHAR"),
        ),
        _event,
        entity=False,
    ),
    "outcomes": Kind(
        "outcomes",
        "outcome_id",
        ("contact_id", "type", "ts"),
        (
            ("outcome_id", _ID),
            ("contact_id", "VARCHAR"),
            ("type", "VARCHAR"),
            _TS,
            ("value", "DOUBLE"),
            ("properties", "VARCHAR"),
        ),
        _outcome,
        entity=False,
    ),
    "accounts": Kind(
        "accounts",
        "account_id",
        ("account_id",),
        (("account_id", _ID), ("created_at_us", "BIGINT"), ("attributes", "VARCHAR")),
        _account,
        entity=True,
    ),
    "deals": Kind(
        "deals",
        "deal_id",
        ("deal_id",),
        (
            ("deal_id", _ID),
            ("account_id", "VARCHAR"),
            ("created_at_us", "BIGINT"),
            ("attributes", "VARCHAR"),
            ("contact_ids", "VARCHAR[]"),
        ),
        _deal,
        entity=True,
    ),
}


def get_kind(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise LeadscoreError(
            f"unknown kind '{name}'; use {one_of(KINDS)}." + did_you_mean(name, KINDS)
        )
    return kind
