"""A small synthetic journey corpus for the lead-scoring and playbook tests (deterministic).

Journey ``i`` starts on day ``i``. Engaged customers (they come back) and more agent follow-ups
convert more often; journeys that started in the last two weeks and did not convert are open.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

T0 = pd.Timestamp("2024-01-01 09:00", tz="UTC")


def _row(mid: str, jid: str, when: pd.Timestamp, role: str, stage: str, *,
         objection: str | None = None, strategy: str | None = None,
         replies_to: str | None = None, channel: str = "chat") -> dict:
    return {"message_id": mid, "conversation_id": jid, "journey_id": jid, "timestamp": when,
            "role": role, "channel": channel, "stage": stage,
            "is_objection": (objection is not None) if role == "customer" else None,
            "objection_category": objection, "reply_strategy": strategy,
            "replies_to": replies_to}


def corpus(n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(tags, outcomes, events)``; outcomes only for journeys that converted or went cold."""
    from mining import schema

    rng = np.random.default_rng(seed)
    rows, outs, evs = [], [], []
    for i in range(n):
        jid, start = f"J{i:03d}", T0 + pd.Timedelta(days=i)
        chan = "chat" if rng.random() < 0.6 else "email"
        day = pd.Timedelta(days=1)
        rows.append(_row(f"{jid}-1", jid, start, "customer", "awareness", channel=chan))
        rows.append(_row(f"{jid}-2", jid, start + pd.Timedelta(minutes=5), "agent", "awareness",
                         channel=chan))
        k = int(rng.integers(0, 4))
        for f in range(k):
            rows.append(_row(f"{jid}-f{f}", jid, start + (f + 1) * 0.6 * day, "agent",
                             "awareness", channel=chan))
        engaged = rng.random() < 0.5
        if engaged:
            rows.append(_row(f"{jid}-3", jid, start + 2.5 * day, "customer", "consideration",
                             objection="price", channel=chan))
            strat = "payment" if rng.random() < 0.5 else "empathy"
            rows.append(_row(f"{jid}-4", jid, start + 2.6 * day, "agent", "consideration",
                             strategy=strat, replies_to=f"{jid}-3", channel=chan))
            evs.append({"journey_id": jid, "timestamp": start + 2 * day, "event_type": "visit",
                        "channel": "web", "value": None})
        p = 0.08 + 0.5 * engaged + 0.08 * k
        if rng.random() < p:
            rows.append(_row(f"{jid}-5", jid, start + 4 * day, "customer", "decision",
                             channel=chan))
            outs.append({"journey_id": jid, "converted": True,
                         "converted_at": start + 5 * day, "value": 100.0 + i})
        else:
            outs.append({"journey_id": jid, "converted": False, "converted_at": pd.NaT,
                         "value": np.nan})
    tags = schema.conform(pd.DataFrame(rows), "tags")
    outcomes = pd.DataFrame(outs)
    outcomes["converted_at"] = pd.to_datetime(outcomes["converted_at"], utc=True)
    events = pd.DataFrame(evs)
    end = tags["timestamp"].max()
    last = tags.groupby("journey_id")["timestamp"].max()
    still_open = set(last[last > end - pd.Timedelta(days=14)].index) - \
        set(outcomes.loc[outcomes["converted"], "journey_id"])
    outcomes = outcomes[~outcomes["journey_id"].isin(still_open)].reset_index(drop=True)
    return tags, outcomes, events
