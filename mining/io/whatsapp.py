"""WhatsApp chat exports: the ``.txt`` file, or the ``.zip`` WhatsApp makes when media are included.

Android writes ``12/31/23, 9:41 PM - Name: text`` (or ``31/12/2023, 21:41 - Name: text``); iOS
writes ``[31.12.23, 21:41:05] Name: text``. Both come with 12- or 24-hour clocks, day-first or
month-first dates in the phone's locale, U+200E (left-to-right) marks before system text and
attachments, and U+202F (narrow no-break space) before AM/PM. A message runs until the next line
that starts with a date, so multi-line messages stay whole.

- Dates: day-first or month-first is decided per file from the values (a first number above 12
  means day-first, a second one month-first); when every date fits both, the order that keeps
  the messages in time order wins, else the date style decides (dots or a 24-hour clock:
  day-first; slashes with AM/PM: month-first) and a note (W120) says so. ``--date-order`` forces
  an order. Times are the exporting phone's local time, taken in the ``timezone`` setting.
- Roles: authors named by ``--agent-name`` are agents; without a match, the author of the
  exporting phone when it can be told (its "You deleted this message" lines, or the chat being
  named after the other author of a two-person chat; note W122); otherwise every author is a
  customer (note W121). Lines without an author (encryption notice, joins, leaves, subject
  changes) and media or deleted-message placeholders become ``system`` messages, counted in a
  note. A media line with a caption keeps the caption as its author's message.
- Ids: ``conversation_id`` from the chat's name (the file name WhatsApp gives) or its
  customers' names; message ids from the conversation, time, author, text and occurrence, so
  a later export of the same chat gives the same ids. Channel ``whatsapp``.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mining.config import IngestSettings
from mining.errors import Errors, InputError, Warnings
from mining.io.records import decode, read_bytes
from mining.io.sources import SourceBuilder, agent_names, name_key, stable_id

if TYPE_CHECKING:
    from mining.io.base import ReadResult

_MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_HEAD = re.compile(
    r"^\[?(?P<date>\d{1,4}[./-] ?\d{1,2}[./-] ?\d{1,4})\.?,? +"
    r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)"
    r"(?: ?(?P<ampm>[AaPp]\.? ?[Mm]\.?))?"
    r"(?:\] ?| [-–] )(?P<rest>.*)$"
)
_AUTHOR = re.compile(r"^(?P<author>[^:\"“”]{1,60}?): (?P<text>.*)$", re.S)
_ENCRYPTION = ("end-to-end", "ende-zu-ende", "extremo a extremo", "bout en bout",
               "ponta a ponta", "uçtan uca")
_DELETED_BY_YOU = ("you deleted this message", "du hast diese nachricht gelöscht",
                   "eliminaste este mensaje", "vous avez supprimé ce message",
                   "você apagou esta mensagem", "hai eliminato questo messaggio",
                   "je hebt dit bericht verwijderd")
_DELETED = _DELETED_BY_YOU + (
    "this message was deleted", "diese nachricht wurde gelöscht", "se eliminó este mensaje",
    "este mensaje fue eliminado", "ce message a été supprimé", "esta mensagem foi apagada",
    "questo messaggio è stato eliminato", "dit bericht is verwijderd",
)
_MEDIA_LINE = re.compile(
    r"^<(?:media omitted|medien ausgeschlossen|multimedia omitido|médias omis|mídia oculta|"
    r"media omessi|media weggelaten|attached: [^>]*|anhang: [^>]*|adjunto: [^>]*|"
    r"pièce jointe ?: [^>]*|anexo: [^>]*|allegato: [^>]*|bijlage: [^>]*)>$"
    r"|^(?:image|video|audio|sticker|gif|document|contact card) omitted$"
    r"|^(?:bild|video|audio|sticker|gif|dokument) weggelassen$"
    r"|^(?:imagen|video|audio|sticker|gif|documento) omitid[oa]$"
    r"|^\S.{0,200}\((?:file attached|datei angehängt|archivo adjunto|fichier joint|"
    r"arquivo anexado|file allegato|bestand bijgevoegd)\)$"
    r"|^null$",
    re.IGNORECASE,
)
_CALLS = ("missed voice call", "missed video call", "verpasster sprachanruf",
          "verpasster videoanruf", "llamada de voz perdida", "videollamada perdida",
          "appel vocal manqué", "appel vidéo manqué", "chamada de voz perdida",
          "chamada de vídeo perdida")
_EDITED = re.compile(r"\s*<(?:this message was edited|diese nachricht wurde bearbeitet|"
                     r"se editó este mensaje|ce message a été modifié)>\s*$", re.IGNORECASE)
_CHAT_NAME = re.compile(
    r"^WhatsApp Chat (?:with|-|mit|con|avec|com|met) (?P<name>.+?)(?:\.txt|\.zip)?$", re.IGNORECASE
)


@dataclass
class _Msg:
    line: int  # 1-based line number of the header line
    date: tuple[str, str, str]  # the three numbers of the date, as written
    time: str
    ampm: str | None
    author: str | None  # None for system lines
    raw_date: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip("\n")


def _probe(line: str) -> str:
    """A line with direction marks removed and odd spaces made plain, for header matching."""
    return line.lstrip(_MARKS).replace("\u202f", " ").replace("\u00a0", " ")


def looks_like_whatsapp(text: str) -> bool:
    """True when the first non-blank line of ``text`` starts like a WhatsApp chat line."""
    for line in text.splitlines():
        if line.strip(_MARKS + " \t"):
            return bool(_HEAD.match(_probe(line)))
    return False


def _zip_chat_member(zf: zipfile.ZipFile) -> str | None:
    """The chat text file inside a WhatsApp archive (``_chat.txt`` or ``WhatsApp Chat….txt``)."""
    txts = [n for n in zf.namelist() if n.lower().endswith(".txt") and not n.endswith("/")]
    txts.sort(key=lambda n: (Path(n).name != "_chat.txt", "whatsapp" not in n.lower(), n))
    for name in txts:
        with zf.open(name) as fh:
            if looks_like_whatsapp(decode(fh.read(4096))):
                return name
    return None


def is_whatsapp_file(path: Path) -> bool:
    """True for a ``.txt`` file, or a ``.zip`` archive holding one, that is a WhatsApp chat."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".txt":
            with open(path, "rb") as fh:
                return looks_like_whatsapp(decode(fh.read(4096)))
        if suffix == ".zip" and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                return _zip_chat_member(zf) is not None
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError):
        return False
    return False


