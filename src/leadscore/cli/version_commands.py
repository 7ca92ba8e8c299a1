"""``leadscore versions``: model versions in a workspace database, for operators.

They work on the workspace's DuckDB file directly, while the service is not running (a running
service holds the file; use the HTTP API then). ``publish`` and ``rollback`` start the service's
own workspace runtime with its refresh timer disabled and go through ``Runtime.publish``: the
same transaction as the service (scores, score history, alerts, webhook outbox). The other
commands only read; ``preview`` scores into temporary tables.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leadscore.cli.app import AsOfOpt, FormatOpt, WorkspaceOpt, _as_of, _workspace, app, fail
from leadscore.cli.output import Format, emit

if TYPE_CHECKING:
    from leadscore.model.spec import Model
    from leadscore.service.runtime import Runtime
    from leadscore.store.base import Store
    from leadscore.store.workspace import Workspace

versions_app = typer.Typer(
    name="versions",
    help="Model versions: list, show, diff, preview a draft's impact, publish, roll back.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(versions_app, name="versions")

TextFormatOpt = Annotated[str, typer.Option("--format", "-f", help="text or json")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Why this version (kept with it).")]


def _text_or_json(fmt: str) -> bool:
    if fmt not in ("text", "json"):
        fail(f"--format must be text or json, got '{fmt}'")
    return fmt == "json"


def _json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@contextlib.contextmanager
def _reading(workspace: Path) -> Iterator[Store]:
    """The workspace database, read-only (a preview writes temporary tables only)."""
    with _workspace(workspace).store(read_only=True) as store:
        yield store


def _has_versions(store: Store) -> bool:
    return store.has_table("model_versions")


def _read_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"model file not found: {path}")
    except UnicodeDecodeError as exc:
        fail(f"{path}: not UTF-8 text (byte {exc.start})")


def _checked_text(path: Path) -> str:
    """The file's text if it is a valid model; else every problem, one per line, and exit 1."""
    from leadscore.service.model_ops import validate_yaml

    text = _read_file(path)
    result = validate_yaml(text)
    if not result["valid"]:
        for problem in result["problems"]:
            where = f"{path}:{problem['line']}" if problem["line"] else str(path)
            typer.echo(f"{where}: {problem['path']}: {problem['message']}", err=True)
        count = len(result["problems"])
        fail(f"{path}: the model has {count} problem{'s' if count != 1 else ''}")
    return text


def _current_model(store: Store, ws: Workspace) -> tuple[Model, str]:
    """The published model, or the workspace's model file while nothing is published."""
    from leadscore.service import versions

    active = versions.active_version(store) if _has_versions(store) else None
    if active is not None:
        return active.load(), f"published version {active.version}"
    return ws.load_model(), f"model file {ws.config.model}"


@contextlib.contextmanager
def _runtime(ws: Workspace) -> Iterator[Runtime]:
    """The service's workspace runtime, refresh timer off; seeded from the model file when
    nothing is published yet (as ``leadscore serve`` would)."""
    from leadscore.service.runtime import Runtime
    from leadscore.service.settings import RuntimeSettings
    from leadscore.store.duckdb_store import DuckStore

    path = ws.database_path
    runtime = Runtime(
        ws.config.name,
        lambda: DuckStore(path),
        RuntimeSettings(refresh_interval_s=0),
        seed_model=ws.model_path.read_text(encoding="utf-8"),
    ).start()
    try:
        yield runtime
    finally:
        runtime.stop()


@versions_app.command("list")
def list_(workspace: WorkspaceOpt = Path("."), fmt: FormatOpt = Format.table) -> None:
    """List the model versions, oldest first.

    Example: leadscore versions list
    """
    from leadscore.service import versions

    with _reading(workspace) as store:
        found = versions.list_versions(store) if _has_versions(store) else []
    if not found and fmt is Format.table:
        typer.echo("no model versions yet: `leadscore versions publish FILE` creates them")
        return
    emit([v.as_dict(with_yaml=False) for v in found], fmt, title="Model versions")


