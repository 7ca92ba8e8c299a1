"""Event rules: once or each, max_times, a per-period cap, expiry (within) and decay.

Without decay every counted event weighs 1, so caps reduce to counting (no window functions).
With decay and caps the n most recent events count, found with ROW_NUMBER over the rule's events.

A rule with a per-period cap also reports its first and last period and how many selected
events each holds (at most the cap's ``max``: more count the same), which incremental merging
needs to add new events to a stored period (:mod:`leadscore.compile.incremental`). Both come
from one number per period, ``period x (max + 1) + min(events, max)``, whose smallest and
largest a contact's per-period grouping yields in the same pass.

A decayed rule with ``max_times`` (up to :data:`~leadscore.compile.naming.KEPT_LIMIT`) also
reports the times of the events it counts, most recent first: new events may push the oldest
out, and their weights can then be taken off.
"""

from __future__ import annotations

from sqlglot import exp

from leadscore.compile.context import EVENTS, Context, RuleColumns
from leadscore.compile.dialects import func
from leadscore.compile.naming import KEPT_LIMIT, kept_parts
from leadscore.compile.sqlutil import (
    case,
    coalesce,
    col,
    filtered,
    integer,
    least,
    num,
    to_double,
)
from leadscore.model.spec import EventRule, PeriodCap, us
from leadscore.timeutil import UNIT_US

WEEK_OFFSET_US = 3 * UNIT_US["d"]  # ISO weeks start on Monday; 1970-01-01 was a Thursday


def period_bucket(ts: exp.Expr, per: str) -> exp.Expr:
    """The UTC hour, day or ISO week an event falls in, as an integer (ts >= 0)."""
    if per == "week":
        shifted = exp.Add(this=ts, expression=integer(WEEK_OFFSET_US))
        return exp.IntDiv(this=exp.Paren(this=shifted), expression=integer(7 * UNIT_US["d"]))
    size = UNIT_US["h"] if per == "hour" else UNIT_US["d"]
    return exp.IntDiv(this=ts, expression=integer(size))


def kept_times(rule: EventRule) -> int:
    """How many counted events' times the rule reports (0: none)."""
    if rule.half_life is None or rule.max_times is None or rule.max_times > KEPT_LIMIT:
        return 0
    return rule.max_times


def _row_number(partition: list[exp.Expr]) -> exp.Expr:
    order = exp.Order(expressions=[exp.Ordered(this=exp.column("ts_us"), desc=True)])
    return exp.Window(this=exp.RowNumber(), partition_by=partition, order=order)


def compile_rule(rule: EventRule, ctx: Context) -> RuleColumns:
    window = us(rule.within)
    selected = ctx.select_events(rule.event, rule.where, window)
    columns = _compile(rule, ctx, selected)
    if rule.min_count > 1 and ctx.gate_min_count:
        # nothing counts until at least min_count events are selected
        enough = exp.GTE(this=columns.matched.copy(), expression=exp.Literal.number(rule.min_count))
        columns.counted = case([(enough, columns.counted)], exp.Literal.number(0))
        columns.weight = case([(enough.copy(), columns.weight)], num(0.0))
    if window is not None:
        ctx.change_at(selected, window)  # a selected event leaves the window at ts + within
    assert rule.cap is None or columns.periods is not None
    return columns


def _coded(bucket: exp.Expr, events: exp.Expr, cap: PeriodCap) -> exp.Expr:
    """One period's number and (capped) event count as one integer that orders by period."""
    scaled = exp.Mul(this=exp.Paren(this=bucket), expression=integer(cap.max + 1))
    return exp.Add(this=scaled, expression=least(events, integer(cap.max)))


def _period_columns(rule: EventRule, cte: str) -> tuple[exp.Expr, exp.Expr, exp.Expr, exp.Expr]:
    """first_period, last_period, first_count, last_count from a CTE's ``p0`` and ``p1`` (the
    smallest and largest :func:`_coded` period of each contact; NULL without events)."""
    assert rule.cap is not None
    size = integer(rule.cap.max + 1)
    first, last = exp.column("p0", cte), exp.column("p1", cte)
    return (
        exp.IntDiv(this=first, expression=size),
        exp.IntDiv(this=last, expression=size.copy()),
        exp.Mod(this=first.copy(), expression=size.copy()),
        exp.Mod(this=last.copy(), expression=size.copy()),
    )


def _coded_range(coded: exp.Expr) -> list[exp.Expr]:
    return [exp.alias_(exp.Min(this=coded), "p0"), exp.alias_(exp.Max(this=coded.copy()), "p1")]


