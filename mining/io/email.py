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
- ``role``: ``system`` for auto-replies, bounces and no-reply notifications (``Auto-Submitted``,
  ``X-Autoreply``, ``Precedence: bulk``, ``mailer-daemon@``/``no-reply@`` senders); ``agent`` when
  the From address is in ``agent_addresses`` or its domain (or a subdomain) is in
  ``agent_domains``; otherwise ``customer``.
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
from email.message import Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pandas as pd

from mining.config import IngestSettings
from mining.errors import Errors, InputError
from mining.io.base import ReadResult, reject_frame
from mining.io.email_body import addresses, extract_body, header, raw_header
from mining.io.email_threads import (
    ThreadItem,
    build_threads,
    conversation_id,
    normalize_subject,
    parse_ids,
)
from mining.io.fields import resolve_timezone
from mining.schema import MESSAGES, conform
from mining.text.clean import clean_email_body

EML_SUFFIXES = (".eml", ".msg.eml")
MBOX_SUFFIXES = (".mbox", ".mbx")
# compat32 keeps headers as strings: about three times faster than policy.default, whose header
# objects we do not need (encoded words and addresses are decoded in mining.io.email_body).
_PARSER = BytesParser(policy=policy.compat32)
_AUTOMATIC_SENDERS = frozenset(
    "mailer-daemon postmaster no-reply noreply do-not-reply donotreply no_reply".split()
)
_MBOX_ESCAPED_FROM = re.compile(rb"(?m)^>(>*From )")


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
    automatic: bool = False  # an auto-reply, bounce or no-reply notification
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


def _date(msg: Message, raw: _Raw, tz: Any) -> tuple[datetime | None, str]:
    """The message time in UTC and where it came from (``date``, ``received``, ``mbox``, ``""``)."""
    candidates = [("date", header(msg, "Date"))]
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


# --- the reader ---------------------------------------------------------------------------------


def _where(raw: _Raw) -> str:
    """The ``source`` of a message: the .eml file, or ``mbox#n``."""
    return f"{raw.path}#{raw.record}" if raw.from_line else raw.path


def _generated_id(msg: Message, data: bytes) -> str:
    key = "\x1f".join(header(msg, h) for h in ("From", "To", "Date", "Subject"))
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
    text, clean_src, code, detail = extract_body(msg)
    if code == "E151":
        return code, Errors.E151.format(detail=detail)
    if code == "E153":
        return code, Errors.E153.format(charset=detail)
    ids = parse_ids(header(msg, "Message-ID"))
    mid = ids[0] if ids else _generated_id(msg, raw.data)
    refs = parse_ids(header(msg, "References"))
    refs += [r for r in parse_ids(header(msg, "In-Reply-To")) if r not in refs]
    senders = addresses(raw_header(msg, "From")) or addresses(raw_header(msg, "Sender"))
    from_name, from_addr = senders[0] if senders else ("", "")
    if not from_name and not from_addr:
        from_name = " ".join(header(msg, "From").split())
    recipients = [a for h in ("To", "Cc") for _, a in addresses(raw_header(msg, h))]
    date, origin = _date(msg, raw, tz)
    notes = [] if origin == "date" else [origin or "missing"]
    return _Parsed(
        raw=raw, message_id=mid, refs=[r for r in refs if r != mid],
        subject=header(msg, "Subject"),
        from_name=from_name, from_addr=from_addr, recipients=recipients, date=date, text=text,
        clean_text=clean_email_body(clean_src, names=_names(from_name, from_addr)), notes=notes,
        automatic=_is_automatic(msg, from_addr),
    )


def _is_automatic(msg: Message, from_addr: str) -> bool:
    """Auto-replies (out of office), bounces and no-reply notifications (RFC 3834 and customs)."""
    auto = header(msg, "Auto-Submitted").lower()
    if auto and not auto.startswith("no"):
        return True
    if header(msg, "X-Autoreply") or header(msg, "X-Autorespond"):
        return True
    if header(msg, "Precedence").lower() in ("auto_reply", "bulk", "junk"):
        return True
    return from_addr.split("@", 1)[0] in _AUTOMATIC_SENDERS


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
    exact = {a.strip().lower().strip("<>") for a in settings.agent_addresses if a.strip()}

    def is_agent(addr: str) -> bool:
        if not addr:
            return False
        if addr in exact:
            return True
        dom = addr.rsplit("@", 1)[-1]
        return any(dom == d or dom.endswith("." + d) for d in domains)

    return is_agent


def _expand(path: Path) -> list[tuple[Path, bool]]:
    """The files of one input: ``(file, given directly)``."""
    if not path.exists():
        raise InputError(Errors.E100.format(path=path))
    if path.is_dir():
        files = _email_files(path)
        if not files:
            raise InputError(Errors.E108.format(path=path))
        return [(f, False) for f in files]
    return [(path, True)]


