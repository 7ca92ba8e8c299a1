"""The state shared by rule compilers while one entity's query is assembled.

A rule compiler asks the context for attribute and property values, registers the aggregates it
needs over the as-of events, and may add a ranked CTE. The assembler (:mod:`.contacts`) turns the
registrations into one query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from leadscore.compile.dialects import Dialect
from leadscore.compile.predicates import PredicateCompiler
from leadscore.compile.sqlutil import and_all, col, integer, to_double
from leadscore.model.predicates import Predicate

BASE = "base"
EVENTS = "ev"  # the as-of events with one boolean column per distinct rule selection
RAW_EVENTS = "evr"  # the as-of events with the properties the rules read
AGG = "agg"
PENDING = "pending"


@dataclass
class RuleColumns:
    """A rule's outputs at the rules stage: events matched, counted, effective weight."""

    matched: exp.Expr
    counted: exp.Expr
    weight: exp.Expr
    # when, without new events, the rule's matched/counted set next changes (NULL: never);
    # between changes its weight only decays, which incremental scoring re-bases exactly
    next_change: exp.Expr | None = None
    # rules with a per-period cap: the first and last period of the selected events and how
    # many of them each holds, at most the cap (see rules.event)
    periods: tuple[exp.Expr, exp.Expr, exp.Expr, exp.Expr] | None = None
    # decayed rules with max_times: the times of the counted events, most recent first (NULL
    # past the last one), which merging needs to drop the oldest (see rules.event)
    kept: tuple[exp.Expr, ...] = ()


