"""The breakdown of one lead in plain words, for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leadscore.scoring.breakdown import Breakdown
from leadscore.values import fmt_number


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + fmt_number(value)


def render(breakdown: Breakdown, console: Console | None = None) -> None:
    if console is None:
        from leadscore.cli.output import console as make_console

        console = make_console()
    head = f"[bold]{escape(breakdown.id)}[/bold]: total {fmt_number(breakdown.total)}"
    if breakdown.grade:
        head += f", grade [bold]{escape(breakdown.grade)}[/bold]"
    if breakdown.stage:
        head += f", stage {escape(breakdown.stage)}"
    if breakdown.matrix:
        head += f", matrix {escape(breakdown.matrix)}"
    console.print(head)
    for score in breakdown.scores:
        table = Table(title=f"{score.name}: {fmt_number(score.value)}", title_justify="left")
        table.add_column("points", justify="right")
        table.add_column("rule")
        table.add_column("why")
        for line in score.rules:
            if line.points == 0 and line.matched == 0:
                continue
            table.add_row(_signed(line.points), line.rule_id, escape(line.happened))
        for group, adjustment in score.adjustments.items():
            if adjustment:
                table.add_row(_signed(adjustment), escape(f"[{group}]"), f"group '{group}' cap")
        table.add_row(fmt_number(score.raw), "= raw score", "sum of the lines above")
        if score.bounding:
            bounds = f"{fmt_number(score.min) if score.min is not None else '-inf'}.."
            bounds += fmt_number(score.max) if score.max is not None else "+inf"
            table.add_row(_signed(score.bounding), "bounded", f"kept within {bounds}")
        console.print(table)
    silent = [r.rule_id for r in breakdown.rules() if r.points == 0 and r.matched == 0]
    if silent:
        console.print(f"[dim]rules that did not apply: {escape(', '.join(silent))}[/dim]")
