"""Readable theme labels: a short phrase from the theme's most representative messages.

A keyword list ("sorry quiet / gonig quiet / sorry gonig") tells a reader little; a phrase a
customer actually wrote ("change my address", "where is my refund?") does. For each theme,
:func:`readable_labels`

1. takes the distinct member texts closest to the theme centroid (the most representative);
2. splits each into sentences, removes request frames ("I would like to", "could you
   please") and trailing punctuation, and keeps a sentence of at most :data:`MAX_LABEL_WORDS`
   words, or else the shortest stretch of it that holds the theme's top keywords;
3. rejects phrases with placeholders (``<NAME>``, ``<EMAIL>``, ...), digits-only tokens, or
   words that no reader would recognise;
4. scores the rest by how many of the theme's distinctive keywords (class-based TF-IDF) they
   contain, then by closeness of their message to the centroid, then by shortness;
5. writes misspelled words in their correct form (:func:`spelling_fixes`: a word outside the
   English vocabulary one edit away from a vocabulary word the corpus uses more often);
6. falls back to the keyword label when no phrase qualifies, and finally makes labels unique
   across themes (:func:`disambiguate`).

The frames and word lists are generic conversational English written for this project.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

import numpy as np

from mining.text.segment import get_nlp
from mining.text.wordlist import common_words

#: Longest label phrase, in words.
MAX_LABEL_WORDS = 8
#: Representative member texts considered per theme.
N_CANDIDATES = 8

_TOKEN = re.compile(r"<[A-Z]+>|[^\W_]+(?:['’][^\W_]+)*|[?]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_SENT = re.compile(r"(?<=[.!?;])\s+|\s+-\s+|\n+")
#: Request frames removed from the start of a phrase ("I would like to change ..." ->
#: "change ..."). Questions ("how do I ...", "where is ...") are kept: they read well.
_FRAME = re.compile(
    r"^(?:(?:so|and|but|also|um+|uh+|well|ok(?:ay)?|yes|yeah|hi|hello|hey)[,\s]+)*"
    r"(?:(?:(?:i|we)(?:'d|\s+would|\s+will)?\s+)?(?:really\s+)?"
    r"(?:like\s+to|want(?:\s+to)?|wanna|need(?:\s+to)?|wish\s+to|hope\s+to)\s+(?:know\s+)?"
    r"|(?:i'?m|i\s+am|we'?re|we\s+are)\s+(?:trying|looking|hoping|wanting|calling)\s+(?:to|for)\s+"
    r"|(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?(?:help\s+me\s+(?:to\s+)?)?"
    r"|(?:please|pls|kindly)\s+(?:help\s+me\s+(?:to\s+)?)?"
    r"|(?:i'?m|i\s+am)\s+(?:just\s+)?(?:calling|writing|reaching\s+out)\s+(?:about|regarding|to)\s+"
    r"|(?:i\s+)?(?:have|got)\s+a\s+question\s+(?:about|on|regarding)\s+)*",
    re.IGNORECASE)
_PLACEHOLDER = re.compile(r"<[A-Z]+>")
#: Stems of English negative contractions ("won't", "didn't").
_CONTRACTED = frozenset({"don", "doesn", "didn", "won", "wouldn", "can", "couldn", "shouldn",
                         "isn", "aren", "wasn", "weren", "haven", "hasn", "hadn", "ain", "i",
                         "you", "we", "they", "it", "that", "there", "what"})
#: Clause boundaries inside a long sentence.
_CLAUSE = re.compile(r"\s*[,;:]\s+|\s+(?:and|but|because|so|since|when|while|although|though"
                     r"|or|which|who)\s+", re.IGNORECASE)
#: Auxiliaries and pronouns a cut phrase must not end with ("my transfer did", "cash i").
_AUX = frozenset({"did", "do", "does", "is", "was", "are", "were", "can", "could", "will",
                  "would", "has", "have", "had", "i", "you", "we", "they", "he", "she", "not"})
#: Words a cut phrase must not end (or start) with.
_DANGLING = frozenset({"a", "an", "the", "of", "for", "to", "in", "on", "at", "by", "with",
                       "and", "or", "but", "from", "about", "my", "your", "our", "is", "are",
                       "was", "be", "that", "this", "it", "so", "if", "as"})


# ---------------------------------------------------------------------------- spelling


def _edits1(word: str) -> set[str]:
    """Words one deletion, transposition, replacement or insertion away (Norvig's edits1)."""
    letters = string.ascii_lowercase
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in letters}
    out |= {a + c + b for a, b in splits for c in letters}
    out.discard(word)
    return out


