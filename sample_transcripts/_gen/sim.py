"""Simulate customer journeys: a timeline of messages and events with ground-truth labels."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from . import common, model
from . import dental_objections, dental_talk, saas_objections, saas_talk

UTC = timezone.utc
START = datetime(2025, 9, 1, tzinfo=UTC)
LAST_START = datetime(2026, 2, 22, tzinfo=UTC)
# Late journeys start in the last weeks before the end of the data: most are still open (no
# outcome yet, recent activity), so `journeymine predict` has leads to score.
LATE_START = datetime(2026, 3, 2, tzinfo=UTC)
CUTOFF = datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
NEXT = {"awareness": "consideration", "consideration": "decision", "decision": "purchase",
        "purchase": "retention"}


class _Stop(Exception):
    """The journey ran past the end of the data."""


@dataclass
class Msg:
    """One message with its ground-truth labels (ids are given when files are written)."""

    channel: str
    role: str
    author: str
    addr: str
    ts: datetime
    text: str
    stage: str
    act: str
    conv: str
    is_objection: bool | None = None
    kind: str = ""
    strategy: str = ""
    replies_to: int = -1  # index of the answered objection in the journey's messages
    follow_up: bool = False
    subject: str = ""
    message_id: str = ""
    conversation_id: str = ""


@dataclass
class Event:
    """A touchpoint that is not a message."""

    ts: datetime
    event_type: str
    channel: str
    value: float | None = None


@dataclass
class Customer:
    """Who the customer is and how they write."""

    first: str
    last: str
    email: str  # empty for anonymous chat visitors
    journey_id: str
    casual: float
    client: str  # gmail, outlook, apple, plain
    signature: str
    tz_hours: float
    company: str = ""
    title: str = ""


@dataclass
class Journey:
    """A simulated journey: its messages, events and outcome."""

    business: str
    index: int
    customer: Customer
    first_channel: str
    cadence: int
    product: str
    messages: list = field(default_factory=list)
    events: list = field(default_factory=list)
    converted: bool = False
    converted_at: datetime | None = None
    value: float | None = None


class Business:
    """The phrase banks of one business behind one interface."""

    def __init__(self, key: str):
        self.key = key
        if key == "brightsmile":
            self.talk, self.obj = dental_talk, dental_objections.OBJECTIONS
        else:
            self.talk, self.obj = saas_talk, saas_objections.OBJECTIONS
        self.dental = key == "brightsmile"
        self.prefix = "bs" if self.dental else "ld"


_GREETING = re.compile(r"^(hi|hello|hey)( there)?[,!]?\s+", re.IGNORECASE)


def _strip_greeting(text: str) -> str:
    out = _GREETING.sub("", text)
    return out[0].upper() + out[1:] if out and out != text else text


def _weighted(rng: random.Random, weights: dict):
    keys = sorted(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys], k=1)[0]


class Simulator:
    """Builds one journey message by message."""

    def __init__(self, biz: Business, j: Journey, rng: random.Random, conv_counter: list,
                 window: tuple = (START, LAST_START)):
        self.b, self.j, self.rng = biz, j, rng
        self.window = window  # the journey starts at a uniform time in this window
        self.t = None
        self.channel = j.first_channel
        self.chat_conv = ""
        self.chat_agent_joined = False
        self.thread = None  # (conversation key, subject)
        self.conv_counter = conv_counter
        self.used_kinds: set = set()
        self.t0 = None
        self.first_gap_done = False
        self.agent = self._pick_agent("awareness")
        self.discounted = False
        self.asked: set = set()
        # the journey's engagement: scales every chance to move on (advance or resolve)
        self.factor = model.CHANNEL_FACTOR[j.first_channel] * model.CADENCE_FACTOR[j.cadence]

    # ----- people and time -------------------------------------------------------------------
    def _pick_agent(self, stage: str):
        agents = self.b.talk.AGENTS
        if self.b.dental:
            if stage == "retention":
                return agents[1]
            return agents[self.rng.choice([0, 0, 1, 2, 2])] if self.t is None else self.agent
        return {"awareness": agents[2], "consideration": agents[0], "decision": agents[0],
                "purchase": agents[0], "retention": agents[3]}[stage]

    def _agent_addr(self, agent) -> str:
        return f"{agent[1]}@{self.b.talk.DOMAIN}"

    def _advance(self, seconds: float):
        self.t = self.t + timedelta(seconds=seconds)
        if self.t > CUTOFF:
            raise _Stop

    def _business_hours(self):
        """Move the clock to agent working hours (13:00-23:00 UTC, Monday to Saturday)."""
        t = self.t
        if t.hour >= 23 or t.hour < 13:
            day = t if t.hour < 13 else t + timedelta(days=1)
            t = day.replace(hour=13, minute=0, second=0) + timedelta(minutes=self.rng.uniform(2, 95))
        if t.weekday() == 6:
            t = t + timedelta(days=1)
        self.t = t.replace(microsecond=0)
        if self.t > CUTOFF:
            raise _Stop

    def _new_conv(self, kind: str) -> str:
        self.conv_counter[0] += 1
        return f"{self.b.prefix}-{kind}-{self.conv_counter[0]:05d}"

    # ----- messages --------------------------------------------------------------------------
    def _add(self, **kw) -> int:
        m = Msg(**kw)
        self.j.messages.append(m)
        return len(self.j.messages) - 1

    def _customer_name(self) -> str:
        c = self.j.customer
        if not c.email:
            return f"Visitor {self.j.index + 1000}"
        return f"{c.first} {c.last}"

    def customer(self, text: str, stage: str, act: str, delay: float | None = None, **labels) -> int:
        """The customer writes ``text`` after ``delay`` seconds (a channel default if None)."""
        rng = self.rng
        if self.channel == "chat":
            if delay is None:
                delay = rng.uniform(15, 200)
            self._advance(delay)
            force = labels.pop("new_thread", False)
            labels.pop("subject", None)
            last = self.j.messages[-1] if self.j.messages else None
            pending = last is not None and last.channel == "chat" and last.role == "agent" \
                and last.conv == self.chat_conv
            last_chat = next((m for m in reversed(self.j.messages) if m.channel == "chat"), None)
            stale = last_chat is None or (self.t - last_chat.ts).total_seconds() > 6 * 3600
            if not self.chat_conv or force or (stale and not pending):
                if 3 <= self.t.hour < 12:  # nobody starts a chat at 3am local time
                    self.t = self.t.replace(hour=12, minute=0, second=0) + \
                        timedelta(minutes=rng.uniform(0, 360))
                    if self.t > CUTOFF:
                        raise _Stop
                self.chat_conv = self._new_conv("chat")
                self.chat_agent_joined = False
                greet = self.b.talk.BOT
                self._add(channel="chat", role="bot", author=greet, addr="",
                          ts=self.t - timedelta(seconds=rng.randint(3, 40)),
                          text=rng.choice(BOT_GREETINGS[self.b.key]), stage=stage, act="greeting",
                          conv=self.chat_conv)
            text = common.chat_style(rng, text, self.j.customer.casual)
            return self._add(channel="chat", role="customer", author=self._customer_name(),
                             addr=self.j.customer.email, ts=self.t, text=text, stage=stage,
                             act=act, conv=self.chat_conv,
                             is_objection=labels.pop("is_objection", False), **labels)
        if delay is None:
            delay = rng.uniform(3600, 30 * 3600)
        self._advance(delay)
        last_email = next((m for m in reversed(self.j.messages) if m.channel == "email"), None)
        if self.thread is None or last_email is None or (self.t - last_email.ts).days > 20 \
                or labels.pop("new_thread", False):
            subject = labels.pop("subject", None) or self._subject(stage)
            self.thread = (self._new_conv("mail"), subject)
        labels.pop("subject", None)
        labels.pop("new_thread", None)
        if self.j.customer.casual > 0.6 and rng.random() < 0.25:
            text = common.add_typo(rng, text)
        return self._add(channel="email", role="customer", author=self._customer_name(),
                         addr=self.j.customer.email, ts=self.t, text=text, stage=stage, act=act,
                         conv=self.thread[0], subject=self.thread[1],
                         is_objection=labels.pop("is_objection", False), **labels)

    def agent_say(self, text: str, stage: str, act: str, delay: float | None = None, **labels) -> int:
        """The agent writes ``text`` (in the current channel)."""
        rng = self.rng
        agent = self._pick_agent(stage) if stage in ("retention",) or not self.b.dental else self.agent
        if self.channel == "chat":
            if delay is None:
                delay = rng.uniform(40, 900) if not self.chat_agent_joined else rng.uniform(20, 150)
            self._advance(delay)
            if labels.get("follow_up"):
                self._business_hours()
            if not self.chat_agent_joined:
                self._add(channel="chat", role="system", author="system", addr="",
                          ts=self.t - timedelta(seconds=rng.randint(2, 20)),
                          text=f"{agent[0]} joined the conversation", stage=stage, act="join",
                          conv=self.chat_conv)
                self.chat_agent_joined = True
            return self._add(channel="chat", role="agent", author=agent[0],
                             addr=self._agent_addr(agent), ts=self.t, text=text, stage=stage,
                             act=act, conv=self.chat_conv, **labels)
        if delay is None:
            delay = rng.uniform(1200, 20 * 3600)
        self._advance(delay)
        self._business_hours()
        if self.thread is None:
            self.thread = (self._new_conv("mail"), self._subject(stage))
        return self._add(channel="email", role="agent", author=agent[0],
                         addr=self._agent_addr(agent), ts=self.t, text=text, stage=stage,
                         act=act, conv=self.thread[0], subject=self.thread[1], **labels)

    def _subject(self, stage: str) -> str:
        rng, talk = self.rng, self.b.talk
        if stage == "retention":
            return rng.choice(talk.RETENTION_SUBJECTS)
        if self.b.dental:
            return rng.choice(talk.EMAIL_SUBJECTS[self.j.product])
        return rng.choice(talk.EMAIL_SUBJECTS).format(company=self.j.customer.company or "us")

    # ----- phrase choice ---------------------------------------------------------------------
    def _fits(self, text: str) -> bool:
        """Dental phrasings that name a treatment must name this journey's treatment."""
        if not self.b.dental:
            return True
        low = text.lower() + " "
        hits = {t for t, (_, _, kws) in dental_talk.TREATMENTS.items() if any(k in low for k in kws)}
        return hits - {"checkup"} <= {self.j.product}

    def _choose(self, items, key=lambda x: x):
        fitting = [x for x in items if self._fits(key(x))]
        return self.rng.choice(fitting or items)

    def _qa(self, stage: str, k: int):
        pool = [p for p in self.b.talk.QA[stage] if self._fits(p[0]) and p[0] not in self.asked]
        picked = self.rng.sample(pool, min(k, len(pool)))
        self.asked.update(q for q, _ in picked)
        return picked

    def _fmt(self, text: str) -> str:
        c = self.j.customer
        treatment = dental_talk.TREATMENTS[self.j.product][0] if self.b.dental else ""
        return text.format(first=c.first if c.email else "there", treatment=treatment,
                           company=c.company or "your team")

    # ----- building blocks -------------------------------------------------------------------
    def exchange(self, stage: str, pairs, lead: str = "", act: str = "question",
                 first_delay: float | None = None):
        """Customer asks (one email, or one chat line per question), the agent answers."""
        rng = self.rng
        if not pairs:
            return
        if any(m.role == "customer" for m in self.j.messages):  # no second "Hi," mid-conversation
            pairs = [(_strip_greeting(q), a) for q, a in pairs]
        if lead:
            q0 = pairs[0][0]
            q0 = q0[0].lower() + q0[1:] if lead.endswith(",") else q0
            pairs = [(lead + " " + q0, pairs[0][1])] + list(pairs[1:])
        if self.channel == "email":
            self.customer("\n\n".join(q for q, _ in pairs), stage, act, delay=first_delay)
            self.agent_say("\n\n".join(a for _, a in pairs), stage, "answer")
            return
        for i, (q, a) in enumerate(pairs):
            self.customer(q, stage, act, delay=first_delay if i == 0 else None)
            self.agent_say(a, stage, "answer")
            if rng.random() < 0.22:
                self.customer(rng.choice(common.ACKS), stage, "ack")

    def objection(self, stage: str, lead: str = "") -> bool:
        """The customer raises an objection; returns True when the agent's reply resolved it."""
        rng = self.rng
        weights = {k: w for k, w in model.KIND_BY_STAGE[stage].items() if k not in self.used_kinds}
        if not weights:
            return True
        kind = _weighted(rng, weights)
        self.used_kinds.add(kind)
        phr = self._choose(self.b.obj[kind])
        text = phr
        if rng.random() < 0.3:  # a question and an objection in one message
            pool = [p for p in self.b.talk.QA[stage] if self._fits(p[0])]
            if pool:
                q = rng.choice(pool)[0]
                text = f"{q} {phr}" if rng.random() < 0.5 else f"{phr} Also, {q[0].lower() + q[1:]}"
        if lead:
            text = lead + " " + (text[0].lower() + text[1:] if lead.endswith(",") else text)
        oi = self.customer(text, stage, "objection", is_objection=True, kind=kind)
        tried: list = []
        for round_ in range(2):
            if rng.random() < model.P_NO_REPLY:
                return False
            choice = {s: w for s, w in model.STRATEGY_CHOICE[kind].items() if s not in tried}
            strat = _weighted(rng, choice)
            tried.append(strat)
            self.agent_say(self._reply_text(strat, kind), stage, "objection_reply", strategy=strat,
                           replies_to=oi)
            if strat == "discount":
                self.discounted = True
            if rng.random() < min(0.95, model.RESOLVE[kind][strat] * self.factor):
                return True
            if round_ == 0 and rng.random() < model.P_REPEAT:
                others = [p for p in self.b.obj[kind] if p != phr]
                phr = self._choose(others)
                prefix = rng.choice(common.REPEAT_PREFIXES)
                text = prefix + phr[0].lower() + phr[1:]
                oi = self.customer(text, stage, "objection", is_objection=True, kind=kind)
                continue
            break
        if rng.random() < 0.7:
            self.customer(rng.choice(common.UNRESOLVED), stage, "unresolved")
        return False

    def _reply_text(self, strat: str, kind: str) -> str:
        rng = self.rng
        pool = self.b.talk.CLARIFY[kind] if strat == "clarification" else self.b.talk.REPLIES[strat]
        body = self._fmt(self._choose(pool))
        r = rng.random()
        if strat == "empathy" and r < 0.5 or strat != "empathy" and r < 0.4:
            body = rng.choice(common.KIND_ACKS[kind]) + " " + body
        elif strat != "empathy" and r < 0.6:
            body = rng.choice(REPLY_OPENERS) + " " + body
        if strat != "empathy" and rng.random() < 0.4:
            body = body + " " + rng.choice(REPLY_CLOSERS)
        if strat == "empathy" and rng.random() < 0.35:
            body = body + " " + rng.choice(EMPATHY_TAILS)
        return body

    def chasers(self, n: int, start_after: float, window_end: datetime | None, stage: str,
                only_after: datetime | None = None):
        """Send ``n`` agent follow-ups while the customer is silent."""
        rng = self.rng
        sent = 0
        t_last = self.t
        first = self.t + timedelta(days=start_after)
        if window_end is not None and n > 1:
            room = (window_end - first).total_seconds() / 86400
            step = max(0.3, min(1.6, room / (n - 1)))
        else:
            step = rng.uniform(2.5, 6)
        t = first
        for _ in range(n):
            if window_end is not None and t > window_end:
                break
            if only_after is not None and t <= only_after:
                t = only_after + timedelta(hours=rng.uniform(6, 40))
            self.t = t
            if self.t > CUTOFF:
                raise _Stop
            saved = self.t
            pool = [c for c in self.b.talk.CHASERS if self.channel == "email" or
                    not any(w in c for w in ("inbox", "email", "note", "sent over", "I sent"))]
            self.agent_say(self._fmt(rng.choice(pool)), stage, "follow_up",
                           delay=0, follow_up=True)
            if window_end is not None and self.t > window_end:  # moved by business hours
                self.j.messages.pop()
                self.t = saved
                break
            sent += 1
            t_last = self.t
            t = self.t + timedelta(days=step * rng.uniform(0.85, 1.0) if window_end else
                                   rng.uniform(3, 8))
        self.t = t_last
        return sent

    def gap(self, stage: str, advance: bool):
        """The customer goes quiet; agents may follow up; returns the return delay or None."""
        rng = self.rng
        window_end = self.t0 + timedelta(days=6.9)
        if not self.first_gap_done:
            self.first_gap_done = True
            n = self.j.cadence
            if n:
                self.chasers(n, rng.uniform(0.7, 1.3), window_end, stage)
                return rng.uniform(3 * 3600, 28 * 3600) if advance else None
            return rng.uniform(4 * 3600, 4 * 86400) if advance else None
        later = self.t0 + timedelta(days=7.2)
        if advance:
            d = rng.uniform(0.6, 8) * 86400
            if d > 3 * 86400 and rng.random() < 0.35 and self.t + timedelta(days=1.5) > later:
                self.chasers(1, 1.5, None, stage, only_after=later)
                d = rng.uniform(3 * 3600, 2 * 86400)
            return d
        k = rng.choice([0, 1, 1, 2])
        if k:
            self.chasers(k, rng.uniform(2, 5), None, stage, only_after=later)
        return None

    def maybe_switch(self, stage: str):
        c = self.j.customer
        if not c.email:
            return
        p = 0.30 if self.channel == "chat" and stage in ("decision", "purchase") else 0.10
        if self.rng.random() < p:
            self.channel = "email" if self.channel == "chat" else "chat"

    # ----- the journey -----------------------------------------------------------------------
    def run(self):
        try:
            self._run()
        except _Stop:
            pass

    def _run(self):
        rng, j = self.rng, self.j
        lo, hi = self.window
        self.t = lo + timedelta(seconds=rng.uniform(0, (hi - lo).total_seconds()))
        self.t = self.t.replace(hour=rng.choice([7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                                 21, 22, 23]), microsecond=0)
        if rng.random() < 0.35:
            j.events.append(Event(self.t - timedelta(minutes=rng.uniform(3, 4000)), "visit", "web"))
        self.t0 = self.t
        factor = self.factor
        lead = ""
        resume = None
        stage_i = 0
        order = ["awareness", "consideration", "decision", "purchase"]
        first = True
        while stage_i < 4:
            stage = order[stage_i]
            if not first:
                self.maybe_switch(stage)
            self.agent = self.agent if self.b.dental else self._pick_agent(stage)
            self._stage_events(stage)
            if first:
                opener = self._opener()
                pre = ""
                if self.channel == "chat" and rng.random() < 0.35 and \
                        not opener[0].lower().startswith(("hi", "hey", "hello")):
                    pre = rng.choice(common.GREETINGS) + (", " if rng.random() < 0.5 else "! ")
                if rng.random() < 0.12:
                    pre = pre + rng.choice(common.SMALL_TALK) + " "
                q = opener[0]
                if rng.random() < (0.5 if self.channel == "email" else 0.15):
                    ctx = rng.choice(self.b.talk.CONTEXT)
                    q = f"{ctx} {q}" if rng.random() < 0.5 else f"{q}\n\n{ctx}"
                    if self.channel == "chat":
                        q = q.replace("\n\n", " ")
                if pre:
                    q = pre + q[0].lower() + q[1:] if pre.endswith(", ") else pre + q
                self.customer(q, stage, "question", delay=0)
                self.agent_say(opener[1], stage, "answer")
                extra = rng.choice([0, 0, 1]) if self.channel == "chat" else 0
                self.exchange(stage, self._qa(stage, extra))
                first = False
            elif stage == "purchase" and rng.random() < model.P_OBJECTION[stage]:
                # a last hurdle before buying: the objection comes before the purchase itself
                if self.objection(stage, lead=lead):
                    self.exchange(stage, self._qa(stage, 1), lead=rng.choice(common.RESOLVED_ACKS),
                                  first_delay=self._resume_delay())
                    self._convert()
                    return
                self.gap(stage, advance=False)
                return
            else:
                k = rng.choice([1, 1, 2]) if self.channel == "chat" else rng.choice([1, 2])
                self.exchange(stage, self._qa(stage, k), lead=lead, first_delay=resume)
            lead = ""
            resume = None
            if rng.random() < 0.12:
                self.customer(rng.choice(self.b.talk.NON_OBJECTIONS), stage, "non_objection")
                self.agent_say(rng.choice(self.b.talk.NON_OBJECTION_ANSWERS), stage, "answer")
            if stage != "purchase" and rng.random() < model.P_OBJECTION[stage]:
                if self.objection(stage):
                    lead = rng.choice(common.RESOLVED_ACKS)
                    resume = self._resume_delay()
                    stage_i += 1
                    continue  # the customer moves on (at once, or after thinking it over)
                self.gap(stage, advance=False)
                return
            if rng.random() < min(0.98, model.P_ADVANCE[stage] * factor):
                if stage == "purchase":
                    self._convert()
                    return
                delay = self.gap(stage, advance=True)
                self.t = self.t + timedelta(seconds=delay)
                if self.t > CUTOFF:
                    return
                lead = rng.choice(common.RETURN_PREFIXES).strip()
                stage_i += 1
                continue
            if rng.random() < 0.35:
                self.customer(rng.choice(common.UNRESOLVED), stage, "unresolved")
            self.gap(stage, advance=False)
            return

    def _resume_delay(self) -> float | None:
        """After an objection is resolved: the same session, or back after thinking it over."""
        if self.rng.random() < 0.35:
            return None
        return self.rng.uniform(2 * 3600, 2 * 86400)

    def _opener(self):
        if self.b.dental:
            return self.rng.choice(dental_talk.OPENERS[self.j.product])
        return self.rng.choice(saas_talk.OPENERS)

    def _stage_events(self, stage: str):
        rng, j = self.rng, self.j
        if stage == "consideration" and rng.random() < 0.3:
            j.events.append(Event(self.t + timedelta(minutes=rng.uniform(-600, -5)), "visit", "web"))
        if stage == "decision":
            if self.b.dental:
                if rng.random() < 0.5:
                    j.events.append(Event(self.t + timedelta(minutes=rng.uniform(5, 300)), "booking", "web"))
            else:
                if rng.random() < 0.6:
                    j.events.append(Event(self.t + timedelta(minutes=rng.uniform(-300, -5)), "demo_request", "web"))
                if rng.random() < 0.5:
                    j.events.append(Event(self.t + timedelta(hours=rng.uniform(2, 30)), "trial_start", "web"))

    def _convert(self):
        rng, j = self.rng, self.j
        conv_t = self.t + timedelta(minutes=rng.uniform(10, 3 * 1440))
        if conv_t > CUTOFF:
            return
        j.converted, j.converted_at = True, conv_t.replace(microsecond=0)
        if self.b.dental:
            base = dental_talk.TREATMENTS[j.product][1]
            value = round(base * rng.uniform(0.9, 1.15) / 5) * 5
        else:
            name, price, (lo, hi) = saas_talk.PLANS[j.product]
            value = round(price * rng.randint(lo, hi) * 12, 2)
        if self.discounted:
            value = round(value * 0.9, 2)
        j.value = float(value)
        j.events.append(Event(j.converted_at, "purchase", "in_person" if self.b.dental else "web", j.value))
        self.t = j.converted_at
        self._retention()

    def _retention(self):
        rng, j = self.rng, self.j
        n = rng.choice([0, 1, 1, 2, 3]) if self.b.dental else rng.choice([1, 1, 2, 3, 4])
        self.used_kinds = set(self.used_kinds)
        for _ in range(n):
            self.t = self.t + timedelta(days=rng.uniform(6, 45))
            if self.t > CUTOFF:
                return
            if j.customer.email:
                self.channel = rng.choice(["chat", "email"])
            pairs = self._qa("retention", 1)
            q, a = pairs[0]
            self.customer(q, "retention", "question", delay=0, new_thread=True,
                          subject=rng.choice(self.b.talk.RETENTION_SUBJECTS))
            self.agent_say(a, "retention", "answer")
            low = q.lower()
            if "cancel" in low:
                j.events.append(Event(self.t, "cancellation", self.channel))
            elif "renew" in low:
                j.events.append(Event(self.t, "renewal", self.channel, j.value))
            elif any(w in low for w in ("fail", "wrong", "logged me out", "came off", "cracked",
                                        "lost a filling", "higher than the quote")):
                j.events.append(Event(self.t, "support_ticket", self.channel))
            if rng.random() < 0.3:
                self.customer(rng.choice(common.ACKS), "retention", "ack")
                if rng.random() < 0.5:
                    self.agent_say(rng.choice(common.AGENT_CLOSERS), "retention", "answer")
            if rng.random() < model.P_OBJECTION["retention"]:
                ok = self.objection("retention")
                if not ok:
                    j.events.append(Event(self.t + timedelta(days=rng.uniform(1, 9)), "cancellation",
                                          "web"))
                    return


