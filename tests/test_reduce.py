from __future__ import annotations

import json

import numpy as np
import pytest

from mining.errors import ConfigError, NotFittedError
from mining.reduce import (
    REDUCERS,
    cosine_knn,
    load_reducer,
    make_reducer,
    membership_weights,
)


def _blobs(n_per: int = 40, k: int = 4, d: int = 32, seed: int = 0):
    """Unit vectors around k well-separated directions, with their blob labels."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 3
    X = np.concatenate([c + rng.normal(size=(n_per, d)) for c in centres]).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, np.repeat(np.arange(k), n_per)


def test_reduce_unknown_name_lists_the_choices():
    with pytest.raises(ConfigError, match="E002.*pca.*umap"):
        make_reducer("tsne")
    assert set(REDUCERS) == {"umap", "pca"}


@pytest.mark.parametrize("name", ["umap", "pca"])
def test_reduce_refuses_to_transform_unfitted(name):
    with pytest.raises(NotFittedError, match="E300"):
        make_reducer(name).transform(np.ones((2, 3)))


def test_reduce_rejects_non_matrix_input():
    with pytest.raises(ConfigError, match="E204"):
        make_reducer("pca").fit(np.ones(5))


def test_reduce_cosine_knn_matches_brute_force():
    X, _ = _blobs(n_per=25)
    idx, dist = cosine_knn(X, X, 6, exclude_self=True, block=17)
    sims = X @ X.T
    np.fill_diagonal(sims, np.inf)
    expected = np.argsort(-sims, axis=1, kind="stable")[:, :6]
    assert (idx[:, 0] == np.arange(len(X))).all() and np.allclose(dist[:, 0], 0)
    assert (np.sort(idx[:, 1:], axis=1) == np.sort(expected[:, 1:6], axis=1)).all()
    assert (np.diff(dist, axis=1) >= -1e-6).all()


def test_reduce_membership_weights_favour_closer_neighbours():
    w = membership_weights(np.array([[0.1, 0.2, 0.4, 0.8], [0.0, 0.0, 0.5, 0.5]]))
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-6)
    assert (np.diff(w[0]) < 0).all()
    assert w[1, 0] == w[1, 1] > w[1, 2]


def test_reduce_pca_is_deterministic_and_round_trips(tmp_path):
    X, _ = _blobs()
    red = make_reducer("pca", n_components=3)
    Y = red.fit_transform(X)
    assert Y.shape == (len(X), 3) and Y.dtype == np.float32
    np.testing.assert_allclose(make_reducer("pca", n_components=3).fit_transform(X), Y, atol=1e-5)
    red.save(tmp_path)
    assert json.loads((tmp_path / "reducer.json").read_text())["name"] == "pca"
    assert not list(tmp_path.glob("*.pkl"))
    np.testing.assert_allclose(load_reducer(tmp_path).transform(X), Y, atol=1e-5)


def test_reduce_load_of_a_folder_without_reducer_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="E205"):
        load_reducer(tmp_path)


@pytest.mark.slow
def test_reduce_umap_fits_deterministically_and_transform_agrees(tmp_path):
    X, labels = _blobs()
    red = make_reducer("umap", n_components=2, seed=7, n_neighbors=10)
    Y = red.fit_transform(X)
    assert Y.shape == (len(X), 2) and np.isfinite(Y).all()
    np.testing.assert_array_equal(make_reducer("umap", n_components=2, seed=7,
                                               n_neighbors=10).fit_transform(X), Y)
    # training vectors, alone or in any order, land exactly where fit put them
    np.testing.assert_array_equal(red.transform(X), Y)
    np.testing.assert_array_equal(red.transform(X[::-1][:5]), Y[::-1][:5])
    # new vectors land among their own blob: nearest training embedding has the same label
    X_new, new_labels = _blobs(n_per=5, seed=0)
    rng = np.random.default_rng(1)
    X_new = X_new + rng.normal(scale=0.02, size=X_new.shape).astype(np.float32)
    Y_new = red.transform(X_new)
    nearest = ((Y_new[:, None, :] - Y[None, :, :]) ** 2).sum(-1).argmin(axis=1)
    assert (labels[nearest] == new_labels).mean() >= 0.95
    red.save(tmp_path)
    np.testing.assert_allclose(load_reducer(tmp_path).transform(X_new), Y_new, atol=1e-5)


@pytest.mark.slow
def test_reduce_umap_turns_on_numba_disk_cache():
    from numba.core.caching import NullCache

    from mining.reduce import enable_umap_numba_cache

    enable_umap_numba_cache()
    import umap.layouts

    assert not isinstance(umap.layouts._nb_optimize_layout_euclidean_single_epoch._cache, NullCache)


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_reduce_tiny_inputs_still_reduce(n):
    X, _ = _blobs(n_per=2)
    red = make_reducer("umap", n_components=5)
    Y = red.fit_transform(X[:n])
    assert len(Y) == n and np.isfinite(Y).all()
    np.testing.assert_array_equal(red.transform(X[:n]), Y)


@pytest.mark.slow
def test_reduce_umap_is_repeatable_on_many_duplicate_vectors():
    # Like real replies (templated texts: 3,135 unique of 7,962 in the demo): many exact
    # duplicates. umap's spectral start (ARPACK) varied between identical fits on such data, so
    # the same vectors gave different theme counts run to run (demo: 374-382 themes).
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(40, 64)) * 3
    base = np.concatenate([c + rng.normal(size=(30, 64)) for c in centres])
    X = np.repeat(base, 5, axis=0).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    first = make_reducer("umap", n_components=5, seed=42).fit_transform(X)
    again = make_reducer("umap", n_components=5, seed=42).fit_transform(X)
    np.testing.assert_array_equal(first, again)
