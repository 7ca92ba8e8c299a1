"""Predicates evaluated on a ``{name: text}`` mapping, two-valued."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from leadscore.model import regex
from leadscore.model.predicates import (
    AllOf,
    AnyOf,
    AttributeCondition,
    NotOf,
    Predicate,
    PropertyCondition,
)
from leadscore.values import ascii_lower, parse_number


@lru_cache(maxsize=1024)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(regex.portable(pattern, "python", ignore_case), re.ASCII)


def matches(pattern: str, ignore_case: bool, value: str) -> bool:
    """Whether ``value`` contains a match of a spec pattern (``matches``)."""
    subject = ascii_lower(value) if ignore_case else value
    return _compiled(pattern, ignore_case).search(subject) is not None


def _equals(value: str | None, operand: object, ignore_case: bool) -> bool:
    if value is None:
        return False
    if isinstance(operand, bool):
        return ascii_lower(value) == ("true" if operand else "false")
    if isinstance(operand, (int, float)):
        number = parse_number(value)
        return number is not None and number == float(operand)
    assert isinstance(operand, str)
    if ignore_case:
        return ascii_lower(value) == ascii_lower(operand)
    return value == operand


def holds(predicate: Predicate, values: Mapping[str, str]) -> bool:
    if isinstance(predicate, list):
        return all(holds(p, values) for p in predicate)
    if isinstance(predicate, AllOf):
        return all(holds(p, values) for p in predicate.all)
    if isinstance(predicate, AnyOf):
        return any(holds(p, values) for p in predicate.any)
    if isinstance(predicate, NotOf):
        return not holds(predicate.not_, values)
    return _leaf(predicate, values)


def _leaf(leaf: AttributeCondition | PropertyCondition, values: Mapping[str, str]) -> bool:
    value = values.get(leaf.field)
    op, operand, ic = leaf.operator, leaf.operand, leaf.ignore_case
    if op == "exists":
        return value is not None
    if op == "missing":
        return value is None
    if op == "eq":
        return _equals(value, operand, ic)
    if op == "in":
        return any(_equals(value, item, ic) for item in operand)
    if op == "ne":
        return value is not None and not _equals(value, operand, ic)
    if op == "not_in":
        return value is not None and not any(_equals(value, item, ic) for item in operand)
    if value is None:
        return False
    if op in ("contains", "starts_with", "ends_with", "matches"):
        if op == "matches":
            return matches(operand, ic, value)
        subject = ascii_lower(value) if ic else value
        needle = ascii_lower(operand) if ic else operand
        if op == "contains":
            return needle in subject
        if op == "starts_with":
            return subject.startswith(needle)
        return subject.endswith(needle)
    number = parse_number(value)
    if number is None:
        return False
    if op == "between":
        low, high = operand
        return float(low) <= number <= float(high)
    bound = float(operand)
    return {
        "gt": number > bound,
        "gte": number >= bound,
        "lt": number < bound,
        "lte": number <= bound,
    }[op]
