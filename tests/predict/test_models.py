"""Training: calibration on the demo data (known true probabilities), determinism, the
few-outcomes fallback, and reasons that add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.predict import metrics
from leadscore.predict.reasons import explain_table
from leadscore.predict.train import train
from leadscore.predict.trained import TrainedModel, to_score
from tests.predict.conftest import DAY, HORIZON, Demo


def judged(demo: Demo, model: TrainedModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Probabilities at the cutoff for the contacts that had not converted, their outcome in
    the next 90 days and their true probability."""
    t = demo.cutoff_us
    table = model.features_for(demo.store, t)
    p = model.predict_proba(table)
    outcomes = demo.data.outcomes.to_pandas()
    firsts = outcomes[outcomes.type.isin(["converted", "won"])].groupby("contact_id").ts_us.min()
    first = firsts.reindex(table.contact_id).to_numpy()
    open_ = ~(first <= t)
    y = ((first > t) & (first <= t + HORIZON * DAY))[open_].astype(int)
    truth = demo.data.truth.to_pandas().set_index("contact_id").p_convert_90d
    return p[open_], y, truth.reindex(table.contact_id).to_numpy()[open_]


@pytest.mark.parametrize("kind", ["logistic", "lightgbm"])
def test_calibrated_and_close_to_the_true_probabilities(
    demo: Demo, trained: dict[str, TrainedModel], kind: str
) -> None:
    model = trained[kind]
    assert model.kind == kind
    p, y, truth = judged(demo, model)
    assert len(y) > 2000
    assert 100 < y.sum() < 400
    auc, true_auc = metrics.roc_auc_score(y, p), metrics.roc_auc_score(y, truth)
    assert auc > 0.88 * true_auc, (auc, true_auc)
    assert metrics.expected_calibration_error(y, p) < 0.03
    assert abs(p.mean() - y.mean()) < 0.02
    # the model's own validation report agrees with what we measured
    report = model.report
    chosen = next(c for c in report.candidates if c["kind"] == kind)
    folds = chosen.get("folds", [report.metrics])
    assert folds[0]["roc_auc"] > 0.65  # the latest hold-out, fitted on the most examples
    # every fold together: the earlier ones are fitted on fewer, older examples
    assert min(f["roc_auc"] for f in folds) <= report.metrics["roc_auc"] > 0.6
    assert any(line.startswith("each fold") for line in report.lines()) == (len(folds) > 1)
    assert report.metrics["ece"] < 0.05
    assert report.counts["snapshots"] == len(model.snapshots_us) > 3


def test_auto_picks_by_time_ordered_validation(demo: Demo, rule_model: object) -> None:
    model = train(
        demo.store,
        HORIZON,
        snapshots=[demo.cutoff_us - k * 45 * DAY for k in range(4)],
        rule_model=None,
        observed_until_us=demo.end_us,
        n_jobs=2,
        n_estimators=60,
        max_examples=4000,
        min_positives=50,
    )
    report = model.report
    assert report.protocol.startswith("time-ordered")
    # fitted only on examples whose outcome window closed before the held-out snapshots
    assert "at least the horizon earlier" in report.protocol
    assert model.estimator.time_gap == HORIZON * DAY
    assert {c["kind"] for c in report.candidates} == {"logistic", "lightgbm"}
    assert model.kind in report.reason
    assert any("sampled" in m for m in report.messages)
    assert not any(i.kind == "rule_points" for i in model.features)


def test_same_seed_same_model(demo: Demo) -> None:
    def once(seed: int) -> TrainedModel:
        return train(
            demo.store,
            HORIZON,
            snapshots=[demo.cutoff_us - 60 * DAY, demo.cutoff_us],
            observed_until_us=demo.end_us,
            kind="lightgbm",
            seed=seed,
            n_jobs=2,
            n_estimators=20,
            max_examples=1500,
        )

    a, b, c = once(4), once(4), once(5)
    table = a.features_for(demo.store, demo.end_us)
    assert a.fingerprint == b.fingerprint
    np.testing.assert_array_equal(a.predict_proba(table), b.predict_proba(table))
    assert c.fingerprint != a.fingerprint  # another seed samples other examples
    assert not np.array_equal(a.predict_proba(table), c.predict_proba(table))


def few_outcomes_table(n: int = 1500, positives: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "employees": rng.integers(1, 5000, n).astype(str),
            "industry": rng.choice(["Software", "Retail", "Health"], n),
            "visits": rng.poisson(3, n),
        }
    )
    score = frame.visits + (frame.industry == "Software") * 2 + rng.normal(0, 1, n)
    frame["converted"] = np.where(score.rank(ascending=False) <= positives, "yes", "no")
    return frame


def test_few_outcomes_fall_back_to_the_logistic_model_and_say_so() -> None:
    model = train(few_outcomes_table(), kind="auto", n_jobs=1)
    assert model.kind == "logistic"
    assert any("too few for gradient-boosted trees" in m for m in model.report.messages)
    assert model.report.candidates[0]["kind"] == "logistic"
    assert model.report.protocol.startswith("stratified")
    forced = train(few_outcomes_table(), kind="lightgbm", n_jobs=1, n_estimators=20)
    assert forced.kind == "lightgbm"
    assert any("may overfit" in m for m in forced.report.messages)


