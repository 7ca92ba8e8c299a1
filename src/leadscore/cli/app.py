"""The ``leadscore`` command line: a thin layer over library calls.

Heavy modules are imported inside the commands so that ``leadscore --help`` stays fast.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from leadscore.cli.output import Format

app = typer.Typer(
    name="leadscore",
    help="Open-source lead scoring: rule scores, breakdowns and exports on DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

WorkspaceOpt = Annotated[
    Path,
    typer.Option(
        "--workspace",
        "-w",
        envvar="LEADSCORE_WORKSPACE",
        help="Workspace folder (default: the current folder or $LEADSCORE_WORKSPACE).",
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Score as of this UTC time, e.g. 2025-06-30 or 2025-06-30T12:00Z."
    ),
]


class Entity(StrEnum):
    contacts = "contacts"
    accounts = "accounts"
    deals = "deals"


class Dialect(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"
    spark = "spark"


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _as_of(text: str | None) -> int | None:
    if text is None:
        return None
    from leadscore.timeutil import TimeFormatError, to_us

    try:
        return to_us(text)
    except TimeFormatError as exc:
        fail(f"--as-of: {exc}")


def _workspace(path: Path):  # type: ignore[no-untyped-def]
    from leadscore.store.workspace import Workspace

    return Workspace.open(path)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Folder to create.")] = Path("."),
    model: Annotated[
        Path | None, typer.Option(help="Model file to start from (default: the example model).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Workspace name.")] = None,
) -> None:
    """Create a workspace: a folder with leadscore.toml, model.yaml and the database.

    Example: leadscore init my-leads
    """
    from leadscore.store.workspace import Workspace

    ws = Workspace.init(path, model=model, name=name)
    typer.echo(f"created workspace '{ws.config.name}' in {path} (model: {ws.model_path.name})")


@app.command()
def validate(
    model: Annotated[Path, typer.Argument(help="Model file (YAML).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
) -> None:
    """Check a model file and report every problem with file:line.

    Example: leadscore validate model.yaml
    """
    import json

    from leadscore.model import ModelError, load_model

    try:
        loaded = load_model(model)
    except ModelError as exc:
        if fmt == "json":
            typer.echo(
                json.dumps({"valid": False, "problems": [p.as_dict() for p in exc.problems]})
            )
            raise typer.Exit(1) from None
        raise
    rules = len(loaded.rules)
    if fmt == "json":
        typer.echo(json.dumps({"valid": True, "name": loaded.name, "rules": rules}))
        return
    sections = ", ".join(loaded.sections())
    typer.echo(f"{model}: valid - model '{loaded.name}', {rules} contact rules ({sections})")


@app.command(name="compile")
def compile_(
    model: Annotated[
        Path | None, typer.Argument(help="Model file (default: the workspace's model).")
    ] = None,
    dialect: Annotated[Dialect, typer.Option(help="SQL dialect.")] = Dialect.duckdb,
    entity: Annotated[Entity, typer.Option(help="What to score.")] = Entity.contacts,
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Print the SQL that scores the model, without running it.

    Example: leadscore compile model.yaml --dialect postgres
    """
    from leadscore.compile.contacts import compile_contacts
    from leadscore.compile.entities import compile_entity
    from leadscore.model import load_model
    from leadscore.timeutil import now_us

    loaded = load_model(model) if model else _workspace(workspace).load_model()
    t = _as_of(as_of) or now_us()
    if entity is Entity.contacts:
        compiled = compile_contacts(loaded, t, dialect.value)
    else:
        compiled = compile_entity(loaded, entity.value, t, dialect.value)
    typer.echo(compiled.sql(dialect.value) + ";")


def main() -> None:
    from leadscore.cli import (  # noqa: F401  (register commands)
        data_commands,
        evaluate_commands,
        predict_commands,
        score_commands,
        service_commands,
        suggest_commands,
        version_commands,
        web_commands,
    )
    from leadscore.errors import LeadscoreError

    try:
        app()  # standalone: usage errors print their message and exit 2
    except LeadscoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
