"""Channels: conversions and value credited to channels by five attribution models.

A journey's **touchpoints** are its messages (any role) and its events, each with its channel, in
time order (undated ones last, messages before events at equal times). Touchpoints after a
converted journey's ``converted_at`` are dropped, touchpoints without a channel are skipped, and
consecutive touchpoints on the same channel are collapsed into one (a 20-message chat is one chat
touch). Journeys are those of the tags table. Definitions (also in docs/reports.md):

- ``first_touch`` / ``last_touch``: each converted journey gives 1 conversion to its first / last
  touch channel.
- ``linear``: 1/k to each of its k touches.
- ``position`` (U-shaped, 40/20/40): 40% to the first touch, 40% to the last, 20% shared equally
  by the touches in between; one touch gets 100%, two touches 50% each.
- ``markov``: first-order Markov chain over ``start → channels → conversion | null`` estimated
  from all journeys' collapsed paths. The **removal effect** of channel c is
  ``1 - P(conversion | c removed) / P(conversion)``, where removing c sends every transition into
  c to null. Conversions are shared in proportion to the removal effects.
- ``value_*``: the same shares of each converted journey's outcome value.
- Converted journeys with no touchpoint are credited to the row ``(no touchpoint)`` in every
  model, so each model's column sums to the total number of conversions.
- ``first_touch_conv_rate``: conversion rate of the journeys whose first touch is this channel
  (Wilson interval), compared with journeys starting elsewhere: lift, two-sided Fisher exact
  p-value, Benjamini-Hochberg q-value across channels.
- ``first_message_*``: the same for the channel of the journey's first *customer message* (where
  the customer first wrote; events and agent outreach do not count). Journeys without a customer
  message are left out of these columns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mining.reports import _data, stats

NO_TOUCH = "(no touchpoint)"
MODELS = ("first_touch", "last_touch", "linear", "position", "markov")

COLUMNS = [
    "channel", "journeys", "touches", "first_touch_journeys", "first_touch_conversions",
    "first_touch_conv_rate", "first_touch_conv_lo", "first_touch_conv_hi", "first_touch_lift",
    "p_value", "q_value", "first_message_journeys", "first_message_conversions",
    "first_message_conv_rate", "first_message_conv_lo", "first_message_conv_hi",
    "first_message_lift", "first_message_p_value", "first_message_q_value",
    "conv_rate_touched", "conv_touched_lo", "conv_touched_hi",
    *MODELS, "removal_effect", *(f"value_{m}" for m in MODELS),
]


def touchpoint_paths(tags: pd.DataFrame, events: pd.DataFrame | None,
                     journeys: pd.DataFrame) -> dict[str, list[str]]:
    """Collapsed channel paths per journey (see the module docstring).

    Args:
        tags: Prepared tags.
        events: Prepared events, or None.
        journeys: Journey table (``_data.journeys``): its index lists the journeys and its
            ``converted_at`` cuts converted paths.

    Returns:
        ``journey_id -> [channel, ...]`` for every journey (empty list when it has none).
    """
    parts = [pd.DataFrame({"journey_id": tags["journey_id"], "timestamp": tags["timestamp"],
                           "channel": tags["channel"], "_kind": 0, "_row": tags["_row"]})]
    if events is not None and len(events):
        ev = events[events["journey_id"].isin(journeys.index)]
        parts.append(pd.DataFrame({"journey_id": ev["journey_id"], "timestamp": ev["timestamp"],
                                   "channel": ev["channel"], "_kind": 1,
                                   "_row": np.arange(len(ev))}))
    tp = pd.concat(parts, ignore_index=True)
    tp = tp[tp["channel"].notna()]
    cut = _data.lookup(tp["journey_id"], journeys["converted_at"])
    tp = tp[~(tp["timestamp"] > cut).fillna(False).astype(bool)]
    tp = tp.sort_values(["journey_id", "timestamp", "_kind", "_row"], na_position="last",
                        kind="mergesort")
    paths: dict[str, list[str]] = {jid: [] for jid in journeys.index}
    for jid, ch in zip(tp["journey_id"], tp["channel"].astype(str), strict=True):
        p = paths[jid]
        if not p or p[-1] != ch:
            p.append(ch)
    return paths


def position_weights(k: int) -> np.ndarray:
    """U-shaped 40/20/40 weights for a path of ``k`` touches (they sum to 1)."""
    if k == 1:
        return np.array([1.0])
    if k == 2:
        return np.array([0.5, 0.5])
    w = np.full(k, 0.2 / (k - 2))
    w[0] = w[-1] = 0.4
    return w


def markov_removal_effects(paths: Sequence[Sequence[str]],
                           converted: Sequence[bool]) -> tuple[float, dict[str, float]]:
    """Conversion probability of a first-order Markov chain and each channel's removal effect.

    States are ``start``, the channels, and the absorbing ``conversion`` and ``null``. Transition
    probabilities are the observed transition counts normalised per state; paths of converted
    journeys end in ``conversion``, the others in ``null``. With ``Q`` the transitions among
    transient states and ``r`` the one-step probabilities of reaching ``conversion``, the absorption
    probabilities solve ``(I - Q) x = r``; ``P(conversion) = x[start]``. Removing channel c zeroes
    the column of c in ``Q`` (those transitions now end in ``null``) and the removal effect is
    ``1 - x_without_c[start] / x[start]``.

    Args:
        paths: One channel sequence per journey (empty sequences are ignored).
        converted: Whether each journey converted.

    Returns:
        ``(P(conversion), {channel: removal_effect})``; effects are 0 when nothing converted.
    """
    chans = sorted({c for p in paths for c in p})
    idx = {c: i + 1 for i, c in enumerate(chans)}  # 0 is start
    n = len(chans) + 1
    counts = np.zeros((n, n))
    conv = np.zeros(n)
    null = np.zeros(n)
    for p, ok in zip(paths, converted, strict=True):
        if not len(p):
            continue
        prev = 0
        for c in p:
            counts[prev, idx[c]] += 1
            prev = idx[c]
        if ok:
            conv[prev] += 1
        else:
            null[prev] += 1
    totals = counts.sum(axis=1) + conv + null
    safe = np.where(totals > 0, totals, 1.0)
    q = counts / safe[:, None]
    r = conv / safe

    def absorb(qm: np.ndarray) -> float:
        x = np.linalg.lstsq(np.eye(n) - qm, r, rcond=None)[0]
        return float(x[0])

    base = absorb(q) if totals[0] > 0 else 0.0
    effects = {}
    for c in chans:
        qm = q.copy()
        qm[:, idx[c]] = 0.0
        effects[c] = 1.0 - absorb(qm) / base if base > 0 else 0.0
    return base, effects


def _first_message_columns(df: pd.DataFrame, t: pd.DataFrame, j: pd.DataFrame,
                           confidence: float) -> None:
    """Add the ``first_message_*`` columns to ``df`` in place (see the module docstring)."""
    cust = t[(t["role"] == "customer") & t["channel"].notna()]
    first = cust.groupby("journey_id")["channel"].first()
    conv = j["converted"].reindex(first.index).fillna(False).astype(bool)
    n = first.value_counts()
    k = first[conv].value_counts()
    df["first_message_journeys"] = [int(n.get(c, 0)) for c in df["channel"]]
    df["first_message_conversions"] = [int(k.get(c, 0)) for c in df["channel"]]
    n_rest = len(first) - df["first_message_journeys"]
    k_rest = int(conv.sum()) - df["first_message_conversions"]
    df["first_message_conv_rate"] = stats.rate(df["first_message_conversions"],
                                               df["first_message_journeys"])
    df["first_message_conv_lo"], df["first_message_conv_hi"] = stats.wilson_interval(
        df["first_message_conversions"], df["first_message_journeys"], confidence)
    df["first_message_lift"] = stats.lift(df["first_message_conv_rate"],
                                          stats.rate(k_rest, n_rest))
    p = stats.fisher_exact_many(df["first_message_conversions"], df["first_message_journeys"],
                                k_rest, n_rest)
    df["first_message_p_value"] = np.where(df["first_message_journeys"] > 0, p, np.nan)
    df["first_message_q_value"] = stats.bh_qvalues(df["first_message_p_value"])


def _touch_counts(paths: dict, conv: pd.Series) -> tuple[Counter, Counter, Counter, Counter]:
    """Per channel: journeys touched, first touches, and their conversions.

    Args:
        paths: Journey id to its channel path (empty: no touchpoint).
        conv: Whether each journey converted, by journey id.

    Returns:
        ``(touched, first, first_conv, conv_touched)`` counters keyed by channel
        (``(no touchpoint)`` for empty paths).
    """
    touched, first, first_conv, conv_touched = Counter(), Counter(), Counter(), Counter()
    for jid, p in paths.items():
        ok = bool(conv[jid])
        key = p[0] if p else NO_TOUCH
        first[key] += 1
        first_conv[key] += ok
        for c in set(p) or {NO_TOUCH}:
            touched[c] += 1
            conv_touched[c] += ok
    return touched, first, first_conv, conv_touched


def _attribution(
    paths: dict, conv: pd.Series, value: pd.Series
) -> tuple[dict[str, Counter], dict[str, Counter], float, dict]:
    """Conversion and value credit per channel under every model in :data:`MODELS`.

    Args:
        paths: Journey id to its channel path (empty: no touchpoint).
        conv: Whether each journey converted, by journey id.
        value: Each journey's conversion value (0 when not converted), by journey id.

    Returns:
        ``(credit, vcredit, p_conversion, removal_effects)``: conversion and value credit per
        model and channel, the Markov chain's conversion probability and removal effects.
    """
    credit = {m: Counter() for m in MODELS}
    vcredit = {m: Counter() for m in MODELS}
    for jid, p in paths.items():
        ok, val = bool(conv[jid]), float(value[jid])
        if not ok:
            continue
        if not p:
            for m in MODELS:
                credit[m][NO_TOUCH] += 1.0
                vcredit[m][NO_TOUCH] += val
            continue
        k = len(p)
        weights = {"first_touch": np.eye(1, k, 0)[0], "last_touch": np.eye(1, k, k - 1)[0],
                   "linear": np.full(k, 1.0 / k), "position": position_weights(k)}
        for m, w in weights.items():
            for c, wi in zip(p, w, strict=True):
                credit[m][c] += wi
                vcredit[m][c] += wi * val
    p_conv, effects = markov_removal_effects(list(paths.values()), [bool(conv[j_]) for j_ in paths])
    touched_conv = sum(1 for jid, p in paths.items() if p and conv[jid])
    touched_value = sum(float(value[jid]) for jid, p in paths.items() if p and conv[jid])
    total_effect = sum(effects.values())
    for c, e in effects.items():
        share = e / total_effect if total_effect > 0 else 0.0
        credit["markov"][c] += share * touched_conv
        vcredit["markov"][c] += share * touched_value
    return credit, vcredit, p_conv, effects


def channels_report(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    events: pd.DataFrame | None = None,
    messages: pd.DataFrame | None = None,
    settings=None,
) -> pd.DataFrame:
    """Conversions and value by channel under five attribution models, with first-touch rates.

    Args:
        tags: The tags table.
        outcomes: The outcomes table; journeys without a row did not convert.
        events: The events table (its channels are touchpoints too), or None.
        messages: Unused (same signature as every report).
        settings: ``Settings``/``ReportSettings`` (``confidence``) or None.

    Returns:
        A DataFrame with :data:`COLUMNS`, one row per channel (most first-touch journeys first),
        plus ``(no touchpoint)`` when some journey has none. ``attrs["p_conversion"]`` is the
        Markov chain's conversion probability.
    """
    cfg = _data.report_settings(settings)
    t = _data.prepare_tags(tags)
    if t.empty:  # no messages (every record rejected, an empty tags file)
        return _data.empty_report(COLUMNS)
    ev = _data.prepare_events(events)
    j = _data.journeys(t, _data.prepare_outcomes(outcomes, t), ev)
    paths = touchpoint_paths(t, ev, j)
    conv = j["converted"]
    value = j["value"].where(conv, 0.0)
    chans = sorted({c for p in paths.values() for c in p})
    names = chans + ([NO_TOUCH] if any(not p for p in paths.values()) else [])
    touched, first, first_conv, conv_touched = _touch_counts(paths, conv)
    credit, vcredit, p_conv, effects = _attribution(paths, conv, value)
    n_tp = t[t["channel"].notna()].groupby("channel").size()
    if len(ev):
        n_tp = n_tp.add(ev[ev["channel"].notna()].groupby("channel").size(), fill_value=0)
    df = pd.DataFrame({"channel": names})
    df["journeys"] = [touched[c] for c in names]
    df["touches"] = [int(n_tp.get(c, 0)) for c in names]
    df["first_touch_journeys"] = [first[c] for c in names]
    df["first_touch_conversions"] = [int(first_conv[c]) for c in names]
    n_all, k_all = len(j), int(conv.sum())
    n_rest = n_all - df["first_touch_journeys"]
    k_rest = k_all - df["first_touch_conversions"]
    df["first_touch_conv_rate"] = stats.rate(df["first_touch_conversions"],
                                             df["first_touch_journeys"])
    df["first_touch_conv_lo"], df["first_touch_conv_hi"] = stats.wilson_interval(
        df["first_touch_conversions"], df["first_touch_journeys"], cfg.confidence)
    df["first_touch_lift"] = stats.lift(df["first_touch_conv_rate"], stats.rate(k_rest, n_rest))
    df["p_value"] = stats.fisher_exact_many(df["first_touch_conversions"],
                                            df["first_touch_journeys"], k_rest, n_rest)
    df["q_value"] = stats.bh_qvalues(df["p_value"])
    _first_message_columns(df, t, j, cfg.confidence)
    ct = np.array([conv_touched[c] for c in names])
    df["conv_rate_touched"] = stats.rate(ct, df["journeys"])
    df["conv_touched_lo"], df["conv_touched_hi"] = stats.wilson_interval(ct, df["journeys"],
                                                                         cfg.confidence)
    for m in MODELS:
        df[m] = [float(credit[m][c]) for c in names]
        df[f"value_{m}"] = [float(vcredit[m][c]) for c in names]
    df["removal_effect"] = [effects.get(c, np.nan) for c in names]
    df = df.sort_values(["first_touch_journeys", "channel"], ascending=[False, True],
                        kind="mergesort")
    out = df[COLUMNS].reset_index(drop=True)
    out["channel"] = out["channel"].astype("string")
    out.attrs["p_conversion"] = p_conv
    return out