def _load(path: Path) -> tuple[str, str, int]:
    """The chat text, the chat's name (from the file names) and the number of media files.

    Raises:
        InputError: [E161] a broken archive, [E162] an archive without a chat file, or the
            errors of :func:`~mining.io.records.read_bytes`.
    """
    if path.suffix.lower() != ".zip":
        return decode(read_bytes(path, "WhatsApp chat")), path.name, 0
    try:
        with zipfile.ZipFile(path) as zf:
            member = _zip_chat_member(zf)
            if member is None:
                shown = ", ".join(zf.namelist()[:5]) or "nothing"
                raise InputError(Errors.E162.format(path=path, members=shown))
            data = zf.read(member)
            media = sum(1 for i in zf.infolist() if not i.is_dir() and i.filename != member)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, EOFError) as err:
        raise InputError(Errors.E161.format(path=path, detail=str(err) or type(err).__name__)) \
            from None
    name = Path(member).name
    return decode(data), (path.name if name == "_chat.txt" else name), media


def _split(path: Path, text: str) -> list[_Msg]:
    """Group the lines of a chat into messages (a message runs until the next dated line)."""
    msgs: list[_Msg] = []
    for no, line in enumerate(text.splitlines(), start=1):
        m = _HEAD.match(_probe(line))
        if m is None:
            if not msgs:
                if not line.strip(_MARKS + " \t"):
                    continue
                detail = f"line {no} does not start with a date and time"
                raise InputError(Errors.E160.format(path=path, detail=detail))
            msgs[-1].lines.append(line.rstrip("\r"))
            continue
        rest = m.group("rest")
        a = _AUTHOR.match(rest)
        nums = tuple(re.split(r"[./-] ?", m.group("date").rstrip(".")))
        msg = _Msg(no, nums, m.group("time"), m.group("ampm"), None,  # type: ignore[arg-type]
                   m.group("date"))
        if a is not None:
            msg.author = a.group("author").strip(_MARKS + " ")
            msg.lines.append(a.group("text"))
        else:
            msg.lines.append(rest)
        msgs.append(msg)
    if not msgs:
        raise InputError(Errors.E160.format(path=path, detail="it holds no chat lines"))
    return msgs


