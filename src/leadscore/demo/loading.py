"""Put demo data into a store, or build a whole demo workspace."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from leadscore.demo.generate import DEFAULT_END, DemoData, DemoSpec, generate_parts, make_spec
from leadscore.errors import LeadscoreError

if TYPE_CHECKING:
    import pyarrow as pa

    from leadscore.store.duckdb_store import DuckStore
    from leadscore.store.workspace import Workspace

TRUTH_TABLE = "demo_truth"
DEMO_META_KEY = "demo"  # in the meta table: the parameters of the loaded demo data
_BUILDING = '{"building": true}'  # its value while the data is being loaded


def _truth_ddl() -> str:
    from leadscore.demo.generate import TRUTH_COLUMNS

    columns = ", ".join(
        f"{name} {kind}{'' if nullable else ' NOT NULL'}" for name, kind, nullable in TRUTH_COLUMNS
    )
    return f"CREATE TABLE IF NOT EXISTS {TRUTH_TABLE} ({columns})"


def load(store: DuckStore, data: DemoData) -> None:
    """Append ``data``'s tables to the store, and its truth to the ``demo_truth`` table.

    All or nothing (one transaction, see :mod:`leadscore.store.bulk`).
    """
    from leadscore.store.bulk import bulk_load

    store.init_schema()
    store.con.execute(_truth_ddl())
    batches = [*data.tables().items(), (TRUTH_TABLE, data.truth)]
    bulk_load(store, batches, extra_tables=[TRUTH_TABLE])


def _is_demo(path: Path) -> bool:
    """A folder we may build in: missing, empty, or a workspace made by :func:`build_workspace`."""
    from leadscore.store.workspace import CONFIG_FILE, Workspace

    if not path.exists():
        return True
    if not path.is_dir():
        return False
    if not any(path.iterdir()):
        return True
    if not (path / CONFIG_FILE).is_file():
        return False
    workspace = Workspace.open(path)
    if not workspace.database_path.exists():
        return False
    from leadscore.store.duckdb_store import DuckStore

    with DuckStore(workspace.database_path, read_only=True) as store:
        if not store.has_table("meta"):
            return False
        return bool(store.scalar("SELECT count(*) FROM meta WHERE key = ?", [DEMO_META_KEY]))


def build_workspace(
    path: str | Path,
    contacts: int = 5000,
    seed: int = 7,
    end: datetime | int = DEFAULT_END,
    days: int = 365,
    accounts: int | None = None,
    *,
    events_per_contact: float | None = None,
    threads: int | None = None,
) -> Workspace:
    """A workspace with the example model and freshly generated demo data.

    An existing demo workspace at ``path`` is rebuilt; any other existing, non-empty folder is
    left alone (a :class:`~leadscore.errors.LeadscoreError` says so).
    """
    import json

    from leadscore.store.bulk import bulk_load
    from leadscore.store.duckdb_store import DuckStore
    from leadscore.store.workspace import Workspace

    root = Path(path)
    spec = make_spec(contacts, seed, end, days, accounts, events_per_contact)
    if not _is_demo(root):
        raise LeadscoreError(
            f"{root} exists and is not a demo workspace; choose a new folder for the demo "
            "(an existing demo workspace is rebuilt, anything else is left alone)"
        )
    if (root / "leadscore.toml").is_file():  # a demo workspace: new data, same model file
        database = Workspace.open(root).database_path
        for stale in (database, database.with_name(database.name + ".wal")):
            stale.unlink(missing_ok=True)
    workspace = Workspace.init(root, exist_ok=True)

    def batches() -> Iterator[tuple[str, pa.Table]]:
        for part in generate_parts(spec):
            yield from part.tables().items()
            yield TRUTH_TABLE, part.truth

    with DuckStore(workspace.database_path, threads=threads) as store:
        store.init_schema()
        store.con.execute(_truth_ddl())
        # Marked as a demo first, so that a build that fails half-way can be rebuilt.
        store.con.execute("INSERT INTO meta VALUES (?, ?)", [DEMO_META_KEY, _BUILDING])
        bulk_load(store, batches(), extra_tables=[TRUTH_TABLE])
        store.con.execute(
            "UPDATE meta SET value = ? WHERE key = ?",
            [json.dumps(asdict(spec), sort_keys=True), DEMO_META_KEY],
        )
    return workspace


def reuse_or_build(
    path: str | Path,
    contacts: int,
    seed: int = 7,
    *,
    events_per_contact: float | None = None,
    threads: int | None = None,
) -> tuple[Workspace, bool]:
    """The demo workspace at ``path`` when it already holds exactly these demo data (reused,
    ``True``), else one built there by :func:`build_workspace` (``False``). For benchmarks,
    whose data take minutes to build."""
    from leadscore.store.duckdb_store import DuckStore
    from leadscore.store.workspace import Workspace

    root = Path(path)
    spec = make_spec(contacts, seed, events_per_contact=events_per_contact)
    if (root / "leadscore.toml").is_file():
        workspace = Workspace.open(root)
        if workspace.database_path.is_file():
            with DuckStore(workspace.database_path, read_only=True) as store:
                if loaded_spec(store) == spec:
                    return workspace, True
    built = build_workspace(
        root, contacts, seed, events_per_contact=events_per_contact, threads=threads
    )
    return built, False


def loaded_spec(store: DuckStore) -> DemoSpec | None:
    """The parameters of the demo data in ``store`` (``None`` when it holds none)."""
    import json

    if not store.has_table("meta"):
        return None
    text = store.scalar("SELECT value FROM meta WHERE key = ?", [DEMO_META_KEY])
    if text is None or text == _BUILDING:
        return None
    return DemoSpec(**{"version": 0, **json.loads(text)})  # no version: made before versions
