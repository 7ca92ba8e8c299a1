"""Plain-text rendering of model diffs and impact previews for ``leadscore versions``."""

from __future__ import annotations

from typing import Any

import typer

from leadscore.cli.output import Format, emit


def _num(value: Any) -> str:
    from leadscore.values import fmt_number

    if value is None:
        return "-"
    return fmt_number(float(value)) if isinstance(value, (int, float)) else str(value)


def _label(value: str | None) -> str:
    return "(not scored)" if value is None else value


def _changes(changes: list[dict[str, Any]]) -> str:
    return "; ".join(f"{c['field']}: {_num(c['old'])} -> {_num(c['new'])}" for c in changes)


def render_diff(result: dict[str, Any]) -> None:
    """The unified YAML diff, then the model's changes part by part."""
    old, new = result["old"]["version"], result["new"]["version"]
    typer.echo(result["text"] or f"v{old} and v{new} have the same YAML")
    if "error" in result:
        typer.echo(f"\n(no structural diff: {result['error']})")
        return
    lines: list[str] = []
    for change in result["model"]:
        lines.append(f"model {_changes([change])}")
    for entity in result["sections"]["added"]:
        lines.append(f"+ section {entity}")
    for entity in result["sections"]["removed"]:
        lines.append(f"- section {entity}")
    rules = result["rules"]
    for rule in rules["added"]:
        lines.append(f"+ rule {rule['id']} ({rule['entity']}.{rule['score']}): {rule['sentence']}")
    for rule in rules["removed"]:
        lines.append(f"- rule {rule['id']} ({rule['entity']}.{rule['score']}): {rule['sentence']}")
    for rule in rules["changed"]:
        lines.append(f"~ rule {rule['id']} ({rule['entity']}.{rule['score']}):")
        for change in rule["changes"]:
            lines.append(f"    {change['field']}: {_num(change['old'])} -> {_num(change['new'])}")
        lines.append(f"    was: {rule['old_sentence']}")
        lines.append(f"    now: {rule['new_sentence']}")
    for score in result["scores"]:
        mark = {"added": "+", "removed": "-", "changed": "~"}[score["change"]]
        detail = f": {_changes(score['changes'])}" if score["change"] == "changed" else ""
        lines.append(f"{mark} score {score['entity']}.{score['score']}{detail}")
    for total in result["totals"]:
        lines.append(f"~ {total['entity']} {_changes(total['changes'])}")
    for grading in result["grades"]:
        mark = {"added": "+", "removed": "-", "changed": "~"}[grading["change"]]
        lines.append(f"{mark} grading {grading['entity']}.{grading['grading']}")
        if grading["change"] != "changed":
            continue
        if grading["old_score"] != grading["new_score"]:
            lines.append(f"    score: {grading['old_score']} -> {grading['new_score']}")
        for band in grading["bands"]:
            text = f"    {band['change']} band {band['grade']}: min "
            text += f"{_num(band['old_min'])} -> {_num(band['new_min'])}"
            if band["old_stage"] != band["new_stage"]:
                text += f", stage {_num(band['old_stage'])} -> {_num(band['new_stage'])}"
            lines.append(text)
    for matrix in result["matrix"]:
        lines.append(f"~ {matrix['entity']} {_changes(matrix['changes'])}")
    if not lines:
        lines.append("no change to the model" if result["identical"] else "")
    typer.echo("")
    typer.echo("\n".join(line for line in lines if line))


def render_preview(result: dict[str, Any], current: str, draft: str) -> None:
    """Headline figures, then tables: grades, transitions, histogram, movers."""
    base = result["baseline"]
    if base["source"] == "stored":
        span = base["as_of_min"]
        if base["as_of_max"] != span:
            span += f" .. {base['as_of_max']}"
        against = f"the stored scores (as of {span}; current: {current})"
    else:
        against = f"{current} scored at the same time"
    contacts, changed, mean = result["contacts"], result["changed"], result["mean"]
    typer.echo(f"Impact of {draft} as of {result['as_of']}, against {against}")
    typer.echo(
        f"contacts: {contacts['after']} (compared {contacts['compared']}, "
        f"new {contacts['new']}, gone {contacts['gone']})"
    )
    typer.echo(
        f"changed: total {changed['total']}, grade {changed['grade']} "
        f"(up {changed['grade_up']}, down {changed['grade_down']}), stage {changed['stage']}"
    )
    typer.echo(f"mean total: {_num(mean['before'])} -> {_num(mean['after'])}")
    for warning in result["warnings"]:
        typer.echo(f"warning: {warning}")
    emit(
        [
            {"grade": _label(g["grade"]), "before": g["before"], "after": g["after"]}
            for g in result["grades"]
        ],
        Format.table,
        title="Grades",
    )
    moves = result["transitions"]
    rows = []
    for label, counts in zip(moves["from"], moves["counts"], strict=True):
        row: dict[str, Any] = {"before \\ after": _label(label)}
        row.update({_label(to): n for to, n in zip(moves["to"], counts, strict=True)})
        rows.append(row)
    emit(rows, Format.table, title="Grade transitions")
    bins = [
        {"total": f"{_num(b['from'])}..{_num(b['to'])}", "before": b["before"], "after": b["after"]}
        for b in result["histogram"]["bins"]
    ]
    emit(bins, Format.table, title="Totals")
    for way in ("up", "down"):
        movers = [
            {
                "contact": m["contact_id"],
                "total": f"{_num(m['old_total'])} -> {_num(m['new_total'])}",
                "change": m["change"],
                "grade": f"{_label(m['old_grade'])} -> {_label(m['new_grade'])}",
            }
            for m in result["movers"][way]
        ]
        if movers:
            emit(movers, Format.table, title=f"Top movers {way}")
