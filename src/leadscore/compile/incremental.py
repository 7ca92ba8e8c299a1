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
from leadscore.compile.naming import PERIOD_PARTS, kept_parts, rule_col
from leadscore.compile.rules.event import kept_times, period_bucket
from leadscore.compile.sqlutil import case, coalesce, greatest, integer, least, num, to_double
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


def rebase_copies(model: Model) -> set[str]:
    """The columns :func:`compile_rebase` copies unchanged from the stored rows (a re-base in
    place need not write them): everything but the decayed rules' weights and points and what
    is summed from points (group adjustments, raw scores, scores, total, grades, stage)."""
    kept = {"contact_id", "account_id", "next_change_us"}
    for _score, rule in model.rules:
        kept.update(rule_col(rule.id, part) for part in ("matched", "counted", *_periods(rule)))
        if not (isinstance(rule, EventRule) and rule.half_life is not None):
            kept.update(rule_col(rule.id, part) for part in ("weight", "points"))
    return kept


def _periods(rule: Rule) -> tuple[str, ...]:
    """The stored parts a re-base copies and a merge combines beyond matched/counted/weight:
    a capped rule's periods, a decayed ``max_times`` rule's counted times."""
    if not isinstance(rule, EventRule):
        return ()
    return (PERIOD_PARTS if rule.cap is not None else ()) + kept_parts(kept_times(rule))


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
    # caps apply within the new events (compiled over them alone); where the new events begin
    # in the stored last period, that period's events beyond the cap count once (checked below)
    summed: exp.Expr = exp.Add(this=s["counted"].copy(), expression=n["counted"].copy())
    exact: list[exp.Expr] = []
    if rule.cap is not None:
        overlap, condition = _shared_period(rule, stored, delta, n["counted"])
        summed = exp.Add(this=summed, expression=overlap)
        exact.append(condition)
    summed = exp.Paren(this=summed)
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
    kept = kept_times(rule)
    if half_life is not None and rule.max_times is not None and not kept:
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
    elif kept:  # the max_times most recent of the stored and the new counted events
        weight = case([(enough.copy(), _kept_weight(rule, stored, delta, t, d))], num(0.0))
    else:
        added = exp.Add(this=old_weight.copy(), expression=n["weight"])
        weight = case([(enough.copy(), added)], num(0.0))
    parts = [
        total,
        _either(n["matched"].copy(), s["counted"], counted),
        _either(n["matched"].copy(), old_weight, weight),
    ]
    if rule.cap is not None:
        parts += _merged_periods(rule, stored, delta)
    parts += _merged_times(rule, stored, delta)
    return parts, exact


NO_TIME = -(2**62)  # stands for a missing time (times are >= 0)


def _one_per_period(rule: EventRule) -> bool:
    """A decayed rule that keeps its counted times and counts one event per period: new events
    in its stored last period merge (:func:`_kept_lists`)."""
    return (
        rule.cap is not None
        and rule.cap.max == 1
        and rule.half_life is not None
        and kept_times(rule) > 0
    )


def _kept_lists(rule: EventRule, stored: str, delta: str) -> tuple[list[exp.Expr], list[exp.Expr]]:
    """Each side's counted times, most recent first, as the merge reads them.

    With a cap of one event per period, the new events may begin in the stored last period:
    the stored side's first time falls in it, and the new side's last (its oldest counted)
    does when it is in that period too. The period then keeps the more recent of the two, as
    the stored side's first; the new side's is left out."""
    parts = kept_parts(kept_times(rule))
    a: list[exp.Expr] = [exp.column(rule_col(rule.id, p), stored) for p in parts]
    b: list[exp.Expr] = [exp.column(rule_col(rule.id, p), delta) for p in parts]
    if not _one_per_period(rule):
        return a, b
    assert rule.cap is not None
    counted = exp.column(rule_col(rule.id, "counted"), delta)

    def is_last(j: int) -> exp.Expr:
        return exp.EQ(this=counted.copy(), expression=integer(j))

    oldest_new = case([(is_last(j), b[j - 1].copy()) for j in range(1, len(b) + 1)], None)
    last = exp.column(rule_col(rule.id, "last_period"), stored)
    hit = exp.EQ(this=period_bucket(oldest_new, rule.cap.per), expression=last)
    first = case([(hit.copy(), greatest(a[0].copy(), oldest_new.copy()))], a[0])
    rest: list[exp.Expr] = [
        case([(exp.And(this=hit.copy(), expression=is_last(j)), exp.Null())], b[j - 1])
        for j in range(1, len(b) + 1)
    ]
    return [first, *a[1:]], rest


