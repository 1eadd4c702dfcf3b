"""Turning input records into rows of the messages table.

Shared by the table, chat and export readers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mining.errors import Errors
from mining.io.fields import (
    MESSAGE_FIELDS,
    as_str,
    generated_id,
    is_blank,
    normalize_role,
    parse_timestamp,
    show,
    timestamp_reject,
)
from mining.io.records import _type_name
from mining.schema import conform

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
        cols = list(MESSAGE_FIELDS) + ["source"]
        return conform(pd.DataFrame(self.rows, columns=cols), "messages")
