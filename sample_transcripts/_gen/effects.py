"""Recompute the planted effects from the generated files (chat JSONL, mbox, CSVs, labels).

This module reads the files the way a user's pipeline would (it does not look at the simulation),
joins the ground-truth labels by message id, and applies the definitions documented in
``sample_transcripts/README.md``. The generator writes its result to ``planted_effects.json``;
the tests recompute it from the committed files and compare.
"""

from __future__ import annotations

import csv
import json
import mailbox
import os
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

BUSINESSES = {"brightsmile": "brightsmile-dental.example", "ledgerly": "ledgerly.example"}
STAGES = ["awareness", "consideration", "decision", "purchase", "retention"]
STRATEGIES = ["discount", "value", "social_proof", "guarantee", "payment", "clarification",
              "scheduling", "empathy"]
FOLLOWUP_DAYS = 7.0
COLD_AFTER_DAYS = 14.0


def _ts(s: str) -> datetime:
    return datetime.fromisoformat(s).astimezone(timezone.utc)


def read_messages(root: str) -> list:
    """All messages of both businesses: dicts with id, business, journey, channel, role, ts."""
    out = []
    for biz, domain in sorted(BUSINESSES.items()):
        with open(os.path.join(root, biz, "chat.jsonl"), encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                out.append({"id": r["message_id"], "business": biz, "journey": r["journey_id"],
                            "channel": "chat", "role": r["role"], "ts": _ts(r["timestamp"])})
        box = mailbox.mbox(os.path.join(root, biz, "inbox.mbox"),
                           factory=lambda f: BytesParser().parse(f, headersonly=True))
        for msg in box:
            frm = getaddresses([str(msg["From"])])[0][1].lower()
            to = getaddresses([str(msg["To"])])[0][1].lower()
            agent = frm.endswith("@" + domain)
            out.append({"id": str(msg["Message-ID"]).strip().strip("<>"), "business": biz,
                        "journey": to if agent else frm, "channel": "email",
                        "role": "agent" if agent else "customer",
                        "ts": parsedate_to_datetime(str(msg["Date"])).astimezone(timezone.utc)})
        box.close()
    return out


def read_csv(path: str) -> list:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _rate(k: int, n: int):
    return round(k / n, 4) if n else None


def compute(root: str) -> dict:
    """The realised planted effects, pooled over both businesses and per business."""
    msgs = read_messages(root)
    labels = {r["message_id"]: r for r in read_csv(os.path.join(root, "ground_truth", "labels.csv"))}
    missing = [m["id"] for m in msgs if m["id"] not in labels]
    if missing:
        raise ValueError(f"{len(missing)} messages have no label, e.g. {missing[:3]}")
    outcomes, events = {}, defaultdict(list)
    for biz in sorted(BUSINESSES):
        for r in read_csv(os.path.join(root, biz, "outcomes.csv")):
            outcomes[r["journey_id"]] = {
                "converted": r["converted"] == "true",
                "at": _ts(r["converted_at"]) if r["converted_at"] else None, "business": biz}
        for r in read_csv(os.path.join(root, biz, "events.csv")):
            events[r["journey_id"]].append(_ts(r["timestamp"]))
    for m in msgs:  # open journeys have no outcome row yet: not converted
        outcomes.setdefault(m["journey"], {"converted": False, "at": None,
                                           "business": m["business"], "open": True})
    for m in msgs:
        lab = labels[m["id"]]
        m["stage"], m["is_obj"] = lab["stage"], lab["is_objection"] == "true"
        m["kind"], m["strategy"], m["replies_to"] = (lab["objection_kind"], lab["reply_strategy"],
                                                      lab["replies_to"])
    by_j = defaultdict(list)
    for i, m in enumerate(msgs):
        m["order"] = i
        by_j[m["journey"]].append(m)
    for ms in by_j.values():
        ms.sort(key=lambda m: (m["ts"], m["order"]))
    as_of = max([m["ts"] for m in msgs] + [t for ts in events.values() for t in ts]
                + [o["at"] for o in outcomes.values() if o["at"]])
    result = {"definitions_version": 1, "as_of": as_of.isoformat()}
    scopes = {"all": sorted(by_j)}
    for biz in sorted(BUSINESSES):
        scopes[biz] = sorted(j for j in by_j if outcomes[j]["business"] == biz)
    for scope, jids in scopes.items():
        result[scope] = _effects(jids, by_j, outcomes, events, as_of)
    return result


def _effects(jids, by_j, outcomes, events, as_of) -> dict:
    rank = {s: i for i, s in enumerate(STAGES)}
    res: dict = {}
    n_conv = sum(outcomes[j]["converted"] for j in jids)
    res["journeys"] = len(jids)
    res["messages"] = sum(len(by_j[j]) for j in jids)
    res["converted"] = n_conv
    res["conversion_rate"] = _rate(n_conv, len(jids))
    res["open_journeys"] = sum(bool(outcomes[j].get("open")) for j in jids)
    # (a) reply strategy x objection kind -> resolution
    cells = defaultdict(lambda: [0, 0])
    for j in jids:
        ms, conv = by_j[j], outcomes[j]
        for p, m in enumerate(ms):
            if m["role"] != "customer" or not m["is_obj"] or m["stage"] == "retention":
                continue
            reply = next((r for r in ms[p + 1:] if r["role"] == "agent" and r["replies_to"] == m["id"]), None)
            if reply is None or not reply["strategy"]:
                continue
            again = any(x["role"] == "customer" and x["is_obj"] and x["kind"] == m["kind"]
                        for x in ms[p + 1:])
            later = any(rank[x["stage"]] > rank[m["stage"]] for x in ms[p + 1:])
            conv_after = conv["converted"] and (conv["at"] is None or conv["at"] >= m["ts"])
            ok = (not again) and (later or conv_after)
            cells[(m["kind"], reply["strategy"])][0] += int(ok)
            cells[(m["kind"], reply["strategy"])][1] += 1
    table = {}
    for (kind, strat), (k, n) in sorted(cells.items()):
        table.setdefault(kind, {})[strat] = {"objections": n, "resolved": k, "rate": _rate(k, n)}
    res["resolution"] = table

    def pooled(kind, strats):
        k = sum(table.get(kind, {}).get(s, {}).get("resolved", 0) for s in strats)
        n = sum(table.get(kind, {}).get(s, {}).get("objections", 0) for s in strats)
        return {"strategies": strats, "objections": n, "resolved": k, "rate": _rate(k, n)}

    heads = {}
    for kind, best, worst in (("price", ["payment", "value"], ["empathy"]),
                              ("trust", ["social_proof"], ["empathy"]),
                              ("security", ["clarification"], ["empathy"]),
                              ("feature", ["clarification"], ["empathy"])):
        b, w = pooled(kind, best), pooled(kind, worst)
        heads[kind] = {"best": b, "baseline": w,
                       "ratio": round(b["rate"] / w["rate"], 3) if b["rate"] and w["rate"] else None}
    res["resolution_headlines"] = heads
    # (b) follow-ups: unanswered agent messages within 7 days of the first customer message
    buckets = {d: defaultdict(lambda: [0, 0]) for d in ("unanswered", "agent_messages")}
    for j in jids:
        ms, conv = by_j[j], outcomes[j]
        talk = [m for m in ms if m["role"] in ("customer", "agent")]
        cust = [m["ts"] for m in talk if m["role"] == "customer"]
        if not cust:
            continue
        t0 = min(cust)
        end = t0 + timedelta(days=FOLLOWUP_DAYS)
        if end > as_of and not conv["converted"]:
            continue
        n_un = n_all = 0
        prev = None
        for m in talk:
            if m["role"] == "agent" and t0 < m["ts"] <= end and \
                    not (conv["at"] is not None and m["ts"] > conv["at"]):
                n_all += 1
                n_un += prev == "agent"
            prev = m["role"]
        for d, n in (("unanswered", n_un), ("agent_messages", n_all)):
            key = "3+" if n >= 3 else str(n)
            buckets[d][key][0] += int(conv["converted"])
            buckets[d][key][1] += 1
    fu = {}
    for d, b in buckets.items():
        rows = {k: {"journeys": n, "converted": c, "rate": _rate(c, n)} for k, (c, n) in sorted(b.items())}
        r1, r3 = rows.get("1", {}).get("rate"), rows.get("3+", {}).get("rate")
        fu[d] = {"buckets": rows, "ratio_3plus_vs_1": round(r3 / r1, 3) if r1 and r3 else None}
    res["followups"] = fu
    # (c) channel of the first customer message
    ch = defaultdict(lambda: [0, 0])
    for j in jids:
        first = next((m for m in by_j[j] if m["role"] == "customer"), None)
        if first is None:
            continue
        ch[first["channel"]][0] += int(outcomes[j]["converted"])
        ch[first["channel"]][1] += 1
    chans = {c: {"journeys": n, "converted": k, "rate": _rate(k, n)} for c, (k, n) in sorted(ch.items())}
    res["first_channel"] = chans
    if chans.get("chat", {}).get("rate") and chans.get("email", {}).get("rate"):
        res["first_channel_ratio_chat_vs_email"] = round(chans["chat"]["rate"] / chans["email"]["rate"], 3)
    # (d) where leads go cold
    cold = defaultdict(int)
    n_cold = 0
    for j in jids:
        if outcomes[j]["converted"]:
            continue
        last_act = max([m["ts"] for m in by_j[j]] + events.get(j, []))
        if as_of - last_act < timedelta(days=COLD_AFTER_DAYS):
            continue
        n_cold += 1
        cold[by_j[j][-1]["stage"]] += 1
    res["cold"] = {"journeys": n_cold,
                   "by_stage": {s: {"journeys": cold[s], "share": _rate(cold[s], n_cold)}
                                for s in STAGES if cold[s]},
                   "top_stage": max(cold, key=lambda s: (cold[s], s)) if cold else None}
    return res


def _pct(d: dict) -> str:
    return f"{d['rate']:.1%} ({d['converted'] if 'converted' in d else d['resolved']}/" \
           f"{d['journeys'] if 'journeys' in d else d['objections']})"


def headline_lines(eff: dict) -> list:
    """Markdown table rows with the realised headline figures (quoted verbatim in the README)."""
    rows = []
    for scope in ("all", "brightsmile", "ledgerly"):
        a = eff[scope]
        p = a["resolution_headlines"]["price"]
        fu = a["followups"]["unanswered"]
        ch = a["first_channel"]
        cold = a["cold"]
        top = cold["top_stage"]
        rows.append(
            f"| {scope} | {a['journeys']} | {_pct({'rate': a['conversion_rate'], 'converted': a['converted'], 'journeys': a['journeys']})} "
            f"| payment+value {_pct(p['best'])} vs empathy {_pct(p['baseline'])} = {p['ratio']:.2f}x "
            f"| 3+ {_pct(fu['buckets']['3+'])} vs 1 {_pct(fu['buckets']['1'])} = {fu['ratio_3plus_vs_1']:.2f}x "
            f"| chat {_pct(ch['chat'])} vs email {_pct(ch['email'])} = {a['first_channel_ratio_chat_vs_email']:.2f}x "
            f"| {top} {cold['by_stage'][top]['journeys']}/{cold['journeys']} = {cold['by_stage'][top]['share']:.1%} |")
    return rows
