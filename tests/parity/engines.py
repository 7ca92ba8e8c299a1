"""Run a batch of generated cases (model, data, T) on DuckDB, PostgreSQL and Spark.

Spark pays seconds of planning per query, so its cases run as one job: every case's data sits in
one table per noun with a ``case_id`` column, each case reads its own rows through temporary
views, and the compiled queries of all cases are combined with ``UNION ALL``, each row turned into
JSON text (the cases' columns differ).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from leadscore.compile.assemble import Compiled
from leadscore.compile.sources import Sources
from leadscore.model.spec import Model
from leadscore.records import (
    Account,
    Contact,
    Deal,
    Event,
    accounts_table,
    contacts_table,
    deals_tables,
    events_table,
)

NOUNS = ("contacts", "events", "accounts", "deals", "deal_contacts")


@dataclass
class Case:
    model: Model
    as_of_us: int
    contacts: list[Contact]
    events: list[Event]
    accounts: list[Account]
    deals: list[Deal]

    def tables(self) -> dict[str, Any]:
        deals_t, links_t = deals_tables(self.deals)
        return {
            "contacts": contacts_table(self.contacts),
            "events": events_table(self.events),
            "accounts": accounts_table(self.accounts),
            "deals": deals_t,
            "deal_contacts": links_t,
        }


# (case, dialect, sources) -> compiled query
Compile = Callable[[Case, str, Sources | None], Compiled]


def run_store(store: Any, case: Case, compile_: Compile, clear: str) -> list[dict[str, Any]]:
    """Load ``case`` into ``store`` (emptied with ``clear``) and run its query."""
    for table in NOUNS:
        store.execute(clear.format(table=table))
    for table, data in case.tables().items():
        store.append_arrow(table, data)
    compiled = compile_(case, store.dialect, None)
    rows: list[dict[str, Any]] = store.rows(compiled.sql(store.dialect, pretty=False))
    return rows


def run_spark(spark: Any, cases: Sequence[Case], compile_: Compile) -> list[list[dict[str, Any]]]:
    """Every case's rows from one Spark job."""
    import pyarrow as pa

    per_noun: dict[str, list[Any]] = {noun: [] for noun in NOUNS}
    for i, case in enumerate(cases):
        for noun, table in case.tables().items():
            ids = pa.array([i] * table.num_rows, pa.int64())
            per_noun[noun].append(table.append_column("case_id", ids))
    frames = {
        noun: spark.createDataFrame(pa.concat_tables(tables).combine_chunks())
        for noun, tables in per_noun.items()
    }
    parts = []
    for i, case in enumerate(cases):
        names = {noun: f"parity_{noun}_{i}" for noun in NOUNS}
        for noun, frame in frames.items():
            frame.filter(frame.case_id == i).drop("case_id").createOrReplaceTempView(names[noun])
        sql = compile_(case, "spark", Sources(**names)).sql("spark", pretty=False)
        parts.append(
            f"SELECT {i} AS case_id, to_json(struct(*), map('ignoreNullFields', 'false')) AS row "
            f"FROM ({sql}) AS q"
        )
    out: list[list[dict[str, Any]]] = [[] for _ in cases]
    for row in spark.sql(" UNION ALL ".join(parts)).collect():
        out[row["case_id"]].append(json.loads(row["row"]))
    return out
