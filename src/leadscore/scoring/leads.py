"""Read scored leads: the top of the list, one lead's breakdown (stored or recomputed as of T)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leadscore.compile.naming import score_col
from leadscore.errors import LeadscoreError
from leadscore.scoring.breakdown import KEYS, Breakdown, from_row, reasons_text
from leadscore.store.schema import SCORE_TABLES

if TYPE_CHECKING:
    from leadscore.model.spec import Model
    from leadscore.store.duckdb_store import DuckStore


def _require_scores(store: DuckStore, entity: str) -> str:
    table = SCORE_TABLES[entity]
    if not store.has_table(table):
        raise LeadscoreError(f"no {entity} have been scored yet; run: leadscore score")
    return table


def _filters(
    grade: list[str] | None, stage: list[str] | None, min_score: float | None
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if grade:
        clauses.append(f"grade IN ({', '.join('?' for _ in grade)})")
        params += grade
    if stage:
        clauses.append(f"stage IN ({', '.join('?' for _ in stage)})")
        params += stage
    if min_score is not None:
        clauses.append("total >= ?")
        params.append(min_score)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def scored_rows(
    store: DuckStore,
    entity: str = "contacts",
    grade: list[str] | None = None,
    stage: list[str] | None = None,
    min_score: float | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Stored score rows, best first, with optional filters."""
    table = _require_scores(store, entity)
    where, params = _filters(grade, stage, min_score)
    sql = f"SELECT * FROM {table}{where} ORDER BY total DESC, {KEYS[entity]}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return store.rows(sql, params)


def top_leads(
    store: DuckStore,
    model: Model,
    n: int = 10,
    grade: list[str] | None = None,
    stage: list[str] | None = None,
    min_score: float | None = None,
    entity: str = "contacts",
) -> list[dict[str, Any]]:
    """The best ``n`` scored leads with their scores, grade, stage and top reasons."""
    section = model.sections()[entity]
    out = []
    for row in scored_rows(store, entity, grade, stage, min_score, limit=n):
        breakdown = from_row(model, row, entity)
        item: dict[str, Any] = {
            KEYS[entity]: row[KEYS[entity]],
            "total": row["total"],
            **{name: row[score_col(name)] for name in section.scores},
            "grade": row["grade"],
            "stage": row["stage"],
        }
        if section.matrix is not None:
            item["matrix"] = row["matrix"]
        item["reasons"] = reasons_text(breakdown)
        out.append(item)
    return out


def stored_breakdown(
    store: DuckStore, model: Model, entity_id: str, entity: str = "contacts"
) -> Breakdown:
    """The breakdown kept by the last scoring run."""
    table = _require_scores(store, entity)
    rows = store.rows(f"SELECT * FROM {table} WHERE {KEYS[entity]} = ?", [entity_id])
    if not rows:
        raise LeadscoreError(f"no scored {entity[:-1]} with id '{entity_id}'")
    row = rows[0]
    if row.get("model_name") != model.name:
        raise LeadscoreError(
            f"the stored scores come from model '{row.get('model_name')}', not '{model.name}'; "
            "run leadscore score again"
        )
    return from_row(model, row, entity)


def breakdown_as_of(store: DuckStore, model: Model, contact_id: str, as_of_us: int) -> Breakdown:
    """Recompute one contact's breakdown as of T (only its own events are read)."""
    from leadscore.compile.contacts import compile_contacts

    compiled = compile_contacts(model, as_of_us, store.dialect, contact_ids=[contact_id])
    rows = store.rows(compiled.sql(store.dialect, pretty=False))
    if not rows:
        exists = store.scalar("SELECT count(*) FROM contacts WHERE contact_id = ?", [contact_id])
        if exists:
            raise LeadscoreError(f"contact '{contact_id}' did not exist yet at that time")
        raise LeadscoreError(f"no contact with id '{contact_id}'")
    row = rows[0]
    row["as_of_us"] = as_of_us
    return from_row(model, row)
