"""Intercom conversations with their conversation parts (REST API JSON).

Accepted shapes: one conversation as ``GET /conversations/{id}`` returns it, a list
(``{"type": "conversation.list", "conversations": [...]}``), a JSON array of conversations or
one per line (JSONL)::

    {"type": "conversation", "id": "147", "created_at": 1709543100,
     "source": {"type": "conversation", "id": "403918", "delivered_as": "customer_initiated",
                "body": "<p>Hi, how much is whitening?</p>",
                "author": {"type": "user", "id": "5f7a", "email": "dana@example.com"}},
     "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "5f7a"}]},
     "conversation_parts": {"type": "conversation_part.list", "conversation_parts": [
        {"type": "conversation_part", "id": "9001", "part_type": "comment",
         "body": "<p>$350 in-office.</p>", "created_at": 1709543400,
         "author": {"type": "admin", "id": "814", "name": "Sam"}}]}}

The ``source`` is the first message; each part is one more. Roles from the author type (user,
lead, contact → customer; admin, team → agent; bot → bot); notes (``part_type: note``) are
``system``, and parts without a body (assignment, open, close, snooze) are ``system`` lines
named after their type. Bodies are HTML, converted to text. Journey: the contact's e-mail when
given, else ``intercom-contact-<id>``. Channel: the source's type (conversation → chat, email,
facebook/instagram/twitter → social, whatsapp, sms, phone_call → phone). Records are numbered
``<conversation>.<n>``: ``.1`` is the source, ``.2`` the first part.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mining.errors import Errors, InputError
from mining.io.fields import as_str
from mining.io.helpdesk import channel_of, email_key, first_items, labelled_items, role_of
from mining.io.records import _type_name
from mining.io.sources import SourceBuilder, html_text, mostly

if TYPE_CHECKING:
    from mining.config import IngestSettings
    from mining.io.base import ReadResult
    from mining.io.records import Records

_KEYS = ("conversations", "data")


def is_intercom_export(doc: Any) -> bool:
    """True for Intercom conversations (``type: conversation`` with a ``source``)."""
    if isinstance(doc, dict) and doc.get("type") == "conversation.list":
        return True
    items = first_items(doc, _KEYS)
    return mostly(items, lambda t: t.get("type") == "conversation"
                  and isinstance(t.get("source"), dict))


def _parts(conv: dict) -> list[Any]:
    parts = conv.get("conversation_parts")
    if isinstance(parts, dict):
        parts = parts.get("conversation_parts")
    return parts if isinstance(parts, list) else []


def _journey(conv: dict, cid: str) -> str:
    author = (conv.get("source") or {}).get("author") or {}
    if role_of(author.get("type")) == "customer" and email_key(author.get("email")):
        return str(email_key(author.get("email")))
    contacts = conv.get("contacts")
    if isinstance(contacts, dict):
        contacts = contacts.get("contacts")
    if isinstance(contacts, list) and contacts and isinstance(contacts[0], dict):
        if email_key(contacts[0].get("email")):
            return str(email_key(contacts[0].get("email")))
        if contacts[0].get("id") is not None:
            return f"intercom-contact-{contacts[0]['id']}"
    if role_of(author.get("type")) == "customer" and author.get("id") is not None:
        return f"intercom-contact-{author['id']}"
    return f"intercom-{cid}"


def _message(part: dict, sb: SourceBuilder) -> tuple[str | None, str]:
    """The text and role of the source or a part."""
    author = part.get("author") if isinstance(part.get("author"), dict) else {}
    text = html_text(part.get("body"))
    kind = str(part.get("part_type") or "comment")
    if kind == "note":
        sb.counts["internal note(s) kept as system messages"] += 1
        return text, "system"
    if not (text or "").strip():
        if part.get("attachments"):
            return "<attachment>", "system"
        sb.counts["conversation event(s) (assignment, open, close …) kept as system lines"] += 1
        return f"({kind.replace('_', ' ')})", "system"
    role = role_of(author.get("type"))
    if role is None:
        sb.counts["part(s) with an unknown author type taken as agent messages"] += 1
        role = "agent"
    return text, role


def _conversation(label: str, conv: Any, sb: SourceBuilder) -> None:
    """Read one conversation (its source, then its parts) into ``sb``."""
    if not isinstance(conv, dict):
        sb.reject(label, "E118", Errors.E118.format(kind=_type_name(conv)))
        return
    cid = as_str(conv.get("id"))
    if cid is None:
        sb.reject(label, "E166", Errors.E166)
        return
    source = conv.get("source") if isinstance(conv.get("source"), dict) else {}
    channel = channel_of(source.get("type"), "chat")
    journey = _journey(conv, cid)
    source = {**source, "created_at": source.get("created_at", conv.get("created_at"))}
    sid = as_str(source.get("id"))
    entries = [(f"intercom-{cid}-source-{sid}" if sid else f"intercom-{cid}-source", source)]
    for i, part in enumerate(_parts(conv), start=1):
        pid = as_str(part.get("id")) if isinstance(part, dict) else None
        entries.append((f"intercom-part-{pid}" if pid else f"intercom-{cid}-{i}", part))
    for n, (mid, part) in enumerate(entries, start=1):
        plabel = f"{label}.{n}"
        if not isinstance(part, dict):
            sb.reject(plabel, "E118", Errors.E118.format(kind=_type_name(part)))
            continue
        text, role = _message(part, sb)
        author = part.get("author") if isinstance(part.get("author"), dict) else {}
        sb.add(plabel, message_id=mid, conversation_id=f"intercom-{cid}", journey_id=journey,
               timestamp=part.get("created_at"), channel=channel, role=role,
               author=author.get("name") or author.get("email"), text=text)


def intercom_from_document(records: Records, doc: Any, settings: IngestSettings) -> ReadResult:
    """Build messages from Intercom conversations.

    Args:
        records: The file's records (JSONL lines keep their line numbers).
        doc: The parsed JSON (see :func:`is_intercom_export`).
        settings: Ingestion settings.

    Returns:
        Messages (``fmt="intercom"``) and rejects; records are ``<conversation>.<n>``.

    Raises:
        InputError: [E163] a conversation list without its conversations.
    """
    if isinstance(doc, dict) and doc.get("type") == "conversation.list" \
            and not isinstance(doc.get("conversations"), list):
        detail = "a conversation.list without a 'conversations' array"
        raise InputError(Errors.E163.format(path=records.path, product="Intercom", detail=detail))
    sb = SourceBuilder(records.path, "intercom", settings, sep=records.sep)
    for label, conv in labelled_items(records, doc, _KEYS):
        _conversation(label, conv, sb)
    return sb.result(records.rejects)
