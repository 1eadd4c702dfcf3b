"""journeymine: mine customer conversations for customer-journey mapping.

The public API is imported lazily so that ``import mining`` (and the CLI's ``--help``) stays fast::

    import mining
    corpus = mining.load_corpus(["chats.jsonl", "inbox.mbox"], events="events.csv",
                                outcomes="outcomes.csv", agent_domains=["acme.com"])
    result = mining.run(corpus, out_dir="out/")
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load_corpus": "mining.io.corpus",
    "Corpus": "mining.io.corpus",
    "corpus_from_frames": "mining.io.corpus",
    "Settings": "mining.config",
    "ThemeModel": "mining.themes",
    "run": "mining.pipeline",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mining' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
