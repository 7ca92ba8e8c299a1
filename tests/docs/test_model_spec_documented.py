"""docs/model-spec.md documents every key and allowed value of the spec, and its examples are true.

The keys and values are read from the spec classes themselves (never typed here), so a key added
to the spec without documentation fails this test.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from typing_extensions import TypeAliasType

from leadscore.model import ModelError, load_model_text
from leadscore.model import predicates as predicates_module
from leadscore.model import spec as spec_module
from leadscore.records import Account, Contact, Event
from leadscore.reference import evaluate, evaluate_contacts
from leadscore.timeutil import to_us

DOC = Path(__file__).resolve().parents[2] / "docs" / "model-spec.md"
SPEC_MODULES = (spec_module, predicates_module)


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def spec_classes() -> list[type[BaseModel]]:
    """Every pydantic class defined in the spec modules (private bases included)."""
    found: list[type[BaseModel]] = []
    for module in SPEC_MODULES:
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseModel) and value.__module__ == module.__name__:
                found.append(value)
    return found


def spec_keys() -> set[str]:
    return {info.alias or name for cls in spec_classes() for name, info in cls.model_fields.items()}


def literal_values(annotation: Any) -> list[object]:
    """Every ``Literal[...]`` value inside a type (through Annotated, unions, containers).

    A list, not a set: ``True == 1`` in Python, and both are allowed values of the spec.
    """
    if isinstance(annotation, TypeAliasType):
        return literal_values(annotation.__value__)
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return list(typing.get_args(annotation))
    if origin is typing.Annotated:
        return literal_values(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, dict, tuple):
        out: list[object] = []
        for arg in typing.get_args(annotation):
            if isinstance(arg, str):  # a forward reference such as list["Predicate"]
                continue
            out += literal_values(arg)
        return out
    return []


def as_written(value: object) -> str:
    """A literal value as it is written in YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def spec_literals() -> set[str]:
    """Every allowed literal value of the spec, as written in YAML."""
    return {
        as_written(value)
        for cls in spec_classes()
        for info in cls.model_fields.values()
        for value in literal_values(info.annotation)
    }


# ---- the spec is derived correctly (guards against a vacuous test) -------------------------


def test_the_key_and_value_lists_are_derived_from_the_spec() -> None:
    keys = spec_keys()
    # aliases, not Python names: "in" and "not", never "in_" and "not_"
    assert {"in", "not", "leadscore", "half_life", "at_least", "ignore_case"} <= keys
    assert not {"in_", "not_"} & keys
    literals = spec_literals()
    assert {"once", "each", "hour", "week", "top_k_mean", "rollup", "true", "1"} <= literals


def test_the_constants_agree_with_the_literals() -> None:
    """The tuples used in messages and code name exactly the values the spec accepts."""
    per = spec_module.PeriodCap.model_fields["per"].annotation
    agg = spec_module.Rollup.model_fields["agg"].annotation
    assert literal_values(per) == list(spec_module.CAP_PERIODS)
    assert literal_values(agg) == list(spec_module.ROLLUP_AGGREGATES)
    leaf_keys = {info.alias or name for name, info in predicates_module._Leaf.model_fields.items()}
    assert leaf_keys - {"ignore_case"} == set(predicates_module.OPERATORS)


# ---- every key and value is documented --------------------------------------------------------


@pytest.mark.parametrize("key", sorted(spec_keys()))
def test_every_key_has_a_row_in_a_reference_table(key: str) -> None:
    assert re.search(rf"^\| `{re.escape(key)}` \|", doc_text(), re.M), (
        f"docs/model-spec.md has no table row for the key `{key}`"
    )


@pytest.mark.parametrize("value", sorted(spec_literals()))
def test_every_allowed_value_is_documented(value: str) -> None:
    assert f"`{value}`" in doc_text(), f"docs/model-spec.md never mentions the value `{value}`"


# ---- the examples load ----------------------------------------------------------------------


