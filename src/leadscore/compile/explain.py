"""Rules and conditions in plain words: the sentences the UI shows in "why this score".

Every rule compiles to SQL (:mod:`leadscore.compile.rules`) and to a sentence here, one function
per rule kind, so that people can read what a rule does (:func:`rule_sentence`) and what it did
for one lead (:func:`contribution_sentence`). Field names are humanised (``job_title`` -> job
title); values are kept exact, and text values are quoted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from leadscore.model.predicates import AllOf, AnyOf, Condition, NotOf, Predicate
from leadscore.model.spec import AttributeRule, EventRule, InactivityRule, RollupRule, us
from leadscore.timeutil import format_duration
from leadscore.values import fmt_number

AnyRule = AttributeRule | EventRule | InactivityRule | RollupRule

# How each operator reads after the field name; {} is the operand.
_OPERATOR_WORDS = {
    "contains": "contains {}",
    "starts_with": "starts with {}",
    "ends_with": "ends with {}",
    "gt": "is more than {}",
    "gte": "is at least {}",
    "lt": "is less than {}",
    "lte": "is at most {}",
}
_PERIODS = {"hour": "hour", "day": "day", "week": "week (Monday to Sunday, UTC)"}
_OWNERS = {"accounts": "the account's contacts", "deals": "the deal's contacts"}


def humanise(name: str) -> str:
    """``job_title`` -> ``job title`` (field names, event types, rule ids)."""
    return name.replace("_", " ")


def join_words(items: Sequence[str], last: str = "or") -> str:
    """``["a", "b", "c"]`` -> ``a, b or c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def exact_number(value: float) -> str:
    """A number as written in the model: ``50.0`` -> ``50``, ``0.333333`` stays ``0.333333``."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def value_text(value: object) -> str:
    """A condition's operand: text quoted (exactly, escapes included), numbers and booleans bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return exact_number(float(value))
    return json.dumps(value, ensure_ascii=False)


def points_text(points: float) -> str:
    """``12`` -> ``+12 points``, ``-15`` -> ``-15 points``, ``1`` -> ``+1 point``."""
    sign = "+" if points > 0 else ""
    unit = "point" if abs(points) == 1 else "points"
    return f"{sign}{fmt_number(points)} {unit}"


def _span(duration: str | None) -> str:
    """``"45d"`` -> ``45 days``; a single unit reads without the number: ``"1d"`` -> ``day``."""
    text = format_duration(us(duration) or 0)
    return text.removeprefix("1 ") if text.startswith("1 ") else text


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _leaf_sentence(leaf: Condition) -> str:
    field = humanise(leaf.field)
    op, operand = leaf.operator, leaf.operand
    if op == "exists":
        return f"{field} is present"
    if op == "missing":
        return f"{field} is missing"
    if op in ("eq", "ne"):
        text = f"{field} {'is' if op == 'eq' else 'is not'} {value_text(operand)}"
    elif op in ("in", "not_in"):
        values = [value_text(v) for v in operand]
        negation = "" if op == "in" else " not"
        if len(values) == 1:
            text = f"{field} is{negation} {values[0]}"
        else:
            text = f"{field} is{negation} one of {join_words(values)}"
    elif op == "matches":  # between slashes, so a slash in the pattern is written \/
        text = f"{field} matches /{operand.replace('/', chr(92) + '/')}/"
    elif op == "between":
        low, high = operand
        text = f"{field} is between {exact_number(low)} and {exact_number(high)}"
    else:
        text = f"{field} " + _OPERATOR_WORDS[op].format(value_text(operand))
    return text + (" (ignoring case)" if leaf.ignore_case else "")


def _compound(predicate: Predicate) -> bool:
    return isinstance(predicate, (list, AllOf, AnyOf))


def _part(predicate: Predicate) -> str:
    text = predicate_sentence(predicate)
    return f"({text})" if _compound(predicate) else text


def predicate_sentence(predicate: Predicate) -> str:
    """A condition in words: ``country is one of "US", "CA" or "GB"``, ``all of: ...; ...``."""
    if isinstance(predicate, list):
        items: list[Predicate] = predicate
        return predicate_sentence(items[0]) if len(items) == 1 else _all(items)
    if isinstance(predicate, AllOf):
        return _all(predicate.all)
    if isinstance(predicate, AnyOf):
        return "any of: " + "; ".join(_part(p) for p in predicate.any)
    if isinstance(predicate, NotOf):
        return f"not ({predicate_sentence(predicate.not_)})"
    return _leaf_sentence(predicate)


def _all(items: Sequence[Predicate]) -> str:
    return "all of: " + "; ".join(_part(p) for p in items)


def _whose(where: Predicate | None) -> str:
    """`` whose url starts with "/pricing"`` for one condition, `` where all of: ...`` else."""
    while isinstance(where, list) and len(where) == 1:
        where = where[0]
    if where is None:
        return ""
    if isinstance(where, (list, AllOf, AnyOf, NotOf)):
        return " where " + predicate_sentence(where)
    return " whose " + predicate_sentence(where)


