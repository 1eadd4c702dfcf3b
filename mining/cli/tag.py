"""``journeymine tag``: tag every message with stage, objection, intent and reply strategy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mining.cli._app import STATE
from mining.cli._options import InputOptions, InputsArg, OutOpt, input_command
from mining.errors import Errors, InputError


@input_command("tag")
def tag_command(
    inputs: InputsArg,
    out: OutOpt,
    model: Annotated[Path | None, typer.Option(
        "--model", help="Folder of saved models: load them instead of fitting.")] = None,
    labels: Annotated[Path | None, typer.Option(
        "--labels", help="Filled-in CSV from `journeymine label`: teach the objection detector "
        "(saved in OUT/model/objections).")] = None,
    opts: InputOptions | None = None,
) -> None:
    """Write OUT/tags.csv and OUT/tags.parquet: one row per message (docs/tags-schema.md).

    Prints the path of tags.csv on stdout.
    """
    # startup: these load numpy, pandas, rich only when the command runs
    from mining.io.output_dir import abandon, begin, mark_complete, publish, recorded_settings
    from mining.io.writers import write_table
    from mining.tagging import tag

    settings = opts.settings()
    settings.tagging.labels = labels
    if model is not None and not model.is_dir():
        raise InputError(Errors.E100.format(path=model))
    corpus = opts.corpus(inputs, settings)
    if len(corpus.messages) == 0:
        raise InputError(Errors.E503)
    result = tag(corpus, settings=settings, model_dir=model,
                 progress=bool(STATE.get("progress", True)))
    meta = {"table": "tags", "inputs": [str(p) for p in inputs],
            "settings": recorded_settings(settings)}
    stage = begin(out)  # written beside OUT, moved in only when complete
    try:
        write_table(result.tags, stage / "tags.csv", "csv", meta)
        write_table(result.tags, stage / "tags.parquet", "parquet", side_file=False)
        if len(result.themes):
            write_table(result.themes, stage / "themes.csv", "csv", {"table": "themes"})
        if labels is not None:
            result.models["objections"].save(stage / "model" / "objections")
        mark_complete(stage, command="tag", inputs=meta["inputs"])  # run.json, moved in last
        publish(stage, out)
    except OSError as err:
        raise InputError(Errors.E700.format(path=out, detail=err.strerror or err)) from None
    finally:
        abandon(stage)
    csv_path = out / "tags.csv"
    if labels is not None and not STATE.get("quiet"):
        # startup: mining.labels (numpy, pandas, rich) loads only when the command runs
        from mining.labels import labels_summary

        typer.echo(labels_summary(result.models["objections"]), err=True)
    if not STATE.get("quiet"):
        t = result.tags
        n_obj = int(t["is_objection"].fillna(False).astype(bool).sum())
        typer.echo(f"{len(t)} messages tagged, {n_obj} objections, "
                   f"{t['journey_id'].nunique()} journeys, {len(corpus.rejects)} rejects.",
                   err=True)
    typer.echo(str(csv_path))
