"""Render the email side of journeys as RFC 5322 messages (threading, quotes, signatures, HTML)."""

from __future__ import annotations

import html
import random
import re
from datetime import timedelta, timezone
from email.charset import QP, Charset
from email.generator import BytesGenerator
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, format_datetime
from io import BytesIO

from . import common

BUSINESS_TZ = {"brightsmile": -5, "ledgerly": -6}
INBOX = {"brightsmile": ("BrightSmile Dental", "hello@brightsmile-dental.example"),
         "ledgerly": ("Ledgerly Sales", "sales@ledgerly.example")}
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def _tz(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


def _gmail_header(ts, name, addr) -> str:
    d = ts
    return (f"On {d:%a}, {d.day} {d:%b} {d.year} at {d:%H:%M}, {name} <{addr}> wrote:")


def _outlook_block(ts, frm, to, subject, body) -> str:
    hour = ts.hour % 12 or 12
    sent = f"{DAYS[ts.weekday()]}, {MONTHS[ts.month - 1]} {ts.day}, {ts.year} {hour}:{ts:%M} " \
           f"{'AM' if ts.hour < 12 else 'PM'}"
    return ("-----Original Message-----\n"
            f"From: {frm[0]} <{frm[1]}>\nSent: {sent}\nTo: {to[0]} <{to[1]}>\n"
            f"Subject: {subject}\n\n{body}")


def _text_part(body: str, subtype: str) -> MIMEText:
    """A UTF-8 text part: 7bit when the text is ASCII, quoted-printable otherwise."""
    cs = Charset("utf-8")
    cs.body_encoding = None if body.isascii() else QP
    return MIMEText(body, subtype, cs)


def _quote(lines: str) -> str:
    return "\n".join(">" if not ln else "> " + ln for ln in lines.split("\n"))


class Renderer:
    """Turns one business's email messages into mbox entries, thread by thread."""

    def __init__(self, business: str, talk, seed: int):
        self.business = business
        self.talk = talk
        self.seed = seed

    def _msgid(self, rng: random.Random, m, cust) -> str:
        if m.role == "agent":
            return f"{m.ts:%Y%m%d%H%M%S}.{rng.getrandbits(40):010x}@{self.talk.DOMAIN}"
        domain = cust.email.split("@", 1)[1].lower()
        if cust.client == "outlook":
            return f"{rng.getrandbits(64):016X}{rng.getrandbits(16):04X}@{domain}"
        if cust.client == "apple":
            a = f"{rng.getrandbits(32):08X}-{rng.getrandbits(16):04X}-{rng.getrandbits(16):04X}"
            return f"{a}-{rng.getrandbits(48):012X}@{domain}"
        return f"CA{rng.getrandbits(120):030x}.{rng.randint(1000, 9999)}@mail.{domain}"

    def _customer_body(self, rng, m, cust, agent_first: str | None) -> str:
        greet = ""
        r = rng.random()
        if agent_first and r < 0.6:
            greet = rng.choice(common.EMAIL_GREETINGS).format(name=agent_first) + "\n\n"
        elif r < 0.8:
            greet = rng.choice(["Hi,", "Hello,", "Hi there,", "Hello there,"]) + "\n\n"
        sig = cust.signature
        name = f"{cust.first} {cust.last}"
        signoff = rng.choice(common.SIGNOFFS)
        comma = "" if signoff.endswith("!") else ","
        if sig == "iphone":
            tail = f"\n\n{signoff}\n{cust.first}\n\nSent from my iPhone"
        elif sig == "dashdash":
            tail = f"\n\n{signoff}{comma}\n{cust.first}\n\n-- \n{name}"
            if cust.company:
                tail += f"\n{cust.title}, {cust.company}"
        elif sig == "corp":
            tail = (f"\n\n{rng.choice(['Best regards', 'Kind regards', 'Regards', 'Thanks'])},\n{name}\n"
                    f"{cust.title} | {cust.company}\n+1 555 01{rng.randint(10, 99)}")
        else:
            tail = f"\n\n{signoff}{comma}\n{cust.first}"
        return greet + m.text + tail

    def _agent_body(self, rng, m, cust) -> str:
        first = cust.first
        greet = rng.choice(["Hi {n},", "Hello {n},", "Dear {n},", "Hi {n},"]).format(n=first)
        text = m.text
        own_greeting = re.match(r"(Hi|Hello|Hey)( again)? [^,!]+[,!]\s*", text)
        if own_greeting:  # follow-ups already start with "Hi Fiona,"
            greet, text = own_greeting.group(0).strip(), text[own_greeting.end():]
            text = text[0].upper() + text[1:]
        name = m.author
        title = next((a[2] for a in self.talk.AGENTS if a[0] == name), "")
        if self.business == "ledgerly" and rng.random() < 0.5:
            sig = f"-- \n{name}\n{title} | {self.talk.NAME}\n{self.talk.PHONE}\nledgerly.example"
            close = rng.choice(["Best,", "Thanks,", "Cheers,"]) + f"\n{name.split()[0]}\n\n"
        else:
            sig = f"{name}\n{title}, {self.talk.NAME}\n{self.talk.PHONE}"
            close = rng.choice(["Best regards,", "Kind regards,", "Warm regards,", "Many thanks,"]) + "\n"
        return f"{greet}\n\n{text}\n\n{close}{sig}"

    def _html(self, own: str, quoted: str) -> str:
        paras = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>"
                        for p in own.split("\n\n"))
        q = ""
        if quoted:
            q = ("<blockquote style=\"margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex\">"
                 + html.escape(quoted).replace("\n", "<br>") + "</blockquote>")
        return f"<html><body><div style=\"font-family:Arial,sans-serif\">{paras}</div>{q}</body></html>\n"

    def render_journey(self, j, label_rows: list, entries: list):
        """Give every email of journey ``j`` an id and headers; append (ts, id, bytes) to entries."""
        cust = j.customer
        rng = random.Random(f"{self.seed}:mail:{j.business}:{j.index}")
        threads: dict = {}
        for m in j.messages:
            if m.channel != "email":
                continue
            th = threads.setdefault(m.conv, {"ids": [], "prev": None, "root": None})
            mid = self._msgid(rng, m, cust)
            m.message_id = mid
            if th["root"] is None:
                th["root"] = mid
            m.conversation_id = th["root"]
            prev = th["prev"]
            inbox = INBOX[self.business]
            cust_addr = (f"{cust.first} {cust.last}", cust.email)
            if m.role == "customer":
                frm = cust_addr
                to = (prev["author"], prev["addr"]) if prev and prev["role"] == "agent" else inbox
                tz = _tz(cust.tz_hours)
                agent_first = prev["author"].split()[0] if prev and prev["role"] == "agent" else None
                if agent_first == "Dr.":
                    agent_first = "Dr. Ruiz"
                own = self._customer_body(rng, m, cust, agent_first)
                style = cust.client
            else:
                frm = (m.author, m.addr)
                to = cust_addr
                tz = _tz(BUSINESS_TZ[self.business])
                own = self._agent_body(rng, m, cust)
                style = "gmail"
            local = m.ts.astimezone(tz)
            quoted = ""
            body = own
            if prev is not None and (style != "plain" or rng.random() < 0.3):
                p_local = prev["ts"].astimezone(tz)
                if style == "outlook":
                    block = _outlook_block(p_local, (prev["author"], prev["addr"]), prev["to"],
                                           prev["subject"], prev["own"])
                    body = own + "\n\n" + block + "\n"
                    quoted = block
                elif style == "apple":
                    head = f"On {p_local.day} {p_local:%b} {p_local.year}, at {p_local:%H:%M}, " \
                           f"{prev['author']} <{prev['addr']}> wrote:"
                    body = own + "\n\n" + _quote(head + "\n\n" + prev["own"]) + "\n"
                    quoted = prev["own"]
                else:
                    head = _gmail_header(p_local, prev["author"], prev["addr"])
                    body = own + "\n\n" + head + "\n" + _quote(prev["own"]) + "\n"
                    quoted = prev["own"]
            else:
                body = own + "\n"
            if prev is None:
                subject = m.subject
            else:
                re = "RE: " if (m.role == "customer" and style == "outlook") else "Re: "
                subject = re + m.subject
            want_html = (m.role == "agent" and self.business == "ledgerly" and rng.random() < 0.4) or \
                (m.role == "agent" and rng.random() < 0.12) or \
                (m.role == "customer" and style == "outlook" and rng.random() < 0.5)
            text_part = _text_part(body, "plain")
            if want_html:
                msg = MIMEMultipart("alternative", boundary=f"=_jm{rng.getrandbits(64):016x}")
                msg.attach(text_part)
                msg.attach(_text_part(self._html(own, quoted), "html"))
            else:
                msg = text_part
            content = list(msg.items())
            for k in {k for k, _ in content}:
                del msg[k]
            msg["From"] = formataddr(frm, charset="utf-8")
            msg["To"] = formataddr(to, charset="utf-8")
            msg["Date"] = format_datetime(local)
            msg["Subject"] = subject
            msg["Message-ID"] = f"<{mid}>"
            if prev is not None:
                msg["In-Reply-To"] = f"<{prev['id']}>"
                msg["References"] = " ".join(f"<{x}>" for x in th["ids"][-8:])
            for k, v in content:
                msg[k] = v
            buf = BytesIO()
            BytesGenerator(buf, mangle_from_=True, maxheaderlen=78).flatten(msg)
            ts_utc = m.ts.astimezone(timezone.utc)
            from_line = f"From {frm[1]} {ts_utc:%a %b} {ts_utc.day:2d} {ts_utc:%H:%M:%S %Y}\n"
            entries.append((m.ts, mid, from_line.encode("ascii") + buf.getvalue()))
            th["ids"].append(mid)
            th["prev"] = {"id": mid, "author": frm[0], "addr": frm[1], "role": m.role, "ts": m.ts,
                          "own": own, "subject": subject, "to": to}
