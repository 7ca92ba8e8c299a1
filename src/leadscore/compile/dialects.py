"""What differs between engines, in one place.

Each dialect is a short table of overrides on the portable defaults. The compiler asks the
dialect for these building blocks and never branches on the dialect's name itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from leadscore.errors import LeadscoreError, did_you_mean, one_of
from leadscore.model import regex
from leadscore.values import ASCII_LOWER, ASCII_UPPER, NUMBER_BODY


def func(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def text(value: str) -> exp.Literal:
    return exp.Literal.string(value)


@dataclass(frozen=True)
class Dialect:
    """The portable defaults; subclasses override what their engine does differently."""

    name: str = "duckdb"
    sqlglot_name: str = "duckdb"
    regex_flavor: regex.Flavor = "re2"
    eol: str = "$"

    def prop(self, column: exp.Expr, key: str) -> exp.Expr:
        """The text value of ``key`` in a flat JSON object column (NULL when absent)."""
        return func("json_extract_string", column, text(f'$."{key}"'))

    def regex_search(self, value: exp.Expr, pattern: str) -> exp.Expr:
        """True when ``pattern`` (already written for this engine) occurs in ``value``."""
        return func("regexp_matches", value, text(pattern))

    # engines with list aggregates and lambdas compute "the n most recent events" in one pass
    list_aggregates: bool = False

    def extract(
        self, column: exp.Expr, keys: list[str], conditions: list[exp.Expr | None]
    ) -> tuple[list[exp.Expr], list[exp.Expr]]:
        """Read ``keys`` of a JSON object column: the select items of an inner query, and for
        each key the expression that reads its value from that query's output (NULL where
        the key's condition is false)."""
        items: list[exp.Expr] = []
        refs: list[exp.Expr] = []
        for i, (key, condition) in enumerate(zip(keys, conditions, strict=True)):
            value = self.prop(column.copy(), key)
            if condition is not None:
                value = exp.Case(ifs=[exp.If(this=condition, true=value)])
            items.append(exp.alias_(value, f"_raw{i}"))
            refs.append(exp.column(f"_raw{i}"))
        return items, refs

    def one_of(self, value: exp.Expr, options: list[str]) -> exp.Expr:
        """True when ``value`` equals one of a few text constants (event types, grades)."""
        if len(options) == 1:
            return exp.EQ(this=value, expression=text(options[0]))
        return exp.In(this=value, expressions=[text(o) for o in options])

    def contains(self, value: exp.Expr, needle: exp.Expr) -> exp.Expr:
        return func("contains", value, needle)

    def starts_with(self, value: exp.Expr, prefix: exp.Expr) -> exp.Expr:
        return func("starts_with", value, prefix)

    def ends_with(self, value: exp.Expr, suffix: exp.Expr) -> exp.Expr:
        return func("ends_with", value, suffix)

    def ascii_lower(self, value: exp.Expr) -> exp.Expr:
        return func("translate", value, text(ASCII_UPPER), text(ASCII_LOWER))

    def parse_number(self, value: exp.Expr) -> exp.Expr:
        """The strict number in a text value, else NULL (see :mod:`leadscore.values`)."""
        anchored = "^" + NUMBER_BODY + self.eol
        return exp.Case(
            ifs=[
                exp.If(
                    this=self.regex_search(value, anchored),
                    true=exp.cast(value, exp.DataType.build("double")),
                )
            ]
        )

    def half_power(self, exponent: exp.Expr) -> exp.Expr:
        """``0.5 ** exponent`` for exponent >= 0 (0 once it underflows)."""
        half = exp.Cast(this=exp.Literal.number("0.5"), to=exp.DataType.build("double"))
        return exp.Pow(this=half, expression=exponent)

    def rebased(self, weight: exp.Expr, exponent: exp.Expr) -> exp.Expr:
        """``weight * 0.5 ** exponent`` for weight, exponent >= 0 (0 once it underflows)."""
        return exp.Mul(this=weight, expression=self.half_power(exponent))

    def sql(self, expression: exp.Expr, pretty: bool = True) -> str:
        return expression.sql(dialect=self.sqlglot_name, pretty=pretty)


def _double(value: str) -> exp.Expr:
    return exp.Cast(this=exp.Literal.number(value), to=exp.DataType.build("double"))


# PostgreSQL raises an error where a double underflows to 0 (in pow and in products); results
# below 2^-1022 (the smallest normal double) are taken as 0 before that can happen
PG_MIN_EXPONENT = "1022"


@dataclass(frozen=True)
class Postgres(Dialect):
    name: str = "postgres"
    sqlglot_name: str = "postgres"
    regex_flavor: regex.Flavor = "postgres"

    def prop(self, column: exp.Expr, key: str) -> exp.Expr:
        return func("jsonb_extract_path_text", column, text(key))

    def half_power(self, exponent: exp.Expr) -> exp.Expr:
        tiny = exp.GT(this=exponent, expression=_double(PG_MIN_EXPONENT))
        return exp.Case(
            ifs=[exp.If(this=tiny, true=_double("0"))],
            default=super().half_power(exponent.copy()),
        )

    def rebased(self, weight: exp.Expr, exponent: exp.Expr) -> exp.Expr:
        # the product underflows when exponent - log2(weight) passes the limit
        log2 = exp.Div(this=exp.Ln(this=weight.copy()), expression=exp.Ln(this=_double("2")))
        tiny = exp.GT(
            this=exp.Sub(this=exponent.copy(), expression=log2),
            expression=_double(PG_MIN_EXPONENT),
        )
        zero = exp.LTE(this=weight.copy(), expression=_double("0"))
        return exp.Case(
            ifs=[exp.If(this=zero, true=_double("0")), exp.If(this=tiny, true=_double("0"))],
            default=super().rebased(weight, exponent),
        )

    def regex_search(self, value: exp.Expr, pattern: str) -> exp.Expr:
        return exp.RegexpLike(this=value, expression=text(pattern))

    def contains(self, value: exp.Expr, needle: exp.Expr) -> exp.Expr:
        return exp.GT(this=func("strpos", value, needle), expression=exp.Literal.number(0))

    def ends_with(self, value: exp.Expr, suffix: exp.Expr) -> exp.Expr:
        return exp.EQ(this=func("right", value, func("length", suffix)), expression=suffix)


