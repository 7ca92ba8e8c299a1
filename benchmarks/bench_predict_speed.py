"""Predictive scoring speed: training set, training, scoring and explanations at scale.

    python benchmarks/bench_predict_speed.py [--contacts 1000000] [--events-per-contact 10]
                                             [--kinds lightgbm,auto] [--max-examples 1000000]
                                             [--data-dir bench-data] [--threads 2]

Builds (or reuses) a demo workspace of that size (``bench-data/predict-<contacts>-<epc>-<seed>``),
then runs each step in its own interpreter so that peak memory (VmHWM) is per step:

- train (one run per kind): the point-in-time training set (features of about
  ``max-examples`` (contact, snapshot) pairs, 90-day horizon, snapshots every 30 days, the
  example rule model's points included), then ``train`` (validation fit on at most 200,000
  earlier examples, then the final fit on every example); the model is saved in the workspace;
- score (per trained model): ``predict_store`` as of the data's end: every contact's features,
  probabilities and the ``predictions`` table; then once more after scoring the rule model at
  that time (untimed by the first figure), when the rule features come from the stored scores;
- explain (per trained model): the worded top factors (``explain_table``) of 1, 100 and
  10,000 leads and, for the logistic model, every lead's top factors as arrays
  (``top_factors``);
- reference (once, first): plain LightGBM on a random 1M x 100 matrix with the same settings,
  a yardstick for how busy the (shared) machine is during the run;
- features (only on request: ``--step features --root <workspace> --model-id <id>``): the
  feature builds alone (training set and scoring), to compare two versions of the code side
  by side (put the other version's ``src`` first on ``PYTHONPATH``).

Targets (issue 4): training on 1M contacts x ~100 features <= 60 s, scoring 1M contacts
<= 10 s on 2 cores. Results and how to read them: docs/benchmarks.md ("Predictive scoring").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DAY_US = 86_400_000_000


def _usage() -> dict[str, float]:
    """CPU seconds so far and peak memory of this process (VmHWM on Linux, else ru_maxrss)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    out = {"cpu_s": me.ru_utime + me.ru_stime, "peak_mb": me.ru_maxrss / 1024}
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                out["peak_mb"] = int(line.split()[1]) / 1024
    return out


def prepare(args: argparse.Namespace) -> Path:
    """The benchmark workspace, built unless one with the same parameters exists."""
    from leadscore.demo import reuse_or_build

    root = args.data_dir / f"predict-{args.contacts}-{args.events_per_contact:g}-{args.seed}"
    started = time.perf_counter()
    _, reused = reuse_or_build(
        root, args.contacts, args.seed, events_per_contact=args.events_per_contact, threads=2
    )
    done = "reusing" if reused else f"built in {time.perf_counter() - started:.1f}s:"
    print(f"{done} {root}", file=sys.stderr)
    return root


def run_train(args: argparse.Namespace) -> dict[str, Any]:
    from leadscore.predict.registry import save_model
    from leadscore.predict.train import train
    from leadscore.store.duckdb_store import DuckStore
    from leadscore.store.workspace import Workspace

    ws = Workspace.open(args.root)
    rule_model = ws.load_model()  # (before opening the database: this reads it too)
    started = time.perf_counter()
    with DuckStore(ws.database_path, read_only=True, threads=args.threads) as store:
        model = train(
            store,
            90,
            seed=args.seed,
            kind=args.kind,
            rule_model=rule_model,
            max_examples=args.max_examples,
            n_jobs=args.threads,
        )
    wall = time.perf_counter() - started
    record = save_model(ws, model, activate=False)
    r = model.report
    return {
        "model_id": record.model_id,
        "kind": model.kind,
        "examples": r.counts["examples"],
        "positives": r.counts["positives"],
        "features": r.counts["features"],
        "snapshots": r.counts["snapshots"],
        "features_s": r.seconds["features"],
        "validation_s": r.seconds["validation"],
        "final_fit_s": r.seconds["fit"] - r.seconds["validation"],
        "fit_s": r.seconds["fit"],
        "features_cpu_s": r.seconds["features_cpu"],
        "fit_cpu_s": r.seconds["fit_cpu"],
        "wall_s": wall,
        "roc_auc": r.metrics.get("roc_auc"),
        "ece": r.metrics.get("ece"),
        "reason": r.reason,
        "note": r.model_note,
    }


