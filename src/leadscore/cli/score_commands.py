"""Commands that score and read scores: score, top, explain, demo."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from leadscore.cli.app import AsOfOpt, Entity, FormatOpt, WorkspaceOpt, _as_of, _workspace, app
from leadscore.cli.output import Format, emit


class ScoreEngine(StrEnum):
    workspace = "workspace"
    spark = "spark"


def _score_spark(
    model: Path | None,
    workspace: Path,
    as_of: str | None,
    contacts: str | None,
    events: str | None,
    accounts: str | None,
    deals: str | None,
    out: str | None,
    master: str | None,
    dedupe_events: bool = False,
    fmt: Format = Format.table,
) -> None:
    from rich.console import Console

    from leadscore.errors import LeadscoreError
    from leadscore.model import load_model
    from leadscore.spark.score import score_to
    from leadscore.spark.session import local_session, require_pyspark

    missing = [n for n, v in (("--contacts", contacts), ("--out", out)) if not v]
    if missing:
        raise LeadscoreError(f"--engine spark needs {' and '.join(missing)}")
    assert contacts is not None
    assert out is not None
    chosen = load_model(model) if model else _workspace(workspace).load_model()
    require_pyspark()
    console = Console(stderr=True)
    with console.status("starting Spark..."):
        if master:
            from pyspark.sql import SparkSession

            spark = SparkSession.builder.master(master).appName("leadscore").getOrCreate()
        else:
            import os

            spark = local_session(cores=os.cpu_count() or 2)
    with console.status("scoring on Spark..."):
        runs = score_to(
            spark,
            chosen,
            contacts,
            events,
            out,
            _as_of(as_of),
            accounts=accounts,
            deals=deals,
            dedupe_events=dedupe_events,
        )
    rows = [
        {
            "entity": run.entity,
            "scored": run.rows,
            "grades": ", ".join(f"{g}: {n}" for g, n in sorted(run.grades.items())),
            "written to": run.target,
            "seconds": round(run.seconds, 2),
        }
        for run in runs
    ]
    emit(rows, fmt, title=f"Scored on Spark with model '{chosen.name}'")


@app.command()
def score(
    as_of: AsOfOpt = None,
    model: Annotated[
        Path | None, typer.Option(help="Score with this model file instead of the workspace's.")
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    fmt: FormatOpt = Format.table,
    engine: Annotated[
        ScoreEngine,
        typer.Option(help="workspace: the workspace's store; spark: files given with --contacts."),
    ] = ScoreEngine.workspace,
    contacts: Annotated[
        str | None, typer.Option(help="Spark: contacts (Parquet/ORC/CSV/JSON path or table:NAME).")
    ] = None,
    events: Annotated[str | None, typer.Option(help="Spark: events (same forms).")] = None,
    accounts: Annotated[str | None, typer.Option(help="Spark: accounts (optional).")] = None,
    deals: Annotated[str | None, typer.Option(help="Spark: deals (optional).")] = None,
    out: Annotated[
        str | None,
        typer.Option(help="Spark: write scores under this folder (OUT/contacts...) or table:NAME."),
    ] = None,
    master: Annotated[
        str | None, typer.Option(help="Spark: master URL (default: local mode on every core).")
    ] = None,
    dedupe_events: Annotated[
        bool, typer.Option(help="Spark: keep one event per event_id (costs a shuffle).")
    ] = False,
) -> None:
    """Score every contact (and account and deal) as of a time (default: now) and keep the scores.

    Example: leadscore score --as-of 2025-06-30

    On Spark: leadscore score --engine spark --model model.yaml --contacts contacts.parquet
    --events events.parquet --out scores/
    """
    from rich.console import Console

    from leadscore.model import load_model
    from leadscore.scoring.run import score_workspace

    if engine is ScoreEngine.spark:
        _score_spark(
            model,
            workspace,
            as_of,
            contacts,
            events,
            accounts,
            deals,
            out,
            master,
            dedupe_events,
            fmt,
        )
        return
    given = [n for n, v in (("--contacts", contacts), ("--events", events), ("--out", out)) if v]
    if given:
        from leadscore.errors import LeadscoreError

        raise LeadscoreError(f"{', '.join(given)} apply to --engine spark")
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
