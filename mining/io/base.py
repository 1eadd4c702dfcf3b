"""What every reader returns, and helpers for building rejects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class ReadResult:
    """The outcome of reading one input file or folder.

    Attributes:
        table: Accepted records, with the columns of the target table in ``mining.schema``
            (messages readers may leave ``clean_text`` empty; the corpus fills it).
        rejects: Rejected records, columns of ``mining.schema.REJECTS``.
        n_read: Number of records read from the source (accepted + rejected).
        source: The path that was read, as given.
    """

    table: pd.DataFrame
    rejects: pd.DataFrame
    n_read: int
    source: str
    notes: list[str] = field(default_factory=list)
