"""Loading demo data into a store, bulk loads, and demo workspaces."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from leadscore.demo import (
    build_workspace,
    generate,
    load,
    loaded_spec,
    loading,
    make_spec,
    reuse_or_build,
)
from leadscore.errors import LeadscoreError
from leadscore.store.bulk import bulk_load
from leadscore.store.duckdb_store import DuckStore
from leadscore.store.schema import DATA_TABLES
from leadscore.store.workspace import Workspace


def test_load_writes_every_table_and_the_truth_apart() -> None:
    data = generate(500, seed=9)
    with DuckStore() as store:
        load(store, data)
        for name, table in data.tables().items():
            assert store.count(name) == table.num_rows, name
        assert store.scalar("SELECT count(*) FROM demo_truth") == 500
        leaked = store.scalar(
            "SELECT count(*) FROM contacts WHERE attributes LIKE '%intent%' "
            "OR attributes LIKE '%hazard%' OR attributes LIKE '%p_convert%'"
        )
        assert leaked == 0
        # the unique keys are in force
        index = "SELECT count(*) AS n FROM duckdb_indexes() WHERE index_name = 'events_key'"
        assert store.rows(index) == [{"n": 1}]
        with pytest.raises(duckdb.ConstraintException):
            store.append_arrow("events", data.events.slice(0, 1))


def test_bulk_load_is_all_or_nothing() -> None:
    data = generate(300, seed=9)
    with DuckStore() as store:
        store.init_schema()
        bulk_load(store, data.tables().items())
        before = {name: store.count(name) for name in DATA_TABLES}
        batches = [("contacts", data.contacts.slice(0, 0)), ("events", data.events.slice(5, 3))]
        with pytest.raises(LeadscoreError, match="events"):
            bulk_load(store, batches)
        assert {name: store.count(name) for name in DATA_TABLES} == before
        index = "SELECT count(*) AS n FROM duckdb_indexes() WHERE index_name = 'events_key'"
        assert store.rows(index) == [{"n": 1}]
        with pytest.raises(duckdb.ConstraintException):
            store.append_arrow("events", data.events.slice(5, 1))


def test_bulk_load_keeps_the_secondary_indexes() -> None:
    """Dropped while an empty table is loaded, built again after: also after a failed load."""
    from leadscore.store.schema import INDEXES

    data = generate(200, seed=4)
    expected = sorted(name for name, _, _ in INDEXES)
    named = "SELECT index_name FROM duckdb_indexes() WHERE NOT is_unique ORDER BY index_name"
    with DuckStore() as store:
        store.init_schema()
        bad = [("events", data.events.slice(0, 2)), ("events", data.events.slice(1, 1))]
        with pytest.raises(LeadscoreError):
            bulk_load(store, bad)
        assert [r["index_name"] for r in store.rows(named)] == expected
        bulk_load(store, data.tables().items())
        assert [r["index_name"] for r in store.rows(named)] == expected
        assert store.count("events") == data.events.num_rows


def test_bulk_load_after_an_open_result() -> None:
    data = generate(100, seed=9)
    with DuckStore() as store:
        store.init_schema()
        store.con.execute("SELECT * FROM range(10)").fetchone()  # leaves the result open
        assert bulk_load(store, [("contacts", data.contacts)]) == {"contacts": 100}


def test_bulk_load_refuses_unknown_tables() -> None:
    with DuckStore() as store:
        store.init_schema()
        with pytest.raises(ValueError, match="demo_truth"):
            bulk_load(store, [("demo_truth", generate(50).truth)])


def test_build_workspace_then_rebuild(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    workspace = build_workspace(root, contacts=300, seed=5)
    assert isinstance(workspace, Workspace)
    assert workspace.model_path.is_file()
    with workspace.store(read_only=True) as store:
        assert store.count("contacts") == 300
        assert loaded_spec(store) == make_spec(300, 5)
        first_events = store.count("events")
    # the model file is the user's to edit; rebuilding the data keeps it
    edited = workspace.model_path.read_text().replace("name: b2b-saas", "name: my-model")
    workspace.model_path.write_text(edited)
    again = build_workspace(root, contacts=400, seed=6)
    with again.store(read_only=True) as store:
        assert store.count("contacts") == 400
        assert store.count("events") != first_events
        assert loaded_spec(store) == make_spec(400, 6)
    assert again.model_path.read_text() == edited


def test_reuse_or_build_reuses_only_the_same_data(tmp_path: Path) -> None:
    root = tmp_path / "bench"
    built, reused = reuse_or_build(root, 200, seed=5, events_per_contact=3)
    assert not reused
    with built.store(read_only=True) as store:
        assert loaded_spec(store) == make_spec(200, 5, events_per_contact=3)
    stamp = built.database_path.stat().st_mtime_ns
    same, reused = reuse_or_build(root, 200, seed=5, events_per_contact=3)
    assert reused
    assert same.database_path == built.database_path
    assert same.database_path.stat().st_mtime_ns == stamp  # not rewritten
    other, reused = reuse_or_build(root, 200, seed=6, events_per_contact=3)
    assert not reused
    with other.store(read_only=True) as store:
        assert loaded_spec(store) == make_spec(200, 6, events_per_contact=3)


def test_build_workspace_leaves_other_folders_alone(tmp_path: Path) -> None:
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "todo.txt").write_text("keep me")
    with pytest.raises(LeadscoreError, match="not a demo workspace"):
        build_workspace(precious, contacts=50)
    assert (precious / "todo.txt").read_text() == "keep me"
    assert sorted(p.name for p in precious.iterdir()) == ["todo.txt"]

    real = Workspace.init(tmp_path / "real")
    with pytest.raises(LeadscoreError, match="not a demo workspace"):
        build_workspace(real.root, contacts=50)
    with real.store(read_only=True) as store:
        assert store.count("contacts") == 0


def test_build_workspace_in_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    workspace = build_workspace(tmp_path / "empty", contacts=100)
    with workspace.store(read_only=True) as store:
        assert store.count("contacts") == 100


def test_a_failed_build_can_be_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(spec: object) -> Iterator[object]:
        raise RuntimeError("disk full")
        yield  # a generator

    root = tmp_path / "demo"
    monkeypatch.setattr(loading, "generate_parts", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        build_workspace(root, contacts=50)
    with DuckStore(Workspace.open(root).database_path, read_only=True) as store:
        assert loaded_spec(store) is None
        assert store.count("contacts") == 0
    monkeypatch.undo()
    workspace = build_workspace(root, contacts=50)
    with workspace.store(read_only=True) as store:
        assert store.count("contacts") == 50