@pytest.mark.parametrize("kind", ["logistic", "lightgbm"])
def test_reasons_add_up_to_the_logit(
    demo: Demo, trained: dict[str, TrainedModel], kind: str
) -> None:
    model = trained[kind]
    table = model.features_for(demo.store, demo.end_us, [f"ct-{i:07d}" for i in range(1, 60)])
    contrib, base = model.contributions(table)
    logit = model.estimator.decision_function(table.X)
    np.testing.assert_allclose(base + contrib.sum(axis=1), logit, rtol=1e-9, atol=1e-9)
    if kind == "logistic":  # coef x centred value: the base is the same for everyone
        assert np.ptp(base) == 0.0
    explained = explain_table(model, table, top=3)
    p = model.predict_proba(table)
    for k, e in enumerate(explained):
        assert e.additive
        assert e.score == to_score(p[k]) == round(100 * p[k])
        assert len(e.positive) <= 3
        assert len(e.negative) <= 3
        assert all(f.contribution > 0 for f in e.positive)
        assert all(f.contribution < 0 for f in e.negative)
        strongest = np.sort(contrib[k])[::-1][: len(e.positive)]
        np.testing.assert_allclose([f.contribution for f in e.positive], strongest)
        for f in e.positive + e.negative:
            assert f.text.startswith(f"{f.label} = {f.value} (")
            assert f.text.endswith(" log-odds)")


def test_scores_round_probabilities() -> None:
    p = np.array([0.0, 0.004, 0.005, 0.0149, 0.5, 0.994, 0.995, 1.0])
    assert to_score(p).tolist() == [0, 0, 1, 1, 50, 99, 100, 100]


def test_the_choice_prefers_the_simpler_model_on_ties() -> None:
    from leadscore.predict.selection import Candidate, _choose

    def pair(trees: float, linear: float) -> list[Candidate]:
        return [
            Candidate("lightgbm", {"log_loss": trees, "roc_auc": 0.8}, 1.0),
            Candidate("logistic", {"log_loss": linear, "roc_auc": 0.7}, 1.0),
        ]

    kind, reason = _choose(pair(0.20, 0.25))
    assert kind == "lightgbm"
    assert "0.2000 (lightgbm) vs 0.2500 (logistic)" in reason
    kind, reason = _choose(pair(0.2499, 0.25))  # better by less than 0.2 %: a tie
    assert (kind, "not beaten by more than 0.2%" in reason) == ("logistic", True)
    kind, reason = _choose(pair(0.26, 0.25))
    assert (kind, "better validation log loss" in reason) == ("logistic", True)


def test_the_logistic_logit_is_the_same_on_one_thread_or_several(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from leadscore.predict import linear

    rng = np.random.default_rng(4)
    X = np.column_stack(
        [rng.poisson(2.0, 5000), rng.normal(size=5000), rng.integers(0, 4, 5000)]
    ).astype(np.float32)
    X[rng.uniform(size=5000) < 0.1, 1] = np.nan
    y = (rng.uniform(size=5000) < 1 / (1 + np.exp(-(X[:, 0] - 2)))).astype(np.int8)
    model = linear.LinearModel(C=1.0).fit(X, y, [False, False, True])
    monkeypatch.setattr(linear, "CHUNK", 700)  # several blocks, the last one partial
    model.threads = 1
    one = model.logit(X)
    model.threads = 3
    np.testing.assert_array_equal(model.logit(X), one)
    expected = model.design(X) @ model.coef + model.intercept
    np.testing.assert_allclose(one, expected, rtol=1e-12, atol=1e-12)
    assert np.std(one) > 0.5


def test_the_logistic_logit_reads_categories_by_their_coefficients() -> None:
    """The logit adds each category's coefficient from a table of its levels: a level missing
    in training has its own, a code the training never saw weighs nothing; the same as the
    design columns times the coefficients."""
    from leadscore.predict import linear

    rng = np.random.default_rng(6)
    X = np.column_stack([rng.normal(size=4000), rng.integers(0, 3, 4000)]).astype(np.float32)
    X[rng.uniform(size=4000) < 0.2, 1] = np.nan  # missing is a level of its own
    y = (rng.uniform(size=4000) < np.where(X[:, 1] == 1, 0.6, 0.2)).astype(np.int8)
    model = linear.LinearModel(C=1.0).fit(X, y, [False, True])
    later = X[:300].copy()
    later[:100, 1] = 7  # never seen in training
    later[100:200, 1] = np.nan
    got = model.logit(later)
    np.testing.assert_allclose(
        got, model.design(later) @ model.coef + model.intercept, rtol=1e-12, atol=1e-12
    )
    # the same read from a list of the columns (as the estimator passes a data frame's)
    np.testing.assert_array_equal(model.logit([later[:, j].copy() for j in range(2)]), got)
    no_category = later.copy()
    no_category[:100, 1] = 99
    np.testing.assert_array_equal(model.logit(no_category)[:100], got[:100])
    contributions, base = model.contributions(later)
    np.testing.assert_allclose(contributions.sum(axis=1) + base, got, rtol=1e-12, atol=1e-12)
    # each feature's: its design columns' coefficient x (value - training mean), summed
    owners = [n.index for n in model.numeric for _ in range(2 if n.indicator else 1)]
    owners += [c.index for c in model.categories for _ in c.levels]
    terms = (model.design(later) - model.means) * model.coef
    for feature in range(2):
        mine = [k for k, owner in enumerate(owners) if owner == feature]
        np.testing.assert_allclose(
            contributions[:, feature], terms[:, mine].sum(axis=1), rtol=1e-12, atol=1e-12
        )
    assert len({round(float(v), 9) for v in contributions[:, 1]}) >= 3
