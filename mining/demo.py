"""The demo: where the sample transcripts are and which of their files the demo reads.

``journeymine demo`` (and the test suite's shared ``demo_run`` fixture) run the whole pipeline on
``sample_transcripts/``. The folder lives in the source tree; the demo explains what to do when it
is absent (for example in an installed wheel).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mining.errors import Errors, InputError

#: Files in ``sample_transcripts/`` whose names contain one of these are never demo inputs
#: (deliberately bad records for the validation demo; ground-truth labels for tests).
EXCLUDE = ("bad", "invalid", "reject", "truth", "label", "gold")
#: Message file suffixes the demo reads from the top of the folder.
MESSAGE_SUFFIXES = (".jsonl", ".mbox")
EVENTS = "events.csv"
OUTCOMES = "outcomes.csv"
#: E-mail domains of the sample businesses' staff (documented in sample_transcripts/README.md).
AGENT_DOMAINS: tuple[str, ...] = ()


@dataclass
class DemoInputs:
    """What the demo reads: message files, events, outcomes and the staff's e-mail domains."""

    folder: Path
    messages: list[Path] = field(default_factory=list)
    events: Path | None = None
    outcomes: Path | None = None
    agent_domains: list[str] = field(default_factory=list)


def candidate_dirs() -> list[Path]:
    """Places the sample folder may be: the source tree, then inside the installed package."""
    pkg = Path(__file__).resolve().parent
    return [pkg.parent / "sample_transcripts", pkg / "sample_transcripts"]


def find_samples(places: list[Path] | None = None) -> Path:
    """Return the ``sample_transcripts/`` folder.

    Args:
        places: Folders to try, in order; None uses :func:`candidate_dirs`.

    Returns:
        The first folder that holds the outcomes file.

    Raises:
        InputError: [E701] when none does.
    """
    places = candidate_dirs() if places is None else places
    for cand in places:
        if (cand / OUTCOMES).is_file():
            return cand
    raise InputError(Errors.E701.format(places=", ".join(str(p) for p in places)))


def demo_inputs(folder: Path | None = None) -> DemoInputs:
    """List the demo's inputs in ``folder`` (default: :func:`find_samples`).

    Args:
        folder: The sample folder.

    Returns:
        The message files (top-level ``.jsonl`` and ``.mbox`` files, without the bad-records and
        ground-truth files), events, outcomes and agent domains.
    """
    folder = find_samples() if folder is None else Path(folder)
    messages = sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix in MESSAGE_SUFFIXES
        and not any(word in p.name.lower() for word in EXCLUDE)
    )
    events = folder / EVENTS
    return DemoInputs(
        folder=folder,
        messages=messages,
        events=events if events.is_file() else None,
        outcomes=folder / OUTCOMES,
        agent_domains=list(AGENT_DOMAINS),
    )
