"""Product exports (chat apps, helpdesks, CRMs), recognised from their content.

Each export reader lives in its own module (:mod:`~mining.io.whatsapp`,
:mod:`~mining.io.meta_export`, :mod:`~mining.io.telegram`, :mod:`~mining.io.zendesk`,
:mod:`~mining.io.intercom`, :mod:`~mining.io.freshdesk`, :mod:`~mining.io.hubspot`) and registers
with a content test in :mod:`mining.io.registry`, which :mod:`mining.io.dispatch` asks before it
reads a JSON file as a message table or generic chat export, and for the text and ZIP files
WhatsApp writes.

Every reader hands its messages to one :class:`SourceBuilder`, which runs them through the
same field normalisation as the table readers (:class:`~mining.io.builder.MessageBuilder`:
timestamps to UTC, roles, ids, numbered rejects); the corpus then cleans and redacts them like
every other message.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from mining.errors import Errors
from mining.io.base import ReadResult, reject_frame
from mining.io.builder import MessageBuilder
from mining.io.fields import MESSAGE_FIELDS, resolve_timezone
from mining.io.records import has_bad_bytes, in_record_order
from mining.text.html import html_to_text, looks_like_html

if TYPE_CHECKING:
    from mining.config import IngestSettings

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
    if not isinstance(value, str):
        return None
    if looks_like_html(value) or value.lstrip().startswith("<"):
        return html_to_text(value)
    return value
