"""Assemble one entity's scoring query from its rules' SQL.

Stages (each a CTE over the previous one): ``rules`` (matched, counted, weight per rule) ->
``points`` (weight x points) -> ``capped`` (rule-group caps) -> ``raw`` (sum per score) ->
``bounded`` (score floors/ceilings) -> ``totaled`` -> ``graded``. Sums run left to right in model
order, the order the reference evaluator uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from leadscore.compile.context import AGG, BASE, EVENTS, PENDING, RAW_EVENTS, Context
from leadscore.compile.naming import (
    GRADE_EPSILON,
    PERIOD_PARTS,
    RULE_PARTS,
    adj_col,
    grade_col,
    kept_parts,
    raw_col,
    rule_col,
    score_col,
)
from leadscore.compile.rules import compile_rule
from leadscore.compile.rules.event import kept_times
from leadscore.compile.sqlutil import (
    add_all,
    case,
    clamp,
    col,
    integer,
    least,
    num,
    to_double,
)
from leadscore.model.spec import EntitySection, EventRule


@dataclass
class Compiled:
    """A compiled entity query and the names of its output columns."""

    entity: str
    key: str
    query: exp.Expr
    columns: list[str] = field(default_factory=list)

    def sql(self, dialect: str = "duckdb", pretty: bool = True) -> str:
        from leadscore.compile.dialects import get_dialect

        return get_dialect(dialect).sql(self.query, pretty=pretty)


def _star_plus(source: str, extra: list[exp.Expr]) -> exp.Select:
    return exp.select(exp.Star(), *extra).from_(source, copy=False)


def assemble(
    section: EntitySection,
    ctx: Context,
    key: str,
    base: exp.Select,
    passthrough: list[str],
    events_source: exp.Expr | None = None,
    events_filter: exp.Expr | None = None,
    base_alias: str = "c",
    breakdown: bool = True,
    rules_only: bool = False,
) -> Compiled:
    """Build the query. ``base`` selects the key, ``passthrough`` columns and ``created_at_us``;
    attribute columns are added here as the rules ask for them. Without ``breakdown`` only the
    scores, total, grades and stage come out (the engine then skips what they do not need).
    With ``rules_only`` the query stops at the ``rules`` stage (each rule's matched, counted
    and weight, and ``next_change_us``)."""
    ctes = rules_stage(
        section, ctx, key, base, passthrough, events_source, events_filter, base_alias
    )
    if rules_only:
        query = exp.select(exp.Star()).from_("rules")
        for name, cte in ctes:
            query = query.with_(name, as_=cte, copy=False)
        return Compiled(entity="", key=key, query=query)
    extra = ["next_change_us"] if breakdown else []
    return finish(section, key, passthrough, ctes, extra_columns=extra, breakdown=breakdown)


def rules_stage(
    section: EntitySection,
    ctx: Context,
    key: str,
    base: exp.Select,
    passthrough: list[str],
    events_source: exp.Expr | None = None,
    events_filter: exp.Expr | None = None,
    base_alias: str = "c",
) -> list[tuple[str, exp.Expr]]:
    """The CTEs up to ``rules``: one row per entity with each rule's matched, counted, weight
    and the entity's ``next_change_us``."""
    rule_columns = {}
    for _score_name, rule in section.rules:
        rule_columns[rule.id] = compile_rule(rule, ctx)

    ctes: list[tuple[str, exp.Expr]] = []
    ctes += _base_ctes(ctx, key, passthrough, base, base_alias)

    joins: list[str] = []
    changes: list[exp.Expr] = []
    if ctx.uses_events:
        assert events_source is not None
        ctes += _event_ctes(ctx, events_source, events_filter)
        aggregates = dict(ctx.aggregates)
        if ctx.change_points:
            moments = [
                case(
                    [(flag.copy(), exp.Add(this=col("ts_us", EVENTS), expression=integer(off)))],
                    None,
                )
                for flag, off in ctx.change_points
            ]
            earliest = moments[0] if len(moments) == 1 else least(*moments)
            aggregates["next_event_change_us"] = exp.Min(this=earliest)
            changes.append(exp.column("next_event_change_us", AGG))
        agg = exp.select(exp.column(key), *[exp.alias_(e, n) for n, e in aggregates.items()])
        ctes.append((AGG, agg.from_(EVENTS).group_by(exp.column(key))))
        joins.append(AGG)
        # an event dated after T changes the score when its time comes
        ctes.append((PENDING, _pending_cte(ctx, events_source, events_filter)))
        joins.append(PENDING)
        changes.append(exp.column("first_future_us", PENDING))
    for name, query in ctx.ctes:
        ctes.append((name, query))
        joins.append(name)

    rules = exp.select(*[exp.column(c, BASE) for c in [key, *passthrough]]).from_(BASE)
    for name in joins:
        rules = rules.join(
            name,
            on=exp.EQ(this=exp.column(key, BASE), expression=exp.column(key, name)),
            join_type="left",
            copy=False,
        )
    for rule_id, out in rule_columns.items():
        for part, expression in (
            ("matched", out.matched),
            ("counted", out.counted),
            ("weight", out.weight),
        ):
            rules = rules.select(exp.alias_(expression, rule_col(rule_id, part)), copy=False)
        if out.periods is not None:
            for part, expression in zip(PERIOD_PARTS, out.periods, strict=True):
                rules = rules.select(exp.alias_(expression, rule_col(rule_id, part)), copy=False)
        for part, expression in zip(kept_parts(len(out.kept)), out.kept, strict=True):
            rules = rules.select(exp.alias_(expression, rule_col(rule_id, part)), copy=False)
        if out.next_change is not None:
            changes.append(out.next_change)
    next_change: exp.Expr
    if not changes:
        next_change = exp.cast(exp.Null(), "bigint")
    elif len(changes) == 1:
        next_change = changes[0]
    else:
        next_change = least(*changes)
    rules = rules.select(exp.alias_(next_change, "next_change_us"), copy=False)
    ctes.append(("rules", rules))
    return ctes


