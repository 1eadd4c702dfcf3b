"""Journeys: messages joined with events and outcomes; agent replies linked to objections.

:func:`build_journeys` orders each journey's messages in time and adds the context the stage
tagger needs. :func:`link_replies` finds, for every agent message, the customer objection it
answers. :func:`classify_replies` names each agent reply's strategy from replies.yaml.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from mining.cues import CueMatcher
    from mining.prototypes import Prototypes

#: Categories that soften or greet rather than answer; another qualifying category wins.
SOFTENERS = ("empathy", "greeting_smalltalk")


def _str(s: pd.Series) -> pd.Series:
    return s.astype("string")


def build_journeys(messages: pd.DataFrame, events: pd.DataFrame | None = None,
                   outcomes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Order messages by journey and time and add the journey context.

    Messages without a timestamp keep their place relative to their neighbours in the input.
    Outcomes and events are matched on ``journey_id`` and, failing that, ``conversation_id``.

    Args:
        messages: Messages table (``mining.schema.MESSAGES``).
        events: Events table or None.
        outcomes: Outcomes table or None.

    Returns:
        The messages in journey order with extra columns: ``_row`` (row in ``messages``),
        ``_order`` (0-based position in the journey), ``_n`` (journey length), ``_pos``
        (``_order / (_n - 1)``, 0 for one-message journeys), ``_days`` (days since the journey's
        first message, NaN without timestamps), ``_converted`` (nullable bool),
        ``_converted_at``, ``_after_conversion`` (bool), ``_before_conversion`` (bool: a
        converted journey's message at or before ``converted_at``), ``_last_before_conversion``
        (bool), ``_events`` (tuple of event types up to the message time), ``_ts`` (timestamp,
        gaps filled from the neighbours).
    """
    df = messages.copy()
    df["_row"] = np.arange(len(df))
    jid = _str(df["journey_id"]) if "journey_id" in df else pd.Series(pd.NA, index=df.index)
    df["journey_id"] = jid.fillna(_str(df["conversation_id"])).fillna("")
    ts = pd.to_datetime(df["timestamp"], utc=True, errors="coerce")
    df["_ts"] = ts.groupby(df["journey_id"], sort=False).transform(lambda s: s.ffill().bfill())
    df["_jcode"] = pd.factorize(df["journey_id"])[0]
    df = df.sort_values(["_jcode", "_ts", "_row"], kind="stable", na_position="last")
    g = df.groupby("_jcode", sort=False)
    df["_order"] = g.cumcount()
    df["_n"] = g["_row"].transform("size")
    df["_pos"] = (df["_order"] / (df["_n"] - 1).clip(lower=1)).astype(float)
    first = g["_ts"].transform("min")
    df["_days"] = ((df["_ts"] - first).dt.total_seconds() / 86400.0).astype(float)

    conv = pd.Series(pd.NA, index=df.index, dtype="boolean")
    conv_at = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns, UTC]")
    if outcomes is not None and len(outcomes):
        o = outcomes.dropna(subset=["journey_id"]).drop_duplicates("journey_id", keep="last")
        o = o.set_index(_str(o["journey_id"]))
        for key in ("conversation_id", "journey_id"):  # journey_id wins
            keys = _str(df[key]) if key in df else None
            if keys is None:
                continue
            hit = keys.isin(o.index).fillna(False).to_numpy(bool)
            if hit.any():
                conv.iloc[hit] = o["converted"].astype("boolean").reindex(keys[hit]).to_numpy()
                conv_at.iloc[hit] = pd.to_datetime(o["converted_at"], utc=True, errors="coerce"
                                                   ).reindex(keys[hit]).to_numpy()
    df["_converted"] = conv
    df["_converted_at"] = conv_at
    after = (conv.fillna(False).to_numpy(bool) & conv_at.notna().to_numpy(bool)
             & df["_ts"].notna().to_numpy(bool))
    after[after] = (df["_ts"][after] > conv_at[after]).to_numpy(bool)
    df["_after_conversion"] = after
    before = (conv.fillna(False).to_numpy(bool) & conv_at.notna().to_numpy(bool)
              & df["_ts"].notna().to_numpy(bool) & ~after)
    df["_before_conversion"] = before
    jcode = df["_jcode"].to_numpy()
    nxt_same = np.r_[jcode[1:] == jcode[:-1], False]
    nxt_before = np.r_[before[1:], False]
    df["_last_before_conversion"] = before & ~(nxt_same & nxt_before)
    df["_events"] = _events_so_far(df, events)
    return df.drop(columns=["_jcode"]).reset_index(drop=True)


