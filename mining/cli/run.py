"""``journeymine run`` (transcripts to a journey map in one command) and ``journeymine demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mining.cli._app import STATE, app, handle_errors
from mining.cli._options import (
    EmbedderOpt,
    InputOptions,
    InputsArg,
    OutOpt,
    ReducerOpt,
    build_settings,
    input_command,
)
from mining.errors import Errors, RejectedDataError


def _summary(result: Any, out: Path) -> None:
    """Print a short human summary of a run (a ``RunResult``) on stderr."""
    if STATE.get("quiet"):
        return
    c, t = result.counts, result.timings
    typer.echo(
        f"{c.get('messages', 0)} messages in {c.get('journeys', 0)} journeys "
        f"({c.get('converted_journeys', 0)} converted), {c.get('themes', 0)} themes, "
        f"{c.get('objection_messages', 0)} objection messages, {c.get('rejects', 0)} rejects; "
        f"{t.get('total', 0):.1f} s. Outputs in {out}/",
        err=True,
    )


def _run(inputs: list[Path], out: Path, settings: Any, *, events: list[Path] | None,
         outcomes: list[Path] | None, model: Path | None, strict: bool) -> Path:
    # startup: mining.pipeline (numpy, pandas, pyarrow) loads only when the command runs
    from mining.pipeline import run

    result = run(
        [str(p) for p in inputs], out, settings=settings, model_dir=model,
        taxonomy_dir=settings.tagging.taxonomy_dir,
        events=[str(p) for p in events or []] or None,
        outcomes=[str(p) for p in outcomes or []] or None,
        progress=bool(STATE.get("progress", True)),
    )
    if settings.tagging.labels is not None and not STATE.get("quiet"):
        # startup: mining.labels (numpy, pandas, rich) loads only when the command runs
        from mining.labels import labels_summary

        typer.echo(labels_summary(result.tag_result.models["objections"]), err=True)
    _summary(result, out)
    if strict and len(result.rejects):
        raise RejectedDataError(
            Errors.E005.format(count=len(result.rejects), where=out / "rejects.csv")
        )
    return out / "report.html"


@input_command("run")
def run_command(
    inputs: InputsArg,
    out: OutOpt,
    model: Annotated[Path | None, typer.Option(
        "--model", help="model/ folder of an earlier run: keep its theme ids on new data.")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit with code 1 if any record is rejected.")] = False,
    labels: Annotated[Path | None, typer.Option(
        "--labels", help="Filled-in CSV from `journeymine label`: teach the objection detector "
        "(saved in OUT/model/).")] = None,
    pseudonym_map: Annotated[bool, typer.Option(
        "--pseudonym-map", help="Also write OUT/pseudonyms.csv: each cust-…/msg-… id with the "
        "e-mail address, phone or Message-ID it stands for (personal data).")] = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=0, help="Run the per-message work on a local Dask cluster of N worker "
        "processes (needs the 'scale' extra; README 'Scaling out').")] = None,
    cluster: Annotated[str | None, typer.Option(
        "--cluster", help="Run it on an existing Dask scheduler instead, e.g. "
        "tcp://scheduler:8786.")] = None,
    opts: InputOptions | None = None,
) -> None:
    """Transcripts in, journey map out: ingest, tag, report, and write OUT/ with report.html.

    Writes tags.csv and tags.parquet, themes.csv, reports/*.csv, rejects.csv, model/,
    report.html and run.json (with the resolved settings) into OUT. Prints the path of
    report.html on stdout.
    """
    settings = opts.settings(ingest={"pseudonym_map": True} if pseudonym_map else {},
                             scale={"workers": workers, "cluster": cluster})
    settings.tagging.labels = labels
    report = _run(inputs, out, settings, events=opts.events, outcomes=opts.outcomes,
                  model=model, strict=strict)
    typer.echo(str(report))


@app.command("demo")
@handle_errors
def demo_command(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder for the demo run.")
    ] = Path("journeymine-demo"),
    embedder: EmbedderOpt = None,
    reducer: ReducerOpt = None,
) -> None:
    """Run the whole pipeline on the bundled sample transcripts and say where the report is."""
    # startup: mining.demo loads only when the command runs
    from mining.demo import demo_inputs

    demo = demo_inputs()
    settings = build_settings(agent_domains=demo.agent_domains, embedder=embedder,
                              reducer=reducer)
    report = _run(demo.messages, out, settings, events=demo.events or None,
                  outcomes=demo.outcomes, model=None, strict=False)
    if not STATE.get("quiet"):
        typer.echo(f"Open the report: {report.resolve().as_uri()}", err=True)
    typer.echo(str(report))
