r"""Meta "Download your information": Facebook Messenger and Instagram direct messages (JSON).

The archive holds one folder per conversation, ``messages/inbox/<thread>/message_1.json`` (more
files, ``message_2.json`` …, for long threads; Instagram's is under
``your_instagram_activity/messages/inbox/``)::

    {"participants": [{"name": "Bright Smile Dental"}, {"name": "Dana Whitfield"}],
     "messages": [
        {"sender_name": "Dana Whitfield", "timestamp_ms": 1709543100000,
         "content": "Hi, do you have openings on Saturday?", "reactions": [...]},
        {"sender_name": "Bright Smile Dental", "timestamp_ms": 1709543000000,
         "content": "Bright Smile Dental sent a link.",
         "share": {"link": "https://brightsmile.example/book"}}],
     "title": "Dana Whitfield", "thread_path": "inbox/danawhitfield_1234567890"}

Messages are listed newest first. Meta writes the text as UTF-8 bytes escaped as Latin-1
characters (``"Jos\u00c3\u00a9"`` for "José"); every string is repaired. The newer export
of end-to-end encrypted Messenger chats (``senderName``, ``text``, ``timestamp``,
``isUnsent``) is read too.

- Roles: senders named by ``--agent-name`` are the business (agents); otherwise, in a
  two-person thread named after one of them, the other (the account that downloaded the
  archive) is, with note W122; else everyone is a customer (W121). Calls, joins, unsent
  messages and media without text are ``system`` messages; reactions are counted, not read.
- A shared link is added to the message text. Ids come from the thread, time, sender and text
  (Meta gives messages no id); the thread's files share one conversation. Channel ``social``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mining.errors import Errors, Warnings
from mining.io.records import _type_name
from mining.io.sources import SourceBuilder, agent_names, mostly, name_key, stable_id

if TYPE_CHECKING:
    from mining.config import IngestSettings
    from mining.io.base import ReadResult
    from mining.io.records import Records

_MEDIA = ("photos", "videos", "audio_files", "files", "gifs", "sticker", "media")
_SYSTEM_TYPES = {"call": "call(s)", "subscribe": "join(s)", "unsubscribe": "leave(s)"}


def fix_mojibake(value: Any) -> Any:
    """Undo Meta's Latin-1 escaping of UTF-8 text, in strings, lists and dicts (recursively)."""
    if isinstance(value, str):
        if not any("\x80" <= ch <= "\xff" for ch in value):
            return value
        try:
            return value.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return value  # already proper text (a real "é"), leave it
    if isinstance(value, list):
        return [fix_mojibake(v) for v in value]
    if isinstance(value, dict):
        return {k: fix_mojibake(v) for k, v in value.items()}
    return value


def _sender(m: dict) -> Any:
    return m.get("sender_name", m.get("senderName"))


def is_meta_export(doc: Any) -> bool:
    """True for a Messenger/Instagram thread file of a "Download your information" archive."""
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        return False
    if not isinstance(doc.get("participants"), list):
        return False
    msgs = [m for m in doc["messages"][:20] if isinstance(m, dict)]
    return mostly(msgs, lambda m: _sender(m) is not None
                  and ("timestamp_ms" in m or "timestamp" in m))


def _participants(doc: dict) -> list[str]:
    out = []
    for p in doc.get("participants") or []:
        name = p.get("name") if isinstance(p, dict) else p
        if isinstance(name, str) and name.strip():
            out.append(name)
    return out


def _agents(doc: dict, people: Sequence[str], settings: IngestSettings,
            sb: SourceBuilder) -> set[str]:
    """The senders (as :func:`name_key`) who are the business."""
    keys = {name_key(p) for p in people}
    keys |= {name_key(_sender(m)) for m in doc["messages"] if isinstance(m, dict) and _sender(m)}
    found = agent_names(settings) & keys
    if found:
        return found
    title = name_key(doc.get("title") or doc.get("threadName") or "")
    people_keys = {name_key(p) for p in people}
    if len(people_keys) == 2 and title in people_keys:
        owner = next(p for p in people if name_key(p) != title)
        sb.notes.append(Warnings.W122.format(
            path=sb.path, name=owner, why="the thread is named after the other participant"))
        return {name_key(owner)}
    sb.notes.append(Warnings.W121.format(path=sb.path, authors=len(keys)))
    return set()


def _text(m: dict, sb: SourceBuilder) -> tuple[str | None, str]:
    """The message's text and its kind: ``"message"``, or why it is a system message."""
    kind = str(m.get("type") or "").lower()
    text = m.get("content", m.get("text"))
    text = text if isinstance(text, str) and text.strip() else None
    link = (m.get("share") or {}).get("link") if isinstance(m.get("share"), dict) else None
    if isinstance(link, str) and link and (text is None or link not in text):
        text = f"{text}\n{link}" if text else link
    if m.get("is_unsent") or m.get("isUnsent"):
        return text or "(unsent message)", "unsent message(s)"
    if kind in _SYSTEM_TYPES:
        return text or f"({kind})", _SYSTEM_TYPES[kind]
    if text is None:
        media = next((k for k in _MEDIA if m.get(k)), None)
        if media is not None:
            return f"<{media}>", "media-only message(s)"
    if isinstance(m.get("reactions"), list) and m["reactions"]:
        sb.counts["reaction(s) not read as messages"] += len(m["reactions"])
    return text, "message"


def _thread_key(path: str, doc: dict) -> str:
    """What identifies the thread: its ``thread_path`` (shared by ``message_N.json`` files)."""
    key = doc.get("thread_path") or doc.get("threadPath")
    if isinstance(key, str) and key.strip():
        return key.strip()
    p = Path(path)
    if p.stem.startswith("message_"):
        return f"{p.parent.parent.name}/{p.parent.name}"
    return str(doc.get("threadName") or doc.get("title") or p.stem)


def meta_from_document(records: Records, doc: Any, settings: IngestSettings) -> ReadResult:
    """Build messages from one Messenger or Instagram thread file.

    Args:
        records: The file's records (for its path).
        doc: The parsed JSON (see :func:`is_meta_export`).
        settings: Ingestion settings (``agent_names``).

    Returns:
        Messages (``fmt="meta"``, channel ``social``) and rejects; one record per entry of
        ``messages``, numbered by its position in the file.
    """
    doc = fix_mojibake(doc)
    sb = SourceBuilder(records.path, "meta", settings)
    people = _participants(doc)
    agents = _agents(doc, people, settings, sb)
    conv = stable_id("meta", _thread_key(records.path, doc))
    seen: dict[tuple, int] = {}
    for i, m in enumerate(doc["messages"], start=1):
        label = str(i)
        if not isinstance(m, dict):
            sb.reject(label, "E118", Errors.E118.format(kind=_type_name(m)))
            continue
        sender = _sender(m)
        if not isinstance(sender, str) or not sender.strip():
            sb.reject(label, "E111", Errors.E111.format(field="sender_name"))
            continue
        text, kind = _text(m, sb)
        if text is None:
            sb.reject(label, "E165", Errors.E165.format(what="Message"))
            continue
        if kind != "message":
            sb.counts[f"{kind} kept as system messages"] += 1
            role = "system"
        else:
            role = "agent" if name_key(sender) in agents else "customer"
        ts = m.get("timestamp_ms", m.get("timestamp"))
        ident = (str(ts), sender, text)
        seen[ident] = seen.get(ident, 0) + 1
        sb.add(label, message_id=stable_id("fb", conv, *ident, seen[ident]), conversation_id=conv,
               journey_id=conv, timestamp=ts, channel="social", role=role, author=sender,
               text=text)
    return sb.result()
