"""Small helpers to build sqlglot trees: typed literals, boolean folds, CASE, clamps."""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

TRUE = exp.Boolean(this=True)
FALSE = exp.Boolean(this=False)
DOUBLE = exp.DataType.build("double")
BIGINT = exp.DataType.build("bigint")


def num(value: float) -> exp.Expr:
    """A DOUBLE literal (every engine reads the same bits from ``repr``)."""
    literal = exp.Literal.number(repr(float(value)))
    return exp.Cast(this=literal, to=DOUBLE.copy())


def integer(value: int) -> exp.Expr:
    return exp.Cast(this=exp.Literal.number(str(int(value))), to=BIGINT.copy())


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table)


def and_all(parts: Sequence[exp.Expr]) -> exp.Expr:
    if not parts:
        return TRUE.copy()
    out = parts[0]
    for part in parts[1:]:
        out = exp.And(this=out, expression=part)
    return exp.Paren(this=out) if len(parts) > 1 else out


def or_all(parts: Sequence[exp.Expr]) -> exp.Expr:
    if not parts:
        return FALSE.copy()
    out = parts[0]
    for part in parts[1:]:
        out = exp.Or(this=out, expression=part)
    return exp.Paren(this=out) if len(parts) > 1 else out


def add_all(parts: Sequence[exp.Expr]) -> exp.Expr:
    """``((a + b) + c)``: left to right, the order the reference evaluator sums in."""
    if not parts:
        return num(0.0)
    out = parts[0]
    for part in parts[1:]:
        out = exp.Add(this=out, expression=part)
    return out


def case(whens: Sequence[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None) -> exp.Case:
    node = exp.Case(ifs=[exp.If(this=cond, true=value) for cond, value in whens])
    if default is not None:
        node.set("default", default)
    return node


def clamp(value: exp.Expr, low: float | None, high: float | None) -> exp.Expr:
    """``LEAST(GREATEST(value, low), high)`` with absent bounds left out."""
    out = value
    if low is not None:
        out = greatest(out, num(low))
    if high is not None:
        out = least(out, num(high))
    return out


def greatest(*values: exp.Expr) -> exp.Expr:
    """GREATEST over non-null values (the same function in every engine we target)."""
    return exp.Anonymous(this="GREATEST", expressions=list(values))


def least(*values: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="LEAST", expressions=list(values))


def coalesce(value: exp.Expr, default: exp.Expr) -> exp.Expr:
    return exp.Coalesce(this=value, expressions=[default])


def filtered(aggregate: exp.Expr, condition: exp.Expr) -> exp.Expr:
    """``AGG(...) FILTER (WHERE condition)``."""
    return exp.Filter(this=aggregate, expression=exp.Where(this=condition))


def to_double(value: exp.Expr) -> exp.Expr:
    return exp.Cast(this=value, to=DOUBLE.copy())
