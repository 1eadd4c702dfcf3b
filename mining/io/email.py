"""E-mail reader: a folder of ``.eml`` files (searched recursively), ``.eml`` files or mbox files.

Pass every mailbox of one business in one call (``read_email([folder, "archive.mbox"])``) so
that threads are rebuilt across them.

Each message becomes one row of the messages table:

- ``message_id``: the Message-ID without angle brackets (a content hash ``…@journeymine.generated``
  when the header is missing, so the same message in two files gets the same id).
- ``conversation_id``: ``email-`` + a hash of the thread's root Message-ID (see
  :mod:`mining.io.email_threads`).
- ``journey_id``: the customer's address, lowercased: the first non-agent sender of the thread
  (or the first non-agent recipient when only agents wrote), so a customer's threads form one
  journey.
- ``role``: ``agent`` when the From address is in ``agent_addresses`` or its domain (or a
  subdomain) is in ``agent_domains``; otherwise ``customer``.
- ``author``: the display name, else the address. ``channel``: ``email``.
- ``timestamp``: the Date header in UTC (naive dates are taken in ``settings.timezone``); when it
  is missing or unparseable, the newest ``Received`` date, then the mbox ``From`` line; else NaT.
- ``text``: the decoded body (the text/plain part, else the HTML part converted to text).
- ``clean_text``: the author's own words: quoted replies and signatures removed, not yet redacted
  (the corpus redacts).

Rejects: E150 not an e-mail, E151 no text body, E152 empty after removing quotes and signatures,
E153 undecodable body, E154 unreadable file, E114 duplicate Message-ID, E116 longer than
``max_message_chars`` (measured on ``clean_text``, so long quoted history does not count).
"""

from __future__ import annotations

import hashlib
import mailbox
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any

from mining.config import IngestSettings
from mining.errors import Errors, InputError
from mining.io.base import ReadResult, reject_frame
from mining.io.email_threads import (
    ThreadItem,
    build_threads,
    conversation_id,
    normalize_subject,
    parse_ids,
)
from mining.text.clean import clean_email_body, html_to_text