@dataclass
class Context:
    dialect: Dialect
    as_of_us: int
    attributes: dict[str, int] = field(default_factory=dict)
    numeric_attributes: set[str] = field(default_factory=set)
    folded_attributes: set[str] = field(default_factory=set)
    properties: dict[str, int] = field(default_factory=dict)
    property_types: dict[str, set[str] | None] = field(default_factory=dict)
    numeric_properties: set[str] = field(default_factory=set)
    folded_properties: set[str] = field(default_factory=set)
    # distinct event selections (SQL text -> flag number) and their conditions
    selections: dict[str, int] = field(default_factory=dict)
    selection_exprs: list[exp.Expr] = field(default_factory=list)
    # (selection flag, offset): each selected event changes the score at ts + offset
    change_points: list[tuple[exp.Expr, int]] = field(default_factory=list)
    # distinct attribute conditions, computed once per entity as base.h<k>
    holds: dict[str, int] = field(default_factory=dict)
    hold_exprs: list[exp.Expr] = field(default_factory=list)
    event_types: set[str] | None = field(default_factory=set)
    max_window_us: int | None = 0
    aggregates: dict[str, exp.Expr] = field(default_factory=dict)
    ctes: list[tuple[str, exp.Expr]] = field(default_factory=list)
    uses_events: bool = False
    key: str = "contact_id"
    model: object = None  # the whole model, for roll-ups that read contact gradings
    # accounts and deals: (columns) -> a query of (key, columns...) over their contacts' scores
    members: Callable[[list[str]], exp.Select] | None = None
    # False: event rules count from their first event whatever their min_count (the results
    # over a contact's new events only, which incremental merging adds to the stored ones)
    gate_min_count: bool = True

    @property
    def t(self) -> exp.Expr:
        return integer(self.as_of_us)

    # attributes of the entity (columns of the base CTE)
    def attribute(self, name: str) -> exp.Expr:
        index = self.attributes.setdefault(name, len(self.attributes))
        return col(f"a{index}", BASE)

    def attribute_number(self, name: str) -> exp.Expr:
        self.attribute(name)
        self.numeric_attributes.add(name)
        return col(f"a{self.attributes[name]}_num", BASE)

    def attribute_folded(self, name: str) -> exp.Expr:
        self.attribute(name)
        self.folded_attributes.add(name)
        return col(f"a{self.attributes[name]}_ci", BASE)

    def attribute_predicate(self, predicate: Predicate) -> exp.Expr:
        """A flag column of base that is true when the entity's attributes satisfy
        ``predicate`` (equal conditions share one flag)."""

        def value(name: str) -> exp.Expr:
            self.attribute(name)
            return exp.column(f"a{self.attributes[name]}")

        def number(name: str) -> exp.Expr:
            self.attribute_number(name)
            return exp.column(f"a{self.attributes[name]}_num")

        def folded(name: str) -> exp.Expr:
            self.attribute_folded(name)
            return exp.column(f"a{self.attributes[name]}_ci")

        condition = PredicateCompiler(self.dialect, value, number, folded).compile(predicate)
        key = condition.sql()
        if key not in self.holds:
            self.holds[key] = len(self.hold_exprs)
            self.hold_exprs.append(condition)
        return col(f"h{self.holds[key]}", BASE)

    # events (columns of the ev CTE)
    def _property(self, name: str, types: list[str] | None) -> int:
        index = self.properties.setdefault(name, len(self.properties))
        known = self.property_types.get(name, set())
        if types is None or known is None:
            self.property_types[name] = None
        else:
            self.property_types[name] = known | set(types)
        return index

    def property_predicate(self, predicate: Predicate, types: list[str] | None) -> exp.Expr:
        def value(name: str) -> exp.Expr:
            return col(f"p{self._property(name, types)}", RAW_EVENTS)

        def number(name: str) -> exp.Expr:
            self.numeric_properties.add(name)
            return col(f"p{self._property(name, types)}_num", RAW_EVENTS)

        def folded(name: str) -> exp.Expr:
            self.folded_properties.add(name)
            return col(f"p{self._property(name, types)}_ci", RAW_EVENTS)

        return PredicateCompiler(self.dialect, value, number, folded).compile(predicate)

    def select_events(
        self, types: list[str] | None, where: Predicate | None, window_us: int | None
    ) -> exp.Expr:
        """The flag column (of ev) that selects a rule's events among the as-of events; rules
        with the same selection share one flag, computed once per event."""
        self.uses_events = True
        if types is None or self.event_types is None:
            self.event_types = None
        else:
            self.event_types |= set(types)
        if window_us is None or self.max_window_us is None:
            self.max_window_us = None
        else:
            self.max_window_us = max(self.max_window_us, window_us)
        parts: list[exp.Expr] = []
        if types is not None:
            parts.append(self.dialect.one_of(col("type", RAW_EVENTS), list(types)))
        if where is not None:
            parts.append(self.property_predicate(where, types))
        if window_us is not None:
            parts.append(exp.LT(this=col("age_us", RAW_EVENTS), expression=integer(window_us)))
        condition = and_all(parts)
        key = condition.sql()
        if key not in self.selections:
            self.selections[key] = len(self.selection_exprs)
            self.selection_exprs.append(condition)
        return col(f"s{self.selections[key]}", EVENTS)

    def change_at(self, selected: exp.Expr, offset_us: int) -> None:
        """Each event selected by ``selected`` changes the entity's score at ts + offset (it
        leaves a window); all such moments fold into one aggregate, next_event_change_us."""
        self.change_points.append((selected.copy(), offset_us))

    def aggregate(self, name: str, expression: exp.Expr) -> exp.Expr:
        """Register ``expression`` (an aggregate over ev) as ``agg.name``; return its column."""
        self.aggregates[name] = expression
        return col(name, AGG)

    def add_cte(self, name: str, query: exp.Expr) -> None:
        self.ctes.append((name, query))

    def decay(self, age_us: exp.Expr, half_life_us: int) -> exp.Expr:
        """``0.5 ** (age / half_life)`` on doubles, as the reference computes it."""
        ratio = exp.Div(this=to_double(age_us), expression=to_double(integer(half_life_us)))
        return self.dialect.half_power(ratio)
