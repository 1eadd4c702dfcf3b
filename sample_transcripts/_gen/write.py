"""Write simulated journeys to the product's input formats, plus the ground-truth files."""

from __future__ import annotations

import csv
import json
import os
from datetime import timezone

from . import dental_talk, saas_talk
from .mail import Renderer

TALK = {"brightsmile": dental_talk, "ledgerly": saas_talk}
LABEL_COLUMNS = ["message_id", "business", "journey_id", "conversation_id", "channel", "role",
                 "timestamp", "stage", "is_objection", "objection_kind", "reply_strategy",
                 "replies_to", "act", "is_follow_up"]
JOURNEY_COLUMNS = ["journey_id", "business", "first_channel", "channels", "product",
                   "planned_followups", "n_messages", "converted", "converted_at", "value"]


def iso(ts) -> str:
    """ISO 8601 in UTC with an explicit +00:00 offset, to the second."""
    return ts.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def _csv_writer(fh):
    return csv.writer(fh, lineterminator="\n")


OPEN_AFTER_DAYS = 14.0  # a journey without a conversion and this recent activity is still open


def _open_journeys(journeys: list) -> set:
    """Ids of journeys with no outcome yet: not converted, activity in the last 14 days of data."""
    from datetime import timedelta

    def last(j):
        return max([m.ts for m in j.messages] + [e.ts for e in j.events])

    end = max([last(j) for j in journeys]
              + [j.converted_at for j in journeys if j.converted_at is not None])
    return {j.customer.journey_id for j in journeys
            if not j.converted and end - last(j) < timedelta(days=OPEN_AFTER_DAYS)}


def write_all(journeys: list, out: str, seed: int) -> dict:
    """Write every file under ``out``; return counts per file.

    ``outcomes.csv`` has a row for every closed journey (converted, or silent for 14 days);
    open journeys (no conversion yet, recent activity) have none, as in a CRM export.
    """
    counts = {}
    still_open = _open_journeys(journeys)
    os.makedirs(os.path.join(out, "ground_truth"), exist_ok=True)
    labels = []
    for business in ("brightsmile", "ledgerly"):
        bj = [j for j in journeys if j.business == business]
        folder = os.path.join(out, business)
        os.makedirs(folder, exist_ok=True)
        # ---- chat: conversations in order of their first message, messages in time order
        convs: dict = {}
        for j in bj:
            for m in j.messages:
                if m.channel == "chat":
                    convs.setdefault(m.conv, []).append((j, m))
        order = sorted(convs, key=lambda c: (min(m.ts for _, m in convs[c]), c))
        prefix = "bs" if business == "brightsmile" else "ld"
        n = 0
        lines = []
        for c in order:
            for j, m in sorted(convs[c], key=lambda jm: jm[1].ts):
                n += 1
                m.message_id = f"{prefix}-msg-{n:06d}"
                m.conversation_id = c
                rec = {"message_id": m.message_id, "conversation_id": c,
                       "journey_id": j.customer.journey_id, "timestamp": iso(m.ts),
                       "channel": "chat", "role": m.role, "author": m.author, "text": m.text}
                lines.append(json.dumps(rec, ensure_ascii=False))
        with open(os.path.join(folder, "chat.jsonl"), "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(lines) + "\n")
        counts[f"{business}/chat.jsonl"] = len(lines)
        # ---- email
        r = Renderer(business, TALK[business], seed)
        entries: list = []
        for j in bj:
            r.render_journey(j, labels, entries)
        entries.sort(key=lambda e: (e[0], e[1]))
        with open(os.path.join(folder, "inbox.mbox"), "wb") as fh:
            for _, _, data in entries:
                fh.write(data)
                fh.write(b"\n")
        counts[f"{business}/inbox.mbox"] = len(entries)
        # ---- events and outcomes
        rows = []
        for j in bj:
            for e in j.events:
                rows.append((iso(e.ts), j.customer.journey_id, e.event_type, e.channel,
                             "" if e.value is None else f"{e.value:.2f}"))
        rows.sort()
        with open(os.path.join(folder, "events.csv"), "w", encoding="utf-8", newline="") as fh:
            w = _csv_writer(fh)
            w.writerow(["journey_id", "timestamp", "event_type", "channel", "value"])
            for ts, jid, et, ch, v in rows:
                w.writerow([jid, ts, et, ch, v])
        counts[f"{business}/events.csv"] = len(rows)
        with open(os.path.join(folder, "outcomes.csv"), "w", encoding="utf-8", newline="") as fh:
            w = _csv_writer(fh)
            w.writerow(["journey_id", "converted", "converted_at", "value"])
            closed = [j for j in bj if j.customer.journey_id not in still_open]
            for j in sorted(closed, key=lambda j: j.customer.journey_id):
                w.writerow([j.customer.journey_id, "true" if j.converted else "false",
                            iso(j.converted_at) if j.converted else "",
                            f"{j.value:.2f}" if j.converted else ""])
        counts[f"{business}/outcomes.csv"] = len(closed)
    # ---- ground truth
    for j in journeys:
        for m in j.messages:
            rt = j.messages[m.replies_to].message_id if m.replies_to >= 0 else ""
            labels.append({
                "message_id": m.message_id, "business": j.business,
                "journey_id": j.customer.journey_id, "conversation_id": m.conversation_id,
                "channel": m.channel, "role": m.role, "timestamp": iso(m.ts), "stage": m.stage,
                "is_objection": "" if m.role != "customer" else ("true" if m.is_objection else "false"),
                "objection_kind": m.kind, "reply_strategy": m.strategy, "replies_to": rt,
                "act": m.act, "is_follow_up": "true" if m.follow_up else "false",
            })
    labels.sort(key=lambda r: (r["business"], r["timestamp"], r["message_id"]))
    with open(os.path.join(out, "ground_truth", "labels.csv"), "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, LABEL_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(labels)
    counts["ground_truth/labels.csv"] = len(labels)
    with open(os.path.join(out, "ground_truth", "journeys.csv"), "w", encoding="utf-8", newline="") as fh:
        w = _csv_writer(fh)
        w.writerow(JOURNEY_COLUMNS)
        for j in sorted(journeys, key=lambda j: (j.business, j.customer.journey_id)):
            chans = sorted({m.channel for m in j.messages})
            w.writerow([j.customer.journey_id, j.business, j.first_channel, "+".join(chans),
                        j.product, j.cadence, len(j.messages), "true" if j.converted else "false",
                        iso(j.converted_at) if j.converted else "",
                        f"{j.value:.2f}" if j.converted else ""])
    counts["ground_truth/journeys.csv"] = len(journeys)
    return counts