def yaml_blocks() -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```", doc_text(), re.M | re.S)


def model_blocks() -> list[str]:
    return [block for block in yaml_blocks() if block.startswith("leadscore: 1\n")]


def test_the_doc_has_complete_examples() -> None:
    assert len(model_blocks()) >= 5


@pytest.mark.parametrize("index", range(len(model_blocks())))
def test_every_complete_example_loads(index: int) -> None:
    block = model_blocks()[index]
    model = load_model_text(block, f"docs/model-spec.md example {index + 1}")
    assert model.rules


def test_every_snippet_is_valid_yaml() -> None:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    for block in yaml_blocks():
        assert yaml.load(block) is not None


def test_the_error_example_is_the_real_output() -> None:
    """Section 11 shows a broken file and the report; the loader must say exactly that."""
    blocks = re.findall(r"^```text\n(.*?)^```", doc_text(), re.M | re.S)
    listing = next(b for b in blocks if b.startswith(" 1  leadscore: 1"))
    report = blocks[blocks.index(listing) + 1]
    source = "".join(re.sub(r"^ ?\d+  ?", "", line, count=1) for line in listing.splitlines(True))
    with pytest.raises(ModelError) as caught:
        load_model_text(source, "model.yaml")
    assert str(caught.value) == report.rstrip("\n")


# ---- the worked examples are true -------------------------------------------------------------


def _model(name: str) -> Any:
    block = next(b for b in model_blocks() if f"\nname: {name}\n" in b)
    return load_model_text(block)


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 0.005


def test_the_breakdown_worked_example() -> None:
    model = _model("worked-example")
    t = to_us("2024-06-01T12:00:00Z")
    views = [
        "2024-06-01T12:00:00Z",
        "2024-05-18T12:00:00Z",
        "2024-05-18T08:00:00Z",
        "2024-05-04T12:00:00Z",
        "2024-04-20T12:00:00Z",
    ]
    events = [
        Event(f"v{i}", "ana", "page_view", to_us(ts), {"url": "/pricing"})
        for i, ts in enumerate(views)
    ]
    events.append(Event("d", "ana", "demo_request", to_us("2024-05-02T12:00:00Z")))
    ana = Contact(
        "ana",
        {
            "job_title": "VP Marketing",
            "department": "Marketing",
            "company_size": "350",
            "email": "ana@acme.com",
        },
        to_us("2023-01-01"),
    )
    bob = Contact("bob", {"job_title": "Student", "email": "bob@GMAIL.com"}, to_us("2024-01-10"))
    rows = {r["contact_id"]: r for r in evaluate_contacts(model, [ana, bob], events, t)}
    a = rows["ana"]
    assert [a[f"r_{r}__points"] for r in ("vp", "marketing", "big_company")] == [25, 10, 20]
    assert a["grp_role"] == -5
    assert (a["raw_fit"], a["score_fit"]) == (50, 50)
    pricing = [a[f"r_pricing_page__{p}"] for p in ("matched", "counted", "weight", "points")]
    assert pricing == [5, 3, 1.75, 21]
    assert (a["r_demo_request__weight"], a["r_demo_request__points"]) == (0.5, 20)
    assert (a["r_gone_quiet__matched"], a["r_gone_quiet__points"]) == (4, 0)
    assert a["score_engagement"] == 41
    assert _close(a["total"], 44.6)
    assert (a["grade"], a["stage"]) == ("warm", "MQL")
    b = rows["bob"]
    assert (b["r_free_email__points"], b["r_gone_quiet__points"]) == (-15, -15)
    assert (b["raw_fit"], b["score_fit"], b["raw_engagement"], b["score_engagement"]) == (
        -15,
        0,
        -15,
        0,
    )
    assert (b["total"], b["grade"], b["stage"]) == (0, "cold", None)


def test_the_walk_through_the_example_model() -> None:
    text = resources.files("leadscore").joinpath("examples/b2b-saas.yaml").read_text("utf-8")
    model = load_model_text(text)
    t = to_us("2024-06-01T00:00:00Z")
    dana_events = [
        ("newsletter_signup", "2023-11-14T09:00:00Z", {}),
        ("email_open", "2024-05-20T08:00:00Z", {}),
        ("email_open", "2024-05-20T17:30:00Z", {}),
        ("email_open", "2024-05-24T08:00:00Z", {}),
        ("email_open", "2024-05-28T08:00:00Z", {}),
        ("email_click", "2024-05-24T08:05:00Z", {}),
        ("page_view", "2024-05-11T14:00:00Z", {"url": "/pricing"}),
        ("page_view", "2024-05-11T14:02:00Z", {"url": "/pricing/enterprise"}),
        ("page_view", "2024-05-25T10:00:00Z", {"url": "/blog/lead-scoring-101"}),
        ("demo_request", "2024-05-22T15:00:00Z", {"form": "demo"}),
    ]
    events = [
        Event(f"e{i}", "dana", kind, to_us(ts), props)
        for i, (kind, ts, props) in enumerate(dana_events)
    ]
    events.append(Event("w", "sam", "webinar_attended", to_us("2024-04-02T16:00:00Z")))
    firm = {"company_size": "350", "industry": "Software", "country": "US"}
    dana = Contact(
        "dana",
        {**firm, "job_title": "VP Marketing", "department": "Marketing", "email": "dana@acme.io"},
        to_us("2023-11-14T09:00:00Z"),
        "acme",
    )
    sam = Contact(
        "sam",
        {**firm, "job_title": "Marketing Manager", "email": "sam@acme.io"},
        to_us("2024-01-05T00:00:00Z"),
        "acme",
    )
    acme = Account("acme", {"employees": "350"}, to_us("2023-01-01"))
    result = evaluate(model, [dana, sam], events, t, accounts=[acme])
    rows = {r["contact_id"]: r for r in result["contacts"]}
    d, s = rows["dana"], rows["sam"]
    assert d["score_fit"] == 80
    assert (d["r_email_open__matched"], d["r_email_open__counted"]) == (4, 3)
    assert (d["r_pricing_page__matched"], d["r_pricing_page__counted"]) == (2, 1)
    assert _close(d["r_blog_visits__points"], 1.72)
    assert _close(d["r_pricing_page__points"], 6.12)
    assert _close(d["r_demo_request__points"], 34.62)
    assert (d["r_gone_quiet__matched"], d["r_gone_quiet__points"]) == (5, 0)
    assert _close(d["score_engagement"], 58.46)
    assert _close(d["total"], 67.07)
    assert (d["grade"], d["stage"], d["matrix"]) == ("hot", "SQL", "A2")
    assert s["score_fit"] == 60
    assert _close(s["r_webinar__points"], 7.56)
    assert s["r_gone_quiet__points"] == -15
    assert _close(s["raw_engagement"], -7.44)
    assert s["score_engagement"] == 0
    assert (s["total"], s["grade"], s["stage"], s["matrix"]) == (24, "cold", "lead", "A4")
    account = result["accounts"][0]
    assert account["r_account_enterprise__points"] == 0
    assert _close(account["r_best_contact__points"], 33.54)
    assert account["r_buying_committee__points"] == 10
    assert _close(account["r_top3_engagement__points"], 8.77)
    assert _close(account["total"], 52.31)
    assert (account["grade"], account["stage"]) == ("target", "ABM")
