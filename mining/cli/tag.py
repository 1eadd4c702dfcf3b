"""``journeymine tag``: tag every message with stage, objection, intent and reply strategy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mining.cli._app import STATE, app, handle_errors
from mining.cli._options import (
    AgentAddressOpt,
    AgentDomainOpt,
    ConfigOpt,
    EmbedderOpt,
    EventsOpt,
    MapOpt,
    NoRedactOpt,
    OutcomesOpt,
    ReducerOpt,
    TaxonomyOpt,
    TimezoneOpt,
    build_settings,
    load_inputs,
)


@app.command("tag")
@handle_errors
def tag_command(
    inputs: Annotated[list[Path], typer.Argument(
        help="Message files or folders: chat JSONL/CSV/Parquet/JSON, .eml, .mbox.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created if needed).")],
    events: EventsOpt = None,
    outcomes: OutcomesOpt = None,
    column_map: MapOpt = None,
    timezone: TimezoneOpt = None,
    agent_domain: AgentDomainOpt = None,
    agent_address: AgentAddressOpt = None,
    config: ConfigOpt = None,
    taxonomy: TaxonomyOpt = None,
    no_redact: NoRedactOpt = False,
    embedder: EmbedderOpt = None,
    reducer: ReducerOpt = None,
    model: Annotated[Path | None, typer.Option(
        "--model", help="Folder of saved models: load them instead of fitting.")] = None,
) -> None:
    """Write OUT/tags.csv and OUT/tags.parquet: one row per message (docs/tags-schema.md).

    Prints the path of tags.csv on stdout.
    """
    from mining.errors import Errors, InputError
    from mining.io.writers import write_table
    from mining.tagging import tag

    settings = build_settings(config, column_map=column_map, timezone=timezone,
                              agent_domains=agent_domain, agent_addresses=agent_address,
                              no_redact=no_redact, taxonomy=taxonomy, embedder=embedder,
                              reducer=reducer)
    if model is not None and not model.is_dir():
        raise InputError(Errors.E100.format(path=model))
    corpus = load_inputs(inputs, settings, events, outcomes)
    if len(corpus.messages) == 0:
        raise InputError(Errors.E503)
    result = tag(corpus, settings=settings, model_dir=model,
                 progress=bool(STATE.get("progress", True)))
    meta = {"table": "tags", "inputs": [str(p) for p in inputs],
            "settings": settings.model_dump(mode="json")}
    try:
        csv_path = write_table(result.tags, out / "tags.csv", "csv", meta)
        write_table(result.tags, out / "tags.parquet", "parquet", side_file=False)
        if len(result.themes):
            write_table(result.themes, out / "themes.csv", "csv", {"table": "themes"})
    except OSError as err:
        raise InputError(Errors.E700.format(path=out, detail=err.strerror or err)) from None
    if not STATE.get("quiet"):
        t = result.tags
        n_obj = int(t["is_objection"].fillna(False).astype(bool).sum())
        typer.echo(f"{len(t)} messages tagged, {n_obj} objections, "
                   f"{t['journey_id'].nunique()} journeys, {len(corpus.rejects)} rejects.",
                   err=True)
    typer.echo(str(csv_path))