def run_score(args: argparse.Namespace) -> dict[str, Any]:
    from leadscore.predict.registry import load_model
    from leadscore.predict.scoring import predict_store
    from leadscore.scoring.run import score_store
    from leadscore.store.duckdb_store import DuckStore
    from leadscore.store.workspace import Workspace

    ws = Workspace.open(args.root)
    model = load_model(ws, args.model_id)
    rule_model = ws.load_model()
    started = time.perf_counter()
    with DuckStore(ws.database_path, threads=args.threads) as store:
        end = int(store.scalar("SELECT max(ts_us) FROM events"))
        store.drop_table("scores")  # the rule features are computed (no stored scores)
        run = predict_store(store, model, end)
        wall = time.perf_counter() - started
        # the usual sequence: leadscore score, then leadscore predict at the same time, which
        # reads the rule features from the fresh scores table
        scored, cpu = time.perf_counter(), time.process_time()
        score_store(store, rule_model, end, entities=("contacts",))
        rule_s, rule_cpu_s = time.perf_counter() - scored, time.process_time() - cpu
        again = predict_store(store, model, end)
    return {
        "model_id": args.model_id,
        "kind": model.kind,
        "rows": run.rows,
        **{f"{k}_s": v for k, v in run.seconds.items()},
        "wall_s": wall,
        "rule_scoring_s": rule_s,
        "rule_scoring_cpu_s": rule_cpu_s,
        **{f"after_scoring_{k}_s": v for k, v in again.seconds.items()},
    }


def run_features(args: argparse.Namespace) -> dict[str, Any]:
    """The feature builds alone, no fitting: the training set of the train step and the
    scoring features of a trained model's plan as of the data's end (rule features read from
    the scores table when it is fresh for that time, as after the score step). For a side-by-
    side run of two versions of the code: ``--step features --root ... --model-id ...``."""
    from leadscore.predict.dataset import store_feature_table, store_training_set
    from leadscore.predict.registry import load_model
    from leadscore.store.duckdb_store import DuckStore
    from leadscore.store.workspace import Workspace

    ws = Workspace.open(args.root)
    model = load_model(ws, args.model_id)
    rule_model = ws.load_model()
    out: dict[str, Any] = {"model_id": args.model_id}
    with DuckStore(ws.database_path, read_only=True, threads=args.threads) as store:
        end = int(store.scalar("SELECT max(ts_us) FROM events"))
        started, cpu = time.perf_counter(), time.process_time()
        train_set = store_training_set(
            store, 90, rule_model=rule_model, max_examples=args.max_examples, seed=args.seed
        )
        built, built_cpu = time.perf_counter(), time.process_time()
        scoring = store_feature_table(store, model.plan, end)
        out.update(
            {
                "training_rows": len(train_set),
                "training_features": train_set.X.shape[1],
                "training_s": built - started,
                "training_cpu_s": built_cpu - cpu,
                "scoring_rows": len(scoring),
                "scoring_s": time.perf_counter() - built,
                "scoring_cpu_s": time.process_time() - built_cpu,
                "load_average": os.getloadavg()[0],
            }
        )
    return out


def run_explain(args: argparse.Namespace) -> dict[str, Any]:
    from leadscore.predict.reasons import explain_table, top_factors
    from leadscore.predict.registry import load_model
    from leadscore.store.duckdb_store import DuckStore
    from leadscore.store.workspace import Workspace

    ws = Workspace.open(args.root)
    model = load_model(ws, args.model_id)
    out: dict[str, Any] = {"model_id": args.model_id, "kind": model.kind}
    with DuckStore(ws.database_path, read_only=True, threads=args.threads) as store:
        end = int(store.scalar("SELECT max(ts_us) FROM events"))
        ids = [
            str(r["contact_id"])
            for r in store.rows("SELECT contact_id FROM contacts ORDER BY contact_id LIMIT 10000")
        ]
        sizes = [1, 100, 10_000]
        if model.kind == "logistic":
            sizes.append(0)  # everyone
        for n in sizes:
            started = time.perf_counter()
            table = model.features_for(store, end, ids[:n] if n else None)
            built = time.perf_counter()
            if n:
                explain_table(model, table, top=3)  # Explanation objects, worded
            else:
                top_factors(model, table, top=3)  # every lead: the factors as arrays
            done = time.perf_counter()
            label = str(n) if n else "all"
            out[f"leads_{label}"] = len(table)
            out[f"features_{label}_s"] = built - started
            out[f"explain_{label}_s"] = done - built
    return out


def run_reference(args: argparse.Namespace) -> dict[str, Any]:
    """How fast this machine is right now: plain LightGBM, 300 rounds with the same settings as
    the trained model, on a random 1M x 100 float32 matrix (a yardstick for the shared box)."""
    import lightgbm as lgb
    import numpy as np

    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((1_000_000, 100), dtype=np.float32)
    y = (X[:, :5].sum(axis=1) + rng.standard_normal(1_000_000) > 2.5).astype(np.int8)
    settings = {
        "objective": "binary",
        "num_leaves": 5,
        "max_bin": 63,
        "lambda_l2": 10.0,
        "min_child_samples": 200,
        "num_threads": args.threads,
        "force_row_wise": True,
        "deterministic": True,
        "verbose": -1,
    }
    started, cpu = time.perf_counter(), time.process_time()
    booster = lgb.train(settings, lgb.Dataset(X, label=y, params=settings), num_boost_round=300)
    fitted, fitted_cpu = time.perf_counter(), time.process_time()
    booster.predict(X, raw_score=True)
    return {
        "fit_s": fitted - started,
        "fit_cpu_s": fitted_cpu - cpu,
        "predict_s": time.perf_counter() - fitted,
        "predict_cpu_s": time.process_time() - fitted_cpu,
    }


