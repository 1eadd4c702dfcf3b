"""Run the journeymine command line: ``python cli.py --help`` is ``journeymine --help``."""

from mining.cli import app

if __name__ == "__main__":
    app()
