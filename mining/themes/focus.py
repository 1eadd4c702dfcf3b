"""What text of a message or unit a theme is computed from (the per-kind unit choice).

A customer turn often wraps its point in conversational filler: "Hi, my name is Ann. Thanks
for taking my call. I need to change my address." Filler is about the conversation, not the
topic, and it pulls the embedding of every such turn towards the same "greeting" region.
:func:`focus_text` removes it before embedding and keyword extraction:

- leading greetings, acknowledgements, pleasantries and self-introductions at the start of a
  sentence ("Hi there,", "Good morning!", "Yes, ok,", "how are you?", "my name is Ann Lee,",
  "this is Ann,"), and trailing thanks ("..., thanks!");
- sentences left with fewer than two words after that (a short sentence that had no filler,
  such as "Why?", is kept).

The lists are generic conversational English, written for this project and not taken from any
evaluation data. When nothing is left, the original text is kept, so no item becomes empty.

Per-kind choice (documented in ``docs/themes.md``):

- ``intent``: one item per customer message, embedded from its focus text (the message without
  filler), so a long turn is represented by what the customer wants.
- ``objection``: one item per unit (sentence), because one message can raise several objections;
  the unit's focus text is embedded.
- ``reply``: one item per agent message, focus text (agent greetings and sign-offs removed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_GREET = (r"(?:hi|hello|hey|hiya|howdy|greetings"
          r"|good\s+(?:morning|afternoon|evening|day)|dear\s+\w+)")
# "my name is" takes any casing; "this is"/"I'm" only before a capitalised word, so that
# "this is about my bill" and "I'm looking for" are kept.
_NAME = (r"(?:my\s+name\s+is|my\s+name's)\s+[A-Za-z][\w.'-]*(?:\s+(?-i:[A-Z])[\w.'-]*)?"
         r"|(?:this\s+is|it'?s|i'?m|i\s+am)\s+(?-i:[A-Z])[\w.'-]*(?:\s+(?-i:[A-Z])[\w.'-]*)?")
_THANKS = r"(?:thanks?(?:\s+you)?(?:\s+(?:so|very)\s+much)?(?:\s+in\s+advance)?|thx|cheers|please)"
_ACK = r"(?:yes|yeah|yep|ok(?:ay)?|sure|well|um+|uh+|oh|hmm+|alright)"
_THANKS_FOR = r"(?:thanks?|thank\s+you)(?:\s+\w+)?\s+for\b[^,.!?;]*"
_PLEAS = (r"(?:how(?:'s|\s+is)\s+it\s+going|how\s+are\s+you(?:\s+(?:doing|today))*"
          r"|hope\s+you(?:'re|\s+are)\s+(?:well|doing\s+well|having\s+a\s+good\s+day)"
          r"|nice\s+to\s+meet\s+you)")
_SEP = r"[\s,.!?;:-]*"
_FILLER = rf"(?:{_GREET}|{_ACK}|{_THANKS_FOR}|{_THANKS}|{_PLEAS}|{_NAME})"
_LEAD = re.compile(rf"^\s*(?:{_FILLER}\b{_SEP}(?:there\b|and\b)?{_SEP})+", re.IGNORECASE)
_TRAIL = re.compile(rf"(?:[\s,.!?;:-]+(?:{_THANKS}|{_PLEAS})\b)+[\s,;:-]*(?P<end>[.!?]*)\s*$",
                    re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")

#: How sentence boundaries are found when no units are given: after . ! ? followed by space.
_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+")


def strip_filler(sentence: str) -> str:
    """Remove leading greetings/introductions and trailing thanks from one sentence.

    Args:
        sentence: One sentence.

    Returns:
        The sentence without filler, stripped of surrounding punctuation; may be empty.
    """
    t = _LEAD.sub("", sentence)
    t = _TRAIL.sub(lambda m: m.group("end"), t)  # keep the sentence's own end mark
    return t.strip().lstrip(",.;:-!? ").rstrip(",;:- ")


def focus_text(text: str, sentences: Sequence[str] | None = None) -> str:
    """Return the text a theme should be computed from: the message without filler.

    Args:
        text: The message (or unit) text.
        sentences: Its sentences, when already segmented; None splits on sentence punctuation.

    Returns:
        The remaining sentences joined by spaces; the original text when nothing would remain.
    """
    if not isinstance(text, str) or not text.strip():
        return "" if not isinstance(text, str) else text
    parts = list(sentences) if sentences is not None else _SENT_SPLIT.split(text.strip())
    kept = []
    for sentence in parts:
        s = strip_filler(sentence)
        n_words = len(_WORD.findall(s))
        if n_words >= 2 or (n_words and n_words == len(_WORD.findall(sentence))):
            kept.append(s)
    return " ".join(kept) if kept else " ".join(text.split())


def focus_texts(texts: Iterable[str]) -> list[str]:
    """Apply :func:`focus_text` to every text (None and NA become empty strings)."""
    return [focus_text(t) if isinstance(t, str) else "" for t in texts]
