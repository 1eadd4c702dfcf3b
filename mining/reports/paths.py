"""Paths: the most common stage sequences and touchpoint sequences, and how they convert.

Definitions (also in docs/reports.md):

- **stage path**: the stages of a journey's messages in time order with repeats collapsed
  (``awareness > awareness > decision`` becomes ``awareness > decision``); messages without a stage
  are skipped.
- **touchpoint path**: the journey's collapsed channel sequence, exactly as in the channels report
  (messages and events, cut at conversion).
- Paths longer than ``max_length`` keep their first ``max_length - 1`` steps and their last step,
  joined by ``…``.
- Per path: ``journeys``, ``share`` of all journeys, ``conversions``, ``conversion_rate`` with a
  Wilson interval, ``mean_value`` (mean outcome value over the path's converted journeys) and
  ``total_value``. The ``top`` most common paths per kind are listed; the rest are summed in an
  ``(other paths)`` row so the shares add up to 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mining.reports import _data, stats
from mining.reports.channels import touchpoint_paths

SEP = " > "
OTHER = "(other paths)"
EMPTY = "(empty)"

COLUMNS = [
    "kind", "path", "length", "journeys", "share", "conversions", "conversion_rate",
    "conversion_lo", "conversion_hi", "mean_value", "total_value",
]


def _fmt(steps: list[str], max_length: int) -> tuple[str, int]:
    if not steps:
        return EMPTY, 0
    if len(steps) > max_length:
        steps = steps[: max_length - 1] + ["…", steps[-1]]
        return SEP.join(steps), len(steps) - 1
    return SEP.join(steps), len(steps)


def stage_paths(tags: pd.DataFrame) -> dict[str, list[str]]:
    """Collapsed stage sequence per journey of prepared tags."""
    out: dict[str, list[str]] = {}
    for jid, st in zip(tags["journey_id"], tags["stage"], strict=True):
        p = out.setdefault(jid, [])
        if isinstance(st, str) and (not p or p[-1] != st):
            p.append(st)
    return out


def paths_report(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    events: pd.DataFrame | None = None,
    messages: pd.DataFrame | None = None,
    settings=None,
    *,
    top: int = 20,
    max_length: int = 8,
) -> pd.DataFrame:
    """Most common stage and touchpoint paths with share, conversion and value.

    Args:
        tags: The tags table.
        outcomes: The outcomes table; journeys without a row did not convert.
        events: The events table (touchpoints), or None.
        messages: Unused (same signature as every report).
        settings: ``Settings``/``ReportSettings`` (``confidence``) or None.
        top: How many paths per kind to list before the ``(other paths)`` row.
        max_length: Longer paths are shortened (see the module docstring).

    Returns:
        A DataFrame with :data:`COLUMNS`: stage paths, then touchpoint paths, most common first.
    """
    cfg = _data.report_settings(settings)
    t = _data.prepare_tags(tags)
    if t.empty:  # no messages (every record rejected, an empty tags file)
        return _data.empty_report(COLUMNS)
    ev = _data.prepare_events(events)
    j = _data.journeys(t, _data.prepare_outcomes(outcomes, t), ev)
    frames = []
    for kind, paths in (("stage", stage_paths(t)), ("touchpoint", touchpoint_paths(t, ev, j))):
        fmt = {jid: _fmt(p, max_length) for jid, p in paths.items()}
        d = pd.DataFrame({"path": [fmt[x][0] for x in j.index],
                          "length": [fmt[x][1] for x in j.index],
                          "converted": j["converted"].to_numpy(),
                          "value": j["value"].where(j["converted"], np.nan).to_numpy()})
        g = d.groupby("path", sort=False).agg(
            length=("length", "first"), journeys=("converted", "size"),
            conversions=("converted", "sum"), total_value=("value", "sum"),
            mean_value=("value", "mean")).reset_index()
        g = g.sort_values(["journeys", "path"], ascending=[False, True], kind="mergesort")
        head, rest = g.head(top), g.iloc[top:]
        if len(rest):
            conv_vals = d.loc[d["path"].isin(rest["path"]) & d["converted"], "value"]
            head = pd.concat([head, pd.DataFrame([{
                "path": OTHER, "length": np.nan, "journeys": int(rest["journeys"].sum()),
                "conversions": int(rest["conversions"].sum()),
                "total_value": float(rest["total_value"].sum()),
                "mean_value": float(conv_vals.mean()) if conv_vals.notna().any() else np.nan,
            }])], ignore_index=True)
        head.insert(0, "kind", kind)
        frames.append(head)
    df = pd.concat(frames, ignore_index=True)
    n = len(j)
    df["share"] = stats.rate(df["journeys"], n)
    df["conversion_rate"] = stats.rate(df["conversions"], df["journeys"])
    df["conversion_lo"], df["conversion_hi"] = stats.wilson_interval(
        df["conversions"], df["journeys"], cfg.confidence)
    out = df[COLUMNS].copy()
    out["kind"] = out["kind"].astype("string")
    out["path"] = out["path"].astype("string")
    out["length"] = out["length"].astype("Int64")
    out["journeys"] = out["journeys"].astype("int64")
    out["conversions"] = out["conversions"].astype("int64")
    return out
