"""Writing tables: CSV safe for spreadsheets, Parquet, JSONL, JSON, with a traceable side file.

``write_table(df, "out/objections.csv")`` writes the table and ``out/objections.meta.json`` beside
it: row and column counts, the format, the journeymine version, the time written and whatever the
caller passes as ``metadata`` (inputs and settings), so every number can be traced.

CSV injection (OWASP "CSV Injection"): a spreadsheet treats a cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula. Every *text* cell starting with one of those
characters (or a line feed) is written with a leading apostrophe (``'=HYPERLINK(...)``), which
spreadsheets show as text. Numbers stay numbers:

- numeric, boolean and datetime columns are written unchanged (``-12.5`` stays ``-12.5``);
- in text columns, a cell that is exactly a plain decimal number (``-12.5``, ``+3``, ``1e-4``) is
  also left unchanged: a spreadsheet reads it as that number and it cannot carry a formula.
  Anything else that starts with a trigger character, such as ``-2+3`` or ``+1 555 0100``, is
  neutralised.

CSV files are UTF-8 (pass ``bom=True`` for Excel on Windows) with a header row; fields are quoted
as needed by the standard ``csv`` rules. Datetimes are ISO 8601 with offset.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from mining import __version__
from mining.errors import ConfigError, Errors

FORMATS = ("csv", "parquet", "jsonl", "json")

#: Characters that make a spreadsheet cell a formula (OWASP), plus line feed for good measure.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")

#: Invisible characters a spreadsheet may skip before a formula trigger (BOM, zero-width, bidi).
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u200e\u200f\u2060\u202a\u202b\u202c\u202d\u202e\u00a0 "

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise_cell(value: Any) -> Any:
    """Return ``value`` made safe for a spreadsheet (see the module docstring).

    Args:
        value: A cell value; only strings are changed.

    Returns:
        The value, with a leading ``'`` when it is a string that starts with a formula trigger
        and is not a plain number.
    """
    if not isinstance(value, str):
        return value
    bare = value.lstrip(_INVISIBLE)  # a BOM or zero-width space before "=" still makes a formula
    if bare.startswith(TRIGGERS) and not _NUMBER.fullmatch(bare):
        return "'" + value
    return value


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell neutralised against CSV injection.

    Args:
        df: Any DataFrame.

    Returns:
        A new DataFrame; numeric, boolean and datetime columns are untouched.
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
            out[col] = s.map(_cell_for_csv, na_action="ignore").astype("object")
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


#: Rows per piece when writing CSV: a large table is made spreadsheet-safe and written a piece at
#: a time, so no full copy of it is held (issue 14).
CSV_CHUNK_ROWS = 50_000


def _write_csv(df: pd.DataFrame, path: Path, bom: bool) -> None:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        for lo in range(0, max(len(df), 1), CSV_CHUNK_ROWS):
            part = csv_safe(_iso_dates(df.iloc[lo:lo + CSV_CHUNK_ROWS]))
            part.to_csv(fh, index=False, header=lo == 0, lineterminator="\n")


def _cell_for_csv(value: Any) -> Any:
    if isinstance(value, (list, tuple, dict)):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return neutralise_cell(value)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only when the block succeeds.

    A reader never sees half a file, an interrupted write leaves the old file (or none), and a
    symbolic link at ``path`` is replaced by the new regular file, never written through.
    """
    p = Path(path)
    tmp = p.with_name(f".tmp-{os.getpid()}-{os.urandom(4).hex()}-{p.name}")  # same suffix
    try:
        yield tmp
        os.replace(tmp, p)
    finally:
        tmp.unlink(missing_ok=True)


def infer_format(path: str | Path) -> str:
    """The format named by a path's suffix (``.csv``, ``.parquet``, ``.jsonl``, ``.json``)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"pq": "parquet", "ndjson": "jsonl"}.get(suffix, suffix)


def meta_path(path: str | Path) -> Path:
    """The side file of ``path``: ``out/x.csv`` -> ``out/x.meta.json``."""
    p = Path(path)
    return p.with_name(p.stem + ".meta.json")


def write_table(
    df: pd.DataFrame,
    path: str | Path,
    format: str | None = None,  # noqa: A002 - the public name users expect
    metadata: dict[str, Any] | None = None,
    *,
    bom: bool = False,
    side_file: bool = True,
) -> Path:
    """Write ``df`` to ``path`` and its metadata to ``<name>.meta.json`` beside it.

    Args:
        df: The table.
        path: Output file; parent folders are created.
        format: ``csv``, ``parquet``, ``jsonl`` or ``json``; default from the suffix (else csv).
        metadata: Extra facts to record (inputs, settings, report name); must be JSON-serialisable
            (other objects are written with ``str``).
        bom: CSV only: start with a UTF-8 byte-order mark (helps Excel on Windows).
        side_file: Write the ``.meta.json`` side file (default True).

    Returns:
        The path written.

    Raises:
        ConfigError: [E603] for an unknown format.
    """
    fmt = (format or infer_format(path) or "csv").lower()
    if fmt not in FORMATS:
        raise ConfigError(Errors.E603.format(fmt=fmt, choices=", ".join(FORMATS)))
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(p) as tmp:  # never half a file, never through a link
        if fmt == "csv":
            _write_csv(df, tmp, bom)
        elif fmt == "parquet":
            _for_parquet(df).to_parquet(tmp, index=False)
        elif fmt == "jsonl":
            _iso_dates(df).to_json(tmp, orient="records", lines=True, force_ascii=False)
        else:
            _iso_dates(df).to_json(tmp, orient="records", force_ascii=False, indent=1)
    if side_file:
        meta = {
            "file": p.name,
            "format": fmt,
            "rows": int(len(df)),
            "columns": [str(c) for c in df.columns],
            "journeymine": __version__,
            "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **{k: v for k, v in (df.attrs or {}).items() if _jsonable(v)},
            **(metadata or {}),
        }
        with atomic_path(meta_path(p)) as tmp:
            tmp.write_text(json.dumps(meta, indent=2, default=str, ensure_ascii=False) + "\n",
                           encoding="utf-8")
    return p


def _jsonable(v: Any) -> bool:
    try:
        json.dumps(v, default=str)
    except (TypeError, ValueError):
        return False
    return True


def _iso_dates(df: pd.DataFrame) -> pd.DataFrame:
    """Datetime columns as ISO 8601 strings (missing stays missing)."""
    cols = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c].dtype)]
    if not cols:
        return df
    out = df.copy()
    for c in cols:
        out[c] = out[c].map(lambda v: v.isoformat() if not pd.isna(v) else None).astype("object")
    return out


def _for_parquet(df: pd.DataFrame) -> pd.DataFrame:
    """Lists/dicts in object columns become JSON strings so Arrow can store them."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object and out[c].map(lambda v: isinstance(v, (list, dict))).any():
            out[c] = out[c].map(lambda v: json.dumps(v, default=str)
                                if isinstance(v, (list, dict)) else v)
    return out
