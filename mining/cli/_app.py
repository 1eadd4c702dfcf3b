"""The Typer app, global options and the one place where errors become exit codes.

Exit codes (documented in the README):

- 0: success
- 1: input records were rejected and ``--strict`` was given
- 2: usage error, invalid settings or taxonomy, unreadable input, unwritable output
- 3: unexpected internal error (a bug: please report it)
"""

from __future__ import annotations

import functools
import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from mining.errors import Errors, JourneymineError

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
        try:
            return func(*args, **kwargs)
        except JourneymineError as err:
            fail(str(err), err.exit_code)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except OSError as err:  # a file that cannot be written or read: the user can fix it
            fail(Errors.E009.format(path=err.filename or "?", detail=err.strerror or err), 2)
        except MemoryError:
            fail("out of memory; try a smaller input or a smaller --batch-size", 3)
        except Exception as err:  # noqa: BLE001 - the CLI edge: no traceback with private data
            if STATE.get("verbose"):  # the traceback, but still exit 3 (1 means --strict)
                traceback.print_exc(file=sys.stderr)
            fail(
                f"unexpected {type(err).__name__}: {err} "
                "(run with --verbose for details; please report this)",
                3,
            )

    return wrapper  # type: ignore[return-value]