def word_counts(texts: Sequence[str]) -> Counter:
    """Count lowercased alphabetic words in ``texts`` (each distinct text read once, weighted)."""
    counts: Counter = Counter()
    for t, k in Counter(t for t in texts if isinstance(t, str)).items():
        for w in _WORD.findall(t):
            counts[w.lower()] += k
    return counts


#: Word endings that make another word, not a typo ("refunds" next to "refund").
_INFLECTIONS = ("s", "es", "d", "ed", "ing", "er", "ers", "ly", "n", "y")


def _inflection(a: str, b: str) -> bool:
    short, long_ = sorted((a, b), key=len)
    return long_.startswith(short) and long_[len(short):] in _INFLECTIONS


def spelling_fixes(counts: Counter, vocab: frozenset[str] | set[str]) -> dict[str, str]:
    """Map the corpus's misspelled words to their correct form.

    A word is taken as misspelled when it is not in ``vocab``, has at least 3 letters, and a
    word one edit away (deletion, transposition, replacement, insertion; not an inflection such
    as "refund"/"refunds") occurs in the corpus more than twice as often and is either in
    ``vocab`` or used at least 5 times ("teh" -> "the", "gonig" -> "going", "lastest" ->
    "latest"). A product name written consistently ("Xero") outnumbers its neighbour ("zero")
    and is kept.

    Args:
        counts: Lowercased word counts of the corpus (:func:`word_counts`).
        vocab: Lowercase English vocabulary (``mining.text.wordlist.common_words``).

    Returns:
        Misspelled word -> correction (the most frequent qualifying neighbour).
    """
    fixes: dict[str, str] = {}
    for w, n in counts.items():
        if len(w) < 3 or w in vocab or not w.isalpha() or not w.isascii():  # "won't" stays
            continue
        best = max(((counts.get(c, 0), c) for c in _edits1(w)
                    if (c in vocab or counts.get(c, 0) >= 5) and not _inflection(w, c)),
                   default=(0, ""))
        if best[0] > 2 * n:
            fixes[w] = best[1]
    return fixes


def fix_spelling(text: str, fixes: dict[str, str]) -> str:
    """Replace misspelled words in ``text`` (case of the first letter kept)."""
    if not fixes:
        return text

    def sub(m: re.Match) -> str:
        w = m.group(0)
        c = fixes.get(w.lower())
        if c is None:
            return w
        return c.capitalize() if w[:1].isupper() else c

    return _WORD.sub(sub, text)


# ---------------------------------------------------------------------------- phrases


def _clean(sentence: str) -> str:
    s = " ".join(sentence.split()).strip(" \t,.;:!-–—\"'()[]")
    prev = None
    while prev != s:
        prev = s
        s = _FRAME.sub("", s).strip(" ,.;:!-")
    return s


def _lower_first(s: str) -> str:
    first = s.split(" ", 1)[0]
    if first in ("I", "I'm", "I've", "I'd", "I'll") or first.isupper() and len(first) > 1 \
            or any(c.isupper() for c in first[1:]):
        return s
    return s[:1].lower() + s[1:]


