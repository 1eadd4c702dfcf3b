"""The Plotly figures of the HTML report, one function per chart.

Each function takes report or tags DataFrames and returns a ``plotly.graph_objects.Figure``, or
None when there is nothing to draw. Every piece of user text that goes into a figure (theme
labels, categories, channel names) is HTML-escaped first: Plotly renders a subset of HTML in
labels, and the figure JSON is embedded in a ``<script>`` element.
"""

from __future__ import annotations

import html
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from mining.reports.journey_views import objection_view, stage_order, stage_paths

if TYPE_CHECKING:
    import pandas as pd
    from plotly.graph_objects import Figure

#: Attribution columns of the channels report, drawn side by side.
ATTRIBUTION_MODELS = ("first_touch", "last_touch", "linear", "position", "markov")

#: Readable titles of the cadence report's dimensions.
CADENCE_TITLES = {
    "followups": "agent follow-ups in the first days",
    "first_response": "time to the first agent response",
}

FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"


def esc(value: Any, limit: int = 60) -> str:
    """HTML-escape a value for a chart label, shortening long text with an ellipsis."""
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=True)


def pick(df: pd.DataFrame | None, *names: str) -> str | None:
    """Return the first of ``names`` that is a column of ``df`` (None when none is)."""
    if df is None:
        return None
    for n in names:
        if n in df.columns:
            return n
    return None


def _layout(fig: Figure, title: str, height: int = 420) -> Figure:
    fig.update_layout(
        title={"text": html.escape(title), "x": 0.01},
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 60},
        font={"family": FONT, "size": 12},
        paper_bgcolor="white",
        plot_bgcolor="white",
    )
    return fig


def heatmap(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    reports: dict[str, pd.DataFrame] | None = None,
    top: int = 15,
    stages: list[str] | None = None,
) -> Figure | None:
    """Stage × objection category heatmap: journeys raising it there, hover shows conversion.

    ``stages``: the taxonomy's stage names in order (None: the packaged taxonomy's).
    """
    # heavy: plotly.graph_objects loads only when heatmap() runs
    import plotly.graph_objects as go

    view = objection_view(tags, outcomes, reports)
    if view.empty:
        return None
    order = stage_order(tags, stages)
    stages = [s for s in order if s in set(view["stage"])]
    cats = view.groupby("category")["journeys"].sum().sort_values(ascending=False).index[:top]
    cats = list(cats)[::-1]
    grid = view.pivot_table(index="category", columns="stage", values="journeys", aggfunc="sum")
    grid = grid.reindex(index=cats, columns=stages).fillna(0)
    conv = view.pivot_table(index="category", columns="stage", values="converted_share")
    conv = conv.reindex(index=cats, columns=stages)
    hover = [
        [
            f"{esc(c)} at {esc(s)}: {int(grid.loc[c, s])} journeys"
            + ("" if conv.isna().loc[c, s] else f", {conv.loc[c, s]:.0%} converted")
            for s in stages
        ]
        for c in cats
    ]
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy().tolist(),
            x=[esc(s) for s in stages],
            y=[esc(c) for c in cats],
            text=hover,
            hoverinfo="text",
            colorscale="YlOrRd",
            colorbar={"title": {"text": "journeys"}},
        )
    )
    return _layout(fig, "Objections by stage (journeys raising each)", 120 + 28 * len(cats))


