"""Loading models: valid files load; every problem is reported with its place, value and fix."""

from __future__ import annotations

import textwrap
from importlib import resources
from pathlib import Path

import pytest

from leadscore.errors import LeadscoreError
from leadscore.model import Model, ModelError, Problem, load_model, load_model_text
from leadscore.model.loader import allowed_keys, key_path
from leadscore.model.predicates import OPERATORS, AnyOf, AttributeCondition, PropertyCondition
from leadscore.model.problems import path_text
from leadscore.model.spec import (
    AttributeRule,
    EventRule,
    InactivityRule,
    RollupRule,
    Score,
)

HEAD = "leadscore: 1\nname: m\n"


def model_text(body: str) -> str:
    return HEAD + textwrap.dedent(body).lstrip("\n")


def problems(text: str, file: str = "m.yaml") -> list[Problem]:
    with pytest.raises(ModelError) as caught:
        load_model_text(text, file)
    return caught.value.problems


def one_problem(text: str) -> Problem:
    found = problems(text)
    assert len(found) == 1, "\n".join(str(p) for p in found)
    return found[0]


def locate(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based line and column where ``needle`` is written in ``text``."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def keys_of(cls: type) -> tuple[str, ...]:
    """The keys a spec class accepts in YAML, from the class itself."""
    fields = cls.model_fields  # type: ignore[attr-defined]
    return tuple(sorted(info.alias or name for name, info in fields.items() if not info.exclude))


RULE = """
scores:
  fit:
    rules:
      - id: a
        points: 1
        when: {attribute: x, exists: true}
"""


# ---- valid models -----------------------------------------------------------------------------


def test_the_example_model_loads() -> None:
    text = resources.files("leadscore").joinpath("examples/b2b-saas.yaml").read_text("utf-8")
    model = load_model_text(text, "b2b-saas.yaml")
    assert model.name == "b2b-saas"
    assert list(model.scores) == ["fit", "engagement"]
    assert list(model.sections()) == ["contacts", "accounts", "deals"]
    assert model.primary() == "lead"
    assert model.total_weights() == {"fit": 0.4, "engagement": 0.6}
    kinds = {rule.id: rule.kind for _, rule in model.rules}
    assert kinds["gone_quiet"] == "inactivity"
    assert kinds["pricing_page"] == "event"
    assert kinds["decision_maker"] == "attribute"
    assert model.accounts is not None
    assert {rule.kind for _, rule in model.accounts.rules} == {"attribute", "rollup"}


def test_a_small_model_loads_into_typed_parts() -> None:
    model = load_model_text(
        model_text(
            """
            scores:
              fit:
                rules:
                  - id: vp
                    points: 25
                    when: {attribute: job_title, matches: '\\bvp\\b', ignore_case: true}
                  - id: region
                    points: 10
                    when: [{attribute: country, in: [US, CA]}, {any: [{attribute: x, gt: 1}]}]
              engagement:
                rules:
                  - {id: seen, points: 2, event: page_view}
                  - {id: clicks, points: 5, event: [a, b], count: each, max_times: 3, within: 90d}
                  - {id: quiet, points: -5, inactive: 30d}
            """
        )
    )
    assert isinstance(model, Model)
    vp, region, seen, clicks, quiet = (rule for _, rule in model.rules)
    assert isinstance(vp, AttributeRule)
    assert isinstance(vp.when, AttributeCondition)
    assert (vp.when.field, vp.when.operator, vp.when.operand) == ("job_title", "matches", r"\bvp\b")
    assert vp.when.ignore_case is True
    assert isinstance(region, AttributeRule)
    assert isinstance(region.when, list)
    assert isinstance(region.when[1], AnyOf)
    assert isinstance(seen, EventRule)
    assert (seen.event, seen.count, seen.within, seen.half_life) == (
        ["page_view"],
        "once",
        None,
        None,
    )
    assert isinstance(clicks, EventRule)
    assert (clicks.event, clicks.count, clicks.max_times) == (["a", "b"], "each", 3)
    assert isinstance(quiet, InactivityRule)
    assert quiet.event is None
    assert model.total is None
    assert model.total_weights() == {"fit": 1.0, "engagement": 1.0}
    assert model.primary() is None


def test_roll_up_points_default_to_one_and_event_where_reads_properties() -> None:
    model = load_model_text(
        model_text(
            """
            scores:
              s:
                rules:
                  - {id: a, points: 1, event: v, where: {property: url, eq: /x}}
            accounts:
              scores:
                acc:
                  rules:
                    - {id: best, rollup: {of: s, agg: max}}
            """
        )
    )
    assert model.accounts is not None
    (_, best) = model.accounts.rules[0]
    assert isinstance(best, RollupRule)
    assert best.points == 1
    (_, a) = model.rules[0]
    assert isinstance(a, EventRule)
    assert isinstance(a.where, PropertyCondition)


def test_load_model_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(model_text(RULE), encoding="utf-8")
    assert load_model(path).name == "m"
    bad = tmp_path / "bad.yaml"
    text = model_text(RULE).replace("points: 1", "points: one")
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(bad)
    line, column = locate(text, "points")
    assert str(caught.value).splitlines()[1].strip().startswith(f"{bad}:{line}:{column}: ")


def test_load_model_explains_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(LeadscoreError, match="model file not found"):
        load_model(tmp_path / "nope.yaml")
    binary = tmp_path / "model.yaml"
    binary.write_bytes(b"leadscore: 1\nname: \xff\n")
    with pytest.raises(LeadscoreError, match=r"not UTF-8 text \(byte 19\)"):
        load_model(binary)


# ---- YAML and the spec version ------------------------------------------------------------------


def test_invalid_yaml_reports_its_position() -> None:
    text = HEAD + "scores:\n  fit: [\n"
    problem = one_problem(text)
    assert problem.message.startswith("invalid YAML: ")
    assert (problem.file, problem.line) == ("m.yaml", 5)
    bad_indent = HEAD + "scores:\n  fit:\n    rules:\n  - x\n"
    problem = one_problem(bad_indent)
    assert "invalid YAML" in problem.message
    assert (problem.line, problem.column) == locate(bad_indent, "- x")


def test_duplicate_yaml_keys_are_errors() -> None:
    text = HEAD + "name: other\n" + textwrap.dedent(RULE).lstrip("\n")
    problem = one_problem(text)
    assert 'duplicate key "name"' in problem.message
    assert problem.line == 3


@pytest.mark.parametrize(
    ("first_line", "message", "value"),
    [
        ("leadscore: 2", "unsupported spec version; this leadscore reads version 1", "2"),
        ("leadscore: '1'", "unsupported spec version; this leadscore reads version 1", "'1'"),
        ("leadscore: true", "unsupported spec version; this leadscore reads version 1", "true"),
        ("leadscore: 1.0", "unsupported spec version; this leadscore reads version 1", "1.0"),
    ],
)
def test_a_wrong_spec_version_is_reported(first_line: str, message: str, value: str) -> None:
    problem = one_problem(first_line + "\nname: m\n")
    assert problem.message == message
    assert problem.path == ("leadscore",)
    assert (problem.line, problem.column) == (1, 1)
    assert str(problem) == f"m.yaml:1:1: leadscore: {message} (got {value})"


def test_a_missing_spec_version_is_reported() -> None:
    problem = one_problem("name: m\n" + textwrap.dedent(RULE))
    assert problem.message == "the first key must be 'leadscore: 1' (the spec version)"
    assert not problem.has_value


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n"])
def test_a_model_is_a_mapping(text: str) -> None:
    assert one_problem(text).message == "a model is a YAML mapping (key: value lines)"


# ---- unknown keys at every depth ----------------------------------------------------------------

UNKNOWN_KEYS = [
    # (yaml body, unknown key, suggestion, class whose keys are allowed, path)
    (RULE + "totl: {}\n", "totl", "total", Model, "totl"),
    (RULE.replace("    rules:", "    rulez: []\n    rules:"), "rulez", "rules", Score, None),
    (
        RULE.replace("points: 1", "points: 1\n        gruop: x"),
        "gruop",
        "group",
        AttributeRule,
        "scores.fit.rules[0].gruop",
    ),
    (
        RULE.replace("exists: true}", "exists: true, ignore_cse: true}"),
        "ignore_cse",
        "ignore_case",
        AttributeCondition,
        "scores.fit.rules[0].when.ignore_cse",
    ),
    (
        RULE.replace(
            "when: {attribute: x, exists: true}",
            "when: {any: [{not: {attribute: x, exists: true, equals: 3}}]}",
        ),
        "equals",
        "eq",
        AttributeCondition,
        "scores.fit.rules[0].when.any[0].not.equals",
    ),
    (
        RULE.replace(
            "when: {attribute: x, exists: true}",
            "event: v\n        where: {property: url, startswith: /p}",
        ),
        "startswith",
        "starts_with",
        PropertyCondition,
        "scores.fit.rules[0].where.startswith",
    ),
    (
        RULE.replace(
            "when: {attribute: x, exists: true}",
            "event: v\n        count: each\n        maxtimes: 3",
        ),
        "maxtimes",
        "max_times",
        EventRule,
        "scores.fit.rules[0].maxtimes",
    ),
]


@pytest.mark.parametrize(("body", "key", "suggestion", "cls", "path"), UNKNOWN_KEYS)
def test_unknown_keys(body: str, key: str, suggestion: str, cls: type, path: str | None) -> None:
    text = model_text(body)
    problem = one_problem(text)
    assert problem.message == f"unknown key '{key}'"
    assert (problem.line, problem.column) == locate(text, key)
    assert problem.allowed == keys_of(cls)
    assert problem.suggestion == suggestion
    if path is not None:
        assert path_text(problem.path) == path
    assert str(problem).endswith(f"Did you mean '{suggestion}'?")
    assert "; allowed: " in str(problem)


def test_unknown_keys_in_nested_parts_each_list_their_own_keys() -> None:
    text = model_text(
        """
        scores:
          fit:
            groups:
              role: {maxx: 3}
            rules:
              - id: a
                group: role
                points: 1
                event: x
                count: each
                cap: {max: 1, pr: day}
        accounts:
          totl: {}
          scores:
            acc:
              rules:
                - id: b
                  rollup: {of: fit, agg: max, grade: {grading: g, at_leest: x}}
          grades:
            t:
              score: acc
              bands:
                - {grade: A, min: 1, stag: x}
                - {grade: B}
        matrix: {rows: a, colums: b}
        total: {weigths: {fit: 1}}
        """
    )
    unknown = {
        path_text(p.path): (p.allowed, p.suggestion, (p.line, p.column))
        for p in problems(text)
        if p.message.startswith("unknown key")
    }
    assert unknown == {
        "scores.fit.groups.role.maxx": (("max", "min"), "max", locate(text, "maxx")),
        "scores.fit.rules[0].cap.pr": (("max", "per"), "per", locate(text, "pr:")),
        "accounts.totl": (
            ("grades", "matrix", "primary_grade", "scores", "total"),
            "total",
            locate(text, "totl"),
        ),
        "accounts.scores.acc.rules[0].rollup.grade.at_leest": (
            ("at_least", "grading"),
            "at_least",
            locate(text, "at_leest"),
        ),
        "accounts.grades.t.bands[0].stag": (
            ("grade", "min", "stage"),
            "stage",
            locate(text, "stag:"),
        ),
        "matrix.colums": (("columns", "rows", "stages"), "columns", locate(text, "colums")),
        "total.weigths": (("max", "min", "scores", "weights"), "weights", locate(text, "weigths")),
    }


def test_allowed_keys_follows_union_tags() -> None:
    assert allowed_keys(("scores", "fit")) == list(keys_of(Score))
    assert allowed_keys(("scores", "fit", "rules", 0, "§event")) == list(keys_of(EventRule))
    assert allowed_keys(("scores", "fit", "rules", 0, "§inactivity", "where", "§property")) == (
        list(keys_of(PropertyCondition))
    )
    assert allowed_keys(("no_such_key",)) == []


def test_key_path_drops_union_tags_and_member_labels() -> None:
    loc = ("scores", "fit", "rules", 0, "§attribute", "when", "§attribute", "eq", "str")
    assert key_path(loc) == (("scores", "fit", "rules", 0, "when", "eq"), True)
    assert key_path(("scores", "fit", "rulez")) == (("scores", "fit", "rulez"), False)
    loc = (
        "scores",
        "s",
        "rules",
        1,
        "§attribute",
        "when",
        "§list",
        0,
        "§attribute",
        "in",
        2,
        "bool",
    )
    # inside a list of conditions (a forward reference in the spec types)
    assert key_path(loc) == (("scores", "s", "rules", 1, "when", 0, "in", 2), True)


def test_conditions_inside_lists_get_the_same_help() -> None:
    text = _rule(
        "{id: a, points: 1, when: [{attribute: x, eq: 1, equals: 2}, {attribute: y, eq: [1]}]}"
    )
    found = {path_text(p.path): p for p in problems(text)}
    assert set(found) == {"scores.fit.rules[0].when[0].equals", "scores.fit.rules[0].when[1].eq"}
    unknown = found["scores.fit.rules[0].when[0].equals"]
    assert (unknown.allowed, unknown.suggestion) == (keys_of(AttributeCondition), "eq")
    assert found["scores.fit.rules[0].when[1].eq"].message == (
        "input should be a valid string, a valid boolean or a valid number"
    )


# ---- wrong types, literals, durations -----------------------------------------------------------


def _rule(rule: str) -> str:
    return model_text(
        f"""
        scores:
          fit:
            rules:
              - {rule}
        """
    )


@pytest.mark.parametrize(
    ("rule", "key", "path", "message", "value"),
    [
        (
            "{id: a, points: one, when: {attribute: x, exists: true}}",
            "points:",
            "points",
            "input should be a valid number",
            "'one'",
        ),
        (
            "{id: a, points: '5', when: {attribute: x, exists: true}}",
            "points:",
            "points",
            "input should be a valid number",
            "'5'",
        ),
        (
            "{id: a, points: true, when: {attribute: x, exists: true}}",
            "points:",
            "points",
            "input should be a valid number",
            "true",
        ),
        (
            "{id: a, points: 1e16, when: {attribute: x, exists: true}}",
            "points:",
            "points",
            "input should be less than or equal to 1000000000000000",
            "1e+16",
        ),
        (
            "{id: a, points: 1, event: v, count: each, max_times: 2.5}",
            "max_times:",
            "max_times",
            "input should be a valid integer",
            "2.5",
        ),
        (
            "{id: a, points: 1, event: v, count: each, max_times: 0}",
            "max_times:",
            "max_times",
            "input should be greater than or equal to 1",
            "0",
        ),
        (
            "{id: a, points: 1, when: {attribute: x, in: US}}",
            "in:",
            "when.in",
            "input should be a valid list",
            "'US'",
        ),
        (
            "{id: a, points: 1, when: {attribute: x, contains: 5}}",
            "contains:",
            "when.contains",
            "input should be a valid string",
            "5",
        ),
        (
            "{id: a, points: 1, when: {attribute: x, gt: '5'}}",
            "gt:",
            "when.gt",
            "input should be a valid number",
            "'5'",
        ),
        (
            "{id: a, points: 1, when: {attribute: x, eq: a, ignore_case: 'yes'}}",
            "ignore_case:",
            "when.ignore_case",
            "input should be a valid boolean",
            "'yes'",
        ),
        (
            "{id: a, points: 1, when: {attribute: x, eq: a, ignore_case: 1}}",
            "ignore_case:",
            "when.ignore_case",
            "input should be a valid boolean",
            "1",
        ),
        (
            "{id: Bad-Id, points: 1, when: {attribute: x, exists: true}}",
            "id:",
            "id",
            "a name starts with a lower-case letter and has at most 40 lower-case letters, "
            "digits and _ (like fit or pricing_page)",
            "'Bad-Id'",
        ),
        (
            "{id: a, points: 1, when: {attribute: 'job title', exists: true}}",
            "attribute:",
            "when.attribute",
            "a field name has 1 to 200 letters, digits and _ . : - "
            "(and does not start with . : or -)",
            "'job title'",
        ),
    ],
)
def test_wrong_types_and_values(rule: str, key: str, path: str, message: str, value: str) -> None:
    text = _rule(rule)
    problem = one_problem(text)
    assert path_text(problem.path) == "scores.fit.rules[0]." + path
    assert problem.message == message
    assert (problem.line, problem.column) == locate(text, key)  # where the key is written
    assert str(problem) == (
        f"m.yaml:{problem.line}:{problem.column}: scores.fit.rules[0].{path}: {message} "
        f"(got {value})"
    )


def test_a_union_of_scalars_gives_one_message() -> None:
    text = _rule("{id: a, points: 1, when: {attribute: x, eq: [1, 2]}}")
    problem = one_problem(text)
    assert path_text(problem.path) == "scores.fit.rules[0].when.eq"
    assert problem.message == ("input should be a valid string, a valid boolean or a valid number")
    assert not problem.has_value  # a list: the position shows it


def test_a_short_pair_names_the_missing_item() -> None:
    problem = one_problem(_rule("{id: a, points: 1, when: {attribute: x, between: [1]}}"))
    assert path_text(problem.path) == "scores.fit.rules[0].when.between[1]"
    assert problem.message == "the list is too short: no item [1]"


@pytest.mark.parametrize(
    ("rule", "path", "value", "allowed", "suggestion"),
    [
        ("{id: a, points: 1, event: v, count: eahc}", "count", "eahc", ("once", "each"), "each"),
        ("{id: a, points: 1, event: v, count: every}", "count", "every", ("once", "each"), None),
        (
            "{id: a, points: 1, event: v, count: each, cap: {max: 1, per: dya}}",
            "cap.per",
            "dya",
            ("hour", "day", "week"),
            "day",
        ),
        (
            "{id: a, points: 1, event: v, count: each, cap: {max: 1, per: month}}",
            "cap.per",
            "month",
            ("hour", "day", "week"),
            None,
        ),
        (
            "{id: a, points: 1, when: {attribute: x, exists: false}}",
            "when.exists",
            False,
            ("true",),
            None,
        ),
    ],
)
def test_values_outside_a_fixed_set(
    rule: str, path: str, value: object, allowed: tuple[str, ...], suggestion: str | None
) -> None:
    problem = one_problem(_rule(rule))
    assert path_text(problem.path) == "scores.fit.rules[0]." + path
    assert problem.message == "not an allowed value"
    assert (problem.value, problem.allowed, problem.suggestion) == (value, allowed, suggestion)
    assert f"; allowed: {', '.join(allowed)}" in str(problem)


def test_roll_up_aggregates_outside_the_set() -> None:
    text = model_text(
        RULE
        + """
        accounts:
          scores:
            acc:
              rules:
                - {id: b, rollup: {of: fit, agg: maxx}}
        """.replace("\n        ", "\n")
    )
    problem = one_problem(text)
    assert path_text(problem.path) == "accounts.scores.acc.rules[0].rollup.agg"
    assert problem.allowed == ("sum", "max", "min", "mean", "top_k_mean", "count")
    assert problem.suggestion == "max"
    assert (problem.line, problem.column) == locate(text, "agg")


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        (
            "90 days",
            "'90 days' is not a duration; write a whole number and a unit: s, m, h, d or w",
        ),
        ("3mo", "'3mo' is not a duration"),
        ("90D", "'90D' is not a duration"),
        ("0d", "'0d' must be longer than zero"),
        ("90", "a duration is text: a whole number and a unit, like '90d' or '12h'"),
    ],
)
def test_bad_durations(duration: str, message: str) -> None:
    text = _rule(f"{{id: a, points: 1, event: v, within: {duration}}}")
    problem = one_problem(text)
    assert path_text(problem.path) == "scores.fit.rules[0].within"
    assert problem.message.startswith(message)
    assert (problem.line, problem.column) == locate(text, "within")
    # a text value the message already quotes is not repeated; a number is shown
    if duration.isdigit():
        assert str(problem).endswith(f"(got {duration})")
    else:
        assert "(got" not in str(problem)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(?i)vp", "'(?' at position 0 (look-around, named groups, inline flags) is not portable"),
        ("(a)\\1", "'\\1' at position 3 is not portable"),
        ("x\\Z", "'\\Z' at position 1 is not portable"),
        ("a{2", "'{' at position 1 must start a repeat like {2}, {2,} or {2,5}"),
        ("a++", "possessive quantifier at position 2 is not portable"),
        ("[[:alpha:]]", "'[' inside a character class at position 1"),
    ],
)
def test_bad_regular_expressions(pattern: str, message: str) -> None:
    text = _rule(f"{{id: a, points: 1, when: {{attribute: x, matches: '{pattern}'}}}}")
    problem = one_problem(text)
    assert path_text(problem.path) == "scores.fit.rules[0].when.matches"
    assert problem.message.startswith(message)
    assert problem.value == pattern
    assert (problem.line, problem.column) == locate(text, "matches")


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            "{attribute: x, eq: 1, exists: true}",
            "a condition needs exactly one operator among "
            + ", ".join(OPERATORS)
            + " (found: eq, exists)",
        ),
        (
            "{attribute: x}",
            "a condition needs exactly one operator among "
            + ", ".join(OPERATORS)
            + " (found: none)",
        ),
        ("{attribute: x, gt: 3, ignore_case: true}", "ignore_case applies to text operators"),
        ("{foo: x}", "a condition must be a mapping with one of the keys 'attribute', 'property'"),
    ],
)
def test_malformed_conditions(condition: str, message: str) -> None:
    text = _rule(f"{{id: a, points: 1, when: {condition}}}")
    problem = one_problem(text)
    assert path_text(problem.path) == "scores.fit.rules[0].when"
    assert problem.message.startswith(message)
    assert (problem.line, problem.column) == locate(text, "when")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("{id: a, points: 1}", "a rule needs one of the keys 'when' (attribute rule), 'event'"),
        ("{id: a, points: 1, event: v, max_times: 3}", "max_times and cap limit how often"),
        ("{id: a, points: 1, event: v, cap: {max: 1, per: day}}", "max_times and cap limit how"),
    ],
)
def test_malformed_rules(rule: str, message: str) -> None:
    text = _rule(rule)
    problem = one_problem(text)
    assert path_text(problem.path) == "scores.fit.rules[0]"
    assert problem.message.startswith(message)
    assert (problem.line, problem.column) == locate(text, "{id: a")


