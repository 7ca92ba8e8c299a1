"""Population stability index: known values, levels, and drift on the demo."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from leadscore.evaluate import drift as d

# reference 50/50, current 25/75: (0.25 - 0.5) ln(0.5) + (0.75 - 0.5) ln(1.5)
KNOWN = (0.25 - 0.5) * math.log(0.5) + (0.75 - 0.5) * math.log(1.5)


def test_known_value_numeric_and_categorical() -> None:
    ref = [0.0] * 50 + [1.0] * 50
    cur = [0.0] * 25 + [1.0] * 75
    assert d.psi(ref, cur) == pytest.approx(KNOWN)
    assert d.psi_categorical(["a"] * 50 + ["b"] * 50, ["a"] * 25 + ["b"] * 75) == pytest.approx(
        KNOWN
    )


def test_identical_and_symmetric_shift() -> None:
    rng = np.random.default_rng(0)
    ref = rng.normal(0, 1, 5000)
    assert d.psi(ref, ref) == pytest.approx(0.0)
    same = d.psi(ref, rng.normal(0, 1, 5000))
    shifted = d.psi(ref, rng.normal(1, 1, 5000))
    assert same < d.MODERATE < d.LARGE < shifted


def test_levels() -> None:
    assert [d.drift_level(x) for x in (0.05, 0.1, 0.2, 0.25, 0.3)] == [
        "stable",
        "moderate",
        "moderate",
        "moderate",
        "large",
    ]
    assert d.drift_level(float("nan")) == "n/a"


def test_missing_values_get_their_own_bin() -> None:
    labels, ref, cur = d.numeric_bins(np.array([1.0, 2.0, np.nan]), np.array([1.0, np.nan, np.nan]))
    assert labels[-1] == d.MISSING
    assert (ref[-1], cur[-1]) == (1, 2)


def test_rare_categories_are_grouped() -> None:
    labels, _ref, cur = d.categorical_bins(["a", "b", "c"], ["a", "z"], max_categories=2)
    assert labels == ["a", "b", d.OTHER]
    assert cur.tolist() == [1, 0, 1]


def test_compare_samples_skips_identifiers() -> None:
    ref = pd.DataFrame({"email": [f"u{i}@x.com" for i in range(200)], "n": range(200)})
    cur = pd.DataFrame({"email": [f"v{i}@x.com" for i in range(200)], "n": range(200)})
    features, skipped = d.compare_samples(ref, cur, {"email": "attribute", "n": "events"})
    assert skipped == ["email"]
    assert [f.feature for f in features] == ["n"]
    assert features[0].psi == pytest.approx(0.0)


def test_drift_on_the_demo(demo_workspace) -> None:  # type: ignore[no-untyped-def]
    from leadscore.evaluate.scorers import resolve_scorer
    from leadscore.timeutil import to_us

    with demo_workspace.store() as store:
        scorer = resolve_scorer("active", demo_workspace, store)
        result = d.drift(
            store,
            scorer,
            (to_us("2024-10-01"), to_us("2024-12-31")),
            (to_us("2025-04-01"), to_us("2025-06-30")),
        )
    names = [f.feature for f in result.features]
    assert names[:3] == ["score", "score_fit", "score_engagement"]
    assert "attribute:industry" in names
    assert "events:demo_request" in names
    assert "attribute:email" not in names  # identifiers say nothing as a distribution
    assert all(f.psi >= 0 for f in result.features)
    assert result.leads[0] > 0
    assert result.leads[1] > 0
    json.dumps(result.as_dict(), allow_nan=False)
