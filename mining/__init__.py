"""journeymine: mine customer conversations for customer-journey mapping.

The public API is :data:`__all__`; everything else is internal and may change. Names are
imported lazily so that ``import mining`` (and the CLI's ``--help``) stays fast::

    import mining
    corpus = mining.load_corpus(["chats.jsonl", "inbox.mbox"], events="events.csv",
                                outcomes="outcomes.csv", agent_domains=["acme.com"])
    tagged = mining.tag(corpus)                      # tags, themes, units, fitted models
    result = mining.run(corpus, out_dir="out/")      # everything `journeymine run` does
    funnel = mining.funnel_report(result.tags, corpus.outcomes)
    mining.write_table(result.tags, "tags.parquet")
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> module it lives in (imported on first use).
_LAZY = {
    # reading
    "load_corpus": "mining.io.corpus",
    "corpus_from_frames": "mining.io.corpus",
    "Corpus": "mining.io.corpus",
    # settings
    "Settings": "mining.config",
    "load_settings": "mining.config",
    "read_config_file": "mining.config",
    # models (scikit-learn estimators)
    "ThemeModel": "mining.themes",
    "ObjectionDetector": "mining.objections",
    "StageTagger": "mining.stages",
    # pipeline
    "tag": "mining.tagging",
    "TagResult": "mining.tagging",
    "run": "mining.pipeline",
    "RunResult": "mining.pipeline",
    "Progress": "mining.progress",
    "register": "mining.registry",
    # building blocks
    "embed_texts": "mining.embed",
    "segment": "mining.text.segment",
    "redact": "mining.text.redact",
    "make_reducer": "mining.reduce",
    # reports and writing
    "run_reports": "mining.reports",
    "objections_by_stage": "mining.reports.objections",
    "replies_report": "mining.reports.replies",
    "funnel_report": "mining.reports.funnel",
    "channels_report": "mining.reports.channels",
    "cadence_report": "mining.reports.cadence",
    "paths_report": "mining.reports.paths",
    "write_table": "mining.io.writers",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mining' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
