"""Outcomes: whether a journey (or a conversation) converted.

CSV, TSV, JSONL, JSON (array) or Parquet, optionally ``.gz``. Keyed by ``journey_id``, or by
``conversation_id`` (the corpus then joins each conversation to its journey). ``converted`` is
required and reads ``true/false/1/0/yes/no`` (any case); ``converted_at`` (ISO 8601) and
``value`` (a number) are optional. A key that appears twice in one file is rejected (E114; the
first row is kept).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mining.config import IngestSettings
from mining.errors import Errors, InputError
from mining.io.base import ReadResult
from mining.io.events import key_column, keyed_result
from mining.io.fields import (
    OUTCOME_FIELDS,
    as_str,
    check_column_map,
    is_blank,
    list_columns,
    parse_bool,
    parse_number,
    parse_timestamp,
    resolve_columns,
    resolve_timezone,
    show,
    timestamp_reject,
)
from mining.io.records import Records, read_records
from mining.text.pseudonyms import pseudonymize_frame


def outcomes_from_records(records: Records, settings: IngestSettings) -> ReadResult:
    """Build the outcomes table from a file's records.

    Returns:
        Outcomes (with an extra ``conversation_id`` column when the file is keyed by
        conversation) and rejects.

    Raises:
        InputError: [E106] when the key or ``converted`` column is missing.
    """
    tz = resolve_timezone(settings.timezone)
    mapping, notes = resolve_columns(
        records.columns, OUTCOME_FIELDS, check_column_map(settings.column_map)
    )
    rows: list[dict[str, Any]] = []
    rejects = list(records.rejects)
    seen: dict[str, str] = {}
    if records.items:
        key = key_column(records.path, mapping, records.columns)
        if "converted" not in mapping:
            cols = list_columns(records.columns)
            raise InputError(Errors.E106.format(path=records.path, field="converted", columns=cols))
    for label, rec in records.items:
        def get(f: str, rec: dict = rec) -> Any:
            return rec.get(mapping[f]) if f in mapping else None

        def reject(code: str, reason: str, label: str = label) -> None:
            rejects.append((records.path, label, code, reason))

        key_value = as_str(get(key))
        if key_value is None:
            reject("E111", Errors.E111.format(field=key))
            continue
        raw = get("converted")
        if is_blank(raw):
            reject("E111", Errors.E111.format(field="converted"))
            continue
        try:
            converted = parse_bool(raw)
        except ValueError:
            reject("E119", Errors.E119.format(value=show(raw)))
            continue
        try:
            at = parse_timestamp(get("converted_at"), tz)
        except (ValueError, TypeError, OverflowError, OSError) as err:
            reject(*timestamp_reject(mapping["converted_at"], get("converted_at"), err))
            continue
        try:
            value = parse_number(get("value"))
        except (ValueError, TypeError):
            reject("E120", Errors.E120.format(field=mapping["value"], value=show(get("value"))))
            continue
        source = f"{records.path}{records.sep}{label}"
        if key_value in seen:
            reason = Errors.E114.format(field=key, value=show(key_value, 80), kept=seen[key_value])
            reject("E114", reason)
            continue
        seen[key_value] = source
        rows.append({
            "journey_id": key_value,
            "conversation_id": key_value if key == "conversation_id" else None,
            "converted": converted,
            "converted_at": at,
            "value": value,
            "source": source,
        })
    return keyed_result(rows, OUTCOME_FIELDS, "outcomes", records, rejects, notes)


def read_outcomes(path: str | Path, settings: IngestSettings | None = None) -> ReadResult:
    """Read an outcomes file.

    Args:
        path: CSV/TSV/JSONL/JSON/Parquet file, optionally ``.gz``.
        settings: Ingestion settings (``column_map``, ``timezone``); defaults when None.

    Returns:
        Accepted outcomes and rejects.

    Raises:
        InputError: When the file cannot be read, or lacks a key or ``converted`` column.
    """
    settings = settings or IngestSettings()
    res = outcomes_from_records(read_records(path), settings)
    if settings.redact:  # the same keyed pseudonyms as the corpus, so they join the tags
        res.table = pseudonymize_frame(res.table)
    return res
