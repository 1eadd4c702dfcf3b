"""Hand-made tables that follow mining.schema, for tests of the run outputs (no model needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mining import schema

STAGES = ["awareness", "consideration", "decision", "purchase", "retention"]
CATS = ["price", "timing", "trust", "competitor"]


def handmade_tables(n_journeys: int = 30, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Return tags, themes, outcomes, events and small report frames for ``n_journeys``."""
    rng = np.random.default_rng(seed)
    rows, outcomes, events = [], [], []
    t0 = pd.Timestamp("2026-01-05 09:00", tz="UTC")
    for j in range(n_journeys):
        jid = f"J{j:03d}"
        depth = int(rng.integers(1, 6))
        t = t0 + pd.Timedelta(days=int(j))
        k = 0
        for s in STAGES[:depth]:
            for role in ("customer", "agent"):
                k += 1
                t = t + pd.Timedelta(hours=int(rng.integers(1, 30)))
                obj = role == "customer" and rng.random() < 0.4
                rows.append(
                    {
                        "message_id": f"{jid}-m{k}",
                        "conversation_id": f"C{j:03d}",
                        "journey_id": jid,
                        "timestamp": t,
                        "role": role,
                        "channel": "chat" if j % 2 else "email",
                        "stage": s,
                        "stage_confidence": 0.8,
                        "is_objection": obj if role == "customer" else pd.NA,
                        "objection_probability": 0.9 if obj else 0.1,
                        "objection_theme": f"3: {CATS[k % 4]} <b>theme</b>" if obj else pd.NA,
                        "objection_category": CATS[k % 4] if obj else pd.NA,
                        "intent_theme": "ask about pricing & plans"
                        if role == "customer"
                        else pd.NA,
                        "reply_theme": "offer a trial" if role == "agent" else pd.NA,
                        "reply_strategy": "guarantee_or_trial" if role == "agent" else pd.NA,
                        "replies_to": pd.NA,
                        "evidence": "{}",
                        "schema_version": schema.TAGS_SCHEMA_VERSION,
                    }
                )
        conv = depth >= 4
        outcomes.append(
            {
                "journey_id": jid,
                "converted": conv,
                "converted_at": t if conv else pd.NaT,
                "value": 100.0 if conv else 0.0,
                "source": "outcomes.csv:1",
            }
        )
        events.append(
            {
                "journey_id": jid,
                "timestamp": t0 + pd.Timedelta(days=j, hours=1),
                "event_type": "visit",
                "channel": "web",
                "value": np.nan,
                "source": "events.csv:1",
            }
        )
    tags = schema.conform(pd.DataFrame(rows), "tags")
    themes = schema.conform(
        pd.DataFrame(
            [
                {
                    "theme_id": 0,
                    "kind": "objection",
                    "label": "too expensive <script>alert(1)</script>",
                    "taxonomy_category": "price",
                    "keywords": "price, cost, budget",
                    "size": 12,
                    "examples": "It costs too much for us | Our budget is [EMAIL] <img src=x>",
                },
                {
                    "theme_id": 1,
                    "kind": "intent",
                    "label": "ask about pricing",
                    "taxonomy_category": pd.NA,
                    "keywords": "plan, price",
                    "size": 30,
                    "examples": "What does the pro plan cost?",
                },
            ]
        ),
        "themes",
    )
    reports = {
        "funnel": pd.DataFrame(
            {"stage": STAGES, "journeys_reached": [30, 24, 18, 12, 6], "went_cold": [6, 6, 6, 6, 0]}
        ),
        "replies": pd.DataFrame(
            {
                "objection_category": ["price", "price", "timing"],
                "reply_strategy": ["discount", "value_roi", "scheduling"],
                "n": [20, 18, 9],
                "resolution_rate": [0.4, 0.7, 0.5],
                "resolution_low": [0.2, 0.47, 0.2],
                "resolution_high": [0.6, 0.85, 0.8],
            }
        ),
        "channels": pd.DataFrame(
            {
                "channel": ["chat", "email", "web"],
                "first_touch": [5.0, 3.0, 4.0],
                "last_touch": [6.0, 4.0, 2.0],
                "linear": [5.0, 3.5, 3.5],
            }
        ),
        "cadence": pd.DataFrame(
            {
                "followups": ["0", "1", "2", "3+"],
                "journeys": [8, 8, 7, 7],
                "conversion_rate": [0.1, 0.25, 0.4, 0.5],
                "ci_low": [0.0, 0.05, 0.1, 0.2],
                "ci_high": [0.4, 0.6, 0.75, 0.8],
            }
        ),
    }
    return {
        "tags": tags,
        "themes": themes,
        "outcomes": schema.conform(pd.DataFrame(outcomes), "outcomes"),
        "events": schema.conform(pd.DataFrame(events), "events"),
        "reports": reports,
    }


CUSTOMER_LINES = [
    "Hi, I saw your ad and wanted to know what you offer.",
    "Honestly the price is too high for our budget right now.",
    "We are happy with our current provider, not sure we need to switch.",
    "Can I book a demo next week?",
    "I need to talk to my boss before deciding.",
    "Great, how do I pay for the annual plan?",
    "Is my data stored securely? We need GDPR compliance.",
    "Thanks, the onboarding went well. How do I add users?",
]
AGENT_LINES = [
    "Happy to help! Here is an overview of our plans.",
    "I understand. We can offer 15% off the first year.",
    "Many teams like yours switched and saved 10 hours a week.",
    "Sure, I have booked Tuesday 10am for you.",
    "Of course, would a short call with your manager help?",
    "You can pay by card or invoice; here is the link.",
    "Yes, all data is encrypted and stored in the EU.",
    "Go to Settings > Users to invite colleagues.",
]


def write_mini_corpus(folder, n_journeys: int = 40, seed: int = 1, prefix: str = "c") -> dict:
    """Write a small chat JSONL corpus with events and outcomes into ``folder``; return paths."""
    import csv
    import datetime as dt
    import json
    import random
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    rows, outs, evs = [], [], []
    t0 = dt.datetime(2026, 3, 1, 9, 0)
    for j in range(n_journeys):
        jid = f"{prefix}{j}"
        t = t0 + dt.timedelta(days=j)
        evs.append({"journey_id": jid, "timestamp": t.isoformat() + "Z", "event_type": "visit",
                    "channel": "web", "value": ""})
        n = rnd.randint(2, 8)
        for k in range(n):
            i = min(k + rnd.randint(0, 1), 7)
            for role, lines, who in (("customer", CUSTOMER_LINES, f"cust{j}"),
                                     ("agent", AGENT_LINES, "Ann")):
                t += dt.timedelta(minutes=rnd.randint(2, 1200))
                rows.append({"message_id": f"{jid}-{len(rows)}", "conversation_id": jid,
                             "timestamp": t.isoformat() + "Z", "role": role, "channel": "chat",
                             "author": who, "text": lines[i]})
        conv = n >= 5
        outs.append({"journey_id": jid, "converted": str(conv).lower(),
                     "converted_at": t.isoformat() + "Z" if conv else "",
                     "value": "120" if conv else "0"})
    chats = folder / "chats.jsonl"
    chats.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    paths = {"chats": chats}
    for name, data in (("outcomes", outs), ("events", evs)):
        p = folder / f"{name}.csv"
        with p.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(data[0]))
            w.writeheader()
            w.writerows(data)
        paths[name] = p
    paths["n_messages"] = len(rows)
    return paths