STEPS = {
    "train": run_train,
    "score": run_score,
    "explain": run_explain,
    "reference": run_reference,
    "features": run_features,
}


def child(args: argparse.Namespace) -> None:
    """Run one step in this process and print its result as one JSON line."""
    if args.step == "build":
        out: dict[str, Any] = {"root": str(prepare(args))}
    else:
        out = STEPS[args.step](args)
        out.update(_usage())
    print(json.dumps(out, default=str))


def spawn(step: str, args: argparse.Namespace, **extra: str) -> dict[str, Any]:
    """Run ``step`` in a fresh interpreter, so that peak memory is the step's own."""
    command = [sys.executable, __file__, "--step", step, "--threads", str(args.threads)]
    command += ["--contacts", str(args.contacts), "--seed", str(args.seed)]
    command += ["--events-per-contact", str(args.events_per_contact)]
    command += ["--data-dir", str(args.data_dir), "--max-examples", str(args.max_examples)]
    for key, value in extra.items():
        command += [f"--{key.replace('_', '-')}", value]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False, env=env)
    if done.returncode != 0:
        sys.exit(f"{step} failed (exit code {done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--events-per-contact", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kinds", default="lightgbm,auto", help="comma-separated model kinds")
    parser.add_argument("--max-examples", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=Path, default=Path("bench-data"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    parser.add_argument("--model-id", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        import logging

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("  %(asctime)s %(name)s: %(message)s"))
        logging.getLogger("leadscore").addHandler(handler)
        logging.getLogger("leadscore").setLevel(logging.INFO)
        child(args)
        return
    root = spawn("build", args)["root"]
    print(
        f"{args.contacts:,} contacts, {args.events_per_contact:g} events each; "
        f"{platform.machine()}, {os.cpu_count()} CPUs, threads={args.threads}, "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )
    ref = spawn("reference", args)
    print(
        f"reference: plain LightGBM, 1M x 100 random float32, 300 rounds: fit {ref['fit_s']:.1f}s "
        f"({ref['fit_cpu_s']:.1f} CPU s), predict {ref['predict_s']:.1f}s "
        f"({ref['predict_cpu_s']:.1f} CPU s)"
    )
    for kind in args.kinds.split(","):
        t = spawn("train", args, root=root, kind=kind)
        print(
            f"train {kind}: {t['examples']:,} examples x {t['features']} features "
            f"({t['snapshots']} snapshots, {t['positives']:,} converted) -> {t['kind']}; "
            f"training set {t['features_s']:.1f}s, validation {t['validation_s']:.1f}s, "
            f"final fit {t['final_fit_s']:.1f}s, peak {t['peak_mb']:,.0f} MB; CPU seconds: "
            f"training set {t['features_cpu_s']:.1f}, fit {t['fit_cpu_s']:.1f}; "
            f"validation ROC AUC {t['roc_auc']:.3f}, ECE {t['ece']:.4f}"
        )
        print(f"  {t['note']}")
        s = spawn("score", args, root=root, model_id=t["model_id"])
        print(
            f"score {t['kind']}: {s['rows']:,} contacts in {s['wall_s']:.1f}s "
            f"(features {s['features_s']:.1f}s, predict {s['predict_s']:.1f}s, "
            f"write {s['write_s']:.1f}s), peak {s['peak_mb']:,.0f} MB; CPU seconds: "
            f"features {s['features_cpu_s']:.1f}, predict {s['predict_cpu_s']:.1f}"
        )
        print(
            f"  after leadscore score at the same time ({s['rule_scoring_s']:.1f}s, "
            f"{s['rule_scoring_cpu_s']:.1f} CPU s), the rule features are read from the scores: "
            f"features {s['after_scoring_features_s']:.1f}s "
            f"({s['after_scoring_features_cpu_s']:.1f} CPU s), predict "
            f"{s['after_scoring_predict_s']:.1f}s ({s['after_scoring_predict_cpu_s']:.1f} CPU s)"
        )
        e = spawn("explain", args, root=root, model_id=t["model_id"])
        parts = [
            f"{key[len('explain_') : -2]} leads {value:.2f}s"
            for key, value in e.items()
            if key.startswith("explain_")
        ]
        print(f"explain {t['kind']}: " + ", ".join(parts) + " (features not included)")
        print(json.dumps({"train": t, "score": s, "explain": e, "reference": ref}, default=str))


if __name__ == "__main__":
    main()
