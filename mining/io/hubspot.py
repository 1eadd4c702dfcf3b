"""HubSpot conversations (inbox threads and their messages) and CRM engagements (API JSON).

**Conversations** (``GET /conversations/v3/conversations/threads/{id}/messages``, or threads
with their messages)::

    {"results": [
      {"id": "7a1f", "type": "MESSAGE", "conversationsThreadId": "4410",
       "createdAt": "2024-03-04T09:05:00Z", "createdBy": "V-5821", "direction": "INCOMING",
       "channelId": "1000", "text": "Do you have Saturday openings?",
       "senders": [{"actorId": "V-5821", "name": "Dana", "deliveryIdentifier":
                    {"type": "HS_EMAIL_ADDRESS", "value": "dana@example.com"}}]}]}

A thread object (``{"id": …, "associatedContactId": …, "messages": [...]}``, messages also as
``{"results": [...]}``) may wrap its messages. Roles from the actor id's prefix: ``V-``
(visitor) and ``E-`` (e-mail sender) → customer, ``A-`` → agent, ``B-`` → bot, ``S-``/``I-``
(system, integration) → system, else the direction (incoming → customer); ``COMMENT`` (an
internal comment) → system; status changes and assignments → system lines;
``WELCOME_MESSAGE`` → bot. Text: ``text``, else ``richText`` converted. Channel from
``channelId``: 1000 chat, 1001 social (Messenger), 1002 email, 1003 web (forms), 1007
whatsapp. Journey: the thread's contact (``hubspot-contact-<id>``), else the customer's
e-mail, else the visitor id.

**Engagements** (``GET /engagements/v1/engagements/paged``: ``{"results": [{"engagement":
{…}, "associations": {"contactIds": […]}, "metadata": {…}}]}``), and the CRM v3 activity
objects (``GET /crm/v3/objects/emails?properties=hs_email_direction,hs_email_text,…&
associations=contacts``; notes, calls, meetings, tasks, communications likewise):
``INCOMING_EMAIL`` → customer, ``EMAIL`` → agent (sent from HubSpot), notes, calls, meetings
and tasks → system (they are the team's own records). One conversation per contact. Records
are numbered by their position in ``results`` (``<thread>.<message>`` for threads).
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

_KEYS = ("results", "threads", "engagements")
_ACTORS = {"V": "customer", "E": "customer", "A": "agent", "B": "bot", "S": "system",
           "I": "system"}
_CHANNELS = {"1000": "chat", "1001": "social", "1002": "email", "1003": "web", "1007": "whatsapp"}
_EVENT_TYPES = ("THREAD_STATUS_CHANGE", "ASSIGNMENT", "THREAD_COMMENT_STATUS_CHANGE")
_ENGAGEMENT_ROLES = {"INCOMING_EMAIL": "customer", "EMAIL": "agent", "FORWARDED_EMAIL": "agent"}
_ENGAGEMENT_CHANNELS = {"INCOMING_EMAIL": "email", "EMAIL": "email", "FORWARDED_EMAIL": "email",
                        "CALL": "phone", "MEETING": "phone"}


def _is_message(m: dict) -> bool:
    return "conversationsThreadId" in m or ("createdBy" in m and "senders" in m)


def _thread_messages(t: dict) -> list[Any] | None:
    msgs = t.get("messages")
    if isinstance(msgs, dict):
        msgs = msgs.get("results")
    return msgs if isinstance(msgs, list) else None


def _v3_type(item: Any) -> str | None:
    """The engagement type of a CRM v3 object (emails, notes, calls, …), or None."""
    props = item.get("properties") if isinstance(item, dict) else None
    if not isinstance(props, dict):
        return None
    if props.get("hs_email_direction") or "hs_email_text" in props or "hs_email_html" in props:
        return str(props.get("hs_email_direction") or "EMAIL").upper()
    for kind in ("note", "call", "meeting", "task", "communication"):
        if f"hs_{kind}_body" in props:
            return kind.upper()
    return None


def _from_v3(item: dict) -> dict:
    """A CRM v3 object (``/crm/v3/objects/emails`` …) in the shape of a v1 engagement."""
    props = item["properties"]
    kind = _v3_type(item) or "OTHER"
    body = next((props.get(f"hs_{k}_body") for k in
                 ("note", "call", "meeting", "task", "communication") if props.get(f"hs_{k}_body")),
                None)
    contacts = ((item.get("associations") or {}).get("contacts") or {}).get("results") or []
    return {
        "engagement": {"id": item.get("id"), "type": kind,
                       "timestamp": props.get("hs_timestamp") or item.get("createdAt")},
        "associations": {"contactIds": [c.get("id") for c in contacts if isinstance(c, dict)]},
        "metadata": {"text": props.get("hs_email_text"), "html": props.get("hs_email_html"),
                     "body": body,
                     "from": {"firstName": props.get("hs_email_sender_firstname"),
                              "lastName": props.get("hs_email_sender_lastname"),
                              "email": props.get("hs_email_sender_email")}},
    }


def is_hubspot_export(doc: Any) -> bool:
    """True for HubSpot conversation messages, threads, engagements or CRM v3 activities."""
    items = first_items(doc, _KEYS)
    if not items:
        return False
    if mostly(items, lambda i: isinstance(i.get("engagement"), dict) or _v3_type(i)):
        return True
    if mostly(items, _is_message):
        return True
    return mostly(items, lambda i: _thread_messages(i) is not None
                  and ("associatedContactId" in i or "inboxId" in i or "threadStatus" in i))


def _actor(m: dict) -> str:
    actor = as_str(m.get("createdBy"))
    senders = m.get("senders")
    if not actor and isinstance(senders, list) and senders and isinstance(senders[0], dict):
        actor = as_str(senders[0].get("actorId"))
    return actor or ""


def _message_role(m: dict, sb: SourceBuilder) -> tuple[str, str | None]:
    """The role and text of one conversations message."""
    kind = str(m.get("type") or "MESSAGE").upper()
    text = m.get("text") if isinstance(m.get("text"), str) and m["text"].strip() else None
    text = text or html_text(m.get("richText"))
    if kind == "COMMENT":
        sb.counts["internal comment(s) kept as system messages"] += 1
        return "system", text
    if kind in _EVENT_TYPES or kind not in ("MESSAGE", "WELCOME_MESSAGE"):
        sb.counts["thread event(s) (status changes, assignments) kept as system lines"] += 1
        return "system", text or f"({kind.lower().replace('_', ' ')})"
    if kind == "WELCOME_MESSAGE":
        return "bot", text
    role = _ACTORS.get(_actor(m)[:1])
    if role is None:
        role = "customer" if str(m.get("direction") or "").upper() == "INCOMING" else "agent"
    return role, text


def _customer_key(msgs: list[Any]) -> str | None:
    """The journey of a thread without a contact: its first customer's e-mail or visitor id."""
    for m in msgs:
        if not isinstance(m, dict) or _ACTORS.get(_actor(m)[:1]) != "customer":
            continue
        for s in m.get("senders") or []:
            ident = s.get("deliveryIdentifier") if isinstance(s, dict) else None
            if isinstance(ident, dict) and email_key(ident.get("value")):
                return email_key(ident.get("value"))
        return f"hubspot-visitor-{_actor(m)}"
    return None


