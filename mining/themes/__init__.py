"""Themes: cluster messages or units into named intent, objection and reply themes.

``ThemeModel`` (in :mod:`mining.themes.model`) reduces embeddings (``mining.reduce``), clusters
them (:mod:`mining.themes.cluster`) and describes each theme (:mod:`mining.themes.represent`);
:mod:`mining.themes.focus` chooses the text each item is computed from.
"""

from mining.themes.model import ThemeModel

__all__ = ["ThemeModel"]