def _day_month(nums: tuple[str, ...], order: str) -> tuple[int, int, int]:
    """``(year, month, day)`` of a date's three numbers under ``order`` (``dmy``/``mdy``)."""
    a, b, c = (int(n) for n in nums)
    if len(nums[0]) == 4:  # 2023-12-31: year first is never ambiguous
        return a, b, c
    year = c + 2000 if c < 100 else c
    return (year, b, a) if order == "dmy" else (year, a, b)


def _decide_order(msgs: list[_Msg], settings: IngestSettings, path: Path,
                  sb: SourceBuilder) -> str:
    """Day-first or month-first for this file: forced, read from the values, or guessed."""
    if settings.date_order != "auto":
        return settings.date_order
    pairs = [(int(m.date[0]), int(m.date[1])) for m in msgs if len(m.date[0]) != 4]
    if not pairs:
        return "dmy"
    first, second = sum(a > 12 for a, _ in pairs), sum(b > 12 for _, b in pairs)
    if first or second:  # the values say it (a contradiction: the majority wins, others rejected)
        return "dmy" if first >= second else "mdy"
    late = {}
    for order in ("dmy", "mdy"):
        keys = [_day_month(m.date, order) for m in msgs if len(m.date[0]) != 4]
        late[order] = sum(1 for x, y in zip(keys, keys[1:], strict=False) if y < x)
    if late["dmy"] != late["mdy"]:
        order = min(late, key=late.__getitem__)
        why = "only that order keeps the messages in time order"
    else:
        slashes = "/" in msgs[0].raw_date
        twelve = any(m.ampm for m in msgs)
        order = "mdy" if slashes and twelve else "dmy"
        why = ("slashes and a 12-hour clock are the US style" if order == "mdy"
               else "the date style is day-first in most locales")
    sb.notes.append(Warnings.W120.format(path=path, order=_ORDER_NAMES[order], why=why))
    return order


_ORDER_NAMES = {"dmy": "day-first", "mdy": "month-first"}


def _when(msg: _Msg, order: str) -> datetime:
    """The message's local date and time (naive). Raises ValueError for an impossible date."""
    year, month, day = _day_month(msg.date, order)
    parts = [int(p) for p in re.split(r"[:.]", msg.time)]
    hour, minute, sec = parts[0], parts[1], (parts[2] if len(parts) > 2 else 0)
    if msg.ampm:
        pm = msg.ampm.lower().startswith("p")
        if not 1 <= hour <= 12:
            raise ValueError("hour out of range for a 12-hour clock")
        hour = hour % 12 + (12 if pm else 0)
    return datetime(year, month, day, hour, minute, sec)


def _kind(msg: _Msg) -> tuple[str, str]:
    """What a line is: ``("message"|"caption"|"media"|"deleted"|"encryption"|"system", text)``.

    ``text`` is the message text with edit markers and attachment lines removed.
    """
    text = _EDITED.sub("", msg.text)
    bare = text.strip(_MARKS + " \n").strip()
    low = bare.lower().rstrip(".")
    if any(k in low for k in _ENCRYPTION) and (msg.author is None or text.startswith("\u200e")):
        return "encryption", bare
    if msg.author is None:
        return "system", bare
    if low in _DELETED:
        return "deleted", bare
    if low in _CALLS:
        return "call", bare
    lines = [ln for ln in bare.split("\n")]
    media = [ln for ln in lines if _MEDIA_LINE.match(ln.strip(_MARKS + " "))]
    if media:
        rest = "\n".join(ln for ln in lines if ln not in media).strip()
        return ("caption", rest) if rest else ("media", bare)
    if text.startswith("\u200e"):  # iOS marks its own notices
        return "system", bare
    return "message", text


def _exporter(msgs: list[_Msg], chat_name: str) -> tuple[str | None, str]:
    """The author of the exporting phone, when the export tells it, and how it was told."""
    for m in msgs:
        if m.author and m.text.strip(_MARKS + " ").lower().rstrip(".") in _DELETED_BY_YOU:
            return m.author, "its 'You deleted this message' lines come from the exporting phone"
    authors = {name_key(m.author): m.author for m in msgs if m.author}
    cm = _CHAT_NAME.match(chat_name)
    if cm and len(authors) == 2 and name_key(cm.group("name")) in authors:
        other = next(a for k, a in authors.items() if k != name_key(cm.group("name")))
        return other, "the chat is named after the other author"
    return None, ""


