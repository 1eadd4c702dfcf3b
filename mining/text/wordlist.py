"""Words written mostly in lower case: a capitalised one of them is rarely a personal name.

``mining/text/data/lower_words.txt.gz`` lists the lower-case words of spaCy's English lexeme
probability table (``spacy-lookups-data``, MIT) that are at least as probable in lower case as
capitalised and not rare (log-probability above ``-17.5``): "urgent", "happy", "grace", "brown"
are in it; "john", "juniper", "emeka", "xero" are not. Reading the full table takes seconds and
hundreds of megabytes, so the list is derived once and shipped; rebuild it with
``python -m mining.text.wordlist``.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path

from mining.text.segment import get_nlp

PATH = Path(__file__).with_name("data") / "lower_words.txt.gz"
MIN_LOGPROB = -17.5


@lru_cache(maxsize=1)
def lower_words() -> frozenset[str]:
    """The shipped list (empty when the file is missing)."""
    try:
        with gzip.open(PATH, "rt", encoding="utf-8") as fh:
            return frozenset(line.strip() for line in fh if line.strip())
    except OSError:
        return frozenset()


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Return lowercase common English words: the lookup lemmatiser's forms and lemmas, stop words.

    Returns:
        The vocabulary of ``spacy-lookups-data``'s English ``lemma_lookup`` table (keys and
        values) plus spaCy's English stop words; empty when the table is unavailable.
    """
    nlp = get_nlp()
    words: set[str] = set(nlp.Defaults.stop_words)
    if nlp.has_pipe("lemmatizer"):
        try:
            table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        except (KeyError, ValueError):
            table = None
        if table is not None:
            for k, v in table.items():
                for w in (k, v):
                    if isinstance(w, str) and w.isalpha():
                        words.add(w.lower())
    return frozenset(words)


def build(path: Path = PATH) -> int:
    """Derive the list from ``spacy-lookups-data`` and write it to ``path``; returns its size."""
    # heavy: spacy_lookups_data loads only when build() runs
    import spacy_lookups_data

    table = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    with gzip.open(table, "rt", encoding="utf-8") as fh:
        prob = json.load(fh)
    words = sorted(w for w, p in prob.items()
                   if w.isalpha() and w.islower() and p > MIN_LOGPROB
                   and p >= prob.get(w.capitalize(), -99.0))
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(path, "wb", mtime=0) as fh:  # reproducible bytes
        fh.write(("\n".join(words) + "\n").encode("utf-8"))
    return len(words)


if __name__ == "__main__":
    print(build())
