"""Compiled trees against LightGBM's own predict, by the size of the trees.

    OMP_WAIT_POLICY=PASSIVE python benchmarks/bench_compiled_trees.py [--rows 200000]
        [--features 120] [--trees 300] [--leaves 5,15,31] [--threads 2]

For each tree size, a LightGBM model of ``--trees`` trees is fitted on random data (a sum of
ten columns plus noise, so that the trees use their leaves), then: how long compiling takes
(``leadscore.predict.compiled.CompiledTrees``, nothing cached), and the raw scores of the
``--rows`` rows by the compiled code and by LightGBM, side by side on the same threads, with
the largest difference between them. This is what sets ``compiled.ROWS_PER_LEAF`` (from how
many rows compiling pays). Results: docs/benchmarks.md ("Predictive scoring speed").
"""

from __future__ import annotations

import argparse
import json
import os
import time


def main() -> None:
    import lightgbm as lgb
    import numpy as np

    from leadscore.predict.compiled import CompiledTrees

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=120)
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--leaves", default="5,15,31")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.rows, args.features)).astype(np.float32)
    y = (X[:, :10].sum(axis=1) + rng.normal(size=args.rows) > 0).astype(np.int8)
    for leaves in (int(x) for x in args.leaves.split(",")):
        settings = {"objective": "binary", "num_leaves": leaves, "verbose": -1}
        settings["num_threads"] = args.threads
        booster = lgb.train(settings, lgb.Dataset(X, y), args.trees)
        started = time.perf_counter()
        trees = CompiledTrees(booster, args.trees)
        compile_s = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        ours = trees.raw(X, args.threads)
        ours_s, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
        started, cpu = time.perf_counter(), time.process_time()
        theirs = booster.predict(X, raw_score=True, num_threads=args.threads)
        theirs_s, theirs_cpu = time.perf_counter() - started, time.process_time() - cpu
        result = {
            "leaves": leaves,
            "trees": args.trees,
            "compile_s": round(compile_s, 2),
            "compiled_predict_s": round(ours_s, 3),
            "compiled_predict_cpu_s": round(ours_cpu, 3),
            "lightgbm_predict_s": round(theirs_s, 3),
            "lightgbm_predict_cpu_s": round(theirs_cpu, 3),
            "rows": args.rows,
            "max_abs_difference": float(np.abs(ours - theirs).max()),
            "load_average": os.getloadavg()[0],
        }
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
