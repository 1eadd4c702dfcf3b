"""Deliberately bad input files for the validation demo (kept apart from the main files)."""

from __future__ import annotations

import json
import os


def _chat(mid, text, ts="2026-01-12T15:04:00+00:00", role="customer", **extra):
    rec = {"message_id": mid, "conversation_id": "bad-chat-1", "journey_id": "pat.rowe@example.com",
           "timestamp": ts, "channel": "chat", "role": role, "author": "Pat Rowe", "text": text}
    rec.update(extra)
    return json.dumps(rec, ensure_ascii=False).encode("utf-8")


def write_bad(out: str) -> dict:
    """Write ``bad/`` and return the expected outcome of every record."""
    folder = os.path.join(out, "bad")
    os.makedirs(folder, exist_ok=True)
    no_text = json.loads(_chat("bad-003", "x"))
    del no_text["text"]
    lines = [
        (_chat("bad-001", "Hi, do you have anything on Saturday mornings?"), "accept", "valid"),
        (b'{"message_id": "bad-002", "conversation_id": "bad-chat-1", "text": "I was wonderi',
         "reject", "malformed JSON (truncated line)"),
        (json.dumps(no_text).encode(), "reject", "missing required field 'text'"),
        (_chat("bad-004", "Is 3pm ok?", ts="2026-02-30T25:61:00+00:00"), "reject",
         "unparseable timestamp (no such date or time)"),
        (_chat("bad-005", "Can I bring my son too?", ts="yesterday afternoon"), "reject",
         "unparseable timestamp (free text)"),
        (_chat("bad-001", "Sorry, one more thing about Saturday."), "reject",
         "duplicate message_id (first kept: line 1)"),
        (_chat("bad-007", ""), "reject", "empty text"),
        (_chat("bad-008", "   \t "), "reject", "text is only whitespace"),
        (b'["not", "a", "message", "object"]', "reject", "JSON value is not an object"),
        (_chat("bad-010", "Okay that works. " * 1500), "reject",
         "oversized message (over the 20,000 character default limit)"),
        (b'{"message_id": "bad-011", "conversation_id": "bad-chat-1", "role": "customer", '
         b'"timestamp": "2026-01-12T15:09:00+00:00", "text": "caf\xe9 invalid utf-8 \xff"}',
         "reject", "undecodable bytes (not UTF-8)"),
        (_chat("bad-012", "Thanks, see you Saturday!", ts="2026-01-12T15:10:00+00:00"), "accept",
         "valid"),
        (_chat("bad-013", "Great, thank you.", ts="2026-01-12T15:11:00+00:00", role="agent",
               author="Maya Patel"), "accept", "valid"),
    ]
    with open(os.path.join(folder, "chat_bad.jsonl"), "wb") as fh:
        for data, _, _ in lines:
            fh.write(data + b"\n")
    events_rows = [
        "pat.rowe@example.com,2026-01-12T14:58:00+00:00,visit,web,",
        "pat.rowe@example.com,2026-01-13T09:00:00+00:00,booking,web,",
        "lee.moss@example.net,2026-01-20T16:30:00+00:00,purchase,in_person,185.00",
    ]
    with open(os.path.join(folder, "events_noheader.csv"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(events_rows) + "\n")
    outcomes = [
        ("journey_id,converted,converted_at,value", None, None),
        ("pat.rowe@example.com,true,2026-01-20T16:30:00+00:00,185.00", "accept", "valid"),
        ("lee.moss@example.net,maybe,,", "reject", "converted is not true/false/1/0/yes/no"),
        ("kim.ode@example.org,true,last Tuesday,450.00", "reject", "unparseable converted_at"),
        (",false,,", "reject", "missing journey_id"),
        ("pat.rowe@example.com,false,,", "reject", "duplicate journey_id (first kept: line 2)"),
        ("ana.reis@example.com,no,,", "accept", "valid ('no' means false)"),
    ]
    with open(os.path.join(folder, "outcomes_bad.csv"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(r for r, _, _ in outcomes) + "\n")
    expected = {
        "chat_bad.jsonl": [{"line": i + 1, "expect": e, "why": w} for i, (_, e, w) in enumerate(lines)],
        "events_noheader.csv": {"expect": "file error",
                                "why": "CSV without a header row: the first line is data"},
        "outcomes_bad.csv": [{"line": i + 1, "expect": e, "why": w}
                             for i, (_, e, w) in enumerate(outcomes) if e is not None],
    }
    with open(os.path.join(folder, "EXPECTED.json"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")
    return expected