@dataclass(frozen=True)
class Spark(Dialect):
    name: str = "spark"
    sqlglot_name: str = "spark"
    regex_flavor: regex.Flavor = "java"
    eol: str = "\\z"

    def prop(self, column: exp.Expr, key: str) -> exp.Expr:
        return func("get_json_object", column, text(f"$['{key}']"))

    def regex_search(self, value: exp.Expr, pattern: str) -> exp.Expr:
        return exp.RegexpLike(this=value, expression=text(pattern))

    def contains(self, value: exp.Expr, needle: exp.Expr) -> exp.Expr:
        return func("contains", value, needle)

    def starts_with(self, value: exp.Expr, prefix: exp.Expr) -> exp.Expr:
        return func("startswith", value, prefix)

    def ends_with(self, value: exp.Expr, suffix: exp.Expr) -> exp.Expr:
        return func("endswith", value, suffix)

    def sql(self, expression: exp.Expr, pretty: bool = True) -> str:
        # sqlglot writes a CTE's own WITH at the top level for Spark, where its names would clash
        # with the outer query's (an account query embeds the contact query): prefix them first
        return super().sql(_prefix_nested_ctes(expression), pretty)


def _prefix_nested_ctes(expression: exp.Expr) -> exp.Expr:
    """A copy of ``expression`` where the CTEs defined inside a CTE ``x`` are named ``x__name``
    (references keep the old name as their alias, so qualified columns still resolve)."""
    tree = expression.copy()
    for cte in list(tree.find_all(exp.CTE)):
        inner = cte.this
        nested = inner.args.get("with_")
        if not isinstance(nested, exp.With):
            continue
        names = {c.alias: f"{cte.alias}__{c.alias}" for c in nested.expressions}
        for table in inner.find_all(exp.Table):
            if table.name in names and not table.args.get("db"):
                alias = table.alias or table.name
                table.set("this", exp.to_identifier(names[table.name]))
                table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        for c in nested.expressions:
            c.set("alias", exp.TableAlias(this=exp.to_identifier(names[c.alias])))
    return tree


@dataclass(frozen=True)
class DuckDB(Dialect):
    """DuckDB: the embedded default. Reads every key of a JSON object in one parse, folds ASCII
    text with lower() when it is ASCII, and has list aggregates."""

    list_aggregates: bool = True

    def one_of(self, value: exp.Expr, options: list[str]) -> exp.Expr:
        # DuckDB plans IN lists of five or more constants as a join against the list; inside
        # the event CTEs such a join stops DuckDB from streaming the shared events to all of
        # their readers at once, and the events are then buffered in memory
        if len(options) == 1:
            return super().one_of(value, options)
        either: exp.Expr = exp.EQ(this=value, expression=text(options[0]))
        for option in options[1:]:
            either = exp.Or(
                this=either, expression=exp.EQ(this=value.copy(), expression=text(option))
            )
        return exp.Paren(this=either)

    def ascii_lower(self, value: exp.Expr) -> exp.Expr:
        # lower() equals ASCII folding on ASCII text (bytes == characters) and is much faster
        ascii_only = exp.EQ(this=func("strlen", value), expression=func("length", value.copy()))
        return exp.Case(
            ifs=[exp.If(this=ascii_only, true=func("lower", value.copy()))],
            default=super().ascii_lower(value.copy()),
        )

    def extract(
        self, column: exp.Expr, keys: list[str], conditions: list[exp.Expr | None]
    ) -> tuple[list[exp.Expr], list[exp.Expr]]:
        value: exp.Expr
        if len(keys) == 1:  # one key: a plain text value, no list to build and index
            value = func("json_extract_string", column, text(f'$."{keys[0]}"'))
        else:
            paths = exp.Array(expressions=[text(f'$."{key}"') for key in keys])
            value = func("json_extract_string", column, paths)
        known = [c for c in conditions if c is not None]
        if known and len(known) == len(conditions):
            first, *rest = {c.sql(): c for c in known}.values()
            either = first
            for condition in rest:
                either = exp.Or(this=either, expression=condition.copy())
            value = exp.Case(ifs=[exp.If(this=either, true=value)])
        if len(keys) == 1:
            return [exp.alias_(value, "_raw")], [exp.column("_raw")]
        # sqlglot indexes lists from 0 and writes DuckDB's 1-based brackets itself
        refs: list[exp.Expr] = [
            exp.Bracket(this=exp.column("_raw"), expressions=[exp.Literal.number(i)])
            for i in range(len(keys))
        ]
        return [exp.alias_(value, "_raw")], refs


DIALECTS: dict[str, Dialect] = {"duckdb": DuckDB(), "postgres": Postgres(), "spark": Spark()}


def get_dialect(name: str | Dialect) -> Dialect:
    if isinstance(name, Dialect):
        return name
    try:
        return DIALECTS[name]
    except KeyError:
        raise LeadscoreError(
            f"unknown dialect '{name}'; choose {one_of(DIALECTS)}.{did_you_mean(name, DIALECTS)}"
        ) from None
