"""The leads list's filters and sort orders, each as SQL and as a plain sentence (the list
says in words what it shows), and the keyset cursors of its pages.

A filter comes from the page's query parameters and goes back into links, CSV exports and
saved segments in the same form (:meth:`LeadFilter.params`).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadscore.errors import LeadscoreError, did_you_mean

MAX_SEARCH = 200
FIXED_SORTS = ("total", "predictive", "grade", "stage", "contact_id")


def _number(name: str, text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise LeadscoreError(f"{name} must be a number; got {text!r}") from None
    if not math.isfinite(value):
        raise LeadscoreError(f"{name} must be a finite number; got {text!r}")
    return value


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


@dataclass(frozen=True)
class LeadFilter:
    """Which leads the list shows. Empty fields do not filter."""

    grades: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    min_total: float | None = None
    max_total: float | None = None
    account: str | None = None
    search: str | None = None

    @classmethod
    def from_params(cls, values: Callable[[str], Sequence[str]]) -> LeadFilter:
        """From query parameters (``values(name)`` lists a parameter's values)."""

        def one(name: str) -> str | None:
            found = [v for v in values(name) if v.strip()]
            return found[-1].strip() if found else None

        search = one("q")
        if search is not None and len(search) > MAX_SEARCH:
            raise LeadscoreError(f"a search has at most {MAX_SEARCH} characters")
        low, high = _number("min", one("min")), _number("max", one("max"))
        if low is not None and high is not None and low > high:
            raise LeadscoreError(f"min ({_fmt(low)}) must not exceed max ({_fmt(high)})")
        return cls(
            grades=tuple(dict.fromkeys(v.strip() for v in values("grade") if v.strip())),
            stages=tuple(dict.fromkeys(v.strip() for v in values("stage") if v.strip())),
            min_total=low,
            max_total=high,
            account=one("account"),
            search=search,
        )

    @classmethod
    def from_dict(cls, data: dict[str, list[str]]) -> LeadFilter:
        return cls.from_params(lambda name: data.get(name, []))

    def params(self) -> dict[str, list[str]]:
        """The query parameters that give this filter (only the fields in use)."""
        out: dict[str, list[str]] = {}
        if self.grades:
            out["grade"] = list(self.grades)
        if self.stages:
            out["stage"] = list(self.stages)
        if self.min_total is not None:
            out["min"] = [_fmt(self.min_total)]
        if self.max_total is not None:
            out["max"] = [_fmt(self.max_total)]
        if self.account:
            out["account"] = [self.account]
        if self.search:
            out["q"] = [self.search]
        return out

    @property
    def empty(self) -> bool:
        return not self.params()

    def tokens(self) -> list[str]:
        """The search words, lower case (every one must appear)."""
        return [t for t in (self.search or "").lower().split() if t][:10]

    def where(self, alias: str = "s") -> tuple[list[str], list[Any]]:
        """SQL conditions on the scores table (``alias``) and their parameters. The search is
        not here: it needs the search index (see :mod:`.search`)."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, chosen in (("grade", self.grades), ("stage", self.stages)):
            if chosen:
                clauses.append(f"{alias}.{column} IN ({', '.join('?' for _ in chosen)})")
                params += list(chosen)
        if self.min_total is not None:
            clauses.append(f"{alias}.total >= ?")
            params.append(self.min_total)
        if self.max_total is not None:
            clauses.append(f"{alias}.total <= ?")
            params.append(self.max_total)
        if self.account:
            clauses.append(f"{alias}.account_id = ?")
            params.append(self.account)
        return clauses, params

    def sentences(self) -> list[str]:
        """The filter in words, one clause each: ``grade is hot or warm``."""
        from leadscore.compile.explain import join_words

        out = []
        if self.grades:
            out.append(f"grade is {join_words(list(self.grades))}")
        if self.stages:
            out.append(f"stage is {join_words(list(self.stages))}")
        if self.min_total is not None and self.max_total is not None:
            out.append(f"total between {_fmt(self.min_total)} and {_fmt(self.max_total)}")
        elif self.min_total is not None:
            out.append(f"total at least {_fmt(self.min_total)}")
        elif self.max_total is not None:
            out.append(f"total at most {_fmt(self.max_total)}")
        if self.account:
            out.append(f"account is {self.account}")
        if self.search:
            out.append(f"name, email or id contains {' and '.join(self.tokens())}")
        return out


@dataclass(frozen=True)
class Sort:
    """An order of the list: a key and a direction; ties go by contact id."""

    key: str
    descending: bool = True

    @classmethod
    def parse(cls, text: str | None, score_names: Sequence[str], default: str = "-total") -> Sort:
        raw = (text or default).strip() or default
        descending = raw.startswith("-")
        key = raw.lstrip("-")
        allowed = allowed_sorts(score_names)
        if key not in allowed:
            raise LeadscoreError(
                f"sort must be one of {', '.join(allowed)} (with '-' in front for descending); "
                f"got {raw!r}.{did_you_mean(key, allowed)}"
            )
        return cls(key, descending)

    @property
    def param(self) -> str:
        return ("-" if self.descending else "") + self.key

    def toggled(self) -> Sort:
        return Sort(self.key, not self.descending)


def allowed_sorts(score_names: Sequence[str]) -> list[str]:
    return [*FIXED_SORTS, *(n for n in score_names if n not in FIXED_SORTS)]


@dataclass(frozen=True)
class Cursor:
    """Where a page starts or ends: the sort value and contact id of a row."""

    value: Any
    contact_id: str
    extra: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> str:
        text = json.dumps([self.value, self.contact_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            value, contact_id = json.loads(raw.decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
            raise LeadscoreError("the page link is damaged; go back to the first page") from None
        if not isinstance(contact_id, str) or not isinstance(value, (int, float, str)):
            raise LeadscoreError("the page link is damaged; go back to the first page")
        return cls(value, contact_id)