@dataclass
class _Batch:
    """What was read from one input path."""

    label: str
    n_read: int = 0
    rejects: list[tuple[str, str, str, str]] = field(default_factory=list)
    parsed: list[_Parsed] = field(default_factory=list)


def _read_batches(paths: list[Path], settings: IngestSettings) -> list[_Batch]:
    tz = resolve_timezone(settings.timezone)
    plan = [(p, _expand(p)) for p in paths]  # every path is checked before any is read
    batches: list[_Batch] = []
    first_seen: dict[str, str] = {}
    limit = settings.max_message_chars
    for path, files in plan:
        batch = _Batch(str(path))
        batches.append(batch)
        for file, top in files:
            for raw in _iter_raw(file, top_level=top):
                batch.n_read += 1
                if isinstance(raw, tuple):
                    batch.rejects.append((raw[0], "1", "E154", Errors.E154.format(detail=raw[1])))
                    continue
                res = _parse(raw, tz)
                if isinstance(res, tuple):
                    batch.rejects.append((raw.path, raw.record, res[0], res[1]))
                    continue
                mid = res.message_id
                if mid in first_seen:
                    reason = Errors.E114.format(field="Message-ID", value=mid[:80],
                                                kept=first_seen[mid])
                    batch.rejects.append((raw.path, raw.record, "E114", reason))
                    continue
                first_seen[mid] = _where(raw)
                if not res.clean_text:
                    batch.rejects.append((raw.path, raw.record, "E152", Errors.E152))
                elif len(res.clean_text) > limit:
                    reason = Errors.E116.format(length=len(res.clean_text), limit=limit)
                    batch.rejects.append((raw.path, raw.record, "E116", reason))
                else:
                    batch.parsed.append(res)
    return batches


def _as_paths(path: str | Path | Sequence[str | Path]) -> list[Path]:
    paths = [Path(path)] if isinstance(path, (str, Path)) else [Path(p) for p in path]
    if not paths:
        raise InputError(Errors.E006)
    return paths


def _result(batches: list[_Batch], rows: list[dict[str, Any]], settings: IngestSettings,
            label: str, *, agent_note: bool) -> ReadResult:
    parsed = [p for b in batches for p in b.parsed]
    rejects = [r for b in batches for r in b.rejects]
    table = conform(pd.DataFrame(rows, columns=list(MESSAGES)), "messages")
    return ReadResult(
        table=table, rejects=reject_frame(rejects), n_read=sum(b.n_read for b in batches),
        source=label, notes=_notes(parsed, settings, agent_note=agent_note), kind="messages",
        fmt="email",
    )


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
    settings = settings or IngestSettings()
    paths = _as_paths(path)
    batches = _read_batches(paths, settings)
    rows = _rows([p for b in batches for p in b.parsed], settings)
    label = ", ".join(str(p) for p in paths)
    return _result(batches, rows, settings, label, agent_note=True)


def read_email_sources(
    paths: Sequence[str | Path], settings: IngestSettings | None = None
) -> list[ReadResult]:
    """Read several e-mail inputs with threads rebuilt across all of them, one result per input.

    Use this rather than one :func:`read_email` call per input when a thread may span inputs (a
    folder of ``.eml`` exports and an mbox archive): conversation and journey ids are then the
    same as if everything had been read at once, while counts and rejects stay per input.

    Args:
        paths: Folders, ``.eml`` files and mbox files, as for :func:`read_email`.
        settings: Ingestion settings; the defaults when None.

    Returns:
        One :class:`~mining.io.base.ReadResult` per path, in order (``source`` is that path).

    Raises:
        InputError: As :func:`read_email`, before anything is read.
    """
    settings = settings or IngestSettings()
    batches = _read_batches(_as_paths(list(paths)), settings)
    rows = _rows([p for b in batches for p in b.parsed], settings)
    by_batch: dict[int, list[dict[str, Any]]] = {}
    owner = {id(p): i for i, b in enumerate(batches) for p in b.parsed}
    for row in rows:
        by_batch.setdefault(owner[row.pop("_parsed")], []).append(row)
    return [
        _result([b], by_batch.get(i, []), settings, b.label, agent_note=i == 0)
        for i, b in enumerate(batches)
    ]


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
        senders = [m.from_addr for m in ordered if m.from_addr and not m.automatic]
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
            "role": "system" if p.automatic else "agent" if is_agent(p.from_addr) else "customer",
            "author": p.from_name or p.from_addr or None,
            "text": p.text,
            "clean_text": p.clean_text,
            "source": _where(p.raw),
            "_parsed": id(p),
        })
    rows.sort(key=lambda r: (r["conversation_id"], r["timestamp"] is None, r["timestamp"] or 0))
    return rows


def _notes(parsed: Iterable[_Parsed], settings: IngestSettings, *, agent_note: bool) -> list[str]:
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
    if agent_note and not settings.agent_domains and not settings.agent_addresses:
        notes.append(
            "no agent domains or addresses given (--agent-domain, --agent-address): "
            "every sender is taken as a customer"
        )
    return notes