def _events_so_far(df: pd.DataFrame, events: pd.DataFrame | None) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [()] * len(df)
    if events is None or len(events) == 0:
        return out
    ev = events.dropna(subset=["journey_id", "timestamp"]).copy()
    ev["timestamp"] = pd.to_datetime(ev["timestamp"], utc=True, errors="coerce")
    ev = ev.dropna(subset=["timestamp"]).sort_values("timestamp", kind="stable")
    by_key: dict[str, list[tuple[Any, str]]] = {}
    for j, t, e in zip(_str(ev["journey_id"]), ev["timestamp"], _str(ev["event_type"]),
                       strict=True):
        by_key.setdefault(str(j), []).append((t, str(e)))
    jids = _str(df["journey_id"]).tolist()
    cids = _str(df["conversation_id"]).fillna("").tolist() if "conversation_id" in df else \
        [""] * len(df)
    for i, (j, c, t) in enumerate(zip(jids, cids, df["_ts"], strict=True)):
        lst = by_key.get(j) or by_key.get(c)
        if not lst or pd.isna(t):
            continue
        seen = []
        for et, name in lst:
            if et > t:
                break
            if name not in seen:
                seen.append(name)
        out[i] = tuple(seen)
    return out


def link_replies(frame: pd.DataFrame) -> pd.Series:
    """Find the customer objection each agent message answers.

    Within a conversation in time order, the agent messages that follow a customer turn (one or
    more consecutive customer messages) answer the turn's latest objection, until the customer
    speaks again. Bot and system messages neither answer nor end a turn.

    Args:
        frame: Messages in conversation/time order with ``message_id``, ``conversation_id``,
            ``role`` and ``is_objection`` (nullable bool).

    Returns:
        A string Series, row-aligned with ``frame``: the answered objection's ``message_id`` for
        agent replies, NA elsewhere.
    """
    out: list[Any] = [pd.NA] * len(frame)
    pending: dict[str, Any] = {}  # conversation -> latest objection of the current turn
    in_turn: dict[str, bool] = {}  # conversation -> the last speaker was the customer
    ids = _str(frame["message_id"]).tolist()
    convs = _str(frame["conversation_id"]).fillna("").tolist()
    roles = _str(frame["role"]).fillna("").tolist()
    objs = frame["is_objection"].astype("boolean").fillna(False).tolist()
    for i, (mid, conv, role, obj) in enumerate(zip(ids, convs, roles, objs, strict=True)):
        if role == "customer":
            if not in_turn.get(conv):
                pending[conv] = None
            in_turn[conv] = True
            if obj:
                pending[conv] = mid
        elif role == "agent":
            in_turn[conv] = False
            if pending.get(conv) is not None:
                out[i] = pending[conv]
    return pd.Series(out, index=frame.index, dtype="string")


def classify_replies(texts: list[str], vectors: np.ndarray, prototypes: Prototypes,
                     matcher: CueMatcher, *, min_similarity: float, cue_bonus: float = 0.25,
                     top_k: int = 3, always: Any = None) -> tuple[list[Any], list[dict[str, Any]]]:
    """Name the strategy of each agent reply from replies.yaml cues and example similarity.

    A strategy qualifies when one of its cues matches (not negated) or the reply's similarity to
    its examples reaches ``min_similarity``; the best qualifying one (similarity plus
    ``cue_bonus`` for a cue) is chosen, except that softeners (``empathy``, greetings) yield to
    any other qualifying category. Used for intents.yaml as well.

    Args:
        texts: Agent message texts.
        vectors: Their ``(n, dim)`` vectors.
        prototypes: Embedded replies.yaml examples.
        matcher: A :class:`~mining.cues.CueMatcher` of replies.yaml.
        min_similarity: Similarity at which a strategy qualifies without a cue.
        cue_bonus: Added to a strategy's similarity when its cue matched.
        top_k: Nearest examples averaged per strategy.
        always: Optional booleans per text: when true, the best strategy is named even if none
            qualifies (a reply to an objection always answers it somehow).

    Returns:
        ``(strategies, evidence)``: the strategy name or NA per text, and evidence dicts.
    """
    sim, nearest = prototypes.scores(np.asarray(vectors, np.float32), top_k=top_k)
    cues = matcher.match(texts)
    cats = prototypes.categories
    soft = [cats.index(c) for c in SOFTENERS if c in cats]
    out: list[Any] = []
    evidence: list[dict[str, Any]] = []
    for i in range(len(texts)):
        hit = cues.counts[i] > 0
        score = sim[i] + cue_bonus * hit
        ok = hit | (sim[i] >= min_similarity)
        if not ok.any() and always is not None and bool(always[i]):
            ok = np.ones_like(ok)
        if not ok.any():
            out.append(pd.NA)
            evidence.append({})
            continue
        masked = np.where(ok, score, -np.inf)
        if soft and ok.sum() > len([j for j in soft if ok[j]]):
            masked[soft] = -np.inf
        best = int(np.argmax(masked))
        near = int(nearest[i, best])
        out.append(cats[best])
        evidence.append({
            "reply_cues": [m["cue"] for m in cues.matches[i]
                           if m["category"] == cats[best] and not m["negated"]],
            "reply_nearest_example": prototypes.texts[near] if near >= 0 else None,
            "reply_similarity": round(float(sim[i, best]), 4),
            "reply_strategies": [cats[j] for j in np.flatnonzero(ok)],
        })
    return out, evidence
