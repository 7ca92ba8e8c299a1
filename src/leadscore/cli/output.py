"""Tabular output for the CLI: a rich table, JSON or CSV, chosen with --format."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Any


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        from leadscore.values import fmt_number

        return fmt_number(value)
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and value == int(value) and abs(value) < 1e15:
        return value
    return value


def emit(
    rows: Sequence[dict[str, Any]],
    fmt: Format,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print rows (dicts with the same keys) in the chosen format to standard output."""
    cols = list(columns) if columns is not None else (list(rows[0].keys()) if rows else [])
    if fmt is Format.json:
        payload = [{c: _jsonable(r.get(c)) for c in cols} for r in rows]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    if fmt is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(cols)
        for r in rows:
            writer.writerow([_cell(r.get(c)) for c in cols])
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, header_style="bold", show_lines=False)
    for c in cols:
        numeric = bool(rows) and isinstance(rows[0].get(c), (int, float))
        table.add_column(c.replace("_", " "), justify="right" if numeric else "left")
    for r in rows:
        table.add_row(*[escape(_cell(r.get(c))) for c in cols])
    console().print(table)


def console(stderr: bool = False) -> Any:
    """A rich console; at least 120 columns wide when the output is not a terminal (logs, CI)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 120
    return Console(stderr=stderr, width=width)