def _merged_times(rule: EventRule, stored: str, delta: str) -> list[exp.Expr]:
    """The ``max_times`` most recent of a decayed rule's stored and new counted times.

    Both sides list their times most recent first, so the k-th most recent of the two is
    ``max(a_k, b_k, max over 0 < i < k of min(a_i, b_(k-i)))`` (a missing time is older than
    any). Only counted events are listed on each side: an event either side's cap or
    ``max_times`` left out is older than as many counted ones of its side, so it cannot be
    among the most recent of the two together. (With a per-period cap, merging happens only
    where the two sides' periods do not overlap past the cap (:func:`_shared_period`), or
    where the one event of a shared period is chosen first: :func:`_kept_lists`.)"""
    if not kept_times(rule):
        return []
    a, b = _kept_lists(rule, stored, delta)

    def time(side: list[exp.Expr], i: int) -> exp.Expr:
        return coalesce(side[i - 1].copy(), integer(NO_TIME))

    merged: list[exp.Expr] = []
    for k in range(1, len(a) + 1):
        candidates = [time(a, k), time(b, k)]
        candidates += [least(time(a, i), time(b, k - i)) for i in range(1, k)]
        merged.append(exp.Nullif(this=greatest(*candidates), expression=integer(NO_TIME)))
    return merged


def _kept_weight(rule: EventRule, stored: str, delta: str, t: exp.Expr, d: Dialect) -> exp.Expr:
    """The decayed weight at T of the merged counted times (:func:`_merged_times`), summed
    over each side's times that make the cut: the stored side's i-th is among the
    ``max_times`` (n) most recent of the two when the new side's (n + 1 - i)-th is missing or
    not more recent (ties go to the stored side); the new side's j-th when the stored side's
    (n + 1 - j)-th is missing or older."""
    half_life = us(rule.half_life)
    assert half_life is not None
    a, b = _kept_lists(rule, stored, delta)
    n = len(a)
    total: exp.Expr | None = None
    for side, other, beaten in ((a, b, exp.GTE), (b, a, exp.GT)):
        for i in range(1, n + 1):
            rival = other[n - i]
            cut = exp.Or(
                this=exp.Is(this=rival.copy(), expression=exp.Null()),
                expression=beaten(this=side[i - 1].copy(), expression=rival.copy()),
            )
            age = to_double(exp.Sub(this=t.copy(), expression=side[i - 1].copy()))
            ratio = exp.Div(this=age, expression=to_double(integer(half_life)))
            term = case([(cut, coalesce(d.half_power(ratio), num(0.0)))], num(0.0))
            total = term if total is None else exp.Add(this=total, expression=term)
    assert total is not None
    return total


