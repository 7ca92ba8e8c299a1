"""Roll-up rules (accounts, deals): ``points`` x an aggregate of their contacts' scores.

An account or deal without (matching) contacts aggregates to 0.
"""

from __future__ import annotations

from sqlglot import exp

from leadscore.compile.context import Context, RuleColumns
from leadscore.compile.naming import grade_col, score_col
from leadscore.compile.sqlutil import coalesce, filtered, num, to_double
from leadscore.model.spec import Model, RollupRule

AGGREGATES = {"sum": exp.Sum, "max": exp.Max, "min": exp.Min, "mean": exp.Avg}


def compile_rule(rule: RollupRule, ctx: Context) -> RuleColumns:
    assert ctx.members is not None, "roll-up rules apply to accounts and deals"
    roll = rule.rollup
    value = "total" if roll.of == "total" else score_col(roll.of)
    wanted = [value] + ([grade_col(roll.grade.grading)] if roll.grade else [])
    members = ctx.members(wanted)
    if roll.grade is not None:
        model = ctx.model
        assert isinstance(model, Model)
        labels = model.grades[roll.grade.grading].at_least(roll.grade.at_least)
        members = members.where(
            exp.In(
                this=exp.column(grade_col(roll.grade.grading)),
                expressions=[exp.Literal.string(label) for label in labels],
            )
        )
    key = ctx.key
    name = f"rk_{rule.id}"
    v = exp.column(value)
    if roll.agg == "top_k_mean":
        assert roll.k is not None
        order = exp.Order(expressions=[exp.Ordered(this=v.copy(), desc=True)])
        rn = exp.Window(this=exp.RowNumber(), partition_by=[exp.column(key)], order=order)
        ranked = exp.select(exp.column(key), v.copy(), exp.alias_(rn, "rn")).from_(
            exp.Subquery(this=members, alias=exp.TableAlias(this=exp.to_identifier("m")))
        )
        top = exp.LTE(this=exp.column("rn"), expression=exp.Literal.number(roll.k))
        query = (
            exp.select(
                exp.column(key),
                exp.alias_(exp.Count(this=exp.Star()), "n"),
                exp.alias_(filtered(exp.Count(this=exp.Star()), top), "used"),
                exp.alias_(filtered(exp.Avg(this=v.copy()), top.copy()), "v"),
            )
            .from_(exp.Subquery(this=ranked, alias=exp.TableAlias(this=exp.to_identifier("r"))))
            .group_by(exp.column(key))
        )
        ctx.add_cte(name, query)
        matched = coalesce(exp.column("n", name), exp.Literal.number(0))
        counted = coalesce(exp.column("used", name), exp.Literal.number(0))
        return RuleColumns(matched, counted, coalesce(exp.column("v", name), num(0.0)))
    aggregate: exp.Expr
    if roll.agg == "count":
        aggregate = to_double(exp.Count(this=exp.Star()))
    else:
        aggregate = AGGREGATES[roll.agg](this=v.copy())
    query = (
        exp.select(
            exp.column(key),
            exp.alias_(exp.Count(this=exp.Star()), "n"),
            exp.alias_(aggregate, "v"),
        )
        .from_(exp.Subquery(this=members, alias=exp.TableAlias(this=exp.to_identifier("m"))))
        .group_by(exp.column(key))
    )
    ctx.add_cte(name, query)
    matched = coalesce(exp.column("n", name), exp.Literal.number(0))
    weight = coalesce(exp.column("v", name), num(0.0))
    return RuleColumns(matched, matched.copy(), weight)
