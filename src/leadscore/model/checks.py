"""Checks that need the whole model: references between parts, unique ids, rule kinds.

They read the raw YAML data (not the validated model) so that they run, and report, even when
other parts of the file fail validation: one run shows every problem.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import Any

from leadscore.model.problems import Path, Problem, path_text

RESERVED_SCORE_NAMES = ("total",)
RULE_KINDS = {
    "contacts": ("attribute", "event", "inactivity"),
    "accounts": ("attribute", "rollup"),
    "deals": ("attribute", "rollup"),
}


def rule_kind(rule: Any) -> str | None:
    """The kind of a raw rule mapping, by its distinguishing key."""
    if not isinstance(rule, dict):
        return None
    for key, kind in (("rollup", "rollup"), ("inactive", "inactivity"), ("event", "event")):
        if key in rule:
            return kind
    return "attribute" if "when" in rule else None


def condition_fields(predicate: Any, path: Path) -> Iterator[tuple[str, Path]]:
    """``("attribute" | "property", path of that key)`` for every leaf of a raw condition."""
    if isinstance(predicate, list):
        for index, item in enumerate(predicate):
            yield from condition_fields(item, (*path, index))
        return
    if not isinstance(predicate, dict):
        return
    for combinator in ("all", "any"):
        for index, item in enumerate(_list(predicate.get(combinator))):
            yield from condition_fields(item, (*path, combinator, index))
    if "not" in predicate:
        yield from condition_fields(predicate["not"], (*path, "not"))
    for key in ("attribute", "property"):
        if key in predicate:
            yield key, (*path, key)


# What a condition reads in each place: attribute rules read the entity's attributes, the
# `where` of event and inactivity rules reads the events' properties.
CONDITION_FIELD = {"when": "attribute", "where": "property"}
_WRONG_FIELD = {
    "when": "'when' tests the attributes of the contact, account or deal: write 'attribute: "
    "<name>' ('property' names an event property, in an event rule's 'where')",
    "where": "'where' selects events by their properties: write 'property: <name>' "
    "(attributes of the contact belong in an attribute rule's 'when')",
}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _labels(grading: Any) -> list[str]:
    return [
        str(band["grade"])
        for band in _list(_dict(grading).get("bands"))
        if isinstance(band, dict) and "grade" in band
    ]


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def ref(self, value: Any, choices: Iterable[str], path: Path, what: str) -> bool:
        options = sorted(set(choices))
        if not isinstance(value, str) or value in options:
            return isinstance(value, str)
        close = difflib.get_close_matches(value, options, n=1, cutoff=0.5)
        self.problems.append(
            Problem(
                f"unknown {what}",
                path=path,
                value=value,
                has_value=True,
                allowed=tuple(options),
                suggestion=close[0] if close else None,
            )
        )
        return False

    def section(self, data: dict[str, Any], entity: str, prefix: Path, contacts: dict[str, Any]):  # type: ignore[no-untyped-def]
        scores = _dict(data.get("scores"))
        grades = _dict(data.get("grades"))
        seen: dict[str, Path] = {}
        group_owner: dict[str, str] = {}
        for score_name, score in scores.items():
            score_path: Path = (*prefix, "scores", score_name)
            if score_name in RESERVED_SCORE_NAMES:
                self.problems.append(
                    Problem(
                        f"'{score_name}' is reserved for the combined score; choose another name",
                        path=score_path,
                    )
                )
            groups = _dict(_dict(score).get("groups"))
            for group in groups:
                if group in group_owner:
                    self.problems.append(
                        Problem(
                            f"group '{group}' is also declared in score '{group_owner[group]}'; "
                            "group names are unique within contacts, accounts or deals",
                            path=(*score_path, "groups", group),
                        )
                    )
                group_owner.setdefault(group, score_name)
            used_groups: set[str] = set()
            for index, rule in enumerate(_list(_dict(score).get("rules"))):
                self.rule(
                    rule, (*score_path, "rules", index), entity, groups, used_groups, seen, contacts
                )
            for group in sorted(set(groups) - used_groups):
                self.problems.append(
                    Problem(
                        f"group '{group}' caps no rule (no rule says group: {group})",
                        path=(*score_path, "groups", group),
                    )
                )
        total = _dict(data.get("total"))
        if isinstance(total.get("scores"), list):
            for i, name in enumerate(total["scores"]):
                self.ref(name, scores, (*prefix, "total", "scores", i), "score")
        for name in _dict(total.get("weights")):
            self.ref(name, scores, (*prefix, "total", "weights", name), "score")
        for grading_name, grading in grades.items():
            score_ref = _dict(grading).get("score")
            self.ref(
                score_ref, [*scores, "total"], (*prefix, "grades", grading_name, "score"), "score"
            )
        matrix = _dict(data.get("matrix"))
        if matrix:
            ok_rows = self.ref(matrix.get("rows"), grades, (*prefix, "matrix", "rows"), "grading")
            ok_cols = self.ref(
                matrix.get("columns"), grades, (*prefix, "matrix", "columns"), "grading"
            )
            if ok_rows and ok_cols:
                cells = [
                    r + c
                    for r in _labels(grades[matrix["rows"]])
                    for c in _labels(grades[matrix["columns"]])
                ]
                placed: dict[str, str] = {}
                for stage, members in _dict(matrix.get("stages")).items():
                    for i, cell in enumerate(_list(members)):
                        where: Path = (*prefix, "matrix", "stages", stage, i)
                        if not self.ref(cell, cells, where, "matrix cell"):
                            continue
                        if cell in placed and placed[cell] != stage:
                            self.problems.append(
                                Problem(
                                    f"cell '{cell}' is in two stages: '{placed[cell]}' and "
                                    f"'{stage}'",
                                    path=where,
                                )
                            )
                        placed[cell] = stage
        if "primary_grade" in data:
            choices = [*grades, *(["matrix"] if matrix else [])]
            self.ref(data["primary_grade"], choices, (*prefix, "primary_grade"), "grading")

    def rule(
        self,
        rule: Any,
        path: Path,
        entity: str,
        groups: dict[str, Any],
        used_groups: set[str],
        seen: dict[str, Path],
        contacts: dict[str, Any],
    ) -> None:
        rule = _dict(rule)
        rule_id = rule.get("id")
        if isinstance(rule_id, str):
            if rule_id in seen:
                other = seen[rule_id]
                self.problems.append(
                    Problem(
                        f"rule id '{rule_id}' is used twice (also at {path_text(other)}); "
                        "rule ids are unique",
                        path=(*path, "id"),
                    )
                )
            seen.setdefault(rule_id, path)
        kind = rule_kind(rule)
        if kind is not None and kind not in RULE_KINDS[entity]:
            self.problems.append(
                Problem(
                    f"{kind} rules do not apply to {entity}",
                    path=path,
                    allowed=tuple(f"{k} rules" for k in RULE_KINDS[entity]),
                )
            )
        place = "when" if kind == "attribute" else "where"
        wanted = CONDITION_FIELD[place]
        if kind in ("attribute", "event", "inactivity"):
            for key, where in condition_fields(rule.get(place), (*path, place)):
                if key != wanted:
                    self.problems.append(
                        Problem(
                            _WRONG_FIELD[place], path=where, allowed=(wanted,), suggestion=wanted
                        )
                    )
        if "group" in rule:
            used_groups.add(str(rule["group"]))
            self.ref(rule["group"], groups, (*path, "group"), "rule group")
        roll = _dict(rule.get("rollup"))
        if roll and entity != "contacts":
            contact_scores = _dict(contacts.get("scores"))
            self.ref(
                roll.get("of"), [*contact_scores, "total"], (*path, "rollup", "of"), "contact score"
            )
            grade = _dict(roll.get("grade"))
            if grade:
                contact_grades = _dict(contacts.get("grades"))
                at: Path = (*path, "rollup", "grade")
                if self.ref(grade.get("grading"), contact_grades, (*at, "grading"), "grading"):
                    labels = _labels(contact_grades[grade["grading"]])
                    self.ref(grade.get("at_least"), labels, (*at, "at_least"), "grade")


def semantic_problems(data: dict[str, Any]) -> list[Problem]:
    """Every cross-reference problem in raw model data (positions are filled in by the loader)."""
    checker = _Checker()
    checker.section(data, "contacts", (), data)
    for entity in ("accounts", "deals"):
        if isinstance(data.get(entity), dict):
            checker.section(data[entity], entity, (entity,), data)
    return checker.problems
