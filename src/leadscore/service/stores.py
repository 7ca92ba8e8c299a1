"""Where each workspace of the service keeps its data: how to open its database.

A workspace is a folder (``leadscore.toml``, ``model.yaml``). By default its data is the folder's
DuckDB file; with a PostgreSQL URL every workspace lives in its own schema of that database, named
from the workspace name (:func:`workspace_schema`). The folder's model file seeds a database that
has no published model yet; after that, model versions live in the database.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from leadscore.errors import LeadscoreError

if TYPE_CHECKING:
    from leadscore.store.base import Store

SCHEMA_PREFIX = "ls_"
_SLUG = re.compile(r"[^a-z0-9]+")


def workspace_schema(name: str) -> str:
    """The PostgreSQL schema of a workspace: ``ls_`` and the name in lower case, with anything but
    letters and digits turned into ``_``. When that changed the name (``Acme Corp``), 8 hex
    digits of its SHA-256 follow, so that different names never share a schema."""
    slug = _SLUG.sub("_", name.lower()).strip("_")[:40]
    schema = SCHEMA_PREFIX + (slug or "workspace")
    if slug != name:
        schema += "_" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return schema


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


@dataclass(frozen=True)
class WorkspaceTarget:
    """One workspace as the service opens it."""

    name: str
    open_store: Callable[[], Store]
    seed_model: str | None
    where: str  # for messages: a file path or a schema name, never a URL (it may hold a password)

    @contextmanager
    def opened(self) -> Iterator[Store]:
        """The workspace's store with its schema in place, closed when the block ends."""
        store = self.open_store()
        try:
            store.init_schema()
            yield store
        finally:
            store.close()


def _duckdb_opener(path: Path) -> Callable[[], Store]:
    def open_store() -> Store:
        from leadscore.store.duckdb_store import DuckStore

        return DuckStore(path)

    return open_store


def _postgres_opener(url: str, schema: str) -> Callable[[], Store]:
    def open_store() -> Store:
        from leadscore.store.postgres_store import PgStore

        return PgStore(url, schema=schema)

    return open_store


def workspace_target(folder: str | Path, database_url: str | None = None) -> WorkspaceTarget:
    """How to open the workspace in ``folder`` (its DuckDB file, or its schema at
    ``database_url``)."""
    from leadscore.store.workspace import Workspace

    workspace = Workspace.open(folder)
    name = workspace.config.name
    seed = workspace.model_path.read_text("utf-8") if workspace.model_path.is_file() else None
    if database_url is None:
        path = workspace.database_path
        return WorkspaceTarget(name, _duckdb_opener(path), seed, str(path))
    if not is_postgres_url(database_url):
        raise LeadscoreError(
            "--db takes a PostgreSQL URL such as postgresql://user@host:5432/leads "
            "(without it, each workspace uses its own DuckDB file)"
        )
    schema = workspace_schema(name)
    return WorkspaceTarget(name, _postgres_opener(database_url, schema), seed, f"schema {schema}")


def workspace_targets(
    folders: Sequence[str | Path], database_url: str | None = None
) -> list[WorkspaceTarget]:
    """Every workspace the service serves; names must differ (they identify the workspaces)."""
    targets = [workspace_target(folder, database_url) for folder in folders]
    seen: dict[str, str] = {}
    for folder, target in zip(folders, targets, strict=True):
        if target.name in seen:
            raise LeadscoreError(
                f"two workspaces are named '{target.name}' ({seen[target.name]} and {folder}); "
                "rename one in its leadscore.toml"
            )
        seen[target.name] = str(folder)
    if not targets:
        raise LeadscoreError("no workspace given; pass one or more with -w")
    return targets
