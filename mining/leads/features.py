"""Lead features: what was known about a journey at a cut-off time, and nothing after it.

A *snapshot* is one journey seen at one cut-off time ``cut``. Its features are computed from the
messages and events with ``timestamp <= cut`` only (messages without a timestamp never count,
since they cannot be placed before the cut-off). Every feature is a number; the definitions are
in docs/predict.md and in :data:`LABELS`.

Stage features use the stage order of ``mining.reports._data.stage_order`` (the taxonomy's
stages); objection categories, reply strategies, channels and event types are the values found in
the data the scorer was fitted on, so a custom taxonomy needs no change here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mining.reports import _data

#: Human-readable names of the fixed features (the per-value ones are named when built).
LABELS: dict[str, str] = {
    "age_days": "days since the journey started",
    "days_since_customer": "days since the last customer message",
    "days_since_agent": "days since the last agent message",
    "days_since_activity": "days since the last message or event",
    "customer_messages": "customer messages",
    "agent_messages": "agent messages",
    "customer_messages_7d": "customer messages in the last 7 days",
    "agent_messages_7d": "agent messages in the last 7 days",
    "stage_reached": "furthest stage reached (rank)",
    "last_stage": "stage of the last message (rank)",
    "objections": "objections raised",
    "objections_unanswered": "objections without an agent reply",
    "last_customer_objection": "last customer message is an objection",
    "followups": "agent follow-ups in the first days",
    "chasers": "agent messages sent without a customer reply",
    "first_response_hours": "hours to the first agent response",
    "channels": "channels used",
}


def vocabulary(tags: pd.DataFrame, events: pd.DataFrame) -> dict[str, list[str]]:
    """The categorical values that become one feature each: categories, strategies, channels.

    Args:
        tags: Prepared tags (``_data.prepare_tags``).
        events: Prepared events (``_data.prepare_events``).

    Returns:
        ``{"objection": [...], "reply": [...], "channel": [...], "event": [...]}`` sorted lists.
    """
    def values(s: pd.Series) -> list[str]:
        return sorted({str(v) for v in s.dropna().unique()})

    cust = tags[tags["role"] == "customer"]
    return {
        "objection": values(cust.loc[cust["is_objection"], "objection_category"]),
        "reply": values(tags.loc[tags["role"] == "agent", "reply_strategy"]),
        "channel": values(cust["channel"]),
        "event": values(events["event_type"]) if len(events) else [],
    }


STAGE_FEATURES = ("stage_reached", "last_stage")


def feature_names(vocab: dict[str, list[str]], stages: bool = True) -> list[str]:
    """All feature columns for ``vocab`` in a fixed order; no stage features unless ``stages``."""
    names = [n for n in LABELS if stages or n not in STAGE_FEATURES]
    names += [f"objection:{v}" for v in vocab["objection"]]
    names += [f"reply:{v}" for v in vocab["reply"]]
    names += [f"first_channel:{v}" for v in vocab["channel"]]
    names += [f"event:{v}" for v in vocab["event"]]
    return names


def feature_label(name: str) -> str:
    """A readable name for a feature column."""
    if name in LABELS:
        return LABELS[name]
    kind, _, value = name.partition(":")
    return {"objection": f"{value} objections raised", "reply": f"'{value}' replies received",
            "first_channel": f"first contact by {value}", "event": f"{value} events"}.get(
        kind, name)


def snapshot_features(
    tags: pd.DataFrame,
    events: pd.DataFrame,
    snapshots: pd.DataFrame,
    vocab: dict[str, list[str]],
    *,
    followup_days: float = 7.0,
    stages: bool = True,
) -> pd.DataFrame:
    """Features of every snapshot from the messages and events up to its cut-off.

    Args:
        tags: Prepared tags (``_data.prepare_tags``) with ``replies_to`` filled in.
        events: Prepared events.
        snapshots: One row per snapshot: ``journey_id`` and ``cut`` (UTC timestamp); its index
            identifies the snapshot.
        vocab: From :func:`vocabulary` (fitted on the training data).
        followup_days: Window for the ``followups`` feature (as in the cadence report).
        stages: Include the stage features (see ``PredictSettings.stage_features``).

    Returns:
        A float frame indexed like ``snapshots`` with :func:`feature_names` columns.
    """
    snaps = snapshots[["journey_id", "cut"]].rename_axis("_snap").reset_index()
    msgs = tags[tags["timestamp"].notna()]
    m = snaps.merge(msgs, on="journey_id", how="inner")
    m = m[m["timestamp"] <= m["cut"]].sort_values(["_snap", "timestamp", "_row"], kind="mergesort")
    out = pd.DataFrame(index=pd.Index(snaps["_snap"], name="_snap"))
    out = out.join(_activity(m, snaps)).join(_stages(m, tags)).join(_objections(m))
    out = out.join(_cadence(m, followup_days))
    out = out.join(_counts(m[m["role"] == "customer"].groupby("_snap")["channel"].first()
                           .rename("v").to_frame(), vocab["channel"], "first_channel"))
    obj = m[(m["role"] == "customer") & m["is_objection"]]
    out = out.join(_counts(obj.set_index("_snap")[["objection_category"]].rename(
        columns={"objection_category": "v"}), vocab["objection"], "objection"))
    out = out.join(_counts(m.loc[m["role"] == "agent", ["_snap", "reply_strategy"]]
                           .set_index("_snap").rename(columns={"reply_strategy": "v"}),
                           vocab["reply"], "reply"))
    if len(events) and vocab["event"]:
        e = snaps.merge(events[events["timestamp"].notna()], on="journey_id", how="inner")
        e = e[e["timestamp"] <= e["cut"]]
        out = out.join(_counts(e.set_index("_snap")[["event_type"]].rename(
            columns={"event_type": "v"}), vocab["event"], "event"))
        last_ev = e.groupby("_snap")["timestamp"].max()
        cut = snaps.set_index("_snap")["cut"]
        ev_days = (cut - last_ev.reindex(cut.index)).dt.total_seconds() / 86400.0
        out["days_since_activity"] = np.fmin(out["days_since_activity"], ev_days)
    names = feature_names(vocab, stages)
    out = out.reindex(columns=names).astype("float64")
    count_cols = [c for c in names if ":" in c or c in (
        "customer_messages", "agent_messages", "customer_messages_7d", "agent_messages_7d",
        "objections", "objections_unanswered", "last_customer_objection", "followups", "chasers",
        "channels")]
    out[count_cols] = out[count_cols].fillna(0.0)
    out.index = snapshots.index
    return out


def _days(delta: pd.Series) -> pd.Series:
    return delta.dt.total_seconds() / 86400.0


def _activity(m: pd.DataFrame, snaps: pd.DataFrame) -> pd.DataFrame:
    """Age, recency and message counts."""
    cut = snaps.set_index("_snap")["cut"]
    g = m.groupby("_snap")
    cust, agent = m[m["role"] == "customer"], m[m["role"] == "agent"]
    recent = m["timestamp"] > m["cut"] - pd.Timedelta(days=7)
    out = pd.DataFrame(index=cut.index)
    out["age_days"] = _days(cut - g["timestamp"].min().reindex(cut.index))
    out["days_since_customer"] = _days(cut - cust.groupby("_snap")["timestamp"].max()
                                       .reindex(cut.index))
    out["days_since_agent"] = _days(cut - agent.groupby("_snap")["timestamp"].max()
                                    .reindex(cut.index))
    out["days_since_activity"] = _days(cut - g["timestamp"].max().reindex(cut.index))
    out["customer_messages"] = cust.groupby("_snap").size()
    out["agent_messages"] = agent.groupby("_snap").size()
    out["customer_messages_7d"] = cust[recent[cust.index]].groupby("_snap").size()
    out["agent_messages_7d"] = agent[recent[agent.index]].groupby("_snap").size()
    out["channels"] = g["channel"].nunique()
    return out


def _stages(m: pd.DataFrame, tags: pd.DataFrame) -> pd.DataFrame:
    """Furthest and last stage (rank in the taxonomy's order) among the messages so far."""
    order = _data.stage_order(tags["stage"])
    staged = m[m["stage"].notna()].copy()
    staged["_rank"] = _data.stage_rank(staged["stage"], order)
    g = staged.groupby("_snap")["_rank"]
    return pd.DataFrame({"stage_reached": g.max(), "last_stage": g.last()})


def _objections(m: pd.DataFrame) -> pd.DataFrame:
    """Objections raised so far, how many no agent reply answered (by the cut), the last one."""
    cust = m[m["role"] == "customer"]
    obj = cust[cust["is_objection"]]
    answered = m.loc[(m["role"] == "agent") & m["replies_to"].notna(), ["_snap", "replies_to"]]
    keys = set(zip(answered["_snap"], answered["replies_to"].astype(str), strict=True))
    is_answered = [(s, str(mid)) in keys for s, mid in zip(obj["_snap"], obj["message_id"],
                                                           strict=True)]
    out = pd.DataFrame({"objections": obj.groupby("_snap").size()})
    out["objections_unanswered"] = obj[~np.asarray(is_answered, dtype=bool)].groupby("_snap") \
        .size()
    out = out.join(cust.groupby("_snap")["is_objection"].last().astype(float)
                   .rename("last_customer_objection"), how="outer")
    return out


def _cadence(m: pd.DataFrame, followup_days: float) -> pd.DataFrame:
    """Follow-ups (chasers in the first days, as the cadence report counts them), response time."""
    talk = m[m["role"].isin(["customer", "agent"])].copy()
    talk["_prev"] = talk.groupby("_snap")["role"].shift(1)
    t0 = talk[talk["role"] == "customer"].groupby("_snap")["timestamp"].min()
    talk["_t0"] = talk["_snap"].map(t0)
    agent = talk["role"] == "agent"
    chaser = agent & (talk["_prev"] == "agent").fillna(False)
    window = (talk["timestamp"] > talk["_t0"]) & \
        (talk["timestamp"] <= talk["_t0"] + pd.Timedelta(days=followup_days))
    first_reply = talk[agent & (talk["timestamp"] > talk["_t0"])].groupby("_snap")["timestamp"] \
        .min()
    return pd.DataFrame({
        "followups": talk[chaser & window.fillna(False)].groupby("_snap").size(),
        "chasers": talk[chaser].groupby("_snap").size(),
        "first_response_hours": (first_reply - t0.reindex(first_reply.index))
        .dt.total_seconds() / 3600.0,
    })


def _counts(df: pd.DataFrame, values: list[str], prefix: str) -> pd.DataFrame:
    """Per snapshot, how many rows have each of ``values`` in column ``v``."""
    if not values:
        return pd.DataFrame()
    known = df[df["v"].astype("object").isin(values)]
    if known.empty:
        table = pd.crosstab(known.index, known["v"].astype(str))
    else:  # the crosstab's counts; its python aggregation dominated the features at scale
        table = known.groupby([known.index, known["v"].astype(str)]).size() \
            .unstack(fill_value=0)
    table = table.reindex(columns=values, fill_value=0)
    table.columns = [f"{prefix}:{v}" for v in values]
    table.index.name = "_snap"
    return table