EML_SUFFIXES = (".eml", ".msg.eml")
MBOX_SUFFIXES = (".mbox", ".mbx")
# compat32 keeps headers as strings: about three times faster than policy.default, whose header
# objects we do not need (encoded words and addresses are decoded below).
_PARSER = BytesParser(policy=policy.compat32)
_MBOX_ESCAPED_FROM = re.compile(rb"(?m)^>(>*From )")
_SURROGATE = re.compile("[\udc80-\udcff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
# WHATWG encoding rules: these labels mean a superset in practice.
_CHARSET_ALIASES = {
    "us-ascii": "cp1252", "ascii": "cp1252", "iso-8859-1": "cp1252", "iso8859-1": "cp1252",
    "latin1": "cp1252", "latin-1": "cp1252", "l1": "cp1252", "iso_8859-1": "cp1252",
    "iso-8859-9": "cp1254", "tis-620": "cp874", "iso-8859-11": "cp874",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "shift_jis": "cp932", "x-sjis": "cp932",
    "sjis": "cp932", "big5": "big5hkscs", "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8",
    "x-unknown": "", "unknown-8bit": "", "default": "", "x-user-defined": "",
}


@dataclass
class _Raw:
    path: str  # the file, as found
    record: str  # "1" for a .eml file, the 1-based index in an mbox
    data: bytes
    from_line: str = ""  # mbox "From " line


@dataclass
class _Parsed:
    raw: _Raw
    message_id: str
    refs: list[str]
    subject: str
    from_name: str
    from_addr: str
    recipients: list[str]
    date: datetime | None
    text: str
    clean_text: str
    notes: list[str] = field(default_factory=list)


# --- discovering and loading files ------------------------------------------------------------


def _is_mbox_file(path: Path) -> bool:
    if path.suffix.lower() in MBOX_SUFFIXES or path.name.lower() == "mbox":
        return True
    if path.suffix.lower() in EML_SUFFIXES:
        return False
    try:
        with open(path, "rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def _email_files(root: Path) -> list[Path]:
    files = []
    for p in sorted(root.rglob("*")):
        hidden = any(part.startswith(".") for part in p.relative_to(root).parts)
        if hidden or p.is_dir() or not (p.is_file() or p.is_symlink()):
            continue
        if p.suffix.lower() in EML_SUFFIXES:
            files.append(p)
    return files


def _iter_mbox(path: Path) -> Iterator[_Raw]:
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError as err:
        raise InputError(Errors.E107.format(path=path, detail=err.strerror or err)) from None
    if b"\x00" in head:
        raise InputError(Errors.E105.format(path=path, fmt="an mbox file"))
    if head.strip() and not head.lstrip(b"\r\n").startswith(b"From "):
        detail = "it does not start with a 'From ' line"
        raise InputError(Errors.E102.format(path=path, fmt="mbox", detail=detail))
    try:
        box = mailbox.mbox(str(path), factory=None, create=False)
        keys = box.keys()
    except (OSError, mailbox.Error) as err:
        raise InputError(Errors.E107.format(path=path, detail=err)) from None
    try:
        for n, key in enumerate(keys, start=1):
            data = box.get_bytes(key, from_=True)
            from_line, _, rest = data.partition(b"\n")
            rest = _MBOX_ESCAPED_FROM.sub(rb"\1", rest)  # mboxrd: ">From " -> "From "
            yield _Raw(str(path), str(n), rest, from_line.decode("ascii", "replace"))
    finally:
        box.close()


def _iter_raw(path: Path, *, top_level: bool) -> Iterator[_Raw | tuple[str, str]]:
    """Yield raw messages, or ``(path, detail)`` for an unreadable ``.eml`` in a folder."""
    if top_level and _is_mbox_file(path):
        yield from _iter_mbox(path)
        return
    try:
        data = path.read_bytes()
    except OSError as err:
        if top_level:
            raise InputError(Errors.E107.format(path=path, detail=err.strerror or err)) from None
        yield (str(path), str(err.strerror or type(err).__name__))
        return
    yield _Raw(str(path), "1", data)


# --- decoding ---------------------------------------------------------------------------------


def _codec(label: str | None) -> str | None:
    import codecs

    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _CHARSET_ALIASES.get(label, label)
    if not label:
        return None
    for cand in (label, re.sub(r"-[ie]$", "", label)):
        try:
            return codecs.lookup(cand).name
        except LookupError:
            continue
    return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, bool]:
    """Decode body bytes with a fallback chain.

    Tries the declared charset (WHATWG aliases: ``iso-8859-1`` and ``us-ascii`` mean
    windows-1252), but prefers UTF-8 when a single-byte charset is declared and the bytes are valid
    UTF-8 with non-ASCII characters (a common mislabel); then UTF-8, windows-1252 and Latin-1
    (which decodes any bytes).

    Args:
        data: The transfer-decoded body bytes.
        declared: The charset named by the message, if any.

    Returns:
        ``(text, ok)``; ``ok`` is False when the result looks like binary data rather than text.
    """
    if not data:
        return "", True
    codec = _codec(declared)
    chain: list[str] = []
    if codec in ("cp1252", "latin-1", "iso8859-1", "ascii") or codec is None:
        if any(b > 127 for b in data):
            chain.append("utf-8")
    if codec:
        chain.append(codec)
    chain += ["utf-8", "cp1252", "latin-1"]
    text = None
    for enc in dict.fromkeys(chain):
        try:
            text = data.decode(enc)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    if text is None:  # unreachable in practice: latin-1 decodes every byte
        text = data.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    sample = text[:20_000]
    ok = "\x00" not in sample and len(_CONTROL.findall(sample)) <= max(2, len(sample) // 50)
    return text, ok


def _raw_header(msg: Message, name: str) -> str:
    """A header's value as sent, unfolded ('' when absent); raw 8-bit bytes decoded."""
    for key, value in msg.raw_items():
        if key.lower() != name.lower():
            continue
        value = str(value)
        if _SURROGATE.search(value):
            value = decode_bytes(value.encode("ascii", "surrogateescape"))[0]
        return " ".join(value.split())
    return ""


def _decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words (``=?UTF-8?Q?Zo=C3=AB?=``), tolerating unknown charsets."""
    if "=?" not in value:
        return value.strip()
    try:
        parts = decode_header(value)
    except Exception:  # noqa: BLE001 - a malformed encoded word is kept as written
        return value.strip()
    out = []
    for data, charset in parts:
        out.append(data if isinstance(data, str) else decode_bytes(data, charset)[0])
    return "".join(out).strip()


def _header(msg: Message, name: str) -> str:
    """A decoded header value ('' when absent)."""
    return _decode_words(_raw_header(msg, name))


def _addresses(value: str) -> list[tuple[str, str]]:
    """``(display name, lowercased address)`` pairs of a raw (not yet decoded) address header."""
    out = []
    for name, addr in getaddresses([value]):
        addr = addr.strip().strip("<>").lower()
        if addr and "@" in addr:
            out.append((_decode_words(name).strip().strip('"').strip(), addr))
    return out


def _date(msg: Message, raw: _Raw, tz: Any) -> tuple[datetime | None, str]:
    """The message time in UTC and where it came from (``date``, ``received``, ``mbox``, ``""``)."""
    candidates = [("date", _header(msg, "Date"))]
    received = [v for k, v in msg.raw_items() if k.lower() == "received"]
    if received:
        candidates.append(("received", str(received[0]).rsplit(";", 1)[-1]))
    if raw.from_line:
        parts = raw.from_line.split(None, 2)
        if len(parts) == 3:
            candidates.append(("mbox", parts[2]))
    for origin, value in candidates:
        if not value or not value.strip():
            continue
        try:
            dt = parsedate_to_datetime(" ".join(str(value).split()))
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
        if dt is None:
            continue
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=tz)
        try:
            dt = dt.astimezone(timezone.utc)
        except (OverflowError, ValueError):
            continue
        if 1970 <= dt.year <= 2200:
            return dt, origin
    return None, ""


# --- body ---------------------------------------------------------------------------------------


def _is_attachment(part: Message) -> bool:
    disp = str(part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disp == "attachment"


def _body_parts(part: Message) -> list[Message]:
    """The text parts that make up the body: text/plain preferred within multipart/alternative."""
    ctype = part.get_content_type()
    if part.is_multipart():
        children = part.get_payload() if isinstance(part.get_payload(), list) else []
        if ctype == "multipart/alternative":
            plain = [c for c in children if c.get_content_type() == "text/plain"]
            if plain and any(_payload_bytes(c).strip() for c in plain):
                return plain[:1]
            for pref in ("text/html", "multipart/related", "multipart/mixed"):
                for c in children:
                    if c.get_content_type() == pref:
                        got = _body_parts(c)
                        if got:
                            return got
            return []
        out: list[Message] = []
        for c in children:
            if c.get_content_type() == "message/rfc822" or _is_attachment(c):
                continue
            out += _body_parts(c)
        return out
    if ctype in ("text/plain", "text/html") and not _is_attachment(part):
        return [part]
    return []


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken transfer encoding: use what is there
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    return data


def _unflow(text: str, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed soft line breaks."""
    out: list[str] = []
    buf = ""
    for line in text.split("\n"):
        if line.endswith(" ") and line != "-- ":
            buf += line[:-1] if delsp else line
        else:
            out.append(buf + line)
            buf = ""
    if buf:
        out.append(buf)
    return "\n".join(out)


def _extract_body(msg: Message) -> tuple[str, str, str | None, str]:
    """Return ``(text, clean source text, reject code or None, reject detail)``."""
    parts = _body_parts(msg)
    if not parts:
        has_attachments = any(_is_attachment(p) for p in msg.walk())
        return "", "", "E151", "; only attachments" if has_attachments else ""
    texts: list[str] = []
    cleans: list[str] = []
    for part in parts:
        data = _payload_bytes(part)
        charset = part.get_content_charset()
        is_html = part.get_content_type() == "text/html"
        if is_html and not charset:
            m = _META_CHARSET.search(data[:4096])
            charset = m.group(1).decode("ascii", "replace") if m else None
        text, ok = decode_bytes(data, charset)
        if not ok:
            return "", "", "E153", charset or "none"
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if is_html:
            texts.append(html_to_text(text))
            cleans.append(html_to_text(text, strip_quotes=True))
        else:
            if (part.get_param("format") or "").lower() == "flowed":
                text = _unflow(text, (part.get_param("delsp") or "").lower() == "yes")
            texts.append(text.strip("\n"))
            cleans.append(text)
    text = "\n\n".join(t for t in texts if t.strip())
    if not text.strip():
        return "", "", "E151", "; the body is empty"
    return text, "\n\n".join(cleans), None, ""


# --- the reader ---------------------------------------------------------------------------------


def _where(raw: _Raw) -> str:
    """The ``source`` of a message: the .eml file, or ``mbox#n``."""
    return f"{raw.path}#{raw.record}" if raw.from_line else raw.path


def _generated_id(msg: Message, data: bytes) -> str:
    key = "\x1f".join(_header(msg, h) for h in ("From", "To", "Date", "Subject"))
    body = data.split(b"\n\n", 1)[-1]
    digest = hashlib.sha1(key.encode("utf-8", "surrogatepass") + b"\x1f" + body).hexdigest()
    return f"{digest[:24]}@journeymine.generated"


def _parse(raw: _Raw, tz: Any) -> _Parsed | tuple[str, str]:
    """Parse one message, or return ``(code, reason)`` for a reject."""
    if not raw.data.strip():
        return "E150", Errors.E150.format(detail="the file is empty")
    if b"\x00" in raw.data[:4096]:
        return "E150", Errors.E150.format(detail="binary data, not a message")
    try:
        msg = _PARSER.parsebytes(raw.data)
    except Exception as err:  # noqa: BLE001 - the parser is lenient; anything else is a reject
        return "E150", Errors.E150.format(detail=type(err).__name__)
    names = {k.lower() for k in msg.keys()}
    if not names & {"from", "date", "message-id", "subject", "to"}:
        return "E150", Errors.E150.format(detail="no From, To, Date, Subject or Message-ID header")
    try:
        return _fields(msg, raw, tz)
    except Exception as err:  # noqa: BLE001 - a malformed message is a reject, never a crash
        return "E150", Errors.E150.format(detail=f"malformed structure ({type(err).__name__})")


def _fields(msg: Message, raw: _Raw, tz: Any) -> _Parsed | tuple[str, str]:
    """The row fields of a parsed message, or ``(code, reason)`` for a reject."""
    text, clean_src, code, detail = _extract_body(msg)
    if code == "E151":
        return code, Errors.E151.format(detail=detail)
    if code == "E153":
        return code, Errors.E153.format(charset=detail)
    ids = parse_ids(_header(msg, "Message-ID"))
    mid = ids[0] if ids else _generated_id(msg, raw.data)
    refs = parse_ids(_header(msg, "References"))
    refs += [r for r in parse_ids(_header(msg, "In-Reply-To")) if r not in refs]
    senders = _addresses(_raw_header(msg, "From")) or _addresses(_raw_header(msg, "Sender"))
    from_name, from_addr = senders[0] if senders else ("", "")
    if not from_name and not from_addr:
        from_name = " ".join(_header(msg, "From").split())
    recipients = [a for h in ("To", "Cc") for _, a in _addresses(_raw_header(msg, h))]
    date, origin = _date(msg, raw, tz)
    notes = [] if origin == "date" else [origin or "missing"]
    return _Parsed(
        raw=raw, message_id=mid, refs=[r for r in refs if r != mid],
        subject=_header(msg, "Subject"),
        from_name=from_name, from_addr=from_addr, recipients=recipients, date=date, text=text,
        clean_text=clean_email_body(clean_src, names=_names(from_name, from_addr)), notes=notes,
    )


def _names(display: str, addr: str) -> list[str]:
    """Name forms of a sender, for signature removal: display name and the address's first word."""
    out = [display] if display else []
    local = addr.split("@", 1)[0]
    first = re.split(r"[._+-]", local)[0]
    if first.isalpha() and len(first) > 1:
        out.append(first)
    return out


def _agent_matcher(settings: IngestSettings) -> Any:
    domains = tuple(
        d.strip().lower().lstrip("@").lstrip(".") for d in settings.agent_domains if d.strip()
    )
    addresses = {a.strip().lower().strip("<>") for a in settings.agent_addresses if a.strip()}

    def is_agent(addr: str) -> bool:
        if not addr:
            return False
        if addr in addresses:
            return True
        dom = addr.rsplit("@", 1)[-1]
        return any(dom == d or dom.endswith("." + d) for d in domains)

    return is_agent


def _sources(path: str | Path | Sequence[str | Path]) -> tuple[list[tuple[Path, bool]], str]:
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    if not paths:
        raise InputError(Errors.E006)
    out: list[tuple[Path, bool]] = []
    for p in map(Path, paths):
        if not p.exists():
            raise InputError(Errors.E100.format(path=p))
        if p.is_dir():
            files = _email_files(p)
            if not files:
                raise InputError(Errors.E108.format(path=p))
            out += [(f, False) for f in files]
        else:
            out.append((p, True))
    label = str(paths[0]) if len(paths) == 1 else ", ".join(str(p) for p in paths)
    return out, label


def read_email(
    path: str | Path | Sequence[str | Path], settings: IngestSettings | None = None
) -> ReadResult:
    """Read e-mail into a messages table, rebuilding threads.

    Args:
        path: A folder (its ``.eml`` files, found recursively; hidden files skipped; mbox files
            in it are not read, name them), an ``.eml`` file, an mbox file, or a list of these:
            threads are rebuilt across all of them, so pass every mailbox of one business
            together.
        settings: Ingestion settings (``agent_domains``, ``agent_addresses``, ``timezone``,
            ``max_message_chars``); the defaults when None.

    Returns:
        A :class:`~mining.io.base.ReadResult` with ``fmt="email"``; ``table.clean_text`` is filled
        (not redacted) and ``notes`` report timestamps taken from fallbacks and agent detection.

    Raises:
        InputError: [E100] a path does not exist, [E108] a folder has no e-mail files, [E102]
            / [E105] / [E107] an mbox file is not an mbox, is binary or cannot be read.
    """
    import pandas as pd

    from mining.io.fields import resolve_timezone
    from mining.schema import MESSAGES, conform

    settings = settings or IngestSettings()
    tz = resolve_timezone(settings.timezone)
    sources, label = _sources(path)
    rejects: list[tuple[str, str, str, str]] = []
    parsed: list[_Parsed] = []
    first_seen: dict[str, str] = {}
    n_read = 0
    for file, top in sources:
        for raw in _iter_raw(file, top_level=top):
            n_read += 1
            if isinstance(raw, tuple):
                rejects.append((raw[0], "1", "E154", Errors.E154.format(detail=raw[1])))
                continue
            res = _parse(raw, tz)
            if isinstance(res, tuple):
                rejects.append((raw.path, raw.record, res[0], res[1]))
                continue
            where = _where(raw)
            if res.message_id in first_seen:
                reason = Errors.E114.format(
                    field="Message-ID", value=res.message_id[:80], kept=first_seen[res.message_id]
                )
                rejects.append((raw.path, raw.record, "E114", reason))
                continue
            first_seen[res.message_id] = where
            if not res.clean_text:
                rejects.append((raw.path, raw.record, "E152", Errors.E152))
                continue
            if len(res.clean_text) > settings.max_message_chars:
                limit = settings.max_message_chars
                reason = Errors.E116.format(length=len(res.clean_text), limit=limit)
                rejects.append((raw.path, raw.record, "E116", reason))
                continue
            parsed.append(res)

    rows = _rows(parsed, settings)
    table = conform(pd.DataFrame(rows, columns=list(MESSAGES)), "messages")
    return ReadResult(
        table=table, rejects=reject_frame(rejects), n_read=n_read, source=label,
        notes=_notes(parsed, settings), kind="messages", fmt="email",
    )


def _rows(parsed: list[_Parsed], settings: IngestSettings) -> list[dict[str, Any]]:
    is_agent = _agent_matcher(settings)
    items = []
    for p in parsed:
        subject, reply = normalize_subject(p.subject)
        items.append(ThreadItem(
            message_id=p.message_id, references=p.refs, subject=subject, reply_prefix=reply,
            sender=p.from_addr, recipients=frozenset(p.recipients), date=p.date,
        ))
    roots = build_threads(items)
    by_thread: dict[str, list[_Parsed]] = {}
    for p in parsed:
        by_thread.setdefault(roots[p.message_id], []).append(p)
    journey: dict[str, str] = {}
    for root, msgs in by_thread.items():
        ordered = sorted(msgs, key=lambda m: (m.date is None, m.date.timestamp() if m.date else 0))
        senders = [m.from_addr for m in ordered if m.from_addr]
        customer = next((a for a in senders if not is_agent(a)), "")
        if not customer:
            customer = next((a for m in ordered for a in m.recipients if not is_agent(a)), "")
        journey[root] = customer or conversation_id(root)
    rows = []
    for p in parsed:
        root = roots[p.message_id]
        rows.append({
            "message_id": p.message_id,
            "conversation_id": conversation_id(root),
            "journey_id": journey[root],
            "timestamp": p.date,
            "channel": "email",
            "role": "agent" if is_agent(p.from_addr) else "customer",
            "author": p.from_name or p.from_addr or None,
            "text": p.text,
            "clean_text": p.clean_text,
            "source": _where(p.raw),
        })
    rows.sort(key=lambda r: (r["conversation_id"], r["timestamp"] is None, r["timestamp"] or 0))
    return rows


def _notes(parsed: Iterable[_Parsed], settings: IngestSettings) -> list[str]:
    notes = []
    counts: dict[str, int] = {}
    for p in parsed:
        for n in p.notes:
            counts[n] = counts.get(n, 0) + 1
    no_date = "message(s) without a valid Date header: time taken from the"
    if counts.get("received"):
        notes.append(f"{counts['received']} {no_date} Received header")
    if counts.get("mbox"):
        notes.append(f"{counts['mbox']} {no_date} mbox 'From ' line")
    if counts.get("missing"):
        notes.append(f"{counts['missing']} message(s) have no usable date: timestamp left empty")
    if not settings.agent_domains and not settings.agent_addresses:
        notes.append(
            "no agent domains or addresses given (--agent-domain, --agent-address): "
            "every sender is taken as a customer"
        )
    return notes
