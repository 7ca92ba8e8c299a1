"""Plotly figures of the analyses (plotly is imported only when a chart is drawn).

Each function returns a ``plotly.graph_objects.Figure``; :mod:`.report` embeds them in HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from leadscore.evaluate.backtest import BacktestResult, Evaluation
    from leadscore.evaluate.compare import Comparison, PairComparison
    from leadscore.evaluate.drift import DriftResult
    from leadscore.evaluate.funnel import FunnelResult
    from leadscore.evaluate.thresholds import ThresholdAdvice

Figure = Any  # plotly.graph_objects.Figure (plotly ships no type information)

PALETTE = ["#2563eb", "#ea580c", "#16a34a", "#9333ea", "#0891b2", "#ca8a04"]
GREY, RED, AMBER, GREEN = "#9ca3af", "#dc2626", "#d97706", "#16a34a"
MIN_BAND_LEADS = 10  # score bands with fewer leads get no point on the conversion line
NAME = "<extra>%{fullData.name}</extra>"  # hover label: the trace's name
LEVEL_COLORS = {"stable": GREEN, "moderate": AMBER, "large": RED, "n/a": GREY}


def _go() -> Any:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    return go


def _layout(fig: Figure, title: str, height: int = 380, **extra: Any) -> Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 30, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.2},
        font={"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
        **extra,
    )
    return fig


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _errors(values: Any, low: Any, high: Any) -> dict[str, Any]:
    v, lo, hi = (np.asarray(x, dtype=float) for x in (values, low, high))
    return {
        "type": "data",
        "array": np.nan_to_num(hi - v),
        "arrayminus": np.nan_to_num(v - lo),
        "thickness": 1.2,
        "width": 4,
    }


def gains_chart(evaluations: Sequence[Evaluation]) -> Figure:
    go = _go()
    fig = go.Figure()
    for i, e in enumerate(evaluations):
        fig.add_trace(
            go.Scatter(
                x=e.curve["share"],
                y=e.curve["gain"],
                name=e.scorer,
                mode="lines",
                line={"color": _color(i), "width": 2.5},
                hovertemplate="%{x:.0%} of leads: %{y:.0%} of conversions" + NAME,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[0, 1], y=[0, 1], name="random", mode="lines", line={"color": GREY, "dash": "dash"}
        )
    )
    fig.update_xaxes(title="share of leads, best scored first", tickformat=".0%", range=[0, 1])
    fig.update_yaxes(title="share of conversions caught", tickformat=".0%", range=[0, 1.02])
    return _layout(fig, "Cumulative gains")


def lift_chart(evaluations: Sequence[Evaluation]) -> Figure:
    go = _go()
    fig = go.Figure()
    for i, e in enumerate(evaluations):
        fig.add_trace(
            go.Bar(
                x=[f"D{int(b)}" for b in e.gains["bucket"]],
                y=e.gains["lift"],
                name=e.scorer,
                marker_color=_color(i),
                hovertemplate="decile %{x}: lift %{y:.2f}<extra>%{fullData.name}</extra>",
            )
        )
    fig.add_hline(y=1, line_dash="dash", line_color=GREY)
    fig.update_xaxes(title="decile (D1 = best scored 10%)")
    fig.update_yaxes(title="lift over the average conversion rate")
    return _layout(fig, "Lift by decile", barmode="group")


def grade_chart(evaluations: Sequence[Evaluation]) -> Figure:
    go = _go()
    fig = go.Figure()
    for i, e in enumerate(evaluations):
        g = e.by_grade
        fig.add_trace(
            go.Bar(
                x=g["group"],
                y=g["rate"],
                name=e.scorer,
                marker_color=_color(i),
                error_y=_errors(g["rate"], g["rate_low"], g["rate_high"]),
                text=[f"{int(n):,} leads" for n in g["leads"]],
                textposition="inside",
                insidetextanchor="start",
                textangle=0,
                textfont={"size": 10},
                hovertemplate="%{x}: %{y:.1%} of %{text} converted<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_xaxes(title="grade", type="category")
    fig.update_yaxes(title="conversion rate (95% CI)", tickformat=".0%", rangemode="tozero")
    return _layout(fig, "Conversion by grade", barmode="group")


def calibration_chart(evaluations: Sequence[Evaluation]) -> Figure:
    """Predicted vs observed for probabilities; conversion per score band for rule scores."""
    go = _go()
    from plotly.subplots import make_subplots  # type: ignore[import-untyped]

    probabilistic = [e for e in evaluations if e.calibration is not None]
    if probabilistic:
        fig = go.Figure()
        top = 0.0
        for i, e in enumerate(probabilistic):
            c = e.calibration
            assert c is not None
            top = max(top, float(c["predicted"].max()), float(c["observed_high"].max()))
            fig.add_trace(
                go.Scatter(
                    x=c["predicted"],
                    y=c["observed"],
                    name=e.scorer,
                    mode="lines+markers",
                    line={"color": _color(i)},
                    error_y=_errors(c["observed"], c["observed_low"], c["observed_high"]),
                    hovertemplate="predicted %{x:.1%}, observed %{y:.1%}" + NAME,
                )
            )
        edge = min(1.0, top * 1.05 or 1.0)
        fig.add_trace(
            go.Scatter(
                x=[0, edge],
                y=[0, edge],
                name="perfect",
                mode="lines",
                line={"color": GREY, "dash": "dash"},
            )
        )
        fig.update_xaxes(title="predicted probability", tickformat=".0%")
        fig.update_yaxes(title="observed conversion rate (95% CI)", tickformat=".0%")
        return _layout(fig, "Calibration")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for i, e in enumerate(evaluations):
        b = e.score_bands.copy()
        # a rate over a handful of leads is noise: such bands stay in the table, not on the line
        few = b["leads"] < MIN_BAND_LEADS
        for column in ("rate", "rate_low", "rate_high"):
            b[column] = b[column].mask(few)
        fig.add_trace(
            go.Bar(
                x=b["band"],
                y=b["leads"],
                name=f"{e.scorer}: leads",
                marker_color=_color(i),
                opacity=0.25,
                hovertemplate="%{x}: %{y:,} leads<extra></extra>",
            ),
            secondary_y=True,
        )
        fig.add_trace(
            go.Scatter(
                x=b["band"],
                y=b["rate"],
                name=f"{e.scorer}: conversion rate",
                mode="lines+markers",
                line={"color": _color(i), "width": 2.5},
                error_y=_errors(b["rate"], b["rate_low"], b["rate_high"]),
                hovertemplate="%{x}: %{y:.1%} converted<extra>%{fullData.name}</extra>",
            ),
            secondary_y=False,
        )
    fig.update_xaxes(title="score band", type="category")
    fig.update_yaxes(
        title="conversion rate (95% CI)", tickformat=".0%", secondary_y=False, rangemode="tozero"
    )
    fig.update_yaxes(title="leads", secondary_y=True, showgrid=False, rangemode="tozero")
    return _layout(
        fig, "Conversion per score band (rule scores are not probabilities)", barmode="group"
    )


def rolling_chart(result: BacktestResult) -> Figure:
    go = _go()
    fig = go.Figure()
    stability = result.stability()
    for i, info in enumerate(result.scorers):
        part = stability[stability["scorer"] == info.name]
        fig.add_trace(
            go.Scatter(
                x=[a[:10] for a in part["as_of"]],
                y=part["roc_auc"],
                name=info.name,
                mode="lines+markers",
                line={"color": _color(i), "width": 2.5},
                error_y=_errors(part["roc_auc"], part["roc_auc_low"], part["roc_auc_high"]),
                hovertemplate="as of %{x}: AUC %{y:.3f}<extra>%{fullData.name}</extra>",
            )
        )
    fig.add_hline(y=0.5, line_dash="dash", line_color=GREY, annotation_text="random")
    fig.update_xaxes(title="as-of date", type="category")
    fig.update_yaxes(title="ROC AUC (95% CI)")
    return _layout(fig, "Rolling backtest: ROC AUC over time")


def threshold_chart(advice: ThresholdAdvice) -> Figure:
    from leadscore.evaluate.thresholds import MIN_LEADS

    go = _go()
    from plotly.subplots import make_subplots

    t = advice.table
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Scatter(
            x=t["threshold"],
            y=t["per_week"],
            name="new leads per week",
            mode="lines",
            line={"color": PALETTE[0], "width": 2.5},
            fill="tozeroy",
            fillcolor="rgba(37,99,235,0.08)",
            hovertemplate="threshold %{x}: %{y:.1f} new leads a week<extra></extra>",
        ),
        secondary_y=False,
    )
    # precision over a handful of leads is noise: drawn only where enough leads cross
    precision = t["precision"].where(t["leads"] >= MIN_LEADS)
    fig.add_trace(
        go.Scatter(
            x=t["threshold"],
            y=precision,
            name="precision",
            mode="lines",
            line={"color": PALETTE[1], "width": 2},
            hovertemplate="threshold %{x}: %{y:.1%} convert<extra></extra>",
        ),
        secondary_y=True,
    )
    fig.add_trace(
        go.Scatter(
            x=t["threshold"],
            y=t["recall"],
            name="recall",
            mode="lines",
            line={"color": PALETTE[2], "width": 2, "dash": "dot"},
            hovertemplate="threshold %{x}: %{y:.1%} of conversions caught<extra></extra>",
        ),
        secondary_y=True,
    )
    if advice.goal == "capacity" and advice.target is not None:
        fig.add_hline(
            y=advice.target,
            line_dash="dash",
            line_color=GREY,
            secondary_y=False,
            annotation_text=f"capacity {advice.target:g}/week",
        )
    if advice.choice is not None:
        fig.add_vline(
            x=float(advice.choice["threshold"]),
            line_color=RED,
            line_width=2,
            annotation_text=f"advice: {float(advice.choice['threshold']):g}",
        )
    for _, row in advice.current.iterrows():
        fig.add_vline(
            x=float(row["threshold"]),
            line_color=GREY,
            line_dash="dot",
            annotation_text=str(row["grade"]),
            annotation_position="bottom right",
        )
    fig.update_xaxes(title="score threshold")
    fig.update_yaxes(title="new leads per week", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(
        title="precision / recall", tickformat=".0%", range=[0, 1], secondary_y=True, showgrid=False
    )
    return _layout(fig, f"Threshold curve: {advice.scorer}")


def funnel_chart(result: FunnelResult) -> Figure:
    go = _go()
    t = result.table
    colors = [PALETTE[0]] * len(t)
    if result.largest_drop is not None:
        colors[result.largest_drop] = AMBER
        colors[result.largest_drop + 1] = RED
    fig = go.Figure(
        go.Funnel(
            y=t["stage"],
            x=t["reached"],
            textinfo="value+percent initial+percent previous",
            marker={"color": colors},
            connector={"line": {"color": GREY, "width": 1}},
        )
    )
    title = "Funnel" if result.largest_drop is None else "Funnel (largest drop-off: amber to red)"
    return _layout(fig, title, height=420)


def cohort_chart(result: FunnelResult) -> Figure:
    go = _go()
    fig = go.Figure()
    p = result.periods
    for i, stage in enumerate(result.stages[1:], start=1):
        part = p[p["stage"] == stage]
        fig.add_trace(
            go.Scatter(
                x=part["period"],
                y=part["share_of_first"],
                name=stage,
                mode="lines+markers",
                line={"color": _color(i)},
                hovertemplate="%{x}: %{y:.0%} of the cohort reached " + stage + "<extra></extra>",
            )
        )
    fig.update_xaxes(title=f"cohort ({result.by} of reaching {result.stages[0]})", type="category")
    fig.update_yaxes(title="share of the cohort", tickformat=".0%", range=[0, 1.02])
    return _layout(fig, "Funnel by cohort")


def compare_chart(comparison: Comparison) -> Figure:
    """Differences (challenger minus champion) with their bootstrap intervals."""
    go = _go()
    fig = go.Figure()
    for i, pair in enumerate(comparison.pairs):
        rows = [
            ("ROC AUC (x100)", pair.auc_diff, 100.0),
            ("top 10% conversion (pts)", pair.top_decile_diff, 100.0),
        ]
        if pair.top_grade_diff is not None:
            rows.append(("top grade conversion (pts)", pair.top_grade_diff, 100.0))
        labels = [r[0] for r in rows]
        est = [r[1].estimate * r[2] for r in rows]
        lo = [r[1].low * r[2] for r in rows]
        hi = [r[1].high * r[2] for r in rows]
        fig.add_trace(
            go.Scatter(
                x=est,
                y=labels,
                mode="markers",
                name=pair.challenger.name,
                marker={"size": 11, "color": _color(i + 1)},
                error_x=_errors(est, lo, hi),
                hovertemplate="%{y}: %{x:+.2f}<extra>%{fullData.name}</extra>",
            )
        )
    fig.add_vline(x=0, line_color=GREY, line_dash="dash")
    fig.update_xaxes(
        title=f"challenger minus {comparison.champion} (95% bootstrap CI)", zeroline=False
    )
    return _layout(fig, "Champion vs challenger", height=300)


def transitions_chart(pair: PairComparison) -> Figure:
    go = _go()
    t = pair.transitions
    rows = list(dict.fromkeys(t["from"]))
    cols = list(dict.fromkeys(t["to"]))
    z = np.zeros((len(rows), len(cols)))
    text = [["" for _ in cols] for _ in rows]
    for r in t.to_dict(orient="records"):
        i, j = rows.index(r["from"]), cols.index(r["to"])
        z[i, j] = r["leads"]
        text[i][j] = f"{int(r['leads']):,} leads<br>{r['rate']:.0%} converted"
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=cols,
            y=rows,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
        )
    )
    fig.update_xaxes(title=f"{pair.challenger.name} grade", type="category")
    fig.update_yaxes(title=f"{pair.champion.name} grade", type="category", autorange="reversed")
    return _layout(fig, "Grade changes", height=340)


def drift_chart(result: DriftResult) -> Figure:
    go = _go()
    s = result.summary().iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=s["psi"],
            y=s["feature"],
            orientation="h",
            marker_color=[LEVEL_COLORS.get(level, GREY) for level in s["level"]],
            hovertemplate="%{y}: PSI %{x:.3f}<extra></extra>",
        )
    )
    fig.add_vline(x=0.1, line_dash="dot", line_color=AMBER, annotation_text="0.1")
    fig.add_vline(x=0.25, line_dash="dot", line_color=RED, annotation_text="0.25")
    fig.update_xaxes(title="population stability index")
    return _layout(fig, "Drift by feature", height=max(300, 24 * len(s) + 120))


def score_shift_chart(result: DriftResult) -> Figure:
    go = _go()
    fig = go.Figure()
    if not result.features:
        return _layout(fig, "Score distribution")
    bins = result.features[0].bins
    for name, column, color in (
        ("reference", "reference", GREY),
        ("current", "current", PALETTE[0]),
    ):
        fig.add_trace(go.Bar(x=bins["bin"], y=bins[column], name=name, marker_color=color))
    fig.update_xaxes(title="score (bins of the reference period)", type="category")
    fig.update_yaxes(title="share of leads", tickformat=".0%")
    return _layout(fig, "Score distribution: reference vs current", barmode="group")
