"""Predicates over attributes (of contacts, accounts, deals) and over event properties.

A leaf names one field (``attribute:`` or ``property:``) and exactly one operator. Leaves combine
with ``all``, ``any`` and ``not``. A list where a predicate is expected means ``all``.

Logic is two-valued: a comparison with a missing value is false (so ``not`` of it is true), and
numeric operators are false for text that is not a number.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import (
    Discriminator,
    Field,
    StrictBool,
    StrictStr,
    Tag,
    field_validator,
    model_validator,
)
from typing_extensions import TypeAliasType

from leadscore.model.regex import PatternError, check
from leadscore.model.strict import Strict

# Numbers are floats (YAML integers are accepted), finite and within +-1e15.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-1e15, le=1e15)]
Scalar = StrictStr | StrictBool | Number

STRING_OPERATORS = ("contains", "starts_with", "ends_with", "matches")
NUMBER_OPERATORS = ("gt", "gte", "lt", "lte", "between")
VALUE_OPERATORS = ("eq", "ne", "in", "not_in")
PRESENCE_OPERATORS = ("exists", "missing")
OPERATORS = VALUE_OPERATORS + STRING_OPERATORS + NUMBER_OPERATORS + PRESENCE_OPERATORS
FIELD_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,199}$"
# What FIELD_NAME means, for error messages (the loader shows it instead of the pattern).
PATTERN_HELP = {
    FIELD_NAME: "a field name has 1 to 200 letters, digits and _ . : - "
    "(and does not start with . : or -)",
}


class _Leaf(Strict):
    eq: Scalar | None = None
    ne: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in", min_length=1)
    not_in: list[Scalar] | None = Field(default=None, min_length=1)
    contains: str | None = None
    starts_with: str | None = None
    ends_with: str | None = None
    matches: str | None = None
    gt: Number | None = None
    gte: Number | None = None
    lt: Number | None = None
    lte: Number | None = None
    between: tuple[Number, Number] | None = None
    exists: Literal[True] | None = None
    missing: Literal[True] | None = None
    ignore_case: StrictBool = False

    @field_validator("matches")
    @classmethod
    def _portable(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                check(value)
            except PatternError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("between")
    @classmethod
    def _ordered(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError(f"between needs [low, high] with low <= high, got {list(value)}")
        return value

    @model_validator(mode="after")
    def _one_operator(self) -> _Leaf:
        used = self.operators_used()
        if len(used) != 1:
            found = ", ".join(used) if used else "none"
            raise ValueError(
                "a condition needs exactly one operator among "
                f"{', '.join(OPERATORS)} (found: {found})"
            )
        if self.ignore_case and used[0] not in VALUE_OPERATORS + STRING_OPERATORS:
            raise ValueError(f"ignore_case applies to text operators, not to '{used[0]}'")
        return self

    def operators_used(self) -> list[str]:
        return [op for op in OPERATORS if getattr(self, "in_" if op == "in" else op) is not None]

    @property
    def operator(self) -> str:
        return self.operators_used()[0]

    @property
    def operand(self) -> Any:
        op = self.operator
        return getattr(self, "in_" if op == "in" else op)

    @property
    def field(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


class AttributeCondition(_Leaf):
    attribute: Annotated[str, Field(pattern=FIELD_NAME)]

    @property
    def field(self) -> str:
        return self.attribute


class PropertyCondition(_Leaf):
    property: Annotated[str, Field(pattern=FIELD_NAME)]

    @builtins.property  # the name ``property`` is the field above in this class
    def field(self) -> str:
        return self.property


class AllOf(Strict):
    all: list[Predicate] = Field(min_length=1)


class AnyOf(Strict):
    any: list[Predicate] = Field(min_length=1)


class NotOf(Strict):
    not_: Predicate = Field(alias="not")


def _predicate_tag(value: Any) -> str | None:
    if isinstance(value, list):
        return "§list"
    if isinstance(value, dict):
        for key in ("all", "any", "not", "attribute", "property"):
            if key in value:
                return "§" + key
        return None
    for key in ("all", "any", "not_", "attribute", "property"):
        if hasattr(value, key):
            return "§not" if key == "not_" else "§" + key
    return None


if TYPE_CHECKING:  # the same union, in the recursive form type checkers read
    Predicate: TypeAlias = (
        "AttributeCondition | PropertyCondition | AllOf | AnyOf | NotOf | list[Predicate]"
    )
else:
    Predicate = TypeAliasType(
        "Predicate",
        Annotated[
            Annotated[AttributeCondition, Tag("§attribute")]
            | Annotated[PropertyCondition, Tag("§property")]
            | Annotated[AllOf, Tag("§all")]
            | Annotated[AnyOf, Tag("§any")]
            | Annotated[NotOf, Tag("§not")]
            | Annotated[list["Predicate"], Tag("§list")],
            Discriminator(
                _predicate_tag,
                custom_error_type="condition_shape",
                custom_error_message=(
                    "a condition must be a mapping with one of the keys "
                    "'attribute', 'property', 'all', 'any' or 'not' (or a list of conditions)"
                ),
            ),
        ],
    )

AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()

Condition = AttributeCondition | PropertyCondition


def leaves(predicate: Predicate) -> list[Condition]:
    """Every leaf condition of a predicate, in order."""
    if isinstance(predicate, list):
        return [leaf for item in predicate for leaf in leaves(item)]
    if isinstance(predicate, AllOf):
        return [leaf for item in predicate.all for leaf in leaves(item)]
    if isinstance(predicate, AnyOf):
        return [leaf for item in predicate.any for leaf in leaves(item)]
    if isinstance(predicate, NotOf):
        return leaves(predicate.not_)
    return [predicate]