def _agents(msgs: list[_Msg], chat_name: str, settings: IngestSettings,
            sb: SourceBuilder) -> set[str]:
    """The authors (as :func:`name_key`) whose messages are the business's."""
    wanted = agent_names(settings)
    authors = {name_key(m.author) for m in msgs if m.author}
    found = wanted & authors
    if found:
        return found
    who, why = _exporter(msgs, chat_name)
    if who is not None:
        sb.notes.append(Warnings.W122.format(path=sb.path, name=who, why=why))
        return {name_key(who)}
    sb.notes.append(Warnings.W121.format(path=sb.path, authors=len(authors)))
    return set()


_SYSTEM_COUNTS = {
    "encryption": "encryption notice(s)",
    "system": "other system line(s) (joins, leaves, changes)",
    "call": "missed call line(s)",
    "media": "media-only message(s)",
    "deleted": "deleted-message placeholder(s)",
}


def whatsapp_from_text(path: Path, text: str, settings: IngestSettings, *, chat_name: str = "",
                       media_files: int = 0) -> ReadResult:
    """Build the messages of a WhatsApp chat from its text.

    Args:
        path: The file read (for sources and messages).
        text: The chat text.
        settings: Ingestion settings (``agent_names``, ``date_order``, ``timezone``).
        chat_name: The name WhatsApp gave the file (``WhatsApp Chat with Dana.txt``), if any.
        media_files: Media files that came with the chat (a ``.zip``), for a note.

    Returns:
        A :class:`~mining.io.base.ReadResult` with ``fmt="whatsapp"``.

    Raises:
        InputError: [E160] when the text is not a WhatsApp chat.
    """
    sb = SourceBuilder(str(path), "whatsapp", settings, sep=":")
    msgs = _split(path, text)
    order = _decide_order(msgs, settings, path, sb)
    agents = _agents(msgs, chat_name or path.name, settings, sb)
    customers = sorted({name_key(m.author) for m in msgs if m.author} - agents)
    cm = _CHAT_NAME.match(chat_name or path.name)
    key = name_key(cm.group("name")) if cm else "\x1e".join(customers) or path.stem
    conv = stable_id("whatsapp", key)
    seen: dict[tuple, int] = {}
    for m in msgs:
        label = str(m.line)
        try:
            when = _when(m, order)
        except ValueError:
            other = "mdy" if order == "dmy" else "dmy"
            reason = Errors.E164.format(value=m.raw_date, order=_ORDER_NAMES[order], other=other,
                                        other_name=_ORDER_NAMES[other])
            sb.reject(label, "E164", reason)
            continue
        kind, body = _kind(m)
        author = None if kind == "encryption" else m.author  # iOS names the chat there
        if kind in _SYSTEM_COUNTS:
            sb.counts[_SYSTEM_COUNTS[kind] + " kept as system messages"] += 1
            role = "system"
        else:
            role = "agent" if name_key(m.author) in agents else "customer"
        ident = (when.isoformat(), author or "", body)
        seen[ident] = seen.get(ident, 0) + 1
        sb.add(label, message_id=stable_id("wa", conv, *ident, seen[ident]), conversation_id=conv,
               journey_id=conv, timestamp=when, channel="whatsapp", role=role, author=author,
               text=body)
    if media_files:
        sb.note(f"{media_files} media file(s) in the archive are not read (photos, voice notes, "
                "documents); their messages are kept")
    if str(settings.timezone).upper() in ("UTC", "Z"):
        sb.note("times are the phone's local time, read as UTC (set --timezone to its zone)")
    return sb.result()


def read_whatsapp(path: str | Path, settings: IngestSettings | None = None) -> ReadResult:
    """Read a WhatsApp chat export: the ``.txt`` file or the ``.zip`` with media.

    Args:
        path: The file.
        settings: Ingestion settings; defaults when None.

    Returns:
        A :class:`~mining.io.base.ReadResult` (``fmt="whatsapp"``); one record per message,
        numbered by the line it starts on.

    Raises:
        InputError: When the file cannot be read (E100, E105, E107), is a broken archive (E161),
            an archive without a chat (E162), or not a WhatsApp chat (E160).
    """
    p = Path(path)
    text, chat_name, media = _load(p)
    return whatsapp_from_text(p, text, settings or IngestSettings(), chat_name=chat_name,
                              media_files=media)
