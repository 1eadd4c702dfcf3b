"""What every reader returns, and helpers for building rejects."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from mining.schema import REJECTS


@dataclass
class ReadResult:
    """The outcome of reading one input file or folder.

    Attributes:
        table: Accepted records, with the columns of the target table in ``mining.schema``
            (messages readers may leave ``clean_text`` empty; the corpus fills it).
        rejects: Rejected records, columns of ``mining.schema.REJECTS``.
        n_read: Number of records read from the source (accepted + rejected).
        source: The path that was read, as given.
        notes: Remarks for the user (never message text), e.g. "no role column: all customer".
        kind: Which table ``table`` holds: ``"messages"``, ``"events"`` or ``"outcomes"``.
        fmt: The format that was read (``"jsonl"``, ``"csv"``, ``"chat"``, ``"email"``, ...).
    """

    table: pd.DataFrame
    rejects: pd.DataFrame
    n_read: int
    source: str
    notes: list[str] = field(default_factory=list)
    kind: str = "messages"
    fmt: str = ""


def reject_frame(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """Build a rejects table from ``(source, record, code, reason)`` tuples.

    Args:
        rows: One tuple per rejected record; ``code`` like ``"E113"``; ``reason`` never
            quotes message text.

    Returns:
        A DataFrame with the columns and dtypes of ``mining.schema.REJECTS``.
    """
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in REJECTS.items()})
    df = pd.DataFrame([tuple(str(v) for v in r) for r in rows], columns=list(REJECTS))
    return df.astype(REJECTS)
