"""Personal names in a corpus, so theme keywords, labels and examples do not show them.

Theme keywords come from the words customers and agents write, and people address each other by
name ("Hi Jordan", "Thanks, Sam"): without care a theme of thank-you notes is labelled
"jordan / thanks". A token is treated as a personal name when one of these holds:

1. **Author names**: it is a word of an author's display name or e-mail local part
   (``"Marta Nowak"``, ``"jiri_novak88@x.example"``) given by the caller, unless it is a common
   word of English (in the lookup lemmatiser's vocabulary, e.g. "Will", "Grace") that the corpus
   uses in lower case at least as often as capitalised in mid-sentence.
2. **Address**: it directly follows a greeting ("hi", "dear", ...; not when a group word
   follows it: "hi Acme team") or a thanks or sign-off word ("thanks", "cheers", "best", ...;
   only when it ends the clause: "Thanks, Sam!", not "best, Xero or ..."), is not a common
   word and is written capitalised
   somewhere in the corpus ("Hi Jordan", "thanks sam", "Best, Priya"; not "hi team",
   "thanks again", nor a typo such as "sorry gonig").
3. **Talked about**: it is capitalised, not a common word, never written in lower case in the
   corpus, and stands where people's names stand: after "my colleague", "ask", "cc", "spoke
   to", ... or before "said", "mentioned", "is on leave", "has Tuesday", ... ("Priya has
   Tuesday 11am free").
4. **Full name**: it is capitalised, not a common word, and next to a name found by 1-3
   ("Marta Nowak" once "Marta" is known).

Capitalised words that are not common words are *not* all treated as names, because product
and company names ("NetSuite", "Xero") are what many themes are about; only rare ones are, with
self-introductions, titles and vocatives (``mining.text.person_names``). The word lists are
generic English written for this project.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from mining.text.person_names import corpus_names, mask_in_context
from mining.text.wordlist import common_words

#: Placeholder that replaces a personal name in theme examples.
NAME_PLACEHOLDER = "<NAME>"

#: Greetings: the word after one is taken as a name ("Hi Jordan ...", "dear sam").
GREETING_WORDS = ("hi", "hiya", "hey", "hello", "dear", "yo", "greetings")
#: Thanks, sign-offs and the like: the word after one is a name only when it ends the clause
#: ("Thanks, Sam!", "Best, Priya"; not "which is best, Xero or ...").
ADDRESS_WORDS = GREETING_WORDS + (
    "morning", "afternoon", "evening", "thanks", "thank you", "thx", "ty", "cheers", "regards",
    "best", "bye", "goodbye", "ciao", "sincerely", "welcome", "sorry", "ok", "okay", "congrats",
    "congratulations",
)
#: Words that address a group, not a person ("hi Acme team").
_GROUP_WORDS = frozenset({"team", "teams", "support", "folks", "guys", "all", "everyone",
                          "people", "sales", "crew", "gang"})
_WORD = r"[^\W\d_][^\W\d_'’-]*"
#: Words before a person's name ("my colleague Priya", "ask Sam", "cc Dana").
PERSON_BEFORE = (
    "colleague", "colleagues", "coworker", "co-worker", "manager", "boss", "cfo", "ceo", "cto",
    "coo", "founder", "co-founder", "assistant", "accountant", "bookkeeper", "controller",
    "director", "husband", "wife", "partner", "ask", "asked", "cc", "cc'd", "told", "tell",
    "spoke to", "speak to", "talk to", "talked to", "met with", "meet with", "introduce you to",
    "loop in", "looping in", "looped in", "check with", "checked with", "checking with",
)
#: Words after a person's name ("Priya said", "Sam is on leave", "Priya has Tuesday free").
PERSON_AFTER = (
    "said", "says", "mentioned", "suggested", "told", "asked", "thinks", "thought", "agreed",
    "wants", "wanted", "confirmed", "joined", "is out", "is away", "is off", "is on leave",
    "is on holiday", "is on vacation", "will join", "will reach out", "will be in touch",
    "has monday", "has tuesday", "has wednesday", "has thursday", "has friday", "has time",
    "'s calendar", "’s calendar",
)


def _phrases(words: Sequence[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)


#: A capitalised word in a person context (group 1: after a PERSON_BEFORE word, group 2: before
#: a PERSON_AFTER word). Only words never written in lower case in the corpus count.
_PERSON_CONTEXT_RE = re.compile(
    r"\b(?i:" + _phrases(PERSON_BEFORE) + r")\s+(" + _WORD + r")"
    r"|(" + _WORD + r")\s+(?i:" + _phrases(PERSON_AFTER) + r")\b")


def _address_re(words: Sequence[str], tail: str) -> re.Pattern:
    alts = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
    return re.compile(r"\b(?:" + alts + r")\s*[,!:;.-]?\s+(" + _WORD + r")" + tail,
                      re.IGNORECASE)


_GREETING_RE = _address_re(GREETING_WORDS, r"(?:\s+(" + _WORD + r"))?")
_SIGNOFF_RE = _address_re([w for w in ADDRESS_WORDS if w not in GREETING_WORDS],
                          r"\s*(?=[,.!?;:)]|$)")
_TOKEN_RE = re.compile(_WORD)
#: A capitalised word that does not start a sentence (preceded by a letter/comma and a space).
_MID_CAP_RE = re.compile(r"(?<=[^\W\d_,;:]\s)([A-Z][^\W\d_]+)|(?<=[,;:]\s)([A-Z][^\W\d_]+)")


def _name_tokens(name: str) -> list[str]:
    """Split a display name or e-mail address into lowercase word tokens of 2+ letters."""
    name = str(name)
    if "@" in name:
        name = name.split("@", 1)[0]
    return [t.lower() for t in _TOKEN_RE.findall(name.replace("_", " ").replace(".", " "))
            if len(t) >= 2]


def _case_counts(texts: Sequence[str]) -> tuple[Counter, Counter, set[str]]:
    """Count each lowercased word's capitalised mid-sentence and lowercase occurrences.

    Each distinct text is read once and its counts weighted by how often it occurs.

    Returns:
        ``(capitalised mid-sentence counts, lowercase counts, words ever written capitalised)``.
    """
    cap: Counter = Counter()
    low: Counter = Counter()
    ever_cap: set[str] = set()
    for t, k in Counter(texts).items():
        for m in _MID_CAP_RE.finditer(t):
            cap[(m.group(1) or m.group(2)).lower()] += k
        for w in _TOKEN_RE.findall(t):
            if w.islower():
                low[w] += k
            elif w[0].isupper():
                ever_cap.add(w.lower())
    return cap, low, ever_cap


def find_names(texts: Sequence[str], authors: Iterable[str] = ()) -> frozenset[str]:
    """Find the personal names used in ``texts`` (see the module docstring for the rules).

    Each distinct text is read once (counts weighted by its occurrences); the result is the
    same as reading every text in turn.

    Args:
        texts: The texts (as written, before any filler removal: greetings carry names).
        authors: Author display names and/or e-mail addresses of the corpus (may be empty).

    Returns:
        Lowercased name tokens.
    """
    vocab = common_words()
    texts = [t for t in texts if isinstance(t, str) and t]
    distinct = list(dict.fromkeys(texts))  # order of first occurrence
    cap, low, ever_cap = _case_counts(texts)
    names: set[str] = set()
    for author in {str(a) for a in authors if isinstance(a, str) and a.strip()}:
        for tok in _name_tokens(author):
            if tok not in vocab or cap[tok] > low[tok]:
                names.add(tok)
    for t in distinct:
        found = [m.group(1) for m in _GREETING_RE.finditer(t)
                 if (m.group(2) or "").lower() not in _GROUP_WORDS]
        found += [m.group(1) for m in _SIGNOFF_RE.finditer(t)]
        for tok in found:
            tok = tok.lower()
            if len(tok) >= 2 and tok not in vocab and tok in ever_cap:
                names.add(tok)
    for t in distinct:  # people talked about: "my colleague Priya", "Priya has Tuesday free"
        for m in _PERSON_CONTEXT_RE.finditer(t):
            word = m.group(1) or m.group(2)
            tok = word.lower()
            if word[:1].isupper() and len(tok) >= 2 and tok not in vocab and not low[tok]:
                names.add(tok)
    names |= corpus_names(texts, low, names)
    if names:  # surnames next to a known first name ("Marta Nowak")
        _add_surnames(texts, distinct, names, vocab)
    return frozenset(n for n in names if len(n) >= 2)


_WORD_PAIR_RE = re.compile(r"\b(" + _WORD + r")\s+(" + _WORD + r")")
_ADDRESS_FIRST = frozenset(w.split()[0] for w in ADDRESS_WORDS)


def _add_surnames(texts: Sequence[str], distinct: Sequence[str], names: set[str],
                  vocab: frozenset[str]) -> None:
    """Add to ``names`` the capitalised uncommon words next to a name, reading ``texts`` in turn.

    A name added while reading one text counts for the texts (and word pairs) after it, so the
    pairs are replayed for every text in order; only the regex matching is done once per
    distinct text, keeping the pairs where a name could be added whatever ``names`` holds.
    """
    pairs: dict[str, list[tuple[str, str, bool, bool]]] = {}
    for t in distinct:
        found = []
        for m in _WORD_PAIR_RE.finditer(t):
            a, b = m.group(1), m.group(2)
            b_new = b[:1].isupper() and b.lower() not in vocab
            a_new = a[:1].isupper() and a.lower() not in vocab and a.lower() not in _ADDRESS_FIRST
            if a_new or b_new:
                found.append((a.lower(), b.lower(), a_new, b_new))
        pairs[t] = found
    for t in texts:
        for a, b, a_new, b_new in pairs[t]:
            if a in names and b_new:
                names.add(b)
            elif b in names and a_new:
                names.add(a)


def author_words(authors: Iterable[str], names: Iterable[str]) -> frozenset[str]:
    """Return the words of author names that :func:`find_names` kept as common words ("will")."""
    names = set(names)
    return frozenset(tok for a in {str(a) for a in authors if isinstance(a, str)}
                     for tok in _name_tokens(a) if tok not in names)


def mask_names(text: str, names: Iterable[str], vocatives: Iterable[str] = ()) -> str:
    """Replace personal names in ``text`` with :data:`NAME_PLACEHOLDER`.

    Args:
        text: A text.
        names: Lowercase name tokens, replaced wherever they occur as whole words (any case).
        vocatives: Lowercase author words that are also common words ("Will"), replaced only
            where they address someone: capitalised at the start of the text or after a
            greeting word, followed by a comma ("Will, happy to help", "Hi Will,").

    Returns:
        The text with names replaced.
    """
    if not text:
        return text
    name_rx, vocative_rx = _mask_patterns(frozenset(names), frozenset(vocatives))
    if name_rx is not None:
        text = name_rx.sub(NAME_PLACEHOLDER, text)
    if vocative_rx is not None:
        text = vocative_rx.sub(lambda m: m.group(1) + NAME_PLACEHOLDER, text)
    return mask_in_context(text, NAME_PLACEHOLDER)


@lru_cache(maxsize=8)
def _mask_patterns(names: frozenset[str], vocatives: frozenset[str]
                   ) -> tuple[re.Pattern | None, re.Pattern | None]:
    """The two patterns of :func:`mask_names`, built once per set of names.

    Not once per text: with thousands of names, escaping and joining them per text dominated
    theme fitting. A frozenset argument is passed through without a copy (its hash is cached).
    """
    ordered = sorted({n for n in names if n}, key=len, reverse=True)
    name_rx = re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, ordered)) + r")(?![\w])",
                         re.IGNORECASE) if ordered else None
    voc = sorted({v for v in vocatives if v}, key=len, reverse=True)
    vocative_rx = None
    if voc:
        words = "|".join(re.escape(v.capitalize()) for v in voc)
        greet = "|".join(re.escape(w) for w in ADDRESS_WORDS if " " not in w)
        vocative_rx = re.compile(r"(^|(?i:\b(?:" + greet + r"))[,!]?\s+)(?:" + words
                                 + r")(?=\s*[,!])")
    return name_rx, vocative_rx
