"""The public API: ``mining.__all__`` and the scikit-learn contract of ThemeModel."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from test_themes import blobs

import mining
from mining.errors import ConfigError
from mining.themes import ThemeModel

#: Names users rely on; removing one is a breaking change (this test then fails).
STABLE = {
    "load_corpus", "corpus_from_frames", "Corpus", "Settings", "load_settings",
    "read_config_file", "ThemeModel", "ObjectionDetector", "StageTagger", "tag", "TagResult",
    "run", "RunResult", "run_reports", "objections_by_stage", "replies_report", "funnel_report",
    "channels_report", "cadence_report", "paths_report", "write_table", "register",
    "Progress", "embed_texts", "segment", "redact", "make_reducer",
}


def test_api_all_keeps_every_stable_name_and_each_resolves():
    assert STABLE <= set(mining.__all__)
    for name in mining.__all__:
        assert getattr(mining, name) is not None


def test_api_theme_model_get_set_params_and_clone_round_trip():
    model = ThemeModel(kind="reply", reducer="pca", seed=7, n_themes=3)
    params = model.get_params()
    assert params["seed"] == 7 and params["kind"] == "reply"
    twin = clone(model)
    assert twin is not model and twin.get_params() == params
    assert twin.set_params(seed=11, threshold=0.4) is twin
    assert twin.seed == 11 and twin.threshold == 0.4 and model.seed == 7
    assert ThemeModel(**twin.get_params()).get_params() == twin.get_params()
    fitted = ThemeModel(reducer="pca").fit(*blobs()[:1], vectors=blobs()[1])
    assert not hasattr(clone(fitted), "centroids_")  # clone copies parameters, not state


def test_api_theme_model_defaults_come_from_settings():
    defaults = mining.Settings().themes
    params = ThemeModel().get_params()
    for key in ("reducer", "clusterer", "seed", "n_keywords", "n_examples", "threshold",
                "n_components", "n_neighbors", "center", "min_theme_size", "n_themes"):
        assert params[key] == getattr(defaults, key)


def test_api_theme_model_estimator_shapes():
    texts, X, _ = blobs()
    model = ThemeModel(reducer="pca").fit(texts, vectors=X)
    k = len(model.centroids_)
    assert model.transform(texts, X).shape == (len(texts), k)
    proba = model.predict_proba(texts, X)
    assert proba.shape == (len(texts), k) and np.allclose(proba.sum(axis=1), 1.0)
    assert model.predict(texts, X).shape == (len(texts),)
    np.testing.assert_array_equal(model.predict(texts, X), model.labels_)


class CountingPCA:
    """A reducer object (not registered): counts its fits."""

    def __init__(self) -> None:
        self.fits = 0

    def fit_transform(self, X):
        from sklearn.decomposition import PCA

        self.fits += 1
        return PCA(n_components=3, random_state=0).fit_transform(X)


def test_api_an_object_passed_as_reducer_is_used(tmp_path):
    import json

    texts, X, y = blobs()
    reducer = CountingPCA()
    model = ThemeModel(reducer=reducer).fit(texts, vectors=X)
    assert reducer.fits == 1
    assert len(model.centroids_) == len(set(y))
    config = json.loads((model.save(tmp_path / "m") / "config.json").read_text())
    assert config["params"]["reducer"] == "CountingPCA"  # its name is saved, never a pickle


def test_api_registered_reducer_name_is_used_and_bad_objects_refused(tmp_path, monkeypatch):
    import mining.reduce

    monkeypatch.setattr(mining.reduce, "REDUCERS", dict(mining.reduce.REDUCERS))  # undone after
    made = []

    @mining.register("reducer", "counting-test")
    def make_counting(n_components=5, seed=42, **_):
        made.append((n_components, seed))
        return CountingPCA()

    texts, X, _ = blobs()
    model = ThemeModel(reducer="counting-test", seed=3).fit(texts, vectors=X)
    assert made == [(5, 3)] and len(model.centroids_) >= 2
    model.save(tmp_path / "m")
    with pytest.raises(ConfigError, match=r"\[E008\]"):
        ThemeModel(reducer=object()).fit(texts, vectors=X)


def test_api_from_settings_takes_plugin_objects_over_setting_names():
    settings = mining.Settings()
    settings.themes.seed = 5
    reducer = CountingPCA()
    model = ThemeModel.from_settings(settings.themes, kind="objection", reducer=reducer,
                                     clusterer=None)
    assert model.reducer is reducer and model.clusterer == settings.themes.clusterer
    assert model.seed == 5 and model.kind == "objection"