def _window(words: list[str], hits: list[int]) -> str:
    """The shortest stretch of ``words`` holding the keyword ``hits`` (at most MAX words)."""
    lo, hi = hits[0], hits[-1]
    while hi - lo + 1 > MAX_LABEL_WORDS and len(hits) > 1:  # drop the outermost hit
        hits = hits[1:] if hits[1] - hits[0] > hits[-1] - hits[-2] else hits[:-1]
        lo, hi = hits[0], hits[-1]
    if hi - lo + 1 < 3:  # a lone keyword: take a word of context on each side
        lo, hi = max(0, lo - 1), min(len(words) - 1, hi + 1)
    if hi + 2 < len(words) and hi - lo + 3 <= MAX_LABEL_WORDS \
            and words[hi + 1].lower() in ("not", "never"):  # "transfer did" -> "did not go"
        hi += 2
    window = words[lo:hi + 1]
    while len(window) > 1 and window[-1].lower() in _DANGLING | _AUX:  # "policy number of"
        window = window[:-1]
    while len(window) > 1 and window[0].lower() in _DANGLING - {"my", "your", "our"}:
        window = window[1:]
    return " ".join(window)


def phrase_candidates(text: str, keywords: Sequence[str],
                      lemma_of: dict[str, str]) -> list[str]:
    """Return the label phrases one member text offers.

    Args:
        text: A member text (names already masked).
        keywords: The theme's top keyword terms (lemmas; bigrams joined by a space).
        lemma_of: Lowercased word -> lemma.

    Returns:
        Phrases of 1 to :data:`MAX_LABEL_WORDS` words without placeholders: each short sentence
        whole; for a long one, its short clauses (split at commas and conjunctions) that hold a
        keyword, or else the shortest window holding its keyword words.
    """
    kw_words = {w for k in keywords for w in k.split()}
    out = []
    for sentence in _SENT.split(text):
        s = _clean(sentence)
        words = [t for t in _TOKEN.findall(s) if t != "?"]
        if not words or any(_PLACEHOLDER.fullmatch(t) for t in words):
            continue
        if len(words) <= MAX_LABEL_WORDS:
            out.append(_lower_first(s.rstrip(" .,;:!")))
            continue
        clauses = []
        for part in _CLAUSE.split(s):
            c = _clean(part)
            cw = [t for t in _TOKEN.findall(c) if t != "?"]
            if 2 <= len(cw) <= MAX_LABEL_WORDS and any(
                    lemma_of.get(t.lower(), t.lower()) in kw_words for t in cw):
                clauses.append(_lower_first(c.rstrip(" .,;:!")))
        if clauses:
            out += clauses
            continue
        hits = [i for i, t in enumerate(words) if lemma_of.get(t.lower(), t.lower()) in kw_words]
        if hits:
            out.append(_lower_first(_window(words, hits)))
    return out


def _coverage(phrase: str, keywords: Sequence[str], lemma_of: dict[str, str]) -> float:
    lem = [lemma_of.get(w.lower(), w.lower()) for w in _WORD.findall(phrase)]
    have = set(lem)
    pairs = {f"{a} {b}" for a, b in zip(lem, lem[1:], strict=False)}
    score = 0.0
    for rank, k in enumerate(keywords):
        if (" " in k and k in pairs) or (" " not in k and k in have):
            score += 1.0 / (rank + 1)
    return score


def _readable(phrase: str, vocab: frozenset[str] | set[str], counts: Counter) -> bool:
    """A phrase every word of which is a known word or one the corpus uses at least 3 times."""
    words = [w.lower() for w in _WORD.findall(phrase)]
    if not words or len(phrase) > 80:
        return False
    return all(w in vocab or counts.get(w, 0) >= 3 or _stem(w) in vocab or _stem(w) in _CONTRACTED
               for w in words)


def _stem(word: str) -> str:
    return re.split(r"['’]", word, maxsplit=1)[0]


