"""Replies that resolve objections: per objection category × reply strategy.

The unit is one customer objection (a customer message with ``is_objection`` true). Its reply is
the agent message(s) whose ``replies_to`` names it (the tagger sets this to the next agent
message(s) before the customer speaks again; when the tags carry no ``replies_to`` at all the same
rule is applied here). Definitions (also in docs/reports.md):

- ``reply_strategy`` of an objection: the ``reply_strategy`` of its first reply that has one;
  ``(unclassified)`` when it was answered but no reply has a strategy; ``(no reply)`` when no agent
  message answered it.
- **resolved**: the customer did not raise an objection of the same category again later in that
  journey (any later customer message with ``is_objection`` and the same ``objection_category``)
  AND (a later message of the journey, any role, is tagged with a later stage than the objection's
  stage, OR the journey converted at or after the objection — or converted with no
  ``converted_at``).
- ``converted``: the journey's outcome. Rates carry Wilson intervals.
- Lift and tests compare a strategy with the other *classified* strategies answering the same
  objection category; ``(no reply)`` and ``(unclassified)`` rows are compared with all classified
  replies to that category. p-values: two-sided Fisher exact; q-values: Benjamini-Hochberg over all
  rows, separately for resolution and conversion.
- ``low_support``: ``objections < min_support``; kept, never hidden.
- Objections at the taxonomy's post-conversion stage (``retention`` in the packaged taxonomy;
  the last stage when it names none; or ``exclude_stages``) are left out: no
  later stage exists and a conversion before them does not count, so they could never be
  resolved under this definition. The objections report still counts them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mining.reports import _data, stats

NO_REPLY = "(no reply)"
UNCLASSIFIED = "(unclassified)"
UNCATEGORISED = "(uncategorised)"

COLUMNS = [
    "objection_category", "reply_strategy", "objections", "journeys", "resolved",
    "resolution_rate", "resolution_lo", "resolution_hi", "resolution_rate_others",
    "resolution_lift", "p_value", "q_value", "conversions", "conversion_rate", "conversion_lo",
    "conversion_hi", "conversion_rate_others", "conversion_lift", "conv_p_value", "conv_q_value",
    "low_support", "example_1", "example_2",
]


def derive_replies_to(tags: pd.DataFrame) -> pd.Series:
    """Link agent messages to the customer objection they answer.

    Walking each conversation in time order, an agent message answers the last objection of the
    customer's most recent turn, until the customer speaks again.

    Args:
        tags: Prepared tags (sorted by journey and time; see ``_data.prepare_tags``).

    Returns:
        A string Series aligned with ``tags``: the objection's ``message_id`` or NA.
    """
    out: list[object] = [pd.NA] * len(tags)
    conv = tags["conversation_id"].fillna(tags["journey_id"]).astype(str)
    codes, _ = pd.factorize(conv)
    order = np.lexsort((np.arange(len(tags)), codes))
    pending, prev_role, prev_conv = None, None, None
    roles = tags["role"].to_numpy()
    objs = tags["is_objection"].to_numpy()
    mids = tags["message_id"].to_numpy()
    convs = conv.to_numpy()
    for i in order:
        if convs[i] != prev_conv:
            pending, prev_role, prev_conv = None, None, convs[i]
        role = roles[i]
        if role == "customer":
            if prev_role != "customer":
                pending = None
            if objs[i]:
                pending = mids[i]
        elif role == "agent" and pending is not None:
            out[i] = pending
        if role in ("customer", "agent"):
            prev_role = role
    return pd.Series(out, index=tags.index, dtype="string")


def resolution_flags(t: pd.DataFrame, j: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Whether each customer objection was resolved (see the module docstring).

    Args:
        t: Prepared tags (sorted by journey and time).
        j: Journey table from ``_data.journeys``.
        order: Stage order.

    Returns:
        One row per objection: ``message_id``, ``journey_id``, ``category``, ``raised_again``,
        ``later_stage``, ``converted_after``, ``resolved``, ``converted``.
    """
    rank = _data.stage_rank(t["stage"], order).to_numpy()
    # whole columns once (elementwise, so the same values as per journey); a DataFrame slice per
    # journey dominated the reports at scale
    objection = (t["role"] == "customer").to_numpy() & t["is_objection"].to_numpy()
    category = t["objection_category"].fillna(UNCATEGORISED).to_numpy()
    stamps = t["timestamp"].tolist()
    message = t["message_id"].to_numpy()
    converted = dict(zip(j.index, j["converted"].astype(bool).tolist(), strict=True))
    converted_at = dict(zip(j.index, j["converted_at"], strict=True))
    rows = []
    for jid, idx in t.groupby("journey_id", sort=False).indices.items():
        r = rank[idx]
        # highest stage rank strictly after each position
        after = np.full(len(idx), np.nan)
        best = np.nan
        for p in range(len(idx) - 1, -1, -1):
            after[p] = best
            if not np.isnan(r[p]):
                best = r[p] if np.isnan(best) else max(best, r[p])
        is_obj, cats, mids = objection[idx], category[idx], message[idx]
        conv, conv_at = converted[jid], converted_at[jid]
        ts = [stamps[i] for i in idx]
        for p in np.flatnonzero(is_obj):
            again = bool(np.any(is_obj[p + 1:] & (cats[p + 1:] == cats[p])))
            later = bool(not np.isnan(after[p]) and not np.isnan(r[p]) and after[p] > r[p])
            conv_after = conv and (pd.isna(conv_at) or pd.isna(ts[p])
                                   or conv_at >= ts[p])
            rows.append((mids[p], jid, cats[p], again, later, bool(conv_after), conv))
    df = pd.DataFrame(rows, columns=["message_id", "journey_id", "category", "raised_again",
                                     "later_stage", "converted_after", "converted"])
    df["resolved"] = ~df["raised_again"] & (df["later_stage"] | df["converted_after"])
    return df


