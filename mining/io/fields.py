"""Field-level parsing shared by the table readers: time zones, timestamps, roles, ids, columns.

Everything here works on single Python values so that each record can be accepted or rejected
on its own, with a numbered reason that never quotes message text.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mining.errors import ConfigError, Errors, Warnings

#: Canonical fields of each input table (see ``mining.schema``), in the order they are documented.
MESSAGE_FIELDS = (
    "message_id", "conversation_id", "journey_id", "timestamp", "channel", "role", "author", "text",
)
EVENT_FIELDS = ("journey_id", "conversation_id", "timestamp", "event_type", "channel", "value")
OUTCOME_FIELDS = ("journey_id", "conversation_id", "converted", "converted_at", "value")
ALL_FIELDS = tuple(dict.fromkeys(MESSAGE_FIELDS + EVENT_FIELDS + OUTCOME_FIELDS))

#: Column names recognised without ``--map`` when the canonical column is absent (first match wins).
ALIASES: dict[str, tuple[str, ...]] = {
    "message_id": ("id", "msg_id", "messageid"),
    "conversation_id": ("conversation", "thread_id", "session_id", "chat_id", "ticket_id"),
    "journey_id": ("customer_id", "lead_id", "contact_id", "visitor_id", "journey"),
    "timestamp": ("time", "datetime", "date", "created_at", "sent_at", "ts"),
    "channel": ("medium",),
    "role": ("sender_type", "speaker", "sender_role", "participant_role"),
    "author": ("sender_name", "author_name", "sender"),
    "text": ("message", "body", "content", "utterance", "msg"),
    "event_type": ("event", "type", "action"),
    "converted": ("conversion", "won", "is_converted"),
    "converted_at": ("conversion_time", "won_at", "closed_at"),
    "value": ("amount", "revenue", "deal_value"),
}

#: Role synonyms (lower-case, spaces and hyphens as underscores) mapped to the four roles.
ROLE_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(
        ("customer", "user", "client", "lead", "prospect", "visitor", "buyer", "guest", "caller",
         "shopper", "contact", "member", "patient", "persuadee", "end_user", "consumer"),
        "customer",
    ),
    **dict.fromkeys(
        ("agent", "rep", "representative", "staff", "assistant", "persuader", "sales", "support",
         "salesperson", "sales_rep", "seller", "operator", "advisor", "adviser", "consultant",
         "employee", "human_agent", "support_agent", "csr", "owner", "business", "host"),
        "agent",
    ),
    **dict.fromkeys(("bot", "chatbot", "automated", "virtual_agent", "ai", "autoresponder"), "bot"),
    **dict.fromkeys(("system", "notification", "internal", "note", "event"), "system"),
}

_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+$")
_EPOCH = re.compile(r"^\d{9,13}(\.\d+)?$")
_UTC_SUFFIX = re.compile(r"\s*(?:UTC|GMT|z)$")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def resolve_timezone(name: str) -> Any:
    """Return the ``tzinfo`` for an IANA time-zone name.

    Args:
        name: For example ``"UTC"`` or ``"Europe/Berlin"``.

    Returns:
        A ``zoneinfo.ZoneInfo`` (or ``datetime.timezone.utc`` for ``"UTC"``).

    Raises:
        ConfigError: [E004] when the name is unknown.
    """
    if str(name).strip().upper() in ("UTC", "Z"):
        return timezone.utc
    try:
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ConfigError(Errors.E004.format(tz=name)) from None


def is_blank(value: Any) -> bool:
    """True for None, NaN/NA and strings that are empty or only whitespace."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return not value.strip()
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas.NA / NaT without importing pandas
        return True
    try:  # numpy NaN scalars
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def as_str(value: Any) -> str | None:
    """A field value as a stripped string (``None`` when blank); ``3.0`` becomes ``"3"``."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value).strip()


def show(value: Any, limit: int = 40) -> str:
    """Render a *non-text* field value (a role, a timestamp, an id) for a reject reason.

    A value that is long or reads like a sentence (perhaps message text in the wrong column) is
    not quoted; only its length is given, so reasons never carry message text.
    """
    s = " ".join(str(value).split())
    if len(s) > limit or len(s.split()) > 4:
        return f"<{len(s)} characters, not shown>"
    return s


class TimestampRangeError(ValueError):
    """A valid timestamp outside the supported years 1900-2200 (rejected as E126, not E112)."""


def timestamp_reject(field: str, value: Any, err: Exception) -> tuple[str, str]:
    """The reject ``(code, reason)`` for a timestamp that :func:`parse_timestamp` refused.

    Args:
        field: The input column the value came from.
        value: The raw value (shown only when short, see :func:`show`).
        err: What :func:`parse_timestamp` raised.
    """
    if isinstance(err, TimestampRangeError):
        return "E126", Errors.E126.format(field=field, value=show(value))
    return "E112", Errors.E112.format(field=field, value=show(value))


def parse_timestamp(value: Any, tz: Any) -> datetime | None:
    """Parse an ISO 8601 timestamp (or epoch seconds/milliseconds) to UTC.

    Accepted: ``2024-03-01T10:00:00Z``, ``2024-03-01 10:00``, ``2024-03-01T10:00:00+02:00``,
    ``2024-03-01`` (midnight), a trailing ``UTC``/``GMT``, and numbers (or strings of 9-13
    digits) as epoch seconds, or milliseconds when larger than 1e11.

    Args:
        value: A string, number, ``datetime`` or ``date``; blank values give ``None``.
        tz: The ``tzinfo`` that naive timestamps are taken in.

    Returns:
        A timezone-aware UTC ``datetime``, or ``None`` when the value is blank.

    Raises:
        ValueError: When the value is not a timestamp; :class:`TimestampRangeError` when it lies
            outside the years 1900-2200.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError("not a timestamp")
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)):
        secs = float(value) / 1000.0 if abs(value) > 1e11 else float(value)
        try:
            dt = datetime.fromtimestamp(secs, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            if math.isnan(secs):
                raise ValueError("not a timestamp") from None
            raise TimestampRangeError("year out of range") from None
    else:
        s = str(value).strip()
        if _EPOCH.match(s):  # 9+ digits: epoch seconds or milliseconds, as exported by many tools
            return parse_timestamp(float(s), tz)
        if len(s) < 8 or s.isdigit() and len(s) != 8:  # "2024" is a year, not a point in time
            raise ValueError("not ISO 8601")
        s = _UTC_SUFFIX.sub("+00:00", s)
        dt = datetime.fromisoformat(s)
    if not 1900 <= dt.year <= 2200:  # checked before the zone shift, which overflows at 1 and 9999
        raise TimestampRangeError("year out of range")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    dt = dt.astimezone(timezone.utc)
    if not 1900 <= dt.year <= 2200:
        raise TimestampRangeError("year out of range")
    return dt


def normalize_role(value: Any) -> str | None:
    """Map a role or one of its synonyms to ``customer``, ``agent``, ``bot`` or ``system``.

    Returns:
        The canonical role, or ``None`` when the value is not a known role.
    """
    key = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    return ROLE_SYNONYMS.get(key)


def parse_bool(value: Any) -> bool:
    """Parse ``true/false/1/0/yes/no`` (any case; also ``y/n``, ``t/f``).

    Raises:
        ValueError: For anything else.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    s = str(value).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError("not a boolean")


def parse_number(value: Any) -> float | None:
    """Parse a number; blank gives None.

    ``"1,200.50"``, ``"1.200,50"``, ``"12,5"`` and a currency sign are accepted.

    Raises:
        ValueError: When the value is not a number.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, (int, float)):
        return float(value)
    s = str(value).strip().lstrip("$€£").rstrip("$€£").strip().replace(" ", "").replace("_", "")
    if "," in s and "." in s:  # the separator that comes first groups thousands
        if s.rfind(".") > s.rfind(","):
            s = s.replace(",", "")
        else:
            s = s.replace(".", "").replace(",", ".")
    elif "," in s:
        s = s.replace(",", "") if _THOUSANDS.match(s) else s.replace(",", ".")
    out = float(s)
    if math.isnan(out) or math.isinf(out):
        raise ValueError("not a finite number")
    return out


