"""``journeymine label``: pick the customer messages most worth labelling, as a CSV to fill in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mining.cli._app import STATE, app, handle_errors, settings_from_options


@app.command("label")
@handle_errors
def label_command(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="Message files or folders: chat JSONL/CSV/Parquet/JSON, .eml, .mbox."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The CSV to write (labels.csv).")],
    n: Annotated[int, typer.Option("-n", help="How many messages to pick.")] = 100,
    agent_domain: Annotated[
        list[str] | None,
        typer.Option("--agent-domain", help="E-mail domain of your staff (repeatable)."),
    ] = None,
    taxonomy: Annotated[
        Path | None,
        typer.Option("--taxonomy", help="Folder of taxonomy YAML files (default: packaged)."),
    ] = None,
    embedder: Annotated[
        str | None,
        typer.Option("--embedder", help="Embedding model name or folder, or 'hash' (fast)."),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="Labels filled in earlier: learn from them first and "
                     "pick new messages only."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the diversity step.")] = 0,
) -> None:
    """Write a CSV of the customer messages most worth labelling, to fill in and pass to --labels.

    The messages are those the objection detector is least sure about, spread over the kinds of
    message in the corpus, each with the agent turn before it. Fill in is_objection (yes/no)
    and, for objections, category; then run `tag` or `run` with --labels.

    Prints the path of the CSV on stdout.
    """
    from mining.errors import Errors, InputError
    from mining.io.corpus import load_corpus
    from mining.io.writers import write_table
    from mining.journeys import build_journeys
    from mining.labels import fit_with_labels, label_candidates, read_labels
    from mining.objections import ObjectionDetector

    settings = settings_from_options(agent_domains=agent_domain, taxonomy=taxonomy,
                                     embedder=embedder)
    corpus = load_corpus([str(p) for p in inputs], agent_domains=list(agent_domain or []),
                         settings=settings)
    journeys = build_journeys(corpus.messages)
    progress = bool(STATE.get("progress", True))
    det = ObjectionDetector(taxonomy=taxonomy, embedder=settings.embed.model, settings=settings,
                            threshold=settings.tagging.objection_threshold)
    done: list[str] = []
    if labels is not None:
        det = fit_with_labels(det, journeys, labels, progress=progress)
        done = read_labels(labels)[0]["message_id"].tolist()
    else:
        det.fit(progress=progress)
    table = label_candidates(journeys, det, n, settings=settings, seed=seed, exclude=done,
                             progress=progress)
    try:
        path = write_table(table, out, "csv", side_file=False)
    except OSError as err:
        raise InputError(Errors.E700.format(path=out, detail=err.strerror or err)) from None
    if not STATE.get("quiet"):
        typer.echo(f"{len(table)} messages to label in {out}: fill in is_objection (yes/no) "
                   "and, for objections, category; then `journeymine tag ... --labels "
                   f"{out.name}`.", err=True)
    typer.echo(str(path))
