"""Ingestion speed: load_corpus on synthetic message tables (JSONL, CSV, JSONL.gz, Parquet) and on
synthetic product exports (WhatsApp, Messenger, Telegram, Zendesk, Intercom, Freshdesk, HubSpot).

Writes ``benchmarks/results/ingest.json``. Usage::

    .venv/bin/python benchmarks/bench_ingest.py [N_MESSAGES]

The messages are generated (no real data); a few rows are deliberately broken so the reject path
is exercised too.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("price plan annual monthly discount demo trial contract team seats support onboarding "
         "integration invoice refund cancel upgrade budget approval manager quote").split()


def make_rows(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        conv = f"c{i // 8}"
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40)))
        if i % 500 == 0:
            text += " reach me at someone@example.com or +1 415 555 0134"
        rows.append({
            "message_id": f"m{i}" if i % 1000 else "m0",  # every 1000th is a duplicate id
            "conversation_id": conv,
            "timestamp": f"2024-03-{1 + (i // 8) % 28:02d}T{(i % 24):02d}:{i % 60:02d}:00",
            "role": "user" if i % 2 else "rep",
            "text": text if i % 777 else "   ",  # some empty messages
        })
    return rows


T0 = 1709543100  # 2024-03-04T09:05:00Z


def _whatsapp(rows: list[dict]) -> str:
    lines = []
    for i, r in enumerate(rows):
        day, hour = 1 + (i // 400) % 28, (i // 20) % 12 + 1
        who = "Bright Smile Dental" if r["role"] == "rep" else "Dana Whitfield"
        text = r["text"] if i % 777 else "<Media omitted>"
        ampm = "PM" if (i // 240) % 2 else "AM"
        lines.append(f"3/{day}/24, {hour}:{i % 60:02d}\u202f{ampm} - {who}: {text}")
    return "\n".join(lines) + "\n"


def _meta(rows: list[dict]) -> dict:
    msgs = [{"sender_name": "Bright Smile Dental" if r["role"] == "rep" else "Jos\u00c3\u00a9",
             "timestamp_ms": 1709543100000 + i * 60_000, "content": r["text"]}
            for i, r in enumerate(rows)]
    return {"participants": [{"name": "Bright Smile Dental"}, {"name": "Jos\u00c3\u00a9"}],
            "messages": msgs[::-1], "title": "Jos\u00c3\u00a9", "thread_path": "inbox/jose_1"}


def _telegram(rows: list[dict]) -> dict:
    msgs = [{"id": i + 1, "type": "message", "date": "2024-03-04T10:05:00",
             "date_unixtime": str(1709543100 + i * 60), "from": "Shop" if r["role"] == "rep"
             else "Lena", "from_id": "user2" if r["role"] == "rep" else "user1",
             "text": ["Re: ", {"type": "bold", "text": r["text"]}]} for i, r in enumerate(rows)]
    return {"name": "Lena", "type": "personal_chat", "id": 1, "messages": msgs}


def _tickets(rows: list[dict], kind: str) -> object:
    """Zendesk, Intercom, Freshdesk or HubSpot JSON holding ``rows`` (8 messages a ticket)."""
    out: dict[str, list] = {}
    for i, r in enumerate(rows):
        t, agent = i // 8, r["role"] == "rep"
        ts = f"2024-03-{1 + t % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"
        html = f"<p>{r['text']}</p><p>Thanks</p>"
        if kind == "zendesk":
            out.setdefault(t, {"id": t, "requester_id": 10_000 + t, "via": {"channel": "email"},
                               "comments": []})["comments"].append(
                {"id": i, "author_id": 5 if agent else 10_000 + t, "html_body": html,
                 "public": i % 50 != 0, "created_at": ts})
        elif kind == "intercom":
            source = {"type": "conversation", "id": f"s{t}", "body": html,
                      "author": {"type": "user", "id": f"u{t}"}}
            conv = out.setdefault(t, {"type": "conversation", "id": str(t), "created_at": T0,
                                      "source": source,
                                      "conversation_parts": {"conversation_parts": []}})
            if i % 8:
                conv["conversation_parts"]["conversation_parts"].append(
                    {"id": str(i), "part_type": "comment", "body": html, "created_at": T0 + i,
                     "author": {"type": "admin" if agent else "user", "id": "a1"}})
        elif kind == "freshdesk":
            tk = out.setdefault(t, {"id": t, "requester_id": 10_000 + t, "source": 1,
                                    "description": html, "created_at": ts, "conversations": []})
            if i % 8:
                tk["conversations"].append({"id": i, "body": html, "incoming": not agent,
                                            "private": False, "user_id": 1, "created_at": ts})
        else:
            out.setdefault(0, []).append(
                {"id": str(i), "type": "MESSAGE", "conversationsThreadId": str(t), "createdAt": ts,
                 "createdBy": "A-1" if agent else f"V-{t}", "senders": [], "richText": html,
                 "channelId": "1000"})
    if kind == "hubspot":
        return {"results": out.get(0, [])}
    items = list(out.values())
    return {"tickets": items} if kind == "zendesk" else (
        {"type": "conversation.list", "conversations": items} if kind == "intercom" else items)


def write_exports(rows: list[dict], d: Path) -> list[str]:
    """Write one synthetic export per product reader; returns the file names."""
    (d / "whatsapp.txt").write_text(_whatsapp(rows), encoding="utf-8")
    (d / "message_1.json").write_text(json.dumps(_meta(rows)), encoding="utf-8")
    (d / "result.json").write_text(json.dumps(_telegram(rows)), encoding="utf-8")
    names = ["whatsapp.txt", "message_1.json", "result.json"]
    for kind in ("zendesk", "intercom", "freshdesk", "hubspot"):
        (d / f"{kind}.json").write_text(json.dumps(_tickets(rows, kind)), encoding="utf-8")
        names.append(f"{kind}.json")
    return names


def main() -> None:
    import pandas as pd

    from mining.io.corpus import load_corpus

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    load_start = round(os.getloadavg()[0], 1)
    rows = make_rows(n)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        lines = "".join(json.dumps(r) + "\n" for r in rows)
        (d / "m.jsonl").write_text(lines, encoding="utf-8")
        (d / "m.jsonl.gz").write_bytes(gzip.compress(lines.encode()))
        pd.DataFrame(rows).to_csv(d / "m.csv", index=False)
        pd.DataFrame(rows).to_parquet(d / "m.parquet")
        for name in ("m.jsonl", "m.csv", "m.jsonl.gz", "m.parquet"):
            for redact in (True, False):
                t0 = time.perf_counter()
                corpus = load_corpus(d / name, timezone="Europe/Berlin", redact=redact)
                secs = time.perf_counter() - t0
                assert corpus.reconciles()
                results[f"{name} redact={redact}"] = {
                    "messages_read": corpus.n_read,
                    "accepted": corpus.n_accepted,
                    "rejected": corpus.n_rejected,
                    "seconds": round(secs, 3),
                    "messages_per_second": round(corpus.n_read / secs),
                }
                print(name, f"redact={redact}", results[f"{name} redact={redact}"], flush=True)
        for name in write_exports(rows, d):
            t0 = time.perf_counter()
            corpus = load_corpus(d / name, agent_names=["Bright Smile Dental", "Shop"])
            secs = time.perf_counter() - t0
            assert corpus.reconciles()
            fmt = corpus.sources["format"].iloc[0]
            results[f"{fmt} ({name}) redact=True"] = {
                "messages_read": corpus.n_read,
                "accepted": corpus.n_accepted,
                "rejected": corpus.n_rejected,
                "seconds": round(secs, 3),
                "messages_per_second": round(corpus.n_read / secs),
            }
            print(fmt, name, results[f"{fmt} ({name}) redact=True"], flush=True)
    out = {
        "benchmark": "ingest",
        "command": f"{Path(sys.executable).name} benchmarks/bench_ingest.py {n}",
        "n_messages": n,
        "python": platform.python_version(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        # 1-minute load average at the start and the end: on a shared machine the figures scale
        # with it (compare readers within one run, not across runs)
        "load_average": [load_start, round(os.getloadavg()[0], 1)],
        "results": results,
    }
    path = Path(__file__).resolve().parent / "results" / "ingest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
