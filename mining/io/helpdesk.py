"""What the helpdesk and CRM readers share: records of a ticket list, author types, channels.

Zendesk (:mod:`~mining.io.zendesk`), Intercom (:mod:`~mining.io.intercom`), Freshdesk
(:mod:`~mining.io.freshdesk`) and HubSpot (:mod:`~mining.io.hubspot`) export tickets or
conversations, each with its messages (comments, conversation parts, conversations, thread
messages). Each reader turns every message into a row of the messages table:

- ``role`` from the author type: end-user, user, lead, contact, visitor → ``customer``;
  agent, admin, teammate → ``agent``; bot, automation → ``bot``; internal notes and private
  comments → ``system`` (so they never count as customer text);
- ``text``: the plain-text body when the export has one, else the HTML body converted to text
  (:func:`mining.text.html.html_to_text`);
- ``journey_id``: the requester (their e-mail address when the export includes it, so a
  customer's tickets join the e-mail journeys; else the product's contact id);
- ``conversation_id``: the ticket or conversation, ``message_id`` from the product's ids;
- ``channel``: from the ticket's source (email, chat, web form, phone, social, …).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mining.io.fields import as_str

if TYPE_CHECKING:
    from mining.io.records import Records

#: Author types of helpdesks and CRMs (lower-case) -> role.
AUTHOR_ROLES: dict[str, str] = {
    **dict.fromkeys(("end-user", "end_user", "enduser", "user", "lead", "contact", "visitor",
                     "customer", "requester", "requestor"), "customer"),
    **dict.fromkeys(("agent", "admin", "teammate", "owner", "team", "staff", "light_agent"),
                    "agent"),
    **dict.fromkeys(("bot", "operator", "automation", "workflow", "fin"), "bot"),
    **dict.fromkeys(("system", "integration"), "system"),
}

#: Source or channel names of helpdesks (lower-case) -> the messages table's channel.
CHANNELS: dict[str, str] = {
    **dict.fromkeys(("email", "mail", "e-mail", "outbound_email", "forwarded_email"), "email"),
    **dict.fromkeys(("chat", "conversation", "messenger", "native_messaging", "mobile_sdk",
                     "messaging", "livechat", "live_chat", "chat_transcript", "in_app", "mobihelp",
                     "sdk", "web_widget"), "chat"),
    **dict.fromkeys(("web", "web_form", "form", "portal", "help_center", "feedback_widget",
                     "forum", "api", "web_service"), "web"),
    **dict.fromkeys(("voice", "phone", "phone_call", "call"), "phone"),
    **dict.fromkeys(("twitter", "facebook", "instagram", "instagram_dm", "facebook_messenger",
                     "any_channel", "social"), "social"),
    "sms": "sms", "whatsapp": "whatsapp", "telegram": "telegram",
}


def channel_of(value: Any, default: str) -> str:
    """The messages table's channel for a helpdesk's source name (``default`` when unknown)."""
    key = (as_str(value) or "").lower().replace(" ", "_")
    return CHANNELS.get(key, default)


def role_of(author_type: Any) -> str | None:
    """The role for an author type (``None`` when the type is unknown)."""
    return AUTHOR_ROLES.get((as_str(author_type) or "").lower().replace(" ", "_"))


def labelled_items(records: Records, doc: Any, keys: tuple[str, ...]) -> list[tuple[str, Any]]:
    """The top-level objects of a list export, each with its record label.

    Args:
        records: The file's records: for JSONL or a JSON array, its items keep their labels
            (line numbers, indexes).
        doc: The parsed document.
        keys: Names of the list in a wrapping object (``{"tickets": [...]}``); a single object
            that has none of them is one item.

    Returns:
        ``(label, object)`` pairs, labels 1-based.
    """
    if records.doc is None:
        return list(records.items)
    if isinstance(doc, list):
        return [(str(i), x) for i, x in enumerate(doc, start=1)]
    for key in keys:
        if isinstance(doc, dict) and isinstance(doc.get(key), list):
            return [(str(i), x) for i, x in enumerate(doc[key], start=1)]
    return [("1", doc)]


def first_items(doc: Any, keys: tuple[str, ...], n: int = 20) -> list[dict]:
    """Up to ``n`` objects of a list export, for content tests."""
    if isinstance(doc, dict):
        for key in keys:
            if isinstance(doc.get(key), list):
                doc = doc[key]
                break
        else:
            doc = [doc]
    if not isinstance(doc, list):
        return []
    return [x for x in doc[:n] if isinstance(x, dict)]


def users_by_id(doc: Any, key: str = "users") -> dict[str, dict]:
    """Side-loaded users (``{"users": [...]}``) by id, as strings."""
    users = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(users, list):
        return {}
    return {str(u.get("id")): u for u in users if isinstance(u, dict) and u.get("id") is not None}


def email_key(value: Any) -> str | None:
    """An e-mail address as a journey id (lower-case), or None."""
    s = as_str(value)
    return s.lower() if s and "@" in s else None
