from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leadscore.store.duckdb_store import DuckStore
from leadscore.store.workspace import Workspace

DAY = 86_400_000_000

# A small model: one fit rule, decaying and expiring event rules, an inactivity rule, grades.
SMALL_MODEL = """
leadscore: 1
name: small
scores:
  fit:
    rules:
      - id: vp
        points: 20
        when: {attribute: title, eq: VP}
  engagement:
    rules:
      - id: pricing
        points: 30
        event: page_view
        where: {property: url, starts_with: /pricing}
        half_life: 10d
      - id: opens
        points: 5
        event: email_open
        count: each
        within: 30d
      - id: quiet
        points: -10
        inactive: 20d
grades:
  lead:
    score: total
    bands:
      - {grade: hot, min: 40, stage: SQL}
      - {grade: warm, min: 15, stage: MQL}
      - {grade: cold, stage: lead}
"""


@pytest.fixture(scope="package")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A small demo workspace shared by the package's tests (read only)."""
    from leadscore.demo import build_workspace

    return build_workspace(tmp_path_factory.mktemp("demo") / "ws", contacts=600, seed=3)


@pytest.fixture
def store() -> Iterator[DuckStore]:
    with DuckStore() as s:
        s.init_schema()
        yield s


def add_contact(store: DuckStore, cid: str, created_us: int | None, title: str = "") -> None:
    import json

    store.execute(
        "INSERT INTO contacts VALUES (?, NULL, ?, ?, 0)",
        [cid, created_us, json.dumps({"title": title} if title else {})],
    )


def add_event(store: DuckStore, eid: str, cid: str, kind: str, ts_us: int, url: str = "") -> None:
    import json

    props = json.dumps({"url": url} if url else {})
    store.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, 0)", [eid, cid, kind, ts_us, props])


def add_outcome(store: DuckStore, oid: str, cid: str, kind: str, ts_us: int) -> None:
    store.execute(
        "INSERT INTO outcomes VALUES (?, ?, ?, ?, NULL, '{}', 0)", [oid, cid, kind, ts_us]
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