def _shared_period(
    rule: EventRule, stored: str, delta: str, new_counted: exp.Expr
) -> tuple[exp.Expr, exp.Expr]:
    """For a capped rule: what the stored and new counts over-count when the new events begin
    in the stored last period (``min(max, a + b) - a - b``, else 0), and when merging is exact.

    It is exact when the new events begin after the stored ones; or in the same period, when
    that period stays within the cap (with decay, events beyond it would push out stored ones
    whose weights are not kept); or, without decay, when the new events alone count fewer
    than ``max_times`` (else the over-count may already be hidden by ``max_times``)."""
    assert rule.cap is not None
    cap = integer(rule.cap.max)
    last = exp.column(rule_col(rule.id, "last_period"), stored)
    first = exp.column(rule_col(rule.id, "first_period"), delta)
    held = exp.column(rule_col(rule.id, "last_count"), stored)
    begun = exp.column(rule_col(rule.id, "first_count"), delta)
    both = exp.Add(this=held, expression=begun)
    shared = exp.EQ(this=first, expression=last)
    excess = exp.Sub(this=least(cap, both.copy()), expression=exp.Paren(this=both.copy()))
    overlap = case([(shared.copy(), excess)], integer(0))
    within: exp.Expr = exp.LTE(this=both.copy(), expression=cap.copy())
    if _one_per_period(rule):  # the shared period's one event is chosen: _kept_lists
        within = exp.true()
    elif rule.half_life is None and rule.max_times is not None:
        fewer = exp.LT(this=new_counted.copy(), expression=integer(rule.max_times))
        within = exp.Or(this=within, expression=fewer)
    elif rule.half_life is None:
        within = exp.true()
    condition = exp.Or(
        this=exp.Or(
            this=exp.Is(this=first.copy(), expression=exp.Null()),
            expression=exp.Is(this=last.copy(), expression=exp.Null()),
        ),
        expression=exp.Or(
            this=exp.GT(this=first.copy(), expression=last.copy()),
            expression=exp.Paren(this=exp.And(this=shared, expression=exp.Paren(this=within))),
        ),
    )
    return overlap, condition


def _merged_periods(rule: EventRule, stored: str, delta: str) -> list[exp.Expr]:
    """first_period, last_period, first_count and last_count over the stored and new events."""
    assert rule.cap is not None
    cap = integer(rule.cap.max)

    def column(part: str, side: str) -> exp.Expr:
        return exp.column(rule_col(rule.id, part), side)

    def count(period: str, part: str, outer: type[exp.GT] | type[exp.LT]) -> exp.Expr:
        """The count of the stored or the new side, whichever holds the outer period; their
        sum, capped, when both do."""
        s_period, d_period = column(period, stored), column(period, delta)
        s_count, d_count = column(part, stored), column(part, delta)
        return case(
            [
                (
                    exp.Or(
                        this=exp.Is(this=d_period, expression=exp.Null()),
                        expression=outer(this=s_period, expression=d_period.copy()),
                    ),
                    s_count,
                ),
                (
                    exp.Or(
                        this=exp.Is(this=s_period.copy(), expression=exp.Null()),
                        expression=outer(this=d_period.copy(), expression=s_period.copy()),
                    ),
                    d_count,
                ),
            ],
            least(cap.copy(), exp.Add(this=s_count.copy(), expression=d_count.copy())),
        )

    return [
        least(column("first_period", stored), column("first_period", delta)),
        greatest(column("last_period", stored), column("last_period", delta)),
        count("first_period", "first_count", exp.LT),
        count("last_period", "last_count", exp.GT),
    ]


def compile_merge(
    model: Model, state: str, delta: exp.Expr, as_of_us: int, dialect: str | Dialect = "duckdb"
) -> Compiled:
    """Scores at T of the contacts in ``state`` (stored score rows) that also have a row in
    ``delta`` (the model's results over each contact's new events alone and its contact row
    as it is now, compiled with ``gate_min_count=False``), wherever adding the two is exact.

    A stored row that can be re-based to T (:func:`rebaseable`) holds each rule's matched
    count, counted count and decayed weight; new events add to the counts and to the decayed
    sums, the most recent event's weight of a ``once`` rule is the larger of the two, and a
    decayed ``max_times`` rule keeps the most recent of both sides' counted times.
    Where the stored numbers are not enough (a per-period cap with new events before its
    stored last period, or in it beyond the cap with decay, unless the rule keeps its counted
    times and takes one event a period; a decayed rule with ``max_times``
    above ``KEPT_LIMIT`` and more events than it counts; a decayed rule that reaches its
    ``min_count`` only now), the
    contact gets no row here and is recomputed from all its events. Attribute rules are read
    from the contact row as it is now."""
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
