"""``journeymine label``: pick the customer messages most worth labelling, as a CSV to fill in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mining.cli._app import STATE
from mining.cli._options import InputOptions, InputsArg, input_command
from mining.errors import Errors, InputError


@input_command("label")
def label_command(
    inputs: InputsArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="The CSV to write (labels.csv).")],
    n: Annotated[int, typer.Option("-n", help="How many messages to pick.")] = 100,
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="Labels filled in earlier: learn from them first and "
                     "pick new messages only."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the diversity step.")] = 0,
    opts: InputOptions | None = None,
) -> None:
    """Write a CSV of the customer messages most worth labelling, to fill in and pass to --labels.

    Half are the messages the objection detector is least sure about, spread over the kinds of
    message in the corpus; half are drawn at random. Each comes with the agent turn before it.
    Fill in is_objection (yes/no) and, for objections, category; then run `tag` or `run` with
    --labels.

    Prints the path of the CSV on stdout.
    """
    # startup: these load numpy, pandas, rich only when the command runs
    from mining.io.writers import write_table
    from mining.journeys import build_journeys
    from mining.labels import fit_with_labels, label_candidates, read_labels
    from mining.objections import ObjectionDetector

    settings = opts.settings()
    corpus = opts.corpus(inputs, settings)
    journeys = build_journeys(corpus.messages)
    progress = bool(STATE.get("progress", True))
    det = ObjectionDetector(taxonomy=settings.tagging.taxonomy_dir, embedder=settings.embed.model,
                            settings=settings,
                            threshold=settings.tagging.objection_threshold)
    done: list[str] = []
    if labels is not None:
        det = fit_with_labels(det, journeys, labels, progress=progress)
        done = read_labels(labels, known_ids=journeys["message_id"].astype(str))[0][
            "message_id"].tolist()
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
