"""Attribute rules: the points apply when the entity's attributes satisfy ``when``."""

from __future__ import annotations

from sqlglot import exp

from leadscore.compile.context import Context, RuleColumns
from leadscore.compile.sqlutil import case, to_double
from leadscore.model.spec import AttributeRule


def compile_rule(rule: AttributeRule, ctx: Context) -> RuleColumns:
    holds = ctx.attribute_predicate(rule.when)
    hit = case([(holds, exp.Literal.number(1))], exp.Literal.number(0))
    return RuleColumns(matched=hit, counted=hit.copy(), weight=to_double(hit.copy()))
