"""Time as the engine sees it: UTC epoch microseconds, and durations such as ``90d``.

Every engine derives ages from integer epoch microseconds, never from engine-specific interval
functions, so that all engines agree to the last bit on windows and to ~1 ulp on decay.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

US_PER_SECOND = 1_000_000
UNIT_US = {
    "s": US_PER_SECOND,
    "m": 60 * US_PER_SECOND,
    "h": 3600 * US_PER_SECOND,
    "d": 86400 * US_PER_SECOND,
    "w": 7 * 86400 * US_PER_SECOND,
}
UNIT_WORDS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}
_DURATION = re.compile(r"^\s*(\d{1,9})\s*([smhdw])\s*$")
# The latest timestamp accepted anywhere (year 2200): keeps every age exact in a double.
MAX_TS_US = 7_258_118_400 * US_PER_SECOND


class TimeFormatError(ValueError):
    """A duration or timestamp that cannot be read."""


def parse_duration(text: str) -> int:
    """``"90d"`` -> microseconds. Units: s, m, h, d, w."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match:
        raise TimeFormatError(
            f"{text!r} is not a duration; write a whole number and a unit: s, m, h, d or w "
            "(for example '90d' or '12h')"
        )
    number, unit = int(match.group(1)), match.group(2)
    if number <= 0:
        raise TimeFormatError(f"{text!r} must be longer than zero")
    return number * UNIT_US[unit]


def format_duration(us: int) -> str:
    """Microseconds -> the largest exact unit up to days: ``7776000000000`` -> ``"90 days"``."""
    for unit in ("d", "h", "m", "s"):
        size = UNIT_US[unit]
        if us >= size and us % size == 0:
            n = us // size
            word = UNIT_WORDS[unit]
            return f"{n} {word}" if n == 1 else f"{n} {word}s"
    return f"{us / US_PER_SECOND:g} seconds"


def to_us(value: datetime | date | str | int | float) -> int:
    """Read a timestamp into UTC epoch microseconds.

    Accepts aware or naive datetimes (naive means UTC), dates (midnight UTC), ISO 8601 text
    (``2024-05-01``, ``2024-05-01T10:00:00Z``, ``2024-05-01 10:00:00+02:00``) and integers of
    epoch microseconds.
    """
    if isinstance(value, bool):
        raise TimeFormatError(f"{value!r} is not a timestamp")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise TimeFormatError(f"{value!r} is not a timestamp")
        return int(value)
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=UTC)
        delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
        return (delta.days * 86400 + delta.seconds) * US_PER_SECOND + delta.microseconds
    if isinstance(value, date):
        return to_us(datetime(value.year, value.month, value.day, tzinfo=UTC))
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise TimeFormatError(
                f"{value!r} is not an ISO 8601 timestamp (for example 2024-05-01T10:00:00Z)"
            ) from None
        return to_us(parsed)
    raise TimeFormatError(f"{value!r} is not a timestamp")


def from_us(us: int) -> datetime:
    """UTC epoch microseconds -> an aware ``datetime``."""
    seconds, micros = divmod(us, US_PER_SECOND)
    return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=micros)


def iso(us: int) -> str:
    """UTC epoch microseconds -> ``2024-05-01T10:00:00Z`` (microseconds only when present)."""
    text = from_us(us).isoformat()
    return text.replace("+00:00", "Z")


def now_us() -> int:
    return to_us(datetime.now(tz=UTC))
