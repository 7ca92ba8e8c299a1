"""Predictive scores next to the rule scores, when the workspace has them (the API and the
web app read them here).

They come from the ``predictions`` table that ``leadscore.predict`` writes (one row per contact:
``probability``, ``score`` 0-100, ``model_id``, ``as_of_us``) and, for a lead's top factors, from
``leadscore.predict.explain_contact`` (the package's public API) with the trained model kept in
the workspace folder. Everything here degrades to "not available": no table, no predict
module, no folder, or a model that cannot be loaded never breaks a page.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadscore.timeutil import iso

if TYPE_CHECKING:
    from leadscore.store.base import Store

log = logging.getLogger("leadscore.service")

TABLE = "predictions"
COLUMNS = ("contact_id", "probability", "score", "model_id", "as_of_us")
INDEX = "predictions_contact"  # the name leadscore.predict gives it (scoring.PREDICTIONS_INDEX)
FACTORS = 3
CACHE_SIZE = 256


def module_available() -> bool:
    try:
        return importlib.util.find_spec("leadscore.predict") is not None
    except ModuleNotFoundError:  # pragma: no cover - leadscore.predict itself missing
        return False


def available(store: Store) -> bool:
    """Whether this workspace has predictive scores to show: a ``predictions`` table with the
    columns read here (one written by another version of ``leadscore.predict`` with other
    columns counts as none, rather than breaking the pages)."""
    rows = store.rows(  # no rows: no such table
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = ? AND table_schema = current_schema()",
        [TABLE],
    )
    return set(COLUMNS) <= {str(r["column_name"]) for r in rows}


def has_index(store: Store) -> bool:
    """Whether :data:`INDEX` exists on the predictions table."""
    if store.dialect == "duckdb":
        sql = (
            "SELECT count(*) FROM duckdb_indexes() WHERE table_name = ? AND index_name = ? "
            "AND schema_name = current_schema()"
        )
    else:
        sql = (
            "SELECT count(*) FROM pg_indexes WHERE tablename = ? AND indexname = ? "
            "AND schemaname = current_schema()"
        )
    return bool(store.scalar(sql, [TABLE, INDEX]))


def ready(store: Store) -> bool:
    """:func:`available`, and the predictions indexed by contact, so that a page's lookup of
    its leads' predictive scores reads a few rows instead of the whole table. The predict
    package writes the index with every run; a table written without it (by an older
    version) gets it from the first page (about 2 s for a million rows). Without the index (it
    could not be built) pages still work, only slower."""
    if not available(store):
        return False
    if not has_index(store):
        try:
            store.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} (contact_id)")
        except Exception as exc:  # an optimisation only: never break a page for it
            log.warning("could not index the predictive scores by contact: %s", exc)
    return True


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "score": int(row["score"]),
        "probability": float(row["probability"]),
        "model_id": str(row["model_id"]),
        "as_of": iso(int(row["as_of_us"])),
    }


def for_contacts(store: Store, contact_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored predictive score of each of ``contact_ids`` that has one (ask only when
    :func:`ready` said yes: the check costs a query, and a request makes it once)."""
    if not contact_ids:
        return {}
    rows = store.rows(
        f"SELECT contact_id, probability, score, model_id, as_of_us FROM {TABLE} "
        "WHERE contact_id = ANY(?)",
        [list(contact_ids)],
    )
    return {str(r["contact_id"]): _view(r) for r in rows}


def as_of_us(store: Store, contact_id: str) -> tuple[str, int] | None:
    rows = store.rows(f"SELECT model_id, as_of_us FROM {TABLE} WHERE contact_id = ?", [contact_id])
    return (str(rows[0]["model_id"]), int(rows[0]["as_of_us"])) if rows else None


class Explainer:
    """A lead's top predictive factors, with the trained models of one workspace folder.

    Models are loaded once; explanations are kept for the last :data:`CACHE_SIZE` leads (they
    cost a feature rebuild of the lead, up to a second on a large workspace).
    """

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._models: dict[str, Any] = {}
        self._cache: OrderedDict[tuple[str, str, int], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def _model(self, model_id: str) -> Any:
        from leadscore.predict.registry import load_model

        with self._lock:
            found = self._models.get(model_id)
        if found is None:
            assert self.folder is not None
            found = load_model(self.folder, model_id)
            with self._lock:
                self._models[model_id] = found
        return found

    def explain(self, store: Store, contact_id: str) -> dict[str, Any]:
        """``{"available": bool, "reason": str | None, "factors": {...} | None}``."""
        if not available(store):
            return _missing("no predictive scores yet (run: leadscore predict)")
        if not module_available():
            return _missing("predictive scoring is not installed")
        found = as_of_us(store, contact_id)
        if found is None:
            return _missing("this lead has no predictive score yet")
        if self.folder is None:
            return _missing("the trained model is not reachable from this server")
        model_id, at = found
        key = (model_id, contact_id, at)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        try:
            from leadscore.predict import explain_contact

            explanation = explain_contact(store, self._model(model_id), contact_id, at, FACTORS)
        except Exception as exc:  # a missing or incompatible model must not break the page
            log.warning("no predictive factors for %s: %s", contact_id, exc)
            return _missing(f"the factors could not be computed ({exc})")
        out = {"available": True, "reason": None, "explanation": explanation.as_dict()}
        with self._lock:
            self._cache[key] = out
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return out


def folder_of(name: str, folders: Sequence[str]) -> Path | None:
    """The served workspace folder named ``name`` (where its trained models are), or None."""
    from leadscore.errors import LeadscoreError
    from leadscore.store.workspace import Workspace

    for folder in folders:
        try:
            if Workspace.open(folder).config.name == name:
                return Path(folder)
        except LeadscoreError:
            continue
    return None


def _missing(reason: str) -> dict[str, Any]:
    return {"available": False, "reason": reason, "explanation": None}