def test_a_missing_required_key_points_at_its_mapping() -> None:
    text = _rule("{id: a, when: {attribute: x, exists: true}}")
    problem = one_problem(text)
    assert problem.message == "missing required key 'points'"
    assert path_text(problem.path) == "scores.fit.rules[0].points"
    assert (problem.line, problem.column) == locate(text, "{id: a")
    assert not problem.has_value


# ---- grades and bands -----------------------------------------------------------------------


def _grading(bands: str) -> str:
    return model_text(RULE + "grades:\n  g:\n    score: fit\n    bands:\n" + bands)


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        (
            "      - {grade: warm, min: 35}\n      - {grade: hot, min: 60}\n      - {grade: c}\n",
            "bands go from the highest min to the lowest: 'hot' (min 60) follows 'warm' (min 35)",
        ),
        (
            "      - {grade: a, min: 35}\n      - {grade: b, min: 35}\n      - {grade: c}\n",
            "bands go from the highest min to the lowest: 'b' (min 35) follows 'a' (min 35)",
        ),
        (
            "      - {grade: hot, min: 60}\n      - {grade: warm, min: 35}\n",
            "the last band ('warm') catches everything below the others, so it has no min",
        ),
        (
            "      - {grade: hot, min: 60}\n      - {grade: warm}\n      - {grade: cold}\n",
            "band 'warm' needs a min (only the last band has none)",
        ),
        (
            "      - {grade: hot, min: 60}\n      - {grade: hot}\n",
            "grade labels must be unique, repeated: hot",
        ),
    ],
)
def test_bands(bands: str, message: str) -> None:
    text = _grading(bands)
    problem = one_problem(text)
    assert problem.message == message
    assert path_text(problem.path) == "grades.g.bands"
    assert (problem.line, problem.column) == locate(text, "bands")