def _assign_strategies(res: pd.DataFrame, t: pd.DataFrame) -> pd.Series:
    """Set ``res["strategy"]``: the strategy of each objection's first classified agent reply.

    Objections answered only by unclassified replies get :data:`UNCLASSIFIED`, unanswered ones
    :data:`NO_REPLY`.

    Args:
        res: One row per objection (``message_id``); changed in place.
        t: The prepared tags (``replies_to`` filled).

    Returns:
        The id of the reply used for each objection (NaN when unanswered), aligned with ``res``.
    """
    replies = t[(t["role"] == "agent") & t["replies_to"].notna()]
    first_any = replies.groupby("replies_to", sort=False)["message_id"].first()
    classified = replies[replies["reply_strategy"].notna()]
    first_cls = classified.groupby("replies_to", sort=False)[["reply_strategy", "message_id"]] \
        .first()
    strat = res["message_id"].map(first_cls["reply_strategy"]).astype("object")
    answered = res["message_id"].isin(first_any.index)
    strat = strat.where(strat.notna(), np.where(answered, UNCLASSIFIED, NO_REPLY))
    res["strategy"] = strat.astype(str)
    reply_id = res["message_id"].map(first_cls["message_id"]).fillna(
        res["message_id"].map(first_any))
    return reply_id


class _ExamplePairs:
    """Example "objection → reply" quotes by objection message id, each made when first read.

    A report shows two pairs per row, so only those quotes are masked (``texts`` masks on access),
    not one pair per objection of the corpus.

    Args:
        res: One row per objection (``message_id``).
        reply_id: The reply used for each objection, aligned with ``res``.
        texts: Message id -> redacted quote, or None.
    """

    def __init__(self, res: pd.DataFrame, reply_id: pd.Series, texts) -> None:
        self._texts = texts
        self._reply = dict(zip(res["message_id"], reply_id, strict=True)) if texts else {}

    def __bool__(self) -> bool:
        return bool(self._reply)

    def get(self, oid: str, default: str | None = None) -> str | None:
        """``"objection → reply"`` where both texts are known, else ``default``."""
        rid, texts = self._reply.get(oid), self._texts
        if isinstance(rid, str) and oid in texts and rid in texts:
            return f"{texts[oid]} → {texts[rid]}"
        return default