def funnel(tags: pd.DataFrame, reports: dict[str, pd.DataFrame],
           stages: list[str] | None = None) -> Figure | None:
    """Funnel of journeys reaching each stage, with drop-off (and going cold, when reported).

    ``stages``: the taxonomy's stage names in order, when there is no funnel report.
    """
    # heavy: plotly.graph_objects loads only when funnel() runs
    import plotly.graph_objects as go

    rep = reports.get("funnel")
    stage_col = pick(rep, "stage")
    reach_col = pick(rep, "journeys_reached", "reached", "journeys")
    if rep is not None and not rep.empty and stage_col and reach_col:
        rep = rep[~rep[stage_col].astype(str).str.startswith("(")]
        stages = [str(s) for s in rep[stage_col]]
        reached = [int(v) if v == v else 0 for v in rep[reach_col]]
        cold_col = pick(rep, "cold_here", "went_cold", "cold")
        cold = [int(v) if v == v else 0 for v in rep[cold_col]] if cold_col else None
    else:
        order = stage_order(tags, stages)
        if not order:
            return None
        rank = {s: i for i, s in enumerate(order)}
        furthest = (
            tags.dropna(subset=["stage"])
            .groupby("journey_id")["stage"]
            .agg(lambda s: max(rank.get(x, 0) for x in s))
        )
        stages = order
        reached = [int((furthest >= i).sum()) for i in range(len(order))]
        cold = None
    text = [
        f"{n}" + (f" · {c} went cold here" if cold is not None and c else "")
        for n, c in zip(reached, cold if cold is not None else [0] * len(reached), strict=True)
    ]
    fig = go.Figure(
        go.Funnel(
            y=[esc(s) for s in stages],
            x=reached,
            text=text,
            textinfo="text+percent previous",
            marker={"color": "#4C78A8"},
            name="journeys reaching the stage",
        )
    )
    return _layout(fig, "Funnel: journeys reaching each stage", 380)


def sankey(tags: pd.DataFrame, outcomes: pd.DataFrame | None, max_steps: int = 5) -> Figure | None:
    """Sankey of stage paths: step k's stage -> step k+1's stage -> converted or not.

    Links are coloured by how the journeys on them ended (green: converted), so the paths that
    convert stand out.
    """
    # heavy: plotly.graph_objects loads only when sankey() runs
    import plotly.graph_objects as go

    paths = stage_paths(tags, outcomes, max_steps=max_steps)
    if paths.empty:
        return None
    nodes: dict[tuple[int, str], int] = {}
    links: dict[tuple[int, int, bool], int] = {}

    def node(step: int, name: str) -> int:
        return nodes.setdefault((step, name), len(nodes))

    for steps, converted in zip(paths["steps"], paths["converted"], strict=True):
        if not steps:
            continue
        chain = [node(i, s) for i, s in enumerate(steps)]
        chain.append(node(99, "converted" if converted else "not converted"))
        for a, b in pairwise(chain):
            links[(a, b, bool(converted))] = links.get((a, b, bool(converted)), 0) + 1
    labels = [f"{esc(name)}" if step == 99 else f"{step + 1}. {esc(name)}" for step, name in nodes]
    colors = [
        ("#54A24B" if name == "converted" else "#BAB0AC") if step == 99 else "#4C78A8"
        for step, name in nodes
    ]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={"label": labels, "color": colors, "pad": 14, "thickness": 14},
            link={
                "source": [a for a, _, _ in links],
                "target": [b for _, b, _ in links],
                "value": list(links.values()),
                "color": [
                    "rgba(84,162,75,0.45)" if conv else "rgba(186,176,172,0.45)"
                    for _, _, conv in links
                ],
            },
        )
    )
    return _layout(fig, "Journey paths (stages in order, then the outcome; green: converted)", 460)


def replies(reports: dict[str, pd.DataFrame], top: int = 24) -> Figure | None:
    """Resolution rate per objection category × reply strategy, with interval whiskers."""
    # heavy: plotly.graph_objects loads only when replies() runs
    import plotly.graph_objects as go

    rep = reports.get("replies")
    cat = pick(rep, "objection_category", "category", "objection")
    strat = pick(rep, "reply_strategy", "strategy", "reply_theme")
    rate = pick(rep, "resolution_rate", "resolved_rate", "resolution")
    if rep is None or rep.empty or not (cat and strat and rate):
        return None
    n_col = pick(rep, "objections", "n", "count")
    lo = pick(rep, "resolution_lo", "resolution_low", "ci_low")
    hi = pick(rep, "resolution_hi", "resolution_high", "ci_high")
    # "(no reply)" and "(unclassified)" rows are bookkeeping, not strategies a user can choose
    df = rep.dropna(subset=[rate])
    df = df[~df[strat].astype(str).str.startswith("(")]
    if n_col:
        df = df.sort_values(n_col, ascending=False).head(top)
    fig = go.Figure()
    for s, grp in df.groupby(strat, sort=True):
        kw: dict[str, Any] = {}
        if lo and hi:
            kw["error_y"] = {
                "type": "data",
                "symmetric": False,
                "array": (grp[hi] - grp[rate]).clip(lower=0).fillna(0).tolist(),
                "arrayminus": (grp[rate] - grp[lo]).clip(lower=0).fillna(0).tolist(),
            }
        hover = [
            f"{esc(c)} / {esc(s)}: {r:.0%} resolved" + (f" (n={int(n)})" if n_col else "")
            for c, r, n in zip(grp[cat], grp[rate], grp[n_col] if n_col else grp[rate], strict=True)
        ]
        fig.add_trace(
            go.Bar(
                x=[esc(c) for c in grp[cat]],
                y=grp[rate].astype(float).tolist(),
                name=esc(s),
                hovertext=hover,
                hoverinfo="text",
                **kw,
            )
        )
    fig.update_layout(
        barmode="group",
        showlegend=True,
        legend={"title": {"text": "reply strategy"}},
        yaxis={"tickformat": ".0%", "range": [0, 1.05]},
    )
    return _layout(fig, "Reply strategies: share of objections resolved (95% interval)", 440)


