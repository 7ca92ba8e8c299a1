"""The writer's storage side (leadscore.service.writes), through a running workspace."""

from __future__ import annotations

from typing import Any

from leadscore.records import Contact, Event
from leadscore.service.runtime import Runtime
from tests.service.conftest import Clock


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
