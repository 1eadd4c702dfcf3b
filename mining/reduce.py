"""Dimension reduction before clustering: reducers chosen by name, saved without pickles.

API (used by ``ThemeModel``)::

    from mining.reduce import make_reducer, load_reducer, REDUCERS
    red = make_reducer("umap", n_components=5, seed=42, n_neighbors=15)   # or "pca"
    Y = red.fit_transform(X)        # X: float (n, d), L2-normalised embeddings -> float32 (n, 5)
    Y_new = red.transform(X_new)    # no refit; transform(X_train) == fit_transform(X_train)
    red.save(folder)                # reducer.json + .npy arrays, no pickles
    red = load_reducer(folder)      # and transform in another process, without refitting

Reducers (:data:`REDUCERS`):

- ``"umap"`` (default): UMAP (cosine, ``min_dist=0``, PCA start) on an exact cosine
  k-nearest-neighbour graph computed with numpy and passed as ``precomputed_knn`` (for
  ``n <= exact_knn_max``), so
  the NN-descent code of pynndescent is never compiled; umap's numba functions are compiled with
  numba's on-disk cache enabled, so only the first process on a machine pays the compilation
  (``benchmarks/results/umap_startup.md``). ``transform`` is UMAP's own transform algorithm on
  our kNN: start a new vector at the membership-weighted average of its nearest training
  vectors' embeddings, then run umap's layout optimisation for the new points only
  (``transform_epochs``, 100; 0 keeps the average and never imports umap). A vector equal to a
  training vector lands exactly on that vector's embedding
  (``benchmarks/results/reduce_transform.md``).
- ``"pca"``: principal components (cheap, linear, deterministic).

Both refuse to transform before ``fit`` (``NotFittedError``, E300) and clip ``n_components`` and
``n_neighbors`` to what tiny inputs allow.
"""

from __future__ import annotations

import importlib
import json
import types
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from mining.errors import ConfigError, Errors, NotFittedError

FORMAT = 1