def _article(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def _attribute_sentence(rule: AttributeRule, entity: str | None) -> str:
    return f"{points_text(rule.points)} when {predicate_sentence(rule.when)}"


def _event_sentence(rule: EventRule, entity: str | None) -> str:
    types = join_words([humanise(t) for t in rule.event])
    if rule.count == "once" and rule.min_count > 1:
        text = f"{points_text(rule.points)} once for at least {rule.min_count} x {types}"
    elif rule.count == "once":
        text = f"{points_text(rule.points)} once for {_article(types)}"
    else:
        text = f"{points_text(rule.points)} for each {types}"
    text += _whose(rule.where)
    if rule.within is not None:
        text += f" in the last {_span(rule.within)}"
    limits = []
    if rule.count == "each" and rule.min_count > 1:
        limits.append(f"once there are at least {rule.min_count}")
    if rule.max_times is not None:
        limits.append(f"at most {_times(rule.max_times)}")
    if rule.cap is not None:
        limits.append(f"at most {rule.cap.max} per {_PERIODS[rule.cap.per]}")
    if limits:
        text += f" ({', '.join(limits)})"
    if rule.half_life is not None:
        text += f", fading by half every {_span(rule.half_life)}"
    return text


def _inactivity_sentence(rule: InactivityRule, entity: str | None) -> str:
    what = "event" if rule.event is None else join_words([humanise(t) for t in rule.event])
    return (
        f"{points_text(rule.points)} when there was no {what}{_whose(rule.where)} "
        f"in the last {_span(rule.inactive)}"
    )


def _rollup_sentence(rule: RollupRule, entity: str | None) -> str:
    roll = rule.rollup
    members = _OWNERS.get(entity or "", "its contacts")
    if roll.grade is not None:
        members += f" whose {humanise(roll.grade.grading)} grade is {roll.grade.at_least} or better"
    score = "total" if roll.of == "total" else f"{humanise(roll.of)} score"
    if roll.agg == "count":
        return f"{points_text(rule.points)} for each of {members}"
    factor = ("+" if rule.points > 0 else "") + fmt_number(rule.points)
    value = {
        "sum": f"the sum of the {score}s of {members}",
        "max": f"the highest {score} among {members}",
        "min": f"the lowest {score} among {members}",
        "mean": f"the average {score} of {members}",
        "top_k_mean": f"the average of the {roll.k} highest {score}s among {members}",
    }[roll.agg]
    return f"{factor} x {value}"


_RULE_SENTENCES: dict[str, Callable[[Any, str | None], str]] = {
    "attribute": _attribute_sentence,
    "event": _event_sentence,
    "inactivity": _inactivity_sentence,
    "rollup": _rollup_sentence,
}


def rule_sentence(rule: AnyRule, entity: str | None = None) -> str:
    """What a rule does, in one sentence.

    ``entity`` ("accounts" or "deals") names the owner of the contacts in roll-up sentences
    ("the account's contacts"); without it they read "its contacts".
    """
    return _RULE_SENTENCES[rule.kind](rule, entity)


def _arrow(points: float) -> str:
    return f" -> {points_text(points)}"


def contribution_sentence(
    rule: AnyRule, matched: int, counted: int, weight: float, points: float
) -> str:
    """What a rule found for one lead and the points it gave, from its breakdown columns."""
    label = humanise(rule.id) + ": "
    if isinstance(rule, InactivityRule):
        span = _span(rule.inactive)
        if counted:
            return f"{label}no matching event in the last {span}{_arrow(points)}"
        if matched:
            found = _plural(matched, "matching event")
            return f"{label}{found} in the last {span}, so the rule did not apply"
        return (
            f"{label}no matching event in the last {span}, but the contact was created less "
            f"than {span} ago, so the rule did not apply"
        )
    if matched == 0 and points == 0:
        reason = {
            "attribute": "the condition does not hold",
            "event": "no matching event",
            "rollup": "no contacts"
            + (" with that grade" if isinstance(rule, RollupRule) and rule.rollup.grade else ""),
        }[rule.kind]
        return f"{label}rule did not apply ({reason})"
    if isinstance(rule, AttributeRule):
        return f"{label}the condition holds{_arrow(points)}"
    if isinstance(rule, RollupRule):
        return label + _rollup_found(rule, matched, counted, weight) + _arrow(points)
    parts = [_plural(matched, "matching event")]
    if rule.count == "once":
        parts.append("counted once")
    else:
        parts.append(f"{counted} counted" + (" (capped)" if counted < matched else ""))
    if rule.half_life is not None:
        parts.append(f"weight {fmt_number(weight)} after decay")
    return label + ", ".join(parts) + _arrow(points)


def _rollup_found(rule: RollupRule, matched: int, counted: int, weight: float) -> str:
    roll = rule.rollup
    contacts = _plural(matched, "contact")
    if roll.agg == "count":
        return contacts
    if roll.agg == "top_k_mean":
        return f"{contacts}, the top {counted} average {fmt_number(weight)}"
    word = {"sum": "sum", "max": "highest", "min": "lowest", "mean": "average"}[roll.agg]
    return f"{contacts}, {word} {fmt_number(weight)}"
