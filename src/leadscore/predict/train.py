"""Train a predictive model on a store (point in time) or on a plain table.

``train`` builds the training set, validates the candidate kind(s) with the protocol of
:mod:`leadscore.predict.selection`, refits the chosen kind on every example and returns a
:class:`~leadscore.predict.trained.TrainedModel` with its report. The report's metrics are those
of the validation fit (trained on the snapshots whose horizon ended before the later ones
began, judged on the later ones); the model kept is refitted on all snapshots.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.predict.estimator import KINDS

if TYPE_CHECKING:
    import pandas as pd

    from leadscore.model.spec import Model
    from leadscore.predict.dataset import FeatureTable
    from leadscore.predict.plan import FeatureOptions
    from leadscore.predict.trained import TrainedModel
    from leadscore.store.base import Store


def fingerprint(table: FeatureTable) -> str:
    """A hash of the training data: every example's id, time, features and label."""
    import hashlib

    import numpy as np
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(",".join(table.plan.names).encode())
    rows = pd.util.hash_pandas_object(table.X, index=False).to_numpy()
    ids = pd.util.hash_array(np.asarray(table.contact_id, dtype=object))
    digest.update(rows.tobytes())
    digest.update(ids.tobytes())
    if table.snapshot_us is not None:
        digest.update(np.ascontiguousarray(table.snapshot_us).tobytes())
    if table.y is not None:
        digest.update(np.ascontiguousarray(table.y).tobytes())
    return digest.hexdigest()[:16]


def train(
    source: Store | pd.DataFrame,
    horizon_days: int = 90,
    snapshots: Sequence[int] | None = None,
    seed: int = 0,
    kind: str = "auto",
    *,
    rule_model: Model | None = None,
    every_days: int = 30,
    max_snapshots: int = 12,
    observed_until_us: int | None = None,
    options: FeatureOptions | None = None,
    max_examples: int | None = 1_000_000,
    n_jobs: int | None = None,
    outcome: str = "converted",
    positive: Any = None,
    id_column: str | None = None,
    time_column: str | None = None,
    exclude: Sequence[str] = (),
    **estimator_params: Any,
) -> TrainedModel:
    """Train on a store's contacts, events and outcomes (examples at ``snapshots``, default one
    every ``every_days``; label: converted within ``horizon_days``; the rule model's points as
    features when ``rule_model`` is given) or on a plain table (``outcome`` column; see
    :func:`leadscore.predict.dataset.table_training_set`). ``kind``: auto, lightgbm or
    logistic. Deterministic for a given ``seed`` and ``n_jobs``."""
    import numpy as np
    import pandas as pd

    from leadscore.predict.dataset import store_training_set, table_training_set
    from leadscore.predict.estimator import LeadScoreClassifier
    from leadscore.predict.snapshots import DAY_US
    from leadscore.predict.trained import TrainedModel, TrainingReport
    from leadscore.timeutil import now_us

    if kind not in KINDS:
        raise LeadscoreError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    started, cpu = time.perf_counter(), time.process_time()
    if isinstance(source, pd.DataFrame):
        table = table_training_set(
            source,
            outcome,
            positive=positive,
            id_column=id_column,
            time_column=time_column,
            exclude=exclude,
            options=options,
        )
    else:
        table = store_training_set(
            source,
            horizon_days,
            snapshots,
            every_days=every_days,
            max_snapshots=max_snapshots,
            observed_until_us=observed_until_us,
            rule_model=rule_model,
            options=options,
            max_examples=max_examples,
            seed=seed,
        )
    features_seconds = time.perf_counter() - started
    features_cpu = time.process_time() - cpu
    assert table.y is not None
    positives = int(np.count_nonzero(table.y))
    if positives == 0 or positives == len(table.y):
        what = "no conversions" if positives == 0 else "only conversions"
        raise LeadscoreError(
            f"the training set ({len(table.y):,} examples) has {what}: nothing to learn from"
            + ("; try a longer horizon" if positives == 0 else "")
        )
    started, cpu = time.perf_counter(), time.process_time()
    if table.horizon_days is not None and table.snapshot_us is not None:
        # validation fits only on examples whose outcome window closed before the held-out ones
        estimator_params.setdefault("time_gap", table.horizon_days * DAY_US)
    estimator = LeadScoreClassifier(
        kind=kind, validate=True, random_state=seed, n_jobs=n_jobs, **estimator_params
    )
    estimator.fit(table.X, table.y, sample_time=table.snapshot_us)
    fit_seconds = time.perf_counter() - started
    fit_cpu = time.process_time() - cpu
    selection = estimator.selection_
    assert selection is not None
    note = getattr(estimator.model_, "note", "")
    if estimator.kind_ == "logistic":
        note = "regularised logistic regression" + (
            f" fitted on a sample of {estimator.max_linear_samples:,} examples"
            if estimator.max_linear_samples is not None
            and len(table.y) > estimator.max_linear_samples
            else ""
        )
    report = TrainingReport(
        kind=str(estimator.kind_),
        reason=selection.reason,
        protocol=selection.protocol,
        metrics=selection.metrics,
        candidates=[c.as_dict() for c in selection.candidates],
        messages=[*selection.messages, *table.notes],
        counts={
            "examples": len(table.y),
            "positives": positives,
            "contacts": len(set(table.contact_id.tolist())),
            "snapshots": len(table.snapshots_us),
            "features": len(table.plan.infos),
        },
        base_rate=positives / len(table.y),
        model_note=f"final model refitted on all {len(table.y):,} examples: {note}",
        seconds={
            "features": features_seconds,
            "validation": sum(c.seconds for c in selection.candidates),
            "fit": fit_seconds,
            # CPU seconds of every thread (on a busy machine wall time says little)
            "features_cpu": features_cpu,
            "fit_cpu": fit_cpu,
        },
    )
    return TrainedModel(
        estimator=estimator,
        plan=table.plan,
        report=report,
        horizon_days=table.horizon_days,
        snapshots_us=list(table.snapshots_us),
        fingerprint=fingerprint(table),
        created_at_us=now_us(),
        seed=seed,
    )