def test_min_above_max_and_two_forms_of_total() -> None:
    text = model_text(
        RULE.replace("  fit:\n", "  fit:\n    min: 10\n    max: 5\n")
        + "total: {scores: [fit], weights: {fit: 1}}\n"
    )
    found = {path_text(p.path): p.message for p in problems(text)}
    assert found == {
        "scores.fit": "min (10.0) must not exceed max (5.0)",
        "total": "give either scores (a plain sum) or weights, not both",
    }


# ---- all problems at once -----------------------------------------------------------------------


def test_every_problem_is_reported_at_once_sorted_by_line() -> None:
    text = model_text(
        """
        scores:
          fit:
            rules:
              - id: vp
                points: 25
                when: {attribute: job_title, matches: '(?i)vp'}
              - id: vp
                points: 10
                when: {attribute: country, in: [US, CA], ignore_cas: true}
          engagement:
            rules:
              - id: pricing
                points: 12
                event: page_view
                count: every
                within: 3 months
        grades:
          lead:
            score: totl
            bands:
              - {grade: warm, min: 35}
              - {grade: hot, min: 60}
              - {grade: cold}
        """
    )
    with pytest.raises(ModelError) as caught:
        load_model_text(text, "m.yaml")
    error = caught.value
    found = [(p.line, path_text(p.path)) for p in error.problems]
    assert found == [
        (locate(text, "matches")[0], "scores.fit.rules[0].when.matches"),
        (locate(text, "id: vp", 2)[0], "scores.fit.rules[1].id"),
        (locate(text, "ignore_cas")[0], "scores.fit.rules[1].when.ignore_cas"),
        (locate(text, "count: every")[0], "scores.engagement.rules[0].count"),
        (locate(text, "within")[0], "scores.engagement.rules[0].within"),
        (locate(text, "score: totl")[0], "grades.lead.score"),
        (locate(text, "bands")[0], "grades.lead.bands"),
    ]
    lines = str(error).splitlines()
    assert lines[0] == "the model has 7 problems:"
    assert all(line.startswith("  m.yaml:") for line in lines[1:])
    assert len(lines) == 8


