"""On DuckDB the as-of events are streamed to every part of the query that reads them, not
buffered in memory first (the example model has three readers: the main aggregate, the
once-a-day email opens and the per-day pricing visits)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from leadscore.compile.contacts import compile_contacts
from leadscore.demo import generate
from leadscore.model import load_model
from leadscore.store.duckdb_store import DuckStore
from leadscore.store.workspace import example_model_path


def _cte_modes(profile: dict[str, Any]) -> dict[str, str]:
    modes: dict[str, str] = {}
    stack = list(profile["operator"])
    while stack:
        node = stack.pop()
        if node.get("type") == "CTE":
            info = node["extra_info"]
            modes[info["CTE Name"]] = info["Execution Mode"]
        stack += node.get("children", [])
    return modes


@pytest.mark.parametrize("breakdown", [True, False])
def test_events_are_streamed_to_their_readers(tmp_path: Path, breakdown: bool) -> None:
    data = generate(contacts=200, seed=5)
    model = load_model(example_model_path())
    sql = compile_contacts(model, data.spec.end_us, breakdown=breakdown).sql()
    profile = tmp_path / "profile.json"
    with DuckStore() as store:
        store.init_schema()
        store.append_arrow("contacts", data.contacts)
        store.append_arrow("events", data.events)
        store.con.execute("PRAGMA enable_profiling = 'json'")
        store.con.execute(f"PRAGMA profiling_output = '{profile}'")
        store.con.execute(f"CREATE TABLE scored AS {sql}")
        store.con.execute("PRAGMA disable_profiling")
        assert store.scalar("SELECT count(*) FROM scored") == 200
    modes = _cte_modes(json.loads(profile.read_text()))
    assert modes, "the events are read by several parts of the query, through one CTE"
    assert set(modes.values()) == {"STREAMING_FANOUT"}, modes
