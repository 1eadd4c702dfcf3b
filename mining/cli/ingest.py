"""Ingestion command: ``journeymine validate`` (``demo`` lives in ``mining.cli.run``)."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import typer

from mining.cli._app import STATE, app, handle_errors
from mining.cli._options import (
    AgentAddressOpt,
    AgentDomainOpt,
    AgentNameOpt,
    DateOrderOpt,
    EventsOpt,
    MapOpt,
    NoRedactOpt,
    OutcomesOpt,
    TimezoneOpt,
    parse_map,
)
from mining.config import IngestSettings, default
from mining.errors import ConfigError, Errors, RejectedDataError

_HEAD = ("source", "kind", "format", "read", "accepted", "rejected", "reject codes")


def format_summary(summary: dict[str, Any]) -> str:
    """Render a corpus summary (``Corpus.summary()``) as a plain-text table with totals.

    Args:
        summary: The summary dict.

    Returns:
        Lines of text: one row per source, the totals that reconcile, and rejects by code.
    """
    rows = [
        (s["source"], s["kind"], s["format"], str(s["read"]), str(s["accepted"]),
         str(s["rejected"]), " ".join(f"{c}:{n}" for c, n in s["rejects_by_code"].items()))
        for s in summary["sources"]
    ]
    t = summary["totals"]
    total = ("total", "", "", str(t["read"]), str(t["accepted"]), str(t["rejected"]), "")
    widths = [max(len(r[i]) for r in [_HEAD, *rows, total]) for i in range(len(_HEAD))]

    def line(r: tuple[str, ...]) -> str:
        cells = [r[i].rjust(w) if 3 <= i <= 5 else r[i].ljust(w) for i, w in enumerate(widths)]
        return "  ".join(cells).rstrip()

    out = [line(_HEAD), *[line(r) for r in rows], line(total)]
    check = "reconciled" if t["reconciled"] else "DOES NOT RECONCILE"
    out.append(f"read {t['read']} = accepted {t['accepted']} + rejected {t['rejected']} ({check})")
    tb = summary["tables"]
    out.append(
        f"corpus: {tb['messages']} messages, {tb['events']} events, {tb['outcomes']} outcomes"
    )
    if summary.get("file_errors"):
        out.append(f"unreadable files: {len(summary['file_errors'])} (see the errors on stderr)")
    if summary["rejects_by_code"]:
        out.append("rejects by code (first example):")
        for code, info in summary["rejects_by_code"].items():
            out.append(f"  {code}  {info['count']:>6}  {info['example']}")
    return "\n".join(out)


def _write_rejects(rejects: Any, path: Path) -> None:
    """Write ``--rejects-out``: formula-safe cells, never half a file, never through a link.

    Written under a temporary name and renamed (``mining.io.writers.atomic_path``); the folder
    must exist (E109 otherwise).
    """
    # startup: the writers load pandas only when a rejects file is asked for
    from mining.io.writers import atomic_path, csv_safe

    try:
        with atomic_path(path) as tmp:
            csv_safe(rejects).to_csv(tmp, index=False)
    except OSError as err:
        raise ConfigError(Errors.E109.format(path=path, detail=err.strerror or err)) from None


def _status(message: str) -> Any:
    """A transient spinner on stderr while inputs are read (off when not a terminal)."""
    if not STATE.get("progress") or not sys.stderr.isatty():
        return contextlib.nullcontext()
    # startup: rich stays off `journeymine --help`
    from rich.console import Console

    return Console(stderr=True).status(message)


def _validate(
    paths: list[Path],
    events: list[Path],
    outcomes: list[Path],
    column_map: str | None,
    timezone: str | None,
    agent_domains: list[str],
    agent_addresses: list[str],
    redact: bool,
    max_message_chars: int | None,
    strict: bool,
    rejects_out: Path | None,
    as_json: bool,
    agent_names: list[str] = (),  # type: ignore[assignment]
    date_order: str = "auto",
) -> None:
    # startup: mining.io.corpus (numpy, pandas, pyarrow) loads only when the command runs
    from mining.io.corpus import load_corpus

    if not paths:
        raise ConfigError(Errors.E006)
    defaults = IngestSettings()
    limit = defaults.max_message_chars if max_message_chars is None else max_message_chars
    with _status(f"Reading {len(paths) + len(events) + len(outcomes)} input(s)"):
        corpus = load_corpus(
            paths,
            events=events or None,
            outcomes=outcomes or None,
            column_map=parse_map(column_map),
            timezone=timezone or defaults.timezone,
            agent_domains=agent_domains,
            agent_addresses=agent_addresses,
            redact=redact,
            max_message_chars=limit,
            file_errors="collect",
            agent_names=agent_names,
            date_order=date_order,  # type: ignore[arg-type]
        )
    if rejects_out is not None:
        _write_rejects(corpus.rejects, rejects_out)
    summary = corpus.summary()
    if as_json:
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        typer.echo(format_summary(summary))
        if not STATE.get("quiet"):
            for note in summary["notes"]:
                typer.echo(f"note: {note}", err=True)
    if corpus.file_errors:  # unreadable files: listed after the summary of the others, exit 2
        for message in corpus.file_errors:
            typer.echo(f"Error: {message}", err=True)
        raise typer.Exit(2)
    if strict and corpus.n_rejected:
        where = str(rejects_out) if rejects_out else "the summary above (or use --rejects-out FILE)"
        raise RejectedDataError(Errors.E005.format(count=corpus.n_rejected, where=where))


@app.command()
@handle_errors
def validate(
    paths: list[Path] = typer.Argument(  # noqa: B008
        None, help="Message files or folders: .jsonl .json .csv .tsv .parquet (.gz), .eml, .mbox."
    ),
    events: EventsOpt = None,
    outcomes: OutcomesOpt = None,
    column_map: MapOpt = None,
    timezone: TimezoneOpt = None,
    agent_domain: AgentDomainOpt = None,
    agent_address: AgentAddressOpt = None,
    agent_name: AgentNameOpt = None,
    date_order: DateOrderOpt = None,
    no_redact: NoRedactOpt = False,
    max_message_chars: int = typer.Option(
        None, "--max-message-chars", help="Reject longer messages (default 20000)."
    ),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any record is rejected."),
    rejects_out: Path = typer.Option(  # noqa: B008
        None, "--rejects-out", help="Write every rejected record to this CSV file."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Read inputs and report what was accepted and rejected; read = accepted + rejected."""
    _validate(
        list(paths or []), list(events or []), list(outcomes or []), column_map, timezone,
        list(agent_domain or []), list(agent_address or []), not no_redact, max_message_chars,
        strict, rejects_out, as_json, agent_names=list(agent_name or []),
        date_order=date_order or default("ingest", "date_order"),
    )