@versions_app.command()
def show(
    version: Annotated[int, typer.Argument(metavar="N", help="Version number.")],
    workspace: WorkspaceOpt = Path("."),
    fmt: TextFormatOpt = "text",
) -> None:
    """Show one version: status, note, dates and its YAML.

    Example: leadscore versions show 3
    """
    from leadscore.service import versions

    as_json = _text_or_json(fmt)
    with _reading(workspace) as store:
        found = versions.get_version(store, version)
    if as_json:
        _json(found.as_dict())
        return
    for key, value in found.as_dict(with_yaml=False).items():
        if value is not None:
            typer.echo(f"# {key}: {str(value).replace(chr(10), ' ')}")
    typer.echo(found.yaml.rstrip("\n"))


@versions_app.command()
def diff(
    old: Annotated[int, typer.Argument(metavar="A", help="The older version.")],
    new: Annotated[int, typer.Argument(metavar="B", help="The newer version.")],
    workspace: WorkspaceOpt = Path("."),
    fmt: TextFormatOpt = "text",
) -> None:
    """Show what changed from version A to B: the YAML diff, then rules, scores and grades.

    Example: leadscore versions diff 2 3
    """
    from leadscore.cli.version_text import render_diff
    from leadscore.service import model_ops, versions

    as_json = _text_or_json(fmt)
    with _reading(workspace) as store:
        result = model_ops.diff(versions.get_version(store, old), versions.get_version(store, new))
    if as_json:
        _json(result)
    else:
        render_diff(result)


@versions_app.command()
def preview(
    model: Annotated[Path, typer.Argument(metavar="FILE", help="The draft model (YAML).")],
    as_of: AsOfOpt = None,
    top: Annotated[int, typer.Option("--top", min=0, help="Top movers to list each way.")] = 10,
    recompute: Annotated[
        bool,
        typer.Option(
            help="Compare with the current model scored at the same time, not the stored scores."
        ),
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    fmt: TextFormatOpt = "text",
) -> None:
    """Preview the impact of publishing a model file, changing nothing.

    Example: leadscore versions preview new-model.yaml --top 20
    """
    from leadscore.cli.version_text import render_preview
    from leadscore.model import load_model_text
    from leadscore.service import model_ops
    from leadscore.timeutil import now_us

    as_json = _text_or_json(fmt)
    draft = load_model_text(_checked_text(model), file=str(model))
    ws = _workspace(workspace)
    t = _as_of(as_of) or now_us()
    with ws.store(read_only=True) as store:
        current, label = _current_model(store, ws)
        result = model_ops.preview(store, current, draft, t, top, recompute)
    if as_json:
        _json(result)
    else:
        render_preview(result, label, str(model))


@versions_app.command()
def publish(
    model: Annotated[Path, typer.Argument(metavar="FILE", help="The model to publish (YAML).")],
    note: NoteOpt = None,
    workspace: WorkspaceOpt = Path("."),
    fmt: TextFormatOpt = "text",
) -> None:
    """Publish a model file as a new version and rescore every contact with it.

    Example: leadscore versions publish model.yaml --note "pricing page worth more"
    """
    from leadscore.service import model_ops

    as_json = _text_or_json(fmt)
    text = _checked_text(model)
    ws = _workspace(workspace)
    with _runtime(ws) as runtime, ws.store() as store:
        result = model_ops.publish_yaml(store, runtime, text, note)
    _published(result, as_json)


@versions_app.command()
def rollback(
    version: Annotated[int, typer.Argument(metavar="N", help="The version to go back to.")],
    note: NoteOpt = None,
    workspace: WorkspaceOpt = Path("."),
    fmt: TextFormatOpt = "text",
) -> None:
    """Publish version N's model again, as a new version, and rescore every contact.

    Example: leadscore versions rollback 2 --note "v3 flooded sales with leads"
    """
    from leadscore.service import model_ops

    as_json = _text_or_json(fmt)
    ws = _workspace(workspace)
    with ws.store() as store:  # refuse before the runtime starts (it may seed version 1)
        model_ops.check_rollback(store, version)
    with _runtime(ws) as runtime, ws.store() as store:
        result = model_ops.rollback(store, runtime, version, note)
    _published(result, as_json)


def _published(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _json(result)
        return
    what = f"published version {result['version']}"
    if result.get("note"):
        what += f" ({result['note']})"
    typer.echo(
        f"{what}: scored {result['scored']} contacts, "
        f"{result['changed_grade']} changed grade or stage"
    )
