"""Zendesk tickets with their comments (API JSON or the account's JSON export).

Accepted shapes: the tickets API (``{"tickets": [...], "users": [...]}``, users side-loaded
with ``?include=users``), a JSON array of tickets, the account's JSON export (one ticket per
line, ``.json`` or ``.jsonl``), or one ticket with the comments API response
(``{"ticket": {...}, "comments": [...], "users": [...]}``; a comments response saved alone
belongs to the ticket numbered in its file or folder name, ``35436_comments.json``). A
ticket's messages are its ``comments`` (``id``, ``author_id``, ``body``/``plain_body``/
``html_body``, ``public``, ``created_at``); a ticket without comments contributes its
``description``::

    {"tickets": [{"id": 35436, "requester_id": 20978392, "via": {"channel": "email"},
                  "subject": "Whitening price", "created_at": "2024-03-04T09:05:00Z",
                  "comments": [{"id": 9001, "author_id": 20978392, "public": true,
                                "body": "How much is whitening?",
                                "created_at": "2024-03-04T09:05:00Z"}]}],
     "users": [{"id": 20978392, "role": "end-user", "name": "Dana", "email": "dana@example.com"}]}

Roles: the requester and side-loaded end-users are customers, side-loaded agents and admins
are agents, any other author is taken as an agent (with a note); Zendesk's own automations
(author ``-1``) are ``bot``; private comments (internal notes) are ``system``. Journey: the
requester's e-mail when the users are side-loaded, else ``zendesk-user-<id>``. Channel: the
ticket's ``via.channel``. Records are numbered ``<ticket>.<comment>``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mining.errors import Errors
from mining.io.fields import as_str
from mining.io.helpdesk import (
    channel_of,
    email_key,
    first_items,
    labelled_items,
    role_of,
    users_by_id,
)
from mining.io.records import _type_name
from mining.io.sources import SourceBuilder, html_text, mostly

if TYPE_CHECKING:
    from mining.config import IngestSettings
    from mining.io.base import ReadResult
    from mining.io.records import Records

_KEYS = ("tickets", "results")


def is_zendesk_export(doc: Any) -> bool:
    """True for Zendesk tickets (``requester_id`` and ``via``) or a ticket's comments."""
    if isinstance(doc, dict) and isinstance(doc.get("ticket"), dict):
        return "requester_id" in doc["ticket"]
    if isinstance(doc, dict) and isinstance(doc.get("comments"), list) and "tickets" not in doc:
        return any(isinstance(c, dict) and "author_id" in c and "public" in c
                   for c in doc["comments"][:20])
    items = first_items(doc, _KEYS)
    return mostly(items, lambda t: "requester_id" in t and "via" in t)


def _comment_text(c: dict) -> str | None:
    for key in ("plain_body", "body"):
        if isinstance(c.get(key), str) and c[key].strip():
            return c[key]
    text = html_text(c.get("html_body"))
    return text if text is not None else c.get("body")  # blank: rejected as empty (E113)


def _comment_role(c: dict, requester: str | None, users: dict[str, dict],
                  sb: SourceBuilder) -> str:
    if c.get("public") is False:
        sb.counts["internal note(s) kept as system messages"] += 1
        return "system"
    author = as_str(c.get("author_id"))
    if author == "-1":
        return "bot"
    if author is not None and author == requester:
        return "customer"
    role = role_of(users.get(author or "", {}).get("role"))
    if role is None:
        sb.counts["comment(s) by someone other than the requester, not side-loaded: taken as "
                  "agent messages (add ?include=users to the export)"] += 1
        return "agent"
    return role


def _ticket(label: str, t: Any, users: dict[str, dict], sb: SourceBuilder) -> None:
    """Read one ticket's comments (or its description) into ``sb``."""
    if not isinstance(t, dict):
        sb.reject(label, "E118", Errors.E118.format(kind=_type_name(t)))
        return
    tid = as_str(t.get("id"))
    if tid is None:
        sb.reject(label, "E166", Errors.E166)
        return
    requester = as_str(t.get("requester_id"))
    user = users.get(requester or "", {})
    journey = email_key(user.get("email")) or f"zendesk-user-{requester or tid}"
    via = t.get("via") if isinstance(t.get("via"), dict) else {}
    channel = channel_of(via.get("channel"), "web")
    comments = t.get("comments")
    if not isinstance(comments, list) or not comments:
        text = t.get("description")
        sb.add(f"{label}.1", message_id=f"zendesk-{tid}-description",
               conversation_id=f"zendesk-{tid}", journey_id=journey,
               timestamp=t.get("created_at"), channel=channel, role="customer",
               author=user.get("name"), text=text if isinstance(text, str) else None)
        return
    for ci, c in enumerate(comments, start=1):
        clabel = f"{label}.{ci}"
        if not isinstance(c, dict):
            sb.reject(clabel, "E118", Errors.E118.format(kind=_type_name(c)))
            continue
        author = users.get(as_str(c.get("author_id")) or "", {})
        cid = as_str(c.get("id"))
        sb.add(clabel, message_id=f"zendesk-{cid}" if cid else f"zendesk-{tid}-{ci}",
               conversation_id=f"zendesk-{tid}", journey_id=journey,
               timestamp=c.get("created_at"), channel=channel,
               role=_comment_role(c, requester, users, sb), author=author.get("name"),
               text=_comment_text(c))


def _ticket_id_from_path(path: str) -> str:
    """The ticket of a comments response saved alone.

    A number in the file or folder name (``35436_comments.json``, ``35436/comments.json``), else
    the file's name.
    """
    p = Path(path)
    for name in (p.stem, p.parent.name):
        m = re.search(r"\d{2,}", name)
        if m:
            return m.group(0)
    return p.stem


def zendesk_from_document(records: Records, doc: Any, settings: IngestSettings) -> ReadResult:
    """Build messages from Zendesk tickets and comments.

    Args:
        records: The file's records (JSONL lines keep their line numbers).
        doc: The parsed JSON (see :func:`is_zendesk_export`).
        settings: Ingestion settings (``timezone`` for times without a zone).

    Returns:
        Messages (``fmt="zendesk"``) and rejects; records are ``<ticket>.<comment>``.
    """
    sb = SourceBuilder(records.path, "zendesk", settings, sep=records.sep)
    users = users_by_id(doc)
    single = isinstance(doc, dict) and isinstance(doc.get("ticket"), dict)
    if single or isinstance(doc, dict) and isinstance(doc.get("comments"), list) \
            and "tickets" not in doc:
        ticket = dict(doc.get("ticket") or {"id": _ticket_id_from_path(records.path), "via": {}})
        if isinstance(doc.get("comments"), list):
            ticket["comments"] = doc["comments"]
        if ticket.get("requester_id") is None:  # comments alone: the first author asked
            first = next((c for c in ticket.get("comments") or [] if isinstance(c, dict)), {})
            ticket["requester_id"] = first.get("author_id")
        items = [("1", ticket)]
    else:
        items = labelled_items(records, doc, _KEYS)
    for label, t in items:
        _ticket(label, t, users, sb)
    return sb.result(records.rejects)
