"""Taxonomy commands: ``journeymine taxonomy check FILE_OR_DIR``."""

from __future__ import annotations

import typer

from mining.cli._app import STATE, app, handle_errors
from mining.errors import ConfigError, Errors

taxonomy_app = typer.Typer(help="Check the YAML taxonomies (stages, objections, intents, replies).",
                           no_args_is_help=True)
app.add_typer(taxonomy_app, name="taxonomy")


@taxonomy_app.command("check")
@handle_errors
def check(
    path: str = typer.Argument(..., help="A taxonomy YAML file or a folder of them."),
) -> None:
    """Validate taxonomy files and report every problem at once, each with its location."""
    # startup: mining.taxonomy (pandas, yaml) loads only when the command runs
    from mining.taxonomy import check_path

    summaries, problems = check_path(path)
    if problems:
        raise ConfigError(Errors.E400.format(problems="\n".join(f"  {p}" for p in problems)))
    if not STATE.get("quiet"):
        for line in summaries:
            typer.echo(f"OK {line}")