BOT_GREETINGS = {
    "brightsmile": [
        "Hi! Welcome to BrightSmile Dental. How can we help today?",
        "Hello! A member of our team will be with you shortly.",
        "Hi there, thanks for reaching out to BrightSmile Dental!",
    ],
    "ledgerly": [
        "Hi! Welcome to Ledgerly. What brings you here today?",
        "Hey there! Someone from the team will reply in a few minutes.",
        "Welcome! Ask us anything about Ledgerly.",
    ],
}
REPLY_OPENERS = [
    "Thanks for letting me know.", "Good question.", "Thanks for flagging that.", "I understand.",
    "That's a fair point.", "Thanks for being upfront.", "Happy to help with that.", "Sure thing.",
]
REPLY_CLOSERS = [
    "Would that help?", "Does that work for you?", "Let me know what you think.",
    "How does that sound?", "Would that make it easier?", "Shall I set that up?",
]
EMPATHY_TAILS = [
    "Let me know if you have any other questions.", "Just reach out whenever you're ready.",
    "We're here if you need anything.",
]


def make_customer(biz: Business, rng: random.Random, index: int, first_channel: str,
                  used_emails: set) -> Customer:
    """A customer with a name, a unique address and a writing style."""
    if rng.random() < 0.08:
        first, last = rng.choice(common.NON_ASCII_NAMES)
    else:
        first, last = rng.choice(common.FIRST_NAMES), rng.choice(common.LAST_NAMES)
    company = title = ""
    if biz.dental:
        domain = rng.choice(common.PERSONAL_DOMAINS)
    else:
        a, b = rng.choice(saas_talk.COMPANY_WORDS[0]), rng.choice(saas_talk.COMPANY_WORDS[1])
        company = f"{a} {b}"
        domain = f"{a.lower()}{b.lower()}.{rng.choice(['example', 'test', 'example'])}"
        title = rng.choice(["Finance Manager", "Controller", "Head of Finance", "CFO", "AP Lead",
                            "Operations Manager", "Bookkeeper", "Founder", "Finance Director"])
    anonymous = biz.dental and first_channel == "chat" and rng.random() < 0.35 or \
        (not biz.dental and first_channel == "chat" and rng.random() < 0.2)
    email = ""
    if not anonymous:
        ascii_first = _ascii(first).lower()
        ascii_last = _ascii(last).lower().replace("'", "")
        style = rng.choice(["{f}.{l}", "{f}{l}", "{f0}{l}", "{f}_{l}{n}", "{f}{n}"])
        local = style.format(f=ascii_first, l=ascii_last, f0=ascii_first[0], n=rng.randint(1, 99))
        email = f"{local}@{domain}"
        while email.lower() in used_emails:
            email = f"{local}{rng.randint(2, 999)}@{domain}"
        used_emails.add(email.lower())
        if rng.random() < 0.08:  # some people type their address with capitals
            email = email[0].upper() + email[1:]
    jid = email.lower() if email else f"visitor-{biz.prefix}-{rng.getrandbits(32):08x}"
    client = rng.choice(["gmail", "gmail", "outlook", "apple", "plain"])
    if not biz.dental and rng.random() < 0.4:
        client = "outlook"
    sig = rng.choice(["plain", "dashdash", "iphone", "corp"] if not biz.dental else
                     ["plain", "plain", "dashdash", "iphone"])
    tz = rng.choice([-5, -5, -5, -6, -8] if biz.dental else [-8, -7, -6, -5, -5, 0, 0, 1, -4])
    return Customer(first=first, last=last, email=email, journey_id=jid,
                    casual=rng.random(), client=client, signature=sig, tz_hours=tz,
                    company=company, title=title)


