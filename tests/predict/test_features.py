"""Features built in SQL agree with a direct Python computation on a hand-built data set."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from leadscore.model.spec import Model
from leadscore.predict.dataset import FeatureTable, store_training_set
from leadscore.predict.featureinfo import OTHER, FeatureInfo
from leadscore.predict.features import EXAMPLES
from leadscore.predict.plan import FeatureOptions, path_prefixes, plan_store
from leadscore.predict.rule_features import at_time, rule_features_sql
from leadscore.store.duckdb_store import DuckStore
from leadscore.timeutil import to_us
from leadscore.values import parse_number
from tests.predict.conftest import DAY, Demo, add_contact, add_outcome, new_store

T0 = to_us("2025-01-01")
SNAPSHOTS = [T0 + 100 * DAY, T0 + 200 * DAY, T0 + 300 * DAY]
HORIZON = 30
OPTIONS = FeatureOptions(
    min_event_count=1,
    min_category_count=2,
    min_category_share=0.0,
    min_attribute_share=0.0,
    exclude_attributes=("email",),
)
URLS = [
    "/",
    "/pricing",
    "/pricing",
    "/pricing/enterprise",
    "/blog/a",
    "/blog/b",
    "/blog/c",
    "/docs/x",
]
SIZES = ["12", "250", "1e3", "12.50", "-3", "40", ".5"]
ODD_SIZES = {"c03": "n/a", "c04": " 7"}  # not strict numbers: missing as numbers


def build(seed: int = 42) -> tuple[DuckStore, dict[str, Any]]:
    """Random contacts, events and outcomes plus edge cases at the snapshot boundaries;
    returns the store and the same data as Python objects."""
    rng = random.Random(seed)
    store = new_store()
    contacts: dict[str, dict[str, Any]] = {}
    for i in range(40):
        cid = f"c{i:02d}"
        created = None if i % 9 == 0 else T0 + rng.randint(-200, 250) * DAY
        domain = "gmail.com" if i % 3 == 0 else "x.com"
        attrs = {"company_size": ODD_SIZES.get(cid, rng.choice(SIZES)), "email": f"{cid}@{domain}"}
        if i % 7:
            attrs["industry"] = rng.choice(["Software"] * 5 + ["Retail"] * 3 + ["Mining"])
        add_contact(store, cid, created, **attrs)
        contacts[cid] = {"created": created, "attrs": attrs}
    events: list[dict[str, Any]] = []

    def event(cid: str, kind: str, ts: int, **props: str) -> None:
        events.append({"cid": cid, "type": kind, "ts": ts, "props": props})

    for _ in range(1500):
        cid = rng.choice(list(contacts))
        ts = T0 + rng.randint(-100 * DAY, 400 * DAY)
        kind = rng.choice(["page_view", "page_view", "email_open", "demo_request"])
        if kind == "page_view":
            if rng.random() < 0.9:
                event(cid, kind, ts, url=rng.choice(URLS))
            else:
                event(cid, kind, ts)
        else:
            event(cid, kind, ts, campaign=rng.choice(["a", "b"]))
    s = SNAPSHOTS[1]  # boundaries: at s (in), exactly 7 and 30 days before (out of those windows)
    for ts in (s, s - 7 * DAY, s - 30 * DAY, s - 30 * DAY + 1, s + 1):
        event("c01", "page_view", ts, url="/pricing")
    store.append_arrow(
        "events",
        pa.table(
            {
                "event_id": [f"e{i}" for i in range(len(events))],
                "contact_id": [e["cid"] for e in events],
                "type": [e["type"] for e in events],
                "ts_us": pa.array([e["ts"] for e in events], pa.int64()),
                "properties": [json.dumps(e["props"], sort_keys=True) for e in events],
                "received_at_us": pa.array([0] * len(events), pa.int64()),
            }
        ),
    )
    outcomes: dict[str, int] = {}
    s1, s2, s3 = SNAPSHOTS
    h = HORIZON * DAY
    edge = {  # the label's boundaries: (s, s + H] converts, lost never does
        "c02": ("converted", s1 + 10 * DAY),
        "c05": ("converted", s2 + h),
        "c06": ("won", s2 + h + 1),
        "c08": ("won", s3 + 5 * DAY),
        "c10": ("converted", s2),
        "c11": ("lost", s1 + DAY),
    }
    for cid, (kind, ts) in edge.items():
        contacts[cid]["created"] = None
        store.execute("UPDATE contacts SET created_at_us = NULL WHERE contact_id = ?", [cid])
        add_outcome(store, f"edge-{cid}", cid, kind, ts)
        if kind != "lost":
            outcomes[cid] = ts
    for i, cid in enumerate(contacts):
        if cid in edge:
            continue
        if i % 3 == 0:
            ts = T0 + rng.randint(0, 400) * DAY
            kind = "won" if i % 2 else "converted"
            add_outcome(store, f"o{i}", cid, kind, ts)
            outcomes[cid] = ts
        elif i % 5 == 0:
            add_outcome(store, f"o{i}", cid, "lost", T0 + 50 * DAY)  # never a conversion
    return store, {"contacts": contacts, "events": events, "outcomes": outcomes}


def _where_ok(where: dict[str, Any] | None, props: dict[str, str]) -> bool:
    if where is None:
        return True
    value = props.get(where["property"])
    if value is None:
        return False
    if "starts_with" in where:
        return bool(value.startswith(where["starts_with"]))
    return bool(value == where["eq"])


def expected_value(info: FeatureInfo, data: dict[str, Any], cid: str, s: int) -> Any:
    contact = data["contacts"][cid]
    if info.kind == "attribute_number":
        return parse_number(contact["attrs"].get(info.attribute))
    if info.kind == "attribute_category":
        value = contact["attrs"].get(info.attribute)
        return None if value is None else (value if value in info.categories else OTHER)
    if info.kind == "attribute_flag":  # the one flag here: a free-mail address
        return float(contact["attrs"]["email"].endswith("@gmail.com"))
    if info.kind == "contact_age":
        created = contact["created"]
        return math.nan if created is None else (s - created) / DAY
    assert info.window_days is not None
    window = info.window_days * DAY
    chosen = [
        e
        for e in data["events"]
        if e["cid"] == cid
        and e["type"] in info.event_types
        and e["ts"] <= s
        and s - e["ts"] < window
        and _where_ok(info.where, e["props"])
    ]
    if info.kind == "event_count":
        return len(chosen)
    if info.kind == "event_recency":
        return min(s - e["ts"] for e in chosen) / DAY if chosen else math.nan
    assert info.kind == "distinct_values"
    return len({e["props"][info.property] for e in chosen if info.property in e["props"]})


@pytest.fixture(scope="module")
def built() -> tuple[DuckStore, dict[str, Any], FeatureTable]:
    store, data = build()
    table = store_training_set(
        store, HORIZON, SNAPSHOTS, options=OPTIONS, max_examples=None, observed_until_us=None
    )
    return store, data, table


def test_examples_are_the_eligible_pairs_with_their_labels(built: Any) -> None:
    _store, data, table = built
    expected = {}
    for s in SNAPSHOTS:
        for cid, contact in data["contacts"].items():
            created, converted = contact["created"], data["outcomes"].get(cid)
            if (created is None or created <= s) and (converted is None or converted > s):
                expected[(cid, s)] = int(converted is not None and converted <= s + HORIZON * DAY)
    got = {
        (str(c), int(s)): int(y)
        for c, s, y in zip(table.contact_id, table.snapshot_us, table.y, strict=True)
    }
    assert got == expected
    assert 0 < sum(got.values()) < len(got)
    s1, s2, s3 = SNAPSHOTS
    assert got[("c02", s1)] == 1
    assert got[("c05", s2)] == 1
    assert got[("c08", s3)] == 1
    assert got[("c06", s2)] == 0
    assert got[("c11", s1)] == 0
    assert ("c10", s2) not in got
    assert got[("c10", s1)] == 0


def test_every_feature_matches_a_direct_computation(built: Any) -> None:
    _, data, table = built
    kinds = {i.kind for i in table.infos}
    assert kinds >= {
        "attribute_number",
        "attribute_category",
        "attribute_flag",
        "contact_age",
        "event_count",
        "event_recency",
        "distinct_values",
    }
    for info in table.infos:
        got = table.X[info.name]
        want = [
            expected_value(info, data, str(c), int(s))
            for c, s in zip(table.contact_id, table.snapshot_us, strict=True)
        ]
        if info.kind == "attribute_category":
            assert [None if v != v else v for v in got.astype(object)] == want, info.name
        else:
            np.testing.assert_allclose(
                got.to_numpy(dtype=np.float64),
                np.array([math.nan if v is None else v for v in want], dtype=np.float64),
                rtol=1e-6,
                atol=1e-9,
                err_msg=info.name,
            )


def test_window_boundaries(built: Any) -> None:
    _, _, table = built
    row = next(
        i
        for i, (c, s) in enumerate(zip(table.contact_id, table.snapshot_us, strict=True))
        if c == "c01" and s == SNAPSHOTS[1]
    )
    pricing_7d = next(
        i.name
        for i in table.infos
        if i.kind == "event_count"
        and i.where == {"property": "url", "starts_with": "/pricing"}
        and i.window_days == 30
    )
    recency = next(
        i.name
        for i in table.infos
        if i.kind == "event_recency" and i.where == {"property": "url", "starts_with": "/pricing"}
    )
    assert table.X[recency][row] == 0.0  # an event at the snapshot itself counts
    # the event exactly 30 days before is out, the one a microsecond later is in
    data = build()[1]
    inside = [
        e
        for e in data["events"]
        if e["cid"] == "c01"
        and e["props"].get("url", "").startswith("/pricing")
        and 0 <= SNAPSHOTS[1] - e["ts"] < 30 * DAY
    ]
    assert table.X[pricing_7d][row] == len(inside)


def test_plan_finds_categories_numbers_and_path_prefixes(built: Any) -> None:
    _, _, table = built
    by_attribute = {i.attribute: i for i in table.infos if i.attribute}
    assert by_attribute["company_size"].kind == "attribute_number"
    industry = by_attribute["industry"]
    assert industry.kind == "attribute_category"
    assert industry.categories[:2] == ("Software", "Retail")
    # the email is an identifier, never a category: only its free-mail flag is a feature
    assert [i.kind for i in table.infos if i.attribute == "email"] == ["attribute_flag"]
    wheres = [i.where for i in table.infos if i.where]
    assert {"property": "url", "starts_with": "/pricing"} in wheres
    assert {"property": "url", "starts_with": "/pricing/enterprise"} in wheres  # lone sub-path
    assert {"property": "url", "eq": "/"} in wheres
    assert not any(w.get("starts_with", "").startswith("/blog/") for w in wheres)  # one of many
    names = [i.name for i in table.infos]
    assert len(names) == len(set(names))
    labels = {i.name: i.label for i in table.infos}
    assert "pricing page views, last 30 days" in labels.values()


def test_path_prefixes_counts_and_shares() -> None:
    values = [("/", 50), ("/pricing", 30), ("/pricing/enterprise", 10), ("/a/1", 5), ("/a/2", 5)]
    values += [("/a/3", 5), ("https://x.io/docs/y?q=1", 20)]
    found = {repr(w): n for w, n in path_prefixes(values, FeatureOptions())}
    assert found[repr({"eq": "/"})] == 50
    assert found[repr({"starts_with": "/pricing"})] == 40
    assert found[repr({"starts_with": "/pricing/enterprise"})] == 10
    assert found[repr({"starts_with": "/a"})] == 15
    assert found[repr({"starts_with": "https://x.io/docs"})] == 20
    assert repr({"starts_with": "/a/1"}) not in found


@pytest.mark.parametrize("most", [False, True])
def test_rule_features_compile_once_and_swap_the_time(
    rule_model: Model, demo: Demo, most: bool
) -> None:
    plan = plan_store(demo.store, demo.cutoff_us, rule_model)
    template = rule_features_sql(rule_model, plan, "duckdb", EXAMPLES, most=most)
    for s in (demo.cutoff_us, demo.cutoff_us - 37 * DAY - 5):
        fresh = rule_features_sql(rule_model, plan, "duckdb", EXAMPLES, at_us=s, most=most)
        assert at_time(template, s) == fresh


@pytest.mark.parametrize("most_share", [0.0, 2.0])
def test_rule_features_equal_the_rule_scores(
    rule_model: Model, demo: Demo, most_share: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule features equal the rule scores, whether the rule model runs on the pairs'
    contacts alone or on every contact (``MOST_SHARE`` 0: always; 2: never)."""
    from leadscore.compile.contacts import compile_contacts
    from leadscore.compile.naming import rule_col
    from leadscore.predict import rule_features
    from leadscore.predict.dataset import store_feature_table

    monkeypatch.setattr(rule_features, "MOST_SHARE", most_share)
    rule_features._template.cache_clear()
    plan = plan_store(demo.store, demo.cutoff_us, rule_model)
    ids = [f"ct-{i:07d}" for i in range(1, 400, 7)]
    table = store_feature_table(demo.store, plan, demo.cutoff_us, ids)
    sql = compile_contacts(rule_model, demo.cutoff_us, contact_ids=ids).sql(pretty=False)
    scored = {r["contact_id"]: r for r in demo.store.rows(sql)}
    assert set(table.contact_id) == set(scored)
    for k, cid in enumerate(table.contact_id):
        row = scored[cid]
        for info in table.infos:
            if info.kind == "rule_points":
                assert info.rule_id is not None
                want = row[rule_col(info.rule_id, "points")]
            elif info.kind == "score":
                name = info.extra["score"]
                want = row["total" if name == "total" else f"score_{name}"]
            else:
                continue
            assert table.X[info.name][k] == pytest.approx(want, rel=1e-6, abs=1e-6), info.name


