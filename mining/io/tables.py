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
from typing import TYPE_CHECKING, Any

from mining.errors import Errors, InputError
from mining.io.base import ReadResult, reject_frame
from mining.io.fields import (
    MESSAGE_FIELDS,
    as_str,
    check_column_map,
    generated_id,
    is_blank,
    list_columns,
    normalize_role,
    parse_timestamp,
    resolve_columns,
    resolve_timezone,
    show,
    timestamp_reject,
)
from mining.io.records import Records, _type_name, in_record_order, read_records

if TYPE_CHECKING:
    import pandas as pd

    from mining.config import IngestSettings

Reject = tuple[str, str, str, str]


class MessageBuilder:
    """Turns input records into rows of the messages table, or into rejects.

    Args:
        path: The source file (used in ``source`` and in generated ids).
        sep: ``":"`` before line numbers, ``"#"`` before record indexes.
        mapping: Canonical field -> input key, from :func:`~mining.io.fields.resolve_columns`.
        tz: ``tzinfo`` for naive timestamps.
        defaults: Values for fields the record lacks (e.g. a chat export's conversation metadata).
    """

    def __init__(
        self, path: str, sep: str, mapping: dict[str, str], tz: Any, defaults: dict | None = None
    ) -> None:
        self.path = path
        self.name = Path(path).name
        self.sep = sep
        self.mapping = mapping
        self.tz = tz
        self.defaults = defaults or {}
        self.rows: list[dict[str, Any]] = []
        self.rejects: list[Reject] = []

    def _get(self, rec: dict, f: str) -> Any:
        key = self.mapping.get(f)
        value = rec.get(key) if key is not None else None
        return self.defaults.get(f) if is_blank(value) else value

    def _has(self, f: str) -> bool:
        return f in self.mapping or not is_blank(self.defaults.get(f))

    def _reject(self, label: str, code: str, reason: str) -> None:
        self.rejects.append((self.path, label, code, reason))

    def add(self, label: str, rec: dict) -> bool:
        """Validate one record; append a row or a reject. Returns True when accepted."""
        key = self.mapping.get("text")
        text = rec.get(key) if key is not None else None
        if text is None or (not isinstance(text, str) and is_blank(text)):
            self._reject(label, "E111", Errors.E111.format(field="text"))
            return False
        if isinstance(text, (list, tuple, dict, bool)) or type(text).__name__ == "ndarray":
            kind = _type_name(text) if not isinstance(text, tuple) else "an array"
            self._reject(label, "E125", Errors.E125.format(field=key, kind=kind))
            return False
        if self._has("role"):
            raw_role = self._get(rec, "role")
            if is_blank(raw_role):
                self._reject(label, "E111", Errors.E111.format(field="role"))
                return False
            role = normalize_role(raw_role)
            if role is None:
                self._reject(label, "E117", Errors.E117.format(value=show(raw_role)))
                return False
        else:
            role = "customer"
        raw_ts = self._get(rec, "timestamp")
        try:
            ts = parse_timestamp(raw_ts, self.tz)
        except (ValueError, TypeError, OverflowError, OSError) as err:
            field = self.mapping.get("timestamp", "timestamp")
            self._reject(label, *timestamp_reject(field, raw_ts, err))
            return False
        conv = as_str(self._get(rec, "conversation_id"))
        if conv is None and self._has("conversation_id"):
            self._reject(label, "E111", Errors.E111.format(field="conversation_id"))
            return False
        mid = as_str(self._get(rec, "message_id"))
        if mid is None or conv is None:
            gen = generated_id("m", self.name, label, rec)
            mid = mid or gen
            conv = conv or "c-" + gen[2:]
        self.rows.append({
            "message_id": mid,
            "conversation_id": conv,
            "journey_id": as_str(self._get(rec, "journey_id")) or conv,
            "timestamp": ts,
            "channel": (as_str(self._get(rec, "channel")) or "").lower() or None,
            "role": role,
            "author": as_str(self._get(rec, "author")),
            "text": text if isinstance(text, str) else str(as_str(text)),
            "source": f"{self.path}{self.sep}{label}",
        })
        return True

    def frame(self) -> pd.DataFrame:
        """The accepted rows as a messages table (``clean_text`` left empty for the corpus)."""
        import pandas as pd

        from mining.schema import conform

        cols = list(MESSAGE_FIELDS) + ["source"]
        return conform(pd.DataFrame(self.rows, columns=cols), "messages")


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
    from mining.config import IngestSettings

    settings = settings or IngestSettings()
    records = read_records(path)
    chat_lines = "messages" in records.columns and not any(
        c in records.columns for c in ("text", settings.column_map.get("text"))
    )
    if records.doc is not None or chat_lines:
        from mining.io.chat import chat_from_records

        return chat_from_records(records, settings)
    return messages_from_records(records, settings)