def finish(
    section: EntitySection,
    key: str,
    passthrough: list[str],
    ctes: list[tuple[str, exp.Expr]],
    extra_columns: list[str] | None = None,
    breakdown: bool = True,
) -> Compiled:
    """From a ``rules`` CTE (key, passthrough, each rule's matched/counted/weight and
    ``extra_columns``) to scores, total, grades and stage; with ``breakdown``, also the raw
    scores, group adjustments and each rule's points, matched, counted and weight."""
    ctes = list(ctes)
    # points: weight x the rule's points
    point_exprs = []
    for _score_name, rule in section.rules:
        weight = col(rule_col(rule.id, "weight"))
        point_exprs.append(
            exp.alias_(
                exp.Mul(this=weight, expression=num(rule.points)), rule_col(rule.id, "points")
            )
        )
    ctes.append(("points", _star_plus("rules", point_exprs)))

    # group caps: the adjustment that brings a group's sum within its bounds
    adj_exprs = []
    for score in section.scores.values():
        for group, bounds in score.groups.items():
            members = [col(rule_col(r.id, "points")) for r in score.rules if r.group == group]
            group_sum = add_all(members)
            capped = clamp(exp.Paren(this=group_sum), bounds.min, bounds.max)
            adj_exprs.append(
                exp.alias_(
                    exp.Sub(this=capped, expression=exp.Paren(this=group_sum.copy())),
                    adj_col(group),
                )
            )
    ctes.append(("capped", _star_plus("points", adj_exprs)))

    raw_exprs = []
    for score_name, score in section.scores.items():
        parts = [col(rule_col(r.id, "points")) for r in score.rules]
        parts += [col(adj_col(group)) for group in score.groups]
        raw_exprs.append(exp.alias_(add_all(parts), raw_col(score_name)))
    ctes.append(("raw", _star_plus("capped", raw_exprs)))

    bounded_exprs = [
        exp.alias_(clamp(col(raw_col(name)), score.min, score.max), score_col(name))
        for name, score in section.scores.items()
    ]
    ctes.append(("bounded", _star_plus("raw", bounded_exprs)))

    weights = section.total_weights()
    terms: list[exp.Expr] = [
        exp.Mul(this=num(w), expression=col(score_col(name))) for name, w in weights.items()
    ]
    total_raw = add_all(terms)
    total_min = section.total.min if section.total else None
    total_max = section.total.max if section.total else None
    ctes.append(
        (
            "totaled",
            _star_plus(
                "bounded",
                [
                    exp.alias_(total_raw, "total_raw"),
                    exp.alias_(clamp(total_raw.copy(), total_min, total_max), "total"),
                ],
            ),
        )
    )

    grade_exprs = []
    for grading_name, grading in section.grades.items():
        value = col("total" if grading.score == "total" else score_col(grading.score))
        whens: list[tuple[exp.Expr, exp.Expr]] = [
            (
                exp.GTE(this=value.copy(), expression=num(band.min - GRADE_EPSILON)),
                exp.Literal.string(band.grade),
            )
            for band in grading.bands
            if band.min is not None
        ]
        grade_exprs.append(
            exp.alias_(
                case(whens, exp.Literal.string(grading.bands[-1].grade)), grade_col(grading_name)
            )
        )
    ctes.append(("graded", _star_plus("totaled", grade_exprs)))

    final_extra: list[exp.Expr] = []
    if section.matrix is not None:
        cell = exp.DPipe(
            this=col(grade_col(section.matrix.rows)),
            expression=col(grade_col(section.matrix.columns)),
        )
        final_extra.append(exp.alias_(cell, "matrix"))
    primary = section.primary()
    grade_expr: exp.Expr
    stage_expr: exp.Expr
    if primary is None:
        grade_expr, stage_expr = exp.Null(), exp.Null()
    elif primary == "matrix":
        assert section.matrix is not None
        grade_expr = exp.DPipe(
            this=col(grade_col(section.matrix.rows)),
            expression=col(grade_col(section.matrix.columns)),
        )
        whens = []
        for stage, cells in section.matrix.stages.items():
            whens.append(
                (
                    exp.In(
                        this=grade_expr.copy(), expressions=[exp.Literal.string(c) for c in cells]
                    ),
                    exp.Literal.string(stage),
                )
            )
        stage_expr = case(whens, exp.Null()) if whens else exp.Null()
    else:
        grade_expr = col(grade_col(primary))
        grading = section.grades[primary]
        whens = [
            (
                exp.EQ(this=grade_expr.copy(), expression=exp.Literal.string(b.grade)),
                exp.Literal.string(b.stage),
            )
            for b in grading.bands
            if b.stage is not None
        ]
        stage_expr = case(whens, exp.Null()) if whens else exp.Null()
    final_extra.append(exp.alias_(exp.cast(grade_expr, "text"), "grade"))
    final_extra.append(exp.alias_(exp.cast(stage_expr, "text"), "stage"))

    # output columns in a readable order
    out_cols: list[exp.Expr] = [col(c) for c in [key, *passthrough]]
    names = [key, *passthrough]
    for name in section.scores:
        out_cols.append(col(score_col(name)))
        names.append(score_col(name))
    out_cols += [col("total"), col("total_raw")]
    names += ["total", "total_raw"]
    for grading_name in section.grades:
        out_cols.append(col(grade_col(grading_name)))
        names.append(grade_col(grading_name))
    out_cols += final_extra
    names += (["matrix"] if section.matrix is not None else []) + ["grade", "stage"]
    detail: list[str] = []
    if breakdown:
        detail += [raw_col(name) for name in section.scores]
        detail += [adj_col(group) for score in section.scores.values() for group in score.groups]
        for _score_name, rule in section.rules:
            detail += [rule_col(rule.id, part) for part in RULE_PARTS]
            if getattr(rule, "cap", None) is not None:
                detail += [rule_col(rule.id, part) for part in PERIOD_PARTS]
            if isinstance(rule, EventRule):
                detail += [rule_col(rule.id, part) for part in kept_parts(kept_times(rule))]
    out_cols += [col(name) for name in detail]
    names += detail
    for name in extra_columns or []:
        out_cols.append(col(name))
        names.append(name)

    final = exp.select(*out_cols).from_("graded")
    for name, query in ctes:
        final = final.with_(name, as_=query, copy=False)
    return Compiled(entity="", key=key, query=final, columns=names)