def best_phrase(texts: Sequence[str], order: Sequence[int], sims: Sequence[float],
                keywords: Sequence[str], lemma_of: dict[str, str], fixes: dict[str, str],
                vocab: frozenset[str] | set[str], counts: Counter, strict: bool = True) -> str:
    """Choose the label phrase of one theme (module docstring, steps 2-5).

    Args:
        texts: All texts (names masked).
        order: Member indices, most representative first (at most :data:`N_CANDIDATES` used).
        sims: Cosine similarity of each of those members to the centroid.
        keywords: The theme's keyword terms (lemmas), best first.
        lemma_of: Lowercased word -> lemma.
        fixes: Spelling fixes (:func:`spelling_fixes`).
        vocab: English vocabulary.
        counts: Corpus word counts.
        strict: False when no candidate qualified: placeholders are dropped from the texts
            ("Hi <NAME>, me again" -> "me again") and a phrase need not hold a keyword.

    Returns:
        The phrase, or "" when no candidate qualifies.
    """
    top = list(keywords[:4])
    best: tuple[float, str] = (-np.inf, "")
    seen: set[str] = set()
    for rank, (i, sim) in enumerate(zip(order[:N_CANDIDATES], sims, strict=False)):
        text = fix_spelling(str(texts[i]), fixes)
        if not strict:
            text = re.sub(r"\s+([,.!?;:])", r"\1", " ".join(_PLACEHOLDER.sub(" ", text).split()))
        for phrase in phrase_candidates(text, top, lemma_of):
            key = phrase.lower()
            if key in seen or not _readable(phrase, vocab, counts):
                continue
            seen.add(key)
            n_words = len(_WORD.findall(phrase))
            cov = _coverage(phrase, top, lemma_of)
            if cov == 0 and rank > 0 and strict:  # only the most typical may lack a keyword
                continue
            score = cov + 0.5 * float(sim) - 0.04 * max(0, n_words - 4) \
                - (0.3 if n_words < 2 else 0.0)
            if score > best[0]:
                best = (score, phrase)
    return best[1]


def disambiguate(labels: Sequence[str], keywords: Sequence[Sequence[str]]) -> list[str]:
    """Make labels unique: a repeated label gets the first of its keywords it lacks.

    Args:
        labels: One label per theme (largest theme first: it keeps the plain label).
        keywords: Each theme's displayed keywords, best first.

    Returns:
        Unique labels (compared case-insensitively); a last resort appends ``#2``, ``#3``, ...
    """
    out: list[str] = []
    used: set[str] = set()
    for label, kws in zip(labels, keywords, strict=True):
        cand = label
        if cand.lower() in used:
            extra = next((k for k in kws if k.lower() not in label.lower()
                          and f"{label} ({k})".lower() not in used), None)
            cand = f"{label} ({extra})" if extra else label
        n = 2
        base = cand
        while cand.lower() in used:
            cand = f"{base} #{n}"
            n += 1
        used.add(cand.lower())
        out.append(cand)
    return out


def lemma_map(texts: Sequence[str], nlp_name: str = "") -> dict[str, str]:
    """Map each lowercased word of ``texts`` to its lemma (spaCy lookup lemmatiser).

    Each distinct lowercased text is parsed once; a word keeps the lemma of its first occurrence.
    """
    nlp = get_nlp(nlp_name)
    disable = [p for p in ("sentencizer", "senter", "parser", "ner") if nlp.has_pipe(p)]
    out: dict[str, str] = {}
    distinct = dict.fromkeys(t.lower() if isinstance(t, str) else "" for t in texts)
    for doc in nlp.pipe(distinct, batch_size=256, disable=disable):
        for tok in doc:
            if tok.is_alpha and tok.lower_ not in out:
                out[tok.lower_] = (tok.lemma_ or tok.lower_).lower()
    return out


