"""Product exports (chat apps, helpdesks, CRMs), recognised from their content.

Each export reader lives in its own module (:mod:`~mining.io.whatsapp`,
:mod:`~mining.io.meta_export`, :mod:`~mining.io.telegram`, :mod:`~mining.io.zendesk`,
:mod:`~mining.io.intercom`, :mod:`~mining.io.freshdesk`, :mod:`~mining.io.hubspot`) and registers
here with a content test. :mod:`mining.io.dispatch` asks :func:`read_json_export` before it reads
a JSON file as a message table or generic chat export, and :func:`is_text_export` /
:func:`read_text_export` for the text and ZIP files WhatsApp writes.

Every reader hands its messages to one :class:`SourceBuilder`, which runs them through the
same field normalisation as the table readers (:class:`~mining.io.tables.MessageBuilder`:
timestamps to UTC, roles, ids, numbered rejects); the corpus then cleans and redacts them like
every other message.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mining.errors import Errors
from mining.io.base import ReadResult, reject_frame
from mining.io.builder import MessageBuilder
from mining.io.fields import MESSAGE_FIELDS, resolve_timezone
from mining.io.records import has_bad_bytes, in_record_order

if TYPE_CHECKING:
    from mining.config import IngestSettings
    from mining.io.records import Records

_IDENTITY = {f: f for f in MESSAGE_FIELDS}


class SourceBuilder:
    """Collects the messages and rejects of one product export and counts what was read.

    Args:
        path: The file read.
        fmt: The format name shown by ``validate`` (``"whatsapp"``, ``"zendesk"``, ...).
        settings: Ingestion settings (``timezone`` for times without a zone).
        sep: ``":"`` before line numbers, ``"#"`` before record indexes.
    """

    def __init__(self, path: str, fmt: str, settings: IngestSettings, sep: str = "#") -> None:
        self.path = path
        self.fmt = fmt
        self.tz = resolve_timezone(settings.timezone)
        self.builder = MessageBuilder(path, sep, _IDENTITY, self.tz)
        self.n_read = 0
        self.notes: list[str] = []
        self.counts: Counter[str] = Counter()

    def add(self, label: str, **fields: Any) -> bool:
        """Read one record as a message with the canonical fields given (``text``, ``role``, ...).

        ``timestamp`` may be a ``datetime`` (naive ones are taken in the ``timezone`` setting), an
        ISO 8601 string or epoch seconds/milliseconds. Returns True when the message is accepted.
        """
        self.n_read += 1
        if has_bad_bytes(fields.get("text")) or has_bad_bytes(fields.get("author")):
            self.builder.rejects.append((self.path, label, "E115", Errors.E115))
            return False
        return self.builder.add(label, fields)

    def reject(self, label: str, code: str, reason: str) -> None:
        """Read one record that cannot be used: a numbered reject (reasons never quote text)."""
        self.n_read += 1
        self.builder.rejects.append((self.path, label, code, reason))

    def note(self, text: str) -> None:
        """Add a remark for the user, prefixed with the file name."""
        self.notes.append(f"{self.path}: {text}")

    def result(self, read_rejects: Iterable[tuple[str, str, str, str]] = ()) -> ReadResult:
        """The messages and rejects read so far.

        Args:
            read_rejects: Rejects from reading the file itself (broken JSON lines); they count as
                records read.
        """
        extra = list(read_rejects)
        for key, n in sorted(self.counts.items()):
            self.note(f"{n} {key}")
        return ReadResult(
            table=self.builder.frame(),
            rejects=reject_frame(in_record_order(extra + self.builder.rejects)),
            n_read=self.n_read + len(extra),
            source=self.path,
            notes=self.notes,
            kind="messages",
            fmt=self.fmt,
        )


def stable_id(prefix: str, *parts: Any) -> str:
    """A message or conversation id from the source's own keys (the same on every re-export)."""
    body = "\x1f".join(str(p) for p in parts)
    return f"{prefix}-{hashlib.sha1(body.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"


def mostly(items: Iterable[Any], test: Callable[[Any], Any]) -> bool:
    """True when more than half of ``items`` (and at least one) pass ``test``.

    Content tests use it so that one broken record does not hide a whole export from its
    reader (the record becomes a reject instead).
    """
    items = list(items)
    n = sum(1 for i in items if test(i))
    return n > 0 and 2 * n > len(items)


def name_key(name: Any) -> str:
    """A display name compared loosely: case, spaces, ``~`` and direction marks ignored."""
    s = str(name or "").replace("\u200e", "").replace("\u200f", "").replace("\u202f", " ")
    return " ".join(s.strip().lstrip("~").split()).casefold()


def agent_names(settings: IngestSettings) -> set[str]:
    """The ``--agent-name`` values, compared with :func:`name_key`."""
    return {name_key(n) for n in getattr(settings, "agent_names", ()) if name_key(n)}


def html_text(value: Any) -> str | None:
    """A message body as plain text: HTML (helpdesk bodies, rich text) converted, else as is."""
    from mining.text.html import html_to_text, looks_like_html

    if not isinstance(value, str):
        return None
    if looks_like_html(value) or value.lstrip().startswith("<"):
        return html_to_text(value)
    return value


# --- registry ---------------------------------------------------------------------------------

JsonSniffer = Callable[[Any], bool]
JsonReader = Callable[["Records", Any, "IngestSettings"], ReadResult]


def _json_readers() -> list[tuple[str, JsonSniffer, JsonReader]]:
    """``(format, content test, reader)`` for every JSON export, most specific first."""
    from mining.io import freshdesk, hubspot, intercom, meta_export, telegram, zendesk

    return [
        ("meta", meta_export.is_meta_export, meta_export.meta_from_document),
        ("telegram", telegram.is_telegram_export, telegram.telegram_from_document),
        ("intercom", intercom.is_intercom_export, intercom.intercom_from_document),
        ("zendesk", zendesk.is_zendesk_export, zendesk.zendesk_from_document),
        ("freshdesk", freshdesk.is_freshdesk_export, freshdesk.freshdesk_from_document),
        ("hubspot", hubspot.is_hubspot_export, hubspot.hubspot_from_document),
    ]


def json_document(records: Records) -> Any:
    """The parsed document of a JSON file, or the list of its records (JSON array, JSONL)."""
    if records.doc is not None:
        return records.doc
    return [rec for _, rec in records.items]


def read_json_export(records: Records, settings: IngestSettings) -> ReadResult | None:
    """Read a JSON or JSONL file with the export reader its content fits, if any.

    Args:
        records: The file's records (:func:`~mining.io.records.read_records`).
        settings: Ingestion settings.

    Returns:
        The reader's result, or None when the content is no known product export (the file is
        then a message table or a generic chat export).
    """
    if records.fmt not in ("json", "jsonl"):
        return None
    doc = json_document(records)
    if not doc:
        return None
    for _fmt, sniff, read in _json_readers():
        if sniff(doc):
            return read(records, doc, settings)
    return None


def is_text_export(path: Path) -> bool:
    """True for a WhatsApp chat export: a ``.txt`` file or ``.zip`` archive with one in it."""
    from mining.io.whatsapp import is_whatsapp_file

    return is_whatsapp_file(path)


def read_text_export(path: Path, settings: IngestSettings) -> ReadResult:
    """Read a WhatsApp chat export (``.txt`` or ``.zip``)."""
    from mining.io.whatsapp import read_whatsapp

    return read_whatsapp(path, settings)