def generated_id(prefix: str, source_name: str, record: str, payload: Any) -> str:
    """A deterministic id from the source file name, the record's position and its content.

    The same file read twice (from any folder) gives the same ids.

    Args:
        prefix: ``"m"`` for messages, ``"c"`` for conversations.
        source_name: The file's base name.
        record: The record's line number or index.
        payload: The record itself (anything JSON-serialisable with ``default=str``).

    Returns:
        For example ``"m-3f1c0a9b2d4e5f60"``.
    """
    body = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    digest = hashlib.sha1(f"{source_name}\x1f{record}\x1f{body}".encode("utf-8", "surrogatepass"))
    return f"{prefix}-{digest.hexdigest()[:16]}"


def list_columns(columns: list, limit: int = 12) -> str:
    """Column names for an error message: at most ``limit``, each shortened to 30 characters."""
    shown = [show(c, 30) for c in columns[:limit]]
    more = f", … ({len(columns) - limit} more)" if len(columns) > limit else ""
    return (", ".join(shown) + more) or "none"


def check_column_map(column_map: dict[str, str] | None) -> dict[str, str]:
    """Validate a ``canonical name -> input column`` mapping.

    Raises:
        ConfigError: [E002] when a key is not a canonical field name.
    """
    column_map = dict(column_map or {})
    for key in column_map:
        if key not in ALL_FIELDS:
            raise ConfigError(
                Errors.E002.format(kind="field in --map", name=key, choices=", ".join(ALL_FIELDS))
            )
    return column_map


def resolve_columns(
    columns: list[str], fields: tuple[str, ...], column_map: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """Decide which input column feeds each canonical field.

    Order of precedence: the user's ``column_map`` (when that column exists in this file), the
    canonical name itself, then the first matching alias from :data:`ALIASES` (case-insensitive).

    Args:
        columns: The input's column names.
        fields: Canonical fields wanted.
        column_map: Canonical name -> input column, from ``--map``.

    Returns:
        ``(mapping, notes)``: canonical field -> input column for the fields found, and one note
        per alias used.
    """
    present = {c: c for c in columns}
    lower = {str(c).strip().lower(): c for c in columns}
    used: set[str] = set()
    out: dict[str, str] = {}
    notes: list[str] = []
    missing: list[str] = []
    for f in fields:  # explicit mappings first, so an alias never steals a mapped column
        col = column_map.get(f)
        if col is not None and col in present:
            out[f] = col
            used.add(col)
        elif col is not None:
            missing.append(f)
    for f in fields:  # then canonical names (a column may feed two fields: journey_id=conv...)
        if f not in out and f in lower:
            out[f] = lower[f]
            used.add(lower[f])
    for f in fields:  # aliases last, never a column that already feeds a field
        if f in out:
            continue
        for alias in ALIASES.get(f, ()):
            col = lower.get(alias)
            if col is not None and col not in used:
                out[f] = col
                used.add(col)
                notes.append(f"column '{col}' read as {f}")
                break
    for f in missing:  # a --map naming a column this file lacks is said, never ignored silently
        fallback = f"column '{out[f]}' is read as {f}" if f in out else f"no column is read as {f}"
        notes.append(Warnings.W104.format(field=f, column=show(column_map[f], 30),
                                          fallback=fallback))
    return out, notes
