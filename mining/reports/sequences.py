"""Sequences that convert: frequent touchpoint patterns in a fixed window from a journey's start.

Definitions (also in docs/reports.md, "Sequences"):

- **window**: ``[start, start + sequence_days]`` (setting ``reports.sequence_days``, default 14),
  ``start`` being the journey's first message or event. Only journeys whose whole window lies
  before ``as_of`` (default: the end of the data) are counted, converted or not, so every
  journey is judged on the same span of time (no survivorship: a journey is not counted only
  because it lasted long enough to show a pattern). Touches after ``converted_at`` are left out.
- **tokens**, in time order: ``objection: <category>`` (a customer objection), ``reply:
  <strategy>`` (an agent message with a reply strategy), ``follow-up <channel>`` (an agent
  message after an agent message, no customer word in between), ``event: <type>``, the gaps
  ``wait 1-3 days`` / ``wait 3+ days`` between consecutive touches, and ``customer <channel>`` /
  ``agent <channel>`` for the first other message of that role on that channel (later ones add
  nothing but length). Repeats of one token in a row are merged; only the first ``MAX_TOKENS``
  tokens are mined.
- **sequence pattern**: tokens in this order, not necessarily adjacent (``a → b``: ``a`` happened
  and later ``b``), up to ``max_length`` tokens. **Attribute patterns**: the number of follow-ups
  in the first ``followup_days`` (as the cadence report counts them: ``follow-ups in 7 days: 3+``)
  and the first channel.
- Patterns held by at least ``min_support`` journeys (and ``min_share`` of them), and not by
  all but ``min_support``, are tested: conversion of the journeys with the pattern vs those
  without (two-sided Fisher exact), q-values by Benjamini-Hochberg over all tested patterns.
  ``lift`` is the rate over the base rate of all counted journeys.
- **value**: ``mean_value`` is the mean outcome ``value`` of the converted journeys with the
  pattern that have one; ``value_per_journey`` is their summed value over all journeys with the
  pattern (what a journey with this pattern is worth on average). Empty without values.
- ``actionable``: the pattern holds something the business chooses to do (a reply strategy, a
  follow-up, the follow-up count) and otherwise only objections (the situation) and waits: no
  event and no plain customer message, which are the customer's doing. Rows are sorted actionable
  first, then by q-value, then by lift. Sequences held by exactly the same journeys as a longer
  sequence are dropped (the longer one says more).
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from mining.reports import _data, stats
from mining.reports.cadence import journey_cadence

#: Tokens mined per journey (the start of the window); bounds the work per journey.
MAX_TOKENS = 16

ARROW = " → "

COLUMNS = [
    "pattern", "kind", "length", "actionable", "journeys", "share", "conversions",
    "conversion_rate", "conversion_lo", "conversion_hi", "rate_without", "lift", "ratio_vs_without",
    "p_value", "q_value", "mean_value", "value_per_journey", "low_support",
]

_ACTION_PREFIXES = ("reply: ", "follow-up")
_CONTEXT_PREFIXES = ("objection: ", "wait ", "agent ")


def journey_tokens(t: pd.DataFrame, ev: pd.DataFrame, j: pd.DataFrame,
                   window_days: float) -> dict[str, list[str]]:
    """The token sequence of every journey of ``j`` within its window (see the module doc).

    Args:
        t: Prepared tags.
        ev: Prepared events.
        j: Journeys (``_data.journeys``) to tokenise, with ``start`` and ``converted_at``.
        window_days: Window length in days.

    Returns:
        journey_id -> tokens.
    """
    msgs = t[t["role"].isin(["customer", "agent"]) & t["timestamp"].notna()
             & t["journey_id"].isin(j.index)].copy()
    msgs["_prev"] = msgs.groupby("journey_id")["role"].shift(1)
    chan = msgs["channel"].fillna("unknown").astype(str)
    strategy = msgs["reply_strategy"].astype("object")
    cat = msgs["objection_category"].fillna("other").astype(str)
    is_cust = (msgs["role"] == "customer").to_numpy(dtype=bool)
    chaser = (msgs["_prev"] == "agent").fillna(False).to_numpy(dtype=bool)
    tok = np.where(is_cust,
                   np.where(msgs["is_objection"].to_numpy(dtype=bool), "objection: " + cat,
                            "customer " + chan),
                   np.where(strategy.notna().to_numpy(), "reply: " + strategy.fillna("")
                            .astype(str), np.where(chaser, "follow-up " + chan, "agent " + chan)))
    touches = pd.DataFrame({"journey_id": msgs["journey_id"].astype(str),
                            "timestamp": msgs["timestamp"], "token": tok, "_o": 0})
    if len(ev):
        e = ev[ev["journey_id"].isin(j.index) & ev["timestamp"].notna()]
        touches = pd.concat([touches, pd.DataFrame({
            "journey_id": e["journey_id"].astype(str), "timestamp": e["timestamp"],
            "token": "event: " + e["event_type"].fillna("other").astype(str), "_o": 1})])
    start = _data.lookup(touches["journey_id"], j["start"])
    end = start + pd.Timedelta(days=window_days)
    conv = _data.lookup(touches["journey_id"], j["converted_at"])
    keep = (touches["timestamp"] <= end) & ~(touches["timestamp"] >= conv).fillna(False)
    touches = touches[keep.to_numpy()].sort_values(["journey_id", "timestamp", "_o"],
                                                   kind="mergesort")
    out: dict[str, list[str]] = {jid: [] for jid in j.index}
    for jid, grp in touches.groupby("journey_id", sort=False):
        seq: list[str] = []
        seen: set[str] = set()
        prev_ts = None
        for ts, token in zip(grp["timestamp"], grp["token"], strict=True):
            if prev_ts is not None:
                gap = (ts - prev_ts).total_seconds() / 86400.0
                if gap >= 1.0:
                    _push(seq, "wait 3+ days" if gap >= 3.0 else "wait 1-3 days")
            prev_ts = ts
            if token.startswith(("customer ", "agent ")):
                if token in seen:
                    continue
                seen.add(token)
            _push(seq, token)
        out[jid] = seq[:MAX_TOKENS]
    return out


def _push(seq: list[str], token: str) -> None:
    if not seq or seq[-1] != token:
        seq.append(token)


def subsequences(tokens: list[str], max_length: int) -> set[tuple[str, ...]]:
    """Every distinct ordered subsequence (gaps allowed) of 1..``max_length`` tokens."""
    found: set[tuple[str, ...]] = set()
    for k in range(1, max_length + 1):
        found.update(combinations(tokens, k))
    return found


def _attributes(j: pd.DataFrame, cad: pd.DataFrame, followup_days: float,
                max_followups: int = 3) -> dict[str, list[str]]:
    """Journey-level items: follow-up count bucket in the first days, first channel."""
    out: dict[str, list[str]] = {jid: [] for jid in j.index}
    days = f"{followup_days:g}"
    for jid, n in cad["followups"].items():
        if jid in out:
            b = f"{max_followups}+" if n >= max_followups else str(int(n))
            out[jid].append(f"follow-ups in {days} days: {b}")
    for jid, ch in j["first_channel"].items():
        if isinstance(ch, str):
            out[jid].append(f"first channel: {ch}")
    return out


def _frequent_holders(
    tokens: dict, attrs: dict, ids: list[str], max_length: int, floor: int, ceiling: int
) -> dict[tuple[str, ...], list[str]]:
    """The journeys holding each frequent pattern (sequence or attribute).

    A sequence pattern neither starts nor ends with a wait token. A pattern is frequent when
    ``floor <= journeys holding it <= ceiling``.

    Args:
        tokens: Journey id -> its token sequence.
        attrs: Journey id -> its attribute tokens.
        ids: The counted journeys, in order.
        max_length: Longest sequence pattern, in tokens.
        floor: Fewest journeys a frequent pattern is held by.
        ceiling: Most journeys a frequent pattern is held by.

    Returns:
        Frequent pattern -> the ids of the journeys holding it, in ``ids`` order.
    """
    def patterns(jid: str) -> set[tuple[str, ...]]:
        pats = {p for p in subsequences(tokens[jid], max_length)
                if not p[0].startswith("wait") and not p[-1].startswith("wait")}
        return pats | {(a,) for a in attrs[jid]}

    counts: Counter = Counter()
    for jid in ids:
        counts.update(patterns(jid))
    frequent = {p for p, c in counts.items() if floor <= c <= ceiling}
    holders: dict[tuple[str, ...], list[str]] = {p: [] for p in frequent}
    for jid in ids:
        for p in patterns(jid) & frequent:
            holders[p].append(jid)
    return holders


def sequences_report(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    events: pd.DataFrame | None = None,
    messages: pd.DataFrame | None = None,
    settings: Any = None,
    *,
    as_of: Any = None,
    max_length: int = 3,
    min_share: float = 0.03,
) -> pd.DataFrame:
    """Frequent touchpoint patterns in the first days of a journey, with conversion and value.

    Args:
        tags: The tags table.
        outcomes: The outcomes table (``value`` gives the value columns); no row: not converted.
        events: The events table or None.
        messages: Unused (same signature as every report).
        settings: ``Settings``/``ReportSettings`` (``sequence_days``, ``followup_days``,
            ``min_support``, ``confidence``) or None.
        as_of: End of observation (default: the end of the data).
        max_length: Longest sequence pattern, in tokens.
        min_share: Smallest share of counted journeys a tested pattern must hold.

    Returns:
        A DataFrame with :data:`COLUMNS`, sorted as the module docstring says;
        ``attrs["journeys"]``, ``attrs["incomplete_window"]`` and ``attrs["base_rate"]``.
    """
    cfg = _data.report_settings(settings)
    t = _data.prepare_tags(tags)
    if t.empty or t["timestamp"].notna().sum() == 0:
        return _data.empty_report(COLUMNS)
    o = _data.prepare_outcomes(outcomes, t)
    ev = _data.prepare_events(events)
    j = _data.journeys(t, o, ev)
    end = _data.resolve_as_of(as_of, t, ev, o)
    starts = [j["first_ts"]]
    if len(ev):
        starts.append(ev.groupby("journey_id")["timestamp"].min().reindex(j.index))
    j["start"] = pd.concat(starts, axis=1).min(axis=1)
    cad = journey_cadence(tags, outcomes, followup_days=cfg.followup_days,
                          definition=cfg.followup_definition)
    complete = (j["start"] + pd.Timedelta(days=cfg.sequence_days) <= end)
    t0_done = (cad["first_customer_ts"] + pd.Timedelta(days=cfg.followup_days) <= end) \
        .reindex(j.index).fillna(False).astype(bool)
    counted = j[complete & t0_done & j["start"].notna()].copy()
    cust = t[(t["role"] == "customer") & t["timestamp"].notna()]
    counted["first_channel"] = cust.groupby("journey_id")["channel"].first() \
        .reindex(counted.index).astype("object")
    if counted.empty:
        return _data.empty_report(COLUMNS)
    tokens = journey_tokens(t, ev, counted, cfg.sequence_days)
    attrs = _attributes(counted, cad, cfg.followup_days)
    n = len(counted)
    holders = _frequent_holders(tokens, attrs, list(counted.index), max_length,
                                max(cfg.min_support, int(np.ceil(min_share * n))),
                                n - cfg.min_support)
    df = _rows(_closed(holders), holders, counted, o, cfg.confidence, n)
    if df.empty:
        return _data.empty_report(COLUMNS)
    df["low_support"] = df["journeys"] < cfg.min_support
    df = df.sort_values(["actionable", "q_value", "lift", "pattern"],
                        ascending=[False, True, False, True], kind="mergesort")
    out = df[COLUMNS].reset_index(drop=True)
    for c in ("pattern", "kind"):
        out[c] = out[c].astype("string")
    out.attrs.update(journeys=n, incomplete_window=int(len(j) - n),
                     base_rate=float(counted["converted"].mean()),
                     sequence_days=cfg.sequence_days)
    return out


def _is_attribute(p: tuple[str, ...]) -> bool:
    return len(p) == 1 and p[0].startswith(("follow-ups in ", "first channel: "))


def _closed(holders: dict) -> list[tuple[str, ...]]:
    """Drop sequences held by exactly the same journeys as a longer one (keep the longest).

    Attribute patterns are always kept: they are the summaries a reader looks for.
    """
    best: dict[tuple[str, ...], tuple[str, ...]] = {}
    for p, ids in holders.items():
        key = (p,) if _is_attribute(p) else tuple(sorted(ids))
        if key not in best or (len(p), p) > (len(best[key]), best[key]):
            best[key] = p
    return sorted(best.values())


def _rows(tested: list, holders: dict, counted: pd.DataFrame, o: pd.DataFrame,
          confidence: float, n: int) -> pd.DataFrame:
    """One row per tested pattern with its rates, tests and value."""
    conv = counted["converted"].to_numpy(dtype=bool)
    value = o["value"].reindex(counted.index).where(counted["converted"]).to_numpy(dtype=float)
    pos = {jid: i for i, jid in enumerate(counted.index)}
    k_all = int(conv.sum())
    rows = []
    for p in tested:
        ids = np.fromiter((pos[jid] for jid in holders[p]), dtype=int)
        k = int(conv[ids].sum())
        vals = value[ids]
        vals = vals[~np.isnan(vals)]
        attr = _is_attribute(p)
        rows.append({
            "pattern": ARROW.join(p), "kind": "attribute" if attr else "sequence",
            "length": len(p), "journeys": len(ids), "conversions": k,
            "actionable": (attr and p[0].startswith("follow-ups in "))
            or (any(x.startswith(_ACTION_PREFIXES) for x in p)
                and all(x.startswith(_ACTION_PREFIXES + _CONTEXT_PREFIXES) for x in p)),
            "_k2": k_all - k, "_n2": n - len(ids),
            "mean_value": float(vals.mean()) if len(vals) else np.nan,
            "value_per_journey": float(vals.sum()) / len(ids) if len(vals) else np.nan,
        })
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    base = k_all / n
    df["share"] = df["journeys"] / n
    df["conversion_rate"] = stats.rate(df["conversions"], df["journeys"])
    df["conversion_lo"], df["conversion_hi"] = stats.wilson_interval(
        df["conversions"], df["journeys"], confidence)
    df["rate_without"] = stats.rate(df["_k2"], df["_n2"])
    df["lift"] = stats.lift(df["conversion_rate"], base)
    df["ratio_vs_without"] = stats.lift(df["conversion_rate"], df["rate_without"])
    df["p_value"] = stats.fisher_exact_many(df["conversions"], df["journeys"], df["_k2"],
                                            df["_n2"])
    df["q_value"] = stats.bh_qvalues(df["p_value"])
    return df
