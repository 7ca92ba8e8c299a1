"""Re-basing stored scores to a later time without reading events, and merging them with new
events without reading the old ones.

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
from leadscore.compile.naming import PERIOD_PARTS, rule_col
from leadscore.compile.sqlutil import case, greatest, integer, least, num, to_double
from leadscore.model.spec import AttributeRule, EventRule, InactivityRule, Model, us

Rule = AttributeRule | EventRule | InactivityRule


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
        for part in ("matched", "counted", *_periods(rule)):
            rules = rules.select(
                exp.column(rule_col(rule.id, part), "s").as_(rule_col(rule.id, part)), copy=False
            )
        weight = _rebased_weight(rule, "s", t, d)
        rules = rules.select(exp.alias_(weight, rule_col(rule.id, "weight")), copy=False)
    rules = rules.select(exp.column("next_change_us", "s").as_("next_change_us"), copy=False)
    rules = rules.where(rebaseable(state, as_of_us), copy=False)
    compiled = finish(model, "contact_id", ["account_id"], [("rules", rules)], ["next_change_us"])
    compiled.entity = "contacts"
    return compiled


def _periods(rule: Rule) -> tuple[str, ...]:
    return PERIOD_PARTS if isinstance(rule, EventRule) and rule.cap is not None else ()


def _rebased_weight(rule: Rule, stored: str, t: exp.Expr, d: Dialect) -> exp.Expr:
    weight: exp.Expr = exp.column(rule_col(rule.id, "weight"), stored)
    half_life = us(rule.half_life) if isinstance(rule, EventRule) else None
    if half_life is None:
        return weight
    elapsed = exp.Sub(this=t.copy(), expression=exp.column("as_of_us", stored))
    ratio = exp.Div(this=to_double(elapsed), expression=to_double(integer(half_life)))
    return d.rebased(weight, ratio)


def _either(new: exp.Expr, old: exp.Expr, formula: exp.Expr) -> exp.Expr:
    """``old`` where the rule selected no new event (``new`` = 0), else ``formula``."""
    return case([(exp.EQ(this=new, expression=integer(0)), old)], formula)


def _merged_rule(
    rule: Rule, stored: str, delta: str, t: exp.Expr, d: Dialect
) -> tuple[list[exp.Expr], list[exp.Expr]]:
    """The rule's matched, counted and weight at T from its stored results (re-based) and its
    results over the new events alone; and the conditions under which that is exact."""
    s = {p: exp.column(rule_col(rule.id, p), stored) for p in ("matched", "counted", "weight")}
    n = {p: exp.column(rule_col(rule.id, p), delta) for p in ("matched", "counted", "weight")}
    if isinstance(rule, AttributeRule):  # from the contact row as it is now
        return [n["matched"], n["counted"], n["weight"]], []
    total = exp.Paren(this=exp.Add(this=s["matched"].copy(), expression=n["matched"].copy()))
    if isinstance(rule, InactivityRule):  # fires when nothing was selected, old or new
        fires = case(
            [(exp.EQ(this=s["matched"].copy(), expression=integer(0)), n["counted"].copy())],
            integer(0),
        )
        return [total, fires, to_double(fires.copy())], []
    assert isinstance(rule, EventRule)
    half_life = us(rule.half_life)
    old_weight = _rebased_weight(rule, stored, t, d)
    enough = exp.GTE(this=total.copy(), expression=integer(rule.min_count))
    no_new = exp.EQ(this=n["matched"].copy(), expression=integer(0))
    # the new events' counted and weight are the increments of the stored ones: per-period
    # caps apply within the new events (compiled over them alone), and they fall in periods
    # after the stored ones (checked below)
    summed = exp.Paren(this=exp.Add(this=s["counted"].copy(), expression=n["counted"].copy()))
    exact: list[exp.Expr] = []
    if rule.cap is not None:
        # per-period counts are not stored: exact when the new events begin a later period
        last = exp.column(rule_col(rule.id, "last_period"), stored)
        first = exp.column(rule_col(rule.id, "first_period"), delta)
        exact.append(
            exp.Or(
                this=exp.Or(
                    this=no_new.copy(), expression=exp.Is(this=last, expression=exp.Null())
                ),
                expression=exp.GT(this=first, expression=last.copy()),
            )
        )
    if rule.min_count > 1 and (half_life is not None or rule.cap is not None):
        # below min_count the stored weight and count are 0, hiding what they would be
        exact.append(
            exp.Or(
                this=exp.Or(
                    this=no_new.copy(),
                    expression=exp.GTE(
                        this=s["matched"].copy(), expression=integer(rule.min_count)
                    ),
                ),
                expression=exp.Not(this=exp.Paren(this=enough.copy())),
            )
        )
    if half_life is not None and rule.max_times is not None:
        # past max_times the oldest counted events drop out, whose weights are not stored
        exact.append(
            exp.Or(
                this=no_new.copy(),
                expression=exp.LTE(this=summed.copy(), expression=integer(rule.max_times)),
            )
        )
    counted: exp.Expr
    if rule.count == "once":
        counted = integer(1)
    else:
        counted = total.copy() if rule.cap is None else summed.copy()
        if rule.max_times is not None:
            counted = least(counted, integer(rule.max_times))
    counted = case([(enough.copy(), counted)], integer(0))
    weight: exp.Expr
    if half_life is None:
        weight = to_double(counted.copy())
    elif rule.count == "once":  # the most recent event's weight
        weight = case([(enough.copy(), greatest(old_weight.copy(), n["weight"]))], num(0.0))
    else:
        added = exp.Add(this=old_weight.copy(), expression=n["weight"])
        weight = case([(enough.copy(), added)], num(0.0))
    parts = [
        total,
        _either(n["matched"].copy(), s["counted"], counted),
        _either(n["matched"].copy(), old_weight, weight),
    ]
    if rule.cap is not None:
        first_, last_ = (
            [exp.column(rule_col(rule.id, p), side) for side in (stored, delta)]
            for p in PERIOD_PARTS
        )
        parts += [least(*first_), greatest(*last_)]
    return parts, exact


def compile_merge(
    model: Model, state: str, delta: exp.Expr, as_of_us: int, dialect: str | Dialect = "duckdb"
) -> Compiled:
    """Scores at T of the contacts in ``state`` (stored score rows) that also have a row in
    ``delta`` (the model's results over each contact's new events alone and its contact row
    as it is now, compiled with ``gate_min_count=False``), wherever adding the two is exact.

    A stored row that can be re-based to T (:func:`rebaseable`) holds each rule's matched
    count, counted count and decayed weight; new events add to the counts and to the decayed
    sums, and the most recent event's weight of a ``once`` rule is the larger of the two.
    Where the stored numbers are not enough (a per-period cap with new events; a decayed
    ``max_times`` rule with more events than it counts; a decayed rule that reaches its
    ``min_count`` only now), the contact gets no row here and is recomputed from all its
    events. Attribute rules are read from the contact row as it is now."""
    d = get_dialect(dialect)
    t = integer(as_of_us)
    rules = exp.select(
        exp.column("contact_id", "n").as_("contact_id"),
        exp.column("account_id", "n").as_("account_id"),
    )
    conditions: list[exp.Expr] = [rebaseable(state, as_of_us)]
    for _score, rule in model.rules:
        parts, exact = _merged_rule(rule, "s", "n", t, d)
        names = ("matched", "counted", "weight", *_periods(rule))
        for part, value in zip(names, parts, strict=True):
            rules = rules.select(exp.alias_(value, rule_col(rule.id, part)), copy=False)
        conditions += exact
    changes = least(exp.column("next_change_us", "s"), exp.column("next_change_us", "n"))
    rules = rules.select(exp.alias_(changes, "next_change_us"), copy=False)
    rules = rules.from_(exp.alias_(exp.to_table(state), "s", table=True)).join(
        exp.Subquery(this=delta, alias=exp.TableAlias(this=exp.to_identifier("n"))),
        on=exp.EQ(this=exp.column("contact_id", "s"), expression=exp.column("contact_id", "n")),
        join_type="inner",
        copy=False,
    )
    where = conditions[0]
    for condition in conditions[1:]:
        where = exp.And(this=where, expression=exp.Paren(this=condition))
    rules = rules.where(where, copy=False)
    compiled = finish(model, "contact_id", ["account_id"], [("rules", rules)], ["next_change_us"])
    compiled.entity = "contacts"
    return compiled
