"""Predicates (attribute and property conditions) -> two-valued SQL boolean expressions."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from leadscore.compile.dialects import Dialect, text
from leadscore.compile.sqlutil import FALSE, TRUE, and_all, num, or_all
from leadscore.model import regex
from leadscore.model.predicates import (
    AllOf,
    AnyOf,
    AttributeCondition,
    NotOf,
    Predicate,
    PropertyCondition,
)
from leadscore.values import ascii_lower

# Given a field name: its text value, and its strict number, as SQL expressions.
Accessor = Callable[[str], exp.Expr]


class PredicateCompiler:
    def __init__(
        self,
        dialect: Dialect,
        value_of: Accessor,
        number_of: Accessor,
        folded_of: Accessor | None = None,
    ):
        self.dialect = dialect
        self.value_of = value_of
        self.number_of = number_of
        # the ASCII-folded text, computed once per value when the caller offers it
        self.folded_of = folded_of or (lambda field: dialect.ascii_lower(value_of(field)))

    def compile(self, predicate: Predicate) -> exp.Expr:
        if isinstance(predicate, list):
            return and_all([self.compile(p) for p in predicate])
        if isinstance(predicate, AllOf):
            return and_all([self.compile(p) for p in predicate.all])
        if isinstance(predicate, AnyOf):
            return or_all([self.compile(p) for p in predicate.any])
        if isinstance(predicate, NotOf):
            return exp.Not(this=exp.Paren(this=self.compile(predicate.not_)))
        return self.leaf(predicate)

    def _eq(self, field: str, operand: object, ignore_case: bool) -> exp.Expr:
        value = self.value_of(field)
        if isinstance(operand, bool):
            literal = "true" if operand else "false"
            return exp.EQ(this=self.folded_of(field), expression=text(literal))
        if isinstance(operand, (int, float)):
            return exp.EQ(this=self.number_of(field), expression=num(float(operand)))
        assert isinstance(operand, str)
        if ignore_case:
            return exp.EQ(this=self.folded_of(field), expression=text(ascii_lower(operand)))
        return exp.EQ(this=value, expression=text(operand))

    def leaf(self, leaf: AttributeCondition | PropertyCondition) -> exp.Expr:
        field, op, operand, ic = leaf.field, leaf.operator, leaf.operand, leaf.ignore_case
        value = self.value_of(field)
        present = exp.Not(this=exp.Is(this=value, expression=exp.Null()))
        d = self.dialect
        if op == "exists":
            return present
        if op == "missing":
            return exp.Is(this=value, expression=exp.Null())
        if op == "eq":
            core = self._eq(field, operand, ic)
        elif op == "in":
            core = or_all([self._eq(field, item, ic) for item in operand])
        elif op in ("ne", "not_in"):
            items = [operand] if op == "ne" else operand
            inner = or_all([self._eq(field, item, ic) for item in items])
            return exp.And(this=present, expression=exp.Not(this=_coalesce_false(inner)))
        elif op in ("contains", "starts_with", "ends_with"):
            subject = self.folded_of(field) if ic else value
            needle = text(ascii_lower(operand) if ic else operand)
            build = {"contains": d.contains, "starts_with": d.starts_with, "ends_with": d.ends_with}
            core = build[op](subject, needle)
        elif op == "matches":
            pattern = regex.portable(operand, d.regex_flavor, ignore_case=ic)
            core = d.regex_search(self.folded_of(field) if ic else value, pattern)
        elif op == "between":
            low, high = operand
            number = self.number_of(field)
            core = exp.And(
                this=exp.GTE(this=number, expression=num(float(low))),
                expression=exp.LTE(this=number, expression=num(float(high))),
            )
        else:
            compare = {"gt": exp.GT, "gte": exp.GTE, "lt": exp.LT, "lte": exp.LTE}[op]
            core = compare(this=self.number_of(field), expression=num(float(operand)))
        return _coalesce_false(core)


def _coalesce_false(expression: exp.Expr) -> exp.Expr:
    if expression in (TRUE, FALSE):
        return expression
    return exp.Coalesce(this=exp.Paren(this=expression), expressions=[FALSE.copy()])
