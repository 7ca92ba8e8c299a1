"""Self-contained HTML reports: tables and plotly charts in one file that works offline.

plotly.js is embedded once, inline; no script, style or font is fetched from the network. Each
analysis becomes a :class:`Section` (the same tables the terminal prints, plus charts), and
:func:`write_report` puts any number of sections in one file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadscore.evaluate import format as fmt
from leadscore.evaluate import views as v

if TYPE_CHECKING:
    from leadscore.evaluate.backtest import BacktestResult
    from leadscore.evaluate.compare import Comparison
    from leadscore.evaluate.drift import DriftResult
    from leadscore.evaluate.funnel import FunnelResult
    from leadscore.evaluate.thresholds import ThresholdAdvice

CHART_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass
class Card:
    label: str
    value: str
    sub: str = ""


@dataclass
class Section:
    title: str
    intro: str = ""
    views: list[v.TableView] = field(default_factory=list)
    figures: list[Any] = field(default_factory=list)  # plotly figures
    cards: list[Card] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-") or "section"


def backtest_section(result: BacktestResult) -> Section:
    from leadscore.evaluate import charts

    last = result.as_of[-1]
    latest = [result.evaluation(i.name, last) for i in result.scorers]
    cards = [
        Card(
            f"{e.scorer}: ROC AUC",
            fmt.number(e.roc_auc.estimate, fmt.auc_digits(e.conversions)),
            f"95% CI {fmt.number(e.roc_auc.low, 3)} to {fmt.number(e.roc_auc.high, 3)}",
        )
        for e in latest
    ]
    first = latest[0]
    cards += [
        Card("leads scored", fmt.count(first.leads), f"as of {v.day(last)}"),
        Card(
            "converted in the horizon",
            fmt.count(first.conversions),
            f"{fmt.pct(first.base_rate.estimate)} of leads",
        ),
    ]
    figures = [charts.gains_chart(latest), charts.lift_chart(latest)]
    if any(len(e.by_grade) > 1 for e in latest):
        figures.append(charts.grade_chart(latest))
    figures.append(charts.calibration_chart(latest))
    if len(result.as_of) > 1:
        figures.append(charts.rolling_chart(result))
    warnings, notes = v.messages(result)
    days = result.horizon_us / 86_400_000_000
    observed = v.day(result.observed_until_us) if result.observed_until_us else "-"
    intro = (
        f"Each model scored the leads of each as-of date with only what was known then (the "
        f"contacts that existed and had not converted), then was measured against who converted "
        f"within {days:g} days. Data observed until {observed}."
    )
    return Section("Backtest", intro, v.backtest_views(result), figures, cards, warnings, notes)


def compare_section(comparison: Comparison) -> Section:
    from leadscore.evaluate import charts

    figures = [charts.compare_chart(comparison)]
    figures += [charts.transitions_chart(p) for p in comparison.pairs if len(p.transitions)]
    warnings = [w for p in comparison.pairs for w in p.warnings]
    intro = (
        f"Models on the same leads as of {v.day(comparison.as_of_us)}: differences are challenger "
        f"minus champion ({comparison.champion}), with 95% intervals from {comparison.n_boot} "
        f"paired bootstrap resamples (seed {comparison.seed})."
    )
    return Section(
        "Champion vs challenger", intro, v.compare_views(comparison), figures, [], warnings
    )


def threshold_section(advice: ThresholdAdvice) -> Section:
    from leadscore.evaluate import charts

    cards = []
    if advice.choice is not None:
        c = advice.choice
        cards = [
            Card("advised threshold", fmt.score(c["threshold"]), advice.reason),
            Card(
                "new leads per week",
                f"{float(c['per_week']):.1f}",
                f"{int(c['leads']):,} in the period",
            ),
            Card("precision", fmt.pct(c["precision"]), "convert within the horizon"),
            Card("recall", fmt.pct(c["recall"]), "of the period's conversions"),
        ]
    intro = (
        f"{advice.scorer} scored at weekly snapshots from {v.day(advice.start_us)} to "
        f"{v.day(advice.end_us)}; new leads crossing each threshold, and how many converted."
    )
    return Section(
        "Threshold advice",
        intro,
        v.threshold_views(advice),
        [charts.threshold_chart(advice)],
        cards,
        list(advice.warnings),
    )


def funnel_section(result: FunnelResult) -> Section:
    from leadscore.evaluate import charts

    figures = [charts.funnel_chart(result)]
    if len(result.periods):
        figures.append(charts.cohort_chart(result))
    return Section(
        "Funnel",
        f"Stages: {' > '.join(result.stages)}. {result.headline[0].upper()}{result.headline[1:]}.",
        v.funnel_views(result),
        figures,
        [],
        list(result.warnings),
    )


def drift_section(result: DriftResult) -> Section:
    from leadscore.evaluate import charts

    flagged = [f for f in result.features if f.level in ("moderate", "large")]
    intro = (
        "Population stability index between the leads created in two periods, each scored as of "
        "its period's end. "
        + (
            f"{len(flagged)} of {len(result.features)} features drifted."
            if flagged
            else "No feature drifted."
        )
    )
    return Section(
        "Drift",
        intro,
        v.drift_views(result),
        [charts.drift_chart(result), charts.score_shift_chart(result)],
        [],
        list(result.warnings),
    )


def render_report(title: str, sections: list[Section], meta: list[str] | None = None) -> str:
    """The HTML text of a report holding ``sections``."""
    from importlib.metadata import PackageNotFoundError, version

    import jinja2
    from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]

    from leadscore.timeutil import iso, now_us

    try:
        leadscore_version = version("leadscore")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        leadscore_version = "dev"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    rendered = []
    for s in sections:
        chart_html = [
            fig.to_html(full_html=False, include_plotlyjs=False, config=CHART_CONFIG)
            for fig in s.figures
        ]
        rendered.append({**s.__dict__, "anchor": s.anchor, "charts": chart_html})
    return env.get_template("report.html.j2").render(
        title=title,
        meta=meta or [],
        sections=rendered,
        plotly_js=get_plotlyjs(),
        version=leadscore_version,
        generated=iso(now_us())[:19].replace("T", " ") + " UTC",
    )


def write_report(
    path: str | Path, title: str, sections: list[Section], meta: list[str] | None = None
) -> Path:
    """Write the report to ``path`` (folders created as needed); return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_report(title, sections, meta), encoding="utf-8")
    return target
