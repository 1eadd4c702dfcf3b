"""Message tables: JSONL, JSON (array), CSV/TSV and Parquet files, optionally gzip-compressed.

Canonical fields (other names are mapped with ``column_map`` / ``--map text=body``, and common
aliases such as ``body`` or ``speaker`` are recognised when the canonical column is absent):

- ``text`` (required), ``message_id`` (generated deterministically when missing),
- ``conversation_id`` (when the column is absent, every row is its own conversation),
- ``journey_id`` (defaults to ``conversation_id``), ``timestamp`` (ISO 8601; naive times are taken
  in the ``timezone`` setting and converted to UTC), ``channel``, ``role`` (synonyms mapped; when
  the column is absent every message is a customer message), ``author``.

A table with only a text column is therefore a set of customer messages, one conversation each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mining.config import IngestSettings
from mining.errors import Errors, InputError
from mining.io.base import ReadResult, reject_frame
from mining.io.builder import MessageBuilder
from mining.io.chat import chat_from_records
from mining.io.fields import (
    MESSAGE_FIELDS,
    check_column_map,
    list_columns,
    resolve_columns,
    resolve_timezone,
)
from mining.io.records import Records, in_record_order, read_records


def messages_from_records(
    records: Records, settings: IngestSettings, *, tz: Any = None, fmt: str | None = None
) -> ReadResult:
    """Build the messages of a table file from its records.

    Args:
        records: What :func:`~mining.io.records.read_records` returned.
        settings: Ingestion settings (``column_map``, ``timezone``).
        tz: The resolved ``tzinfo`` (resolved from ``settings.timezone`` when None).
        fmt: Format name for the result (defaults to ``records.fmt``).

    Returns:
        The messages and rejects of the file.

    Raises:
        InputError: [E106] when no column holds the message text.
    """
    column_map = check_column_map(settings.column_map)
    tz = tz if tz is not None else resolve_timezone(settings.timezone)
    mapping, notes = resolve_columns(records.columns, MESSAGE_FIELDS, column_map)
    if "text" not in mapping and records.items:
        columns = list_columns(records.columns)
        raise InputError(Errors.E106.format(path=records.path, field="text", columns=columns))
    if records.items and "role" not in mapping:
        notes.append("no role column: every message is a customer message")
    if records.items and "conversation_id" not in mapping:
        notes.append("no conversation_id column: every row is its own conversation")
    builder = MessageBuilder(records.path, records.sep, mapping, tz)
    for label, rec in records.items:
        builder.add(label, rec)
    return ReadResult(
        table=builder.frame(),
        rejects=reject_frame(in_record_order(records.rejects + builder.rejects)),
        n_read=records.n_read,
        source=records.path,
        notes=[f"{records.path}: {n}" for n in notes] + records.notes,
        kind="messages",
        fmt=fmt or records.fmt,
    )


def read_message_table(path: str | Path, settings: IngestSettings | None = None) -> ReadResult:
    """Read a message table (JSONL, JSON array, CSV/TSV or Parquet, optionally ``.gz``).

    A ``.json`` file holding a chat export (conversations with a ``messages`` array) is read by
    :func:`mining.io.chat.read_chat_export` instead.

    Args:
        path: The file.
        settings: Ingestion settings; defaults when None.

    Returns:
        Accepted messages (``clean_text`` empty; the corpus fills it) and rejects.

    Raises:
        InputError: When the file cannot be read at all (E100-E107).
        ConfigError: For an unknown time zone (E004) or a bad column map (E002).
    """
    settings = settings or IngestSettings()
    records = read_records(path)
    chat_lines = "messages" in records.columns and not any(
        c in records.columns for c in ("text", settings.column_map.get("text"))
    )
    if records.doc is not None or chat_lines:
        return chat_from_records(records, settings)
    return messages_from_records(records, settings)
