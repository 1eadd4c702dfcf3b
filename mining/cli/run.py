"""``journeymine run`` (transcripts to a journey map in one command) and ``journeymine demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mining.cli._app import STATE, app, handle_errors, settings_from_options

_EMBEDDER = typer.Option(
    "--embedder",
    help="Embedding model: a sentence-transformers name or folder (default: the packaged "
    "all-MiniLM-L6-v2), or 'hash' for a fast model-free run.",
)
_REDUCER = typer.Option(
    "--reducer", help="Dimension reducer before clustering: umap (default) or pca (faster)."
)


def _summary(result, out: Path) -> None:  # noqa: ANN001 - RunResult, imported lazily
    """Print a short human summary of a run on stderr."""
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


def _run(
    inputs: list[Path],
    out: Path,
    *,
    events: Path | list[Path] | None,
    outcomes: Path | list[Path] | None,
    taxonomy: Path | None,
    agent_domains: list[str],
    model: Path | None,
    redact: bool,
    strict: bool,
    embedder: str | None = None,
    reducer: str | None = None,
    labels: Path | None = None,
) -> Path:
    from mining.errors import Errors, RejectedDataError
    from mining.pipeline import run

    settings = settings_from_options(agent_domains=agent_domains, taxonomy=taxonomy,
                                     embedder=embedder, reducer=reducer, redact=redact)
    settings.tagging.labels = labels
    result = run(
        [str(p) for p in inputs],
        out,
        settings=settings,
        model_dir=model,
        taxonomy_dir=taxonomy,
        events=events,
        outcomes=outcomes,
        agent_domains=agent_domains or None,
        progress=bool(STATE.get("progress", True)),
    )
    if labels is not None and not STATE.get("quiet"):
        from mining.labels import labels_summary

        typer.echo(labels_summary(result.tag_result.models["objections"]), err=True)
    _summary(result, out)
    if strict and len(result.rejects):
        raise RejectedDataError(
            Errors.E005.format(count=len(result.rejects), where=out / "rejects.csv")
        )
    return out / "report.html"


@app.command("run")
@handle_errors
def run_command(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Message files or folders: chat JSONL/CSV/Parquet/JSON exports, .eml, .mbox."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created if needed).")],
    events: Annotated[
        Path | None, typer.Option("--events", help="Events file (visits, bookings…).")
    ] = None,
    outcomes: Annotated[
        Path | None, typer.Option("--outcomes", help="Outcomes file (converted, value).")
    ] = None,
    taxonomy: Annotated[
        Path | None,
        typer.Option(
            "--taxonomy", help="Folder of taxonomy YAML files (default: the packaged ones)."
        ),
    ] = None,
    agent_domain: Annotated[
        list[str] | None,
        typer.Option(
            "--agent-domain", help="E-mail domain of your staff (repeatable), e.g. acme.com."
        ),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model", help="model/ folder of an earlier run: keep its theme ids on new data."
        ),
    ] = None,
    no_redact: Annotated[
        bool,
        typer.Option(
            "--no-redact", help="Keep personal data (e-mails, phones, names) in the outputs."
        ),
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit with code 1 if any record is rejected.")
    ] = False,
    embedder: Annotated[str | None, _EMBEDDER] = None,
    reducer: Annotated[str | None, _REDUCER] = None,
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="Filled-in CSV from `journeymine label`: teach the "
                     "objection detector (saved in OUT/model/)."),
    ] = None,
) -> None:
    """Transcripts in, journey map out: ingest, tag, report, and write OUT/ with report.html.

    Writes tags.csv and tags.parquet, themes.csv, reports/*.csv, rejects.csv, model/,
    report.html and run.json into OUT. Prints the path of report.html on stdout.
    """
    report = _run(
        inputs,
        out,
        events=events,
        outcomes=outcomes,
        taxonomy=taxonomy,
        agent_domains=agent_domain or [],
        model=model,
        redact=not no_redact,
        strict=strict,
        embedder=embedder,
        reducer=reducer,
        labels=labels,
    )
    typer.echo(str(report))


@app.command("demo")
@handle_errors
def demo_command(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder for the demo run.")
    ] = Path("journeymine-demo"),
    embedder: Annotated[str | None, _EMBEDDER] = None,
    reducer: Annotated[str | None, _REDUCER] = None,
) -> None:
    """Run the whole pipeline on the bundled sample transcripts and say where the report is."""
    from mining.demo import demo_inputs

    demo = demo_inputs()
    report = _run(
        demo.messages,
        out,
        events=demo.events or None,
        outcomes=demo.outcomes,
        taxonomy=None,
        agent_domains=demo.agent_domains,
        model=None,
        redact=True,
        strict=False,
        embedder=embedder,
        reducer=reducer,
    )
    if not STATE.get("quiet"):
        typer.echo(f"Open the report: {report.resolve().as_uri()}", err=True)
    typer.echo(str(report))
