"""Commands of the web app: ``leadscore users`` (create, list, delete) for signing in.

The web app itself is served by ``leadscore serve`` (docs/web.md).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadscore.cli.app import app
from leadscore.cli.output import Format, emit
from leadscore.cli.service_commands import DbOpt, OneWorkspaceOpt

if TYPE_CHECKING:
    from leadscore.service.stores import WorkspaceTarget

users_app = typer.Typer(
    name="users",
    help="Users of the web app in a workspace: create, list, delete.",
    no_args_is_help=True,
)
app.add_typer(users_app)


def _target(workspace: Path, db: str | None) -> WorkspaceTarget:
    from leadscore.service.stores import workspace_target

    return workspace_target(workspace, db)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first: str = typer.prompt("Password", hide_input=True)
    second: str = typer.prompt("Repeat the password", hide_input=True)
    if first != second:
        raise typer.BadParameter("the two passwords differ")
    return first


@users_app.command("create")
def users_create(
    name: Annotated[str, typer.Argument(help="Username (an email address works).")],
    workspace: OneWorkspaceOpt = Path("."),
    db: DbOpt = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
    ] = False,
) -> None:
    """Create a user who signs in to the web app with a password (asked for twice, hidden).

    Example: leadscore users create sam@acme.example -w my-leads
    """
    from leadscore.timeutil import now_us
    from leadscore.web.auth.passwords import check_strength
    from leadscore.web.auth.users import create_user, normalise_username

    username = normalise_username(name)
    password = _password(password_stdin)
    check_strength(password)
    target = _target(workspace, db)
    with target.opened() as store:
        create_user(store, username, password, now_us())
    typer.echo(f"created user '{username}' in workspace '{target.name}'")


@users_app.command("list")
def users_list(
    workspace: OneWorkspaceOpt = Path("."),
    db: DbOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """List the workspace's web users (never their passwords).

    Example: leadscore users list -w my-leads
    """
    from leadscore.web.auth.users import list_users

    target = _target(workspace, db)
    with target.opened() as store:
        rows = [u.as_dict() for u in list_users(store)]
    emit(rows, fmt, columns=["username", "created_at", "last_login_at"], title="Web users")


@users_app.command("delete")
def users_delete(
    name: Annotated[str, typer.Argument(help="The username.")],
    workspace: OneWorkspaceOpt = Path("."),
    db: DbOpt = None,
) -> None:
    """Delete a user; their open sessions end at once.

    Example: leadscore users delete sam@acme.example -w my-leads
    """
    from leadscore.web.auth.users import delete_user, normalise_username

    username = normalise_username(name)
    target = _target(workspace, db)
    with target.opened() as store:
        delete_user(store, username)
    typer.echo(f"deleted user '{username}' of workspace '{target.name}'")
