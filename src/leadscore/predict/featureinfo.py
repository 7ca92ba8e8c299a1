"""What a feature means: enough to name it for people and to turn it into a rule of the model
spec (learned point tables)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

FeatureKind = Literal[
    "attribute_number",  # a contact attribute read as a number
    "attribute_category",  # a contact attribute's text value (rare values grouped as "other")
    "attribute_flag",  # 1 when a condition on a contact attribute holds (``where``), else 0
    "event_count",  # selected events within a window before the snapshot
    "event_recency",  # days since the last selected event (capped), or missing
    "distinct_values",  # distinct values of a property among selected events in a window
    "rule_points",  # a rule of the current rule model: its points at the snapshot
    "score",  # a named score or the total of the current rule model
    "contact_age",  # days from the contact's creation to the snapshot (missing when unknown)
]

# The category that stands for every value not in ``FeatureInfo.categories``.
OTHER = "(other)"


@dataclass(frozen=True)
class FeatureInfo:
    """One column of a feature table."""

    name: str  # column name, [a-z0-9_]
    kind: FeatureKind
    label: str  # for people: "pricing page views, last 30 days"
    attribute: str | None = None  # attribute_* kinds
    event_types: tuple[str, ...] = ()  # event_* / distinct_values kinds
    # a property condition in spec form, e.g. url starts_with; for attribute_flag, the
    # attribute's condition (without the ``attribute`` key)
    where: dict[str, Any] | None = None
    window_days: int | None = None  # event_count / distinct_values; the cap of event_recency
    property: str | None = None  # distinct_values
    categories: tuple[str, ...] = ()  # attribute_category: the kept values (others -> "other")
    rule_id: str | None = None  # rule_points
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if v not in (None, (), {})}
        out["event_types"] = list(self.event_types)
        out["categories"] = list(self.categories)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureInfo:
        """The inverse of :meth:`as_dict` (unknown keys are an error)."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown FeatureInfo keys: {sorted(unknown)}")
        values = dict(data)
        values["event_types"] = tuple(values.get("event_types", ()))
        values["categories"] = tuple(values.get("categories", ()))
        values.setdefault("extra", {})
        return cls(**values)
