"""Whitespace normalisation shared by the HTML extractor and the text cleaners."""

from __future__ import annotations

import re

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile("[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\f\v]+")


def normalize_whitespace(text: str) -> str:
    r"""Normalise whitespace while keeping paragraph structure.

    Line endings become ``\\n``; non-breaking and other Unicode spaces become a plain space;
    zero-width characters and soft hyphens are removed; runs of spaces collapse; lines are
    stripped; more than one blank line collapses to one; leading and trailing blank lines go.

    Args:
        text: Any text.

    Returns:
        The normalised text.
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _ZERO_WIDTH.sub("", text)
    text = _SPACES.sub(" ", text)
    lines = [ln.strip() for ln in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
