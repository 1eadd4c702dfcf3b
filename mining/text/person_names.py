"""More personal names: self-introductions, titles, vocatives and rare capitalised words.

``mining.themes.names.find_names`` finds the names of authors, greeted people and people talked
about; this module adds the rules it lacked (issue 15), used wherever examples or labels are
shown (theme keywords, labels and examples, report quotes, report.html):

1. **Self-introduction**: the capitalised word(s) after "my name is", "this is", "I'm", "it's",
   "call me", "you're speaking with" … ("Hi, this is Emeka Souza."), or before "here" ("Emeka
   here"). After the weaker cues ("this is", "I'm", "it's") the word must not be a common word
   ("This is Urgent", "I'm Happy to …" are not names).
2. **Title**: the capitalised word(s) after Mr, Mrs, Ms, Miss, Mx, Dr, Prof.
3. **Vocative**: a capitalised, uncommon word that opens a message and is followed by a comma
   or "!" ("Juniper, we can offer …").
4. **Uncommon capitalised words**: a word that is capitalised, not a common English word
   (``mining.text.wordlist``), not an acronym or a CamelCase brand and never written in lower
   case in the corpus is a name when it stands next to another such word ("Anika Ashworth"),
   or when it is rare: in at most one text per 1,000, or :data:`RARE_TEXTS` (corpora of 100
   texts or more). Product and
   company names that matter to themes ("Xero", "NetSuite") are written by many customers; a
   person's name rarely leaves their own conversation.
5. **NER**: PERSON entities of a trained spaCy English pipeline, when one is installed (none is by
   default; the rules above do not need one).

Rules 3 and 4 need the corpus to count words; :func:`names_in_text` applies rules 1-3 and a
single-text version of 4 to one string.

Common words that rules 1-2 find ("Mr Brown", "my name is Grace") are not added to the corpus
name list (that would remove "brown" and "grace" everywhere, case-insensitively); they are
masked only where the cue stands, by :func:`mask_in_context`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from mining.text.spacy_import import import_spacy
from mining.text.wordlist import common_words, lower_words

#: A capitalised word may be a name only when it appears in at most this many texts (or 0.1%).
RARE_TEXTS = 3
_W = r"[^\W\d_][^\W\d_'’-]*"
_STRONG_CUES = (
    "my name is", "my name's", "name's", "name is", "call me", "you're speaking with",
    "you are speaking with", "you're chatting with", "you are chatting with", "speaking with",
    "chatting with", "ask for", "signed",
)
_WEAK_CUES = ("this is", "it's", "it’s", "it is", "i'm", "i’m", "i am", "im", "here is", "here's")
_TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "mme", "herr", "frau",
           "señor", "senor", "señora", "sra", "sr")


def _alts(words: Sequence[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len,
                                                                        reverse=True))


_STRONG_RE = re.compile(r"\b(?i:" + _alts(_STRONG_CUES) + r")\s+(" + _W + r")(?:\s+(" + _W + "))?")
_WEAK_RE = re.compile(r"\b(?i:" + _alts(_WEAK_CUES) + r")\s+(" + _W + r")(?:\s+(" + _W + "))?")
_TITLE_RE = re.compile(r"\b(?i:" + _alts(_TITLES) + r")\.?\s+(" + _W + r")(?:\s+(" + _W + "))?")
_HERE_RE = re.compile(r"(?:^|[,.!?;:]\s*|\b(?i:hi|hello|hey)\s+)(" + _W + r")(?:\s+(" + _W
                      + r"))?\s+here\b")
_VOCATIVE_RE = re.compile(r"^\W*(" + _W + r")\s*[,!]")
_CUE_HINT = re.compile(r"(?i)name|call me|speaking|chatting|ask for|signed|this is|it'?s|it’s|"
                       r"it is|i'?m\b|i’m|i am|here|\b(?:" + _alts(_TITLES) + r")\b")
_PAIR_RE = re.compile(r"(?<![\w@#/.-])(" + _W + r")[ \t]+(?=(" + _W + r")(?![\w@]))")
_CAP_RE = re.compile(r"(?<![\w@#/.-])(" + _W + r")(?![\w@])")
#: Chat shorthand and interjections that open sentences capitalised but are not names.
SLANG = frozenset(
    "thx thnx thanx tks ty pls plz btw lol omg ok okay okey hmm hm yeah yep yup nope nah gonna "
    "wanna gotta kinda sorta ya yo u ur tho idk imo imho fyi asap np cc re fw fwd aw wg sv hiya "
    "heya howdy cheers ta bye byee hii hiii hallo hola bonjour ciao salut danke merci gracias "
    "obrigado grazie ps pps nb eg ie etc vs approx pm am hi hello hey dear thanks thank welcome "
    "sorry please yes no sure great".split()
)


#: Capitalised words that are never names: days, months, languages of the calendar.
NEVER_NAMES = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs "
    "fri sat sun january february march april may june july august september october november "
    "december jan feb mar apr jun jul aug sep sept oct nov dec christmas easter".split()
)


@lru_cache(maxsize=1)
def _vocab() -> frozenset[str]:
    """Common words: mostly written in lower case (``mining.text.wordlist``), stop words, dates."""
    words = lower_words()
    if not words:  # the shipped list is missing: fall back to the lemmatiser's vocabulary
        words = common_words()
    import_spacy()  # spaCy without torch (mining.text.spacy_import)
    # heavy: spacy.lang loads only when _vocab() runs
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(words | STOP_WORDS | NEVER_NAMES | set(_TITLES))


def _name_like(word: str, vocab: frozenset[str], allow_common: bool = False) -> bool:
    """Capitalised, letters only, not an acronym or CamelCase, not slang; common words optional."""
    if not word[:1].isupper():
        return False
    return _name_shaped(word, allow_common) if vocab is _vocab() else \
        _name_shaped_in(word, vocab, allow_common)


@lru_cache(maxsize=1 << 16)
def _name_shaped(word: str, allow_common: bool) -> bool:
    return _name_shaped_in(word, _vocab(), allow_common)


def _name_shaped_in(word: str, vocab: frozenset[str], allow_common: bool) -> bool:
    if len(word) < 2 or not word[0].isupper() or word.isupper():
        return False
    if any(ch.isupper() for ch in word[1:].replace("-", "").replace("'", "")) \
            and "-" not in word and "'" not in word and "’" not in word:
        return False  # HubSpot, iPhone, McKinsey-like CamelCase is not told apart: kept
    low = word.lower()
    if low in SLANG:
        return False
    return allow_common or low not in vocab


def _cued(text: str, vocab: frozenset[str]) -> tuple[set[str], set[str]]:
    """Names that rules 1-2 find in one text: ``(uncommon words, common words)``."""
    rare: set[str] = set()
    common: set[str] = set()
    if not _CUE_HINT.search(text):  # most texts have no cue at all: one search, not four
        return rare, common
    for pattern, strong in ((_STRONG_RE, True), (_TITLE_RE, True), (_WEAK_RE, False),
                            (_HERE_RE, False)):
        for m in pattern.finditer(text):
            first, second = m.group(1), m.group(2)
            if not _name_like(first, vocab, allow_common=strong):
                continue
            (common if first.lower() in vocab else rare).add(first.lower())
            if second and _name_like(second, vocab):
                rare.add(second.lower())
    return rare, common


def corpus_names(texts: Sequence[str], low: Counter, known: Iterable[str] = (),
                 single_limit: int | None = None) -> set[str]:
    """Rules 1-5 over a corpus; returns lowercase name tokens that are not common words.

    Each distinct text is read once; a text written ``k`` times counts ``k`` times in the
    document frequencies of rule 4 and in the corpus size, exactly as if each copy were read.

    Args:
        texts: The texts, as written.
        low: How often each lowercased word is written in lower case in the corpus.
        known: Names already found (by ``mining.themes.names.find_names``).
        single_limit: A lone uncommon capitalised word is a name when it appears in at most this
            many texts; default 1 per 1,000 texts (at least :data:`RARE_TEXTS`), and none below
            100 texts, where a product name is as rare as a person's.
    """
    vocab = _vocab()
    names: set[str] = set()
    doc_freq: Counter = Counter()
    singles: set[str] = set()
    vocatives: set[str] = set()
    for t, k in Counter(texts).items():  # distinct texts, first occurrence order
        names |= _cued(t, vocab)[0]
        m = _VOCATIVE_RE.match(t)
        if m and _name_like(m.group(1), vocab):
            vocatives.add(m.group(1).lower())
        words = {w for w in _CAP_RE.findall(t) if w[0].isupper()}
        for w in {w.lower() for w in words}:
            doc_freq[w] += k
        singles |= {w.lower() for w in words if _name_like(w, vocab)}
        for m in _PAIR_RE.finditer(t):  # two uncommon capitalised words: a full name
            if _name_like(m.group(1), vocab) and _name_like(m.group(2), vocab):
                names |= {m.group(1).lower(), m.group(2).lower()}
    n = len(texts)
    if single_limit is None:
        single_limit = 0 if n < 100 else max(RARE_TEXTS, n // 1000)
    names |= {w for w in singles if len(w) >= 3 and doc_freq[w] <= single_limit}
    names |= {w for w in vocatives if doc_freq[w] <= max(RARE_TEXTS, n // 1000)}
    names |= ner_names(texts)
    known = set(known)
    return {w for w in names if w not in vocab and w not in known and not low[w]}


def names_in_text(text: str) -> set[str]:
    """Rules 1-4 on one text alone (every uncommon capitalised word counts as rare)."""
    if not text:
        return set()
    low = Counter(w for w in re.findall(_W, text) if w.islower())
    return corpus_names([text], low, single_limit=1)


def mask_in_context(text: str, placeholder: str = "<NAME>") -> str:
    """Mask names right after strong cues and titles, common words included ("Mr Brown")."""
    if not text:
        return text
    vocab = _vocab()

    def repl(m: re.Match) -> str:
        spans = []
        if _name_like(m.group(1), vocab, allow_common=True):
            spans.append(m.span(1))
            if m.group(2) and _name_like(m.group(2), vocab):
                spans.append(m.span(2))
        out, base = m.group(0), m.start()
        for a, b in reversed(spans):
            out = out[: a - base] + placeholder + out[b - base:]
        return out

    for pattern in (_STRONG_RE, _TITLE_RE):
        text = pattern.sub(repl, text)
    return text


@lru_cache(maxsize=1)
def _ner_pipeline():  # noqa: ANN202 - a spaCy Language or None
    try:
        # heavy: spacy loads only when a NER pipeline is looked for
        spacy = import_spacy()

        for name in ("en_core_web_trf", "en_core_web_lg", "en_core_web_md", "en_core_web_sm"):
            if spacy.util.is_package(name):
                return spacy.load(name, disable=["parser", "lemmatizer", "tagger"])
    except (ImportError, OSError, ValueError):
        return None
    return None


def ner_names(texts: Sequence[str], limit: int = 20_000) -> set[str]:
    """Tokens of PERSON entities from a trained spaCy pipeline, when one is installed (rule 5).

    Reads the first ``limit`` texts, each distinct one once.
    """
    nlp = _ner_pipeline()
    if nlp is None:
        return set()
    out: set[str] = set()
    # each distinct text of the first ``limit`` once: a text's entities do not depend on others
    for doc in nlp.pipe(list(dict.fromkeys(list(texts)[:limit])), batch_size=256):
        for ent in doc.ents:
            if ent.label_ == "PERSON":
                out |= {t.lower_ for t in ent if t.is_alpha and len(t) >= 2}
    return out
