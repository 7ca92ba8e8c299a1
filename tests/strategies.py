"""Hypothesis strategies: random models, contacts and events around an as-of time T.

Values mix ASCII, Unicode, numbers in text, empty and huge strings; times sit exactly at T, at
window edges (one microsecond either side), in ties, and after T.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from leadscore.model.spec import Model
from leadscore.records import Account, Contact, Deal, Event
from leadscore.timeutil import UNIT_US

T = 1_717_200_000_000_000  # 2024-06-01T00:00:00Z
ATTRIBUTES = ["title", "size", "country", "flag", "note"]
PROPERTIES = ["url", "form", "n", "utm.source"]
EVENT_TYPES = ["page_view", "email_open", "form", "demo"]
DURATIONS = ["1h", "1d", "2d", "7d", "30d", "90d"]
DURATION_US = {
    "1h": UNIT_US["h"],
    "1d": UNIT_US["d"],
    "2d": 2 * UNIT_US["d"],
    "7d": 7 * UNIT_US["d"],
    "30d": 30 * UNIT_US["d"],
    "90d": 90 * UNIT_US["d"],
}

TEXTS = [
    "VP Sales",
    "vp of marketing",
    "Head of Growth",
    "student",
    "CEO",
    "Développeur",
    "ÉCOLE",
    "東京",
    "/pricing",
    "/pricing/enterprise",
    "/blog/x",
    "newsletter",
    "NEWSLETTER",
    "demo",
    "",
    " ",
    "50",
    "1e3",
    "-2.5",
    "007",
    "abc123",
    "true",
    "False",
    "x" * 5000,
    "a\nb",
    "line\n",
    "émoji 🚀",
    "İstanbul",
    "straße",
]
NEEDLES = ["vp", "VP", "pricing", "/pricing", "news", "e", "", "🚀", "é", "É", "5", "x"]
PATTERNS = [
    r"\bvp\b",
    r"^/pricing",
    r"head|chief",
    r"[0-9]+$",
    r"^.$",
    r"s.a",
    r"^$",
    r"(sales|growth)",
    r"\d{2,}",
    r"[a-c]+\d",
    r"é",
    r"^\w+$",
    r"\s",
    r"b$",
]
NUMBERS = [0, 1, 2.5, 50, -2.5, 1000, 7]


def value_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(TEXTS),
        st.integers(-1000, 100_000).map(str),
        st.floats(-1e6, 1e6, allow_nan=False).map(repr),
        st.text(
            st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12
        ),
    )


def _leaf(kind: str, fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    field = st.sampled_from(fields)
    scalar = st.one_of(st.sampled_from(TEXTS[:16]), st.sampled_from(NUMBERS), st.booleans())
    ops = st.one_of(
        st.fixed_dictionaries({"eq": scalar, "ignore_case": st.booleans()}),
        st.fixed_dictionaries({"ne": scalar}),
        st.fixed_dictionaries(
            {"in": st.lists(scalar, min_size=1, max_size=3), "ignore_case": st.booleans()}
        ),
        st.fixed_dictionaries({"not_in": st.lists(scalar, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"contains": st.sampled_from(NEEDLES), "ignore_case": st.booleans()}),
        st.fixed_dictionaries(
            {"starts_with": st.sampled_from(NEEDLES), "ignore_case": st.booleans()}
        ),
        st.fixed_dictionaries({"ends_with": st.sampled_from(NEEDLES)}),
        st.fixed_dictionaries({"matches": st.sampled_from(PATTERNS), "ignore_case": st.booleans()}),
        st.fixed_dictionaries({"gt": st.sampled_from(NUMBERS)}),
        st.fixed_dictionaries({"gte": st.sampled_from(NUMBERS)}),
        st.fixed_dictionaries({"lt": st.sampled_from(NUMBERS)}),
        st.fixed_dictionaries({"lte": st.sampled_from(NUMBERS)}),
        st.fixed_dictionaries({"between": st.sampled_from([[0, 10], [-5, 5], [50, 50], [1, 1e6]])}),
        st.just({"exists": True}),
        st.just({"missing": True}),
    )

    def build(pair: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        name, op = pair
        out = {kind: name, **op}
        if not out.get("ignore_case"):
            out.pop("ignore_case", None)
        return out

    return st.tuples(field, ops).map(build)


def predicate(kind: str, fields: list[str]) -> st.SearchStrategy[Any]:
    leaf = _leaf(kind, fields)
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.fixed_dictionaries({"all": st.lists(inner, min_size=1, max_size=3)}),
            st.fixed_dictionaries({"any": st.lists(inner, min_size=1, max_size=3)}),
            st.fixed_dictionaries({"not": inner}),
            st.lists(inner, min_size=1, max_size=2),
        ),
        max_leaves=4,
    )


points = st.one_of(
    st.integers(-50, 50), st.floats(-30, 30, allow_nan=False).map(lambda x: round(x, 3))
)


@st.composite
def event_rule(draw: st.DrawFn, rule_id: str) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": rule_id,
        "points": draw(points),
        "event": draw(st.lists(st.sampled_from(EVENT_TYPES), min_size=1, max_size=2, unique=True)),
    }
    if draw(st.booleans()):
        rule["where"] = draw(predicate("property", PROPERTIES))
    if draw(st.booleans()):
        rule["within"] = draw(st.sampled_from(DURATIONS))
    if draw(st.booleans()):
        rule["half_life"] = draw(st.sampled_from(DURATIONS))
    if draw(st.integers(0, 3)) == 0:
        rule["min_count"] = draw(st.integers(2, 3))
    if draw(st.booleans()):
        rule["count"] = "each"
        if draw(st.booleans()):
            rule["max_times"] = draw(st.integers(1, 4))
        if draw(st.booleans()):
            rule["cap"] = {
                "max": draw(st.integers(1, 3)),
                "per": draw(st.sampled_from(["hour", "day", "week"])),
            }
    return rule


@st.composite
def rule(draw: st.DrawFn, rule_id: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(["attribute", "event", "event", "inactivity"]))
    if kind == "attribute":
        return {
            "id": rule_id,
            "points": draw(points),
            "when": draw(predicate("attribute", ATTRIBUTES)),
        }
    if kind == "event":
        return draw(event_rule(rule_id))
    out: dict[str, Any] = {
        "id": rule_id,
        "points": draw(points),
        "inactive": draw(st.sampled_from(DURATIONS)),
    }
    if draw(st.booleans()):
        out["event"] = draw(
            st.lists(st.sampled_from(EVENT_TYPES), min_size=1, max_size=2, unique=True)
        )
    if draw(st.booleans()):
        out["where"] = draw(predicate("property", PROPERTIES))
    return out


def _bands(draw: st.DrawFn, labels: list[str]) -> list[dict[str, Any]]:
    mins = sorted(
        draw(
            st.lists(
                st.integers(-40, 120),
                min_size=len(labels) - 1,
                max_size=len(labels) - 1,
                unique=True,
            )
        ),
        reverse=True,
    )
    bands: list[dict[str, Any]] = [
        {"grade": g, "min": m} for g, m in zip(labels, mins, strict=False)
    ]
    bands.append({"grade": labels[-1]})
    return bands


@st.composite
def model_dict(draw: st.DrawFn, with_entities: bool = False) -> dict[str, Any]:
    n_scores = draw(st.integers(1, 2))
    names = ["fit", "engagement"][:n_scores]
    scores: dict[str, Any] = {}
    counter = 0
    all_groups: list[str] = []
    for name in names:
        rules = []
        for _ in range(draw(st.integers(1, 4))):
            rules.append(draw(rule(f"r{counter}")))
            counter += 1
        score: dict[str, Any] = {"rules": rules}
        if draw(st.booleans()):
            score["min"] = draw(st.sampled_from([0, -10]))
        if draw(st.booleans()):
            score["max"] = draw(st.sampled_from([30, 100]))
        if len(rules) >= 2 and draw(st.booleans()):
            group = f"g_{name}"
            all_groups.append(group)
            for r in rules[: draw(st.integers(1, len(rules)))]:
                r["group"] = group
            score["groups"] = {
                group: draw(st.sampled_from([{"max": 10}, {"min": -5, "max": 15}, {"min": 0}]))
            }
        scores[name] = score
    model: dict[str, Any] = {"leadscore": 1, "name": "generated", "scores": scores}
    if draw(st.booleans()):
        model["total"] = {"weights": {n: draw(st.sampled_from([1, 0.5, 2, -1])) for n in names}}
        if draw(st.booleans()):
            model["total"]["max"] = 100
    grades: dict[str, Any] = {
        "lead": {"score": "total", "bands": _bands(draw, ["hot", "warm", "cold"])},
    }
    grades["lead"]["bands"][0]["stage"] = "SQL"
    grades["lead"]["bands"][1]["stage"] = "MQL"
    model["grades"] = grades
    if n_scores == 2 and draw(st.booleans()):
        grades["fit_band"] = {"score": "fit", "bands": _bands(draw, ["A", "B", "C"])}
        grades["eng_band"] = {"score": "engagement", "bands": _bands(draw, ["1", "2"])}
        model["matrix"] = {
            "rows": "fit_band",
            "columns": "eng_band",
            "stages": {"SQL": ["A1"], "MQL": ["A2", "B1"]},
        }
        if draw(st.booleans()):
            model["primary_grade"] = "matrix"
    if with_entities:
        model["accounts"] = {
            "scores": {
                "acct": {
                    "rules": [
                        {
                            "id": "big",
                            "points": 10,
                            "when": draw(predicate("attribute", ATTRIBUTES)),
                        },
                        {
                            "id": "best",
                            "points": 1,
                            "rollup": {
                                "of": "total",
                                "agg": draw(st.sampled_from(["sum", "max", "min", "mean"])),
                            },
                        },
                        {
                            "id": "topk",
                            "points": 0.5,
                            "rollup": {
                                "of": names[0],
                                "agg": "top_k_mean",
                                "k": draw(st.integers(1, 3)),
                            },
                        },
                        {
                            "id": "hot_n",
                            "points": 5,
                            "rollup": {
                                "of": "total",
                                "agg": "count",
                                "grade": {"grading": "lead", "at_least": "warm"},
                            },
                        },
                    ]
                }
            },
            "grades": {
                "acct_grade": {
                    "score": "total",
                    "bands": [{"grade": "target", "min": 20}, {"grade": "other"}],
                }
            },
        }
        model["deals"] = {
            "scores": {
                "deal": {
                    "rules": [
                        {"id": "deal_size", "points": 5, "when": {"attribute": "size", "gte": 50}},
                        {"id": "committee", "points": 3, "rollup": {"of": "total", "agg": "count"}},
                        {"id": "deal_best", "points": 1, "rollup": {"of": "total", "agg": "max"}},
                    ]
                }
            }
        }
    return model


@st.composite
def timestamp(draw: st.DrawFn) -> int:
    edge = DURATION_US[draw(st.sampled_from(DURATIONS))]
    choice = draw(st.sampled_from(["at_t", "edge", "edge-1", "edge+1", "random", "future"]))
    if choice == "at_t":
        return T
    if choice == "edge":
        return T - edge
    if choice == "edge-1":
        return T - edge + 1
    if choice == "edge+1":
        return T - edge - 1
    if choice == "future":
        return T + draw(st.integers(1, UNIT_US["d"] * 3))
    return T - draw(st.integers(0, 120 * UNIT_US["d"]))


@st.composite
def dataset(
    draw: st.DrawFn, with_entities: bool = False
) -> tuple[list[Contact], list[Event], list[Account], list[Deal]]:
    n = draw(st.integers(0, 6))
    account_ids = ["acc1", "acc2", "acc3"]
    contacts = []
    for i in range(n):
        attrs = draw(st.dictionaries(st.sampled_from(ATTRIBUTES), value_text(), max_size=4))
        created = draw(st.one_of(st.none(), timestamp()))
        account = draw(st.one_of(st.none(), st.sampled_from(account_ids)))
        contacts.append(Contact(f"c{i}", attrs, created, account))
    events = []
    ts_pool = draw(st.lists(timestamp(), min_size=1, max_size=6))  # shared timestamps make ties
    for j in range(draw(st.integers(0, 25)) if contacts else 0):
        contact = draw(st.sampled_from(contacts)).contact_id
        props = draw(st.dictionaries(st.sampled_from(PROPERTIES), value_text(), max_size=3))
        ts = draw(st.one_of(st.sampled_from(ts_pool), timestamp()))
        events.append(Event(f"e{j}", contact, draw(st.sampled_from(EVENT_TYPES)), ts, props))
    accounts: list[Account] = []
    deals: list[Deal] = []
    if with_entities:
        for a in account_ids:
            attrs = draw(st.dictionaries(st.sampled_from(ATTRIBUTES), value_text(), max_size=3))
            accounts.append(Account(a, attrs, draw(st.one_of(st.none(), timestamp()))))
        for d in range(draw(st.integers(0, 3))):
            members = tuple(
                draw(
                    st.lists(
                        st.sampled_from([c.contact_id for c in contacts] or ["zz"]), max_size=4
                    )
                )
            )
            attrs = draw(st.dictionaries(st.sampled_from(ATTRIBUTES), value_text(), max_size=2))
            deals.append(Deal(f"d{d}", attrs, None, draw(st.sampled_from(account_ids)), members))
    return contacts, events, accounts, deals


def to_model(data: dict[str, Any]) -> Model:
    return Model.model_validate(data)
