"""``journeymine tag``: tag every message with stage, objection, intent and reply strategy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mining.cli._app import STATE, app, handle_errors, settings_from_options


@app.command("tag")
@handle_errors
def tag_command(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="Message files or folders: chat JSONL/CSV/Parquet/JSON, .eml, .mbox."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created if needed).")],
    events: Annotated[Path | None, typer.Option("--events", help="Events file.")] = None,
    outcomes: Annotated[Path | None, typer.Option("--outcomes", help="Outcomes file.")] = None,
    taxonomy: Annotated[
        Path | None,
        typer.Option("--taxonomy", help="Folder of taxonomy YAML files (default: packaged)."),
    ] = None,
    agent_domain: Annotated[
        list[str] | None,
        typer.Option("--agent-domain", help="E-mail domain of your staff (repeatable)."),
    ] = None,
    embedder: Annotated[
        str | None,
        typer.Option("--embedder", help="Embedding model name or folder, or 'hash' (fast)."),
    ] = None,
    reducer: Annotated[
        str | None, typer.Option("--reducer", help="Reducer for themes: umap (default) or pca.")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="Folder of saved models: load them instead of fitting."),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="Filled-in CSV from `journeymine label`: teach the "
                     "objection detector (saved in OUT/model/objections)."),
    ] = None,
) -> None:
    """Write OUT/tags.csv and OUT/tags.parquet: one row per message (docs/tags-schema.md).

    Prints the path of tags.csv on stdout.
    """
    from mining.errors import Errors, InputError
    from mining.io.corpus import load_corpus
    from mining.io.writers import write_table
    from mining.tagger import tag_corpus

    settings = settings_from_options(agent_domains=agent_domain, taxonomy=taxonomy,
                                     embedder=embedder, reducer=reducer)
    settings.tagging.labels = labels
    if model is not None and not model.is_dir():
        raise InputError(Errors.E100.format(path=model))
    corpus = load_corpus([str(p) for p in inputs], events=events, outcomes=outcomes,
                         agent_domains=list(agent_domain or []), settings=settings)
    if len(corpus.messages) == 0:
        raise InputError(Errors.E503)
    result = tag_corpus(corpus, settings=settings, taxonomy_dir=taxonomy, model_dir=model,
                        progress=bool(STATE.get("progress", True)))
    meta = {"table": "tags", "inputs": [str(p) for p in inputs]}
    try:
        csv_path = write_table(result.tags, out / "tags.csv", "csv", meta)
        write_table(result.tags, out / "tags.parquet", "parquet", side_file=False)
        if len(result.themes):
            write_table(result.themes, out / "themes.csv", "csv", {"table": "themes"})
        if labels is not None:
            result.models["objections"].save(out / "model" / "objections")
    except OSError as err:
        raise InputError(Errors.E700.format(path=out, detail=err.strerror or err)) from None
    if labels is not None and not STATE.get("quiet"):
        from mining.labels import labels_summary

        typer.echo(labels_summary(result.models["objections"]), err=True)
    if not STATE.get("quiet"):
        t = result.tags
        n_obj = int(t["is_objection"].fillna(False).astype(bool).sum())
        typer.echo(f"{len(t)} messages tagged, {n_obj} objections, "
                   f"{t['journey_id'].nunique()} journeys, {len(corpus.rejects)} rejects.",
                   err=True)
    typer.echo(str(csv_path))
