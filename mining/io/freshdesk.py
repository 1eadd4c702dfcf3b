"""Freshdesk tickets with their conversations (API v2 JSON, ``?include=conversations,requester``).

Accepted shapes: one ticket, a JSON array of tickets (or ``{"tickets": [...]}``), or one ticket
per line (JSONL)::

    [{"id": 20, "requester_id": 1001, "source": 1, "subject": "Whitening price",
      "description": "<div>How much is whitening?</div>",
      "description_text": "How much is whitening?", "created_at": "2024-03-04T09:05:00Z",
      "requester": {"id": 1001, "name": "Dana", "email": "dana@example.com"},
      "conversations": [
        {"id": 3001, "body_text": "It is $350.", "incoming": false, "private": false,
         "user_id": 77, "created_at": "2024-03-04T09:20:00Z"}]}]

The ticket's description is its first message (the requester's, or the agent's for an
outbound e-mail, source 10). A conversation is ``system`` when ``private`` (a note), the
requester's when ``incoming`` or written by the requester, else an agent's. Text: the plain
``*_text`` field, else the HTML converted. Journey: the requester's e-mail when included, else
``freshdesk-contact-<id>``. Channel from the ticket's ``source``: 1 email, 2 web (portal), 3
phone, 4 web (forum), 5/6 social (Twitter, Facebook), 7 chat, 8 chat (mobile), 9 web (feedback
widget), 10 email (outbound). Records are numbered ``<ticket>.<n>``: ``.1`` is the description.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mining.errors import Errors
from mining.io.fields import as_str
from mining.io.helpdesk import email_key, first_items, labelled_items
from mining.io.records import _type_name
from mining.io.sources import SourceBuilder, html_text, mostly

if TYPE_CHECKING:
    from mining.config import IngestSettings
    from mining.io.base import ReadResult
    from mining.io.records import Records

_KEYS = ("tickets", "results")
_SOURCES = {1: "email", 2: "web", 3: "phone", 4: "web", 5: "social", 6: "social", 7: "chat",
            8: "chat", 9: "web", 10: "email"}
_OUTBOUND = 10
# a conversation's own source: 0 reply, 2 note, 5 tweet, 7 Facebook, 8 forwarded e-mail
_CONVERSATION_SOURCES = {0: "email", 2: "email", 5: "social", 7: "social", 8: "email"}


def _is_conversation(c: Any) -> bool:
    return isinstance(c, dict) and all(k in c for k in ("ticket_id", "incoming", "private"))


def is_freshdesk_export(doc: Any) -> bool:
    """True for Freshdesk tickets or a ticket's conversations.

    Tickets have ``requester_id`` and a numeric ``source`` (and no Zendesk ``via``);
    conversations (``GET /tickets/{id}/conversations``) have ``ticket_id``, ``incoming`` and
    ``private``.
    """
    items = first_items(doc, _KEYS)
    if mostly(items, _is_conversation):
        return True
    return mostly(items, lambda t: "requester_id" in t and isinstance(t.get("source"), int)
                  and "via" not in t
                  and ("description_text" in t or "description" in t or "conversations" in t))


def _text(obj: dict, plain: str, html: str) -> str | None:
    value = obj.get(plain)
    if isinstance(value, str) and value.strip():
        return value
    return html_text(obj.get(html))


def _entries(t: dict, requester: str | None, sb: SourceBuilder) -> list[tuple[str, Any, str]]:
    """``(message id, object, role)`` for the description and every conversation."""
    tid = t["id"]
    first_role = "agent" if t.get("source") == _OUTBOUND else "customer"
    out: list[tuple[str, Any, str]] = [(f"freshdesk-{tid}-description", t, first_role)]
    convs = t.get("conversations")
    for i, c in enumerate(convs if isinstance(convs, list) else [], start=1):
        cid = as_str(c.get("id")) if isinstance(c, dict) else None
        mid = f"freshdesk-conversation-{cid}" if cid else f"freshdesk-{tid}-{i}"
        if not isinstance(c, dict):
            out.append((mid, c, ""))
        elif c.get("private"):
            sb.counts["private note(s) kept as system messages"] += 1
            out.append((mid, c, "system"))
        elif c.get("incoming") or (requester and as_str(c.get("user_id")) == requester):
            out.append((mid, c, "customer"))
        else:
            out.append((mid, c, "agent"))
    return out


def _ticket(label: str, t: Any, sb: SourceBuilder) -> None:
    """Read one ticket (its description, then its conversations) into ``sb``."""
    if not isinstance(t, dict):
        sb.reject(label, "E118", Errors.E118.format(kind=_type_name(t)))
        return
    if as_str(t.get("id")) is None:
        sb.reject(label, "E166", Errors.E166)
        return
    requester = as_str(t.get("requester_id"))
    person = t.get("requester") if isinstance(t.get("requester"), dict) else {}
    journey = email_key(person.get("email")) or email_key(t.get("email")) \
        or f"freshdesk-contact-{requester or t['id']}"
    channel = _SOURCES.get(t.get("source"), "web")
    for n, (mid, obj, role) in enumerate(_entries(t, requester, sb), start=1):
        elabel = f"{label}.{n}"
        if not isinstance(obj, dict):
            sb.reject(elabel, "E118", Errors.E118.format(kind=_type_name(obj)))
            continue
        if n == 1:
            text, author = _text(obj, "description_text", "description"), person.get("name")
        else:
            text, author = _text(obj, "body_text", "body"), obj.get("from_email")
            author = person.get("name") if role == "customer" and person.get("name") else author
        sb.add(elabel, message_id=mid, conversation_id=f"freshdesk-{t['id']}",
               journey_id=journey, timestamp=obj.get("created_at"), channel=channel, role=role,
               author=author, text=text)


def freshdesk_from_document(records: Records, doc: Any, settings: IngestSettings) -> ReadResult:
    """Build messages from Freshdesk tickets and their conversations.

    Args:
        records: The file's records (JSONL lines keep their line numbers).
        doc: The parsed JSON (see :func:`is_freshdesk_export`).
        settings: Ingestion settings.

    Returns:
        Messages (``fmt="freshdesk"``) and rejects; records are ``<ticket>.<n>``.
    """
    sb = SourceBuilder(records.path, "freshdesk", settings, sep=records.sep)
    items = labelled_items(records, doc, _KEYS)
    if any(_is_conversation(c) for _, c in items):
        _conversations(items, sb)
        return sb.result(records.rejects)
    for label, t in items:
        _ticket(label, t, sb)
    return sb.result(records.rejects)


def _conversations(items: list[tuple[str, Any]], sb: SourceBuilder) -> None:
    """Read a conversations list without its tickets, grouped by ``ticket_id``.

    The journey is the first customer's contact id (this export names no requester).
    """
    first_in: dict[str, str] = {}
    for _, c in items:
        if _is_conversation(c) and c.get("incoming") and c.get("user_id") is not None:
            first_in.setdefault(str(c["ticket_id"]), f"freshdesk-contact-{c['user_id']}")
    for label, c in items:
        if not isinstance(c, dict):
            sb.reject(label, "E118", Errors.E118.format(kind=_type_name(c)))
            continue
        tid, cid = as_str(c.get("ticket_id")), as_str(c.get("id"))
        if tid is None or cid is None:
            sb.reject(label, "E166", Errors.E166)
            continue
        role = "system" if c.get("private") else "customer" if c.get("incoming") else "agent"
        if role == "system":
            sb.counts["private note(s) kept as system messages"] += 1
        sb.add(label, message_id=f"freshdesk-conversation-{cid}",
               conversation_id=f"freshdesk-{tid}", journey_id=first_in.get(tid, f"freshdesk-{tid}"),
               timestamp=c.get("created_at"), role=role, author=c.get("from_email"),
               channel=_CONVERSATION_SOURCES.get(c.get("source"), "email"),
               text=_text(c, "body_text", "body"))
