"""Generic chat export: JSON conversations, each with metadata and a ``messages`` array.

The shape (documented with an example in the README)::

    {"conversations": [
        {"conversation_id": "c-1001", "journey_id": "lead-42", "channel": "chat",
         "messages": [
            {"message_id": "m1", "timestamp": "2024-03-01T10:00:00Z", "role": "customer",
             "author": "Dana", "text": "Hi, how much is the annual plan?"},
            {"timestamp": "2024-03-01T10:01:10Z", "role": "agent", "author": "Sam",
             "text": "It's $480 a year."}]}]}

The top level may also be a bare array of conversations, or a single conversation object.
Conversation fields (``conversation_id`` or ``id``, ``journey_id`` or ``customer_id``, ``channel``)
apply to every message; a message's own fields win. Message fields are those of a message table
(:mod:`mining.io.tables`) and ``column_map`` applies to both levels. Records are numbered
``<conversation>.<message>`` (1-based): ``export.json#3.2`` is the second message of the third
conversation. A missing ``conversation_id`` is generated from the file name, the conversation's
position and its metadata; missing ``channel`` is ``chat``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mining.config import IngestSettings
from mining.errors import Errors, InputError
from mining.io.base import ReadResult, reject_frame
from mining.io.builder import MessageBuilder
from mining.io.fields import (
    MESSAGE_FIELDS,
    as_str,
    check_column_map,
    generated_id,
    resolve_columns,
    resolve_timezone,
)
from mining.io.records import (
    Records,
    _type_name,
    in_record_order,
    read_records,
    record_problem,
)

_CONV_FIELDS = ("conversation_id", "journey_id", "channel")


def is_chat_export(doc: Any) -> bool:
    """True when a parsed JSON document has the chat-export shape."""
    if isinstance(doc, dict):
        return isinstance(doc.get("conversations"), list) or isinstance(doc.get("messages"), list)
    return isinstance(doc, list) and any(isinstance(c, dict) and "messages" in c for c in doc)


def _conversations(path: str, doc: Any) -> list[Any]:
    if isinstance(doc, dict) and isinstance(doc.get("conversations"), list):
        return doc["conversations"]
    if isinstance(doc, dict) and isinstance(doc.get("messages"), list):
        return [doc]
    if isinstance(doc, list) and is_chat_export(doc):
        return doc
    raise InputError(
        Errors.E102.format(
            path=path,
            fmt="message table or chat export",
            detail="expected an array of message objects, or conversations with a 'messages' array",
        )
    )


def chat_from_document(path: str, doc: Any, settings: IngestSettings) -> ReadResult:
    """Build messages from a parsed chat-export document.

    Args:
        path: The file the document came from.
        doc: The parsed JSON.
        settings: Ingestion settings (``column_map``, ``timezone``).

    Returns:
        Messages and rejects; one record per message (a conversation that is not an object or
        has no ``messages`` array counts as one rejected record).

    Raises:
        InputError: [E102] when the document is not a chat export.
    """
    column_map = check_column_map(settings.column_map)
    tz = resolve_timezone(settings.timezone)
    convs = _conversations(path, doc)
    name = Path(path).name
    rejects: list[tuple[str, str, str, str]] = []
    builder_rows: list[dict] = []
    n_read = 0
    empty = 0
    for ci, conv in enumerate(convs, start=1):
        problem = record_problem(
            {k: v for k, v in conv.items() if k != "messages"} if isinstance(conv, dict) else conv
        )
        if problem is not None:  # the conversation's metadata is unusable: one rejected record
            rejects.append((path, str(ci), *problem))
            n_read += 1
            continue
        if not isinstance(conv, dict):
            rejects.append((path, str(ci), "E118", Errors.E118.format(kind=_type_name(conv))))
            n_read += 1
            continue
        messages = conv.get("messages")
        if not isinstance(messages, list):
            rejects.append((path, str(ci), "E122", Errors.E122))
            n_read += 1
            continue
        if not messages:
            empty += 1
            continue
        meta = {k: v for k, v in conv.items() if k != "messages"}
        cmap, _ = resolve_columns(list(meta), _CONV_FIELDS, column_map)
        if "conversation_id" not in cmap and "id" in meta:
            cmap["conversation_id"] = "id"
        defaults = {f: meta.get(col) for f, col in cmap.items()}
        if as_str(defaults.get("conversation_id")) is None:
            defaults["conversation_id"] = "c-" + generated_id("c", name, str(ci), meta)[2:]
        defaults["channel"] = as_str(defaults.get("channel")) or "chat"
        keys: list[str] = []
        for m in messages:
            if isinstance(m, dict):
                keys.extend(k for k in m if k not in keys)
        mapping, _ = resolve_columns(keys, MESSAGE_FIELDS, column_map)
        builder = MessageBuilder(path, "#", mapping, tz, defaults)
        for mi, m in enumerate(messages, start=1):
            label = f"{ci}.{mi}"
            n_read += 1
            if not isinstance(m, dict):
                rejects.append((path, label, "E118", Errors.E118.format(kind=_type_name(m))))
            elif (problem := record_problem(m)) is not None:
                rejects.append((path, label, *problem))
            else:
                builder.add(label, m)
        builder_rows.extend(builder.rows)
        rejects.extend(builder.rejects)
    out = MessageBuilder(path, "#", {}, tz)
    out.rows = builder_rows
    notes = [f"{path}: {empty} conversation(s) with no messages"] if empty else []
    return ReadResult(
        table=out.frame(),
        rejects=reject_frame(in_record_order(rejects)),
        n_read=n_read,
        source=path,
        notes=notes,
        kind="messages",
        fmt="chat",
    )


def read_chat_export(path: str | Path, settings: IngestSettings | None = None) -> ReadResult:
    """Read a chat export (``.json`` or ``.json.gz``, or one conversation per line in ``.jsonl``).

    Args:
        path: The file.
        settings: Ingestion settings; defaults when None.

    Returns:
        Accepted messages (``clean_text`` empty; the corpus fills it) and rejects.

    Raises:
        InputError: When the file cannot be read or is not a chat export.
    """
    return chat_from_records(read_records(path), settings or IngestSettings())


def chat_from_records(records: Records, settings: IngestSettings) -> ReadResult:
    """Build messages from the records of a file holding a chat export (JSON or JSONL)."""
    if records.doc is not None:
        return chat_from_document(records.path, records.doc, settings)
    result = chat_from_document(records.path, [rec for _, rec in records.items], settings)
    result.rejects = reject_frame(records.rejects + list(result.rejects.itertuples(index=False)))
    result.n_read += len(records.rejects)
    return result
