"""Re-basing stored scores to a later time without reading events.

Between two changes of its selected events (a new event, an event leaving a ``within`` window, a
future-dated event coming due, an inactivity span running out - all reported by the compiled
query as ``next_change_us``) a lead's rule results only decay: every decayed weight is a sum of
``0.5 ** ((T - ts) / h)`` over a fixed set of events, so moving from R to T multiplies it by
``0.5 ** ((T - R) / h)``. This query applies that to stored rows and runs the usual finishing
stages (points, group caps, bounds, total, grades): its cost follows the number of leads, not of
events.
"""

from __future__ import annotations

from sqlglot import exp

from leadscore.compile.assemble import Compiled, finish
from leadscore.compile.dialects import Dialect, get_dialect
from leadscore.compile.naming import rule_col
from leadscore.compile.sqlutil import integer, to_double
from leadscore.model.spec import EventRule, Model, us


def rebaseable(state: str, as_of_us: int) -> exp.Expr:
    """Stored rows that can move to T by re-basing alone."""
    change = exp.column("next_change_us", "s")
    return exp.And(
        this=exp.Paren(
            this=exp.Or(
                this=exp.Is(this=change, expression=exp.Null()),
                expression=exp.GT(this=change.copy(), expression=integer(as_of_us)),
            )
        ),
        expression=exp.LTE(this=exp.column("as_of_us", "s"), expression=integer(as_of_us)),
    )


def compile_rebase(
    model: Model, state: str, as_of_us: int, dialect: str | Dialect = "duckdb"
) -> Compiled:
    """Scores at T of the contacts in ``state`` (a scores table) that only need re-basing."""
    d = get_dialect(dialect)
    t = integer(as_of_us)
    rules = exp.select(
        exp.column("contact_id", "s").as_("contact_id"),
        exp.column("account_id", "s").as_("account_id"),
    ).from_(exp.alias_(exp.to_table(state), "s", table=True))
    for _score, rule in model.rules:
        for part in ("matched", "counted"):
            rules = rules.select(
                exp.column(rule_col(rule.id, part), "s").as_(rule_col(rule.id, part)), copy=False
            )
        weight: exp.Expr = exp.column(rule_col(rule.id, "weight"), "s")
        half_life = us(rule.half_life) if isinstance(rule, EventRule) else None
        if half_life is not None:
            elapsed = exp.Sub(this=t.copy(), expression=exp.column("as_of_us", "s"))
            ratio = exp.Div(this=to_double(elapsed), expression=to_double(integer(half_life)))
            weight = d.rebased(weight, ratio)
        rules = rules.select(exp.alias_(weight, rule_col(rule.id, "weight")), copy=False)
    rules = rules.select(exp.column("next_change_us", "s").as_("next_change_us"), copy=False)
    rules = rules.where(rebaseable(state, as_of_us), copy=False)
    compiled = finish(model, "contact_id", ["account_id"], [("rules", rules)], ["next_change_us"])
    compiled.entity = "contacts"
    return compiled
