"""Commands that score and read scores: score, top, explain, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadscore.cli.app import AsOfOpt, Entity, FormatOpt, WorkspaceOpt, _as_of, _workspace, app
from leadscore.cli.output import Format, emit


@app.command()
def score(
    as_of: AsOfOpt = None,
    model: Annotated[
        Path | None, typer.Option(help="Score with this model file instead of the workspace's.")
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    fmt: FormatOpt = Format.table,
) -> None:
    """Score every contact (and account and deal) as of a time (default: now) and keep the scores.

    Example: leadscore score --as-of 2025-06-30
    """
    from rich.console import Console

    from leadscore.model import load_model
    from leadscore.scoring.run import score_workspace

    ws = _workspace(workspace)
    chosen = load_model(model) if model else ws.load_model()
    with Console(stderr=True).status("scoring..."):
        runs = score_workspace(ws, chosen, _as_of(as_of))
    rows = []
    for run in runs:
        grades = ", ".join(f"{g}: {n}" for g, n in run.grades.items())
        rows.append(
            {
                "entity": run.entity,
                "scored": run.rows,
                "grades": grades,
                "as_of": run.as_dict()["as_of"],
                "model": run.model_name,
                "seconds": round(run.seconds, 2),
            }
        )
    emit(rows, fmt, title=f"Scored with model '{chosen.name}'")


@app.command()
def top(
    n: Annotated[int, typer.Option("-n", "--limit", min=1, help="How many leads.")] = 10,
    grade: Annotated[list[str] | None, typer.Option(help="Only these grades (repeat).")] = None,
    stage: Annotated[list[str] | None, typer.Option(help="Only these stages (repeat).")] = None,
    min_score: Annotated[float | None, typer.Option(help="Only totals at or above.")] = None,
    entity: Annotated[Entity, typer.Option(help="Contacts, accounts or deals.")] = Entity.contacts,
    workspace: WorkspaceOpt = Path("."),
    fmt: FormatOpt = Format.table,
) -> None:
    """Show the best-scored leads with their grade, stage and top reasons.

    Example: leadscore top -n 20 --grade hot
    """
    from leadscore.scoring.leads import top_leads

    ws = _workspace(workspace)
    model = ws.load_model()
    with ws.store(read_only=True) as store:
        rows = top_leads(store, model, n, grade, stage, min_score, entity.value)
    emit(rows, fmt, title=f"Top {entity.value}")


@app.command()
def explain(
    entity_id: Annotated[str, typer.Argument(metavar="ID", help="Contact (or account/deal) id.")],
    as_of: AsOfOpt = None,
    entity: Annotated[Entity, typer.Option(help="Contacts, accounts or deals.")] = Entity.contacts,
    workspace: WorkspaceOpt = Path("."),
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
) -> None:
    """Explain a lead's score: which rules fired, how many times, decay, and how it adds up.

    Without --as-of it reads the last scoring run; with --as-of it recomputes that lead.
    Example: leadscore explain jane@example.com
    """
    import json

    from leadscore.cli.explain_text import render
    from leadscore.errors import LeadscoreError
    from leadscore.scoring.leads import breakdown_as_of, stored_breakdown

    ws = _workspace(workspace)
    model = ws.load_model()
    t = _as_of(as_of)
    with ws.store(read_only=True) as store:
        if t is None:
            breakdown = stored_breakdown(store, model, entity_id, entity.value)
        elif entity is Entity.contacts:
            breakdown = breakdown_as_of(store, model, entity_id, t)
        else:
            raise LeadscoreError("--as-of applies to contacts; score first for accounts and deals")
    if fmt == "json":
        typer.echo(json.dumps(breakdown.as_dict(), ensure_ascii=False, indent=2))
    else:
        render(breakdown)


@app.command()
def demo(
    path: Annotated[Path, typer.Argument(help="Folder for the demo workspace.")] = Path(
        "demo-workspace"
    ),
    contacts: Annotated[int, typer.Option(min=10, help="How many contacts.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 7,
    n: Annotated[int, typer.Option("-n", "--limit", min=1, help="Top leads to show.")] = 10,
) -> None:
    """Build a synthetic B2B workspace, score it with the example model, show the top leads.

    Example: leadscore demo --contacts 20000
    """

    from leadscore.cli.output import console as make_console
    from leadscore.demo import build_workspace, loaded_spec
    from leadscore.scoring.leads import top_leads
    from leadscore.scoring.run import score_workspace

    console = make_console(stderr=True)
    with console.status(f"generating {contacts} contacts..."):
        ws = build_workspace(path, contacts=contacts, seed=seed)
    with ws.store() as store:
        spec = loaded_spec(store)
    assert spec is not None
    end_us = spec.end_us
    with console.status("scoring..."):
        runs = score_workspace(ws, as_of_us=end_us)
    for run in runs:
        grades = ", ".join(f"{g} {c}" for g, c in run.grades.items())
        console.print(f"scored {run.rows} {run.entity} in {run.seconds:.2f}s ({grades})")
    model = ws.load_model()
    with ws.store(read_only=True) as store:
        rows = top_leads(store, model, n)
    emit(rows, Format.table, title=f"Top {n} leads as of {runs[0].as_dict()['as_of']}")
    console.print(
        f"next: leadscore explain {rows[0]['contact_id']} -w {path}" if rows else "no leads"
    )
