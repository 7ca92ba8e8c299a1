"""The same generated models and data through the reference evaluator, DuckDB, PostgreSQL and
Spark (local mode): identical scores, grades, stages and breakdowns (relative tolerance 1e-9).

Each hypothesis example is a batch of cases, so that Spark scores a whole batch in one job.
Shrinking is off (every Spark run costs seconds); a failure names the case, its model and data.
``LEADSCORE_PARITY_BATCHES`` and ``LEADSCORE_PARITY_CASES`` raise the counts for a longer run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from leadscore.compile.assemble import Compiled
from leadscore.compile.contacts import compile_contacts
from leadscore.compile.entities import compile_entity
from leadscore.compile.sources import Sources
from leadscore.reference import evaluate
from leadscore.store.duckdb_store import DuckStore
from leadscore.store.postgres_store import PgStore
from tests.compare import assert_same_rows
from tests.parity.engines import Case, Compile, run_spark, run_store
from tests.strategies import T, dataset, model_dict, to_model

BATCHES = int(os.environ.get("LEADSCORE_PARITY_BATCHES", "2"))
CASES = int(os.environ.get("LEADSCORE_PARITY_CASES", "16"))
NO_SHRINK = settings(
    max_examples=BATCHES, phases=[Phase.explicit, Phase.reuse, Phase.generate], deadline=None
)
ENTITY_KEYS = {"accounts": "account_id", "deals": "deal_id"}


@pytest.fixture(scope="module")
def duck() -> Iterator[DuckStore]:
    store = DuckStore()
    store.init_schema()
    yield store
    store.close()


@pytest.fixture(scope="module")
def pg(postgres_url: str) -> Iterator[PgStore]:
    store = PgStore(postgres_url)
    store.init_schema()
    yield store
    store.close()


@st.composite
def cases(draw: st.DrawFn, n: int, with_entities: bool = False) -> list[Case]:
    out = []
    for _ in range(n):
        model = to_model(draw(model_dict(with_entities=with_entities)))
        contacts, events, accounts, deals = draw(dataset(with_entities=with_entities))
        as_of = T if with_entities else draw(st.sampled_from([T, T - 1, T + 3_600_000_000]))
        out.append(Case(model, as_of, contacts, events, accounts, deals))
    return out


def contacts_query(case: Case, dialect: str, sources: Sources | None) -> Compiled:
    return compile_contacts(case.model, case.as_of_us, dialect, sources)


def entity_query(entity: str) -> Compile:
    def compile_(case: Case, dialect: str, sources: Sources | None) -> Compiled:
        return compile_entity(case.model, entity, case.as_of_us, dialect, sources)

    return compile_


def _check(
    engines: dict[str, list[list[dict[str, Any]]]],
    expected: list[list[dict[str, Any]]],
    batch: list[Case],
    key: str,
) -> None:
    for i, case in enumerate(batch):
        for engine, results in engines.items():
            try:
                assert_same_rows(results[i], expected[i], key)
            except AssertionError as failure:
                model = case.model.model_dump(mode="json", by_alias=True, exclude_none=True)
                raise AssertionError(
                    f"{engine} differs from the reference on case {i} (as of {case.as_of_us}): "
                    f"{failure}\nmodel: {model}\ncontacts: {case.contacts}\nevents: {case.events}"
                ) from None


@NO_SHRINK
@given(batch=cases(CASES))
def test_contacts_agree(spark: Any, duck: DuckStore, pg: PgStore, batch: list[Case]) -> None:
    expected = [evaluate(c.model, c.contacts, c.events, c.as_of_us)["contacts"] for c in batch]
    engines = {
        "duckdb": [run_store(duck, c, contacts_query, "DELETE FROM {table}") for c in batch],
        "postgres": [run_store(pg, c, contacts_query, "TRUNCATE {table}") for c in batch],
        "spark": run_spark(spark, batch, contacts_query),
    }
    _check(engines, expected, batch, "contact_id")


@NO_SHRINK
@given(batch=cases(max(CASES // 2, 1), with_entities=True))
def test_accounts_and_deals_agree(
    spark: Any, duck: DuckStore, pg: PgStore, batch: list[Case]
) -> None:
    references = [
        evaluate(c.model, c.contacts, c.events, c.as_of_us, c.accounts, c.deals) for c in batch
    ]
    for entity, key in ENTITY_KEYS.items():
        query = entity_query(entity)
        engines = {
            "duckdb": [run_store(duck, c, query, "DELETE FROM {table}") for c in batch],
            "postgres": [run_store(pg, c, query, "TRUNCATE {table}") for c in batch],
            "spark": run_spark(spark, batch, query),
        }
        _check(engines, [r[entity] for r in references], batch, key)