def _compile(rule: EventRule, ctx: Context, selected: exp.Expr) -> RuleColumns:
    rid = rule.id
    zero = exp.Literal.number(0)
    count = ctx.aggregate(f"{rid}__n", filtered(exp.Count(this=exp.Star()), selected.copy()))
    matched = coalesce(count, zero.copy())
    half_life = us(rule.half_life)
    if rule.count == "once":
        counted = case(
            [(exp.GT(this=matched.copy(), expression=zero.copy()), exp.Literal.number(1))],
            zero.copy(),
        )
        if half_life is None:
            return RuleColumns(matched, counted, to_double(counted.copy()))
        last = ctx.aggregate(
            f"{rid}__last", filtered(exp.Max(this=col("ts_us", EVENTS)), selected.copy())
        )
        age = exp.Sub(this=ctx.t, expression=last)
        return RuleColumns(matched, counted, coalesce(ctx.decay(age, half_life), num(0.0)))
    if rule.max_times is None and rule.cap is None:
        if half_life is None:
            return RuleColumns(matched, matched.copy(), to_double(matched.copy()))
        total = ctx.aggregate(
            f"{rid}__w",
            filtered(exp.Sum(this=ctx.decay(col("age_us", EVENTS), half_life)), selected.copy()),
        )
        return RuleColumns(matched, matched.copy(), coalesce(total, num(0.0)))
    if ctx.dialect.list_aggregates:
        return _listed(rule, ctx, selected, matched, half_life)
    if half_life is None:
        return _capped_counts(rule, ctx, selected, matched)
    return _ranked(rule, ctx, selected, matched, half_life)


def _listed(
    rule: EventRule, ctx: Context, selected: exp.Expr, matched: exp.Expr, half_life: int | None
) -> RuleColumns:
    """Caps with top-n aggregates (engines with list aggregates): ``max(ts, n)`` keeps the n most
    recent times; with a cap, the k most recent of each period first, then the n most recent of
    those. Without decay only counts matter, so the counting path serves."""
    import sqlglot

    if half_life is None:
        return _capped_counts(rule, ctx, selected, matched)
    ts = col("ts_us", EVENTS)
    kept: exp.Expr
    periods = None
    if rule.cap is None:
        assert rule.max_times is not None
        top = func("max", ts, exp.Literal.number(rule.max_times))
        kept = ctx.aggregate(f"{rule.id}__top", filtered(top, selected.copy()))
    else:
        # the k most recent of each period, one row each, then the n most recent of those
        latest: exp.Expr = exp.Max(this=ts.copy())
        if rule.cap.max > 1:
            latest = func("unnest", func("max", ts.copy(), exp.Literal.number(rule.cap.max)))
        bucket = period_bucket(ts.copy(), rule.cap.per)
        per_period = (
            exp.select(
                exp.column("contact_id", EVENTS).as_("contact_id"),
                exp.alias_(latest, "t"),
                exp.alias_(_coded(bucket, exp.Count(this=exp.Star()), rule.cap), "c"),
            )
            .from_(EVENTS)
            .where(selected.copy())
            .group_by(exp.column("contact_id", EVENTS), bucket.copy())
        )
        source = exp.Subquery(this=per_period, alias=exp.TableAlias(this=exp.to_identifier("p")))
        name = f"rk_{rule.id}"
        if rule.max_times is None:  # every kept event counts: no list needed
            weight = exp.Sum(
                this=ctx.decay(exp.Sub(this=ctx.t, expression=exp.column("t")), half_life)
            )
            ctx.add_cte(
                name,
                exp.select(
                    "contact_id",
                    exp.alias_(exp.Count(this=exp.Star()), "counted"),
                    exp.alias_(weight, "weight"),
                    *_coded_range(exp.column("c")),
                )
                .from_(source)
                .group_by("contact_id"),
            )
            return RuleColumns(
                matched,
                coalesce(exp.column("counted", name), exp.Literal.number(0)),
                coalesce(exp.column("weight", name), num(0.0)),
                periods=_period_columns(rule, name),
            )
        newest = func("max", exp.column("t"), exp.Literal.number(rule.max_times))
        ctx.add_cte(
            name,
            exp.select("contact_id", exp.alias_(newest, "kept"), *_coded_range(exp.column("c")))
            .from_(source)
            .group_by("contact_id"),
        )
        kept = exp.column("kept", name)
        periods = _period_columns(rule, name)
    counted = coalesce(exp.Length(this=kept.copy()), exp.Literal.number(0))
    decayed = sqlglot.parse_one("list_sum(list_transform(:l, lambda x: :w))", read="duckdb")
    decayed = exp.replace_placeholders(
        decayed,
        l=kept.copy(),
        w=ctx.decay(exp.Sub(this=ctx.t, expression=exp.column("x")), half_life),
    )
    times = tuple(
        func("list_extract", kept.copy(), exp.Literal.number(i))
        for i in range(1, kept_times(rule) + 1)
    )
    return RuleColumns(matched, counted, coalesce(decayed, num(0.0)), periods=periods, kept=times)


