"""``journeymine export eventlog|xes|tags``: hand the tags to process-mining and journey tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mining.cli._app import app, handle_errors


@app.command("export")
@handle_errors
def export_command(
    kind: Annotated[
        str,
        typer.Argument(help="eventlog (CSV/Parquet/JSONL event log), xes (IEEE 1849 XES) or tags."),
    ],
    tags: Annotated[
        Path,
        typer.Option("--tags", help="tags.parquet (or tags.csv) written by `journeymine run`."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="csv, parquet or jsonl (default csv; xes for xes)."),
    ] = None,
    events: Annotated[
        Path | None,
        typer.Option("--events", help="Events file to add to the event log (visits, bookings…)."),
    ] = None,
    outcomes: Annotated[
        Path | None,
        typer.Option(
            "--outcomes", help="Outcomes file: converted journeys end with a 'converted' event."
        ),
    ] = None,
) -> None:
    """Export the tags, or an event log built from them, for other tools.

    The event log has one row per message (activity: its stage, or 'objection: <category>'),
    per event and per conversion, with the columns case:concept:name, concept:name,
    time:timestamp and org:resource that process-mining tools expect. Prints the written path.
    """
    # startup: mining.io.exports (numpy, pandas, rich) loads only when the command runs
    from mining.io.exports import check_format, export, read_tags

    fmt = check_format(kind, fmt)
    table = read_tags(tags)
    ev = oc = None
    if events is not None:
        # startup: mining.io.events (numpy, pandas, pyarrow) loads only when the command runs
        from mining.io.events import read_events

        ev = read_events(events).table
    if outcomes is not None:
        # startup: mining.io.outcomes (numpy, pandas, pyarrow) loads only when the command runs
        from mining.io.outcomes import read_outcomes

        oc = read_outcomes(outcomes).table
    path = export(kind, table, out, fmt=fmt, events=ev, outcomes=oc)
    typer.echo(str(path))
