"""Rule kinds. Each kind is one module exposing ``compile(rule, ctx) -> RuleColumns``; the
registry below is the only place that lists them, so adding a kind is adding one module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadscore.compile.context import Context, RuleColumns
from leadscore.compile.rules import attribute, event, inactivity, rollup

RuleCompiler = Callable[[Any, Context], RuleColumns]

REGISTRY: dict[str, RuleCompiler] = {
    "attribute": attribute.compile_rule,
    "event": event.compile_rule,
    "inactivity": inactivity.compile_rule,
    "rollup": rollup.compile_rule,
}


def compile_rule(rule: Any, ctx: Context) -> RuleColumns:
    return REGISTRY[rule.kind](rule, ctx)
