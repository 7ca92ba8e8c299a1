"""Flags read from free text: what a person looks for first in a job title or an email address.

A job title is free text (``Senior VP, Revenue Operations``): too many distinct values to be a
category, yet its seniority is the strongest fit signal of most B2B funnels. An email address is
a personal identifier, yet whether it is at a free-mail provider says something about the lead.
Each flag is a condition of the model spec on one attribute (``matches`` with ``ignore_case``),
so the feature (1 when it holds, else 0) means exactly what the same condition means in a rule:
the store computes it with the compiled predicate, a plain table with the reference evaluator.

A flag is planned when its attribute is a job title (its name ends in ``title``, or is
``position``) or an email (its name contains ``email``), and it holds for at least
``min_attribute_share`` and at most ``1 - min_attribute_share`` of the sampled contacts that
have the attribute.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from leadscore.predict.featureinfo import FeatureInfo

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from leadscore.model.predicates import AttributeCondition
    from leadscore.predict.naming import Names


@dataclass(frozen=True)
class Flag:
    slug: str  # feature name part
    words: str  # what it finds: "vice president"
    pattern: str  # a spec regular expression, matched ignoring case


SENIORITY = (
    Flag(
        "c_level",
        "C-level or founder",
        r"\b(chief|ceo|cto|cfo|cmo|coo|cro|cio|founder|co-founder)\b",
    ),
    Flag("vp", "vice president", r"\b(vp|svp|evp|vice president)\b"),
    Flag("head", "head of", r"\bhead of\b"),
    Flag("director", "director", r"\bdirector\b"),
    Flag("manager", "manager or team lead", r"\b(manager|team lead)\b"),
    Flag("student", "student or intern", r"\b(student|intern|trainee)\b"),
)
FREE_MAIL = (
    Flag(
        "free_mail",
        "free-mail address",
        r"@(gmail|googlemail|yahoo|ymail|hotmail|outlook|live|msn|aol|icloud|gmx|yandex|"
        r"proton|protonmail|zoho)\.",
    ),
)


def flags_for(key: str) -> tuple[Flag, ...]:
    """The flags read from an attribute, by its name."""
    name = key.lower()
    if name.endswith("title") or name == "position":
        return SENIORITY
    if "email" in name:
        return FREE_MAIL
    return ()


def condition(info: FeatureInfo) -> dict[str, Any]:
    """A flag feature's condition in spec form (``{attribute: ..., matches: ...}``)."""
    assert info.kind == "attribute_flag"
    assert info.attribute is not None
    assert info.where
    return {"attribute": info.attribute, **info.where}


def predicate(info: FeatureInfo) -> AttributeCondition:
    """A flag feature's condition, validated as the model loader validates one."""
    from leadscore.model.predicates import AttributeCondition

    return AttributeCondition.model_validate(condition(info))


def flag_infos(
    key: str, values: Sequence[str], options_share: float, names: Names
) -> tuple[list[FeatureInfo], list[str]]:
    """The flags of attribute ``key`` worth keeping, judged on a sample of its present values."""
    from leadscore.predict.naming import slug, words

    infos: list[FeatureInfo] = []
    notes: list[str] = []
    for flag in flags_for(key):
        info = FeatureInfo(
            name="",
            kind="attribute_flag",
            label=f"{words(key)}: {flag.words}",
            attribute=key,
            where={"matches": flag.pattern, "ignore_case": True},
        )
        share = float(holds_all(info, values).mean()) if values else 0.0
        if 0 < share < 1 and options_share <= share <= 1 - options_share:
            infos.append(replace(info, name=names("attr", f"{slug(key)}_{flag.slug}")))
        else:
            notes.append(f"{info.label}: left out (holds for {share:.1%} of the sample)")
    return infos, notes


def holds_all(info: FeatureInfo, values: Iterable[Any]) -> npt.NDArray[np.float32]:
    """The flag of each text value (anything else is missing: 0), as the reference evaluator
    reads the condition."""
    import numpy as np

    from leadscore.reference.predicates import matches

    leaf = predicate(info)  # checked: a flag is one ``matches`` condition
    assert leaf.operator == "matches"
    pattern, ignore_case = str(leaf.operand), leaf.ignore_case
    seen: dict[str, float] = {}  # job titles repeat: each text is read once

    def flag(value: str) -> float:
        found = seen.get(value)
        if found is None:
            found = seen[value] = float(matches(pattern, ignore_case, value))
        return found

    out = [flag(v) if isinstance(v, str) else 0.0 for v in values]
    return np.asarray(out, dtype=np.float32)
