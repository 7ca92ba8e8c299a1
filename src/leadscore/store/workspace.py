"""A workspace: one folder holding a config file, the scoring model and the database.

my-workspace/
  leadscore.toml     name, which model file, which database
  model.yaml         the scoring model (the example model after `leadscore init`)
  leadscore.duckdb   contacts, events, outcomes, accounts, deals, scores
"""

from __future__ import annotations

import contextlib
import shutil
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from leadscore.errors import LeadscoreError
from leadscore.store.duckdb_store import DuckStore

if TYPE_CHECKING:
    from leadscore.model.spec import Model
    from leadscore.service.versions import Version

CONFIG_FILE = "leadscore.toml"
DEFAULT_MODEL_FILE = "model.yaml"
DEFAULT_DB_FILE = "leadscore.duckdb"


def example_model_path() -> Path:
    """The example B2B SaaS model shipped with the package."""
    return Path(__file__).resolve().parent.parent / "examples" / "b2b-saas.yaml"


@dataclass(frozen=True)
class WorkspaceConfig:
    name: str
    model: str = DEFAULT_MODEL_FILE
    database: str = DEFAULT_DB_FILE

    def to_toml(self) -> str:
        def q(value: str) -> str:
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

        return (
            "# leadscore workspace\n"
            "[workspace]\n"
            f"name = {q(self.name)}\n"
            f"model = {q(self.model)}\n"
            f"database = {q(self.database)}\n"
        )


class Workspace:
    """Open with :meth:`open` (existing) or :meth:`init` (new)."""

    def __init__(self, root: Path, config: WorkspaceConfig):
        self.root = root
        self.config = config

    @classmethod
    def init(
        cls,
        root: str | Path,
        model: str | Path | None = None,
        name: str | None = None,
        exist_ok: bool = False,
    ) -> Workspace:
        """Create a workspace folder with the given model (default: the example model)."""
        path = Path(root)
        config_file = path / CONFIG_FILE
        if config_file.exists() and not exist_ok:
            raise LeadscoreError(f"{path} is already a leadscore workspace")
        if path.exists() and not path.is_dir():
            raise LeadscoreError(f"{path} exists and is not a folder")
        path.mkdir(parents=True, exist_ok=True)
        config = WorkspaceConfig(name=name or path.resolve().name)
        source = Path(model) if model else example_model_path()
        if not source.is_file():
            raise LeadscoreError(f"model file not found: {source}")
        from leadscore.model import load_model

        load_model(source)  # refuse to create a workspace around a broken model
        target = path / config.model
        if not target.exists() or model is not None:
            shutil.copyfile(source, target)
        config_file.write_text(config.to_toml(), encoding="utf-8")
        workspace = cls(path, config)
        with workspace.store() as store:
            store.init_schema()
        return workspace

    @classmethod
    def open(cls, root: str | Path) -> Workspace:
        path = Path(root)
        config_file = path / CONFIG_FILE
        if not config_file.is_file():
            raise LeadscoreError(
                f"{path} is not a leadscore workspace (no {CONFIG_FILE}); "
                f"create one with: leadscore init {path}"
            )
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise LeadscoreError(f"{config_file}: {exc}") from None
        section = data.get("workspace", {})
        unknown = set(section) - {"name", "model", "database"}
        if unknown:
            raise LeadscoreError(f"{config_file}: unknown keys in [workspace]: {sorted(unknown)}")
        config = WorkspaceConfig(
            name=str(section.get("name", path.resolve().name)),
            model=str(section.get("model", DEFAULT_MODEL_FILE)),
            database=str(section.get("database", DEFAULT_DB_FILE)),
        )
        return cls(path, config)

    @property
    def model_path(self) -> Path:
        return self.root / self.config.model

    @property
    def database_path(self) -> Path:
        return self.root / self.config.database

    def load_model(self) -> Model:
        """The workspace's scoring model: the published version when one has been published
        (with the service or `leadscore versions publish`), else the model file."""
        version = self.published_version()
        if version is not None:
            return version.load()
        from leadscore.model import load_model

        return load_model(self.model_path)

    def published_version(self) -> Version | None:
        from leadscore.service.versions import active_version

        if not self.database_path.exists():
            return None
        with self.store() as store:
            return active_version(store)

    @contextlib.contextmanager
    def store(self, read_only: bool = False) -> Iterator[DuckStore]:
        # DuckDB refuses a read-only and a read-write connection to one file in one process, so
        # connections are always read-write; ``read_only`` only skips creating the schema
        store = DuckStore(self.database_path)
        try:
            if not read_only:
                store.init_schema()
            yield store
        finally:
            store.close()
