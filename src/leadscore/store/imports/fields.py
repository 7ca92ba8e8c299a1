"""The rules for one field's value: ids, types, timestamps, numbers, attribute bags.

:mod:`leadscore.store.imports.rows` builds records from these; every way into the store (file
imports, DataFrames, the HTTP API) goes through them. A value that breaks a rule raises
:class:`RowError` with the field, the value and the reason.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from leadscore.errors import LeadscoreError
from leadscore.timeutil import MAX_TS_US, UNIT_US, TimeFormatError, iso, to_us
from leadscore.values import (
    MAX_DEPTH,
    MAX_KEY_LENGTH,
    ValueFormatError,
    canonical_text,
    flatten,
    parse_number,
    to_json,
    too_deep,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
MAX_ID_LENGTH = 200
MAX_TYPE_LENGTH = 100
CLOCK_SKEW_US = UNIT_US["d"]
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NULL_TYPES = frozenset({"NAType", "NaTType"})


class RowError(LeadscoreError):
    """One field of one row cannot be accepted."""

    def __init__(self, field: str, value: Any, reason: str):
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}: {reason} (got {show(value)})")


def show(value: Any, limit: int = 80) -> str:
    """A short printable form of a value for messages."""
    if is_missing(value):
        return "nothing"
    text = repr(value) if isinstance(value, str) else repr(plain(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def plain(value: Any) -> Any:
    """NumPy scalars -> Python scalars; pandas ``Timestamp`` -> ``datetime``; the rest as is."""
    kind = type(value)
    if kind is str or kind is int or value is None:
        return value
    if isinstance(value, datetime) and kind is not datetime:
        return datetime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=value.tzinfo,
        )
    if kind.__module__ == "numpy" and getattr(value, "ndim", None) == 0:  # a NumPy scalar
        if kind.__name__ == "datetime64":
            return None if value != value else str(value)
        return value.item()
    return value


def stored_json(values: Mapping[str, str]) -> str:
    """The stored JSON text of flat attributes or properties (:func:`leadscore.values.to_json`)."""
    return to_json(values)


def is_missing(value: Any) -> bool:
    """Null, NaN, ``NaT``, ``pd.NA`` and blank text are all "no value"."""
    if value is None:
        return True
    if type(value) is str or isinstance(value, str):
        return not value or value.isspace()
    if isinstance(value, float):
        return math.isnan(value)
    if type(value).__name__ in _NULL_TYPES:
        return True
    if type(value).__module__ == "numpy" and type(value).__name__.startswith("float"):
        return bool(value != value)
    return False


def id_text(field: str, value: Any) -> str:
    """A required id: trimmed text of 1 to 200 characters without control characters."""
    if type(value) is str:  # the common case, checked here without further calls
        text = value.strip()
        if text and len(text) <= MAX_ID_LENGTH and not _CONTROL.search(text):
            return text
    checked = optional_id(field, value)
    if checked is None:
        raise RowError(field, value, "is required")
    return checked


def optional_id(field: str, value: Any) -> str | None:
    """An id, or ``None`` when missing."""
    if type(value) is str:
        text = value.strip()
        if text and len(text) <= MAX_ID_LENGTH and not _CONTROL.search(text):
            return text
    if is_missing(value):
        return None
    value = plain(value)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RowError(field, value, "must be text (or a whole number)")
    text = value.strip() if isinstance(value, str) else str(value)
    return _checked_text(field, text, MAX_ID_LENGTH)


def _checked_text(field: str, text: str, limit: int) -> str:
    if len(text) > limit:
        raise RowError(field, text, f"has {len(text)} characters; at most {limit} are allowed")
    if _CONTROL.search(text):
        raise RowError(field, text, "contains a control character (such as a tab or a line break)")
    return text


def type_text(field: str, value: Any) -> str:
    """An event or outcome type: trimmed text of 1 to 100 characters."""
    if type(value) is str:
        text = value.strip()
        if text and len(text) <= MAX_TYPE_LENGTH and not _CONTROL.search(text):
            return text
    if is_missing(value):
        raise RowError(field, value, "is required")
    value = plain(value)
    if not isinstance(value, str):
        raise RowError(field, value, "must be text")
    return _checked_text(field, value.strip(), MAX_TYPE_LENGTH)


def timestamp_us(field: str, value: Any, now_us: int | None = None) -> int:
    """A required point in time -> UTC epoch microseconds, checked against the allowed range.

    With ``now_us``, times more than one day after now are refused (clock-skew tolerance).
    """
    if type(value) is str:
        fast = _plain_iso_us(value, now_us)
        if fast is not None:
            return fast
    us = optional_timestamp_us(field, value, now_us)
    if us is None:
        raise RowError(field, value, "is required")
    return us


def optional_timestamp_us(field: str, value: Any, now_us: int | None = None) -> int | None:
    """A point in time, or ``None`` when missing."""
    if type(value) is not str:  # text, the common case, goes straight to parsing
        if is_missing(value):
            return None
        value = plain(value)
        if isinstance(value, (bool, int, float)):
            raise RowError(
                field,
                value,
                "is a number, not a timestamp; write ISO 8601 such as 2024-05-01T10:00:00Z",
            )
        if not isinstance(value, (str, date)):
            raise RowError(field, value, "is not a timestamp")
    elif not value or value.isspace():
        return None
    try:
        us = _to_us(value)
    except (TimeFormatError, ValueError, OverflowError):
        raise RowError(
            field,
            value,
            "is not an ISO 8601 date or time (for example 2024-05-01 or 2024-05-01T10:00:00Z)",
        ) from None
    if us < 0:
        raise RowError(field, value, "is before 1970-01-01")
    if us > MAX_TS_US:
        raise RowError(field, value, f"is after {iso(MAX_TS_US)}, the latest time accepted")
    if now_us is not None and us > now_us + CLOCK_SKEW_US:
        raise RowError(
            field,
            value,
            f"is more than 1 day after now ({iso(now_us)}); times in the future are refused "
            "beyond 1 day of clock-skew tolerance",
        )
    return us


def _plain_iso_us(text: str, now_us: int | None) -> int | None:
    """The common case without detours: well-formed ISO text, in range. ``None`` sends the value
    through the full checks (which also explain what is wrong)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    us = int((parsed - _EPOCH) // _ONE_US)
    if 0 <= us <= MAX_TS_US and (now_us is None or us <= now_us + CLOCK_SKEW_US):
        return us
    return None


def _to_us(value: str | date) -> int:
    """:func:`leadscore.timeutil.to_us` for text and datetimes, with integer arithmetic only."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("z"):
            text = text[:-1] + "Z"
        value = datetime.fromisoformat(text)
    if not isinstance(value, datetime):
        return to_us(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // _ONE_US


def number(field: str, value: Any) -> float | None:
    """An optional finite number (a number, or text such as ``1250.50``)."""
    if is_missing(value):
        return None
    value = plain(value)
    if isinstance(value, bool):
        raise RowError(field, value, "must be a number")
    if isinstance(value, (int, float)):
        out = float(value)
    elif isinstance(value, str):
        parsed = parse_number(value.strip())
        if parsed is None:
            raise RowError(field, value, "is not a number (write it like 1250.50)")
        out = parsed
    else:
        raise RowError(field, value, "must be a number")
    if not math.isfinite(out):
        raise RowError(field, value, "must be a finite number")
    return out


def _clean(value: Any) -> Any:
    """Drop missing values (recursively), make scalars plain, write times as ISO text."""
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items() if not is_missing(v)}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    value = plain(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _flat(field: str, values: Mapping[str, Any]) -> dict[str, str]:
    if _plain_texts(values):  # the common case: nothing to drop, flatten or convert
        return dict(values)
    if too_deep(values):  # before anything recurses into it
        raise RowError(
            field, "(a nested object)", f"objects and lists may nest at most {MAX_DEPTH} levels"
        )
    try:
        return flatten(_clean(values))
    except ValueFormatError as exc:
        raise RowError(field, values, str(exc)) from None


def _plain_texts(values: Mapping[str, Any]) -> bool:
    """Whether flattening ``values`` keeps them as they are: every entry :func:`_plain_entry`."""
    return all(_plain_entry(key, value) for key, value in values.items())


def _plain_entry(key: Any, value: Any) -> bool:
    """Whether ``key: value`` is stored as it is: a key text of 1 to ``MAX_KEY_LENGTH``
    characters and a value :func:`_plain_text`."""
    return (
        type(key) is str
        and type(value) is str
        and 0 < len(key) <= MAX_KEY_LENGTH
        and _plain_text(value)
    )


def _plain_text(value: str) -> bool:
    """Text stored as it is: not blank, without NUL, encodable as UTF-8 (what
    :func:`leadscore.values.canonical_text` checks)."""
    if not value or value.isspace() or "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def bag(fields: Mapping[str, Any], nested: str, own: frozenset[str]) -> dict[str, str]:
    """Attributes or properties: the nested object ``fields[nested]`` plus every field not in
    ``own``, flattened to the stored ``{key: text}`` form."""
    out: dict[str, str] = {}
    inner = fields.get(nested)
    if not is_missing(inner):
        loaded = inner
        if isinstance(inner, str):
            try:
                loaded = json.loads(inner)
            except json.JSONDecodeError as exc:
                raise RowError(nested, inner, f"is not valid JSON ({exc.msg})") from None
        if not isinstance(loaded, Mapping):
            raise RowError(nested, inner, "must be an object of keys and values")
        out.update(_flat(nested, loaded))
    for name, value in fields.items():
        if name in own:
            continue
        if _plain_entry(name, value):  # the common case (CSV): stored as is
            out[name] = value
            continue
        if is_missing(value):
            continue
        key = name if isinstance(name, str) else str(name)
        if not key:
            raise RowError("(unnamed column)", value, "has a value but no name in the header")
        if len(key) > MAX_KEY_LENGTH:
            raise RowError(key[:40], value, f"field names have 1 to {MAX_KEY_LENGTH} characters")
        if isinstance(value, Mapping):
            out.update(_flat(key, {key: value}))
            continue
        if isinstance(value, (list, tuple)) and too_deep(value):
            raise RowError(key, "(a nested list)", f"lists may nest at most {MAX_DEPTH} levels")
        try:
            text = canonical_text(_clean(value))
        except ValueFormatError as exc:
            raise RowError(key, value, str(exc)) from None
        if text is not None:
            out[key] = text
    return out


def id_list(field: str, value: Any) -> tuple[str, ...]:
    """A list of ids: a list, JSON array text, or text separated by ``;``. Repeats are dropped."""
    if is_missing(value):
        return ()
    value = plain(value)
    items: Any = value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError as exc:
                raise RowError(field, value, f"is not a valid JSON array ({exc.msg})") from None
            if not isinstance(items, list):
                raise RowError(field, value, "must be a list of ids")
        else:
            items = text.split(";")
    elif hasattr(value, "tolist"):
        items = value.tolist()
    if not isinstance(items, (list, tuple)):
        raise RowError(field, value, "must be a list of ids (or text such as 'a;b;c')")
    out: dict[str, None] = {}
    for item in items:
        one = optional_id(field, item)
        if one is not None:
            out[one] = None
    return tuple(out)
