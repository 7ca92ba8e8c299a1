"""Fit time of the predictive trees on a large training set: the model as it was before the
tree-shape search and the refit, and as it is now, side by side in one run (not a timed test).

    .venv/bin/python benchmarks/bench_fit_time.py [--workspace bench-data/predict-1000000-10-7]
        [--max-examples 1000000] [--jobs 2] [--seed 0]

The workspace is the one ``benchmarks/bench_predict_speed.py`` builds (1M demo contacts). The
point-in-time training set (90-day horizon, the workspace's rule model) is built once; then
``LeadScoreClassifier(kind="lightgbm")`` is fitted on it twice, ``before`` (63 bins, no shape
search, no refit, no horizon gap) and ``now`` (the defaults, with the 90-day gap that
``train`` passes), each with its wall and CPU seconds; then both again with ``validate=True``,
as ``train`` fits (the time-ordered validation fit on at most 200,000 earlier examples, judged
on at most 200,000 later ones, before the final fit). Results: docs/benchmarks.md
("Accuracy").
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

DAY_US = 86_400_000_000
BEFORE = {"max_bin": 63, "tune": False, "refit": False}
NOW = {"time_gap": 90 * DAY_US}
VARIANTS: dict[str, dict[str, Any]] = {
    "before": BEFORE,
    "now": NOW,
    # as ``train`` fits: the validation fit on at most 200,000 earlier examples first
    "before, validated": {**BEFORE, "validate": True},
    "now, validated": {**NOW, "validate": True},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, default=Path("bench-data/predict-1000000-10-7"))
    parser.add_argument("--max-examples", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from leadscore.predict.dataset import store_training_set
    from leadscore.predict.estimator import LeadScoreClassifier
    from leadscore.store.workspace import Workspace

    workspace = Workspace.open(args.workspace)
    started = time.perf_counter()
    with workspace.store(read_only=True) as store:
        table = store_training_set(
            store,
            90,
            rule_model=workspace.load_model(),
            max_examples=args.max_examples,
            seed=args.seed,
        )
    print(f"training set {table.X.shape} in {time.perf_counter() - started:.1f} s", flush=True)
    for name, params in VARIANTS.items():
        wall, cpu = time.perf_counter(), time.process_time()
        model = LeadScoreClassifier(
            kind="lightgbm", random_state=args.seed, n_jobs=args.jobs, **params
        ).fit(table.X, table.y, sample_time=table.snapshot_us)
        print(
            f"{name}: {time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} "
            f"CPU s, load {os.getloadavg()[0]:.1f}; {model.model_.note}",
            flush=True,
        )


if __name__ == "__main__":
    main()
