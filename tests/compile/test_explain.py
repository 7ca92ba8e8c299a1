"""Rule sentences: every operator, every rule option, every rule of the example model."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
from pydantic import TypeAdapter

from leadscore.compile.explain import (
    contribution_sentence,
    humanise,
    predicate_sentence,
    rule_sentence,
    value_text,
)
from leadscore.compile.naming import rule_col
from leadscore.model import Model, load_model_text
from leadscore.model.predicates import OPERATORS, Predicate, leaves
from leadscore.model.spec import (
    ROLLUP_AGGREGATES,
    AttributeRule,
    EventRule,
    InactivityRule,
    RollupRule,
    Rule,
)
from leadscore.records import Contact, Event
from leadscore.reference import evaluate_contacts
from leadscore.timeutil import UNIT_US, to_us
from leadscore.values import fmt_number

_PREDICATE: TypeAdapter[Any] = TypeAdapter(Predicate)
_RULE: TypeAdapter[Any] = TypeAdapter(Rule)


def cond(data: Any) -> Any:
    return _PREDICATE.validate_python(data)


def rule(**data: Any) -> Any:
    return _RULE.validate_python({"id": "r", **data})


def example_model() -> Model:
    text = resources.files("leadscore").joinpath("examples/b2b-saas.yaml").read_text("utf-8")
    return load_model_text(text, "b2b-saas.yaml")


# (condition, sentence): at least one row per operator (checked below)
LEAVES = [
    ({"attribute": "country", "eq": "US"}, 'country is "US"'),
    ({"attribute": "company_size", "eq": 50}, "company size is 50"),
    ({"attribute": "opted_in", "eq": True}, "opted in is true"),
    ({"attribute": "opted_in", "eq": False}, "opted in is false"),
    ({"attribute": "plan", "eq": "Pro", "ignore_case": True}, 'plan is "Pro" (ignoring case)'),
    ({"attribute": "code", "eq": "007"}, 'code is "007"'),
    ({"attribute": "country", "ne": "US"}, 'country is not "US"'),
    ({"attribute": "score", "ne": 2.5}, "score is not 2.5"),
    ({"attribute": "country", "in": ["US", "CA", "GB"]}, 'country is one of "US", "CA" or "GB"'),
    ({"attribute": "country", "in": ["US"]}, 'country is "US"'),
    ({"attribute": "tier", "in": [1, "gold", True]}, 'tier is one of 1, "gold" or true'),
    (
        {"attribute": "country", "not_in": ["US", "CA"], "ignore_case": True},
        'country is not one of "US" or "CA" (ignoring case)',
    ),
    ({"attribute": "country", "not_in": ["RU"]}, 'country is not "RU"'),
    ({"attribute": "job_title", "contains": "sales"}, 'job title contains "sales"'),
    ({"property": "url", "starts_with": "/pricing"}, 'url starts with "/pricing"'),
    (
        {"attribute": "email", "ends_with": "@ACME.com", "ignore_case": True},
        'email ends with "@ACME.com" (ignoring case)',
    ),
    (
        {"attribute": "job_title", "matches": r"\b(vp|chief)\b", "ignore_case": True},
        r"job title matches /\b(vp|chief)\b/ (ignoring case)",
    ),
    ({"property": "url", "matches": "^/docs/"}, r"url matches /^\/docs\//"),
    ({"attribute": "company_size", "gt": 1000}, "company size is more than 1000"),
    ({"attribute": "company_size", "gte": 50}, "company size is at least 50"),
    ({"attribute": "nps", "lt": -0.5}, "nps is less than -0.5"),
    ({"attribute": "nps", "lte": 0.333333}, "nps is at most 0.333333"),
    ({"attribute": "company_size", "between": [50, 1000]}, "company size is between 50 and 1000"),
    ({"attribute": "ratio", "between": [0.125, 2.5]}, "ratio is between 0.125 and 2.5"),
    ({"attribute": "industry", "exists": True}, "industry is present"),
    ({"attribute": "industry", "missing": True}, "industry is missing"),
    ({"property": "utm.source", "eq": "linkedin"}, 'utm.source is "linkedin"'),
    ({"attribute": "title", "eq": 'say "hi"\n'}, r'title is "say \"hi\"\n"'),
    ({"attribute": "city", "eq": "Zürich"}, 'city is "Zürich"'),
]


@pytest.mark.parametrize(("data", "expected"), LEAVES)
def test_leaf_sentences(data: dict[str, Any], expected: str) -> None:
    assert predicate_sentence(cond(data)) == expected


def test_every_operator_has_a_sentence_case() -> None:
    covered = {cond(data).operator for data, _ in LEAVES}
    assert covered == set(OPERATORS)


def test_combinators() -> None:
    a = {"attribute": "country", "eq": "US"}
    b = {"attribute": "company_size", "gte": 50}
    c = {"attribute": "job_title", "contains": "student"}
    assert predicate_sentence(cond({"all": [a, b]})) == (
        'all of: country is "US"; company size is at least 50'
    )
    assert predicate_sentence(cond({"any": [a, b]})) == (
        'any of: country is "US"; company size is at least 50'
    )
    assert predicate_sentence(cond({"not": a})) == 'not (country is "US")'
    # a list is "all of"; a one-item list reads as its item
    assert predicate_sentence(cond([a, b])) == predicate_sentence(cond({"all": [a, b]}))
    assert predicate_sentence(cond([a])) == 'country is "US"'
    # nested groups are parenthesised so the reading is unambiguous
    nested = {"any": [{"all": [a, b]}, {"not": c}]}
    assert predicate_sentence(cond(nested)) == (
        'any of: (all of: country is "US"; company size is at least 50); '
        'not (job title contains "student")'
    )
    assert predicate_sentence(cond({"not": {"any": [a, c]}})) == (
        'not (any of: country is "US"; job title contains "student")'
    )


# ---- rule sentences --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"points": 25, "when": {"attribute": "job_title", "matches": "vp"}},
            "+25 points when job title matches /vp/",
        ),
        (
            {"points": -40, "when": {"attribute": "company_type", "eq": "competitor"}},
            '-40 points when company type is "competitor"',
        ),
        ({"points": 1, "when": {"attribute": "x", "exists": True}}, "+1 point when x is present"),
        ({"points": -1, "when": {"attribute": "x", "missing": True}}, "-1 point when x is missing"),
        ({"points": 2.5, "when": {"attribute": "x", "gt": 1}}, "+2.5 points when x is more than 1"),
        (
            {"points": 0.333333, "when": {"attribute": "x", "gt": 1}},
            "+0.33 points when x is more than 1",
        ),
    ],
)
def test_attribute_rules(data: dict[str, Any], expected: str) -> None:
    r = rule(**data)
    assert isinstance(r, AttributeRule)
    assert rule_sentence(r) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"points": 5, "event": "newsletter_signup"}, "+5 points once for a newsletter signup"),
        ({"points": -25, "event": "unsubscribe"}, "-25 points once for an unsubscribe"),
        (
            {"points": 40, "event": ["demo_request", "contact_sales"], "half_life": "45d"},
            "+40 points once for a demo request or contact sales, fading by half every 45 days",
        ),
        (
            {"points": 30, "event": "trial_signup", "within": "60d"},
            "+30 points once for a trial signup in the last 60 days",
        ),
        (
            {"points": 3, "event": ["a", "b", "c"], "count": "each"},
            "+3 points for each a, b or c",
        ),
        (
            {
                "points": 12,
                "event": "page_view",
                "where": {"property": "url", "starts_with": "/pricing"},
                "count": "each",
                "max_times": 3,
                "cap": {"max": 1, "per": "day"},
                "half_life": "21d",
            },
            '+12 points for each page view whose url starts with "/pricing" '
            "(at most 3 times, at most 1 per day), fading by half every 21 days",
        ),
        (
            {"points": 2, "event": "email_open", "count": "each", "max_times": 1},
            "+2 points for each email open (at most once)",
        ),
        (
            {"points": 2, "event": "email_open", "count": "each", "max_times": 2},
            "+2 points for each email open (at most twice)",
        ),
        (
            {"points": 1, "event": "visit", "count": "each", "cap": {"max": 4, "per": "hour"}},
            "+1 point for each visit (at most 4 per hour)",
        ),
        (
            {"points": 1, "event": "visit", "count": "each", "cap": {"max": 2, "per": "week"}},
            "+1 point for each visit (at most 2 per week (Monday to Sunday, UTC))",
        ),
        (
            {
                "points": 2,
                "event": "email_open",
                "count": "each",
                "within": "90d",
                "cap": {"max": 1, "per": "day"},
            },
            "+2 points for each email open in the last 90 days (at most 1 per day)",
        ),
        (
            {"points": 1, "event": "visit", "within": "12h", "half_life": "1d"},
            "+1 point once for a visit in the last 12 hours, fading by half every day",
        ),
        (
            {
                "points": 8,
                "event": "form_submit",
                "where": [
                    {"property": "form", "eq": "contact"},
                    {"property": "utm.source", "missing": True},
                ],
            },
            '+8 points once for a form submit where all of: form is "contact"; '
            "utm.source is missing",
        ),
        (
            {"points": 8, "event": "form_submit", "where": [{"property": "form", "eq": "x"}]},
            '+8 points once for a form submit whose form is "x"',
        ),
        (
            {"points": -3, "event": "page_view", "where": {"not": {"property": "url", "eq": "/"}}},
            '-3 points once for a page view where not (url is "/")',
        ),
        (
            {
                "points": 15,
                "event": "page_view",
                "where": {"property": "url", "starts_with": "/pricing"},
                "min_count": 3,
                "within": "30d",
            },
            '+15 points once for at least 3 x page view whose url starts with "/pricing" '
            "in the last 30 days",
        ),
        (
            {"points": 2, "event": "visit", "count": "each", "min_count": 5},
            "+2 points for each visit (once there are at least 5)",
        ),
    ],
)
def test_event_rules(data: dict[str, Any], expected: str) -> None:
    r = rule(**data)
    assert isinstance(r, EventRule)
    assert rule_sentence(r) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"points": -15, "inactive": "45d", "event": ["page_view", "email_click", "webinar"]},
            "-15 points when there was no page view, email click or webinar in the last 45 days",
        ),
        (
            {"points": -10, "inactive": "30d"},
            "-10 points when there was no event in the last 30 days",
        ),
        (
            {"points": -5, "inactive": "1w", "where": {"property": "url", "starts_with": "/app"}},
            '-5 points when there was no event whose url starts with "/app" in the last 7 days',
        ),
        (
            {"points": 3, "inactive": "1d", "event": "unsubscribe"},
            "+3 points when there was no unsubscribe in the last day",
        ),
    ],
)
def test_inactivity_rules(data: dict[str, Any], expected: str) -> None:
    r = rule(**data)
    assert isinstance(r, InactivityRule)
    assert rule_sentence(r) == expected


ROLLUPS = [
    ({"of": "total", "agg": "max"}, 0.5, "+0.5 x the highest total among the account's contacts"),
    ({"of": "fit", "agg": "min"}, 1, "+1 x the lowest fit score among the account's contacts"),
    ({"of": "total", "agg": "sum"}, 0.1, "+0.1 x the sum of the totals of the account's contacts"),
    (
        {"of": "engagement", "agg": "mean"},
        -0.25,
        "-0.25 x the average engagement score of the account's contacts",
    ),
    (
        {"of": "engagement", "agg": "top_k_mean", "k": 3},
        0.3,
        "+0.3 x the average of the 3 highest engagement scores among the account's contacts",
    ),
    ({"of": "total", "agg": "count"}, 10, "+10 points for each of the account's contacts"),
    (
        {"of": "total", "agg": "count", "grade": {"grading": "lead", "at_least": "warm"}},
        10,
        "+10 points for each of the account's contacts whose lead grade is warm or better",
    ),
    (
        {"of": "fit", "agg": "max", "grade": {"grading": "fit_band", "at_least": "B"}},
        2,
        "+2 x the highest fit score among the account's contacts whose fit band grade is B or "
        "better",
    ),
]


@pytest.mark.parametrize(("rollup", "points", "expected"), ROLLUPS)
def test_rollup_rules(rollup: dict[str, Any], points: float, expected: str) -> None:
    r = rule(points=points, rollup=rollup)
    assert isinstance(r, RollupRule)
    assert rule_sentence(r, "accounts") == expected
    assert rule_sentence(r, "deals") == expected.replace("the account's", "the deal's")
    assert rule_sentence(r) == expected.replace("the account's contacts", "its contacts")


def test_every_rollup_aggregate_has_a_sentence_case() -> None:
    assert {data["agg"] for data, _, _ in ROLLUPS} == set(ROLLUP_AGGREGATES)


# ---- contribution sentences ------------------------------------------------------------------

PRICING = {
    "points": 12,
    "event": "page_view",
    "where": {"property": "url", "starts_with": "/pricing"},
    "count": "each",
    "max_times": 3,
    "cap": {"max": 1, "per": "day"},
    "half_life": "21d",
}


@pytest.mark.parametrize(
    ("data", "numbers", "expected"),
    [
        (
            {**PRICING, "id": "pricing_page"},
            (5, 3, 2.41, 28.92),
            "pricing page: 5 matching events, 3 counted (capped), weight 2.41 after decay "
            "-> +28.92 points",
        ),
        (
            {**PRICING, "id": "pricing_page"},
            (2, 2, 1.5, 18.0),
            "pricing page: 2 matching events, 2 counted, weight 1.5 after decay -> +18 points",
        ),
        (
            {**PRICING, "id": "pricing_page"},
            (0, 0, 0.0, 0.0),
            "pricing page: rule did not apply (no matching event)",
        ),
        (
            {"id": "demo_request", "points": 40, "event": "demo_request", "half_life": "45d"},
            (2, 1, 0.8312, 33.248),
            "demo request: 2 matching events, counted once, weight 0.83 after decay "
            "-> +33.25 points",
        ),
        (
            {"id": "newsletter", "points": 5, "event": "newsletter_signup"},
            (1, 1, 1.0, 5.0),
            "newsletter: 1 matching event, counted once -> +5 points",
        ),
        (
            {"id": "clicks", "points": 5, "event": "email_click", "count": "each"},
            (7, 7, 7.0, 35.0),
            "clicks: 7 matching events, 7 counted -> +35 points",
        ),
        (
            {"id": "bounced", "points": -20, "event": "email_bounce"},
            (3, 1, 1.0, -20.0),
            "bounced: 3 matching events, counted once -> -20 points",
        ),
        (
            {"id": "gone_quiet", "points": -15, "inactive": "45d"},
            (0, 1, 1.0, -15.0),
            "gone quiet: no matching event in the last 45 days -> -15 points",
        ),
        (
            {"id": "gone_quiet", "points": -15, "inactive": "45d"},
            (4, 0, 0.0, 0.0),
            "gone quiet: 4 matching events in the last 45 days, so the rule did not apply",
        ),
        (
            {"id": "gone_quiet", "points": -15, "inactive": "45d"},
            (0, 0, 0.0, 0.0),
            "gone quiet: no matching event in the last 45 days, but the contact was created "
            "less than 45 days ago, so the rule did not apply",
        ),
        (
            {"id": "vp", "points": 25, "when": {"attribute": "job_title", "matches": "vp"}},
            (1, 1, 1.0, 25.0),
            "vp: the condition holds -> +25 points",
        ),
        (
            {"id": "free_email", "points": -15, "when": {"attribute": "email", "exists": True}},
            (1, 1, 1.0, -15.0),
            "free email: the condition holds -> -15 points",
        ),
        (
            {"id": "vp", "points": 25, "when": {"attribute": "job_title", "matches": "vp"}},
            (0, 0, 0.0, 0.0),
            "vp: rule did not apply (the condition does not hold)",
        ),
        (
            {"id": "best", "points": 0.5, "rollup": {"of": "total", "agg": "max"}},
            (4, 4, 62.5, 31.25),
            "best: 4 contacts, highest 62.5 -> +31.25 points",
        ),
        (
            {"id": "best", "points": 0.5, "rollup": {"of": "total", "agg": "min"}},
            (2, 2, 10.0, 5.0),
            "best: 2 contacts, lowest 10 -> +5 points",
        ),
        (
            {"id": "all_in", "points": 0.1, "rollup": {"of": "total", "agg": "sum"}},
            (3, 3, 120.0, 12.0),
            "all in: 3 contacts, sum 120 -> +12 points",
        ),
        (
            {"id": "avg", "points": 1, "rollup": {"of": "total", "agg": "mean"}},
            (3, 3, 40.0, 40.0),
            "avg: 3 contacts, average 40 -> +40 points",
        ),
        (
            {"id": "top3", "points": 0.3, "rollup": {"of": "total", "agg": "top_k_mean", "k": 3}},
            (5, 3, 47.2, 14.16),
            "top3: 5 contacts, the top 3 average 47.2 -> +14.16 points",
        ),
        (
            {"id": "top3", "points": 0.3, "rollup": {"of": "total", "agg": "top_k_mean", "k": 3}},
            (2, 2, 40.0, 12.0),
            "top3: 2 contacts, the top 2 average 40 -> +12 points",
        ),
        (
            {"id": "committee", "points": 10, "rollup": {"of": "total", "agg": "count"}},
            (1, 1, 1.0, 10.0),
            "committee: 1 contact -> +10 points",
        ),
        (
            {"id": "committee", "points": 10, "rollup": {"of": "total", "agg": "count"}},
            (0, 0, 0.0, 0.0),
            "committee: rule did not apply (no contacts)",
        ),
        (
            {
                "id": "warm",
                "points": 10,
                "rollup": {
                    "of": "total",
                    "agg": "count",
                    "grade": {"grading": "lead", "at_least": "warm"},
                },
            },
            (0, 0, 0.0, 0.0),
            "warm: rule did not apply (no contacts with that grade)",
        ),
    ],
)
def test_contribution_sentences(
    data: dict[str, Any], numbers: tuple[int, int, float, float], expected: str
) -> None:
    r = _RULE.validate_python(data)
    assert contribution_sentence(r, *numbers) == expected


# ---- the example model -----------------------------------------------------------------------


def _facts(r: Any) -> list[str]:
    """What a sentence about rule ``r`` must mention, derived from the rule itself."""
    facts = [fmt_number(abs(r.points))]
    conditions = [r.when] if isinstance(r, AttributeRule) else []
    if isinstance(r, (EventRule, InactivityRule)):
        facts += [humanise(t) for t in r.event or []]
        if r.where is not None:
            conditions.append(r.where)
    for condition in conditions:
        for leaf in leaves(condition):
            facts.append(humanise(leaf.field))
            operand = leaf.operand
            items = operand if isinstance(operand, (list, tuple)) else [operand]
            if leaf.operator not in ("exists", "missing", "matches"):
                facts += [value_text(item) for item in items]
            if leaf.operator == "matches":
                facts.append(operand)
    if isinstance(r, EventRule):
        facts += [d.removesuffix("d") + " days" for d in (r.within, r.half_life) if d]
        facts += [f"{r.max_times} times"] if r.max_times and r.max_times > 2 else []
        facts += [f"{r.cap.max} per {r.cap.per}"] if r.cap else []
        facts += ["once"] if r.count == "once" else ["each"]
    if isinstance(r, InactivityRule):
        facts.append(r.inactive.removesuffix("d") + " days")
    if isinstance(r, RollupRule):
        if r.rollup.agg != "count":  # a count does not read the score
            facts.append("total" if r.rollup.of == "total" else humanise(r.rollup.of))
        if r.rollup.grade is not None:
            facts += [r.rollup.grade.at_least, humanise(r.rollup.grade.grading)]
        if r.rollup.k is not None:
            facts.append(str(r.rollup.k))
    return facts


def test_every_rule_of_the_example_model_has_a_sentence_with_its_key_facts() -> None:
    model = example_model()
    seen = 0
    for entity, section in model.sections().items():
        for _score, r in section.rules:
            sentence = rule_sentence(r, entity)
            assert sentence, r.id
            sign = "-" if r.points < 0 else "+"
            assert sentence.startswith(sign), sentence
            for fact in _facts(r):
                assert fact in sentence, f"{r.id}: {fact!r} not in {sentence!r}"
            seen += 1
    assert seen == sum(len(s.rules) for s in model.sections().values()) == 28


def test_example_model_sentences_read_as_written() -> None:
    model = example_model()
    rules = {r.id: (entity, r) for entity, s in model.sections().items() for _, r in s.rules}

    def say(rule_id: str) -> str:
        entity, r = rules[rule_id]
        return rule_sentence(r, entity)

    assert say("company_size_sweet_spot") == "+20 points when company size is between 50 and 1000"
    assert say("served_region") == (
        '+10 points when country is one of "US", "CA", "GB", "DE", "FR", "NL", "SE" or "AU"'
    )
    assert say("student_or_competitor") == (
        r"-40 points when any of: job title matches /\b(student|intern)\b/ (ignoring case); "
        'company type is "competitor"'
    )
    assert say("email_click") == (
        "+5 points for each email click in the last 90 days (at most 4 times)"
    )
    assert say("webinar") == (
        "+15 points for each webinar attended (at most twice), fading by half every 60 days"
    )
    assert say("gone_quiet") == (
        "-15 points when there was no page view, email click, content download, webinar "
        "attended, demo request, trial signup or contact sales in the last 45 days"
    )
    assert say("buying_committee") == (
        "+10 points for each of the account's contacts whose lead grade is warm or better"
    )
    assert say("champion") == "+0.5 x the highest total among the deal's contacts"


def test_contribution_sentences_follow_the_reference_breakdown() -> None:
    """Sentences built from real breakdown columns say what the evaluator computed."""
    model = example_model()
    t = to_us("2024-06-01T00:00:00Z")
    day = UNIT_US["d"]
    events = [
        Event(f"p{i}", "c1", "page_view", t - i * day // 2, {"url": "/pricing"}) for i in range(5)
    ] + [Event("d1", "c1", "demo_request", t - 45 * day, {})]
    contact = Contact("c1", {"job_title": "VP Marketing"}, created_at_us=t - 400 * day)
    row = evaluate_contacts(model, [contact], events, t)[0]
    by_id = {r.id: r for _, r in model.rules}

    def said(rule_id: str) -> str:
        parts = [row[rule_col(rule_id, part)] for part in ("matched", "counted", "weight")]
        return contribution_sentence(by_id[rule_id], *parts, row[rule_col(rule_id, "points")])

    # five pricing views over 2.5 days: at most one per UTC day -> 3 days -> 3 counted
    assert said("pricing_page").startswith("pricing page: 5 matching events, 3 counted (capped), ")
    # the demo request is exactly one half-life old: weight 0.5, 40 x 0.5 = 20 points
    assert said("demo_request") == (
        "demo request: 1 matching event, counted once, weight 0.5 after decay -> +20 points"
    )
    assert said("decision_maker") == "decision maker: the condition holds -> +25 points"
    assert said("newsletter") == "newsletter: rule did not apply (no matching event)"
    assert said("gone_quiet") == (
        "gone quiet: 5 matching events in the last 45 days, so the rule did not apply"
    )