def _ascii(s: str) -> str:
    import unicodedata

    s = s.replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("ı", "i").replace("ð", "d")
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")


def simulate(seed: int, n_dental: int, n_saas: int, n_late: tuple = (0, 0)) -> list:
    """Simulate all journeys of both businesses, deterministically from ``seed``.

    ``n_late`` (dental, SaaS) more journeys per business start between ``LATE_START`` and the
    end of the data; they are simulated after the others, so they change none of them.
    """
    journeys = []
    for key, n, late in (("brightsmile", n_dental, n_late[0]), ("ledgerly", n_saas, n_late[1])):
        biz = Business(key)
        used: set = set()
        counter = [0]
        for i in range(n + late):
            rng = random.Random(f"{seed}:{key}:{i}")
            first_channel = "chat" if rng.random() < 0.55 else "email"
            cadence = _weighted(rng, model.CADENCE_WEIGHTS)
            if biz.dental:
                product = _weighted(rng, dental_talk.TREATMENT_WEIGHTS)
            else:
                product = _weighted(rng, saas_talk.PLAN_WEIGHTS)
            cust = make_customer(biz, rng, i, first_channel, used)
            j = Journey(business=key, index=i, customer=cust, first_channel=first_channel,
                        cadence=cadence, product=product)
            window = (START, LAST_START) if i < n else (LATE_START, CUTOFF)
            Simulator(biz, j, rng, counter, window).run()
            if j.messages:
                journeys.append(j)
    return journeys
