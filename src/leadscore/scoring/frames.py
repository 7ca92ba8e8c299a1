"""Score pandas DataFrames: the notebook API.

    scored = score_frames("model.yaml", contacts_df, events_df, as_of="2025-06-30")
    for b in breakdowns(model, scored.head(3)):
        print(b.id, reasons_text(b))

Rows are read with the same rules as file imports (:mod:`leadscore.store.imports.rows`), loaded
into an in-memory DuckDB store and scored by the compiled query, so a DataFrame scores exactly
as the same rows imported into a workspace would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.scoring.breakdown import KEYS, Breakdown, from_row

if TYPE_CHECKING:
    import pandas as pd

    from leadscore.model.spec import Model
    from leadscore.records import Account, Contact, Deal, Event
    from leadscore.store.duckdb_store import DuckStore

MAX_LISTED = 20


@dataclass(frozen=True)
class FrameProblem:
    frame: str
    index: Any
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.frame} row {self.index!r}: {self.field}: {self.reason} (got {self.value})"


class FrameRowsError(LeadscoreError):
    """Rows of the DataFrames that cannot be scored; ``problems`` lists every one."""

    def __init__(self, problems: list[FrameProblem]):
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:MAX_LISTED])
        more = (
            f"\n  ... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        )
        n = len(problems)
        super().__init__(f"{n} row{'s' if n != 1 else ''} cannot be scored:\n{shown}{more}")


def _model(model: Model | str | Path) -> Model:
    from leadscore.model import load_model
    from leadscore.model.spec import Model

    return model if isinstance(model, Model) else load_model(model)


def _as_of_us(as_of: Any) -> int:
    from leadscore.store.imports.rows import RowError, timestamp_us
    from leadscore.timeutil import MAX_TS_US, now_us

    if as_of is None:
        return now_us()
    if isinstance(as_of, int) and not isinstance(as_of, bool):
        if not 0 <= as_of <= MAX_TS_US:
            raise LeadscoreError(f"as_of: {as_of} epoch microseconds is out of range")
        return as_of
    if not isinstance(as_of, (str, date)):
        raise LeadscoreError(f"as_of: {as_of!r} is not a time")
    try:
        return timestamp_us("as_of", as_of)
    except RowError as exc:
        raise LeadscoreError(str(exc)) from None


def _read(
    frame: pd.DataFrame | None,
    name: str,
    parse: Callable[[Mapping[str, Any], int], Any],
    now: int,
    problems: list[FrameProblem],
) -> list[Any]:
    from leadscore.store.imports.rows import RowError, show

    if frame is None:
        return []
    out = []
    columns = [str(c) for c in frame.columns]
    for index, values in zip(frame.index, frame.itertuples(index=False, name=None), strict=True):
        fields = dict(zip(columns, values, strict=True))
        try:
            out.append(parse(fields, now))
        except RowError as exc:
            problems.append(FrameProblem(name, index, exc.field, show(exc.value), exc.reason))
    return out


def _unique(
    records: list[Any], key: str, name: str, index: list[Any], problems: list[FrameProblem]
) -> None:
    first: dict[str, Any] = {}
    for record, label in zip(records, index, strict=True):
        value = getattr(record, key)
        if value in first:
            problems.append(
                FrameProblem(
                    name, label, key, repr(value), f"repeats the id of row {first[value]!r}"
                )
            )
        else:
            first[value] = label


def _load(
    contacts: list[Contact],
    events: list[Event],
    accounts: list[Account],
    deals: list[Deal],
    now: int,
) -> DuckStore:
    from leadscore.records import accounts_table, contacts_table, deals_tables, events_table
    from leadscore.store.duckdb_store import DuckStore

    store = DuckStore()
    store.init_schema()
    unique_events = list({e.event_id: e for e in reversed(events)}.values())
    store.append_arrow("contacts", contacts_table(contacts, now))
    store.append_arrow("events", events_table(unique_events, now))
    store.append_arrow("accounts", accounts_table(accounts, now))
    deals_t, links_t = deals_tables(deals, now)
    store.append_arrow("deals", deals_t)
    store.append_arrow("deal_contacts", links_t)
    return store


def _frame(store: DuckStore, sql: str, key: str, order: list[str], as_of_us: int) -> pd.DataFrame:
    frame = store.con.execute(sql).df()
    position = {value: i for i, value in enumerate(order)}
    frame = frame.iloc[frame[key].map(position).argsort(kind="stable")].reset_index(drop=True)
    frame["as_of_us"] = as_of_us
    return frame


def score_frames(
    model: Model | str | Path,
    contacts: pd.DataFrame,
    events: pd.DataFrame | None = None,
    as_of: Any = None,
    *,
    accounts: pd.DataFrame | None = None,
    deals: pd.DataFrame | None = None,
) -> pd.DataFrame | dict[str, pd.DataFrame]:
    """Score contacts (and their events) as of a time (default: now).

    Returns one row per contact that exists at ``as_of``, in the order of ``contacts``, with every
    output column of the compiled query: each named score, ``total``, the grades, ``grade``,
    ``stage``, ``matrix`` and the per-rule breakdown columns, plus ``as_of_us``. When ``accounts``
    or ``deals`` are given, returns ``{"contacts": ..., "accounts": ..., "deals": ...}`` (the
    entities the model scores and the frames given).

    Columns follow the import rules (docs/importing.md); bad rows raise one
    :class:`FrameRowsError` listing them. Events without ``event_id`` that are identical count once.
    """
    from leadscore.compile.contacts import compile_contacts
    from leadscore.compile.entities import compile_entity
    from leadscore.store.imports import rows
    from leadscore.timeutil import now_us

    loaded = _model(model)
    as_of_us = _as_of_us(as_of)
    now = now_us()
    sections = loaded.sections()
    for entity, frame in (("accounts", accounts), ("deals", deals)):
        if frame is not None and entity not in sections:
            raise LeadscoreError(f"the model '{loaded.name}' has no {entity} section")
    problems: list[FrameProblem] = []
    contact_rows = _read(contacts, "contacts", rows.contact_from_fields, now, problems)
    event_rows = _read(events, "events", rows.event_from_fields, now, problems)
    account_rows = _read(accounts, "accounts", rows.account_from_fields, now, problems)
    deal_rows = _read(deals, "deals", rows.deal_from_fields, now, problems)
    if not problems:
        for records, frame, name in (
            (contact_rows, contacts, "contacts"),
            (account_rows, accounts, "accounts"),
            (deal_rows, deals, "deals"),
        ):
            if frame is not None:
                _unique(records, KEYS[name], name, list(frame.index), problems)
    if problems:
        raise FrameRowsError(problems)
    store = _load(contact_rows, event_rows, account_rows, deal_rows, now)
    try:
        compiled = compile_contacts(loaded, as_of_us, store.dialect)
        # kept as a table: account and deal roll-ups read the contact scores from it
        store.con.execute(f"CREATE TABLE scores AS {compiled.sql(store.dialect, pretty=False)}")
        order = [c.contact_id for c in contact_rows]
        scored = _frame(store, "SELECT * FROM scores", "contact_id", order, as_of_us)
        if accounts is None and deals is None:
            return scored
        out = {"contacts": scored}
        for entity, records in (("accounts", account_rows), ("deals", deal_rows)):
            if (
                entity not in sections
                or (entity == "accounts" and accounts is None)
                or (entity == "deals" and deals is None)
            ):
                continue
            query = compile_entity(loaded, entity, as_of_us, store.dialect, contact_scores="scores")
            ids = [getattr(r, KEYS[entity]) for r in records]
            out[entity] = _frame(
                store, query.sql(store.dialect, pretty=False), KEYS[entity], ids, as_of_us
            )
        return out
    finally:
        store.close()


def breakdowns(
    model: Model | str | Path, scored: pd.DataFrame, entity: str | None = None
) -> list[Breakdown]:
    """The breakdown of every row of a frame returned by :func:`score_frames`."""
    from leadscore.store.imports.rows import is_missing

    loaded = _model(model)
    if entity is None:
        entity = next(
            (e for e in ("contacts", "deals", "accounts") if KEYS[e] in scored.columns),
            "contacts",
        )
    out = []
    for record in scored.to_dict("records"):
        row = {str(k): v for k, v in record.items()}
        for name in ("grade", "stage", "matrix"):
            if name in row and is_missing(row[name]):
                row[name] = None
        out.append(from_row(loaded, row, entity))
    return out
