"""Keep stored scores current without recomputing everything.

- :func:`rescore_contacts`: new events or changed attributes for some contacts -> recompute
  exactly those contacts from their own events, read through the contact index (cost follows
  those contacts' events, not the size of the store; see :mod:`leadscore.scoring.slices`).
  With ``pending=True``, from each contact's stored score plus its pending events alone, where
  that is exact (cost follows the new events, not the contacts' history; see
  :mod:`leadscore.scoring.rescorer`).
- :func:`refresh`: time passes -> re-base every stored score to T in closed form, and recompute
  exactly only the contacts whose selected events changed since (an event left a window, a
  future-dated event came due, an inactivity span ran out) and contacts not scored yet, their
  events read through the contact index while they are few (cost follows the number of
  contacts).

Both give the same result as a full recompute from raw events (tested against the reference
evaluator). Both accept a hook that runs inside the same transaction as the score update, so
that history and alerts are written atomically with the scores they describe.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadscore.scoring.run import model_hash
from leadscore.store.base import count, with_constants

if TYPE_CHECKING:
    from sqlglot import exp

    from leadscore.compile.assemble import Compiled
    from leadscore.model.spec import Model
    from leadscore.store.base import Store

TABLE = "scores"
BEFORE = "_scores_before"
NEXT = "_scores_next"
EXACT = "_scores_exact"
EXACT_IDS = "_scores_exact_ids"
MOVED = "_scores_moved"
CHANGED = "_scores_changed"
# a row of CHANGED whose grade or stage moved
_MOVED = "old_grade IS DISTINCT FROM grade OR old_stage IS DISTINCT FROM stage"
# DuckDB re-bases the stored rows in place while the contacts to recompute are at most this
# share of them: updating the columns that move costs a fraction of writing every column anew,
# but the recomputed rows are deleted and inserted again, which a later checkpoint pays for.
# Measured on 1M contacts (docs/benchmarks.md, "Refresh in place"): faster with 0.1 % and 3.4 %
# of the contacts recomputed, no faster with 10 %, slower with 25 %
IN_PLACE_SHARE = 0.05


@dataclass(frozen=True)
class Change:
    """A lead whose score moved: old values (None when it was not scored before) and new."""

    contact_id: str
    old_grade: str | None
    new_grade: str | None
    old_stage: str | None
    new_stage: str | None
    old_total: float | None
    new_total: float

    @property
    def grade_changed(self) -> bool:
        return self.old_grade != self.new_grade or self.old_stage != self.new_stage


@dataclass
class Update:
    as_of_us: int
    rescored: int = 0
    # rescore: how many of the rescored contacts took their stored score plus their new events
    # (the others were recomputed from all their events)
    merged: int = 0
    rebased: int = 0
    seconds: float = 0.0
    # rescore: every rescored contact whose total, grade or stage moved;
    # refresh: every contact whose grade or stage changed
    changes: list[Change] = field(default_factory=list)
    # refresh only: the contacts that are new, or whose grade or stage changed, or whose total
    # crossed a whole point, with their new and old total, grade and stage (contact_id, total,
    # grade, stage, old_total, old_grade, old_stage, is_new), readable by the hook (dropped
    # afterwards)
    changed_table: str | None = None
    # where the hook reads the new rows of the changed contacts
    after_table: str = TABLE


Hook = Callable[["Store", Update], None]


def score_constants(model: Model, as_of_us: int, run_id: str) -> dict[str, Any]:
    return {
        "as_of_us": as_of_us,
        "model_name": model.name,
        "model_hash": model_hash(model),
        "run_id": run_id,
    }


def _require_same_model(store: Store, model: Model) -> None:
    from leadscore.errors import LeadscoreError

    hashes = {r["model_hash"] for r in store.rows(f"SELECT DISTINCT model_hash FROM {TABLE}")}
    if hashes - {model_hash(model)}:
        raise LeadscoreError(
            "the stored scores come from another model version; run a full score first"
        )


def layout_is_current(store: Store, model: Model) -> bool:
    """Whether the stored scores have every column this version of leadscore writes for
    ``model`` (a workspace scored by an older version may lack some: then score it in full)."""
    from leadscore.compile.contacts import compile_contacts

    wanted = set(compile_contacts(model, 0, store.dialect).columns)
    return wanted <= set(store.columns(TABLE))


def _full(store: Store, model: Model, as_of_us: int) -> Update:
    from leadscore.scoring.run import score_store

    score_store(store, model, as_of_us, entities=("contacts",))
    return Update(as_of_us=as_of_us, rescored=count(store, TABLE))


def rescore_contacts(
    store: Store,
    model: Model,
    contact_ids: Sequence[str],
    as_of_us: int,
    run_id: str = "rt",
    hook: Hook | None = None,
    check_model: bool = True,
    pending: bool = False,
) -> Update:
    """Recompute ``contact_ids`` exactly at T and store them (other rows are untouched).
    ``pending``: from each contact's stored score plus its pending events (those stored with a
    copy in ``pending_events``, see :mod:`leadscore.scoring.pending`) where that is exact, else
    from all its events; the same result either way."""
    from leadscore.scoring.rescorer import Rescorer

    if not contact_ids:
        return Update(as_of_us=as_of_us)
    if not store.has_table(TABLE):
        return _full(store, model, as_of_us)
    if check_model:
        _require_same_model(store, model)
        if not layout_is_current(store, model):
            return _full(store, model, as_of_us)
    rescorer = Rescorer(model, store.dialect, run_id, merge=pending, reuse=False)
    return rescorer.run(store, contact_ids, as_of_us, hook)


def changes_from(store: Store, new: str, old: str, ordered: bool = True) -> list[Change]:
    """The rows of table ``new`` whose total, grade or stage differ from the same contact's row
    in table ``old`` (or that are new there), as :class:`Change` (by contact id when
    ``ordered``); both tables have ``contact_id``, ``total``, ``grade``, ``stage``. Compared in
    the database, so only the changes come back."""
    return _read_changes(
        store,
        "SELECT n.contact_id, o.grade AS og, n.grade AS ng, o.stage AS os, n.stage AS ns, "
        f"o.total AS ot, n.total AS nt FROM {new} n "
        f"LEFT JOIN {old} o ON o.contact_id = n.contact_id "
        "WHERE o.total IS DISTINCT FROM n.total OR o.grade IS DISTINCT FROM n.grade "
        "OR o.stage IS DISTINCT FROM n.stage" + (" ORDER BY n.contact_id" if ordered else ""),
    )


def _read_changes(store: Store, sql: str) -> list[Change]:
    """The :class:`Change` of each row of ``sql``, which selects ``contact_id`` and the old and
    new grade, stage and total as ``og``, ``ng``, ``os``, ``ns``, ``ot``, ``nt``."""
    return [
        Change(r["contact_id"], r["og"], r["ng"], r["os"], r["ns"], r["ot"], r["nt"])
        for r in store.rows(sql)
    ]


def _exact_part(
    store: Store, model: Model, as_of_us: int, ids: exp.Query
) -> tuple[Compiled, list[str]]:
    """The query recomputing the contacts that ``ids`` selects, and their ids: through the
    slice tables when they are few (their events looked up by index), else reading the ids
    from a temporary table (one scan of the events beats many thousands of lookups)."""
    from sqlglot import exp

    from leadscore.compile.contacts import compile_contacts
    from leadscore.compile.dialects import get_dialect
    from leadscore.scoring import slices

    store.create_table_as(EXACT_IDS, get_dialect(store.dialect).sql(ids), temp=True)
    listed = [str(r["contact_id"]) for r in store.rows(f"SELECT contact_id FROM {EXACT_IDS}")]
    if len(listed) <= slices.LOOKUP_MAX:
        sources = slices.fill(store, listed)
        return compile_contacts(model, as_of_us, store.dialect, sources=sources), listed
    listing = exp.select("contact_id").from_(EXACT_IDS)
    return compile_contacts(model, as_of_us, store.dialect, contact_ids=listing), listed


def _in_place(store: Store, exact: int) -> bool:
    """Whether to re-base the stored rows in place (DuckDB, few contacts to recompute)."""
    return store.dialect == "duckdb" and exact <= IN_PLACE_SHARE * count(store, TABLE)


def _rebase_in_place(
    store: Store,
    update: Update,
    changed: list[str],
    rebased: str,
    exact: tuple[list[str], str],
    kept: exp.Expr,
) -> None:
    """Re-base the stored rows where they are and replace the others' (DuckDB): an update of
    the columns that move costs a fraction of writing the whole table again."""
    columns, exact_rows = exact
    store.create_table_as(EXACT, exact_rows, temp=True)  # first: it reads the stored rows
    store.create_table_as(BEFORE, f"SELECT contact_id, total, grade, stage FROM {TABLE}", temp=True)
    store.execute(f"DELETE FROM {TABLE} AS s WHERE NOT ({kept.sql(dialect=store.dialect)})")
    assignments = ", ".join(f"{c} = r.{c}" for c in changed)
    store.execute(
        f"UPDATE {TABLE} SET {assignments} FROM ({rebased}) AS r "
        f"WHERE {TABLE}.contact_id = r.contact_id"
    )
    update.rebased = count(store, TABLE)
    store.insert_select(TABLE, columns, f"SELECT * FROM {EXACT}")
    update.rescored = count(store, EXACT)
    store.drop_table(EXACT)


def _replace(
    store: Store, update: Update, rebased: str, columns: list[str], exact_rows: str
) -> None:
    """Write the scores at T as a new table and keep the previous one as ``BEFORE``."""
    store.create_table_as(NEXT, rebased)
    update.rebased = count(store, NEXT)
    store.insert_select(NEXT, columns, exact_rows)
    update.rescored = count(store, NEXT) - update.rebased
    store.rename_table(TABLE, BEFORE)
    store.rename_table(NEXT, TABLE)


def refresh(
    store: Store,
    model: Model,
    as_of_us: int,
    run_id: str = "refresh",
    hook: Hook | None = None,
    check_model: bool = True,
) -> Update:
    """Bring every stored contact score to T (see the module docstring)."""
    from sqlglot import exp

    from leadscore.compile.incremental import compile_rebase, rebase_copies, rebaseable
    from leadscore.scoring import pending

    started = time.perf_counter()
    if not store.has_table(TABLE):
        return _full(store, model, as_of_us)
    if check_model:
        _require_same_model(store, model)
        if not layout_is_current(store, model):
            return _full(store, model, as_of_us)
    constants = score_constants(model, as_of_us, run_id)
    rebase = compile_rebase(model, TABLE, as_of_us, store.dialect)
    keep = (
        exp.select(exp.column("contact_id", "s"))
        .from_(exp.alias_(exp.to_table(TABLE), "s", table=True))
        .where(rebaseable(TABLE, as_of_us))
    )
    exact_ids = exp.select("contact_id").from_("contacts").except_(keep)
    update = Update(as_of_us=as_of_us, changed_table=CHANGED)
    with store.transaction():
        exact, listed = _exact_part(store, model, as_of_us, exact_ids)
        pending.clear(store, listed)  # their events are read: none stays pending
        rebased = with_constants(rebase.query, constants, store.dialect)
        exact_rows = with_constants(exact.query, constants, store.dialect)
        store.drop_table(BEFORE)
        if _in_place(store, len(listed)):
            copies = rebase_copies(model)
            changed = [c for c in rebase.columns if c not in copies]
            _rebase_in_place(
                store,
                update,
                [*changed, *constants],
                rebased,
                ([*exact.columns, *constants], exact_rows),
                rebaseable(TABLE, as_of_us),
            )
        else:
            _replace(store, update, rebased, [*exact.columns, *constants], exact_rows)
        # what changed, in one join of the new rows with the old (the hook's history reads
        # it), then the new rows of the leads whose grade or stage moved (its alerts)
        pairs = (
            "SELECT n.contact_id, n.total, n.grade, n.stage, o.total AS old_total, "
            "o.grade AS old_grade, o.stage AS old_stage, o.contact_id IS NULL AS is_new "
            f"FROM {TABLE} n LEFT JOIN {BEFORE} o ON o.contact_id = n.contact_id"
        )
        store.create_table_as(
            CHANGED,
            f"SELECT * FROM ({pairs}) p "
            f"WHERE is_new OR {_MOVED} OR floor(old_total) <> floor(total)",
            temp=True,
        )
        moved = f"SELECT contact_id FROM {CHANGED} WHERE {_MOVED}"
        store.create_table_as(
            MOVED,
            f"SELECT n.* FROM {TABLE} n JOIN ({moved}) c ON c.contact_id = n.contact_id",
            temp=True,
        )
        update.changes = _read_changes(
            store,
            "SELECT contact_id, old_grade AS og, grade AS ng, old_stage AS os, stage AS ns, "
            f"old_total AS ot, total AS nt FROM {CHANGED} WHERE {_MOVED} "
            "ORDER BY contact_id",
        )
        update.after_table = MOVED
        if hook is not None:
            hook(store, update)
        for table in (BEFORE, EXACT_IDS, MOVED, CHANGED):
            store.drop_table(table)
    update.changed_table = None
    update.after_table = TABLE
    update.seconds = time.perf_counter() - started
    return update