class Reducer(Protocol):
    """What ``ThemeModel`` needs from a reducer."""

    name: str

    def fit(self, X: np.ndarray) -> Reducer:
        """Learn the reduction; return self."""
        ...

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """Learn the reduction and return the reduced training vectors."""
        ...

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Reduce new vectors with the learned reduction."""
        ...

    def save(self, folder: str | Path) -> None:
        """Write the fitted state to a folder (JSON + ``.npy``)."""
        ...


def _as_matrix(X: Any) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ConfigError(Errors.E204.format(shape=X.shape))
    return np.ascontiguousarray(X)


def _unit(X: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(X, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return X / n


def cosine_knn(
    query: np.ndarray, base: np.ndarray, k: int, *, exclude_self: bool = False,
    block: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine nearest neighbours by blocked matrix products.

    Args:
        query: float32 ``(m, d)`` L2-normalised rows.
        base: float32 ``(n, d)`` L2-normalised rows.
        k: Neighbours per query row (at most ``n``).
        exclude_self: ``query`` is ``base``: put each row itself first, at distance 0 (the
            layout UMAP expects for a training kNN graph).
        block: Query rows per matrix product; None keeps each product near 20M entries
            (~80 MB), whatever the size of ``base``.

    Returns:
        ``(indices, distances)``: int64 and float32 ``(m, k)``, nearest first; distance is
        ``1 - cosine similarity`` clipped to ``[0, 2]``.
    """
    m, n = len(query), len(base)
    k = min(k, n)
    block = block or max(64, min(4096, 20_000_000 // max(n, 1)))
    idx = np.empty((m, k), dtype=np.int64)
    dist = np.empty((m, k), dtype=np.float32)
    for lo in range(0, m, block):
        sims = query[lo:lo + block] @ base.T
        rows = np.arange(len(sims))
        if exclude_self:
            sims[rows, lo + rows] = np.inf
        # negated in place, and only the k columns of the partition kept: no second block-sized
        # array, no (block, n) index array alive at the next product (the kinds' fits run side
        # by side, each with its own block)
        neg = np.negative(sims, out=sims)
        del sims
        part = np.argpartition(neg, k - 1, axis=1)[:, :k].copy() if k < n else \
            np.tile(np.arange(n), (len(neg), 1))
        psims = -np.take_along_axis(neg, part, axis=1)
        del neg
        order = np.argsort(-psims, axis=1, kind="stable")
        idx[lo:lo + block] = np.take_along_axis(part, order, axis=1)
        d = 1.0 - np.take_along_axis(psims, order, axis=1)
        if exclude_self:
            d[:, 0] = 0.0
        dist[lo:lo + block] = np.clip(d, 0.0, 2.0)
    return idx, dist


def membership_weights(dists: np.ndarray, n_iter: int = 64, normalize: bool = True) -> np.ndarray:
    """UMAP's fuzzy membership of a new point to its neighbours, rows normalised to sum to 1.

    Numpy version of umap's ``smooth_knn_dist`` with ``local_connectivity=0`` (as used by
    ``UMAP.transform``): find ``sigma`` per row with ``sum_j exp(-d_j / sigma) = log2(k)``
    (over neighbours 2..k), then weight neighbour ``j`` by ``exp(-d_j / sigma)``.

    Args:
        dists: float ``(m, k)`` sorted neighbour distances.
        n_iter: Bisection steps.
        normalize: Scale each row to sum to 1 (else the raw memberships in ``(0, 1]``).

    Returns:
        float32 ``(m, k)`` weights.
    """
    d = np.asarray(dists, dtype=np.float64)
    m, k = d.shape
    if k < 2:
        return np.ones((m, k), dtype=np.float32)
    target = np.log2(k)
    lo, hi, mid = np.zeros(m), np.full(m, np.inf), np.ones(m)
    rest = d[:, 1:]
    for _ in range(n_iter):
        psum = np.exp(-rest / mid[:, None]).sum(axis=1)
        big = psum > target
        hi = np.where(big, mid, hi)
        lo = np.where(big, lo, mid)
        mid = np.where(big, (lo + hi) / 2.0, np.where(np.isinf(hi), mid * 2.0, (lo + hi) / 2.0))
    mid = np.maximum(mid, 1e-3 * d.mean())  # umap's MIN_K_DIST_SCALE floor
    w = np.exp(-d / mid[:, None])
    if normalize:
        w /= np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    return w.astype(np.float32)


# --------------------------------------------------------------------------- numba caching

_UMAP_NUMBA_MODULES = ("umap.umap_", "umap.layouts", "umap.distances", "umap.utils",
                       "umap.spectral", "umap.sparse")
_numba_cache_enabled = False


def enable_umap_numba_cache() -> int:
    """Turn on numba's on-disk cache for umap's jitted functions (umap does not ask for it).

    Must run before those functions are first called in the process. Compiled code goes where
    numba puts it: ``$NUMBA_CACHE_DIR`` when set, else ``__pycache__`` beside umap's sources, else
    the user's cache folder; numba re-validates it against the source files' timestamps.

    Returns:
        The number of functions whose caching was turned on in this call.
    """
    global _numba_cache_enabled
    if _numba_cache_enabled:
        return 0

    # heavy: numba.core loads only when enable_umap_numba_cache() runs
    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    count = 0
    for name in _UMAP_NUMBA_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for value in vars(module).values():
            if isinstance(value, Dispatcher) and isinstance(value._cache, NullCache):
                try:
                    value.enable_caching()
                    count += 1
                except Exception:  # noqa: BLE001,S112 - uncachable functions just compile
                    continue
    _numba_cache_enabled = True
    _layout_without_gil()
    return count


def _layout_without_gil() -> None:
    """Let umap's single-threaded layout epoch release the GIL, so fits run side by side.

    umap compiles ``_optimize_layout_euclidean_single_epoch`` without ``nogil``; the same Python
    function compiled with the same flags plus ``nogil=True`` computes exactly the same numbers
    but lets another thread (another theme kind's fit, ``mining.tagging.themes``) run its own
    layout on the other core. Its on-disk cache entry gets its own name, so a cached GIL-holding
    build is never loaded in its place.
    """
    # heavy: numba, umap.layouts load only when _layout_without_gil() runs
    import numba
    from umap import layouts

    current = getattr(layouts, "_nb_optimize_layout_euclidean_single_epoch", None)
    py_func = getattr(current, "py_func", None)
    if py_func is None or getattr(current, "targetoptions", {}).get("nogil"):
        return
    twin = types.FunctionType(py_func.__code__, py_func.__globals__, py_func.__name__,
                              py_func.__defaults__, py_func.__closure__)
    twin.__qualname__ = f"{py_func.__qualname__}_nogil"
    try:
        layouts._nb_optimize_layout_euclidean_single_epoch = numba.njit(
            twin, fastmath=True, parallel=False, nogil=True, cache=True)
    except Exception:  # noqa: BLE001 - keep umap's own (GIL-holding) function
        return


# --------------------------------------------------------------------------- reducers


class _Base:
    name = "base"
    _arrays: tuple[str, ...] = ()

    def _params(self) -> dict[str, Any]:
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not all(hasattr(self, a) for a in self._arrays):
            raise NotFittedError(Errors.E300.format(name=f"{self.name} reducer"))

    def fit(self, X: Any) -> _Base:
        """Learn the reduction from ``X`` (float ``(n, d)``); return self."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X: Any) -> np.ndarray:  # pragma: no cover - overridden
        """Learn the reduction and return float32 ``(n, n_components)``."""
        raise NotImplementedError

    def save(self, folder: str | Path) -> None:
        """Write ``reducer.json`` and one ``.npy`` per fitted array into ``folder``."""
        self._check_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for a in self._arrays:
            np.save(folder / f"{a.rstrip('_')}.npy", getattr(self, a), allow_pickle=False)
        meta = {"name": self.name, "format": FORMAT, "params": self._params(),
                "fitted": {a: getattr(self, a, None) for a in self._scalars()}}
        (folder / "reducer.json").write_text(json.dumps(meta, indent=2))

    def _scalars(self) -> tuple[str, ...]:
        return ()


class UMAPReducer(_Base):
    """UMAP on an exact cosine kNN graph; transform by kNN-weighted average (module docstring).

    Args:
        n_components: Output dimensions.
        seed: Random seed (UMAP runs single-threaded and deterministic with a seed).
        n_neighbors: Neighbours of the kNN graph (clipped to ``n - 1``).
        min_dist: UMAP ``min_dist`` (0 packs clusters tightly, good for density clustering).
        exact_knn_max: Largest ``n`` whose kNN graph is computed exactly with numpy; above it
            UMAP's own NN-descent (pynndescent) is used.
        n_epochs: UMAP optimisation epochs; None lets UMAP choose (500 below 10,000 points).
    """

    name = "umap"
    _arrays = ("embedding_", "train_")

    def __init__(self, n_components: int = 5, seed: int = 42, n_neighbors: int = 15,
                 min_dist: float = 0.0, exact_knn_max: int = 20_000,
                 n_epochs: int | None = None, transform_epochs: int = 100) -> None:
        self.n_components = n_components
        self.seed = seed
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.exact_knn_max = exact_knn_max
        self.n_epochs = n_epochs
        self.transform_epochs = transform_epochs

    def _params(self) -> dict[str, Any]:
        return {"n_components": self.n_components, "seed": self.seed,
                "n_neighbors": self.n_neighbors, "min_dist": self.min_dist,
                "exact_knn_max": self.exact_knn_max, "n_epochs": self.n_epochs,
                "transform_epochs": self.transform_epochs}

    def _scalars(self) -> tuple[str, ...]:
        return ("n_neighbors_", "ab_")

    def fit_transform(self, X: Any) -> np.ndarray:
        """Fit UMAP on ``X`` and return float32 ``(n, n_components)``."""
        X = _unit(_as_matrix(X))
        n = len(X)
        n_comp = max(1, min(self.n_components, n - 2))
        k = max(2, min(self.n_neighbors, n - 1))
        if n < 4:  # too small for a graph layout: fall back to PCA coordinates
            emb = PCAReducer(n_components=n_comp, seed=self.seed).fit_transform(X)
        else:
            emb = self._umap(X, k, n_comp)
        self.embedding_ = np.ascontiguousarray(emb, dtype=np.float32)
        self.train_ = X
        self.n_neighbors_ = k
        return self.embedding_.copy()

    def _umap(self, X: np.ndarray, k: int, n_comp: int) -> np.ndarray:
        enable_umap_numba_cache()
        # heavy: umap loads only when _umap() runs
        import umap

        knn: tuple[Any, Any, Any] = (None, None, None)
        if len(X) <= self.exact_knn_max:
            idx, dist = cosine_knn(X, X, k, exclude_self=True)
            knn = (idx, dist, None)
        # "pca", not umap's default "spectral": the spectral start (ARPACK eigsh on the graph
        # Laplacian) differed between identical fits here (scipy 1.17), so two runs on the same
        # vectors gave different theme counts; a PCA start is deterministic (docs/decisions.md).
        init = "pca" if len(X) > n_comp + 1 else "random"
        model = umap.UMAP(n_components=n_comp, n_neighbors=k, min_dist=self.min_dist,
                          metric="cosine", random_state=self.seed, precomputed_knn=knn,
                          n_epochs=self.n_epochs, init=init, transform_mode="embedding")
        with warnings.catch_warnings():
            # "n_jobs overridden by random_state" and "no transform without search index":
            # expected, we are deterministic on purpose and implement transform ourselves.
            warnings.simplefilter("ignore", UserWarning)
            emb = model.fit_transform(X)
        self.ab_ = [float(model._a), float(model._b)]
        return emb

    def transform(self, X: Any) -> np.ndarray:
        """Place new vectors among the training embeddings (float32 ``(m, n_components)``)."""
        self._check_fitted()
        X = _unit(_as_matrix(X))
        if len(X) == 0:
            return np.zeros((0, self.embedding_.shape[1]), dtype=np.float32)
        if X.shape == self.train_.shape and np.array_equal(X, self.train_):
            return self.embedding_.copy()  # the training data itself: exactly what fit returned
        k = min(int(self.n_neighbors_), len(self.train_))
        idx, dist = cosine_knn(X, self.train_, k)
        w = membership_weights(dist)
        out = np.einsum("mk,mkc->mc", w, self.embedding_[idx]).astype(np.float32)
        if self.transform_epochs and getattr(self, "ab_", None):
            out = self._refine(out, idx, dist)
        same = dist[:, 0] <= 1e-5  # a copy of a training vector takes that vector's place
        out[same] = self.embedding_[idx[same, 0]]
        return out

    def _refine(self, init: np.ndarray, idx: np.ndarray, dist: np.ndarray) -> np.ndarray:
        """UMAP.transform's optimisation: move new points only, training points stay fixed."""
        enable_umap_numba_cache()
        # heavy: umap.layouts, umap.umap_ load only when _refine() runs
        from umap.layouts import optimize_layout_euclidean
        from umap.umap_ import make_epochs_per_sample

        m, k = idx.shape
        d = dist.astype(np.float64)
        w = membership_weights(d, normalize=False).astype(np.float64)
        n_epochs = int(self.transform_epochs)
        head = np.repeat(np.arange(m, dtype=np.int32), k)
        tail = idx.reshape(-1).astype(np.int32)
        vals = w.reshape(-1)
        keep = vals >= vals.max() / n_epochs
        head, tail, vals = head[keep], tail[keep], vals[keep]
        eps = make_epochs_per_sample(vals, n_epochs)
        rng = np.random.RandomState(self.seed)
        rng_state = rng.randint(np.iinfo(np.int32).min + 1, np.iinfo(np.int32).max - 1, 3)
        a, b = self.ab_
        return optimize_layout_euclidean(
            np.ascontiguousarray(init, dtype=np.float32), self.embedding_.astype(np.float32),
            head, tail, n_epochs, len(self.embedding_), eps, float(a), float(b),
            rng_state.astype(np.int64), 1.0, 0.25, 5.0, False).astype(np.float32)


class PCAReducer(_Base):
    """Principal components (centred, deterministic SVD).

    Args:
        n_components: Output dimensions (clipped to ``min(n, d)``).
        seed: Kept for a common interface; the full SVD is deterministic.
    """

    name = "pca"
    _arrays = ("components_", "mean_")

    def __init__(self, n_components: int = 5, seed: int = 42, **_: Any) -> None:
        self.n_components = n_components
        self.seed = seed

    def _params(self) -> dict[str, Any]:
        return {"n_components": self.n_components, "seed": self.seed}

    def fit_transform(self, X: Any) -> np.ndarray:
        """Fit on ``X`` and return float32 ``(n, n_components)``."""
        X = _as_matrix(X).astype(np.float64)
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        if len(X) > X.shape[1]:  # eigenvectors of the d x d scatter matrix: cheaper than an SVD
            vals, vecs = np.linalg.eigh(Xc.T @ Xc)
            vt = vecs[:, np.argsort(vals)[::-1]].T
        else:
            _, _, vt = np.linalg.svd(Xc, full_matrices=False)
        comps = vt[: max(1, min(self.n_components, X.shape[0] - 1, X.shape[1]))]  # centred rank
        # sign convention: the largest-magnitude loading of each component is positive
        signs = np.sign(comps[np.arange(len(comps)), np.abs(comps).argmax(axis=1)])
        self.components_ = (comps * signs[:, None]).astype(np.float32)
        self.mean_ = self.mean_.astype(np.float32)
        return self.transform(X)

    def transform(self, X: Any) -> np.ndarray:
        """Project new vectors (float32 ``(m, n_components)``)."""
        self._check_fitted()
        return ((_as_matrix(X) - self.mean_) @ self.components_.T).astype(np.float32)


#: Reducer classes by name.
REDUCERS: dict[str, Callable[..., Any]] = {"umap": UMAPReducer, "pca": PCAReducer}


def make_reducer(name: str = "umap", *, n_components: int = 5, seed: int = 42,
                 n_neighbors: int = 15, **kwargs: Any) -> Any:
    """Create an unfitted reducer by name.

    Args:
        name: A key of :data:`REDUCERS` (``"umap"`` or ``"pca"``).
        n_components: Output dimensions.
        seed: Random seed.
        n_neighbors: Neighbourhood size (UMAP only).
        **kwargs: Further parameters of the reducer class (e.g. ``min_dist``).

    Returns:
        The reducer.

    Raises:
        ConfigError: [E002] for an unknown name, listing the choices.
    """
    if name not in REDUCERS:
        raise ConfigError(Errors.E002.format(kind="reducer", name=name,
                                             choices=", ".join(sorted(REDUCERS))))
    if name == "umap":
        return UMAPReducer(n_components=n_components, seed=seed, n_neighbors=n_neighbors, **kwargs)
    return REDUCERS[name](n_components=n_components, seed=seed, **kwargs)


def load_reducer(folder: str | Path) -> Any:
    """Load a reducer written by ``save``.

    Args:
        folder: The folder holding ``reducer.json``.

    Returns:
        The fitted reducer.

    Raises:
        ConfigError: [E205] when the folder does not hold a saved reducer.
    """
    folder = Path(folder)
    try:
        meta = json.loads((folder / "reducer.json").read_text())
        red = make_reducer(meta["name"], **meta["params"])
        for a in red._arrays:
            setattr(red, a, np.load(folder / f"{a.rstrip('_')}.npy", allow_pickle=False))
        for a, v in meta.get("fitted", {}).items():
            setattr(red, a, v)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigError(Errors.E205.format(path=folder, detail=err)) from None
    return red