def test_sampled_training_rule_features_follow_their_examples(
    rule_model: Model, demo: Demo
) -> None:
    """A sampled training set at two snapshots (its row ids have gaps, and the rule features
    are computed apart from the other columns and placed by row id): each example's rule
    features are its contact's rule scores at its own snapshot."""
    from leadscore.compile.contacts import compile_contacts
    from leadscore.compile.naming import rule_col

    times = [demo.cutoff_us - 120 * DAY, demo.cutoff_us - 60 * DAY]
    table = store_training_set(
        demo.store, HORIZON, times, rule_model=rule_model, max_examples=900, seed=4
    )
    assert any(note.startswith("sampled") for note in table.notes)  # so the row ids have gaps
    assert 0 < len(table.contact_id) <= 900
    assert set(table.snapshot_us) == set(times)
    infos = [i for i in table.infos if i.kind == "rule_points"]
    assert infos
    for t in times:
        rows = np.flatnonzero(table.snapshot_us == t)[:60]
        ids = [str(table.contact_id[k]) for k in rows]
        sql = compile_contacts(rule_model, t, contact_ids=ids).sql(pretty=False)
        scored = {r["contact_id"]: r for r in demo.store.rows(sql)}
        for k, cid in zip(rows, ids, strict=True):
            for info in infos:
                assert info.rule_id is not None
                want = scored[cid][rule_col(info.rule_id, "points")]
                got = table.X[info.name].iloc[k]
                assert got == pytest.approx(want, rel=1e-6, abs=1e-6), (cid, t, info.name)


