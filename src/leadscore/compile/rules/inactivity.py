"""Inactivity rules: points when no selected event happened in the last ``inactive`` span.

A contact created less than ``inactive`` ago is new, not inactive: the rule does not fire for it.
"""

from __future__ import annotations

from sqlglot import exp

from leadscore.compile.context import BASE, Context, RuleColumns
from leadscore.compile.sqlutil import case, coalesce, col, filtered, integer, to_double
from leadscore.model.spec import InactivityRule, us


def compile_rule(rule: InactivityRule, ctx: Context) -> RuleColumns:
    span = us(rule.inactive)
    assert span is not None
    selected = ctx.select_events(rule.event, rule.where, span)
    count = ctx.aggregate(f"{rule.id}__n", filtered(exp.Count(this=exp.Star()), selected))
    matched = coalesce(count, exp.Literal.number(0))
    created = col("created_at_us", BASE)
    old_enough = exp.Or(
        this=exp.Is(this=created, expression=exp.Null()),
        expression=exp.GTE(this=exp.Sub(this=ctx.t, expression=created), expression=integer(span)),
    )
    fires = exp.And(
        this=exp.EQ(this=matched.copy(), expression=exp.Literal.number(0)),
        expression=exp.Paren(this=old_enough),
    )
    hit = case([(fires, exp.Literal.number(1))], exp.Literal.number(0))
    # changes when an event in the span leaves it, or when a young contact comes of age
    ctx.change_at(selected, span)
    young = exp.LT(this=exp.Sub(this=ctx.t, expression=created.copy()), expression=integer(span))
    next_change = case([(young, exp.Add(this=created.copy(), expression=integer(span)))], None)
    return RuleColumns(
        matched=matched, counted=hit, weight=to_double(hit.copy()), next_change=next_change
    )
