"""Exports for other mappers: the tags table and the event log, in the formats other tools read.

``export("eventlog", tags, "log.csv")`` writes the event log as CSV (or Parquet, JSONL);
``export("xes", tags, "log.xes")`` as XES; ``export("tags", tags, "tags.jsonl")`` the tags
themselves. :func:`read_tags` reads back the tags a run wrote.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd

from mining import schema
from mining.errors import ConfigError, Errors, InputError
from mining.io.eventlog import to_event_log, write_xes
from mining.io.output_dir import check_complete
from mining.io.writers import write_table

#: Export kind -> the formats it can be written in (the first is the default).
EXPORTS: dict[str, tuple[str, ...]] = {
    "eventlog": ("csv", "parquet", "jsonl"),
    "xes": ("xes",),
    "tags": ("csv", "parquet", "jsonl"),
}

#: Columns a file must have to be taken as a tags table.
REQUIRED_TAG_COLUMNS = ("message_id", "journey_id", "timestamp", "role", "stage")


def read_tags(path: str | PathLike[str]) -> pd.DataFrame:
    """Read a tags table written by ``journeymine run`` (Parquet preferred; CSV or JSONL work).

    Args:
        path: ``tags.parquet``, ``tags.csv`` or ``tags.jsonl``.

    Returns:
        The tags with the columns and dtypes of ``mining.schema.TAGS``.

    Raises:
        InputError: [E100] when missing, [E702] when unreadable, [E703] when it lacks tag columns,
            [E156] when it belongs to a run folder whose ``run.json`` does not say complete.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(Errors.E100.format(path=p))
    check_complete(p)  # [E156] the run that wrote it was interrupted
    try:
        if p.suffix == ".parquet":
            df = pd.read_parquet(p)
        elif p.suffix in (".jsonl", ".ndjson"):
            df = pd.read_json(p, lines=True, dtype=False)
        else:
            df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
            for col in ("stage_confidence", "objection_probability"):
                if col in df:
                    df[col] = pd.to_numeric(df[col], errors="coerce")
            if "is_objection" in df:
                df["is_objection"] = (
                    df["is_objection"].str.lower().map({"true": True, "false": False})
                )
    except (OSError, ValueError) as err:
        raise InputError(Errors.E702.format(path=p, detail=err)) from None
    missing = [c for c in REQUIRED_TAG_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(Errors.E703.format(path=p, missing=", ".join(missing)))
    return schema.conform(df, "tags")


def check_format(kind: str, fmt: str | None) -> str:
    """Return the format to write ``kind`` in, validating ``fmt`` (None: the kind's default).

    Raises:
        ConfigError: [E002] for an unknown kind, [E704] for a format the kind cannot be written in.
    """
    if kind not in EXPORTS:
        raise ConfigError(Errors.E002.format(kind="export", name=kind, choices=", ".join(EXPORTS)))
    if fmt is None or (kind == "xes" and fmt == "xes"):
        return EXPORTS[kind][0]
    if fmt not in EXPORTS[kind]:
        raise ConfigError(Errors.E704.format(fmt=fmt, what=kind, choices=", ".join(EXPORTS[kind])))
    return fmt


def export(
    kind: str,
    tags: pd.DataFrame,
    path: str | PathLike[str],
    *,
    fmt: str | None = None,
    events: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
) -> Path:
    """Write one export.

    Args:
        kind: ``eventlog`` (table), ``xes`` (event log as XES) or ``tags``.
        tags: The tags table.
        path: The file to write (parent folders are created).
        fmt: ``csv``, ``parquet`` or ``jsonl`` (``xes`` for kind ``xes``); None: the default.
        events: Events to include in the event log, or None.
        outcomes: Outcomes to include in the event log (a ``converted`` activity), or None.

    Returns:
        The written path.

    Raises:
        ConfigError: For an unknown kind or format.
    """
    fmt = check_format(kind, fmt)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if kind == "tags":
        return write_table(tags, out, fmt, {"export": "tags"})
    log = to_event_log(tags, events, outcomes)
    if kind == "xes":
        return write_xes(log, out)
    return write_table(log, out, fmt, {"export": "eventlog"})