def test_stored_rule_scores_are_reused_only_when_fresh(
    rule_model: Model, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadscore.demo import load
    from leadscore.predict import rule_features
    from leadscore.predict.dataset import store_feature_table
    from leadscore.scoring.run import score_store

    t = demo.cutoff_us
    plan = plan_store(demo.store, t, rule_model)
    computed = store_feature_table(demo.store, plan, t)
    store = DuckStore(threads=2)
    load(store, demo.data)
    score_store(store, rule_model, t, entities=("contacts",))

    def no_compiling(*args: Any) -> str:
        raise AssertionError("compiled the rule model although fresh scores were stored")

    monkeypatch.setattr(rule_features, "_template", no_compiling)
    reused = store_feature_table(store, plan, t)
    pd.testing.assert_frame_equal(reused.X, computed.X)
    # an event that arrived after the scoring run: the stored scores may be stale
    store.execute(
        "INSERT INTO events VALUES ('late', 'ct-0000001', 'demo_request', ?, '{}', ?)",
        [t - DAY, 2**62],
    )
    with pytest.raises(AssertionError, match="compiled the rule model"):
        store_feature_table(store, plan, t)


def test_fetch_frame_after_a_result_left_open() -> None:
    """A query run with execute() and read only partly must not block the next fetch."""
    from leadscore.predict.features import fetch_frame

    store = new_store()
    store.con.execute("SELECT * FROM range(100000)").fetchone()  # an open, half-read result
    frame = fetch_frame(store, "SELECT 41 + 1 AS answer")
    assert frame["answer"].tolist() == [42]
    store.execute("SELECT * FROM range(10)")
    assert fetch_frame(store, "SELECT count(*) AS n FROM range(7)")["n"].tolist() == [7]
