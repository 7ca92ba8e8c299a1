"""A scorecard as a rule model of the spec (version 1): conditions, rule ids, descriptions with
the evidence, the base rule and the grades.

- an event count threshold is an event rule over the feature's event types, ``where`` and
  ``within`` window, counted once, with ``min_count`` for "at least c events";
- "days since the last event below c" is an event rule with ``within: <c>d``;
- an attribute number segment is an attribute rule with ``lt``, ``gte``, ``between`` (whole
  numbers) or ``gte`` and ``lt`` together, and ``missing``;
- a category group is ``in`` (``eq`` for one value), ``not_in`` the kept values for
  ``(other)``, and ``missing``;
- the base: points every lead gets (an attribute condition that always holds).

Attribute rules go to the ``fit`` score and event rules to ``engagement``; the total is their
sum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leadscore.compile.explain import exact_number
from leadscore.predict.featureinfo import OTHER
from leadscore.predict.flags import condition
from leadscore.predict.naming import slug
from leadscore.predict.scorecard_bins import MISSING, level_order

if TYPE_CHECKING:
    from leadscore.predict.featureinfo import FeatureInfo
    from leadscore.predict.scorecard_bins import Binning
    from leadscore.predict.scorecard_model import Scorecard, ScorecardRule

FIT, ENGAGEMENT = "fit", "engagement"
BASE_RULE = "base"
# a condition that holds for every lead: an attribute is present or it is missing
ALWAYS = {"any": [{"attribute": "base", "exists": True}, {"attribute": "base", "missing": True}]}
MAX_ID = 40


def _cut(binning: Binning, j: int) -> float:
    return binning.cuts[j]


def _number_text(value: float) -> str:
    return exact_number(value)


def _id_number(value: float) -> str:
    return _number_text(value).replace("-", "minus_").replace(".", "_")


def _value_run(binning: Binning, bins: frozenset[int]) -> tuple[float | None, float | None]:
    """The value range of the value bins in ``bins``: ``(low, high)`` with ``None`` open."""
    values = sorted(b for b in bins if b < binning.value_bins)
    if not values:
        return None, None
    first, last = values[0], values[-1]
    low = _cut(binning, first - 1) if first > 0 else None
    high = _cut(binning, last) if last < binning.value_bins - 1 else None
    return low, high


def _has_missing(binning: Binning, bins: frozenset[int]) -> bool:
    if binning.missing_bin:
        return binning.value_bins in bins
    return binning.missing_in_first and 0 in bins


def _number_condition(info: FeatureInfo, binning: Binning, bins: frozenset[int]) -> Any:
    attribute = info.attribute
    low, high = _value_run(binning, bins)
    parts: list[dict[str, Any]] = []
    if any(b < binning.value_bins for b in bins):
        if low is None and high is None:
            parts.append({"attribute": attribute, "exists": True})
        elif high is None:
            parts.append({"attribute": attribute, "gte": low})
        elif low is None:
            parts.append({"attribute": attribute, "lt": high})
        elif binning.integer and high == int(high) and low <= high - 1:
            parts.append({"attribute": attribute, "between": [low, high - 1]})
        else:
            parts.append(
                {
                    "all": [
                        {"attribute": attribute, "gte": low},
                        {"attribute": attribute, "lt": high},
                    ]
                }
            )
    if _has_missing(binning, bins):
        parts.append({"attribute": attribute, "missing": True})
    return parts[0] if len(parts) == 1 else {"any": parts}


def _levels(binning: Binning, bins: frozenset[int]) -> list[str]:
    """The category levels of some groups: values alphabetically, then (other), (missing)."""
    return sorted((v for g in bins for v in binning.groups[g]), key=level_order)


def _category_condition(info: FeatureInfo, binning: Binning, bins: frozenset[int]) -> Any:
    attribute = info.attribute
    levels = _levels(binning, bins)
    values = [v for v in levels if v not in (OTHER, MISSING)]
    parts: list[dict[str, Any]] = []
    if len(values) == 1:
        parts.append({"attribute": attribute, "eq": values[0]})
    elif values:
        parts.append({"attribute": attribute, "in": values})
    if OTHER in levels:
        parts.append({"attribute": attribute, "not_in": list(info.categories)})
    if MISSING in levels:
        parts.append({"attribute": attribute, "missing": True})
    return parts[0] if len(parts) == 1 else {"any": parts}


def _event_part(info: FeatureInfo) -> dict[str, Any]:
    types = list(info.event_types)
    out: dict[str, Any] = {"event": types[0] if len(types) == 1 else types}
    if info.where:
        out["where"] = info.where
    return out


def _threshold(binning: Binning, bins: frozenset[int]) -> int:
    """The cut a nested event rule stands for: ``min_count`` of a count, days of a recency."""
    if binning.kind == "count":
        return int(_cut(binning, min(bins) - 1))
    return int(_cut(binning, max(bins)))


def rule_body(info: FeatureInfo, binning: Binning, bins: frozenset[int]) -> dict[str, Any]:
    """The spec keys of a rule (without id, description and points)."""
    if binning.kind == "count":
        body = _event_part(info)
        if info.window_days:
            body["within"] = f"{info.window_days}d"
        c = _threshold(binning, bins)
        if c > 1:
            body["min_count"] = c
        return body
    if binning.kind == "recency":
        body = _event_part(info)
        body["within"] = f"{_threshold(binning, bins)}d"
        return body
    if binning.kind == "number":
        return {"when": _number_condition(info, binning, bins)}
    if binning.kind == "flag":  # its one threshold selects the leads it holds for (bin 1)
        assert bins == frozenset({1}), bins
        return {"when": condition(info)}
    return {"when": _category_condition(info, binning, bins)}


def score_of(binning: Binning) -> str:
    return ENGAGEMENT if binning.kind in ("count", "recency") else FIT


# --- words ---------------------------------------------------------------------------------


def _article(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def phrase(info: FeatureInfo, binning: Binning, bins: frozenset[int]) -> str:
    """The leads a rule selects, in words: "pricing page views, last 30 days: at least 3"."""
    if binning.kind == "count":
        return f"{info.label}: at least {_threshold(binning, bins)}"
    if binning.kind == "recency":
        days = _threshold(binning, bins)
        prefix = "days since the last "
        if info.label.startswith(prefix):
            return f"{_article(info.label[len(prefix) :])} in the last {days} days"
        return f"{info.label}: under {days}"
    if binning.kind == "number":
        low, high = _value_run(binning, bins)
        parts = []
        if any(b < binning.value_bins for b in bins):
            if low is None and high is None:
                parts.append("present")
            elif high is None:
                parts.append(f"{_number_text(low or 0)} or more")
            elif low is None:
                parts.append(f"under {_number_text(high)}")
            elif binning.integer and high == int(high):
                parts.append(f"{_number_text(low)} to {_number_text(high - 1)}")
            else:
                parts.append(f"from {_number_text(low)} to under {_number_text(high)}")
        if _has_missing(binning, bins):
            parts.append("missing")
        return f"{info.label} {' or '.join(parts)}"
    if binning.kind == "flag":
        return info.label
    levels = _levels(binning, bins)
    shown = [("missing" if v == MISSING else v) for v in levels]
    if len(shown) > 8:
        shown = [*shown[:8], f"{len(shown) - 8} more"]
    return f"{info.label}: {', '.join(shown)}"


def rule_id(info: FeatureInfo, binning: Binning, bins: frozenset[int]) -> str:
    """A readable id before de-duplication (``page_view_pricing_30d_3plus``)."""
    name = info.name
    if binning.kind == "count":
        base = name.removeprefix("n_")
        c = _threshold(binning, bins)
        return base if c == 1 else f"{base}_{c}plus"
    if binning.kind == "recency":
        base = name.removeprefix("days_since_")
        return f"{base}_within_{_threshold(binning, bins)}d"
    if binning.kind == "flag":
        return name.removeprefix("attr_")
    base = slug(info.attribute or name)
    if binning.kind == "number":
        low, high = _value_run(binning, bins)
        words = []
        if any(b < binning.value_bins for b in bins):
            if low is not None and high is not None:
                words.append(f"{_id_number(low)}_to_{_id_number(high)}")
            elif low is not None:
                words.append(f"{_id_number(low)}_plus")
            elif high is not None:
                words.append(f"under_{_id_number(high)}")
        if _has_missing(binning, bins):
            words.append("missing")
        return f"{base}_{'_or_'.join(words) or 'present'}"
    levels = _levels(binning, bins)
    first = {OTHER: "other", MISSING: "missing"}.get(levels[0], levels[0])
    more = f"_and_{len(levels) - 1}_more" if len(levels) > 1 else ""
    return f"{base}_{slug(first, 20)}{more}"


class Ids:
    """Unique rule ids of at most 40 characters that start with a letter."""

    def __init__(self) -> None:
        self.taken: set[str] = {BASE_RULE}

    def __call__(self, text: str) -> str:
        base = slug(text, MAX_ID)
        if not base[0].isalpha():
            base = slug("r_" + base, MAX_ID)
        name, n = base, 1
        while name in self.taken:
            n += 1
            suffix = f"_{n}"
            name = base[: MAX_ID - len(suffix)].rstrip("_") + suffix
        self.taken.add(name)
        return name


def describe(scorecard: Scorecard, rule: ScorecardRule, horizon_days: int | None) -> str:
    """The evidence of a rule, in one line (at most 500 characters)."""
    info = scorecard.infos[rule.feature]
    binning = scorecard.binnings[rule.feature]
    text = phrase(info, binning, rule.bins)
    ev = rule.evidence
    if ev is not None:
        within = f" within {horizon_days} days" if horizon_days else ""
        text += (
            f": {ev.support:,} of {ev.examples:,} examples ({ev.share:.1%}), "
            f"{ev.rate:.1%} converted{within} vs {ev.base_rate:.1%} overall "
            f"(lift {ev.lift:.2f})"
        )
    cumulative = scorecard.cumulative_points(rule)
    if cumulative != rule.points:
        text += f"; {cumulative:+d} points in all with the wider rules of this feature"
    reference = scorecard.references.get(rule.feature)
    if reference is not None:
        text += f"; points relative to {phrase(info, binning, reference)} (0 points)"
    if len(text) > 500:
        text = text[:497] + "..."
    return text


def assign_ids(scorecard: Scorecard) -> None:
    ids = Ids()
    for rule in scorecard.rules:
        binning = scorecard.binnings[rule.feature]
        rule.rule_id = ids(rule_id(scorecard.infos[rule.feature], binning, rule.bins))
        rule.score = score_of(binning)


def rule_dict(
    scorecard: Scorecard, rule: ScorecardRule, horizon_days: int | None
) -> dict[str, Any]:
    info = scorecard.infos[rule.feature]
    binning = scorecard.binnings[rule.feature]
    return {
        "id": rule.rule_id,
        "description": describe(scorecard, rule, horizon_days),
        "points": rule.points,
        **rule_body(info, binning, rule.bins),
    }


def base_rule(scorecard: Scorecard) -> dict[str, Any]:
    return {
        "id": BASE_RULE,
        "description": (
            "Every lead starts with these points (the scorecard's intercept; the condition "
            f"always holds). Scale: {scorecard.scale.describe()}"
        )[:500],
        "points": scorecard.base_points,
        "when": ALWAYS,
    }


def model_dict(
    scorecard: Scorecard, name: str, description: str, horizon_days: int | None
) -> dict[str, Any]:
    """The whole rule model, as the data of its YAML file."""
    scores: dict[str, dict[str, Any]] = {}
    for rule in scorecard.rules:
        scores.setdefault(rule.score, {"rules": []})["rules"].append(
            rule_dict(scorecard, rule, horizon_days)
        )
    ordered = {k: scores[k] for k in (FIT, ENGAGEMENT) if k in scores}
    if scorecard.base_points or not ordered:
        first = next(iter(ordered), FIT)
        ordered.setdefault(first, {"rules": []})["rules"].insert(0, base_rule(scorecard))
    model: dict[str, Any] = {"leadscore": 1, "name": name, "description": description}
    model["scores"] = ordered
    if scorecard.scale.method == "minmax":
        model["total"] = {"min": 0, "max": 100}
    bands = []
    for band in scorecard.bands:
        entry: dict[str, Any] = {"grade": band.grade}
        if band.min is not None:
            entry["min"] = band.min
        if band.stage is not None:
            entry["stage"] = band.stage
        bands.append(entry)
    model["grades"] = {"lead": {"score": "total", "bands": bands}}
    return model
