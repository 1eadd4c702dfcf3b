"""A synthetic corpus of N messages in which at least 90% of the texts are distinct.

The sample generator (``sample_transcripts/_gen``) simulates journeys of the two sample businesses;
its phrase banks repeat, so at ten times the demo only about a quarter of its texts are distinct,
which makes the embedding cache do most of the work. Real corpora are mostly distinct texts, so
here every message gets what real messages have: greetings and sign-offs in many registers, names,
per-journey details (team size, city, dates, order numbers) and typos, drawn from a random
generator seeded per journey. Bot greetings stay as they are (templates repeat in real chats
too); the "<agent> joined the conversation" system lines are left out, as many chat exports do.
The wording below was written for this benchmark.

Usage (from benchmarks/scale.py)::

    stats = write_corpus(out_dir, n_messages=10_000, seed=7)
    # out_dir/messages.jsonl, out_dir/events.csv, out_dir/outcomes.csv
"""

from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MESSAGES_PER_JOURNEY = 14.4  # the sample generator's average

CUSTOMER_OPENERS = (
    "Hi,", "Hello,", "Hey,", "Hi there,", "Morning!", "Good afternoon,", "Quick question:",
    "Sorry to bother you again,", "Following up on this:", "Hey team,", "ok so", "Hi again,",
    "Thanks for getting back to me.", "Apologies for the slow reply.", "Hello again,",
    "Just checking in:", "Evening,", "hiya", "Good morning team,", "Hope you're well.",
    "One more thing:", "Sorry, me again.", "Hi {agent},", "Hey {agent},", "Dear {agent},",
)
CUSTOMER_CLOSERS = (
    "Thanks!", "Cheers.", "Thanks in advance.", "Let me know.", "Appreciate it.", "Talk soon.",
    "ty", "thx", "Best, {first}", "- {first}", "Thanks, {first}", "Many thanks.",
    "Looking forward to hearing from you.", "Cheers, {first}", "Thank you so much!",
    "Have a good {weekday}.", "Speak {weekday}.", "Regards, {first} {last}", "x", "Thanks again.",
)
CUSTOMER_DETAILS = (
    "We're a team of {n}.", "This is for our {city} office.", "My reference is {ref}.",
    "I need an answer before {weekday}.", "I'm on my phone so excuse typos.",
    "My colleague {other} asked me to reach out.", "We spoke on {weekday}.",
    "I'm free after {hour}.", "(ticket {ref})", "I'm writing from {city}.",
    "Our budget year ends in {month}.", "It's been {n} days since my last message.",
    "I found you through a friend in {city}.", "I can call at {hour} if that's easier.",
)
AGENT_OPENERS = (
    "Hi {first},", "Hello {first},", "Thanks for reaching out, {first}.", "Hi {first}!",
    "Great question, {first}.", "Thanks {first},", "Good to hear from you, {first}.",
    "Hey {first},", "Dear {first},", "Thanks for your patience, {first}.",
)
AGENT_CLOSERS = (
    "Let me know if that helps.", "Happy to jump on a call.", "- {agent}", "Best, {agent}",
    "Kind regards, {agent}", "Any other questions, just ask.", "Speak soon, {agent}",
    "Have a great {weekday}!", "I'll keep an eye on this thread.", "Thanks, {agent}",
)
CITIES = ("Leeds", "Austin", "Lyon", "Pune", "Denver", "Cork", "Porto", "Bristol", "Calgary",
          "Perth", "Malmo", "Tucson", "Graz", "Ottawa", "Bergen", "Durban", "Osaka", "Quito")
FIRSTS = ("Sam", "Priya", "Tom", "Ines", "Kwame", "Lena", "Raj", "Ana", "Ola", "Mark", "Yuki")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTHS = ("January", "March", "April", "June", "September", "October", "December")


def _typo(text: str, rng: random.Random) -> str:
    """One realistic slip in a word of four or more letters: swapped, dropped or doubled."""
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not idx:
        return text
    i = rng.choice(idx)
    w = words[i]
    k = rng.randrange(1, len(w) - 1)
    kind = rng.random()
    if kind < 0.4:
        w = w[:k] + w[k + 1] + w[k] + w[k + 2:]
    elif kind < 0.7:
        w = w[:k] + w[k + 1:]
    else:
        w = w[:k] + w[k] + w[k:]
    words[i] = w
    return " ".join(words)