def _pending_cte(ctx: Context, source: exp.Expr, extra_filter: exp.Expr | None) -> exp.Select:
    ts = exp.column("ts_us", "e")
    where: exp.Expr = exp.GT(this=ts, expression=ctx.t)
    if extra_filter is not None:
        where = exp.And(this=where, expression=extra_filter.copy())
    return (
        exp.select(
            exp.column("contact_id", "e").as_("contact_id"),
            exp.alias_(exp.Min(this=ts.copy()), "first_future_us"),
        )
        .from_(exp.alias_(source.copy(), "e", table=True))
        .where(where)
        .group_by(exp.column("contact_id", "e"))
    )


def _base_ctes(
    ctx: Context, key: str, passthrough: list[str], base: exp.Select, base_alias: str
) -> list[tuple[str, exp.Expr]]:
    """``base0`` reads the entity and the attributes the rules use; ``base1`` adds, once per
    attribute, its strict number and its ASCII-folded text where rules ask for them; ``base``
    evaluates each distinct attribute condition once (h<k>)."""
    names = list(ctx.attributes)
    items, refs = ctx.dialect.extract(
        exp.column("attributes", base_alias), names, [None] * len(names)
    )
    raw = base.copy()
    if items:
        raw = raw.select(*items, copy=False)
    kept = [key, *passthrough, "created_at_us"]
    outer = exp.select(*[exp.column(c) for c in kept]).from_("base0")
    for name, ref in zip(names, refs, strict=True):
        index = ctx.attributes[name]
        outer = outer.select(exp.alias_(ref.copy(), f"a{index}"), copy=False)
        if name in ctx.numeric_attributes:
            number = ctx.dialect.parse_number(ref.copy())
            outer = outer.select(exp.alias_(number, f"a{index}_num"), copy=False)
        if name in ctx.folded_attributes:
            folded = ctx.dialect.ascii_lower(ref.copy())
            outer = outer.select(exp.alias_(folded, f"a{index}_ci"), copy=False)
    flags = exp.select(*[exp.column(c) for c in kept]).from_("base1")
    for index, condition in enumerate(ctx.hold_exprs):
        flags = flags.select(exp.alias_(condition.copy(), f"h{index}"), copy=False)
    return [("base0", raw), ("base1", outer), (BASE, flags)]


