"""The ``journeymine`` command line: thin commands over the Python API.

Each area registers its commands in its own module; heavy libraries are imported inside the
commands, so ``journeymine --help`` is instant.
"""

from mining.cli._app import app

# Command modules register themselves on `app` when imported (one module per area).
from mining.cli import ingest  # noqa: E402,F401
from mining.cli import taxonomy  # noqa: E402,F401

__all__ = ["app"]