def _capped_counts(
    rule: EventRule, ctx: Context, selected: exp.Expr, matched: exp.Expr
) -> RuleColumns:
    """Caps without decay: count per period (capped), then at most ``max_times`` overall."""
    counted: exp.Expr = matched.copy()
    periods = None
    if rule.cap is not None:
        capped = least(exp.column("n"), exp.Literal.number(rule.cap.max))
        name = f"rk_{rule.id}"
        ctx.add_cte(
            name,
            exp.select(
                "contact_id",
                exp.alias_(exp.Sum(this=capped), "counted"),
                *_coded_range(exp.column("c")),
            )
            .from_(_per_period(rule.cap, selected))
            .group_by("contact_id"),
        )
        counted = coalesce(exp.column("counted", name), exp.Literal.number(0))
        periods = _period_columns(rule, name)
    if rule.max_times is not None:
        counted = least(counted, exp.Literal.number(rule.max_times))
    return RuleColumns(matched, counted, to_double(counted.copy()), periods=periods)


def _per_period(cap: PeriodCap, selected: exp.Expr) -> exp.Expr:
    """Each contact's selected events per period: ``n`` of them, ``c`` coded (:func:`_coded`)."""
    bucket = period_bucket(col("ts_us", EVENTS), cap.per)
    count = exp.Count(this=exp.Star())
    per_period = (
        exp.select(
            exp.column("contact_id", EVENTS).as_("contact_id"),
            exp.alias_(count, "n"),
            exp.alias_(_coded(bucket, count.copy(), cap), "c"),
        )
        .from_(EVENTS)
        .where(selected.copy())
        .group_by(exp.column("contact_id", EVENTS), bucket.copy())
    )
    return exp.Subquery(this=per_period, alias=exp.TableAlias(this=exp.to_identifier("p")))


def _ranked(
    rule: EventRule, ctx: Context, selected: exp.Expr, matched: exp.Expr, half_life: int
) -> RuleColumns:
    """Caps with decay: keep the most recent events per period, then the most recent overall."""
    source: exp.Expr = (
        exp.select(
            exp.column("contact_id", EVENTS).as_("contact_id"),
            exp.column("ts_us", EVENTS).as_("ts_us"),
            exp.column("age_us", EVENTS).as_("age_us"),
        )
        .from_(EVENTS)
        .where(selected.copy())
    )
    if rule.cap is not None:
        ranked = exp.select(
            "contact_id",
            "ts_us",
            "age_us",
            exp.alias_(
                _row_number(
                    [exp.column("contact_id"), period_bucket(exp.column("ts_us"), rule.cap.per)]
                ),
                "rn",
            ),
        ).from_(exp.Subquery(this=source, alias=exp.TableAlias(this=exp.to_identifier("s"))))
        source = (
            exp.select("contact_id", "ts_us", "age_us")
            .from_(exp.Subquery(this=ranked, alias=exp.TableAlias(this=exp.to_identifier("r"))))
            .where(exp.LTE(this=exp.column("rn"), expression=exp.Literal.number(rule.cap.max)))
        )
    if rule.max_times is not None:
        ranked = exp.select(
            "contact_id",
            "ts_us",
            "age_us",
            exp.alias_(_row_number([exp.column("contact_id")]), "rn"),
        ).from_(exp.Subquery(this=source, alias=exp.TableAlias(this=exp.to_identifier("q"))))
        source = (
            exp.select("contact_id", "ts_us", "age_us", "rn")
            .from_(exp.Subquery(this=ranked, alias=exp.TableAlias(this=exp.to_identifier("m"))))
            .where(exp.LTE(this=exp.column("rn"), expression=exp.Literal.number(rule.max_times)))
        )
    name = f"rk_{rule.id}"
    # the i-th most recent counted event's time (rn is its rank after the cap)
    parts = kept_parts(kept_times(rule))
    times = [
        exp.alias_(
            exp.Max(
                this=case(
                    [(exp.EQ(this=exp.column("rn"), expression=integer(i)), exp.column("ts_us"))],
                    None,
                )
            ),
            part,
        )
        for i, part in enumerate(parts, start=1)
    ]
    ctx.add_cte(
        name,
        exp.select(
            "contact_id",
            exp.alias_(exp.Count(this=exp.Star()), "counted"),
            exp.alias_(exp.Sum(this=ctx.decay(exp.column("age_us"), half_life)), "weight"),
            *times,
        )
        .from_(exp.Subquery(this=source, alias=exp.TableAlias(this=exp.to_identifier("k"))))
        .group_by("contact_id"),
    )
    counted = coalesce(exp.column("counted", name), exp.Literal.number(0))
    weight = coalesce(exp.column("weight", name), num(0.0))
    periods = None
    if rule.cap is not None:  # the periods, from a grouping of their own
        periods_cte = f"pc_{rule.id}"
        ctx.add_cte(
            periods_cte,
            exp.select("contact_id", *_coded_range(exp.column("c")))
            .from_(_per_period(rule.cap, selected))
            .group_by("contact_id"),
        )
        periods = _period_columns(rule, periods_cte)
    kept = tuple(exp.column(part, name) for part in parts)
    return RuleColumns(matched, counted, weight, periods=periods, kept=kept)
