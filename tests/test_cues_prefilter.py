"""The cue matcher's prefilter (RequiredWords) skips only documents that cannot match."""

from __future__ import annotations

import numpy as np
import pytest
from _cue_texts import TEXTS

from mining.cues import CueMatcher, RequiredWords
from mining.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


@pytest.mark.parametrize("kind", ["objections", "stages", "intents", "replies"])
def test_prefilter_gives_the_matcher_result(taxonomy, kind):
    matcher = CueMatcher(getattr(taxonomy, kind))
    fast = matcher.match(TEXTS)
    matcher.required.possible = lambda doc: True  # the Matcher on every document
    full = matcher.match(TEXTS)
    assert fast.matches == full.matches
    for name in ("counts", "negated", "cancelled", "first_cancel"):
        assert np.array_equal(getattr(fast, name), getattr(full, name)), name


def test_prefilter_skips_documents_without_required_words(taxonomy):
    matcher = CueMatcher(taxonomy.objections)
    nlp = matcher.nlp
    assert not matcher.required.possible(nlp("sounds lovely, see you then"))
    assert matcher.required.possible(nlp("that is way too expensive"))


def test_required_words_of_patterns():
    from spacy.lang.en import English

    nlp = English()
    pattern = [{"LOWER": "too"}, {"OP": "?"}, {"LOWER": {"IN": ["dear", "much"]}}]
    words = RequiredWords({"a": [pattern]})
    assert words.possible(nlp("far too much"))
    assert not words.possible(nlp("too late"))  # "dear"/"much" missing
    assert not words.possible(nlp("much"))
    optional = RequiredWords({"a": [[{"LOWER": "too", "OP": "?"}, {"LOWER": "much"}]]})
    assert optional.possible(nlp("much"))
    unconstrained = RequiredWords({"a": [[{"IS_DIGIT": True}]]})
    assert unconstrained.always and unconstrained.possible(nlp("nothing here"))
