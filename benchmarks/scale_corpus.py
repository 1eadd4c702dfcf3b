"""A synthetic corpus of N messages in which at least 90% of the texts are distinct.

The sample generator (``sample_transcripts/_gen``) simulates journeys of the two sample businesses;
its phrase banks repeat, so at ten times the demo only about a quarter of its texts are distinct,
which makes the embedding cache do most of the work. Real corpora are mostly distinct texts, so
here every message gets what real messages have: greetings and sign-offs in many registers, names,
details (per journey: company, team size, e-mail, phone, account; per message: city, dates, times,
order and ticket numbers) and typos, drawn from a random generator seeded per journey. Canned agent
answers still repeat when they go out bare, as they do in real inboxes. Bot greetings stay as they
are (templates repeat in real chats too); the "<agent> joined the conversation" system lines are
left out, as many chat exports do.
The wording below was written for this benchmark.

Usage (from benchmarks/scale.py)::

    stats = write_corpus(out_dir, n_messages=10_000, seed=7)
    # out_dir/messages.jsonl, out_dir/events.csv, out_dir/outcomes.csv

or, to check the share of distinct texts without a run,
``python benchmarks/scale_corpus.py OUT_DIR 10000 30000 100000`` (one folder per N under OUT_DIR).
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
    "Thanks {agent}.", "Hi {agent}, thanks for the quick reply.", "So,", "Right,", "Ah ok.",
    "Hello, {first} here.", "It's {first} again.", "This is {first} {last} from {company}.",
    "Hi, writing on behalf of {company}.", "Sorry, got pulled into a meeting.",
    "Back at my desk now.", "Re your last message:",
    "Hi {agent}, hope your {weekday} is going well.",
    "Just seen this, sorry.", "hey, quick one", "Morning {agent},", "Afternoon!",
    "Thanks for the info.", "Happy {weekday}!", "Hello from {city}!", "um,", "Hm,",
)
CUSTOMER_CLOSERS = (
    "Thanks!", "Cheers.", "Thanks in advance.", "Let me know.", "Appreciate it.", "Talk soon.",
    "ty", "thx", "Best, {first}", "- {first}", "Thanks, {first}", "Many thanks.",
    "Looking forward to hearing from you.", "Cheers, {first}", "Thank you so much!",
    "Have a good {weekday}.", "Speak {weekday}.", "Regards, {first} {last}", "x", "Thanks again.",
    "{first} ({company})", "Kind regards, {first} {last}, {company}", "Thanks {agent}!",
    "Cheers {agent}", "Sent from my phone", "Thanks, {first} {last_initial}.",
    "Best wishes, {first}", "Speak later.", "Thanks for your help, {agent}.",
    "No rush, {first}", "Ta.", "thanks!!", "Have a nice evening.", "Much appreciated, {first}",
    "Thanks again, {agent}.", "Regards, {first}", "Chat soon.", "{first} {last_initial}",
)
CUSTOMER_DETAILS = (
    "We're a team of {team}.", "This is for our {city} office.", "My reference is {ref}.",
    "I need an answer before {weekday}.", "I'm on my phone so excuse typos.",
    "My colleague {other} asked me to reach out.", "We spoke on {weekday}.",
    "I'm free after {hour}.", "(ticket {ref})", "I'm writing from {city}.",
    "Our budget year ends in {month}.", "It's been {n} days since my last message.",
    "I found you through a friend in {city}.", "I can call at {hour} if that's easier.",
    "My account is under {email}.", "Order number {order}, in case you need it.",
    "We have about {team} people across {sites} sites.", "I'm the one who called on the {day}.",
    "{other} from accounts is cc'd.", "Best number for me is {phone}.",
    "We're based near {city}, if that matters.", "I'm off from the {day} for a week.",
    "We open a new site in {month}.",
    "I work {shift} shifts so evenings are hard.", "Our ref on your side was {ref}.",
    "PO {order} if that helps.", "The {city} team is {team} people.",
)
AGENT_OPENERS = (
    "Hi {first},", "Hello {first},", "Thanks for reaching out, {first}.", "Hi {first}!",
    "Great question, {first}.", "Thanks {first},", "Good to hear from you, {first}.",
    "Hey {first},", "Dear {first},", "Thanks for your patience, {first}.",
    "Hi {first}, {agent} here.", "Morning {first},", "Thanks for the details, {first}.",
    "Hi {first}, thanks for getting back to me.", "Afternoon {first},", "Of course, {first}.",
    "Hi {first}, good question.", "Thanks for waiting, {first}.", "Hello {first} {last},",
    "Sure thing {first}!", "No problem, {first}.", "Hi again {first},", "Dear {first} {last},",
    "Thanks, {first}, that helps.", "Hi {first}, hope the {city} team is well.",
)
AGENT_CLOSERS = (
    "Let me know if that helps.", "Happy to jump on a call.", "- {agent}", "Best, {agent}",
    "Kind regards, {agent}", "Any other questions, just ask.", "Speak soon, {agent}",
    "Have a great {weekday}!", "I'll keep an eye on this thread.", "Thanks, {agent}",
    "{agent} | {business}", "Best wishes, {agent}", "Cheers, {agent}", "Warm regards, {agent}",
    "{agent}, {business} team", "Talk {weekday}!", "Just reply here if anything's unclear.",
    "I'm in until {hour} today.", "Enjoy the rest of your {weekday}.",
    "Regards, {agent} ({business})",
    "Thanks again, {first}!", "All the best, {agent}", "{agent} - {business}",
    "Hope that helps, {first}.", "Any questions, {first}, just shout.", "Speak soon, {first}!",
    "Let me know what you think, {first}.", "Does that work for you, {first}?",
    "Over to you, {first}.", "Thanks for bearing with me, {first}.", "Have a good one, {first}!",
)
AGENT_DETAILS = (
    "I've noted this on your file ({ref}).", "I've copied in {other} from our {city} team.",
    "Your account number is {acct} for future reference.", "Case {ref} is updated.",
    "I've put a hold on {slot} for you.", "I've sent the details to {email} as well.",
    "That would be for all {team} of you.", "Our {city} office can help with that too.",
    "I'll check with {other} and confirm by {weekday}.", "Your quote ref is {ref}.",
    "Order {order} shows as received.", "I can do a call at {hour} on {weekday}.",
)
CITIES = ("Leeds", "Austin", "Lyon", "Pune", "Denver", "Cork", "Porto", "Bristol", "Calgary",
          "Perth", "Malmo", "Tucson", "Graz", "Ottawa", "Bergen", "Durban", "Osaka", "Quito",
          "Leicester", "Halifax", "Utrecht", "Nairobi", "Adelaide", "Raleigh", "Boise", "Ghent",
          "Krakow", "Tampere", "Wellington", "Monterrey", "Cardiff", "Salem", "Hamilton", "Brno")
FIRSTS = ("Sam", "Priya", "Tom", "Ines", "Kwame", "Lena", "Raj", "Ana", "Ola", "Mark", "Yuki",
          "Dev", "Maria", "Chris", "Aisha", "Jon", "Beth", "Luis", "Noor", "Pat", "Femi", "Kim")
COMPANY_A = ("North", "Blue", "Cedar", "Harbour", "Summit", "Oak", "Bright", "Iron", "Maple",
             "River", "Granite", "Clover", "Atlas", "Pine", "Silver", "Copper", "Kestrel")
COMPANY_B = ("Logistics", "Dental Lab", "Studio", "Builders", "Foods", "Accounting", "Labs",
             "Travel", "Print Co", "Clinic", "Legal", "Farms", "Media", "Supplies", "Motors")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


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


def profile(rng: random.Random, first: str, last: str) -> dict:
    """Per-journey details a customer repeats across messages (company, team, contact, account)."""
    company = f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)}"
    domain = company.lower().replace(" ", "")
    user = f"{first[:1]}.{last}".lower().replace("'", "")
    return {"company": company, "team": rng.randint(2, 400), "sites": rng.randint(2, 9),
            "email": f"{user}@{domain}.example",
            "phone": f"07{rng.randint(100, 999)} {rng.randint(100_000, 999_999)}",
            "acct": f"{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{rng.randint(10_000, 99_999)}",
            "shift": rng.choice(("early", "late", "night", "weekend")),
            "last_initial": f"{last[:1]}."}


def _fill(template: str, rng: random.Random, who: dict) -> str:
    day = rng.randint(1, 28)
    return template.format(
        n=rng.randint(2, 60), city=rng.choice(CITIES), ref=f"#{rng.randint(10_000, 999_999)}",
        weekday=rng.choice(WEEKDAYS), other=rng.choice(FIRSTS), hour=f"{rng.randint(8, 18)}:"
        f"{rng.choice(('00', '15', '30', '45'))}", month=rng.choice(MONTHS),
        order=f"{rng.randint(1000, 9999)}-{rng.randint(100, 999)}",
        day=f"{day}{'th' if 10 < day < 14 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}",
        slot=f"{rng.choice(WEEKDAYS)} at {rng.randint(8, 17)}:{rng.choice(('00', '30'))}", **who)


def vary(text: str, role: str, rng: random.Random, who: dict) -> str:
    """Return ``text`` with a greeting, sign-off, detail and/or typo, as real messages have.

    Args:
        text: The generator's message.
        role: customer, agent, bot or system (bot and system messages are left as they are).
        rng: The journey's random generator.
        who: ``first``, ``last`` (the customer), ``agent`` and ``business`` names and the
            journey's :func:`profile` for the templates.

    Returns:
        The varied text; at least one change is made to customer and agent messages.
    """
    if role not in ("customer", "agent"):
        return text
    cust = role == "customer"
    openers, closers, details = ((CUSTOMER_OPENERS, CUSTOMER_CLOSERS, CUSTOMER_DETAILS) if cust
                                 else (AGENT_OPENERS, AGENT_CLOSERS, AGENT_DETAILS))
    out, changed = text, False
    if rng.random() < (0.5 if cust else 0.55):
        out, changed = f"{_fill(rng.choice(openers), rng, who)} {out}", True
    if rng.random() < (0.35 if cust else 0.3):
        out, changed = f"{out} {_fill(rng.choice(details), rng, who)}", True
    if rng.random() < 0.5 or (not changed and rng.random() < 0.5):
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
        me = profile(rng, j.customer.first, j.customer.last)
        business = "BrightSmile Dental" if j.business == "brightsmile" else "Ledgerly"
        for k, m in enumerate(j.messages):
            if m.role == "system":
                continue
            who = {"first": j.customer.first, "last": j.customer.last, "business": business,
                   "agent": (m.author.split()[0] if m.role == "agent" and m.author
                             else rng.choice(FIRSTS)), **me}
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


if __name__ == "__main__":
    for n_arg in sys.argv[2:]:
        stats = write_corpus(Path(sys.argv[1]) / f"n{n_arg}", int(n_arg))
        print(json.dumps({"n": int(n_arg), **stats}))
