"""The workspace runtime: durable writes, rescoring, history, alerts, publish, refresh."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from leadscore.records import Contact, Event, Outcome
from leadscore.service import versions
from leadscore.service.runtime import Runtime
from leadscore.timeutil import UNIT_US
from tests.service.conftest import MODEL, Clock

DAY = UNIT_US["d"]
HOUR = UNIT_US["h"]


def _score(rt: Runtime, contact_id: str) -> dict[str, Any]:
    with rt.reader() as store:
        rows = store.rows("SELECT * FROM scores WHERE contact_id = ?", [contact_id])
    assert rows, f"{contact_id} not scored"
    return rows[0]


def _history(rt: Runtime, contact_id: str) -> list[dict[str, Any]]:
    with rt.reader() as store:
        return store.rows(
            "SELECT * FROM score_history WHERE contact_id = ? ORDER BY at_us, seq", [contact_id]
        )


def test_events_are_acknowledged_then_scored(runtime: Runtime, clock: Clock) -> None:
    assert [r.status for r in runtime.upsert_contacts([Contact("ann", {"title": "VP Sales"})])] == [
        "inserted"
    ]
    runtime.flush()
    results = runtime.ingest_events(
        [
            Event("e1", "ann", "demo_request", clock.now - DAY),
            Event("e1", "ann", "demo_request", clock.now - DAY),  # same id in the batch
            Event("e2", "nobody", "page_view", clock.now),
        ]
    )
    assert [r.status for r in results] == ["accepted", "duplicate", "rejected"]
    assert "unknown contact_id 'nobody'" in (results[2].reason or "")
    assert [r.status for r in runtime.ingest_events([Event("e1", "ann", "demo_request", 0)])] == [
        "duplicate"
    ]
    runtime.flush()
    row = _score(runtime, "ann")
    assert (row["total"], row["grade"], row["stage"]) == (80.0, "hot", "SQL")
    causes = [h["cause"] for h in _history(runtime, "ann")]
    assert causes == ["attributes", "event"]


def test_grade_transitions_create_alerts_and_history(runtime: Runtime, clock: Clock) -> None:
    runtime.upsert_contacts([Contact("bob")])
    runtime.flush()
    runtime.ingest_events([Event("d1", "bob", "demo_request", clock.now)])
    runtime.flush()
    with runtime.reader() as store:
        alerts = store.rows("SELECT * FROM alerts WHERE contact_id = 'bob'")
    assert [(a["old_grade"], a["new_grade"]) for a in alerts] == [("cold", "warm")]
    # the demo request expires after 30 days: time passing cools the lead and alerts again
    clock.now += 31 * DAY
    update = runtime.refresh()
    assert [(c.contact_id, c.old_grade, c.new_grade) for c in update.changes] == [
        ("bob", "warm", "cold")
    ]
    with runtime.reader() as store:
        alerts = store.rows("SELECT * FROM alerts WHERE contact_id = 'bob' ORDER BY at_us")
    assert [(a["old_grade"], a["new_grade"], a["cause"]) for a in alerts] == [
        ("cold", "warm", "event"),
        ("warm", "cold", "time"),
    ]
    assert _history(runtime, "bob")[-1]["cause"] == "time"
    # the time alert's scores come from the refreshed row (none when it was not found)
    cooled = json.loads(alerts[-1]["payload"])
    with runtime.reader() as store:
        row = store.rows("SELECT * FROM scores WHERE contact_id = 'bob'")[0]
    assert cooled["contact"]["scores"] == {
        "fit": row["score_fit"],
        "engagement": row["score_engagement"],
    }
    assert cooled["new"]["total"] == row["total"]


def test_attribute_change_rescores(runtime: Runtime) -> None:
    runtime.upsert_contacts([Contact("cy", {"title": "Engineer"})])
    runtime.flush()
    assert _score(runtime, "cy")["total"] == 0.0
    assert [r.status for r in runtime.upsert_contacts([Contact("cy", {"title": "VP Eng"})])] == [
        "updated"
    ]
    assert [r.status for r in runtime.upsert_contacts([Contact("cy", {"title": "VP Eng"})])] == [
        "unchanged"
    ]
    runtime.flush()
    assert _score(runtime, "cy")["total"] == 30.0


def test_publish_rescores_everyone_and_keeps_versions(runtime: Runtime) -> None:
    runtime.upsert_contacts([Contact("dee", {"title": "VP"})])
    runtime.flush()
    with runtime.reader() as store:
        draft = versions.create_version(store, MODEL.replace("points: 30", "points: 70"))
    result = runtime.publish(draft.version)
    assert result["version"] == draft.version
    row = _score(runtime, "dee")
    assert (row["total"], row["grade"]) == (70.0, "hot")
    with runtime.reader() as store:
        listed = [(v.version, v.status) for v in versions.list_versions(store)]
    assert listed == [(1, "retired"), (2, "published")]
    assert runtime.active.version == 2
    assert _history(runtime, "dee")[-1]["cause"] == "model"


def test_outcomes_are_idempotent(runtime: Runtime, clock: Clock) -> None:
    runtime.upsert_contacts([Contact("eve")])
    first = runtime.record_outcomes([Outcome("o1", "eve", "won", clock.now)])
    again = runtime.record_outcomes([Outcome("o1", "eve", "won", clock.now)])
    assert [r.status for r in first + again] == ["accepted", "duplicate"]


def test_broken_connections_are_replaced(postgres_url: str, clock: Clock) -> None:
    """The database ends every connection of the runtime (as a server restart does): the
    write caught in it fails unacknowledged, the next ones are stored, and the contacts the
    scorer could not rescore are rescored on a new connection."""
    from leadscore.service.settings import RuntimeSettings
    from leadscore.store.postgres_store import PgStore

    schema = "ws_reconnect"
    admin = PgStore(postgres_url)
    admin.execute(f"CREATE SCHEMA {schema}")
    opened: list[PgStore] = []

    def open_store() -> PgStore:
        store = PgStore(postgres_url, schema=schema)
        opened.append(store)
        return store

    settings = RuntimeSettings(score_delay_s=0.01, refresh_interval_s=0, clock=clock)
    rt = Runtime("reconnect", open_store, settings, seed_model=MODEL).start()
    try:
        rt.upsert_contacts([Contact("ann", {"title": "VP Sales"})])
        rt.flush()
        pids = [s.con.info.backend_pid for s in opened if s.alive()]
        assert len(pids) >= 2  # the writer's and the scorer's at least
        admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(?::int[]) AS t(pid)", [pids])
        # caught by the broken connection: it fails, unacknowledged
        with contextlib.suppress(Exception):
            rt.ingest_events([Event("maybe", "ann", "page_view", clock.now)])
        results = rt.ingest_events([Event("d1", "ann", "demo_request", clock.now - DAY)])
        assert [r.status for r in results] == ["accepted"]
        rt.flush()
        row = _score(rt, "ann")
        assert (row["total"], row["grade"]) == (80.0, "hot")
        assert rt.healthy()
    finally:
        rt.stop()
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


def _merging_runtime(tmp_path: Any, clock: Clock) -> Runtime:
    from leadscore.service.settings import RuntimeSettings
    from leadscore.store.duckdb_store import DuckStore

    path = tmp_path / "merge.duckdb"
    settings = RuntimeSettings(score_delay_s=0.01, refresh_interval_s=0, clock=clock, merge_from=0)
    return Runtime("merge", lambda: DuckStore(path), settings, seed_model=MODEL)


def _pending(rt: Runtime) -> int:
    with rt.reader() as store:
        return int(store.scalar("SELECT count(*) FROM pending_events"))


def test_the_scorer_merges_new_events_on_duckdb(tmp_path: Any, clock: Clock) -> None:
    """On DuckDB the writer keeps a pending copy of each event; with ``merge_from`` 0 the
    scorer rescores every scored contact from its stored score plus its pending events. The
    scores, history and alerts are those of recomputing from all events, and nothing stays
    pending."""
    from leadscore.model import load_model_text
    from leadscore.reference import evaluate_contacts
    from tests.compare import assert_same_rows

    rt = _merging_runtime(tmp_path, clock).start()
    try:
        contacts = [Contact("ann", {"title": "VP"}), Contact("bo")]
        rt.upsert_contacts(contacts)
        rt.flush()
        events = [Event("p1", "ann", "page_view", clock.now, {"url": "/pricing"})]
        rt.ingest_events(events)
        rt.flush()
        clock.now += DAY
        later = [
            Event("p2", "ann", "page_view", clock.now, {"url": "/pricing/x"}),
            Event("d1", "bo", "demo_request", clock.now - 2 * DAY),  # late
        ]
        rt.ingest_events(later)
        rt.flush()
        assert _pending(rt) == 0
        with rt.reader() as store:
            rows = store.rows("SELECT * FROM scores")
        expected = evaluate_contacts(load_model_text(MODEL), contacts, events + later, clock.now)
        assert_same_rows(rows, expected, "contact_id")
        assert [h["cause"] for h in _history(rt, "bo")] == ["attributes", "event"]
    finally:
        rt.stop()


def test_a_restart_scores_the_pending_events(tmp_path: Any, clock: Clock) -> None:
    """Events committed (with their pending copies) but not yet scored when the process died
    are scored at the next start, whatever the clocks say."""
    from leadscore.records import events_table

    rt = _merging_runtime(tmp_path, clock).start()
    rt.upsert_contacts([Contact("cy")])
    rt.flush()
    before = _score(rt, "cy")["total"]
    rt.stop()
    clock.now += 10 * DAY  # beyond the recovery margin of the received-at clock
    from leadscore.store.duckdb_store import DuckStore

    with DuckStore(tmp_path / "merge.duckdb") as store:
        late = events_table([Event("d9", "cy", "demo_request", clock.now)], now_us=0)
        store.insert_new("events", "event_id", late, copy_to="pending_events")
    rt = _merging_runtime(tmp_path, clock).start()
    try:
        assert _pending(rt) == 0
        assert _score(rt, "cy")["total"] == before + 50
    finally:
        rt.stop()


def test_time_passing_records_whole_point_crossings_only(runtime: Runtime, clock: Clock) -> None:
    """A refresh writes a history row for a lead whose total crossed a whole point (or whose
    grade or stage moved), not for one whose total only decayed within the same point."""
    runtime.upsert_contacts([Contact("pia")])
    runtime.ingest_events([Event("p1", "pia", "page_view", clock.now, {"url": "/pricing"})])
    runtime.flush()

    def times() -> list[tuple[float, float]]:
        rows = [r for r in _history(runtime, "pia") if r["cause"] == "time"]
        return [(r["old_total"], r["total"]) for r in rows]

    clock.now += HOUR  # 10 -> 9.96: crosses 10
    runtime.refresh()
    assert [(old, round(new, 2)) for old, new in times()] == [(10.0, 9.96)]
    clock.now += HOUR  # 9.96 -> 9.92: within the same point
    runtime.refresh()
    assert len(times()) == 1
    clock.now += 7 * DAY  # about half: crosses several points
    runtime.refresh()
    assert [round(new, 2) for _, new in times()] == [9.96, 4.96]
    assert {r["grade"] for r in _history(runtime, "pia")} == {"cold"}


def test_the_scorer_paces_its_micro_batches(clock: Clock) -> None:
    """Right after a micro-batch the scorer waits so that batches take at most score_share of
    the time (never more than max_score_wait_s); after a quiet spell, or with pace_until
    contacts waiting already, score_delay_s alone."""
    import time

    from leadscore.service.settings import RuntimeSettings

    def wait(last_batch: tuple[float, float], waiting: int = 0, **options: Any) -> float:
        settings = RuntimeSettings(score_delay_s=0.01, clock=clock, **options)
        rt = Runtime("pace", lambda: None, settings, seed_model=MODEL)
        rt._touched = {f"c{i}": "event" for i in range(waiting)}
        now = time.monotonic()
        rt._last_batch = (now + last_batch[0], now + last_batch[1])
        return rt._score_wait()

    # a batch of 0.3 s that ended 0.1 s ago: 0.2 s more at half a core
    assert 0.15 < wait((-0.4, -0.1)) <= 0.2
    assert 0.5 < wait((-0.4, -0.1), score_share=0.25, max_score_wait_s=1) <= 0.8
    assert wait((-2.1, -0.1)) == 0.4  # capped
    assert wait((-0.4, -0.1), max_score_wait_s=0.05) == 0.05
    assert wait((-10.3, -10.0)) == 0.01  # quiet for a while: the delay alone
    assert wait((-0.4, -0.1), score_share=0) == 0.01  # pacing off
    assert wait((0.0, 0.0)) == 0.01  # no batch yet
    assert 0.15 < wait((-0.4, -0.1), waiting=2, pace_until=3) <= 0.2
    assert wait((-0.4, -0.1), waiting=3, pace_until=3) == 0.01  # a backlog: no waiting