def _fill(template: str, rng: random.Random, who: dict) -> str:
    return template.format(
        n=rng.randint(2, 400), city=rng.choice(CITIES), ref=f"#{rng.randint(10_000, 999_999)}",
        weekday=rng.choice(WEEKDAYS), other=rng.choice(FIRSTS), hour=f"{rng.randint(8, 18)}:"
        f"{rng.choice(('00', '15', '30', '45'))}", month=rng.choice(MONTHS), **who)


def vary(text: str, role: str, rng: random.Random, who: dict) -> str:
    """Return ``text`` with a greeting, sign-off, detail and/or typo, as real messages have.

    Args:
        text: The generator's message.
        role: customer, agent, bot or system (bot and system messages are left as they are).
        rng: The journey's random generator.
        who: ``first``, ``last`` (the customer) and ``agent`` names for the templates.

    Returns:
        The varied text; at least one change is made to customer and agent messages.
    """
    if role not in ("customer", "agent"):
        return text
    cust = role == "customer"
    openers, closers = ((CUSTOMER_OPENERS, CUSTOMER_CLOSERS) if cust
                        else (AGENT_OPENERS, AGENT_CLOSERS))
    out, changed = text, False
    if rng.random() < 0.5:
        out, changed = f"{_fill(rng.choice(openers), rng, who)} {out}", True
    if cust and rng.random() < 0.35:
        out, changed = f"{out} {_fill(rng.choice(CUSTOMER_DETAILS), rng, who)}", True
    if rng.random() < 0.45:
        out, changed = f"{out} {_fill(rng.choice(closers), rng, who)}", True
    if rng.random() < (0.45 if cust else 0.15) or not changed:
        out = _typo(out, rng) if rng.random() < 0.7 or not changed else out.lower()
    return out


def _journeys(n_messages: int, seed: int) -> list:
    sys.path.insert(0, str(ROOT / "sample_transcripts"))
    from _gen import sim  # the sample generator (standard library only)

    n = max(2, int(n_messages / MESSAGES_PER_JOURNEY * 1.25) + 2)
    return sim.simulate(seed, int(n * 0.54), n - int(n * 0.54))


def write_corpus(out: Path, n_messages: int, seed: int = 7) -> dict:
    """Write ``messages.jsonl``, ``events.csv`` and ``outcomes.csv`` with ~``n_messages`` messages.

    Args:
        out: Folder to write into (created).
        n_messages: How many messages to write (whole journeys, cut at the first journey that
            reaches the count).
        seed: Seed of the simulation and of the variation.

    Returns:
        Counts: messages, journeys, distinct texts and their share.
    """
    out.mkdir(parents=True, exist_ok=True)
    rows, events, outcomes, texts = [], [], [], set()
    for j in _journeys(n_messages, seed):
        if len(rows) >= n_messages:
            break
        jid = j.customer.journey_id
        rng = random.Random(f"vary:{seed}:{jid}")
        for k, m in enumerate(j.messages):
            if m.role == "system":
                continue
            who = {"first": j.customer.first, "last": j.customer.last,
                   "agent": (m.author.split()[0] if m.role == "agent" and m.author
                             else rng.choice(FIRSTS))}
            text = vary(m.text, m.role, rng, who)
            texts.add(text)
            rows.append({"message_id": f"{jid}#{k}", "conversation_id": m.conv or f"{jid}/email",
                         "journey_id": jid, "timestamp": m.ts.isoformat(), "channel": m.channel,
                         "role": m.role, "author": m.author, "text": text})
        events += [(jid, e.ts.isoformat(), e.event_type, e.channel,
                    "" if e.value is None else f"{e.value:.2f}") for e in j.events]
        outcomes.append((jid, "true" if j.converted else "false",
                         j.converted_at.isoformat() if j.converted else "",
                         f"{j.value:.2f}" if j.converted else ""))
    with open(out / "messages.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    _csv(out / "events.csv", ("journey_id", "timestamp", "event_type", "channel", "value"), events)
    _csv(out / "outcomes.csv", ("journey_id", "converted", "converted_at", "value"), outcomes)
    return {"messages": len(rows), "journeys": len(outcomes), "distinct_texts": len(texts),
            "distinct_share": round(len(texts) / max(1, len(rows)), 4)}


def _csv(path: Path, header: tuple, rows: list) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
