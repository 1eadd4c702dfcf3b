"""The demo: where the sample transcripts are and which of their files the demo reads.

``journeymine demo`` (and the test suite's shared ``demo_run`` fixture) run the whole pipeline on
``sample_transcripts/``. The folder lives in the source tree; the demo explains what to do when it
is absent (for example in an installed wheel).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mining.errors import Errors, InputError

#: Folders in ``sample_transcripts/`` that are never demo inputs (deliberately bad records for the
#: validation demo; ground-truth labels for tests; the generator).
EXCLUDE = ("bad", "ground_truth", "_gen")
#: Message files the demo reads from each business folder.
MESSAGE_FILES = ("chat.jsonl", "inbox.mbox")
EVENTS = "events.csv"
OUTCOMES = "outcomes.csv"
#: E-mail domains of the sample businesses' staff (documented in sample_transcripts/README.md).
AGENT_DOMAINS: tuple[str, ...] = ("brightsmile-dental.example", "ledgerly.example")


@dataclass
class DemoInputs:
    """What the demo reads: message files, events, outcomes and the staff's e-mail domains."""

    folder: Path
    messages: list[Path] = field(default_factory=list)
    events: list[Path] = field(default_factory=list)
    outcomes: list[Path] = field(default_factory=list)
    agent_domains: list[str] = field(default_factory=list)


def candidate_dirs() -> list[Path]:
    """Places the sample folder may be: the source tree, then inside the installed package."""
    pkg = Path(__file__).resolve().parent
    return [pkg.parent / "sample_transcripts", pkg / "sample_transcripts"]


def business_dirs(folder: Path) -> list[Path]:
    """Return the sample businesses' folders in ``folder`` (those with an outcomes file)."""
    if not folder.is_dir():
        return []
    return sorted(
        d
        for d in folder.iterdir()
        if d.is_dir() and d.name not in EXCLUDE and (d / OUTCOMES).is_file()
    )


def find_samples(places: list[Path] | None = None) -> Path:
    """Return the ``sample_transcripts/`` folder.

    Args:
        places: Folders to try, in order; None uses :func:`candidate_dirs`.

    Returns:
        The first folder that holds at least one business folder with an outcomes file.

    Raises:
        InputError: [E701] when none does.
    """
    places = candidate_dirs() if places is None else places
    for cand in places:
        if business_dirs(cand):
            return cand
    raise InputError(Errors.E701.format(places=", ".join(str(p) for p in places)))


def demo_inputs(folder: Path | None = None) -> DemoInputs:
    """List the demo's inputs in ``folder`` (default: :func:`find_samples`).

    The demo reads both sample businesses together (their chat exports, mailboxes, events and
    outcomes), never the bad-records or ground-truth folders.

    Args:
        folder: The sample folder.

    Returns:
        The message files, events and outcomes files, and the staff's e-mail domains.
    """
    folder = find_samples() if folder is None else Path(folder)
    businesses = business_dirs(folder)
    return DemoInputs(
        folder=folder,
        messages=[b / f for b in businesses for f in MESSAGE_FILES if (b / f).is_file()],
        events=[b / EVENTS for b in businesses if (b / EVENTS).is_file()],
        outcomes=[b / OUTCOMES for b in businesses],
        agent_domains=list(AGENT_DOMAINS),
    )
