"""The Typer app, global options and the one place where errors become exit codes.

Exit codes (documented in the README):

- 0: success
- 1: input records were rejected and ``--strict`` was given
- 2: usage error, invalid settings or taxonomy, unreadable input
- 3: unexpected internal error (a bug: please report it)
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

app = typer.Typer(
    name="journeymine",
    help="Mine customer conversations for journey mapping: themes, objections, stages, outcomes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # conversation text is private
    rich_markup_mode="rich",
)

#: Global options set by the callback, read by commands.
STATE: dict[str, Any] = {"quiet": False, "verbose": False, "progress": True}

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger("mining")


@app.callback()
def main(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only print errors and results."),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Log progress details (never message text)."
    ),
    no_progress: bool = typer.Option(False, "--no-progress", help="Turn progress bars off."),
) -> None:
    """journeymine: customer conversations in, journey map out."""
    STATE.update(quiet=quiet, verbose=verbose, progress=not no_progress and not quiet)
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    # Other libraries (spaCy, sentence-transformers) only speak up at WARNING unless --verbose,
    # so a run shows one progress display rather than their INFO chatter.
    root = logging.DEBUG if verbose else logging.WARNING
    logging.basicConfig(level=root, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("mining").setLevel(level)


def fail(message: str, code: int = 2) -> None:
    """Print one error line to stderr and exit with ``code``."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def handle_errors(func: F) -> F:
    """Turn journeymine's own errors into one line on stderr and their exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from mining.errors import JourneymineError

        try:
            return func(*args, **kwargs)
        except JourneymineError as err:
            fail(str(err), err.exit_code)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except MemoryError:
            fail("out of memory; try a smaller input or a smaller --batch-size", 3)
        except Exception as err:  # noqa: BLE001 - the CLI edge: no traceback with private data
            if STATE.get("verbose"):
                raise
            fail(
                f"unexpected {type(err).__name__}: {err} "
                "(run with --verbose for details; please report this)",
                3,
            )

    return wrapper  # type: ignore[return-value]


def parse_map(value: str | None) -> dict[str, str]:
    """Parse ``--map text=body,role=sender_type`` into ``{"text": "body", ...}``."""
    from mining.errors import ConfigError, Errors

    if not value:
        return {}
    out = {}
    for part in value.split(","):
        if "=" not in part:
            raise ConfigError(Errors.E003.format(value=value))
        k, v = part.split("=", 1)
        if not k.strip() or not v.strip():
            raise ConfigError(Errors.E003.format(value=value))
        out[k.strip()] = v.strip()
    return out


def settings_from_options(
    *,
    agent_domains: list[str] | None = None,
    agent_names: list[str] | None = None,
    date_order: str | None = None,
    taxonomy: Any = None,
    embedder: str | None = None,
    reducer: str | None = None,
    redact: bool = True,
) -> Any:
    """Build ``Settings`` from the options that ``run`` and ``tag`` share.

    Args:
        agent_domains: ``--agent-domain`` values.
        agent_names: ``--agent-name`` values (chat-app exports).
        date_order: ``--date-order`` (WhatsApp dates), None for automatic.
        taxonomy: ``--taxonomy`` folder, or None for the packaged taxonomies.
        embedder: ``--embedder`` name, or None for the default.
        reducer: ``--reducer`` name, or None for the default.
        redact: False for ``--no-redact``.

    Returns:
        The validated ``mining.config.Settings``.
    """
    from mining.config import Settings

    settings = Settings()
    settings.ingest.redact = redact
    if agent_domains:
        settings.ingest.agent_domains = list(agent_domains)
    if agent_names:
        settings.ingest.agent_names = list(agent_names)
    if date_order:
        from pydantic import ValidationError

        from mining.config import format_validation_error
        from mining.errors import ConfigError, Errors

        try:  # the allowed values are declared once, in IngestSettings
            settings.ingest.date_order = date_order
        except ValidationError as err:
            raise ConfigError(Errors.E001.format(problems=format_validation_error(err))) from None
    if taxonomy is not None:
        settings.tagging.taxonomy_dir = taxonomy
    if embedder:
        settings.embed.model = embedder
    if reducer:
        settings.themes.reducer = reducer
    return settings