def _event_ctes(
    ctx: Context, source: exp.Expr, extra_filter: exp.Expr | None
) -> list[tuple[str, exp.Expr]]:
    """``evr0`` reads the as-of events and the properties the rules use; ``evr`` adds numbers
    and folded text once per property; ``ev`` computes one flag per distinct rule selection."""
    ts = exp.column("ts_us", "e")
    conditions: list[exp.Expr] = [exp.LTE(this=ts, expression=ctx.t)]
    if ctx.max_window_us is not None:
        lower = exp.Sub(this=ctx.t, expression=integer(ctx.max_window_us))
        conditions.append(exp.GT(this=ts.copy(), expression=lower))
    if ctx.event_types is not None:
        types = sorted(ctx.event_types)
        conditions.append(ctx.dialect.one_of(exp.column("type", "e"), types))
    if extra_filter is not None:
        conditions.append(extra_filter)
    names = list(ctx.properties)
    only_for: list[exp.Expr | None] = []
    for name in names:
        needed = ctx.property_types.get(name)
        if needed is None or (ctx.event_types is not None and needed == ctx.event_types):
            only_for.append(None)
        else:
            only_for.append(ctx.dialect.one_of(exp.column("type", "e"), sorted(needed)))
    items, refs = ctx.dialect.extract(exp.column("properties", "e"), names, only_for)
    where = conditions[0]
    for condition in conditions[1:]:
        where = exp.And(this=where, expression=condition)
    raw = (
        exp.select(
            exp.column("contact_id", "e").as_("contact_id"),
            exp.column("ts_us", "e").as_("ts_us"),
            exp.column("type", "e").as_("type"),
            exp.alias_(exp.Sub(this=ctx.t, expression=ts.copy()), "age_us"),
            *items,
        )
        .from_(exp.alias_(source, "e", table=True))
        .where(where, copy=False)
    )
    middle = exp.select("contact_id", "ts_us", "type", "age_us").from_("evr0")
    for name, ref in zip(names, refs, strict=True):
        index = ctx.properties[name]
        middle = middle.select(exp.alias_(ref.copy(), f"p{index}"), copy=False)
        if name in ctx.numeric_properties:
            number = ctx.dialect.parse_number(ref.copy())
            middle = middle.select(exp.alias_(number, f"p{index}_num"), copy=False)
        if name in ctx.folded_properties:
            folded = ctx.dialect.ascii_lower(ref.copy())
            middle = middle.select(exp.alias_(folded, f"p{index}_ci"), copy=False)
    flags = exp.select("contact_id", "ts_us", "age_us").from_(RAW_EVENTS)
    for index, condition in enumerate(ctx.selection_exprs):
        flags = flags.select(exp.alias_(condition.copy(), f"s{index}"), copy=False)
    return [("evr0", raw), (RAW_EVENTS, middle), (EVENTS, flags)]


__all__ = ["Compiled", "assemble", "to_double"]
