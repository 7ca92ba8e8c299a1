"""Commands of the service: serve, keys (create, list, revoke), rescore (for cron).

FastAPI and uvicorn are imported only when ``serve`` runs, so ``leadscore --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadscore.cli.app import app
from leadscore.cli.output import Format, emit

if TYPE_CHECKING:
    from leadscore.service.stores import WorkspaceTarget

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="LEADSCORE_DATABASE_URL",
        help="PostgreSQL URL (postgresql://user@host/db): one schema per workspace. "
        "Default: each workspace's own DuckDB file.",
        show_default=False,
    ),
]
OneWorkspaceOpt = Annotated[
    Path,
    typer.Option(
        "--workspace",
        "-w",
        envvar="LEADSCORE_WORKSPACE",
        help="Workspace folder (default: the current folder or $LEADSCORE_WORKSPACE).",
    ),
]

keys_app = typer.Typer(
    name="keys",
    help="API keys of a workspace: create (shown once), list, revoke.",
    no_args_is_help=True,
)
app.add_typer(keys_app)


def _target(workspace: Path, db: str | None) -> WorkspaceTarget:
    from leadscore.service.stores import workspace_target

    return workspace_target(workspace, db)


@app.command()
def serve(
    workspace: Annotated[
        list[Path] | None,
        typer.Option(
            "--workspace",
            "-w",
            help="Workspace folder to serve (repeat for several; default: the current folder).",
        ),
    ] = None,
    db: DbOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    refresh_interval: Annotated[
        float,
        typer.Option(
            min=0, help="Seconds between bringing every score to now (decay, expiry); 0: never."
        ),
    ] = 300.0,
    score_delay: Annotated[
        float,
        typer.Option(
            min=0,
            max=10,
            help="Seconds the scorer waits for more writes before rescoring what they touched: "
            "longer batches more contacts per rescoring (less CPU per event), later scores.",
        ),
    ] = 0.05,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            help="Log a line per request (method, path, status); off saves about 0.1 ms of "
            "CPU per request.",
        ),
    ] = True,
) -> None:
    """Serve the HTTP API (under /api/v1; docs at /api/v1/docs) for one or more workspaces.

    Every request needs an API key of its workspace: create one with `leadscore keys create`.
    Example: leadscore serve -w my-leads --port 8000
    """
    from leadscore.service.server import serve as run
    from leadscore.service.settings import RuntimeSettings, ServiceSettings

    folders = tuple(str(p) for p in workspace) if workspace else (".",)
    settings = ServiceSettings(
        workspaces=folders,
        database_url=db,
        host=host,
        port=port,
        access_log=access_log,
        runtime=RuntimeSettings(refresh_interval_s=refresh_interval, score_delay_s=score_delay),
    )
    run(settings)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. 'crm-sync'.")],
    workspace: OneWorkspaceOpt = Path("."),
    db: DbOpt = None,
) -> None:
    """Create an API key and print it (once: only its hash is stored).

    Example: leadscore keys create crm-sync -w my-leads
    """
    from leadscore.service.auth import create_key

    target = _target(workspace, db)
    with target.opened() as store:
        key_id, key = create_key(store, name)
    typer.echo(key)
    typer.echo(
        f"created key {key_id} ('{name.strip()}') for workspace '{target.name}'; "
        "it is shown only now: keep it somewhere safe",
        err=True,
    )


@keys_app.command("list")
def keys_list(
    workspace: OneWorkspaceOpt = Path("."),
    db: DbOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """List the workspace's API keys (ids, names, dates; never the keys).

    Example: leadscore keys list -w my-leads
    """
    from leadscore.service.auth import list_keys

    target = _target(workspace, db)
    with target.opened() as store:
        rows = [k.as_dict() for k in list_keys(store)]
    emit(rows, fmt, columns=["key_id", "name", "created_at", "revoked_at"], title="API keys")


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (see: leadscore keys list).")],
    workspace: OneWorkspaceOpt = Path("."),
    db: DbOpt = None,
) -> None:
    """Revoke an API key: requests with it fail from now on.

    Example: leadscore keys revoke 3f9a0c12b7d4
    """
    from leadscore.service.auth import revoke_key

    target = _target(workspace, db)
    with target.opened() as store:
        key = revoke_key(store, key_id)
    typer.echo(f"revoked key {key.key_id} ('{key.name}') of workspace '{target.name}'")


@app.command()
def rescore(
    workspace: OneWorkspaceOpt = Path("."),
    db: DbOpt = None,
    full: Annotated[
        bool, typer.Option("--full", help="Recompute everyone from raw events.")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Bring every score to now (decay, expiry, inactivity), recording history and alerts.

    For cron when the service is not running (a running service does this on its own timer,
    or on POST /api/v1/rescore). With --full, recompute everyone with the active model version.
    Example: leadscore rescore -w my-leads
    """
    from leadscore.service.rescore import rescore_workspace

    result = rescore_workspace(_target(workspace, db), full=full)
    emit([result], fmt, title=f"Rescored workspace '{result['workspace']}'")
