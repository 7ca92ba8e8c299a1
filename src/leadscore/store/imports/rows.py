"""From a mapping of fields to a validated record: the one set of rules for every way in.

File imports, DataFrame scoring and the HTTP API all pass their rows through these functions, so a
value accepted (or refused, and why) is the same everywhere. Each function takes the row's fields
(a CSV line as a dict, a JSON object, a DataFrame row) and the current time, and returns a record
from :mod:`leadscore.records` or raises :class:`RowError` naming the field, the value and the
reason.

Rules shared by every kind:

- Empty text (or only spaces) and nulls (``None``, NaN, ``NaT``) mean "missing".
- Ids are text (or whole numbers), trimmed of surrounding spaces, 1 to 200 characters, with no
  control characters.
- Timestamps are ISO 8601 text (``2024-05-01``, ``2024-05-01T10:00:00Z``,
  ``2024-05-01 10:00:00+02:00``; no offset means UTC), or ``datetime`` / ``date`` / pandas
  ``Timestamp`` objects; from 1970-01-01 to :data:`leadscore.timeutil.MAX_TS_US`. Event and
  outcome times may be at most one day after now (clock skew), never further in the future.
- Attributes (and properties) are the nested ``attributes`` (``properties``) object, as a mapping
  or JSON text, plus every other field; other fields win over nested keys of the same name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from json.encoder import encode_basestring as json_string
from typing import Any

from leadscore.errors import did_you_mean, one_of
from leadscore.records import Account, Contact, Deal, Event, Outcome
from leadscore.store.imports.fields import (
    RowError,
    bag,
    id_list,
    id_text,
    is_missing,
    number,
    optional_id,
    optional_timestamp_us,
    show,
    stored_json,
    timestamp_us,
    type_text,
)
from leadscore.store.schema import OUTCOME_TYPES

__all__ = [
    "RowError",
    "account_from_fields",
    "contact_from_fields",
    "content_id",
    "deal_from_fields",
    "event_content_id",
    "event_from_fields",
    "event_parts",
    "is_missing",
    "outcome_from_fields",
    "show",
    "stored_json",
    "timestamp_us",
]

HASH_PREFIX = "h:"
# The canonical JSON of a record (keys sorted, no spaces, UTF-8 kept), for content hashes.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)

# The fields each kind reads itself; every other field becomes an attribute or property.
CONTACT_FIELDS = frozenset({"contact_id", "account_id", "created_at", "attributes"})
EVENT_FIELDS = frozenset({"event_id", "contact_id", "type", "ts", "properties"})
OUTCOME_FIELDS = frozenset({"outcome_id", "contact_id", "type", "ts", "value", "properties"})
ACCOUNT_FIELDS = frozenset({"account_id", "created_at", "attributes"})
DEAL_FIELDS = frozenset({"deal_id", "account_id", "created_at", "contact_ids", "attributes"})


def content_id(parts: Mapping[str, Any]) -> str:
    """A stable id from a record's content: ``h:`` and 32 hex digits of the SHA-256 of its
    canonical JSON (keys sorted, no spaces, UTF-8)."""
    return _hash_id(_CANONICAL.encode(parts))


def _hash_id(canonical: str) -> str:
    return HASH_PREFIX + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def event_content_id(contact_id: str, kind: str, ts_us: int, properties: Mapping[str, str]) -> str:
    """The id of an event without one: :func:`content_id` of its contact_id, type, ts_us and
    properties."""
    return _event_hash(contact_id, kind, ts_us, stored_json(properties))


def _event_hash(contact_id: str, kind: str, ts_us: int, properties_json: str) -> str:
    # the canonical JSON of the four parts, written out with its keys in sorted order
    return _hash_id(
        f'{{"contact_id":{json_string(contact_id)},"properties":{properties_json},'
        f'"ts_us":{ts_us},"type":{json_string(kind)}}}'
    )


def contact_from_fields(fields: Mapping[str, Any], now_us: int) -> Contact:
    """A contact: ``contact_id`` (required), ``account_id``, ``created_at``, attributes."""
    return Contact(
        contact_id=id_text("contact_id", fields.get("contact_id")),
        account_id=optional_id("account_id", fields.get("account_id")),
        created_at_us=optional_timestamp_us("created_at", fields.get("created_at")),
        attributes=bag(fields, "attributes", CONTACT_FIELDS),
    )


def event_from_fields(fields: Mapping[str, Any], now_us: int) -> Event:
    """An event: ``contact_id``, ``type``, ``ts`` (required), ``event_id``, properties.

    Without an ``event_id`` the id is a hash of the content, so the same event imported twice is
    stored once.
    """
    event_id, contact_id, kind, ts_us, properties, text = event_parts(fields, now_us)
    return Event(event_id, contact_id, kind, ts_us, properties, text)


def event_parts(
    fields: Mapping[str, Any], now_us: int
) -> tuple[str, str, str, int, dict[str, str], str]:
    """What :func:`event_from_fields` reads, as ``(event_id, contact_id, type, ts_us,
    properties, properties as stored JSON)``: imports stage these without building a record."""
    contact_id = id_text("contact_id", fields.get("contact_id"))
    kind = type_text("type", fields.get("type"))
    ts_us = timestamp_us("ts", fields.get("ts"), now_us)
    properties = bag(fields, "properties", EVENT_FIELDS)
    text = stored_json(properties)
    event_id = optional_id("event_id", fields.get("event_id"))
    if event_id is None:
        event_id = _event_hash(contact_id, kind, ts_us, text)
    return event_id, contact_id, kind, ts_us, properties, text


def outcome_from_fields(fields: Mapping[str, Any], now_us: int) -> Outcome:
    """An outcome: ``contact_id``, ``type`` (converted, won or lost), ``ts``; ``outcome_id``,
    ``value`` and properties are optional. Types are read case-insensitively."""
    contact_id = id_text("contact_id", fields.get("contact_id"))
    raw_type = type_text("type", fields.get("type"))
    kind = raw_type.lower()
    if kind not in OUTCOME_TYPES:
        raise RowError(
            "type",
            raw_type,
            f"must be {one_of(OUTCOME_TYPES)}." + did_you_mean(kind, OUTCOME_TYPES),
        )
    ts_us = timestamp_us("ts", fields.get("ts"), now_us)
    value = number("value", fields.get("value"))
    properties = bag(fields, "properties", OUTCOME_FIELDS)
    outcome_id = optional_id("outcome_id", fields.get("outcome_id"))
    if outcome_id is None:
        outcome_id = content_id(
            {
                "contact_id": contact_id,
                "type": kind,
                "ts_us": ts_us,
                "value": value,
                "properties": properties,
            }
        )
    return Outcome(outcome_id, contact_id, kind, ts_us, value, properties)


def account_from_fields(fields: Mapping[str, Any], now_us: int) -> Account:
    """An account: ``account_id`` (required), ``created_at``, attributes."""
    return Account(
        account_id=id_text("account_id", fields.get("account_id")),
        created_at_us=optional_timestamp_us("created_at", fields.get("created_at")),
        attributes=bag(fields, "attributes", ACCOUNT_FIELDS),
    )


def deal_from_fields(fields: Mapping[str, Any], now_us: int) -> Deal:
    """A deal: ``deal_id`` (required), ``account_id``, ``created_at``, ``contact_ids``,
    attributes."""
    return Deal(
        deal_id=id_text("deal_id", fields.get("deal_id")),
        account_id=optional_id("account_id", fields.get("account_id")),
        created_at_us=optional_timestamp_us("created_at", fields.get("created_at")),
        contact_ids=id_list("contact_ids", fields.get("contact_ids")),
        attributes=bag(fields, "attributes", DEAL_FIELDS),
    )
