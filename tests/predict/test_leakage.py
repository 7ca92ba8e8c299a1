"""No leakage: nothing after a snapshot changes its features, and labels read only the
horizon."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd

from leadscore.demo import generate, load
from leadscore.model.spec import Model
from leadscore.predict.dataset import store_feature_table, store_training_set
from leadscore.predict.plan import plan_store
from leadscore.store.duckdb_store import DuckStore
from tests.predict.conftest import DAY, add_contact, add_event, add_outcome
from tests.predict.test_features import OPTIONS, SNAPSHOTS, build

S1 = SNAPSHOTS[0]
HORIZON = 30


def disturb_after(store: DuckStore, t: int, seed: int = 1) -> None:
    """Add, change and delete events after ``t``; add outcomes and contacts after ``t``."""
    rng = random.Random(seed)
    for i in range(300):
        cid = f"c{rng.randrange(40):02d}"
        kind = rng.choice(["page_view", "demo_request", "webinar_attended", "trial_signup"])
        ts = t + rng.randint(1, 400 * DAY)
        add_event(store, f"late{i}", cid, kind, ts, url=rng.choice(["/pricing", "/new/page"]))
    store.execute('UPDATE events SET properties = \'{"url":"/x"}\' WHERE ts_us > ?', [t + DAY])
    store.execute("DELETE FROM events WHERE ts_us > ? AND event_id LIKE 'e1%'", [t])
    for i in range(40):
        add_outcome(store, f"late-o{i}", f"c{i:02d}", "converted", t + rng.randint(1, 300) * DAY)
    add_contact(store, "late-contact", t + DAY, industry="Aerospace", brand_new_key="yes")


def test_events_and_outcomes_after_the_snapshot_never_change_its_features(
    rule_model: Model,
) -> None:
    before, _ = build()
    after, _ = build()
    disturb_after(after, S1)
    plan = plan_store(before, S1, rule_model, OPTIONS)
    assert any(i.kind == "rule_points" for i in plan.infos)
    a = store_feature_table(before, plan, S1)
    b = store_feature_table(after, plan, S1)
    assert list(a.contact_id) == list(b.contact_id)
    pd.testing.assert_frame_equal(a.X, b.X)
    # a control: the same disturbance before the snapshot does change them
    early, _ = build()
    disturb_after(early, S1 - 200 * DAY)
    c = store_feature_table(early, plan, S1)
    assert not a.X.equals(c.X.loc[[str(x) in set(a.contact_id) for x in c.contact_id]])


def test_the_plan_is_chosen_from_data_up_to_the_cutoff(rule_model: Model) -> None:
    before, _ = build()
    after, _ = build()
    disturb_after(after, S1)
    assert plan_store(before, S1, rule_model, OPTIONS).infos == (
        plan_store(after, S1, rule_model, OPTIONS).infos
    )
    later = plan_store(after, S1 + 500 * DAY, rule_model, OPTIONS)
    assert any("webinar_attended" in i.event_types for i in later.infos)  # sees them later


def test_labels_read_only_the_horizon() -> None:
    store, _ = build()
    base = store_training_set(store, HORIZON, [S1], options=OPTIONS, max_examples=None)
    assert base.y is not None
    # conversions after the horizon change nothing
    for i, cid in enumerate(base.contact_id):
        add_outcome(store, f"after-{i}", str(cid), "won", S1 + HORIZON * DAY + 1 + i)
    same = store_training_set(store, HORIZON, [S1], options=OPTIONS, max_examples=None)
    assert same.y is not None
    assert list(same.contact_id) == list(base.contact_id)
    np.testing.assert_array_equal(same.y, base.y)
    pd.testing.assert_frame_equal(same.X, base.X)
    # a conversion inside the horizon turns a 0 into a 1; one before the snapshot removes it
    zeros = [str(c) for c, y in zip(base.contact_id, base.y, strict=True) if y == 0]
    add_outcome(store, "inside", zeros[0], "converted", S1 + HORIZON * DAY)
    add_outcome(store, "before", zeros[1], "converted", S1)
    changed = store_training_set(store, HORIZON, [S1], options=OPTIONS, max_examples=None)
    assert changed.y is not None
    labels = dict(zip(map(str, changed.contact_id), changed.y, strict=True))
    assert labels[zeros[0]] == 1
    assert zeros[1] not in labels


def test_demo_features_do_not_see_the_future(rule_model: Model) -> None:
    """On the demo data: cutting every event and outcome after T leaves T's features alone."""
    data = generate(500, seed=9)
    full, cut = DuckStore(threads=2), DuckStore(threads=2)
    load(full, data)
    load(cut, data)
    t = data.spec.end_us - 120 * DAY
    cut.execute("DELETE FROM events WHERE ts_us > ?", [t])
    cut.execute("DELETE FROM outcomes WHERE ts_us > ?", [t])
    plan = plan_store(full, t, rule_model)
    a = store_feature_table(full, plan, t)
    b = store_feature_table(cut, plan, t)
    pd.testing.assert_frame_equal(a.X, b.X)
    assert len(a) > 80
