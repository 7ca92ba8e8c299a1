"""Column names and person-readable labels of features.

Names are ``[a-z0-9_]`` and unique within a plan; labels read like "pricing page views, last 30
days" or "days since the last demo request".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NOT_NAME = re.compile(r"[^a-z0-9]+")
MAX_NAME = 60


def slug(text: str, limit: int = 40) -> str:
    """``"/pricing/enterprise"`` -> ``pricing_enterprise``; empty text -> ``x``."""
    out = _NOT_NAME.sub("_", text.lower()).strip("_")[:limit].strip("_")
    return out or "x"


class Names:
    """Hands out unique column names (a clash gets ``_2``, ``_3``...)."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.taken = set(taken)

    def __call__(self, *parts: str) -> str:
        base = "_".join(p for p in parts if p)[:MAX_NAME].strip("_") or "x"
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name


def words(name: str) -> str:
    """``job_title`` -> ``job title``."""
    return name.replace("_", " ").strip()


def event_singular(event_type: str) -> str:
    """``page_view`` -> ``page view``; ``webinar_attended`` -> ``webinar attended``."""
    return words(event_type)


def event_plural(event_type: str) -> str:
    """``page_view`` -> ``page views``, ``webinar_attended`` -> ``webinars attended``,
    ``contact_sales`` -> ``contact sales events``."""
    parts = words(event_type).split()
    if not parts:
        return "events"
    last = parts[-1]
    if last.endswith("ed") and len(parts) > 1:  # noun + past participle
        return " ".join([*parts[:-2], _plural(parts[-2]), last])
    if last.endswith("s"):
        return " ".join(parts) + " events"
    return " ".join([*parts[:-1], _plural(last)])


def _plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def where_words(where: dict[str, object] | None) -> str:
    """A short phrase for a sub-selection: ``{"property": "url", "starts_with": "/pricing"}``
    -> ``pricing``; ``{"property": "url", "eq": "/"}`` -> ``home``."""
    if not where:
        return ""
    value = where.get("starts_with", where.get("eq"))
    if not isinstance(value, str):
        return ""
    path = value.split("://", 1)[-1] if "://" in value else value
    if "://" in value:
        path = "/" + path.partition("/")[2]
    stripped = path.strip("/")
    return stripped if stripped else "home"


def days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"
