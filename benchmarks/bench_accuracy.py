"""Accuracy benchmark: the predictive model and the learned point table against plain
scikit-learn baselines, side by side in one run (not a timed test).

    .venv/bin/python benchmarks/bench_accuracy.py [--datasets ../shared/datasets]
        [--only bank,shoppers,shoppers_no_pv,demo] [--folds 5] [--demo-contacts 30000]
        [--jobs 2] [--seed 0] [--json results.json] [--experiments]

Data (under ``--datasets``, by default ``../shared/datasets`` from the project root; CC BY 4.0,
UCI Machine Learning Repository):

- bank_marketing/bank-additional-full.csv: Moro, Cortez, Rita (2014),
  "A data-driven approach to predict the success of bank telemarketing", Decision Support
  Systems, doi:10.1016/j.dss.2014.03.001. ``duration`` is dropped (known only after the call);
  rows are in date order;
- online_shoppers/online_shoppers_intention.csv: Sakar, Polat, Katircioglu,
  Kastro (2019), "Real-time prediction of online shoppers' purchasing intention using
  multilayer perceptron and LSTM recurrent neural networks", Neural Computing and Applications.
  Run with and without ``PageValues`` (it nearly leaks the purchase); time order is the
  calendar month (one year of sessions);
- the demo generator (leadscore.demo) with known true probabilities.

Protocols: 5-fold stratified cross-validation (shuffled, seeded; metrics averaged over folds)
and a time-ordered split (the first 80 % trains, the last 20 % tests). In every fold the
project's features are planned on the training rows only.

Contenders:

- ``lr``: scikit-learn LogisticRegression on scaled numbers (median-imputed) and one-hot
  categories;
- ``hgb``: scikit-learn HistGradientBoostingClassifier (native categories, defaults);
- ``leadscore``: ``LeadScoreClassifier(kind="auto")`` on the project's feature table;
- ``scorecard``: the learned point table (``fit_scorecard``, at most 20 rules with the base),
  ranked by its whole points; its Brier score is that of its fitted probability.

Demo: trained on the point-in-time examples known 90 days before the data end, judged on every
lead at that date against who converted in the next 90 days; the true probability of each lead
(``p_convert_90d``) gives the best AUC any model could reach on those leads. The suggested rule
model is scored there through ``evaluate.backtest`` (the compiled SQL), and the Python points
are checked against it.

Results and how to read them: docs/benchmarks.md ("Accuracy").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DATASETS = Path("..") / "shared" / "datasets"  # relative to the project root
BANK = Path("bank_marketing") / "bank-additional-full.csv"
SHOPPERS = Path("online_shoppers") / "online_shoppers_intention.csv"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "June", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAY_US = 86_400_000_000
MODELS = ("lr", "hgb", "leadscore", "scorecard")

# A prediction function: (train frame, train labels, test frame, train order) -> (ranking
# score, probability or None, notes)
Predictor = Callable[[Any, Any, Any, Any], tuple[Any, Any, dict[str, Any]]]


# --- data ---------------------------------------------------------------------------------


def _dataset(folder: Path, relative: Path) -> Path:
    path = folder / relative
    if not path.is_file():
        sys.exit(f"dataset not found: {path} (give the folder that holds it with --datasets)")
    return path


def bank(folder: Path) -> tuple[pd.DataFrame, str, np.ndarray]:
    frame = pd.read_csv(_dataset(folder, BANK), sep=";").drop(columns=["duration"])
    frame["y"] = (frame["y"] == "yes").astype(int)
    return frame, "y", np.arange(len(frame))  # rows are in date order


def shoppers(folder: Path, page_values: bool) -> tuple[pd.DataFrame, str, np.ndarray]:
    frame = pd.read_csv(_dataset(folder, SHOPPERS))
    frame["Revenue"] = frame["Revenue"].astype(int)
    if not page_values:
        frame = frame.drop(columns=["PageValues"])
    # codes of operating systems, browsers, regions, traffic types are categories
    for column in ("OperatingSystems", "Browser", "Region", "TrafficType"):
        frame[column] = "c" + frame[column].astype(str)
    frame["Weekend"] = frame["Weekend"].astype(str)
    month = frame["Month"].map({m: i for i, m in enumerate(MONTHS)}).to_numpy()
    order = np.argsort(np.argsort(month, kind="stable"), kind="stable")  # rank in time
    return frame, "Revenue", order


# --- contenders ---------------------------------------------------------------------------


def _categorical(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]


def lr(train: Any, y: Any, test: Any, order: Any) -> tuple[Any, Any, dict[str, Any]]:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    categorical = _categorical(train)
    numeric = [c for c in train.columns if c not in categorical]
    prepare = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="(missing)"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ]
    )
    model = make_pipeline(prepare, LogisticRegression(max_iter=5000))
    model.fit(_as_text(train, categorical), y)
    p = model.predict_proba(_as_text(test, categorical))[:, 1]
    return p, p, {}


def _as_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for c in columns:
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def hgb(train: Any, y: Any, test: Any, order: Any) -> tuple[Any, Any, dict[str, Any]]:
    from sklearn.ensemble import HistGradientBoostingClassifier

    categorical = _categorical(train)
    a, b = train.copy(), test.copy()
    for c in categorical:
        levels = pd.Index(sorted(a[c].dropna().astype(str).unique()))
        for part in (a, b):  # values unseen in training become missing
            text = part[c].astype(str)
            part[c] = pd.Categorical(text.where(part[c].notna() & text.isin(levels)), levels)
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    model.fit(a, y)
    p = model.predict_proba(b)[:, 1]
    return p, p, {}


class Project:
    """The project's contenders on its own feature table (planned on the training rows)."""

    def __init__(self, jobs: int, seed: int) -> None:
        self.jobs, self.seed = jobs, seed

    def _tables(self, train: Any, y: Any, test: Any) -> tuple[Any, Any]:
        from leadscore.predict.dataset import table_feature_table, table_training_set

        frame = train.copy()
        frame["__label"] = np.asarray(y)
        table = table_training_set(frame, "__label")
        return table, table_feature_table(test, table.plan)

    def leadscore(
        self, train: Any, y: Any, test: Any, order: Any
    ) -> tuple[Any, Any, dict[str, Any]]:
        from leadscore.predict.estimator import LeadScoreClassifier

        table, held = self._tables(train, y, test)
        model = LeadScoreClassifier(kind="auto", random_state=self.seed, n_jobs=self.jobs)
        model.fit(table.X, table.y, sample_time=order)
        p = model.predict_proba(held.X)[:, 1]
        chosen = model.selection_
        return p, p, {"kind": model.kind_, **chosen.as_dict()}

    def kinds(self, train: Any, y: Any, test: Any, order: Any) -> dict[str, Any]:
        """Experiments: each kind alone, the trees as they were before the shape search and the
        refit, a blend of the two kinds weighted on an inner hold-out, and the logistic model
        with a fixed penalty."""
        from leadscore.predict.estimator import LeadScoreClassifier

        table, held = self._tables(train, y, test)

        def fitted(kind: str, rows: Any = None, **params: Any) -> LeadScoreClassifier:
            model = LeadScoreClassifier(
                kind=kind, random_state=self.seed, n_jobs=self.jobs, **params
            )
            X, target = table.X, table.y
            times = order
            if rows is not None:
                X, target = X.iloc[rows], target[rows]
                times = None if order is None else order[rows]
            return model.fit(X, target, sample_time=times)

        out = {}
        logits = {}
        for kind in ("logistic", "lightgbm"):
            model = fitted(kind)
            logits[kind] = model.decision_function(held.X)
            out[f"ls_{kind}"] = model.predict_proba(held.X)[:, 1]
        out["ls_lightgbm_before"] = fitted(
            "lightgbm", max_bin=63, tune=False, refit=False
        ).predict_proba(held.X)[:, 1]
        weight = self._blend_weight(table, order, fitted)
        out["ls_blend"] = _sigmoid(weight * logits["lightgbm"] + (1 - weight) * logits["logistic"])
        # the logistic model with its penalty fixed at scikit-learn's default (C = 1) instead
        # of chosen on the latest examples
        out["ls_logistic_c1"] = fitted("logistic", C=1.0).predict_proba(held.X)[:, 1]
        return out

    def _blend_weight(self, table: Any, order: Any, fitted: Any) -> float:
        """The weight of the trees' logit in ``w x trees + (1 - w) x logistic``, chosen by log
        loss on an inner hold-out of the training rows (the latest quarter when in time order)."""
        from leadscore.predict.metrics import log_loss
        from leadscore.predict.splits import holdout

        split = holdout(table.y, order, 0.25, self.seed)
        assert split is not None
        inner = table.X.iloc[split.held]
        z = {
            kind: fitted(kind, split.train).decision_function(inner)
            for kind in ("lightgbm", "logistic")
        }
        weights = np.linspace(0.0, 1.0, 11)
        losses = [
            log_loss(table.y[split.held], _sigmoid(w * z["lightgbm"] + (1 - w) * z["logistic"]))
            for w in weights
        ]
        return float(weights[int(np.argmin(losses))])

    def scorecard(
        self, train: Any, y: Any, test: Any, order: Any
    ) -> tuple[Any, Any, dict[str, Any]]:
        from leadscore.predict.scorecard_fit import ScorecardOptions, fit_scorecard

        table, held = self._tables(train, y, test)
        card = fit_scorecard(table, ScorecardOptions(max_rules=20, seed=self.seed))
        rules = len(card.rules) + (1 if card.base_points else 0)
        return card.points(held.X), card.probability(held.X), {"rules": rules}


