"""One self-contained ``report.html``: the journey map and the charts, readable offline.

Plotly's JavaScript is inlined once (in the first chart); nothing is loaded from the network. All
user text (theme labels, categories, quotes, channel names) is HTML-escaped.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from mining.reports import html_charts as charts
from mining.reports.html_playbook import playbook_section
from mining.reports.journey_views import (
    intents_by_stage,
    journey_outcomes,
    objection_view,
    stage_order,
)

#: The chart sections, in page order: (key, heading, what it answers).
SECTIONS = (
    (
        "heatmap",
        "Objections by stage",
        "Which objections come up at which stage, in how many journeys. Hover a cell for the "
        "share of those journeys that converted.",
    ),
    (
        "funnel",
        "Funnel and drop-off",
        "How many journeys reach each stage, and the share kept from the stage before.",
    ),
    (
        "sankey",
        "Journey paths",
        "How journeys move between stages (repeats merged) and how they end.",
    ),
    (
        "replies",
        "Reply strategies per objection",
        "How often each kind of agent reply resolved the objection it answered; whiskers are "
        "95% Wilson intervals.",
    ),
    (
        "channels",
        "Channel attribution",
        "Conversions credited to each channel under first-touch, last-touch, linear, "
        "position-based and Markov attribution.",
    ),
    (
        "cadence",
        "Follow-up cadence",
        "Conversion rate by the number of agent follow-ups in the first days; whiskers are "
        "95% intervals.",
    ),
)

#: The page style, kept beside this module.
CSS_FILE = Path(__file__).with_name("report.css")


def _txt(value: Any) -> str:
    """Return ``value`` as text, with missing values (None, NaN, NA) as the empty string."""
    return "" if value is None or pd.isna(value) else str(value)


def _short(value: Any, limit: int = 48) -> str:
    """Return ``value`` as text of at most ``limit`` characters (not escaped)."""
    text = _txt(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pp(x: float) -> str:
    """Format a share difference as signed percentage points with a colour class."""
    if x != x:  # NaN
        return '<span class="muted">n/a</span>'
    points = round(x * 100)
    if points == 0:
        return '<span class="muted">0 pp</span>'
    cls = "neg" if points < 0 else "pos"
    return f'<span class="{cls}">{points:+d} pp</span>'


def journey_map_html(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    reports: dict[str, pd.DataFrame] | None = None,
    top: int = 4,
    stages: list[str] | None = None,
) -> str:
    """Render the journey map: one column per stage with its objections and intents.

    Args:
        tags: The tags table.
        outcomes: The outcomes table, or None.
        reports: Report name -> DataFrame; the ``objections`` report supplies the figures.
        top: How many objections and intents to list per stage.
        stages: The taxonomy's stage names in order (None: the packaged taxonomy's).

    Returns:
        An HTML fragment.
    """
    obj = objection_view(tags, outcomes, reports)
    intents = intents_by_stage(tags, outcomes)
    conv = journey_outcomes(tags, outcomes)
    cols = []
    for stage in stage_order(tags, stages):
        js = tags.loc[tags["stage"] == stage, "journey_id"].dropna().unique()
        rate = float(conv.reindex(js).mean()) if len(js) else float("nan")
        parts = [
            f'<div class="stage"><h3>{html.escape(str(stage))}</h3>',
            f'<div class="n">{len(js)} journeys · '
            + (f"{rate:.0%} converted" if rate == rate else "no outcomes")
            + "</div><h4>Objections</h4><ul>",
        ]
        rows = obj[obj["stage"] == stage].sort_values("journeys", ascending=False).head(top)
        for r in rows.itertuples():
            q = float(getattr(r, "q_value", float("nan")))
            star = '<b title="q &lt; 0.05 (Benjamini-Hochberg)">*</b>' if q < 0.05 else ""
            parts.append(
                f'<li><span>{html.escape(str(r.category))} <span class="muted">({r.journeys})'
                f"</span></span><span>{_pp(r.impact)}{star}</span></li>"
            )
        if rows.empty:
            parts.append('<li class="muted">none found</li>')
        parts.append("</ul><h4>Intents</h4><ul>")
        irows = (
            intents[intents["stage"] == stage].sort_values("journeys", ascending=False).head(top)
        )
        for r in irows.itertuples():
            share = "" if r.converted_share != r.converted_share else f"{r.converted_share:.0%}"
            parts.append(
                f'<li><span>{html.escape(_short(r.intent))} <span class="muted">'
                f"({r.journeys})</span></span><span>{share}</span></li>"
            )
        if irows.empty:
            parts.append('<li class="muted">none found</li>')
        parts.append("</ul></div>")
        cols.append("".join(parts))
    if not cols:
        return '<p class="empty">No tagged messages.</p>'
    return '<div class="map">' + "".join(cols) + "</div>"


def _theme_row(kind: str, label: str, cat: str, size: Any, keywords: str, quotes: list[str],
               fine: str = "") -> str:
    return (
        "<tr>"
        f"<td>{html.escape(str(kind))}</td>"
        f'<td><b>{html.escape(label)}</b><br><span class="muted">'
        f"{html.escape(cat or 'new theme')}</span>{fine}</td>"
        f"<td>{html.escape(_txt(size))}</td>"
        f"<td>{html.escape(keywords)}</td>"
        f"<td>{''.join(f'<q>{html.escape(q)}</q>' for q in quotes)}</td>"
        "</tr>"
    )


def _coarse_rows(kind: str, sub: pd.DataFrame, top: int, examples: int) -> list[str]:
    """One row per coarse theme (largest first), its fine themes listed on expand."""
    rows = []
    groups = sub.groupby(sub["parent_theme_id"].astype(int), sort=False)
    order = sorted(groups, key=lambda g: (-int(g[1]["size"].sum()), g[0]))[:top]
    for _, fine in order:
        fine = fine.sort_values("size", ascending=False, kind="stable")
        head = fine.iloc[0]
        quotes = [q.strip() for q in _txt(head.examples).split(" | ") if q.strip()][:examples]
        cats = [c for c in fine["taxonomy_category"].map(_txt).tolist() if c]
        items = "".join(
            f"<li>{html.escape(_txt(r.label))} <span class=\"muted\">({html.escape(_txt(r.size))}"
            f"{'; ' + html.escape(_txt(r.keywords)) if _txt(r.keywords) else ''})</span></li>"
            for r in fine.itertuples())
        label = _txt(head.parent_label) or _txt(head.label)
        drill = (f"<details><summary>{len(fine)} fine theme{'s' * (len(fine) != 1)}</summary>"
                 f"<ul>{items}</ul></details>")
        # the most common category; a tie goes to the larger fine theme (never to set order,
        # which changes with each process's string hashing)
        cat = max(dict.fromkeys(cats), key=cats.count) if cats else ""
        rows.append(_theme_row(kind, label, cat,
                               int(fine["size"].sum()), _txt(head.keywords), quotes, drill))
    return rows


def themes_html(themes: pd.DataFrame, top: int = 8, examples: int = 2) -> str:
    """Render the largest themes of each kind with keywords and redacted example quotes.

    When the table has coarse themes (``parent_theme_id``, ``parent_label``), each row is a
    coarse theme (size: all its messages) whose fine themes open on click (``<details>``).

    Args:
        themes: The themes table (examples are already redacted, ``" | "``-separated).
        top: Themes per kind.
        examples: Example quotes per theme.

    Returns:
        An HTML fragment (a table).
    """
    if themes is None or themes.empty:
        return '<p class="empty">No themes found.</p>'
    rows = []
    kinds = [k for k in ("objection", "intent", "reply") if k in set(themes["kind"])]
    kinds += [k for k in themes["kind"].dropna().unique() if k not in kinds]
    for kind in kinds:
        sub = themes[themes["kind"] == kind]
        if "parent_theme_id" in sub.columns and sub["parent_theme_id"].notna().all():
            rows += _coarse_rows(kind, sub, top, examples)
            continue
        for r in sub.sort_values("size", ascending=False).head(top).itertuples():
            quotes = [q.strip() for q in _txt(r.examples).split(" | ") if q.strip()][:examples]
            rows.append(_theme_row(kind, _txt(r.label), _txt(r.taxonomy_category), r.size,
                                   _txt(r.keywords), quotes))
    return (
        "<table><thead><tr><th>kind</th><th>theme</th><th>messages</th><th>keywords</th>"
        "<th>examples (redacted)</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _kpis(tags: pd.DataFrame, outcomes: pd.DataFrame | None, counts: dict[str, Any]) -> str:
    conv = journey_outcomes(tags, outcomes)
    items = [
        (counts.get("messages", len(tags)), "messages"),
        (len(conv), "journeys"),
        (f"{conv.mean():.0%}" if len(conv) else "n/a", "converted"),
        (int(tags["is_objection"].fillna(False).astype(bool).sum()), "objections raised"),
        (counts.get("themes", "n/a"), "themes"),
        (counts.get("rejects", 0), "input records rejected"),
    ]
    return (
        '<div class="kpis">'
        + "".join(
            f'<div class="kpi"><b>{html.escape(str(v))}</b><span>{html.escape(k)}</span></div>'
            for v, k in items
        )
        + "</div>"
    )


def _about(about: dict[str, Any] | None) -> str:
    """Render the "About this run" section (escaped), or nothing."""
    if not about:
        return ""
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_txt(v))}</td></tr>"
        for k, v in about.items()
    )
    return f'<section class="about"><h2>About this run</h2><table>{rows}</table></section>'


def stage_notice_html(tags: pd.DataFrame, stages: list[str] | None = None) -> str:
    """A notice for the top of the report when the stage tags are flat or unsure, else ``""``."""
    # heavy: mining.stages loads scipy, sklearn; only when stage_notice_html() runs
    from mining.stages import stage_warnings

    notes = stage_warnings(tags, stages)
    if not notes:
        return ""
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return ('<section class="notice" role="note"><h2>Read the stages with care</h2>'
            f"<ul>{items}</ul></section>")


def _chart_sections(figures: dict[str, Any]) -> list[str]:
    """The chart sections of :data:`SECTIONS`, Plotly's script inlined in the first chart only.

    Args:
        figures: Section key -> a callable that builds its figure (None: not enough data).

    Returns:
        The HTML pieces of the sections, in order.
    """
    out: list[str] = []
    inline_js: bool | str = True
    config = {"displaylogo": False, "responsive": True}
    for key, heading, why in SECTIONS:
        fig = figures[key]()
        out.append(
            f'<section class="chart" data-chart="{key}"><h2>{html.escape(heading)}</h2>'
            f'<p class="why">{html.escape(why)}</p>'
        )
        if fig is None:
            out.append('<p class="empty">Not enough data for this chart.</p>')
        else:
            out.append(
                fig.to_html(
                    full_html=False,
                    include_plotlyjs=inline_js,
                    config=config,
                    div_id=f"chart-{key}",
                    default_height=f"{fig.layout.height or 420}px",
                )
            )
            inline_js = False
        out.append("</section>")
    return out


def build_report_html(
    tags: pd.DataFrame,
    themes: pd.DataFrame,
    reports: dict[str, pd.DataFrame],
    outcomes: pd.DataFrame | None = None,
    counts: dict[str, Any] | None = None,
    title: str = "journeymine report",
    about: dict[str, Any] | None = None,
    stages: list[str] | None = None,
) -> str:
    """Build the report page as one HTML string (Plotly inlined once, no network access needed).

    Args:
        tags: The tags table.
        themes: The themes table.
        reports: Report name -> DataFrame (``funnel``, ``replies``, ``channels``, ``cadence`` are
            drawn when present).
        outcomes: The outcomes table, or None.
        counts: Run counts shown at the top (``messages``, ``themes``, ``rejects``).
        title: The page title.
        about: Facts about the run shown at the bottom (inputs, settings, versions), label ->
            value.
        stages: The taxonomy's stage names in order (None: the packaged taxonomy's).

    Returns:
        The complete HTML document.
    """
    figures = {
        "heatmap": lambda: charts.heatmap(tags, outcomes, reports, stages=stages),
        "funnel": lambda: charts.funnel(tags, reports, stages),
        "sankey": lambda: charts.sankey(tags, outcomes),
        "replies": lambda: charts.replies(reports),
        "channels": lambda: charts.channels(reports),
        "cadence": lambda: charts.cadence(reports),
    }
    body = [
        '<section><h2>Journey map</h2><p class="why">Stages as columns. Under each: the '
        "objections raised there (journeys) with their conversion impact — the difference in "
        "conversion between journeys that raised it at that stage and the other journeys at that "
        "stage, in percentage points (* where the difference is unlikely to be chance: "
        "q &lt; 0.05) — and the most common intents with the share of those "
        "journeys that converted. Journeys without a known outcome count as not converted.</p>",
        journey_map_html(tags, outcomes, reports, stages=stages),
        "</section>",
    ]
    body.extend(_chart_sections(figures))
    body.append(playbook_section(reports))  # issue 16: rules and open leads
    body.append(
        '<section><h2>Top themes</h2><p class="why">The largest themes of each kind with their '
        "keywords and typical messages (personal data redacted); open a theme to see the finer "
        "themes it groups.</p>"
        + themes_html(themes)
        + "</section>"
    )
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS_FILE.read_text(encoding='utf-8')}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>Generated {stamp} by journeymine. "
        "Self-contained: opens offline.</p></header><main>"
        + stage_notice_html(tags, stages)
        + _kpis(tags, outcomes, counts or {})
        + "".join(body)
        + _about(about)
        + "</main></body></html>\n"
    )


def write_report_html(
    path: str | PathLike[str],
    *,
    tags: pd.DataFrame,
    themes: pd.DataFrame,
    reports: dict[str, pd.DataFrame],
    outcomes: pd.DataFrame | None = None,
    counts: dict[str, Any] | None = None,
    about: dict[str, Any] | None = None,
    stages: list[str] | None = None,
) -> Path:
    """Write :func:`build_report_html`'s page to ``path`` (UTF-8).

    Args:
        path: Where to write ``report.html``.
        tags: The tags table.
        themes: The themes table.
        reports: Report name -> DataFrame.
        outcomes: The outcomes table, or None.
        counts: Run counts shown at the top.
        about: Facts about the run shown at the bottom.
        stages: The taxonomy's stage names in order (None: the packaged taxonomy's).

    Returns:
        The written path.
    """
    out = Path(path)
    page = build_report_html(tags, themes, reports, outcomes, counts, about=about, stages=stages)
    out.write_text(page, encoding="utf-8")
    return out
