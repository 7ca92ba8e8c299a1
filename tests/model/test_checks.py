"""Checks across the model: references, unique ids and groups, rule kinds per section."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from leadscore.model import ModelError, Problem, load_model_text
from leadscore.model.checks import (
    RULE_KINDS,
    condition_fields,
    rule_kind,
    semantic_problems,
)
from leadscore.model.problems import path_text

HEAD = "leadscore: 1\nname: m\n"


def problems(body: str) -> list[Problem]:
    text = HEAD + textwrap.dedent(body).lstrip("\n")
    with pytest.raises(ModelError) as caught:
        load_model_text(text, "m.yaml")
    return caught.value.problems


def by_path(found: list[Problem]) -> dict[str, Problem]:
    return {path_text(p.path): p for p in found}


def position(body: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based line and column of ``needle`` in the whole file (HEAD included)."""
    text = HEAD + textwrap.dedent(body).lstrip("\n")
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def attribute_rule(rule_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": rule_id, "points": 1, "when": {"attribute": "x", "exists": True}, **extra}


def data(**sections: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"leadscore": 1, "name": "m"}
    out.update(sections)
    return out


# ---- references -----------------------------------------------------------------------------

SCORES = """
scores:
  fit:
    rules:
      - {id: a, points: 1, when: {attribute: x, exists: true}}
  engagement:
    rules:
      - {id: b, points: 1, event: v}
"""

GRADES = """
grades:
  lead:
    score: total
    bands:
      - {grade: hot, min: 60}
      - {grade: warm, min: 30}
      - {grade: cold}
  fit_band:
    score: fit
    bands:
      - {grade: A, min: 50}
      - {grade: B}
"""


@pytest.mark.parametrize(
    ("extra", "path", "needle", "value", "allowed", "suggestion", "message"),
    [
        (
            "total: {scores: [fit, engagment]}\n",
            "total.scores[1]",
            "engagment",
            "engagment",
            ("engagement", "fit"),
            "engagement",
            "unknown score",
        ),
        (
            "total: {weights: {fitt: 1}}\n",
            "total.weights.fitt",
            "fitt",
            "fitt",
            ("engagement", "fit"),
            "fit",
            "unknown score",
        ),
        (
            GRADES.replace("score: fit\n", "score: fitt\n"),
            "grades.fit_band.score",
            "score: fitt",
            "fitt",
            ("engagement", "fit", "total"),
            "fit",
            "unknown score",
        ),
        (
            GRADES + "matrix: {rows: fit_bnd, columns: lead}\n",
            "matrix.rows",
            "rows",
            "fit_bnd",
            ("fit_band", "lead"),
            "fit_band",
            "unknown grading",
        ),
        (
            GRADES + "matrix: {rows: fit_band, columns: leed}\n",
            "matrix.columns",
            "columns",
            "leed",
            ("fit_band", "lead"),
            "lead",
            "unknown grading",
        ),
        (
            GRADES + "matrix: {rows: fit_band, columns: lead, stages: {SQL: [Ahot, Hot]}}\n",
            "matrix.stages.SQL[1]",
            "Hot]",
            "Hot",
            ("Acold", "Ahot", "Awarm", "Bcold", "Bhot", "Bwarm"),
            "Bhot",
            "unknown matrix cell",
        ),
        (
            GRADES + "primary_grade: fitband\n",
            "primary_grade",
            "primary_grade",
            "fitband",
            ("fit_band", "lead"),
            "fit_band",
            "unknown grading",
        ),
        (
            GRADES + "primary_grade: matrix\n",
            "primary_grade",
            "primary_grade",
            "matrix",
            ("fit_band", "lead"),
            None,
            "unknown grading",
        ),
    ],
)
def test_unknown_references(
    extra: str,
    path: str,
    needle: str,
    value: str,
    allowed: tuple[str, ...],
    suggestion: str | None,
    message: str,
) -> None:
    body = SCORES + extra
    found = problems(body)
    assert len(found) == 1, "\n".join(map(str, found))
    problem = found[0]
    assert path_text(problem.path) == path
    assert problem.message == message
    assert (problem.value, problem.allowed, problem.suggestion) == (value, allowed, suggestion)
    assert (problem.line, problem.column) == position(body, needle)
    text = str(problem)
    assert f"(got '{value}'); allowed: {', '.join(allowed)}" in text
    if suggestion:
        assert text.endswith(f"Did you mean '{suggestion}'?")


def test_primary_grade_may_be_the_matrix_when_there_is_one() -> None:
    body = SCORES + GRADES + "matrix: {rows: fit_band, columns: lead}\nprimary_grade: matrix\n"
    model = load_model_text(HEAD + textwrap.dedent(body).lstrip("\n"))
    assert model.primary() == "matrix"


def test_a_cell_in_two_stages() -> None:
    body = SCORES + GRADES + "matrix:\n  rows: fit_band\n  columns: lead\n"
    body += "  stages: {SQL: [Ahot], MQL: [Awarm, Ahot]}\n"
    (problem,) = problems(body)
    assert path_text(problem.path) == "matrix.stages.MQL[1]"
    assert problem.message == "cell 'Ahot' is in two stages: 'SQL' and 'MQL'"


ROLLUP_MODEL = """
scores:
  fit:
    rules:
      - {id: a, points: 1, when: {attribute: x, exists: true}}
grades:
  lead:
    score: total
    bands:
      - {grade: hot, min: 60}
      - {grade: warm, min: 30}
      - {grade: cold}
accounts:
  scores:
    acc:
      rules:
        - {id: r, rollup: ROLLUP}
"""


@pytest.mark.parametrize(
    ("rollup", "path", "needle", "value", "allowed", "suggestion", "message"),
    [
        (
            "{of: fitt, agg: max}",
            "rollup.of",
            "of:",
            "fitt",
            ("fit", "total"),
            "fit",
            "unknown contact score",
        ),
        (
            "{of: acc, agg: max}",
            "rollup.of",
            "of:",
            "acc",
            ("fit", "total"),
            None,
            "unknown contact score",
        ),
        (
            "{of: total, agg: count, grade: {grading: leed, at_least: warm}}",
            "rollup.grade.grading",
            "grading:",
            "leed",
            ("lead",),
            "lead",
            "unknown grading",
        ),
        (
            "{of: total, agg: count, grade: {grading: lead, at_least: wram}}",
            "rollup.grade.at_least",
            "at_least:",
            "wram",
            ("cold", "hot", "warm"),
            "warm",
            "unknown grade",
        ),
    ],
)
def test_unknown_roll_up_references(
    rollup: str,
    path: str,
    needle: str,
    value: str,
    allowed: tuple[str, ...],
    suggestion: str | None,
    message: str,
) -> None:
    body = ROLLUP_MODEL.replace("ROLLUP", rollup)
    (problem,) = problems(body)
    assert path_text(problem.path) == "accounts.scores.acc.rules[0]." + path
    assert problem.message == message
    assert (problem.value, problem.allowed, problem.suggestion) == (value, allowed, suggestion)
    assert (problem.line, problem.column) == position(body, needle)


def test_roll_ups_may_read_contact_scores_of_deals_too() -> None:
    body = ROLLUP_MODEL.replace("ROLLUP", "{of: fit, agg: top_k_mean, k: 2}")
    body += "deals:\n  scores:\n    deal:\n      rules:\n"
    body += "        - id: r\n"
    body += "          rollup: {of: total, agg: count, grade: {grading: lead, at_least: hot}}\n"
    model = load_model_text(HEAD + textwrap.dedent(body).lstrip("\n"))
    assert model.deals is not None
    # rule ids are unique per section: `r` in accounts and in deals is fine
    assert [rule.id for _, rule in model.deals.rules] == ["r"]


# ---- unique ids, groups, reserved names -------------------------------------------------------


def test_duplicate_rule_ids_across_the_scores_of_a_section() -> None:
    body = SCORES.replace("id: b,", "id: a,")
    (problem,) = problems(body)
    assert path_text(problem.path) == "scores.engagement.rules[0].id"
    assert problem.message == (
        "rule id 'a' is used twice (also at scores.fit.rules[0]); rule ids are unique"
    )
    assert (problem.line, problem.column) == position(body, "id: a", 2)


def test_rule_groups() -> None:
    body = """
    scores:
      fit:
        groups:
          role: {max: 10}
          unused: {max: 3}
        rules:
          - {id: a, points: 1, when: {attribute: x, exists: true}, group: role}
          - {id: c, points: 1, when: {attribute: x, exists: true}, group: rol}
      other:
        groups:
          role: {min: 0}
        rules:
          - {id: d, points: 1, when: {attribute: x, exists: true}, group: role}
      plain:
        rules:
          - {id: e, points: 1, when: {attribute: x, exists: true}, group: role}
    """
    found = by_path(problems(body))
    assert set(found) == {
        "scores.fit.groups.unused",
        "scores.fit.rules[1].group",
        "scores.other.groups.role",
        "scores.plain.rules[0].group",
    }
    assert found["scores.fit.groups.unused"].message == (
        "group 'unused' caps no rule (no rule says group: unused)"
    )
    unknown = found["scores.fit.rules[1].group"]
    assert (unknown.message, unknown.value, unknown.suggestion) == (
        "unknown rule group",
        "rol",
        "role",
    )
    assert unknown.allowed == ("role", "unused")
    assert found["scores.other.groups.role"].message == (
        "group 'role' is also declared in score 'fit'; "
        "group names are unique within contacts, accounts or deals"
    )
    # a group of another score is not this score's group
    assert found["scores.plain.rules[0].group"].allowed == ()
    positions = [(p.line, p.column) for p in problems(body)]
    assert positions == sorted(positions)
    assert positions[0] == position(body, "unused")


def test_a_score_may_not_be_called_total() -> None:
    (problem,) = problems(SCORES.replace("  engagement:", "  total:"))
    assert path_text(problem.path) == "scores.total"
    assert problem.message == "'total' is reserved for the combined score; choose another name"


# ---- rule kinds per section, and what conditions read ------------------------------------------


def test_rule_kinds_allowed_per_section() -> None:
    body = """
    scores:
      fit:
        rules:
          - {id: a, points: 1, when: {attribute: x, exists: true}}
          - {id: r, rollup: {of: fit, agg: max}}
    accounts:
      scores:
        acc:
          rules:
            - {id: e, points: 1, event: page_view}
            - {id: i, points: -1, inactive: 30d}
    deals:
      scores:
        deal:
          rules:
            - {id: e, points: 1, event: page_view}
    """
    found = by_path(problems(body))
    assert set(found) == {
        "scores.fit.rules[1]",
        "accounts.scores.acc.rules[0]",
        "accounts.scores.acc.rules[1]",
        "deals.scores.deal.rules[0]",
    }
    contacts = found["scores.fit.rules[1]"]
    assert contacts.message == "rollup rules do not apply to contacts"
    assert contacts.allowed == ("attribute rules", "event rules", "inactivity rules")
    assert (contacts.line, contacts.column) == position(body, "{id: r")
    accounts = found["accounts.scores.acc.rules[1]"]
    assert accounts.message == "inactivity rules do not apply to accounts"
    assert accounts.allowed == ("attribute rules", "rollup rules")
    assert found["deals.scores.deal.rules[0]"].message == "event rules do not apply to deals"


def test_rule_kind_follows_the_distinguishing_key() -> None:
    assert rule_kind({"when": {}}) == "attribute"
    assert rule_kind({"event": "x"}) == "event"
    assert rule_kind({"event": "x", "inactive": "1d"}) == "inactivity"
    assert rule_kind({"when": {}, "rollup": {}}) == "rollup"
    assert rule_kind({"points": 1}) is None
    assert rule_kind(["not", "a", "rule"]) is None
    assert set(RULE_KINDS) == {"contacts", "accounts", "deals"}


@pytest.mark.parametrize(
    ("rule", "path", "wanted"),
    [
        ("{id: a, points: 1, when: {property: url, eq: x}}", "when.property", "attribute"),
        (
            "{id: a, points: 1, when: {any: [{attribute: x, eq: 1}, {not: {property: u, eq: 1}}]}}",
            "when.any[1].not.property",
            "attribute",
        ),
        (
            "{id: a, points: 1, event: v, where: {attribute: country, eq: US}}",
            "where.attribute",
            "property",
        ),
        (
            "{id: a, points: 1, inactive: 9d, "
            "where: [{property: u, eq: 1}, {attribute: c, eq: 2}]}",
            "where[1].attribute",
            "property",
        ),
    ],
)
def test_conditions_name_the_right_kind_of_field(rule: str, path: str, wanted: str) -> None:
    body = f"scores:\n  fit:\n    rules:\n      - {rule}\n"
    (problem,) = problems(body)
    assert path_text(problem.path) == "scores.fit.rules[0]." + path
    assert (problem.allowed, problem.suggestion) == ((wanted,), wanted)
    place = path.split(".")[0].split("[")[0]
    assert problem.message.startswith(f"'{place}' ")
    assert f"write '{wanted}: <name>'" in problem.message


def test_condition_fields_walks_every_leaf() -> None:
    condition = [
        {"attribute": "a", "eq": 1},
        {"all": [{"property": "b", "eq": 1}, {"any": [{"not": {"attribute": "c", "eq": 1}}]}]},
    ]
    assert list(condition_fields(condition, ("when",))) == [
        ("attribute", ("when", 0, "attribute")),
        ("property", ("when", 1, "all", 0, "property")),
        ("attribute", ("when", 1, "all", 1, "any", 0, "not", "attribute")),
    ]
    assert list(condition_fields("nonsense", ())) == []


# ---- the checks run on raw data, even when other parts are broken -----------------------------


def test_semantic_problems_on_raw_data() -> None:
    raw = data(
        scores={
            "fit": {"rules": [attribute_rule("a"), attribute_rule("a", group="g")]},
            "total": {"rules": "not even a list"},
        },
        total={"scores": ["fit", "nope"]},
        grades={"lead": {"score": "fitt", "bands": "broken"}},
    )
    found = {(path_text(p.path), p.message) for p in semantic_problems(raw)}
    assert found == {
        (
            "scores.fit.rules[1].id",
            "rule id 'a' is used twice (also at scores.fit.rules[0]); rule ids are unique",
        ),
        ("scores.fit.rules[1].group", "unknown rule group"),
        ("scores.total", "'total' is reserved for the combined score; choose another name"),
        ("total.scores[1]", "unknown score"),
        ("grades.lead.score", "unknown score"),
    }
    assert all(p.line is None for p in semantic_problems(raw))  # the loader adds positions


def test_semantic_and_shape_problems_are_reported_together() -> None:
    body = (
        SCORES.replace("points: 1, event: v", "points: lots, event: v")
        + "total: {scores: [fitt]}\n"
    )
    found = by_path(problems(body))
    assert set(found) == {"scores.engagement.rules[0].points", "total.scores[0]"}
