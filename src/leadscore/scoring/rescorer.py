"""Rescore a few contacts now: from their new events alone where that is exact, else from all
their events.

:class:`Rescorer` holds one model's two queries, compiled and rendered once with a placeholder
time (compiling and rendering the example model takes 0.2 to 1.4 s of Python, too much for each
micro-batch of the service):

- **merge** (``merge=True``; the caller keeps :mod:`leadscore.scoring.pending`): a contact's
  stored score, re-based to T, plus the results of its pending events alone
  (:func:`leadscore.compile.incremental.compile_merge`). Its cost follows the new events, not
  the contact's history: neither its old events nor anything of other contacts is read.
- **exact**: the contact recomputed from all its events, read through the contact index
  (:mod:`leadscore.scoring.slices`), for contacts without a stored score, rows that cannot be
  merged exactly, and every contact when ``merge`` is off.

Which is cheaper: on DuckDB either query costs 50 to 100 ms however few contacts it scores
(parsing, planning and running some twenty stages), and the merge query is the larger, while
reading a contact's events through the index costs little until histories are long
(``benchmarks/bench_history.py``: 10 contacts with 18,800 events each cost about the same
either way). So the service merges only contacts whose stored score counts at least
``merge_from`` selected events.

Both write in one transaction with the pending rows' deletion and the caller's hook (history,
alerts), so that a crash leaves either the old score and its pending events or the new score.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadscore.store.base import IN_LIST

if TYPE_CHECKING:
    from leadscore.compile.assemble import Compiled
    from leadscore.model.spec import Model
    from leadscore.scoring.incremental import Hook, Update
    from leadscore.store.base import Store

# times no score is ever computed as of (years 2100 and 2101), rendered into the queries and
# then replaced by the real time
PLACEHOLDERS_US = (4_102_444_800_000_123, 4_133_980_800_000_457)
SCORES = "scores"
OLD = "_rescore_old"  # the stored grades and totals of the contacts being rescored
STATE = "_rescore_state"  # the whole stored rows of the contacts to merge
NEW = "_rescore_new"  # their new rows, merged or recomputed


Render = Callable[[int], tuple[str, list[str]]]


@dataclass(frozen=True)
class Template:
    """A query rendered once with a placeholder time whose digits :meth:`at` replaces; when the
    time is not only a literal of the rendered text (checked by rendering at two
    placeholders), every call renders it again."""

    render: Render
    text: str
    placeholder: re.Pattern[str] | None

    @classmethod
    def of(cls, render: Render) -> Template:
        (text, _), (other, _) = (render(p) for p in PLACEHOLDERS_US)
        first, second = (re.compile(rf"(?<![0-9.]){p}(?![0-9.])") for p in PLACEHOLDERS_US)
        found = first.search(text) and not second.search(text)
        if found and first.sub(str(PLACEHOLDERS_US[1]), text) == other:
            return cls(render, text, first)
        return cls(render, "", None)

    def at(self, as_of_us: int) -> str:
        if self.placeholder is None:
            return self.render(as_of_us)[0]
        return self.placeholder.sub(str(int(as_of_us)), self.text)


class Rescorer:
    """Rescore contacts with one model (see the module docstring). ``reuse``: render each query
    once for every later call (the service's scorer); else once per call. ``merge_from``: merge
    only contacts whose stored score counts at least this many selected events (0: every
    contact with a stored score); the others are recomputed from their events."""

    def __init__(
        self,
        model: Model,
        dialect: str,
        run_id: str,
        merge: bool = False,
        reuse: bool = True,
        merge_from: int = 0,
    ):
        self.model = model
        self.dialect = dialect
        self.run_id = run_id
        self.merge = merge
        self.merge_from = merge_from
        self.reuse = reuse
        self._templates: dict[str, Template] = {}
        self._names: list[str] = []  # the output columns (the same for both queries)
        self._pending: bool | None = None  # whether the store has the pending table

    def _query(self, name: str, as_of_us: int) -> str:
        render = self._render_merge if name == "merge" else self._render_exact
        if not self.reuse:
            return render(as_of_us)[0]
        if name not in self._templates:
            self._templates[name] = Template.of(render)
        return self._templates[name].at(as_of_us)

    # ------------------------------------------------------------------ queries
    def _render_exact(self, as_of_us: int) -> tuple[str, list[str]]:
        from leadscore.compile.contacts import compile_contacts
        from leadscore.scoring import slices

        compiled = compile_contacts(self.model, as_of_us, self.dialect, sources=slices.SOURCES)
        return self._with_constants(compiled, as_of_us)

    def _render_merge(self, as_of_us: int) -> tuple[str, list[str]]:
        from leadscore.compile.contacts import compile_contacts
        from leadscore.compile.incremental import compile_merge
        from leadscore.compile.sources import Sources
        from leadscore.scoring import pending, slices

        delta = compile_contacts(
            self.model,
            as_of_us,
            self.dialect,
            sources=Sources(contacts=slices.CONTACTS, events=pending.DELTA_EVENTS),
            gate_min_count=False,
            rules_only=True,
        )
        compiled = compile_merge(self.model, STATE, delta.query, as_of_us, self.dialect)
        return self._with_constants(compiled, as_of_us)

    def _with_constants(self, compiled: Compiled, as_of_us: int) -> tuple[str, list[str]]:
        from leadscore.scoring.incremental import score_constants
        from leadscore.store.base import with_constants

        constants = score_constants(self.model, as_of_us, self.run_id)
        text = with_constants(compiled.query, constants, self.dialect)
        self._names = [*compiled.columns, *constants]
        return text, self._names

    def _history(self) -> str:
        """SQL of how many selected events a stored score counts (its event rules' matches)."""
        from leadscore.compile.naming import rule_col
        from leadscore.model.spec import AttributeRule

        counts = [
            f"coalesce({rule_col(rule.id, 'matched')}, 0)"
            for _score, rule in self.model.rules
            if not isinstance(rule, AttributeRule)
        ]
        return " + ".join(counts) or "0"

    def _read_old(self, store: Store, ids: list[str]) -> list[str]:
        """Copy the stored grades and totals of ``ids`` into :data:`OLD`, and the whole rows of
        the contacts to merge into :data:`STATE`; return the latter: with ``merge``, those
        whose stored score counts at least ``merge_from`` selected events."""
        picked = f"contact_id, grade, stage, total, {self._history()} AS history"
        store.create_table_as(OLD, f"SELECT {picked} FROM {SCORES} WHERE 1 = 0", temp=True)
        store.execute(
            f"INSERT INTO {OLD} SELECT {picked} FROM {SCORES} WHERE contact_id IN {IN_LIST}",
            [ids],
        )
        if not self.merge:
            return []
        heavy = [
            str(r["contact_id"])
            for r in store.rows(
                f"SELECT contact_id FROM {OLD} WHERE history >= ? ORDER BY contact_id",
                [self.merge_from],
            )
        ]
        if heavy:
            store.create_table_as(STATE, f"SELECT * FROM {SCORES} WHERE 1 = 0", temp=True)
            store.execute(
                f"INSERT INTO {STATE} SELECT * FROM {SCORES} WHERE contact_id IN {IN_LIST}",
                [heavy],
            )
        return heavy

    # ------------------------------------------------------------------ running
    def run(
        self, store: Store, contact_ids: Sequence[str], as_of_us: int, hook: Hook | None = None
    ) -> Update:
        """Rescore ``contact_ids`` at T in one transaction; ``hook`` runs inside it."""
        from leadscore.scoring import pending, slices
        from leadscore.scoring.incremental import Update, changes_from

        started = time.perf_counter()
        update = Update(as_of_us=as_of_us)
        ids = sorted(set(contact_ids))
        if not ids:
            return update
        with store.transaction():
            heavy = self._read_old(store, ids)
            merged: set[str] = set()
            if heavy:
                slices.fill(store, heavy, events=False)
                pending.fill_delta(store, heavy)
                store.create_table_as(NEW, self._query("merge", as_of_us), temp=True)
                merged = {str(r["contact_id"]) for r in store.rows(f"SELECT contact_id FROM {NEW}")}
                update.merged = len(merged)
            exact = [i for i in ids if i not in merged]
            if exact:
                slices.fill(store, exact)
                sql = self._query("exact", as_of_us)
                if heavy:
                    store.insert_select(NEW, self._names, sql)
                else:
                    store.create_table_as(NEW, sql, temp=True)
            store.execute(f"DELETE FROM {SCORES} WHERE contact_id IN {IN_LIST}", [ids])
            columns = ", ".join(self._names)
            store.execute(f"INSERT INTO {SCORES} ({columns}) SELECT {columns} FROM {NEW}")
            if self._pending is None:
                self._pending = store.has_table(pending.TABLE)
            if self._pending:
                pending.clear(store, ids, known=True)
            update.changes = changes_from(store, NEW, OLD)
            update.rescored = len(ids)
            update.after_table = NEW  # the new rows alone: no scan of every score
            if hook is not None:
                hook(store, update)
        update.seconds = time.perf_counter() - started
        return update
