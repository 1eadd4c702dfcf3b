"""The ``journeymine`` command line: thin commands over the Python API.

Each area registers its commands in its own module; heavy libraries are imported inside the
commands, so ``journeymine --help`` is instant.
"""

# Command modules register themselves on `app` when imported (one module per area).
from mining.cli import (
    export,  # noqa: E402,F401
    ingest,  # noqa: E402,F401
    label,  # noqa: E402,F401
    predict,  # noqa: E402,F401
    reports,  # noqa: E402,F401
    run,  # noqa: E402,F401
    tag,  # noqa: E402,F401
    taxonomy,  # noqa: E402,F401
    themes,  # noqa: E402,F401
)
from mining.cli._app import app

__all__ = ["app"]