# --- protocols ----------------------------------------------------------------------------


def _sigmoid(z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def _metrics(y: Any, score: Any, p: Any) -> dict[str, float]:
    from leadscore.predict import metrics

    out = {"roc_auc": metrics.roc_auc_score(y, score), "pr_auc": metrics.pr_auc_score(y, score)}
    if p is not None:
        out["brier"] = metrics.brier_loss(y, p)
        out["ece"] = metrics.expected_calibration_error(y, p)
    return out


def run_table(
    name: str, frame: pd.DataFrame, target: str, order: np.ndarray, args: argparse.Namespace
) -> dict[str, Any]:
    from sklearn.model_selection import StratifiedKFold

    project = Project(args.jobs, args.seed)
    contenders: dict[str, Predictor] = {
        "lr": lr,
        "hgb": hgb,
        "leadscore": project.leadscore,
        "scorecard": project.scorecard,
    }
    X = frame.drop(columns=[target])
    y = frame[target].to_numpy()
    splits: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    folds = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
    splits["cv"] = list(folds.split(X, y))
    ranked = np.argsort(order, kind="stable")
    cut = int(0.8 * len(ranked))
    splits["time"] = [(np.sort(ranked[:cut]), np.sort(ranked[cut:]))]
    result: dict[str, Any] = {"dataset": name, "rows": len(frame), "base_rate": float(y.mean())}
    for protocol, parts in splits.items():
        for model, predict in contenders.items():
            started = time.perf_counter()
            per_fold, notes = [], []
            for train, test in parts:
                score, p, note = predict(
                    X.iloc[train].reset_index(drop=True),
                    y[train],
                    X.iloc[test].reset_index(drop=True),
                    order[train] if protocol == "time" else None,
                )
                per_fold.append(_metrics(y[test], score, p))
                notes.append(note)
            mean = {k: float(np.mean([m[k] for m in per_fold])) for k in per_fold[0]}
            mean["seconds"] = time.perf_counter() - started
            result[f"{protocol}/{model}"] = {**mean, "notes": notes}
            print(f"  {name} {protocol} {model}: AUC {mean['roc_auc']:.4f}", file=sys.stderr)
        if args.experiments:
            folds_out: dict[str, list[dict[str, float]]] = {}
            for train, test in parts:
                found = project.kinds(
                    X.iloc[train].reset_index(drop=True),
                    y[train],
                    X.iloc[test].reset_index(drop=True),
                    order[train] if protocol == "time" else None,
                )
                for key, p in found.items():
                    folds_out.setdefault(key, []).append(_metrics(y[test], p, p))
            for key, scores in folds_out.items():
                mean = {k: float(np.mean([m[k] for m in scores])) for k in scores[0]}
                result[f"{protocol}/{key}"] = mean
                print(f"  {name} {protocol} {key}: AUC {mean['roc_auc']:.4f}", file=sys.stderr)
    return result


# --- demo ---------------------------------------------------------------------------------


def run_demo(args: argparse.Namespace) -> dict[str, Any]:
    from leadscore.demo import generate, load
    from leadscore.evaluate.backtest import backtest
    from leadscore.evaluate.population import frame as query_frame
    from leadscore.evaluate.population import population_table
    from leadscore.evaluate.scorers import RuleScorer
    from leadscore.predict.dataset import store_feature_table, store_training_set
    from leadscore.predict.estimator import LeadScoreClassifier
    from leadscore.predict.scorecard import suggest_from_table
    from leadscore.predict.scorecard_fit import ScorecardOptions
    from leadscore.store.duckdb_store import DuckStore

    started = time.perf_counter()
    data = generate(args.demo_contacts, seed=args.demo_seed)
    store = DuckStore(threads=args.jobs)
    load(store, data)
    t = data.spec.end_us - 90 * DAY_US
    table = store_training_set(store, 90, observed_until_us=t, seed=args.seed)
    assert table.y is not None
    with population_table(store, t, 90 * DAY_US) as population:
        leads = query_frame(store, f"SELECT contact_id, label FROM {population}")
    held = store_feature_table(store, table.plan, t)
    keep = pd.Series(held.contact_id).isin(set(leads["contact_id"])).to_numpy()
    X_test = held.X.loc[keep].reset_index(drop=True)
    ids = pd.Series(held.contact_id[keep])
    y_test = ids.map(dict(zip(leads["contact_id"], leads["label"], strict=True))).to_numpy()
    truth = query_frame(store, "SELECT contact_id, p_convert_90d FROM demo_truth")
    p_true = ids.map(dict(zip(truth["contact_id"], truth["p_convert_90d"], strict=True))).to_numpy()
    prep_seconds = time.perf_counter() - started
    out: dict[str, Any] = {
        "dataset": f"demo ({args.demo_contacts:,} contacts, seed {args.demo_seed})",
        "training_examples": len(table.y),
        "training_positives": int(table.y.sum()),
        "snapshots": len(table.snapshots_us),
        "test_leads": len(y_test),
        "test_conversions": int(y_test.sum()),
        "prep_seconds": prep_seconds,
        "truth": _metrics(y_test, p_true, p_true),
    }
    started = time.perf_counter()
    gap = 90 * DAY_US  # outcome windows of earlier snapshots overlap the later ones
    model = LeadScoreClassifier(kind="auto", random_state=args.seed, n_jobs=args.jobs, time_gap=gap)
    model.fit(table.X, table.y, sample_time=table.snapshot_us)
    p = model.predict_proba(X_test)[:, 1]
    out["leadscore"] = {
        **_metrics(y_test, p, p),
        "kind": model.kind_,
        "selection": model.selection_.as_dict(),
        "seconds": time.perf_counter() - started,
    }
    # the truth and the model on the same leads
    out["leadscore"]["auc_vs_truth"] = out["leadscore"]["roc_auc"] / out["truth"]["roc_auc"]
    if args.experiments:
        out["experiments"] = demo_experiments(data, table, X_test, ids, y_test, args)
    for name, predict in (("lr", lr), ("hgb", hgb)):
        started = time.perf_counter()
        score, prob, _ = predict(table.X, table.y, X_test, None)
        out[name] = {**_metrics(y_test, score, prob), "seconds": time.perf_counter() - started}
    started = time.perf_counter()
    suggestion = suggest_from_table(
        table, "demo", ScorecardOptions(max_rules=20, seed=args.seed), validate=False
    )
    # the demo's data are complete up to its end (the last event may come a little earlier)
    result = backtest(
        store, [RuleScorer(suggestion.model)], [t], 90, observed_until_us=data.spec.end_us
    )
    evaluation = result.evaluations[0]
    scored = result.leads[["contact_id", "score"]]
    python_points = pd.Series(suggestion.scorecard.points(X_test), index=ids.to_numpy())
    engine = scored.set_index("contact_id")["score"].reindex(ids.to_numpy()).to_numpy()
    points = suggestion.scorecard.points(X_test)
    out["scorecard"] = {
        **_metrics(y_test, points, suggestion.scorecard.probability(X_test)),
        "backtest_roc_auc": float(evaluation.roc_auc.estimate),
        "backtest_leads": int(evaluation.leads),
        "max_abs_difference_python_vs_sql": float(np.max(np.abs(engine - python_points))),
        "rules": len(suggestion.rules),
        "seconds": time.perf_counter() - started,
    }
    store.close()
    return out


SENIORITY = (  # what a person would write to read seniority from a job title
    ("student", r"\b(student|intern)\b"),
    ("c-level", r"\b(chief|ceo|cto|cmo|cfo|coo|cro|founder)\b"),
    ("vp", r"\b(vp|vice president)\b"),
    ("head", r"\bhead of\b"),
    ("director", r"\bdirector\b"),
    ("manager", r"\b(manager|team lead)\b"),
)


def _seniority(title: str | None) -> str | None:
    import re

    if title is None:
        return None
    for level, pattern in SENIORITY:
        if re.search(pattern, title, re.IGNORECASE):
            return level
    return "individual"


def _demo_extras(data: Any, contact_ids: Any) -> pd.DataFrame:
    """Per example: a free-mail flag and a seniority read from the job title (features the
    predictive core does not build), and the hidden fit (for the ceiling only)."""
    from leadscore.demo.vocab import FREE_MAIL_DOMAINS
    from leadscore.values import from_json

    contacts = data.contacts.select(["contact_id", "attributes"]).to_pydict()
    attrs = {
        c: from_json(a) for c, a in zip(contacts["contact_id"], contacts["attributes"], strict=True)
    }
    truth = data.truth.select(["contact_id", "fit"]).to_pydict()
    fit = dict(zip(truth["contact_id"], truth["fit"], strict=True))
    rows = []
    for c in contact_ids:
        a = attrs[c]
        domain = a.get("email", "").rsplit("@", 1)[-1].lower()
        rows.append(
            {
                "free_mail": float(domain in FREE_MAIL_DOMAINS),
                "seniority": _seniority(a.get("job_title")),
                "hidden_fit": fit[c],
            }
        )
    out = pd.DataFrame(rows)
    out["seniority"] = out["seniority"].astype("category")
    return out


def _rates(table: Any, X: pd.DataFrame) -> pd.DataFrame:
    """Event counts per day of exposure: count / min(window, age of the contact)."""
    age = X["contact_age_days"].to_numpy(dtype=np.float64)
    out = {}
    for info in table.plan.infos:
        if info.kind == "event_count":
            exposure = np.clip(np.fmin(info.window_days, age), 1.0, None)
            out[f"rate_{info.name}"] = X[info.name].to_numpy(dtype=np.float64) / exposure
    return pd.DataFrame(out)


def demo_experiments(
    data: Any, table: Any, X_test: pd.DataFrame, ids: Any, y_test: Any, args: argparse.Namespace
) -> dict[str, Any]:
    """What could bring the predictive model closer to the true probabilities."""
    from leadscore.predict.estimator import LeadScoreClassifier

    train_extra = _demo_extras(data, table.contact_id)
    test_extra = _demo_extras(data, ids)
    before = {"max_bin": 63, "tune": False, "refit": False}  # the model before tuning/refit
    variants: dict[str, tuple[list[str], str, dict[str, Any]]] = {
        "ls_lightgbm": ([], "lightgbm", {}),
        "ls_logistic": ([], "logistic", {}),
        "ls_before_tuning_refit": ([], "auto", before),
        "ls_no_gap": ([], "auto", {"time_gap": 0}),
        "ls+mail+seniority": (["free_mail", "seniority"], "auto", {}),
        "ls+mail+seniority+rates": (["free_mail", "seniority", "rates"], "auto", {}),
        "ls+hidden fit (ceiling)": (["hidden_fit"], "auto", {}),
    }
    out = {}
    for name, (extra, kind, params) in variants.items():
        started = time.perf_counter()
        parts_train, parts_test = [table.X], [X_test]
        for column in extra:
            if column == "rates":
                parts_train.append(_rates(table, table.X))
                parts_test.append(_rates(table, X_test))
            else:
                parts_train.append(train_extra[[column]])
                parts_test.append(test_extra[[column]])
        a = pd.concat([p.reset_index(drop=True) for p in parts_train], axis=1)
        b = pd.concat([p.reset_index(drop=True) for p in parts_test], axis=1)
        settings = {"time_gap": 90 * DAY_US, **params}
        model = LeadScoreClassifier(kind=kind, random_state=args.seed, n_jobs=args.jobs, **settings)
        model.fit(a, table.y, sample_time=table.snapshot_us)
        p = model.predict_proba(b)[:, 1]
        out[name] = {
            **_metrics(y_test, p, p),
            "kind": model.kind_,
            "seconds": time.perf_counter() - started,
        }
        print(f"  demo {name}: AUC {out[name]['roc_auc']:.4f}", file=sys.stderr)
    return out


# --- report -------------------------------------------------------------------------------


def _fmt(value: Any, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table_lines(result: dict[str, Any]) -> list[str]:
    lines = [
        f"{result['dataset']} ({result['rows']:,} rows, base rate {result['base_rate']:.1%})",
        "| model | CV ROC AUC | CV PR AUC | CV Brier | time ROC AUC | time PR AUC | time Brier |",
        "|---|---|---|---|---|---|---|",
    ]
    extra = [k.split("/", 1)[1] for k in result if k.startswith("cv/ls_")]
    for model in [*MODELS, *extra]:
        cv, tm = result[f"cv/{model}"], result[f"time/{model}"]
        lines.append(
            f"| {model} | {_fmt(cv['roc_auc'])} | {_fmt(cv['pr_auc'])} | {_fmt(cv.get('brier'))} "
            f"| {_fmt(tm['roc_auc'])} | {_fmt(tm['pr_auc'])} | {_fmt(tm.get('brier'))} |"
        )
    return lines


def table_targets(result: dict[str, Any]) -> list[str]:
    out = []
    for protocol in ("cv", "time"):
        ours = result[f"{protocol}/leadscore"]["roc_auc"]
        best = max(result[f"{protocol}/lr"]["roc_auc"], result[f"{protocol}/hgb"]["roc_auc"])
        verdict = "met" if ours >= best else "missed"
        card = result[f"{protocol}/scorecard"]["roc_auc"]
        out.append(
            f"{result['dataset']} {protocol}: leadscore {ours:.4f} vs better baseline {best:.4f} "
            f"({ours - best:+.4f}): {verdict}; scorecard {card:.4f} ({card - ours:+.4f})"
        )
    return out


def demo_lines(d: dict[str, Any]) -> list[str]:
    lines = [
        f"{d['dataset']}: {d['training_examples']:,} training examples "
        f"({d['training_positives']:,} converted) at {d['snapshots']} snapshots; "
        f"{d['test_leads']:,} leads judged ({d['test_conversions']:,} converted in 90 days)",
        "| model | ROC AUC | PR AUC | Brier | ECE |",
        "|---|---|---|---|---|",
    ]
    for name in ("truth", "lr", "hgb", "leadscore", "scorecard"):
        m = d[name]
        lines.append(
            f"| {name} | {_fmt(m['roc_auc'])} | {_fmt(m['pr_auc'])} | {_fmt(m.get('brier'))} "
            f"| {_fmt(m.get('ece'))} |"
        )
    for name, m in d.get("experiments", {}).items():
        lines.append(
            f"| {name} ({m['kind']}) | {_fmt(m['roc_auc'])} | {_fmt(m['pr_auc'])} "
            f"| {_fmt(m.get('brier'))} | {_fmt(m.get('ece'))} |"
        )
    ours, card = d["leadscore"], d["scorecard"]
    ratio = ours["auc_vs_truth"]
    lines += [
        f"leadscore ({ours['kind']}) AUC / true-probability AUC = {ratio:.4f} "
        f"(target >= 0.97: {'met' if ratio >= 0.97 else 'missed'}); ECE {ours['ece']:.4f} "
        f"(target <= 0.03: {'met' if ours['ece'] <= 0.03 else 'missed'})",
        f"scorecard: {card['rules']} rules, AUC {card['roc_auc']:.4f} (backtest through the "
        f"compiled SQL {card['backtest_roc_auc']:.4f} on {card['backtest_leads']:,} leads; "
        f"largest Python/SQL difference {card['max_abs_difference_python_vs_sql']:g}); "
        f"{card['roc_auc'] - ours['roc_auc']:+.4f} vs leadscore "
        f"(aim within 0.03: {'met' if card['roc_auc'] >= ours['roc_auc'] - 0.03 else 'missed'})",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--datasets",
        type=Path,
        default=DATASETS,
        help="The folder holding bank_marketing/ and online_shoppers/ (relative paths are read "
        "from the project root; default: ../shared/datasets).",
    )
    parser.add_argument("--only", default="bank,shoppers,shoppers_no_pv,demo")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--demo-contacts", type=int, default=30_000)
    parser.add_argument("--demo-seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    parser.add_argument(
        "--experiments",
        action="store_true",
        help="Also measure what could help the predictive model (each kind alone, a blend; "
        "on the demo: derived features and the ceiling with the hidden fit).",
    )
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    started = datetime.now(tz=UTC)
    results: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
    }
    folder = args.datasets if args.datasets.is_absolute() else ROOT / args.datasets
    loaders: dict[str, tuple[str, Callable[[], tuple[pd.DataFrame, str, np.ndarray]]]] = {
        "bank": ("bank marketing (without duration)", lambda: bank(folder)),
        "shoppers": ("online shoppers (with PageValues)", lambda: shoppers(folder, True)),
        "shoppers_no_pv": (
            "online shoppers (without PageValues)",
            lambda: shoppers(folder, False),
        ),
    }
    lines: list[str] = []
    targets: list[str] = []
    for key, (name, load) in loaders.items():
        if key in wanted:
            frame, target, order = load()
            result = run_table(name, frame, target, order, args)
            results[key] = result
            lines += [*table_lines(result), ""]
            targets += table_targets(result)
    if "demo" in wanted:
        demo = run_demo(args)
        results["demo"] = demo
        lines += [*demo_lines(demo), ""]
    results["seconds"] = (datetime.now(tz=UTC) - started).total_seconds()
    print(f"# accuracy benchmark, {results['started']} ({results['seconds']:.0f} s)")
    print("\n".join(lines))
    print("\n".join(targets))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
