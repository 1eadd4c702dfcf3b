"""Follow-up cadence: conversion by the number of agent follow-ups and by first-response time.

A journey's clock starts at its first customer message (``t0``); journeys without a dated customer
message are left out. Definitions (also in docs/reports.md):

- **follow-up** (setting ``reports.followup_definition``, default ``unanswered``): an agent
  message sent in ``(t0, t0 + followup_days]`` (default 7 days), before the journey converted
  (messages after ``converted_at`` are not follow-ups), whose previous customer-or-agent message in
  the journey was also from the agent — a chaser sent without a customer reply in between. With
  ``agent_messages`` every agent message in the window counts (replies included).
- Journeys whose window is not complete (``t0 + followup_days`` after the last timestamp in the
  data, or ``as_of``) and that did not convert are left out of the follow-up rows, since their
  count is not final; ``attrs["incomplete_window"]`` gives how many.
- Buckets ``0``, ``1``, ``2``, ``3+`` (``max_followups`` sets where the open bucket starts).
- **first response time**: from ``t0`` to the first agent message after it, bucketed
  ``< 5 min``, ``5-60 min``, ``1-4 h``, ``4-24 h``, ``> 24 h``, ``no response``.
- Each row: journeys, conversions, conversion rate with a Wilson interval, ``ratio_vs_ref`` (rate /
  the reference bucket's rate; reference ``1`` follow-up and ``< 5 min``), a two-sided Fisher exact
  p-value against the reference, and Benjamini-Hochberg q-values over all rows.
  The "3+ vs 1" ratio is ``ratio_vs_ref`` of the ``3+`` row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mining.errors import ConfigError, Errors
from mining.reports import _data, stats

RESPONSE_BUCKETS = (
    ("< 5 min", 5 / 1440), ("5-60 min", 1 / 24), ("1-4 h", 4 / 24), ("4-24 h", 1.0),
    ("> 24 h", float("inf")),
)
NO_RESPONSE = "no response"

COLUMNS = [
    "dimension", "bucket", "journeys", "conversions", "conversion_rate", "conversion_lo",
    "conversion_hi", "reference", "ratio_vs_ref", "p_value", "q_value", "low_support",
]


def journey_cadence(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    *,
    followup_days: float = 7.0,
    definition: str = "unanswered",
) -> pd.DataFrame:
    """Per journey: ``t0``, ``followups`` and ``first_response_days`` (see the module docstring).

    Args:
        tags: The tags table.
        outcomes: The outcomes table.
        followup_days: Length of the follow-up window in days.
        definition: ``"unanswered"`` (chasers only) or ``"agent_messages"`` (every agent message).

    Returns:
        The journey table of ``_data.journeys`` with the three columns added, restricted to
        journeys with a dated customer message.

    Raises:
        ConfigError: [E604] for an unknown ``definition``.
    """
    if definition not in ("agent_messages", "unanswered"):
        raise ConfigError(Errors.E604.format(option="definition",
                                             expected="agent_messages or unanswered",
                                             value=definition))
    t = _data.prepare_tags(tags)
    j = _data.journeys(t, _data.prepare_outcomes(outcomes, t))
    j = j[j["first_customer_ts"].notna()].copy()
    talk = t[t["role"].isin(["customer", "agent"]) & t["journey_id"].isin(j.index)].copy()
    talk["_prev_role"] = talk.groupby("journey_id")["role"].shift(1)
    t0 = _data.lookup(talk["journey_id"], j["first_customer_ts"])
    conv_at = _data.lookup(talk["journey_id"], j["converted_at"])
    agent = talk["role"] == "agent"
    after = talk["timestamp"] > t0
    in_window = after & (talk["timestamp"] <= t0 + pd.Timedelta(days=followup_days))
    before_conv = ~(talk["timestamp"] > conv_at).fillna(False).astype(bool)
    fu = agent & in_window.fillna(False) & before_conv
    if definition == "unanswered":
        fu &= (talk["_prev_role"] == "agent").fillna(False)
    j["followups"] = talk[fu].groupby("journey_id").size().reindex(j.index, fill_value=0)
    first_reply = talk[agent & after.fillna(False)].groupby("journey_id")["timestamp"].min()
    j["first_response_days"] = (first_reply.reindex(j.index) - j["first_customer_ts"]) \
        .dt.total_seconds() / 86400.0
    return j


def _response_bucket(days: float) -> str:
    if days != days:
        return NO_RESPONSE
    for name, upper in RESPONSE_BUCKETS:
        if days < upper:
            return name
    return RESPONSE_BUCKETS[-1][0]


def cadence_report(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    events: pd.DataFrame | None = None,
    messages: pd.DataFrame | None = None,
    settings=None,
    *,
    as_of: Any = None,
    max_followups: int = 3,
    definition: str | None = None,
) -> pd.DataFrame:
    """Conversion by follow-up count within the first N days and by first-response time.

    Args:
        tags: The tags table.
        outcomes: The outcomes table; journeys without a row did not convert.
        events: Events (only used to find the end of the data), or None.
        messages: Unused (same signature as every report).
        settings: ``Settings``/``ReportSettings`` (``followup_days``, ``confidence``,
            ``min_support``) or None.
        as_of: End of observation for the window-completeness rule; default the data's end.
        max_followups: Counts at or above this form the open bucket (``3+``).
        definition: What counts as a follow-up: ``"unanswered"`` or ``"agent_messages"``;
            default the ``followup_definition`` setting.

    Returns:
        A DataFrame with :data:`COLUMNS`: rows with ``dimension == "followups"`` then
        ``dimension == "first_response"``.
    """
    cfg = _data.report_settings(settings)
    definition = definition or cfg.followup_definition
    t = _data.prepare_tags(tags)
    if t.empty:  # no messages (every record rejected, an empty tags file)
        return _data.empty_report(COLUMNS)
    j = journey_cadence(tags, outcomes, followup_days=cfg.followup_days, definition=definition)
    o = _data.prepare_outcomes(outcomes, t)
    end = _data.resolve_as_of(as_of, t, _data.prepare_events(events), o)
    window_end = j["first_customer_ts"] + pd.Timedelta(days=cfg.followup_days)
    incomplete = (window_end > end) & ~j["converted"]
    fj = j[~incomplete]
    labels = [str(i) for i in range(max_followups)] + [f"{max_followups}+"]
    fb = fj["followups"].clip(upper=max_followups).map(lambda n: labels[int(n)])
    rb = j["first_response_days"].map(_response_bucket)
    rows = []
    for dim, buckets, order, ref in (
        ("followups", fb, labels, "1" if max_followups > 1 else labels[0]),
        ("first_response", rb, [b for b, _ in RESPONSE_BUCKETS] + [NO_RESPONSE],
         RESPONSE_BUCKETS[0][0]),
    ):
        conv = j.loc[buckets.index, "converted"]
        n_ref = int((buckets == ref).sum())
        k_ref = int(conv[buckets == ref].sum())
        for b in order:
            mask = buckets == b
            rows.append({"dimension": dim, "bucket": b, "journeys": int(mask.sum()),
                         "conversions": int(conv[mask].sum()), "reference": ref,
                         "_n_ref": n_ref, "_k_ref": k_ref})
    df = pd.DataFrame(rows)
    df["conversion_rate"] = stats.rate(df["conversions"], df["journeys"])
    df["conversion_lo"], df["conversion_hi"] = stats.wilson_interval(
        df["conversions"], df["journeys"], cfg.confidence)
    df["ratio_vs_ref"] = stats.lift(df["conversion_rate"], stats.rate(df["_k_ref"], df["_n_ref"]))
    p = stats.fisher_exact_many(df["conversions"], df["journeys"], df["_k_ref"], df["_n_ref"])
    df["p_value"] = np.where(df["bucket"] == df["reference"], np.nan, p)
    df["q_value"] = stats.bh_qvalues(df["p_value"])
    df["low_support"] = df["journeys"] < cfg.min_support
    out = df[COLUMNS].copy()
    for c in ("dimension", "bucket", "reference"):
        out[c] = out[c].astype("string")
    out.attrs["followup_definition"] = definition
    out.attrs["incomplete_window"] = int(incomplete.sum())
    out.attrs["journeys_without_customer_message"] = int(t["journey_id"].nunique() - len(j))
    return out
