"""``leadscore suggest``: a learned point table (scorecard) as an editable rule model.

One library call, :func:`leadscore.predict.scorecard.suggest`, on the workspace's contacts,
events and outcomes or on a plain table (CSV or Parquet) with an outcome column.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadscore.cli.app import WorkspaceOpt, _as_of, _workspace, app, fail
from leadscore.cli.predict_commands import _days  # the same whole-days options as train

if TYPE_CHECKING:
    import pandas as pd

    from leadscore.predict.scorecard import Suggestion

SEPARATORS = (",", ";", "\t", "|")


class ScaleChoice(StrEnum):
    pdo = "pdo"
    minmax = "minmax"


def read_table(path: Path, sep: str | None = None) -> pd.DataFrame:
    """A CSV (separator sniffed from the header unless given) or Parquet file."""
    import pandas as pd

    if not path.is_file():
        fail(f"table not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix not in (".csv", ".txt", ".tsv"):
        fail(f"--table: give a .csv, .tsv or .parquet file (got {path.name})")
    if sep is None:
        with path.open(encoding="utf-8", errors="replace") as handle:
            header = handle.readline()
        sep = max(SEPARATORS, key=header.count)
    return pd.read_csv(path, sep=sep)


def _summary(suggestion: Suggestion) -> list[str]:
    t = suggestion.training
    lines = [
        f"training set: {t['examples']:,} examples, {t['positives']:,} converted "
        f"({t['base_rate']:.1%}), {t['features']} features",
    ]
    if suggestion.validation is not None:
        m = suggestion.validation.metrics
        lines.append(
            f"validation ({suggestion.validation.protocol}): ROC AUC {m['roc_auc']:.3f} "
            f"(points), {m['roc_auc_fitted']:.3f} (before rounding)"
        )
    lines.append(f"{len(suggestion.rules)} rules:")
    for rule in suggestion.rules:
        lift = f"  lift {rule['lift']:.2f}" if "lift" in rule else ""
        lines.append(f"  {rule['points']:+5d}  {rule['id']}: {rule['what']}{lift}")
    grades = ", ".join(
        f"{b.grade} >= {b.min}" if b.min is not None else b.grade
        for b in suggestion.scorecard.bands
    )
    lines.append(f"grades: {grades}")
    lines += [f"note: {note}" for note in suggestion.notes]
    return lines


@app.command()
def suggest(
    horizon: Annotated[
        str, typer.Option(help="Learn who converts within this long after each snapshot.")
    ] = "90d",
    max_rules: Annotated[
        int, typer.Option(min=1, max=200, help="At most this many rules (the base included).")
    ] = 20,
    scale: Annotated[
        ScaleChoice,
        typer.Option(help="pdo: points to double the odds; minmax: totals from 0 to 100."),
    ] = ScaleChoice.pdo,
    pdo: Annotated[float, typer.Option(help="With --scale pdo: points that double the odds.")] = 10,
    base_score: Annotated[
        float, typer.Option(help="With --scale pdo: the total of a lead at the base rate.")
    ] = 50,
    out: Annotated[
        Path | None,
        typer.Option(help="Write the model here (default: print it to standard output)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite the --out file if it exists.")] = False,
    name: Annotated[str, typer.Option(help="The model's name.")] = "suggested",
    every: Annotated[str, typer.Option(help="Time between training snapshots.")] = "30d",
    max_snapshots: Annotated[int, typer.Option(min=1, help="At most this many snapshots.")] = 12,
    until: Annotated[
        str | None,
        typer.Option(help="Data are complete up to this UTC time (default: the last event)."),
    ] = None,
    table: Annotated[
        Path | None,
        typer.Option(help="Learn from this CSV or Parquet table instead of the workspace."),
    ] = None,
    outcome: Annotated[
        str, typer.Option(help="With --table: the outcome column (yes/no, 1/0, true/false).")
    ] = "converted",
    positive: Annotated[
        str | None, typer.Option(help="With --table: the outcome value that means converted.")
    ] = None,
    id_column: Annotated[str | None, typer.Option(help="With --table: the id column.")] = None,
    time_column: Annotated[
        str | None,
        typer.Option(
            help="With --table: a time (or order) column; validation holds out the latest."
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(help="With --table: a column to leave out (repeat for more)."),
    ] = None,
    sep: Annotated[
        str | None, typer.Option(help="With --table: the CSV separator (default: sniffed).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same suggestion).")] = 0,
    workspace: WorkspaceOpt = Path("."),
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
) -> None:
    """Suggest an editable rule model (a learned point table) from past conversions: binned
    features, the rules that matter most, points scaled from log-odds, each rule with its
    evidence (support, conversion rate, lift). The model loads, scores and backtests like a
    hand-written one.

    Example: leadscore suggest --horizon 90d --max-rules 20 --scale pdo --out suggested.yaml
    """
    from leadscore.predict.scorecard import suggest as make_suggestion
    from leadscore.predict.scorecard_fit import ScorecardOptions

    if fmt not in ("text", "json"):
        fail(f"--format must be text or json, got '{fmt}'")
    if out is not None and out.exists() and not force:
        fail(f"{out} exists; choose another --out or add --force to overwrite it")
    options = ScorecardOptions(
        max_rules=max_rules, scale=scale.value, pdo=pdo, base_score=base_score, seed=seed
    )
    from rich.console import Console

    with Console(stderr=True).status("fitting a scorecard..."):
        if table is not None:
            frame = read_table(table, sep)
            suggestion = make_suggestion(
                frame,
                options=options,
                name=name,
                outcome=outcome,
                positive=positive,
                id_column=id_column,
                time_column=time_column,
                exclude=exclude or (),
            )
        else:
            ws = _workspace(workspace)
            with ws.store(read_only=True) as store:
                suggestion = make_suggestion(
                    store,
                    _days("--horizon", horizon),
                    options=options,
                    name=name,
                    every_days=_days("--every", every),
                    max_snapshots=max_snapshots,
                    observed_until_us=_as_of(until),
                )
    if out is not None:
        out.write_text(suggestion.yaml, encoding="utf-8")
    if fmt == "json":
        typer.echo(json.dumps(suggestion.as_dict(), ensure_ascii=False, indent=2, default=str))
        return
    if out is None:
        typer.echo(suggestion.yaml, nl=False)
        for line in _summary(suggestion):
            typer.echo(line, err=True)
        return
    for line in _summary(suggestion):
        typer.echo(line)
    typer.echo(f"wrote {out}; compare it with the current model: leadscore evaluate active {out}")
