"""The writer's storage side (leadscore.service.writes), through a running workspace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leadscore.records import Contact, Event
from leadscore.scoring import slices
from leadscore.service import writes as writes_module
from leadscore.service.runtime import Runtime
from leadscore.service.settings import RuntimeSettings
from leadscore.service.writes import Writes
from tests.service.conftest import MODEL, Clock


def test_the_writer_reads_a_known_contact_once_on_duckdb(
    runtime: Runtime, clock: Clock, monkeypatch: Any
) -> None:
    """Contacts are never deleted and a DuckDB file is this process's alone: the ids the writer
    found or wrote are not read again. PostgreSQL may be changed by other processes: read."""
    reads: list[list[str]] = []
    writes = runtime._writes_of
    existing = writes.existing

    def counted(store: Any, table: str, key: str, ids: Any) -> set[str]:
        reads.append(sorted(ids))
        return existing(store, table, key, ids)

    monkeypatch.setattr(writes, "existing", counted)
    runtime.upsert_contacts([Contact("cy"), Contact("di")])
    reads.clear()
    first = runtime.ingest_events([Event("k1", "cy", "page_view", clock.now)])
    second = runtime.ingest_events(
        [Event("k2", "cy", "page_view", clock.now), Event("k3", "nobody", "page_view", clock.now)]
    )
    assert [r.status for r in first + second] == ["accepted", "accepted", "rejected"]
    runtime.upsert_contacts([Contact("nobody")])  # created later: known from then on
    third = runtime.ingest_events([Event("k4", "nobody", "page_view", clock.now)])
    assert [r.status for r in third] == ["accepted"]
    with runtime.reader() as store:
        exclusive = store.dialect == "duckdb"
    if exclusive:  # only the unknown id was read, once
        assert [ids for ids in reads if ids] == [["nobody"]]
    else:
        assert ["cy"] in reads
        assert ["nobody"] in reads
        assert len([ids for ids in reads if "cy" in ids]) == 2


def _restarted_reads(
    engine: Callable[[], Any], clock: Clock, monkeypatch: Any
) -> tuple[list[str], list[list[str]], str]:
    """Contacts written by one runtime, then events for them through a second one started on
    the same database: the statuses, the ids the second one's writer looked up, the dialect."""
    settings = RuntimeSettings(score_delay_s=0.01, refresh_interval_s=0, clock=clock)
    first = Runtime("test", engine, settings, seed_model=MODEL).start()
    first.upsert_contacts([Contact("cy"), Contact("o'hara")])
    first.stop()
    reads: list[list[str]] = []
    existing = Writes.existing

    def counted(self: Writes, store: Any, table: str, key: str, ids: Any) -> set[str]:
        reads.append(sorted(ids))
        return existing(self, store, table, key, ids)

    monkeypatch.setattr(Writes, "existing", counted)
    second = Runtime("test", engine, settings, seed_model=MODEL).start()
    try:
        results = second.ingest_events(
            [
                Event("k1", "cy", "page_view", clock.now),
                Event("k2", "o'hara", "page_view", clock.now),
                Event("k3", "nobody", "page_view", clock.now),
            ]
        )
        with second.reader() as store:
            dialect = store.dialect
    finally:
        second.stop()
    return [r.status for r in results], [ids for ids in reads if ids], dialect


def test_the_writer_reads_every_contact_id_at_its_start_on_duckdb(
    engine: Callable[[], Any], clock: Clock, monkeypatch: Any
) -> None:
    """On DuckDB the writer reads the ids of every contact once when it starts: an event for a
    contact written before is not looked up, only an unknown id is. PostgreSQL looks up every
    group's contacts."""
    statuses, reads, dialect = _restarted_reads(engine, clock, monkeypatch)
    assert statuses == ["accepted", "accepted", "rejected"]
    if dialect == "duckdb":
        assert reads == [["nobody"]]
    else:
        assert reads == [["cy", "nobody", "o'hara"]]


@pytest.mark.parametrize("chunk", [500, 2])
def test_past_the_limit_the_writer_looks_contacts_up_in_the_index(
    engine: Callable[[], Any], clock: Clock, monkeypatch: Any, chunk: int
) -> None:
    """A workspace with more contacts than the writer remembers is not read at the start: the
    contacts of each group are looked up (on DuckDB, up to CHUNK ids by a list of quoted
    literals, which the index answers: an id with a quote must still be found; more by one
    scan)."""
    monkeypatch.setattr(writes_module, "KNOWN_CONTACTS_MAX", 1)
    monkeypatch.setattr(slices, "CHUNK", chunk)
    statuses, reads, _dialect = _restarted_reads(engine, clock, monkeypatch)
    assert statuses == ["accepted", "accepted", "rejected"]
    assert reads == [["cy", "nobody", "o'hara"]]
