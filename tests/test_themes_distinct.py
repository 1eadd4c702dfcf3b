"""Theme description reads each distinct text once, with the same results as reading every text.

Each reference below is the straightforward version (one pass over every text, as the code
read before issue 14); the corpora repeat texts, vary their casing and are built so that
counting a repeated text once would change the answer.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest

from mining.text import person_names as pn
from mining.text.segment import PLACEHOLDER_RE, get_nlp, lemmatize
from mining.text.wordlist import common_words
from mining.themes import hierarchy, labels, names
from mining.themes.labels import lemma_map, surface_forms, word_counts
from mining.themes.names import _case_counts, find_names

# ---------------------------------------------------------------------------- references


def _ref_case_counts(texts):
    cap, low, ever_cap = Counter(), Counter(), set()
    for t in texts:
        for m in names._MID_CAP_RE.finditer(t):
            cap[(m.group(1) or m.group(2)).lower()] += 1
        for w in names._TOKEN_RE.findall(t):
            if w.islower():
                low[w] += 1
            elif w[0].isupper():
                ever_cap.add(w.lower())
    return cap, low, ever_cap


def _ref_corpus_names(texts, low, known=(), single_limit=None):
    vocab = pn._vocab()
    found, doc_freq, singles, vocatives = set(), Counter(), set(), set()
    for t in texts:
        found |= pn._cued(t, vocab)[0]
        m = pn._VOCATIVE_RE.match(t)
        if m and pn._name_like(m.group(1), vocab):
            vocatives.add(m.group(1).lower())
        words = {w for w in pn._CAP_RE.findall(t) if w[0].isupper()}
        doc_freq.update({w.lower() for w in words})
        singles |= {w.lower() for w in words if pn._name_like(w, vocab)}
        for m in pn._PAIR_RE.finditer(t):
            if pn._name_like(m.group(1), vocab) and pn._name_like(m.group(2), vocab):
                found |= {m.group(1).lower(), m.group(2).lower()}
    n = len(texts)
    if single_limit is None:
        single_limit = 0 if n < 100 else max(pn.RARE_TEXTS, n // 1000)
    found |= {w for w in singles if len(w) >= 3 and doc_freq[w] <= single_limit}
    found |= {w for w in vocatives if doc_freq[w] <= max(pn.RARE_TEXTS, n // 1000)}
    known = set(known)
    return {w for w in found if w not in vocab and w not in known and not low[w]}


def _ref_find_names(texts, authors=()):
    vocab = common_words()
    texts = [t for t in texts if isinstance(t, str) and t]
    cap, low, ever_cap = _ref_case_counts(texts)
    out = set()
    for author in {str(a) for a in authors if isinstance(a, str) and a.strip()}:
        out |= {tok for tok in names._name_tokens(author)
                if tok not in vocab or cap[tok] > low[tok]}
    for t in texts:
        found = [m.group(1) for m in names._GREETING_RE.finditer(t)
                 if (m.group(2) or "").lower() not in names._GROUP_WORDS]
        found += [m.group(1) for m in names._SIGNOFF_RE.finditer(t)]
        out |= {tok.lower() for tok in found
                if len(tok) >= 2 and tok.lower() not in vocab and tok.lower() in ever_cap}
    for t in texts:
        for m in names._PERSON_CONTEXT_RE.finditer(t):
            word = m.group(1) or m.group(2)
            tok = word.lower()
            if word[:1].isupper() and len(tok) >= 2 and tok not in vocab and not low[tok]:
                out.add(tok)
    out |= _ref_corpus_names(texts, low, out)
    if out:
        pair = re.compile(r"\b(" + names._WORD + r")\s+(" + names._WORD + r")")
        for t in texts:
            for m in pair.finditer(t):
                a, b = m.group(1), m.group(2)
                if a.lower() in out and b[:1].isupper() and b.lower() not in vocab:
                    out.add(b.lower())
                elif b.lower() in out and a[:1].isupper() and a.lower() not in vocab \
                        and a.lower() not in {w.split()[0] for w in names.ADDRESS_WORDS}:
                    out.add(a.lower())
    return frozenset(n for n in out if len(n) >= 2)


def _ref_surface_forms(texts):
    nlp = get_nlp()
    counts: dict[str, Counter] = {}
    for doc in nlp.pipe((t.lower() if isinstance(t, str) else "" for t in texts), batch_size=256,
                        disable=["sentencizer"]):
        for tok in doc:
            if tok.is_alpha:
                counts.setdefault((tok.lemma_ or tok.text).lower(), Counter())[tok.lower_] += 1
    return {lem: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for lem, c in counts.items()}


def _ref_lemmatize(texts):
    nlp = get_nlp()
    prepared = [PLACEHOLDER_RE.sub(" ", t).lower() if isinstance(t, str) else "" for t in texts]
    out = []
    for doc in nlp.pipe(prepared, batch_size=256, disable=["sentencizer"]):
        lemmas = []
        for tok in doc:
            if tok.is_stop or tok.is_punct or tok.is_space or tok.like_num or tok.like_url:
                continue
            lemma = (tok.lemma_ or tok.text).lower().strip()
            if len(lemma) < 2 or not any(c.isalpha() for c in lemma) \
                    or nlp.vocab[lemma].is_stop:
                continue
            lemmas.append(lemma)
        out.append(lemmas)
    return out


def _ref_word_counts(texts):
    counts: Counter = Counter()
    for t in texts:
        if isinstance(t, str):
            counts.update(w.lower() for w in labels._WORD.findall(t))
    return counts


def _ref_lexicon(texts):
    """The attributes of ``labels.Lexicon(texts)``, computed reading every text."""
    counts = _ref_word_counts(texts)
    vocab = common_words()
    return SimpleNamespace(forms=_ref_surface_forms(texts), counts=counts, vocab=vocab,
                           fixes=labels.spelling_fixes(counts, vocab),
                           lemma_of=lemma_map(sorted(counts)))


# ---------------------------------------------------------------------------- corpora

_PIECES = [
    "Hi Jordan, my invoice is wrong.", "hi jordan thanks", "Thanks, Sam!", "thanks sam",
    "My colleague Priya said the refund failed.", "Priya has Tuesday free.",
    "Marta Nowak here, the export keeps failing.", "Please ask Will, he knows.",
    "I will call back later.", "We will see about the charges.", "I was charged twice",
    "Charged twice again!!", "The charges are wrong", "Xero sync broke", "xero sync broke",
    "Dear Okonkwo, sorry for the wait", "This is Emeka Souza from billing.", "Mr Brown called.",
    "Zorblax, we can offer a discount.", "ok", "OK", "Ok thanks", "my <EMAIL> bounced",
    "cancel my plan", "Cancel my plan", "Where is my refund?", "teh invoice is late",
    "Anika Ashworth asked about the upgrade", "Best, Priya", "Adebayo Okonkwo", "",
]


def _corpus(seed: int, n: int = 400) -> list[str]:
    rng = random.Random(seed)
    weights = [rng.choice([1, 1, 2, 5, 20]) for _ in _PIECES]
    return rng.choices(_PIECES, weights=weights, k=n)


# ---------------------------------------------------------------------------- tests


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_themes_distinct_case_counts_are_weighted(seed):
    texts = [t for t in _corpus(seed) if t]
    got = _case_counts(texts)
    assert got == _ref_case_counts(texts)
    assert list(got[1]) == list(_ref_case_counts(texts)[1])  # same insertion order too


def test_themes_distinct_find_names_author_word_weighted_by_repeats():
    # "Will" capitalised mid-sentence 5 times vs lower case twice: a name only when counted 5x
    texts = ["Please ask Will, he knows."] * 5 + ["I will call.", "We will see."]
    assert "will" in find_names(texts, ["Will Turner"])
    assert find_names(texts, ["Will Turner"]) == _ref_find_names(texts, ["Will Turner"])
    assert "will" not in find_names(list(dict.fromkeys(texts)), ["Will Turner"])


def test_themes_distinct_corpus_names_counts_every_copy():
    # 120 texts, 40 distinct: the rare-word limit is 3 texts (n = 120, not 40); "Quillon" in
    # two texts is rare, "Zandrix" in one text written 5 times is not
    filler = [f"plain message number {i}" for i in range(30)]
    texts = filler * 3 + ["Quillon opened the ticket", "we saw Quillon today"] \
        + ["Zandrix opened the ticket"] * 5 + filler[:23]
    assert len(texts) == 120 and len(set(texts)) == 33
    low = _ref_case_counts(texts)[1]
    got = pn.corpus_names(texts, low)
    assert got == _ref_corpus_names(texts, low)
    assert "zandrix" not in got
    assert "quillon" in got


def test_themes_distinct_surnames_follow_reading_order():
    # "okonkwo" becomes a name from "Marta Okonkwo"; the *repeat* of "Adebayo Okonkwo" after it
    # then makes "adebayo" one (lower-case copies keep both out of the corpus rules)
    base = ["Adebayo Okonkwo", "Hi Marta", "Marta Okonkwo", "adebayo okonkwo wrote"]
    once = find_names(base)
    assert "okonkwo" in once and "adebayo" not in once
    again = base[:3] + ["Adebayo Okonkwo"] + base[3:]
    assert "adebayo" in find_names(again)
    assert once == _ref_find_names(base) and find_names(again) == _ref_find_names(again)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_themes_distinct_find_names_matches_reading_every_text(seed):
    texts = _corpus(seed, n=600)
    authors = ["Will Turner", "jordan.lee@x.example", "Sam", "Grace Hopper"]
    assert find_names(texts, authors) == _ref_find_names(texts, authors)


@pytest.mark.parametrize("seed", [0, 1])
def test_themes_distinct_word_counts_and_lexicon_weighted_same_order(seed):
    texts = _corpus(seed) + [None, 3.5]
    ref = _ref_word_counts(texts)
    got = word_counts(texts)
    assert got == ref and list(got) == list(ref)
    lex, ref_lex = labels.Lexicon(texts), _ref_lexicon(texts)
    assert vars(lex) == vars(ref_lex) and list(lex.forms) == list(ref_lex.forms)


def test_themes_distinct_surface_forms_weighted_by_repeats():
    # "charged" in one text written 5 times outnumbers "charges" in two distinct texts
    texts = ["I was charged twice"] * 5 + ["The CHARGES are wrong", "charges again", None]
    got = surface_forms(texts)
    assert got == _ref_surface_forms(texts) and list(got) == list(_ref_surface_forms(texts))
    assert got["charge"] == "charged"
    assert surface_forms(list(dict.fromkeys(texts)))["charge"] == "charges"


@pytest.mark.parametrize("seed", [0, 1])
def test_themes_distinct_surface_forms_and_lemma_map_match_reference(seed):
    texts = _corpus(seed)
    assert surface_forms(texts) == _ref_surface_forms(texts)
    ref: dict[str, str] = {}
    for doc in get_nlp().pipe(t.lower() for t in texts):
        for tok in doc:
            if tok.is_alpha and tok.lower_ not in ref:
                ref[tok.lower_] = (tok.lemma_ or tok.lower_).lower()
    assert lemma_map(texts) == ref


def test_themes_distinct_lemmatize_matches_reference_and_lists_are_separate():
    texts = _corpus(3, n=200) + [None]
    got = lemmatize(texts)
    assert got == _ref_lemmatize(texts)
    i, j = [k for k, t in enumerate(texts) if t == "cancel my plan"][:2]
    got[i].append("x")
    assert got[j] == ["cancel", "plan"]


def test_themes_distinct_describe_levels_masks_each_distinct_text_once(monkeypatch):
    texts = [t for t in _corpus(4, n=120) if t]
    found = find_names(texts, ["Will Turner"])
    calls: list[str] = []
    seen: dict[str, list[str]] = {}

    def counting_mask(text, names_, vocatives=()):
        calls.append(text)
        return names.mask_names(text, names_, vocatives)

    def spy_lexicon(masked):
        seen["texts"] = list(masked)
        return labels.Lexicon(masked)

    monkeypatch.setattr(hierarchy, "mask_names", counting_mask)
    monkeypatch.setattr(hierarchy, "Lexicon", spy_lexicon)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(len(texts), 8)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    lab = np.arange(len(texts)) % 3
    C = np.stack([X[lab == t].mean(0) for t in range(3)])
    model = SimpleNamespace(kind="intent", labels_=lab, centroids_=C / np.linalg.norm(
        C, axis=1, keepdims=True), n_keywords=5, n_examples=3)
    hierarchy.describe_levels(model, texts, X, lemmatize(texts), found, frozenset({"will"}))
    assert sorted(calls) == sorted(set(texts))
    assert seen["texts"] == [names.mask_names(t, found, {"will"}) for t in texts]


def test_themes_distinct_corpus_person_names_matches_reading_every_text():
    import pandas as pd

    from mining.text.redact import corpus_person_names

    texts = _corpus(5, n=300)
    authors = ["Will Turner", "Priya Shah", None] * 100
    msgs = pd.DataFrame({"text": texts, "author": authors})
    got_names, got_vocatives = corpus_person_names(msgs)
    ref = _ref_find_names(texts, ["Will Turner", "Priya Shah"])
    assert got_names == ref
    assert got_vocatives == names.author_words(["Will Turner", "Priya Shah"], ref)
