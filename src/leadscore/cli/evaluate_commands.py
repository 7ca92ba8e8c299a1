"""Commands that measure models and the funnel: evaluate, compare, thresholds, funnel, drift.

Each is a thin layer over :mod:`leadscore.evaluate`: parse the options, call the library, print
tables (or JSON, or the main table as CSV) and optionally write a self-contained HTML report.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leadscore.cli.app import FormatOpt, WorkspaceOpt, _workspace, app, fail
from leadscore.cli.output import Format

if TYPE_CHECKING:
    from leadscore.evaluate.report import Section
    from leadscore.evaluate.views import TableView
    from leadscore.store.duckdb_store import DuckStore
    from leadscore.store.workspace import Workspace

ModelsArg = Annotated[
    list[str],
    typer.Argument(
        metavar="MODEL...",
        help="Model YAML files (drafts too), 'active' (the workspace's model), 'version:N' "
        "(a stored version) or a trained predictive model's id.",
    ),
]
AsOfListOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--as-of",
        help="Score as of this UTC date (repeat for a rolling backtest). "
        "Default: the latest date whose horizon is fully observed.",
    ),
]
HorizonOpt = Annotated[
    str, typer.Option(help="How long after the as-of date a conversion counts, e.g. 90d or 12w.")
]
ReportOpt = Annotated[
    Path | None, typer.Option(help="Also write a self-contained HTML report with charts here.")
]
PartialOpt = Annotated[
    bool,
    typer.Option(
        "--partial",
        help="Allow as-of dates whose horizon runs past the data (conversion rates come out low).",
    ),
]


def _horizon_days(text: str) -> float:
    from leadscore.timeutil import TimeFormatError, parse_duration

    try:
        return parse_duration(text) / 86_400_000_000
    except TimeFormatError as exc:
        fail(f"--horizon: {exc}")


def _duration_us(text: str, option: str) -> int:
    from leadscore.timeutil import TimeFormatError, parse_duration

    try:
        return parse_duration(text)
    except TimeFormatError as exc:
        fail(f"{option}: {exc}")


def _time(text: str, option: str) -> int:
    from leadscore.timeutil import TimeFormatError, to_us

    try:
        return to_us(text)
    except TimeFormatError as exc:
        fail(f"{option}: {exc}")


def _period(text: str) -> tuple[int, int]:
    start, sep, end = text.partition("..")
    if not sep or not start.strip() or not end.strip():
        fail(f"--period: write START..END, e.g. 2025-01-01..2025-03-31; got '{text}'")
    return _time(start, "--period"), _time(end, "--period")


RATE_UNITS = {"day": 7.0, "week": 1.0, "month": 7 / (365.25 / 12)}


def parse_capacity(text: str) -> float:
    """``50/week``, ``10/day``, ``200/month`` or ``50`` (a week) -> leads per week."""
    number, _, unit = text.partition("/")
    unit = unit.strip().lower().rstrip("s") or "week"
    try:
        value = float(number)
    except ValueError:
        value = float("nan")
    if unit not in RATE_UNITS or not value > 0:
        fail(f"--capacity: write leads per day, week or month, e.g. 50/week; got '{text}'")
    return value * RATE_UNITS[unit]


def _pair_row(as_of_us: int, pair: Any) -> dict[str, Any]:
    from leadscore.evaluate.stats import rounded
    from leadscore.timeutil import iso

    row: dict[str, Any] = {
        "as_of": iso(as_of_us),
        "champion": pair.champion.name,
        "challenger": pair.challenger.name,
        "leads": pair.leads,
        "conversions": pair.conversions,
        "grade_changes": pair.changed,
    }
    diffs = (
        ("auc", pair.auc_diff),
        ("top_decile_rate", pair.top_decile_diff),
        ("top_grade_rate", pair.top_grade_diff),
    )
    for name, boot in diffs:
        row[f"{name}_diff"] = None if boot is None else rounded(boot.estimate)
        row[f"{name}_diff_low"] = None if boot is None else rounded(boot.low)
        row[f"{name}_diff_high"] = None if boot is None else rounded(boot.high)
    return row


@contextlib.contextmanager
def _opened(workspace: Path) -> Iterator[tuple[Workspace, DuckStore]]:
    ws = _workspace(workspace)
    with ws.store(read_only=True) as store:
        yield ws, store


@contextlib.contextmanager
def _status(message: str) -> Iterator[Any]:
    from rich.console import Console

    with Console(stderr=True).status(message) as status:
        yield status


def _emit(
    fmt: Format,
    payload: dict[str, Any],
    views: list[TableView],
    rows: list[dict[str, Any]],
    warnings: list[str] | None = None,
    notes: list[str] | None = None,
) -> None:
    """JSON: the whole result; CSV: ``rows`` (the main table, unformatted); table: every table,
    then the warnings and notes."""
    if fmt is Format.json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
        return
    if fmt is Format.csv:
        import csv
        import sys

        columns = list(rows[0]) if rows else []
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:  # values are already rounded to what they support
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
        return
    from rich.console import Console

    from leadscore.evaluate.terminal import print_views

    console = Console(emoji=False, highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 140)  # files and pipes: no wrapping at 80 columns
    print_views(views, warnings or [], notes or [], console)


def _write_report(
    path: Path | None, title: str, sections: list[Section], ws: Workspace, extra: list[str]
) -> None:
    if path is None:
        return
    from leadscore.evaluate.report import write_report

    write_report(path, title, sections, [f"workspace {ws.config.name}", *extra])
    typer.echo(f"wrote report {path}", err=True)


def _backtest(
    store: DuckStore,
    ws: Workspace,
    models: list[str],
    as_of: list[str] | None,
    horizon: str,
    rolling: int,
    every: str,
    partial: bool,
) -> Any:
    from leadscore.evaluate.backtest import backtest
    from leadscore.evaluate.population import latest_as_of, rolling_dates
    from leadscore.evaluate.scorers import resolve_scorers

    days = _horizon_days(horizon)
    scorers = resolve_scorers(models, ws, store)
    if as_of:
        dates = [_time(t, "--as-of") for t in as_of]
    else:
        dates = [latest_as_of(store, round(days * 86_400_000_000))]
    if rolling > 1:
        step = _duration_us(every, "--every")
        dates = sorted({d for last in dates for d in rolling_dates(last, rolling, step)})
    with _status("backtesting...") as status:
        return backtest(
            store,
            scorers,
            dates,
            days,
            allow_partial=partial,
            progress=lambda m: status.update(m),
        )


@app.command()
def evaluate(
    models: ModelsArg,
    as_of: AsOfListOpt = None,
    horizon: HorizonOpt = "90d",
    rolling: Annotated[
        int, typer.Option(min=1, help="Backtest this many dates, --every apart, ending at --as-of.")
    ] = 1,
    every: Annotated[str, typer.Option(help="Spacing of rolling dates, e.g. 30d.")] = "30d",
    partial: PartialOpt = False,
    report: ReportOpt = None,
    workspace: WorkspaceOpt = Path("."),
    fmt: FormatOpt = Format.table,
) -> None:
    """Backtest models: score the leads as of a past date and measure against who converted next.

    Prints AUC, PR AUC, KS, lift and gains by decile, conversion by grade and stage, and
    calibration (per score band for rule models).

    Example: leadscore evaluate active challenger.yaml --as-of 2025-03-01 --horizon 90d
    --report backtest.html
    """
    from leadscore.evaluate.report import backtest_section
    from leadscore.evaluate.views import backtest_views, messages

    with _opened(workspace) as (ws, store):
        result = _backtest(store, ws, models, as_of, horizon, rolling, every, partial)
    warnings, notes = messages(result)
    rows = [e.summary() for e in result.evaluations]
    _emit(fmt, result.as_dict(), backtest_views(result), rows, warnings, notes)
    _write_report(
        report,
        "Backtest report",
        [backtest_section(result)],
        ws,
        [f"horizon {horizon}", f"models: {', '.join(s.name for s in result.scorers)}"],
    )


@app.command()
def compare(
    champion: Annotated[str, typer.Argument(help="The current model ('active', a file...).")],
    challengers: Annotated[
        list[str], typer.Argument(metavar="CHALLENGER...", help="One or more models to compare.")
    ],
    as_of: AsOfListOpt = None,
    horizon: HorizonOpt = "90d",
    bootstrap: Annotated[int, typer.Option(min=10, help="Bootstrap resamples.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed of the bootstrap.")] = 0,
    sample: Annotated[int, typer.Option(min=0, help="Changed leads to list.")] = 20,
    partial: PartialOpt = False,
    report: ReportOpt = None,
    workspace: WorkspaceOpt = Path("."),
    fmt: FormatOpt = Format.table,
) -> None:
    """Champion vs challenger on the same leads: differences with bootstrap intervals, and the
    leads whose grade would change.

    Example: leadscore compare active draft.yaml --as-of 2025-03-01 --horizon 90d
    """
    from leadscore.evaluate.compare import compare as run_compare
    from leadscore.evaluate.report import backtest_section, compare_section
    from leadscore.evaluate.views import compare_views, messages

    with _opened(workspace) as (ws, store):
        result = _backtest(store, ws, [champion, *challengers], as_of, horizon, 1, "30d", partial)
    with _status("bootstrapping..."):
        comparisons = [
            run_compare(result, t, n_boot=bootstrap, seed=seed, sample=sample) for t in result.as_of
        ]
    warnings, notes = messages(result)
    warnings += [w for c in comparisons for p in c.pairs for w in p.warnings]
    views = [v for c in comparisons for v in compare_views(c)]
    payload = {"backtest": result.as_dict(), "comparisons": [c.as_dict() for c in comparisons]}
    rows = [_pair_row(c.as_of_us, p) for c in comparisons for p in c.pairs]
    _emit(fmt, payload, views, rows, warnings, notes)
    _write_report(
        report,
        "Champion vs challenger report",
        [*[compare_section(c) for c in comparisons], backtest_section(result)],
        ws,
        [f"horizon {horizon}", f"champion: {comparisons[0].champion}"],
    )


@app.command()
def thresholds(
    model: Annotated[str, typer.Argument(metavar="MODEL", help="The model to set thresholds for.")],
    as_of: Annotated[
        str | None,
        typer.Option(help="End of the backtest period (default: the latest fully observed)."),
    ] = None,
    horizon: HorizonOpt = "90d",
    capacity: Annotated[
        str | None, typer.Option(help="Leads sales can take, e.g. 50/week, 10/day, 200/month.")
    ] = None,
    precision: Annotated[
        float | None, typer.Option(help="Target conversion rate of the new leads, e.g. 0.3.")
    ] = None,
    weeks: Annotated[int, typer.Option(min=1, help="Length of the backtest period.")] = 13,
    partial: PartialOpt = False,
    report: ReportOpt = None,
    workspace: WorkspaceOpt = Path("."),
    fmt: FormatOpt = Format.table,
) -> None:
    """Advise a score threshold for a sales capacity or a target precision.

    Scores weekly snapshots over the period and counts, per threshold, the new leads a week,
    how many converted within the horizon (precision) and how many conversions it caught.

    Example: leadscore thresholds active --capacity 50/week --horizon 90d
    """
    from leadscore.evaluate.backtest import records
    from leadscore.evaluate.population import latest_as_of
    from leadscore.evaluate.report import threshold_section
    from leadscore.evaluate.scorers import resolve_scorer
    from leadscore.evaluate.thresholds import threshold_advice
    from leadscore.evaluate.views import threshold_views

    if capacity is not None and precision is not None:
        fail("give --capacity or --precision, not both")
    per_week = parse_capacity(capacity) if capacity is not None else None
    days = _horizon_days(horizon)
    with _opened(workspace) as (ws, store):
        scorer = resolve_scorer(model, ws, store)
        end = (
            _time(as_of, "--as-of") if as_of else latest_as_of(store, round(days * 86_400_000_000))
        )
        with _status("scoring weekly snapshots...") as status:
            advice = threshold_advice(
                store,
                scorer,
                end,
                days,
                weeks=weeks,
                capacity_per_week=per_week,
                target_precision=precision,
                allow_partial=partial,
                progress=lambda m: status.update(m),
            )
    rows = records(advice.table)
    _emit(fmt, advice.as_dict(), threshold_views(advice), rows, advice.warnings)
    _write_report(
        report, "Threshold advice", [threshold_section(advice)], ws, [f"horizon {horizon}"]
    )


@app.command()
def funnel(
    config: Annotated[
        Path | None,
        typer.Option(
            help="Funnel stages (YAML). Default: funnel.yaml in the workspace, else the built-in "
            "stages for the demo's event types."
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="Count as of this UTC time (default: the latest data).")
    ] = None,
    by: Annotated[str, typer.Option(help="Cohorts by month, week or quarter.")] = "month",
    report: ReportOpt = None,
    workspace: WorkspaceOpt = Path("."),
    fmt: FormatOpt = Format.table,
) -> None:
    """The funnel: leads per stage, conversion and drop-off between stages, median time in
    stage, by cohort; the largest drop-off stands out.

    Example: leadscore funnel --config funnel.yaml --by month --report funnel.html
    """
    from leadscore.evaluate.backtest import records
    from leadscore.evaluate.funnel import funnel as count_funnel
    from leadscore.evaluate.funnel_config import DEFAULT_FILE, default_funnel, load_funnel
    from leadscore.evaluate.population import observed_until
    from leadscore.evaluate.report import funnel_section
    from leadscore.evaluate.views import funnel_views

    with _opened(workspace) as (ws, store):
        if config is not None:
            stages = load_funnel(config)
        elif (ws.root / DEFAULT_FILE).is_file():
            stages = load_funnel(ws.root / DEFAULT_FILE)
        else:
            stages = default_funnel()
        t = _time(as_of, "--as-of") if as_of else observed_until(store)
        if t is None:
            fail("the workspace holds no events or outcomes yet")
        result = count_funnel(store, stages, t, by)
    _emit(fmt, result.as_dict(), funnel_views(result), records(result.table), result.warnings)
    _write_report(report, "Funnel report", [funnel_section(result)], ws, [f"cohorts by {by}"])


@app.command()
def drift(
    model: Annotated[str, typer.Argument(metavar="MODEL", help="The model whose inputs to check.")],
    period: Annotated[
        list[str],
        typer.Option(help="Two periods START..END: the reference, then the current one."),
    ],
    bins: Annotated[int, typer.Option(min=2, max=50, help="Bins for numbers.")] = 10,
    report: ReportOpt = None,
    workspace: WorkspaceOpt = Path("."),
    fmt: FormatOpt = Format.table,
) -> None:
    """Drift of the score and of the features the model reads (PSI) between the leads created
    in two periods; above 0.25 is flagged as large, 0.1 to 0.25 as moderate.

    Example: leadscore drift active --period 2025-01-01..2025-03-31 --period 2025-04-01..2025-06-30
    """
    from leadscore.evaluate.backtest import records
    from leadscore.evaluate.drift import drift as measure_drift
    from leadscore.evaluate.report import drift_section
    from leadscore.evaluate.scorers import resolve_scorer
    from leadscore.evaluate.views import drift_views

    if len(period) != 2:
        fail(f"give --period twice (reference, then current); got {len(period)}")
    reference, current = _period(period[0]), _period(period[1])
    with _opened(workspace) as (ws, store):
        scorer = resolve_scorer(model, ws, store)
        with _status("scoring both periods..."):
            result = measure_drift(store, scorer, reference, current, bins)
    rows = records(result.summary())
    _emit(fmt, result.as_dict(), drift_views(result), rows, result.warnings)
    _write_report(report, "Drift report", [drift_section(result)], ws, [])
