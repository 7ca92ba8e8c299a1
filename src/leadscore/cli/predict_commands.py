"""Predictive scoring commands: train, predict, predictions, and ``models list|show|activate``.

Each command is one library call of :mod:`leadscore.predict`; heavy modules (scikit-learn,
LightGBM) are imported inside the commands so that ``leadscore --help`` stays fast.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from leadscore.cli.app import AsOfOpt, FormatOpt, WorkspaceOpt, _as_of, _workspace, app, fail
from leadscore.cli.output import Format, emit

models_app = typer.Typer(
    name="models",
    help="Trained predictive models: list, show, activate.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(models_app, name="models")

DAY_US = 86_400_000_000


class Kind(StrEnum):
    auto = "auto"
    lightgbm = "lightgbm"
    logistic = "logistic"


def _days(option: str, text: str) -> int:
    from leadscore.timeutil import TimeFormatError, parse_duration

    try:
        us = parse_duration(text)
    except TimeFormatError as exc:
        fail(f"{option}: {exc}")
    if us % DAY_US:
        fail(f"{option}: give whole days, such as 90d or 12w (got {text!r})")
    return us // DAY_US


def _text_or_json(fmt: str) -> bool:
    if fmt not in ("text", "json"):
        fail(f"--format must be text or json, got '{fmt}'")
    return fmt == "json"


def _json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@app.command()
def train(
    horizon: Annotated[
        str, typer.Option(help="Predict conversion within this long after each snapshot.")
    ] = "90d",
    kind: Annotated[Kind, typer.Option(help="Model kind; auto picks by validation.")] = Kind.auto,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same model).")] = 0,
    every: Annotated[str, typer.Option(help="Time between training snapshots.")] = "30d",
    max_snapshots: Annotated[int, typer.Option(min=1, help="At most this many snapshots.")] = 12,
    max_examples: Annotated[
        int, typer.Option(min=100, help="Sample the training set down to about this many.")
    ] = 1_000_000,
    until: Annotated[
        str | None,
        typer.Option(help="Data are complete up to this UTC time (default: the last event)."),
    ] = None,
    rules: Annotated[
        bool, typer.Option(help="Use the workspace model's rule points and scores as features.")
    ] = True,
    activate: Annotated[bool, typer.Option(help="Make the new model the active one.")] = True,
    jobs: Annotated[int | None, typer.Option(min=1, help="Threads (default: all cores).")] = None,
    workspace: WorkspaceOpt = Path("."),
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
) -> None:
    """Train a predictive model on the workspace's contacts, events and outcomes, save it under
    models/ and (by default) make it the active model.

    Example: leadscore train --horizon 90d --kind auto --seed 0
    """
    from rich.console import Console

    from leadscore.predict.registry import save_model
    from leadscore.predict.train import train as train_model

    as_json = _text_or_json(fmt)
    horizon_days, every_days = _days("--horizon", horizon), _days("--every", every)
    ws = _workspace(workspace)
    rule_model = ws.load_model() if rules else None
    with Console(stderr=True).status("training..."), ws.store(read_only=True) as store:
        model = train_model(
            store,
            horizon_days,
            seed=seed,
            kind=kind.value,
            rule_model=rule_model,
            every_days=every_days,
            max_snapshots=max_snapshots,
            observed_until_us=_as_of(until),
            max_examples=max_examples,
            n_jobs=jobs,
        )
    record = save_model(ws, model, activate=activate)
    if as_json:
        _json({"model_id": record.model_id, "active": record.active, **model.report.as_dict()})
        return
    for line in model.report.lines():
        typer.echo(line)
    state = (
        "active" if record.active else "not active: leadscore models activate " + record.model_id
    )
    typer.echo(f"saved model {record.model_id} ({state})")


@app.command()
def predict(
    as_of: AsOfOpt = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Model id (default: the active model).")
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    fmt: FormatOpt = Format.table,
) -> None:
    """Score every contact with the predictive model (default: the active one) as of a time
    (default: now) and keep the result in the predictions table.

    Example: leadscore predict --as-of 2025-06-30
    """
    from rich.console import Console

    from leadscore.predict.registry import load_model, version_warnings
    from leadscore.predict.scoring import predict_store

    ws = _workspace(workspace)
    trained = load_model(ws, model)
    assert trained.model_id is not None
    for warning in version_warnings(ws, trained.model_id):
        typer.echo(f"warning: {warning}; retrain if predictions look wrong", err=True)
    with Console(stderr=True).status("predicting..."), ws.store() as store:
        run = predict_store(store, trained, _as_of(as_of))
    data = run.as_dict()
    bands = ", ".join(f"{band}: {n}" for band, n in run.bands.items())
    row = {
        "model": run.model_id,
        "as_of": data["as_of"],
        "scored": run.rows,
        "mean_probability": round(run.mean_probability, 4),
        "score_bands": bands,
        "seconds": round(sum(v for k, v in run.seconds.items() if not k.endswith("_cpu")), 2),
    }
    emit([row], fmt, title="Predictive scores")


def _factors(factors: list[dict[str, Any]]) -> str:
    return "; ".join(f"{f['label']} = {f['value']}" for f in factors)


@app.command()
def predictions(
    contact_ids: Annotated[
        list[str] | None, typer.Argument(metavar="ID", help="Only these contacts.")
    ] = None,
    n: Annotated[int, typer.Option("-n", "--limit", min=1, help="Leads to show.")] = 20,
    reasons: Annotated[
        bool, typer.Option(help="Add each lead's top positive and negative factors.")
    ] = True,
    top: Annotated[int, typer.Option(min=1, max=10, help="Factors of each sign.")] = 3,
    workspace: WorkspaceOpt = Path("."),
    fmt: FormatOpt = Format.table,
) -> None:
    """Show the stored predictive scores next to the rule scores, highest probability first
    (or for the given contacts), with the factors behind each predictive score.

    Factors are computed on demand for the leads shown, as of the last leadscore predict run.
    Example: leadscore predictions -n 10
    """
    from leadscore.predict.registry import load_model
    from leadscore.predict.scoring import leads_with_predictions

    ws = _workspace(workspace)
    with ws.store(read_only=True) as store:
        ids = list(contact_ids) if contact_ids else None
        rows = leads_with_predictions(store, ids, None if ids else n)
        made_by = {r["model_id"] for r in rows if r["model_id"] is not None}
        if reasons and made_by:
            from leadscore.predict.reasons import leads_with_reasons

            model = load_model(ws, sorted(made_by)[0])
            rows = leads_with_reasons(store, model, ids, None if ids else n, top)
    if not rows and fmt is Format.table:
        typer.echo("no predictions yet; run: leadscore predict")
        return
    out = []
    for r in rows:
        row: dict[str, Any] = {
            "contact_id": r["contact_id"],
            "predictive_score": r["predictive_score"],
            "probability": None if r["probability"] is None else round(r["probability"], 4),
            "total": r.get("total"),
            "grade": r.get("grade"),
        }
        if reasons:
            both = fmt is Format.json
            row["positive"] = r.get("positive", []) if both else _factors(r.get("positive", []))
            row["negative"] = r.get("negative", []) if both else _factors(r.get("negative", []))
        out.append(row)
    emit(out, fmt, title="Predictive and rule scores")


@models_app.command("list")
def list_(workspace: WorkspaceOpt = Path("."), fmt: FormatOpt = Format.table) -> None:
    """List the trained models, oldest first (* marks the active one).

    Example: leadscore models list
    """
    from leadscore.predict.registry import list_models

    rows = []
    for r in list_models(_workspace(workspace)):
        rows.append(
            {
                "active": "*" if r.active else "",
                "model_id": r.model_id,
                "kind": r.kind,
                "horizon_days": r.horizon_days,
                "roc_auc": None if r.roc_auc is None else round(r.roc_auc, 4),
                "examples": r.examples,
                "created_at": r.created_at,
            }
        )
    if not rows and fmt is Format.table:
        typer.echo("no trained models yet; train one with: leadscore train")
        return
    emit(rows, fmt, title="Predictive models")


@models_app.command()
def show(
    model_id: Annotated[str, typer.Argument(metavar="ID", help="Model id.")],
    workspace: WorkspaceOpt = Path("."),
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
) -> None:
    """Show a model: kind, validation metrics, training window, features.

    Example: leadscore models show pm-20250630T120000-3f9a1c
    """
    from leadscore.predict.registry import show_model
    from leadscore.predict.trained import TrainingReport

    meta = show_model(_workspace(workspace), model_id)
    if _text_or_json(fmt):
        _json(meta)
        return
    window = meta.get("training_window") or {}
    typer.echo(f"{meta['model_id']}{' (active)' if meta['active'] else ''}")
    typer.echo(f"created {meta['created_at']}, horizon {meta['horizon_days']} days")
    if window:
        typer.echo(f"training window {window['from']} .. {window['to']}")
    typer.echo(f"fingerprint {meta['fingerprint']}, seed {meta['seed']}")
    for line in TrainingReport.from_dict(meta["report"]).lines():
        typer.echo(line)
    features = meta["plan"]["features"]
    typer.echo(f"{len(features)} features:")
    for feature in features:
        typer.echo(f"  {feature['name']}: {feature['label']}")


@models_app.command("activate")
def activate_(
    model_id: Annotated[str, typer.Argument(metavar="ID", help="Model id.")],
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Make a model the active one (the one leadscore predict uses).

    Example: leadscore models activate pm-20250630T120000-3f9a1c
    """
    from leadscore.predict.registry import activate_model

    activate_model(_workspace(workspace), model_id)
    typer.echo(f"active model: {model_id}")
