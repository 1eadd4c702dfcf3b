"""The registry of product exports: which reader reads a file, recognised from its content.

Each export reader (:mod:`~mining.io.whatsapp`, :mod:`~mining.io.meta_export`,
:mod:`~mining.io.telegram`, :mod:`~mining.io.zendesk`, :mod:`~mining.io.intercom`,
:mod:`~mining.io.freshdesk`, :mod:`~mining.io.hubspot`) builds its rows with
:class:`mining.io.sources.SourceBuilder`; this module, not :mod:`mining.io.sources`, imports the
readers, so no reader and the module it builds with import each other.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mining.io import freshdesk, hubspot, intercom, meta_export, telegram, zendesk
from mining.io.base import ReadResult
from mining.io.whatsapp import is_whatsapp_file, read_whatsapp

if TYPE_CHECKING:
    from mining.config import IngestSettings
    from mining.io.records import Records

JsonSniffer = Callable[[Any], bool]
JsonReader = Callable[["Records", Any, "IngestSettings"], ReadResult]


def _json_readers() -> list[tuple[str, JsonSniffer, JsonReader]]:
    """``(format, content test, reader)`` for every JSON export, most specific first."""
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
    return is_whatsapp_file(path)


def read_text_export(path: Path, settings: IngestSettings) -> ReadResult:
    """Read a WhatsApp chat export (``.txt`` or ``.zip``)."""
    return read_whatsapp(path, settings)