def _add_message(label: str, m: Any, thread: str | None, journey: str | None,
                 sb: SourceBuilder) -> None:
    if not isinstance(m, dict):
        sb.reject(label, "E118", Errors.E118.format(kind=_type_name(m)))
        return
    thread = thread or as_str(m.get("conversationsThreadId"))
    mid = as_str(m.get("id"))
    if thread is None or mid is None:
        sb.reject(label, "E166", Errors.E166)
        return
    role, text = _message_role(m, sb)
    senders = m.get("senders")
    first = senders[0] if isinstance(senders, list) and senders else {}
    conv = f"hubspot-thread-{thread}"
    sb.add(label, message_id=f"hubspot-{mid}", conversation_id=conv, journey_id=journey or conv,
           timestamp=m.get("createdAt"), role=role, text=text,
           channel=_CHANNELS.get(as_str(m.get("channelId")) or "", "chat"),
           author=first.get("name") if isinstance(first, dict) else None)


def _add_engagement(label: str, item: Any, sb: SourceBuilder) -> None:
    eng = item.get("engagement") if isinstance(item, dict) else None
    if not isinstance(eng, dict):
        sb.reject(label, "E118", Errors.E118.format(kind=_type_name(item)))
        return
    if as_str(eng.get("id")) is None:
        sb.reject(label, "E166", Errors.E166)
        return
    kind = str(eng.get("type") or "").upper()
    meta = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
    text = meta.get("text") if isinstance(meta.get("text"), str) and meta["text"].strip() \
        else html_text(meta.get("html") or meta.get("body"))
    role = _ENGAGEMENT_ROLES.get(kind, "system")
    if role == "system":
        sb.counts[f"{kind.lower() or 'other'} engagement(s) kept as system messages"] += 1
    contacts = (item.get("associations") or {}).get("contactIds") or []
    sender = meta.get("from") if isinstance(meta.get("from"), dict) else {}
    name = " ".join(str(sender.get(k) or "") for k in ("firstName", "lastName")).strip()
    conv = f"hubspot-contact-{contacts[0]}" if contacts else f"hubspot-engagement-{eng['id']}"
    sb.add(label, message_id=f"hubspot-engagement-{eng['id']}", conversation_id=conv,
           journey_id=conv, timestamp=eng.get("timestamp", eng.get("createdAt")), role=role,
           channel=_ENGAGEMENT_CHANNELS.get(kind, "crm"), text=text,
           author=name or sender.get("email"))


def hubspot_from_document(records: Records, doc: Any, settings: IngestSettings) -> ReadResult:
    """Build messages from HubSpot conversation messages, threads or engagements.

    Args:
        records: The file's records (JSONL lines keep their line numbers).
        doc: The parsed JSON (see :func:`is_hubspot_export`).
        settings: Ingestion settings.

    Returns:
        Messages (``fmt="hubspot"``) and rejects.
    """
    sb = SourceBuilder(records.path, "hubspot", settings, sep=records.sep)
    items = labelled_items(records, doc, _KEYS)
    if any(isinstance(i, dict) and isinstance(i.get("engagement"), dict) or _v3_type(i)
           for _, i in items):
        for label, item in items:
            _add_engagement(label, _from_v3(item) if _v3_type(item) else item, sb)
        return sb.result(records.rejects)
    threads: dict[str, list[Any]] = {}
    for _, m in items:
        if isinstance(m, dict) and _is_message(m):
            threads.setdefault(str(m.get("conversationsThreadId")), []).append(m)
    for label, item in items:
        msgs = _thread_messages(item) if isinstance(item, dict) else None
        if msgs is None:  # a message of a flat list
            key = str(item.get("conversationsThreadId")) if isinstance(item, dict) else ""
            _add_message(label, item, None, _customer_key(threads.get(key, [])), sb)
            continue
        tid = as_str(item.get("id"))
        contact = as_str(item.get("associatedContactId"))
        journey = f"hubspot-contact-{contact}" if contact else _customer_key(msgs)
        for mi, m in enumerate(msgs, start=1):
            _add_message(f"{label}.{mi}", m, tid, journey, sb)
    return sb.result(records.rejects)
