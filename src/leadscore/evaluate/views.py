"""Every analysis as titled tables of formatted text: what the terminal prints and the HTML
report shows, built once here so that both say the same thing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from leadscore.evaluate import format as fmt
from leadscore.evaluate.stats import Interval

if TYPE_CHECKING:
    import pandas as pd

    from leadscore.evaluate.backtest import BacktestResult, Evaluation
    from leadscore.evaluate.compare import Comparison, PairComparison
    from leadscore.evaluate.drift import DriftResult
    from leadscore.evaluate.funnel import FunnelResult
    from leadscore.evaluate.thresholds import ThresholdAdvice


@dataclass
class TableView:
    title: str
    columns: list[str]
    rows: list[list[str]]
    highlight: set[int] = field(default_factory=set)  # row indexes to stand out
    caption: str = ""
    numeric: set[int] = field(default_factory=set)  # column indexes aligned right


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]


def _table(
    title: str,
    header: list[tuple[str, bool]],
    rows: list[list[str]],
    caption: str = "",
    highlight: set[int] | None = None,
) -> TableView:
    return TableView(
        title=title,
        columns=[h for h, _ in header],
        rows=rows,
        highlight=highlight or set(),
        caption=caption,
        numeric={i for i, (_, right) in enumerate(header) if right},
    )


def day(us: int) -> str:
    """A date, with the time (to the minute) only when it is not midnight."""
    from leadscore.evaluate.population import when

    return when(us)


# --- backtest -------------------------------------------------------------------------------


def summary_view(result: BacktestResult) -> TableView:
    probs = any(e.probabilities for e in result.evaluations)
    header = [
        ("model", False),
        ("as of", False),
        ("leads", True),
        ("conv.", True),
        ("rate (95% CI)", True),
        ("ROC AUC (95% CI)", True),
        ("PR AUC", True),
        ("KS", True),
        ("top 10% lift", True),
    ]
    if probs:
        header += [("Brier", True), ("log loss", True), ("ECE", True)]
    rows = []
    for e in result.evaluations:
        digits = fmt.auc_digits(e.conversions)
        row = [
            e.scorer,
            day(e.as_of_us),
            fmt.count(e.leads),
            fmt.count(e.conversions),
            fmt.pct_interval(e.base_rate),
            fmt.with_interval(e.roc_auc, digits),
            fmt.number(e.pr_auc, digits),
            fmt.number(e.ks.statistic, digits),
            fmt.lift(e.top_decile_lift),
        ]
        if probs:
            row += [fmt.number(e.brier, 4), fmt.number(e.log_loss, 3), fmt.number(e.ece, 3)]
        rows.append(row)
    days = result.horizon_us / 86_400_000_000
    return _table(
        f"Backtest: conversions within {days:g} days of the as-of date",
        header,
        rows,
        caption="Higher AUC, KS and lift rank converters better; 0.5 AUC is random.",
    )


def gains_view(e: Evaluation) -> TableView:
    header = [
        ("decile", True),
        ("scores", False),
        ("leads", True),
        ("conversions", True),
        ("rate", True),
        ("lift", True),
        ("cumulative gain", True),
        ("cumulative lift", True),
    ]
    rows = [
        [
            str(int(r["bucket"])),
            f"{fmt.score(r['score_min'])} to {fmt.score(r['score_max'])}",
            fmt.count(r["leads"]),
            fmt.count(r["conversions"]),
            fmt.pct(r["rate"]),
            fmt.lift(r["lift"]),
            fmt.pct(r["cum_gain"], 0),
            fmt.lift(r["cum_lift"]),
        ]
        for r in e.gains.to_dict(orient="records")
    ]
    return _table(
        f"{e.scorer}: gains and lift by decile (as of {day(e.as_of_us)})",
        header,
        rows,
        caption="Leads ranked best first; tied scores across a cut are shared in proportion.",
    )


def _group_view(title: str, frame: pd.DataFrame, what: str) -> TableView:
    header = [
        (what, False),
        ("leads", True),
        ("share of leads", True),
        ("conversions", True),
        ("conversion rate (95% CI)", True),
        ("lift", True),
        ("share of conversions", True),
    ]
    rows = []
    for r in frame.to_dict(orient="records"):
        rate = Interval(r["rate"], r["rate_low"], r["rate_high"])
        rows.append(
            [
                str(r["group"]),
                fmt.count(r["leads"]),
                fmt.pct(r["share_of_leads"]),
                fmt.count(r["conversions"]),
                fmt.pct_interval(rate),
                fmt.lift(r["lift"]),
                fmt.pct(r["share_of_conversions"]),
            ]
        )
    return _table(title, header, rows)


def bands_view(e: Evaluation) -> TableView:
    if e.calibration is not None:
        header = [
            ("bin", True),
            ("probabilities", False),
            ("leads", True),
            ("predicted", True),
            ("observed (95% CI)", True),
        ]
        rows = [
            [
                str(int(r["bin"])),
                f"{fmt.pct(r['p_low'])} to {fmt.pct(r['p_high'])}",
                fmt.count(r["leads"]),
                fmt.pct(r["predicted"]),
                fmt.pct_interval(Interval(r["observed"], r["observed_low"], r["observed_high"])),
            ]
            for r in e.calibration.to_dict(orient="records")
        ]
        return _table(f"{e.scorer}: calibration", header, rows)
    header = [
        ("score band", False),
        ("leads", True),
        ("conversions", True),
        ("conversion rate (95% CI)", True),
    ]
    rows = [
        [
            str(r["band"]),
            fmt.count(r["leads"]),
            fmt.count(r["conversions"]),
            fmt.pct_interval(Interval(r["rate"], r["rate_low"], r["rate_high"])),
        ]
        for r in e.score_bands.to_dict(orient="records")
    ]
    return _table(
        f"{e.scorer}: conversion per score band",
        header,
        rows,
        caption=(
            "Rule scores are points, not probabilities: this is their calibration. "
            "The chart leaves out bands of fewer than 10 leads."
        ),
    )


def evaluation_views(e: Evaluation) -> list[TableView]:
    views = [gains_view(e)]
    if len(e.by_grade) and not (len(e.by_grade) == 1 and e.by_grade["group"].iloc[0] == "(none)"):
        views.append(_group_view(f"{e.scorer}: conversion by grade", e.by_grade, "grade"))
    # stages that only rename the grades (hot = SQL...) would repeat the same table
    columns = ["leads", "conversions"]
    stages_differ = (
        e.by_stage[columns].to_numpy().tolist() != e.by_grade[columns].to_numpy().tolist()
    )
    if stages_differ and not (len(e.by_stage) == 1 and e.by_stage["group"].iloc[0] == "(none)"):
        views.append(_group_view(f"{e.scorer}: conversion by stage", e.by_stage, "stage"))
    views.append(bands_view(e))
    return views


def backtest_views(result: BacktestResult) -> list[TableView]:
    """The summary of every scorer and date, then the detail of each scorer at the last date."""
    views = [summary_view(result)]
    last = result.as_of[-1]
    for info in result.scorers:
        views += evaluation_views(result.evaluation(info.name, last))
    return views


def messages(result: BacktestResult) -> tuple[list[str], list[str]]:
    """(warnings, notes) of a backtest, each once, prefixed by the scorer and date."""
    warnings = list(result.warnings)
    notes: list[str] = []
    for e in result.evaluations:
        warnings += [f"{e.scorer} as of {day(e.as_of_us)}: {w}" for w in e.warnings]
        notes += [n for n in e.notes if n not in notes]
    return warnings, notes


# --- compare --------------------------------------------------------------------------------


def _difference(row: str, boot: Any, digits: int, percent: bool) -> list[str]:
    if boot is None:
        return [row, fmt.DASH, fmt.DASH, fmt.DASH]
    if boot.estimate == boot.low == boot.high == 0:
        return [row, "0", "identical in every resample", fmt.DASH]
    d = 1 if percent else digits
    interval = (
        f"{fmt.signed(boot.low, d, percent)} to {fmt.signed(boot.high, d, percent)}"
        if fmt.defined(boot.low)
        else fmt.DASH
    )
    return [row, fmt.signed(boot.estimate, d, percent), interval, fmt.pct(boot.share_positive, 0)]


def pair_views(pair: PairComparison) -> list[TableView]:
    a, b = pair.champion, pair.challenger
    digits = fmt.auc_digits(pair.conversions)
    side = _table(
        f"{b.name} (challenger) vs {a.name} (champion) on {pair.leads:,} leads, "
        f"{pair.conversions:,} conversions",
        [("", False), (a.name, True), (b.name, True)],
        [
            ["ROC AUC", fmt.number(a.roc_auc, digits), fmt.number(b.roc_auc, digits)],
            ["top grade", str(a.top_grade or fmt.DASH), str(b.top_grade or fmt.DASH)],
            ["leads in top grade", fmt.count(a.top_grade_leads), fmt.count(b.top_grade_leads)],
            ["top grade conversion", fmt.pct(a.top_grade_rate), fmt.pct(b.top_grade_rate)],
            ["top 10% conversion", fmt.pct(a.top_decile_rate), fmt.pct(b.top_decile_rate)],
        ],
    )
    diffs = _table(
        "Difference, challenger minus champion (paired bootstrap, 95% CI)",
        [("", False), ("difference", True), ("95% CI", True), ("resamples challenger ahead", True)],
        [
            _difference("ROC AUC", pair.auc_diff, digits, False),
            _difference("top grade conversion", pair.top_grade_diff, digits, True),
            _difference("top 10% conversion", pair.top_decile_diff, digits, True),
        ],
        caption="An interval that contains 0 means the data cannot tell the two apart.",
    )
    moved = f"{pair.changed:,} leads change grade"
    if pair.moved_up is not None:
        moved += f" ({pair.moved_up:,} up, {pair.moved_down:,} down)"
    transitions = _table(
        f"Grade changes: {moved}",
        [
            (f"{a.name} grade", False),
            (f"{b.name} grade", False),
            ("leads", True),
            ("conversions", True),
            ("rate", True),
        ],
        [
            [
                str(r["from"]),
                str(r["to"]),
                fmt.count(r["leads"]),
                fmt.count(r["conversions"]),
                fmt.pct(r["rate"]),
            ]
            for r in pair.transitions.to_dict(orient="records")
        ],
        highlight={
            i for i, r in enumerate(pair.transitions.to_dict("records")) if r["from"] != r["to"]
        },
    )
    sample = _table(
        "Sample of leads whose grade changes (largest moves in rank first)",
        [
            ("contact", False),
            (f"{a.name}", False),
            (f"{b.name}", False),
            ("rank move", True),
            ("converted", False),
        ],
        [
            [
                str(r["contact_id"]),
                f"{r['grade_a']} ({fmt.score(r['score_a'])})",
                f"{r['grade_b']} ({fmt.score(r['score_b'])})",
                f"{float(r['rank_move']) * 100:+.0f} pctl",
                "yes" if r["converted"] else "no",
            ]
            for r in pair.sample.to_dict(orient="records")
        ],
    )
    return [side, diffs, transitions, sample]


def compare_views(comparison: Comparison) -> list[TableView]:
    return [v for pair in comparison.pairs for v in pair_views(pair)]


# --- thresholds -----------------------------------------------------------------------------

_THRESHOLD_HEADER = [
    ("threshold", True),
    ("new leads / week", True),
    ("converted within horizon", True),
    ("precision (95% CI)", True),
    ("recall", True),
    ("backlog at start", True),
]


def _threshold_row(r: dict[str, Any]) -> list[str]:
    precision = Interval(r["precision"], r["precision_low"], r["precision_high"])
    return [
        fmt.score(r["threshold"]),
        f"{float(r['per_week']):.1f}",
        fmt.count(r["converted"]),
        fmt.pct_interval(precision),
        fmt.pct(r["recall"]),
        fmt.count(r["backlog"]),
    ]


def threshold_views(advice: ThresholdAdvice, rows: int = 12) -> list[TableView]:
    table = advice.table
    views = []
    if advice.choice is not None:
        views.append(
            _table(
                f"Advice: threshold {fmt.score(advice.choice['threshold'])} - {advice.reason}",
                _THRESHOLD_HEADER,
                [_threshold_row(advice.choice)],
            )
        )
    if len(advice.current):
        views.append(
            _table(
                f"{advice.scorer}: the model's grade thresholds, measured the same way",
                [("grade", False), *_THRESHOLD_HEADER],
                [[str(r["grade"]), *_threshold_row(r)] for r in _rows(advice.current)],
            )
        )
    picked = _spread(table, rows, advice.choice)
    chosen = None if advice.choice is None else float(advice.choice["threshold"])
    records = _rows(table.iloc[picked])
    views.append(
        _table(
            f"Thresholds over {advice.weeks:.0f} weeks ({day(advice.start_us)} to "
            f"{day(advice.end_us)}), {advice.conversions:,} conversions",
            _THRESHOLD_HEADER,
            [_threshold_row(r) for r in records],
            caption=(
                "New leads: below the threshold at the previous weekly snapshot, at or above it "
                "now. Precision: share of them converting within the horizon. Recall: share of "
                "the period's conversions at or above it at the snapshot before converting."
            ),
            highlight={i for i, r in enumerate(records) if float(r["threshold"]) == chosen},
        )
    )
    return views


def _spread(table: pd.DataFrame, rows: int, choice: dict[str, Any] | None) -> list[int]:
    """About ``rows`` evenly spread rows of the table, the advised one included."""
    n = len(table)
    if n == 0:
        return []
    step = max(1, n // rows)
    picked = set(range(0, n, step))
    if choice is not None:
        positions = np.flatnonzero(table["threshold"].to_numpy() == choice["threshold"])
        picked |= {int(p) for p in positions[:1]}
    return sorted(picked)


# --- funnel and drift -------------------------------------------------------------------------


def funnel_views(result: FunnelResult) -> list[TableView]:
    header = [
        ("stage", False),
        ("leads", True),
        ("of first stage", True),
        ("move on to", False),
        ("conversion", True),
        ("drop-off", True),
        ("never move on", True),
        ("median time in stage", True),
        ("skipped it", True),
    ]
    rows = []
    for r in result.table.to_dict(orient="records"):
        rows.append(
            [
                str(r["stage"]),
                fmt.count(r["reached"]),
                fmt.pct(r["share_of_first"]),
                r["next_stage"] if isinstance(r["next_stage"], str) else "",
                fmt.pct(r["conversion"]),
                fmt.pct(r["drop_off"]),
                fmt.count(r["stuck"]),
                fmt.days(r["median_days"]),
                fmt.count(r["skipped"]),
            ]
        )
    highlight = set() if result.largest_drop is None else {result.largest_drop}
    overall = _table(
        f"Funnel as of {day(result.as_of_us)}: {result.headline}",
        header,
        rows,
        highlight=highlight,
        caption="Reaching a later stage counts as passing the earlier ones.",
    )
    periods = _period_view(result)
    return [overall, periods]


def _period_view(result: FunnelResult) -> TableView:
    frame = result.periods
    labels = list(dict.fromkeys(frame["period"].tolist())) if len(frame) else []
    header = [("cohort", False), *[(s, True) for s in result.stages]]
    rows = []
    for label in labels:
        part = frame[frame["period"] == label]
        cells = [label]
        for i, stage in enumerate(result.stages):
            r = part[part["stage"] == stage].iloc[0]
            text = fmt.count(r["reached"])
            if i:
                text += f" ({fmt.pct(r['share_of_first'], 0)})"
            cells.append(text)
        rows.append(cells)
    return _table(
        f"By cohort: the {result.by} leads reached the first stage",
        header,
        rows,
        caption="Share of the cohort in brackets. Recent cohorts have had less time to move on.",
    )


def drift_views(result: DriftResult) -> list[TableView]:
    header = [("feature", False), ("kind", False), ("PSI", True), ("drift", False)]
    summary = result.summary()
    rows = [
        [str(r["feature"]), str(r["kind"]), fmt.number(r["psi"], 3), str(r["level"])]
        for r in summary.to_dict(orient="records")
    ]
    a, b = result.reference, result.current
    return [
        _table(
            f"Drift of {result.scorer}: leads created {day(a[0])}..{day(a[1])} "
            f"({result.leads[0]:,}) vs {day(b[0])}..{day(b[1])} ({result.leads[1]:,})",
            header,
            rows,
            caption="PSI below 0.1: stable; 0.1 to 0.25: moderate; above 0.25: large.",
            highlight={
                i for i, r in enumerate(summary.to_dict("records")) if r["level"] != "stable"
            },
        )
    ]
