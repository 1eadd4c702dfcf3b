"""Telegram Desktop export (``result.json``, "Machine-readable JSON"): one chat or the account.

One chat::

    {"name": "Dana Whitfield", "type": "personal_chat", "id": 4815162342,
     "messages": [
        {"id": 101, "type": "message", "date": "2024-03-04T09:05:00",
         "date_unixtime": "1709543100", "from": "Dana Whitfield", "from_id": "user4815162342",
         "text": ["Is the ", {"type": "bold", "text": "family plan"}, " still on offer?"],
         "text_entities": [...]},
        {"id": 102, "type": "service", "actor": "Dana Whitfield", "action": "pin_message", ...}]}

The account export wraps chats as ``{"personal_information": {"user_id": …},
"chats": {"list": [chat, …]}, "left_chats": {"list": [...]}}``.

- Text is a string or a list of strings and entities (bold, links, mentions …); entities are
  joined into plain text (``text_entities`` when present).
- Roles: the exporting account (``personal_information``) and senders named by
  ``--agent-name`` are agents; a bot answering in its own ``bot_chat`` is ``bot``; in a
  two-person chat named after one author, the other is the exporter (note W122); else every
  sender is a customer (W121). Service messages (calls, pins, joins), forwarded messages (not
  the sender's own words) and media without a caption are ``system`` messages, counted in a note.
- Times: ``date_unixtime`` (UTC) when present, else ``date`` in the ``timezone`` setting.
- Ids: ``telegram-<chat id>`` for the conversation and ``telegram-<chat id>-<message id>`` for
  messages, as Telegram numbers them. Replies (``reply_to_message_id``) keep their own text; the
  link is counted in a note (the messages table has no column for it). Channel ``telegram``.
  Records are numbered ``<chat>.<message>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mining.errors import Errors, InputError, Warnings
from mining.io.records import _type_name
from mining.io.sources import SourceBuilder, agent_names, mostly, name_key

if TYPE_CHECKING:
    from mining.config import IngestSettings
    from mining.io.base import ReadResult
    from mining.io.records import Records

_CHAT_TYPES = frozenset(
    "personal_chat bot_chat private_group private_supergroup public_supergroup private_channel "
    "public_channel saved_messages".split()
)
_MEDIA = ("photo", "media_type", "file", "sticker_emoji", "contact_information",
          "location_information", "poll", "game_title", "invoice_information")


def _is_chat(doc: Any) -> bool:
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        return False
    if doc.get("type") in _CHAT_TYPES:
        return True
    msgs = [m for m in doc["messages"][:20] if isinstance(m, dict)]
    return mostly(msgs, lambda m: m.get("type") in ("message", "service") and "date" in m
                  and "id" in m)


def is_telegram_export(doc: Any) -> bool:
    """True for a Telegram Desktop ``result.json``: one chat, or an account's chats."""
    if isinstance(doc, dict) and isinstance(doc.get("chats"), dict):
        return "personal_information" in doc or "list" in doc["chats"]
    return _is_chat(doc)