def _add_rates(df: pd.DataFrame, cfg) -> None:
    """Add resolution and conversion rates, intervals, lifts and tests to the rows, in place.

    Args:
        df: One row per (objection category, reply strategy) with the count columns.
        cfg: ``ReportSettings`` (``confidence``, ``min_support``).
    """
    conf = cfg.confidence
    df["resolution_rate"] = stats.rate(df["resolved"], df["objections"])
    df["resolution_lo"], df["resolution_hi"] = stats.wilson_interval(
        df["resolved"], df["objections"], conf)
    df["resolution_rate_others"] = stats.rate(df["_r2"], df["_n2"])
    df["resolution_lift"] = stats.lift(df["resolution_rate"], df["resolution_rate_others"])
    df["p_value"] = stats.fisher_exact_many(df["resolved"], df["objections"], df["_r2"], df["_n2"])
    df["q_value"] = stats.bh_qvalues(df["p_value"])
    df["conversion_rate"] = stats.rate(df["conversions"], df["objections"])
    df["conversion_lo"], df["conversion_hi"] = stats.wilson_interval(
        df["conversions"], df["objections"], conf)
    df["conversion_rate_others"] = stats.rate(df["_c2"], df["_n2"])
    df["conversion_lift"] = stats.lift(df["conversion_rate"], df["conversion_rate_others"])
    df["conv_p_value"] = stats.fisher_exact_many(df["conversions"], df["objections"], df["_c2"],
                                                 df["_n2"])
    df["conv_q_value"] = stats.bh_qvalues(df["conv_p_value"])
    df["low_support"] = df["objections"] < cfg.min_support


def replies_report(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    events: pd.DataFrame | None = None,
    messages: pd.DataFrame | None = None,
    settings=None,
    *,
    exclude_stages: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Per objection category × reply strategy: resolution and conversion with honest statistics.

    Args:
        tags: The tags table (``mining.schema.TAGS``).
        outcomes: The outcomes table; journeys without a row did not convert.
        events: Unused (same signature as every report).
        messages: Optional messages table; ``clean_text`` gives example "objection → reply" pairs
            (default: a ``clean_text`` column of the tags, if any; raw ``text`` is never read).
        settings: ``Settings``/``ReportSettings`` (``confidence``, ``min_support``) or None.
        exclude_stages: Objections tagged with these stages are left out (see above); None:
            the taxonomy's post-conversion stage, or its last stage when it names none.

    Returns:
        A DataFrame with :data:`COLUMNS`, one row per (objection category, reply strategy).
    """
    cfg = _data.report_settings(settings)
    t = _data.prepare_tags(tags)
    if t.empty:  # no messages (every record rejected, an empty tags file)
        return _data.empty_report(COLUMNS)
    order = _data.stage_order(t, settings)
    j = _data.journeys(t, _data.prepare_outcomes(outcomes, t), order=order)
    if exclude_stages is None:
        exclude_stages = (_data.post_conversion_stage(settings),)
    if t["replies_to"].notna().sum() == 0:
        t["replies_to"] = derive_replies_to(t)
    res = resolution_flags(t, j, order)
    stage_of = t.set_index("message_id")["stage"]
    res = res[~res["message_id"].map(stage_of).isin(list(exclude_stages)).fillna(False)
              .astype(bool)].reset_index(drop=True)
    if res.empty:
        return _data.empty_report(COLUMNS)
    reply_id = _assign_strategies(res, t)
    texts = _data.quotes(messages if messages is not None else tags, max_chars=120)
    pairs = _ExamplePairs(res, reply_id, texts)
    rows = []
    special = {NO_REPLY, UNCLASSIFIED}
    for (cat, st), grp in res.groupby(["category", "strategy"], sort=True):
        same = res[(res["category"] == cat) & ~res["strategy"].isin(special)]
        others = same[same["strategy"] != st]
        ex = _data.pick_examples(list(grp["message_id"]), pairs)
        rows.append({
            "objection_category": cat, "reply_strategy": st, "objections": len(grp),
            "journeys": grp["journey_id"].nunique(), "resolved": int(grp["resolved"].sum()),
            "conversions": int(grp["converted"].sum()), "_n2": len(others),
            "_r2": int(others["resolved"].sum()), "_c2": int(others["converted"].sum()),
            "example_1": ex[0], "example_2": ex[1],
        })
    df = pd.DataFrame(rows)
    _add_rates(df, cfg)
    df = df.sort_values(["objection_category", "objections", "reply_strategy"],
                        ascending=[True, False, True], kind="mergesort")
    out = df[COLUMNS].reset_index(drop=True)
    for c in ("objection_category", "reply_strategy", "example_1", "example_2"):
        out[c] = out[c].astype("string")
    return out
