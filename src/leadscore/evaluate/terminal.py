"""Print analyses in the terminal: the views of :mod:`.views` as rich tables, then warnings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from leadscore.evaluate.views import TableView


def print_views(
    views: Sequence[TableView],
    warnings: Sequence[str] = (),
    notes: Sequence[str] = (),
    console: Console | None = None,
) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    out = console or Console(emoji=False, highlight=False)
    for view in views:
        table = Table(
            title=escape(view.title),
            caption=escape(view.caption) if view.caption else None,
            header_style="bold",
            title_justify="left",
            caption_justify="left",
        )
        for i, column in enumerate(view.columns):
            table.add_column(escape(column), justify="right" if i in view.numeric else "left")
        for i, row in enumerate(view.rows):
            cells = [escape(cell) for cell in row]
            table.add_row(*cells, style="bold yellow" if i in view.highlight else None)
        out.print(table)
        out.print()
    for warning in warnings:
        out.print(f"[yellow]warning:[/yellow] {escape(warning)}", emoji=False, highlight=False)
    for note in notes:
        out.print(f"[dim]note: {escape(note)}[/dim]", emoji=False, highlight=False)