def entity_text(value: Any) -> str:
    """Plain text from Telegram's ``text``: a string, or a list of strings and entities."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            v if isinstance(v, str) else str(v.get("text", "")) if isinstance(v, dict) else ""
            for v in value
        )
    return ""


def _chats(path: str, doc: dict) -> list[Any]:
    if not isinstance(doc.get("chats"), dict):
        return [doc]
    if not isinstance(doc["chats"].get("list"), list):
        detail = "'chats' has no 'list' of chats (export the chats as machine-readable JSON)"
        raise InputError(Errors.E163.format(path=path, product="Telegram", detail=detail))
    chats = list(doc["chats"]["list"])
    left = doc.get("left_chats")
    if isinstance(left, dict) and isinstance(left.get("list"), list):
        chats += left["list"]
    return chats


def _owner(doc: dict) -> str | None:
    info = doc.get("personal_information")
    uid = info.get("user_id") if isinstance(info, dict) else None
    return f"user{uid}" if uid is not None else None


def _message(m: dict) -> tuple[str, str]:
    """The text of a message and its kind (``"message"`` or why it is a system message)."""
    raw = m.get("text_entities") if isinstance(m.get("text_entities"), list) else m.get("text")
    text = entity_text(raw)
    if m.get("type") == "service":
        action = str(m.get("action") or "service")
        return (f"({action.replace('_', ' ')}) {text}".strip()), "service message(s)"
    if m.get("forwarded_from") is not None:
        return text or "(forwarded media)", "forwarded message(s)"
    if not text.strip():
        media = next((k for k in _MEDIA if m.get(k)), None)
        if media is not None:
            kind = m.get("media_type") if media == "media_type" else media
            return f"<{kind}>", "media-only message(s)"
    return text, "message"


def _roles(chat: dict, owner: str | None, settings: IngestSettings, sb: SourceBuilder) -> Any:
    """A function ``(message) -> role`` for one chat's senders (see the module notes)."""
    msgs = [m for m in chat["messages"] if isinstance(m, dict) and m.get("type") == "message"]
    names = {name_key(m.get("from")): m.get("from") for m in msgs if m.get("from")}
    wanted = agent_names(settings) & set(names)
    bot = f"user{chat.get('id')}" if chat.get("type") == "bot_chat" else None
    exporter: str | None = None
    if not wanted and owner is None and bot is None:
        title = name_key(chat.get("name"))
        if len(names) == 2 and title in names:
            exporter = next(k for k in names if k != title)
            why = "the chat is named after the other author"
            sb.notes.append(Warnings.W122.format(path=sb.path, name=names[exporter], why=why))
        else:
            sb.notes.append(Warnings.W121.format(path=sb.path, authors=len(names)))

    def role(m: dict) -> str:
        sender = m.get("from_id")
        if bot is not None and sender == bot:
            return "bot"
        key = name_key(m.get("from"))
        if (owner is not None and sender == owner) or key in wanted or key == exporter:
            return "agent"
        return "customer"

    return role


def _read_chat(ci: int, chat: Any, owner: str | None, settings: IngestSettings,
               sb: SourceBuilder) -> None:
    """Read one chat's messages into ``sb`` (records ``<ci>.<message>``)."""
    if not isinstance(chat, dict) or not isinstance(chat.get("messages"), list):
        what = _type_name(chat) if not isinstance(chat, dict) else "an object without messages"
        sb.reject(str(ci), "E118", Errors.E118.format(kind=what))
        return
    if chat.get("id") is None:
        sb.reject(str(ci), "E166", Errors.E166)
        return
    conv = f"telegram-{chat['id']}"
    role_of = _roles(chat, owner, settings, sb)
    for mi, m in enumerate(chat["messages"], start=1):
        label = f"{ci}.{mi}"
        if not isinstance(m, dict):
            sb.reject(label, "E118", Errors.E118.format(kind=_type_name(m)))
            continue
        if m.get("id") is None:
            sb.reject(label, "E111", Errors.E111.format(field="id"))
            continue
        text, kind = _message(m)
        if kind == "message":
            role = role_of(m)
        else:
            sb.counts[f"{kind} kept as system messages"] += 1
            role = "system"
        if m.get("reply_to_message_id") is not None:
            sb.counts["replies (their reply_to_message_id link is not kept)"] += 1
        unix = m.get("date_unixtime")
        ts = int(unix) if isinstance(unix, (str, int)) and str(unix).isdigit() else m.get("date")
        sb.add(label, message_id=f"{conv}-{m['id']}", conversation_id=conv, journey_id=conv,
               timestamp=ts, channel="telegram", role=role,
               author=m.get("from") or m.get("actor"), text=text)


def telegram_from_document(records: Records, doc: Any, settings: IngestSettings) -> ReadResult:
    """Build messages from a Telegram Desktop export.

    Args:
        records: The file's records (for its path).
        doc: The parsed JSON (see :func:`is_telegram_export`).
        settings: Ingestion settings (``agent_names``, ``timezone``).

    Returns:
        Messages (``fmt="telegram"``) and rejects; records are numbered ``<chat>.<message>``.

    Raises:
        InputError: [E163] an account export without its list of chats.
    """
    sb = SourceBuilder(records.path, "telegram", settings)
    owner = _owner(doc)
    for ci, chat in enumerate(_chats(records.path, doc), start=1):
        _read_chat(ci, chat, owner, settings, sb)
    return sb.result()
