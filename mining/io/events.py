"""Events: touchpoints that are not messages (visit, booking, demo_request, purchase, ...).

CSV, TSV, JSONL, JSON (array) or Parquet, optionally ``.gz``. Fields: ``journey_id`` (required;
a file keyed by ``conversation_id`` instead is accepted and joined to journeys by the corpus),
``event_type`` (required), ``timestamp`` (ISO 8601; naive times in the ``timezone`` setting),
``channel`` and ``value`` (a number) optional.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mining.config import IngestSettings
from mining.errors import Errors, InputError
from mining.io.base import ReadResult, reject_frame
from mining.io.fields import (
    EVENT_FIELDS,
    as_str,
    check_column_map,
    list_columns,
    parse_number,
    parse_timestamp,
    resolve_columns,
    resolve_timezone,
    show,
    timestamp_reject,
)
from mining.io.records import Records, in_record_order, read_records
from mining.schema import conform
from mining.text.pseudonyms import pseudonymize_frame


def key_column(path: str, mapping: dict[str, str], columns: list[str]) -> str:
    """Which key an events/outcomes file uses: ``journey_id``, else ``conversation_id``.

    Raises:
        InputError: [E106] when neither column is present.
    """
    if "journey_id" in mapping:
        return "journey_id"
    if "conversation_id" in mapping:
        return "conversation_id"
    cols = list_columns(columns)
    raise InputError(Errors.E106.format(path=path, field="journey_id", columns=cols))


def events_from_records(records: Records, settings: IngestSettings) -> ReadResult:
    """Build the events table from a file's records.

    Returns:
        Events (with an extra ``conversation_id`` column when the file is keyed by conversation)
        and rejects.

    Raises:
        InputError: [E106] when the key or ``event_type`` column is missing.
    """
    tz = resolve_timezone(settings.timezone)
    mapping, notes = resolve_columns(
        records.columns, EVENT_FIELDS, check_column_map(settings.column_map)
    )
    rows: list[dict[str, Any]] = []
    rejects = list(records.rejects)
    if records.items:
        key = key_column(records.path, mapping, records.columns)
        if "event_type" not in mapping:
            cols = list_columns(records.columns)
            err = Errors.E106.format(path=records.path, field="event_type", columns=cols)
            raise InputError(err)
    for label, rec in records.items:
        def get(f: str, rec: dict = rec) -> Any:
            return rec.get(mapping[f]) if f in mapping else None

        def reject(code: str, reason: str, label: str = label) -> None:
            rejects.append((records.path, label, code, reason))

        key_value, etype = as_str(get(key)), as_str(get("event_type"))
        if key_value is None or etype is None:
            reject("E111", Errors.E111.format(field=key if key_value is None else "event_type"))
            continue
        try:
            ts = parse_timestamp(get("timestamp"), tz)
        except (ValueError, TypeError, OverflowError, OSError) as err:
            reject(*timestamp_reject(mapping["timestamp"], get("timestamp"), err))
            continue
        try:
            value = parse_number(get("value"))
        except (ValueError, TypeError):
            reject("E120", Errors.E120.format(field=mapping["value"], value=show(get("value"))))
            continue
        rows.append({
            "journey_id": key_value,
            "conversation_id": key_value if key == "conversation_id" else None,
            "timestamp": ts,
            "event_type": etype.lower(),
            "channel": (as_str(get("channel")) or "").lower() or None,
            "value": value,
            "source": f"{records.path}{records.sep}{label}",
        })
    return keyed_result(rows, EVENT_FIELDS, "events", records, rejects, notes)


def keyed_result(
    rows: list[dict[str, Any]],
    fields: Any,
    kind: str,
    records: Records,
    rejects: list[dict[str, Any]],
    notes: list[str],
) -> ReadResult:
    """Build the ``ReadResult`` of an events or outcomes file from its accepted rows.

    A file keyed by ``conversation_id`` keeps that column (the corpus joins it to journeys).

    Args:
        rows: Accepted records, one dict each, with a ``conversation_id`` key (None when keyed
            by journey).
        fields: The table's field names (without ``source``).
        kind: ``"events"`` or ``"outcomes"`` (a table of ``mining.schema``).
        records: The records that were read.
        rejects: Reject rows.
        notes: Notes about the file.

    Returns:
        The accepted table and the rejects.
    """
    table = conform(pd.DataFrame(rows, columns=list(fields) + ["source"]), kind)
    if rows and rows[0]["conversation_id"] is not None:
        table["conversation_id"] = table["journey_id"]
    return ReadResult(
        table=table,
        rejects=reject_frame(in_record_order(rejects)),
        n_read=records.n_read,
        source=records.path,
        notes=[f"{records.path}: {n}" for n in notes] + records.notes,
        kind=kind,
        fmt=records.fmt,
    )


def read_events(path: str | Path, settings: IngestSettings | None = None) -> ReadResult:
    """Read an events file.

    Args:
        path: CSV/TSV/JSONL/JSON/Parquet file, optionally ``.gz``.
        settings: Ingestion settings (``column_map``, ``timezone``); defaults when None.

    Returns:
        Accepted events and rejects.

    Raises:
        InputError: When the file cannot be read, or lacks a key or ``event_type`` column.
    """
    settings = settings or IngestSettings()
    res = events_from_records(read_records(path), settings)
    if settings.redact:  # the same keyed pseudonyms as the corpus, so they join the tags
        res.table = pseudonymize_frame(res.table)
    return res
