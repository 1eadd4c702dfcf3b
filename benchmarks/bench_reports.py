"""Report speed: every report of ``mining.reports`` on synthetic tags of N messages.

Writes ``benchmarks/results/reports.json``. Usage::

    .venv/bin/python benchmarks/bench_reports.py [N_MESSAGES]

The tags, outcomes and events are generated (no real data): journeys of 2-24 alternating customer
and agent messages on chat or email, stages that only move forward, 30% of customer messages
objections in one of 6 categories, agent replies with one of 5 strategies, 30% conversions.
"""

from __future__ import annotations

import json
import platform
import resource
import sys
import time
from pathlib import Path

STAGES = ["awareness", "consideration", "decision", "purchase", "retention"]
CATS = ["price", "timing", "trust", "competitor", "fit", "authority"]
STRATS = ["discount", "value_roi", "social_proof", "trial", "empathy"]


def make_frames(n_messages: int, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows, outs, evs = [], [], []
    j = 0
    while len(rows) < n_messages:
        t = pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=int(rng.integers(0, 180)))
        ch = str(rng.choice(["chat", "email"]))
        st, last_obj = 0, None
        for k in range(int(rng.integers(2, 25))):
            role = "customer" if k % 2 == 0 else "agent"
            st = min(4, st + int(rng.random() < 0.15))
            obj = role == "customer" and rng.random() < 0.3
            mid = f"m{j}_{k}"
            rows.append({
                "message_id": mid, "conversation_id": f"c{j}", "journey_id": f"j{j}",
                "timestamp": t, "role": role, "channel": ch, "stage": STAGES[st],
                "is_objection": obj if role == "customer" else None,
                "objection_category": str(rng.choice(CATS)) if obj else None,
                "objection_theme": None,
                "reply_strategy": str(rng.choice(STRATS)) if role == "agent" and last_obj else None,
                "replies_to": last_obj if role == "agent" else None,
            })
            last_obj = mid if obj else (None if role == "customer" else last_obj)
            t += pd.Timedelta(hours=float(rng.exponential(20)))
        c = bool(rng.random() < 0.3)
        outs.append({"journey_id": f"j{j}", "converted": c, "converted_at": t if c else pd.NaT,
                     "value": float(rng.integers(50, 500)) if c else None})
        evs.append({"journey_id": f"j{j}", "timestamp": t - pd.Timedelta(days=1),
                    "event_type": "visit", "channel": "web", "value": None})
        j += 1
    tags = pd.DataFrame(rows)
    tags["objection_theme"] = tags["objection_category"]
    return tags, pd.DataFrame(outs), pd.DataFrame(evs)


def main() -> None:
    from mining.reports import REPORTS, get_report

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    tags, outcomes, events = make_frames(n)
    results = {}
    for name in REPORTS:
        t0 = time.perf_counter()
        df = get_report(name)(tags, outcomes, events)
        secs = time.perf_counter() - t0
        results[name] = {"rows": len(df), "seconds": round(secs, 3),
                         "messages_per_second": round(len(tags) / secs)}
    out = {
        "benchmark": "reports",
        "command": f"python benchmarks/bench_reports.py {n}",
        "n_messages": len(tags),
        "n_journeys": int(tags["journey_id"].nunique()),
        "python": platform.python_version(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "total_seconds": round(sum(r["seconds"] for r in results.values()), 3),
        "results": results,
    }
    path = Path(__file__).parent / "results" / "reports.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