def channels(reports: dict[str, pd.DataFrame]) -> Figure | None:
    """Conversions credited to each channel under each attribution model."""
    # heavy: plotly.graph_objects loads only when channels() runs
    import plotly.graph_objects as go

    rep = reports.get("channels")
    ch = pick(rep, "channel")
    if rep is None or rep.empty or not ch:
        return None
    long_model = pick(rep, "model", "attribution")
    value = pick(rep, "conversions", "credit", "attributed_conversions")
    fig = go.Figure()
    if long_model and value:
        for m, grp in rep.groupby(long_model, sort=False):
            fig.add_trace(
                go.Bar(
                    x=[esc(c) for c in grp[ch]], y=grp[value].astype(float).tolist(), name=esc(m)
                )
            )
    else:
        models = [c for c in ATTRIBUTION_MODELS if c in rep.columns]
        if not models:
            return None
        for m in models:
            fig.add_trace(
                go.Bar(x=[esc(c) for c in rep[ch]], y=rep[m].astype(float).tolist(), name=esc(m))
            )
    fig.update_layout(barmode="group", yaxis={"title": {"text": "conversions credited"}})
    return _layout(fig, "Channel attribution: conversions credited per model", 400)


def cadence(reports: dict[str, pd.DataFrame]) -> Figure | None:
    """Conversion rate by agent follow-ups and by first-response time, with intervals."""
    # heavy: plotly.graph_objects, plotly.subplots load only when cadence() runs
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    rep = reports.get("cadence")
    if rep is None or rep.empty or not {"bucket", "conversion_rate"} <= set(rep.columns):
        return None
    if "dimension" in rep:
        dims = list(dict.fromkeys(rep["dimension"].astype(str)))
    else:
        rep, dims = rep.assign(dimension="followups"), ["followups"]
    titles = [esc(CADENCE_TITLES.get(d, d.replace("_", " "))) for d in dims]
    fig = make_subplots(rows=1, cols=len(dims), subplot_titles=titles, shared_yaxes=True)
    for i, dim in enumerate(dims, start=1):
        sub = rep[rep["dimension"].astype(str) == dim]
        rate = sub["conversion_rate"].astype(float)
        kw: dict[str, Any] = {}
        if {"conversion_lo", "conversion_hi"} <= set(sub.columns):
            kw["error_y"] = {
                "type": "data",
                "symmetric": False,
                "array": (sub["conversion_hi"].astype(float) - rate)
                .clip(lower=0)
                .fillna(0)
                .tolist(),
                "arrayminus": (rate - sub["conversion_lo"].astype(float))
                .clip(lower=0)
                .fillna(0)
                .tolist(),
            }
        text = [f"n={int(n)}" for n in sub["journeys"]] if "journeys" in sub else None
        fig.add_trace(
            go.Bar(
                x=[esc(v) for v in sub["bucket"]],
                y=rate.fillna(0).tolist(),
                text=text,
                marker={"color": "#72B7B2"},
                showlegend=False,
                **kw,
            ),
            row=1,
            col=i,
        )
        fig.update_xaxes(type="category", row=1, col=i)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_yaxes(title={"text": "conversion rate"}, row=1, col=1)
    _layout(fig, "Follow-up cadence: conversion rate (95% interval)", 420)
    fig.update_layout(margin={"t": 80})
    return fig
