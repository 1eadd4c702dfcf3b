"""mining.fitted_cache: the built-in models are fitted once and loaded from the cache after."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from mining.config import Settings
from mining.fitted_cache import cache_folder, cache_key, fit_or_reuse
from mining.objections import _BUILTIN_CACHE, ObjectionDetector
from mining.taxonomy import load_taxonomy

TEXTS = ["that's too expensive for us right now", "ok sounds good, send the contract over",
         "we already use another provider and are happy", "let me think about it for a week",
         "can you do 20% off if we sign today?", "thanks, that answers my question"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    settings = Settings()
    settings.embed.model = "hash"
    settings.embed.cache_dir = tmp_path_factory.mktemp("fitted-cache")
    taxonomy = load_taxonomy(None)
    from mining.embed import embed_texts

    vectors = embed_texts(TEXTS, model="hash", settings=settings)
    fitted = fit_or_reuse(ObjectionDetector(taxonomy=taxonomy, embedder="hash",
                                            settings=settings))
    return settings, taxonomy, vectors, fitted


def _new(settings, taxonomy, **params):
    return ObjectionDetector(taxonomy=taxonomy, embedder="hash", settings=settings, **params)


def test_second_fit_is_loaded_from_the_cache_and_scores_the_same(setup):
    settings, taxonomy, vectors, fitted = setup
    folders = list(cache_folder(settings).iterdir())
    assert [f.name.split("-")[0] for f in folders] == ["ObjectionDetector"]
    _BUILTIN_CACHE.clear()  # the in-process memo of built-in rows must not be what answers
    again = fit_or_reuse(_new(settings, taxonomy))
    assert again is not fitted and again.settings is settings and again.taxonomy is taxonomy
    context = [""] * len(TEXTS)
    pd.testing.assert_frame_equal(fitted.transform(TEXTS, vectors, context=context),
                                  again.transform(TEXTS, vectors, context=context))


def test_key_follows_params_and_taxonomy_and_embedder(setup):
    settings, taxonomy, _, _ = setup
    base = cache_key(_new(settings, taxonomy))
    assert base is not None and base == cache_key(_new(settings, taxonomy))
    assert cache_key(_new(settings, taxonomy, C=0.1)) != base
    other = load_taxonomy(None)
    other.objections.negative_examples.append("a brand new hard negative example")
    assert cache_key(_new(settings, other)) != base
    examples = settings.embed.cache_dir / "examples.yaml"
    examples.write_text("objections:\n  price: [too dear]\nnot_objections:\n  ok: [fine]\n")
    first = cache_key(_new(settings, taxonomy, examples=examples))
    examples.write_text("objections:\n  price: [too dear for us]\nnot_objections:\n  ok: [fine]\n")
    assert first not in (None, base) and cache_key(_new(settings, taxonomy,
                                                         examples=examples)) != first
    torch_like = Settings()
    torch_like.embed.cache_dir = settings.embed.cache_dir
    assert cache_key(ObjectionDetector(taxonomy=taxonomy, embedder="hash",
                                       settings=torch_like)) != base  # other batch/model settings


def test_damaged_cache_is_a_miss_with_a_warning(setup, caplog):
    settings, taxonomy, vectors, fitted = setup
    folder = cache_folder(settings) / f"ObjectionDetector-{cache_key(_new(settings, taxonomy))}"
    (folder / "coef.npy").write_bytes(b"not an array")
    with caplog.at_level(logging.WARNING, logger="mining.fitted_cache"):
        refit = fit_or_reuse(_new(settings, taxonomy))
    assert any("[W211]" in r.getMessage() for r in caplog.records)
    assert np.array_equal(refit.coef_, fitted.coef_)
    assert (folder / "coef.npy").stat().st_size > 100  # stored again, whole


def test_use_cache_false_always_fits(setup):
    settings, taxonomy, _, _ = setup
    off = settings.model_copy(deep=True)
    off.embed.use_cache = False
    model = _new(off, taxonomy)
    fits = []
    model.fit = lambda progress=False: fits.append(progress) or model  # no refit needed here
    assert fit_or_reuse(model) is model and fits == [False]
