"""Model versions kept in the workspace database: drafts, the published one, retired ones.

Version numbers only grow. Publishing makes a version the active one (the previous becomes
retired); rolling back publishes an older version's YAML again as a new version, so the history
reads in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.timeutil import now_us

if TYPE_CHECKING:
    from leadscore.model.spec import Model
    from leadscore.store.base import Store

DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"


@dataclass(frozen=True)
class Version:
    version: int
    name: str
    yaml: str
    model_hash: str
    status: str
    note: str | None
    created_at_us: int
    published_at_us: int | None

    def load(self) -> Model:
        from leadscore.model import load_model_text

        return load_model_text(self.yaml, file=f"version {self.version}")

    def as_dict(self, with_yaml: bool = True) -> dict[str, Any]:
        from leadscore.timeutil import iso

        out: dict[str, Any] = {
            "version": self.version,
            "name": self.name,
            "status": self.status,
            "model_hash": self.model_hash,
            "note": self.note,
            "created_at": iso(self.created_at_us),
            "published_at": iso(self.published_at_us) if self.published_at_us else None,
        }
        if with_yaml:
            out["yaml"] = self.yaml
        return out


def _version(row: dict[str, Any]) -> Version:
    return Version(**{k: row[k] for k in Version.__dataclass_fields__})


def list_versions(store: Store) -> list[Version]:
    return [_version(r) for r in store.rows("SELECT * FROM model_versions ORDER BY version")]


def get_version(store: Store, version: int) -> Version:
    rows = store.rows("SELECT * FROM model_versions WHERE version = ?", [version])
    if not rows:
        raise LeadscoreError(f"no model version {version}")
    return _version(rows[0])


def active_version(store: Store) -> Version | None:
    rows = store.rows(
        "SELECT * FROM model_versions WHERE status = ? ORDER BY version DESC LIMIT 1", [PUBLISHED]
    )
    return _version(rows[0]) if rows else None


def create_version(store: Store, yaml_text: str, note: str | None = None) -> Version:
    """Store a draft after validating it (raises :class:`ModelError` with every problem)."""
    from leadscore.model import load_model_text
    from leadscore.scoring.run import model_hash

    model = load_model_text(yaml_text, file="draft")
    number = int(store.scalar("SELECT coalesce(max(version), 0) + 1 FROM model_versions"))
    store.execute(
        "INSERT INTO model_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [number, model.name, yaml_text, model_hash(model), DRAFT, note, now_us(), None],
    )
    return get_version(store, number)


def mark_published(store: Store, version: int, at_us: int) -> None:
    """Make ``version`` the published one (call inside the transaction that rescored)."""
    store.execute(
        "UPDATE model_versions SET status = ? WHERE status = ? AND version <> ?",
        [RETIRED, PUBLISHED, version],
    )
    store.execute(
        "UPDATE model_versions SET status = ?, published_at_us = ? WHERE version = ?",
        [PUBLISHED, at_us, version],
    )
