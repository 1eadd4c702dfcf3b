"""Funnel and drop-off: how far journeys get, how they convert, and where leads go cold.

One row per stage in funnel order plus an ``(all)`` row. Definitions (also in docs/reports.md):

- ``journeys_at_stage``: journeys with at least one message (any role) tagged with the stage.
- ``journeys_reached``: journeys whose furthest tagged stage is this stage or a later one (a
  journey that jumps from awareness to decision has reached consideration); ``reached_share`` is
  over all journeys.
- ``conversion_rate``: share of ``journeys_reached`` that converted (Wilson interval);
  ``continue_rate``: ``journeys_reached`` of the next stage / ``journeys_reached`` of this one.
- ``furthest_here`` / ``dropped_here``: journeys whose furthest stage is this one / of those, the
  ones that did not convert.
- **cold**: a journey that did not convert and whose last activity (last message or event) lies at
  least ``cold_after_days`` (default 14) before ``as_of`` (default: the last timestamp anywhere in
  the data — messages, events, conversions). Journeys with no timestamp are never cold.
  A cold journey went cold at its **last stage**: the stage of its last message with a stage.
- ``last_stage_here``: journeys whose last stage is this one; ``cold_here``: cold ones among them;
  ``cold_rate = cold_here / last_stage_here`` (Wilson interval); ``cold_share`` is over all cold
  journeys.
- ``top_cold_objections``: for the cold journeys of this stage, the category of the last objection
  the customer raised before going quiet, most frequent first, as ``"price (12); timing (5)"``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mining.reports import _data, stats

ALL = "(all)"

COLUMNS = [
    "stage", "journeys_at_stage", "journeys_reached", "reached_share", "conversions",
    "conversion_rate", "conversion_lo", "conversion_hi", "continue_rate", "furthest_here",
    "dropped_here", "last_stage_here", "cold_here", "cold_rate", "cold_lo", "cold_hi",
    "cold_share", "top_cold_objections",
]


def cold_journeys(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    events: pd.DataFrame | None = None,
    settings=None,
    *,
    as_of: Any = None,
) -> pd.DataFrame:
    """The journey table with ``is_cold``, ``days_silent`` and ``last_objection`` columns.

    Args:
        tags: The tags table.
        outcomes: The outcomes table.
        events: The events table (event times count as activity), or None.
        settings: ``Settings``/``ReportSettings`` (``cold_after_days``) or None.
        as_of: Reference time (anything ``pandas.Timestamp`` accepts; naive means UTC).
            Default: the last timestamp in the data.

    Returns:
        One row per journey (see ``_data.journeys``) plus the three columns above.
    """
    cfg = _data.report_settings(settings)
    t = _data.prepare_tags(tags)
    o = _data.prepare_outcomes(outcomes, t)
    ev = _data.prepare_events(events)
    j = _data.journeys(t, o, ev, order=_data.stage_order(t, settings))
    ref = _data.resolve_as_of(as_of, t, ev, o)
    j["days_silent"] = (ref - j["last_activity"]).dt.total_seconds() / 86400.0
    j["is_cold"] = (~j["converted"]) & (j["days_silent"] >= cfg.cold_after_days).fillna(False)
    obj = t[(t["role"] == "customer") & t["is_objection"] & t["objection_category"].notna()]
    j["last_objection"] = obj.groupby("journey_id")["objection_category"].last() \
        .reindex(j.index).astype("string")
    j.attrs["as_of"] = ref
    return j


def _stage_rows(
    t: pd.DataFrame, j: pd.DataFrame, order: list[str], top_objections: int
) -> list[dict[str, Any]]:
    """Count rows of the funnel: one per stage, then ``(all)``.

    Args:
        t: The prepared tags.
        j: One row per journey (from :func:`cold_journeys`).
        order: The stages, in funnel order.
        top_objections: How many objection categories to list per stage.

    Returns:
        The rows, with the count columns of :data:`COLUMNS`.
    """
    rank = {s: i for i, s in enumerate(order)}
    far = j["furthest_stage"].map(lambda s: rank.get(s, -1) if isinstance(s, str) else -1)
    rows = []
    for s in order:
        reached = far >= rank[s]
        last_here = j["last_stage"] == s
        cold_here = j["is_cold"] & last_here.fillna(False)
        counts = j.loc[cold_here, "last_objection"].value_counts()
        top = "; ".join(f"{k} ({v})" for k, v in counts.head(top_objections).items())
        rows.append({
            "stage": s,
            "journeys_at_stage": int(t.loc[t["stage"] == s, "journey_id"].nunique()),
            "journeys_reached": int(reached.sum()),
            "conversions": int((reached & j["converted"]).sum()),
            "furthest_here": int((far == rank[s]).sum()),
            "dropped_here": int(((far == rank[s]) & ~j["converted"]).sum()),
            "last_stage_here": int(last_here.fillna(False).sum()),
            "cold_here": int(cold_here.sum()),
            "top_cold_objections": top,
        })
    counts = j.loc[j["is_cold"], "last_objection"].value_counts()
    rows.append({
        "stage": ALL, "journeys_at_stage": len(j), "journeys_reached": len(j),
        "conversions": int(j["converted"].sum()), "furthest_here": len(j),
        "dropped_here": int((~j["converted"]).sum()), "last_stage_here": len(j),
        "cold_here": int(j["is_cold"].sum()),
        "top_cold_objections": "; ".join(f"{k} ({v})"
                                         for k, v in counts.head(top_objections).items()),
    })
    return rows


def funnel_report(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    events: pd.DataFrame | None = None,
    messages: pd.DataFrame | None = None,
    settings=None,
    *,
    as_of: Any = None,
    top_objections: int = 3,
) -> pd.DataFrame:
    """Journeys reaching each stage, conversion from it, and where leads go cold.

    Args:
        tags: The tags table.
        outcomes: The outcomes table; journeys without a row did not convert.
        events: The events table (activity times), or None.
        messages: Unused (same signature as every report).
        settings: ``Settings``/``ReportSettings`` (``cold_after_days``, ``confidence``) or None.
        as_of: Reference time for silence; default the last timestamp in the data.
        top_objections: How many objection categories to list per stage.

    Returns:
        A DataFrame with :data:`COLUMNS`, one row per stage plus ``(all)`` (no rows when the
        tags are empty); ``attrs["as_of"]`` holds the reference time used.
    """
    cfg = _data.report_settings(settings)
    t = _data.prepare_tags(tags)
    if t.empty:  # no messages (every record rejected, an empty tags file)
        return _data.empty_report(COLUMNS)
    j = cold_journeys(tags, outcomes, events, settings, as_of=as_of)
    order = _data.stage_order(t, settings)
    n_cold = int(j["is_cold"].sum())
    df = pd.DataFrame(_stage_rows(t, j, order, top_objections))
    conf = cfg.confidence
    df["reached_share"] = stats.rate(df["journeys_reached"], len(j))
    df["conversion_rate"] = stats.rate(df["conversions"], df["journeys_reached"])
    df["conversion_lo"], df["conversion_hi"] = stats.wilson_interval(
        df["conversions"], df["journeys_reached"], conf)
    nxt = df["journeys_reached"].shift(-1)
    df["continue_rate"] = stats.rate(nxt.fillna(0), df["journeys_reached"])
    df.loc[df.index[-2:], "continue_rate"] = float("nan")  # last stage and (all): no next stage
    df["cold_rate"] = stats.rate(df["cold_here"], df["last_stage_here"])
    df["cold_lo"], df["cold_hi"] = stats.wilson_interval(df["cold_here"], df["last_stage_here"],
                                                         conf)
    df["cold_share"] = stats.rate(df["cold_here"], n_cold)
    out = df[COLUMNS].copy()
    out["stage"] = out["stage"].astype("string")
    out["top_cold_objections"] = out["top_cold_objections"].astype("string")
    out.attrs["as_of"] = str(j.attrs["as_of"])
    return out


def cold_objections(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    events: pd.DataFrame | None = None,
    settings=None,
    *,
    as_of: Any = None,
) -> pd.DataFrame:
    """Long form of ``top_cold_objections``: cold journeys per last stage × last objection.

    Args:
        tags: The tags table.
        outcomes: The outcomes table.
        events: The events table, or None.
        settings: ``Settings``/``ReportSettings`` or None.
        as_of: Reference time; default the last timestamp in the data.

    Returns:
        Columns ``last_stage``, ``last_objection`` (``(none)`` when the journey raised none),
        ``cold_journeys`` and ``share_of_stage_cold``, most frequent first within each stage.
    """
    j = cold_journeys(tags, outcomes, events, settings, as_of=as_of)
    cold = j[j["is_cold"]].copy()
    cold["last_objection"] = cold["last_objection"].fillna("(none)")
    cold["last_stage"] = cold["last_stage"].fillna("(none)")
    g = cold.groupby(["last_stage", "last_objection"]).size().rename("cold_journeys").reset_index()
    g["share_of_stage_cold"] = g["cold_journeys"] / g.groupby("last_stage")["cold_journeys"] \
        .transform("sum")
    return g.sort_values(["last_stage", "cold_journeys"], ascending=[True, False]) \
        .reset_index(drop=True)
