"""Readable theme labels: phrases, spelling, placeholders, uniqueness."""

from __future__ import annotations

import numpy as np
import pytest

from mining.themes import ThemeModel
from mining.themes.labels import (
    disambiguate,
    fix_spelling,
    phrase_candidates,
    spelling_fixes,
    word_counts,
)
from mining.themes.names import common_words

#: Common English misspellings (generic list written for this project) and their corrections.
MISSPELLINGS = {"teh": "the", "gonig": "going", "recieve": "receive", "adress": "address",
                "seperate": "separate", "definately": "definitely", "thier": "their",
                "becuase": "because", "wich": "which", "untill": "until"}


def test_themes_labels_spelling_fixes_common_misspellings_and_keeps_names():
    correct = " ".join(MISSPELLINGS.values())
    corpus = [correct] * 5 + [" ".join(MISSPELLINGS)] + ["We use Xero for refunds"] * 4 + \
        ["zero refund", "my refund"]
    fixes = spelling_fixes(word_counts(corpus), common_words())
    for wrong, right in MISSPELLINGS.items():
        assert fixes.get(wrong) == right, wrong
    # a product name used consistently and an inflected form are not typos
    assert "xero" not in fixes and "refunds" not in fixes
    assert fix_spelling("Teh adress is wrong", fixes) == "The address is wrong"


@pytest.mark.parametrize(("text", "expected"), [
    ("I would like to change my address.", "change my address"),
    ("Could you please help me reset my password?", "reset my password?"),
    ("Hi, I want to cancel my plan", "cancel my plan"),
    ("Where is my refund?", "where is my refund?"),
    ("I'm calling about a charge I don't recognise", "a charge I don't recognise"),
])
def test_themes_labels_phrase_drops_request_frames(text, expected):
    assert phrase_candidates(text, [], {})[0] == expected


def test_themes_labels_long_sentence_is_cut_to_its_keywords():
    text = ("so basically what happened is that last week I tried to reset the password of "
            "my online account and it never worked at all")
    out = phrase_candidates(text, ["reset", "password", "online account"], {})
    assert out == ["reset the password of my online account"]


def test_themes_labels_placeholders_never_in_phrases():
    assert phrase_candidates("Hi <NAME>, cancel my plan", [], {}) == []


def test_themes_labels_disambiguate():
    out = disambiguate(["cancel my plan", "cancel my plan", "Cancel my plan", "x"],
                       [["cancel"], ["cancel", "pet insurance"], ["cancel"], []])
    assert out == ["cancel my plan", "cancel my plan (pet insurance)", "Cancel my plan #2", "x"]
    assert len({o.lower() for o in out}) == len(out)


def _typo_corpus():
    """Three intents in customers' words, with typos and greetings by name."""
    intents = {
        "address": ["I need to change my address", "change my adress please",
                    "Hi Jordan, I want to update my address", "new address, I moved house",
                    "can you change teh address on my account", "my address has changed"],
        "refund": ["where is my refund", "I still did not recieve my refund",
                   "Thanks Jordan, when do I get my refund", "refund not received yet",
                   "my refund is late", "is my refund gonig to arrive"],
        "card": ["my card was declined", "card declined at the shop",
                 "why was my card declined", "Hi Jordan, my card got declined again",
                 "declined card at checkout", "the card keeps getting declined"],
    }
    fixes = {"adress": "address", "teh": "the", "recieve": "receive", "gonig": "going"}
    texts, y = [], []
    for k, (_, rows) in enumerate(intents.items()):
        for r in range(4):  # typos are rarer than the correct spelling, as in real text
            for t in rows:
                if r:
                    t = " ".join(fixes.get(w, w) for w in t.split()) + ("", "!", "?")[r - 1]
                texts.append(t)
                y.append(k)
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16))
    X = centres[y] + rng.normal(scale=0.05, size=(len(y), 16))
    return texts, (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32), \
        np.asarray(y)


def test_themes_labels_are_readable_unique_phrases():
    texts, X, y = _typo_corpus()
    m = ThemeModel(reducer="pca", min_theme_size=5).fit(texts, vectors=X)
    labels = m.themes_["label"].tolist()
    assert len(labels) == 3 and len({x.lower() for x in labels}) == 3
    words = {w.strip("?!.,()").lower() for lab in labels for w in lab.split()}
    assert not words & set(MISSPELLINGS), labels
    assert "jordan" not in words and not any("<" in lab or "/" in lab for lab in labels)
    assert not set(" ".join(m.themes_["keywords"]).replace(",", " ").split()) & set(MISSPELLINGS)
    # each label names its intent
    for k, word in enumerate(("address", "refund", "card")):
        theme = int(np.bincount(m.labels_[y == k]).argmax())
        assert word in labels[theme].lower()


def test_themes_labels_theme_of_greetings_gets_a_phrase_not_a_number():
    from mining.themes.labels import Lexicon, readable_labels

    texts = ["Hi <NAME>, me again", "Hello <NAME>, me again!", "<NAME> here again",
             "Hi <NAME>, it's me again"]
    X = np.ones((4, 3), dtype=np.float32) / np.sqrt(3)
    out = readable_labels(texts, X, np.zeros(4, dtype=np.int64), X[:1], {0: []}, {0: []}, [""],
                          Lexicon(texts))
    assert out[0] in ("me again", "it's me again") and "<" not in out[0]