def test_problems_in_one_line_are_sorted_by_column_and_semantic_ones_included() -> None:
    text = model_text(
        RULE
        + "accounts:\n  scores:\n    acc:\n      rules:\n"
        + "        - {id: b, rollup: {of: fitt, agg: maxx, k: 0}}\n"
    )
    found = problems(text)
    assert [p.column for p in found] == sorted(p.column or 0 for p in found)
    assert {path_text(p.path) for p in found} == {
        "accounts.scores.acc.rules[0].rollup.of",
        "accounts.scores.acc.rules[0].rollup.agg",
        "accounts.scores.acc.rules[0].rollup.k",
    }


def test_problem_text_and_dict() -> None:
    problem = Problem(
        "unknown score",
        path=("grades", "lead", "score"),
        file="m.yaml",
        line=21,
        column=5,
        value="totl",
        has_value=True,
        allowed=("fit", "total"),
        suggestion="total",
    )
    assert str(problem) == (
        "m.yaml:21:5: grades.lead.score: unknown score (got 'totl'); allowed: fit, total. "
        "Did you mean 'total'?"
    )
    assert problem.as_dict() == {
        "file": "m.yaml",
        "line": 21,
        "column": 5,
        "path": "grades.lead.score",
        "message": "unknown score",
        "value": "totl",
        "allowed": ["fit", "total"],
        "suggestion": "total",
    }
    assert (
        str(Problem("a model is a YAML mapping"))
        == "<model>: (top level): a model is a YAML mapping"
    )
    many = Problem("x", allowed=tuple(f"k{i}" for i in range(25)))
    assert str(many).endswith("k18, k19, ...")
    assert str(Problem("m", value=None, has_value=True)) == "<model>: (top level): m (got null)"
    assert str(Problem("m", value="a" * 100, has_value=True)).endswith("...)")


def test_path_text() -> None:
    assert path_text(("scores", "fit", "rules", 2, "within")) == "scores.fit.rules[2].within"
    assert path_text(()) == "(top level)"