def surface_forms(texts: Sequence[str], nlp_name: str = "") -> dict[str, str]:
    """Map each lemma to the word form that stands for it most often in ``texts``.

    Lookup lemmatisation sometimes yields forms a reader would not write ("number" -> "numb",
    "latest" -> "late"); keywords are shown in the corpus's own most frequent form instead.

    Args:
        texts: The texts the lemmas came from.
        nlp_name: spaCy pipeline name (see ``mining.text.segment.get_nlp``).

    Returns:
        Lemma -> most frequent lowercased surface form (ties: alphabetical).
    """
    nlp = get_nlp(nlp_name)
    disable = [p for p in ("sentencizer", "senter", "parser", "ner") if nlp.has_pipe(p)]
    # each distinct lowercased text is parsed once; its words count as often as it occurs
    weight = Counter(t.lower() if isinstance(t, str) else "" for t in texts)
    counts: dict[str, Counter] = {}
    for doc, k in zip(nlp.pipe(weight, batch_size=256, disable=disable), weight.values(),
                      strict=True):
        for tok in doc:
            if tok.is_alpha:
                counts.setdefault((tok.lemma_ or tok.text).lower(), Counter())[tok.lower_] += k
    return {lem: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for lem, c in counts.items()}


class Lexicon:
    """What labelling needs to know about a corpus's words, computed once per corpus.

    Args:
        texts: The corpus's texts (names masked).

    Attributes:
        counts: Lowercased word counts.
        vocab: English vocabulary (``mining.text.wordlist.common_words``).
        fixes: Spelling fixes (:func:`spelling_fixes`).
        lemma_of: Lowercased word -> lemma.
        forms: Lemma -> the corpus's most frequent surface form
            (:func:`surface_forms`).
    """

    def __init__(self, texts: Sequence[str]) -> None:
        self.forms = surface_forms(texts)
        self.counts = word_counts(texts)
        self.vocab = common_words()
        self.fixes = spelling_fixes(self.counts, self.vocab)
        self.lemma_of = lemma_map(sorted(self.counts))


def readable_labels(texts: Sequence[str], X: np.ndarray, labels: np.ndarray,
                    centroids: np.ndarray, keywords: dict[int, list[str]],
                    shown: dict[int, list[str]], fallback: Sequence[str],
                    lexicon: Lexicon | None = None) -> list[str]:
    """Label every theme with a readable phrase (module docstring).

    Args:
        texts: Item texts (focus text, names masked), one per row of ``X``.
        X: Item vectors, L2-normalised.
        labels: Theme id per item (-1 unassigned).
        centroids: Theme centroids, L2-normalised, one row per theme id.
        keywords: Theme id -> keyword terms (lemmas), best first.
        shown: Theme id -> keywords as displayed (surface forms, spelling fixed).
        fallback: A label per theme for when no phrase qualifies (the keyword label).
        lexicon: The corpus's :class:`Lexicon` (None: computed from ``texts``).

    Returns:
        One unique label per theme id, in theme id order.
    """
    lex = lexicon or Lexicon(texts)
    out = []
    for t in range(len(centroids)):
        members = np.flatnonzero(labels == t)
        sims = X[members] @ centroids[t]
        order = np.argsort(-sims, kind="stable")[: 3 * N_CANDIDATES]
        # distinct texts only, most representative first
        picked, seen = [], set()
        for j in order:
            key = " ".join(str(texts[members[j]]).lower().split())
            if key not in seen:
                seen.add(key)
                picked.append(j)
        phrase = best_phrase(texts, [int(members[j]) for j in picked],
                             [float(sims[j]) for j in picked], keywords.get(t, []),
                             lex.lemma_of, lex.fixes, lex.vocab, lex.counts)
        if not phrase and not keywords.get(t):  # no keyword label either: relax
            phrase = best_phrase(texts, [int(members[j]) for j in picked],
                                 [float(sims[j]) for j in picked], [], lex.lemma_of, lex.fixes,
                                 lex.vocab, lex.counts, strict=False)
        out.append(phrase or fix_spelling(fallback[t], lex.fixes) or f"theme {t}")
    return disambiguate(out, [shown.get(t, []) for t in range(len(centroids))])
