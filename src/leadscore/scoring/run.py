"""Score every contact (and account and deal) of a store as of a time T, and keep the result.

Scores land in the tables ``scores``, ``account_scores`` and ``deal_scores`` (one row per entity
with every named score, the total, grades, stage and the per-rule breakdown), and each run is
recorded in ``score_runs``.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from leadscore.store.base import count, with_constants
from leadscore.store.schema import SCORE_TABLES
from leadscore.timeutil import now_us

if TYPE_CHECKING:
    from leadscore.model.spec import Model
    from leadscore.store.base import Store
    from leadscore.store.workspace import Workspace


def model_hash(model: Model) -> str:
    """A short fingerprint of the model's content (not of its file's formatting)."""
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class ScoreRun:
    """What one scoring run did, for one kind of entity."""

    run_id: str
    entity: str
    table: str
    model_name: str
    model_hash: str
    as_of_us: int
    rows: int
    seconds: float
    grades: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        from leadscore.timeutil import iso

        return {
            "run_id": self.run_id,
            "entity": self.entity,
            "table": self.table,
            "model": self.model_name,
            "model_hash": self.model_hash,
            "as_of": iso(self.as_of_us),
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "grades": self.grades,
        }


def score_store(
    store: Store,
    model: Model,
    as_of_us: int | None = None,
    entities: tuple[str, ...] = ("contacts", "accounts", "deals"),
) -> list[ScoreRun]:
    """Score and persist; contacts first, then accounts and deals from the stored contact scores."""
    from leadscore.compile.contacts import compile_contacts
    from leadscore.compile.entities import compile_entity
    from leadscore.scoring import pending

    as_of = now_us() if as_of_us is None else as_of_us
    run_id = uuid.uuid4().hex[:12]
    digest = model_hash(model)
    runs: list[ScoreRun] = []
    sections = model.sections()
    for entity in ("contacts", "accounts", "deals"):
        if entity not in entities or entity not in sections:
            continue
        started = time.perf_counter()
        started_us = now_us()
        if entity == "contacts":
            compiled = compile_contacts(model, as_of, store.dialect)
        else:
            compiled = compile_entity(model, entity, as_of, store.dialect, contact_scores="scores")
        table = SCORE_TABLES[entity]
        extra = {
            "as_of_us": as_of,
            "model_name": model.name,
            "model_hash": digest,
            "run_id": run_id,
        }
        with store.transaction():
            store.create_table_as(table, with_constants(compiled.query, extra, store.dialect))
            if entity == "contacts":  # every event is read: none stays pending
                pending.clear(store)
            rows = count(store, table)
            store.execute(
                "INSERT INTO score_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, entity, model.name, digest, as_of, started_us, now_us(), rows],
            )
        grades = {
            str(r["grade"]): int(r["n"])
            for r in store.rows(
                f"SELECT grade, count(*) AS n FROM {table} GROUP BY grade ORDER BY 2 DESC"
            )
        }
        runs.append(
            ScoreRun(
                run_id=run_id,
                entity=entity,
                table=table,
                model_name=model.name,
                model_hash=digest,
                as_of_us=as_of,
                rows=rows,
                seconds=time.perf_counter() - started,
                grades=grades,
            )
        )
    return runs


def score_workspace(
    workspace: Workspace,
    model: Model | None = None,
    as_of_us: int | None = None,
    entities: tuple[str, ...] = ("contacts", "accounts", "deals"),
) -> list[ScoreRun]:
    """Score a workspace with its model (or ``model``) as of T (default: now)."""
    chosen = model or workspace.load_model()
    with workspace.store() as store:
        return score_store(store, chosen, as_of_us, entities)
